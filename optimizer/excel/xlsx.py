"""The xlsx toolkit every workbook the tool writes shares: Excel Tables with units in header
comments, number formats by column name, values Excel can hold, legal unique sheet names."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_range
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from optimizer.errors import OutputError
from optimizer.solving.headline import HEADLINE, HEADLINE_UNITS
from optimizer.solving.results import UNITS

QUANTITY, MONEY, PRICE, SHARE, YEAR = "#,##0.0", "#,##0", "#,##0.00", "0.0%", "0"


EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_TEXT = 32_767
EXCEL_MAX_NUMBER = 9.99999999999999e307

# Every printed sheet: A4 landscape, these margins (inches), the sheet name and page number below.
A4 = 9  # Excel's paper code
MARGINS = {"left": 0.4, "right": 0.4, "top": 0.5, "bottom": 0.6}
FOOTER = "&L&A&RPage &P of &N"


class Formats:
    """One xlsxwriter Format per number format: Excel caps a workbook at 64,000 styles."""

    def __init__(self, wb: Workbook):
        self._wb = wb
        self._cache: dict[str, Format] = {}
        self.bold = wb.add_format({"bold": True})
        self.note = wb.add_format({"bold": True, "font_color": "#C00000"})

    def get(self, num_format: str | None) -> Format | None:
        if num_format is None:
            return None
        if num_format not in self._cache:
            self._cache[num_format] = self._wb.add_format({"num_format": num_format})
        return self._cache[num_format]


@dataclass(frozen=True)
class ColumnStyles:
    """Number formats and units of a table's own columns, over the shared ones by name."""

    formats: Mapping[str, str] = field(default_factory=dict)
    units: Mapping[str, str] = field(default_factory=dict)


def is_blank(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, str):
        return not value  # a blank cell, not one holding "" that ISBLANK calls filled
    return isinstance(value, float | np.floating) and math.isnan(value)


def write_value(ws: Worksheet, row: int, col: int, value: Any,
                 cell_format: Format | None = None) -> None:
    """Write one value by its type; text is always text (never a formula from `=...`)."""
    if is_blank(value):
        ws.write_blank(row, col, None, cell_format)
    elif isinstance(value, bool | np.bool_):
        ws.write_boolean(row, col, bool(value), cell_format)
    elif isinstance(value, int | float | np.integer | np.floating):
        ws.write_number(row, col, _excel_number(value), cell_format)
    elif isinstance(value, dt.date | dt.datetime):
        ws.write_string(row, col, value.isoformat(), cell_format)
    else:
        ws.write_string(row, col, str(value)[:EXCEL_MAX_TEXT], cell_format)


def _excel_number(value: float) -> float:
    """`value`, or +-inf (an error cell) beyond the largest number Excel holds."""
    try:
        number = float(value)
    except OverflowError:  # a Python int too large for a float
        number = math.inf if value > 0 else -math.inf
    return number if abs(number) <= EXCEL_MAX_NUMBER else math.copysign(math.inf, number)


def write_table(ws: Worksheet, row: int, col: int, frame: pd.DataFrame, name: str,
                 fmt: Formats, total_label: str | None = None,
                 styles: ColumnStyles | None = None) -> int:
    """Write `frame` as an Excel Table with its top-left at (row, col); return its last row.

    An empty frame gets one blank data row: Excel Tables need at least one. With
    `total_label`, a totals row sums every numeric column. `styles` gives columns the
    plan's vocabulary does not name their number formats and units.
    """
    headers = _headers(frame)
    if not headers:
        ws.write_string(row, col, "(no columns)")
        return row
    if row + len(frame) + 2 > EXCEL_MAX_ROWS:
        raise OutputError(f"table {name} has {len(frame):,} rows, more than an Excel sheet "
                          "holds; write fewer years, scenarios or countries")
    last = row + max(len(frame), 1) + (1 if total_label else 0)
    styles = styles or ColumnStyles()
    formats = [fmt.get(styles.formats.get(h, COLUMN_FORMATS.get(h))) for h in headers]
    columns = [{"header": h, "format": f} for h, f in zip(headers, formats, strict=True)]
    if total_label:
        _add_totals(columns, frame, total_label, (row + 1, last - 1, col))
    options = {"name": name, "columns": columns, "total_row": bool(total_label)}
    # add_table only warns and returns -2 on bad input (duplicate headers, bad name): a
    # workbook without its table would pass silently, so fail instead.
    if ws.add_table(row, col, last, col + len(headers) - 1, options) != 0:
        raise ValueError(f"cannot add Excel table {name} with columns {headers}")
    for j, (values, cell_format) in enumerate(zip(table_columns(frame), formats, strict=True)):
        for i, value in enumerate(values, start=row + 1):
            write_value(ws, i, col + j, value, cell_format)
    for j, h in enumerate(headers):
        if unit := styles.units.get(h, COLUMN_UNITS.get(h)):
            ws.write_comment(row, col + j, f"unit: {unit}")
    return last


_CONTROL = re.compile(r"[\x00-\x1f\x7f\ufffe\uffff]")


def _headers(frame: pd.DataFrame) -> list[str]:
    """Table headers: text, unique ignoring case (xlsxwriter refuses a table with twins)."""
    used: set[str] = set()
    # control characters would make the table's XML unreadable
    return [unique_name(_CONTROL.sub(" ", str(c)) or "column", used, 255) for c in frame.columns]


def table_columns(frame: pd.DataFrame) -> Iterator[list[Any]]:
    # tolist() gives Python scalars column by column: far faster than iterrows.
    for j in range(frame.shape[1]):
        yield frame.iloc[:, j].tolist()


def _add_totals(columns: list[dict[str, Any]], frame: pd.DataFrame, label: str,
                cells: tuple[int, int, int]) -> None:
    """A totals row: SUM over plain cell ranges (`cells`: first and last data row, first
    column), which every spreadsheet app evaluates; the table's own SUBTOTAL of a structured
    reference reads as Err:508 in LibreOffice."""
    first, last, col = cells
    columns[0]["total_string"] = label
    for j, (spec, (_, series)) in enumerate(zip(columns[1:], list(frame.items())[1:],
                                                strict=True), start=1):
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            # total_value is the cached result, shown by readers that do not recalculate.
            with np.errstate(over="ignore"):  # past the float range: inf, shown as 0 below
                total = float(series.sum())
            spec.update(total_function=f"=SUM({xl_range(first, col + j, last, col + j)})",
                        total_value=total if math.isfinite(total) else 0)


def _width(header: str, series: pd.Series) -> float:
    """Column width in characters: header plus room for the filter button, or the data."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        top = pd.to_numeric(series, errors="coerce").abs().max()  # NaN when all blank
        longest = len(f"{top:,.1f}") if pd.notna(top) and np.isfinite(top) else 8
    else:  # blank cells (None, NaN, NA) are empty: a column of them is not "None" wide
        longest = max((len(str(v)) for v in series.head(5000).tolist() if not is_blank(v)),
                      default=0)
    return min(max(len(header) + 4, longest + 2, 8), 50)


def write_table_sheet(ws: Worksheet, frame: pd.DataFrame, name: str, fmt: Formats,
                      styles: ColumnStyles | None = None) -> None:
    """`frame` as an Excel Table at the top left of `ws`, columns sized to fit, header frozen
    and printed atop every page."""
    write_table(ws, 0, 0, frame, name, fmt, styles=styles)
    for j, (header, (_, series)) in enumerate(zip(_headers(frame), frame.items(), strict=True)):
        ws.set_column(j, j, _width(header, series))
    ws.freeze_panes(1, 0)
    set_printing(ws, pages_tall=0, header_rows=1)


def set_printing(ws: Worksheet, pages_tall: int, header_rows: int = 0) -> None:
    """Print `ws` one page wide (never a table split by column) and `pages_tall` pages tall
    (0: as many as it takes), repeating its first `header_rows` rows on every page."""
    ws.set_landscape()
    ws.set_paper(A4)
    ws.set_margins(**MARGINS)
    ws.set_footer(FOOTER)
    ws.fit_to_pages(1, pages_tall)
    if header_rows:
        ws.repeat_rows(0, header_rows - 1)


def sheet_name(name: str) -> str:
    """A legal sheet name: Excel forbids []:*?/\\ and a leading or trailing apostrophe."""
    return re.sub(r"[\[\]:*?/\\]", "_", str(name)).strip("'")[:31] or "table"


def unique_name(name: str, used: set[str], limit: int) -> str:
    """`name`, or `name_2`, `name_3`, ... : Excel compares sheet and table names without case."""
    candidate, n = name[:limit], 1
    while candidate.lower() in used:
        n += 1
        suffix = f"_{n}"
        candidate = name[:limit - len(suffix)] + suffix
    used.add(candidate.lower())
    return candidate


HEADLINE_FORMATS = {"money": MONEY, "tonnes": QUANTITY, "count": "0"}  # by HeadlineColumn.kind
COLUMN_FORMATS: dict[str, str] = {
    **dict.fromkeys(["year", "online_from", "online_to", "input_row"], YEAR),
    **dict.fromkeys(["share", "max_share", "utilisation", "probability", "financing_rate",
                     "cut"], SHARE),
    **dict.fromkeys(["capex", "annuity", "financing_benefit", "cost", "transport_cost",
                     "tariff_cost", "discounted", "expected", "expected cost", "marginal_cost"],
                    MONEY),
    # Unit prices are small numbers; whole-currency rounding would hide their differences.
    "price": PRICE,
    **dict.fromkeys(["quantity", "capacity", "level", "acquisitions", "releases", "demand",
                     "shortage", "supply_from_supplier", "total_supply", "production",
                     "cover_days", "reference", "allowance", "exports"], QUANTITY),
    "discount_factor": "0.0000",
    # the headline columns of the sweep's runs and the batch summary
    **{name: HEADLINE_FORMATS[c.kind] for name, c in HEADLINE.items()
       if c.kind in HEADLINE_FORMATS},
}
COLUMN_UNITS = {**UNITS, **HEADLINE_UNITS}
