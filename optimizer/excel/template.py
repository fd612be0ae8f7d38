"""`optimizer template`: a blank, documented input workbook, generated from the schema.

Every contract sheet is an Excel Table with its header, formats and drop-downs over ROWS blank
rows. Drop-downs of codes read the sheets that define them through defined names, so they follow
what the user types. The hidden `lists` sheet holds the fixed lists and merges country and group
codes; it is not a contract sheet, so the reader ignores it.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from optimizer.contract.schema import (
    REF_SOURCES,
    SETTINGS,
    SHEETS,
    SHEETS_BY_NAME,
    Column,
    Kind,
    Ref,
    Sheet,
)
from optimizer.contract.wording import CONVENTIONS, default_text, plain, refers_to
from optimizer.excel.output import new_workbook

ROWS = 200  # blank table rows carrying formats and drop-downs (a table grows as one types)
LIST_ROWS = 1000  # codes per defining sheet that the merged country-or-group list covers
LISTS = "lists"
assert LISTS not in SHEETS_BY_NAME


def write_template(path: Path, force: bool = False) -> None:
    """Write the template to `path` atomically (temp file in the same folder, then rename);
    an existing file only with `force`: it may well be a filled-in workbook."""
    with new_workbook(path, replace=force) as wb:
        _build(wb)


def _build(wb: Workbook) -> None:
    lists = _Lists()
    _write_readme(wb)
    for sheet in SHEETS:
        _write_sheet(wb, sheet, lists)
    lists.write(wb)


# ---------------------------------------------------------------------------------------------
# README sheet


def _write_readme(wb: Workbook) -> None:
    ws = wb.add_worksheet("README")
    title = wb.add_format({"bold": True, "font_size": 14})
    heading = wb.add_format({"bold": True, "font_size": 12})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    for col, width in enumerate((18, 22, 60, 24, 36, 22, 30)):
        ws.set_column(col, col, width)
    ws.write(0, 0, "Critical-minerals supply optimizer: input workbook", title)
    ws.write(1, 0, "Fill the sheets, then run `optimizer validate` on this file and "
                   "`optimizer solve` to get a plan. Drop-downs offer the codes typed on the "
                   "sheets that define them (the hidden 'lists' sheet feeds them; leave it alone).")
    ws.write(3, 0, "Conventions", heading)
    for i, text in enumerate(CONVENTIONS):
        ws.write(4 + i, 0, "- " + plain(text))
    settings = [s.column for s in SETTINGS]
    tables = [  # "meaning" is always the third, wide column
        ("Sheets", "readme_sheets", ("sheet", "required", "meaning"),
         [[s.name, "yes" if s.required else "no", plain(s.description)] for s in SHEETS]),
        ("Columns", "readme_columns",
         ("sheet", "column", "meaning", "required / default", "allowed values", "unit",
          "refers to"),
         [[s.name, c.name, plain(c.description), plain(default_text(c)), c.expectation, c.unit,
           refers_to(c)] for s in SHEETS for c in s.columns]),
        ("Settings (one row each on the settings sheet)", "readme_settings",
         ("key", "required / default", "meaning", "allowed values", "unit"),
         [[c.name, plain(default_text(c)), plain(c.description), c.expectation, c.unit]
          for c in settings]),
    ]
    row = 5 + len(CONVENTIONS)
    for caption, name, header, rows in tables:
        ws.write(row, 0, caption, heading)
        last = row + 1 + len(rows)
        ws.add_table(row + 1, 0, last, len(header) - 1,
                     {"name": name, "style": "Table Style Light 9", "data": rows,
                      "columns": [{"header": h, "format": wrap} for h in header]})
        row = last + 3
    ws.activate()


# ---------------------------------------------------------------------------------------------
# Contract sheets


def _write_sheet(wb: Workbook, sheet: Sheet, lists: _Lists) -> None:
    ws = wb.add_worksheet(sheet.name)
    columns = []
    for col, column in enumerate(sheet.columns):
        spec: dict[str, Any] = {"header": column.name}
        if column.excel_format:
            spec["format"] = wb.add_format({"num_format": column.excel_format})
        columns.append(spec)
        ws.set_column(col, col, 30 if column.kind is Kind.TEXT else max(14, len(column.name) + 4))
        ws.write_comment(0, col, _comment(column), {"x_scale": 2.2, "y_scale": 1.6})
        rule = _rule(sheet.name, column, xl_rowcol_to_cell(1, col), lists)
        if rule:
            ws.data_validation(1, col, ROWS, col, rule)
    options: dict[str, Any] = {"name": sheet.name, "style": "Table Style Medium 2",
                               "columns": columns}
    if sheet.name == "settings":
        options["data"] = [[s.column.name, _literal_default(s.column)] for s in SETTINGS]
        for row, setting in enumerate(SETTINGS, 1):  # the value's rule depends on the key
            rule = _rule("", setting.column, xl_rowcol_to_cell(row, 1), lists)
            if rule:
                ws.data_validation(row, 1, row, 1, rule)
    ws.add_table(0, 0, ROWS, len(columns) - 1, options)
    ws.freeze_panes(1, 0)


def _comment(column: Column) -> str:
    lines = [plain(column.description)]
    if column.unit:
        lines.append(f"Unit: {column.unit}")
    lines += [f"Allowed: {column.expectation}", plain(default_text(column)).capitalize()]
    return "\n".join(lines)


def _literal_default(column: Column) -> Any:
    """A setting's pre-filled value: its default when that is a plain value, else blank."""
    return column.default if isinstance(column.default, bool | int | float | str) else None


# ---------------------------------------------------------------------------------------------
# Drop-downs and numeric checks


def _rule(sheet: str, column: Column, cell: str, lists: _Lists) -> dict[str, Any] | None:
    """The data validation of `column` (`cell` tops its range; `sheet` is "" for a setting)."""
    if (sheet, column.name) == ("settings", "key"):
        return _list(lists.fixed("setting", tuple(s.column.name for s in SETTINGS)), "stop",
                     "Pick a setting name from the list.")
    if column.ref is Ref.SHEET:
        return _list(lists.fixed("sheet", tuple(s.name for s in SHEETS)), "stop",
                     "Pick a sheet name from the list.")
    if column.ref is not None:
        where = " or ".join(sheet for sheet, _ in REF_SOURCES[column.ref])
        # a warning, not a stop: people fill sheets in any order and paste codes first
        return _list(lists.codes(column.ref), "warning",
                     f"Not a code on the {where} sheet yet; add it there.")
    if column.kind is Kind.CHOICE:
        return _list(lists.fixed("_".join(column.choices), column.choices), "stop",
                     f"Expected {column.expectation}.")
    if column.kind is Kind.BOOL:
        return _list(lists.fixed("bool", ("TRUE", "FALSE")), "stop", "Expected TRUE or FALSE.")
    if column.is_numeric:
        return _number(column, cell)
    return None


def _list(source: str, style: str, message: str) -> dict[str, Any]:
    return {"validate": "list", "source": source, "error_type": style,
            "error_message": message[:255]}


def _number(column: Column, cell: str) -> dict[str, Any]:
    whole = column.kind in (Kind.INTEGER, Kind.YEAR)
    lo, lo_strict = (column.gt, True) if column.gt is not None else (column.ge, False)
    hi, hi_strict = (column.lt, True) if column.lt is not None else (column.le, False)
    if whole and lo is not None and lo_strict:  # integers: x > 0 is x >= 1
        lo, lo_strict = math.floor(lo) + 1, False
    if whole and hi is not None and hi_strict:
        hi, hi_strict = math.ceil(hi) - 1, False
    rule: dict[str, Any] = {"validate": "integer" if whole else "decimal",
                            "error_type": "warning", "error_title": column.name[:32],
                            "error_message": f"Expected {column.expectation}."[:255]}
    if lo is not None and hi is not None:
        if lo_strict or hi_strict:  # Excel's "between" is inclusive at both ends
            tests = [f"{cell}{'>' if lo_strict else '>='}{lo:g}",
                     f"{cell}{'<' if hi_strict else '<='}{hi:g}"]
            return rule | {"validate": "custom",
                           "value": f"=AND(ISNUMBER({cell}),{','.join(tests)})"}
        return rule | {"criteria": "between", "minimum": lo, "maximum": hi}
    if lo is not None:
        return rule | {"criteria": ">" if lo_strict else ">=", "value": lo}
    if hi is not None:
        return rule | {"criteria": "<" if hi_strict else "<=", "value": hi}
    return rule | {"criteria": "between", "minimum": -1e15, "maximum": 1e15}


class _Lists:
    """Drop-down sources, each behind a defined name; written once every sheet asked for its."""

    def __init__(self) -> None:
        self._fixed: dict[str, tuple[str, ...]] = {}
        self._refs: list[Ref] = []

    def fixed(self, name: str, values: tuple[str, ...]) -> str:
        self._fixed[name] = values
        return f"=list_{name}"

    def codes(self, ref: Ref) -> str:
        if ref not in self._refs:
            self._refs.append(ref)
        return f"=list_{ref.name.lower()}"

    def write(self, wb: Workbook) -> None:
        ws = wb.add_worksheet(LISTS)
        ws.hide()
        col = 0
        for name, values in self._fixed.items():
            ws.write_string(0, col, name)
            for row, value in enumerate(values, 1):
                ws.write_string(row, col, value)
            letter = xl_col_to_name(col)
            wb.define_name(f"list_{name}", f"={LISTS}!${letter}$2:${letter}${len(values) + 1}")
            col += 1
        ranks: dict[tuple[str, str], str] = {}
        for ref in self._refs:
            sources = REF_SOURCES[ref]
            if len(sources) == 1:  # the defining column itself, as far down as it is filled
                sheet, letter = _source_column(sources[0])
                wb.define_name(f"list_{ref.name.lower()}",
                               f"=OFFSET({sheet}!${letter}$2,0,0,"
                               f"MAX(1,COUNTA({sheet}!${letter}:${letter})-1),1)")
                continue
            for source in sources:
                if source not in ranks:
                    ranks[source] = _write_ranks(ws, col, source)
                    col += 1
            count = _write_merged(ws, col, [(s, ranks[s]) for s in sources])
            letter = xl_col_to_name(col)
            wb.define_name(f"list_{ref.name.lower()}",
                           f"=OFFSET({LISTS}!${letter}$2,0,0,MAX(1,{count}),1)")
            col += 1


def _source_column(source: tuple[str, str]) -> tuple[str, str]:
    sheet, column = source
    return sheet, xl_col_to_name(SHEETS_BY_NAME[sheet].column_names.index(column))


def _write_ranks(ws: Worksheet, col: int, source: tuple[str, str]) -> str:
    """Number the distinct codes of a defining column 1, 2, ... (groups repeat per member);
    returns the helper column's letter."""
    sheet, src = _source_column(source)
    letter = xl_col_to_name(col)
    ws.write_string(0, col, f"{source[0]}.{source[1]} rank")
    for row in range(2, LIST_ROWS + 2):
        code = f"{sheet}!${src}${row}"
        ws.write_formula(row - 1, col,
                         f'=IF({code}="","",IF(COUNTIF({sheet}!${src}$2:${src}${row},{code})=1,'
                         f'MAX(${letter}$1:${letter}${row - 1})+1,""))', None, "")
    return letter


def _write_merged(ws: Worksheet, col: int, sources: list[tuple[tuple[str, str], str]]) -> str:
    """The distinct codes of every source, one after the other; returns their count formula.

    Cached values are "" (xlsxwriter's default 0 would show as a bogus code until Excel
    recalculates)."""
    last = LIST_ROWS + 1
    counts = [f"MAX({LISTS}!${rank}$2:${rank}${last})" for _, rank in sources]
    ws.write_string(0, col, "codes")
    for k in range(1, LIST_ROWS + 1):
        expr = '""'
        for i in reversed(range(len(sources))):
            (sheet, _), rank = sources[i]
            offset = "+".join(counts[:i]) or "0"
            src = _source_column(sources[i][0])[1]
            expr = (f"IF({k}<={offset}+{counts[i]},INDEX({sheet}!${src}$2:${src}${last},"
                    f"MATCH({k}-({offset}),{LISTS}!${rank}$2:${rank}${last},0)),{expr})")
        ws.write_formula(k, col, "=" + expr, None, "")
    return "+".join(counts)
