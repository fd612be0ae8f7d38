"""Building the model and translating it for HiGHS: this checkout against another one (an
older commit checked out in a worktree of its own), measured in one run.

    git worktree add /tmp/old 4ac3351
    python -m benchmarks.translation --against /tmp/old [--source capa.txt] [--repeats 3]

The case is OR-Library's capa at capacity 8000 when `--source` names capa.txt (100 sites x
1,000 customers, 100,000 routes; not bundled), otherwise the capa-like case of
`benchmarks.orlib_large` (`--sites`, `--customers`). Each run is a child process importing
the checkout it measures: it reads the workbook (not timed), builds the model as `optimizer
solve` does and hands it to a new persistent HiGHS
instance (`set_instance`: the translation the first solve starts with, until HiGHS holds the
model and before its run). Two variants: the same model in both checkouts (no route links:
the speed of building and translating alone) and the model as each checkout's `optimizer
solve` builds it (before the links were added in rounds, every link was a row). The two
checkouts alternate, `--repeats` runs each; printed are the medians of build, translation
and both, and the old checkout's over this one's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks import orlib, orlib_large

HERE = Path(__file__).resolve().parents[1]
STEPS = ("build s", "translate s")

# Run in a child whose imports come from the checkout measured, first on its path (an
# editable install's finder, which would import this checkout's code, is dropped). Each
# checkout reads, builds and translates its own way: the layout before optimizer/solving/
# (build_model returning the model, Pyomo's HiGHS interface as it is) or the current one.
CHILD = """
import json, sys, time
sys.meta_path[:] = [f for f in sys.meta_path
                    if not getattr(f, "__module__", "").startswith("__editable__")]
from pathlib import Path
from models import build_model

workbook, as_solve = Path(sys.argv[1]), sys.argv[2] == "solve"
try:
    from optimizer.solving.pipeline import prepare
    from optimizer.contract.validate import load_inputs
    from optimizer.solving.solve import new_solver
    options = {"links_up_front": False} if as_solve else {"link_routes": False}
except ImportError:
    from optimizer.data import build_data as prepare
    from optimizer.validate import load_inputs
    from pyomo.contrib.solver.solvers.highs import Highs
    new_solver = lambda: Highs(treat_fixed_vars_as_params=False)
    options = {} if as_solve else {"link_routes": False}
data = prepare(load_inputs(workbook))
started = time.perf_counter()
built_model = build_model(data, **options)
built = time.perf_counter()
solver = new_solver()
solver._active_config = solver.config  # what solve() sets before its first set_instance
model = built_model if hasattr(built_model, "component_objects") else built_model.model
solver.set_instance(model)
translated = time.perf_counter()
lp = solver._solver_model.getLp()
print(json.dumps({"build s": built - started, "translate s": translated - built,
                  "rows": lp.num_row_, "columns": lp.num_col_,
                  "nonzeros": len(lp.a_matrix_.value_)}))
"""


def write_case(target: Path, source: Path | None, sites: int, customers: int) -> Path:
    problem = (orlib.read_cap(source, 8000) if source
               else orlib_large.generate(sites, customers))
    return orlib_large.write_case(target, problem, time_limit=60)


VARIANTS = {"plain": "the same model in both: no route links",
            "solve": "as `optimizer solve` builds it (the old one with every route link)"}


def measure(checkout: Path, workbook: Path, variant: str) -> dict[str, float]:
    """Build and translation times of `checkout`'s code on `workbook`, in a child process."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    done = subprocess.run([sys.executable, "-c", CHILD, str(workbook), variant],
                          cwd=checkout, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"the run in {checkout} failed:\n{done.stderr}")
    return json.loads(done.stdout.splitlines()[-1])


def compare(against: Path, workbook: Path, variant: str = "plain",
            repeats: int = 3) -> dict[str, dict[str, float]]:
    """Medians of `repeats` alternating runs of each checkout: {"old"|"new": step -> s, with
    the model's rows, columns and nonzeros}."""
    runs: dict[str, list[dict[str, float]]] = {"old": [], "new": []}
    for _ in range(repeats):
        runs["old"].append(measure(against, workbook, variant))
        runs["new"].append(measure(HERE, workbook, variant))
    medians = {name: {key: statistics.median(r[key] for r in rs) for key in rs[0]}
               for name, rs in runs.items()}
    for m in medians.values():
        m["both s"] = m["build s"] + m["translate s"]
    if variant == "plain" and any(medians["old"][k] != medians["new"][k] for k in SIZES):
        raise SystemExit(f"the checkouts give HiGHS different models: {medians}")
    return medians


SIZES = ("rows", "columns", "nonzeros")


def report(medians: dict[str, dict[str, float]]) -> str:
    lines = ["| | old | new | old / new |", "| --- | ---: | ---: | ---: |"]
    for key in SIZES:
        lines.append(f"| {key} | {medians['old'][key]:,.0f} | {medians['new'][key]:,.0f} | |")
    for step in (*STEPS, "both s"):
        old, new = medians["old"][step], medians["new"][step]
        lines.append(f"| {step} | {old:.2f} | {new:.2f} | {old / new:.2f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", type=Path, required=True,
                        help="the other checkout (e.g. a worktree of an older commit)")
    parser.add_argument("--source", type=Path, help="capa.txt (OR-Library), at capacity 8000")
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workbook = write_case(Path(tmp) / "case.xlsx", args.source, args.sites, args.customers)
        for variant, title in VARIANTS.items():
            print(f"\n{title} (median of {args.repeats}):")
            print(report(compare(args.against.resolve(), workbook, variant, args.repeats)))


if __name__ == "__main__":
    main()
