"""Counterfactual solves after the plan (`compare`), solved by hand at mip_gap 0."""

from __future__ import annotations

from unittest import mock

import pytest
from conftest import tiny_sheets, write_workbook
from test_scenarios import BASE, scenario

from optimizer.contract.validate import load_inputs
from optimizer.errors import InputError
from optimizer.solving import compare as compare_module
from optimizer.studies.run import solve_workbook

SETTINGS = [["key", "value"], ["first_year", 2026], ["last_year", 2027],
            ["discount_rate", 0], ["mip_gap", 0]]
LIMIT = [["consumer", "supplier", "material", "year", "max_share"],
         ["JPN", "CHINA", "OXIDE", None, 0.3]]


def solve(tmp_path, **sheets):
    path = write_workbook(tmp_path / "case.xlsx", tiny_sheets(**sheets))
    return solve_workbook(path, write=False).plan


def rows(plan, comparison, scenario_name="objective"):
    table = plan.tables["comparisons"]
    return table[(table.comparison == comparison) & (table.scenario == scenario_name)]


def test_what_the_limits_cost(tmp_path):
    """At most 30% of JPN's oxide from CHINA costs 3,740 (30 t at 11 and 70 t at 22 a year,
    two years); without the limit all 100 t come from China at 11: 2 x 1,100 = 2,200. The
    limit costs 3,740 - 2,200 = 1,540, and at gap 0 both bounds equal the objectives: the
    interval is [1,540, 1,540], resolved. The baseline is the only scenario: its cost
    difference is the same 1,540."""
    plan = solve(tmp_path, dependence_limits=LIMIT)
    row = rows(plan, "no_limits").iloc[0]
    assert row.measure == "what the limits cost"
    assert (row.plan, row.counterfactual) == pytest.approx((3740, 2200))
    assert (row.difference, row.low, row.high) == pytest.approx((1540, 1540, 1540))
    assert row.resolved
    assert plan.summary["limits_cost"] == pytest.approx(1540)
    assert plan.summary["limits_cost_resolved"] is True
    assert (plan.summary["limits_cost_low"], plan.summary["limits_cost_high"]) == \
        pytest.approx((1540, 1540))
    base = rows(plan, "no_limits", "baseline").iloc[0]
    assert base.difference == pytest.approx(1540)
    assert "difference of the two plans" in base.note
    skipped = rows(plan, "no_stockpiles").iloc[0]
    assert "skipped: no stockpiles" in skipped.note
    assert "stockpiles_worth" not in plan.summary
    assert list(plan.tables)[-1] == "comparisons"


def test_what_the_stockpiles_are_worth(tmp_path):
    """The scenario case at p = 0.20 stocks 100 t in 2026 and costs 1,100 + 890 = 1,990 in
    both scenarios. Without the stockpile (capacity = initial = 0) the baseline buys 100 t in
    2027 at 11 (1,100) and the cut leaves 100 t short at 100 (10,000): expected
    0.8 x 1,100 + 0.2 x 10,000 = 2,880. The stockpile is worth 2,880 - 1,990 = 890; per
    scenario, the plans differ by 1,100 - 1,990 = -890 in the baseline and
    10,000 - 1,990 = 8,010 in the cut."""
    path = write_workbook(tmp_path / "case.xlsx", tiny_sheets(**{**BASE,
                                                                 "scenarios": scenario(0.2)}))
    plan = solve_workbook(path, write=False).plan
    row = rows(plan, "no_stockpiles").iloc[0]
    assert row.measure == "what the stockpiles are worth"
    assert (row.plan, row.counterfactual) == pytest.approx((1990, 2880))
    assert (row.difference, row.low, row.high) == pytest.approx((890, 890, 890))
    assert row.resolved
    assert plan.summary["stockpiles_worth"] == pytest.approx(890)
    assert plan.summary["stockpiles_worth_resolved"] is True
    assert rows(plan, "no_stockpiles", "baseline").iloc[0].difference == pytest.approx(-890)
    assert rows(plan, "no_stockpiles", "cut").iloc[0].difference == pytest.approx(8010)
    # no dependence limits in this case: that comparison is skipped and says so
    assert "skipped: no dependence limits" in rows(plan, "no_limits").iloc[0].note


def test_nothing_to_compare_is_skipped_without_solving(tmp_path):
    """No limits and no stockpiles: both comparisons are skipped, with a note, and no
    counterfactual is built."""
    with mock.patch.object(compare_module, "build_model") as build:
        plan = solve(tmp_path)
    build.assert_not_called()
    table = plan.tables["comparisons"]
    assert list(table.comparison) == ["no_limits", "no_stockpiles"]
    assert table.note.str.startswith("skipped: ").all()
    assert table.difference.isna().all()


def test_compare_none_adds_nothing(tmp_path):
    settings = [*SETTINGS, ["compare", "none"]]
    with mock.patch.object(compare_module, "build_model") as build:
        plan = solve(tmp_path, settings=settings, dependence_limits=LIMIT)
    build.assert_not_called()
    assert "comparisons" not in plan.tables
    assert "limits_cost" not in plan.summary


def test_compare_only_the_limits(tmp_path):
    settings = [*SETTINGS, ["compare", "No_Limits"]]
    plan = solve(tmp_path, settings=settings, dependence_limits=LIMIT)
    assert set(plan.tables["comparisons"].comparison) == {"no_limits"}


def test_interval_from_the_gaps():
    """A = 100 (bound 90), B = 60 (bound 50): A - B = 40 in [90 - 60, 100 - 50] = [30, 50]."""
    assert compare_module.interval(100, 90, 60, 50) == (30, 50)


def test_a_bad_compare_word_is_reported_at_its_setting(tmp_path):
    settings = [*SETTINGS, ["compare", "no_limits, no_plants"]]
    path = write_workbook(tmp_path / "case.xlsx", tiny_sheets(settings=settings))
    with pytest.raises(InputError) as caught:
        load_inputs(path)
    [issue] = [i for i in caught.value.issues if "compare" in str(i)]
    assert (issue.sheet, issue.row, issue.column) == ("settings", 6, "value")
    assert "'no_plants' is not a comparison" in str(issue)


def test_the_plan_workbook_has_a_comparisons_sheet_after_costs(tmp_path):
    import openpyxl

    path = write_workbook(tmp_path / "case.xlsx", tiny_sheets(dependence_limits=LIMIT))
    out = solve_workbook(path, tmp_path / "plan.xlsx").output
    wb = openpyxl.load_workbook(out)
    names = wb.sheetnames
    assert names.index("comparisons") == names.index("costs") + 1
    header = [c.value for c in wb["comparisons"][1]]
    assert header[:3] == ["comparison", "measure", "scenario"]
    values = [[c.value for c in r] for r in wb["comparisons"].iter_rows(min_row=2)]
    first = dict(zip(header, values[0], strict=True))
    assert first["difference"] == pytest.approx(1540)
