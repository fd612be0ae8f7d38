"""Smoke tests of the benchmark scripts on their smallest size (the timings are not checked:
speed is measured by running the scripts, as ratios within one run)."""

from __future__ import annotations

from benchmarks.batch_throughput import measure


def test_batch_throughput_runs():
    timings = measure(cases=2, jobs=2)
    assert set(timings) == {"serial", "jobs=2", "speed-up"}
    assert timings["speed-up"] > 0
