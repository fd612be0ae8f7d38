"""The Pyomo formulation, one module per concern, composed by `build_model`.

Index letters used throughout:
    c country, m material, t year, w scenario, u production unit (an existing plant or a
    candidate option `site/technology/option`), r route (from, to, material), s stockpile
    (country, material), l dependence limit, b budget, S supplier country set.

`build_model(data)` reads like the formulation's table of contents: sets, then each concern's
variables and constraints, then the balances every concern contributes to, then the limits
and the objective. Balances and costs are assembled from terms the concerns register in a
`Terms` registry, so each concern stays in its own module.
"""

from __future__ import annotations

import pyomo.environ as pyo

from models import capacity, dependence, flows, objective, scenarios, stockpile
from models.data import ModelData
from models.elastic import add_elastic_objective
from models.terms import Cells, Terms


def build_model(data: ModelData, elastic: bool = False, mutable: bool = False,
                link_routes: bool = True) -> pyo.ConcreteModel:
    """Build the (unsolved) mixed-integer program for `data`.

    `elastic=True` builds the explanation model of an infeasible case instead: hard limits
    get slacks and the objective minimises them (see `models.elastic`). `mutable=True` makes
    every input cell the model uses a mutable Param (`m.cell`), for sweeps that change values
    in place and re-solve with a persistent solver (see `models.terms.Cells`).
    `link_routes=False` leaves out the route links (valid inequalities that tighten the
    relaxation without changing any optimum, see `models.flows.add_route_links`), to
    measure what they buy.
    """
    m = pyo.ConcreteModel(name="critical_minerals_supply")
    m.elastic, m.slacks = elastic, {}
    terms = Terms()
    terms.cells = Cells(m, mutable)
    scenarios.add_sets(m, data)
    capacity.add_builds(m, data, terms)
    capacity.add_production(m, data, terms)
    capacity.add_budgets(m, data, terms)
    flows.add_purchases(m, data, terms)
    flows.add_shipments(m, data, terms)
    flows.add_shortages(m, data, terms)
    stockpile.add_stockpiles(m, data, terms)
    flows.add_material_balance(m, data, terms)
    if link_routes:
        flows.add_route_links(m, data, terms)
    dependence.add_dependence_limits(m, data, terms)
    scenarios.add_non_anticipativity(m, data)
    scenarios.add_disruptions(m, data, terms)
    objective.add_objective(m, data, terms)
    if elastic:
        m.del_component(m.objective)
        add_elastic_objective(m)
    m.terms = terms  # kept for reporting: the cost table reads the same terms
    return m


def refresh_rows(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Point the model's per-row records at `data` (same structure, new values): after a
    sweep changes cells in place, the plan must read the new values too."""
    units = {u.unit: u for u in data.units.itertuples(index=False)}
    m.unit_row = units
    m.build_unit = {name: u for name, u in units.items() if u.kind == "candidate"}
    m.stockpile_row = {(r.country, r.material): r
                       for r in data.stockpiles.itertuples(index=False)}
    m.limit_row = {lim.limit: lim for lim in data.dependence_limits.itertuples(index=False)}
    stockpile.refresh_cover_needs(m, data)
