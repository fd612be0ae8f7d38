"""Persistent re-solves against cold re-solves of the same sweep, measured in one run.

    python -m benchmarks.sweep_persistent [--input inputs/example.xlsx] [--runs 6]
    python -m benchmarks.sweep_persistent --input inputs/base_case.xlsx --sheet

By default the sweep scales China's supply prices (0.8 .. 1.2); `--sheet` runs the workbook's
own `sweeps` sheet instead (the base case's: a tornado of six inputs and a frontier of a
dependence limit). "cold" builds and solves every run from scratch; "persistent" changes the
cells of one built model in place and re-solves it with one persistent HiGHS instance. Prints
both wall times, their ratio, the runs each path took and the largest difference in objective
between the two paths.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from optimizer.contract.inputs import Inputs
from optimizer.contract.validate import load_inputs
from optimizer.studies.sweep import (
    PersistentRuns,
    Run,
    parse_vary,
    plan_runs,
    solve_run,
    variations_from_sheet,
)

ROOT = Path(__file__).resolve().parents[1]


def price_runs(runs: int) -> list[Run]:
    factors = ",".join(f"{0.8 + 0.4 * i / max(runs - 2, 1):.3f}" for i in range(runs - 1))
    return plan_runs([parse_vary(f"supply.price[country=CHN]*={factors}")])


def measure(inputs: Inputs, plan: list[Run]) -> dict[str, float]:
    start = time.perf_counter()
    cold = [solve_run(inputs, run) for run in plan]
    cold_seconds = time.perf_counter() - start
    start = time.perf_counter()
    persistent = PersistentRuns(inputs)
    warm = [persistent.solve(run) for run in plan]
    warm_seconds = time.perf_counter() - start
    assert [w.status for w in warm] == [c.status for c in cold], "the paths disagree"
    gap = max((abs(w.objective - c.objective) / max(abs(c.objective), 1.0)
               for w, c in zip(warm, cold, strict=True) if c.objective is not None), default=0)
    return {"runs": len(plan), "cold s": cold_seconds, "persistent s": warm_seconds,
            "speed-up": cold_seconds / warm_seconds,
            "first persistent run s": warm[0].seconds,
            "later persistent runs s (mean)": sum(r.seconds for r in warm[1:]) / max(
                len(warm) - 1, 1),
            "cold runs s (mean)": cold_seconds / len(plan),
            "runs solved cold by persistent": persistent.cold_runs,
            "largest relative difference": gap}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, default=ROOT / "inputs" / "example.xlsx")
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--sheet", action="store_true", help="run the input's sweeps sheet")
    args = parser.parse_args()
    inputs = load_inputs(args.input)
    plan = plan_runs(variations_from_sheet(inputs)) if args.sheet else price_runs(args.runs)
    for label, value in measure(inputs, plan).items():
        print(f"{label:>32}: {value:.4g}")


if __name__ == "__main__":
    main()
