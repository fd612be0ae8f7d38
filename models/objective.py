"""Objective: discounted cost, expected over scenarios, or expected + weight x CVaR.

cost(w) = sum over years t and categories of discount(t) x cost[category, t, w], with
discount(t) = 1 / (1 + discount_rate)^(t - base_year). First-stage costs (capital annuities,
fixed O&M of built capacity) are registered identically in every scenario, so the
expectation counts them once. CVaR follows Rockafellar-Uryasev:
eta + 1/(1 - alpha) x sum_w p_w excess_w, excess_w >= cost(w) - eta.
"""

from __future__ import annotations

import pyomo.environ as pyo

from models.data import ModelData
from models.terms import Terms


def scenario_cost_expressions(m: pyo.ConcreteModel, data: ModelData, terms: Terms) -> dict:
    """Scenario -> discounted cost expression."""
    parts: dict[str, list] = {w: [] for w in data.scenario_names}
    constants = dict.fromkeys(data.scenario_names, 0.0)
    for (_, t, w), items in terms.costs.items():
        df = data.discount_factor(t)
        parts[w] += [df * a * x for a, x in items]
    for (_, t, w), amount in terms.cost_constants.items():
        constants[w] += data.discount_factor(t) * amount
    return {w: pyo.quicksum(parts[w]) + constants[w] for w in data.scenario_names}


def add_objective(m: pyo.ConcreteModel, data: ModelData, terms: Terms) -> None:
    cost = scenario_cost_expressions(m, data, terms)
    m.scenario_cost = pyo.Expression(m.SCENARIOS, rule=lambda m, w: cost[w])
    expected = pyo.quicksum(m.probability[w] * m.scenario_cost[w] for w in m.SCENARIOS)
    m.expected_cost = pyo.Expression(expr=expected)
    if data.settings.get("risk_measure") == "cvar":
        alpha = data.settings["cvar_alpha"]
        m.var_level = pyo.Var(within=pyo.Reals)  # eta: the value-at-risk at the optimum
        m.excess = pyo.Var(m.SCENARIOS, within=pyo.NonNegativeReals)
        m.excess_min = pyo.Constraint(
            m.SCENARIOS, rule=lambda m, w: m.excess[w] >= m.scenario_cost[w] - m.var_level)
        m.cvar = pyo.Expression(expr=m.var_level + 1 / (1 - alpha) * pyo.quicksum(
            m.probability[w] * m.excess[w] for w in m.SCENARIOS))
        m.objective = pyo.Objective(expr=m.expected_cost + data.settings["cvar_weight"] * m.cvar)
    else:
        m.objective = pyo.Objective(expr=m.expected_cost)
