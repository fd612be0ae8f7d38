"""The model HiGHS receives through the bulk translation (`optimizer.solving.translate`) is the
one Pyomo's own persistent interface gives it, and the maps Pyomo keeps for later updates are
filled the same way: the same columns, rows, bounds, costs, integrality and matrix, in the
same order, before and after mutable cells change, rows are added and builds are fixed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyomo.environ as pyo
import pytest
from pyomo.contrib.solver.solvers import highs as pyomo_highs

from models import build_model
from optimizer.contract.validate import load_inputs
from optimizer.solving import translate
from optimizer.solving.pipeline import prepare
from optimizer.solving.solve import Highs

EXAMPLE = Path(__file__).resolve().parents[1] / "inputs" / "example.xlsx"


def loaded(solver_class: type, model: pyo.ConcreteModel) -> pyomo_highs.Highs:
    solver = solver_class(treat_fixed_vars_as_params=False)
    solver._active_config = solver.config  # as solve() sets it before set_instance
    solver.set_instance(model)
    return solver


def highs_model(solver: pyomo_highs.Highs) -> dict[str, np.ndarray]:
    lp = solver._solver_model.getLp()
    return {"col_lower": np.array(lp.col_lower_), "col_upper": np.array(lp.col_upper_),
            "col_cost": np.array(lp.col_cost_), "row_lower": np.array(lp.row_lower_),
            "row_upper": np.array(lp.row_upper_), "start": np.array(lp.a_matrix_.start_),
            "index": np.array(lp.a_matrix_.index_), "value": np.array(lp.a_matrix_.value_),
            "integrality": np.array([int(i) for i in lp.integrality_]),
            "offset": np.array([lp.offset_])}


def pyomo_maps(solver: pyomo_highs.Highs) -> dict[str, object]:
    """What Pyomo's later updates read, by component name."""
    return {
        "columns": {solver._vars[k][0].name: col
                    for k, col in solver._pyomo_var_to_solver_var_map.items()},
        "rows": {c.name: row for c, row in solver._pyomo_con_to_solver_con_map.items()},
        "row variables": {c.name: [v.name for v in vs]
                          for c, vs in solver._vars_referenced_by_con.items()},
        "named": {c.name: [e.name for e, _ in es] for c, es in solver._named_expressions.items()},
        "objective named": [e.name for e, _ in solver._obj_named_expressions],
        "objective variables": sorted(v.name for v in solver._vars_referenced_by_obj),
        "referenced": {solver._vars[k][0].name: (sorted(c.name for c in cons), obj is not None)
                       for k, (cons, _, obj) in solver._referenced_variables.items()},
        "mutable costs": len(solver._mutable_objective.linear_coefs),
    }


def assert_same_highs_model(bulk: pyomo_highs.Highs, pyomo: pyomo_highs.Highs) -> None:
    ours, theirs = highs_model(bulk), highs_model(pyomo)
    for key, expected in theirs.items():
        # Costs summed over several terms may differ in the last bit (another order).
        rel = 1e-15 if key in ("col_cost", "offset") else 0
        np.testing.assert_allclose(ours[key], expected, rtol=rel, atol=0, err_msg=key)


@pytest.fixture(scope="module")
def data():
    return prepare(load_inputs(EXAMPLE))


@pytest.mark.parametrize("mutable", [False, True])
def test_bulk_translation_gives_pyomo_s_model_and_maps(data, mutable: bool) -> None:
    model = build_model(data, mutable=mutable).model
    bulk, pyomo = loaded(Highs, model), loaded(pyomo_highs.Highs, model)
    assert len(bulk._pyomo_con_to_solver_con_map) > 4000  # every row of the example
    assert_same_highs_model(bulk, pyomo)
    assert pyomo_maps(bulk) == pyomo_maps(pyomo)
    # Named expressions (cover and dependence limits) are tracked for Pyomo's updates.
    assert any(pyomo_maps(bulk)["named"].values())


def test_changed_cells_fixed_builds_and_added_rows_reach_highs_as_through_pyomo(data) -> None:
    f = build_model(data, mutable=True, links_up_front=False)
    bulk, pyomo = loaded(Highs, f.model), loaded(pyomo_highs.Highs, f.model)
    assert bulk._mutable_helpers and bulk._mutable_objective.linear_coefs
    for cell in f.model.cell.values():  # every cell the model uses: costs, bounds, matrix
        cell.value = 1.5 * cell.value + 1
    for solver in (bulk, pyomo):
        solver.update_parameters()
    assert_same_highs_model(bulk, pyomo)
    build = next(iter(f.model.build.values()))
    build.fix(1)
    for solver in (bulk, pyomo):
        solver.update_variables([build])
    # A row the walk does not cover (a division) goes through Pyomo's own path, in its place.
    f.model.extra = pyo.Constraint(expr=(build + next(iter(f.model.ship.values()))) / 2 <= 3)
    rows = [next(iter(f.model.production_max.values())), f.model.extra]
    rows[0].deactivate()
    f.model.again = pyo.Constraint(expr=rows[0].expr)  # a copy: walked
    for solver in (bulk, pyomo):
        solver.add_constraints([f.model.again, f.model.extra])
    assert_same_highs_model(bulk, pyomo)
    assert pyomo_maps(bulk) == pyomo_maps(pyomo)
    bulk_row = bulk._pyomo_con_to_solver_con_map[f.model.extra]
    assert bulk_row == len(bulk._pyomo_con_to_solver_con_map) - 1


def test_the_walk_reads_linear_sums_and_leaves_the_rest_to_pyomo() -> None:
    m = pyo.ConcreteModel()
    m.x, m.y = pyo.Var(), pyo.Var()
    m.p = pyo.Param(mutable=True, initialize=2.0)
    form = translate.linear_form(3 * (m.x - 2 * m.y) + m.x + 4 - m.p * m.y)
    assert [v.name for v in form.variables.values()] == ["x", "y"]
    coefs = [pyo.value(c) for c in form.coefs.values()]
    assert coefs == [4.0, -8.0]
    assert form.constant == 4.0
    m.p.value = 5.0
    assert pyo.value(form.coefs[id(m.y)]) == -11.0  # the mutable part stays an expression
    for not_linear in (m.x * m.y, m.x / m.y, pyo.exp(m.x) + m.y):
        with pytest.raises(translate.NotLinear):
            translate.linear_form(not_linear)


def test_loading_a_solution_sets_what_pyomo_s_loader_sets(data) -> None:
    """`load_vars` sets every variable the model uses to the value Pyomo's own solution
    loader gives it."""
    model = build_model(data).model
    solver = Highs(treat_fixed_vars_as_params=False)
    results = solver.solve(model, load_solutions=False, raise_exception_on_nonoptimal_result=False)
    expected = {v.name: x for v, x in results.solution_loader.get_vars().items()}
    for v in model.component_data_objects(pyo.Var):
        v.set_value(None)
    solver.load_vars()
    loaded_values = {v.name: v.value for v in model.component_data_objects(pyo.Var)
                     if v.name in expected}
    assert len(expected) > 4000 and loaded_values == expected
