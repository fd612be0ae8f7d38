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
    timings = sweep_persistent.measure(EXAMPLE, runs=2)
    assert timings["runs"] == 2
    assert timings["largest relative difference"] < 1e-6
