"""Elastic mode, used only to explain an infeasible case: every hard limit an analyst sets
(stockpile cover, dependence share, budget) gets a slack variable, and the objective becomes
the weighted sum of slacks. The slacks left in the solution name the limits that must move
and by how much."""

from __future__ import annotations

import pyomo.environ as pyo

from models.terms import Terms

# Weight of one unit of slack in the elastic objective: material in tonnes, money in millions.
SLACK_WEIGHTS = {"cover": 1.0, "dependence": 1.0, "budget": 1e-6}


def slack(m: pyo.ConcreteModel, terms: Terms, family: str, index: pyo.Set) -> pyo.Var | None:
    """A nonnegative slack per row of `index` when the model is elastic, else None."""
    if not terms.elastic:
        return None
    var = pyo.Var(index, within=pyo.NonNegativeReals)
    m.add_component(f"{family}_slack", var)
    terms.slacks[family] = var
    return var


def slack_term(var: pyo.Var | None, index) -> object:
    return 0 if var is None else var[index]


def add_elastic_objective(m: pyo.ConcreteModel, terms: Terms) -> None:
    m.objective = pyo.Objective(expr=pyo.quicksum(
        SLACK_WEIGHTS[family] * var[i] for family, var in terms.slacks.items() for i in var))
