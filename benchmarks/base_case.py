"""The base case's solve as a user runs it: this checkout against another one, in one run.

    git worktree add /tmp/old <commit>
    python -m benchmarks.base_case [--against /tmp/old] [--repeats 3] [--input WORKBOOK]
    git worktree remove /tmp/old

`optimizer solve` on the bundled base case (or `--input`), timed as a whole command (start,
imports and exit included) in a child process, the plan alone (`--compare none`) and with
its comparisons (the workbook's `compare`); the two checkouts alternate, `--repeats` runs
each. Printed: the median, fastest and slowest wall seconds of each, the ratio of the medians
(new / old), and whether every run's answer (the objective and the comparisons' lines it
prints) is the same. As a diagnostic, HiGHS alone on the plan's MIP written as MPS, to the
workbook's gap, with three random seeds (median): what the whole command costs beyond it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
BASE_CASE = HERE / "inputs" / "base_case.xlsx"
MODES = {"plan alone": ["--compare", "none"], "with comparisons": []}
ANSWER = ("objective:", "what the limits cost:", "what the stockpiles are worth:")
SEEDS = (0, 1, 2)


def solve_seconds(checkout: Path, workbook: Path, options: list[str]) -> tuple[float, str]:
    """Wall seconds of `optimizer solve` run from `checkout`, and the answer it printed."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PYTHONPATH": str(checkout)}
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "optimizer", "solve", str(workbook),
                               "-o", str(Path(tmp) / "plan.xlsx"), *options], cwd=checkout,
                              env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"the solve in {checkout} failed:\n{done.stderr[-2000:]}")
    answer = [line for line in done.stdout.splitlines() if line.startswith(ANSWER)]
    return seconds, "\n".join(answer)


def compare(checkouts: dict[str, Path], workbook: Path, options: list[str],
            repeats: int) -> tuple[dict[str, list[float]], bool]:
    """Each checkout's wall seconds, alternating, and whether every answer was the same."""
    seconds: dict[str, list[float]] = {name: [] for name in checkouts}
    answers = set()
    for _ in range(repeats):
        for name, checkout in checkouts.items():
            wall, answer = solve_seconds(checkout, workbook, options)
            seconds[name].append(wall)
            answers.add(answer)
    return seconds, len(answers) == 1


def highs_alone_seconds(workbook: Path) -> list[float]:
    """HiGHS alone on the plan's MIP (as `optimizer solve` builds it), one run per seed."""
    from benchmarks.run import highs_alone
    from models import build_model
    from optimizer.contract.validate import load_inputs
    from optimizer.solving.pipeline import prepare

    data = prepare(load_inputs(workbook))
    model = build_model(data, links_up_front=False).model
    with tempfile.TemporaryDirectory() as tmp:
        mps = Path(tmp) / "plan.mps"
        return [highs_alone(model, data.settings, mps, seed, written=seed != SEEDS[0])
                ["highs_mps"] for seed in SEEDS]


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", type=Path, help="the other checkout, e.g. a worktree")
    parser.add_argument("--input", type=Path, default=BASE_CASE)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    checkouts = {"new": HERE} if args.against is None else {"old": args.against.resolve(),
                                                             "new": HERE}
    workbook = args.input.resolve()
    print(f"{workbook.name}, wall seconds of `optimizer solve`, median (fastest-slowest) of "
          f"{args.repeats}; load average at the start {os.getloadavg()[0]:.2f}")
    print("| run | " + " | ".join(checkouts) + (" | new / old |" if len(checkouts) > 1
                                                   else " |") + " same answer |")
    for mode, options in MODES.items():
        seconds, same = compare(checkouts, workbook, options, args.repeats)
        cells = [spread(seconds[name]) for name in checkouts]
        if len(checkouts) > 1:
            ratio = statistics.median(seconds["new"]) / statistics.median(seconds["old"])
            cells.append(f"{ratio:.2f}")
        print(f"| {mode} | " + " | ".join(cells) + f" | {'yes' if same else 'NO'} |")
    alone = highs_alone_seconds(workbook)
    print(f"HiGHS alone on the plan's MIP to the same gap, seeds {SEEDS}: "
          f"{', '.join(f'{s:.1f}' for s in alone)} s (median {statistics.median(alone):.1f})")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
