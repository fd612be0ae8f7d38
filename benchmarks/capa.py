"""OR-Library's capa under a time limit: the tool end to end against HiGHS alone on the plain
formulation, for each of capa's four capacities, measured in one run.

    python -m benchmarks.capa [--source capa.txt] [--time-limit 60] [--capacities 8000,...]

capa (100 sites x 1,000 customers; not bundled, `--source` names the file, by default the
shared benchmarks folder's copy) writes the word `capacity` for every site's capacity;
OR-Library's instructions substitute 8000, 10000, 12000 or 14000, four instances with
published optima (`benchmarks.orlib.LARGE_OPTIMA`). Its siblings capb (5000-8000) and capc
(5000-7250) run the same way (`--source capb.txt`): a file named after one of them runs its
four capacities by default; any other file needs `--capacities`, and a capacity without a
published optimum is compared with HiGHS alone only. Each becomes a contract workbook
(`benchmarks.orlib.problem_sheets`, with `time_limit_s` and `threads` 1). Then, each in a
child process of its own:

- HiGHS alone: the model without route links (the plain facility-location formulation),
  written as MPS, solved by highspy at the same limit and thread count;
- the tool: `optimizer solve`'s stages (read, build, solve, write; `benchmarks.run.
  timed_solve`), with the time inside HiGHS's runs (the relaxations of the MIP start
  included) summed apart.

Printed per capacity: both plans against the published optimum, the tool's plan against
HiGHS alone's, HiGHS's time inside the tool, the time outside it and the whole wall time
against the limit.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.orlib import LARGE_OPTIMA, problem_sheets, read_cap
from benchmarks.run import PHASES
from optimizer.excel.sheets import write_sheets

SOURCE = Path("/work/shared/benchmarks/orlib/capa.txt")  # as benchmarks.reading


def write_case(source: Path, capacity: float, time_limit: float, target: Path) -> Path:
    sheets = problem_sheets(read_cap(source, capacity))
    sheets["settings"] = [row for row in sheets["settings"] if row[0] != "time_limit_s"]
    sheets["settings"] += [["time_limit_s", time_limit], ["threads", 1]]
    return write_sheets(target, sheets)


def highs_alone_plain(workbook: Path) -> dict[str, float]:
    """HiGHS alone on the case's model without route links (in a child process)."""
    from benchmarks.run import highs_alone
    from models import build_model
    from optimizer.contract.validate import load_inputs
    from optimizer.solving.pipeline import prepare

    data = prepare(load_inputs(workbook))
    model = build_model(data, link_routes=False).model
    return highs_alone(model, data.settings, workbook.with_suffix(".mps"))


def tool(workbook: Path) -> dict[str, float]:
    """The tool end to end on the case, with the wall time of every HiGHS run summed."""
    from benchmarks.run import timed_solve
    from optimizer.solving import solve

    inside = [0.0]
    run = solve.Highs._solve

    def timed_run(self):  # HiGHS's own run, around which Pyomo translates and loads
        started = time.perf_counter()
        try:
            return run(self)
        finally:
            inside[0] += time.perf_counter() - started

    solve.Highs._solve = timed_run
    row, _, _, outcome = timed_solve(workbook, workbook.with_name("plan.xlsx"))
    wall = sum(row[phase] for phase in PHASES)
    return {"tool_objective": outcome.objective, "tool_bound": outcome.bound,
            "tool_highs_s": inside[0], "tool_wall_s": wall,
            **{f"{phase} s": row[phase] for phase in PHASES}}


def in_child(kind: str, workbook: Path) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-m", "benchmarks.capa", f"--{kind}",
                           str(workbook)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def instance_capacities(source: Path, given: str | None) -> list[float]:
    """The capacities given (comma-separated), else the four of the instance the file is
    named after (capa, capb or capc); none for another file."""
    if given:
        return [float(c) for c in given.split(",")]
    return [float(c) for c in LARGE_OPTIMA.get(source.stem, {})]


def measure(source: Path, capacity: float, time_limit: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        workbook = write_case(source, capacity, time_limit, Path(tmp) / "case.xlsx")
        row = {**in_child("highs", workbook), **in_child("tool", workbook)}
    optimum = LARGE_OPTIMA.get(source.stem, {}).get(capacity, math.nan)
    outside = row["tool_wall_s"] - row["tool_highs_s"]
    return {**row, "published": optimum,
            "highs_vs_published": row["highs_objective"] / optimum - 1,
            "tool_vs_published": row["tool_objective"] / optimum - 1,
            "tool_vs_highs": row["tool_objective"] / row["highs_objective"] - 1,
            "outside_s": outside, "outside_share": outside / time_limit,
            "wall_vs_limit": row["tool_wall_s"] / time_limit}


LINES: list[tuple[str, str, str]] = [  # label, key, format
    ("published optimum", "published", ",.1f"),
    ("HiGHS alone: plan", "highs_objective", ",.1f"),
    ("HiGHS alone: bound", "highs_bound", ",.1f"),
    ("HiGHS alone: plan vs published", "highs_vs_published", ".3%"),
    ("HiGHS alone s", "highs_mps", ".1f"),
    ("tool: plan", "tool_objective", ",.1f"),
    ("tool: bound", "tool_bound", ",.1f"),
    ("tool: plan vs published", "tool_vs_published", ".3%"),
    ("tool: plan vs HiGHS alone", "tool_vs_highs", ".3%"),
    *((f"tool: {phase} s", f"{phase} s", ".2f") for phase in PHASES),
    ("tool: HiGHS's time inside s", "tool_highs_s", ".1f"),
    ("tool: time outside HiGHS s", "outside_s", ".1f"),
    ("tool: outside HiGHS / limit", "outside_share", ".1%"),
    ("tool: whole wall time / limit", "wall_vs_limit", ".3f"),
]


def report(results: dict[str, dict[str, float]]) -> str:
    out = [f"{'capacity':<34}" + "".join(f"{name:>16}" for name in results)]
    for label, key, fmt in LINES:
        out.append(f"{label:<34}" + "".join(f"{r[key]:>16{fmt}}" for r in results.values()))
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--capacities", help="comma-separated (default: the four of the "
                        "file's instance, capa, capb or capc)")
    parser.add_argument("--highs", type=Path, help=argparse.SUPPRESS)  # in a child process
    parser.add_argument("--tool", type=Path, help=argparse.SUPPRESS)  # in a child process
    args = parser.parse_args()
    if args.highs or args.tool:
        row = highs_alone_plain(args.highs) if args.highs else tool(args.tool)
        print(json.dumps(row))
        return
    capacities = instance_capacities(args.source, args.capacities)
    if not capacities:
        parser.error(f"{args.source.name} is not capa, capb or capc: give --capacities")
    start = time.perf_counter()
    results = {}
    for capacity in capacities:
        results[f"{capacity:g}"] = measure(args.source, capacity, args.time_limit)
        print(f"capacity {capacity:g} done", file=sys.stderr, flush=True)
    print(report(results))
    print(f"benchmark wall: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
