"""Persistent re-solves against cold re-solves of the same sweep, measured in one run.

    python -m benchmarks.sweep_persistent [--input inputs/example.xlsx] [--runs 6]

The sweep scales China's supply prices (0.8 .. 1.2). "cold" builds and solves every run from
scratch; "persistent" changes the cells of one built model in place and re-solves it with one
persistent HiGHS instance. Prints both wall times, their ratio and the largest difference in
objective between the two paths.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from optimizer.sweep import PersistentRuns, parse_vary, plan_runs, solve_run
from optimizer.validate import load_inputs

ROOT = Path(__file__).resolve().parents[1]


def measure(path: Path, runs: int) -> dict[str, float]:
    factors = ",".join(f"{0.8 + 0.4 * i / max(runs - 2, 1):.3f}" for i in range(runs - 1))
    plan = plan_runs([parse_vary(f"supply.price[country=CHN]*={factors}")])
    inputs = load_inputs(path)
    start = time.perf_counter()
    cold = [solve_run(inputs, run) for run in plan]
    cold_seconds = time.perf_counter() - start
    start = time.perf_counter()
    persistent = PersistentRuns(inputs)
    warm = [persistent.solve(run) for run in plan]
    warm_seconds = time.perf_counter() - start
    gap = max(abs(w.objective - c.objective) / max(abs(c.objective), 1.0)
              for w, c in zip(warm, cold, strict=True))
    return {"runs": len(plan), "cold s": cold_seconds, "persistent s": warm_seconds,
            "speed-up": cold_seconds / warm_seconds, "largest relative difference": gap}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, default=ROOT / "inputs" / "example.xlsx")
    parser.add_argument("--runs", type=int, default=6)
    args = parser.parse_args()
    for label, value in measure(args.input, args.runs).items():
        print(f"{label:>28}: {value:.4g}")


if __name__ == "__main__":
    main()
