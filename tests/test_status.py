"""What a solve's status says: `optimal` only when proven, `within_gap` when the solver stopped
at the requested gap, exit 6 with the gap shown when it stopped early with a plan. No test here
depends on how fast the machine is: early stops come from a solution limit, not a clock."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import optimizer.solving.solve
from optimizer.cli import app
from optimizer.excel.sheets import write_sheets
from optimizer.studies.run import solve_workbook

REPO = Path(__file__).resolve().parents[1]


def _example_with(tmp_path: Path, **settings: float) -> Path:
    spec = importlib.util.spec_from_file_location("example", REPO / "inputs" / "example.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sheets = module.sheets()
    sheets["settings"] = [r for r in sheets["settings"] if r[0] not in settings]
    sheets["settings"] += [[key, value] for key, value in settings.items()]
    return write_sheets(tmp_path / "example.xlsx", sheets)


def _summary(path: Path) -> dict[str, object]:
    summary = pd.read_excel(path, sheet_name="summary", engine="calamine")
    return dict(zip(summary["key"], summary["value"], strict=False))


@pytest.mark.usefixtures("keep_signal_handlers")
def test_stopping_at_the_requested_gap_is_not_called_optimal(tmp_path: Path) -> None:
    """With mip_gap = 1 HiGHS keeps its first plan (the example's is a few % above its bound):
    exit 0, but the status says within_gap and the summary the gap actually proven."""
    target = tmp_path / "plan.xlsx"
    result = solve_workbook(_example_with(tmp_path, mip_gap=1), target)
    summary = result.plan.summary
    assert result.exit_code == 0
    printed = CliRunner().invoke(app, ["solve", str(tmp_path / "example.xlsx"), "-o",
                                       str(tmp_path / "again.xlsx")])
    assert printed.exit_code == 0
    assert "status: within_gap\n" in printed.output
    assert f"proven gap: {summary['mip_gap']:.2%} (requested 100.00%)" in printed.output
    assert summary["status"] == "within_gap"
    assert summary["proven_optimal"] is False
    assert summary["requested_mip_gap"] == 1
    objective = summary.get("risk_adjusted_objective", summary["objective"])
    assert summary["mip_gap"] == pytest.approx((objective - summary["best_bound"]) / objective)
    assert summary["mip_gap"] > 1e-6
    written = _summary(target)
    assert written["status"] == "within_gap"
    assert float(written["mip_gap"]) == pytest.approx(summary["mip_gap"])


def test_proven_plan_is_optimal_with_its_gap_shown(tmp_path: Path) -> None:
    result = solve_workbook(_example_with(tmp_path, mip_gap=0), write=False)
    summary = result.plan.summary
    assert summary["status"] == "optimal" and summary["proven_optimal"] is True
    assert summary["mip_gap"] is not None and summary["mip_gap"] <= 1e-6


@pytest.mark.usefixtures("keep_signal_handlers")
def test_plan_stopped_early_is_exit_6_with_its_gap(tmp_path: Path, monkeypatch) -> None:
    """HiGHS stops at its first improving plan (a deterministic stand-in for a time limit):
    the plan is written, exit 6, the gap printed."""
    options = optimizer.solving.solve.solver_options

    def first_plan_only(settings: dict, solver: object = None) -> dict:
        return {**options(settings, solver), "solver_options": {"mip_max_improving_sols": 1}}

    monkeypatch.setattr(optimizer.solving.solve, "solver_options", first_plan_only)
    target = tmp_path / "plan.xlsx"
    result = CliRunner().invoke(app, ["solve", str(_example_with(tmp_path, mip_gap=0)),
                                      "-o", str(target)])
    assert result.exit_code == 6, result.output
    assert "not proven optimal: gap" in result.output
    written = _summary(target)
    assert written["status"] == "iteration_limit"
    assert float(written["mip_gap"]) > 0
