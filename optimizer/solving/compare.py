"""Counterfactual solves: the same data without the dependence limits (`no_limits`) and without
the stockpiles (`no_stockpiles`), each warm-started from the plan's builds, with the plan's
settings and disruption references (the reference plan is solved once, for the plan).

For D = A - B with A, B minimised objectives and best bounds bA <= A, bB <= B, the difference
of the true optima lies in [bA - B, A - bB], an interval as wide as the two absolute gaps
together. At the plan's relative gap (0.5% of a world-sized objective: 0.8 bn USD on the base
case) that is as wide as the effects measured, so the gaps are narrowed against the
difference instead: each solve goes on from its incumbent until the interval is no wider than
RESOLUTION x |D|, or FLOOR x |A|, whichever is larger (the plan too, when its own gap is the
wider part), within `compare_time_limit_s` per solve. A difference is `resolved` when its
interval excludes zero. Per-scenario, expected-cost and shortage differences are differences
of the two plans, not of optima.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyomo.environ as pyo

from models import Formulation, build_model
from models.data import ModelData
from optimizer import solver_line
from optimizer.contract.schema import COMPARE_CHOICES
from optimizer.contract.wording import number_text
from optimizer.errors import Status, UsageError
from optimizer.solving.cleanup import CLEAN_UP_TOLERANCE
from optimizer.solving.results import EPS, Plan
from optimizer.solving.solve import (
    Highs,
    SolveOutcome,
    new_solver,
    solve_model,
)
from optimizer.solving.start import Start, kept, relaxation_bound, within_gap
from optimizer.solving.warm import GapSolve, kept_start, repaired, solve_from

log = logging.getLogger(__name__)

COMPARISONS = tuple(c for c in COMPARE_CHOICES if c != "none")
COLUMNS = ["comparison", "measure", "scenario", "consumer", "material", "unit", "plan",
           "counterfactual", "difference", "low", "high", "resolved", "plan_gap",
           "counterfactual_gap", "note"]
# comparison -> (measure, sign, summary key): the difference is sign x (plan - counterfactual)
MEASURES = {"no_limits": ("what the limits cost", 1.0, "limits_cost"),
            "no_stockpiles": ("what the stockpiles are worth", -1.0, "stockpiles_worth")}
SHORTAGE_NOTES = {"no_limits": "shortage the limits add (plan minus counterfactual), t over "
                               "the horizon",
                  "no_stockpiles": "shortage the stockpiles avoid (counterfactual minus plan), "
                                   "t over the horizon"}
RESOLUTION = 0.10  # an interval may be as wide as this share of its difference ...
FLOOR = 5e-5  # ... or this share of the plan's objective (8 M USD on the base case)
ROUNDS = 3  # narrowing rounds: each may change the difference, and so the width it needs
SHARE = 0.4  # of a target, each solve's gap: a margin, as narrowing moves the difference too
WORLD = "world"  # the consumer of the shortage rows summed over every country
# The widest interval a caller allows a comparison (by summary key), given its difference
Widths = Callable[[str, float], float]


def requested(text: Any) -> list[str]:
    """The comparisons a `compare` setting asks for, in order; `none` asks for none."""
    words = [w.strip().lower() for w in str(text or "").split(",") if w.strip()]
    return [w for w in dict.fromkeys(words) if w in COMPARISONS] if "none" not in words else []


def bad_words(text: Any) -> list[str]:
    """The words of a `compare` setting that name no comparison."""
    return [w.strip() for w in str(text or "").split(",")
            if w.strip() and w.strip().lower() not in COMPARE_CHOICES]


def check_compare(text: str | None) -> None:
    """Refuse a `--compare` that names no comparison, or a word that names none."""
    if text is not None and (bad_words(text) or not text.strip()):
        raise UsageError(f"--compare {text!r}: name counterfactuals from "
                         f"{', '.join(COMPARE_CHOICES)}, comma-separated")


def variant(data: ModelData, comparison: str) -> tuple[ModelData | None, str]:
    """The data of a counterfactual, or None with the reason it is skipped."""
    common = {"warnings": [], "reference_exports": dict(data.reference_exports)}
    if comparison == "no_limits":
        limits = data.dependence_limits
        if limits.empty:
            return None, "skipped: no dependence limits to remove"
        # A share never exceeds 1: limits at 1 constrain nothing, and keep origin tracked, so
        # the counterfactual still says how much of each consumer's use is the supplier's.
        return dataclasses.replace(data, dependence_limits=limits.assign(max_share=1.0),
                                   **common), ""
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


def narrowing_limit(settings: dict) -> float:
    """Seconds each solve may take to narrow its gap."""
    return float(settings.get("compare_time_limit_s") or settings["time_limit_s"])


def minimised(plan: Plan) -> float:
    """The objective the solver minimised (risk-adjusted under cvar)."""
    return float(plan.summary.get("risk_adjusted_objective", plan.summary["objective"]))


def interval(a: float, bound_a: float | None, b: float, bound_b: float | None
             ) -> tuple[float, float]:
    """Where the difference of optima A - B lies, from the objectives and best bounds."""
    low = a - b if bound_a is None else bound_a - b
    high = a - b if bound_b is None else a - bound_b
    return min(low, a - b), max(high, a - b)


def target(objective: float, other: float) -> float:
    """The widest interval a difference `objective - other` may have (see `allowed_width`)."""
    return allowed_width(objective - other, objective)


def allowed_width(difference: float, objective: float) -> float:
    """The widest interval `difference` may have: RESOLUTION of it, or FLOOR of `objective`
    (the plan's, or the base run's) when that is larger."""
    return max(RESOLUTION * abs(difference), FLOOR * abs(objective))


def is_resolved(low: float, high: float, objective: float) -> bool:
    """Whether an interval excludes zero, or is nil (zero width at zero): the difference
    can be stated."""
    return bool(low > 0 or high < 0 or high - low <= EPS * max(abs(objective), 1.0))


@dataclass
class Counterfactual:
    """One comparison: its data (None when skipped, with the reason) and, once solved, its
    side of the comparison (the plan is the other)."""

    comparison: str
    data: ModelData | None
    skipped: str
    side: GapSolve | None = None

    @property
    def solved(self) -> bool:
        return self.side is not None and self.side.outcome.has_plan


class Comparisons:
    """The counterfactuals a workbook's `compare` setting asks for:

        comparisons = Comparisons(data)
        outcome = comparisons.solve(f, solver, outcome)  # the plan's MIP solved; may narrow it
        plan = post_solve(f, outcome, solver)
        comparisons.report(plan, {name: post_solve(...) for name, side in comparisons.solved()})
    """

    def __init__(self, data: ModelData):
        self.data = data
        settings = data.settings
        self.limit = narrowing_limit(settings)
        self.items = [Counterfactual(c, *variant(data, c))
                      for c in requested(settings.get("compare"))]
        self.plan: GapSolve | None = None
        self.tables: dict[str, dict[str, pd.DataFrame]] = {}  # each counterfactual's plan
        self.widths: Widths | None = None  # narrower than the comparisons' own targets

    def __bool__(self) -> bool:
        return bool(self.items)

    def solve(self, f: Formulation, solver: Highs, outcome: SolveOutcome) -> SolveOutcome:
        """Solve each counterfactual from the plan's builds (now in `f.model`), then narrow
        the gaps until every interval is narrow enough; the plan's outcome, narrowed too when
        its gap was the wider part of an interval."""
        if outcome.has_plan:
            self.compare_with(GapSolve(f, solver, outcome, self.limit))
        return self.plan.outcome if self.plan else outcome

    def compare_with(self, plan: GapSolve, widths: Widths | None = None) -> None:
        """`solve`, from the plan's solve as it stands (a sweep run's, narrowed for its
        effect already and with what is left of its time); `widths(key, difference)` the
        widest interval the caller allows each comparison, when narrower than its target."""
        self.plan, self.widths = plan, widths
        if not kept_start(plan.outcome, plan.outcome.start_cost):  # else polished already
            self.plan.polish()
        for item in self.items:
            if item.data is not None:
                with solver_line.phase(f"comparing: {item.comparison}"):
                    item.side = self._first_solve(item.comparison, item.data,
                                                  plan.formulation)
        self._narrow_rounds()

    def narrow_to(self, widths: dict[str, float]) -> None:
        """Narrow the gaps again until each comparison's interval is at most `widths[key]`
        wide (a sweep's base run, for the runs' effects on the policy costs). Each solve
        starts from its plan's best operations: a solver may have solved other data since."""
        for side in (self.plan, *self.solved().values()):
            side.polish()
        self.widths = lambda key, _: widths.get(key, math.inf)
        self._narrow_rounds()

    def _narrow_rounds(self) -> None:
        for _ in range(ROUNDS):
            if not self._narrow():
                break

    def _first_solve(self, name: str, data: ModelData, f: Formulation) -> GapSolve:
        """The counterfactual's MIP from the plan's builds with their best operations for
        it; no MIP when its relaxation's bound proves that start within the gap (as for the
        plan: see `optimizer.solving.start`)."""
        g, solver = build_model(data), new_solver()
        for key, var in f.model.build.items():
            if key in g.model.build:
                g.model.build[key].set_value(round(pyo.value(var)))
        started = time.perf_counter()
        settings = {**data.settings, "time_limit_s": self.limit}
        bound = relaxation_bound(g.model, settings, solver)
        repair = repaired(g.model, settings, solver, builds_only=True)
        start = Start(*repair, bound) if repair else None
        if start is None:
            outcome = solve_model(g.model, settings, solver)
        elif within_gap(start, settings):
            outcome = kept(g, solver, start)
        else:
            outcome = solve_from(g.model, settings, solver, start.values)
        side = GapSolve(g, solver, outcome, self.limit, name=name)
        side.timed_out = outcome.status is Status.TIME_LIMIT
        if not kept_start(outcome, start.cost if start else None):
            side.polish()
        side.seconds_left -= time.perf_counter() - started
        return side

    def _target(self, item: Counterfactual) -> float:
        plan, other = self.plan.outcome.objective, item.side.outcome.objective
        own = target(plan, other)
        if self.widths is None:
            return own
        _, sign, key = MEASURES[item.comparison]
        return min(own, self.widths(key, sign * (plan - other)))

    def _width(self, item: Counterfactual) -> float:
        """The widest the reported interval can be: both gaps, and what each plan's clean-up
        may add to its cost (see `cleanup`)."""
        slack = CLEAN_UP_TOLERANCE * (abs(self.plan.outcome.objective)
                                      + abs(item.side.outcome.objective))
        return self.plan.gap + item.side.gap + slack

    def _narrow(self) -> bool:
        """One round: narrow the plan's gap to SHARE of the narrowest target among the
        intervals too wide, then each of their counterfactuals' to what is left. False
        when no interval is too wide or no solve has time left to narrow it."""
        wide = [(item, self._target(item)) for item in self.items
                if item.solved and self._width(item) > self._target(item)]
        if not wide:
            return False
        narrowed = False
        plan_gap = SHARE * min(target for _, target in wide)
        if self.plan.gap > plan_gap and self.plan.seconds_left > 0:
            self.plan.narrow(plan_gap)
            narrowed = True
        for item, _ in wide:
            target = self._target(item)  # the plan's narrowing may have moved it
            if self._width(item) <= target:  # the plan's narrowing was enough
                continue
            # what is left, for this one, of the width aimed at (2 x SHARE of the target)
            gap = max(2 * SHARE * target - self.plan.gap, SHARE * target)
            if item.side.gap > gap and item.side.seconds_left > 0:
                item.side.narrow(gap)
                narrowed = True
        return narrowed

    def solved(self) -> dict[str, GapSolve]:
        """The counterfactuals that have a plan, by name."""
        return {item.comparison: item.side for item in self.items if item.solved}

    def report(self, plan: Plan, counterfactuals: dict[str, Plan]) -> None:
        """Add the `comparisons` table, and the summary keys `limits_cost` and
        `stockpiles_worth` (with `_low`, `_high` and `_resolved`), to `plan`, from each
        counterfactual's plan (read off its solve as the plan is: see `solved`)."""
        if not self.items:
            return
        self.tables = {name: other.tables for name, other in counterfactuals.items()}
        rows: list[dict[str, Any]] = []
        for item in self.items:
            rows += self._rows(item, plan)
        plan.tables["comparisons"] = pd.DataFrame(rows, columns=COLUMNS)

    def _rows(self, item: Counterfactual, plan: Plan) -> list[dict[str, Any]]:
        measure, sign, key = MEASURES[item.comparison]
        base = {"comparison": item.comparison, "measure": measure, "scenario": "objective",
                "unit": _money(self.data)}
        if item.data is None:
            return [{**base, "note": item.skipped}]
        if not item.solved:
            ended = item.side.outcome.termination if item.side else "not solved"
            return [{**base, "note": f"no counterfactual plan: {ended}"}]
        headline = self._headline(item, plan, base, sign)
        plan.summary.update({key: headline["difference"], f"{key}_low": headline["low"],
                             f"{key}_high": headline["high"],
                             f"{key}_resolved": headline["resolved"]})
        log.debug("%s: %s %s in [%s, %s]", item.comparison, measure,
                  *(f"{headline[k]:,.0f}" for k in ("difference", "low", "high")))
        return [headline, *self._plan_rows(item, plan, base, sign)]

    def _headline(self, item: Counterfactual, plan: Plan, base: dict[str, Any],
                  sign: float) -> dict[str, Any]:
        """The difference of the minimised objectives, with its interval and both gaps."""
        a, bound_a = minimised(plan), plan.summary.get("best_bound")
        b, bound_b = float(item.side.outcome.objective), item.side.outcome.bound
        low, high = interval(a, bound_a, b, bound_b)
        if sign < 0:
            low, high = -high, -low
        difference = sign * (a - b)
        resolved = is_resolved(low, high, a)
        gap_a = max(a - bound_a, 0.0) if bound_a is not None else 0.0
        gap_b = item.side.gap
        stops = self._stops(item)
        for note in stops:
            log.warning("warning: %s: %s", item.comparison, note)
        notes = ([] if resolved else [unresolved(difference, high, a)]) + stops
        return {**base, "plan": a, "counterfactual": b, "difference": difference, "low": low,
                "high": high, "resolved": resolved, "plan_gap": gap_a,
                "counterfactual_gap": gap_b, "note": "; ".join(notes)}

    def _stops(self, item: Counterfactual) -> list[str]:
        """Which of the comparison's solves stopped at compare_time_limit_s, and their gaps."""
        return [f"the {name}'s solve stopped at compare_time_limit_s ({self.limit:g} s) "
                f"with a gap of {side.gap:,.6g}"
                for name, side in (("plan", self.plan), ("counterfactual", item.side))
                if side.timed_out]

    def stops(self) -> dict[str, str]:
        """By summary key (`limits_cost`, `stockpiles_worth`): where the solves of each
        solved comparison stopped at compare_time_limit_s (blank when none did)."""
        return {MEASURES[item.comparison][2]: "; ".join(self._stops(item))
                for item in self.items if item.solved}

    def _plan_rows(self, item: Counterfactual, plan: Plan, base: dict[str, Any],
                   sign: float) -> list[dict[str, Any]]:
        """Differences of the two plans: per scenario, in expected cost (under cvar) and in
        shortage per consumer, scenario and material."""
        counterfactual = self.tables[item.comparison]
        costs = counterfactual["costs"]
        rows = []
        if "risk_adjusted_objective" in plan.summary:
            mine, theirs = float(plan.summary["objective"]), float(costs["expected"].sum())
            rows.append({**base, "scenario": "expected", "plan": mine, "counterfactual": theirs,
                         "difference": sign * (mine - theirs),
                         "note": "difference of the two plans' expected costs"})
        for w in self.data.scenario_names:
            mine = float(plan.summary.get(f"scenario_cost_{w}", 0.0))
            theirs = float(costs.loc[costs.scenario == w, "discounted"].sum())
            rows.append({**base, "scenario": w, "plan": mine, "counterfactual": theirs,
                         "difference": sign * (mine - theirs),
                         "note": "difference of the two plans' discounted scenario costs"})
        shortages = shortage_rows(self.data, plan.tables["shortages"],
                                  counterfactual["shortages"])
        for row in shortages:
            rows.append({**base, **row, "measure": "shortage", "unit": "t",
                         "difference": sign * (row["plan"] - row["counterfactual"]),
                         "note": SHORTAGE_NOTES[item.comparison]})
        return rows


def shortage_rows(data: ModelData, mine: pd.DataFrame, theirs: pd.DataFrame
                  ) -> list[dict[str, Any]]:
    """Shortage over the horizon in both plans, per scenario, material and consumer named in
    a limit or a stockpile (a group sums its members), and for the world."""
    rows = []
    for w in data.scenario_names:
        for material in sorted(set(mine.material)):
            for consumer in [*data.named_consumers, WORLD]:
                members = set(mine.country) if consumer == WORLD else data.members(consumer)
                amounts = [_total(t, w, material, members) for t in (mine, theirs)]
                if max(amounts) > EPS:
                    rows.append({"scenario": w, "consumer": consumer, "material": material,
                                 "plan": amounts[0], "counterfactual": amounts[1]})
    return rows


def _total(shortages: pd.DataFrame, scenario: str, material: str, countries: Any) -> float:
    chosen = shortages[(shortages.scenario == scenario) & (shortages.material == material)
                       & shortages.country.isin(list(countries))]
    return float(chosen["shortage"].sum())


def summary_lines(summary: dict[str, Any]) -> list[str]:
    """What the limits cost and the stockpiles are worth, one line each, as the summary
    holds them (nothing for a comparison not solved)."""
    lines = []
    for measure, _, key in MEASURES.values():
        if key in summary:
            low, high = summary[f"{key}_low"], summary[f"{key}_high"]
            value = f"not resolved at this gap: at most {high:,.0f}" if low <= 0 <= high \
                and high - low > 0 else f"{summary[key]:,.0f} (between {low:,.0f} and " \
                f"{high:,.0f})"
            lines.append(f"{measure}: {value} {summary.get('currency', '')}".rstrip())
    return lines


def unresolved(difference: float, high: float, objective: float, solves: int = 2) -> str:
    """Why a difference of `solves` solves' optima cannot be stated, and what gap would
    state it."""
    text = f"not resolved at this gap: at most {number_text(high)}"
    if abs(difference) > 0 and abs(objective) > 0:
        every = "both" if solves == 2 else f"all {solves}"
        text += (f"; resolving it needs {every} relative gaps below "
                 f"{abs(difference) / solves / abs(objective):.2g}")
    return text


def _money(data: ModelData) -> str:
    return f"{data.settings.get('currency', 'USD')} (discounted)"
