"""Dependence limits (every year a limit names, in every scenario):

    supplier-origin quantity of material m that consumer G uses
        <= max_share x all of m that G uses
    use = demand met in G + inputs of G's plants

Origin is read from the origin-tagged flows of `models.origin` (by the setting
`origin_rule`), so a share always lies in [0, 1]: `max_share` = 1 never binds, and neither
re-exports, round trips nor re-stocking can meet a limit. Where the supplier group contains
the consumer's own countries, only origin outside the consumer counts.

A limit is a policy: it holds in every scenario, not only in the baseline, so a scenario does
not return to unlimited imports once its cut is over.
"""

from __future__ import annotations

import pyomo.environ as pyo

from models.data import ModelData
from models.elastic import slack, slack_term
from models.origin import OriginFlows
from models.terms import Terms


def add_dependence_limits(m: pyo.ConcreteModel, data: ModelData, terms: Terms) -> None:
    limits = [r for r in data.dependence_limits.itertuples(index=False)
              if r.year in data.years]
    origins = terms.origins = OriginFlows(m, data, terms, limits) if limits else None
    rows, totals = {}, {}
    for lim in limits:
        consumer = set(data.members(lim.consumer))
        supplier = origins.classes.supplier_of_limit[lim.limit]
        for w in data.scenario_names:
            key = (lim.limit, w)
            totals[key] = _total_supply(m, data, consumer, lim.material, lim.year, w, terms)
            from_supplier = origins.use(supplier, consumer, lim.material, lim.year, w)
            if from_supplier:
                # the smallest of overlapping rows is a plain number (see to_model)
                share = lim.max_share if lim.overlapping else terms.cells(
                    "dependence_limits", lim.row, "max_share", lim.max_share)
                rows[key] = (from_supplier, totals[key], share)
    # What the consumer takes from the supplier and in all, per limit and scenario: the plan
    # reads its achieved shares from these.
    m.LIMIT_SCENARIOS = pyo.Set(initialize=list(totals), dimen=2)
    m.supplier_use = pyo.Expression(m.LIMIT_SCENARIOS, rule=lambda m, lim, w: pyo.quicksum(
        rows[lim, w][0]) if (lim, w) in rows else 0)
    m.total_use = pyo.Expression(m.LIMIT_SCENARIOS,
                                 rule=lambda m, lim, w: pyo.quicksum(totals[lim, w]))
    m.LIMITS = pyo.Set(initialize=list(rows), dimen=2)  # those the supplier can reach
    excess = slack(m, terms, "dependence", m.LIMITS)
    m.dependence_max = pyo.Constraint(
        m.LIMITS, rule=lambda m, lim, w: m.supplier_use[lim, w]
        - slack_term(excess, (lim, w)) <= rows[lim, w][2] * m.total_use[lim, w])


def _total_supply(m: pyo.ConcreteModel, data: ModelData, consumer: set[str], material: str,
                  year: int, w: str, terms: Terms) -> list:
    """Terms of the consumer's net supply of the material in a year and scenario: what it
    consumes plus what its plants use."""
    out: list = []
    for c in consumer:
        node = (c, material, year, w)
        if terms.demand.get(node, 0) > 0:
            out.append(terms.demand_coef[node])
            if node in m.SHORTAGES:
                out.append(-m.shortage[node])
    for unit in _units_in(m, data, consumer, year, w):
        used = data.recipes.get(data.units[unit].technology, {}).get(material, (0, 0))[0]
        if used:
            out.append(used * m.produce[unit, year, w])
    return out


def _units_in(m: pyo.ConcreteModel, data: ModelData, countries: set[str], year: int,
              w: str) -> list[str]:
    return [u for u, unit in data.units.items()
            if unit.country in countries and (u, year, w) in m.produce]
