"""Counterfactual solves after the plan (`compare`), solved by hand at mip_gap 0."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from unittest import mock

import openpyxl
import pytest
from conftest import edited, tiny_sheets, write_workbook
from test_scenarios import BASE, scenario

from optimizer.contract.validate import load_inputs
from optimizer.errors import ExitCode, InputError, Status
from optimizer.solving import compare as compare_module
from optimizer.solving import pipeline
from optimizer.studies.run import solve_workbook

EXAMPLE = Path(__file__).resolve().parents[1] / "inputs" / "example.xlsx"

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
    assert list(plan.tables)[-2:] == ["comparisons", "consumers"]


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
    # shortage per consumer and scenario: JPN (and so the world) is 100 t short in the cut
    # without the stockpile, never with it
    table = plan.tables["comparisons"]
    short = table[table.measure == "shortage"]
    assert list(zip(short.scenario, short.consumer, short.material, strict=True)) == \
        [("cut", "JPN", "OXIDE"), ("cut", "world", "OXIDE")]
    assert list(short.plan) == [0, 0] and list(short.counterfactual) == [100, 100]
    assert list(short.difference) == [100, 100] and set(short.unit) == {"t"}
    assert short.note.str.startswith("shortage the stockpiles avoid").all()
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


def _loose_bound(gap: float):
    """The plan's solve as the pipeline calls it (`solve_with_start`), reporting a best bound
    `gap` below the plan: a MIP that stopped early, on a case HiGHS solves at its root."""
    real = pipeline.solve_with_start

    def solve_with_start(*args, **kwargs):
        outcome = real(*args, **kwargs)
        outcome.bound = outcome.objective - gap
        return outcome
    return mock.patch.object(pipeline, "solve_with_start", solve_with_start)


def test_an_interval_that_includes_zero_is_not_resolved(tmp_path):
    """The limits cost 1,540 (test_what_the_limits_cost), but a plan whose bound is 5,000
    below it leaves [3,740 - 5,000 - 2,200, 1,540] = [-3,460, 1,540]: not resolved, at most
    1,540, never a bare number. No narrowing round is allowed here."""
    with _loose_bound(5000), mock.patch.object(compare_module, "ROUNDS", 0):
        plan = solve(tmp_path, dependence_limits=LIMIT)
    row = rows(plan, "no_limits").iloc[0]
    assert (row.low, row.high) == pytest.approx((-3460, 1540))
    assert not row.resolved
    assert row.note.startswith("not resolved at this gap: at most 1,540")
    assert row.plan_gap == pytest.approx(5000)


def test_a_wide_interval_is_narrowed_against_the_difference(tmp_path):
    """The same loose plan, with narrowing: the interval may be at most 10% of 1,540 wide,
    so the plan's solve goes on from its incumbent to an absolute gap of 77; HiGHS proves
    the optimum, the interval closes to [1,540, 1,540]."""
    with _loose_bound(5000):
        plan = solve(tmp_path, dependence_limits=LIMIT)
    row = rows(plan, "no_limits").iloc[0]
    assert (row.low, row.difference, row.high) == pytest.approx((1540, 1540, 1540))
    assert row.resolved and row.note == ""
    assert row.plan_gap == pytest.approx(0, abs=1e-6)


def test_a_real_gap_is_narrowed_to_a_tenth_of_the_difference(tmp_path):
    """The example at a 5% gap: the first intervals are as wide as the effects. Narrowed,
    each is at most 10% of its difference (or 5e-5 of the objective) wide and holds the
    difference of the optima, solved separately at gap 0."""
    settings = {"mip_gap": 0.05, "compare": "no_limits"}
    path = edited(EXAMPLE, tmp_path / "loose.xlsx", settings)
    plan = solve_workbook(path, write=False).plan
    row = rows(plan, "no_limits").iloc[0]
    width = row.high - row.low
    assert width <= max(0.1 * abs(row.difference), 5e-5 * row.plan) + 1e-6
    assert row.plan_gap + row.counterfactual_gap == pytest.approx(width, rel=1e-6, abs=1)
    exact = {"mip_gap": 0, "compare": "none"}
    with_limits = solve_workbook(edited(EXAMPLE, tmp_path / "a.xlsx", exact), write=False)
    without = solve_workbook(edited(EXAMPLE, tmp_path / "b.xlsx", exact, no_limits=True),
                             write=False)
    optimum = with_limits.plan.summary["objective"] - without.plan.summary["objective"]
    assert row.low - 1e-6 * row.plan <= optimum <= row.high + 1e-6 * row.plan


def test_a_time_limited_counterfactual_keeps_the_plans_exit_code(tmp_path):
    """A counterfactual that stops at compare_time_limit_s (made to, whatever the machine's
    speed): its row says where it stopped and with what gap, and the solve still exits with
    the plan's code."""
    real = compare_module.solve_from

    def stopped(*args, **kwargs):
        outcome = real(*args, **kwargs)
        return dataclasses.replace(outcome, status=Status.TIME_LIMIT,
                                   exit_code=ExitCode.TIME_LIMIT_WITH_PLAN,
                                   bound=outcome.objective - 70)
    settings = [*SETTINGS, ["compare_time_limit_s", 7]]
    # its MIP runs: the relaxation's bound would prove the tiny case's start optimal
    with mock.patch.object(compare_module, "solve_from", stopped), \
            mock.patch.object(compare_module, "within_gap", lambda *_: False):
        path = write_workbook(tmp_path / "case.xlsx",
                              tiny_sheets(settings=settings, dependence_limits=LIMIT))
        solved = solve_workbook(path, write=False)
    assert solved.exit_code == 0
    row = rows(solved.plan, "no_limits").iloc[0]
    assert "counterfactual's solve stopped at compare_time_limit_s (7 s) with a gap of 70" \
        in row.note
    assert row.counterfactual_gap == pytest.approx(70)


def test_an_unresolved_difference_is_written_as_a_plain_number():
    """Tens of millions read as people write them, never as 1.07743e+07."""
    note = compare_module.unresolved(-5e6, 10_774_300.0, 1.3e11, solves=4)
    assert note.startswith("not resolved at this gap: at most 10,774,300; ")
    assert "e+" not in note.split(";")[0]
