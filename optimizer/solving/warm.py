"""Warm MIP solves: start HiGHS from a known plan instead of from nothing. The base case's LP
bound is within 0.1% of its optimum; what takes a cold solve its time is finding a good plan,
so a start within the gap lets HiGHS stop at the root node. Used by persistent sweep runs (the
previous run's builds), by the counterfactuals (the plan's builds) and by narrowing a gap (the
solve's own incumbent)."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import highspy
import pyomo.environ as pyo
from pyomo.contrib.solver.common.results import TerminationCondition

from models import Formulation
from optimizer import solver_line
from optimizer.errors import Status
from optimizer.solving.duals import fixed_builds, remember_basis
from optimizer.solving.solve import (
    ABS_GAP,
    NARROWING,
    NO_UPDATES,
    OPTIMAL_GAP,
    Highs,
    SolveOutcome,
    forget_mip,
    forget_solution,
    highs_clock,
    relative_gap,
    solve_model,
    solver_options,
)

log = logging.getLogger(__name__)

START_TOLERANCE = 1e-9  # relative: a MIP's plan costing its start's cost is that start
WARM_SHARE = 0.25  # of a fixed-build LP's time limit tried from the basis held, then afresh


def repaired(model: pyo.ConcreteModel, settings: dict, solver: Highs,
             builds_only: bool = False) -> tuple[list[float], float] | None:
    """The best operations for the builds now in `model`, from the fixed-build LP solved by
    the MIP's own HiGHS instance (so that its columns line up with the MIP's): the LP's
    solution, a MIP start, and its cost. None when that LP does not solve. `builds_only`:
    nothing but the builds changed since `solver` last solved `model` (Pyomo's full check
    of the model for changes then only takes time: about half a second on the base case)."""
    with fixed_builds(model):
        extra = {}
        if builds_only:
            solver.update_variables(list(model.build.values()))
            extra = {"auto_updates": NO_UPDATES}
        results = _fixed_build_lp(model, settings, solver, extra, warm=builds_only)
        if results.termination_condition is TerminationCondition.convergenceCriteriaSatisfied:
            remember_basis(solver, model)
            return incumbent(solver), float(results.incumbent_objective)
    return None


def _fixed_build_lp(model: pyo.ConcreteModel, settings: dict, solver: Highs, extra: dict,
                    warm: bool):
    """Solve the fixed-build LP. `warm`: first from the basis HiGHS holds (the relaxation's,
    whose bounds differ only in the builds: a few hundred iterations on the base case against
    ~20,000 afresh) for at most WARM_SHARE of the time limit, then afresh: from a basis HiGHS
    does not presolve, and after many changed bounds that can cost more than presolving
    (capa at 14000: over 7 s without a plan against 0.7 s presolved)."""
    def solve(time_limit_s: float):
        return solver.solve(model, load_solutions=False,
                            raise_exception_on_nonoptimal_result=False,
                            **solver_options({**settings, "time_limit_s": time_limit_s},
                                             solver), **extra)

    limit = float(settings["time_limit_s"])
    if warm:
        forget_mip(solver)  # a MIP's last state is no basis for an LP
        before = highs_clock(solver)
        results = solve(limit * WARM_SHARE)
        if results.termination_condition is TerminationCondition.convergenceCriteriaSatisfied:
            return results
        limit = max(limit - (highs_clock(solver) - before), 0.0)
    forget_solution(solver)
    return solve(limit)


def repaired_start(model: pyo.ConcreteModel, settings: dict,
                   solver: Highs) -> list[float] | None:
    """A MIP start from the builds now in `model`: their best operations (see `repaired`)."""
    repair = repaired(model, settings, solver)
    return repair[0] if repair else None


def incumbent(solver: Highs) -> list[float]:
    """The solution HiGHS holds now, column by column."""
    return list(solver._solver_model.getSolution().col_value)  # no public accessor in Pyomo


def solve_from(model: pyo.ConcreteModel, settings: dict, solver: Highs,
               start: Sequence[float]) -> SolveOutcome:
    """Solve the MIP of `model` on `solver`, which holds it, from the MIP start `start`."""
    # Only the builds changed since the start was found (back to binaries): a full update
    # would also re-evaluate every mutable coefficient, seconds on the base case.
    solver.update_variables(list(model.build.values()))
    solution = highspy.HighsSolution()
    solution.col_value, solution.value_valid = list(start), True
    solver._solver_model.setSolution(solution)  # no public MIP-start API in Pyomo
    return solve_model(model, settings, solver=solver, updated=True)


def kept_start(outcome: SolveOutcome, cost: float | None) -> bool:
    """Whether the solve's plan is its MIP start, whose cost was `cost` (the best operations
    for its builds already: polishing it again would find the same plan; see
    `GapSolve.polish`)."""
    return outcome.has_plan and cost is not None \
        and abs(outcome.objective - cost) <= START_TOLERANCE * max(abs(cost), 1.0)


def absolute_gap(outcome: SolveOutcome) -> float:
    """How far the solve's plan may be from the optimum, in the objective's currency."""
    if outcome.objective is None or outcome.bound is None:
        return 0.0
    return max(outcome.objective - outcome.bound, 0.0)


def merged(first: SolveOutcome, again: SolveOutcome) -> SolveOutcome:
    """A solve continued from its incumbent: the plan now loaded (the first one if the second
    found none), the better of the two bounds, the time of both, the first one's status and
    exit code (narrowing a gap for a comparison never changes what the plan's run reports)."""
    objective = again.objective if again.has_plan else first.objective
    bounds = [b for b in (first.bound, again.bound) if b is not None]
    bound = max(bounds) if bounds else None
    if objective is not None and bound is not None:
        bound = min(bound, objective)
    gap = relative_gap(objective, bound)
    status = first.status
    if status in (Status.OPTIMAL, Status.WITHIN_GAP) and gap is not None:
        status = Status.OPTIMAL if gap <= OPTIMAL_GAP else Status.WITHIN_GAP
    return dataclasses.replace(first, status=status, objective=objective, bound=bound, gap=gap,
                               seconds=first.seconds + again.seconds,
                               log=first.log + again.log)


@dataclass
class GapSolve:
    """A MIP solved on its own persistent solver that can be continued to a narrower
    absolute gap: its formulation, the outcome so far, what is left of its time limit,
    whether the last continuation stopped at it, and its name on the solver line (`plan`, or
    the counterfactual's)."""

    formulation: Formulation
    solver: Highs
    outcome: SolveOutcome
    seconds_left: float
    timed_out: bool = False
    name: str = "plan"

    @property
    def gap(self) -> float:
        return absolute_gap(self.outcome)

    def polish(self) -> None:
        """The incumbent's builds with their best operations: a MIP stopped within its gap
        may run its plants worse than it could, and the plan reports the fixed-build LP's
        cost, so the gap is measured from it. Leaves that LP's solution in the solver, a
        MIP start for the next narrowing."""
        settings = {**self.formulation.data.settings, "time_limit_s": max(self.seconds_left, 1)}
        repair = repaired(self.formulation.model, settings, self.solver)
        if repair is not None and self.outcome.objective is not None \
                and repair[1] < self.outcome.objective:
            objective = repair[1]
            bound = min(self.outcome.bound, objective) if self.outcome.bound is not None \
                else None
            self.outcome = dataclasses.replace(self.outcome, objective=objective, bound=bound,
                                               gap=relative_gap(objective, bound))

    def narrow(self, gap: float, start: Sequence[float] | None = None) -> None:
        """Continue the solve from its incumbent (or `start`, when the solver has solved
        other data since) until its absolute gap is at most `gap`."""
        started = time.perf_counter()
        settings = {**self.formulation.data.settings, "mip_gap": 0.0, ABS_GAP: gap,
                    NARROWING: True, "time_limit_s": self.seconds_left}
        with solver_line.phase(f"narrowing: {self.name}"):
            again = solve_from(self.formulation.model, settings, self.solver,
                               incumbent(self.solver) if start is None else start)
        before = self.outcome.objective if start is None else None
        self.outcome = merged(self.outcome, again)
        self.timed_out = again.status is Status.TIME_LIMIT
        if not kept_start(again, before):
            self.polish()
        self.seconds_left -= time.perf_counter() - started
        log.debug("%s: gap narrowed to %s (asked %s) in %.1f s", self.name, f"{self.gap:,.0f}",
                  f"{gap:,.0f}", time.perf_counter() - started)
