"""An OR-Library-size capacitated warehouse location case under a time limit: the tool end
to end against HiGHS alone on the same model, in the same run.

    python -m benchmarks.orlib_large [--sites 100] [--customers 1000] [--time-limit 120]
        [--seed 1] [--formulation linked|loose|both] [--published]

Beasley's capa/capb/capc (100 sites x 1000 customers) are not bundled, so `generate` draws
an instance of the same shape and style, seeded:

- sites and customers at uniform random points of a 100 x 100 square;
- demands uniform in 5..100 (capa's 1000 demands add up to about 58,000, about 58 each);
- allocating all of customer j's demand to site i costs demand x distance (Beasley's
  allocation costs are proportional to the distance and to the demand);
- every site has the same capacity, as in capa/b/c where one capacity value is substituted
  into the file: 8000/58268 (capa's first value over its total demand) of the total demand,
  so no fewer than 8 sites can serve everyone, raised to 2 / sites of the total on small
  cases, so that capacity always covers demand at least twice over;
- fixed costs uniform in 7,500..25,000 (the range of Beasley's fixed costs in cap41-cap134),
  which against these allocation costs opens about 20 of the 100 sites (19 at the optimum of
  seed 1): neither all open nor as few as capacity allows.

The case becomes a contract workbook through `benchmarks.orlib.problem_sheets` with
`time_limit_s` set. The tool solves it as `optimizer solve` does (the phases of
`benchmarks.run.timed_solve`); then the same model is written as MPS and HiGHS alone solves
it at the same time limit (`benchmarks.run.highs_alone`). Printed: both objectives, the
relative gap of the tool's plan to HiGHS's incumbent, the share of the tool's wall time
spent outside HiGHS, and the whole run against HiGHS alone; for the formulation the tool
builds (`linked`, with the route links of `models.flows.add_route_links`) and for the one
without them (`loose`), with each one's LP relaxation. `--published` also compares the two
formulations on cap41 and cap131.
"""

from __future__ import annotations

import argparse
import math
import random
import tempfile
import time
from pathlib import Path

from benchmarks.orlib import OPTIMA, WarehouseProblem, problem_sheets, read_cap
from benchmarks.run import PHASES, highs_alone, timed_solve
from optimizer.excel.sheets import write_sheets

DATA = Path(__file__).resolve().parent / "data"
SIDE = 100.0  # the square the points are drawn in
CAPA_SHARE = 8000 / 58268  # capa's first capacity over its total demand
FIXED_RANGE = (7_500.0, 25_000.0)
DEMAND_RANGE = (5, 100)


def generate(sites: int = 100, customers: int = 1000, seed: int = 1) -> WarehouseProblem:
    """A capa-like instance: see the module docstring for the choices."""
    rng = random.Random(seed)
    site_xy = [(rng.uniform(0, SIDE), rng.uniform(0, SIDE)) for _ in range(sites)]
    customer_xy = [(rng.uniform(0, SIDE), rng.uniform(0, SIDE)) for _ in range(customers)]
    demands = [float(rng.randint(*DEMAND_RANGE)) for _ in range(customers)]
    capacity = math.ceil(sum(demands) * max(CAPA_SHARE, 2 / sites))
    fixed = [round(rng.uniform(*FIXED_RANGE), 1) for _ in range(sites)]
    # A customer at a site's very point still pays a little (Beasley's costs are positive).
    costs = [[round(d * max(math.dist(c, s), 0.1), 2) for s in site_xy]
             for c, d in zip(customer_xy, demands, strict=True)]
    return WarehouseProblem([float(capacity)] * sites, fixed, demands, costs)


def write_case(path: Path, problem: WarehouseProblem, time_limit: float) -> Path:
    sheets = problem_sheets(problem)
    sheets["settings"] = [row for row in sheets["settings"] if row[0] != "time_limit_s"]
    sheets["settings"].append(["time_limit_s", time_limit])
    return write_sheets(path, sheets)


FORMULATIONS = {"linked": True, "loose": False}  # with or without the route links


def compare(sites: int, customers: int, time_limit: float, seed: int = 1,
            formulation: str = "linked") -> dict[str, float]:
    """The tool and HiGHS alone on one generated case and formulation, at the same limit."""
    problem = generate(sites, customers, seed)
    with tempfile.TemporaryDirectory() as tmp:
        source = write_case(Path(tmp) / "case.xlsx", problem, time_limit)
        row, model, data, outcome = timed_solve(source, Path(tmp) / "plan.xlsx",
                                                link_routes=FORMULATIONS[formulation])
        direct = highs_alone(model, data.settings, Path(tmp) / "case.mps")
        direct["lp_bound"] = relaxation(Path(tmp) / "case.mps")
    tool_wall = sum(row[p] for p in PHASES)
    return {
        **row, **direct,
        "tool_objective": outcome.objective, "tool_bound": outcome.bound,
        "tool_highs_s": outcome.seconds, "tool_wall": tool_wall,
        "outside_share": (tool_wall - outcome.seconds) / tool_wall,
        "plan_gap": (outcome.objective - direct["highs_objective"])
        / abs(direct["highs_objective"]),
        "whole_vs_highs": tool_wall / direct["highs_mps"],
        "sites_built": sum(1 for v in model.build.values() if (v.value or 0) > 0.5),
    }


def relaxation(mps: Path) -> float:
    """The LP relaxation's optimum of an MPS model (the bound before any branching or cut)."""
    import highspy

    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("solve_relaxation", True)
    highs.readModel(str(mps))
    highs.run()
    return highs.getInfo().objective_function_value


def published_cases(folder: Path = DATA) -> dict[str, dict[str, float]]:
    """Each OR-Library instance in `folder` (cap41 and cap131 are bundled) in both
    formulations: LP relaxation and HiGHS's time to optimal."""
    from models import build_model
    from optimizer.contract.to_model import build_data
    from optimizer.contract.validate import load_inputs

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in sorted({p.stem for p in folder.glob("cap*.txt")} & set(OPTIMA)):
            source = write_sheets(Path(tmp) / f"{name}.xlsx",
                                  problem_sheets(read_cap(folder / f"{name}.txt")))
            data = build_data(load_inputs(source))
            for formulation, link in FORMULATIONS.items():
                mps = Path(tmp) / f"{name}_{formulation}.mps"
                row = highs_alone(build_model(data, link_routes=link).model, data.settings,
                                  mps)
                out[f"{name} {formulation}"] = {**row, "lp_bound": relaxation(mps)}
    return out


LINES: list[tuple[str, str, str]] = [  # label, key, format
    ("variables", "variables", ",.0f"), ("constraints", "constraints", ",.0f"),
    ("tool objective", "tool_objective", ",.1f"), ("tool bound", "tool_bound", ",.1f"),
    ("HiGHS alone objective", "highs_objective", ",.1f"),
    ("HiGHS alone bound", "highs_bound", ",.1f"),
    ("plan gap to HiGHS incumbent", "plan_gap", ".4%"),
    ("sites built in the plan", "sites_built", ",.0f"),
    ("LP relaxation", "lp_bound", ",.1f"),
    *((f"{phase} s", phase, ".2f") for phase in PHASES),
    ("HiGHS time inside solve s", "tool_highs_s", ".2f"),
    ("HiGHS alone on the MPS s", "highs_mps", ".2f"),
    ("tool wall time outside HiGHS", "outside_share", ".2%"),
    ("whole run / HiGHS alone", "whole_vs_highs", ".3f"),
    ("tool peak MB", "tool_peak_mb", ",.0f"),
    ("HiGHS alone peak MB", "highs_peak_mb", ",.0f"),
]


def report(results: dict[str, dict[str, float]], lines: list[tuple[str, str, str]]) -> str:
    """One column per formulation (or case)."""
    out = [f"{'':<32}" + "".join(f"{name:>18}" for name in results)]
    for label, key, fmt in lines:
        out.append(f"{label:<32}" + "".join(f"{r[key]:>18{fmt}}" for r in results.values()))
    return "\n".join(out)


PUBLISHED_LINES = [("LP relaxation", "lp_bound", ",.1f"),
                   ("HiGHS objective", "highs_objective", ",.1f"),
                   ("HiGHS time to optimal s", "highs_mps", ".3f")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--formulation", choices=[*FORMULATIONS, "both"], default="both")
    parser.add_argument("--published", action="store_true",
                        help="also compare the formulations on cap41 and cap131")
    args = parser.parse_args()
    start = time.perf_counter()
    if args.published:
        print(report(published_cases(), PUBLISHED_LINES))
    names = list(FORMULATIONS) if args.formulation == "both" else [args.formulation]
    results = {name: compare(args.sites, args.customers, args.time_limit, args.seed, name)
               for name in names}
    print(report(results, LINES))
    print(f"benchmark wall: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
