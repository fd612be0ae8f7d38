"""The Pyomo formulation, one module per concern, composed by `build_model`.

Index letters used throughout:
    c country, m material, t year, w scenario, u production unit (an existing plant or a
    candidate option `site/technology/option`), r route (from, to, material), s stockpile
    (country, material), l dependence limit, b budget, S supplier country set.

`build_model(data)` reads like the formulation's table of contents: sets, then each concern's
variables and constraints, then the balances every concern contributes to, then the limits
and the objective. Balances and costs are assembled from terms the concerns register in a
`Terms` registry, so each concern stays in its own module. It returns a `Formulation`: the
model and everything the rest of the application may read about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyomo.environ as pyo

from models import capacity, dependence, flows, objective, scenarios, stockpile
from models.data import ModelData
from models.elastic import add_elastic_objective
from models.memory import collector_paused
from models.origin import OriginFlows
from models.terms import Cells, Terms

# The limits an analyst sets: family -> (its constraint, the input sheet whose rows set it).
LIMIT_FAMILIES = {"cover": ("stock_cover_min", "stockpiles"),
                  "dependence": ("dependence_max", "dependence_limits"),
                  "budget": ("budget_max", "budgets")}


@dataclass
class Formulation:
    """A built model with what the reports read from it.

    `model` is the Pyomo model; `data` the records it was built from (a sweep that changes
    values in place points `data` at the new values, and every report follows); `terms` the
    balance and cost terms (the cost table reads the same terms as the objective).
    Achieved shares (`supplier_use`, `total_use`), budget capex (`budget_capex`) and cover
    requirements (`cover_required`) are Pyomo Expressions on the model.
    """

    model: pyo.ConcreteModel
    data: ModelData
    terms: Terms

    def set_data(self, data: ModelData) -> None:
        """Point the formulation at new values of the same case (a sweep run whose changes
        are mutable cells): the reports read `data`, and the parameters derived from data
        rather than from one cell (cut references, cover needs) follow it."""
        self.data = data
        scenarios.refresh_references(self.model, data)
        stockpile.refresh_cover_needs(self.model, data)

    @property
    def slacks(self) -> dict[str, pyo.Var]:
        """Elastic mode: family -> its slack variable (see `models.elastic`)."""
        return self.terms.slacks

    @property
    def origins(self) -> OriginFlows | None:
        """The origin-tagged flows (only when the case has dependence limits)."""
        return self.terms.origins

    @property
    def cvar(self) -> pyo.Expression | None:
        return self.model.component("cvar")

    @property
    def links_relaxed(self) -> pyo.Param | None:
        return self.model.component("links_relaxed")

    def violated_links(self) -> list[tuple]:
        """Linked shipments without a row whose link the model's values violate."""
        return flows.violated_links(self.model, self.terms)

    def add_links(self, keys: list[tuple]) -> list:
        """Rows for these linked shipments (see `models.flows.add_route_links`)."""
        return flows.add_links(self.model, self.terms, keys)

    def limits(self, family: str) -> pyo.Constraint | None:
        """The constraint of a family of `LIMIT_FAMILIES` (None when the case has none)."""
        return self.model.component(LIMIT_FAMILIES[family][0])

    def input_row(self, family: str, index: Any) -> tuple[str, int]:
        """The input sheet and Excel row that set a limit's constraint row."""
        sheet = LIMIT_FAMILIES[family][1]
        if family == "cover":
            return sheet, int(self.data.stockpile_rows[index[:2]].row)
        if family == "dependence":
            return sheet, int(self.data.limit_rows[index[0]].row)
        return sheet, int(self.data.budget_rows[index].row)


def build_model(data: ModelData, elastic: bool = False, mutable: bool = False,
                link_routes: bool = True, links_up_front: bool = True) -> Formulation:
    """Build the (unsolved) mixed-integer program for `data`.

    `elastic=True` builds the explanation model of an infeasible case instead: hard limits
    get slacks and the objective minimises them (see `models.elastic`). `mutable=True` makes
    every input cell the model uses a mutable Param (`m.cell`), for sweeps that change values
    in place and re-solve with a persistent solver (see `models.terms.Cells`).
    `link_routes=False` leaves out the route links (valid inequalities that tighten the
    relaxation without changing any optimum, see `models.flows.add_route_links`), to
    measure what they buy; `links_up_front=False` gives none of them a row yet, for a solve
    that adds the ones its relaxation violates (`optimizer.solving.start`).
    """
    with collector_paused():
        return _build(data, elastic, link_routes, links_up_front, mutable)


def _build(data: ModelData, elastic: bool, link_routes: bool, links_up_front: bool,
           mutable: bool) -> Formulation:
    m = pyo.ConcreteModel(name="critical_minerals_supply")
    terms = Terms(elastic=elastic)
    terms.cells = Cells(m, mutable)
    scenarios.add_sets(m, data)
    capacity.add_builds(m, data, terms)
    capacity.add_production(m, data, terms)
    capacity.add_budgets(m, data, terms)
    flows.add_purchases(m, data, terms)
    flows.add_shipments(m, data, terms)
    flows.add_shortages(m, data, terms)
    stockpile.add_stockpiles(m, data, terms)
    flows.add_disposal(m, data, terms)
    flows.add_material_balance(m, data, terms)
    if link_routes:
        flows.add_route_links(m, data, terms, links_up_front)
    dependence.add_dependence_limits(m, data, terms)
    scenarios.add_non_anticipativity(m, data, terms)
    scenarios.add_disruptions(m, data, terms)
    objective.add_objective(m, data, terms)
    if elastic:
        m.del_component(m.objective)
        add_elastic_objective(m, terms)
    return Formulation(m, data, terms)
