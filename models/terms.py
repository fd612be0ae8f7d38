"""Registries of signed terms that several concerns contribute to."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

Node = tuple[str, str, int, str]  # (country, material, year, scenario)
CostKey = tuple[str, int, str]  # (category, year, scenario)

COST_CATEGORIES = ("capex", "salvage", "fixed_om", "variable", "purchases", "transport",
                   "tariffs", "holding", "shortage")


@dataclass
class Terms:
    """Linear terms (coefficient, variable) collected per balance node and per cost entry."""

    sources: dict[Node, list[tuple[float, Any]]] = field(default_factory=lambda: defaultdict(list))
    uses: dict[Node, list[tuple[float, Any]]] = field(default_factory=lambda: defaultdict(list))
    demand: dict[Node, float] = field(default_factory=dict)
    costs: dict[CostKey, list[tuple[float, Any]]] = field(
        default_factory=lambda: defaultdict(list))
    cost_constants: dict[CostKey, float] = field(default_factory=lambda: defaultdict(float))

    def source(self, node: Node, coef: float, var: Any) -> None:
        self.sources[node].append((coef, var))

    def use(self, node: Node, coef: float, var: Any) -> None:
        self.uses[node].append((coef, var))

    def cost(self, category: str, year: int, scenario: str, coef: float, var: Any) -> None:
        if coef:
            self.costs[(category, year, scenario)].append((coef, var))

    def constant_cost(self, category: str, year: int, scenario: str, amount: float) -> None:
        if amount:
            self.cost_constants[(category, year, scenario)] += amount
