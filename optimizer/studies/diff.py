"""Comparing two plan workbooks: read both, compare them, write the diff workbook."""

from __future__ import annotations

from pathlib import Path

from optimizer.excel.diff_writer import write_diff
from optimizer.excel.output import check_output_path
from optimizer.excel.plan_reader import read_plan
from optimizer.solving.diff import PlanDiff, compare_plans


def diff_workbooks(plan_a: Path, plan_b: Path,
                   output: Path | None = None) -> tuple[PlanDiff, Path | None]:
    """What changed from `plan_a` to `plan_b`, and where its workbook went (with `output`:
    checked before anything is read, never either plan)."""
    plans = [Path(plan_a), Path(plan_b)]
    if output is not None:
        check_output_path(output, plans)
    diff = compare_plans(read_plan(plans[0]), read_plan(plans[1]),
                         (str(plans[0]), str(plans[1])))
    written = write_diff(diff, output, plans) if output is not None else None
    return diff, written
