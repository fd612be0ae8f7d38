"""Marginal costs: fix the builds at the optimum, re-solve the LP, read its duals.

For a dependence limit  imports - s x total <= 0  the derivative of the optimal cost with
respect to the share s is  dual x total  (the dual of a <= row in a minimisation is <= 0), so
relaxing the limit by one percentage point saves  -dual x total / 100.  Capacity's marginal
value is the saving from one more unit of capacity in a year, summed over scenarios (the
objective already weighs scenarios by probability).
"""

from __future__ import annotations

import contextlib
import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

import pyomo.environ as pyo
from pyomo.contrib.solver.common.results import TerminationCondition

from models import Formulation
from models.data import UnitKind
from optimizer.solving.solve import (
    NO_UPDATES,
    Highs,
    forget_mip,
    solve_model,
    solver_options,
)

log = logging.getLogger(__name__)


def marginal_costs(f: Formulation, settings: dict,
                   solver: Highs | None = None) -> dict[str, dict] | None:
    """{'dependence': {(limit, scenario): cost per pp}, 'capacity': {(unit, year): value}};
    None when the fixed LP does not solve (the plan then shows no marginal costs). A
    persistent `solver` already holding the model re-solves it in place."""
    with fixed_build_lp(f, settings, solver) as lp:
        return lp.marginals


@dataclass
class FixedBuildLP:
    """The fixed-build LP as solved: its optimal cost and the marginal costs read from its
    duals (both None when it did not solve), and the solver that holds it."""

    solver: Highs
    objective: float | None = None
    marginals: dict[str, dict] | None = None


@contextlib.contextmanager
def fixed_build_lp(f: Formulation, settings: dict,
                   solver: Highs | None = None) -> Iterator[FixedBuildLP]:
    """Solve the LP with the builds fixed at the model's values (and the route links
    relaxed) and read its marginal costs; the model stays in that state inside the block,
    for re-solves at the same builds (the clean-up LP). The LP's solution is not loaded."""
    m, relaxed = f.model, f.links_relaxed
    if relaxed is not None:
        # With builds fixed the route links are implied by the balances and capacities;
        # binding alongside them they would take a share of the duals the plan reports.
        # Relaxed, none binds (a parameter change: deactivating rows of a persistent solver
        # costs Pyomo time quadratic in their number).
        relaxed.set_value(1)
    try:
        with fixed_builds(m):
            lp = FixedBuildLP(solver or Highs())
            forget_mip(lp.solver)
            if lp.solver._model is m:  # the builds fixed: HiGHS keeps a basis set after
                lp.solver.update()
            else:
                lp.solver.set_instance(m)
            restore_basis(lp.solver, m)
            results = lp.solver.solve(m, load_solutions=False,
                                      raise_exception_on_nonoptimal_result=False,
                                      auto_updates=NO_UPDATES,
                                      **solver_options(settings, lp.solver))
            if results.termination_condition != \
                    TerminationCondition.convergenceCriteriaSatisfied:
                log.warning("marginal costs unavailable: the fixed-build LP ended %s",
                            results.termination_condition.name)
            else:
                remember_basis(lp.solver, m)
                duals = results.solution_loader.get_duals()
                reduced = results.solution_loader.get_reduced_costs(
                    [m.produce[i] for i in m.produce])
                lp.objective = float(results.incumbent_objective)
                lp.marginals = {"dependence": _dependence(m, duals),
                                "capacity": _capacity(f, duals, reduced)}
            yield lp
    finally:
        if relaxed is not None:
            relaxed.set_value(0)


@contextlib.contextmanager
def fixed_builds(m: pyo.ConcreteModel) -> Iterator[None]:
    """Builds fixed at their current values, as continuous columns: fixed binaries would stay
    integer columns in HiGHS, which then solves a MIP and returns no duals."""
    free = [v for v in m.build.values() if not v.fixed]
    for v in free:
        v.domain = pyo.UnitInterval
        v.fix(round(pyo.value(v)))
    try:
        yield
    finally:
        for v in free:
            v.unfix()
            v.domain = pyo.Binary


def builds_key(m: pyo.ConcreteModel) -> tuple[int, ...]:
    """The model's builds, rounded: which fixed-build LP it would solve."""
    return tuple(round(v.value or 0) for v in m.build.values())


BASES_KEPT = 8  # the latest fixed-build LPs' bases a solver keeps (a sweep solves many)


def remember_basis(solver: Highs, m: pyo.ConcreteModel) -> None:
    """After a fixed-build LP solved to optimality on `solver`: keep its basis, by builds."""
    bases = getattr(solver, "fixed_build_bases", None)
    if bases is None:  # not the tool's interface (e.g. Pyomo's own, in a test)
        return
    bases.pop(builds_key(m), None)
    bases[builds_key(m)] = solver._solver_model.getBasis()  # Pyomo has no public accessor
    while len(bases) > BASES_KEPT:
        bases.pop(next(iter(bases)))


def restore_basis(solver: Highs, m: pyo.ConcreteModel) -> bool:
    """Before a fixed-build LP on `solver`, up to date: start from the basis that LP had
    when solved before at the same builds (after a MIP that kept its start, the marginal
    costs then take no iteration instead of ~20,000 on the base case, and read the duals
    the start's LP had). True when there was one."""
    basis = getattr(solver, "fixed_build_bases", {}).get(builds_key(m))
    highs = solver._solver_model
    if basis is None or (len(basis.col_status), len(basis.row_status)) != \
            (highs.getNumCol(), highs.getNumRow()):
        return False
    highs.setBasis(basis)
    return True


def _dependence(m: pyo.ConcreteModel, duals: dict) -> dict[tuple, float]:
    out = {}
    for lim in m.LIMITS:  # (limit, scenario): each scenario's part of the saving
        con = m.dependence_max[lim]
        total = pyo.value(m.total_use[lim])
        out[lim] = max(0.0, -duals.get(con, 0.0) * total / 100)
    return out


def _capacity(f: Formulation, duals: dict, reduced: dict) -> dict[tuple, float]:
    """Saving from one more unit of capacity of a plant in a year (>= 0)."""
    m = f.model
    value: dict[tuple, float] = defaultdict(float)
    for unit, t, w in m.CANDIDATE_PRODUCTION:
        con = m.production_max[unit, t, w]
        value[(unit, t)] += max(0.0, -duals.get(con, 0.0))
    for index in m.produce:
        unit, t, _ = index
        if f.data.units[unit].kind is UnitKind.EXISTING:
            value[(unit, t)] += max(0.0, -reduced.get(m.produce[index], 0.0))
    return dict(value)


BUDGET_STEP = 0.10  # a larger budget is tried 10% above max_capex


def budget_savings(f: Formulation, settings: dict, objective: float,
                   solver: Highs | None = None) -> dict[int, float]:
    """Budget -> how much the total cost would fall with a budget BUDGET_STEP larger.

    Budgets constrain only the binary builds, so the fixed-build LP has no dual for them;
    the honest marginal value is a re-solve of the MIP with the larger budget. Every budget is
    tried: one that blocks a build can bind while its capex used is 0. The re-solves do not
    overwrite the plan held in `m`; a persistent `solver` already holding the model re-solves
    it in place.
    """
    m = f.model
    savings: dict[int, float] = {}
    for b in m.BUDGETS:
        limit = pyo.value(m.max_capex[b])
        m.max_capex[b] = limit * (1 + BUDGET_STEP)
        try:
            outcome = solve_model(m, settings, solver=solver, load=False)
        finally:
            m.max_capex[b] = limit
        if outcome.objective is not None:
            savings[b] = max(0.0, objective - outcome.objective)
    return savings
