"""The reference plan: what each disrupted supplier would export without the policy.

A cut is measured against a fixed reference, so that no decision of the plan can raise its own
allowance (a baseline optimised together with its scenarios would inflate its exports to
loosen them). The reference is a disruption row's `reference`, or else the supplier's exports
in the reference plan: the same workbook with existing plants only (no builds), no dependence
limits, no disruptions and no stockpile cover, solved as an LP and then cleaned up (the least
shipping and stock movement at that cost), so that equally cheap vertices cannot move it.
"""

from __future__ import annotations

import dataclasses
import logging

import pandas as pd
import pyomo.environ as pyo

from models import build_model
from models.data import BASELINE, ModelData, UnitKind
from optimizer.contract.schema import Issue
from optimizer.errors import SolverError
from optimizer.solving.cleanup import clean_up
from optimizer.solving.solve import Highs, solve_model

log = logging.getLogger(__name__)


def with_reference_exports(data: ModelData) -> ModelData:
    """`data` with `reference_exports` for every disruption row and year that has no
    `reference` of its own; a warning for each that is 0 (the cut then allows nothing)."""
    needed = [c for c in data.cuts if c.reference is None]
    if not needed:
        return data
    f = build_model(reference_case(data))
    solver = Highs()
    outcome = solve_model(f.model, f.data.settings, solver)
    if not outcome.has_plan:
        raise SolverError(f"the reference plan (existing plants only, no limits, cuts or "
                          f"cover) did not solve: {outcome.termination}")
    clean_up(f, solver, outcome.objective)
    m = f.model
    nothing: dict[int, list] = {}  # row -> the cuts whose reference is 0
    for cut in needed:
        supplier = set(data.members(cut.supplier))
        destinations = data.cut_destinations(cut)
        exports = sum(pyo.value(m.ship[o, d, mat, t, BASELINE]) or 0.0
                      for o, d, mat, t, _ in _shipments(m, cut.material, cut.year)
                      if o in supplier and d in destinations)
        data.reference_exports[int(cut.row), int(cut.year)] = max(float(exports), 0.0)
        if exports <= 1e-9:
            nothing.setdefault(int(cut.row), []).append(cut)
    for cuts in nothing.values():
        _warn(data, cuts)
    return data


def reference_case(data: ModelData) -> ModelData:
    """The workbook without the policy: existing plants only, no dependence limits, no
    disruptions, no stockpile cover, the baseline alone."""
    empty = pd.DataFrame
    scenarios = data.scenarios.iloc[:1].assign(probability=1.0)
    settings = {**data.settings, "risk_measure": "expected"}
    return dataclasses.replace(
        data, settings=settings, scenarios=scenarios,
        units={n: u for n, u in data.units.items() if u.kind is UnitKind.EXISTING},
        stockpiles=data.stockpiles.assign(min_cover_days=0.0, min_level=0.0),
        dependence_limits=empty(columns=data.dependence_limits.columns),
        budgets=empty(columns=data.budgets.columns),
        disruptions=empty(columns=data.disruptions.columns),
        reference_exports={}, warnings=[])


def _shipments(m: pyo.ConcreteModel, material: str, year: int) -> list[tuple]:
    return [(o, d, mat, year, BASELINE) for o, d, mat in m.ROUTES if mat == material]


def _warn(data: ModelData, cuts: list) -> None:
    cut = cuts[0]
    to = f" to {cut.to_country}" if cut.to_country is not None else ""
    years = ", ".join(str(c.year) for c in cuts)
    issue = Issue(f"{cut.supplier} exports no {cut.material}{to} in {years} in the "
                  "reference plan (existing plants only, no limits, cuts or cover): the cut "
                  "allows it no exports; give the row a reference to measure it against",
                  "disruptions", int(cut.row), "reference", warning=True)
    data.warnings.append(issue)
