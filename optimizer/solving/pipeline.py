"""The stages of one solve, shared by `optimizer solve`, batch (through it), sweeps (cold and
persistent runs) and the benchmarks, so that they cannot drift apart:

    data = prepare(inputs)                              # validated inputs -> ModelData
    f = build_model(data, links_up_front=False)         # -> Formulation (an unsolved model)
    outcome = solve_with_start(f, data.settings, solver)  # -> SolveOutcome, solution loaded
    plan = post_solve(f, outcome, solver)               # -> Plan, or raise without one

`solve_data` runs the last three with one persistent HiGHS instance, timing each phase, then
the counterfactuals the `compare` setting asks for (`optimizer.solving.compare`), which may
narrow the plan's gap before its post-solve.
(PyPSA's create_model / solve_model / assign_solution, in this project's words.)
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import pyomo.environ as pyo

from models import Formulation, build_model
from models.data import ModelData
from models.memory import solve_scope
from optimizer.contract.inputs import Inputs
from optimizer.contract.to_model import build_data
from optimizer.errors import ExitCode, InfeasibleError, SolverError, Status, TimeLimitNoPlanError
from optimizer.solving.cleanup import clean_up
from optimizer.solving.compare import Comparisons
from optimizer.solving.consumers import consumer_view
from optimizer.solving.diagnose import explain_infeasibility
from optimizer.solving.duals import budget_savings, fixed_build_lp
from optimizer.solving.reference import with_reference_exports
from optimizer.solving.results import Plan, extract_plan
from optimizer.solving.solve import (
    OPTIMAL_GAP,
    Highs,
    SolveOutcome,
    new_solver,
    relative_gap,
)
from optimizer.solving.start import solve_with_start

log = logging.getLogger(__name__)

PHASES = ("read", "build", "solve", "marginal costs", "clean-up", "compare", "write")


class PhaseTimer:
    """Seconds per phase, each part measured from the end of the one before."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._clock = time.perf_counter()

    def lap(self, phase: str) -> None:
        """Add the time since the last lap to `phase` (a phase may come in parts)."""
        now = time.perf_counter()
        self.seconds[phase] = self.seconds.get(phase, 0.0) + now - self._clock
        self._clock = now

    @property
    def total(self) -> float:
        return sum(self.seconds.values())

    def __str__(self) -> str:
        return "; ".join(f"{phase} {seconds:.2f}s" for phase, seconds in self.seconds.items())


@dataclass
class Solved:
    formulation: Formulation
    outcome: SolveOutcome
    plan: Plan


def prepare(inputs: Inputs, threads: int | None = None) -> ModelData:
    """The model's data from validated inputs, with the disruptions' reference exports (the
    reference plan, solved here when a cut needs it); `threads` overrides the settings'
    solver threads (parallel workers run one each)."""
    if threads:
        inputs.settings["threads"] = threads
    return with_reference_exports(build_data(inputs))


def solve_data(data: ModelData, timer: PhaseTimer | None = None, budgets: bool = True,
               comparisons: bool = True, **build_options: bool) -> Solved:
    """Build, solve and read the plan of `data` (see post_solve) and, with `comparisons`,
    the counterfactuals its `compare` setting asks for (which may narrow the plan's gap
    first); `build_options` go to build_model (e.g. link_routes=False)."""
    with solve_scope():
        return _solve_data(data, timer or PhaseTimer(), budgets, comparisons, build_options)


def _solve_data(data: ModelData, timer: PhaseTimer, budgets: bool, comparisons: bool,
                build_options: dict[str, bool]) -> Solved:
    f = build_model(data, links_up_front=False, **build_options)
    timer.lap("build")
    solver = new_solver()
    outcome = solve_with_start(f, data.settings, solver)
    timer.lap("solve")
    study = Comparisons(data) if comparisons else None
    if study:
        outcome = study.solve(f, solver, outcome)
        timer.lap("compare")
    plan = post_solve(f, outcome, solver, timer, budgets)
    others: dict[str, Plan] = {}
    if study:
        others = report_comparisons(study, plan)
        timer.lap("compare")
    plan.tables["consumers"] = consumer_view(
        data, plan.tables, {name: other.tables for name, other in others.items()})
    return Solved(f, outcome, plan)


def report_comparisons(study: Comparisons, plan: Plan) -> dict[str, Plan]:
    """Each solved counterfactual's plan, read as the plan's is; the comparisons reported on
    `plan` (its `comparisons` table and summary keys)."""
    others = {name: post_solve(side.formulation, side.outcome, side.solver, budgets=False)
              for name, side in study.solved().items()}
    study.report(plan, others)
    return others


def post_solve(f: Formulation, outcome: SolveOutcome, solver: Highs | None = None,
               timer: PhaseTimer | None = None, budgets: bool = True) -> Plan:
    """The plan of a solved model with its marginal costs (the fixed-build LP, on `solver`,
    a persistent instance that may hold the model), its operations cleaned up (at the same
    builds and the fixed-build LP's cost, the least movement: see `cleanup`) and, with
    `budgets`, each budget's saving (one MIP re-solve per budget); raise when the solve left
    no plan."""
    raise_unless_plan(outcome, f.data)
    timer = timer or PhaseTimer()
    solver = solver or new_solver()
    with fixed_build_lp(f, f.data.settings, solver) as lp:
        marginals = lp.marginals or {}
        timer.lap("marginal costs")
        if lp.objective is not None and clean_up(f, solver, lp.objective):
            _report_operations_cost(f, outcome)
        timer.lap("clean-up")
    if budgets:
        marginals["budgets"] = budget_savings(f, f.data.settings, outcome.objective, solver)
    timer.lap("marginal costs")
    return extract_plan(f, outcome, marginals)


def _report_operations_cost(f: Formulation, outcome: SolveOutcome) -> None:
    """The plan now shows the fixed-build LP's operations, cleaned up: the outcome's objective
    becomes their cost (below the MIP's when it stopped within a gap; above the LP's optimum
    by at most the clean-up's tolerance), and its gap and status follow."""
    if outcome.objective is None:
        return
    outcome.objective = float(pyo.value(f.model.objective))
    if outcome.bound is None:  # no bound to measure a gap against: the gap stays
        return
    outcome.gap = relative_gap(outcome.objective, outcome.bound)
    if outcome.status in (Status.OPTIMAL, Status.WITHIN_GAP):
        outcome.status = Status.OPTIMAL if outcome.gap <= OPTIMAL_GAP else Status.WITHIN_GAP


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
