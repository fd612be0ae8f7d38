"""The plan workbook's `charts` sheet: what each chart shows (`chart_specs`, pure functions of
the plan's tables) and how it is drawn (`write_charts`, native charts reading `chart_data`).

The sheet has a section for the baseline (supply by origin, achieved share against each
limit, capacity by country, stockpile levels) and one per disruption scenario (supply by
origin and shortage by consumer in that scenario). A country has the same colour in every
chart (`optimizer.excel.palette`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import pandas as pd
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from models.data import BASELINE
from optimizer.excel.palette import colour
from optimizer.excel.xlsx import (
    COLUMN_FORMATS,
    YEAR,
    Formats,
    is_blank,
    set_printing,
    table_columns,
    write_value,
)
from optimizer.solving.results import UNITS

CHARTS_PER_KIND = 4
MAX_CAPACITY_CHARTS = 4
MAX_SCENARIO_SECTIONS = 4  # disruption scenarios charted: the first the tables list
SUPPLY_CHARTS_PER_SCENARIO = 3  # with the shortage chart, a 2 x 2 block per scenario
MAX_STACKED_SERIES = 8  # more stacked colours than this cannot be told apart: lump as "other"
MAX_LINE_SERIES = 8
SCENARIO_TABLES = ("sourcing", "shortages", "stockpiles")
LIMIT_COLOUR = "#404040"
DISRUPTION_DASHES = ("dash", "round_dot", "long_dash", "dash_dot")  # the baseline is solid

# Two charts per row, each 18 rows x 10 columns of the default grid, three rows a page.
# two rows of two charts fill an A4 landscape page at the scale that fits two charts wide
CHART_ROWS, CHART_COLUMNS, CHARTS_PER_ROW, CHART_ROWS_PER_PAGE = 19, 10, 2, 2


@dataclass
class ChartSpec:
    """One native chart: `data` is indexed by year, one column per series; `colours` maps a
    series to its colour (series not in it get the spreadsheet's own)."""

    title: str
    kind: str  # "stacked" (stacked columns) or "line"
    y_title: str
    data: pd.DataFrame
    y_format: str = "#,##0"
    dashes: dict[str, str] = field(default_factory=dict)  # series -> xlsxwriter dash_type
    colours: dict[str, str] = field(default_factory=dict)
    section: str = BASELINE  # the scenario whose part of the sheet the chart goes to
    topic: str = ""  # "supply", "share", "capacity", "stock" or "shortage"


def named(title: str, names: Mapping[str, str]) -> str:
    """A chart title with the codes it names replaced by their names (a person reads "NdPr
    oxide supply to United States", not "NDPR_OXIDE supply to USA")."""
    if not names:
        return title
    pattern = r"(?<![\w])(" + "|".join(map(re.escape, sorted(names, key=len, reverse=True))) \
        + r")(?![\w])"
    return re.sub(pattern, lambda match: names[match.group(1)], title)


def chart_specs(tables: Mapping[str, pd.DataFrame]) -> list[ChartSpec]:
    """Every chart of the sheet, the baseline's first, then each disruption scenario's."""
    specs = (supply_specs(tables, BASELINE) + dependence_specs(tables)
             + capacity_specs(tables) + stockpile_specs(tables))
    for scenario in disruption_scenarios(tables)[:MAX_SCENARIO_SECTIONS]:
        specs += supply_specs(tables, scenario)[:SUPPLY_CHARTS_PER_SCENARIO]
        specs += shortage_specs(tables, scenario)
    # No empty charts: a chart needs at least one year and one series.
    return [s for s in specs if not s.data.empty and s.data.shape[1] > 0]


def disruption_scenarios(tables: Mapping[str, pd.DataFrame]) -> list[str]:
    """Scenarios other than the baseline, in the order the charted tables list them."""
    names: dict[str, None] = {}
    for frame in (tables.get(name) for name in SCENARIO_TABLES):
        if frame is not None and "scenario" in frame.columns:
            names.update(dict.fromkeys(frame["scenario"].dropna().astype(str)))
    return [n for n in names if n != BASELINE]


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


def _by_country(data: pd.DataFrame) -> dict[str, str]:
    """Colours of series named by a country, group or origin class."""
    return {str(c): colour(str(c)) for c in data.columns}


def supply_specs(tables: Mapping[str, pd.DataFrame], scenario: str = BASELINE) -> list[ChartSpec]:
    """Stacked supply of the most important (consumer, material) pairs in one scenario, by
    origin class under the rule the `sourcing` table names for it."""
    sourcing = _frame(tables, "sourcing", ["scenario", "year", "country", "material",
                                           "origin", "rule", "quantity"])
    if sourcing is None:
        return []
    rows = sourcing[sourcing["scenario"] == scenario]
    totals = rows.groupby(["country", "material"])["quantity"].sum()
    years = sorted(rows["year"].unique())
    specs = []
    for country, material in _sourcing_pairs(totals[totals > 0], tables.get("dependence")):
        pair = rows[(rows["country"] == country) & (rows["material"] == material)]
        data = pair.pivot_table(index="year", columns="origin", values="quantity",
                                aggfunc="sum", fill_value=0).reindex(years, fill_value=0)
        data = _top_columns(data, MAX_STACKED_SERIES)
        specs.append(ChartSpec(f"{material} supply to {country} by {_split(pair, scenario)}",
                               "stacked", f"quantity ({_unit('quantity')})", data,
                               colours=_by_country(data), section=scenario, topic="supply"))
    return specs


def _split(pair: pd.DataFrame, scenario: str) -> str:
    """How a consumer's supply is split: by origin under the workbook's rule where origin is
    traced, by the country it came from where it is not."""
    rules = set(pair["rule"].dropna().astype(str))  # pandas 3 keeps NaN through astype(str)
    if rules <= {"shipper"}:
        return f"source country ({scenario})"
    return f"origin ({scenario}, {', '.join(sorted(rules - {'shipper'}))} rule)"


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


def shortage_specs(tables: Mapping[str, pd.DataFrame], scenario: str) -> list[ChartSpec]:
    """Shortage by consumer over the years in one scenario (none when nobody goes short)."""
    short = _frame(tables, "shortages", ["scenario", "year", "country", "material",
                                         "shortage"])
    if short is None:
        return []
    rows = short[short["scenario"] == scenario]
    years = sorted(rows["year"].unique())
    rows = rows[rows["shortage"] > 0]
    if rows.empty:
        return []
    several = rows["material"].nunique(dropna=False) > 1
    # one series per consumer, and per material where several go short
    series = _labels(rows["country"])
    if several:
        series += " " + _labels(rows["material"])
    data = rows.assign(series=series).pivot_table(
        index="year", columns="series", values="shortage", aggfunc="sum",
        fill_value=0).reindex(years, fill_value=0)
    data = _top_columns(data, MAX_STACKED_SERIES)
    colours = {name: colour(name.split(" ")[0]) for name in map(str, data.columns)}
    what = "" if several else f" of {rows['material'].iloc[0]}"
    return [ChartSpec(f"Shortage{what} by consumer ({scenario})", "stacked",
                      f"shortage ({_unit('shortage')})", data, colours=colours,
                      section=scenario, topic="shortage")]


def _labels(codes: pd.Series) -> pd.Series:
    """Codes as series labels: a blank code would drop its rows from a pivot."""
    return codes.astype(object).where(codes.notna(), "(blank)").astype(str)


def dependence_specs(tables: Mapping[str, pd.DataFrame]) -> list[ChartSpec]:
    dep = _frame(tables, "dependence", ["consumer", "supplier", "material", "year",
                                        "max_share", "share"])
    if dep is None:
        return []
    if "scenario" in dep.columns:
        dep = dep[dep["scenario"] == BASELINE]
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
                               dashes={"max share (limit)": "dash"},
                               colours={"achieved share": colour(str(supplier)),
                                        "max share (limit)": LIMIT_COLOUR}, topic="share"))
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
        data = _top_columns(data, MAX_STACKED_SERIES)
        specs.append(ChartSpec(f"Capacity of {tech} by country", "stacked",
                               f"capacity ({UNITS['capacity']})", data,
                               colours=_by_country(data), topic="capacity"))
    return specs


def stockpile_specs(tables: Mapping[str, pd.DataFrame]) -> list[ChartSpec]:
    """Stock levels, a chart per stockholding country (the largest stocks first), a line per
    material and scenario in the material's colour, each disruption scenario in a dash of
    its own. One chart for every holder would crowd its legend until the plot vanished."""
    st = _frame(tables, "stockpiles", ["scenario", "year", "country", "material", "level"])
    if st is None:
        return []
    data = st.pivot_table(index="year", columns=["country", "material", "scenario"],
                          values="level", aggfunc="sum")
    peaks = data.max()
    # Stockpiles never filled draw as flat zero lines that hide the ones that matter.
    peaks = peaks[peaks > 0]
    holders = peaks.groupby(level="country").max().sort_values(ascending=False).index
    dash_of = {w: DISRUPTION_DASHES[i % len(DISRUPTION_DASHES)]
               for i, w in enumerate(disruption_scenarios(tables))}
    return [_stock_chart(data[country], peaks[country], dash_of, str(country))
            for country in holders[:CHARTS_PER_KIND]]


def _stock_chart(data: pd.DataFrame, peaks: pd.Series, dash_of: Mapping[str, str],
                 country: str) -> ChartSpec:
    chosen = peaks.sort_values(ascending=False).index[:MAX_LINE_SERIES]
    data = data[chosen]
    materials = {m for m, _ in data.columns}
    # one material stocked: named once in the title, keeping the legend short
    one = next(iter(materials)) if len(materials) == 1 else None
    names = [w if one else f"{m} ({w})" for m, w in data.columns]
    colours, dashes = {}, {}
    for name, (material, scenario) in zip(names, data.columns, strict=True):
        colours[name] = colour(str(material))
        if scenario in dash_of:
            dashes[name] = dash_of[scenario]
    data.columns = names
    title = f"Stockpile levels of {one} in {country}" if one \
        else f"Stockpile levels in {country}"
    return ChartSpec(title, "line", f"level ({_unit('level')})", data, dashes=dashes,
                     colours=colours, topic="stock")


# ---- drawing ---------------------------------------------------------------------------------


def write_charts(wb: Workbook, charts: Worksheet, data_ws: Worksheet,
                 tables: Mapping[str, pd.DataFrame], fmt: Formats,
                 names: Mapping[str, str] = MappingProxyType({})) -> None:
    specs = [_with_names(spec, names) for spec in chart_specs(tables)]
    charts.write_string(0, 0, "Charts (their data are on the chart_data sheet)" if specs
                        else "No data to chart", fmt.bold)
    data_ws.set_column(0, 0, 10)
    layout = chart_layout([s.section for s in specs])
    # Printed (or exported to PDF) two charts wide, a page per two rows of charts and
    # each scenario's section on a page of its own.
    set_printing(charts, pages_tall=0)
    set_printing(data_ws, pages_tall=0)
    if layout.breaks:
        charts.set_h_pagebreaks(layout.breaks)
    for row, section in layout.headings:
        charts.write_string(row, 0, section_title(section, specs), fmt.bold)
    row = 0
    for spec, (chart_row, chart_col) in zip(specs, layout.places, strict=True):
        first, series = _write_chart_data(data_ws, row, spec, fmt)
        chart = _make_chart(wb, spec, data_ws.get_name(), first, first + len(spec.data) - 1,
                            series)
        charts.insert_chart(chart_row, chart_col, chart)
        row = first + len(spec.data) + 2


def section_title(section: str, specs: list[ChartSpec]) -> str:
    if section == BASELINE:
        return "Baseline: the plan without disruption"
    title = f"Scenario {section}: supply by origin and shortage by consumer"
    if not any(s.section == section and s.topic == "shortage" for s in specs):
        title += " (no consumer goes short in this scenario)"
    return title


@dataclass
class Layout:
    places: list[tuple[int, int]]  # (row, column) of each chart's top left
    headings: list[tuple[int, str]]  # (row, section) above each section's charts
    breaks: list[int]  # rows a printed page starts at


def chart_layout(sections: list[str]) -> Layout:
    """Charts two per row under a heading per section (consecutive charts of one section)."""
    layout = Layout([], [], [])
    row, in_row, rows_on_page = 2, 0, 0  # below the sheet's title and a blank row
    for i, section in enumerate(sections):
        if i == 0 or section != sections[i - 1]:
            if i:
                row += CHART_ROWS
                layout.breaks.append(row)
            layout.headings.append((row, section))
            row, in_row, rows_on_page = row + 1, 0, 1
        elif in_row == CHARTS_PER_ROW:
            row, in_row, rows_on_page = row + CHART_ROWS, 0, rows_on_page + 1
            if rows_on_page > CHART_ROWS_PER_PAGE:
                layout.breaks.append(row)
                rows_on_page = 1
        layout.places.append((row, in_row * CHART_COLUMNS))
        in_row += 1
    return layout


def _with_names(spec: ChartSpec, names: Mapping[str, str]) -> ChartSpec:
    """The spec with codes replaced by names in its title and series (colours follow)."""
    renamed = {str(c): named(str(c), names) for c in spec.data.columns}
    if len(set(renamed.values())) < len(renamed):  # two codes with one name: keep the codes
        renamed = {c: c for c in renamed}
    spec.title = named(spec.title, names)
    spec.data = spec.data.rename(columns=lambda c: renamed[str(c)])
    spec.colours = {renamed.get(k, k): v for k, v in spec.colours.items()}
    spec.dashes = {renamed.get(k, k): v for k, v in spec.dashes.items()}
    return spec


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
        colour_of = spec.colours.get(name)
        if stacked:
            options.update(_column_style(colour_of))
        else:
            options.update(_line_style(spec.dashes.get(name), colour_of))
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


def _column_style(colour_of: str | None) -> dict[str, Any]:
    return {} if colour_of is None else {"fill": {"color": colour_of},
                                         "border": {"color": colour_of}}


def _line_style(dash: str | None, colour_of: str | None) -> dict[str, Any]:
    line: dict[str, Any] = {"width": 2 if dash else 2.25}
    if colour_of is not None:
        line["color"] = colour_of
    if dash:
        return {"smooth": False, "line": {**line, "dash_type": dash},
                "marker": {"type": "none"}}
    # Markers keep a series with a single year visible.
    marker: dict[str, Any] = {"type": "circle", "size": 5}
    if colour_of is not None:
        marker.update(fill={"color": colour_of}, border={"color": colour_of})
    return {"smooth": False, "line": line, "marker": marker}
