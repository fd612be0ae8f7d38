"""A sweep run's effect: its minimised objective minus the base run's, with the interval the
two solves' gaps leave, [bound - base, objective - base's bound], as for the counterfactuals
(`optimizer.solving.compare`, whose resolution rule the runs' gaps are narrowed to). With
comparisons, its effects on the policy costs too: a measured difference X (`limits_cost`,
`stockpiles_worth`) minus the base run's, in [low - base's high, high - base's low]."""

from __future__ import annotations

from dataclasses import dataclass

from optimizer.errors import Status
from optimizer.solving.compare import (
    MEASURES,
    SHARE,
    allowed_width,
    interval,
    is_resolved,
    target,
    unresolved,
)
from optimizer.solving.runs import RunResult

COLUMNS = ["effect", "effect_low", "effect_high", "effect_resolved", "gap",
           "builds_changed", "effect_note"]
POLICY_COSTS = [key for _, _, key in MEASURES.values()]  # limits_cost, stockpiles_worth
SAME = "the same inputs as the base run"


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
        return Effect(0.0, 0.0, 0.0, True, SAME)
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


def policy_effect(result: RunResult, base: RunResult | None, key: str) -> Effect | None:
    """The run's change of the policy cost `key` (see POLICY_COSTS) from the base run's;
    None for the base run itself and unless both measured it."""
    if base is None or result is base or result.headline.get(key) is None \
            or base.headline.get(key) is None:
        return None
    if result.same_as_base:
        return Effect(0.0, 0.0, 0.0, True, SAME)
    mine, theirs = result.headline, base.headline
    value = mine[key] - theirs[key]
    low, high = mine[f"{key}_low"] - theirs[f"{key}_high"], \
        mine[f"{key}_high"] - theirs[f"{key}_low"]
    resolved = is_resolved(low, high, base.minimised)
    notes = [] if resolved else [unresolved(value, high, base.minimised, solves=4)]
    for who, r in (("the run", result), ("the base run", base)):
        if r.comparisons_stopped.get(key):
            notes.append(f"{who}: {r.comparisons_stopped[key]}")
    return Effect(value, low, high, resolved, "; ".join(notes))


def comparison_width(result: RunResult, key: str) -> float | None:
    """How wide the run's interval of the policy cost `key` is (None unless measured)."""
    found = result.headline
    return None if found.get(key) is None else found[f"{key}_high"] - found[f"{key}_low"]


def policy_target(value: float, base_value: float, base_objective: float) -> float:
    """The widest interval a run's change of a policy cost from `base_value` may have: the
    rule of the objective effects (`compare.allowed_width`), on the base run's objective."""
    return allowed_width(value - base_value, base_objective)


def width_left(target: float, other: float) -> float:
    """The widest one side of an effect's interval may be (a run's comparison, or the base
    run's): what the other side leaves of the target, and at least SHARE of it."""
    return max(target - other, SHARE * target)


def base_widths_needed(results: list[RunResult]) -> dict[str, float]:
    """By policy cost: the widest the base run's comparison may be for every run's effect
    on it to be narrow enough (the narrowest `width_left` among the effects too wide);
    absent when none is, or the base's is that narrow already. `results` the base run's
    first, then the runs solved on their own."""
    base = results[0] if results else None
    needed: dict[str, float] = {}
    for key in POLICY_COSTS:
        base_width = comparison_width(base, key) if base else None
        if base_width is None:  # not measured, or no plan
            continue
        left = []
        for r in results[1:]:
            width = comparison_width(r, key)
            if width is None:
                continue
            wanted = policy_target(r.headline[key], base.headline[key], base.minimised)
            if width + base_width > wanted:
                left.append(width_left(wanted, width))
        if left and base_width > min(left):
            needed[key] = min(left)
    return needed


def policy_columns(result: RunResult, base: RunResult | None) -> dict[str, object]:
    """The run's `<key>_effect`, `_low`, `_high`, `_resolved` and `_note` columns of the
    `runs` table for each policy cost (blank for the base run and unless both measured it)."""
    row: dict[str, object] = {}
    for key in POLICY_COSTS:
        found = policy_effect(result, base, key)
        values = (found.value, found.low, found.high, found.resolved, found.note or None) \
            if found else (None,) * 5
        names = [f"{key}_effect{tail}" for tail in ("", "_low", "_high", "_resolved", "_note")]
        row.update(zip(names, values, strict=True))
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
