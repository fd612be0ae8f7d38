"""Fuzzing the reader and validator with workbooks drawn from the schema (hypothesis).

`valid_books` draws a small consistent world of codes, then every sheet, column, kind, bound,
default and reference that `optimizer.contract.schema` declares, laid out as people lay
workbooks out: columns in any order, optional ones left out, headers in any case, blank rows
above and inside the table, numbers typed as text. `cases` pairs each valid book with a twin
in which one cell is broken, and knows the sheet, Excel row and column the validator must
name.

Every valid book must validate and read back as drawn; every broken one must be an input error
(exit 3) naming its cell; nothing may raise anything else. The `ci` profile (conftest) runs
200 examples; `python -m pytest tests/test_fuzz.py --hypothesis-profile=long` runs 10,000.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from conftest import run_cli, write_workbook
from hypothesis import given, note, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ERROR_CODES

from optimizer.contract.inputs import ROW
from optimizer.contract.scaling import scaling_warnings
from optimizer.contract.schema import (
    BASELINE,
    COMPARE_CHOICES,
    MAX_MAGNITUDE,
    REF_SOURCES,
    SETTINGS,
    SETTINGS_BY_NAME,
    SHEETS,
    SHEETS_BY_NAME,
    UNLIMITED,
    YEAR_SPANS,
    Column,
    FromSetting,
    Kind,
    Ref,
)
from optimizer.contract.slips import slip_warnings
from optimizer.contract.validate import choose_routes, horizon_warnings, load_inputs
from optimizer.contract.variations import FIXED_PER_PROCESS
from optimizer.errors import ExitCode, InputError
from optimizer.excel.sheets import write_sheets

Record = dict[str, Any]
Draw = Callable[[st.SearchStrategy[Any]], Any]
Edit = tuple[str, int, int, str, Any]  # sheet, Excel row, column number, "error"/"formula", value

# ---------------------------------------------------------------------------------------------
# Cell contents

# Anything a cell can hold: XML has no control characters, and surrogates cannot be encoded.
CELL_CHARS = st.characters(codec="utf-8",
                           exclude_categories=("Cc", "Cs", "Cn", "Co", "Zl", "Zp"))
# Codes that readers are known to turn into missing values, booleans, numbers or errors.
TRICKY_CODES = ("NA", "N/A", "#NA", "NULL", "None", "nan", "TRUE", "false", "0", "007", "1e5",
                "-", "Ω", "稀土", "🦄", "Côte", "O'Brien")
NON_ASCII = ("🦄", "稀土", "עברית", "العربية", "e\u0301", "\u200d", "\u200f", "\u202eRTL",
             "Ñandú", "🇨🇳", "👩\u200d🔬", "ß", "İ")
BLANKS = (None, "", " ", "   ", "\t", "\u00a0", "\u3000")
BOOL_FORMS = {True: (True, "TRUE", "true", "Yes", "y", "1", 1, "on", " yes "),
              False: (False, "FALSE", "false", "No", "n", "0", 0, "off", " no ")}
HUGE = (1e15, -1e15, 1e16, 1e308, -1e308, sys.float_info.max, "1e15", "1e400", "-1e400", "inf",
        "-inf", "Infinity", "NaN", "nan", "1e999%")
# Letters that make text no number (unlike e, as in 1e5) and start no true/false word or choice.
NOT_A_NUMBER = "abdghkqxzñßΩЖ稀"
FORMULAS = ("=1+1", "=A1", "=SUM(1,2)", '="x"', "=NOW()", "=1/0")


def _writable(text: str) -> bool:
    # Writers store text starting with "=" or "{=" as a formula, and openpyxl stores "#N/A"
    # and the like as error values, as Excel does when they are typed.
    return bool(text) and not text.startswith(("=", "{")) and text not in ERROR_CODES


codes = st.one_of(st.sampled_from(TRICKY_CODES),
                  st.text(CELL_CHARS, min_size=1, max_size=6).map(str.strip).filter(_writable))
texts = st.text(CELL_CHARS, min_size=1, max_size=12).map(str.strip).filter(_writable)


def in_bounds(column: Column, x: float) -> bool:
    """The schema's bounds, and the magnitude every number must stay under."""
    return (abs(x) < MAX_MAGNITUDE
            and (column.ge is None or x >= column.ge) and (column.gt is None or x > column.gt)
            and (column.le is None or x <= column.le) and (column.lt is None or x < column.lt))


def _short(x: float) -> float:
    # Excel keeps 15 significant digits; a float needing 17 would not survive the file
    return float(f"{x:.12g}")


def _whole_range(column: Column) -> tuple[int, int]:
    cap = int(MAX_MAGNITUDE) - 1
    lo = (math.ceil(column.ge) if column.ge is not None
          else math.floor(column.gt) + 1 if column.gt is not None else -cap)
    hi = (math.floor(column.le) if column.le is not None
          else math.ceil(column.lt) - 1 if column.lt is not None else cap)
    return max(lo, -cap), min(hi, cap)


def numbers(column: Column) -> st.SearchStrategy[float]:
    """Numbers the column accepts: its edges, whole numbers and short fractions between."""
    whole = st.integers(*_whole_range(column))
    if column.kind in (Kind.INTEGER, Kind.YEAR):
        return whole
    top = MAX_MAGNITUDE * 0.999  # rounding a float nearer the limit could reach it
    lo = max(x for x in (column.ge, column.gt, -top) if x is not None)
    hi = min(x for x in (column.le, column.lt, top) if x is not None)
    fractions = st.floats(lo, hi, exclude_min=lo == column.gt, exclude_max=hi == column.lt
                          ).map(_short).filter(lambda x: in_bounds(column, x))
    edges = [b for b in (column.ge, column.le) if b is not None]
    return st.one_of(st.sampled_from(edges), whole, fractions) if edges else whole | fractions


def outside(column: Column) -> st.SearchStrategy[float]:
    """Numbers just or far outside the column's bounds (still short of the magnitude limit)."""
    top = MAX_MAGNITUDE * 0.99
    if column.kind in (Kind.INTEGER, Kind.YEAR):
        lo, hi = _whole_range(column)
        return st.integers(-int(top), lo - 1) | st.integers(hi + 1, int(top))
    lo = next((b for b in (column.ge, column.gt) if b is not None), None)
    hi = next((b for b in (column.le, column.lt) if b is not None), None)
    sides = []
    if lo is not None:  # an inclusive bound itself is inside: step off it
        sides.append(st.floats(-top, lo).map(lambda x: _off(column, _short(x), lo - 1)))
    if hi is not None:
        sides.append(st.floats(hi, top).map(lambda x: _off(column, _short(x), hi + 1)))
    return st.one_of(sides)


def _off(column: Column, x: float, instead: float) -> float:
    return instead if in_bounds(column, x) else x


# ---------------------------------------------------------------------------------------------
# A world of codes, and the typed records of every sheet

DEFINING = tuple(dict.fromkeys(pair for sources in REF_SOURCES.values() for pair in sources))


@dataclass
class Table:
    columns: list[str]  # schema names, in the order written
    records: list[Record]  # typed values of the written columns; None is blank


@dataclass
class World:
    defined: dict[tuple[str, str], list[str]]  # (sheet, column) -> codes it defines

    def known(self, ref: Ref) -> list[str]:
        if ref is Ref.SHEET:
            return list(SHEETS_BY_NAME)
        return [c for source in REF_SOURCES[ref] for c in self.defined[source]]


@st.composite
def worlds(draw: Draw) -> World:
    """Codes for each defining column: one pool, so a group never shares a country's code,
    and no two codes differ only by case (the validator refuses such twins)."""
    sizes = [draw(st.integers(1 if SHEETS_BY_NAME[s].required else 0, 3)) for s, _ in DEFINING]
    pool = draw(st.lists(codes.filter(lambda c: c.lower() != BASELINE), min_size=sum(sizes),
                         max_size=sum(sizes), unique_by=str.lower))
    defined, start = {}, 0
    for source, size in zip(DEFINING, sizes, strict=True):
        defined[source] = pool[start:start + size]
        start += size
    return World(defined)


def values(column: Column, world: World) -> st.SearchStrategy[Any]:
    """Typed values a cell of `column` may hold (None: blank, where the column allows it)."""
    if column.ref is not None:
        present = st.sampled_from(world.known(column.ref))
    elif column.kind is Kind.CODE:
        present = codes
    elif column.name == "compare":  # comma-separated words from a fixed list
        present = st.lists(st.sampled_from(COMPARE_CHOICES), min_size=1, max_size=3).map(
            ", ".join)
    elif column.kind in (Kind.TEXT, Kind.LIST):
        present = texts
    elif column.kind is Kind.CHOICE:
        present = st.sampled_from(column.choices)
    elif column.kind is Kind.BOOL:
        present = st.booleans()
    else:
        present = numbers(column)
    return present if column.required else st.none() | present


def column_of(sheet: str, record: Record, name: str) -> Column:
    """A settings row's value is typed by its setting; every other cell by its column."""
    if sheet == "settings" and name == "value":
        return SETTINGS_BY_NAME[record["key"]]
    return SHEETS_BY_NAME[sheet].column(name)


def effective(column: Column, value: Any, given: dict[str, Any]) -> Any:
    """What a cell means once its default is applied (the schema's sentinels)."""
    if value is not None:
        return value
    if isinstance(column.default, FromSetting):
        return given.get(column.default.setting)
    if column.default is UNLIMITED:
        return math.inf
    return column.default if isinstance(column.default, str | int | float) else None


def settings_in_effect(table: Table) -> dict[str, Any]:
    given = {r["key"]: r["value"] for r in table.records if r["value"] is not None}
    plain = {s.column.name: effective(s.column, given.get(s.column.name), given)
             for s in SETTINGS if not isinstance(s.column.default, FromSetting)}
    return {s.column.name: effective(s.column, given.get(s.column.name), plain)
            for s in SETTINGS}


@st.composite
def settings_table(draw: Draw, world: World) -> Table:
    records = [{"key": s.column.name, "value": draw(values(s.column, world))}
               for s in SETTINGS if s.column.required or draw(st.booleans())]
    by_key = {r["key"]: r for r in records}
    first, last = sorted((by_key["first_year"]["value"], by_key["last_year"]["value"]))
    by_key["first_year"]["value"], by_key["last_year"]["value"] = first, min(last, first + 199)
    return Table(["key", "value"], draw(st.permutations(records)))


@st.composite
def sheet_table(draw: Draw, name: str, world: World) -> Table:
    sheet = SHEETS_BY_NAME[name]
    optional = [c.name for c in sheet.columns if not c.required]
    kept = set(draw(st.sets(st.sampled_from(optional)))) if optional else set()
    columns = draw(st.permutations([c.name for c in sheet.columns
                                    if c.required or c.name in kept]))
    records = [_record(draw, sheet.name, columns, world, fixed)
               for fixed in _record_seeds(draw, name, columns, world)]
    return Table(list(columns), records)


def _record_seeds(draw: Draw, name: str, columns: list[str], world: World) -> list[Record]:
    """Defining sheets hold a row per code they define (a membership sheet one or two)."""
    sheet = SHEETS_BY_NAME[name]
    source = next(((s, c) for s, c in DEFINING if s == name), None)
    if source is not None:
        per_code = 2 if len(sheet.key) > 1 else 1
        return [{source[1]: code} for code in world.defined[source]
                for _ in range(draw(st.integers(1, per_code)))]
    unusable = any(c.required and c.ref and not world.known(c.ref) for c in sheet.columns)
    count = 0 if unusable else draw(st.integers(1 if sheet.required else 0, 3))
    return [{} for _ in range(count)]


def _record(draw: Draw, sheet: str, columns: list[str], world: World, fixed: Record) -> Record:
    schema = SHEETS_BY_NAME[sheet]
    return {c: fixed[c] if c in fixed else draw(values(schema.column(c), world))
            for c in columns}


# ---------------------------------------------------------------------------------------------
# Rules across sheets that the schema cannot state; the validator checks each of them


def _dedupe(name: str, table: Table, given: dict[str, Any]) -> None:
    sheet, seen, kept = SHEETS_BY_NAME[name], set(), []
    for record in table.records:
        key = tuple(effective(sheet.column(c), record.get(c), given) for c in sheet.key)
        if key not in seen:
            seen.add(key)
            kept.append(record)
    table.records = kept


def _main_outputs(tables: dict[str, Table]) -> None:
    """Every technology has a recipe row for its output, with output = 1."""
    recipes = tables["recipes"]
    if "output" not in recipes.columns:
        recipes.columns.append("output")
    for tech in tables["technologies"].records:
        key = (tech["technology"], tech["output"])
        row = next((r for r in recipes.records if (r["technology"], r["material"]) == key), None)
        if row is None:
            row = {c: None for c in recipes.columns} | dict(zip(("technology", "material"), key,
                                                                strict=True))
            recipes.records.append(row)
        row["output"] = 1


def _shortage_costs(tables: dict[str, Table]) -> None:
    """A material without a shortage cost needs the default one."""
    materials = tables["materials"].records
    if all(m.get("shortage_cost") is not None for m in materials):
        return
    rows = tables["settings"].records
    row = next((r for r in rows if r["key"] == "default_shortage_cost"), None)
    if row is None:
        rows.append(row := {"key": "default_shortage_cost"})
    if row.get("value") is None:
        row["value"] = 1000


def _year_pairs(tables: dict[str, Table], given: dict[str, Any]) -> None:
    """The first year of a pair is not after the last (defaults included)."""
    for name, lo, hi in YEAR_SPANS:
        table = tables.get(name)
        sheet = SHEETS_BY_NAME[name]
        for r in table.records if table else []:
            a = effective(sheet.column(lo), r.get(lo), given)
            b = effective(sheet.column(hi), r.get(hi), given)
            if a is None or b is None or a <= b:
                continue
            if hi in table.columns:
                r[hi] = a
            else:  # the last year is a default: move the first year back to it
                r[lo] = b


def _stockpiles(tables: dict[str, Table]) -> None:
    """Initial stock and least level within the capacity, and a cover in days only for a
    material nobody demands (the level it asks follows demand, which may outgrow any
    capacity): a cover beyond the capacity is a problem of the input (`validate` exit 3)."""
    table = tables.get("stockpiles")
    demanded = {r.get("material") for r in tables["demand"].records}
    for r in table.records if table else []:
        for column in ("initial", "min_level"):
            if r.get(column) is not None and r[column] > r["capacity"]:
                r[column] = r["capacity"]
        if r.get("min_cover_days") and r.get("material") in demanded:
            r["min_cover_days"] = 0


def _demand_growth(tables: dict[str, Table]) -> None:
    """Growth runs from a row's year: a blank-year row (every year) has none."""
    for r in tables["demand"].records:
        if r.get("year") is None and r.get("growth") is not None:
            r["growth"] = None


def _scenarios(tables: dict[str, Table]) -> None:
    """Probabilities stay far enough under 1 that a duplicated row keeps them under it."""
    table = tables.get("scenarios")
    for r in table.records if table else []:
        r["probability"] = min(r["probability"], 0.25)


def _routes(tables: dict[str, Table]) -> None:
    """No two routes rows as specific as each other on one route (through groups that share a
    country, say): neither could win, and the validator refuses the second."""
    table = tables.get("routes")
    if not table:
        return
    groups: dict[str, tuple[str, ...]] = {}
    for r in tables["groups"].records if "groups" in tables else []:
        groups[r["group"]] = (*groups.get(r["group"], ()), r["country"])
    materials = [r["material"] for r in tables["materials"].records]
    kept: list[Record] = []
    for record in table.records:
        rows = [{"material": None, **r, ROW: i} for i, r in enumerate([*kept, record])]
        if not choose_routes(rows, groups, materials)[1]:
            kept.append(record)
    table.records[:] = kept


def _sweeps(draw: Draw, tables: dict[str, Table]) -> None:
    """A sweep varies a numeric setting, or a numeric column of a sheet that has rows, on every
    row (blank `where`), to values the column accepts (scaling by 1 keeps each in range)."""
    table = tables.get("sweeps")
    for r in table.records if table else []:
        if r["sheet"] == "settings":
            numeric = [c for c in SETTINGS_BY_NAME.values()
                       if c.is_numeric and c.name not in FIXED_PER_PROCESS]
        else:
            if not any(c.is_numeric for c in SHEETS_BY_NAME[r["sheet"]].columns) or \
                    not (r["sheet"] in tables and tables[r["sheet"]].records):
                r["sheet"] = "demand"  # required: it has rows
            numeric = [c for c in SHEETS_BY_NAME[r["sheet"]].columns if c.is_numeric]
        column = draw(st.sampled_from(numeric))
        r["column"], r["where"] = column.name, None
        if r["mode"] == "scale":
            r["values"] = "1"
        else:
            picked = draw(st.lists(numbers(column), min_size=1, max_size=3))
            r["values"] = ", ".join(map(str, picked))


@st.composite
def valid_tables(draw: Draw) -> dict[str, Table]:
    world = draw(worlds())
    tables = {"settings": draw(settings_table(world))}
    for sheet in SHEETS:
        if sheet.name == "settings":
            continue
        defines = any(s == sheet.name for s, _ in DEFINING)
        if sheet.required or (world.defined.get((sheet.name, sheet.key[0])) if defines
                              else draw(st.integers(0, 2)) == 0):
            tables[sheet.name] = draw(sheet_table(sheet.name, world))
    given = settings_in_effect(tables["settings"])
    for name, table in tables.items():
        _dedupe(name, table, given)
    _main_outputs(tables)
    _shortage_costs(tables)
    given = settings_in_effect(tables["settings"])
    _year_pairs(tables, given)
    _stockpiles(tables)
    _demand_growth(tables)
    _scenarios(tables)
    _routes(tables)
    _sweeps(draw, tables)
    for name, table in tables.items():
        _dedupe(name, table, given)
    return tables


# ---------------------------------------------------------------------------------------------
# Laying records out as cells


@dataclass
class Book:
    tables: dict[str, Table]
    rows: dict[str, list[list[Any]]] = field(default_factory=dict)  # [0] is Excel row 1
    at: dict[str, list[int]] = field(default_factory=dict)  # Excel row of each record
    offset: dict[str, int] = field(default_factory=dict)  # blank columns left of the table
    edits: list[Edit] = field(default_factory=list)  # error cells and formulas

    @property
    def given(self) -> dict[str, Any]:
        return settings_in_effect(self.tables["settings"])

    def put(self, sheet: str, row: int, column: str, value: Any) -> None:
        self.rows[sheet][row - 1][self.position(sheet, column)] = value

    def position(self, sheet: str, column: str) -> int:
        return self.offset[sheet] + self.tables[sheet].columns.index(column)


def spellings(name: str) -> st.SearchStrategy[str]:
    """How a header or setting name may be typed: any case, stray spaces."""
    return st.sampled_from((name, name.upper(), name.title(), f" {name} "))


def forms(column: Column, value: Any) -> st.SearchStrategy[Any]:
    """Cells that mean `value`: a number as text with separators, a share as a percentage."""
    if value is None:
        return st.sampled_from(BLANKS)
    if column.kind is Kind.BOOL:
        return st.sampled_from(BOOL_FORMS[value])
    if column.kind is Kind.CHOICE:
        return st.sampled_from((value, value.upper(), value.title(), f" {value} "))
    if isinstance(value, str):
        return st.sampled_from((value, f" {value} ", f"{value}  "))
    if isinstance(value, bool) or not math.isfinite(value):
        return st.just(value)
    text = [value, str(value), format(value, ","), f" {value} "]
    if isinstance(value, int):
        text.append(float(value))
    if column.kind is Kind.SHARE and round(value * 100) == value * 100:
        text.append(f"{round(value * 100)}%")
    return st.sampled_from(text)


@st.composite
def books(draw: Draw, tables: dict[str, Table]) -> Book:
    book = Book(tables)
    for name, table in tables.items():
        book.offset[name] = draw(st.sampled_from((0, 0, 0, 1)))
        pad = [None] * book.offset[name]
        rows: list[list[Any]] = [[] for _ in range(draw(st.sampled_from((0, 0, 0, 1, 2))))]
        rows.append(pad + [draw(spellings(c)) for c in table.columns])
        book.at[name] = []
        for record in table.records:
            if draw(st.integers(0, 9)) == 0:  # a blank row inside the table
                rows.append(draw(st.sampled_from(([], [" "] * len(table.columns)))))
            rows.append(pad + [draw(_cell(name, record, c)) for c in table.columns])
            book.at[name].append(len(rows))
        book.rows[name] = rows
    return book


def _cell(sheet: str, record: Record, column: str) -> st.SearchStrategy[Any]:
    if sheet == "settings" and column == "key":
        return spellings(record["key"])
    return forms(column_of(sheet, record, column), record.get(column))


@st.composite
def valid_books(draw: Draw) -> Book:
    return draw(books(draw(valid_tables())))


def write_book(book: Book, path: Path, broken: bool) -> Path:
    """A valid book through the project's writer (xlsxwriter); a broken one through openpyxl,
    which can also write what xlsxwriter cannot (error cells, formulas without a cached value,
    dates). Two producers of the XML the reader must read."""
    if not broken:
        return write_sheets(path, book.rows)
    return write_workbook(path, book.rows, lambda wb: _apply(wb, book.edits))


def _apply(wb: openpyxl.Workbook, edits: list[Edit]) -> None:
    for sheet, row, col, how, value in edits:
        cell = wb[sheet].cell(row, col)
        cell.value = value  # openpyxl writes a formula with no cached value
        if how == "error":
            cell.data_type = "e"  # an error value, as Excel stores one


# ---------------------------------------------------------------------------------------------
# One broken cell


@dataclass(frozen=True)
class Break:
    kind: str
    sheet: str
    row: int  # as Excel shows it
    column: str
    says: tuple[str, ...]  # one of these is in the message
    value: Any = None
    # A broken value is reported at its cell only; a broken code may also leave the references
    # to it unresolved elsewhere.
    alone: bool = True

    @property
    def where(self) -> str:
        return f"sheet '{self.sheet}', row {self.row}, column '{self.column}': "


@dataclass(frozen=True)
class Target:
    sheet: str
    index: int  # record
    column: str


def targets(book: Book, accept: Callable[[str, str, Column], bool]) -> Iterator[Target]:
    for name, table in book.tables.items():
        for i, record in enumerate(table.records):
            for c in table.columns:
                if accept(name, c, column_of(name, record, c)):
                    yield Target(name, i, c)


def _pick(draw: Draw, book: Book, accept: Callable[[str, str, Column], bool]) -> Target:
    return draw(st.sampled_from(list(targets(book, accept))))


def _column(book: Book, t: Target) -> Column:
    return column_of(t.sheet, book.tables[t.sheet].records[t.index], t.column)


def _edit(book: Book, t: Target, how: str, value: Any) -> int:
    """An error or formula cell, set with openpyxl before saving; return its Excel row."""
    row = book.at[t.sheet][t.index]
    book.edits.append((t.sheet, row, book.position(t.sheet, t.column) + 1, how, value))
    return row


def _set(book: Book, t: Target, kind: str, value: Any, says: tuple[str, ...]) -> Break:
    row = book.at[t.sheet][t.index]
    book.put(t.sheet, row, t.column, value)
    return Break(kind, t.sheet, row, t.column, says, value,
                 alone=_column(book, t).kind is not Kind.CODE)


def _is_text(column: Column) -> bool:
    return column.kind in (Kind.CODE, Kind.TEXT, Kind.LIST)


def _not_a_word_for(column: Column) -> Callable[[str], bool]:
    accepted = {w.lower() for w in column.choices} | {
        str(f).strip().lower() for forms_ in BOOL_FORMS.values() for f in forms_}
    return lambda text: text.strip().lower() not in accepted


def wrong_type(draw: Draw, book: Book) -> Break:
    """Text in a number, yes/no or choice column; a date where text belongs."""
    t = _pick(draw, book, lambda s, c, col: not (s == "settings" and c == "key"))
    column = _column(book, t)
    words = st.builds(str.__add__, st.sampled_from(NOT_A_NUMBER), st.text(CELL_CHARS, max_size=7))
    date = st.datetimes(dt.datetime(1950, 1, 1), dt.datetime(2100, 1, 1)).map(
        lambda d: d.replace(microsecond=0))
    if _is_text(column):
        wrong = date
    elif column.kind in (Kind.BOOL, Kind.CHOICE):
        wrong = words.filter(_not_a_word_for(column)) | st.sampled_from((2, 0.5, -1)) | date
    else:
        wrong = words | st.booleans() | date
        if column.kind in (Kind.INTEGER, Kind.YEAR):
            wrong |= st.sampled_from((2026.5, 0.25, "12.5"))
    return _set(book, t, "wrong type", draw(wrong), ("expected",))


def out_of_range(draw: Draw, book: Book) -> Break:
    t = _pick(draw, book, lambda s, c, col: col.is_numeric and (col.ge, col.gt, col.le,
                                                                col.lt) != (None,) * 4)
    column = _column(book, t)
    value = draw(outside(column))
    return _set(book, t, "out of range", draw(forms(column, value)), ("expected",))


def huge_number(draw: Draw, book: Book) -> Break:
    t = _pick(draw, book, lambda s, c, col: col.is_numeric)
    big = st.floats(MAX_MAGNITUDE, sys.float_info.max)
    value = draw(st.sampled_from(HUGE) | big | big.map(lambda x: -x))
    return _set(book, t, "huge number", value, ("expected",))


Made = Callable[[list[str]], st.SearchStrategy[str]]


def _unknown(draw: Draw, book: Book, kind: str, made: Made) -> Break:
    """A code that none of the codes its column may name matches."""
    t = _pick(draw, book, lambda s, c, col: col.ref is not None)
    ref = _column(book, t).ref
    assert ref is not None
    world = World({(s, c): [r[c] for r in book.tables[s].records] if s in book.tables else []
                   for s, c in DEFINING})
    return _set(book, t, kind, draw(made(world.known(ref))), ("unknown",))


def unknown_reference(draw: Draw, book: Book) -> Break:
    """A code defined nowhere: a typo, a wrong case, a code of another kind."""

    def made(known: list[str]) -> st.SearchStrategy[str]:
        near = [c.swapcase() for c in known
                if c.swapcase() not in known and _writable(c.swapcase())]
        other = codes.filter(lambda c: c not in known)
        return other | st.sampled_from(near) if near else other

    return _unknown(draw, book, "unknown reference", made)


def unicode_code(draw: Draw, book: Book) -> Break:
    """A code with non-ASCII text: emoji, right-to-left script, combining or invisible marks."""

    def made(known: list[str]) -> st.SearchStrategy[str]:
        chunk = st.sampled_from(NON_ASCII)
        return (chunk | st.tuples(st.sampled_from(known), chunk).map("".join)).filter(
            lambda c: c.strip() not in known)

    return _unknown(draw, book, "unicode", made)


def _other_cell_filled(book: Book, t: Target) -> bool:
    row = book.rows[t.sheet][book.at[t.sheet][t.index] - 1]
    mine = book.position(t.sheet, t.column)
    return any(not _blank(v) for i, v in enumerate(row) if i != mine)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def blank_key(draw: Draw, book: Book) -> Break:
    """A key cell left blank in a row that has other values (a wholly blank row is skipped)."""
    keys = [t for t in targets(book, lambda s, c, col: c in SHEETS_BY_NAME[s].key
                               and col.required) if _other_cell_filled(book, t)]
    t = draw(st.sampled_from(keys))
    return _set(book, t, "blank key", draw(st.sampled_from(BLANKS)), ("blank",))


def duplicate_key(draw: Draw, book: Book) -> Break:
    """A row copied further down (stray spaces added to its text, which mean nothing)."""
    t = _pick(draw, book, lambda s, c, col: c == SHEETS_BY_NAME[s].key[0])
    rows = book.rows[t.sheet]
    original = book.at[t.sheet][t.index]
    copy = [f" {v} " if isinstance(v, str) and draw(st.booleans()) else v
            for v in rows[original - 1]]
    row = draw(st.integers(original + 1, len(rows) + 1))
    rows.insert(row - 1, copy)
    book.at[t.sheet] = [r + (r >= row) for r in book.at[t.sheet]]
    return Break("duplicate key", t.sheet, row, t.column, ("also on row", "given twice"))


def error_cell(draw: Draw, book: Book) -> Break:
    """#DIV/0!, #N/A, ... stored as an error cell, as Excel stores it."""
    t = _pick(draw, book, lambda s, c, col: True)
    error = draw(st.sampled_from(ERROR_CODES))
    row = _edit(book, t, "error", error)
    return Break("error cell", t.sheet, row, t.column, ("Excel error",), error,
                 alone=_column(book, t).kind is not Kind.CODE)


def uncached_formula(draw: Draw, book: Book) -> Break:
    """A formula as a script writes it: no cached value for any reader to see."""
    t = _pick(draw, book, lambda s, c, col: True)
    text = draw(st.sampled_from(FORMULAS))
    row = _edit(book, t, "formula", text)
    return Break("uncached formula", t.sheet, row, t.column, ("never calculated",), text,
                 alone=_column(book, t).kind is not Kind.CODE)


BREAKS: dict[str, Callable[[Draw, Book], Break]] = {
    "wrong type": wrong_type,
    "out of range": out_of_range,
    "unknown reference": unknown_reference,
    "blank key": blank_key,
    "duplicate key": duplicate_key,
    "error cell": error_cell,
    "huge number": huge_number,
    "unicode": unicode_code,
    "uncached formula": uncached_formula,
}


@dataclass
class Case:
    """A valid book and its twin with one cell broken."""

    valid: Book
    broken: Book
    fault: Break


@st.composite
def cases(draw: Draw) -> Case:
    valid = draw(valid_books())
    broken = copy.deepcopy(valid)
    fault = BREAKS[draw(st.sampled_from(list(BREAKS)))](draw, broken)
    return Case(valid, broken, fault)


# ---------------------------------------------------------------------------------------------
# The properties


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the module: hypothesis runs many examples per test function."""
    return tmp_path_factory.mktemp("fuzz")


def _same(got: Any, want: Any) -> bool:
    if isinstance(want, float | int) and not isinstance(want, bool) and got is not None:
        return got == want or math.isclose(got, want, rel_tol=1e-12)
    return got == want


def assert_valid(book: Book, path: Path) -> None:
    """Validates with no warning but the scaling one, those of rows outside the horizon and
    those of hundredfold steps, and every cell means what was drawn, on the row Excel
    shows."""
    try:
        inputs = load_inputs(write_book(book, path, broken=False))
    except InputError as err:
        raise AssertionError("\n".join(map(str, err.issues))) from err
    expected = {str(w) for w in scaling_warnings(inputs.tables, ROW)  # spans over 1e9
                + horizon_warnings(inputs.settings, inputs.tables)
                + slip_warnings(inputs.tables, inputs.settings, ROW)}
    assert {str(w) for w in inputs.warnings} <= expected, [str(w) for w in inputs.warnings]
    given = book.given
    for key, want in given.items():
        assert _same(inputs.settings[key], want), (key, inputs.settings[key], want)
    for name, table in book.tables.items():
        if name != "settings":
            _assert_table(name, table, book.at[name], inputs.tables[name], given)


def _assert_table(name: str, table: Table, rows: list[int], frame: pd.DataFrame,
                  given: dict[str, Any]) -> None:
    assert list(frame[ROW]) == rows, name
    for record, (_, parsed) in zip(table.records, frame.iterrows(), strict=True):
        for column in SHEETS_BY_NAME[name].columns:
            want = effective(column, record.get(column.name), given)
            assert _same(parsed[column.name], want), (name, column.name, parsed, want)


def assert_named(book: Book, fault: Break, path: Path) -> None:
    """Exit 3 with the cell named. A broken value is reported there only; a broken code may
    also leave references to it unresolved elsewhere."""
    with pytest.raises(InputError) as caught:
        load_inputs(write_book(book, path, broken=True))
    err = caught.value
    assert err.exit_code == ExitCode.INVALID_INPUT
    messages = [str(i) for i in err.issues]
    note(f"{fault}\n" + "\n".join(messages))
    here = [m for m in messages if m.startswith(fault.where)]
    assert any(fragment in m for m in here for fragment in fault.says), messages
    if fault.alone:
        assert len(here) == len(messages), messages


@given(case=cases())
def test_valid_workbook_validates_and_a_broken_cell_is_named(case: Case, folder: Path) -> None:
    """Each example checks a valid workbook, then its twin with one cell broken: two reads
    for one drawing, which keeps 200 examples well inside a minute."""
    assert_valid(case.valid, folder / "valid.xlsx")
    assert_named(case.broken, case.fault, folder / "broken.xlsx")


@settings(max_examples=max(3, settings.default.max_examples // 100))
@given(case=cases(), broken=st.booleans())
def test_cli_exits_0_or_3_naming_the_cell_without_traceback(case: Case, broken: bool,
                                                            folder: Path) -> None:
    """The real command, in a fresh interpreter, as a user runs it."""
    book = case.broken if broken else case.valid
    result = run_cli("validate", str(write_book(book, folder / "cli.xlsx", broken)))
    out = result.stdout + result.stderr
    assert "Traceback" not in out, out
    if not broken:
        assert result.returncode == ExitCode.OK, out
        return
    assert result.returncode == ExitCode.INVALID_INPUT, out
    assert f"error: {case.fault.where}" in out, out
