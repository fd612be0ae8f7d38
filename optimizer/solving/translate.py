"""Translating a Pyomo model for HiGHS in bulk.

Pyomo's persistent HiGHS interface walks every constraint twice (once to find its variables,
once for its standard form), adds each constraint's new columns in a call of their own and
builds its rows one coefficient at a time: 2-4 s on a case of 100,000 routes (capa), as long
as building the model. `BulkHighs` reads each linear row in one walk and hands HiGHS all
columns and rows of a batch at once, filling the same maps Pyomo keeps (variables ->
columns, constraints -> rows and their variables and named expressions, mutable
coefficients and bounds), so every later incremental update (bounds, fixed builds, added
rows, changed mutable parameters, MIP starts) runs through Pyomo's own code unchanged. Rows
and columns come in Pyomo's order (columns as constraints first use them, then the
objective's), so HiGHS sees the same model. A constraint the walk does not cover (anything
but a linear sum of terms) goes through Pyomo's own path, in its place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from pyomo.common.numeric_types import native_numeric_types as NUMBERS
from pyomo.contrib.solver.solvers import highs as pyomo_highs
from pyomo.core.base.constraint import ConstraintData
from pyomo.core.base.objective import ObjectiveData
from pyomo.core.base.var import VarData
from pyomo.core.expr import numeric_expr as expr_types
from pyomo.core.expr.numvalue import is_constant, value
from pyomo.core.kernel.objective import maximize
from pyomo.core.staleflag import StaleFlagManager

from models.memory import collector_paused

Coefficient = Any  # a number, or a fixed-valued expression of mutable parameters


class NotLinear(Exception):
    """An expression the walk does not cover."""


class LinearForm:
    """An expression as sum(coefficient x variable) + constant, with the named expressions
    it holds. Variables keep the order in which the expression first uses them."""

    __slots__ = ("coefs", "constant", "named", "parametric", "variables")

    def __init__(self) -> None:
        self.coefs: dict[int, Coefficient] = {}
        self.variables: dict[int, VarData] = {}
        self.constant: Coefficient = 0.0
        self.named: dict[int, Any] = {}
        self.parametric = False  # some coefficient is an expression of mutable parameters

    def add_term(self, coef: Coefficient, var: VarData) -> None:
        if type(coef) not in NUMBERS:
            self.parametric = True
        key = id(var)
        if key in self.coefs:
            self.coefs[key] = self.coefs[key] + coef
        else:
            self.coefs[key] = coef
            self.variables[key] = var


def linear_form(expr: Any) -> LinearForm:
    """`expr` as a LinearForm; NotLinear when it is not a linear sum of terms."""
    form = LinearForm()
    _walk(expr, 1.0, form)
    return form


def _times(a: Coefficient, b: Coefficient) -> Coefficient:
    if type(a) in NUMBERS and type(b) in NUMBERS:
        return a * b
    if type(a) in NUMBERS and a == 1:
        return b
    if type(b) in NUMBERS and b == 1:
        return a
    return a * b


def _walk(expr: Any, mult: Coefficient, form: LinearForm) -> None:
    kind = _KINDS.get(type(expr)) or _kind(expr)
    if kind is SUM:
        _walk_sum(expr.args, mult, form)
    elif kind is VAR:
        form.add_term(mult, expr)
    elif kind is MONOMIAL:
        coef, var = expr.args
        form.add_term(_times(mult, _fixed_value(coef)), var)
    elif kind is FIXED:
        form.constant = form.constant + _times(mult, _fixed_value(expr))
    elif kind is NEGATION:
        _walk(expr.args[0], _times(-1.0, mult), form)
    elif kind is NAMED:
        form.named[id(expr)] = expr
        _walk(expr.expr, mult, form)
    elif kind is PRODUCT:
        left, right = expr.args
        if _kind(left) is FIXED:
            _walk(right, _times(mult, _fixed_value(left)), form)
        elif _kind(right) is FIXED:
            _walk(left, _times(mult, _fixed_value(right)), form)
        else:
            raise NotLinear
    else:
        raise NotLinear


def _walk_sum(args: Iterable, mult: Coefficient, form: LinearForm) -> None:
    """The terms of a sum; variables and numeric monomials (nearly every term of a large
    model) without a call each."""
    coefs, variables = form.coefs, form.variables
    plain = type(mult) in NUMBERS
    if not plain:  # every term's coefficient is then an expression
        form.parametric = True
    for arg in args:
        kind = _KINDS.get(type(arg)) or _kind(arg)
        if kind is VAR:
            coef, var = mult, arg
        elif kind is MONOMIAL and plain and type(arg.args[0]) in NUMBERS:
            coef, var = arg.args
            coef *= mult
        else:
            _walk(arg, mult, form)
            continue
        key = id(var)
        if key in coefs:
            coefs[key] = coefs[key] + coef
        else:
            coefs[key] = coef
            variables[key] = var


def _fixed_value(expr: Any) -> Coefficient:
    """A number as it is; a fixed-valued expression as itself unless it is constant."""
    if type(expr) in NUMBERS:
        return expr
    return value(expr) if is_constant(expr) else expr


# What the walk does with a node (never 0: a kind is looked up with `or`).
VAR, SUM, MONOMIAL, FIXED, NEGATION, NAMED, PRODUCT, OTHER = range(1, 9)
_KINDS: dict[type, int] = {}


def _kind(expr: Any) -> int:
    """Decided once per node type: every method asked is a property of the type."""
    kind = _KINDS.get(type(expr))
    if kind is None:
        kind = _KINDS.setdefault(type(expr), _classify(expr))
    return kind


def _classify(expr: Any) -> int:
    if type(expr) in NUMBERS or not expr.is_potentially_variable():
        return FIXED
    if expr.is_variable_type():
        return VAR
    if expr.is_named_expression_type():
        return NAMED
    if type(expr) is expr_types.MonomialTermExpression:
        return MONOMIAL
    if type(expr) is expr_types.ProductExpression:
        return PRODUCT
    if type(expr) is expr_types.NegationExpression:
        return NEGATION
    if isinstance(expr, expr_types.SumExpression):  # LinearExpression too
        return SUM
    return OTHER


def _forms(items: Iterable, expression: Callable[[Any], Any]) -> list[LinearForm | None]:
    """Each item's expression as a LinearForm, None where the walk does not cover it."""
    forms: list[LinearForm | None] = []
    for item in items:
        try:
            forms.append(linear_form(expression(item)))
        except NotLinear:
            forms.append(None)
    return forms


class BulkHighs(pyomo_highs.Highs):
    """Pyomo's persistent HiGHS interface, loading linear constraints and objectives in bulk
    (see the module)."""

    def set_instance(self, model: Any) -> None:
        with collector_paused():
            super().set_instance(model)

    def add_constraints(self, cons: list[ConstraintData]) -> None:
        with collector_paused():
            self._add_constraints_in_runs(cons)

    def _add_constraints_in_runs(self, cons: list[ConstraintData]) -> None:
        forms = _forms(cons, lambda con: con.body)
        start = 0
        while start < len(cons):  # runs of walked and of other constraints, in order
            walked = forms[start] is not None
            end = start
            while end < len(cons) and (forms[end] is not None) == walked:
                end += 1
            if walked:
                self._add_linear_constraints(cons[start:end], forms[start:end])
            else:
                super().add_constraints(cons[start:end])
            start = end

    def set_objective(self, obj: ObjectiveData | None) -> None:
        form = None
        if obj is not None and self._objective is None:
            form = _forms([obj], lambda o: o.expr)[0]
        if form is None:
            super().set_objective(obj)  # replacing one, or not linear: Pyomo's own path
            return
        self._objective, self._objective_expr, self._objective_sense = obj, obj.expr, obj.sense
        self._obj_named_expressions = [(e, e.expr) for e in form.named.values()]
        variables = list(form.variables.values())
        self._check_for_new_vars(variables)
        self._vars_referenced_by_obj = variables
        for key in form.variables:
            self._referenced_variables[key][2] = obj
        self._load_objective(obj, form)

    def add_variables(self, variables: list[VarData]) -> None:
        """Pyomo's `add_variables` and its HiGHS part in one pass, each domain's interval
        asked once, and HiGHS given the columns in one call."""
        self._invalidate_solution()
        columns = self._pyomo_var_to_solver_var_map
        intervals: dict[int, tuple] = {}
        lbs, ubs, types = [], [], []
        for v in variables:
            key = id(v)
            if key in self._referenced_variables:
                raise ValueError(f"Variable {v.name} has already been added")
            self._referenced_variables[key] = [{}, {}, None]
            domain = v.domain
            interval = intervals.get(id(domain)) or intervals.setdefault(
                id(domain), domain.get_interval())
            self._vars[key] = (v, v._lb, v._ub, v.fixed, interval, v.value)
            lb, ub, vtype = self._process_domain_and_bounds(key)
            lbs.append(lb)
            ubs.append(ub)
            types.append(vtype)
            columns[key] = len(columns)
        first = len(columns) - len(lbs)
        self._solver_model.addVars(len(lbs), np.array(lbs, dtype=np.double),
                                   np.array(ubs, dtype=np.double))
        self._solver_model.changeColsIntegrality(
            len(types), np.arange(first, len(columns)), np.array(types))

    def load_vars(self) -> None:
        """The last solution's values into every variable the model uses, as Pyomo's
        solution loader sets them, without its ComponentMap of every variable (a second per
        load under a profiler on the base case's 130,000 columns)."""
        if self._sol is None or not self._sol.value_valid:
            super()._load_vars()  # Pyomo's error
            return
        values, columns = self._sol.col_value, self._pyomo_var_to_solver_var_map
        for key, (using_cons, using_sos, using_obj) in self._referenced_variables.items():
            if using_cons or using_sos or using_obj is not None:
                self._vars[key][0].set_value(values[columns[key]], skip_validation=True)
        StaleFlagManager.mark_all_as_stale(delayed=True)

    def _invalidate_solution(self) -> None:
        self._sol = None
        if self._last_results_object is not None:
            self._last_results_object.solution_loader.invalidate()

    def _add_linear_constraints(self, cons: list[ConstraintData],
                                forms: list[LinearForm]) -> None:
        """Pyomo's bookkeeping of `add_constraints`, with the new columns of the whole batch
        added at once, then its rows."""
        new_vars: dict[int, VarData] = {}
        for con, form in zip(cons, forms, strict=True):
            if con in self._named_expressions:
                raise ValueError(f"Constraint {con.name} has already been added")
            self._active_constraints[con] = con.expr
            self._named_expressions[con] = [(e, e.expr) for e in form.named.values()]
            self._vars_referenced_by_con[con] = list(form.variables.values())
            for key, var in form.variables.items():
                if key not in self._referenced_variables and key not in new_vars:
                    new_vars[key] = var
        self.add_variables(list(new_vars.values()))
        for con, form in zip(cons, forms, strict=True):
            for key in form.variables:
                self._referenced_variables[key][0][con] = None
        self._load_rows(cons, forms)

    def _load_rows(self, cons: list[ConstraintData], forms: list[LinearForm]) -> None:
        """The rows of `cons` into HiGHS in one call, as Pyomo's `_add_constraints` would
        (mutable coefficients and bounds registered for `update_parameters`)."""
        self._invalidate_solution()
        columns = self._pyomo_var_to_solver_var_map
        row = len(self._pyomo_con_to_solver_con_map)
        lbs, ubs, starts, indices, values = [], [], [], [], []
        for con, form in zip(cons, forms, strict=True):
            starts.append(len(values))
            if form.parametric:
                self._add_parametric_row(con, form, indices, values)
            else:  # nearly every row: no Python loop per coefficient
                indices.extend(map(columns.__getitem__, form.coefs))
                values.extend(form.coefs.values())
            lb, ub = self._row_bounds(con, form.constant)
            lbs.append(lb)
            ubs.append(ub)
            self._pyomo_con_to_solver_con_map[con] = row
            self._solver_con_to_pyomo_con_map[row] = con
            row += 1
        self._solver_model.addRows(
            len(lbs), np.array(lbs, dtype=np.double), np.array(ubs, dtype=np.double),
            len(values), np.array(starts, dtype=np.int32), np.array(indices, dtype=np.int32),
            np.array(values, dtype=np.double))

    def _add_parametric_row(self, con: ConstraintData, form: LinearForm, indices: list[int],
                            values: list[float]) -> None:
        """A row's coefficients, those of mutable parameters registered for updates."""
        for key, coef in form.coefs.items():
            if type(coef) not in NUMBERS:
                self._register_coefficient(con, key, coef)
                coef = value(coef)
                if coef == 0:  # as Pyomo: HiGHS gets it when the parameter changes
                    continue
            indices.append(self._pyomo_var_to_solver_var_map[key])
            values.append(coef)

    def _register_coefficient(self, con: ConstraintData, key: int, coef: Any) -> None:
        self._mutable_helpers.setdefault(con, []).append(pyomo_highs._MutableLinearCoefficient(
            pyomo_con=con, pyomo_var_id=key, con_map=self._pyomo_con_to_solver_con_map,
            var_map=self._pyomo_var_to_solver_var_map, expr=coef, highs=self._solver_model))

    def _row_bounds(self, con: ConstraintData, constant: Coefficient) -> tuple[float, float]:
        inf = pyomo_highs.highspy.kHighsInf
        shift = not (type(constant) in NUMBERS and constant == 0)
        lb = (con.lower - constant if shift else con.lower) if con.has_lb() else -inf
        ub = (con.upper - constant if shift else con.upper) if con.has_ub() else inf
        if not is_constant(lb) or not is_constant(ub):
            self._mutable_helpers.setdefault(con, []).append(
                pyomo_highs._MutableConstraintBounds(
                    lower_expr=lb, upper_expr=ub, pyomo_con=con,
                    con_map=self._pyomo_con_to_solver_con_map, highs=self._solver_model))
        return value(lb), value(ub)

    def _load_objective(self, obj: ObjectiveData, form: LinearForm) -> None:
        """Pyomo's `_set_objective` for a linear objective (mutable costs registered for
        `update_parameters`)."""
        self._invalidate_solution()
        highspy = pyomo_highs.highspy
        n = len(self._pyomo_var_to_solver_var_map)
        costs = np.zeros(n, dtype=np.double)
        columns = self._pyomo_var_to_solver_var_map
        mutable_costs = []
        for key, coef in form.coefs.items():
            costs[columns[key]] = value(coef)
            if not is_constant(coef):
                mutable_costs.append(pyomo_highs._MutableObjectiveCoefficient(
                    pyomo_var_id=key, var_map=columns, expr=coef, highs=self._solver_model))
        sense = highspy.ObjSense.kMaximize if obj.sense == maximize \
            else highspy.ObjSense.kMinimize
        self._solver_model.changeObjectiveSense(sense)
        self._solver_model.changeColsCost(n, np.arange(n), costs)
        offset = pyomo_highs._MutableObjectiveOffset(expr=form.constant,
                                                     highs=self._solver_model)
        self._mutable_objective = pyomo_highs._MutableObjective(
            self._solver_model, offset, mutable_costs, [], columns)
        self._mutable_objective.update()
