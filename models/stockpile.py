"""Stockpiles: level(t) = level(t-1) + acquisitions - releases, within capacity, releases
within max_release, and at least min_cover_days of the holder's demand in every year that is
not a disrupted year of the scenario (the baseline: every year). A scenario draws its stock
during its cut and must restore the cover once the cut is over.

`initial` is the level at the start of first_year; holding cost is charged on each year's
closing level; stock left at the end of the horizon has no value.
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
    required = {(c, mat, t): cell(c, mat, "min_cover_days") / 365
                * terms.demand_coef[c, mat, t, base]
                for (c, mat), p in piles.items() if p.min_cover_days > 0
                for t in data.years if terms.demand.get((c, mat, t, base), 0) > 0}
    cover = [(*k, w) for k in required for w in data.scenario_names
             if (w, k[2]) not in disrupted]
    m.COVER = pyo.Set(initialize=cover, dimen=4)
    m.COVER_REQUIREMENTS = pyo.Set(initialize=list(required), dimen=3)
    m.cover_required = pyo.Expression(m.COVER_REQUIREMENTS, rule=lambda m, *k: required[k])
    short = slack(m, terms, "cover", m.COVER)
    m.stock_cover_min = pyo.Constraint(
        m.COVER, rule=lambda m, c, mat, t, w: m.stock_level[c, mat, t, w]
        + slack_term(short, (c, mat, t, w)) >= m.cover_required[c, mat, t])

    for c, mat, t, w in index:
        terms.source((c, mat, t, w), 1.0, m.stock_release[c, mat, t, w])
        terms.use((c, mat, t, w), 1.0, m.stock_add[c, mat, t, w])
        terms.cost("holding", t, w, cell(c, mat, "holding_cost"), m.stock_level[c, mat, t, w])
