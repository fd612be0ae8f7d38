"""Reading a plan workbook (the tool's own output) back as a `Plan`, for `optimizer diff`.

The file passes the same guards as an input workbook (an .xlsx package, no zip bomb, no
sheet whose used range no reader can hold) before calamine reads it. A file that is not a
plan workbook, or a plan whose cells were edited into something else, is an input error
(exit 3) naming the sheets, columns and cells at fault."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.contract.reader import guard_file, guard_sheets, reader_failed
from optimizer.contract.schema import Issue
from optimizer.errors import InputError
from optimizer.excel.xlsx import is_blank
from optimizer.solving.diff import PLAN_KEY_VALUES, PLAN_TABLES, Kind
from optimizer.solving.results import Plan

HEADER_ROW = 1  # every plan sheet's table starts at A1
TRUE_TEXT = ("true", "1", "yes")


def read_plan(path: Path, tables: Mapping[str, Mapping[str, Kind]] = PLAN_TABLES,
              key_values: Mapping[str, tuple[str, ...]] = PLAN_KEY_VALUES) -> Plan:
    """The plan workbook at `path`: its key/value sheets (`summary`, `run_info`) and the
    `tables` with the columns each needs, typed as `Kind` says; raise InputError naming
    every sheet, column or cell that is missing or wrong."""
    path = Path(path)
    guard_file(path)
    try:
        guard_sheets(path, [*key_values, *tables])
        sheets = _read_sheets(path, [*key_values, *tables])
    except InputError:
        raise
    except BaseException as exc:  # a damaged file can fail anywhere inside the readers
        if not reader_failed(exc):
            raise
        raise InputError([Issue("the file cannot be read as an Excel workbook "
                                f"({type(exc).__name__})")], str(path)) from exc
    issues: list[Issue] = []
    pairs = {name: _key_values(sheets[name], name, keys, issues)
             for name, keys in key_values.items()}
    frames = {name: _table(sheets[name], name, columns, issues)
              for name, columns in tables.items()}
    if issues:
        raise InputError(issues, str(path))
    return Plan(pairs.get("summary", {}), frames, run_info=pairs.get("run_info", {}))


def _read_sheets(path: Path, wanted: list[str]) -> dict[str, pd.DataFrame]:
    with pd.ExcelFile(path, engine="calamine") as book:
        missing = [name for name in wanted if name not in book.sheet_names]
        if missing:
            found = ", ".join(f"'{name}'" for name in book.sheet_names) or "none"
            raise InputError([Issue(f"not a plan workbook: sheet{'s' if len(missing) > 1 else ''}"
                                    f" {', '.join(repr(m) for m in missing)} missing (sheets "
                                    f"found: {found}); give plans written by optimizer solve"
                                    )], str(path))
        # codes as written: the country code NA is Namibia, not a blank
        return {name: pd.read_excel(book, sheet_name=name, dtype=object, keep_default_na=False,
                                    na_values=[]) for name in wanted}


def _key_values(frame: pd.DataFrame, sheet: str, needed: tuple[str, ...],
                issues: list[Issue]) -> dict[str, Any]:
    """A `key`/`value` table from A1 (other tables may stand beside it) as a dict."""
    if list(frame.columns[:2]) != ["key", "value"]:
        issues.append(Issue("not a plan's key/value table: cells A1 and B1 must read 'key' "
                            "and 'value'", sheet, HEADER_ROW))
        return {}
    pairs = {str(k): None if is_blank(v) else v
             for k, v in zip(frame["key"], frame["value"], strict=True) if not is_blank(k)}
    issues += [Issue(f"the plan's '{key}' row is missing", sheet, column="key")
               for key in needed if key not in pairs]
    return pairs


def _table(frame: pd.DataFrame, sheet: str, columns: Mapping[str, Kind],
           issues: list[Issue]) -> pd.DataFrame:
    """The `columns` of a plan table (its blank rows dropped), typed; problems go to
    `issues`."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        found = ", ".join(map(str, frame.columns)) or "none"
        issues.append(Issue(f"not a plan table: column{'s' if len(missing) > 1 else ''} "
                            f"{', '.join(repr(c) for c in missing)} missing (columns found: "
                            f"{found})", sheet, HEADER_ROW))
        return pd.DataFrame(columns=list(columns))
    frame = frame[list(columns)]
    frame = frame[~frame.map(is_blank).all(axis=1)]
    typed = {name: _typed(frame[name], kind, sheet, issues) for name, kind in columns.items()}
    return pd.DataFrame(typed).reset_index(drop=True)


def _typed(cells: pd.Series, kind: Kind, sheet: str, issues: list[Issue]) -> pd.Series:
    if kind is Kind.TEXT:
        return cells.map(lambda v: None if is_blank(v) else v)
    if kind is Kind.FLAG:
        return cells.map(_truth)
    numbers = pd.to_numeric(cells.map(lambda v: None if is_blank(v) or isinstance(v, bool)
                                      else v), errors="coerce")
    for row, value in cells[numbers.isna() & ~cells.map(is_blank)].items():
        issues.append(Issue(f"expected a number, got {str(value)[:40]!r}", sheet,
                            int(row) + HEADER_ROW + 1, str(cells.name)))
    return numbers.round().astype("Int64") if kind is Kind.YEAR else numbers.astype(float)


def _truth(value: Any) -> bool | None:
    """A cell read back as a truth value: Excel's TRUE/FALSE, or text a spreadsheet kept."""
    if is_blank(value):
        return None
    if isinstance(value, str):
        return value.strip().lower() in TRUE_TEXT
    return bool(value)
