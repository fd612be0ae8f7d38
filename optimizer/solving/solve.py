"""Solving a built model with HiGHS and mapping every outcome to an exit code."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import highspy
import pyomo.environ as pyo
from pyomo.common.log import LogStream
from pyomo.contrib.solver.common.results import Results, SolutionStatus, TerminationCondition
from pyomo.contrib.solver.solvers import highs as pyomo_highs

from optimizer import interrupt, solver_line
from optimizer.errors import ExitCode, Status
from optimizer.solving.translate import BulkHighs

log = logging.getLogger(__name__)
HIGHS_LOG = logging.getLogger("optimizer.highs")  # HiGHS's own log, shown with -v


class Highs(BulkHighs):
    """Pyomo's persistent HiGHS interface, loading the model in bulk (`BulkHighs`),
    interruptible (a signal stops the running solve instead of being lost in HiGHS's
    callbacks), with HiGHS's log on stderr under -v and the solver line on a terminal
    otherwise."""

    def __init__(self, **kwds) -> None:
        super().__init__(**kwds)
        # The optimal basis of each fixed-build LP solved on this instance, by its builds
        # (see `optimizer.solving.duals.restore_basis`).
        self.fixed_build_bases: dict[tuple[int, ...], highspy.HighsBasis] = {}

    def solve(self, model: pyo.ConcreteModel, **kwds) -> Results:
        if HIGHS_LOG.isEnabledFor(logging.DEBUG):
            kwds.setdefault("tee", [LogStream(logging.DEBUG, HIGHS_LOG)])
        return super().solve(model, **kwds)

    def _solve(self) -> Results:  # Pyomo's step around HiGHS's run(); the instance exists
        config = self._active_config
        if config.time_limit is not None and not self._has_integers():
            # HiGHS measures an LP's time limit on its clock since the instance's creation,
            # across runs, but a MIP's from the MIP's own start (HiGHS 1.16): only an LP's
            # limit is moved on by the time already run.
            config.time_limit += highs_clock(self)
        with interrupt.cancellable(self._solver_model), \
                solver_line.watching(self._solver_model):
            try:
                return super()._solve()
            finally:
                # Outside Pyomo's capture (MIP starts, bound changes between solves) HiGHS
                # would print its warnings on stdout, among the results.
                self._solver_model.setOptionValue("log_to_console", False)

    def _has_integers(self) -> bool:
        """Whether HiGHS holds integer columns (a MIP), from Pyomo's record of each
        column's domain (lower, upper, step) as last handed over."""
        return any(entry[4][2] == 1 for entry in self._vars.values())


def _unless_interrupted(record: logging.LogRecord) -> bool:
    """Pyomo warns of HiGHS's 'interrupted' status; after a signal that is expected."""
    return not interrupt.requested()


logging.getLogger(pyomo_highs.__name__).addFilter(_unless_interrupted)

TC = TerminationCondition

# A plan is called optimal only when its proven gap is this small; one that HiGHS accepted at
# the requested (larger) `mip_gap` is "within_gap": the same exit code 0, an honest label.
OPTIMAL_GAP = 1e-6

# (termination, has a solution) -> (status, exit code). Anything else is a solver error.
OUTCOMES: dict[tuple[TerminationCondition, bool], tuple[Status, ExitCode]] = {
    (TC.convergenceCriteriaSatisfied, True): (Status.OPTIMAL, ExitCode.OK),
    (TC.maxTimeLimit, True): (Status.TIME_LIMIT, ExitCode.TIME_LIMIT_WITH_PLAN),
    (TC.maxTimeLimit, False): (Status.TIME_LIMIT, ExitCode.TIME_LIMIT_NO_PLAN),
    (TC.iterationLimit, True): (Status.ITERATION_LIMIT, ExitCode.TIME_LIMIT_WITH_PLAN),
    (TC.iterationLimit, False): (Status.ITERATION_LIMIT, ExitCode.TIME_LIMIT_NO_PLAN),
    (TC.provenInfeasible, False): (Status.INFEASIBLE, ExitCode.INFEASIBLE),
    # Every cost is >= 0 and every flow bounded by demand or capacity, so "infeasible or
    # unbounded" can only be infeasible here.
    (TC.infeasibleOrUnbounded, False): (Status.INFEASIBLE, ExitCode.INFEASIBLE),
}
NO_OUTCOME = (Status.ERROR, ExitCode.INTERNAL_ERROR)

# A settings key no workbook has: an absolute gap (in the objective's currency) at which a
# solve may also stop, set when a counterfactual comparison needs a narrower interval.
ABS_GAP = "mip_abs_gap"
HIGHS_ABS_GAP = 1e-6  # HiGHS's default
# A settings key no workbook has: True when a gap is narrowed from a polished incumbent (the
# best operations for its builds), where what is left to do is mostly raising the bound.
# Narrowing then turns off the HiGHS options below (all on by default): the sub-MIP
# heuristics (on the base case the plan's narrowing spent 52-99 s of 82-112 s in one root
# sub-MIP that improved the plan by 0.002%) and restarts (each one solves the root LP again):
# 21-30 s without them, to the same bound.
NARROWING = "narrowing"
NARROWING_OFF = ("mip_heuristic_run_rins", "mip_heuristic_run_rens",
                 "mip_heuristic_run_root_reduced_cost", "mip_allow_restart")


@dataclass
class SolveOutcome:
    status: Status  # optimal | within_gap | time_limit | iteration_limit | infeasible | error
    exit_code: ExitCode
    termination: str
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float  # HiGHS's own run time
    log: str
    start_cost: float | None = None  # the MIP start's cost (its builds' best operations)

    @property
    def has_plan(self) -> bool:
        return self.objective is not None


def new_solver() -> Highs:
    """One persistent HiGHS instance for the MIP and every re-solve after it: translating the
    model for HiGHS costs more than building it. Fixing the builds for the marginal costs
    then changes column bounds only, instead of re-adding every row holding a build."""
    return Highs(treat_fixed_vars_as_params=False)


def solver_options(settings: dict, solver: Highs | None = None) -> dict:
    """Options of the Pyomo HiGHS interface taken from the settings sheet, for a run of
    `solver` (a persistent instance that may have run before)."""
    # The limit of this run; `Highs._solve` moves an LP's on by the time already run.
    limit = float(settings["time_limit_s"])
    # Every option is set on every run: HiGHS keeps an option until it is set again.
    options = {"time_limit": limit, "rel_gap": settings["mip_gap"],
               "abs_gap": settings.get(ABS_GAP, HIGHS_ABS_GAP),
               "solver_options": dict.fromkeys(NARROWING_OFF,
                                               not settings.get(NARROWING, False))}
    if settings.get("threads"):
        # HiGHS fixes its thread pool once per process; later changes are ignored.
        options["threads"] = int(settings["threads"])
    return options


def highs_clock(solver: Highs | None) -> float:
    """Seconds HiGHS has run in `solver` so far (0 before its first solve)."""
    highs = getattr(solver, "_solver_model", None)  # Pyomo exposes no public accessor
    return highs.getRunTime() if highs is not None else 0.0


def forget_solution(solver: Highs | None) -> None:
    """Drop the solution and basis HiGHS holds (the model stays). Before a fixed-build LP:
    HiGHS presolves it instead of starting from the basis of an LP with other bounds (on
    capa at 14000, after a relaxation, more than 7 s without a plan against about 1 s).
    Before a MIP without a start: a leftover LP solution would be taken for a partial start,
    completed by a sub-MIP that gets the whole time limit again before the MIP does."""
    highs = getattr(solver, "_solver_model", None)
    if highs is not None:
        highs.clearSolver()


def forget_mip(solver: Highs | None) -> None:
    """Before an LP on an instance whose last run was a MIP: drop that run's solution and
    basis (the model stays). Left in place, HiGHS took 16 s instead of 0.6 s on the fixed-build
    LP of a 75,000-column case, and found other (degenerate) duals than a fresh instance."""
    highs = getattr(solver, "_solver_model", None)
    if highs is not None and highs.getInfo().mip_node_count >= 0:
        highs.clearSolver()


# For a persistent solver already brought up to date (solver.update()): solve as it stands.
NO_UPDATES = {key: False for key in (
    "check_for_new_or_removed_constraints", "check_for_new_or_removed_vars",
    "check_for_new_or_removed_params", "check_for_new_objective", "update_constraints",
    "update_vars", "update_parameters", "update_named_expressions", "update_objective")}


def solve_model(model: pyo.ConcreteModel, settings: dict, solver: Highs | None = None,
                load: bool = True, updated: bool = False) -> SolveOutcome:
    """Solve `model`; load the solution when there is one (optimal or time-limited) and
    `load` is set. `updated`: `solver` is persistent and already up to date (its state,
    such as a MIP start, must not be disturbed by another update)."""
    solver = solver or Highs()
    start = time.perf_counter()
    clock = highs_clock(solver)
    extra = {"auto_updates": NO_UPDATES} if updated else {}
    results = solver.solve(model, load_solutions=False,
                           raise_exception_on_nonoptimal_result=False,
                           **solver_options(settings, solver), **extra)
    elapsed = time.perf_counter() - start
    has_solution = results.solution_status in (SolutionStatus.optimal, SolutionStatus.feasible)
    status, code = OUTCOMES.get((results.termination_condition, has_solution), NO_OUTCOME)
    objective = results.incumbent_objective if has_solution else None
    bound = results.objective_bound
    gap = relative_gap(objective, bound)
    if code is ExitCode.OK and gap is None:  # an LP: optimal means no gap
        gap = 0.0
    if status is Status.OPTIMAL and gap is not None and gap > OPTIMAL_GAP:
        status = Status.WITHIN_GAP
    if load and has_solution and code is not ExitCode.INTERNAL_ERROR:
        solver.load_vars()
    highs_time = getattr(results.timing_info, "highs_time", None)
    seconds = max(highs_time - clock, 0.0) if highs_time else elapsed
    return SolveOutcome(status, code, results.termination_condition.name, objective, bound,
                        gap, float(seconds),
                        results.solver_log or "")


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    if objective is None or bound is None:
        return None
    return abs(objective - bound) / max(abs(objective), 1e-9)
