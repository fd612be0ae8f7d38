"""Capacity: candidate builds with lead times and lifetimes, paid for by annuities;
production within installed capacity; budgets on overnight capex.

A candidate option built in year t with lead time L and lifetime N produces in years
t + L .. t + L + N - 1. It pays the annuity capex x r / (1 - (1 + r)^-N) (r its financing
rate; capex / N when r = 0) in each of those years that lies within the horizon; years after
the horizon are not charged (no salvage).
"""

from __future__ import annotations

from collections import defaultdict

import pyomo.environ as pyo

from models.data import ModelData, unit_capacity_years
from models.elastic import slack, slack_term
from models.terms import Terms, is_zero


def build_years(unit, last_year: int) -> list[int]:
    """Decision years of a candidate whose output would start inside the horizon."""
    return [t for t in range(unit.first_year, unit.last_year + 1)
            if t + unit.lead_time <= last_year]


def online_years(unit, decision_year: int) -> range:
    start = decision_year + unit.lead_time
    return range(start, start + unit.lifetime)


def annuity_factor(rate: float, lifetime: int) -> float:
    """Annuity per unit of capex: r / (1 - (1 + r)^-N), or 1 / N when r = 0."""
    if rate == 0:
        return 1.0 / lifetime
    return rate / (1.0 - (1.0 + rate) ** -lifetime)


def add_builds(m: pyo.ConcreteModel, data: ModelData, terms: Terms) -> None:
    """build[u, t] binary; each (site, technology) built at most once, in one option;
    the capital annuity and fixed O&M of built capacity enter the costs in each year it is
    online within the horizon."""
    last = data.years[-1]
    candidates = [u for u in data.units.itertuples(index=False) if u.kind == "candidate"]
    index = [(u.unit, t) for u in candidates for t in build_years(u, last)]
    m.BUILDS = pyo.Set(initialize=index, dimen=2)
    m.build = pyo.Var(m.BUILDS, within=pyo.Binary)
    m.build_unit = {u.unit: u for u in candidates}

    per_site: dict[tuple[str, str], list] = defaultdict(list)
    for unit, t in index:
        u = m.build_unit[unit]
        per_site[(u.site, u.technology)].append(m.build[unit, t])
    multi = [k for k, v in per_site.items() if len(v) > 1]
    m.SITE_TECHNOLOGIES = pyo.Set(initialize=multi, dimen=2)
    m.build_once = pyo.Constraint(m.SITE_TECHNOLOGIES,
                                  rule=lambda m, s, k: pyo.quicksum(per_site[s, k]) <= 1)

    m.online_builds = defaultdict(list)  # (unit, year) -> builds whose output is online
    scenarios = data.scenario_names
    for unit, t in index:
        u, var = m.build_unit[unit], m.build[unit, t]
        years = [y for y in online_years(u, t) if y <= last]
        for year in years:
            m.online_builds[unit, year].append(var)
        annuity = unit_cell(terms, u, "capex") * annuity_factor(u.financing_rate, u.lifetime)
        fixed_om = unit_cell(terms, u, "fixed_om")
        for w in scenarios:
            for year in years:
                terms.cost("capital", year, w, annuity, var)
                if not is_zero(fixed_om):
                    terms.cost("fixed_om", year, w, fixed_om, var)


def unit_cell(terms: Terms, u, column: str):
    """A unit's number as a coefficient (its row on `sites` or `existing_plants`)."""
    sheet = "sites" if u.kind == "candidate" else "existing_plants"
    return terms.cells(sheet, u.row, column, getattr(u, column))


def available_builds(m: pyo.ConcreteModel, unit: str, year: int) -> list:
    """build variables of `unit` whose output is online in `year` (a year of the horizon)."""
    return list(m.online_builds.get((unit, year), ()))


def add_production(m: pyo.ConcreteModel, data: ModelData, terms: Terms) -> None:
    """produce[u, t, w] <= capacity of u available in t; recipe inputs and outputs enter the
    material balance of the unit's country; variable cost enters the costs."""
    scenarios = data.scenario_names
    index = [(u.unit, t, w) for u in data.units.itertuples(index=False)
             for t in unit_capacity_years(u, data.years) for w in scenarios]
    m.PRODUCTION = pyo.Set(initialize=index, dimen=3)
    unit_rows = {u.unit: u for u in data.units.itertuples(index=False)}
    m.unit_row = unit_rows

    def bounds(m, unit, t, w):
        u = unit_rows[unit]
        return (0, unit_cell(terms, u, "capacity") if u.kind == "existing" else None)

    m.produce = pyo.Var(m.PRODUCTION, within=pyo.NonNegativeReals, bounds=bounds)
    m.produce.scenario_indexed = True

    built = [(unit, t, w) for unit, t, w in index if unit_rows[unit].kind == "candidate"]
    m.CANDIDATE_PRODUCTION = pyo.Set(initialize=built, dimen=3)
    m.production_max = pyo.Constraint(
        m.CANDIDATE_PRODUCTION,
        rule=lambda m, unit, t, w: m.produce[unit, t, w]
        <= unit_cell(terms, unit_rows[unit], "capacity")
        * pyo.quicksum(available_builds(m, unit, t)))

    for unit, u in unit_rows.items():
        recipe = data.recipes.get(u.technology, {}).items()
        cost = unit_cell(terms, u, "variable_cost")
        for t in unit_capacity_years(u, data.years):
            for w in scenarios:
                var = m.produce[unit, t, w]
                for material, (used, made) in recipe:
                    if made:
                        terms.source((u.country, material, t, w), made, var)
                    if used:
                        terms.use((u.country, material, t, w), used, var)
                terms.cost("variable", t, w, cost, var)
        if u.kind == "existing":
            fixed_om = unit_cell(terms, u, "fixed_om")
            for t in range(u.first_year, u.last_year + 1):
                for w in scenarios:
                    terms.constant_cost("fixed_om", t, w, fixed_om)


def add_budgets(m: pyo.ConcreteModel, data: ModelData, terms: Terms) -> None:
    """Capex of builds decided in the budget's country or group (in its year, or over the
    horizon when the year is blank) <= max_capex."""
    scoped = {}
    for b in data.budgets.itertuples(index=False):
        members = set(data.members(b.country))
        builds = [(unit_cell(terms, m.build_unit[unit], "capex"), m.build[unit, t])
                  for unit, t in m.BUILDS
                  if m.build_unit[unit].country in members and (b.year is None or t == b.year)]
        if builds:
            scoped[b.budget] = (builds, b.max_capex)
    m.BUDGETS = pyo.Set(initialize=list(scoped))
    m.budget_row = {b.budget: b.row for b in data.budgets.itertuples(index=False)}
    m.budget_capex = {b: pyo.quicksum(c * x for c, x in scoped[b][0]) for b in scoped}
    # mutable: the plan reports what a larger budget would save by re-solving with it (and a
    # sweep of max_capex sets it in place)
    m.max_capex = pyo.Param(m.BUDGETS, mutable=True, initialize={b: v[1] for b, v in
                                                                  scoped.items()})
    over = slack(m, "budget", m.BUDGETS)
    m.budget_max = pyo.Constraint(
        m.BUDGETS, rule=lambda m, b: m.budget_capex[b] - slack_term(over, b) <= m.max_capex[b])
