"""One pipeline: `optimizer solve`, a cold sweep run and a persistent sweep run solve the same
model to the same plan (to 1e-6 at mip_gap 0), and the pipeline's model is exactly the one
`build_model` makes from the workbook (the same LP file: rows, columns and coefficients)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import tiny_sheets, write_workbook
from fingerprints import RICH, bundled

from models import build_model
from optimizer.contract.validate import load_inputs
from optimizer.contract.variations import BASE, Run
from optimizer.solving.pipeline import PHASES, PhaseTimer, prepare, solve_data
from optimizer.studies.run import solve_workbook
from optimizer.studies.sweep import PersistentRuns, solve_run

REPO = Path(__file__).resolve().parents[1]
CASES = {
    "tiny": lambda tmp: write_workbook(tmp / "tiny.xlsx", tiny_sheets()),
    "rich": lambda tmp: write_workbook(tmp / "rich.xlsx", tiny_sheets(**RICH)),
    "example": bundled("example", mip_gap=0),
}


@pytest.mark.parametrize("case", CASES)
def test_solve_cold_and_persistent_runs_agree(tmp_path: Path, case: str) -> None:
    path = CASES[case](tmp_path)
    solved = solve_workbook(path, write=False)
    inputs = load_inputs(path)
    cold = solve_run(inputs, Run(BASE))
    warm = PersistentRuns(inputs).solve(Run(BASE))
    objective = solved.plan.summary["objective"]
    if case == "tiny":
        assert objective == pytest.approx(2200)  # 2 years x 100 t x China's 11 delivered
    for run in (cold, warm):
        assert run.status == solved.outcome.status == "optimal"
        assert run.objective == pytest.approx(objective, rel=1e-6, abs=1e-6)
        assert run.summary["builds"] == solved.plan.summary["builds"]
        shares = solved.plan.tables["dependence"]
        pd.testing.assert_frame_equal(pd.DataFrame(run.shares, columns=shares.columns), shares,
                                      check_dtype=False, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("case", CASES)
def test_the_pipeline_builds_the_model_build_model_builds(tmp_path: Path, case: str) -> None:
    path = CASES[case](tmp_path)
    direct = build_model(prepare(load_inputs(path))).model
    timer = PhaseTimer()
    solved = solve_data(prepare(load_inputs(path)), timer)
    assert set(timer.seconds) == set(PHASES) - {"read", "write"}
    pipeline = _lp(solved.formulation.model, tmp_path / "pipeline.lp")
    assert pipeline == _lp(direct, tmp_path / "direct.lp")


def _lp(model, path: Path) -> str:
    model.write(str(path), format="lp", io_options={"symbolic_solver_labels": True})
    return path.read_text()
