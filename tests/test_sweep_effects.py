"""A sweep run's effect (its objective minus the base run's) with the interval the two gaps
leave, the gaps narrowed until the interval is narrow enough, and whether the builds
changed; solved by hand on tiny cases at mip_gap 0."""

from __future__ import annotations

import dataclasses
import re
import zipfile
from unittest import mock

import pandas as pd
import pytest
from conftest import loose_solves, run_cli, tiny_sheets, write_workbook

from optimizer.contract.validate import load_inputs
from optimizer.contract.variations import parse_vary, plan_runs
from optimizer.errors import ExitCode, Status
from optimizer.excel.sweep_writer import frontier_table, runs_table, tornado_table
from optimizer.solving import warm
from optimizer.studies import sweep

# A plant in Japan: 2,000 capex and 5 a tonne, 100 t a year for both years: 3,000 in all.
SITES = [["site", "technology", "country", "capacity", "capex", "variable_cost", "lifetime"],
         ["P", "SEP", "JPN", 100, 2000, 5, 2]]
VARY = "supply.price[country=CHN]*=0.5,2"
# Japan buys 100 t a year from China at 10 + 1 freight (2,200 over two years), cheaper than
# the plant. At half the price: 2 x 100 x 6 = 1,200, an effect of -1,000. At twice the
# price China costs 2 x 100 x 21 = 4,200: the plant (3,000) is built, an effect of +800.
EFFECTS = [-1000, 800]
TOLERANCE = 1e-3  # the clean-up LP's tolerance on a 2,200 objective


def case(tmp_path):
    return write_workbook(tmp_path / "case.xlsx", tiny_sheets(sites=SITES))


def sweep_runs(tmp_path, persistent=True):
    runs = plan_runs([parse_vary(VARY)])
    return sweep.run_all(load_inputs(case(tmp_path)), runs, persistent=persistent)


def _loose_bound(gap: float):
    """The sweep's first solve of each run reports a best bound `gap` below its plan."""
    return loose_solves(sweep, gap)


@pytest.mark.parametrize("persistent", [True, False], ids=["persistent", "cold"])
def test_effects_are_exact_at_gap_zero(tmp_path, persistent):
    table = runs_table(sweep_runs(tmp_path, persistent))
    assert list(table["objective"]) == pytest.approx([2200, 1200, 3000], abs=TOLERANCE)
    base, *runs = table.to_dict("records")
    assert pd.isna(base["effect"]) and base["builds_changed"] is None
    assert base["gap"] == pytest.approx(0, abs=TOLERANCE)
    for run, expected in zip(runs, EFFECTS, strict=True):
        assert (run["effect_low"], run["effect"], run["effect_high"]) == \
            pytest.approx((expected,) * 3, abs=TOLERANCE)
        assert run["effect_resolved"] is True and run["effect_note"] is None
    assert [r["builds_changed"] for r in runs] == [False, True]
    assert runs[1]["built"] == "JPN SEP 2026"


@pytest.mark.parametrize("persistent", [True, False], ids=["persistent", "cold"])
def test_a_loose_bound_is_narrowed_to_the_exact_effects(tmp_path, persistent):
    """Every first solve leaves a gap of 5,000: each interval 10,000 wide, far more than
    the targets (10% of 1,000 and of 800). Each run is continued to half its target, the
    base run last to half the narrowest (40), on the shared model or its own: every
    interval closes on its effect."""
    with _loose_bound(5000):
        results = sweep_runs(tmp_path, persistent)
    table = runs_table(results)
    assert list(table["gap"]) == pytest.approx([0, 0, 0], abs=TOLERANCE)
    assert list(table["effect_low"][1:]) == pytest.approx(EFFECTS, abs=TOLERANCE)
    assert list(table["effect_high"][1:]) == pytest.approx(EFFECTS, abs=TOLERANCE)
    assert list(table["effect_resolved"][1:]) == [True, True]
    assert list(table["status"]) == ["optimal"] * 3  # narrowing keeps what each run reports


def test_without_narrowing_the_interval_includes_zero_and_says_so(tmp_path):
    """The same gaps of 5,000, not narrowed: -1,000 lies in [-1,000 - 5,000, -1,000 +
    5,000] = [-6,000, 4,000]; the row says not resolved, at most 4,000, and that other
    builds could be up to 5,000 cheaper. The tornado says which bars are not resolved."""
    with _loose_bound(5000), mock.patch.object(sweep, "NARROW", False):
        results = sweep_runs(tmp_path)
    run = runs_table(results).iloc[1]
    assert (run.effect_low, run.effect, run.effect_high) == \
        pytest.approx((-6000, -1000, 4000), abs=TOLERANCE)
    assert run.effect_resolved is False and run.gap == pytest.approx(5000)
    assert run.effect_note.startswith("not resolved at this gap: at most 4,000")
    assert "a plan with other builds could be up to 5,000 cheaper" in run.effect_note
    bar = tornado_table(results).iloc[0]
    # the interval reaches 5,000 below and above the change of -1,000
    assert (bar.change_low_minus, bar.change_low_plus) == pytest.approx((5000, 5000), abs=1e-2)
    assert "the change at the low value is not resolved at this gap (between -6,000 and " \
           "4,000)" in bar.note
    assert "high value" in bar.note  # 800 in [-4,200, 5,800]


def test_a_narrowing_stopped_at_its_time_limit_says_so(tmp_path):
    """Narrowing made to stop at its time limit with a gap of 70, whatever the machine's
    speed, the run's and the base run's: -1,000 lies in [-1,000 - 70, -1,000 + 70], still
    resolved, and the rows say where the solves stopped and how much cheaper a plan could
    be."""
    real = warm.solve_from

    def stopped(*args, **kwargs):
        outcome = real(*args, **kwargs)
        return dataclasses.replace(outcome, status=Status.TIME_LIMIT,
                                   exit_code=ExitCode.TIME_LIMIT_WITH_PLAN,
                                   bound=outcome.objective - 70)
    with _loose_bound(5000), mock.patch.object(warm, "solve_from", stopped):
        results = sweep_runs(tmp_path)
    base, run = runs_table(results).iloc[0], runs_table(results).iloc[1]
    assert (base.gap, run.gap) == pytest.approx((70, 70), abs=TOLERANCE)
    assert (run.effect_low, run.effect_high) == pytest.approx((-1070, -930), abs=TOLERANCE)
    assert run.effect_resolved is True
    assert (run.status, run.exit_code) == ("within_gap", 0)  # a plan, not a failed run
    stop = "narrowing its gap stopped at compare_time_limit_s (300 s) with a gap of 70"
    assert re.fullmatch(rf"{re.escape(stop)}[.\d]*; a plan with other builds could be up to "
                        r"70[.\d]* cheaper", run.effect_note), run.effect_note
    assert re.fullmatch(rf"{re.escape(stop)}[.\d]*", base.effect_note), base.effect_note


def test_every_mode_gives_the_same_effects_in_the_workbook(tmp_path):
    """Persistent, --cold and --jobs 2: the same effects, builds and tornado intervals; the
    tornado's bars carry their intervals as error bars."""
    path = case(tmp_path)
    books = {}
    for mode, extra in (("persistent", []), ("cold", ["--cold"]), ("jobs", ["--jobs", "2"])):
        out = tmp_path / f"{mode}.xlsx"
        result = run_cli("sweep", str(path), "-o", str(out), "--vary", VARY, *extra)
        assert result.returncode == 0, result.stderr
        books[mode] = pd.read_excel(out, sheet_name=None, engine="calamine")
    for book in books.values():
        runs = book["runs"]
        assert list(runs["effect"][1:]) == pytest.approx(EFFECTS, abs=TOLERANCE)
        assert list(runs["effect_resolved"][1:]) == [True, True]
        assert list(runs["builds_changed"][1:]) == [False, True]
        tornado = book["tornado"].iloc[0]
        assert (tornado.change_low, tornado.change_high) == \
            pytest.approx(EFFECTS, abs=TOLERANCE)
        assert (tornado.change_high_minus, tornado.change_high_plus) == \
            pytest.approx((0, 0), abs=TOLERANCE)
    with zipfile.ZipFile(tmp_path / "jobs.xlsx") as zf:
        chart = "".join(zf.read(n).decode() for n in zf.namelist()
                        if n.startswith("xl/charts/"))
    assert len(re.findall("<c:errBars>", chart)) == 2
    # each bar's error bars read the sheet's distances, low and high: J, K, L and M
    assert re.findall(r"<c:(?:plus|minus)><c:numRef><c:f>tornado!\$(\w)\$2", chart) == \
        ["K", "J", "M", "L"]


def test_the_frontier_gives_each_points_effect(tmp_path):
    """At most a share s of JPN's oxide from China costs 2 x 100 x (22 - 11 s) =
    4,400 - 2,200 s (test_sweep's analytic curve); the base run (s = 0.3) costs 3,740, so
    the point at s costs 2,200 x (0.3 - s) more, exactly."""
    limits = [["consumer", "supplier", "material", "year", "max_share"],
              ["JPN", "CHINA", "OXIDE", None, 0.3]]
    path = write_workbook(tmp_path / "limits.xlsx", tiny_sheets(dependence_limits=limits))
    runs = plan_runs([parse_vary("dependence_limits.max_share=0.1,0.5")])
    results = sweep.run_all(load_inputs(path), runs)
    frontier = frontier_table(results).sort_values("max_share")
    expected = [2200 * (0.3 - s) for s in (0.1, 0.5)]
    assert list(frontier["effect"]) == pytest.approx(expected, abs=TOLERANCE)
    assert list(frontier["effect_low"]) == pytest.approx(expected, abs=TOLERANCE)
    assert list(frontier["effect_high"]) == pytest.approx(expected, abs=TOLERANCE)
    assert list(frontier["effect_resolved"]) == [True, True]


@pytest.mark.parametrize("persistent", [True, False], ids=["persistent", "cold"])
def test_a_run_with_the_base_value_is_the_base_run(tmp_path, persistent):
    """A price x1 changes nothing: the run is the base run's plan, its effect exactly 0 and
    resolved (solved again, its gap and the base's could never exclude zero), and it is not
    solved again; x0.5 is solved as usual."""
    runs = plan_runs([parse_vary("supply.price[country=CHN]*=1,0.5")])
    with mock.patch.object(sweep, "solve_model", side_effect=sweep.solve_model) as cold, \
            mock.patch.object(sweep, "solve_from", side_effect=sweep.solve_from) as warm_:
        results = sweep.run_all(load_inputs(case(tmp_path)), runs, persistent=persistent)
    assert cold.call_count + warm_.call_count == 2  # the base run and x0.5, not x1
    table = runs_table(results)
    same = table.iloc[1]
    assert same["objective"] == pytest.approx(table.iloc[0]["objective"])
    assert (same["effect"], same["effect_low"], same["effect_high"]) == (0, 0, 0)
    assert same["effect_resolved"] is True and same["builds_changed"] is False
    assert same["effect_note"] == "the same inputs as the base run"
    assert table.iloc[2]["effect"] == pytest.approx(-1000, abs=TOLERANCE)
