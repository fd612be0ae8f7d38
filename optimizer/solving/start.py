"""A good plan under any time limit, passed to HiGHS as its MIP start.

Given little time on a large case, HiGHS alone may stop with no plan better than leaving all
demand short: on OR-Library's capa (100 sites x 1,000 customers) with every route link
(`models.flows.add_route_links`) its root LP did not finish in 60 s. So before the MIP the tool
solves the LP relaxation, adds the route links that relaxation violates and solves it again,
round after round (a cutting-plane loop: only the links the relaxation needs get a row),
rounds its builds up to plans from a few thresholds and passes the cheapest plan's best
operations (the fixed-build LP) to HiGHS as a start. Everything runs inside the user's time
limit: the relaxations and the start get at most HEURISTIC_SHARE of it, the MIP the rest.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import highspy
import pyomo.environ as pyo
from pyomo.contrib.solver.common.results import TerminationCondition

from models import Formulation
from optimizer.errors import ExitCode, Status
from optimizer.solving.solve import (
    ABS_GAP,
    HIGHS_ABS_GAP,
    OPTIMAL_GAP,
    Highs,
    SolveOutcome,
    forget_solution,
    highs_clock,
    relative_gap,
    solve_model,
)
from optimizer.solving.warm import repaired, solve_from

log = logging.getLogger(__name__)

HEURISTIC_SHARE = 0.2  # of the time limit, at most, before the MIP starts
LINK_ROUNDS = 20  # relaxations solved at most, each with the links the one before violated
BUILT = 1e-6  # a build the relaxation takes above this much is rounded up
# Rounding the relaxation's builds up from each of these values, in this order while the
# time lasts (the last: everything it builds at all); the cheapest plan is the start. A weak
# relaxation spreads small fractions of builds over many sites: rounding all of them up
# builds far too much (on capa at 8000: 170 million against 32 million from 0.1).
ROUNDING_THRESHOLDS = (0.1, 0.25, 0.5, BUILT)
ROUNDS_SHARE = 0.4  # of the heuristic's time, for the relaxations; the rest rounds


@dataclass
class Relaxation:
    """The LP relaxation tightened in rounds: whether one solved (its values are then in the
    model), whether the last one solved violates no route link, the link rows added, and
    the last optimum (a bound on the MIP's: the links cut off no plan)."""

    solved: bool = False
    converged: bool = False
    links: list = field(default_factory=list)
    bound: float | None = None


@dataclass
class Start:
    """A MIP start: its column values, its cost (the best operations for its builds), and
    the tightened relaxation's optimum, a bound on the MIP's."""

    values: list[float]
    cost: float
    bound: float | None


@dataclass
class Budget:
    """HiGHS's run time the heuristic may spend on `solver`: `seconds` from `clock` (its
    clock when the heuristic started). The user's time limit bounds HiGHS's time in all."""

    solver: Highs
    seconds: float
    clock: float

    @property
    def spent(self) -> float:
        return highs_clock(self.solver) - self.clock

    def settings(self, settings: dict, share: float = 1.0) -> dict:
        """`settings` with what is left of `share` of the budget as the time limit."""
        return {**settings, "time_limit_s": max(share * self.seconds - self.spent, 0.0)}

    def used(self, share: float = 1.0) -> bool:
        return self.spent >= share * self.seconds


def solve_with_start(f: Formulation, settings: dict, solver: Highs) -> SolveOutcome:
    """Solve the MIP of `f` on `solver` from the rounded relaxation's plan (see the module);
    the outcome counts the time of every HiGHS run, the relaxations' included."""
    limit = float(settings["time_limit_s"])
    budget = Budget(solver, HEURISTIC_SHARE * limit, highs_clock(solver))
    start = heuristic_start(f, settings, budget) if len(f.model.build) else None
    left = {**settings, "time_limit_s": max(limit - budget.spent, 0.0)}
    if start is None:
        forget_solution(solver)  # a relaxation's values are no start
        outcome = solve_model(f.model, left, solver)
    elif within_gap(start, settings):
        outcome = kept(f, solver, start)
    else:
        outcome = solve_from(f.model, left, solver, start.values)
    if start is not None:
        outcome.start_cost = start.cost
    return replace(outcome, seconds=outcome.seconds + budget.spent)


def within_gap(start: Start, settings: dict) -> bool:
    """Whether the relaxation's bound proves the start within the requested gap already:
    the MIP would stop at its root with the start (on the base case HiGHS spent 7 s, most
    of it solving the relaxation again, to return the start with the same bound)."""
    if start.bound is None:
        return False
    gap = start.cost - start.bound
    return gap <= settings.get(ABS_GAP, HIGHS_ABS_GAP) \
        or relative_gap(start.cost, start.bound) <= float(settings["mip_gap"])


def kept(f: Formulation, solver: Highs, start: Start) -> SolveOutcome:
    """The outcome of a MIP that returns its start at once: the start loaded in the model
    and held by `solver` as its solution (a MIP start for a later narrowing), the solver's
    LP state cleared as a MIP's would be (the marginal-cost LP then solves as after a
    MIP)."""
    highs = solver._solver_model  # Pyomo exposes no public accessor
    highs.clearSolver()
    solution = highspy.HighsSolution()
    solution.col_value, solution.value_valid = list(start.values), True
    highs.setSolution(solution)
    columns = solver._pyomo_var_to_solver_var_map
    for key, (var, *_) in solver._vars.items():
        var.set_value(start.values[columns[key]], skip_validation=True)
    bound = min(start.bound, start.cost)
    gap = relative_gap(start.cost, bound)
    status = Status.OPTIMAL if gap <= OPTIMAL_GAP else Status.WITHIN_GAP
    return SolveOutcome(status, ExitCode.OK, TerminationCondition.convergenceCriteriaSatisfied.name,
                        start.cost, bound, gap, 0.0, "")


def relaxation_bound(m: pyo.ConcreteModel, settings: dict, solver: Highs) -> float | None:
    """The optimum of the LP relaxation of `m` (a bound on its MIP's), its values not loaded
    (the model keeps its builds); None when it does not solve."""
    with relaxed_builds(m):
        outcome = solve_model(m, settings, solver, load=False)
    return outcome.objective if outcome.exit_code is ExitCode.OK else None


def heuristic_start(f: Formulation, settings: dict, budget: Budget) -> Start | None:
    """A MIP start within `budget`: the tightened relaxation's builds rounded up, with their
    best operations; None when there was no time or no plan. The link rows added in the
    rounds stay in the MIP, settled or not: on capa at 8000 the MIP from this start reached
    19,257,943 in 60 s with its 3,000 rows binding (0.09% above the optimum) and 19,639,913
    with them relaxed."""
    with relaxed_builds(f.model):
        relaxation = tightened_relaxation(f, settings, budget)
    if not relaxation.solved:
        return None
    best = None
    relaxed = {key: var.value or 0.0 for key, var in f.model.build.items()}
    tried: set[tuple[int, ...]] = set()
    for threshold in ROUNDING_THRESHOLDS:
        if budget.used():
            break
        builds = round_builds(f, relaxed, threshold)
        if builds in tried:  # a tight relaxation rounds to one plan from every threshold
            continue
        tried.add(builds)
        repair = repaired(f.model, budget.settings(settings), budget.solver, builds_only=True)
        log.debug("builds above %g of the relaxation's, with their best operations: %s",
                 threshold, f"{repair[1]:.10g}" if repair else "no plan in time")
        if repair and (best is None or repair[1] < best[1]):
            best = repair
    return Start(*best, relaxation.bound) if best else None


@contextlib.contextmanager
def relaxed_builds(m: pyo.ConcreteModel) -> Iterator[None]:
    """The free builds continuous in [0, 1] (the LP relaxation), binary again after."""
    free = [v for v in m.build.values() if not v.fixed]
    for v in free:
        v.domain = pyo.UnitInterval
    try:
        yield
    finally:
        for v in free:
            v.domain = pyo.Binary


def tightened_relaxation(f: Formulation, settings: dict, budget: Budget) -> Relaxation:
    """Solve the relaxation, then add the route links it violates and solve it again, until
    none is violated, LINK_ROUNDS, or the rounds have spent their share of `budget` in HiGHS
    or as much again outside it (Pyomo's part of adding rows); the last relaxation solved
    stays loaded in the model."""
    relaxation = Relaxation()
    rounds_started = time.perf_counter()
    for _ in range(LINK_ROUNDS if budget.seconds > 0 else 0):
        if relaxation.solved:
            violated = f.violated_links()
            relaxation.converged = not violated
            late = time.perf_counter() - rounds_started > ROUNDS_SHARE * budget.seconds
            if not violated or late or budget.used(ROUNDS_SHARE):
                break
            relaxation.links += f.add_links(violated)
            budget.solver.add_constraints(relaxation.links[-len(violated):])
        outcome = solve_model(f.model, budget.settings(settings, ROUNDS_SHARE), budget.solver,
                              updated=relaxation.solved)
        log.debug("relaxation with %d route link rows: %s", len(relaxation.links),
                 outcome.objective if outcome.exit_code is ExitCode.OK else outcome.termination)
        if outcome.exit_code is not ExitCode.OK:
            relaxation.converged = False
            break
        if not relaxation.solved:  # Pyomo's translation of the model for HiGHS: not a round
            rounds_started = time.perf_counter()
        relaxation.solved, relaxation.bound = True, outcome.objective
    return relaxation


def round_builds(f: Formulation, relaxed: dict, threshold: float) -> tuple[int, ...]:
    """Set the model's free builds to a plan `build_once` allows, from the relaxation's
    values `relaxed` (build key -> value): in each site and technology where some option
    is built more than `threshold` in all, the option built most, in the first year it is
    built more than BUILT; nothing elsewhere. Returns the free builds' values."""
    groups: dict[tuple, list] = defaultdict(list)
    for (unit, year), var in f.model.build.items():
        if not var.fixed:
            u = f.data.units[unit]
            groups[u.site, u.technology].append((unit, year, var))
    for members in groups.values():
        chosen = _first_build_of_most_built(
            [(unit, year, relaxed[unit, year]) for unit, year, _ in members], threshold)
        for unit, year, var in members:
            var.set_value(1 if (unit, year) == chosen else 0)
    return tuple(int(var.value) for var in f.model.build.values() if not var.fixed)


def _first_build_of_most_built(taken: list[tuple[str, int, float]],
                               threshold: float) -> tuple | None:
    """(unit, year) of the unit with the largest total value, in its first year above BUILT;
    None when no unit's total is above `threshold`."""
    totals: dict[str, float] = defaultdict(float)
    for unit, _, value in taken:
        totals[unit] += value
    unit = max(totals, key=totals.__getitem__)
    years = [year for u, year, value in taken if u == unit and value > BUILT]
    if totals[unit] <= threshold or not years:
        return None
    return unit, min(years)
