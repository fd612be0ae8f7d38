"""Writing a `Plan` as the plan workbook (see DESIGN.md, "Plan workbook (output)").

Sheets: `answer` (one printed page: see `optimizer.excel.answer`), `summary`, one sheet per
plan table, `charts`, `run_info`, `chart_data` (the pivoted
series the charts read). Everything is written to a temporary file that replaces the target
only when complete (`atomic_output`), so a failure never leaves half a workbook and the
output can never be an input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from models.data import BASELINE
from optimizer.excel.answer import answer_page, gap_note, write_answer
from optimizer.excel.output import new_workbook, writable_target
from optimizer.excel.xlsx import (
    COLUMN_FORMATS,
    MONEY,
    QUANTITY,
    YEAR,
    Formats,
    is_blank,
    set_printing,
    sheet_name,
    table_columns,
    unique_name,
    write_table,
    write_table_sheet,
    write_value,
)
from optimizer.solving.results import UNITS, Plan

SUMMARY_FIRST = ("status", "objective", "mip_gap", "solve_seconds")
SUMMARY_MONEY = {"objective", "best_bound", "risk_adjusted_objective", "cvar", "build_capex"}
SUMMARY_FORMATS = {"mip_gap": "0.00%", "solve_seconds": "0.00", "baseline_shortage": QUANTITY}
LIMIT_COLUMNS = ("consumer", "supplier", "material", "year", "max_share", "share", "binding",
                 "marginal_cost")

OWN_SHEETS = ("answer", "summary", "charts", "run_info", "chart_data")
CHARTS_PER_KIND = 4
CHART_ROWS_PER_PAGE = 2
MAX_STACKED_SERIES = 8  # more stacked colours than this cannot be told apart: lump as "other"
MAX_LINE_SERIES = 8


def write_plan(plan: Plan, path: Path, inputs: Iterable[Path] = ()) -> Path:
    """Write `plan` to `path` as an .xlsx workbook, atomically; never onto an input. Return
    where it went: beside `path` when that became unusable during the solve."""
    path = writable_target(path, inputs)
    with new_workbook(path, inputs) as wb:
        _fill_workbook(wb, plan)
    return path


def _fill_workbook(wb: Workbook, plan: Plan) -> None:
    fmt = Formats(wb)
    write_answer(wb, wb.add_worksheet("answer"),
                 answer_page(plan.summary, plan.tables, plan.run_info), fmt)
    _write_summary(wb.add_worksheet("summary"), plan, fmt)
    sheet_names = {name.lower() for name in OWN_SHEETS}
    table_names = {"tbl_summary", "tbl_cost_breakdown", "tbl_limits", "tbl_run_info"}
    for name, frame in plan.tables.items():
        sheet = unique_name(sheet_name(name), sheet_names, 31)
        ws = wb.add_worksheet(sheet)
        table = unique_name("tbl_" + re.sub(r"\W", "_", sheet), table_names, 255)
        write_table_sheet(ws, frame, table, fmt)
    charts = wb.add_worksheet("charts")
    run_info = wb.add_worksheet("run_info")
    chart_data = wb.add_worksheet("chart_data")
    _write_run_info(run_info, plan.run_info, fmt)
    _write_charts(wb, charts, chart_data, plan.tables, fmt, plan.names)
    _set_properties(wb, plan.run_info)


# ---- cells and tables -----------------------------------------------------------------


# ---- summary and run_info ----------------------------------------------------------------


def _summary_items(summary: Mapping[str, Any]) -> list[tuple[str, Any]]:
    first = [(k, summary[k]) for k in SUMMARY_FIRST if k in summary]
    return first + [(k, v) for k, v in summary.items() if k not in SUMMARY_FIRST]


def _summary_format(key: str) -> str | None:
    if key in SUMMARY_MONEY or key.startswith(("cost_", "scenario_cost_")):
        return MONEY
    return SUMMARY_FORMATS.get(key)


def _write_key_values(ws: Worksheet, items: list[tuple[str, Any]], name: str, fmt: Formats,
                      formats: Mapping[str, str | None] | None = None) -> None:
    options = {"name": name, "columns": [{"header": "key"}, {"header": "value"}]}
    if ws.add_table(0, 0, max(len(items), 1), 1, options) != 0:
        raise ValueError(f"cannot add Excel table {name}")
    for i, (key, value) in enumerate(items, start=1):
        ws.write_string(i, 0, str(key))
        write_value(ws, i, 1, value, fmt.get((formats or {}).get(key)))
    ws.set_column(0, 0, max([len(str(k)) + 2 for k, _ in items] + [14]))
    ws.set_column(1, 1, 22)


def _write_summary(ws: Worksheet, plan: Plan, fmt: Formats) -> None:
    items = _summary_items(plan.summary)
    _write_key_values(ws, items, "tbl_summary", fmt, {k: _summary_format(k) for k, _ in items})
    status = plan.summary.get("status")
    if status is not None and status != "optimal":
        ws.write_string(0, 3, gap_note(status, plan.summary.get("mip_gap")), fmt.note)
    row = 2
    breakdown = _cost_breakdown(plan.tables.get("costs"))
    if breakdown is not None:
        ws.write_string(row - 1, 3, "Expected cost by category", fmt.bold)
        row = write_table(ws, row, 3, breakdown, "tbl_cost_breakdown", fmt, "total") + 3
    limits = _limits(plan.tables.get("dependence"))
    if limits is not None:
        ws.write_string(row - 1, 3, "Dependence limits (share of supply from the supplier)",
                        fmt.bold)
        write_table(ws, row, 3, limits, "tbl_limits", fmt)
    ws.set_column(3, 3, 26)
    ws.set_column(4, 11, 13)
    set_printing(ws, pages_tall=0, header_rows=1)


def _cost_breakdown(costs: pd.DataFrame | None) -> pd.DataFrame | None:
    if costs is None or costs.empty or not {"category", "expected"} <= set(costs.columns):
        return None
    expected = pd.to_numeric(costs["expected"], errors="coerce")  # blanks may be text ""
    grouped = expected.groupby(costs["category"], sort=False).sum()
    return pd.DataFrame({"category": grouped.index, "expected cost": grouped.to_numpy()})


def _limits(dependence: pd.DataFrame | None) -> pd.DataFrame | None:
    """Baseline shares of each limit, with the marginal cost summed over scenarios."""
    if dependence is None or dependence.empty:
        return None
    baseline = _baseline(dependence).reset_index(drop=True)
    if "marginal_cost" in dependence.columns and "scenario" in dependence.columns:
        keys = [c for c in ("input_row", "year") if c in dependence.columns]
        total = dependence.groupby(keys, dropna=False)["marginal_cost"].sum(min_count=1)
        baseline["marginal_cost"] = [total.get(tuple(k)) for k in
                                     baseline[keys].itertuples(index=False)]
    return baseline[[c for c in LIMIT_COLUMNS if c in baseline.columns]]


def _baseline(frame: pd.DataFrame) -> pd.DataFrame:
    if "scenario" not in frame.columns:
        return frame
    return frame[frame["scenario"] == "baseline"]


def _flatten(info: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Nested settings become `settings.first_year` rows: one key, one value per row."""
    for key, value in info.items():
        if isinstance(value, Mapping):
            yield from _flatten(value, f"{prefix}{key}.")
        elif isinstance(value, list | tuple | set | frozenset):
            yield f"{prefix}{key}", ", ".join(map(str, value))
        else:
            yield f"{prefix}{key}", value


def _write_run_info(ws: Worksheet, run_info: Mapping[str, Any], fmt: Formats) -> None:
    _write_key_values(ws, list(_flatten(run_info)), "tbl_run_info", fmt)
    ws.set_column(1, 1, 60)
    ws.freeze_panes(1, 0)
    set_printing(ws, pages_tall=0, header_rows=1)


def _set_properties(wb: Workbook, run_info: Mapping[str, Any]) -> None:
    wb.set_properties({"title": "Supply-chain plan", "comments": "written by optimizer"})
    sha = run_info.get("input_sha256")
    if sha:
        # A custom property lets anyone check which input a plan came from without opening it.
        wb.set_custom_property("input_sha256", str(sha), "text")


# ---- charts ----------------------------------------------------------------------------------


@dataclass
class ChartSpec:
    """One native chart: `data` is indexed by year, one column per series."""

    title: str
    kind: str  # "stacked" (stacked columns) or "line"
    y_title: str
    data: pd.DataFrame
    y_format: str = "#,##0"
    dashed: tuple[str, ...] = ()


MAX_CAPACITY_CHARTS = 4


def named(title: str, names: Mapping[str, str]) -> str:
    """A chart title with the codes it names replaced by their names (a person reads "NdPr
    oxide supply to United States", not "NDPR_OXIDE supply to USA")."""
    if not names:
        return title
    pattern = r"(?<![\w])(" + "|".join(map(re.escape, sorted(names, key=len, reverse=True))) \
        + r")(?![\w])"
    return re.sub(pattern, lambda match: names[match.group(1)], title)


def chart_specs(tables: Mapping[str, pd.DataFrame]) -> list[ChartSpec]:
    specs = (sourcing_specs(tables) + dependence_specs(tables) + capacity_specs(tables)
             + stockpile_specs(tables))
    # No empty charts: a chart needs at least one year and one series.
    return [s for s in specs if not s.data.empty and s.data.shape[1] > 0]


def _frame(tables: Mapping[str, pd.DataFrame], name: str,
           columns: Iterable[str]) -> pd.DataFrame | None:
    frame = tables.get(name)
    columns = list(columns)
    if frame is None or frame.empty or not set(columns) <= set(frame.columns):
        return None
    # numbers as numbers: a blank held as "" or NA must not break a sum, a sort or a pivot
    numbers = [c for c in columns if c in COLUMN_FORMATS]
    return frame.assign(**{c: pd.to_numeric(frame[c], errors="coerce") for c in numbers})


def _unit(column: str) -> str:
    return UNITS.get(column, "").split(" (")[0]


def _top_columns(data: pd.DataFrame, n: int) -> pd.DataFrame:
    """The n largest series by total, the rest summed as "other", largest first."""
    order = data.sum().sort_values(ascending=False).index
    data = data[order]
    if data.shape[1] <= n:
        return data
    kept = data.iloc[:, :n - 1].copy()
    kept["other"] = data.iloc[:, n - 1:].sum(axis=1)
    return kept


def sourcing_specs(tables: Mapping[str, pd.DataFrame]) -> list[ChartSpec]:
    src = _frame(tables, "sourcing", ["scenario", "year", "country", "material", "origin",
                                      "quantity"])
    if src is None:
        return []
    base = src[src["scenario"] == BASELINE]
    totals = base.groupby(["country", "material"])["quantity"].sum()
    years = sorted(base["year"].unique())
    specs = []
    for country, material in _sourcing_pairs(totals[totals > 0], tables.get("dependence")):
        rows = base[(base["country"] == country) & (base["material"] == material)]
        data = rows.pivot_table(index="year", columns="origin", values="quantity",
                                aggfunc="sum", fill_value=0).reindex(years, fill_value=0)
        specs.append(ChartSpec(f"{material} supply to {country} by origin (baseline)",
                               "stacked", f"quantity ({_unit('quantity')})",
                               _top_columns(data, MAX_STACKED_SERIES)))
    return specs


def _sourcing_pairs(totals: pd.Series,
                    dependence: pd.DataFrame | None) -> list[tuple[str, str]]:
    """(country, material) pairs a dependence limit names first, then the largest supplies.

    A limit's consumer may be a group; only consumers that are countries with supply appear
    in `totals`, so groups drop out here.
    """
    named: list[tuple[str, str]] = []
    if dependence is not None and {"consumer", "material"} <= set(dependence.columns):
        for pair in zip(dependence["consumer"], dependence["material"], strict=True):
            if pair in totals.index and pair not in named:
                named.append(pair)
    largest = [p for p in totals.sort_values(ascending=False).index if p not in named]
    return (named + largest)[:CHARTS_PER_KIND]


def dependence_specs(tables: Mapping[str, pd.DataFrame]) -> list[ChartSpec]:
    dep = _frame(tables, "dependence", ["consumer", "supplier", "material", "year",
                                        "max_share", "share"])
    if dep is None:
        return []
    dep = _baseline(dep)
    keys = ["consumer", "supplier", "material"]
    groups = list(dep.groupby(keys, sort=False, dropna=False))
    if "binding" in dep.columns:
        # Binding limits are the ones that shape the plan: chart them first.
        groups.sort(key=lambda g: not g[1]["binding"].eq(True).any())
    specs = []
    for (consumer, supplier, material), rows in groups[:CHARTS_PER_KIND]:
        data = rows.groupby("year").agg(share=("share", "max"), limit=("max_share", "min"))
        data.columns = ["achieved share", "max share (limit)"]
        what = "all materials" if is_blank(material) else material
        specs.append(ChartSpec(f"Share of {consumer}'s {what} supply from {supplier}",
                               "line", "share of supply", data, "0%",
                               dashed=("max share (limit)",)))
    return specs


def capacity_specs(tables: Mapping[str, pd.DataFrame]) -> list[ChartSpec]:
    """Capacity by country, one chart per technology (their outputs differ in kind), the
    technologies with the most capacity first."""
    cap = _frame(tables, "capacity", ["country", "technology", "year", "capacity"])
    if cap is None:
        return []
    largest = cap.groupby("technology")["capacity"].sum().sort_values(ascending=False)
    specs = []
    for tech in largest.index[:MAX_CAPACITY_CHARTS]:
        data = cap[cap.technology == tech].pivot_table(
            index="year", columns="country", values="capacity", aggfunc="sum", fill_value=0)
        specs.append(ChartSpec(f"Capacity of {tech} by country", "stacked",
                               f"capacity ({UNITS['capacity']})",
                               _top_columns(data, MAX_STACKED_SERIES)))
    return specs


def stockpile_specs(tables: Mapping[str, pd.DataFrame]) -> list[ChartSpec]:
    st = _frame(tables, "stockpiles", ["scenario", "year", "country", "material", "level"])
    if st is None:
        return []
    data = st.pivot_table(index="year", columns=["country", "material", "scenario"],
                          values="level", aggfunc="sum")
    peaks = data.max()
    # Stockpiles never filled draw as flat zero lines that hide the ones that matter.
    chosen = peaks[peaks > 0].sort_values(ascending=False).index[:MAX_LINE_SERIES]
    data = data[chosen]
    data.columns = [f"{c} {m} ({w})" for c, m, w in data.columns]
    return [ChartSpec("Stockpile levels", "line", f"level ({_unit('level')})", data)]


def _write_charts(wb: Workbook, charts: Worksheet, data_ws: Worksheet,
                  tables: Mapping[str, pd.DataFrame], fmt: Formats,
                  names: Mapping[str, str] = MappingProxyType({})) -> None:
    specs = chart_specs(tables)
    for spec in specs:
        spec.title = named(spec.title, names)
    charts.write_string(0, 0, "Charts (their data are on the chart_data sheet)" if specs
                        else "No data to chart", fmt.bold)
    data_ws.set_column(0, 0, 10)
    set_printing(data_ws, pages_tall=0)
    # Printed (or exported to PDF) two charts wide, scaled to about 80% to fit the page's
    # width: two rows of charts fill an A4 landscape page.
    set_printing(charts, pages_tall=0)
    breaks = [2 + chart_row * 19 - 1 for chart_row in range(CHART_ROWS_PER_PAGE,
                                                            (len(specs) + 1) // 2,
                                                            CHART_ROWS_PER_PAGE)]
    if breaks:
        charts.set_h_pagebreaks(breaks)
    row = 0
    for i, spec in enumerate(specs):
        first, series = _write_chart_data(data_ws, row, spec, fmt)
        chart = _make_chart(wb, spec, data_ws.get_name(), first, first + len(spec.data) - 1,
                            series)
        # Two charts per row, each 18 rows x 10 columns of the default grid.
        charts.insert_chart(2 + (i // 2) * 19, (i % 2) * 10, chart)
        row = first + len(spec.data) + 2


def _write_chart_data(ws: Worksheet, row: int, spec: ChartSpec,
                      fmt: Formats) -> tuple[int, list[tuple[str, int]]]:
    """Write a chart's title, header and rows; return the first data row and series columns."""
    ws.write_string(row, 0, spec.title, fmt.bold)
    ws.write_string(row + 1, 0, "year", fmt.bold)
    series = []
    for j, name in enumerate(spec.data.columns, start=1):
        ws.write_string(row + 1, j, str(name), fmt.bold)
        ws.set_column(j, j, max(12, min(len(str(name)) + 2, 30)))
        series.append((str(name), j))
    first = row + 2
    for i, year in enumerate(spec.data.index, start=first):
        write_value(ws, i, 0, year, fmt.get(YEAR))
    number = fmt.get(spec.y_format)
    for j, values in enumerate(table_columns(spec.data), start=1):
        for i, value in enumerate(values, start=first):
            write_value(ws, i, j, value, number)
    return first, series


def _make_chart(wb: Workbook, spec: ChartSpec, sheet: str, first: int, last: int,
                series: list[tuple[str, int]]) -> Any:
    stacked = spec.kind == "stacked"
    chart = wb.add_chart({"type": "column", "subtype": "stacked"} if stacked
                         else {"type": "line"})
    for name, col in series:
        options: dict[str, Any] = {
            "name": [sheet, first - 1, col],
            "categories": [sheet, first, 0, last, 0],
            "values": [sheet, first, col, last, col],
        }
        if not stacked:
            options.update(_line_style(name in spec.dashed))
        chart.add_series(options)
    chart.set_title({"name": spec.title, "name_font": {"size": 12}})
    # Axes spelled out, visible, titled with units: readers differ in their defaults.
    chart.set_x_axis({"name": "year", "visible": True, "num_format": "0",
                      "major_tick_mark": "outside"})
    chart.set_y_axis({"name": spec.y_title, "visible": True, "num_format": spec.y_format,
                      "min": 0, "major_gridlines": {"visible": True},
                      "major_tick_mark": "outside"})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 600, "height": 360})
    if stacked:
        chart.set_chartarea({"border": {"none": True}})
    return chart


def _line_style(dashed: bool) -> dict[str, Any]:
    if dashed:
        return {"smooth": False, "line": {"dash_type": "dash", "width": 2},
                "marker": {"type": "none"}}
    # Markers keep a series with a single year visible.
    return {"smooth": False, "line": {"width": 2.25}, "marker": {"type": "circle", "size": 5}}
