"""Registries of signed terms that several concerns contribute to."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pyomo.environ as pyo

Node = tuple[str, str, int, str]  # (country, material, year, scenario)
CostKey = tuple[str, int, str]  # (category, year, scenario)

COST_CATEGORIES = ("capital", "fixed_om", "variable", "purchases", "transport", "tariffs",
                   "holding", "shortage", "disposal", "end_value")


@dataclass
class Terms:
    """Linear terms (coefficient, variable) collected per balance node and per cost entry."""

    sources: dict[Node, list[tuple[float, Any]]] = field(default_factory=lambda: defaultdict(list))
    uses: dict[Node, list[tuple[float, Any]]] = field(default_factory=lambda: defaultdict(list))
    demand: dict[Node, float] = field(default_factory=dict)
    demand_coef: dict[Node, Any] = field(default_factory=dict)  # the demand as a coefficient
    costs: dict[CostKey, list[tuple[float, Any]]] = field(
        default_factory=lambda: defaultdict(list))
    cost_constants: dict[CostKey, float] = field(default_factory=lambda: defaultdict(float))
    cells: Cells | None = None  # set by build_model
    elastic: bool = False  # build the explanation model: hard limits get slacks
    slacks: dict[str, Any] = field(default_factory=dict)  # family -> its slack Var
    operational: list[Any] = field(default_factory=list)  # Vars indexed (..., year, scenario)
    origins: Any = None  # the origin-tagged flows (`models.origin.OriginFlows`), with limits
    # linked shipment -> (destination's demand, builds online at the origin): every route
    # link, with a row or not (`models.flows.add_route_links`)
    links: dict[tuple, tuple] = field(default_factory=dict)

    def source(self, node: Node, coef: float, var: Any) -> None:
        self.sources[node].append((coef, var))

    def use(self, node: Node, coef: float, var: Any) -> None:
        self.uses[node].append((coef, var))

    def cost(self, category: str, year: int, scenario: str, coef: Any, var: Any) -> None:
        if not is_zero(coef):
            self.costs[(category, year, scenario)].append((coef, var))

    def constant_cost(self, category: str, year: int, scenario: str, amount: Any) -> None:
        if not is_zero(amount):
            self.cost_constants[(category, year, scenario)] += amount


class Cells:
    """Input cells as model coefficients.

    Normally a cell's value is used as it is. In mutable mode (sweeps re-using one model) each
    cell the model uses becomes one mutable Param `m.cell[sheet, row, column]`, so a sweep can
    change it in place and a persistent solver picks the change up. Only cells with a finite
    value are registered; anything else the model uses stays fixed.
    """

    def __init__(self, m: Any, mutable: bool):
        self.m, self.mutable = m, mutable
        if mutable:
            m.cell = pyo.Param(pyo.Any, mutable=True, initialize={})

    def __call__(self, sheet: str, row: int, column: str, value: float) -> Any:
        if not self.mutable or value is None or math.isinf(value):
            return value
        key = (sheet, int(row), column)
        if key not in self.m.cell:
            self.m.cell[key] = value
        return self.m.cell[key]


def is_zero(coef: Any) -> bool:
    """True for a plain 0 (a mutable cell is never skipped: a sweep may make it non-zero)."""
    return isinstance(coef, (int, float)) and coef == 0  # a tuple: faster than int | float
