"""What the model is built from: plain Python and pandas, no Excel and no solver.

`optimizer.contract.to_model` makes it from a validated workbook; the formulation modules only
declare variables and constraints over what exists here."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from optimizer.contract.schema import Issue  # the warnings found while reading

BASELINE = "baseline"  # the undisrupted scenario's name


class UnitKind(StrEnum):
    EXISTING = "existing"  # a plant already there, operating in its years
    CANDIDATE = "candidate"  # an option that may be built (`build`), with a lead time


@dataclass(frozen=True)
class Unit:
    """A production unit: an existing plant or a candidate option `site/technology/option`.

    The three year ranges say everything the model needs about time:
    `decision_years` the years a candidate may be built in (empty for an existing plant),
    `online_years(t)` the years a build decided in t produces (the one lifetime rule), and
    `producing_years` the years the unit can produce at all, within the horizon.
    """

    name: str
    kind: UnitKind
    site: str
    option: str
    technology: str
    country: str
    capacity: float
    capex: float
    fixed_om: float
    variable_cost: float
    lead_time: int
    lifetime: int
    financing_rate: float  # the project's cost of capital (candidates)
    row: int  # on `sites` (candidates) or `existing_plants`
    decision_years: range
    producing_years: range

    @property
    def sheet(self) -> str:
        return "sites" if self.kind is UnitKind.CANDIDATE else "existing_plants"

    def online_years(self, decision_year: int) -> range:
        """Years a build decided in `decision_year` produces: from `lead_time` years later,
        for `lifetime` years (some may fall after the horizon)."""
        start = decision_year + self.lead_time
        return range(start, start + self.lifetime)


@dataclass
class ModelData:
    """What the model is built from. Frames keep each record's `row` on its input sheet."""

    settings: dict[str, Any]
    years: list[int]
    countries: list[str]
    country_names: dict[str, str]
    groups: dict[str, tuple[str, ...]]
    materials: pd.DataFrame  # index material: name, unit, shortage_cost, disposal_cost (None:
    # it cannot be disposed of)
    technologies: pd.DataFrame  # index technology: name, output
    recipes: dict[str, dict[str, tuple[float, float]]]  # technology -> material -> (in, out)
    units: dict[str, Unit]  # existing plants and candidate options by name
    supply: pd.DataFrame  # country, material, year, max_quantity, price, row
    routes: pd.DataFrame  # from_country, to_country, material, transport_cost, tariff, row
    demand: pd.DataFrame  # country, material, year, quantity, row
    stockpiles: pd.DataFrame  # country, material, initial, capacity, ..., row
    dependence_limits: pd.DataFrame  # limit, consumer, supplier, material, year, max_share, row
    budgets: pd.DataFrame  # budget, country, year (None: horizon), max_capex, row
    scenarios: pd.DataFrame  # scenario, probability, description (baseline first)
    disruptions: pd.DataFrame  # scenario, supplier, material, year, cut, reference, to_country, row
    # (disruption row, year) -> the supplier's exports in the reference plan, for the rows
    # without a `reference` of their own (see `optimizer.solving.reference`)
    reference_exports: dict[tuple[int, int], float] = field(default_factory=dict)
    source: str = ""
    warnings: list[Issue] = field(default_factory=list)

    def members(self, code: str) -> tuple[str, ...]:
        """The countries a country-or-group code stands for."""
        return self.groups.get(code, (code,))

    @property
    def named_consumers(self) -> list[str]:
        """The countries and groups a dependence limit or a stockpile names, in that order."""
        codes = [*self.dependence_limits["consumer"], *self.stockpiles["country"]]
        return list(dict.fromkeys(codes))

    def discount_factor(self, year: int) -> float:
        rate = self.settings["discount_rate"]
        return 1.0 / (1.0 + rate) ** (year - self.settings["base_year"])

    @cached_property
    def scenario_names(self) -> tuple[str, ...]:
        # read in the innermost loops of the model build: computed once, not per call
        return tuple(self.scenarios["scenario"])

    @cached_property
    def cuts(self) -> list[Any]:
        """Disruption records, one per row and year."""
        return list(self.disruptions.itertuples(index=False))

    def cut_destinations(self, cut: Any) -> set[str]:
        """Countries whose imports from the supplier a cut reduces: its `to_country`, or
        everyone outside the supplier."""
        supplier = set(self.members(cut.supplier))
        aimed = self.countries if cut.to_country is None else self.members(cut.to_country)
        return set(aimed) - supplier

    @cached_property
    def candidates(self) -> dict[str, Unit]:
        return {n: u for n, u in self.units.items() if u.kind is UnitKind.CANDIDATE}

    # Each record of a sheet by its key, read by the formulation and the reports. Cached per
    # data: a sweep that changes values makes new data, and every reader follows it.
    @cached_property
    def stockpile_rows(self) -> dict[tuple[str, str], Any]:
        return {(r.country, r.material): r for r in self.stockpiles.itertuples(index=False)}

    @cached_property
    def limit_rows(self) -> dict[int, Any]:
        return {r.limit: r for r in self.dependence_limits.itertuples(index=False)}

    @cached_property
    def budget_rows(self) -> dict[int, Any]:
        return {r.budget: r for r in self.budgets.itertuples(index=False)}

