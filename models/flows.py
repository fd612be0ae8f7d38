"""Flows: purchases at origin, shipments on routes, unmet demand, and the material balance
of every (country, material, year, scenario) that any flow touches."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd
import pyomo.environ as pyo

from models.capacity import available_builds
from models.data import ModelData, UnitKind
from models.scenarios import operational
from models.terms import Terms


def add_purchases(m: pyo.ConcreteModel, data: ModelData, terms: Terms) -> None:
    """buy[c, m, t, w] <= max_quantity, paid at price, enters c's balance."""
    rows = {(r.country, r.material, r.year): r for r in data.supply.itertuples(index=False)}
    index = [(*k, w) for k in rows for w in data.scenario_names]
    m.PURCHASES = pyo.Set(initialize=index, dimen=4)

    def cell(key: tuple, column: str):
        return terms.cells("supply", rows[key].row, column, getattr(rows[key], column))

    def bounds(m, c, mat, t, w):
        cap = rows[c, mat, t].max_quantity
        return (0, None if math.isinf(cap) else cell((c, mat, t), "max_quantity"))

    m.buy = pyo.Var(m.PURCHASES, within=pyo.NonNegativeReals, bounds=bounds)
    operational(m, terms, m.buy)
    for c, mat, t, w in index:
        terms.source((c, mat, t, w), 1.0, m.buy[c, mat, t, w])
        terms.cost("purchases", t, w, cell((c, mat, t), "price"), m.buy[c, mat, t, w])


def add_shipments(m: pyo.ConcreteModel, data: ModelData, terms: Terms) -> None:
    """ship[from, to, m, t, w] on allowed routes; transport cost and tariff per unit."""
    routes = {(r.from_country, r.to_country, r.material): r
              for r in data.routes.itertuples(index=False)}
    m.ROUTES = pyo.Set(initialize=list(routes), dimen=3)
    periods = [(t, w) for t in data.years for w in data.scenario_names]
    index = [(*r, t, w) for r in routes for t, w in periods]
    m.SHIPMENTS = pyo.Set(initialize=index, dimen=5)
    m.ship = pyo.Var(m.SHIPMENTS, within=pyo.NonNegativeReals)
    operational(m, terms, m.ship)
    prices = {key: (terms.cells("routes", r.row, "transport_cost", r.transport_cost),
                    terms.cells("routes", r.row, "tariff", r.tariff))
              for key, r in routes.items()}
    for (o, d, mat, t, w), var in m.ship.items():  # no lookup of each variable by its key
        transport, tariff = prices[o, d, mat]
        terms.use((o, mat, t, w), 1.0, var)
        terms.source((d, mat, t, w), 1.0, var)
        terms.cost("transport", t, w, transport, var)
        terms.cost("tariffs", t, w, tariff, var)


def add_shortages(m: pyo.ConcreteModel, data: ModelData, terms: Terms) -> None:
    """shortage[c, m, t, w] <= demand, priced at the demand row's shortage_cost (default: the
    material's)."""
    rows = {(r.country, r.material, r.year): r for r in data.demand.itertuples(index=False)}
    # A zero demand stays a plain 0: it has no shortage variable, so it cannot become a
    # sweepable cell.
    demand = {k: _demand_coef(terms, r) if r.quantity > 0 else 0.0 for k, r in rows.items()}
    index = [(*k, w) for k, r in rows.items() if r.quantity > 0 for w in data.scenario_names]
    m.SHORTAGES = pyo.Set(initialize=index, dimen=4)
    m.shortage = pyo.Var(m.SHORTAGES, within=pyo.NonNegativeReals,
                         bounds=lambda m, c, mat, t, w: (0, demand[c, mat, t]))
    operational(m, terms, m.shortage)
    for k, r in rows.items():
        for w in data.scenario_names:
            terms.demand[(*k, w)] = r.quantity
            terms.demand_coef[(*k, w)] = demand[k]
    def shortage_cost(r):  # the demand row's own, or its material's
        if r.shortage_cost_given:
            return terms.cells("demand", r.row, "shortage_cost", r.shortage_cost)
        return terms.cells("materials", data.materials.at[r.material, "row"], "shortage_cost",
                           data.materials.at[r.material, "shortage_cost"])

    costs = {k: shortage_cost(r) for k, r in rows.items() if r.quantity > 0}
    for c, mat, t, w in index:
        terms.cost("shortage", t, w, costs[c, mat, t], m.shortage[c, mat, t, w])
        terms.source((c, mat, t, w), 1.0, m.shortage[c, mat, t, w])


def add_disposal(m: pyo.ConcreteModel, data: ModelData, terms: Terms) -> None:
    """dispose[c, m, t, w] of a material with a disposal_cost, at that cost, wherever it can
    arrive (bought, made, shipped in or released: not where its only source is shortage).
    Call it after every source is registered."""
    costs = data.materials["disposal_cost"]
    disposable = {mat for mat, cost in costs.items() if cost is not None and not pd.isna(cost)}
    index = [node for node, items in terms.sources.items() if node[1] in disposable
             and any(var.parent_component() is not m.shortage for _, var in items)]
    m.DISPOSALS = pyo.Set(initialize=sorted(index), dimen=4)
    m.dispose = pyo.Var(m.DISPOSALS, within=pyo.NonNegativeReals)
    operational(m, terms, m.dispose)
    for c, mat, t, w in m.DISPOSALS:
        cost = terms.cells("materials", data.materials.at[mat, "row"], "disposal_cost",
                           costs[mat])
        terms.use((c, mat, t, w), 1.0, m.dispose[c, mat, t, w])
        terms.cost("disposal", t, w, cost, m.dispose[c, mat, t, w])


def _demand_coef(terms: Terms, r: Any) -> Any:
    """A demand record's quantity as a coefficient: its row's cell, times its growth factor
    in a year the row grows into (so a sweep of the row's quantity scales those years too)."""
    cell = terms.cells("demand", r.row, "quantity", r.row_quantity)
    return cell if r.growth_factor == 1 else cell * r.growth_factor


def add_material_balance(m: pyo.ConcreteModel, data: ModelData, terms: Terms) -> None:
    """purchases + production outputs + inbound shipments + stockpile releases + shortage
    = process inputs + outbound shipments + stockpile acquisitions + disposal + demand.

    (Shortage is registered as a source: unmet demand is demand nobody supplied.)
    """
    nodes = sorted(set(terms.sources) | set(terms.uses) | set(terms.demand))
    m.NODES = pyo.Set(initialize=nodes, dimen=4)

    def rule(m, c, mat, t, w):
        node = (c, mat, t, w)
        inflow = pyo.quicksum(a * x for a, x in terms.sources.get(node, ()))
        outflow = pyo.quicksum(a * x for a, x in terms.uses.get(node, ()))
        if not terms.sources.get(node) and not terms.uses.get(node):
            # positive demand always has a shortage variable, so this node has no demand
            return pyo.Constraint.Skip
        return inflow - outflow == terms.demand_coef.get(node, 0.0)

    m.material_balance = pyo.Constraint(m.NODES, rule=rule)


def add_route_links(m: pyo.ConcreteModel, data: ModelData, terms: Terms,
                    up_front: bool = True) -> None:
    """ship[o, d, m, t, w] <= demand[d, m, t] x (candidates in o online in t), on a route
    from a country whose only supply of the material is candidate production to a country
    that only consumes it.

    Valid for every plan: with nothing built in o nothing can leave o; otherwise the
    shipment is at most d's demand, since d has no use for the material but its demand. It
    tightens the LP relaxation: capacity alone lets a fraction of a build serve a full
    route (the strong x_ij <= d_j y_i linking of facility location). A sink with no demand
    receives nothing by its balance already.

    `m.LINKED_SHIPMENTS` holds every shipment that may be linked; with `up_front` each gets
    its row now, otherwise none does and `add_links` adds the rows a relaxation violates
    (a facility-location case has a link per route, and all of them can cost the root LP
    more time than it has: see `optimizer.solving.start`).

    Each row reads ship - demand x builds <= demand x `m.links_relaxed` (0): the marginal-cost
    LP sets it to 1, which leaves every link slack without taking rows out of a persistent
    solver (see `optimizer.solving.duals`).
    """
    online: dict[tuple, list | None] = {}  # origin node -> its online builds (None: no link)
    links = {}
    for key in m.SHIPMENTS:
        o, d, mat, t, w = key
        sink = (d, mat, t, w)
        if terms.uses.get(sink) or terms.demand.get(sink, 0) <= 0:
            continue
        node = (o, mat, t, w)
        if node not in online:
            online[node] = _candidate_builds(m, data, terms, node) or None
        if online[node] is not None:
            links[key] = (terms.demand_coef[sink], online[node])
    terms.links = links
    m.LINKED_SHIPMENTS = pyo.Set(initialize=list(links), dimen=5)
    m.links_relaxed = pyo.Param(mutable=True, initialize=0)
    m.route_link = pyo.Constraint(m.LINKED_SHIPMENTS, rule=lambda m, *k: _link_row(
        m, k, links[k]) if up_front else pyo.Constraint.Skip)


def _link_row(m: pyo.ConcreteModel, key: tuple, link: tuple) -> tuple:
    demand, builds = link
    # a linear body: HiGHS's interface translates it a fifth faster than demand x (sum)
    body = m.ship[key]
    for b in builds:
        body -= demand * b
    return (None, body, demand * m.links_relaxed)


def add_links(m: pyo.ConcreteModel, terms: Terms, keys: Sequence[tuple]) -> list:
    """Give each linked shipment in `keys` its row (see `add_route_links`); the new rows."""
    for key in keys:
        m.route_link[key] = _link_row(m, key, terms.links[key])
    return [m.route_link[key] for key in keys]


def violated_links(m: pyo.ConcreteModel, terms: Terms, tolerance: float = 1e-6) -> list:
    """The linked shipments without a row whose link the values now in `m` violate by more
    than `tolerance` x the destination's demand."""
    out = []
    for key, (demand, builds) in terms.links.items():
        if key in m.route_link:
            continue
        bound = pyo.value(demand)
        # .value, not pyo.value(): a hundred thousand shipments on a facility-location case
        built = sum(b.value or 0.0 for b in builds)
        if (m.ship[key].value or 0.0) > bound * (built + tolerance):
            out.append(key)
    return out


def _candidate_builds(m: pyo.ConcreteModel, data: ModelData, terms: Terms, node: tuple
                      ) -> list | None:
    """The build variables online at `node` when candidate production is its only source
    (besides its own shortage, which cannot leave: it is at most the node's demand); None
    when anything else supplies it."""
    out = []
    for _, var in terms.sources.get(node, ()):
        component = var.parent_component()
        if component is m.shortage:
            continue
        if component is not m.produce:
            return None
        unit, t, _ = var.index()
        if data.units[unit].kind is not UnitKind.CANDIDATE:
            return None
        out += available_builds(m, unit, t)
    return out
