"""Reading large workbooks: `load_inputs` (read and validate) of this checkout against another
checkout of the project, measured in one run.

    git worktree add /tmp/old_read <commit>
    python -m benchmarks.reading --baseline /tmp/old_read [--source capa.txt]
        [--capacity 8000] [--repeats 3]
    git worktree remove /tmp/old_read

The workbook is OR-Library's capa (100 sites x 1,000 customers, so 100,000 route rows;
`--source` names the file, by default the shared benchmarks folder's copy) converted by
`benchmarks.orlib`. Each checkout reads it in a child process of its own (a fresh
interpreter, imports not timed), the two alternately, `--repeats` times each; printed, in
wall time and in CPU time: the median seconds of each and their ratio. Without `--baseline`
only this checkout is timed.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.orlib import problem_sheets, read_cap
from optimizer.excel.sheets import write_sheets

HERE = Path(__file__).resolve().parents[1]
SOURCE = Path("/work/shared/benchmarks/orlib/capa.txt")

# Run with the checkout as the working folder, so its `optimizer` is the one imported (older
# checkouts kept the validator at optimizer/validate.py); every module of the project must
# come from it (an editable install would otherwise fill in modules a checkout lacks).
CHILD = """
import sys, time
from pathlib import Path
here = Path.cwd().resolve()
if (here / "optimizer" / "contract" / "validate.py").exists():
    from optimizer.contract.validate import load_inputs
else:
    from optimizer.validate import load_inputs
wall, cpu = time.perf_counter(), time.process_time()
load_inputs(sys.argv[1])
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
strays = [m.__file__ for name, m in sys.modules.items() if name.split(".")[0] == "optimizer"
          and getattr(m, "__file__", None) and not Path(m.__file__).resolve().is_relative_to(here)]
assert not strays, strays
print(wall, cpu)
"""
CLOCKS = ("wall", "cpu")  # as the child prints them


def read_seconds(checkout: Path, workbook: Path) -> dict[str, float]:
    """Wall and CPU seconds `checkout`'s load_inputs takes on `workbook`, in a child
    process."""
    done = subprocess.run([sys.executable, "-c", CHILD, str(workbook)], cwd=checkout,
                          capture_output=True, text=True, check=True)
    return dict(zip(CLOCKS, map(float, done.stdout.split()[-2:]), strict=True))


def compare(workbook: Path, checkouts: dict[str, Path],
            repeats: int) -> dict[str, dict[str, float]]:
    """For each clock (wall, cpu), the median seconds of each checkout, timed alternately;
    with two checkouts also the ratio of the first's median to the second's."""
    runs: dict[str, list[dict[str, float]]] = {label: [] for label in checkouts}
    for _ in range(repeats):
        for label, checkout in checkouts.items():
            runs[label].append(read_seconds(checkout, workbook))
    result = {}
    for clock in CLOCKS:
        medians = {label: statistics.median(run[clock] for run in times)
                   for label, times in runs.items()}
        if len(medians) == 2:
            first, second = medians.values()
            medians["ratio"] = first / second
        result[clock] = medians
    return result


def capa_workbook(source: Path, capacity: float, folder: Path) -> Path:
    return write_sheets(folder / f"capa_{capacity:g}.xlsx",
                        problem_sheets(read_cap(source, capacity)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--capacity", type=float, default=8000)
    parser.add_argument("--baseline", type=Path, help="another checkout to time against")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    checkouts = {"baseline": args.baseline, "this checkout": HERE} if args.baseline \
        else {"this checkout": HERE}
    with tempfile.TemporaryDirectory() as folder:
        workbook = capa_workbook(args.source, args.capacity, Path(folder))
        result = compare(workbook, checkouts, args.repeats)
    for clock, medians in result.items():
        for label, value in medians.items():
            unit = " (baseline / this checkout)" if label == "ratio" else " s"
            print(f"{clock} {label}: {value:.2f}{unit}")


if __name__ == "__main__":
    main()
