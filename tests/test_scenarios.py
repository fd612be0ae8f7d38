"""Disruption scenarios, stockpiles, risk and infeasibility explanations, solved by hand.

The base: Japan needs 100 t of oxide in 2027 only; China sells at 10 plus 1 freight; unmet
demand costs 100/t; Japan may stock up to 100 t at a holding cost of 8.9/t/yr. In scenario
`cut` (probability p) China stops all exports in 2027.
"""

from __future__ import annotations

import pytest
from conftest import run_cli, tiny_sheets, write_workbook

from optimizer.studies.run import solve_workbook

BASE = {
    "settings": [["key", "value"], ["first_year", 2026], ["last_year", 2027],
                 ["discount_rate", 0], ["mip_gap", 0]],
    "materials": [["material", "shortage_cost"], ["OXIDE", 100]],
    "supply": [["country", "material", "year", "max_quantity", "price"],
               ["CHN", "OXIDE", None, None, 10]],
    "routes": [["from_country", "to_country", "material", "transport_cost", "tariff"],
               ["CHN", "JPN", None, 1, 0]],
    "demand": [["country", "material", "year", "quantity"], ["JPN", "OXIDE", 2027, 100]],
    "stockpiles": [["country", "material", "initial", "capacity", "holding_cost"],
                   ["JPN", "OXIDE", 0, 100, 8.9]],
    "disruptions": [["scenario", "supplier", "material", "from_year", "to_year", "cut"],
                    ["cut", "CHINA", "OXIDE", 2027, 2027, 1]],
}


def scenario(p: float) -> list[list]:
    return [["scenario", "probability", "description"], ["cut", p, "China stops exports"]]


def solve(tmp_path, **sheets):
    path = write_workbook(tmp_path / "case.xlsx", tiny_sheets(**{**BASE, **sheets}))
    return solve_workbook(path, write=False).plan


def stock_2026(plan, scenario_name="baseline") -> float:
    levels = plan.tables["stockpiles"]
    row = levels[(levels.year == 2026) & (levels.scenario == scenario_name)]
    return float(row.level.iloc[0])


def test_stockpile_pays_only_above_a_threshold_probability(tmp_path):
    """Stocking x t in 2026 costs 11 + 8.9 per t; in the baseline the stock replaces a 2027
    purchase at 11, in the cut it replaces a shortage at 100. Expected cost
    = (1-p)(1,100 + 8.9x) + p(10,000 - 89x + 8.9x) = const + x(8.9 - 89p):
    stockpiling pays iff p > 8.9 / 89 = 0.1.
    p = 0.05: x = 0, cost 0.95 x 1,100 + 0.05 x 10,000 = 1,545.
    p = 0.20: x = 100, cost 1,100 + 890 = 1,990 in both scenarios."""
    low = solve(tmp_path, scenarios=scenario(0.05))
    assert low.summary["objective"] == pytest.approx(1545)
    assert stock_2026(low) == pytest.approx(0)
    high = solve(tmp_path, scenarios=scenario(0.20))
    assert high.summary["objective"] == pytest.approx(1990)
    assert stock_2026(high) == pytest.approx(100)
    assert high.summary["scenario_cost_cut"] == pytest.approx(1990)


def test_non_anticipativity_scenario_cannot_foresee_the_cut(tmp_path):
    """At p = 0.05 stocking does not pay. A plan that knew the cut was coming would stock
    100 t in 2026 in the cut scenario only (cost 1,990 instead of 10,000); the 2026 stock must
    equal the baseline's (0), so the cut scenario pays 10,000 of shortage."""
    plan = solve(tmp_path, scenarios=scenario(0.05))
    assert stock_2026(plan, "cut") == stock_2026(plan, "baseline") == pytest.approx(0)
    assert plan.summary["scenario_cost_cut"] == pytest.approx(10_000)
    shortages = plan.tables["shortages"]
    assert shortages[shortages.scenario == "cut"].shortage.sum() == pytest.approx(100)


def test_cvar_with_weight_one(tmp_path):
    """p = 0.05, risk_measure cvar, alpha 0.9, weight 1. With C_b = 1,100 + 8.9x and
    C_c = 10,000 - 80.1x (C_c >= C_b for x <= 100), VaR is C_b and
    CVaR = C_b + (0.05 / 0.1)(C_c - C_b) = (C_b + C_c) / 2. Objective = E + CVaR
    = 1.45 C_b + 0.55 C_c = 7,095 - 31.15x: stock x = 100, objective 3,980, CVaR 1,990.
    (Risk-neutral, the same case stocks nothing: see the threshold test.)"""
    settings = [*BASE["settings"], ["risk_measure", "cvar"], ["cvar_alpha", 0.9],
                ["cvar_weight", 1]]
    plan = solve(tmp_path, settings=settings, scenarios=scenario(0.05))
    assert plan.summary["risk_adjusted_objective"] == pytest.approx(3980)
    assert plan.summary["cvar"] == pytest.approx(1990)
    assert plan.summary["objective"] == pytest.approx(1990)  # the expected cost
    assert stock_2026(plan) == pytest.approx(100)


def test_partial_cut_caps_exports_at_the_reference_share(tmp_path):
    """A 60% cut leaves China 40% of its 2027 exports in the reference plan (100 t to Japan):
    with no stock (p = 0.05) the cut scenario imports 40 t and misses 60 t:
    40 x 11 + 60 x 100 = 6,440. The plan's disruptions table says so. Nothing is short in the
    baseline: 0.05 x 60 = 3 t expected, 60 t in the worst scenario."""
    cut = [["scenario", "supplier", "material", "from_year", "to_year", "cut"],
           ["cut", "CHINA", "OXIDE", 2027, 2027, 0.6]]
    plan = solve(tmp_path, scenarios=scenario(0.05), disruptions=cut)
    assert plan.summary["scenario_cost_cut"] == pytest.approx(6440)
    row = plan.tables["disruptions"].iloc[0]
    assert (row.year, row.reference, row.allowance, row.exports) == pytest.approx(
        (2027, 100, 40, 40))
    assert row.input_row == 2
    shortage = [plan.summary[f"{k}_shortage"] for k in ("baseline", "expected", "worst")]
    assert shortage == pytest.approx([0, 3, 60])


def test_cover_is_suspended_only_in_disrupted_years(tmp_path):
    """With 73 days of cover (20 t of the 100 t demand) required, the baseline keeps 20 t
    in 2027, while the cut scenario, disrupted in 2027, may draw the stock down."""
    piles = [["country", "material", "initial", "capacity", "holding_cost", "min_cover_days"],
             ["JPN", "OXIDE", 0, 100, 8.9, 73]]
    plan = solve(tmp_path, scenarios=scenario(0.05), stockpiles=piles)
    levels = plan.tables["stockpiles"].set_index(["scenario", "year"])["level"]
    assert levels["baseline", 2027] == pytest.approx(20)
    assert levels["cut", 2027] == pytest.approx(0)


TOLL_CUT = {
    "settings": [["key", "value"], ["first_year", 2026], ["last_year", 2026],
                 ["discount_rate", 0], ["mip_gap", 0]],
    "materials": [["material", "shortage_cost"], ["OXIDE", 1000], ["MAGNET", 1000]],
    "technologies": [["technology", "output"], ["SEP", "OXIDE"], ["MAG", "MAGNET"]],
    "recipes": [["technology", "material", "input", "output"], ["SEP", "OXIDE", 0, 1],
                ["MAG", "OXIDE", 1, 0], ["MAG", "MAGNET", 0, 1]],
    "existing_plants": [["plant", "technology", "country", "capacity"],
                        ["JP_MAG", "MAG", "JPN", 100]],
    "sites": [["site", "technology", "country", "capacity", "capex", "variable_cost",
               "lifetime"], ["AU_SEP", "SEP", "AUS", 100, 20_000, 20, 1]],
    "supply": [["country", "material", "year", "max_quantity", "price"],
               ["CHN", "OXIDE", None, None, 10]],
    "routes": [["from_country", "to_country", "material", "transport_cost", "tariff"],
               ["CHN", "JPN", None, 0, 0], ["AUS", "JPN", None, 0, 0]],
    "demand": [["country", "material", "year", "quantity"], ["JPN", "MAGNET", None, 100]],
    "dependence_limits": [["consumer", "supplier", "material", "year", "max_share"],
                          ["JPN", "CHINA", "MAGNET", None, 0.2]],
    "scenarios": [["scenario", "probability", "description"], ["cut", 0.1, ""]],
    "disruptions": [["scenario", "supplier", "material", "from_year", "to_year", "cut"],
                    ["cut", "CHINA", "OXIDE", 2026, 2026, 1]],
    "stockpiles": None,
}


def test_content_rule_closes_toll_processing_under_a_disruption(tmp_path):
    """By transformation (the default), Japanese magnets from Chinese oxide count as
    Japanese: the Australian plant (capex 20,000) is not built; expected cost
    0.9 x 1,000 + 0.1 x 100,000 (all short in the cut) = 10,900. By content, at most 20 of
    the 100 t may be Chinese-origin, so the plant is built: 20,000 + 0.9 x (20 x 10 +
    80 x 20) + 0.1 x (100 x 20) = 21,820, and the cut scenario has no shortage."""
    untraced = solve(tmp_path, **TOLL_CUT)
    assert untraced.summary["objective"] == pytest.approx(10_900)
    assert untraced.tables["builds"].empty
    traced_settings = [*TOLL_CUT["settings"], ["origin_rule", "content"]]
    traced = solve(tmp_path, **{**TOLL_CUT, "settings": traced_settings})
    assert traced.summary["objective"] == pytest.approx(21_820)
    assert list(traced.tables["builds"].site) == ["AU_SEP"]
    short = traced.tables["shortages"]
    assert short[short.scenario == "cut"].shortage.sum() == pytest.approx(0)


def test_infeasible_cover_is_explained_by_its_stockpile_row(tmp_path):
    piles = [["country", "material", "initial", "capacity", "min_cover_days"],
             ["JPN", "OXIDE", 0, 50, 365]]
    path = write_workbook(tmp_path / "cover.xlsx", tiny_sheets(stockpiles=piles))
    result = run_cli("solve", str(path), "-o", str(tmp_path / "plan.xlsx"))
    assert result.returncode == 4
    assert ("stockpiles row 2: JPN must hold 365 days of cover of OXIDE in 2026 (100 t), but "
            "the stockpile's capacity is 50 t") in result.stderr


def test_validate_finds_a_cover_beyond_capacity_in_every_year_solve_would(tmp_path):
    """Demand of 100 t growing 10% a year from 2026: 120 days of cover need 43.76 t in 2029
    (133.1 x 1.1 x 120 / 365), above the capacity of 40 t, and more every later year.
    `validate` says so (exit 3) at the stockpile's capacity cell, in the words `solve`
    uses when it stops (exit 4), naming the first year and the later ones."""
    settings = [["key", "value"], ["first_year", 2026], ["last_year", 2033],
                ["discount_rate", 0], ["mip_gap", 0]]
    demand = [["country", "material", "year", "quantity", "growth"],
              ["JPN", "OXIDE", 2026, 100, 0.1]]
    piles = [["country", "material", "initial", "capacity", "min_cover_days"],
             ["JPN", "OXIDE", 0, 40, 120]]
    path = write_workbook(tmp_path / "cover.xlsx", tiny_sheets(settings=settings,
                                                               demand=demand, stockpiles=piles))
    why = ("JPN must hold 120 days of cover of OXIDE in 2029 (43.76 t), but the stockpile's "
           "capacity is 40 t; so too in 4 later years (2030, 2031, 2032, 2033), up to "
           "64.07 t in 2033")
    checked = run_cli("validate", str(path))
    assert checked.returncode == 3
    assert f"error: sheet 'stockpiles', row 2, column 'capacity': {why}\n" in checked.stderr
    solved = run_cli("solve", str(path), "-o", str(tmp_path / "plan.xlsx"))
    assert solved.returncode == 4
    assert f"stockpiles row 2: {why}\n" in solved.stderr


# Japan can get oxide only from a plant it would have to build (capex 500): a cover of 100
# days (27.4 t) needs the plant, a budget of 0 forbids it. Neither alone is infeasible
# (unmet demand is priced, and a share limit can always be met by using less); together
# they are.
CONFLICT = {
    "supply": None,
    "sites": [["site", "technology", "country", "capacity", "capex", "lifetime"],
              ["JP1", "SEP", "JPN", 100, 500, 5]],
    "stockpiles": [["country", "material", "initial", "capacity", "min_cover_days"],
                   ["JPN", "OXIDE", 0, 500, 100]],
    "budgets": [["country", "year", "max_capex"], ["JPN", None, 0]],
}


def test_conflict_between_cover_and_budget_names_both(tmp_path):
    """The elastic plan relaxes the budget (money weighs less than tonnes) and the
    explanation names the cover it conflicts with."""
    sheets = tiny_sheets(**CONFLICT)
    result = run_cli("solve", str(write_workbook(tmp_path / "c.xlsx", sheets)), "-o",
                     str(tmp_path / "plan.xlsx"))
    assert result.returncode == 4
    assert "budgets row 2: builds in JPN over the horizon may cost at most 0" in result.stderr
    assert "in conflict with the limits on sheet 'stockpiles' (rows 2)" in result.stderr
    assert "Traceback" not in result.stderr


def test_overlapping_cuts_do_not_depend_on_row_order(tmp_path):
    """Two rows cut China's 2027 exports by 100% and by 20%: the smallest allowance holds
    whatever the order of the rows (p = 0.05, no stock: the cut scenario misses all 100 t)."""
    rows = [["cut", "CHINA", "OXIDE", 2026, 2027, 1], ["cut", "CHINA", "OXIDE", 2027, 2027, 0.2]]
    header = ["scenario", "supplier", "material", "from_year", "to_year", "cut"]
    costs = [solve(tmp_path, scenarios=scenario(0.05), disruptions=[header, *order])
             .summary["scenario_cost_cut"] for order in (rows, rows[::-1])]
    assert costs == pytest.approx([10_000, 10_000])


def test_relaxed_limit_is_not_also_named_as_the_conflict(tmp_path):
    """The cover and budget conflict of `CONFLICT`, with a share limit beside them that
    takes no part: the elastic plan relaxes one family; the explanation names the other one
    as the conflict, never the relaxed one, and never the share limit."""
    sheets = tiny_sheets(**CONFLICT, dependence_limits=[
        ["consumer", "supplier", "material", "year", "max_share"],
        ["JPN", "CHINA", "OXIDE", None, 0.5]])
    result = run_cli("solve", str(write_workbook(tmp_path / "c.xlsx", sheets)), "-o",
                     str(tmp_path / "plan.xlsx"))
    assert result.returncode == 4
    lines = result.stderr.splitlines()
    sheets_named = ("stockpiles", "budgets", "dependence_limits")
    relaxed = {s for s in sheets_named
               if any(line.strip().startswith(f"{s} row") for line in lines)}
    conflicts = {s for s in sheets_named
                 if any(f"limits on sheet '{s}'" in line for line in lines)}
    assert relaxed and conflicts and not relaxed & conflicts, result.stderr
    assert "dependence_limits" not in relaxed | conflicts, result.stderr


def test_dependence_limit_holds_in_every_scenario(tmp_path):
    """At most 30% of Japan's oxide from China, every year. In scenario `cut` China stops
    exports in 2026 only: 2026 is all Australian (100 x 22 = 2,200); in 2027 the limit still
    holds (30 x 11 + 70 x 22 = 1,870), so the scenario costs 4,070, not 2,200 + 1,100."""
    sheets = tiny_sheets(
        scenarios=scenario(0.5),
        disruptions=[["scenario", "supplier", "material", "from_year", "to_year", "cut"],
                     ["cut", "CHINA", "OXIDE", 2026, 2026, 1]],
        dependence_limits=[["consumer", "supplier", "material", "year", "max_share"],
                           ["JPN", "CHINA", "OXIDE", None, 0.3]])
    plan = solve_workbook(write_workbook(tmp_path / "c.xlsx", sheets), write=False).plan
    assert plan.summary["scenario_cost_cut"] == pytest.approx(4070)
    assert plan.summary["scenario_cost_baseline"] == pytest.approx(3740)
    dep = plan.tables["dependence"]
    assert (dep["share"] <= dep["max_share"] + 1e-9).all()
    assert set(dep["scenario"]) == {"baseline", "cut"}


def test_baseline_cannot_inflate_the_export_allowance_by_round_trips(tmp_path):
    """One year; China cuts half its exports in scenario `cut` (p = 0.5). Honestly: the
    baseline imports 100 t at 11 (1,100) and the cut scenario 50 t from China plus 50 t from
    Australia at 22 (1,650): expected 1,375. Were the allowance measured against the baseline
    optimised with its scenarios, the baseline could ship 100 t more to Japan and back (2/t)
    to double it: 0.5 x 1,300 + 0.5 x 1,100 = 1,200. The reference plan is fixed before the
    plan is solved, and it has no reason to ship anything back."""
    one_year = [["key", "value"], ["first_year", 2026], ["last_year", 2026],
                ["discount_rate", 0], ["mip_gap", 0]]
    routes = [["from_country", "to_country", "material", "transport_cost", "tariff"],
              ["CHN", "JPN", None, 1, 0], ["JPN", "CHN", None, 1, 0], ["AUS", "JPN", None, 2, 0]]
    cut = [["scenario", "supplier", "material", "from_year", "to_year", "cut"],
           ["cut", "CHINA", "OXIDE", 2026, 2026, 0.5]]
    path = write_workbook(tmp_path / "rt.xlsx", tiny_sheets(
        settings=one_year, routes=routes, scenarios=scenario(0.5), disruptions=cut))
    plan = solve_workbook(path, write=False).plan
    assert plan.summary["objective"] == pytest.approx(1375)


CUT_HEADER = ["scenario", "supplier", "material", "from_year", "to_year", "cut", "reference",
              "to_country"]


def test_a_cut_measured_against_a_reference_of_its_own(tmp_path):
    """China's reference is 40 t/yr (the row's own); a half cut allows 20 t in 2027. With
    no stock (p = 0.05) the cut scenario imports 20 t and misses 80 t:
    20 x 11 + 80 x 100 = 8,220."""
    cut = [CUT_HEADER, ["cut", "CHINA", "OXIDE", 2027, 2027, 0.5, 40, None]]
    plan = solve(tmp_path, scenarios=scenario(0.05), disruptions=cut)
    assert plan.summary["scenario_cost_cut"] == pytest.approx(8220)
    row = plan.tables["disruptions"].iloc[0]
    assert (row.reference, row.allowance, row.exports) == pytest.approx((40, 20, 20))


def test_a_cut_aimed_at_one_country_leaves_the_others_supplied(tmp_path):
    """China cuts Japan off in 2027 (`to_country` JPN) while Korea, needing 50 t, still buys
    from China. In the cut scenario Japan misses its 100 t (no stock at p = 0.05) and Korea
    pays 50 x 11 as in the baseline: 10,000 + 550 = 10,550."""
    countries = [["country", "name"], ["CHN", ""], ["JPN", ""], ["KOR", ""]]
    routes = [["from_country", "to_country", "material", "transport_cost", "tariff"],
              ["CHN", "JPN", None, 1, 0], ["CHN", "KOR", None, 1, 0]]
    demand = [["country", "material", "year", "quantity"], ["JPN", "OXIDE", 2027, 100],
              ["KOR", "OXIDE", 2027, 50]]
    cut = [CUT_HEADER, ["cut", "CHINA", "OXIDE", 2027, 2027, 1, None, "JPN"]]
    plan = solve(tmp_path, countries=countries, routes=routes, demand=demand,
                 scenarios=scenario(0.05), disruptions=cut)
    assert plan.summary["scenario_cost_cut"] == pytest.approx(10_550)
    row = plan.tables["disruptions"].iloc[0]
    assert row.to_country == "JPN"
    assert (row.reference, row.allowance) == pytest.approx((100, 0))


def test_a_cut_on_everyone_beside_one_aimed_at_japan_measures_all_exports(tmp_path):
    """A blank `to_country` next to a row aimed at Japan still means every country outside
    China: its reference is China's 150 t to Japan and Korea, so a half cut allows 75 t,
    while the aimed row's reference is Japan's 100 t."""
    countries = [["country", "name"], ["CHN", ""], ["JPN", ""], ["KOR", ""]]
    routes = [["from_country", "to_country", "material", "transport_cost", "tariff"],
              ["CHN", "JPN", None, 1, 0], ["CHN", "KOR", None, 1, 0]]
    demand = [["country", "material", "year", "quantity"], ["JPN", "OXIDE", 2027, 100],
              ["KOR", "OXIDE", 2027, 50]]
    scenarios = [["scenario", "probability", "description"], ["japan", 0.05, ""],
                 ["everyone", 0.05, ""]]
    cut = [CUT_HEADER, ["japan", "CHINA", "OXIDE", 2027, 2027, 1, None, "JPN"],
           ["everyone", "CHINA", "OXIDE", 2027, 2027, 0.5, None, None]]
    plan = solve(tmp_path, countries=countries, routes=routes, demand=demand,
                 scenarios=scenarios, disruptions=cut)
    rows = plan.tables["disruptions"].set_index("scenario")
    assert (rows.loc["everyone"].reference, rows.loc["everyone"].allowance,
            rows.loc["everyone"].exports) == pytest.approx((150, 75, 75))
    assert rows.loc["japan"].reference == pytest.approx(100)


def test_a_supplier_exporting_nothing_in_the_reference_is_never_forced_to_import(tmp_path,
                                                                              caplog):
    """China makes no oxide: it buys 50 t from Australia (20 + 1) for its own demand, and
    Japan buys 100 t there too. China exports nothing in the reference plan, so a cut of its
    exports allows nothing and changes nothing: both scenarios cost 150 x 21 = 3,150 in 2027
    (with a cap on net exports, a supplier that imports would have been held to importing).
    A warning names the row."""
    supply = [["country", "material", "year", "max_quantity", "price"],
              ["AUS", "OXIDE", None, None, 20]]
    routes = [["from_country", "to_country", "material", "transport_cost", "tariff"],
              ["AUS", "CHN", None, 1, 0], ["AUS", "JPN", None, 1, 0], ["CHN", "JPN", None, 1, 0]]
    demand = [["country", "material", "year", "quantity"], ["JPN", "OXIDE", 2027, 100],
              ["CHN", "OXIDE", 2027, 50]]
    for share in (1, 0.5):
        cut = [CUT_HEADER, ["cut", "CHINA", "OXIDE", 2027, 2027, share, None, None]]
        path = write_workbook(tmp_path / f"imp{share}.xlsx", tiny_sheets(**{
            **BASE, "supply": supply, "routes": routes, "demand": demand,
            "scenarios": scenario(0.5), "disruptions": cut}))
        solved = solve_workbook(path, write=False)
        assert solved.plan.summary["scenario_cost_cut"] == pytest.approx(3150)
        assert solved.plan.summary["scenario_cost_baseline"] == pytest.approx(3150)
        assert solved.plan.tables["disruptions"].iloc[0].reference == 0
        assert "CHINA exports no OXIDE in 2027 in the reference plan" in caplog.text
        assert "'disruptions', row 2, column 'reference'" in caplog.text


def test_stock_drawn_in_a_cut_counts_as_the_holders_own(tmp_path):
    """Japan may take none of its 2027 oxide from China (max_share 0), and China is the only
    seller. Chinese oxide stocked in 2026 stays Chinese, so the baseline cannot use it and
    misses its 100 t (10,000); but stock drawn in a cut is the holder's own supply, so in
    scenario `cut` (p = 0.5) it covers the 100 t. Stocking 100 t costs 1,100 and 890 of
    holding in 2026 (and 890 in the baseline's 2027, where it stays): expected
    1,990 + 0.5 x (10,000 + 890) + 0.5 x 0 = 7,435, against 10,000 without the stock."""
    limits = [["consumer", "supplier", "material", "year", "max_share"],
              ["JPN", "CHINA", "OXIDE", 2027, 0]]
    plan = solve(tmp_path, scenarios=scenario(0.5), dependence_limits=limits)
    assert plan.summary["objective"] == pytest.approx(7_435)
    assert stock_2026(plan) == pytest.approx(100)


def test_the_suppliers_material_cannot_be_laundered_through_stock_in_a_cut(tmp_path):
    """As the case above, but the cut is on another material (ore), so Chinese oxide still
    flows in scenario `cut`'s 2027. Were every release in a cut year the holder's own, the
    plan would buy Chinese oxide in that year, put it into the stock and take it out again
    as Japanese: 0.5 x 10,000 + 0.5 x 1,100 = 5,550. Only what the stock held when the year
    began counts as Japan's own, so the plan still stocks in 2026: 7,435."""
    materials = [["material", "shortage_cost"], ["OXIDE", 100], ["ORE", 100]]
    cut = [["scenario", "supplier", "material", "from_year", "to_year", "cut", "reference"],
           ["cut", "CHINA", "ORE", 2027, 2027, 1, 10]]
    limits = [["consumer", "supplier", "material", "year", "max_share"],
              ["JPN", "CHINA", "OXIDE", 2027, 0]]
    plan = solve(tmp_path, materials=materials, scenarios=scenario(0.5), disruptions=cut,
                 dependence_limits=limits)
    assert plan.summary["objective"] == pytest.approx(7_435)
    assert stock_2026(plan) == pytest.approx(100)
