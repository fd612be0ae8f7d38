"""Route links (`models.flows.add_route_links`): where they are added, that they never cut off
a plan, that optima do not move, and what they buy on OR-Library's cap41."""

from __future__ import annotations

import random
from pathlib import Path

import pyomo.environ as pyo
import pytest
from conftest import tiny_sheets

from benchmarks.orlib import OPTIMA, problem_sheets, read_cap
from models import build_model
from models.data import ModelData
from optimizer.contract.validate import load_inputs
from optimizer.excel.sheets import write_sheets
from optimizer.solving.pipeline import prepare
from optimizer.solving.solve import Highs, solve_model

CAP41 = Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "cap41.txt"
SITES_HEADER = ["site", "technology", "option", "country", "capacity", "capex",
                "variable_cost", "lead_time", "lifetime", "earliest_year", "latest_year"]


def data_of(tmp_path: Path, sheets: dict) -> ModelData:
    return prepare(load_inputs(write_sheets(tmp_path / "case.xlsx", sheets)))


def linked(tmp_path: Path, **overrides) -> set[tuple]:
    """Routes (from, to, material) that got a link in some year and scenario."""
    m = build_model(data_of(tmp_path, tiny_sheets(**overrides))).model
    return {k[:3] for k in m.LINKED_SHIPMENTS}


def _exporter(**extra) -> dict:
    """AUS can only produce oxide at two candidate sites (one with a lead time); JPN only
    consumes it; CHN sells it."""
    sites = [SITES_HEADER, ["A1", "SEP", "default", "AUS", 60, 500, 5, 0, 2, None, None],
             ["A2", "SEP", "default", "AUS", 80, 900, 4, 1, 1, None, None]]
    supply = [["country", "material", "year", "max_quantity", "price"],
              ["CHN", "OXIDE", None, None, 10]]
    return {"sites": sites, "supply": supply, **extra}


def test_links_only_where_candidates_are_the_only_supply(tmp_path):
    routes = tiny_sheets()["routes"]
    assert linked(tmp_path, **_exporter()) == {("AUS", "JPN", "OXIDE")}
    # AUS also buys at home, imports (and could re-export), or holds a stockpile: no link
    buys = [*_exporter()["supply"], ["AUS", "OXIDE", None, 5, 30]]
    assert linked(tmp_path, **_exporter(supply=buys)) == set()
    assert linked(tmp_path, **_exporter(routes=[*routes, ["CHN", "AUS", None, 1, 0]])) == set()
    pile = [["country", "material", "initial", "capacity"], ["AUS", "OXIDE", 10, 10]]
    assert linked(tmp_path, **_exporter(stockpiles=pile)) == set()
    # JPN passes oxide on: its inflow is not bounded by its demand, no link
    onward = [*routes, ["JPN", "CHN", None, 1, 0]]
    assert linked(tmp_path, **_exporter(routes=onward)) == set()


def test_existing_plant_in_the_country_prevents_links(tmp_path):
    plants = [["plant", "technology", "country", "capacity"], ["AX", "SEP", "AUS", 10]]
    assert linked(tmp_path, **_exporter(existing_plants=plants)) == set()


def random_case(seed: int) -> dict:
    """A small chain (ORE mined, refined to METAL) over 3 years in 5 countries, drawn so that
    every special case meets the links: several sites and options in a country, lead times,
    lifetimes, existing plants, purchases, imports and re-exports, stockpiles, demand of the
    exporter itself, a cut scenario."""
    rng = random.Random(seed)
    countries = [f"K{i}" for i in range(5)]
    sheets = tiny_sheets(
        settings=[["key", "value"], ["first_year", 2026], ["last_year", 2028],
                  ["discount_rate", 0.05], ["mip_gap", 0]],
        countries=[["country", "name"], *([c, c] for c in countries)],
        groups=None,
        materials=[["material", "name", "stage", "unit", "shortage_cost"],
                   ["ORE", "ore", "", "", 400], ["METAL", "metal", "", "", 2000]],
        technologies=[["technology", "name", "output"], ["MINE", "", "ORE"],
                      ["REFINE", "", "METAL"]],
        recipes=[["technology", "material", "input", "output"], ["MINE", "ORE", 0, 1],
                 ["REFINE", "ORE", 1.2, 0], ["REFINE", "METAL", 0, 1]])
    # Producers mostly have only their sites and consumers mostly only their demand, so that
    # links arise; the rest of the draw puts everything else in their way.
    roles = {c: rng.choice(["producer", "consumer", "mixed"]) for c in countries}
    sites, plants = [SITES_HEADER], [["plant", "technology", "country", "capacity"]]
    supply = [["country", "material", "year", "max_quantity", "price"]]
    demand = [["country", "material", "year", "quantity"]]
    piles = [["country", "material", "initial", "capacity", "min_cover_days"]]
    for c, role in roles.items():
        for s in range(rng.randint(1, 3) if role != "consumer" else rng.randint(0, 1)):
            tech = rng.choice(["MINE", "REFINE"])
            for option in range(rng.randint(1, 2)):
                cap = rng.randint(20, 120)
                sites.append([f"{c}S{s}", tech, f"o{option}", c, cap, cap * rng.randint(5, 40),
                              rng.randint(1, 60), rng.randint(0, 1), rng.randint(1, 3),
                              2026, rng.choice([2026, 2027, 2028])])
        mixed = role == "mixed" or rng.random() < 0.2
        if mixed and rng.random() < 0.5:
            plants.append([f"{c}P", rng.choice(["MINE", "REFINE"]), c, rng.randint(10, 60)])
        if mixed and rng.random() < 0.6:
            supply.append([c, rng.choice(["ORE", "METAL"]), None, rng.randint(10, 80),
                           rng.randint(60, 300)])
        for mat, chance in (("METAL", 0.8), ("ORE", 0.3)):
            if rng.random() < (chance if role != "producer" else chance / 3):
                demand += [[c, mat, y, rng.randint(10, 90)] for y in (2026, 2027, 2028)]
        if mixed and rng.random() < 0.4:
            piles.append([c, "METAL", rng.randint(0, 20), 40, rng.choice([0, 10])])
    if len(demand) == 1:
        demand.append([countries[0], "METAL", None, 50])
    routes = [["from_country", "to_country", "material", "transport_cost", "tariff"]]
    for o in countries:
        for d in countries:
            inward = roles[d] == "producer" or roles[o] == "consumer"
            if o != d and rng.random() < (0.15 if inward else 0.6):
                routes.append([o, d, rng.choice(["ORE", "METAL", None]), rng.randint(1, 30),
                               0])
    sheets.update(sites=sites, existing_plants=plants, supply=supply, demand=demand,
                  stockpiles=piles, routes=routes)
    if rng.random() < 0.5:
        sheets["scenarios"] = [["scenario", "probability", "description"], ["cut", 0.3, ""]]
        sheets["disruptions"] = [["scenario", "supplier", "material", "from_year", "to_year",
                                  "cut"], ["cut", rng.choice(countries), "METAL", 2027, 2027,
                                           0.8]]
    return sheets


SEEDS = (2, 4, 7, 9, 14, 32, 34, 36)  # draws with linked routes


def build_patterns(m: pyo.ConcreteModel, data: ModelData, rng: random.Random,
                   count: int) -> list[dict]:
    """Random build decisions allowed by build_once (at most one option and year per site and
    technology), plus building nothing."""
    groups: dict[tuple, list] = {}
    for unit, t in m.BUILDS:
        u = data.units[unit]
        groups.setdefault((u.site, u.technology), []).append(m.build[unit, t])
    patterns = [{}]
    for _ in range(count):
        chosen = [rng.choice([None, *v]) for v in groups.values()]
        patterns.append({id(v): 1 for v in chosen if v is not None})
    return patterns


@pytest.mark.parametrize("seed", SEEDS)
def test_links_never_cut_off_a_plan(tmp_path, seed):
    """For random build decisions, the largest shipment on each linked route that the model
    without links allows (an LP with the builds fixed) is within the link's bound: the links
    cut off no plan."""
    data = data_of(tmp_path, random_case(seed))
    m = build_model(data).model
    assert len(m.LINKED_SHIPMENTS)
    m.route_link.deactivate()
    m.objective.deactivate()
    m.weight = pyo.Param(m.LINKED_SHIPMENTS, mutable=True, initialize=0)
    m.probe = pyo.Objective(expr=pyo.quicksum(m.weight[k] * m.ship[k]
                                              for k in m.LINKED_SHIPMENTS),
                            sense=pyo.maximize)
    solver = Highs()
    for pattern in build_patterns(m, data, random.Random(seed), 6):
        for v in m.build.values():
            v.fix(pattern.get(id(v), 0))
        for k in m.LINKED_SHIPMENTS:
            m.weight[k] = 1
            solver.solve(m, load_solutions=True)
            bound = pyo.value(m.route_link[k].upper - m.route_link[k].body + m.ship[k])
            assert pyo.value(m.ship[k]) <= bound + 1e-6, (pattern, k)
            m.weight[k] = 0


@pytest.mark.parametrize("seed", SEEDS)
def test_links_keep_the_optimum(tmp_path, seed):
    data = data_of(tmp_path, random_case(seed))
    objectives = []
    for link_routes in (True, False):
        model = build_model(data, link_routes=link_routes).model
        objectives.append(solve_model(model, data.settings).objective)
    assert objectives[0] == pytest.approx(objectives[1], rel=1e-7)


def lp_bound(model: pyo.ConcreteModel) -> float:
    pyo.TransformationFactory("core.relax_integer_vars").apply_to(model)
    return solve_model(model, {"time_limit_s": 60, "mip_gap": 0}).objective


def test_links_close_cap41s_relaxation(tmp_path):
    """On cap41 the relaxation with links is the published optimum; without links it is
    about 2% lower (the strong x_ij <= d_j y_i of facility location)."""
    if not CAP41.exists():
        pytest.skip("cap41 not available")
    data = data_of(tmp_path, problem_sheets(read_cap(CAP41)))
    tight = lp_bound(build_model(data).model)
    loose = lp_bound(build_model(data, link_routes=False).model)
    assert tight == pytest.approx(OPTIMA["cap41"], rel=1e-6)
    assert loose < 0.99 * OPTIMA["cap41"]


def test_marginal_costs_do_not_see_the_links(tmp_path):
    """With the builds fixed the links are implied; binding in the LP they could take a share
    of the capacity duals. The plan's marginal values are the same with and without them, on
    a fresh solver and on the persistent one `optimizer solve` shares, and the links hold
    again afterwards."""
    from optimizer.solving.duals import marginal_costs

    data = data_of(tmp_path, tiny_sheets(**_exporter()))
    values = []
    for link_routes, shared in ((True, False), (True, True), (False, False)):
        f = build_model(data, link_routes=link_routes)
        solver = Highs(treat_fixed_vars_as_params=False) if shared else None
        solve_model(f.model, data.settings, solver)
        values.append(marginal_costs(f, data.settings, solver)["capacity"])
        assert not link_routes or f.model.links_relaxed.value == 0
    assert values[0] == pytest.approx(values[2])
    assert values[1] == pytest.approx(values[2])
    assert any(v > 0 for v in values[0].values())
