"""A sweep run's effect: its minimised objective minus the base run's, with the interval the
two solves' gaps leave, [bound - base, objective - base's bound], as for the counterfactuals
(`optimizer.solving.compare`, whose resolution rule the runs' gaps are narrowed to)."""

from __future__ import annotations

from dataclasses import dataclass

from optimizer.errors import Status
from optimizer.solving.compare import (
    SHARE,
    interval,
    is_resolved,
    target,
    unresolved,
)
from optimizer.solving.runs import RunResult

COLUMNS = ["effect", "effect_low", "effect_high", "effect_resolved", "gap",
           "builds_changed", "effect_note"]


@dataclass(frozen=True)
class Effect:
    value: float
    low: float
    high: float
    resolved: bool
    note: str


def absolute_gap(result: RunResult) -> float | None:
    """How far the run's plan may be from its optimum, in currency (None without a plan)."""
    if result.minimised is None:
        return None
    return 0.0 if result.bound is None else max(result.minimised - result.bound, 0.0)


def effect(result: RunResult, base: RunResult | None) -> Effect | None:
    """The run's effect against the base run; None for the base run itself and without both
    plans."""
    if base is None or result is base or result.minimised is None or base.minimised is None:
        return None
    if result.same_as_base:
        return Effect(0.0, 0.0, 0.0, True, "the same inputs as the base run")
    low, high = interval(result.minimised, result.bound, base.minimised, base.bound)
    value = result.minimised - base.minimised
    resolved = is_resolved(low, high, base.minimised)
    notes = [] if resolved else [unresolved(value, high, base.minimised)]
    if result.stopped:
        notes.append(result.stopped)
    if not resolved or result.stopped or result.status is Status.TIME_LIMIT:
        notes.append(f"a plan with other builds could be up to {absolute_gap(result):,.6g} "
                     "cheaper")
    return Effect(value, low, high, resolved, "; ".join(notes))


def columns(result: RunResult, base: RunResult | None) -> dict[str, object]:
    """The run's effect columns of the `runs` table (blank for the base run and without a
    plan, but its gap)."""
    found = effect(result, base)
    changed = None if found is None else result.builds != base.builds
    row: dict[str, object] = dict.fromkeys(COLUMNS)
    row.update(gap=absolute_gap(result), builds_changed=changed,
               effect_note=(found.note if found else result.stopped) or None)
    if found:
        row.update(effect=found.value, effect_low=found.low, effect_high=found.high,
                   effect_resolved=found.resolved)
    return row


def base_gap_needed(results: list[RunResult]) -> float | None:
    """The absolute gap the base run needs for every run's interval to be narrow enough:
    SHARE of the narrowest target among the intervals too wide; None when none is, or the
    base's gap is already that narrow (each run narrowed itself to SHARE of its target)."""
    base = results[0] if results else None
    base_gap = absolute_gap(base) if base else None
    if base_gap is None:
        return None
    wide = [target(base.minimised, r.minimised) for r in results[1:]
            if r.minimised is not None
            and absolute_gap(r) + base_gap > target(base.minimised, r.minimised)]
    needed = SHARE * min(wide) if wide else None
    return needed if needed is not None and base_gap > needed else None
