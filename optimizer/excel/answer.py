"""The plan workbook's first sheet, `answer`: one printed page that answers an analyst's first
questions in words and numbers (see DESIGN.md, "Plan workbook (output)").

Every number on it is read off the plan's own summary and tables, so the page can never
disagree with them. The sections are pure functions from the plan to rows (`answer_page`);
`write_answer` lays them out in two stacks side by side, sized to print on one A4 page at no
less than `MIN_SCALE`: long tables are summarised (the largest rows, "and N more"), never
shrunk.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from optimizer.excel.xlsx import (
    MARGINS,
    SHARE,
    YEAR,
    Formats,
    is_blank,
    set_printing,
    write_value,
)

MAX_BUILDS = 10
MAX_LIMITS = 8
MAX_CUTS = 8
MAX_SHORTAGE_ROWS = 10
MAX_SCENARIO_COLUMNS = 5
MAX_LISTED = 80  # characters of scenario names spelled out in the headline
MAX_WIDTH = 30  # characters; longer codes are cut on the page, whole in their sheets
MIN_SCALE = 0.6
MIN_WIDTH = 8
PAGE_POINTS = (842.0, 595.0)  # A4 landscape
ROW_POINTS, TITLE_POINTS = 15.0, 21.0
GAP_COLUMN = 2  # characters between the two stacks
NOT_ASKED = "The comparisons were not asked for (setting compare)."


@dataclass
class Section:
    """A titled table of rows on the answer page; a section without rows shows its notes."""

    title: str
    columns: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    formats: list[str | None] = field(default_factory=list)  # number format per column
    notes: list[str] = field(default_factory=list)
    runs_on: bool = False  # its last column's text may run on into the empty columns beside

    @property
    def height(self) -> int:
        return 1 + (1 + len(self.rows) if self.rows else 0) + len(self.notes)


@dataclass
class AnswerPage:
    title: str
    lines: list[str]  # the headline, under the title
    warning: bool  # the plan is not proven within the requested gap: its first line is red
    left: list[Section]
    right: list[Section]


# ---- values ------------------------------------------------------------------------------


def _text(value: Any) -> str:
    return "" if is_blank(value) else str(getattr(value, "value", value))


def _clean(frame: pd.DataFrame | None, codes: Iterable[str],
           numbers: Iterable[str] = ()) -> pd.DataFrame | None:
    """`frame` with its codes as text and its numbers as floats (blanks NaN), or None when it
    is missing or lacks a column the section needs."""
    codes, numbers = list(codes), list(numbers)
    if frame is None or not set(codes + numbers) <= set(frame.columns):
        return None
    return frame.assign(**{c: frame[c].map(_text) for c in codes},
                        **{c: pd.to_numeric(frame[c], errors="coerce").astype(float)
                           for c in numbers})


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def money_scale(values: Iterable[Any], currency: str) -> tuple[str, str]:
    """The number format and unit that show these amounts in at most six digits (the cells
    keep the exact amounts)."""
    largest = max((abs(v) for v in map(_number, values) if v is not None), default=0.0)
    if largest >= 1e7:
        return "#,##0.0,,", f"million {currency}"
    if largest >= 1e4:
        return "#,##0.0,", f"thousand {currency}"
    return "#,##0", currency


def money_text(value: float, currency: str) -> str:
    """An amount in words a person reads at a glance: "47.85 billion USD"."""
    for divisor, word in ((1e9, "billion"), (1e6, "million")):
        if abs(value) >= divisor:
            return f"{value / divisor:,.2f} {word} {currency}"
    return f"{value:,.0f} {currency}"


def _years(first: float, last: float) -> str:
    if math.isnan(first):
        return ""
    return f"{first:.0f}" if first == last else f"{first:.0f}-{last:.0f}"


def _runs(frame: pd.DataFrame, keys: list[str]) -> list[tuple[pd.DataFrame, str]]:
    """The rows of `frame` that share `keys` over consecutive years, each with its years
    ("2027-2040"): one line per limit or cut instead of one per year."""
    frame = frame.sort_values([*keys, "year"], kind="stable").reset_index(drop=True)
    key_rows = list(frame[keys].itertuples(index=False, name=None))
    years = frame["year"].tolist()
    runs: list[list[int]] = []
    for i, (key, year) in enumerate(zip(key_rows, years, strict=True)):
        if runs and key == key_rows[i - 1] and year == years[i - 1] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return [(frame.iloc[run], _years(years[run[0]], years[run[-1]])) for run in runs]


def _more(shown: int, total: int, sheet: str, what: str = "") -> list[str]:
    """The note under a list cut short: "and 5 more binding (see dependence)"."""
    if total <= shown:
        return []
    return [f"and {total - shown} more {what + ' ' if what else ''}(see {sheet})"]


# ---- the headline --------------------------------------------------------------------------


def _small_percent(share: float) -> str:
    """A share as a percentage with two significant digits below 0.01% (never "0.00%")."""
    return f"{share:.2%}" if share >= 1e-4 or share == 0 else f"{share * 100:.2g}%"


def gap_note(status: str, mip_gap: float | None) -> str:
    """The warning shown on a plan not proven optimal.

    mip_gap is (objective - bound) / objective, so the optimum is at least
    objective x (1 - gap): this plan costs at most gap / (1 - gap) more than it.
    """
    if status == "within_gap" and mip_gap is not None and not is_blank(mip_gap):
        return (f"Stopped at the requested mip_gap: proven at most "
                f"{_small_percent(mip_gap / (1 - mip_gap))} more expensive than optimal")
    limit = "iteration limit" if status == "iteration_limit" else "time limit"
    head = f"Best plan found within the {limit}"
    if mip_gap is None or is_blank(mip_gap) or not 0 <= mip_gap < 1:
        return f"{head}; how far it is from optimal is unknown (status {status})"
    return f"{head}; up to {mip_gap / (1 - mip_gap):.1%} more expensive than optimal"


def _listed(names: list[str], limit: int) -> str:
    """As many of `names` as `limit` characters hold, then "..." for the rest."""
    shown: list[str] = []
    for name in names:
        if len(", ".join([*shown, name, "..."])) > limit:
            return ", ".join([*shown, "..."])
        shown.append(name)
    return ", ".join(shown)


def status_line(summary: Mapping[str, Any]) -> str:
    status = _text(summary.get("status"))
    if status == "optimal":
        gap = _number(summary.get("mip_gap"))
        proven = "" if gap is None else f" (proven gap {gap:.4%})"
        return f"Proven optimal{proven}: no plan of this model costs less."
    return gap_note(status, _number(summary.get("mip_gap")))


def cost_line(summary: Mapping[str, Any]) -> str:
    """Objective and currency, horizon and scenarios in one sentence."""
    currency = _text(summary.get("currency")) or "USD"
    objective = _number(summary.get("objective"))
    cost = "unknown" if objective is None else money_text(objective, currency)
    horizon = _text(summary.get("horizon"))
    names = [k.removeprefix("scenario_cost_") for k in summary if k.startswith("scenario_cost_")]
    count = int(_number(summary.get("scenarios")) or len(names) or 1)
    listed = _listed(names, MAX_LISTED)
    scenarios = f"{count} scenario{'s' if count != 1 else ''}" + (f" ({listed})" if listed
                                                                   else "")
    over = f" over {horizon}" if horizon else ""
    return f"Total discounted expected cost {cost}{over}; {scenarios}."


# ---- the sections ----------------------------------------------------------------------------


def builds_section(builds: pd.DataFrame | None, summary: Mapping[str, Any],
                   currency: str) -> Section:
    """The largest builds by capex, with the total capex of all of them. Each shows the year
    it is decided and the year it first produces (after its lead time): a plant decided in
    2028 with a lead time of 3 is online from 2031."""
    title = "What to build, where and when"
    frame = _clean(builds, ["site", "technology", "country"],
                   ["year", "online_from", "capacity", "capex", "financing_benefit"])
    if frame is None or frame.empty:
        return Section(title, notes=["No new plant is built."])
    total = _number(summary.get("build_capex"))
    total = float(frame["capex"].sum()) if total is None else total
    benefit = float(frame["financing_benefit"].sum())
    money, unit = money_scale([total, benefit, *frame["capex"]], currency)
    top = frame.sort_values("capex", ascending=False, na_position="last", kind="stable")
    top = top.head(MAX_BUILDS)
    rows = [[r.site, r.technology, r.country, r.capacity, r.capex, r.financing_benefit,
             r.year, r.online_from] for r in top.itertuples()]
    rows.append([f"total of {len(frame)}", "", "", None, total, benefit, None, None])
    # The years are last: the sections below have no column there, so the page widens the
    # least. "decided" and "online" are the words `optimizer diff` uses.
    return Section(f"{title} (capex in {unit})",
                   ["site", "technology", "country", "capacity t/yr", "capex", "fin. benefit",
                    "decided", "online"], rows,
                   [None, None, None, "#,##0", money, money, YEAR, YEAR],
                   _more(MAX_BUILDS, len(frame), "builds"))


def comparison_reading(row: Mapping[str, Any], currency: str) -> Any:
    """A comparison's difference, or what stands in its place: the reason it was skipped, or
    "not resolved at this gap: at most X" when its interval includes zero."""
    difference, high = _number(row.get("difference")), _number(row.get("high"))
    if difference is None:
        return _text(row.get("note")) or "not available"
    resolved = row.get("resolved")
    if is_blank(resolved) or not isinstance(resolved, bool | np.bool_):
        low = _number(row.get("low"))
        resolved = low is not None and high is not None and (low > 0 or high < 0)
    if bool(resolved):
        return difference
    most = "unknown" if high is None else money_text(high, currency)
    return f"not resolved at this gap: at most {most}"


def comparisons_section(comparisons: pd.DataFrame | None, currency: str) -> Section:
    """The headline rows of the counterfactuals (`scenario` "objective"): the difference of
    the minimised objectives and the interval the two solves' gaps leave."""
    title = "What the limits cost and the stockpiles are worth"
    if comparisons is None or not {"measure", "scenario"} <= set(comparisons.columns):
        return Section(title, notes=[NOT_ASKED])
    headline = comparisons["scenario"].map(_text) == "objective"
    for detail in ("consumer", "material"):  # rows per consumer or material are details
        if detail in comparisons.columns:
            headline &= comparisons[detail].map(_text) == ""
    frame = comparisons[headline]
    records = frame.to_dict("records")
    if not records:
        return Section(title, notes=["No comparison was solved (see comparisons)."])
    amounts = [r.get(c) for r in records for c in ("difference", "low", "high")]
    money, unit = money_scale(amounts, currency)
    rows = [[_text(r.get("measure")), _number(r.get("low")), _number(r.get("high")),
             comparison_reading(r, currency)] for r in records]
    return Section(f"{title} ({unit})", ["measure", "low", "high", "difference"],
                   rows, [None, money, money, money],
                   ["Limits: the objective with them minus without; stockpiles: without minus "
                    "with.", "low-high: where the two solves' gaps leave the difference."],
                   runs_on=True)


def _consumers(tables: Mapping[str, pd.DataFrame], countries: set[str]) -> list[str]:
    """Countries named as a consumer in a dependence limit or holding a stockpile."""
    named: list[str] = []
    for table, column in (("dependence", "consumer"), ("stockpiles", "country")):
        frame = tables.get(table)
        if frame is not None and column in frame.columns:
            named += [c for c in frame[column].map(_text) if c in countries]
    return list(dict.fromkeys(named))


def shortages_section(tables: Mapping[str, pd.DataFrame], horizon: str) -> Section:
    """Shortage summed over the horizon per material: each named consumer and the world, one
    column per scenario."""
    title = f"Shortage {horizon + ' ' if horizon else ''}in t, per consumer and scenario"
    frame = _clean(tables.get("shortages"), ["scenario", "country", "material"], ["shortage"])
    if frame is None or frame.empty:
        return Section(title, notes=["No demand to fall short of."])
    scenarios = list(dict.fromkeys(frame["scenario"]))
    shown = scenarios[:MAX_SCENARIO_COLUMNS]
    world = frame.groupby(["material", "scenario"])["shortage"].sum()
    per_consumer = _clean(tables.get("consumers"), ["consumer", "measure", "scenario",
                                                    "material"], ["plan"])
    if per_consumer is not None:  # a group named in a limit sums its members there
        short = per_consumer[per_consumer["measure"] == "shortage"]
        sums = short.groupby(["material", "consumer", "scenario"])["plan"].sum()
        consumers = list(dict.fromkeys(short["consumer"]))
        demanded = set(zip(short["material"], short["consumer"], strict=True))
    else:
        sums = frame.groupby(["material", "country", "scenario"])["shortage"].sum()
        consumers = _consumers(tables, set(frame["country"]))
        demanded = set(zip(frame["material"], frame["country"], strict=True))
    # the materials short in the world first
    materials = world.groupby(level=0).sum().sort_values(ascending=False, kind="stable").index
    rows = []
    for material in materials:
        for consumer in consumers:
            if (material, consumer) in demanded:
                rows.append([material, consumer,
                             *[sums.get((material, consumer, w), 0.0) for w in shown]])
        rows.append([material, "world", *[world.get((material, w), 0.0) for w in shown]])
    notes = _more(MAX_SHORTAGE_ROWS, len(rows), "shortages", "rows")
    notes += _more(len(shown), len(scenarios), "shortages", "scenarios")
    if not frame["shortage"].fillna(0).any():
        notes.insert(0, "No shortage in any scenario.")
    return Section(title, ["material", "consumer", *shown], rows[:MAX_SHORTAGE_ROWS],
                   [None, None, *["#,##0.0"] * len(shown)], notes)


def limits_section(dependence: pd.DataFrame | None, currency: str) -> Section:
    """The binding dependence limits, the dearest first: a limit's marginal cost is what one
    percentage point looser would save, summed over scenarios, its largest over the years."""
    title = "Binding limits: what one point looser saves"
    keys = ["consumer", "supplier", "material", "max_share"]
    frame = _clean(dependence, keys[:3], ["year", "max_share", "marginal_cost"])
    if frame is None or frame.empty or "binding" not in frame.columns:
        return Section(title, notes=["No dependence limits."])
    frame = frame.assign(binding=frame["binding"].map(
        lambda v: isinstance(v, bool | np.bool_) and bool(v)))
    per_year = frame.groupby([*keys, "year"], dropna=False, as_index=False).agg(
        binding=("binding", "any"), marginal_cost=("marginal_cost", lambda s: s.sum(min_count=1)))
    binding = per_year[per_year["binding"]]
    if binding.empty:
        return Section(title, notes=[f"No limit binds ({len(per_year)} limit-years)."])
    groups = [(run.iloc[0], years, _number(run["marginal_cost"].max()))
              for run, years in _runs(binding, keys)]
    groups.sort(key=lambda g: -g[2] if g[2] is not None else math.inf)
    money, unit = money_scale([g[2] for g in groups], currency)
    rows = [[r.consumer, r.supplier, r.material or "all materials", years, r.max_share, cost]
            for r, years, cost in groups[:MAX_LIMITS]]
    return Section(f"{title} ({unit} per point, the most over the years)",
                   ["consumer", "supplier", "material", "years", "max share",
                    "marginal cost"], rows, [None, None, None, None, SHARE, money],
                   _more(MAX_LIMITS, len(groups), "dependence", "binding"))


def cuts_section(disruptions: pd.DataFrame | None) -> Section:
    """Each export cut over its years: the reference it is measured against and the exports
    it allows."""
    title = "Export cuts: reference and allowance in t/yr"
    keys = ["scenario", "supplier", "to_country", "material", "cut", "reference", "allowance"]
    frame = _clean(disruptions, keys[:4], ["year", *keys[4:]])
    if frame is None or frame.empty:
        return Section(title, notes=["No export cut in any scenario."])
    runs = [(run.iloc[0], years) for run, years in _runs(frame, keys)]
    rows = [[r.scenario, r.supplier, r.to_country or "all", r.material, years, r.cut,
             r.reference, r.allowance] for r, years in runs[:MAX_CUTS]]
    return Section(title, ["scenario", "supplier", "to", "material", "years", "cut",
                           "reference", "allowance"], rows,
                   [None, None, None, None, None, SHARE, "#,##0.0", "#,##0.0"],
                   _more(MAX_CUTS, len(runs), "disruptions"))


def answer_page(summary: Mapping[str, Any], tables: Mapping[str, pd.DataFrame],
                run_info: Mapping[str, Any]) -> AnswerPage:
    currency = _text(summary.get("currency")) or "USD"
    source = _text(run_info.get("input_file"))
    return AnswerPage(
        f"The plan{' for ' + source if source else ''}, at a glance",
        [status_line(summary), cost_line(summary)],
        _text(summary.get("status")) not in ("optimal", "within_gap"),
        [builds_section(tables.get("builds"), summary, currency),
         comparisons_section(tables.get("comparisons"), currency),
         shortages_section(tables, _text(summary.get("horizon")))],
        [limits_section(tables.get("dependence"), currency),
         cuts_section(tables.get("disruptions"))])


# ---- layout and printing -------------------------------------------------------------------


def _shown_width(value: Any, num_format: str | None) -> int:
    """Characters `value` takes as shown in a cell of `num_format`."""
    number = _number(value) if not isinstance(value, str) else None
    if number is None:
        return len(_text(value))
    if num_format == SHARE:
        return 6
    if num_format == YEAR:
        return 4
    divisor = 1e6 if num_format and num_format.endswith(",,") else \
        1e3 if num_format and num_format.endswith(",") else 1.0
    return len(f"{number / divisor:,.1f}")


def stack_widths(sections: list[Section]) -> list[float]:
    """Column widths (characters) of a stack: the widest header or value in each column. A
    section's last column may hold text that runs on into the empty columns to its right
    (`runs_on`)."""
    widths: list[float] = []
    for s in sections:
        for j, header in enumerate(s.columns):
            values = [row[j] for row in s.rows]
            if s.runs_on and j == len(s.columns) - 1:
                values = [v for v in values if not isinstance(v, str)]
            shown = [_shown_width(v, s.formats[j]) for v in values]
            width = min(max([len(header), *shown]) + 2, MAX_WIDTH)
            if j < len(widths):
                widths[j] = max(widths[j], width)
            else:
                widths.append(width)
    return widths


def _stack_height(sections: list[Section]) -> int:
    return sum(s.height for s in sections) + len(sections) - 1


def print_scale(widths: list[float], rows: int) -> float:
    """The scale at which `rows` rows of the default height and columns of `widths` fit one
    A4 landscape page inside the margins (a column of w characters is 7w + 5 pixels)."""
    width = sum(7 * w + 5 for w in widths) * 0.75
    height = rows * ROW_POINTS + TITLE_POINTS
    page_width = PAGE_POINTS[0] - 72 * (MARGINS["left"] + MARGINS["right"])
    page_height = PAGE_POINTS[1] - 72 * (MARGINS["top"] + MARGINS["bottom"])
    return min(1.0, page_width / width, page_height / height)


def page_grid(page: AnswerPage) -> tuple[list[float], int]:
    """Column widths of the whole page (left stack, a gap, right stack) and its rows. Should
    codes be so long that the page would print below `MIN_SCALE`, the widest columns are
    narrowed (their cells cut short) until it does not."""
    left, right = stack_widths(page.left), stack_widths(page.right)
    rows = 1 + len(page.lines) + 1 + max(_stack_height(page.left), _stack_height(page.right))
    widths = [*left, GAP_COLUMN, *right]
    while print_scale(widths, rows) < MIN_SCALE and max(widths) > MIN_WIDTH:
        widest = max(widths) - 1
        widths = [min(w, widest) for w in widths]
    return widths, rows


class _Styles:
    """The answer page's own styles; number formats come from the workbook's `Formats`."""

    def __init__(self, wb: Workbook, fmt: Formats):
        header = {"bold": True, "bottom": 1, "bg_color": "#DDE3EE"}
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.section = wb.add_format({"bold": True, "font_color": "#1F3864"})
        self.header = wb.add_format(header)
        self.header_number = wb.add_format({**header, "align": "right"})
        self.note = wb.add_format({"italic": True, "font_color": "#595959"})
        self.indented = wb.add_format({"indent": 1})  # words among numbers
        self.warning = fmt.note
        self.number = fmt.get


def _write_section(ws: Worksheet, row: int, col: int, s: Section, style: _Styles) -> int:
    """Write `s` with its title at (row, col); return the row after it."""
    ws.write_string(row, col, s.title, style.section)
    row += 1
    if s.rows:
        for j, header in enumerate(s.columns):
            numeric = s.formats[j] is not None
            ws.write_string(row, col + j, header, style.header_number if numeric
                            else style.header)
        row += 1
        for values in s.rows:
            for j, value in enumerate(values):
                words = isinstance(value, str) and s.formats[j] is not None
                write_value(ws, row, col + j, value,
                            style.indented if words else style.number(s.formats[j]))
            row += 1
    for note in s.notes:
        ws.write_string(row, col, note, style.note)
        row += 1
    return row


def write_answer(wb: Workbook, ws: Worksheet, page: AnswerPage, fmt: Formats) -> None:
    """Lay `page` out on `ws` and set it up to print on one page."""
    style = _Styles(wb, fmt)
    widths, rows = page_grid(page)
    for j, width in enumerate(widths):
        ws.set_column(j, j, width)
    ws.write_string(0, 0, page.title, style.title)
    ws.set_row(0, TITLE_POINTS)
    for i, line in enumerate(page.lines, start=1):
        ws.write_string(i, 0, line, style.warning if page.warning and i == 1 else None)
    top = len(page.lines) + 2
    right = len(stack_widths(page.left)) + 1
    for sections, col in ((page.left, 0), (page.right, right)):
        row = top
        for s in sections:
            row = _write_section(ws, row, col, s, style) + 1
    ws.hide_gridlines(2)
    ws.print_area(0, 0, rows - 1, len(widths) - 1)
    set_printing(ws, pages_tall=1)
