"""Small cases solved by hand; the arithmetic is in each docstring.

All cases use discount_rate 0 and mip_gap 0 (tiny_sheets' settings) unless they say otherwise.
"""

from __future__ import annotations

import openpyxl
import pytest
from conftest import tiny_sheets, write_workbook
from plan_checks import check_no_cancelling_movements, check_plan

from optimizer.contract.to_model import build_data
from optimizer.contract.validate import load_inputs
from optimizer.errors import InfeasibleError
from optimizer.studies.run import solve_workbook

SETTINGS_3Y = [["key", "value"], ["first_year", 2026], ["last_year", 2028],
               ["discount_rate", 0], ["mip_gap", 0]]


def solve(tmp_path, **sheets):
    path = write_workbook(tmp_path / "case.xlsx", tiny_sheets(**sheets))
    return solve_workbook(path, write=False).plan


def test_no_limit_buys_cheapest(tmp_path):
    """JPN needs 100 t/yr for 2 years; China costs 10 + 1 freight, Australia 20 + 2.
    Cost = 2 x 100 x 11 = 2,200."""
    plan = solve(tmp_path)
    assert plan.summary["objective"] == pytest.approx(2200)


def test_dependence_limit_forces_dearer_supplier(tmp_path):
    """At most 30% of JPN's oxide from CHINA: 30 t from China at 11, 70 t from Australia at
    22 each year: 2 x (330 + 1,540) = 3,740. Achieved share exactly 0.30."""
    limits = [["consumer", "supplier", "material", "year", "max_share"],
              ["JPN", "CHINA", "OXIDE", None, 0.3]]
    plan = solve(tmp_path, dependence_limits=limits)
    assert plan.summary["objective"] == pytest.approx(3740)
    dep = plan.tables["dependence"]
    assert list(dep["share"]) == pytest.approx([0.3, 0.3])
    assert dep["binding"].all()


def _plant_case(price_by_year, site_row):
    supply = [["country", "material", "year", "max_quantity", "price"],
              *[["AUS", "OXIDE", y, None, p] for y, p in price_by_year.items()]]
    sites = [["site", "technology", "option", "country", "capacity", "capex", "fixed_om",
              "variable_cost", "lead_time", "lifetime", "earliest_year", "latest_year"],
             site_row]
    routes = [["from_country", "to_country", "material", "transport_cost", "tariff"],
              ["AUS", "JPN", None, 0, 0]]
    return {"supply": supply, "sites": sites, "routes": routes}


def test_plant_pays_only_if_built_early(tmp_path):
    """Import price 20, 20, 200 in 2026-28. A plant (capacity 100, capex 9,000, variable 10,
    lead time 2, lifetime 1) decided in 2026 produces in 2028 only and saves
    100 x (200 - 10) = 19,000 > 9,000: cost 2,000 + 2,000 + 1,000 + 9,000 = 14,000.
    Decided in 2027 it would produce in 2029, after the horizon: allowed no earlier than 2027,
    nothing is built and the cost is 2,000 + 2,000 + 20,000 = 24,000."""
    prices = {2026: 20, 2027: 20, 2028: 200}
    early = ["JP1", "SEP", "default", "JPN", 100, 9000, 0, 10, 2, 1, 2026, None]
    plan = solve(tmp_path, settings=SETTINGS_3Y, **_plant_case(prices, early))
    assert plan.summary["objective"] == pytest.approx(14_000)
    builds = plan.tables["builds"]
    assert list(builds["year"]) == [2026] and list(builds["online_from"]) == [2028]

    late = ["JP1", "SEP", "default", "JPN", 100, 9000, 0, 10, 2, 1, 2027, None]
    plan = solve(tmp_path, settings=SETTINGS_3Y, **_plant_case(prices, late))
    assert plan.summary["objective"] == pytest.approx(24_000)
    assert plan.tables["builds"].empty


SETTINGS_5Y = [["key", "value"], ["first_year", 2026], ["last_year", 2030],
               ["discount_rate", 0], ["mip_gap", 0]]


def test_lifetime_ending_inside_horizon(tmp_path):
    """Imports cost 50/t, 100 t/yr over 2026-30 (25,000). A plant decided in 2026 with
    capex 5,000, variable cost 10 and lifetime 2 produces in 2026-27 only; at a financing rate
    of 0 (the discount rate's) it pays 5,000 / 2 = 2,500 in each of those years:
    2 x 2,500 + 2 x 1,000 + 3 x 5,000 = 22,000."""
    site = ["JP1", "SEP", "default", "JPN", 100, 5000, 0, 10, 0, 2, 2026, 2026]
    plan = solve(tmp_path, settings=SETTINGS_5Y, **_plant_case({None: 50}, site))
    assert plan.summary["objective"] == pytest.approx(22_000)
    production = plan.tables["production"]
    assert sorted(production["year"]) == [2026, 2027]
    assert plan.tables["builds"]["annuity"].iloc[0] == pytest.approx(2_500)


def _financed_case(settings: list[list], site_row: list, financing_rate=None) -> dict:
    """_plant_case at import price 50, with a `financing_rate` column on `sites`."""
    case = _plant_case({None: 50}, site_row)
    case["sites"] = [[*case["sites"][0], "financing_rate"], [*site_row, financing_rate]]
    return {"settings": settings, **case}


def test_annuity_paid_only_in_years_online_within_horizon(tmp_path):
    """financing_rate 10% (the setting; discount rate 0), capex 20,000, lifetime 10, decided
    in 2026: it runs 2026-35 and pays 20,000 x 0.1 / (1 - 1.1^-10) = 3,254.908 a year, but
    only the five years 2026-30 lie in the horizon: 5 x 3,254.908 + 5 x 1,000 (variable) =
    21,274.54 < 25,000 without the plant. Charging all ten years (32,549) would not build it;
    nothing is credited for the years after 2030."""
    settings = [*SETTINGS_5Y, ["financing_rate", 0.1]]
    site = ["JP1", "SEP", "default", "JPN", 100, 20_000, 0, 10, 0, 10, 2026, 2026]
    plan = solve(tmp_path, **_financed_case(settings, site))
    assert plan.summary["objective"] == pytest.approx(21_274.539, abs=1e-2)
    costs = plan.tables["costs"]
    capital = costs[costs.category == "capital"]
    assert list(capital["year"]) == [2026, 2027, 2028, 2029, 2030]
    assert capital["cost"].tolist() == pytest.approx([3_254.908] * 5, abs=1e-3)
    assert "salvage" not in set(costs["category"])
    assert plan.summary["build_capex"] == pytest.approx(20_000)


SETTINGS_1Y_10PCT = [["key", "value"], ["first_year", 2026], ["last_year", 2026],
                     ["discount_rate", 0.1], ["mip_gap", 0]]


@pytest.mark.parametrize(("financing_rate", "annuity"), [(None, 162.745), (0, 100.0)])
def test_annuity_per_thousand_of_capex(tmp_path, financing_rate, annuity):
    """One year, discount rate 10%. A plant of capex 1,000 and lifetime 10 pays
    1,000 x 0.1 / (1 - 1.1^-10) = 162.745 a year at the default financing rate (the discount
    rate), 1,000 / 10 = 100 at a financing rate of 0. Demand 100 t made at variable cost 10
    (imports cost 50): objective 162.745 + 1,000 = 1,162.745, or 1,100. The financing benefit
    of the site at 0 is (162.745 - 100) x 1 (2026's discount factor) = 62.745."""
    site = ["JP1", "SEP", "default", "JPN", 100, 1000, 0, 10, 0, 10, 2026, 2026]
    plan = solve(tmp_path, **_financed_case(SETTINGS_1Y_10PCT, site, financing_rate))
    builds = plan.tables["builds"]
    assert builds["annuity"].iloc[0] == pytest.approx(annuity, abs=1e-3)
    assert plan.summary["objective"] == pytest.approx(1000 + annuity, abs=1e-3)
    assert builds["financing_benefit"].iloc[0] == pytest.approx(162.745 - annuity, abs=1e-3)


def test_financing_benefit_of_a_cheaper_loan(tmp_path):
    """2026-27 at a discount rate of 10%; the site borrows at 2%: its annuity on capex 1,000
    over 10 years is 1,000 x 0.02 / (1 - 1.02^-10) = 111.327 instead of 162.745. Objective
    (111.327 + 1,000) x (1 + 1/1.1) = 2,121.623 (2,219.787 at 10%). Financing benefit:
    (162.745 - 111.327) x (1 + 1/1.1) = 98.163."""
    settings = [["key", "value"], ["first_year", 2026], ["last_year", 2027],
                ["discount_rate", 0.1], ["mip_gap", 0]]
    site = ["JP1", "SEP", "default", "JPN", 100, 1000, 0, 10, 0, 10, 2026, 2026]
    plan = solve(tmp_path, **_financed_case(settings, site, 0.02))
    assert plan.summary["objective"] == pytest.approx(2_121.623, abs=1e-3)
    builds = plan.tables["builds"]
    assert builds["annuity"].iloc[0] == pytest.approx(111.327, abs=1e-3)
    assert builds["financing_benefit"].iloc[0] == pytest.approx(98.163, abs=1e-3)
    plan = solve(tmp_path, **_financed_case(settings, site))
    assert plan.summary["objective"] == pytest.approx(2_219.787, abs=1e-3)
    assert plan.tables["builds"]["financing_benefit"].iloc[0] == pytest.approx(0, abs=1e-9)


BUDGET_CASE = {
    "settings": [["key", "value"], ["first_year", 2026], ["last_year", 2026],
                 ["discount_rate", 0], ["mip_gap", 0]],
    "sites": [["site", "technology", "country", "capacity", "capex", "variable_cost",
               "lifetime"],
              ["A", "SEP", "AUS", 100, 5000, 10, 1], ["B", "SEP", "JPN", 100, 8000, 10, 1]],
    "supply": [["country", "material", "year", "max_quantity", "price"],
               ["CHN", "OXIDE", None, None, 199]],
    "routes": [["from_country", "to_country", "material", "transport_cost", "tariff"],
               ["CHN", "JPN", None, 1, 0], ["AUS", "JPN", None, 1, 0]],
}


def budget(max_capex: float) -> list[list]:
    return [["country", "year", "max_capex"], ["AUS", None, max_capex]]


def test_budget_blocks_cheapest_build(tmp_path):
    """One year, 100 t in JPN, imports at 200/t (20,000). Plant A in Australia: capex 5,000,
    variable 10, freight 1 -> 6,100. Plant B in Japan: capex 8,000, variable 10 -> 9,000.
    Without a budget A is built (6,100); with AUS's budget 4,000, B is built (9,000)."""
    plan = solve(tmp_path, **BUDGET_CASE)
    assert plan.summary["objective"] == pytest.approx(6_100)
    assert list(plan.tables["builds"]["site"]) == ["A"]
    plan = solve(tmp_path, **BUDGET_CASE, budgets=budget(4000))
    assert plan.summary["objective"] == pytest.approx(9_000)
    assert list(plan.tables["builds"]["site"]) == ["B"]


def test_by_product_covers_another_demand(tmp_path):
    """A Japanese separation plant turns 2 t of ore (10/t) into 1 t of NdPr (plus 0.5 t of
    La-Ce) at variable cost 20: NdPr costs 2 x 10 + 20 = 40 < 100 imported. Making the 100 t of
    NdPr demanded yields exactly the 50 t of La-Ce demanded, so none is imported:
    cost = 100 x 40 = 4,000 for one year."""
    sheets = {
        "settings": [["key", "value"], ["first_year", 2026], ["last_year", 2026],
                     ["discount_rate", 0], ["mip_gap", 0]],
        "materials": [["material", "shortage_cost"], ["ORE", 1000], ["NDPR", 1000],
                      ["LACE", 1000]],
        "technologies": [["technology", "output"], ["SEP", "NDPR"]],
        "recipes": [["technology", "material", "input", "output"], ["SEP", "ORE", 2, 0],
                    ["SEP", "NDPR", 0, 1], ["SEP", "LACE", 0, 0.5]],
        "existing_plants": [["plant", "technology", "country", "capacity", "variable_cost"],
                            ["JP_SEP", "SEP", "JPN", 100, 20]],
        "supply": [["country", "material", "year", "max_quantity", "price"],
                   ["AUS", "ORE", None, None, 10], ["AUS", "NDPR", None, None, 100],
                   ["AUS", "LACE", None, None, 30]],
        "routes": [["from_country", "to_country", "material", "transport_cost", "tariff"],
                   ["AUS", "JPN", None, 0, 0]],
        "demand": [["country", "material", "year", "quantity"], ["JPN", "NDPR", None, 100],
                   ["JPN", "LACE", None, 50]],
    }
    plan = solve(tmp_path, **sheets)
    assert plan.summary["objective"] == pytest.approx(4_000)
    purchases = plan.tables["purchases"].set_index("material")["quantity"]
    assert purchases.to_dict() == pytest.approx({"ORE": 200})


TOLL = {
    "settings": [["key", "value"], ["first_year", 2026], ["last_year", 2026],
                 ["discount_rate", 0], ["mip_gap", 0]],
    "materials": [["material", "shortage_cost"], ["OXIDE", 1e4], ["MAGNET", 1e4]],
    "technologies": [["technology", "output"], ["SEP", "OXIDE"], ["MAG", "MAGNET"]],
    "recipes": [["technology", "material", "input", "output"], ["SEP", "OXIDE", 0, 1],
                ["MAG", "OXIDE", 1, 0], ["MAG", "MAGNET", 0, 1]],
    "existing_plants": [["plant", "technology", "country", "capacity"],
                        ["JP_MAG", "MAG", "JPN", 100]],
    "supply": [["country", "material", "year", "max_quantity", "price"],
               ["CHN", "OXIDE", None, None, 10], ["AUS", "OXIDE", None, None, 30],
               ["CHN", "MAGNET", None, None, 15]],
    "routes": [["from_country", "to_country", "material", "transport_cost", "tariff"],
               ["CHN", "JPN", None, 0, 0], ["AUS", "JPN", None, 0, 0]],
    "demand": [["country", "material", "year", "quantity"], ["JPN", "MAGNET", None, 100]],
    "dependence_limits": [["consumer", "supplier", "material", "year", "max_share"],
                          ["JPN", "CHINA", "MAGNET", None, 0.2]],
}


def rule(sheets: dict, origin_rule: str) -> dict:
    return {**sheets, "settings": [*sheets["settings"], ["origin_rule", origin_rule]]}


@pytest.mark.parametrize(("origin_rule", "cost"), [("transformation", 1_000),
                                                   ("shipper", 1_000), ("content", 2_600)])
def test_toll_processing_under_each_origin_rule(tmp_path, origin_rule, cost):
    """Japan's magnets may be at most 20% Chinese; Japan makes magnets from oxide.
    transformation and shipper: magnets made in Japan are Japanese whatever the oxide, so all
    100 t are made from Chinese oxide at 10: 1,000. content: Chinese oxide made into magnets
    in Japan counts as Chinese, so at most 20 t of magnets may be (made from oxide at 10,
    cheaper than magnets at 15) and the other 80 t need Australian oxide at 30:
    20 x 10 + 80 x 30 = 2,600, and the share is exactly 20%."""
    plan = solve(tmp_path, **rule(TOLL, origin_rule))
    assert plan.summary["objective"] == pytest.approx(cost)
    dep = plan.tables["dependence"]
    assert dep["share"].iloc[0] == pytest.approx(0.2 if origin_rule == "content" else 0.0)


@pytest.mark.parametrize(("origin_rule", "cost"), [("transformation", 3_500),
                                                   ("content", 3_500), ("shipper", 1_500)])
def test_transshipment_through_a_third_country_under_each_origin_rule(tmp_path, origin_rule,
                                                                      cost):
    """Chinese magnets (15) can reach Japan only through Korea; Australian magnets cost 40;
    at most 20% of Japan's magnets may be Chinese. transformation and content: shipping
    keeps origin, so at most 20 t are Chinese: 20 x 15 + 80 x 40 = 3,500. shipper: what
    arrives from Korea counts as Korean, so all 100 t come that way: 1,500, and the share
    reads 0."""
    sheets = {
        **TOLL,
        "countries": [["country", "name"], ["CHN", ""], ["AUS", ""], ["JPN", ""],
                      ["KOR", ""]],
        "existing_plants": None,
        "supply": [["country", "material", "year", "max_quantity", "price"],
                   ["CHN", "MAGNET", None, None, 15], ["AUS", "MAGNET", None, None, 40]],
        "routes": [["from_country", "to_country", "material", "transport_cost", "tariff"],
                   ["CHN", "KOR", None, 0, 0], ["KOR", "JPN", None, 0, 0],
                   ["AUS", "JPN", None, 0, 0]],
    }
    plan = solve(tmp_path, **rule(sheets, origin_rule))
    assert plan.summary["objective"] == pytest.approx(cost)
    share = plan.tables["dependence"]["share"].iloc[0]
    assert share == pytest.approx(0.0 if origin_rule == "shipper" else 0.2)
    # `sourcing` splits Japan's use by origin class under the rule, never by the shipper
    # (Korea) unless the rule says so
    sourcing = plan.tables["sourcing"]
    assert set(sourcing.rule) == {origin_rule}
    by_origin = sourcing.set_index("origin")["quantity"].to_dict()
    assert by_origin == pytest.approx({"other": 100} if origin_rule == "shipper"
                                      else {"CHN": 20, "other": 80})


def test_the_former_trace_origin_setting_still_reads(tmp_path):
    """trace_origin true is `content` (2,600 in the toll case), false is `shipper`
    (1,000)."""
    for trace, cost in ((True, 2_600), (False, 1_000)):
        sheets = {**TOLL, "settings": [*TOLL["settings"], ["trace_origin", trace]]}
        assert solve(tmp_path, **sheets).summary["objective"] == pytest.approx(cost)


def test_a_limit_of_one_is_no_limit(tmp_path):
    """A share is the supplier-origin part of what Japan uses, so it is at most 1: a limit
    of 100% changes nothing, under every rule (all 100 t of oxide from China at 11:
    2,200 for two years)."""
    limits = [["consumer", "supplier", "material", "year", "max_share"],
              ["JPN", "CHINA", "OXIDE", None, 1]]
    for origin_rule in ("transformation", "content", "shipper"):
        plan = solve(tmp_path, **rule({**tiny_sheets(), "dependence_limits": limits},
                                      origin_rule))
        assert plan.summary["objective"] == pytest.approx(2_200)
        assert list(plan.tables["dependence"]["share"]) == pytest.approx([1.0, 1.0])


def test_stock_keeps_its_origin_and_a_cut_makes_it_the_holders(tmp_path):
    """Japan (at most 50% Chinese oxide in 2027) buys 100 t of Chinese oxide in 2026 at 10
    (+1 freight) and stocks it (capacity 100, holding 0): released in 2027 it is still
    Chinese, so in the baseline of 2027 at most 50 t of Japan's 100 t may be Chinese; the
    rest is Australian at 22. Baseline cost: 2026 100 x 11, 2027 50 x 11 + 50 x 22 = 2,750
    with or without the stock (stocking Chinese oxide gains nothing)."""
    limits = [["consumer", "supplier", "material", "year", "max_share"],
              ["JPN", "CHINA", "OXIDE", 2027, 0.5]]
    piles = [["country", "material", "initial", "capacity", "holding_cost"],
             ["JPN", "OXIDE", 0, 100, 0]]
    plan = solve(tmp_path, dependence_limits=limits, stockpiles=piles)
    assert plan.summary["objective"] == pytest.approx(1_100 + 550 + 1_100)
    assert plan.tables["dependence"]["share"].iloc[0] == pytest.approx(0.5)


def test_stockpile_cover_and_holding(tmp_path):
    """JPN must hold 73 days of its 100 t/yr demand (20 t) from 2026. Stock starts at 0 and
    costs 2/t/yr to hold: buy 20 t extra in 2026 at 11 (220) and hold 20 t for two years (80).
    Cost = 2,200 + 220 + 80 = 2,500, less the 20 t left at the end at their default end value,
    the cheapest supply price in 2027 (China's 10): 2,500 - 200 = 2,300."""
    piles = [["country", "material", "initial", "capacity", "holding_cost", "min_cover_days"],
             ["JPN", "OXIDE", 0, 100, 2, 73]]
    plan = solve(tmp_path, stockpiles=piles)
    assert plan.summary["objective"] == pytest.approx(2_300)
    levels = plan.tables["stockpiles"]
    assert list(levels["level"]) == pytest.approx([20, 20])
    costs = plan.tables["costs"].groupby("category")["cost"].sum()
    assert costs["end_value"] == pytest.approx(-200)


PILE_HEADER = ["country", "material", "initial", "capacity", "min_cover_days", "end_value",
               "min_level"]


@pytest.mark.parametrize(("end_value", "objective"), [(None, 1_670), (100, -130)])
def test_end_value_credited_only_up_to_the_cover(tmp_path, end_value, objective):
    """JPN starts with 50 t and must hold 73 days (20 t) of its 100 t/yr; oxide lands at 11
    (China 10 + 1). Stock above 20 t earns nothing at the end, so the 30 t above the cover are
    used in 2026 (each saves an import at 11) and 20 t are left: 70 x 11 + 100 x 11 = 1,870,
    less 20 x the end value. At the default (China's price, 10): 1,870 - 200 = 1,670. At 100
    (above the landed cost) the plan still does not buy stock to keep it, since nothing above
    20 t is credited: 1,870 - 2,000 = -130."""
    piles = [PILE_HEADER, ["JPN", "OXIDE", 50, 100, 73, end_value, None]]
    plan = solve(tmp_path, stockpiles=piles)
    assert plan.summary["objective"] == pytest.approx(objective)
    levels = plan.tables["stockpiles"]
    assert list(levels["level"]) == pytest.approx([20, 20])


CUT_IN_2027 = {
    "scenarios": [["scenario", "probability", "description"], ["cut", 0.5, "China stops"]],
    "disruptions": [["scenario", "supplier", "material", "from_year", "to_year", "cut"],
                    ["cut", "CHINA", "OXIDE", 2027, 2027, 1]],
}


@pytest.mark.parametrize(("end_value", "objective", "released"),
                         [(None, 2_430, 20), (30, 2_150, 0)])
def test_stock_released_or_kept_by_its_end_value(tmp_path, end_value, objective, released):
    """JPN holds 20 t (73 days of 100 t/yr; the stockpile's capacity, so nothing is stocked
    ahead) from the start; in scenario `cut` (p 0.5) China
    exports nothing in 2027, the last year, where the cover does not hold: oxide costs 22 from
    Australia (20 + 2). 2026 costs 1,100 in both. Baseline 2027: 1,100 - 20 x end value.
    Cut 2027: release the 20 t (80 x 22 = 1,760) or keep them (2,200 - 20 x end value).
    Default end value (China's 2027 price, 10, below 22): release; baseline 1,100 + 1,100 -
    200 = 2,000, cut 1,100 + 1,760 = 2,860; expected 2,430. End value 30 (above 22): keep;
    baseline 2,200 - 600 = 1,600, cut 1,100 + 2,200 - 600 = 2,700; expected 2,150."""
    piles = [PILE_HEADER, ["JPN", "OXIDE", 20, 20, 73, end_value, None]]
    plan = solve(tmp_path, stockpiles=piles, **CUT_IN_2027)
    assert plan.summary["objective"] == pytest.approx(objective)
    levels = plan.tables["stockpiles"]
    cut = levels[(levels.scenario == "cut") & (levels.year == 2027)]
    assert cut["releases"].iloc[0] == pytest.approx(released)


def test_min_level_for_a_holder_without_demand(tmp_path):
    """KOR consumes no oxide but must hold at least 30 t (min_level; its 365 days of cover of
    no demand ask nothing). It buys 30 t in 2026 from China at 10 + 1 (route CHN-KOR) and keeps
    them: 330, credited 30 x 10 (the default end value) = 300 at the end. JPN's 2 x 1,100:
    2,200 + 330 - 300 = 2,230. Without the floor the stock stays empty: 2,200."""
    sheets = {
        "countries": [["country", "name"], ["CHN", ""], ["AUS", ""], ["JPN", ""], ["KOR", ""]],
        "routes": [["from_country", "to_country", "material", "transport_cost", "tariff"],
                   ["CHN", "JPN", None, 1, 0], ["AUS", "JPN", None, 2, 0],
                   ["CHN", "KOR", None, 1, 0]],
    }
    piles = [PILE_HEADER, ["KOR", "OXIDE", 0, 100, 365, None, 30]]
    plan = solve(tmp_path, stockpiles=piles, **sheets)
    assert plan.summary["objective"] == pytest.approx(2_230)
    levels = plan.tables["stockpiles"]
    assert list(levels["level"]) == pytest.approx([30, 30])
    piles = [PILE_HEADER, ["KOR", "OXIDE", 0, 100, 365, None, None]]
    assert solve(tmp_path, stockpiles=piles, **sheets).summary["objective"] == \
        pytest.approx(2_200)


def test_min_level_above_the_days_of_cover(tmp_path):
    """JPN's 73 days of 100 t/yr ask 20 t; min_level 40 asks more, so 40 t are held: bought in
    2026 at 11 (440) and credited at 10 at the end (400): 2,200 + 440 - 400 = 2,240."""
    piles = [PILE_HEADER, ["JPN", "OXIDE", 0, 100, 73, None, 40]]
    plan = solve(tmp_path, stockpiles=piles)
    assert plan.summary["objective"] == pytest.approx(2_240)
    assert list(plan.tables["stockpiles"]["level"]) == pytest.approx([40, 40])


def test_shortage_when_supply_runs_out(tmp_path):
    """Only 60 t/yr can be bought (China 10 + 1 freight); the other 40 t are unmet at 1,000/t:
    2 x (660 + 40,000) = 81,320."""
    supply = [["country", "material", "year", "max_quantity", "price"],
              ["CHN", "OXIDE", None, 60, 10]]
    plan = solve(tmp_path, supply=supply)
    assert plan.summary["objective"] == pytest.approx(81_320)
    assert plan.tables["shortages"]["shortage"].sum() == pytest.approx(80)


def test_infeasible_cover_raises(tmp_path):
    """A cover of 365 days (100 t) above the stockpile's capacity of 50 t cannot be met."""
    piles = [["country", "material", "initial", "capacity", "min_cover_days"],
             ["JPN", "OXIDE", 0, 50, 365]]
    with pytest.raises(InfeasibleError):
        solve(tmp_path, stockpiles=piles)


def test_discounting(tmp_path):
    """With a 10% discount rate, 2027's 1,100 counts as 1,000: 1,100 + 1,000 = 2,100."""
    settings = [["key", "value"], ["first_year", 2026], ["last_year", 2027],
                ["discount_rate", 0.1], ["mip_gap", 0]]
    plan = solve(tmp_path, settings=settings)
    assert plan.summary["objective"] == pytest.approx(2_100)


def test_marginal_cost_of_share_limit_matches_finite_difference(tmp_path):
    """Cost = 2 x (s x 100 x 11 + (1 - s) x 100 x 22): each percentage point of the share
    saves 2 x 100 x 11 / 100 = 22 per year pair. Re-solving at 31% confirms it."""
    def limit(share):
        return [["consumer", "supplier", "material", "year", "max_share"],
                ["JPN", "CHINA", "OXIDE", 2026, share], ["JPN", "CHINA", "OXIDE", 2027, share]]

    plan = solve(tmp_path, dependence_limits=limit(0.30))
    marginal = plan.tables["dependence"]["marginal_cost"]
    assert list(marginal) == pytest.approx([11, 11])
    relaxed = solve(tmp_path, dependence_limits=limit(0.31))
    saving = plan.summary["objective"] - relaxed.summary["objective"]
    assert saving == pytest.approx(marginal.sum())


def test_slack_limit_has_zero_marginal_cost(tmp_path):
    limits = [["consumer", "supplier", "material", "year", "max_share"],
              ["JPN", "CHINA", "OXIDE", None, 1.0]]
    plan = solve(tmp_path, dependence_limits=limits)
    assert list(plan.tables["dependence"]["marginal_cost"]) == [0, 0]


def test_budget_saving_from_a_larger_budget(tmp_path):
    """The budget case: AUS's budget of 4,000 blocks plant A (capex 5,000); 10% more (4,400)
    still blocks it, so the saving is 0. With a budget of 4,600, 10% more (5,060) lets A be
    built: 9,000 - 6,100 = 2,900 saved."""
    for max_capex, saving in ((4000, 0), (4600, 2900)):
        plan = solve(tmp_path, **BUDGET_CASE, budgets=budget(max_capex))
        table = plan.tables["budgets"]
        assert table["saving_if_10pct_larger"].iloc[0] == pytest.approx(saving)


def test_supplier_group_containing_the_consumer_counts_only_foreign_supply(tmp_path):
    """ASIA = {CHN, JPN}; at most 50% of Japan's oxide from ASIA means at most 50% from
    China: Japan's own purchases (15) are domestic. 50 t from China at 11 + 50 t bought in
    Japan at 15 = 1,300 a year, 2,600 in all, under every origin rule."""
    groups = [["group", "country"], ["CHINA", "CHN"], ["ASIA", "CHN"], ["ASIA", "JPN"]]
    supply = [["country", "material", "year", "max_quantity", "price"],
              ["CHN", "OXIDE", None, None, 10], ["AUS", "OXIDE", None, None, 20],
              ["JPN", "OXIDE", None, None, 15]]
    limits = [["consumer", "supplier", "material", "year", "max_share"],
              ["JPN", "ASIA", "OXIDE", None, 0.5]]
    for origin_rule in ("transformation", "content", "shipper"):
        settings = [*tiny_sheets()["settings"], ["origin_rule", origin_rule]]
        plan = solve(tmp_path, settings=settings, groups=groups, supply=supply,
                     dependence_limits=limits)
        assert plan.summary["objective"] == pytest.approx(2600)


def test_end_value_without_supply_in_the_last_year_is_zero_with_a_warning(tmp_path):
    """Oxide can be bought in 2026 only: its stockpile's end value defaults to 0, and a
    warning names the stockpile row."""
    from optimizer.contract.to_model import build_data
    from optimizer.contract.validate import load_inputs

    supply = [["country", "material", "year", "max_quantity", "price"],
              ["CHN", "OXIDE", 2026, None, 10]]
    piles = [PILE_HEADER, ["JPN", "OXIDE", 0, 100, 73, None, None],
             ["AUS", "OXIDE", 0, 100, 0, 7, None]]
    path = write_workbook(tmp_path / "case.xlsx", tiny_sheets(supply=supply, stockpiles=piles))
    data = build_data(load_inputs(path))
    assert list(data.stockpiles["end_value"]) == [0, 7]
    warned = [w for w in data.warnings if w.column == "end_value"]
    assert [(w.sheet, w.row) for w in warned] == [("stockpiles", 2)]
    assert "no supply row in 2027" in warned[0].message


@pytest.mark.parametrize(("kor_cost", "objective", "short_in"),
                         [(500, 51_100, "KOR"), (5000, 101_100, "JPN")])
def test_shortage_cost_per_demand_row_steers_scarce_supply(tmp_path, kor_cost, objective,
                                                            short_in):
    """One year; JPN and KOR each need 100 t, but China sells only 100 t (10 + 1 freight to
    either). JPN's shortage costs the material's 1,000/t; KOR's row says its own. At 500 the
    100 t go to Japan: 1,100 + 100 x 500 = 51,100; at 5,000 they go to Korea:
    1,100 + 100 x 1,000 = 101,100."""
    sheets = {
        "settings": [["key", "value"], ["first_year", 2026], ["last_year", 2026],
                     ["discount_rate", 0], ["mip_gap", 0]],
        "countries": [["country", "name"], ["CHN", ""], ["AUS", ""], ["JPN", ""], ["KOR", ""]],
        "supply": [["country", "material", "year", "max_quantity", "price"],
                   ["CHN", "OXIDE", None, 100, 10]],
        "routes": [["from_country", "to_country", "material", "transport_cost", "tariff"],
                   ["CHN", "JPN", None, 1, 0], ["CHN", "KOR", None, 1, 0]],
        "demand": [["country", "material", "year", "quantity", "shortage_cost"],
                   ["JPN", "OXIDE", None, 100, None], ["KOR", "OXIDE", None, 100, kor_cost]],
    }
    plan = solve(tmp_path, **sheets)
    assert plan.summary["objective"] == pytest.approx(objective)
    short = plan.tables["shortages"].set_index("country")["shortage"]
    assert short[short_in] == pytest.approx(100)
    assert short.sum() == pytest.approx(100)


def test_limit_rows_cover_year_to_to_year_and_the_smallest_share_holds(tmp_path):
    """2026-2028; China's oxide lands at 11, Australia's at 22, 100 t a year. Row 2 limits
    China to 30% in 2027-2028 (year and to_year), row 3 to 60% from first_year to 2027 (blank
    year), row 4 to 100% in 2028 (year alone). 2026: 60% -> 60 x 11 + 40 x 22 = 1,540;
    2027: rows 2 and 3 overlap, the smaller 30% holds -> 30 x 11 + 70 x 22 = 1,870;
    2028: rows 2 and 4, 30% -> 1,870. Total 5,280. The plan's dependence rows name the row
    that holds each year."""
    limits = [["consumer", "supplier", "material", "year", "to_year", "max_share"],
              ["JPN", "CHINA", "OXIDE", 2027, 2028, 0.3],
              ["JPN", "CHINA", "OXIDE", None, 2027, 0.6],
              ["JPN", "CHINA", "OXIDE", 2028, None, 1.0]]
    plan = solve(tmp_path, settings=SETTINGS_3Y, dependence_limits=limits)
    assert plan.summary["objective"] == pytest.approx(5_280)
    dep = plan.tables["dependence"].sort_values("year")
    assert list(dep["year"]) == [2026, 2027, 2028]
    assert list(dep["max_share"]) == pytest.approx([0.6, 0.3, 0.3])
    assert list(dep["input_row"]) == [3, 2, 2]
    assert list(dep["share"]) == pytest.approx([0.6, 0.3, 0.3])


def test_limit_row_with_year_and_to_year_leaves_other_years_free(tmp_path):
    """A 30% limit in 2027 only (year 2027, to_year 2027) of 2026-2028: 2026 and 2028 buy
    all from China (1,100 each), 2027 pays 1,870: 4,070."""
    limits = [["consumer", "supplier", "material", "year", "to_year", "max_share"],
              ["JPN", "CHINA", "OXIDE", 2027, 2027, 0.3]]
    plan = solve(tmp_path, settings=SETTINGS_3Y, dependence_limits=limits)
    assert plan.summary["objective"] == pytest.approx(4_070)
    assert list(plan.tables["dependence"]["year"]) == [2027]


@pytest.mark.parametrize("risk", [[], [["risk_measure", "cvar"], ["cvar_weight", 0.5]]])
def test_clean_up_leaves_no_movement_that_changes_nothing(tmp_path, risk):
    """JPN needs 100 t/yr and KOR 50 t/yr; China's oxide lands at 11 in either (routes
    CHN-JPN and CHN-KOR cost 1), and JPN and KOR ship to each other for free. JPN holds 50 t
    (holding cost 0, no cover, no end value), worth 11 a tonne wherever and whenever used.
    Optimum: 300 t of demand less the 50 t of stock, 250 x 11 = 2,750. Equally cheap: routing
    KOR's oxide through JPN (HiGHS's vertex does, 50 t a year), shipping JPN-KOR-JPN, or
    stocking and releasing in one year. The clean-up LP keeps the cost (within 1e-7) and
    takes the least movement: 250 t shipped, all of it direct, 50 t released, none acquired.
    Under CVaR (one scenario: CVaR = expected cost) the held cost is 1.5 x 2,750 and the plan
    is the same."""
    countries = [["country", "name"], ["CHN", "China"], ["AUS", "Australia"],
                 ["JPN", "Japan"], ["KOR", "Korea"]]
    routes = [["from_country", "to_country", "material", "transport_cost", "tariff"],
              ["CHN", "JPN", None, 1, 0], ["AUS", "JPN", None, 2, 0], ["CHN", "KOR", None, 1, 0],
              ["JPN", "KOR", None, 0, 0], ["KOR", "JPN", None, 0, 0]]
    demand = [["country", "material", "year", "quantity"], ["JPN", "OXIDE", None, 100],
              ["KOR", "OXIDE", None, 50]]
    piles = [["country", "material", "initial", "capacity", "holding_cost", "min_cover_days",
              "end_value"], ["JPN", "OXIDE", 50, 100, 0, 0, 0]]
    settings = [["key", "value"], ["first_year", 2026], ["last_year", 2027],
                ["discount_rate", 0], ["mip_gap", 0], *risk]
    path = write_workbook(tmp_path / "case.xlsx", tiny_sheets(
        settings=settings, countries=countries, routes=routes, demand=demand,
        stockpiles=piles))
    solved = solve_workbook(path, write=False)
    plan = solved.plan
    assert plan.summary["objective"] == pytest.approx(2_750, rel=1e-6)
    assert solved.outcome.objective == pytest.approx(2_750 * (1.5 if risk else 1), rel=1e-6)
    ships = plan.tables["shipments"]
    ships = ships[ships.quantity > 1e-6]
    assert set(zip(ships.from_country, ships.to_country, strict=True)) == {("CHN", "JPN"),
                                                                           ("CHN", "KOR")}
    assert ships.quantity.sum() == pytest.approx(250)
    stock = plan.tables["stockpiles"]
    assert stock.acquisitions.sum() == pytest.approx(0, abs=1e-6)
    assert stock.releases.sum() == pytest.approx(50)
    check_no_cancelling_movements(plan.tables)


def test_overlapping_supplier_sets_share_their_origin_classes(tmp_path):
    """CHINA = {CHN, HKG}. Japan may take at most 30% of its oxide from CHN and at most 50%
    from CHINA: the classes are CHN, HKG and other, so both limits read the same flows.
    Per year: 30 t from CHN at 11, 20 t from HKG at 13, 50 t from Australia at 21:
    330 + 260 + 1,050 = 1,640, 3,280 for two years; the shares are 30% and 50%."""
    countries = [["country", "name"], ["CHN", ""], ["HKG", ""], ["AUS", ""], ["JPN", ""]]
    groups = [["group", "country"], ["CHINA", "CHN"], ["CHINA", "HKG"]]
    supply = [["country", "material", "year", "max_quantity", "price"],
              ["CHN", "OXIDE", None, None, 10], ["HKG", "OXIDE", None, None, 12],
              ["AUS", "OXIDE", None, None, 20]]
    routes = [["from_country", "to_country", "material", "transport_cost", "tariff"],
              ["CHN", "JPN", None, 1, 0], ["HKG", "JPN", None, 1, 0], ["AUS", "JPN", None, 1, 0]]
    limits = [["consumer", "supplier", "material", "year", "max_share"],
              ["JPN", "CHN", "OXIDE", None, 0.3], ["JPN", "CHINA", "OXIDE", None, 0.5]]
    plan = solve(tmp_path, countries=countries, groups=groups, supply=supply, routes=routes,
                 dependence_limits=limits)
    assert plan.summary["objective"] == pytest.approx(3_280)
    dep = plan.tables["dependence"].sort_values(["input_row", "year"])
    assert list(dep["share"]) == pytest.approx([0.3, 0.3, 0.5, 0.5])
    classes = set(plan.tables["origins"]["origin"])
    assert classes == {"CHN", "HKG", "other"}


SETTINGS_4Y = [["key", "value"], ["first_year", 2026], ["last_year", 2029],
               ["discount_rate", 0], ["mip_gap", 0]]
DEMAND_COLUMNS = ["country", "material", "year", "quantity", "shortage_cost", "growth"]


def test_demand_grows_until_a_later_row_of_its_own(tmp_path):
    """JPN's 2026 row: 100 t growing 10% a year gives 110 t in 2027 and 121 t in 2028; its
    own 2029 row (50 t, no growth) takes over. All bought from China at 10 + 1:
    11 x (100 + 110 + 121 + 50) = 4,191."""
    demand = [DEMAND_COLUMNS, ["JPN", "OXIDE", 2026, 100, None, 0.1],
              ["JPN", "OXIDE", 2029, 50, None, None]]
    plan = solve(tmp_path, settings=SETTINGS_4Y, demand=demand)
    assert plan.summary["objective"] == pytest.approx(4_191)
    short = plan.tables["shortages"]
    assert list(short["year"]) == [2026, 2027, 2028, 2029]
    assert list(short["demand"]) == pytest.approx([100, 110, 121, 50])


def test_grown_years_override_a_blank_year_row_and_keep_the_rows_shortage_cost(tmp_path):
    """Nothing can be bought. A blank-year row asks 10 t a year at the material's 1,000/t; the
    2027 row (100 t, -50% a year, shortage at 2/t) holds 2027 and grows into 2028 (50 t) and
    2029 (25 t) at its own 2/t. 2026 keeps the blank-year row: 10 x 1,000 = 10,000; the rest
    2 x (100 + 50 + 25) = 350. Total 10,350."""
    demand = [DEMAND_COLUMNS, ["JPN", "OXIDE", None, 10, None, None],
              ["JPN", "OXIDE", 2027, 100, 2, -0.5]]
    supply = [["country", "material", "year", "max_quantity", "price"],
              ["CHN", "OXIDE", None, 0, 10]]
    plan = solve(tmp_path, settings=SETTINGS_4Y, demand=demand, supply=supply)
    assert plan.summary["objective"] == pytest.approx(10_350)
    short = plan.tables["shortages"].set_index("year")["shortage"]
    assert list(short) == pytest.approx([10, 100, 50, 25])


def test_a_row_dated_before_the_horizon_grows_into_it(tmp_path):
    """JPN's 2024 row, 100 t growing 10% a year, fills 2026-2029 from its own year:
    121, 133.1, 146.41 and 161.051 t, bought from China at 10 + 1: 11 x 561.561 =
    6,177.171. A later row before the horizon (2025) would take over; one in it does."""
    demand = [DEMAND_COLUMNS, ["JPN", "OXIDE", 2024, 100, None, 0.1]]
    plan = solve(tmp_path, settings=SETTINGS_4Y, demand=demand)
    assert list(plan.tables["shortages"]["demand"]) == pytest.approx(
        [121, 133.1, 146.41, 161.051])
    assert plan.summary["objective"] == pytest.approx(6_177.171)


def test_the_latest_row_before_the_horizon_carries_and_growth_zero_keeps_its_quantity(
        tmp_path):
    """The 2025 row (80 t, growth 0) takes over from the 2024 one and holds 80 t until the
    2028 row of the horizon; a blank growth (the 2028 row) holds its own year only, so 2029
    falls back to the blank-year row's 5 t."""
    demand = [DEMAND_COLUMNS, ["JPN", "OXIDE", None, 5, None, None],
              ["JPN", "OXIDE", 2024, 100, None, 0.1], ["JPN", "OXIDE", 2025, 80, None, 0],
              ["JPN", "OXIDE", 2028, 60, None, None]]
    data = build_data(load_inputs(write_workbook(tmp_path / "carry.xlsx", tiny_sheets(
        settings=SETTINGS_4Y, demand=demand))))
    assert list(data.demand["quantity"]) == pytest.approx([80, 80, 60, 5])
    assert list(data.demand["row"]) == [4, 4, 5, 2]


def _by_product_case(disposal_cost=None, tail_demand=None, capacity=100) -> dict:
    """JPN's own plant (capacity 100 unless given) makes 1 t of oxide with 0.5 t of
    tailings; nothing can be bought, so the oxide JPN needs (100 t a year) comes from the
    plant or goes short."""
    demand = [["country", "material", "year", "quantity", "shortage_cost"],
              ["JPN", "OXIDE", None, 100, None]]
    if tail_demand is not None:
        demand.append(["JPN", "TAIL", None, tail_demand, 0])
    return {
        "materials": [["material", "shortage_cost", "disposal_cost"],
                      ["OXIDE", 1000, None], ["TAIL", 1000, disposal_cost]],
        "recipes": [["technology", "material", "input", "output"], ["SEP", "OXIDE", 0, 1],
                    ["SEP", "TAIL", 0, 0.5]],
        "existing_plants": [["plant", "technology", "country", "capacity"],
                            ["Osaka", "SEP", "JPN", capacity]],
        "supply": None, "routes": None, "demand": demand,
    }


def test_a_by_product_nobody_wants_stops_its_plant_unless_it_can_be_disposed_of(tmp_path):
    """Without a disposal_cost the tailings have nowhere to go, so the plant cannot run and
    the oxide goes short: 2 x 100 x 1,000 = 200,000. At 4/t disposal the plant runs and the
    plan pays exactly 2 x 50 x 4 = 400, shown in the disposal table and the costs."""
    stuck = solve(tmp_path, **_by_product_case())
    assert stuck.summary["objective"] == pytest.approx(200_000)
    assert "disposal" not in stuck.tables
    plan = solve(tmp_path, **_by_product_case(disposal_cost=4))
    assert plan.summary["objective"] == pytest.approx(400)
    disposal = plan.tables["disposal"]
    assert list(disposal["year"]) == [2026, 2027]
    assert list(disposal["country"]) == ["JPN", "JPN"]
    assert list(disposal["quantity"]) == pytest.approx([50, 50])
    assert list(disposal["cost"]) == pytest.approx([200, 200])
    costs = plan.tables["costs"]
    assert list(costs["category"]) == ["disposal", "disposal"]
    assert plan.summary["cost_disposal"] == pytest.approx(400)


def test_marginal_value_of_capacity_net_of_disposal(tmp_path):
    """With 80 t of capacity, 20 t of oxide go short each year at 1,000/t and 40 t of
    tailings are disposed of at 4/t: 2 x (20,000 + 160) = 40,320. One more unit of capacity
    saves 1,000 of shortage and costs 0.5 x 4 = 2 of disposal: 998 in each year (from the
    fixed-build LP's duals)."""
    plan = solve(tmp_path, **_by_product_case(disposal_cost=4, capacity=80))
    assert plan.summary["objective"] == pytest.approx(40_320)
    assert list(plan.tables["capacity"]["marginal_value"]) == pytest.approx([998, 998])
    assert list(plan.tables["disposal"]["quantity"]) == pytest.approx([40, 40])


def test_disposal_is_not_taken_where_the_by_product_has_a_use(tmp_path):
    """JPN also needs 30 t of tailings a year (unmet at 0): 30 t meet it and only 20 t are
    disposed of at 4/t, 2 x 20 x 4 = 160."""
    plan = solve(tmp_path, **_by_product_case(disposal_cost=4, tail_demand=30))
    assert plan.summary["objective"] == pytest.approx(160)
    assert list(plan.tables["disposal"]["quantity"]) == pytest.approx([20, 20])


def test_disposal_of_a_limited_material_keeps_its_origin(tmp_path):
    """China's plant (capacity 100, no cost) makes JPN's 100 t of oxide a year, with 50 t of
    tailings; JPN also needs 10 t of tailings, at most half from CHINA; Australia sells them
    at 20 (+2 freight). Each year: oxide freight 100, 5 t of Chinese tailings shipped (5),
    5 t Australian (110) and the other 45 t disposed of in China at 2/t (90): 305, 610 in
    all. The disposal is Chinese-origin tailings, and every origin balance holds."""
    sheets = {
        "materials": [["material", "shortage_cost", "disposal_cost"], ["OXIDE", 1000, None],
                      ["TAIL", 1000, 2]],
        "recipes": [["technology", "material", "input", "output"], ["SEP", "OXIDE", 0, 1],
                    ["SEP", "TAIL", 0, 0.5]],
        "existing_plants": [["plant", "technology", "country", "capacity"],
                            ["Baotou", "SEP", "CHN", 100]],
        "supply": [["country", "material", "year", "max_quantity", "price"],
                   ["AUS", "TAIL", None, None, 20]],
        "demand": [["country", "material", "year", "quantity"], ["JPN", "OXIDE", None, 100],
                   ["JPN", "TAIL", None, 10]],
        "dependence_limits": [["consumer", "supplier", "material", "year", "max_share"],
                              ["JPN", "CHINA", "TAIL", None, 0.5]],
    }
    path = write_workbook(tmp_path / "case.xlsx", tiny_sheets(**sheets))
    result = solve_workbook(path, write=False)
    plan = result.plan
    assert plan.summary["objective"] == pytest.approx(610)
    assert list(plan.tables["disposal"]["quantity"]) == pytest.approx([45, 45])
    origins = plan.tables["origins"]
    disposed = origins[origins.flow == "disposal"]
    assert set(disposed["origin"]) == {"CHN"}
    assert disposed["quantity"].sum() == pytest.approx(90)
    check_plan(plan.tables, build_data(load_inputs(path)), result.outcome.objective)


def test_the_plan_workbook_shows_disposal_after_shortages(tmp_path):
    """The written plan has a `disposal` sheet between `shortages` and `costs`, with the
    40 t a year disposed of at 4/t when the plant has 80 t of capacity."""
    path = write_workbook(tmp_path / "case.xlsx",
                          tiny_sheets(**_by_product_case(disposal_cost=4, capacity=80)))
    written = solve_workbook(path, tmp_path / "plan.xlsx", compare="none").output
    wb = openpyxl.load_workbook(written)
    names = wb.sheetnames
    assert names.index("shortages") + 1 == names.index("disposal") == names.index("costs") - 1
    rows = list(wb["disposal"].iter_rows(values_only=True))
    assert rows == [("scenario", "year", "country", "material", "quantity", "cost"),
                    ("baseline", 2026, "JPN", "TAIL", 40, 160),
                    ("baseline", 2027, "JPN", "TAIL", 40, 160)]
