"""Explaining an infeasible case in the input's vocabulary: sheet, row, and what it asks.

Shortages are always allowed at a price, so only hard limits (stockpile cover, dependence
shares, budgets) can make a case infeasible. Cheap checks on the data come first; then an
elastic re-solve (`models.elastic`) finds the smallest relaxation of those limits and names
every limit it had to relax.
"""

from __future__ import annotations

import logging

import pyomo.environ as pyo

from models import LIMIT_FAMILIES, Formulation, build_model
from models.data import BASELINE, ModelData
from optimizer.contract.to_model import cover_beyond_capacity, cover_what
from optimizer.contract.wording import quantity_text
from optimizer.solving.solve import solve_model

log = logging.getLogger(__name__)

TOL = 1e-6


def explain_infeasibility(data: ModelData) -> str:
    reasons = precheck(data) or elastic_reasons(data)
    if not reasons:
        reasons = ["the limits of the sheets 'stockpiles' (min_cover_days, min_level), "
                   "'dependence_limits' and 'budgets' cannot all hold together"]
    return "no plan meets every limit at once:\n  " + "\n  ".join(reasons)


def precheck(data: ModelData) -> list[str]:
    """Covers that exceed their stockpile's capacity, found without solving (as `validate`
    finds them)."""
    return [f"stockpiles row {pile.row}: {why}" for pile, why in cover_beyond_capacity(data)]


def elastic_reasons(data: ModelData) -> list[str]:
    f = build_model(data, elastic=True)
    outcome = solve_model(f.model, data.settings)
    if not outcome.has_plan:
        log.debug("elastic re-solve ended %s", outcome.termination)
        return []
    reasons = [*_cover_reasons(f), *_dependence_reasons(f), *_budget_reasons(f)]
    if reasons:
        reasons += _conflicting_families(f, outcome.objective)
    return reasons


def _conflicting_families(f: Formulation, violation: float) -> list[str]:
    """Limits that were not relaxed but take part in the conflict: dropping their whole
    family lets the relaxed limits hold (a deletion filter over families)."""
    lines = []
    relaxed = {family for family, var in f.slacks.items() if _relaxed(var)}
    for family in LIMIT_FAMILIES:
        con = f.limits(family)
        if con is None or not len(con) or family in relaxed:
            continue
        con.deactivate()
        try:  # load=False keeps the relaxed plan the reasons above were read from
            outcome = solve_model(f.model, f.data.settings, load=False)
        finally:
            con.activate()
        if outcome.has_plan and outcome.objective < violation - TOL:
            where = [f.input_row(family, i) for i in con]
            rows = sorted({row for _, row in where})
            shown = ", ".join(map(str, rows[:8])) + (", ..." if len(rows) > 8 else "")
            lines.append(f"in conflict with the limits on sheet '{where[0][0]}' (rows {shown}); "
                         "without them the limits above could be met")
    return lines


def _relaxed(var: pyo.Var | None) -> dict:
    if var is None:
        return {}
    return {i: v for i in var if (v := pyo.value(var[i], exception=False) or 0) > TOL}


def _cover_reasons(f: Formulation) -> list[str]:
    reasons = []
    first: dict[tuple[str, str], tuple[int, str, float]] = {}
    for (c, mat, t, w), short in sorted(_relaxed(f.slacks.get("cover")).items(),
                                        key=lambda kv: (kv[0][2], kv[0][3] != BASELINE)):
        first.setdefault((c, mat), (t, w, short))
    for (c, mat), (t, w, short) in first.items():
        pile = f.data.stockpile_rows[c, mat]
        required = pyo.value(f.model.cover_required[c, mat, t])
        reasons.append(f"stockpiles row {pile.row}: {c} must hold "
                       f"{cover_what(pile, required)} of {mat} in {t}{_in_scenario(w)} "
                       f"({quantity_text(required)}), "
                       "but at most "
                       f"{quantity_text(required - short)} of {mat} can be in that stockpile "
                       "by then "
                       f"(short by {quantity_text(short)})")
    return reasons


def _dependence_reasons(f: Formulation) -> list[str]:
    reasons = []
    for (lim, w), excess in sorted(_relaxed(f.slacks.get("dependence")).items()):
        row = f.data.limit_rows[lim]
        total = pyo.value(f.model.total_use[lim, w])
        needed = (pyo.value(row.max_share) * total + excess) / total if total > TOL else 1.0
        reasons.append(f"dependence_limits row {row.row}: {row.consumer} may take at most "
                       f"{row.max_share:.1%} of its {row.material} from {row.supplier} in "
                       f"{row.year}{_in_scenario(w)}, but the other limits need "
                       f"{needed:.1%} ({quantity_text(excess)} more)")
    return reasons


def _in_scenario(w: str) -> str:
    return "" if w == BASELINE else f" (scenario {w})"


def _budget_reasons(f: Formulation) -> list[str]:
    reasons = []
    for b, over in sorted(_relaxed(f.slacks.get("budget")).items()):
        row = f.data.budget_rows[b]
        when = f"in {row.year}" if row.year is not None else "over the horizon"
        reasons.append(f"budgets row {row.row}: builds in {row.country} {when} may cost at "
                       f"most {row.max_capex:,.0f}, but the other limits need "
                       f"{row.max_capex + over:,.0f}")
    return reasons
