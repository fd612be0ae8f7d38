"""Reading an input workbook safely: guard the file, preflight it with openpyxl, read it with
calamine.

The result is one raw table per contract sheet (cells as Excel holds them, headers normalised,
the index set to the row numbers Excel shows) plus every problem found on the way. Typing and
checking the cells is the validator's job.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
import stat
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import defusedxml  # openpyxl parses XML through defusedxml when it is installed
import defusedxml.ElementTree
import numpy as np
import openpyxl
import pandas as pd
import python_calamine
from openpyxl.xml.constants import XLSM, XLSX, XLTM, XLTX

from optimizer.contract.names import canonical, intended
from optimizer.contract.schema import EXTRA_NAMES, SHEETS, SHEETS_BY_NAME, Issue
from optimizer.errors import InputError

# Zip-bomb guard, checked before any XML parser runs. Real workbooks expand 5-10:1; a
# 100,000-row sheet is ~25 MB unzipped and must be read.
MAX_UNZIPPED_BYTES = 1 << 30  # 1 GiB for the whole workbook
MAX_MEMBER_RATIO = 100  # uncompressed : compressed, for members over RATIO_FLOOR_BYTES
RATIO_FLOOR_BYTES = 1 << 20  # small members cannot be bombs; their ratio is not checked
MAX_MEMBERS = 10_000
# A sheet's used range (rows x columns up to its last filled cell) is what the readers
# allocate; one stray value in cell XFD1048576 would ask for 17 billion cells.
MAX_SHEET_CELLS = 20_000_000

UNSAFE_XML = ("the workbook's XML declares entities or a DTD (a possible XML bomb or "
              "external-entity attack); refusing it")
WORKBOOK_PART = "xl/workbook.xml"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
# A merged range, however written (prefixed, other attributes, either quote, any case): its
# tag, then the reference in it (one pattern for both rescans the text after every match)
_MERGE_TAG = re.compile(rb'<(?:[\w.-]+:)?mergeCell\s[^>]*>')
_MERGE_REF = re.compile(rb'\sref\s*=\s*["\'](([A-Za-z]+)(\d+)(?::[A-Za-z]+\d+)?)["\']')
# How every spreadsheet program writes a cell: `<c r="A1" ...>`, its reference first. A sheet
# whose cells are all written so has its used range in their references; any other sheet
# (a cell without a reference, which calamine places after the one before it; a reference
# in single quotes, spaced, or after another attribute; a prefixed `<x:c>`) is walked with
# an XML parser. Each pattern starts at a literal byte: one fast pass over a large sheet.
_CELL_NOT_LED_BY_REF = re.compile(rb'<c(?! r=")[\s>/]')
_PREFIXED_CELL = re.compile(rb':c[\s>/]')
# Any `r` attribute, however it is separated from the one before (calamine reads a cell's
# last `r`, also after a quote with no space: `<c r="A1"r="XFD1">`)
_CELL_REF = re.compile(rb'r(?<=[\s"\']r)\s*=\s*["\']([A-Za-z]+)(\d+)["\']')
_REF = re.compile(r"\s*([A-Za-z]+)(\d+)\s*")  # a reference as the XML parser gives it
# An `r` beyond column T or row 999,999: without one, the used range is at most 20 x 999,999
# cells, under the limit, and needs no exact count.
_LARGE_REF = re.compile(rb'r(?<=[\s"\']r)\s*=\s*["\'](?![A-Ta-t]?\d{1,6}["\'])')
# An error cell carries t="e"; a formula is an <f> element (any namespace prefix). A match in
# a cell's text only costs a full scan. Two patterns, not one alternation: each is a fast scan
# of a large sheet on its own, the alternation of both is not.
_ERROR = re.compile(rb'\st\s*=\s*["\']e["\']')
_FORMULA = re.compile(rb'<(?:\w+:)?f[\s>/]')
# Every match of each pattern holds its hint: a sheet with none needs no full scan. Each hint
# starts with a literal byte, so finding it (or not) is one fast pass over the sheet.
_ERROR_HINT = re.compile(rb'e["\']')
_FORMULA_HINT = re.compile(rb"f(?<=[<:]f)")


@dataclass
class RawTable:
    """One sheet's cells: columns are normalised header names, the index is Excel's row."""

    frame: pd.DataFrame
    header_row: int  # Excel row of the header
    column_letters: dict[str, str]  # column name -> Excel column letter


@dataclass
class RawWorkbook:
    path: Path
    tables: dict[str, RawTable] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    bad_cells: set[tuple[str, int, str]] = field(default_factory=set)  # already reported


def read_workbook(path: str | Path) -> RawWorkbook:
    """Read every contract sheet of `path`; raise InputError if the file cannot be read at all."""
    path = Path(path)
    guard_file(path)
    book = RawWorkbook(path)
    try:
        sheet_names, cell_notes = _preflight(path)
        actual = _match_sheet_names(sheet_names)
        frames = _read_cells(path, list(actual.values()))
    except InputError:
        raise
    except BaseException as exc:  # a damaged file can fail anywhere inside the readers
        if not reader_failed(exc):
            raise
        if _is_unsafe_xml(exc):
            message = UNSAFE_XML
        else:
            message = f"the file cannot be read as an Excel workbook ({_short(exc)})"
        raise InputError([Issue(message)], str(path)) from exc
    for name, sheet_title in actual.items():
        book.tables[name] = _to_table(name, frames[sheet_title], book)
    for sheet_title, notes in cell_notes.items():
        name = next((n for n, t in actual.items() if t == sheet_title), None)
        if name is not None:
            _report_cell_notes(name, notes, book)
    book.issues += sheet_name_issues(sheet_names)
    meant = intended_names(book.issues)
    for sheet in SHEETS:
        if sheet.required and sheet.name not in book.tables and sheet.name not in meant:
            found = ", ".join(sheet_names) or "none"
            book.issues.append(Issue(f"required sheet '{sheet.name}' is missing (sheets found: "
                                     f"{found})", sheet.name))
    return book


# ---------------------------------------------------------------------------------------------
# The file itself


def guard_file(path: Path) -> None:
    """Refuse files that are not plain .xlsx workbooks before any parser sees them. A file
    that is missing and one that cannot be read are both input errors (exit 3)."""
    head = _head(path)
    if head.startswith(OLE_MAGIC):
        raise InputError([Issue(_ole_message(path))], str(path))
    if not head.startswith(ZIP_MAGIC):
        raise InputError([Issue("not an Excel .xlsx workbook (the file is not a zip package; "
                                "save it from Excel as .xlsx)")], str(path))
    try:
        with zipfile.ZipFile(path) as zf:
            members = zf.infolist()
            _check_zip_members(path, members)
            _check_workbook_part(path, zf)
    except (zipfile.BadZipFile, OSError, ValueError, SyntaxError) as exc:
        # zipfile's errors, defusedxml's refusal of entities (a ValueError), XML that does
        # not parse (a SyntaxError)
        message = UNSAFE_XML if _is_unsafe_xml(exc) else \
            f"the workbook is damaged or truncated ({_short(exc)}); save it again from Excel"
        raise InputError([Issue(message)], str(path)) from exc


def reader_failed(exc: BaseException) -> bool:
    """Whether `exc` is a reader's failure on a damaged file (calamine's Rust panics are
    BaseExceptions), not Ctrl-C or an exit."""
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"


def guard_sheets(path: Path, titles: Iterable[str]) -> None:
    """Refuse the workbook if any of its sheets `titles` has a used range no reader can
    hold (for readers without the preflight: the plan reader)."""
    wanted = set(titles)
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        with zipfile.ZipFile(path) as zf:
            for title in [t for t in wb.sheetnames if t in wanted]:
                _refuse_huge_range(path, title,
                                   _sheet_xml(zf, getattr(wb[title], "_worksheet_path", "")))
    finally:
        wb.close()


def _head(path: Path) -> bytes:
    """The file's first bytes; InputError if it is missing, not a file, or unreadable."""
    try:
        mode = path.stat().st_mode
        if stat.S_ISDIR(mode):
            raise InputError([Issue(f"{path} is a folder, not an Excel workbook")])
        if not stat.S_ISREG(mode):  # a pipe would block the reader, a device never ends
            raise InputError([Issue(f"{path} is not a regular file (a device, pipe or "
                                    "socket), not an Excel workbook")])
        with path.open("rb") as f:
            return f.read(8)
    except (FileNotFoundError, NotADirectoryError):
        raise InputError([Issue(f"file not found: {path}")]) from None
    except PermissionError:
        raise InputError([Issue(f"the file cannot be read (permission denied): {path}")]) \
            from None
    except OSError as exc:
        raise InputError([Issue(f"the file cannot be read ({exc.strerror or _short(exc)}): "
                                f"{path}")]) from None


def _check_zip_members(path: Path, members: list[zipfile.ZipInfo]) -> None:
    names = {m.filename for m in members}
    if "xl/workbook.xml" not in names:
        raise InputError([Issue("not an Excel .xlsx workbook (no xl/workbook.xml inside)")],
                         str(path))
    if len(members) > MAX_MEMBERS:
        raise InputError([Issue(f"the workbook has {len(members)} parts (limit {MAX_MEMBERS}); "
                                "refusing it as a possible zip bomb")], str(path))
    total = sum(m.file_size for m in members)
    if total > MAX_UNZIPPED_BYTES:
        raise InputError([Issue(f"the workbook unzips to {total / 2**20:,.0f} MiB (limit "
                                f"{MAX_UNZIPPED_BYTES / 2**20:,.0f} MiB); refusing it as a "
                                "possible zip bomb")], str(path))
    for m in members:
        ratio = m.file_size / max(m.compress_size, 1)
        if m.file_size > RATIO_FLOOR_BYTES and ratio > MAX_MEMBER_RATIO:
            raise InputError([Issue(f"part '{m.filename}' expands {ratio:,.0f}:1 (limit "
                                    f"{MAX_MEMBER_RATIO}:1); refusing it as a possible zip bomb"
                                    )], str(path))


def _check_workbook_part(path: Path, zf: zipfile.ZipFile) -> None:
    """openpyxl (the preflight's checks) finds the workbook by the package's content types,
    calamine (the cells) by its relationships, and calamine looks parts up ignoring case:
    refuse a package where they could read different parts."""
    seen: dict[str, str] = {}
    for name in zf.namelist():
        key = name.replace("\\", "/").lower()
        if key in seen:
            raise InputError([Issue(f"the workbook has parts '{seen[key]}' and '{name}', "
                                    "named alike but for case; save it again from Excel")],
                             str(path))
        seen[key] = name
    for found, how in ((_related_workbook(zf), "relationships"),
                       (_typed_workbook(zf), "content types")):
        if found not in (None, WORKBOOK_PART):
            raise InputError([Issue(f"the package's {how} name '{found}' as the workbook, not "
                                    f"{WORKBOOK_PART}; save it again from Excel")], str(path))


def _related_workbook(zf: zipfile.ZipFile) -> str | None:
    """The part the package's relationships name as the document (calamine: the last)."""
    targets = [rel.get("Target", "") for rel in _xml_part(zf, "_rels/.rels")
               if rel.get("Type", "").endswith("/relationships/officeDocument")]
    return targets[-1].lstrip("/") if targets else None


def _typed_workbook(zf: zipfile.ZipFile) -> str | None:
    """The part the content types name as the workbook, found as openpyxl finds it."""
    overrides = [(e.get("ContentType"), e.get("PartName", "")) for e in
                 _xml_part(zf, "[Content_Types].xml") if e.tag.endswith("Override")]
    for kind in (XLTM, XLTX, XLSM, XLSX):
        found = next((part for content, part in overrides if content == kind), None)
        if found is not None:
            return found.lstrip("/")
    return None  # openpyxl then takes xl/workbook.xml or refuses the file itself


def _xml_part(zf: zipfile.ZipFile, name: str) -> list[Any]:
    """The children of a small package part's root; none when the part is missing."""
    try:
        data = zf.read(name)
    except KeyError:
        return []
    return list(defusedxml.ElementTree.fromstring(data))


def _ole_message(path: Path) -> str:
    data = path.read_bytes()[: 1 << 20]
    if "EncryptionInfo".encode("utf-16-le") in data or b"EncryptedPackage" in data or \
            "EncryptedPackage".encode("utf-16-le") in data:
        return ("the workbook is password-protected (encrypted); save an unprotected copy "
                "and use that")
    return "this is a legacy .xls (or other OLE) file; save it from Excel as .xlsx"


def _is_unsafe_xml(exc: BaseException | None) -> bool:
    """defusedxml's refusals, possibly wrapped by the reader that met them."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, defusedxml.DefusedXmlException) or "Entities" in type(exc).__name__ \
                or "DTDForbidden" in type(exc).__name__:
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


# ---------------------------------------------------------------------------------------------
# Preflight: what pandas hides (error cells, formulas never calculated, merged cells)


@dataclass
class _CellNote:
    row: int
    col: int  # 1-based column index
    kind: str  # "error", "uncached", "merged"
    text: str


def _preflight(path: Path) -> tuple[list[str], dict[str, list[_CellNote]]]:
    notes: dict[str, list[_CellNote]] = {}
    wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        titles = list(wb.sheetnames)
        wanted = set(_match_sheet_names(titles).values())
        formulas: dict[str, list[tuple[int, int]]] = {}
        with zipfile.ZipFile(path) as zf:
            for title in titles:
                if title not in wanted:
                    continue
                ws = wb[title]
                xml = _sheet_xml(zf, getattr(ws, "_worksheet_path", ""))
                used = _refuse_huge_range(path, title, xml)
                sheet_notes = notes.setdefault(title, [])
                if not xml or _may_hold_error_or_formula(xml):
                    # parsing every cell is the slow part of reading a large sheet: only
                    # when its XML may hold an error cell or a formula
                    max_row, max_col = used or _used_range(xml)
                    _scan_cells(ws.iter_rows(max_row=max_row, max_col=max_col), sheet_notes,
                                formulas.setdefault(title, []))
                sheet_notes.extend(_merged_ranges(xml))
    finally:
        wb.close()
    if any(formulas.values()):
        _check_cached_values(path, formulas, notes)
    return titles, notes


def _may_hold_error_or_formula(xml: bytes) -> bool:
    return any(_found(pattern, hint, xml) for pattern, hint in
               ((_FORMULA, _FORMULA_HINT), (_ERROR, _ERROR_HINT)))


def _found(pattern: re.Pattern[bytes], hint: re.Pattern[bytes], xml: bytes) -> bool:
    return hint.search(xml) is not None and pattern.search(xml) is not None


def _scan_cells(rows: Iterable, notes: list[_CellNote], formulas: list[tuple[int, int]]) -> None:
    for row in rows:
        for cell in row:
            kind = getattr(cell, "data_type", None)
            if kind == "e":
                notes.append(_CellNote(cell.row, cell.column, "error", str(cell.value)))
            elif kind == "f":
                formulas.append((cell.row, cell.column))


def _check_cached_values(path: Path, formulas: dict[str, list[tuple[int, int]]],
                         notes: dict[str, list[_CellNote]]) -> None:
    """A formula's cached value is what every reader sees; Excel writes it, scripts often don't."""
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        for title, cells in formulas.items():
            if not cells:
                continue
            wanted = set(cells)
            last_row = max(r for r, _ in cells)
            for row in wb[title].iter_rows(max_row=last_row):
                for cell in row:
                    if (getattr(cell, "row", None), getattr(cell, "column", None)) not in wanted:
                        continue
                    if cell.value is None:
                        notes[title].append(_CellNote(cell.row, cell.column, "uncached", ""))
                    elif cell.data_type == "e":
                        notes[title].append(_CellNote(cell.row, cell.column, "error",
                                                      str(cell.value)))
    finally:
        wb.close()


def _sheet_xml(zf: zipfile.ZipFile, member: str) -> bytes:
    try:
        return zf.read(member.lstrip("/")) if member else b""
    except KeyError:
        return b""


def _refuse_huge_range(path: Path, title: str, xml: bytes) -> tuple[int, int] | None:
    """Refuse a sheet whose used range no reader can hold (calamine allocates all of it);
    the used range when it had to be counted."""
    plain = _references_every_cell(xml)
    if plain and _LARGE_REF.search(xml) is None:
        return None
    try:
        max_row, max_col = _counted_range(xml) if plain else _walk_used_range(xml)
    except _UnplainSheet as exc:
        raise InputError([Issue(f"the sheet's XML {exc}, as no spreadsheet program writes "
                                "it; save the workbook again from Excel", title)],
                         str(path)) from None
    if max_row * max_col > MAX_SHEET_CELLS:
        raise InputError([Issue(f"the sheet's used range reaches {column_letter(max_col)}"
                                f"{max_row} ({max_row * max_col:,} cells, limit "
                                f"{MAX_SHEET_CELLS:,}); delete the stray cells far from the "
                                "table and save again", title)], str(path))
    return max_row, max_col


def _references_every_cell(xml: bytes) -> bool:
    return _PREFIXED_CELL.search(xml) is None and _CELL_NOT_LED_BY_REF.search(xml) is None


def _used_range(xml: bytes) -> tuple[int, int]:
    """Last row and column holding a cell (at least 1 and 1)."""
    return _counted_range(xml) if _references_every_cell(xml) else _walk_used_range(xml)


def _counted_range(xml: bytes) -> tuple[int, int]:
    """The used range of a sheet whose every cell carries its reference."""
    refs = _CELL_REF.findall(xml)
    # a sheet repeats few column letters and each row number a few times: reduce to distinct
    # values before converting them
    max_row = max((int(digits) for digits in {d for _, d in refs}), default=0)
    max_col = max((_column_index(letters.decode().upper())
                   for letters in {c for c, _ in refs}), default=0)
    return max(max_row, 1), max(max_col, 1)


class _UnplainSheet(ValueError):
    """A sheet laid out as no spreadsheet program writes one (what, in words)."""


def _walk_used_range(xml: bytes) -> tuple[int, int]:
    """The used range with every cell placed as calamine places it: at its reference, else
    after the cell before it in its row; a row without a number follows the row before.
    Only for plain layouts, cells in rows and nothing in a cell: calamine places the cells
    of rows nested in rows or cells in ways of its own."""
    max_row = max_col = row = col = 0
    open_rows = open_cells = 0
    for event, element in defusedxml.ElementTree.iterparse(io.BytesIO(xml),
                                                           events=("start", "end")):
        name = element.tag.rpartition("}")[2]
        if name not in ("row", "c"):
            continue
        if event == "end":
            if name == "row":
                open_rows -= 1
            else:
                open_cells -= 1
            element.clear()  # a row's cells are not held once it ends
            continue
        if open_cells:
            raise _UnplainSheet(f"has a {'row' if name == 'row' else 'cell'} inside a cell")
        if name == "row" and open_rows:
            raise _UnplainSheet("has a row inside a row")
        if name == "c" and not open_rows:
            raise _UnplainSheet("has a cell outside any row")
        if name == "row":
            open_rows += 1
            number = (element.get("r") or "").strip()
            if number and not number.isdigit():
                raise _UnplainSheet(f"numbers a row '{number}'")
            row, col = (int(number) if number else row + 1), 0
        else:
            open_cells += 1
            ref = _REF.fullmatch(element.get("r") or "")
            cell_row, col = (int(ref[2]), _column_index(ref[1].upper())) if ref else (row, col + 1)
            max_row, max_col = max(max_row, cell_row), max(max_col, col)
    return max(max_row, 1), max(max_col, 1)


def _merged_ranges(xml: bytes) -> list[_CellNote]:
    notes = []
    if b"mergeCell" not in xml:
        return notes
    for tag in _MERGE_TAG.finditer(xml):
        m = _MERGE_REF.search(tag.group(0))
        if m is None:
            continue
        ref, first_col, first_row = m.group(1).decode().upper(), m.group(2), int(m.group(3))
        notes.append(_CellNote(first_row, _column_index(first_col.decode().upper()), "merged",
                               ref))
    return notes


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def column_letter(index: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _report_cell_notes(name: str, notes: list[_CellNote], book: RawWorkbook) -> None:
    table = book.tables[name]
    by_letter = {letter: col for col, letter in table.column_letters.items()}
    for note in notes:
        column = by_letter.get(column_letter(note.col))
        if note.kind == "merged" and note.row >= table.header_row:
            book.issues.append(Issue(f"merged cells {note.text}: unmerge them and fill every "
                                     "row's cell", name, note.row, column))
        if note.kind == "merged":
            continue
        if column is None or note.row <= table.header_row:
            continue  # outside the columns that are read
        book.bad_cells.add((name, note.row, column))
        if note.kind == "error":
            msg = f"the cell holds the Excel error {note.text}; fix the formula or type the value"
        else:
            msg = ("the cell holds a formula that was never calculated (no cached value); open "
                   "and save the file in Excel, or type the value")
        book.issues.append(Issue(msg, name, note.row, column))


# ---------------------------------------------------------------------------------------------
# Cells, via calamine


def _match_sheet_names(titles: list[str]) -> dict[str, str]:
    """Contract sheet name -> the workbook's sheet title (case and stray spaces forgiven)."""
    found = {}
    for title in titles:
        key = normalise_name(title)
        if key in SHEETS_BY_NAME and key not in found:
            found[key] = title
    return found


def normalise_name(text: object) -> str:
    return re.sub(r"\s+", "_", str(text).strip().lower())


def sheet_name_issues(titles: list[str]) -> list[Issue]:
    """Two sheets read as one contract sheet (`SUPPLY` and `supply`) and misspelt contract
    sheets are errors; other sheets of the user's own are warnings (none for notes and the
    like)."""
    by_name: dict[str, list[str]] = {}
    for title in titles:
        by_name.setdefault(normalise_name(title), []).append(title)
    issues = []
    for name, group in by_name.items():
        if name in SHEETS_BY_NAME:
            if len(group) > 1:
                shown = " and ".join(f"'{t}'" for t in group)
                issues.append(Issue(f"sheets {shown} both read as sheet '{name}' (names differ "
                                    "only by case or spaces); keep one", name))
            continue
        for title in group:
            near = near_miss(title, SHEETS_BY_NAME, "a sheet of the contract", title)
            if near is not None:
                issues.append(near)
            elif canonical(title) not in EXTRA_NAMES:
                issues.append(Issue("not a sheet of the contract; the sheet is ignored", title,
                                    warning=True))
    return issues


def near_miss(name: str, contract: Iterable[str], what: str, sheet: str,
              row: int | None = None, column: str | None = None) -> Issue | None:
    """An error naming the contract name that `name` misspells, if it misspells one."""
    target = intended(name, contract)
    if target is None:
        return None
    return Issue(f"not {what}; did you mean '{target}'?", sheet, row, column,
                 extra={"intended": target})


def intended_names(issues: list[Issue]) -> set[str]:
    """Contract names that near misses among `issues` stand for: not reported missing too."""
    return {i.extra["intended"] for i in issues if "intended" in i.extra}


def _read_cells(path: Path, titles: list[str]) -> dict[str, pd.DataFrame]:
    """Each sheet's cells as pandas' `read_excel(engine="calamine", header=None, dtype=object,
    keep_default_na=False)` gives them, without its per-cell overhead."""
    if not titles:
        return {}
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    try:
        return {title: _as_pandas_reads(book.get_sheet_by_name(title)
                                        .to_python(skip_empty_area=False))
                for title in titles}
    finally:
        book.close()


def _as_pandas_reads(rows: list[list[Any]]) -> pd.DataFrame:
    """Whole numbers as int, dates as midnight datetimes, as pandas reads them. Column by
    column: a column of text, or of text and fractions (most cells of a large sheet: the
    routes' codes and costs), is kept as read, without a call per cell."""
    if not rows:
        return pd.DataFrame()
    cells = np.array(rows, dtype=object)
    if cells.ndim != 2:  # rows of unequal length
        return pd.DataFrame([[_pandas_cell(v) for v in row] for row in rows], dtype=object)
    for i in range(cells.shape[1]):
        column = cells[:, i].tolist()
        if not _read_as_is(column):
            cells[:, i] = [_pandas_cell(v) for v in column]
    return pd.DataFrame(cells, dtype=object)


def _read_as_is(column: list[Any]) -> bool:
    """Whether pandas would read every cell of `column` as it is: text, or fractions."""
    kinds = set(map(type, column))
    if not kinds <= {str, float}:
        return False
    return float not in kinds or not any(map(float.is_integer,
                                             [v for v in column if v.__class__ is float]))


def _pandas_cell(value: Any) -> Any:
    if type(value) is float:
        return int(value) if value.is_integer() else value
    if type(value) is dt.date:
        return dt.datetime(value.year, value.month, value.day)
    return value


def _to_table(name: str, cells: pd.DataFrame, book: RawWorkbook) -> RawTable:
    """Find the header (the first non-blank row), name the columns, index rows as Excel does."""
    sheet = SHEETS_BY_NAME[name]
    blank = np.column_stack([blank_mask(cells[col].tolist()) for col in cells.columns]) \
        if len(cells.columns) else np.ones((len(cells), 1), dtype=bool)
    filled_rows = np.flatnonzero(~blank.all(axis=1)).tolist()
    if not filled_rows:
        return RawTable(pd.DataFrame(columns=list(sheet.column_names)), 1, {})
    header_pos = _header_position(sheet.name, cells, filled_rows)
    header_row = header_pos + 1
    names: dict[int, str] = {}
    letters: dict[str, str] = {}
    for pos, raw in enumerate(cells.iloc[header_pos]):
        if is_blank(raw):
            continue
        col = normalise_name(raw)
        if col in letters:
            book.issues.append(Issue(f"column '{col}' appears twice in the header", name,
                                     header_row, col))
            continue
        names[pos] = col
        letters[col] = column_letter(pos + 1)
    body = cells.iloc[header_pos + 1:, list(names)]
    body.columns = [names[p] for p in names]
    body.index = pd.RangeIndex(header_row + 1, header_row + 1 + len(body))
    kept = ~blank[header_pos + 1:, list(names)].all(axis=1)
    if not kept.all():  # blank rows end nothing: they are left out
        body = body[kept]
    found = []
    for col in body.columns:
        if col not in sheet.column_names:
            found.append(near_miss(col, sheet.column_names, f"a column of sheet '{name}'",
                                   name, header_row, col)
                         or Issue(f"extra column '{col}' is ignored", name, header_row, col,
                                  warning=True))
    book.issues += found
    meant = intended_names(found)
    missing = [c.name for c in sheet.columns
               if c.required and c.name not in letters and c.name not in meant]
    for col in missing:
        book.issues.append(Issue(f"required column '{col}' is missing (columns found: "
                                 f"{', '.join(letters) or 'none'})", name, header_row, col))
    keep = [c for c in sheet.column_names if c in body.columns]
    return RawTable(body[keep].copy(), header_row, letters)


def _header_position(name: str, cells: pd.DataFrame, filled_rows: list[int]) -> int:
    """The first row naming every required column (titles above the table are allowed);
    failing that, the first non-blank row, whose missing columns are then reported."""
    required = {c.name for c in SHEETS_BY_NAME[name].columns if c.required}
    for pos in filled_rows[:50]:
        names = {normalise_name(v) for v in cells.iloc[pos] if not is_blank(v)}
        if required <= names:
            return pos
    return filled_rows[0]


def blank_mask(values: list[object]) -> np.ndarray:
    """is_blank of each value, without pandas' per-cell overhead (a large sheet has millions
    of cells); a column all of text or all of numbers in one pass."""
    kinds = set(map(type, values))
    if kinds <= {str} and "" not in map(str.strip, values):
        return np.zeros(len(values), dtype=bool)
    if kinds <= {int, float, str}:  # numbers under a header: only the text cells one by one
        types = list(map(type, values))
        texts = _positions(types, str)
        if len(texts) <= TEXT_AMONG_NUMBERS:
            numbers = list(values)
            for i in texts:
                numbers[i] = 0.0
            with contextlib.suppress(OverflowError):  # an int too large for a float
                blank = np.isnan(np.array(numbers, dtype=float))
                blank[texts] = [not values[i].strip() for i in texts]
                return blank
    return np.fromiter(map(is_blank, values), dtype=bool, count=len(values))


TEXT_AMONG_NUMBERS = 100  # text cells (headers, titles) a column of numbers may hold


def _positions(items: list[Any], item: Any) -> list[int]:
    """Where `item` is in `items`, for an item that is rare (list.index runs in C)."""
    found: list[int] = []
    for _ in range(items.count(item)):
        found.append(items.index(item, found[-1] + 1 if found else 0))
    return found


def is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    return isinstance(value, float) and value != value  # NaN
