"""Smoke tests of the benchmark scripts on their smallest size (the timings are not checked:
speed is measured by running the scripts, as ratios within one run)."""

from __future__ import annotations

from pathlib import Path

from benchmarks import batch_throughput, sweep_persistent

EXAMPLE = Path(__file__).resolve().parents[1] / "inputs" / "example.xlsx"


def test_batch_throughput_runs():
    timings = batch_throughput.measure(cases=2, jobs=2)
    assert set(timings) == {"serial", "jobs=2", "speed-up"}
    assert timings["speed-up"] > 0


def test_sweep_persistent_runs():
    from optimizer.validate import load_inputs

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
    from optimizer.validate import load_inputs

    size = Size(6, 3, 4, 3, 2)
    assert sheets(size, seed=7) == sheets(size, seed=7)
    load_inputs(write(tmp_path / "g.xlsx", size, seed=7))
