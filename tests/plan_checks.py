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
    scale = _scale(net.values())
    bad = {k: v for k, v in net.items() if abs(v) > TOL * scale}
    assert not bad, f"unbalanced nodes: {bad}"


def check_stock_levels(tables: dict[str, pd.DataFrame], data: ModelData) -> None:
    piles = {(r.country, r.material): r for r in data.stockpiles.itertuples()}
    for (_, c, mat), group in tables["stockpiles"].groupby(["scenario", "country", "material"]):
        level = piles[c, mat].initial
        for r in group.sort_values("year").itertuples():
            level += r.acquisitions - r.releases
            assert r.level == pytest.approx(level, abs=1e-4)
            assert -1e-6 <= r.level <= piles[c, mat].capacity + 1e-6


def recompute_shares(tables: dict[str, pd.DataFrame], data: ModelData,
                     scenario: str = "baseline") -> list[float | None]:
    """Achieved share of each dependence limit (untraced definition) in a scenario."""
    ship = tables["shipments"]
    ship = ship[ship.scenario == scenario]
    prod = tables["production"]
    prod = prod[prod.scenario == scenario]
    short = tables["shortages"]
    short = short[short.scenario == scenario]
    shares = []
    for lim in data.dependence_limits.itertuples():
        consumer, supplier = set(data.members(lim.consumer)), set(data.members(lim.supplier))
        rows = ship[(ship.year == lim.year) & (ship.material == lim.material)]
        imports = rows[rows.to_country.isin(consumer) & rows.from_country.isin(
            supplier - consumer)].quantity.sum()
        s = short[(short.year == lim.year) & (short.material == lim.material)
                  & short.country.isin(consumer)]
        total = (s.demand - s.shortage).sum()
        for r in prod[(prod.year == lim.year) & prod.country.isin(consumer)].itertuples():
            total += data.recipes.get(r.technology, {}).get(lim.material, (0, 0))[0] * r.quantity
        shares.append(imports / total if total > TOL else (None if imports > TOL else 0.0))
    return shares


def check_shares(tables: dict[str, pd.DataFrame], data: ModelData) -> None:
    """Limits hold in every scenario."""
    for w in data.scenario_names:
        shares = recompute_shares(tables, data, w)
        for lim, share in zip(data.dependence_limits.itertuples(), shares, strict=True):
            assert share is not None, f"limit row {lim.row} ({w}): imports with no supply"
            assert share <= lim.max_share + 1e-6, \
                f"limit row {lim.row} ({w}): {share} > {lim.max_share}"


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
    if not data.settings.get("trace_origin"):
        check_shares(tables, data)


MOVEMENT_TOL = 1e-6


def check_no_cancelling_movements(tables: dict[str, pd.DataFrame]) -> None:
    """No stockpile both acquires and releases in one year and scenario, and no material goes
    both ways between two countries in one year and scenario (each above MOVEMENT_TOL)."""
    piles = tables["stockpiles"]
    both = piles[(piles.acquisitions > MOVEMENT_TOL) & (piles.releases > MOVEMENT_TOL)]
    assert both.empty, f"stock acquired and released in the same year:\n{both}"
    ships = tables["shipments"]
    moved = ships[ships.quantity > MOVEMENT_TOL]
    keys = set(zip(moved.scenario, moved.year, moved.from_country, moved.to_country,
                   moved.material, strict=True))
    back = sorted(k for k in keys if (k[0], k[1], k[3], k[2], k[4]) in keys)
    assert not back, f"shipped both ways (scenario, year, from, to, material): {back}"
