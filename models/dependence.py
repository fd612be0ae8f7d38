"""Dependence limits (every year a limit names, in every scenario):

    imports of material m by consumer G from supplier S
        <= max_share x G's total supply of m
    total supply = purchases in G + production in G + stockpile releases in G
                   + imports into G from outside G
                   - stockpile acquisitions in G - exports from G to outside G
                 = demand met in G + inputs of G's plants   (by the material balance)

Acquisitions and exports are netted out so the limit cannot be met by round-tripping
non-S material (import and re-export, or release and re-stock), which would otherwise
inflate the total at the cost of freight alone.

With the setting `trace_origin`, "imports from S" becomes "supply of S-origin material":
material bought or made in S is S-origin, and so is whatever a plant makes in a linked mode
fed by S-origin inputs. Every activity outside S splits into a clean mode, fed only by
non-S inputs, and a linked mode (`origin_produce`), so re-exports through third countries and
toll processing of S's material count against the limit.

A limit is a policy: it holds in every scenario, not only in the baseline, so a scenario does
not return to unlimited imports once its cut is over. (In a disrupted year imports from the
supplier are cut anyway.)
"""

from __future__ import annotations

from collections import defaultdict

import pyomo.environ as pyo

from models.data import ModelData
from models.elastic import slack, slack_term
from models.terms import Terms


def add_dependence_limits(m: pyo.ConcreteModel, data: ModelData, terms: Terms) -> None:
    limits = [r for r in data.dependence_limits.itertuples(index=False)
              if r.year in data.years]
    trace = bool(data.settings.get("trace_origin")) and limits
    tracer = OriginTracer(m, data, terms, limits) if trace else None
    rows, totals = {}, {}
    routes_of: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for o, d, mat in m.ROUTES:
        routes_of[mat].append((o, d))
    for lim in limits:
        consumer = set(data.members(lim.consumer))
        supplier = effective_supplier(data, lim)
        imports = [(o, d) for o, d in routes_of[lim.material] if d in consumer and o in supplier]
        for w in data.scenario_names:
            key = (lim.limit, w)
            totals[key] = _total_supply(m, data, consumer, lim.material, lim.year, w, terms)
            if not supplier:
                continue  # the supplier lies wholly inside the consumer: nothing is imported
            if tracer is not None:
                from_supplier = tracer.origin_supply(supplier, consumer, lim.material,
                                                     lim.year, w)
            else:
                from_supplier = [m.ship[o, d, lim.material, lim.year, w] for o, d in imports]
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
    m.LIMITS = pyo.Set(initialize=list(rows), dimen=2)  # those with imports from the supplier
    excess = slack(m, terms, "dependence", m.LIMITS)
    m.dependence_max = pyo.Constraint(
        m.LIMITS, rule=lambda m, lim, w: m.supplier_use[lim, w]
        - slack_term(excess, (lim, w)) <= rows[lim, w][2] * m.total_use[lim, w])


def effective_supplier(data: ModelData, lim) -> set[str]:
    """The supplier's countries outside the consumer: a consumer's own purchases and
    production are domestic supply, even when its country belongs to the supplier group."""
    return set(data.members(lim.supplier)) - set(data.members(lim.consumer))


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


class OriginTracer:
    """Flows of supplier-origin material, one layer per distinct supplier set and scenario.

    Each traced variable is at most its total flow. At every node outside the supplier, traced
    material arriving (linked-mode outputs, traced imports, traced releases) must leave by a
    use that can carry it (linked-mode inputs, traced exports, traced acquisitions, traced
    consumption): a clean mode cannot absorb it.
    """

    def __init__(self, m: pyo.ConcreteModel, data: ModelData, terms: Terms, limits: list):
        self.m, self.data = m, data
        suppliers = {frozenset(effective_supplier(data, lim)) for lim in limits} - {frozenset()}
        self.keys = {s: f"S{i}" for i, s in enumerate(sorted(suppliers, key=sorted))}
        self._declare(terms)

    def _declare(self, terms: Terms) -> None:
        m = self.m
        periods = list(m.YEAR_SCENARIOS)
        ship_idx, prod_idx, stock_idx, cons_idx = [], [], [], []
        for supplier, k in self.keys.items():
            ship_idx += [(k, o, d, mat, t, w) for o, d, mat in m.ROUTES if o not in supplier
                         for t, w in periods]
            prod_idx += [(k, u, t, w) for u, t, w in m.PRODUCTION
                         if self.data.units[u].country not in supplier]
            stock_idx += [(k, c, mat, t, w) for c, mat in self.data.stockpile_rows
                          if c not in supplier
                          for t, w in periods]
            cons_idx += [(k, c, mat, t, w) for (c, mat, t, w), q in terms.demand.items()
                         if q > 0 and c not in supplier]
        m.origin_ship = pyo.Var(ship_idx, within=pyo.NonNegativeReals)
        m.origin_produce = pyo.Var(prod_idx, within=pyo.NonNegativeReals)
        m.origin_stock_add = pyo.Var(stock_idx, within=pyo.NonNegativeReals)
        m.origin_stock_release = pyo.Var(stock_idx, within=pyo.NonNegativeReals)
        m.origin_stock_level = pyo.Var(stock_idx, within=pyo.NonNegativeReals)
        m.origin_consume = pyo.Var(cons_idx, within=pyo.NonNegativeReals)

        bounds = []
        for k, o, d, mat, t, w in ship_idx:
            bounds.append(m.origin_ship[k, o, d, mat, t, w] <= m.ship[o, d, mat, t, w])
        for k, u, t, w in prod_idx:
            bounds.append(m.origin_produce[k, u, t, w] <= m.produce[u, t, w])
        first = self.data.years[0]
        for k, c, mat, t, w in stock_idx:
            i = (k, c, mat, t, w)
            before = 0 if t == first else m.origin_stock_level[k, c, mat, t - 1, w]
            bounds.append(m.origin_stock_add[i] <= m.stock_add[c, mat, t, w])
            bounds.append(m.origin_stock_release[i] <= m.stock_release[c, mat, t, w])
            bounds.append(m.origin_stock_level[i] <= m.stock_level[c, mat, t, w])
            bounds.append(m.origin_stock_level[i] == before + m.origin_stock_add[i]
                          - m.origin_stock_release[i])
        for k, c, mat, t, w in cons_idx:
            node = (c, mat, t, w)
            met = terms.demand_coef[node] - (m.shortage[node] if node in m.SHORTAGES else 0)
            bounds.append(m.origin_consume[k, c, mat, t, w] <= met)
        bounds += self._node_balances()
        m.ORIGIN_ROWS = pyo.RangeSet(0, len(bounds) - 1) if bounds else pyo.Set(initialize=[])
        m.origin_flow = pyo.Constraint(m.ORIGIN_ROWS, rule=lambda m, i: bounds[i])

    def _node_balances(self) -> list:
        m, data = self.m, self.data
        arriving: dict[tuple, list] = defaultdict(list)
        leaving: dict[tuple, list] = defaultdict(list)
        for supplier, k in self.keys.items():
            for o, d, mat in m.ROUTES:
                for t, w in m.YEAR_SCENARIOS:
                    flow = self.ship(supplier, o, d, mat, t, w)
                    if d not in supplier:
                        arriving[(k, d, mat, t, w)].append(flow)
                    if o not in supplier:
                        leaving[(k, o, mat, t, w)].append(flow)
            for u, t, w in m.PRODUCTION:
                row = data.units[u]
                if row.country in supplier:
                    continue
                for mat, (used, made) in data.recipes.get(row.technology, {}).items():
                    if made:
                        arriving[(k, row.country, mat, t, w)].append(
                            made * m.origin_produce[k, u, t, w])
                    if used:
                        leaving[(k, row.country, mat, t, w)].append(
                            used * m.origin_produce[k, u, t, w])
            for c, mat in data.stockpile_rows:
                if c not in supplier:
                    for t, w in m.YEAR_SCENARIOS:
                        i = (k, c, mat, t, w)
                        arriving[i].append(m.origin_stock_release[i])
                        leaving[i].append(m.origin_stock_add[i])
        for i in m.origin_consume:
            leaving[i].append(m.origin_consume[i])
        return [pyo.quicksum(flows) <= pyo.quicksum(leaving.get(node, ()))
                for node, flows in arriving.items()]

    def ship(self, supplier: frozenset, o: str, d: str, mat: str, t: int, w: str):
        """Supplier-origin part of a shipment (all of it when it leaves the supplier)."""
        if o in supplier:
            return self.m.ship[o, d, mat, t, w]
        return self.m.origin_ship[self.keys[supplier], o, d, mat, t, w]

    def origin_supply(self, supplier: set[str], consumer: set[str], material: str,
                      year: int, w: str) -> list:
        """Supplier-origin part of the consumer's total supply of the material (the supplier
        lies outside the consumer: see `effective_supplier`)."""
        m, key = self.m, frozenset(supplier)
        k = self.keys[key]
        out = [self.ship(key, o, d, mat, year, w) for o, d, mat in m.ROUTES
               if mat == material and d in consumer and o not in consumer]
        for unit in _units_in(m, self.data, consumer, year, w):
            made = self.data.recipes.get(self.data.units[unit].technology, {}).get(material,
                                                                                  (0, 0))[1]
            if made:
                out.append(made * m.origin_produce[k, unit, year, w])
        for c in consumer:
            if (c, material, year, w) in m.STOCK:
                out.append(m.origin_stock_release[k, c, material, year, w])
        return out
