"""Capacity: candidate builds with lead times and lifetimes, paid for by annuities;
production within installed capacity; budgets on overnight capex.

A candidate option built in year t produces in its `online_years(t)` (`models.data.Unit`:
t + L .. t + L + N - 1 with lead time L and lifetime N). It pays the annuity
capex x r / (1 - (1 + r)^-N) (r its financing rate; capex / N when r = 0) in each of those
years that lies within the horizon; years after the horizon are not charged (no salvage).
"""

from __future__ import annotations

from collections import defaultdict

import pyomo.environ as pyo

from models.data import ModelData, Unit, UnitKind
from models.elastic import slack, slack_term
from models.scenarios import operational
from models.terms import Terms, is_zero


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
    candidates = data.candidates
    index = [(u.name, t) for u in candidates.values() for t in u.decision_years]
    m.BUILDS = pyo.Set(initialize=index, dimen=2)
    m.build = pyo.Var(m.BUILDS, within=pyo.Binary)

    per_site: dict[tuple[str, str], list] = defaultdict(list)
    for unit, t in index:
        u = candidates[unit]
        per_site[(u.site, u.technology)].append(m.build[unit, t])
    multi = [k for k, v in per_site.items() if len(v) > 1]
    m.SITE_TECHNOLOGIES = pyo.Set(initialize=multi, dimen=2)
    m.build_once = pyo.Constraint(m.SITE_TECHNOLOGIES,
                                  rule=lambda m, s, k: pyo.quicksum(per_site[s, k]) <= 1)

    online: dict[tuple[str, int], list] = defaultdict(list)  # (unit, year) -> builds online
    scenarios = data.scenario_names
    for unit, t in index:
        u, var = candidates[unit], m.build[unit, t]
        years = [y for y in u.online_years(t) if y <= last]
        for year in years:
            online[unit, year].append((unit, t))
        annuity = unit_cell(terms, u, "capex") * annuity_factor(u.financing_rate, u.lifetime)
        fixed_om = unit_cell(terms, u, "fixed_om")
        for w in scenarios:
            for year in years:
                terms.cost("capital", year, w, annuity, var)
                if not is_zero(fixed_om):
                    terms.cost("fixed_om", year, w, fixed_om, var)
    m.UNIT_YEARS = pyo.Set(initialize=list(online), dimen=2)
    m.online_builds = pyo.Set(m.UNIT_YEARS, within=m.BUILDS, ordered=True, initialize=online)


def unit_cell(terms: Terms, u: Unit, column: str):
    """A unit's number as a coefficient (its row on `sites` or `existing_plants`)."""
    return terms.cells(u.sheet, u.row, column, getattr(u, column))


def available_builds(m: pyo.ConcreteModel, unit: str, year: int) -> list:
    """build variables of `unit` whose output is online in `year` (a year of the horizon)."""
    if (unit, year) not in m.UNIT_YEARS:
        return []
    return [m.build[b] for b in m.online_builds[unit, year]]


def add_production(m: pyo.ConcreteModel, data: ModelData, terms: Terms) -> None:
    """produce[u, t, w] <= capacity of u available in t; recipe inputs and outputs enter the
    material balance of the unit's country; variable cost enters the costs."""
    scenarios = data.scenario_names
    units = data.units
    index = [(u.name, t, w) for u in units.values() for t in u.producing_years
             for w in scenarios]
    m.PRODUCTION = pyo.Set(initialize=index, dimen=3)

    def bounds(m, unit, t, w):
        u = units[unit]
        return (0, unit_cell(terms, u, "capacity") if u.kind is UnitKind.EXISTING else None)

    m.produce = pyo.Var(m.PRODUCTION, within=pyo.NonNegativeReals, bounds=bounds)
    operational(m, terms, m.produce)

    built = [(unit, t, w) for unit, t, w in index if units[unit].kind is UnitKind.CANDIDATE]
    m.CANDIDATE_PRODUCTION = pyo.Set(initialize=built, dimen=3)
    m.production_max = pyo.Constraint(
        m.CANDIDATE_PRODUCTION,
        rule=lambda m, unit, t, w: m.produce[unit, t, w]
        <= unit_cell(terms, units[unit], "capacity")
        * pyo.quicksum(available_builds(m, unit, t)))

    for unit, u in units.items():
        recipe = data.recipes.get(u.technology, {}).items()
        cost = unit_cell(terms, u, "variable_cost")
        for t in u.producing_years:
            for w in scenarios:
                var = m.produce[unit, t, w]
                for material, (used, made) in recipe:
                    if made:
                        terms.source((u.country, material, t, w), made, var)
                    if used:
                        terms.use((u.country, material, t, w), used, var)
                terms.cost("variable", t, w, cost, var)
        if u.kind is UnitKind.EXISTING:
            fixed_om = unit_cell(terms, u, "fixed_om")
            for t in u.producing_years:
                for w in scenarios:
                    terms.constant_cost("fixed_om", t, w, fixed_om)


def add_budgets(m: pyo.ConcreteModel, data: ModelData, terms: Terms) -> None:
    """Capex of builds decided in the budget's country or group (in its year, or over the
    horizon when the year is blank) <= max_capex."""
    scoped = {}
    candidates = data.candidates
    for b in data.budgets.itertuples(index=False):
        members = set(data.members(b.country))
        builds = [(unit_cell(terms, candidates[unit], "capex"), m.build[unit, t])
                  for unit, t in m.BUILDS
                  if candidates[unit].country in members and (b.year is None or t == b.year)]
        if builds:
            scoped[b.budget] = (builds, b.max_capex)
    m.BUDGETS = pyo.Set(initialize=list(scoped))
    m.budget_capex = pyo.Expression(
        m.BUDGETS, rule=lambda m, b: pyo.quicksum(c * x for c, x in scoped[b][0]))
    # mutable: the plan reports what a larger budget would save by re-solving with it (and a
    # sweep of max_capex sets it in place)
    m.max_capex = pyo.Param(m.BUDGETS, mutable=True, initialize={b: v[1] for b, v in
                                                                  scoped.items()})
    over = slack(m, terms, "budget", m.BUDGETS)
    m.budget_max = pyo.Constraint(
        m.BUDGETS, rule=lambda m, b: m.budget_capex[b] - slack_term(over, b) <= m.max_capex[b])
