"""Throughput of `optimizer batch --jobs 2` against serial (`--jobs 1`) in the same run.

    python -m benchmarks.batch_throughput [--cases 20] [--jobs 2]

Writes N variants of the bundled example (China's prices scaled from 0.8 to 1.2) to a
temporary folder, solves them serially and then with N jobs, and prints both wall times and
their ratio (the target on two cores is 1.8x or better). Ratios, not seconds, are what carry
over between runs on a shared machine.
"""

from __future__ import annotations

import argparse
import importlib.util
import tempfile
import time
from pathlib import Path

from optimizer.excel.sheets import write_sheets
from optimizer.studies.batch import run_batch

EXAMPLE = Path(__file__).resolve().parents[1] / "inputs" / "example.py"


def example_sheets() -> dict[str, list[list]]:
    spec = importlib.util.spec_from_file_location("example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.sheets()


def variants(folder: Path, n: int) -> list[Path]:
    paths = []
    for i in range(n):
        sheets = example_sheets()
        factor = 0.8 + 0.4 * i / max(n - 1, 1)
        for row in sheets["supply"][1:]:
            if row[0] == "CHN":
                row[4] = row[4] * factor
        paths.append(write_sheets(folder / f"case{i:03d}.xlsx", sheets))
    return paths


def measure(cases: int, jobs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        inputs = variants(folder, cases)
        timings = {}
        for label, n in (("serial", 1), (f"jobs={jobs}", jobs)):
            start = time.perf_counter()
            results = run_batch(inputs, folder / label, jobs=n)
            timings[label] = time.perf_counter() - start
            failed = [r.input for r in results if r.failed]
            if failed:
                raise SystemExit(f"benchmark cases failed: {failed}")
    timings["speed-up"] = timings["serial"] / timings[f"jobs={jobs}"]
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    timings = measure(args.cases, args.jobs)
    for label, value in timings.items():
        unit = "x" if label == "speed-up" else " s"
        print(f"{label:>10}: {value:8.2f}{unit}")


if __name__ == "__main__":
    main()
