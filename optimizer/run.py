"""Solving one workbook end to end: read, validate, build, solve, write the plan."""

from __future__ import annotations

import logging
import platform
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from models import build_model
from optimizer import __version__
from optimizer.data import ModelData, build_data
from optimizer.diagnose import explain_infeasibility
from optimizer.duals import budget_savings, marginal_costs
from optimizer.errors import (
    ExitCode,
    InfeasibleError,
    SolverError,
    TimeLimitNoPlanError,
)
from optimizer.output import check_output_path, make_folder
from optimizer.results import Plan, extract_plan
from optimizer.solve import Highs, SolveOutcome, solve_model
from optimizer.validate import load_inputs

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
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
class RunResult:
    plan: Plan | None
    outcome: SolveOutcome
    output: Path | None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def exit_code(self) -> ExitCode:
        return self.outcome.exit_code


def solve_workbook(input_path: Path, output_path: Path | None = None, write: bool = True,
                   threads: int | None = None) -> RunResult:
    """Solve `input_path` and write its plan; raise for infeasible or failed solves.
    `threads` overrides the settings' solver threads (batch workers run one each)."""
    from optimizer.plan_writer import write_plan

    started = datetime.now(UTC)
    clock = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(phase: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[phase] = now - clock
        clock = now

    output = output_path or default_output(input_path)
    if write:  # refuse an unwritable output before minutes of solving, not after
        if output_path is None:
            make_folder(output.parent)
        check_output_path(output, [input_path])
    inputs = load_inputs(input_path)
    for warning in inputs.warnings:
        log.warning("warning: %s", warning)
    if threads:
        inputs.settings["threads"] = threads
    data = build_data(inputs)
    lap("read")
    model = build_model(data)
    lap("build")
    # One persistent HiGHS instance for the MIP and every re-solve after it: translating
    # the model for HiGHS costs more than building it. Fixing the builds for the marginal
    # costs then changes column bounds only, instead of re-adding every row holding a build.
    solver = Highs(treat_fixed_vars_as_params=False)
    outcome = solve_model(model, data.settings, solver)
    lap("solve")
    raise_unless_plan(outcome, data)
    marginals = marginal_costs(model, data.settings, solver) or {}
    marginals["budgets"] = budget_savings(model, data.settings, outcome.objective, solver)
    lap("marginal costs")
    plan = extract_plan(model, data, outcome, marginals)
    plan.run_info = run_info(input_path, inputs.sha256, data, started)
    if write:
        plan.run_info["wall_seconds"] = sum(timings.values())
        output = write_plan(plan, output, inputs=[input_path])
    lap("write")
    log.debug("; ".join(f"{phase} {seconds:.2f}s" for phase, seconds in timings.items()))
    return RunResult(plan, outcome, output if write else None, timings)


def raise_unless_plan(outcome: SolveOutcome, data: ModelData) -> None:
    if outcome.exit_code is ExitCode.INFEASIBLE:
        raise InfeasibleError(explain_infeasibility(data))
    if outcome.exit_code is ExitCode.TIME_LIMIT_NO_PLAN:
        raise TimeLimitNoPlanError(
            f"the solver reached its limit ({outcome.termination}) after {outcome.seconds:.1f}"
            f" s without a feasible plan; raise time_limit_s (now "
            f"{data.settings['time_limit_s']:g} s) on the settings sheet")
    if not outcome.has_plan:
        tail = "\n".join(outcome.log.strip().splitlines()[-5:])
        raise SolverError(f"the solver stopped without a plan ({outcome.termination}); "
                          f"solver log ends:\n{tail}")


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
