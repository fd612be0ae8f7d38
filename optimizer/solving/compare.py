"""Counterfactual solves after the plan: the same data without the dependence limits
(`no_limits`) and without the stockpiles (`no_stockpiles`), each solved with the plan's
settings and disruption references (the reference plan is solved once, for the plan).

For D = A - B with A, B minimised objectives and best bounds bA <= A, bB <= B, the difference
of the true optima lies in [bA - B, A - bB]: a difference is `resolved` when that interval
excludes zero; otherwise it is not resolved at this gap, and its upper end is the most it can
be. Per-scenario differences are differences of the two plans' discounted scenario costs, not
of optima.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import pandas as pd

from models import build_model
from models.data import ModelData
from optimizer.contract.schema import COMPARE_CHOICES
from optimizer.solving.results import Plan, cost_table
from optimizer.solving.solve import Highs, solve_model

log = logging.getLogger(__name__)

COMPARISONS = tuple(c for c in COMPARE_CHOICES if c != "none")
COLUMNS = ["comparison", "measure", "scenario", "plan", "counterfactual", "difference", "low",
           "high", "resolved", "note"]
# comparison -> (measure, sign): the difference is sign x (plan - counterfactual)
MEASURES = {"no_limits": ("what the limits cost", 1.0, "limits_cost"),
            "no_stockpiles": ("what the stockpiles are worth", -1.0, "stockpiles_worth")}


def requested(text: Any) -> list[str]:
    """The comparisons a `compare` setting asks for, in order; `none` asks for none."""
    words = [w.strip().lower() for w in str(text or "").split(",") if w.strip()]
    return [w for w in dict.fromkeys(words) if w in COMPARISONS] if "none" not in words else []


def bad_words(text: Any) -> list[str]:
    """The words of a `compare` setting that name no comparison."""
    return [w.strip() for w in str(text or "").split(",")
            if w.strip() and w.strip().lower() not in COMPARE_CHOICES]


def variant(data: ModelData, comparison: str) -> tuple[ModelData | None, str]:
    """The data of a counterfactual, or None with the reason it is skipped."""
    common = {"warnings": [], "reference_exports": dict(data.reference_exports)}
    if comparison == "no_limits":
        if data.dependence_limits.empty:
            return None, "skipped: no dependence limits to remove"
        empty = pd.DataFrame(columns=data.dependence_limits.columns)
        return dataclasses.replace(data, dependence_limits=empty, **common), ""
    if comparison == "no_stockpiles":
        piles = data.stockpiles
        if piles.empty:
            return None, "skipped: no stockpiles to remove"
        # no cover and no room above the initial stock, which may still be released
        changes: dict[str, Any] = {"min_cover_days": 0.0, "capacity": piles["initial"],
                                   "end_value": 0.0}
        if "min_level" in piles.columns:
            changes["min_level"] = 0.0
        return dataclasses.replace(data, stockpiles=piles.assign(**changes), **common), ""
    raise ValueError(f"unknown comparison {comparison!r}")


def minimised(plan: Plan) -> float:
    """The objective the solver minimised (risk-adjusted under cvar)."""
    return float(plan.summary.get("risk_adjusted_objective", plan.summary["objective"]))


def interval(a: float, bound_a: float | None, b: float, bound_b: float | None
             ) -> tuple[float, float]:
    """Where the difference of optima A - B lies, from the objectives and best bounds."""
    low = a - b if bound_a is None else bound_a - b
    high = a - b if bound_b is None else a - bound_b
    return min(low, a - b), max(high, a - b)


def compare(data: ModelData, plan: Plan) -> None:
    """Solve the counterfactuals the settings ask for and add a `comparisons` table and the
    summary keys `limits_cost` and `stockpiles_worth` (with `_low`, `_high` and `_resolved`)
    to `plan`."""
    wanted = requested(data.settings.get("compare"))
    if not wanted:
        return
    rows: list[dict[str, Any]] = []
    for comparison in wanted:
        rows += _one(data, plan, comparison)
    plan.tables["comparisons"] = pd.DataFrame(rows, columns=COLUMNS)


def _one(data: ModelData, plan: Plan, comparison: str) -> list[dict[str, Any]]:
    measure, sign, key = MEASURES[comparison]
    other, reason = variant(data, comparison)
    base = {"comparison": comparison, "measure": measure, "scenario": "objective"}
    if other is None:
        return [{**base, "note": reason}]
    f = build_model(other)
    outcome = solve_model(f.model, other.settings, Highs())
    if not outcome.has_plan:
        return [{**base, "note": f"no counterfactual plan: {outcome.termination}"}]
    a, bound_a = minimised(plan), plan.summary.get("best_bound")
    b, bound_b = float(outcome.objective), outcome.bound
    low, high = interval(a, bound_a, b, bound_b)
    if sign < 0:
        low, high = -high, -low
    difference = sign * (a - b)
    resolved = bool(low > 0 or high < 0)
    note = "" if resolved else f"not resolved at this gap: at most {high:,.6g}"
    plan.summary.update({key: difference, f"{key}_low": low, f"{key}_high": high,
                         f"{key}_resolved": resolved})
    rows = [{**base, "plan": a, "counterfactual": b, "difference": difference, "low": low,
             "high": high, "resolved": resolved, "note": note}]
    costs = cost_table(f)
    for w in data.scenario_names:
        mine = float(plan.summary.get(f"scenario_cost_{w}", 0.0))
        theirs = float(costs.loc[costs.scenario == w, "discounted"].sum())
        rows.append({**base, "scenario": w, "plan": mine, "counterfactual": theirs,
                     "difference": sign * (mine - theirs),
                     "note": "difference of the two plans' discounted scenario costs"})
    log.info("%s: %s %.6g in [%.6g, %.6g]", comparison, measure, difference, low, high)
    return rows
