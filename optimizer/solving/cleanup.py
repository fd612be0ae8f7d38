"""The clean-up LP: among the plans of optimal cost, the one with the least movement.

An LP optimum is often degenerate: stock acquired and released in the same year, or a material
shipped both ways between two countries, can cost nothing (no holding cost, no freight) and
then appears at the whim of the simplex vertex. Such movements cancel and say nothing true.
The clean-up LP holds the cost at the optimum (within CLEAN_UP_TOLERANCE, relative) and
minimises the movement terms instead; the plan reports that solution.

It runs on the model as it stands (the builds fixed, for a plan) and leaves it as it was: the
cost row and the movement objective are created once per model and deactivated after every
use, so a persistent solver's next run solves the original model. The cost row's bound is a
mutable parameter, set per use.

The cost row alone would let the clean-up spend its tolerance: on a large objective 1e-7 is
enough to swap a few tonnes for a dearer route with fewer legs, noise in the plan. So the LP
is also held to the optimal face of the LP just solved: a column with a nonzero reduced cost
stays at its value, and a row with a nonzero dual stays at its activity (complementary
slackness with that LP's duals: exactly the optimal plans). Those bounds are changed in the
HiGHS instance directly and put back after, so the persistent model never sees them.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import numpy as np
import pyomo.environ as pyo
from pyomo.contrib.solver.common.results import TerminationCondition

from models import Formulation
from optimizer.solving.solve import Highs, solver_options

log = logging.getLogger(__name__)

CLEAN_UP_TOLERANCE = 1e-7  # relative: the clean-up LP may not raise the cost more than this
FACE_TOLERANCE = 1e-7  # a reduced cost or dual above this (HiGHS's dual tolerance) holds


def movement_terms(m: pyo.ConcreteModel) -> list:
    """The terms the clean-up LP minimises (each with weight 1): shipments, stock
    acquisitions and releases, and the supplier-origin use of each limited consumer (so that
    among equally cheap allocations of origin the plan shows the least dependence, not the
    solver's whim)."""
    supplier_use = m.component("supplier_use")
    return [*m.ship.values(), *m.stock_add.values(), *m.stock_release.values(),
            *(supplier_use.values() if supplier_use is not None else ())]


def clean_up(f: Formulation, solver: Highs, optimum: float,
             settings: dict | None = None) -> bool:
    """Right after the LP whose optimal cost is `optimum`, on the same `solver`:
    re-solve with the cost at most `optimum` (+ CLEAN_UP_TOLERANCE relative) for the least
    movement, and load that solution; True when it did. Otherwise the model's values stay as
    they were (still optimal, only less tidy) and the reason is logged at debug level. The
    cost row holds the model's own objective expression (expected cost, plus the CVaR term
    under `risk_measure = cvar`)."""
    m = f.model
    bound = optimum + CLEAN_UP_TOLERANCE * max(1.0, abs(optimum))
    if m.component("clean_up_cost") is None:
        m.clean_up_bound = pyo.Param(mutable=True, initialize=bound, within=pyo.Reals)
        m.clean_up_cost = pyo.Constraint(expr=m.objective.expr <= m.clean_up_bound)
        m.least_movement = pyo.Objective(expr=pyo.quicksum(movement_terms(m)))
    else:
        m.clean_up_bound.set_value(bound)
        m.clean_up_cost.activate()
        m.least_movement.activate()
    m.objective.deactivate()
    try:
        with _optimal_face(solver):  # loaded inside: changing bounds drops HiGHS's solution
            results = solver.solve(m, load_solutions=False,
                                   raise_exception_on_nonoptimal_result=False,
                                   **solver_options(settings or f.data.settings, solver))
            ended = results.termination_condition
            done = ended is TerminationCondition.convergenceCriteriaSatisfied
            if done:
                solver.load_vars()
        if not done:
            log.debug("clean-up LP ended %s; the plan keeps the solution before it", ended.name)
    finally:
        m.least_movement.deactivate()
        m.clean_up_cost.deactivate()
        m.objective.activate()
    return done


@contextlib.contextmanager
def _optimal_face(solver: Highs) -> Iterator[None]:
    """Hold the columns with a nonzero reduced cost and the rows with a nonzero dual in the
    LP `solver` last solved at their values; nothing when it has no duals (a MIP)."""
    highs = getattr(solver, "_solver_model", None)  # Pyomo exposes no public accessor
    solution = highs.getSolution() if highs is not None else None
    if solution is None or not (solution.dual_valid and solution.value_valid):
        yield
        return
    lp = highs.getLp()
    cols = np.flatnonzero(np.abs(np.asarray(solution.col_dual)) > FACE_TOLERANCE)
    rows = np.flatnonzero(np.abs(np.asarray(solution.row_dual)) > FACE_TOLERANCE)
    col_value = np.asarray(solution.col_value)[cols]
    row_value = np.asarray(solution.row_value)[rows]
    highs.changeColsBounds(len(cols), cols, col_value, col_value)
    highs.changeRowsBounds(len(rows), rows, row_value, row_value)
    try:
        yield
    finally:
        highs.changeColsBounds(len(cols), cols, np.asarray(lp.col_lower_)[cols],
                               np.asarray(lp.col_upper_)[cols])
        highs.changeRowsBounds(len(rows), rows, np.asarray(lp.row_lower_)[rows],
                               np.asarray(lp.row_upper_)[rows])
