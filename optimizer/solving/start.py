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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

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
COUNT_SEARCH_STEPS = 4  # bisections of the number of groups built, at most


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
    ranked = ranked_builds(f, {key: var.value or 0.0 for key, var in f.model.build.items()})
    costs: dict[int, float | None] = {}  # plans tried: how many groups built -> cost
    best = None

    def attempt(count: int) -> None:
        nonlocal best
        if count in costs or budget.used():
            return
        build_first(ranked, count)
        repair = repaired(f.model, budget.settings(settings), budget.solver, builds_only=True)
        costs[count] = repair[1] if repair else None
        log.debug("the %d groups the relaxation builds most, with their best operations: %s"
                  " (%.1f s of HiGHS so far)", count,
                  f"{repair[1]:.10g}" if repair else "no plan in time", budget.spent)
        if repair and (best is None or repair[1] < best[1]):
            best = repair

    def proven() -> bool:  # the best plan so far is within the gap: the MIP would stop
        return best is not None and within_gap(Start(*best, relaxation.bound), settings)

    for threshold in ROUNDING_THRESHOLDS:
        attempt(sum(1 for total, _ in ranked if total > threshold))
    _search_count(costs, attempt, len(ranked), proven)
    return Start(*best, relaxation.bound) if best else None


def _search_count(costs: dict[int, float | None], attempt: Callable[[int], None],
                  most: int, proven: Callable[[], bool] = lambda: False) -> None:
    """Between the counts tried next to the cheapest, try the count halfway to each, while
    they differ, the time lasts and the best plan is not `proven` within the gap (a
    bisection for the cheapest count of groups built, for a cost that falls with the
    shortage and rises with the capex): with a weak relaxation the thresholds' counts may
    lie far apart (on capa at 14000 the cheapest of them built every site the relaxation
    touched, ten times the optimum's cost). A tight relaxation's rounding is proven at once
    (the base case's: 0.02% above the relaxation), and nothing more is tried."""
    for _ in range(COUNT_SEARCH_STEPS):
        if proven():
            return
        tried = sorted(c for c, v in costs.items() if v is not None)
        if not tried:
            return
        best = min(tried, key=lambda c: costs[c])
        at = tried.index(best)
        low = tried[at - 1] if at > 0 else 0
        high = tried[at + 1] if at + 1 < len(tried) else most
        halves = [c for c in ((low + best) // 2, (best + high + 1) // 2)
                  if c not in costs and low < c < high]
        if not halves:
            return
        for count in halves:
            attempt(count)


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
    or as much again outside it (Pyomo's part of adding rows), or what is left of that share
    is less than the last round took (a round cut off by the limit is time lost to the MIP:
    on capa at 14000 its fourth round, 13% of the heuristic's time, gave nothing); the last
    relaxation solved stays loaded in the model."""
    relaxation = Relaxation()
    rounds_started = time.perf_counter()
    last_round = 0.0  # HiGHS's seconds for the last relaxation solved
    for _ in range(LINK_ROUNDS if budget.seconds > 0 else 0):
        if relaxation.solved:
            violated = f.violated_links()
            relaxation.converged = not violated
            late = time.perf_counter() - rounds_started > ROUNDS_SHARE * budget.seconds
            if not violated or late or budget.used(ROUNDS_SHARE) \
                    or budget.spent + last_round > ROUNDS_SHARE * budget.seconds:
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
        last_round = outcome.seconds
    return relaxation


def ranked_builds(f: Formulation, relaxed: dict) -> list[tuple[float, list[tuple[Any, bool]]]]:
    """For each site and technology with free builds, how much the relaxation (build key ->
    value, `relaxed`) builds there in all, and each free build variable with whether the
    rounding builds it: the option built most, in the first year it is built more than
    BUILT. Most built first."""
    groups: dict[tuple, list] = defaultdict(list)
    for (unit, year), var in f.model.build.items():
        if not var.fixed:
            u = f.data.units[unit]
            groups[u.site, u.technology].append((unit, year, var))
    ranked = []
    for members in groups.values():
        taken = [(unit, year, relaxed[unit, year]) for unit, year, _ in members]
        total, chosen = _first_build_of_most_built(taken)
        ranked.append((total, [(var, (unit, year) == chosen) for unit, year, var in members]))
    ranked.sort(key=lambda group: -group[0])
    return ranked


def build_first(ranked: list[tuple[float, list[tuple[Any, bool]]]], count: int) -> None:
    """Set the builds of the first `count` groups of `ranked` as the rounding chooses them,
    none elsewhere (a plan `build_once` allows)."""
    for position, (_, members) in enumerate(ranked):
        for var, chosen in members:
            var.set_value(1 if chosen and position < count else 0)


def round_builds(f: Formulation, relaxed: dict, threshold: float) -> None:
    """Set the model's free builds to a plan `build_once` allows, from the relaxation's
    values `relaxed` (build key -> value): in each site and technology where some option
    is built more than `threshold` in all, the option built most, in the first year it is
    built more than BUILT; nothing elsewhere."""
    ranked = ranked_builds(f, relaxed)
    build_first(ranked, sum(1 for total, _ in ranked if total > threshold))


def _first_build_of_most_built(taken: list[tuple[str, int, float]]
                               ) -> tuple[float, tuple | None]:
    """The largest total value of a unit, and (unit, year) of that unit in its first year
    above BUILT (None when no year is)."""
    totals: dict[str, float] = defaultdict(float)
    for unit, _, value in taken:
        totals[unit] += value
    unit = max(totals, key=totals.__getitem__)
    years = [year for u, year, value in taken if u == unit and value > BUILT]
    return totals[unit], ((unit, min(years)) if years else None)
