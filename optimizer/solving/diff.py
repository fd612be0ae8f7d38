"""What changed between two plans: builds added, removed or moved in time, expected cost by
category, each dependence limit's share, shortage over the horizon, and the comparisons'
results. Pure functions of the two plans' summaries and tables (plan A is the reference: every
difference is B minus A)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import pandas as pd

from models.terms import COST_CATEGORIES
from optimizer.solving.compare import MEASURES
from optimizer.solving.results import Plan


class Kind(StrEnum):
    """How a plan column is read back: as it is (text), a number, a year or a truth value."""

    TEXT = "text"
    NUMBER = "number"
    YEAR = "year"
    FLAG = "flag"


# The plan tables a diff reads, with the columns it needs from each.
PLAN_TABLES: dict[str, dict[str, Kind]] = {
    "builds": {"site": Kind.TEXT, "technology": Kind.TEXT, "option": Kind.TEXT,
               "country": Kind.TEXT, "year": Kind.YEAR, "online_from": Kind.YEAR,
               "capex": Kind.NUMBER},
    "costs": {"category": Kind.TEXT, "expected": Kind.NUMBER},
    "dependence": {"scenario": Kind.TEXT, "consumer": Kind.TEXT, "supplier": Kind.TEXT,
                   "material": Kind.TEXT, "year": Kind.YEAR, "max_share": Kind.NUMBER,
                   "share": Kind.NUMBER, "binding": Kind.FLAG},
    "shortages": {"scenario": Kind.TEXT, "country": Kind.TEXT, "material": Kind.TEXT,
                  "shortage": Kind.NUMBER},
}
# Key/value sheets, with the keys a diff needs: the summary and where the plan came from.
PLAN_KEY_VALUES: dict[str, tuple[str, ...]] = {"summary": ("objective",), "run_info": ()}

ADDED, REMOVED, MOVED = "added", "removed", "moved"
WITHIN_GAPS = "within the plans' gaps"
LISTED = 10  # builds printed per change; the rest are counted

BUILD_KEY = ["site", "technology", "option"]
SHARE_KEY = ["consumer", "supplier", "material", "year", "scenario"]
SHORTAGE_KEY = ["scenario", "country", "material"]
BUILD_COLUMNS = ["change", *BUILD_KEY, "country", "year_a", "year_b", "online_from_a",
                 "online_from_b", "capex"]
COST_COLUMNS = ["category", "expected_a", "expected_b", "difference", "note"]
SHARE_COLUMNS = [*SHARE_KEY, "max_share_a", "max_share_b", "share_a", "share_b", "difference",
                 "binding_a", "binding_b"]
SHORTAGE_COLUMNS = [*SHORTAGE_KEY, "shortage_a", "shortage_b", "difference"]
COMPARISON_COLUMNS = ["key", "value_a", "value_b", "difference"]


@dataclass
class PlanDiff:
    """The diff's `summary` (key -> value) and its tables: `builds`, `costs`, `shares`,
    `shortages` and `comparisons`; `path`: where its workbook was written, if it was."""

    summary: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    path: Path | None = None


def compare_plans(a: Plan, b: Plan, names: tuple[str, str]) -> PlanDiff:
    """What changed from plan `a` to plan `b` (`names`: how each is called, e.g. its file)."""
    gaps = absolute_gap(a.summary), absolute_gap(b.summary)
    tables = {
        "builds": build_changes(a.tables["builds"], b.tables["builds"]),
        "costs": cost_changes(a, b, sum(gaps)),
        "shares": share_changes(a.tables["dependence"], b.tables["dependence"]),
        "shortages": shortage_changes(a.tables["shortages"], b.tables["shortages"]),
        "comparisons": comparison_changes(a.summary, b.summary),
    }
    return PlanDiff(_summary(a, b, names, gaps, tables), tables)


def absolute_gap(summary: dict[str, Any]) -> float:
    """How far the plan may be from its optimum, in currency: its minimised objective
    (risk-adjusted under cvar) less its best bound, else its relative gap of the objective."""
    minimised = _number(summary.get("risk_adjusted_objective", summary.get("objective")))
    bound = _number(summary.get("best_bound"))
    if minimised is None:
        return 0.0
    if bound is not None:
        return max(minimised - bound, 0.0)
    return abs(minimised) * (_number(summary.get("mip_gap")) or 0.0)


def _number(value: Any) -> float | None:
    """`value` as a float; None when blank or not a number."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def gap_note(difference: float | None, gaps: float) -> str | None:
    """A difference the two plans' gaps could account for (its sign is then not known)."""
    if difference is None or difference == 0 or abs(difference) >= gaps:
        return None
    return WITHIN_GAPS


def build_changes(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Builds of (site, technology, option) only in B (added), only in A (removed), or in
    both but decided or online in another year (moved); unchanged builds are left out. Another
    option at a site is another build: the old one removed, the new one added."""
    merged = _keyed(a, BUILD_KEY).merge(_keyed(b, BUILD_KEY), how="outer", on=BUILD_KEY,
                                        suffixes=("_a", "_b"), indicator=True)
    change = merged["_merge"].astype(str).map({"right_only": ADDED, "left_only": REMOVED,
                                                "both": MOVED})
    in_both = merged["_merge"] == "both"
    moved = (merged["year_a"] != merged["year_b"]) | \
        (merged["online_from_a"] != merged["online_from_b"])
    merged = merged.assign(change=change, country=merged["country_b"].fillna(
        merged["country_a"]), capex=merged["capex_b"].fillna(merged["capex_a"]))
    merged = merged[~in_both | moved.fillna(False)]
    order = merged["change"].map({ADDED: 0, REMOVED: 1, MOVED: 2})
    return merged.assign(order=order).sort_values(["order", *BUILD_KEY])[BUILD_COLUMNS] \
        .reset_index(drop=True)


def _keyed(frame: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """`frame` with blank key cells as "" (a blank never matches a blank in a merge)."""
    return frame.assign(**{k: frame[k].fillna("").astype(str) for k in key})


def cost_changes(a: Plan, b: Plan, gaps: float) -> pd.DataFrame:
    """Expected cost per category in each plan, then the objective, with B - A and a note on
    a difference the two plans' gaps (`gaps`, together) could account for."""
    by_category = [_costs_by_category(p.tables["costs"]) for p in (a, b)]
    categories = [c for c in COST_CATEGORIES if c in by_category[0] or c in by_category[1]]
    categories += sorted((set(by_category[0]) | set(by_category[1])) - set(categories))
    rows = [(c, by_category[0].get(c, 0.0), by_category[1].get(c, 0.0)) for c in categories]
    rows.append(("objective", _number(a.summary.get("objective")),
                 _number(b.summary.get("objective"))))
    if "risk_adjusted_objective" in a.summary or "risk_adjusted_objective" in b.summary:
        rows.append(("risk_adjusted_objective", _number(a.summary.get("risk_adjusted_objective")),
                     _number(b.summary.get("risk_adjusted_objective"))))
    records = []
    for category, cost_a, cost_b in rows:
        difference = _difference(cost_a, cost_b)
        records.append((category, cost_a, cost_b, difference, gap_note(difference, gaps)))
    return pd.DataFrame(records, columns=COST_COLUMNS)


def _costs_by_category(costs: pd.DataFrame) -> dict[str, float]:
    return costs.groupby("category", sort=False)["expected"].sum().to_dict()


def _difference(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else b - a


def share_changes(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Each limit row's share in each plan (per consumer, supplier, material, year and
    scenario), B - A, and whether it binds in each. Where limit rows overlap, the smallest
    `max_share` is the one that holds."""
    merged = _limit_rows(a).merge(_limit_rows(b), how="outer", on=SHARE_KEY,
                                  suffixes=("_a", "_b"))
    merged["difference"] = merged["share_b"] - merged["share_a"]
    return merged[SHARE_COLUMNS].reset_index(drop=True)


def _limit_rows(dependence: pd.DataFrame) -> pd.DataFrame:
    columns = [*SHARE_KEY, "max_share", "share", "binding"]
    return dependence[columns].sort_values("max_share", kind="stable") \
        .drop_duplicates(SHARE_KEY)


def shortage_changes(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Unmet demand over the horizon per scenario, country and material in each plan, and
    B - A. A plan with the scenario but no row for the country and material leaves none
    unmet; a plan without the scenario is blank."""
    totals = [s.groupby(SHORTAGE_KEY, as_index=False)["shortage"].sum() for s in (a, b)]
    merged = totals[0].merge(totals[1], how="outer", on=SHORTAGE_KEY, suffixes=("_a", "_b"))
    for side, source in (("a", a), ("b", b)):
        has_scenario = merged["scenario"].isin(set(source["scenario"]))
        column = f"shortage_{side}"
        merged[column] = merged[column].where(~has_scenario | merged[column].notna(), 0.0)
    merged["difference"] = merged["shortage_b"] - merged["shortage_a"]
    return merged[SHORTAGE_COLUMNS].reset_index(drop=True)


def comparison_changes(a: dict[str, Any], b: dict[str, Any]) -> pd.DataFrame:
    """What the limits cost and the stockpiles are worth (with their intervals and whether
    each is resolved) in each plan that measured them, and B - A."""
    rows = []
    for _, _, measure in MEASURES.values():
        for key in (measure, f"{measure}_low", f"{measure}_high", f"{measure}_resolved"):
            if key in a or key in b:
                value_a, value_b = a.get(key), b.get(key)
                numeric = not key.endswith("_resolved")
                difference = _difference(_number(value_a), _number(value_b)) if numeric \
                    else None
                rows.append((key, value_a, value_b, difference))
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


def _summary(a: Plan, b: Plan, names: tuple[str, str], gaps: tuple[float, float],
             tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    objectives = _number(a.summary.get("objective")), _number(b.summary.get("objective"))
    capex = _number(a.summary.get("build_capex")), _number(b.summary.get("build_capex"))
    counts = tables["builds"]["change"].value_counts()
    difference = _difference(*objectives)
    return {
        "plan_a": names[0], "plan_b": names[1],
        "input_file_a": a.run_info.get("input_file"),
        "input_sha256_a": a.run_info.get("input_sha256"),
        "input_file_b": b.run_info.get("input_file"),
        "input_sha256_b": b.run_info.get("input_sha256"),
        "same_input": _same(a.run_info.get("input_sha256"), b.run_info.get("input_sha256")),
        "status_a": a.summary.get("status"), "status_b": b.summary.get("status"),
        "currency": a.summary.get("currency") or b.summary.get("currency"),
        "objective_a": objectives[0], "objective_b": objectives[1],
        "objective_difference": difference,
        "objective_note": gap_note(difference, sum(gaps)),
        "gap_a": gaps[0], "gap_b": gaps[1],
        **{f"builds_{change}": int(counts.get(change, 0)) for change in (ADDED, REMOVED, MOVED)},
        "build_capex_a": capex[0], "build_capex_b": capex[1],
        "build_capex_difference": _difference(*capex),
    }


def _same(a: Any, b: Any) -> bool | None:
    """Whether two recorded values agree; blank when either plan does not record it."""
    return None if a is None or b is None else a == b


def summary_lines(diff: PlanDiff) -> list[str]:
    """What `optimizer diff` prints: both objectives and their difference, then the builds
    added, removed and moved, at most LISTED of each."""
    s = diff.summary
    currency = s.get("currency") or ""
    lines = [f"objective A: {_money(s['objective_a'])} {currency} ({s['plan_a']})",
             f"objective B: {_money(s['objective_b'])} {currency} ({s['plan_b']})",
             *_input_note(s),
             f"difference (B - A): {_money(s['objective_difference'], '+,.2f')} {currency}"
             + (f" ({s['objective_note']})" if s["objective_note"] else "")]
    builds = diff.tables["builds"]
    for change in (ADDED, REMOVED, MOVED):
        rows = builds[builds["change"] == change]
        lines.append(f"builds {change}: {len(rows)}")
        lines += [f"  {_build_text(row)}" for row in rows.head(LISTED).itertuples()]
        if len(rows) > LISTED:
            lines.append(f"  ... and {len(rows) - LISTED} more")
    return lines


def _input_note(s: dict[str, Any]) -> list[str]:
    """A line when the plans were solved from different inputs (none when both record the
    same input, or either records none)."""
    if s["same_input"] is not False:
        return []
    a, b = s["input_file_a"], s["input_file_b"]
    if a != b:
        return [f"note: the plans come from different inputs: A from {a}, B from {b}"]
    return [f"note: the plans come from different inputs: {a} changed between them "
            f"(SHA-256 {s['input_sha256_a'][:12]} and {s['input_sha256_b'][:12]})"]


def _money(value: float | None, spec: str = ",.2f") -> str:
    return "-" if value is None else format(value, spec)


def _build_text(row: Any) -> str:
    """One build: what and where, when (A -> B for a move) and its capex."""
    option = f" ({row.option})" if row.option not in ("", "default") else ""
    what = f"{row.site} {row.technology}{option} in {row.country}"
    if row.change == MOVED:
        when = f"decided {_year(row.year_a)} -> {_year(row.year_b)}, online " \
               f"{_year(row.online_from_a)} -> {_year(row.online_from_b)}"
    else:
        side = "b" if row.change == ADDED else "a"
        when = f"decided {_year(getattr(row, f'year_{side}'))}, online " \
               f"{_year(getattr(row, f'online_from_{side}'))}"
    return f"{what}: {when}, capex {_money(_number(row.capex), ',.0f')}"


def _year(value: Any) -> str:
    return "-" if value is None or pd.isna(value) else str(int(value))
