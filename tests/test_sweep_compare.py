"""Sweeps that measure the policy cost: each run solves the counterfactuals `--compare`
names after its plan, and its change of what the limits cost from the base run is reported
with its interval; solved by hand on a tiny case at mip_gap 0."""

from __future__ import annotations

import contextlib
import dataclasses
import re
import zipfile
from collections.abc import Iterator
from unittest import mock

import pandas as pd
import pytest
from conftest import loose_solves, run_cli, tiny_sheets, write_workbook
from test_sweep_effects import _loose_bound

from optimizer.contract.validate import load_inputs
from optimizer.contract.variations import parse_vary, plan_runs
from optimizer.errors import ExitCode, Status, UsageError
from optimizer.excel.sweep_writer import runs_table, tornado_measure, tornado_table
from optimizer.solving import compare, effects, warm
from optimizer.solving.runs import RunResult
from optimizer.studies import sweep

# At most 30% of JPN's oxide from CHINA: 30 t a year from China at 10 + 1 freight, 70 t from
# Australia at p + 2; without the limit all 100 t come from China. The limit costs
# 2 x 70 x (p + 2 - 11) = 140 (p - 9): 1,540 at p = 20, 140 at p = 10 and 4,340 at p = 40.
LIMIT = [["consumer", "supplier", "material", "year", "max_share"],
         ["JPN", "CHINA", "OXIDE", None, 0.3]]
VARY = "supply.price[country=AUS]*=0.5,2"
LIMITS_COST = [1540, 140, 4340]
EFFECTS = [-1400, 2800]
TOLERANCE = 1e-3


def case(tmp_path):
    return write_workbook(tmp_path / "case.xlsx", tiny_sheets(dependence_limits=LIMIT))


def sweep_runs(tmp_path, persistent=True, compare_words="no_limits"):
    runs = plan_runs([parse_vary(VARY)])
    return sweep.run_all(load_inputs(case(tmp_path)), runs, persistent=persistent,
                         compare=compare_words)


def assert_exact_limits_costs(table: pd.DataFrame) -> None:
    for column in ("limits_cost", "limits_cost_low", "limits_cost_high"):
        assert list(table[column]) == pytest.approx(LIMITS_COST, abs=TOLERANCE), column
    assert list(table["limits_cost_resolved"]) == [True] * 3


@pytest.mark.parametrize("persistent", [True, False], ids=["persistent", "cold"])
def test_each_run_measures_what_the_limits_cost_and_its_change(tmp_path, persistent):
    table = runs_table(sweep_runs(tmp_path, persistent))
    assert list(table["objective"]) == pytest.approx([3740, 2340, 6540], abs=TOLERANCE)
    assert_exact_limits_costs(table)
    base, *runs = table.to_dict("records")
    assert pd.isna(base["limits_cost_effect"]) and pd.isna(base["limits_cost_effect_note"])
    for run, expected in zip(runs, EFFECTS, strict=True):
        assert (run["limits_cost_effect_low"], run["limits_cost_effect"],
                run["limits_cost_effect_high"]) == pytest.approx((expected,) * 3,
                                                                abs=TOLERANCE)
        assert run["limits_cost_effect_resolved"] is True
        assert pd.isna(run["limits_cost_effect_note"])
    # no stockpiles in this case: that comparison is not asked, and stays blank
    assert table["stockpiles_worth"].isna().all()
    assert table["stockpiles_worth_effect"].isna().all()


def test_without_compare_the_policy_columns_stay_blank(tmp_path):
    """The default, whatever the workbook's `compare` (blank here: both comparisons): no
    counterfactual is built, by run_all nor by the runners on their own, the columns are
    blank, and the tornado measures the objective."""
    base_run = plan_runs([parse_vary(VARY)])[0]
    with mock.patch.object(compare, "build_model") as build:
        results = sweep_runs(tmp_path, compare_words="none")
        inputs = load_inputs(case(tmp_path))
        alone = [sweep.solve_run(inputs, base_run), sweep.PersistentRuns(inputs).solve(base_run)]
    build.assert_not_called()
    assert [r.headline["limits_cost"] for r in alone] == [None, None]
    table = runs_table(results)
    for column in ("limits_cost", "limits_cost_low", "limits_cost_effect",
                   "limits_cost_effect_low", "limits_cost_effect_resolved"):
        assert table[column].isna().all(), column
    assert tornado_measure(results) == "objective"
    assert list(tornado_table(results)[["change_low", "change_high"]].iloc[0]) == \
        pytest.approx([2340 - 3740, 6540 - 3740], abs=TOLERANCE)


def test_loose_plans_are_narrowed_for_their_comparisons(tmp_path):
    """Every run's first solve leaves a gap of 5,000, and the comparisons do not narrow
    it: each run is narrowed for its objective effect, the base run last, and the base's
    comparison is reported again from its narrowed plan: every interval exact."""
    with _loose_bound(5000), mock.patch.object(compare, "ROUNDS", 0):
        table = runs_table(sweep_runs(tmp_path))
    assert_exact_limits_costs(table)
    assert list(table["limits_cost_effect_low"][1:]) == pytest.approx(EFFECTS, abs=TOLERANCE)
    assert list(table["limits_cost_effect_high"][1:]) == pytest.approx(EFFECTS, abs=TOLERANCE)


@contextlib.contextmanager
def _loose_counterfactuals(gap: float) -> Iterator[None]:
    """Each counterfactual's first solve is a MIP (its relaxation's bound proves nothing)
    that reports a best bound `gap` below its plan."""
    with loose_solves(compare, gap), mock.patch.object(compare, "within_gap", lambda *_: False):
        yield


def test_without_narrowing_the_effects_keep_the_comparisons_intervals(tmp_path):
    """Counterfactuals 150 loose: the limits cost of each run lies in [X, X + 150], narrow
    enough for the comparison (10% of 1,540 and of 4,340); x0.5's (10% of 140) is narrowed
    to its value. Its effects: x2 in [4,340 - 1,690, 4,490 - 1,540] = [2,650, 2,950] and x0.5
    in [140 - 1,690, 140 - 1,540] = [-1,550, -1,400], both resolved, wider than their
    targets (280 and 140)."""
    with _loose_counterfactuals(150), mock.patch.object(sweep, "NARROW", False):
        table = runs_table(sweep_runs(tmp_path))
    assert list(table["limits_cost_high"] - table["limits_cost_low"]) == \
        pytest.approx([150, 0, 150], abs=TOLERANCE)
    assert list(table["limits_cost_effect_low"][1:]) == pytest.approx([-1550, 2650],
                                                                      abs=TOLERANCE)
    assert list(table["limits_cost_effect_high"][1:]) == pytest.approx([-1400, 2950],
                                                                       abs=TOLERANCE)
    assert list(table["limits_cost_effect_resolved"][1:]) == [True, True]


@pytest.mark.parametrize("persistent", [True, False], ids=["persistent", "cold"])
def test_the_comparisons_are_narrowed_for_the_effects(tmp_path, persistent):
    """The same 150: x2's effect (300 wide, its target 280) has its run's comparison
    narrowed to what the base's leaves (130), so to its value; x0.5's (150 wide, its target
    140) then needs the base's comparison narrowed, after all runs: every interval
    closes on its value."""
    with _loose_counterfactuals(150), \
            mock.patch.object(compare.Comparisons, "narrow_to",
                              side_effect=compare.Comparisons.narrow_to,
                              autospec=True) as narrow_to:
        table = runs_table(sweep_runs(tmp_path, persistent))
    assert narrow_to.call_args.args[1] == {"limits_cost": pytest.approx(140, abs=TOLERANCE)}
    assert_exact_limits_costs(table)
    assert list(table["limits_cost_effect_low"][1:]) == pytest.approx(EFFECTS, abs=TOLERANCE)
    assert list(table["limits_cost_effect_high"][1:]) == pytest.approx(EFFECTS, abs=TOLERANCE)


def test_a_comparison_stopped_at_its_time_limit_says_so_in_the_effect(tmp_path):
    """Narrowing made to stop at its time limit with a gap of 70: x0.5's counterfactual
    (150 loose, its target 14) stops there, and its effect's note says so."""
    real = warm.solve_from

    def stopped(*args, **kwargs):
        outcome = real(*args, **kwargs)
        return dataclasses.replace(outcome, status=Status.TIME_LIMIT,
                                   exit_code=ExitCode.TIME_LIMIT_WITH_PLAN,
                                   bound=outcome.objective - 70)
    with _loose_counterfactuals(150), mock.patch.object(warm, "solve_from", stopped):
        table = runs_table(sweep_runs(tmp_path))
    run = table.iloc[1]
    assert run.limits_cost_high - run.limits_cost_low == pytest.approx(70, abs=TOLERANCE)
    assert "the run: the counterfactual's solve stopped at compare_time_limit_s (300 s) " \
           "with a gap of 70" in run.limits_cost_effect_note


def result(limits_cost: tuple[float, float, float], stopped: str = "") -> RunResult:
    value, low, high = limits_cost
    return RunResult(plan_runs([parse_vary(VARY)])[0], Status.WITHIN_GAP, 0, 10_000.0,
                     minimised=10_000.0, headline={"limits_cost": value,
                                                   "limits_cost_low": low,
                                                   "limits_cost_high": high},
                     comparisons_stopped={"limits_cost": stopped} if stopped else {})


def test_an_effect_whose_interval_includes_zero_is_not_resolved():
    """A run's limits cost of 100 in [50, 150] against the base's 120 in [110, 130]: a
    change of -20 in [50 - 130, 150 - 110] = [-80, 40], not resolved; the note says so, and
    where the run's counterfactual stopped at its time limit."""
    base = result((120, 110, 130))
    run = result((100, 50, 150), "the counterfactual's solve stopped at "
                                 "compare_time_limit_s (9 s) with a gap of 90")
    found = effects.policy_effect(run, base, "limits_cost")
    assert (found.value, found.low, found.high) == pytest.approx((-20, -80, 40))
    assert found.resolved is False
    assert found.note == ("not resolved at this gap: at most 40; resolving it needs all 4 "
                          "relative gaps below 0.0005; the run: the counterfactual's solve "
                          "stopped at compare_time_limit_s (9 s) with a gap of 90")
    assert effects.policy_effect(base, base, "limits_cost") is None
    assert effects.policy_effect(result((None, None, None)), base, "limits_cost") is None


def test_every_mode_gives_the_same_policy_effects_and_tornado(tmp_path):
    """Persistent, --cold and --jobs 2 with `--compare no_limits`: the same limits costs and
    effects; the tornado measures what the limits cost, and its title says so."""
    path = case(tmp_path)
    for mode, extra in (("persistent", []), ("cold", ["--cold"]), ("jobs", ["--jobs", "2"])):
        out = tmp_path / f"{mode}.xlsx"
        run = run_cli("sweep", str(path), "-o", str(out), "--vary", VARY,
                      "--compare", "no_limits", *extra)
        assert run.returncode == 0, run.stderr
        book = pd.read_excel(out, sheet_name=None, engine="calamine")
        assert_exact_limits_costs(book["runs"])
        assert list(book["runs"]["limits_cost_effect"][1:]) == \
            pytest.approx(EFFECTS, abs=TOLERANCE)
        bar = book["tornado"].iloc[0]
        assert (bar.limits_cost_at_low, bar.limits_cost_at_high, bar.limits_cost_at_base) \
            == pytest.approx((140, 4340, 1540), abs=TOLERANCE)
        assert (bar.change_low, bar.change_high, bar.swing) == \
            pytest.approx((*EFFECTS, 4200), abs=TOLERANCE)
        with zipfile.ZipFile(out) as zf:
            chart = "".join(zf.read(n).decode() for n in zf.namelist()
                            if n.startswith("xl/charts/"))
        assert "Change of what the limits cost from the base run" in chart, mode
        assert 'formatCode="#,##0,,"' in chart  # its axis in millions
        assert len(re.findall("<c:errBars>", chart)) == 2


def test_a_bad_compare_word_is_a_usage_error_before_any_work(tmp_path):
    out = tmp_path / "sweep.xlsx"
    wrong = run_cli("sweep", str(case(tmp_path)), "-o", str(out), "--vary", VARY,
                    "--compare", "no_limit")
    assert wrong.returncode == 2
    assert "--compare 'no_limit'" in wrong.stderr and "Traceback" not in wrong.stderr
    assert not out.exists()
    with mock.patch.object(sweep, "load_inputs") as read, pytest.raises(UsageError):
        sweep.sweep_workbook(case(tmp_path), out, [VARY], compare=" ")
    read.assert_not_called()
