"""Smoke tests of the benchmark scripts on their smallest size (the timings are not checked:
speed is measured by running the scripts, as ratios within one run)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from benchmarks import batch_throughput, sweep_persistent

EXAMPLE = Path(__file__).resolve().parents[1] / "inputs" / "example.xlsx"


def test_batch_throughput_runs():
    timings = batch_throughput.measure(cases=2, jobs=2)
    assert set(timings) == {"serial", "jobs=2", "speed-up"}
    assert timings["speed-up"] > 0


def test_sweep_persistent_runs():
    from optimizer.contract.validate import load_inputs

    timings = sweep_persistent.measure(load_inputs(EXAMPLE), sweep_persistent.price_runs(2))
    assert timings["runs"] == 2
    assert timings["largest relative difference"] < 1e-6


def test_scale_benchmark_runs_on_its_smallest_size():
    from benchmarks import run

    rows = run.run_ladder(run.LADDERS["small"])
    assert rows[0]["variables"] > 0 and rows[0]["objective_gap"] < 1e-6
    assert rows[0]["overhead"] > 0 and rows[0]["whole_vs_highs"] > 0


def test_generated_instances_are_valid_and_deterministic(tmp_path):
    from benchmarks.generate import Size, sheets, write
    from optimizer.contract.validate import load_inputs

    size = Size(6, 3, 4, 3, 2)
    assert sheets(size, seed=7) == sheets(size, seed=7)
    load_inputs(write(tmp_path / "g.xlsx", size, seed=7))


def test_orlib_large_runs_on_a_tiny_case():
    """5 sites x 20 customers: both formulations reach the same optimum as HiGHS alone."""
    from benchmarks.orlib_large import compare, generate

    assert generate(5, 20, seed=3) == generate(5, 20, seed=3)
    results = {f: compare(5, 20, time_limit=30, formulation=f) for f in ("linked", "loose")}
    for result in results.values():
        assert abs(result["plan_gap"]) < 1e-6
        assert 0 < result["outside_share"] < 1 and result["whole_vs_highs"] > 0
    assert results["linked"]["tool_objective"] == pytest.approx(
        results["loose"]["tool_objective"], rel=1e-9)
    assert results["linked"]["lp_bound"] >= results["loose"]["lp_bound"] - 1e-6


def test_capa_benchmark_runs_on_a_tiny_file(tmp_path):
    """capa's format (the word `capacity` for each site's capacity), 2 sites x 3 customers:
    opening the first site alone costs 100 + 1 + 4 + 2 = 107, the least; the tool and HiGHS
    alone both find it."""
    from benchmarks import capa

    source = tmp_path / "tiny_capa.txt"
    source.write_text("2 3\n capacity 100.\n capacity 150.\n 10 1 2\n 20 4 3\n 5 2 2\n")
    row = capa.measure(source, 8000, 30)
    assert row["tool_objective"] == pytest.approx(107)
    assert row["highs_objective"] == pytest.approx(107)
    assert row["tool_vs_highs"] == pytest.approx(0, abs=1e-9)
    assert row["wall_vs_limit"] == pytest.approx(row["tool_wall_s"] / 30)
    assert math.isnan(row["published"])  # no published optimum for this file


@pytest.mark.parametrize(("name", "given", "capacities"), [
    ("capa.txt", None, [8000, 10000, 12000, 14000]),
    ("capb.txt", None, [5000, 6000, 7000, 8000]),
    ("capc.txt", None, [5000, 5750, 6500, 7250]),
    ("capc.txt", "6000", [6000]),
    ("mine.txt", None, []),
])
def test_capa_benchmark_runs_each_sibling_at_its_capacities(name, given, capacities):
    from benchmarks import capa

    assert capa.instance_capacities(Path(name), given) == capacities


def test_reading_benchmark_runs_on_a_small_case(tmp_path):
    """5 sites x 20 customers, this checkout timed against itself once: both medians and
    their ratio are reported in wall and in CPU time."""
    from benchmarks import reading
    from benchmarks.orlib_large import generate, write_case

    workbook = write_case(tmp_path / "small.xlsx", generate(5, 20, seed=3), time_limit=30)
    checkouts = {"baseline": reading.HERE, "this checkout": reading.HERE}
    result = reading.compare(workbook, checkouts, repeats=1)
    assert set(result) == {"wall", "cpu"}
    for medians in result.values():
        assert set(medians) == {"baseline", "this checkout", "ratio"}
        assert medians["baseline"] > 0 and medians["this checkout"] > 0
        assert medians["ratio"] == pytest.approx(medians["baseline"] / medians["this checkout"])


def test_translation_benchmark_runs_on_a_small_generated_case(tmp_path):
    """This checkout against itself (as against an older worktree), 5 sites x 20 customers:
    HiGHS holds the whole plain model (30 rows, 130 columns), and the report shows it."""
    from benchmarks import translation

    workbook = translation.write_case(tmp_path / "case.xlsx", None, sites=5, customers=20)
    medians = translation.compare(translation.HERE, workbook, "plain", repeats=1)
    for run in (medians["old"], medians["new"]):
        assert (run["rows"], run["columns"]) == (30, 130)
        assert run["nonzeros"] > 130 and run["build s"] > 0 and run["translate s"] > 0
    lines = translation.report(medians).splitlines()
    assert lines[2] == "| rows | 30 | 30 | |" and len(lines) == 8


def test_base_case_benchmark_runs_on_the_example():
    """The whole command timed from this checkout against itself once, on the example:
    both runs print the same answer; HiGHS alone runs once per seed."""
    from benchmarks import base_case

    checkouts = {"old": base_case.HERE, "new": base_case.HERE}
    seconds, same = base_case.compare(checkouts, EXAMPLE, ["--compare", "none"], repeats=1)
    assert same and all(len(runs) == 1 and runs[0] > 0 for runs in seconds.values())
    alone = base_case.highs_alone_seconds(EXAMPLE)
    assert len(alone) == len(base_case.SEEDS) and min(alone) > 0
