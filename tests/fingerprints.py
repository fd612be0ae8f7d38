"""Fingerprints of the model the tool builds: for each case, the rows, columns and nonzeros
HiGHS receives and, where it is quick, the optimum at mip_gap 0; for the base case the
fixed-build LP's optimum with the builds stored here.

A refactoring must leave every fingerprint unchanged (`test_model_fingerprints`); a change of
the model itself updates them on purpose, with the reason in its commit:

    python tests/fingerprints.py --write
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from conftest import tiny_sheets, write_workbook  # noqa: E402

from benchmarks import generate  # noqa: E402
from benchmarks.orlib import cap_to_workbook  # noqa: E402
from models import build_model  # noqa: E402
from optimizer.contract.validate import load_inputs  # noqa: E402
from optimizer.excel.sheets import write_sheets  # noqa: E402
from optimizer.solving.pipeline import new_solver, prepare  # noqa: E402
from optimizer.solving.solve import solve_model  # noqa: E402

STORE = Path(__file__).with_name("model_fingerprints.json")
ORLIB = REPO / "benchmarks" / "data"
SETTINGS = [["key", "value"], ["first_year", 2026], ["last_year", 2027],
            ["discount_rate", 0.05], ["mip_gap", 0]]
# Two candidate sites under a budget, a stockpile with a cover, a disruption scenario and a
# dependence limit: every family of the model.
RICH = {
    "settings": SETTINGS,
    "sites": [["site", "technology", "country", "capacity", "capex", "variable_cost",
               "lifetime"], ["A", "SEP", "AUS", 60, 500, 5, 2],
              ["B", "SEP", "JPN", 80, 900, 4, 2]],
    "stockpiles": [["country", "material", "initial", "capacity", "holding_cost",
                    "min_cover_days"], ["JPN", "OXIDE", 0, 100, 1, 30]],
    "budgets": [["country", "year", "max_capex"], ["AUS", None, 600]],
    "scenarios": [["scenario", "probability"], ["CUT", 0.3]],
    "disruptions": [["scenario", "supplier", "material", "from_year", "to_year", "cut"],
                    ["CUT", "CHN", "OXIDE", 2027, 2027, 0.5]],
    "dependence_limits": [["consumer", "supplier", "material", "year", "max_share"],
                          ["JPN", "CHINA", "OXIDE", None, 0.3]],
}


def _with_settings(**extra: Any) -> dict:
    return {**RICH, "settings": SETTINGS + [[k, v] for k, v in extra.items()]}


def bundled(name: str, mip_gap: float | None = None) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        if mip_gap is None:
            return REPO / "inputs" / f"{name}.xlsx"
        namespace: dict[str, Any] = {}
        exec((REPO / "inputs" / f"{name}.py").read_text(), namespace)
        sheets = namespace["sheets"]()
        sheets["settings"] = [r for r in sheets["settings"] if r[0] != "mip_gap"] + \
            [["mip_gap", mip_gap]]
        return write_sheets(tmp / f"{name}.xlsx", sheets)
    return make


def _sheets(sheets: dict) -> Callable[[Path], Path]:
    return lambda tmp: write_workbook(tmp / "case.xlsx", tiny_sheets(**sheets))


# name -> (workbook maker, solve it at mip_gap 0 for its optimum)
CASES: dict[str, tuple[Callable[[Path], Path], bool]] = {
    "tiny": (_sheets({}), True),
    "rich": (_sheets(RICH), True),
    "rich_content": (_sheets(_with_settings(origin_rule="content")), True),
    "rich_shipper": (_sheets(_with_settings(origin_rule="shipper")), True),
    "rich_cvar": (_sheets(_with_settings(risk_measure="cvar")), True),
    "example": (bundled("example", mip_gap=0), True),
    "base_case": (bundled("base_case"), False),
    "generated": (lambda tmp: generate.write(tmp / "gen.xlsx", generate.Size(10, 4, 6, 3, 2)),
                  False),
    "cap41": (lambda tmp: cap_to_workbook(ORLIB / "cap41.txt", tmp / "cap41.xlsx"), True),
    "cap131": (lambda tmp: cap_to_workbook(ORLIB / "cap131.txt", tmp / "cap131.xlsx"), True),
}


def fingerprint(name: str, builds: list | None = None) -> dict[str, Any]:
    """The case's model sizes and optimum; for the base case the fixed-build LP's optimum
    with `builds` (the stored ones; None: solve the MIP once to choose them)."""
    make, solve = CASES[name]
    with tempfile.TemporaryDirectory() as tmp:
        data = prepare(load_inputs(make(Path(tmp))))
    model = build_model(data).model
    solver = new_solver()
    solver.set_instance(model)
    highs = solver._solver_model
    out: dict[str, Any] = {"rows": highs.getNumRow(), "columns": highs.getNumCol(),
                           "nonzeros": highs.getNumNz()}
    if solve:
        out["objective"] = solve_model(model, data.settings, solver).objective
    if name == "base_case":
        out["builds"], out["fixed_build_lp"] = _fixed_build_lp(model, data, solver, builds)
    return out


def _fixed_build_lp(model: Any, data: Any, solver: Any, builds: list | None
                    ) -> tuple[list, float]:
    from optimizer.solving.duals import fixed_builds
    from optimizer.solving.solve import forget_mip
    if builds is None:
        solve_model(model, data.settings, solver)
        builds = sorted([unit, t] for unit, t in model.build if model.build[unit, t].value > 0.5)
    chosen = {tuple(b) for b in builds}
    for key in model.build:
        model.build[key].set_value(1.0 if key in chosen else 0.0)
    with fixed_builds(model):
        forget_mip(solver)
        outcome = solve_model(model, data.settings, solver)
    return builds, outcome.objective


def load() -> dict[str, dict]:
    return json.loads(STORE.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="store the fingerprints")
    parser.add_argument("cases", nargs="*", default=list(CASES))
    args = parser.parse_args()
    stored = load() if STORE.exists() else {}
    for name in args.cases:
        builds = stored.get(name, {}).get("builds")
        stored[name] = fingerprint(name, builds)
        print(name, {k: v for k, v in stored[name].items() if k != "builds"})
    if args.write:
        STORE.write_text(json.dumps(stored, indent=1) + "\n")


if __name__ == "__main__":
    main()
