"""A plan's headline: the few numbers analysts compare across the runs of a sweep and the
cases of a batch. Both tables take their columns from here, so their summaries compare."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from optimizer.solving.results import marginal_cost_per_limit

BUILT_MAX_CHARS = 120  # one readable cell; the count says how many more were left out


@dataclass(frozen=True)
class HeadlineColumn:
    kind: str  # money, tonnes, count, flag or text: how the writers format it
    unit: str
    meaning: str


def _interval(measure: str, what: str) -> dict[str, HeadlineColumn]:
    money = "currency (discounted)"
    return {
        measure: HeadlineColumn("money", money, f"{what}, on the minimised objective (blank "
                                "when `compare` does not ask for it, a sweep's `--compare` "
                                "included, and when it is skipped)"),
        f"{measure}_low": HeadlineColumn("money", money, "lower end of its interval"),
        f"{measure}_high": HeadlineColumn("money", money, "upper end of its interval"),
        f"{measure}_resolved": HeadlineColumn("flag", "", "true when the interval excludes 0"),
    }


HEADLINE: dict[str, HeadlineColumn] = {
    **_interval("limits_cost", "what the dependence limits cost"),
    **_interval("stockpiles_worth", "what the stockpiles are worth"),
    "builds": HeadlineColumn("count", "", "number of builds"),
    "build_capex": HeadlineColumn("money", "currency", "their overnight capex"),
    "built": HeadlineColumn("text", "", "what is built: country, technology and first year "
                            "online, earliest first, twins counted (`x2`); past "
                            f"{BUILT_MAX_CHARS} characters the rest is counted (`+3 more`)"),
    "baseline_shortage": HeadlineColumn("tonnes", "t over the horizon",
                                        "unmet demand in the baseline"),
    "expected_shortage": HeadlineColumn("tonnes", "t over the horizon",
                                        "unmet demand, expected over the scenarios"),
    "worst_shortage": HeadlineColumn("tonnes", "t over the horizon",
                                     "unmet demand in the scenario that leaves the most"),
    "limits_binding": HeadlineColumn("count", "",
                                     "dependence limits binding in the baseline (row-years)"),
    "max_marginal_cost": HeadlineColumn(
        "money", "currency per percentage point (discounted, expected)",
        "the largest saving from loosening one limit row by a point in one year"),
}
HEADLINE_COLUMNS = list(HEADLINE)
HEADLINE_UNITS = {name: c.unit for name, c in HEADLINE.items() if c.unit}
FROM_SUMMARY = [c for c in HEADLINE_COLUMNS if c not in ("built", "max_marginal_cost")]


def headline(summary: Mapping[str, Any], tables: Mapping[str, pd.DataFrame]) -> dict[str, Any]:
    """The headline of a plan from its summary and tables: plain Python values (a run's
    result travels between processes), None where the plan does not say."""
    row = {key: _plain(summary.get(key)) for key in FROM_SUMMARY}
    row["built"] = built_text(tables.get("builds"))
    row["max_marginal_cost"] = largest_marginal_cost(tables.get("dependence"))
    return {key: row[key] for key in HEADLINE_COLUMNS}


def _plain(value: Any) -> Any:
    """numpy scalars as Python ones, so the headline pickles small and compares plainly."""
    return value.item() if hasattr(value, "item") else value


def built_text(builds: pd.DataFrame | None, limit: int = BUILT_MAX_CHARS) -> str | None:
    """"JPN MAGNET 2028; USA SEP 2029 (x2); +3 more": each build's country, technology and
    first year online, earliest first, twins counted; the builds that would take the text
    past `limit` characters are counted instead (the first build always shows)."""
    if builds is None:
        return None
    if builds.empty:
        return "none"
    keys = builds[["online_from", "country", "technology"]].itertuples(index=False)
    counted = Counter((int(year), str(country), str(tech)) for year, country, tech in keys)
    parts = [f"{country} {tech} {year}" + (f" (x{n})" if n > 1 else "")
             for (year, country, tech), n in sorted(counted.items())]
    text = ""
    for shown, part in enumerate(parts):
        rest = len(parts) - shown - 1
        candidate = f"{text}; {part}" if text else part
        if len(candidate) + (len(f"; +{rest} more") if rest else 0) > limit and text:
            return f"{text}; +{len(parts) - shown} more"
        text = candidate
    return text


def largest_marginal_cost(dependence: pd.DataFrame | None) -> float | None:
    """The largest marginal cost of a limit row in a year (summed over scenarios); None
    without limits or marginal costs."""
    if dependence is None or dependence.empty or "marginal_cost" not in dependence:
        return None
    largest = marginal_cost_per_limit(dependence).max()
    return None if pd.isna(largest) else float(largest)
