"""Numerical safety: warn when input figures span more orders of magnitude than the solver's
tolerances can take.

HiGHS works to absolute tolerances near 1e-7 (feasibility) and 1e-9 (small-coefficient drop);
when the figures of one kind span more than 1e9, either the small ones fall below those
tolerances or the large ones swamp them, and plans can be wrong without any error. Money
figures become objective coefficients, quantities become bounds, right-hand sides and capacity
coefficients, so each kind is checked on its own.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pandas as pd

from optimizer.contract.schema import SHEETS, USD, Column, Issue, Kind

MAX_SPAN = 1e9


def _kind_of(column: Column) -> str | None:
    if column.kind is not Kind.NUMBER:
        return None
    if USD in column.unit:
        return "money figures"
    if column.unit.startswith("t"):
        return "quantities"
    return None


def _cells(tables: dict[str, pd.DataFrame], kind: str,
           row_column: str) -> Iterator[tuple[float, Issue]]:
    """The smallest and the largest nonzero finite figure of `kind` of each column, with where
    it sits (Excel row in `row_column`): the first such cell where several are equal."""
    for sheet in SHEETS:
        frame = tables.get(sheet.name)
        if frame is None or frame.empty:
            continue
        for column in sheet.columns:
            if _kind_of(column) != kind or column.name not in frame:
                continue
            values = pd.to_numeric(frame[column.name], errors="coerce").abs().to_numpy(float)
            figures = np.flatnonzero((values > 0) & np.isfinite(values))
            if not len(figures):
                continue
            rows = frame[row_column].to_numpy()
            for pos in dict.fromkeys((figures[np.argmin(values[figures])],
                                      figures[np.argmax(values[figures])])):
                yield float(values[pos]), Issue("", sheet.name, int(rows[pos]), column.name)


def scaling_warnings(tables: dict[str, pd.DataFrame], row_column: str) -> list[Issue]:
    """One warning per kind of figure whose nonzero values span more than MAX_SPAN, placed on
    the figure farther from 1 and naming the other end."""
    warnings = []
    for kind in ("money figures", "quantities"):
        cells = list(_cells(tables, kind, row_column))
        if not cells:
            continue
        (low, at_low), (high, at_high) = min(cells, key=_first), max(cells, key=_first)
        if high / low <= MAX_SPAN:
            continue
        far_low = -math.log10(low) > math.log10(high)
        (value, at), (other_value, other) = (((low, at_low), (high, at_high)) if far_low
                                             else ((high, at_high), (low, at_low)))
        warnings.append(Issue(
            f"{kind} span {high / low:.0e}: this one is {value:g}, while sheet "
            f"'{other.sheet}', row {other.row}, column '{other.column}' is {other_value:g}. "
            "Beyond a span of 1e9 the solver's tolerances can make a plan inaccurate "
            "without any error: change units (e.g. kt or million USD) or drop negligible "
            "figures", at.sheet, at.row, at.column, warning=True))
    return warnings


def _first(cell: tuple[float, Issue]) -> float:
    return cell[0]
