"""Reading one cell as its column's kind, and what a column accepts, in the words the
messages use (`expected a number >= 0, got 'n/a'`)."""

from __future__ import annotations

import re
from typing import Any

from optimizer.contract.schema import MAX_MAGNITUDE, Column, Issue, Kind


class CellError(ValueError):
    pass


class TooLarge(CellError):
    """A number that is infinite or not below the magnitude limit in size."""


_NUMBER_TEXT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


_TRUE = {"true", "yes", "y", "1", "on"}


_FALSE = {"false", "no", "n", "0", "off"}


def parse_cell(column: Column, value: Any) -> Any:
    """The typed value of a non-blank cell, or CellError saying what was expected."""
    kind = column.kind
    if kind in (Kind.CODE, Kind.TEXT, Kind.LIST):
        return _parse_text(value)
    if kind is Kind.CHOICE:
        text = _parse_text(value).lower()
        if text not in column.choices:
            raise CellError
        return text
    if kind is Kind.BOOL:
        return _parse_bool(value)
    number = _parse_number(value, percent_ok=kind in (Kind.SHARE, Kind.NUMBER))
    if kind in (Kind.INTEGER, Kind.YEAR):
        if number != int(number):
            raise CellError
        return int(number)
    return number


def _parse_text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        raise CellError  # a date where a code or text belongs: Excel reformatted the entry
    return str(value).strip()


def _parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _parse_text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError


def _parse_number(value: Any, percent_ok: bool) -> float:
    if isinstance(value, bool) or hasattr(value, "isoformat"):
        raise CellError
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = str(value).strip().replace(",", "").replace(" ", "").replace("\u00a0", "")
        scale = 1.0
        if percent_ok and text.endswith("%"):
            text, scale = text[:-1], 0.01
        if not _NUMBER_TEXT.match(text):
            raise CellError
        number = float(text) * scale
    if not abs(number) < MAX_MAGNITUDE:  # also true of inf and nan
        raise TooLarge
    return number


def _got(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:g}"
    text = str(value)
    return repr(text if len(text) <= 60 else text[:57] + "...")


def cell_issue(sheet: str, row: int | None, column: Column, value: Any,
                exc: CellError) -> Issue:
    return Issue(expected_text(column, value, exc), sheet, row, column.name)


def expected_text(column: Column, value: Any, exc: CellError | None = None) -> str:
    """`expected ..., got ...`, every bound spelt out where the value broke one."""
    limits = isinstance(exc, TooLarge) or (exc is None and column.kind is Kind.YEAR)
    return (f"expected {column.limits if limits else column.expectation}, got {_got(value)}"
            f"{percent_hint(column, value)}")


def percent_hint(column: Column, value: Any) -> str:
    """` (percentage points? ...)` for a number above 1 and at most 100 in a column of
    fractions capped at 1 (a share, a rate, a growth): 7 typed for 7%; else ``."""
    fraction = column.kind is Kind.SHARE or (column.unit.startswith("fraction")
                                             and 1 in (column.le, column.lt))
    if not fraction or not isinstance(value, int | float) or isinstance(value, bool) \
            or not 1 < value <= 100:
        return ""
    return f" (percentage points? write {value:g}% or {value / 100:g})"


def value_problem(column: Column, value: float) -> str | None:
    """Why a number is not one `column` accepts (`expected ..., got ...`), or None."""
    try:
        parse_cell(column, value)
    except CellError as exc:
        return expected_text(column, value, exc)
    return expected_text(column, value) if out_of_range(column, value) else None


def out_of_range(column: Column, value: Any) -> bool:
    if not column.is_numeric or value is None:
        return False
    return ((column.ge is not None and value < column.ge)
            or (column.gt is not None and value <= column.gt)
            or (column.le is not None and value > column.le)
            or (column.lt is not None and value >= column.lt))
