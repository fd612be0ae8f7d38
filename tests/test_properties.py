"""Properties of optimal plans on random small feasible cases (hypothesis).

Every case can always be met (unmet demand is allowed at a price), so every example solves.
Checks are recomputed from the plan's tables, not read from the model.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from plan_checks import check_no_cancelling_movements, check_plan

from optimizer.contract.to_model import build_data
from optimizer.contract.validate import load_inputs
from optimizer.excel.sheets import write_sheets
from optimizer.studies.run import solve_workbook

COUNTRIES = ["CHN", "AUS", "JPN", "USA"]

money = st.integers(min_value=1, max_value=100)


@st.composite
def cases(draw) -> dict[str, list[list]]:
    """A two-stage chain ORE -> OXIDE over 2 years, random prices, routes and plants, and
    sometimes a scenario cutting China's exports."""
    n = draw(st.integers(min_value=2, max_value=4))
    countries = COUNTRIES[:n]
    supply = [["country", "material", "year", "max_quantity", "price"]]
    for c in countries:
        for material in ("ORE", "OXIDE"):
            if draw(st.booleans()):
                supply.append([c, material, None, draw(st.integers(0, 300)), draw(money)])
    routes = [["from_country", "to_country", "material", "transport_cost", "tariff"]]
    for o in countries:
        for d in countries:
            if o != d and draw(st.booleans()):
                routes.append([o, d, None, draw(st.integers(0, 10)), draw(st.integers(0, 5))])
    plants = [["plant", "technology", "country", "capacity", "variable_cost"]]
    sites = [["site", "technology", "country", "capacity", "capex", "variable_cost",
              "lead_time", "lifetime", "financing_rate"]]
    for c in countries:
        if draw(st.booleans()):
            plants.append([f"P_{c}", "SEP", c, draw(st.integers(0, 200)), draw(money)])
        if draw(st.booleans()):
            sites.append([f"S_{c}", "SEP", c, draw(st.integers(1, 200)),
                          draw(st.integers(0, 5000)), draw(money), draw(st.integers(0, 1)),
                          draw(st.integers(1, 3)), draw(st.sampled_from([None, 0, 0.1]))])
    demand = [["country", "material", "year", "quantity"]]
    for c in countries[1:]:
        demand.append([c, "OXIDE", None, draw(st.integers(1, 200))])
    piles = [["country", "material", "initial", "capacity", "holding_cost", "min_cover_days",
              "min_level", "end_value"]]
    if draw(st.booleans()):
        # initial stock above any cover requirement keeps every case feasible
        piles.append([countries[-1], "OXIDE", 100, 500, draw(st.integers(0, 5)),
                      draw(st.sampled_from([0, 30])), draw(st.sampled_from([0, 20])),
                      draw(st.sampled_from([None, 5, 5000]))])
    limits = [["consumer", "supplier", "material", "year", "max_share"],
              [countries[-1], "CHN", "OXIDE", None, draw(st.sampled_from([0.2, 0.5, 0.9]))]]
    case = {
        "settings": [["key", "value"], ["first_year", 2026], ["last_year", 2027],
                     ["discount_rate", draw(st.sampled_from([0, 0.05]))], ["mip_gap", 0]],
        "countries": [["country", "name"], *[[c, c] for c in countries]],
        "materials": [["material", "shortage_cost"], ["ORE", 500], ["OXIDE", 2000]],
        "technologies": [["technology", "output"], ["SEP", "OXIDE"]],
        "recipes": [["technology", "material", "input", "output"], ["SEP", "ORE", 2, 0],
                    ["SEP", "OXIDE", 0, 1]],
        "existing_plants": plants, "sites": sites, "supply": supply, "routes": routes,
        "demand": demand, "stockpiles": piles, "dependence_limits": limits,
    }
    if draw(st.booleans()):  # a scenario in which China's exports are partly cut in 2027
        case["scenarios"] = [["scenario", "probability"],
                             ["CUT", draw(st.sampled_from([0.1, 0.5]))]]
        case["disruptions"] = [["scenario", "supplier", "material", "from_year", "to_year",
                                "cut"], ["CUT", "CHN", draw(st.sampled_from(["ORE", "OXIDE"])),
                                         2027, 2027, draw(st.sampled_from([0.3, 0.7]))]]
    return case


def _solve(tmp: Path, sheets: dict) -> tuple:
    path = write_sheets(tmp, sheets)
    result = solve_workbook(path, write=False)
    # the solver's own objective: the cost table, read off the plan, must add up to it
    result.plan.summary["solver_objective"] = result.outcome.objective
    return result.plan, build_data(load_inputs(path))


PROPERTY_SETTINGS = settings(max_examples=40, deadline=None,
                             suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPERTY_SETTINGS
@given(case=cases())
def test_plans_balance_respect_limits_and_add_up(tmp_path, case):
    plan, data = _solve(tmp_path / "case.xlsx", case)
    check_plan(plan.tables, data, plan.summary["solver_objective"])
    assert plan.summary["objective"] == pytest.approx(plan.summary["solver_objective"],
                                                      rel=1e-6)


@PROPERTY_SETTINGS
@given(case=cases())
def test_plans_show_no_movements_that_cancel(tmp_path, case):
    """Free holding and free or equal-cost routes make many plans equally cheap; the plan
    shows none in which stock goes in and out of a stockpile in one year, or a material goes
    both ways between two countries, in any scenario."""
    plan, _ = _solve(tmp_path / "case.xlsx", case)
    check_no_cancelling_movements(plan.tables)


@PROPERTY_SETTINGS
@given(case=cases(), factor=st.sampled_from([0.0, 0.5, 0.9]))
def test_tightening_a_limit_never_lowers_cost(tmp_path, case, factor):
    loose, _ = _solve(tmp_path / "loose.xlsx", case)
    tight_case = {**case, "dependence_limits": [case["dependence_limits"][0],
                                                [*case["dependence_limits"][1][:4],
                                                 case["dependence_limits"][1][4] * factor]]}
    tight, _ = _solve(tmp_path / "tight.xlsx", tight_case)
    assert tight.summary["objective"] >= loose.summary["objective"] - 1e-6 * max(
        1.0, abs(loose.summary["objective"]))


@PROPERTY_SETTINGS
@given(case=cases())
def test_content_rule_never_lowers_cost(tmp_path, case):
    """`content` counts as the supplier's everything `transformation` does and more (what
    plants make from the supplier's inputs): it only restricts, so it never costs less."""
    plans = {}
    for origin_rule in ("transformation", "content"):
        sheets = {**case, "settings": [*case["settings"], ["origin_rule", origin_rule]]}
        plans[origin_rule], _ = _solve(tmp_path / f"{origin_rule}.xlsx", sheets)
    _costs_at_least(plans["content"].summary, plans["transformation"].summary)


def _costs_at_least(more: dict, less: dict) -> None:
    """`more` is a restriction of `less`: its optimal cost cannot be lower."""
    high, low = more["objective"], less["objective"]
    assert high >= low - 1e-6 * max(1.0, abs(low)), (high, low)


@PROPERTY_SETTINGS
@given(case=cases(), data=st.data())
def test_cutting_any_supply_never_lowers_cost(tmp_path, case, data):
    """Less supply at one origin row, or a deeper export cut, is a restriction."""
    base, _ = _solve(tmp_path / "base.xlsx", case)
    cut = copy.deepcopy(case)
    rows = cut["supply"][1:]
    assume(rows or "disruptions" in cut)
    if "disruptions" in cut and (not rows or data.draw(st.booleans())):
        cut["disruptions"][1][5] = data.draw(st.sampled_from([0.8, 1.0]))
    else:
        row = data.draw(st.sampled_from(rows))
        row[3] = row[3] * data.draw(st.sampled_from([0.0, 0.5]))
    cut_plan, _ = _solve(tmp_path / "cut.xlsx", cut)
    _costs_at_least(cut_plan.summary, base.summary)


@PROPERTY_SETTINGS
@given(case=cases(), capacity=st.integers(1, 300), capex=st.integers(0, 20_000),
       country=st.sampled_from(COUNTRIES))
def test_adding_a_candidate_site_never_raises_cost(tmp_path, case, capacity, capex, country):
    country = country if [country, country] in case["countries"] else case["countries"][1][0]
    base, _ = _solve(tmp_path / "base.xlsx", case)
    more = copy.deepcopy(case)
    more["sites"].append(["S_NEW", "SEP", country, capacity, capex, 1, 0, 2])
    wider, _ = _solve(tmp_path / "more.xlsx", more)
    _costs_at_least(base.summary, wider.summary)


@PROPERTY_SETTINGS
@given(case=cases(), seed=st.randoms(use_true_random=False))
def test_row_order_does_not_change_the_plan_cost(tmp_path, case, seed):
    shuffled = copy.deepcopy(case)
    for rows in shuffled.values():
        body = rows[1:]
        seed.shuffle(body)
        rows[1:] = body
    first, _ = _solve(tmp_path / "first.xlsx", case)
    second, _ = _solve(tmp_path / "second.xlsx", shuffled)
    assert second.summary["objective"] == pytest.approx(first.summary["objective"], rel=1e-6,
                                                        abs=1e-6)
    for name in ("dependence", "shortages"):  # the same sets of rows, whatever the order
        assert len(second.tables[name]) == len(first.tables[name])


def _with_by_product(case: dict, tailings: float, disposal_cost: float | None,
                     free_use: bool) -> dict:
    """The case's separation also makes `tailings` t of TAIL per t of oxide; TAIL can be
    disposed of at `disposal_cost` (None: not at all), and with `free_use` every country
    takes up to 1,000 t a year of it at no cost (unmet at 0)."""
    out = copy.deepcopy(case)
    out["materials"] = [["material", "shortage_cost", "disposal_cost"], ["ORE", 500, None],
                        ["OXIDE", 2000, None], ["TAIL", 0, disposal_cost]]
    out["recipes"].append(["SEP", "TAIL", 0, tailings])
    if free_use:
        out["demand"] += [[c, "TAIL", None, 1000] for c, _ in case["countries"][1:]]
    return out


@settings(PROPERTY_SETTINGS, max_examples=15)
@given(case=cases(), tailings=st.sampled_from([0.5, 1.0]),
       disposal_cost=st.sampled_from([0, 3, 40]))
def test_disposal_never_costs_less_than_a_free_use(tmp_path, case, tailings, disposal_cost):
    """Disposing of a by-product at any cost >= 0 is never cheaper than a free use of it,
    and plans that dispose of it still balance, per origin too, and add up."""
    disposing, data = _solve(tmp_path / "dispose.xlsx",
                             _with_by_product(case, tailings, disposal_cost, False))
    check_plan(disposing.tables, data, disposing.summary["solver_objective"])
    used, _ = _solve(tmp_path / "use.xlsx", _with_by_product(case, tailings, None, True))
    _costs_at_least(disposing.summary, used.summary)
