"""Stockpiles: level(t) = level(t-1) + acquisitions - releases, within capacity, releases
within max_release, and at least the cover requirement, max(min_cover_days/365 x the
holder's demand, min_level), in every year that is not a disrupted year of the scenario (the
baseline: every year). A scenario draws its stock during its cut and must restore the cover
once the cut is over.

`initial` is the level at the start of first_year; holding cost is charged on each year's
closing level. Stock left at the end of the last year is credited at `end_value` per unit, up
to that year's cover requirement (stock beyond what the policy requires earns nothing):
credited <= closing level, credited <= requirement, at the last year's discount factor.
"""

from __future__ import annotations

import math

import pyomo.environ as pyo

from models.data import ModelData
from models.elastic import slack, slack_term
from models.scenarios import operational
from models.terms import Terms


def add_stockpiles(m: pyo.ConcreteModel, data: ModelData, terms: Terms) -> None:
    piles = data.stockpile_rows

    def cell(c: str, mat: str, column: str):
        return terms.cells("stockpiles", piles[c, mat].row, column,
                           getattr(piles[c, mat], column))

    index = [(*s, t, w) for s in piles for t in data.years for w in data.scenario_names]
    m.STOCK = pyo.Set(initialize=index, dimen=4)
    m.stock_level = pyo.Var(m.STOCK, within=pyo.NonNegativeReals,
                            bounds=lambda m, c, mat, t, w: (0, cell(c, mat, "capacity")))
    m.stock_add = pyo.Var(m.STOCK, within=pyo.NonNegativeReals)

    def release_bounds(m, c, mat, t, w):
        cap = piles[c, mat].max_release
        return (0, None if math.isinf(cap) else cell(c, mat, "max_release"))

    m.stock_release = pyo.Var(m.STOCK, within=pyo.NonNegativeReals, bounds=release_bounds)
    operational(m, terms, m.stock_level, m.stock_add, m.stock_release)

    first = data.years[0]

    def balance(m, c, mat, t, w):
        before = cell(c, mat, "initial") if t == first else m.stock_level[c, mat, t - 1, w]
        return (m.stock_level[c, mat, t, w]
                == before + m.stock_add[c, mat, t, w] - m.stock_release[c, mat, t, w])

    m.stock_balance = pyo.Constraint(m.STOCK, rule=balance)

    # The cover holds in normal years; a scenario may draw the stock in its disrupted years.
    disrupted = set(zip(data.disruptions["scenario"], data.disruptions["year"], strict=True))
    base = data.scenario_names[0]
    required = {}
    for (c, mat), p in piles.items():
        for t in data.years:
            by_days = (cell(c, mat, "min_cover_days") / 365 * terms.demand_coef[c, mat, t, base]
                       if p.min_cover_days > 0 and terms.demand.get((c, mat, t, base), 0) > 0
                       else None)
            floor = cell(c, mat, "min_level") if p.min_level > 0 else None
            if by_days is not None or floor is not None:
                required[c, mat, t] = cover_requirement(by_days, floor)
    # The larger of two sweepable cells is no linear expression of them: a mutable Param that
    # `refresh_cover_needs` sets from each run's data.
    needs = {k: max(pyo.value(v[0]), pyo.value(v[1])) for k, v in required.items()
             if isinstance(v, tuple)}
    m.COVER_NEEDS = pyo.Set(initialize=list(needs), dimen=3)
    m.cover_need = pyo.Param(m.COVER_NEEDS, mutable=True, initialize=needs)
    required.update({k: m.cover_need[k] for k in needs})
    cover = [(*k, w) for k in required for w in data.scenario_names
             if (w, k[2]) not in disrupted]
    m.COVER = pyo.Set(initialize=cover, dimen=4)
    m.COVER_REQUIREMENTS = pyo.Set(initialize=list(required), dimen=3)
    m.cover_required = pyo.Expression(m.COVER_REQUIREMENTS, rule=lambda m, *k: required[k])
    short = slack(m, terms, "cover", m.COVER)
    m.stock_cover_min = pyo.Constraint(
        m.COVER, rule=lambda m, c, mat, t, w: m.stock_level[c, mat, t, w]
        + slack_term(short, (c, mat, t, w)) >= m.cover_required[c, mat, t])
    add_end_value(m, data, terms, piles, cell)

    for c, mat, t, w in index:
        terms.source((c, mat, t, w), 1.0, m.stock_release[c, mat, t, w])
        terms.use((c, mat, t, w), 1.0, m.stock_add[c, mat, t, w])
        terms.cost("holding", t, w, cell(c, mat, "holding_cost"), m.stock_level[c, mat, t, w])


def cover_requirement(by_days, floor):
    """max(days of cover x demand, min_level); either may be None (not asked). Plain numbers
    give a number; two of a sweep's mutable cells give the pair (see `cover_need`)."""
    if floor is None:
        return by_days
    if by_days is None:
        return floor
    if isinstance(by_days, int | float) and isinstance(floor, int | float):
        return max(by_days, floor)
    return (by_days, floor)


def refresh_cover_needs(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Set the cover requirements that are the larger of two cells (`m.cover_need`) from
    `data`, after a sweep changed cells in place."""
    demand = {(r.country, r.material, r.year): r.quantity for r in data.demand.itertuples()}
    piles = data.stockpile_rows
    for c, mat, t in m.COVER_NEEDS:
        p = piles[c, mat]
        m.cover_need[c, mat, t] = max(p.min_cover_days / 365 * demand.get((c, mat, t), 0.0),
                                      p.min_level)


def add_end_value(m: pyo.ConcreteModel, data: ModelData, terms: Terms, piles: dict,
                  cell) -> None:
    """stock_credit[c, m, w] <= closing level of the last year and <= its cover requirement,
    earning end_value per unit (a negative cost, discounted at the last year's factor)."""
    last = data.years[-1]
    index = [(c, mat, w) for (c, mat), p in piles.items()
             if p.end_value > 0 and (c, mat, last) in m.COVER_REQUIREMENTS
             for w in data.scenario_names]
    m.STOCK_CREDIT = pyo.Set(initialize=index, dimen=3)
    m.stock_credit = pyo.Var(m.STOCK_CREDIT, within=pyo.NonNegativeReals)
    m.stock_credit_level = pyo.Constraint(
        m.STOCK_CREDIT, rule=lambda m, c, mat, w: m.stock_credit[c, mat, w]
        <= m.stock_level[c, mat, last, w])
    m.stock_credit_cover = pyo.Constraint(
        m.STOCK_CREDIT, rule=lambda m, c, mat, w: m.stock_credit[c, mat, w]
        <= m.cover_required[c, mat, last])
    for c, mat, w in index:
        p = piles[c, mat]
        # a default is the cheapest supply price of the last year: that price's cell
        value = (cell(c, mat, "end_value") if p.end_value_row is None
                 else terms.cells("supply", p.end_value_row, "price", p.end_value))
        terms.cost("end_value", last, w, -value, m.stock_credit[c, mat, w])
