"""The marginal-cost LP (`optimizer.solving.duals`) started from a basis found for the same LP
from no basis: it ends where a fresh solve ends, without simplex iterations."""

from __future__ import annotations

from pathlib import Path

import pytest

from models import build_model
from optimizer.contract.validate import load_inputs
from optimizer.solving.duals import fixed_build_lp
from optimizer.solving.pipeline import prepare
from optimizer.solving.solve import new_solver, solve_model
from optimizer.solving.warm import lp_basis, repaired, solves_fresh

EXAMPLE = Path(__file__).resolve().parents[1] / "inputs" / "example.xlsx"


def test_the_marginal_cost_lp_from_a_fresh_basis_is_the_fresh_lp():
    data = prepare(load_inputs(EXAMPLE))
    f = build_model(data)
    assert solve_model(f.model, data.settings, new_solver()).has_plan  # builds in the model
    solver = new_solver()
    assert solves_fresh(solver)
    assert repaired(f.model, data.settings, solver) is not None
    basis = lp_basis(solver)
    assert basis is not None and not solves_fresh(solver)
    assert solve_model(f.model, data.settings, solver, load=False).has_plan  # a MIP between
    assert solves_fresh(solver)
    with fixed_build_lp(f, data.settings, solver, basis) as warm:
        iterations = solver._solver_model.getInfo().simplex_iteration_count
    with fixed_build_lp(f, data.settings, new_solver()) as fresh:
        pass
    assert iterations == 0
    assert warm.objective == pytest.approx(fresh.objective, rel=1e-12)
    for family in ("dependence", "capacity"):
        assert warm.marginals[family].keys() == fresh.marginals[family].keys()
        for key, value in fresh.marginals[family].items():
            assert warm.marginals[family][key] == pytest.approx(value, rel=1e-9, abs=1e-6)
