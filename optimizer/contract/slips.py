"""Slips: a quantity that jumps a hundredfold from one year to the next in one series of rows,
and a capex too small for any plant.

Demand, supply limits and capacities change over the years, but rarely by a factor of 100 in
one step: such a jump is nearly always a slip (kilotonnes typed as tonnes, a zero too many).
Each is a warning naming both rows, so the analyst can check them; the input stays valid.
A plant's capex per tonne a year of capacity is of the order of a year's output at market
prices (0.3-3 times the price of a tonne); one below CAPEX_PRICE_SHARE of the workbook's
median supply price per unit of yearly capacity is nearly always typed in millions. The price
sets the scale, so a workbook kept in millions throughout is no slip.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd

from optimizer.contract.schema import Issue
from optimizer.contract.wording import number_text, quantity_text

SLIP_FACTOR = 100  # a step this large (up or down) between consecutive years is a warning
CAPEX_PRICE_SHARE = 1e-3  # of the median supply price, per unit of yearly capacity


@dataclass(frozen=True)
class Series:
    """Rows of `sheet` that describe one quantity over the years: those with the same
    `keys`, each covering `start` to `end` (blank: the horizon's first or last year)."""

    sheet: str
    keys: tuple[str, ...]
    start: str
    end: str
    column: str
    material: str  # the column naming the material (or technology, by its output) measured


SERIES = (
    Series("demand", ("country", "material"), "year", "year", "quantity", "material"),
    Series("supply", ("country", "material"), "year", "year", "max_quantity", "material"),
    Series("existing_plants", ("country", "technology"), "first_year", "last_year",
           "capacity", "technology"),
    Series("sites", ("site", "technology"), "earliest_year", "latest_year", "capacity",
           "technology"),
)


def slip_warnings(tables: dict[str, pd.DataFrame], settings: dict[str, Any],
                  row_column: str) -> list[Issue]:
    """A warning for each pair of consecutive rows of a series (one ends the year before the
    other starts) whose quantities, both above zero, differ by SLIP_FACTOR or more."""
    units = _units(tables)
    outputs = dict(tables["technologies"][["technology", "output"]].itertuples(index=False))
    warnings = []
    for series in SERIES:
        for before, after in _consecutive(tables[series.sheet], series, settings, row_column):
            old, new = before[series.column], after[series.column]
            ratio = new / old
            if max(ratio, 1 / ratio) < SLIP_FACTOR * (1 - 1e-9):
                continue
            measured = after[series.material]
            unit = units.get(outputs.get(measured) if series.material == "technology"
                             else measured, "t")
            times = f"{number_text(ratio)} times" if ratio > 1 else \
                f"1/{number_text(1 / ratio)} of"
            single = series.start == series.end  # a row per year, not a span
            since = f"{'in' if single else 'from'} {_start(after, series, settings)}"
            until = f"{'in' if single else 'until'} {_end(before, series, settings)}"
            warnings.append(Issue(
                f"{series.column} {quantity_text(new, unit)} {since} is {times} the "
                f"{series.column} of row {before[row_column]}, {quantity_text(old, unit)} "
                f"{until}: a slip of units or zeros? Check both rows", series.sheet,
                int(after[row_column]), series.column, warning=True))
    return warnings + _capex_warnings(tables, settings, units, outputs, row_column)


def _capex_warnings(tables: dict[str, pd.DataFrame], settings: dict[str, Any],
                    units: dict[str, str], outputs: dict[str, str],
                    row_column: str) -> list[Issue]:
    """A candidate whose capex (above zero: a free option is deliberate) is below
    CAPEX_PRICE_SHARE of the median supply price per unit of its yearly capacity."""
    currency = settings.get("currency") or "USD"
    prices = pd.to_numeric(tables["supply"]["price"], errors="coerce") \
        if "supply" in tables else pd.Series(dtype=float)
    prices = prices[prices > 0]
    if prices.empty:
        return []
    least = CAPEX_PRICE_SHARE * float(prices.median())
    warnings = []
    for rec in tables["sites"].to_dict("records"):
        capex, capacity = rec["capex"], rec["capacity"]
        if capex is None or capacity is None or not 0 < capex < least * capacity:
            continue
        unit = f"{units.get(outputs.get(rec['technology']), 't')}/yr"
        warnings.append(Issue(
            f"capex {number_text(capex)} {currency} for {quantity_text(capacity, unit)} is "
            f"{number_text(capex / capacity)} {currency} per {unit}, against supply prices of "
            f"{number_text(float(prices.median()))} {currency} per unit: millions? A plant "
            f"costs about a year's output at market prices; write the capex in {currency}", "sites",
            int(rec[row_column]), "capex", warning=True))
    return warnings


def _consecutive(frame: pd.DataFrame, series: Series, settings: dict[str, Any],
                 row_column: str) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Pairs of rows of one series, the second starting the year after the first ends, both
    with a quantity above zero (a blank-year `demand` or `supply` row is no step)."""
    usable = [r for r in frame.to_dict("records") if _usable(r, series)]
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for record in usable:
        groups.setdefault(tuple(record[k] for k in series.keys), []).append(record)
    for rows in groups.values():
        starts: dict[int, list[dict[str, Any]]] = {}
        for record in rows:
            starts.setdefault(_start(record, series, settings), []).append(record)
        for before in rows:
            end = _end(before, series, settings)
            for after in starts.get(end + 1, []) if end is not None else []:
                yield before, after


def _usable(record: dict[str, Any], series: Series) -> bool:
    value = record[series.column]
    if value is None or not math.isfinite(value) or value <= 0:
        return False
    if series.start == series.end:  # a year of its own: a blank one holds every year
        return record[series.start] is not None
    return True


def _start(record: dict[str, Any], series: Series, settings: dict[str, Any]) -> int | None:
    year = record[series.start]
    return settings.get("first_year") if year is None else year


def _end(record: dict[str, Any], series: Series, settings: dict[str, Any]) -> int | None:
    year = record[series.end]
    return settings.get("last_year") if year is None else year


def _units(tables: dict[str, pd.DataFrame]) -> dict[str, str]:
    """The unit of each material that gives one."""
    return {m: u.strip() for m, u in tables["materials"][["material", "unit"]]
            .itertuples(index=False) if m is not None and isinstance(u, str) and u.strip()}
