"""What the model is built from: plain Python and pandas, no Excel and no solver.

`optimizer.contract.to_model` makes it from a validated workbook; the formulation modules only
declare variables and constraints over what exists here."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from optimizer.contract.schema import Issue  # the warnings found while reading

BASELINE = "baseline"  # the undisrupted scenario's name


@dataclass
class ModelData:
    """What the model is built from. Frames keep each record's `row` on its input sheet."""

    settings: dict[str, Any]
    years: list[int]
    countries: list[str]
    country_names: dict[str, str]
    groups: dict[str, tuple[str, ...]]
    materials: pd.DataFrame  # index material: name, unit, shortage_cost
    technologies: pd.DataFrame  # index technology: name, output
    recipes: dict[str, dict[str, tuple[float, float]]]  # technology -> material -> (in, out)
    units: pd.DataFrame  # one row per existing plant or candidate option (column `unit`)
    supply: pd.DataFrame  # country, material, year, max_quantity, price, row
    routes: pd.DataFrame  # from_country, to_country, material, transport_cost, tariff, row
    demand: pd.DataFrame  # country, material, year, quantity, row
    stockpiles: pd.DataFrame  # country, material, initial, capacity, ..., row
    dependence_limits: pd.DataFrame  # limit, consumer, supplier, material, year, max_share, row
    budgets: pd.DataFrame  # budget, country, year (None: horizon), max_capex, row
    scenarios: pd.DataFrame  # scenario, probability, description (baseline first)
    disruptions: pd.DataFrame  # scenario, supplier, material, year, cut, row
    source: str = ""
    warnings: list[Issue] = field(default_factory=list)

    def members(self, code: str) -> tuple[str, ...]:
        """The countries a country-or-group code stands for."""
        return self.groups.get(code, (code,))

    def discount_factor(self, year: int) -> float:
        rate = self.settings["discount_rate"]
        return 1.0 / (1.0 + rate) ** (year - self.settings["base_year"])

    @cached_property
    def scenario_names(self) -> tuple[str, ...]:
        # read in the innermost loops of the model build: computed once, not per call
        return tuple(self.scenarios["scenario"])


def unit_capacity_years(unit: pd.Series | Any, years: list[int]) -> list[int]:
    """Years in which a unit can produce (for a candidate: if built as early as allowed)."""
    if unit.kind == "existing":
        return list(range(unit.first_year, unit.last_year + 1))
    start = unit.first_year + unit.lead_time
    end = min(unit.last_year + unit.lead_time + unit.lifetime - 1, years[-1])
    return list(range(start, end + 1))
