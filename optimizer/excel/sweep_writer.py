"""The sweep workbook: `runs` (one row per run), `frontier` (cost against a dependence limit,
with the marginal cost per percentage point) and `tornado` (swing per parameter of the
objective, or of what the limits cost when the runs measured it), each with a native chart."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_range_abs

from models.data import BASELINE
from models.terms import COST_CATEGORIES
from optimizer.contract.variations import BASE, Variation
from optimizer.contract.wording import number_text
from optimizer.excel.output import new_workbook, writable_target
from optimizer.excel.palette import colour
from optimizer.excel.plan_writer import Formats, write_table_sheet
from optimizer.excel.xlsx import set_printing
from optimizer.solving import effects
from optimizer.solving.headline import HEADLINE_COLUMNS
from optimizer.solving.runs import RunResult

LIMIT_COLUMN = ("dependence_limits", "max_share")
OBJECTIVE, LIMITS_COST = "objective", "limits_cost"  # what a tornado and frontier measure
# A tornado's height: title, axis and legend, then room for each bar's label to show.
TORNADO_FRAME_PX, TORNADO_BAR_PX = 200, 30


def write_sweep(results: list[RunResult], path: Path, inputs: Iterable[Path] = ()) -> Path:
    """Write the sweep workbook; return where it went (beside `path` when that became
    unusable during the runs)."""
    measure = tornado_measure(results)
    runs, frontier, tornado = runs_table(results), frontier_table(results, measure), \
        tornado_table(results, measure)
    path = writable_target(path, inputs)
    with new_workbook(path, inputs) as wb:
        fmt = Formats(wb)
        write_table_sheet(wb.add_worksheet("runs"), runs, "tbl_runs", fmt)
        frontier_ws = wb.add_worksheet("frontier")
        write_table_sheet(frontier_ws, frontier, "tbl_frontier", fmt)
        tornado_ws = wb.add_worksheet("tornado")
        write_table_sheet(tornado_ws, tornado, "tbl_tornado", fmt)
        if len(frontier):
            frontier_ws.insert_chart(1, len(frontier.columns) + 1,
                                     _frontier_chart(wb, frontier, limit_colours(results),
                                                     measure))
        if len(tornado):
            tornado_ws.insert_chart(1, len(tornado.columns) + 1,
                                    _tornado_chart(wb, tornado, measure))
        for ws in (frontier_ws, tornado_ws):  # table and chart print on one page
            set_printing(ws, pages_tall=1, header_rows=1)
    return path


def _labels(result: RunResult) -> dict[str, float]:
    return {v.label: value for v, value in result.run.changes}


def runs_table(results: list[RunResult]) -> pd.DataFrame:
    """One row per run: what was varied, how it ended, its costs, its headline and achieved
    shares (blank for a run without a plan)."""
    rows = []
    base = base_run(results)
    for i, r in enumerate(results):
        row = {"run": i, "sweep": r.run.name, **_labels(r), "status": r.status,
               "exit_code": r.exit_code, "objective": r.objective,
               **effects.columns(r, base)}
        for category in COST_CATEGORIES:
            row[f"cost_{category}"] = r.summary.get(f"cost_{category}")
        row.update({column: r.headline.get(column) for column in HEADLINE_COLUMNS})
        row.update(effects.policy_columns(r, base))
        for key, share in _max_shares(r).items():
            row[f"max share {key}"] = share
        row.update({"seconds": r.seconds, "message": r.message})
        rows.append(row)
    varied = list(dict.fromkeys(label for r in results for label in _labels(r)))
    frame = pd.DataFrame(rows)
    first = ["run", "sweep", *varied]
    # reindex, not []: no run finished (an early Ctrl-C) is an empty table, not a KeyError
    return frame.reindex(columns=first + [c for c in frame.columns if c not in first])


def base_run(results: list[RunResult]) -> RunResult | None:
    return next((r for r in results if r.run.name == BASE), None)


def _max_shares(r: RunResult) -> dict[str, float]:
    """Largest baseline share over the years, per (consumer, supplier, material)."""
    frame = pd.DataFrame(r.shares)
    if frame.empty:
        return {}
    frame = frame[frame.scenario == BASELINE]
    grouped = frame.groupby(["consumer", "supplier", "material"])["share"].max()
    return {f"{c}<-{s} {m}": v for (c, s, m), v in grouped.items()}


def _single_variation_runs(results: list[RunResult]) -> dict[Variation, list[RunResult]]:
    """Runs of sweeps that vary one thing, grouped by that variation."""
    groups: dict[Variation, list[RunResult]] = {}
    for r in results:
        if len(r.run.changes) == 1:
            groups.setdefault(r.run.changes[0][0], []).append(r)
    return groups


def frontier_table(results: list[RunResult], measure: str = OBJECTIVE) -> pd.DataFrame:
    """Cost against each swept dependence limit: the cost of independence, with each point's
    effect (its change from the base run) and interval; when the runs measured what the
    limits cost (`measure`), that too, with its interval, for the chart to draw."""
    rows = []
    base = base_run(results)
    for v, runs in _single_variation_runs(results).items():
        if (v.sheet, v.column) != LIMIT_COLUMN or v.mode != "set":
            continue
        points = sorted(((value, r) for r in runs for _, value in r.run.changes),
                        key=lambda p: -p[0])
        previous = None
        for value, r in points:
            step = None
            if previous is not None and r.objective is not None and \
                    previous[1] is not None and previous[0] != value:
                step = (r.objective - previous[1]) / ((previous[0] - value) * 100)
            rows.append({"limit": v.label, "max_share": value, "status": r.status,
                         "objective": r.objective, "cost_per_pp_tightened": step,
                         "marginal_cost": _limit_marginal(r, v, value),
                         **_effect_columns(effects.effect(r, base)),
                         **{c: r.headline.get(c) for c in FRONTIER_MEASURED[measure]}})
            previous = (value, r.objective)
    return pd.DataFrame(rows, columns=["limit", "max_share", "status", "objective",
                                       "cost_per_pp_tightened", "marginal_cost",
                                       *EFFECT_COLUMNS, *FRONTIER_MEASURED[measure]])


EFFECT_COLUMNS = ["effect", "effect_low", "effect_high", "effect_resolved"]


def _effect_columns(found: effects.Effect | None) -> dict[str, object]:
    if found is None:
        return dict.fromkeys(EFFECT_COLUMNS)
    return dict(zip(EFFECT_COLUMNS, (found.value, found.low, found.high, found.resolved),
                    strict=True))


def _limit_marginal(r: RunResult, v: Variation, value: float) -> float | None:
    """The duals' marginal cost per percentage point, summed over the rows the sweep sets
    (found by its `where`; a `where` on the share itself now reads the run's `value`)."""
    frame = pd.DataFrame(r.shares)
    if frame.empty or "marginal_cost" not in frame:
        return None
    keep = pd.Series(True, index=frame.index)
    for column, wanted in v.where:
        if column in frame:
            keep &= _equals(frame[column], value if column == v.column else wanted)
    return float(frame.loc[keep, "marginal_cost"].fillna(0).sum())


def _equals(column: pd.Series, wanted: object) -> pd.Series:
    try:
        number = float(wanted)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return column.astype(str) == str(wanted)
    return (pd.to_numeric(column, errors="coerce") - number).abs() <= 1e-9


# each measure's value at the low value, at the high value and in the base run
MEASURED_COLUMNS = {OBJECTIVE: ["objective_low", "objective_high", "objective_base"],
                    LIMITS_COST: ["limits_cost_at_low", "limits_cost_at_high",
                                  "limits_cost_at_base"]}
# each measure's chart title, axis title and axis format: a policy cost is a small part of
# the objective (0.77 of 168 bn USD on the base case), its changes read in millions
TORNADO_AXES = {OBJECTIVE: ("Change of the objective from the base run",
                            "change of total discounted expected cost (billions)",
                            '#,##0.0,,,'),
                LIMITS_COST: ("Change of what the limits cost from the base run",
                              "change of what the dependence limits cost (millions)",
                              '#,##0,,')}


# what the frontier adds for each measure, and its chart's title, axis title and format
FRONTIER_MEASURED = {OBJECTIVE: [], LIMITS_COST: [LIMITS_COST, f"{LIMITS_COST}_low",
                                                 f"{LIMITS_COST}_high"]}
FRONTIER_AXES = {OBJECTIVE: ("Cost of independence",
                             "total discounted expected cost (billions)", '#,##0.00,,,'),
                 LIMITS_COST: ("Cost of independence: what the limits cost",
                               "what the dependence limits cost (millions)", '#,##0,,')}


def tornado_columns(measure: str = OBJECTIVE) -> list[str]:
    """The tornado sheet's columns when it measures `measure` (the chart reads them by
    position: only the measure's three columns differ)."""
    return ["parameter", "low", "high", *MEASURED_COLUMNS[measure], "change_low",
            "change_high", "swing", "change_low_minus", "change_low_plus",
            "change_high_minus", "change_high_plus", "note"]


TORNADO_COLUMNS = tornado_columns()


def tornado_measure(results: list[RunResult]) -> str:
    """What the tornado measures: what the limits cost when the runs measured it (a sweep
    comparing `no_limits` on a case with limits), the objective otherwise."""
    measured = any(r.headline.get(LIMITS_COST) is not None for r in results)
    return LIMITS_COST if measured else OBJECTIVE


def _measured(measure: str) -> tuple[Callable[[RunResult], float | None],
                                     Callable[[RunResult, RunResult | None],
                                              effects.Effect | None]]:
    """How to read a run's value of `measure`, and its effect against the base run."""
    if measure == OBJECTIVE:
        return (lambda r: r.objective), effects.effect
    return (lambda r: r.headline.get(measure)), \
        (lambda r, base: effects.policy_effect(r, base, measure))


def tornado_table(results: list[RunResult], measure: str = OBJECTIVE) -> pd.DataFrame:
    """`measure` (the objective, or what the limits cost) at each parameter's lowest and
    highest value, and its change from the base run (the runs' effects on it, with their
    intervals), largest swing first."""
    base = base_run(results)
    value_of, effect_of = _measured(measure)
    at_low, at_high, at_base = MEASURED_COLUMNS[measure]
    rows = []
    for v, runs in _single_variation_runs(results).items():
        if len(v.values) < 2:
            continue
        by_value = {value: r for r in runs for _, value in r.run.changes}
        low, high = by_value[min(by_value)], by_value[max(by_value)]
        if value_of(low) is None or value_of(high) is None:
            continue
        changes = {side: effect_of(r, base) for side, r in (("low", low), ("high", high))}
        row = {"parameter": v.label, "low": min(by_value), "high": max(by_value),
               at_low: value_of(low), at_high: value_of(high),
               at_base: value_of(base) if base else None,
               "swing": abs(value_of(high) - value_of(low)), "note": _tornado_note(changes)}
        for side, found in changes.items():
            row.update({f"change_{side}": found and found.value,
                        f"change_{side}_minus": found and found.value - found.low,
                        f"change_{side}_plus": found and found.high - found.value})
        if all(changes.values()):
            row["swing"] = abs(changes["high"].value - changes["low"].value)
        rows.append(row)
    frame = pd.DataFrame(rows, columns=tornado_columns(measure))
    return frame.sort_values("swing", ascending=False, ignore_index=True)


def _tornado_note(changes: dict[str, effects.Effect | None]) -> str | None:
    """Which bars are not resolved at the runs' gaps: their intervals include zero."""
    unresolved = [f"the change at the {side} value is not resolved at this gap (between "
                  f"{number_text(found.low)} and {number_text(found.high)})"
                  for side, found in changes.items() if found and not found.resolved]
    return "; ".join(unresolved) or None


def limit_colours(results: list[RunResult]) -> dict[str, str]:
    """Each swept limit in its consumer's colour (the plan's), when every swept limit names
    a consumer of its own; otherwise none (two series of one colour could not be told apart)."""
    consumers = {v.label: dict(v.where).get("consumer")
                 for v in _single_variation_runs(results) if (v.sheet, v.column) == LIMIT_COLUMN}
    named = [c for c in consumers.values() if c is not None]
    if len(named) < len(consumers) or len(set(named)) < len(named):
        return {}
    return {label: colour(str(consumer)) for label, consumer in consumers.items()}


def _frontier_chart(wb: xlsxwriter.Workbook, frontier: pd.DataFrame,
                    colours: dict[str, str], measure: str = OBJECTIVE):
    chart = wb.add_chart({"type": "scatter", "subtype": "straight_with_markers"})
    column = list(frontier.columns).index(measure)
    start = 1
    for label, rows in frontier.groupby("limit", sort=False):
        end = start + len(rows) - 1
        series = {"name": label, "categories": ["frontier", start, 1, end, 1],
                  "values": ["frontier", start, column, end, column]}
        if measure == LIMITS_COST:
            series["y_error_bars"] = _frontier_bars(frontier, start, end)
        if label in colours:
            series.update(line={"color": colours[label]},
                          marker={"type": "circle", "fill": {"color": colours[label]},
                                  "border": {"color": colours[label]}})
        chart.add_series(series)
        start = end + 1
    title, axis, num_format = FRONTIER_AXES[measure]
    chart.set_title({"name": title})
    # tighter limits to the right; the cost axis stays on the left (crossing at the max)
    chart.set_x_axis({"name": "max share from the supplier", "num_format": "0%",
                      "reverse": True, "crossing": "max"})
    chart.set_y_axis({"name": axis, "num_format": num_format})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 720, "height": 420})
    return chart


def _tornado_chart(wb: xlsxwriter.Workbook, tornado: pd.DataFrame, measure: str):
    chart = wb.add_chart({"type": "bar"})
    n = len(tornado)
    for side, name in (("low", "at the low value"), ("high", "at the high value")):
        col = TORNADO_COLUMNS.index(f"change_{side}")
        chart.add_series({"name": name, "categories": ["tornado", 1, 0, n, 0],
                          "values": ["tornado", 1, col, n, col], "overlap": 100,
                          "y_error_bars": _interval_bars(n, side)})
    title, axis, num_format = TORNADO_AXES[measure]
    chart.set_title({"name": title})
    chart.set_x_axis({"name": axis, "num_format": num_format})
    # labels beside the axis's low end, not across the bars at zero
    chart.set_y_axis({"reverse": True, "label_position": "low"})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 720, "height": tornado_height(n)})
    return chart


def _frontier_bars(frontier: pd.DataFrame, start: int, end: int) -> dict:
    """Error bars from each point to the ends of its interval of what the limits cost."""
    rows = frontier.iloc[start - 1:end]
    plus = (rows[f"{LIMITS_COST}_high"] - rows[LIMITS_COST]).fillna(0).tolist()
    minus = (rows[LIMITS_COST] - rows[f"{LIMITS_COST}_low"]).fillna(0).tolist()
    return {"type": "custom", "plus_values": plus, "minus_values": minus, "end_style": 1}


def _interval_bars(n: int, side: str) -> dict:
    """Error bars from each bar's end to the ends of its interval (the sheet's distances)."""
    def cells(direction: str) -> str:
        col = TORNADO_COLUMNS.index(f"change_{side}_{direction}")
        return f"=tornado!{xl_range_abs(1, col, n, col)}"
    return {"type": "custom", "plus_values": cells("plus"), "minus_values": cells("minus"),
            "end_style": 1}


def tornado_height(bars: int) -> int:
    """Pixels a tornado of `bars` bars needs for every bar's label to show."""
    return TORNADO_FRAME_PX + TORNADO_BAR_PX * max(bars, 1)
