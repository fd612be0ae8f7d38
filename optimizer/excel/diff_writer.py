"""The diff workbook of two plans: `summary` (which plans, how many builds changed, the
objectives and their difference), then `builds`, `costs`, `shares`, `shortages` and
`comparisons` (see `optimizer.solving.diff`), each an Excel Table in the plan's formats."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from optimizer.excel.output import new_workbook, writable_target
from optimizer.excel.plan_writer import write_key_values
from optimizer.excel.xlsx import (
    MONEY,
    QUANTITY,
    SHARE,
    YEAR,
    ColumnStyles,
    Formats,
    set_printing,
    write_table_sheet,
)
from optimizer.solving.diff import PlanDiff


def _styles(columns: list[str], number_format: str, unit: str) -> ColumnStyles:
    return ColumnStyles(dict.fromkeys(columns, number_format), dict.fromkeys(columns, unit))


# Each table's own columns (A's value, B's, and B - A) in the plan's formats and units.
STYLES = {
    "builds": _styles(["year_a", "year_b", "online_from_a", "online_from_b"], YEAR, "year"),
    "costs": _styles(["expected_a", "expected_b", "difference"], MONEY,
                     "currency (discounted, probability-weighted)"),
    "shares": _styles(["max_share_a", "max_share_b", "share_a", "share_b", "difference"],
                      SHARE, "fraction"),
    "shortages": _styles(["shortage_a", "shortage_b", "difference"], QUANTITY,
                         "t over the horizon"),
    "comparisons": _styles(["value_a", "value_b", "difference"], MONEY,
                           "currency (discounted)"),
}
SUMMARY_MONEY = ("objective_a", "objective_b", "objective_difference", "gap_a", "gap_b",
                 "build_capex_a", "build_capex_b", "build_capex_difference")


def write_diff(diff: PlanDiff, path: Path, inputs: Iterable[Path] = ()) -> Path:
    """Write the diff workbook, atomically and never onto either plan; return where it went
    (beside `path` when that became unusable meanwhile)."""
    inputs = list(inputs)
    path = writable_target(path, inputs)
    with new_workbook(path, inputs) as wb:
        fmt = Formats(wb)
        summary = wb.add_worksheet("summary")
        write_key_values(summary, list(diff.summary.items()), "tbl_summary", fmt,
                         dict.fromkeys(SUMMARY_MONEY, MONEY))
        summary.set_column(1, 1, 66)  # room for a SHA-256
        set_printing(summary, pages_tall=0, header_rows=1)
        for name, frame in diff.tables.items():
            write_table_sheet(wb.add_worksheet(name), frame, f"tbl_{name}", fmt,
                              STYLES.get(name))
    return path
