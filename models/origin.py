"""Origin: every unit of a limited material carries an origin class through every flow.

Classes are the pieces into which the supplier sets of the dependence limits (each less its
consumer's own countries) cut the countries, so that `CHN` in one limit and `CHINA` in
another stay consistent, plus `other` for the rest. The setting `origin_rule` says how
origin moves:

- `transformation` (default): buying at origin gives the seller's class; shipping and
  stocking keep it; a plant's output takes its own country's class (substantial
  transformation, as customs rules of origin do);
- `content`: as `transformation`, but a plant outside the supplier classes runs one mode per
  supplier class: output made with any input of that class takes that class (toll
  processing and re-exports count), and so do the materials upstream of a limited one;
- `shipper`: a shipment arrives with the class of the country it last came from (naive
  customs statistics, to compare with older studies).

Stock keeps the class of what went in; `initial` stock counts as the supplier's (the class
named by the most limits: the cautious reading). In a scenario's disrupted years, stock a
country releases counts as its own, up to what it held when the year began: that is what the
stock is for. Every tagged flow sums over classes to its flow and every node balances per
class, so a plan's tagged flows are exact and the shares read from them lie in [0, 1].
Disposal is an outflow like any other: what a country disposes of takes the classes of what
it holds.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pyomo.environ as pyo

from models.data import ModelData
from models.scenarios import operational
from models.terms import Terms

OTHER = "other"
RULES = ("transformation", "content", "shipper")


@dataclass
class OriginClasses:
    """The classes of a case and which of them each limit counts as its supplier's."""

    of_country: dict[str, str]
    names: list[str]
    supplier_of_limit: dict[int, set[str]] = field(default_factory=dict)
    initial: str = OTHER  # the class of stock held at the start

    @property
    def suppliers(self) -> set[str]:
        return set(self.names) - {OTHER}


def origin_classes(data: ModelData, limits: list[Any]) -> OriginClasses:
    """Cut the countries by every limit's effective supplier set (supplier less consumer)."""
    sets = [frozenset(effective_supplier(data, lim)) for lim in limits]
    distinct = sorted(set(sets) - {frozenset()}, key=sorted)
    pieces: dict[tuple[bool, ...], list[str]] = defaultdict(list)
    for c in data.countries:
        pieces[tuple(c in s for s in distinct)].append(c)
    of_country, names = {}, []
    for signature, members in pieces.items():
        name = OTHER if not any(signature) else "+".join(sorted(members))
        names.append(name)
        of_country.update(dict.fromkeys(members, name))
    names = sorted(set(names), key=lambda n: (n == OTHER, n))
    classes = OriginClasses(of_country, names)
    counts: dict[str, int] = defaultdict(int)
    for lim, s in zip(limits, sets, strict=True):
        classes.supplier_of_limit[lim.limit] = {of_country[c] for c in s}
        for k in classes.supplier_of_limit[lim.limit]:
            counts[k] += 1
    if counts:
        classes.initial = max(sorted(counts), key=lambda k: counts[k])
    return classes


def effective_supplier(data: ModelData, lim: Any) -> set[str]:
    """The supplier's countries outside the consumer: a consumer's own purchases and
    production are domestic supply, even when its country belongs to the supplier group."""
    return set(data.members(lim.supplier)) - set(data.members(lim.consumer))


def tagged_materials(data: ModelData, limits: list[Any], rule: str) -> set[str]:
    """Materials whose origin is tracked: those limited, and under `content` everything
    upstream of them through the recipes."""
    tagged = {lim.material for lim in limits}
    if rule != "content":
        return tagged
    grew = True
    while grew:
        grew = False
        for recipe in data.recipes.values():
            if any(made and mat in tagged for mat, (_, made) in recipe.items()):
                for mat, (used, _) in recipe.items():
                    if used and mat not in tagged:
                        tagged.add(mat)
                        grew = True
    return tagged


class OriginFlows:
    """The origin-tagged flows of a model; `use(classes, consumer, material, year, w)` gives
    the terms of what the consumer uses of those classes (demand met and plant inputs)."""

    def __init__(self, m: pyo.ConcreteModel, data: ModelData, terms: Terms, limits: list[Any]):
        self.m, self.data, self.terms = m, data, terms
        self.rule = data.settings.get("origin_rule") or "transformation"
        self.classes = origin_classes(data, limits)
        self.materials = tagged_materials(data, limits, self.rule)
        disrupted = zip(data.disruptions["scenario"], data.disruptions["year"], strict=True)
        self.disrupted = set(disrupted)
        self._declare()
        self._balance()

    def _declare(self) -> None:
        m, data, K, tagged = self.m, self.data, self.classes.names, self.materials
        periods = list(m.YEAR_SCENARIOS)
        m.ORIGINS = pyo.Set(initialize=K, ordered=True)
        ships = [(k, *r, t, w) for r in m.ROUTES if r[2] in tagged for k in K for t, w in periods]
        m.origin_ship = pyo.Var(ships, within=pyo.NonNegativeReals)
        piles = [(c, mat) for c, mat in data.stockpile_rows if mat in tagged]
        stock = [(k, c, mat, t, w) for c, mat in piles for k in K for t, w in periods]
        m.origin_add = pyo.Var(stock, within=pyo.NonNegativeReals)
        m.origin_release = pyo.Var(stock, within=pyo.NonNegativeReals)
        m.origin_level = pyo.Var(stock, within=pyo.NonNegativeReals)
        uses = [(k, *node) for node, q in self.terms.demand.items()
                if q > 0 and node[1] in tagged for k in K]
        m.origin_consume = pyo.Var(uses, within=pyo.NonNegativeReals)
        inputs = [(k, u, mat, t, w) for u, t, w in m.PRODUCTION
                  for mat, (used, _) in self._recipe(u).items() if used and mat in tagged
                  for k in K]
        m.origin_input = pyo.Var(inputs, within=pyo.NonNegativeReals)
        modes = [(k, u, t, w) for u, t, w in m.PRODUCTION if self._has_modes(u) for k in K]
        m.origin_mode = pyo.Var(modes, within=pyo.NonNegativeReals)
        disposals = [(k, *node) for node in m.DISPOSALS if node[1] in tagged for k in K]
        m.origin_dispose = pyo.Var(disposals, within=pyo.NonNegativeReals)
        operational(m, self.terms, m.origin_ship, m.origin_add, m.origin_release,
                    m.origin_level, m.origin_consume, m.origin_input, m.origin_mode,
                    m.origin_dispose)

        rows: dict[tuple, Any] = {}  # (kind, *index) -> each tagged flow sums to its flow
        for k, *r in ships:
            rows.setdefault(("ship", *r), []).append(m.origin_ship[(k, *r)])
        for k, *i in stock:
            rows.setdefault(("add", *i), []).append(m.origin_add[(k, *i)])
            rows.setdefault(("release", *i), []).append(m.origin_release[(k, *i)])
        for k, *i in uses:
            rows.setdefault(("consume", *i), []).append(m.origin_consume[(k, *i)])
        for k, *i in inputs:
            rows.setdefault(("input", *i), []).append(m.origin_input[(k, *i)])
        for k, *i in modes:
            rows.setdefault(("mode", *i), []).append(m.origin_mode[(k, *i)])
        for k, *i in disposals:
            rows.setdefault(("dispose", *i), []).append(m.origin_dispose[(k, *i)])
        m.ORIGIN_SPLITS = pyo.Set(initialize=list(rows), dimen=None)
        m.origin_split = pyo.Constraint(
            m.ORIGIN_SPLITS, rule=lambda m, *i: pyo.quicksum(rows[i]) == self._whole(i))

        levels, opening = {}, {}
        first = data.years[0]
        for k, c, mat, t, w in stock:
            i = (k, c, mat, t, w)
            opening[i] = m.origin_level[k, c, mat, t - 1, w] if t != first else (
                self.terms.cells("stockpiles", data.stockpile_rows[c, mat].row, "initial",
                                 data.stockpile_rows[c, mat].initial)
                if k == self.classes.initial else 0)
            levels[i] = (m.origin_level[i], opening[i] + m.origin_add[i] - m.origin_release[i])
        m.ORIGIN_STOCK = pyo.Set(initialize=list(levels), dimen=5)
        m.origin_stock = pyo.Constraint(m.ORIGIN_STOCK,
                                        rule=lambda m, *i: levels[i][0] == levels[i][1])

        # Stock drawn in a cut is the holder's own supply, up to what it held when the year
        # began: what it takes in during that year and releases again keeps its origin (or a
        # plan could launder the supplier's material through its own stock).
        drawn = [i for i in stock if (i[4], i[3]) in self.disrupted]
        m.ORIGIN_DRAWN = pyo.Set(initialize=drawn, dimen=5)
        m.origin_drawn = pyo.Var(m.ORIGIN_DRAWN, within=pyo.NonNegativeReals)
        operational(m, self.terms, m.origin_drawn)
        m.origin_drawn_release = pyo.Constraint(
            m.ORIGIN_DRAWN, rule=lambda m, *i: m.origin_drawn[i] <= m.origin_release[i])
        m.origin_drawn_held = pyo.Constraint(
            m.ORIGIN_DRAWN, rule=lambda m, *i: m.origin_drawn[i] <= opening[i])

        # content: supplier-class inputs feed only the mode of their class
        caps = {(k, u, mat, t, w): used * m.origin_mode[k, u, t, w]
                for k, u, mat, t, w in inputs if (k, u, t, w) in m.origin_mode
                and k != self.classes.of_country[self.data.units[u].country]
                for used in [self._recipe(u)[mat][0]]}
        m.ORIGIN_MODE_INPUTS = pyo.Set(initialize=list(caps), dimen=5)
        m.origin_mode_input = pyo.Constraint(
            m.ORIGIN_MODE_INPUTS, rule=lambda m, *i: m.origin_input[i] <= caps[i])

    def _whole(self, i: tuple) -> Any:
        m, kind, rest = self.m, i[0], i[1:]
        if kind == "ship":
            return m.ship[rest]
        if kind == "add":
            return m.stock_add[rest]
        if kind == "release":
            return m.stock_release[rest]
        if kind == "dispose":
            return m.dispose[rest]
        if kind == "consume":
            short = m.shortage[rest] if rest in m.SHORTAGES else 0
            return self.terms.demand_coef[rest] - short
        if kind == "input":
            u, mat, t, w = rest
            return self._recipe(u)[mat][0] * m.produce[u, t, w]
        u, t, w = rest  # mode
        return m.produce[u, t, w]

    def _recipe(self, unit: str) -> dict[str, tuple[float, float]]:
        return self.data.recipes.get(self.data.units[unit].technology, {})

    def _has_modes(self, unit: str) -> bool:
        """Under `content`, a plant outside the supplier classes that turns tagged inputs into
        tagged outputs runs one mode per class its output may take."""
        if self.rule != "content":
            return False
        own = self.classes.of_country[self.data.units[unit].country]
        recipe = self._recipe(unit).items()
        return own == OTHER and any(used and m in self.materials for m, (used, _) in recipe) \
            and any(made and m in self.materials for m, (_, made) in recipe)

    def _balance(self) -> None:
        """At every node of a tagged material, per class: what arrives = what leaves."""
        m, data, of = self.m, self.data, self.classes.of_country
        arrive: dict[tuple, list] = defaultdict(list)  # (k, c, mat, t, w) -> terms
        leave: dict[tuple, list] = defaultdict(list)
        for c, mat, t, w in m.PURCHASES:
            if mat in self.materials:
                arrive[of[c], c, mat, t, w].append(m.buy[c, mat, t, w])
        for u, t, w in m.PRODUCTION:
            unit = data.units[u]
            for mat, (used, made) in self._recipe(u).items():
                if mat not in self.materials:
                    continue
                if made:
                    if self._has_modes(u):
                        for k in self.classes.names:
                            arrive[k, unit.country, mat, t, w].append(
                                made * m.origin_mode[k, u, t, w])
                    else:
                        arrive[of[unit.country], unit.country, mat, t, w].append(
                            made * m.produce[u, t, w])
                if used:
                    for k in self.classes.names:
                        leave[k, unit.country, mat, t, w].append(m.origin_input[k, u, mat, t, w])
        for k, o, d, mat, t, w in m.origin_ship:
            leave[k, o, mat, t, w].append(m.origin_ship[k, o, d, mat, t, w])
            if self.rule != "shipper":
                arrive[k, d, mat, t, w].append(m.origin_ship[k, o, d, mat, t, w])
        if self.rule == "shipper":
            for o, d, mat, t, w in m.SHIPMENTS:
                if mat in self.materials:
                    arrive[of[o], d, mat, t, w].append(m.ship[o, d, mat, t, w])
        for k, c, mat, t, w in m.origin_add:
            leave[k, c, mat, t, w].append(m.origin_add[k, c, mat, t, w])
            arrive[k, c, mat, t, w].append(m.origin_release[k, c, mat, t, w])
            if (k, c, mat, t, w) in m.origin_drawn:  # drawn in a cut: the holder's own
                drawn = m.origin_drawn[k, c, mat, t, w]
                arrive[k, c, mat, t, w].append(-drawn)
                arrive[of[c], c, mat, t, w].append(drawn)
        for i in m.origin_consume:
            leave[i].append(m.origin_consume[i])
        for i in m.origin_dispose:  # disposal takes the classes of what is there
            leave[i].append(m.origin_dispose[i])
        nodes = sorted(set(arrive) | set(leave), key=str)
        m.ORIGIN_NODES = pyo.Set(initialize=nodes, dimen=5)
        m.origin_balance = pyo.Constraint(
            m.ORIGIN_NODES, rule=lambda m, *n: pyo.quicksum(arrive.get(n, ()))
            == pyo.quicksum(leave.get(n, ())))

    def use(self, classes: set[str], consumer: set[str], material: str, year: int,
            w: str) -> list:
        """Terms of what the consumer uses of `classes`: its demand met and its plants'
        inputs."""
        m, out = self.m, []
        for k in classes:
            for c in consumer:
                if (k, c, material, year, w) in m.origin_consume:
                    out.append(m.origin_consume[k, c, material, year, w])
            for u, unit in self.data.units.items():
                if unit.country in consumer and (k, u, material, year, w) in m.origin_input:
                    out.append(m.origin_input[k, u, material, year, w])
        return out
