"""Independent checks of a plan: recompute balances, dependence shares and costs from the plan's
tables and the input data alone (never from the Pyomo model)."""

from __future__ import annotations

from collections import defaultdict

import pandas as pd
import pytest

from models.data import ModelData

TOL = 1e-5


def _scale(values) -> float:
    return max(1.0, max((abs(v) for v in values), default=1.0))


def check_balances(tables: dict[str, pd.DataFrame], data: ModelData) -> None:
    """For every (scenario, year, country, material): sources - uses - demand + shortage = 0."""
    net: dict[tuple, float] = defaultdict(float)
    for r in tables["purchases"].itertuples():
        net[(r.scenario, r.year, r.country, r.material)] += r.quantity
    for r in tables["production"].itertuples():
        for material, (used, made) in data.recipes.get(r.technology, {}).items():
            net[(r.scenario, r.year, r.country, material)] += (made - used) * r.quantity
    for r in tables["shipments"].itertuples():
        net[(r.scenario, r.year, r.to_country, r.material)] += r.quantity
        net[(r.scenario, r.year, r.from_country, r.material)] -= r.quantity
    for r in tables["stockpiles"].itertuples():
        net[(r.scenario, r.year, r.country, r.material)] += r.releases - r.acquisitions
    for r in tables["shortages"].itertuples():
        net[(r.scenario, r.year, r.country, r.material)] += r.shortage - r.demand
    for r in _disposal(tables).itertuples():
        net[(r.scenario, r.year, r.country, r.material)] -= r.quantity
    scale = _scale(net.values())
    bad = {k: v for k, v in net.items() if abs(v) > TOL * scale}
    assert not bad, f"unbalanced nodes: {bad}"


def _disposal(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The disposal table (a plan in which nothing can be disposed of has none)."""
    return tables.get("disposal", pd.DataFrame(columns=["scenario", "year", "country",
                                                        "material", "quantity", "cost"]))


def check_stock_levels(tables: dict[str, pd.DataFrame], data: ModelData) -> None:
    piles = {(r.country, r.material): r for r in data.stockpiles.itertuples()}
    for (_, c, mat), group in tables["stockpiles"].groupby(["scenario", "country", "material"]):
        level = piles[c, mat].initial
        for r in group.sort_values("year").itertuples():
            level += r.acquisitions - r.releases
            assert r.level == pytest.approx(level, abs=1e-4)
            assert -1e-6 <= r.level <= piles[c, mat].capacity + 1e-6


def origin_classes(data: ModelData) -> tuple[dict[str, str], dict[int, set[str]]]:
    """Country -> origin class, and each limit's supplier classes, recomputed here: the
    pieces into which the limits' supplier sets (less their consumers) cut the countries."""
    limits = [lim for lim in data.dependence_limits.itertuples() if lim.year in data.years]
    sets = {lim.limit: frozenset(set(data.members(lim.supplier))
                                 - set(data.members(lim.consumer))) for lim in limits}
    distinct = sorted(set(sets.values()) - {frozenset()}, key=sorted)
    pieces: dict[tuple, list[str]] = defaultdict(list)
    for c in data.countries:
        pieces[tuple(c in s for s in distinct)].append(c)
    of = {c: ("+".join(sorted(members)) if any(key) else "other")
          for key, members in pieces.items() for c in members}
    return of, {limit: {of[c] for c in s} for limit, s in sets.items()}


def tagged_materials(data: ModelData, rule: str) -> set[str]:
    tagged = {lim.material for lim in data.dependence_limits.itertuples()
              if lim.year in data.years}
    while rule == "content":
        more = {mat for recipe in data.recipes.values()
                if any(made and m in tagged for m, (_, made) in recipe.items())
                for mat, (used, _) in recipe.items() if used} - tagged
        if not more:
            break
        tagged |= more
    return tagged


def check_origins(tables: dict[str, pd.DataFrame], data: ModelData) -> None:
    """From the plan's tables alone: every origin-tagged flow sums to its flow, every node
    balances per origin class under the case's origin rule, and each limit's share is the
    supplier classes' part of what the consumer uses, within its limit."""
    rule = data.settings.get("origin_rule") or "transformation"
    of, supplier_of = origin_classes(data)
    tagged = tagged_materials(data, rule)
    origins = tables["origins"].assign(partner=lambda f: f.partner.fillna(""))
    if not supplier_of:
        assert origins.empty
        return
    sums = origins.groupby(["scenario", "year", "material", "flow", "country", "partner"]
                           )["quantity"].sum()

    def tagged_total(w, t, mat, flow, country, partner="") -> float:
        return float(sums.get((w, t, mat, flow, country, partner), 0.0))

    ships = tables["shipments"]
    for r in ships[ships.material.isin(tagged)].itertuples():
        assert tagged_total(r.scenario, r.year, r.material, "shipments", r.from_country,
                            r.to_country) == pytest.approx(r.quantity, abs=TOL)
    piles = tables["stockpiles"]
    for r in piles[piles.material.isin(tagged)].itertuples():
        for flow in ("acquisitions", "releases"):
            assert tagged_total(r.scenario, r.year, r.material, flow, r.country) == \
                pytest.approx(getattr(r, flow), abs=TOL)
    short = tables["shortages"]
    for r in short[short.material.isin(tagged)].itertuples():
        assert tagged_total(r.scenario, r.year, r.material, "demand_met", r.country) == \
            pytest.approx(r.demand - r.shortage, abs=TOL)
    disposed = _disposal(tables)
    for r in disposed[disposed.material.isin(tagged)].itertuples():
        assert tagged_total(r.scenario, r.year, r.material, "disposal", r.country) == \
            pytest.approx(r.quantity, abs=TOL)

    disrupted = set(zip(data.disruptions["scenario"], data.disruptions["year"], strict=True))
    balance: dict[tuple, float] = defaultdict(float)  # (w, t, mat, class, country) -> in - out
    for r in origins.itertuples():
        key = (r.scenario, r.year, r.material)
        if r.flow in ("purchases", "production"):
            balance[(*key, r.origin, r.country)] += r.quantity
            if r.flow == "purchases":
                assert r.origin == of[r.country]
        elif r.flow == "shipments":
            balance[(*key, r.origin, r.country)] -= r.quantity
            arrives = of[r.country] if rule == "shipper" else r.origin
            balance[(*key, arrives, r.partner)] += r.quantity
        elif r.flow == "releases":
            balance[(*key, r.origin, r.country)] += r.quantity
        elif r.flow == "drawn_in_cut":  # released in a cut from what was held: own supply
            assert (r.scenario, r.year) in disrupted
            released = origins[(origins.flow == "releases") & (origins.scenario == r.scenario)
                               & (origins.year == r.year) & (origins.country == r.country)
                               & (origins.material == r.material)
                               & (origins.origin == r.origin)].quantity.sum()
            assert r.quantity <= released + TOL
            balance[(*key, r.origin, r.country)] -= r.quantity
            balance[(*key, of[r.country], r.country)] += r.quantity
        else:  # acquisitions, demand_met, plant_inputs, disposal
            balance[(*key, r.origin, r.country)] -= r.quantity
    for node, net in balance.items():
        assert net == pytest.approx(0.0, abs=TOL * max(1.0, origins.quantity.max())), node

    use = origins[origins.flow.isin(["demand_met", "plant_inputs"])]
    dependence = tables["dependence"]
    for lim in data.dependence_limits.itertuples():
        consumer = set(data.members(lim.consumer))
        for w in data.scenario_names:
            mine = use[(use.scenario == w) & (use.year == lim.year)
                       & (use.material == lim.material) & use.country.isin(consumer)]
            total = mine.quantity.sum()
            supplier = mine[mine.origin.isin(supplier_of[lim.limit])].quantity.sum()
            row = dependence[(dependence.scenario == w) & (dependence.input_row == lim.row)
                             & (dependence.year == lim.year)]
            reported = row.share.iloc[0]
            if total <= TOL:  # no use: no share
                assert pd.isna(reported) or total > 1e-9, (lim.row, w, reported)
                continue
            share = supplier / total
            assert -TOL <= share <= 1 + TOL
            assert share <= lim.max_share + 1e-6, (lim.row, w, share)
            assert float(reported) == pytest.approx(share, abs=1e-6)


def check_sourcing(tables: dict[str, pd.DataFrame], data: ModelData) -> None:
    """`sourcing` from the other tables: traced materials split each consumer's use (demand
    met and plant inputs in `origins`) by class under the case's rule; the others take in from
    each partner what `shipments` says it sent; shares add up to 1 per consumer."""
    sourcing = tables["sourcing"]
    keys = ["scenario", "year", "country", "material"]
    if sourcing.empty:
        return
    assert sourcing.groupby(keys).share.sum().to_numpy() == pytest.approx(1.0)
    origins = tables["origins"]
    traced = set(origins.material)
    rule = data.settings.get("origin_rule") or "transformation"
    mine = sourcing[sourcing.material.isin(traced)]
    assert set(mine.rule) <= {rule}
    use = origins[origins.flow.isin(["demand_met", "plant_inputs"])]
    expected = use.groupby([*keys, "origin"]).quantity.sum()
    expected = expected[expected > 0]
    assert mine.set_index([*keys, "origin"]).quantity.sort_index().to_dict() == \
        pytest.approx(expected.sort_index().to_dict(), abs=TOL)
    other = sourcing[~sourcing.material.isin(traced)]
    assert set(other.rule) <= {"shipper"}
    ships = tables["shipments"]
    ships = ships[~ships.material.isin(traced)]
    sent = ships.groupby(["scenario", "year", "to_country", "material", "from_country"]
                         ).quantity.sum()
    imports = other[other.origin != other.country].set_index([*keys, "origin"]).quantity
    for key, quantity in sent[sent > TOL].items():
        assert imports.get(key, 0.0) == pytest.approx(quantity, abs=TOL), key


def check_costs(tables: dict[str, pd.DataFrame], data: ModelData, objective: float) -> None:
    """The cost table adds up to the objective, and its flow costs match quantities x prices."""
    costs = tables["costs"]
    assert costs["expected"].sum() == pytest.approx(objective, rel=1e-6, abs=1e-6)
    by = costs.groupby(["scenario", "year", "category"])["cost"].sum()

    def table_cost(category: str, frame: pd.DataFrame, column: str) -> None:
        for (w, t), amount in frame.groupby(["scenario", "year"])[column].sum().items():
            assert by.get((w, t, category), 0.0) == pytest.approx(amount, rel=1e-6, abs=1e-6)

    table_cost("purchases", tables["purchases"], "cost")
    table_cost("transport", tables["shipments"], "transport_cost")
    table_cost("tariffs", tables["shipments"], "tariff_cost")
    row_cost = {(r.country, r.material, r.year): r.shortage_cost
                for r in data.demand.itertuples()}
    shortage = tables["shortages"].assign(cost=lambda f: [
        r.shortage * row_cost[r.country, r.material, r.year] for r in f.itertuples()])
    table_cost("shortage", shortage, "cost")
    disposal_cost = data.materials["disposal_cost"]
    disposal = _disposal(tables).assign(cost=lambda f: [
        r.quantity * disposal_cost[r.material] for r in f.itertuples()])
    table_cost("disposal", disposal, "cost")
    # capital: each build's annuity in every year it is online within the horizon, no other
    last = data.years[-1]
    annuities: dict[tuple, float] = defaultdict(float)
    for b in tables["builds"].itertuples():
        for y in range(b.online_from, min(b.online_to, last) + 1):
            for w in data.scenario_names:
                annuities[(w, y)] += b.annuity
    charged = {(w, t): v for (w, t, c), v in by.items() if c == "capital"}
    for key in set(annuities) | set(charged):
        assert charged.get(key, 0.0) == pytest.approx(annuities.get(key, 0.0), rel=1e-6,
                                                      abs=1e-6), key


def check_end_values(tables: dict[str, pd.DataFrame], data: ModelData) -> None:
    """Stock left at the end earns end_value x min(closing level, cover requirement) (the
    credit is at most both, and the plan takes all of it: end values are >= 0)."""
    costs = tables["costs"]
    by = costs.groupby(["scenario", "year", "category"])["cost"].sum()
    last = data.years[-1]
    demand = {(r.country, r.material): r.quantity for r in data.demand.itertuples()
              if r.year == last}
    levels = tables["stockpiles"]
    levels = levels[levels.year == last].set_index(["scenario", "country", "material"])
    expected: dict[str, float] = defaultdict(float)
    for p in data.stockpiles.itertuples():
        need = max(p.min_cover_days / 365 * demand.get((p.country, p.material), 0.0),
                   p.min_level)
        for w in data.scenario_names:
            level = levels.at[(w, p.country, p.material), "level"]
            expected[w] -= p.end_value * min(level, need)
    for w in data.scenario_names:
        assert by.get((w, last, "end_value"), 0.0) == pytest.approx(expected[w], rel=1e-6,
                                                                   abs=1e-5), w


def check_cuts(tables: dict[str, pd.DataFrame], data: ModelData) -> None:
    """Each cut row and year: the scenario's shipments from the supplier to the countries the
    cut is aimed at, recomputed from the shipments table, are the reported exports and stay
    within (1 - cut) x the reference."""
    ships = tables["shipments"]
    cuts = tables["disruptions"]
    assert len(cuts) == len(data.cuts)
    for cut, row in zip(data.cuts, cuts.itertuples(index=False), strict=True):
        supplier = set(data.members(cut.supplier))
        aimed = data.cut_destinations(cut)
        exports = ships[(ships.scenario == cut.scenario) & (ships.year == cut.year)
                        & (ships.material == cut.material) & ships.from_country.isin(supplier)
                        & ships.to_country.isin(aimed)].quantity.sum()
        assert row.exports == pytest.approx(exports, abs=TOL)
        assert row.allowance == pytest.approx((1 - cut.cut) * row.reference, abs=TOL)
        assert exports <= row.allowance + TOL * max(1.0, row.reference)


def check_plan(tables: dict[str, pd.DataFrame], data: ModelData, objective: float) -> None:
    check_balances(tables, data)
    check_cuts(tables, data)
    check_stock_levels(tables, data)
    check_costs(tables, data, objective)
    check_end_values(tables, data)
    check_origins(tables, data)
    check_sourcing(tables, data)


MOVEMENT_TOL = 1e-6


def check_no_cancelling_movements(tables: dict[str, pd.DataFrame]) -> None:
    """No stockpile acquires and releases material of one origin in one year and scenario,
    and no material of one origin goes both ways between two countries in one year and
    scenario (each above MOVEMENT_TOL). Limited materials are checked per origin class (the
    `origins` table), the others as a whole."""
    origins = tables["origins"]
    tagged = set(origins.material)
    stock = origins[origins.flow.isin(["acquisitions", "releases"])
                    & (origins.quantity > MOVEMENT_TOL)]
    per_origin = stock.groupby(["scenario", "year", "country", "material", "origin"]).flow
    both = [k for k, flows in per_origin if set(flows) == {"acquisitions", "releases"}]
    assert not both, f"stock of one origin acquired and released in the same year: {both}"
    piles = tables["stockpiles"]
    piles = piles[~piles.material.isin(tagged)]
    both = piles[(piles.acquisitions > MOVEMENT_TOL) & (piles.releases > MOVEMENT_TOL)]
    assert both.empty, f"stock acquired and released in the same year:\n{both}"
    ships = tables["shipments"]
    moved = ships[(ships.quantity > MOVEMENT_TOL) & ~ships.material.isin(tagged)]
    keys = set(zip(moved.scenario, moved.year, moved.from_country, moved.to_country,
                   moved.material, [""] * len(moved), strict=True))
    tagged_ships = origins[(origins.flow == "shipments") & (origins.quantity > MOVEMENT_TOL)]
    keys |= set(zip(tagged_ships.scenario, tagged_ships.year, tagged_ships.country,
                    tagged_ships.partner, tagged_ships.material, tagged_ships.origin,
                    strict=True))
    back = sorted(k for k in keys if (k[0], k[1], k[3], k[2], k[4], k[5]) in keys)
    assert not back, f"shipped both ways (scenario, year, from, to, material, origin): {back}"
