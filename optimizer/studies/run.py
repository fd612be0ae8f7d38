"""Solving one workbook end to end: read, validate, build, solve, write the plan."""

from __future__ import annotations

import logging
import platform
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from models.data import ModelData
from models.memory import solve_scope
from optimizer import __version__
from optimizer.contract.validate import load_inputs
from optimizer.errors import ExitCode
from optimizer.excel.output import check_output_path, make_folder
from optimizer.excel.plan_writer import write_plan
from optimizer.solving.pipeline import PhaseTimer, prepare, solve_data
from optimizer.solving.results import Plan
from optimizer.solving.solve import SolveOutcome

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_INPUT_NAME = "base_case.xlsx"
DEFAULT_OUTPUT_DIR = Path("outputs")


def default_input() -> Path:
    """The bundled case: next to the package in a source checkout, else ./inputs."""
    for folder in (REPO_ROOT / "inputs", Path("inputs")):
        if (folder / DEFAULT_INPUT_NAME).exists():
            return folder / DEFAULT_INPUT_NAME
    return REPO_ROOT / "inputs" / DEFAULT_INPUT_NAME


def default_output(input_path: Path, folder: Path = DEFAULT_OUTPUT_DIR) -> Path:
    return folder / f"{input_path.stem}_plan.xlsx"


@dataclass
class SolvedWorkbook:
    plan: Plan | None
    outcome: SolveOutcome
    output: Path | None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def exit_code(self) -> ExitCode:
        return self.outcome.exit_code


def solve_workbook(input_path: Path, output_path: Path | None = None, write: bool = True,
                   threads: int | None = None, compare: str | None = None,
                   settings: Mapping[str, Any] | None = None) -> SolvedWorkbook:
    """Solve `input_path` and write its plan; raise for infeasible or failed solves.
    `threads` overrides the settings' solver threads (batch workers run one each), `compare`
    the counterfactuals (the CLI's --compare), `settings` any setting of the workbook."""
    started = datetime.now(UTC)
    timer = PhaseTimer()
    output = output_path or default_output(input_path)
    if write:  # refuse an unwritable output before minutes of solving, not after
        if output_path is None:
            make_folder(output.parent)
        check_output_path(output, [input_path])
    overrides = {**(settings or {}), **({"compare": compare} if compare is not None else {})}
    with solve_scope():  # the whole solve: its models live until the plan is written
        return _solve_workbook(input_path, output, write, threads, overrides, timer, started)


def _solve_workbook(input_path: Path, output: Path, write: bool, threads: int | None,
                    overrides: dict[str, Any], timer: PhaseTimer, started: datetime
                    ) -> SolvedWorkbook:
    inputs = load_inputs(input_path, overrides)
    data = prepare(inputs, threads)
    for warning in data.warnings:  # the input's, and what preparing the model found
        log.warning("warning: %s", warning)
    timer.lap("read")
    solved = solve_data(data, timer)
    plan = solved.plan
    plan.run_info = run_info(input_path, inputs.sha256, data, started)
    if write:
        plan.run_info["wall_seconds"] = timer.total
        output = write_plan(plan, output, inputs=[input_path])
    timer.lap("write")
    log.debug("%s", timer)
    return SolvedWorkbook(plan, solved.outcome, output if write else None, timer.seconds)


def run_info(input_path: Path, sha256: str, data: ModelData, started: datetime) -> dict:
    """Where the plan came from; `sha256` of the bytes that were solved (the file may have
    changed or gone since)."""
    info = {
        "input_file": input_path.name,
        "input_path": str(input_path.resolve()),
        "input_sha256": sha256,
        "tool": f"critical-minerals-optimizer {__version__}",
        "pyomo": metadata.version("pyomo"),
        "highs": metadata.version("highspy"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "start_time": started.isoformat(timespec="seconds"),
    }
    info["settings"] = dict(data.settings)
    return info
