"""Warm MIP solves: start HiGHS from a known plan instead of from nothing. The base case's LP
bound is within 0.1% of its optimum; what takes a cold solve its time is finding a good plan,
so a start within the gap lets HiGHS stop at the root node. Used by persistent sweep runs (the
previous run's builds), by the counterfactuals (the plan's builds) and by narrowing a gap (the
solve's own incumbent)."""

from __future__ import annotations

from collections.abc import Sequence

import highspy
import pyomo.environ as pyo
from pyomo.contrib.solver.common.results import TerminationCondition

from optimizer.solving.duals import fixed_builds
from optimizer.solving.solve import Highs, SolveOutcome, forget_mip, solve_model, solver_options


def repaired_start(model: pyo.ConcreteModel, settings: dict,
                   solver: Highs) -> list[float] | None:
    """A MIP start from the builds now in `model`: their best operations, from the
    fixed-build LP solved by the MIP's own HiGHS instance (so that its columns line up with
    the MIP's). None when that LP does not solve."""
    with fixed_builds(model):
        forget_mip(solver)
        results = solver.solve(model, load_solutions=False,
                               raise_exception_on_nonoptimal_result=False,
                               **solver_options(settings, solver))
        if results.termination_condition is TerminationCondition.convergenceCriteriaSatisfied:
            return incumbent(solver)
    return None


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
