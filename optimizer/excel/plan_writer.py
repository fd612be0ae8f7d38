"""Writing a `Plan` as the plan workbook (see DESIGN.md, "Plan workbook (output)").

Sheets: `answer` (one printed page: see `optimizer.excel.answer`), `summary`, one sheet per
plan table, `charts`, `run_info`, `chart_data` (the pivoted series the charts read; see
`optimizer.excel.plan_charts`). Everything is written to a
temporary file that replaces the target only when complete (`atomic_output`), so a failure
never leaves half a workbook and the output can never be an input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from optimizer.excel.answer import answer_page, gap_note, write_answer
from optimizer.excel.output import new_workbook, writable_target
from optimizer.excel.plan_charts import write_charts
from optimizer.excel.xlsx import (
    MONEY,
    QUANTITY,
    ColumnStyles,
    Formats,
    set_printing,
    sheet_name,
    unique_name,
    write_table,
    write_table_sheet,
    write_value,
)
from optimizer.solving.results import TABLE_UNITS, Plan, marginal_cost_per_limit

SUMMARY_FIRST = ("status", "objective", "mip_gap", "solve_seconds")
SUMMARY_MONEY = {"objective", "best_bound", "risk_adjusted_objective", "cvar", "build_capex"}
SUMMARY_FORMATS = {"mip_gap": "0.00%", "solve_seconds": "0.00",
                   **dict.fromkeys(["baseline_shortage", "expected_shortage", "worst_shortage"],
                                   QUANTITY)}
LIMIT_COLUMNS = ("consumer", "supplier", "material", "year", "max_share", "share", "binding",
                 "marginal_cost")

OWN_SHEETS = ("answer", "summary", "charts", "run_info", "chart_data")


def write_plan(plan: Plan, path: Path, inputs: Iterable[Path] = ()) -> Path:
    """Write `plan` to `path` as an .xlsx workbook, atomically; never onto an input. Return
    where it went: beside `path` when that became unusable during the solve."""
    path = writable_target(path, inputs)
    with new_workbook(path, inputs) as wb:
        _fill_workbook(wb, plan)
    return path


def _fill_workbook(wb: Workbook, plan: Plan) -> None:
    fmt = Formats(wb)
    write_answer(wb, wb.add_worksheet("answer"),
                 answer_page(plan.summary, plan.tables, plan.run_info), fmt)
    _write_summary(wb.add_worksheet("summary"), plan, fmt)
    sheet_names = {name.lower() for name in OWN_SHEETS}
    table_names = {"tbl_summary", "tbl_cost_breakdown", "tbl_limits", "tbl_run_info"}
    for name, frame in plan.tables.items():
        sheet = unique_name(sheet_name(name), sheet_names, 31)
        ws = wb.add_worksheet(sheet)
        table = unique_name("tbl_" + re.sub(r"\W", "_", sheet), table_names, 255)
        write_table_sheet(ws, frame, table, fmt, ColumnStyles(units=TABLE_UNITS.get(name, {})))
    charts = wb.add_worksheet("charts")
    run_info = wb.add_worksheet("run_info")
    chart_data = wb.add_worksheet("chart_data")
    _write_run_info(run_info, plan.run_info, fmt)
    write_charts(wb, charts, chart_data, plan.tables, fmt, plan.names)
    _set_properties(wb, plan.run_info)


# ---- cells and tables -----------------------------------------------------------------


# ---- summary and run_info ----------------------------------------------------------------


def _summary_items(summary: Mapping[str, Any]) -> list[tuple[str, Any]]:
    first = [(k, summary[k]) for k in SUMMARY_FIRST if k in summary]
    return first + [(k, v) for k, v in summary.items() if k not in SUMMARY_FIRST]


def _summary_format(key: str) -> str | None:
    if key in SUMMARY_MONEY or key.startswith(("cost_", "scenario_cost_")):
        return MONEY
    return SUMMARY_FORMATS.get(key)


def write_key_values(ws: Worksheet, items: list[tuple[str, Any]], name: str, fmt: Formats,
                     formats: Mapping[str, str | None] | None = None) -> None:
    """`items` as a two-column `key`/`value` Excel Table from A1, each value in the number
    format `formats` gives its key."""
    options = {"name": name, "columns": [{"header": "key"}, {"header": "value"}]}
    if ws.add_table(0, 0, max(len(items), 1), 1, options) != 0:
        raise ValueError(f"cannot add Excel table {name}")
    for i, (key, value) in enumerate(items, start=1):
        ws.write_string(i, 0, str(key))
        write_value(ws, i, 1, value, fmt.get((formats or {}).get(key)))
    ws.set_column(0, 0, max([len(str(k)) + 2 for k, _ in items] + [14]))
    ws.set_column(1, 1, 22)


def _write_summary(ws: Worksheet, plan: Plan, fmt: Formats) -> None:
    items = _summary_items(plan.summary)
    write_key_values(ws, items, "tbl_summary", fmt, {k: _summary_format(k) for k, _ in items})
    status = plan.summary.get("status")
    if status is not None and status != "optimal":
        ws.write_string(0, 3, gap_note(status, plan.summary.get("mip_gap")), fmt.note)
    row = 2
    breakdown = _cost_breakdown(plan.tables.get("costs"))
    if breakdown is not None:
        ws.write_string(row - 1, 3, "Expected cost by category", fmt.bold)
        row = write_table(ws, row, 3, breakdown, "tbl_cost_breakdown", fmt, "total") + 3
    limits = _limits(plan.tables.get("dependence"))
    if limits is not None:
        ws.write_string(row - 1, 3, "Dependence limits (share of supply from the supplier)",
                        fmt.bold)
        write_table(ws, row, 3, limits, "tbl_limits", fmt)
    ws.set_column(3, 3, 26)
    ws.set_column(4, 11, 13)
    set_printing(ws, pages_tall=0, header_rows=1)


def _cost_breakdown(costs: pd.DataFrame | None) -> pd.DataFrame | None:
    if costs is None or costs.empty or not {"category", "expected"} <= set(costs.columns):
        return None
    expected = pd.to_numeric(costs["expected"], errors="coerce")  # blanks may be text ""
    grouped = expected.groupby(costs["category"], sort=False).sum()
    return pd.DataFrame({"category": grouped.index, "expected cost": grouped.to_numpy()})


def _limits(dependence: pd.DataFrame | None) -> pd.DataFrame | None:
    """Baseline shares of each limit, with the marginal cost summed over scenarios."""
    if dependence is None or dependence.empty:
        return None
    baseline = _baseline(dependence).reset_index(drop=True)
    if "marginal_cost" in dependence.columns and "scenario" in dependence.columns:
        keys = [c for c in ("input_row", "year") if c in dependence.columns]
        total = marginal_cost_per_limit(dependence)
        baseline["marginal_cost"] = [total.get(tuple(k)) for k in
                                     baseline[keys].itertuples(index=False)]
    return baseline[[c for c in LIMIT_COLUMNS if c in baseline.columns]]


def _baseline(frame: pd.DataFrame) -> pd.DataFrame:
    if "scenario" not in frame.columns:
        return frame
    return frame[frame["scenario"] == "baseline"]


def _flatten(info: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Nested settings become `settings.first_year` rows: one key, one value per row."""
    for key, value in info.items():
        if isinstance(value, Mapping):
            yield from _flatten(value, f"{prefix}{key}.")
        elif isinstance(value, list | tuple | set | frozenset):
            yield f"{prefix}{key}", ", ".join(map(str, value))
        else:
            yield f"{prefix}{key}", value


def _write_run_info(ws: Worksheet, run_info: Mapping[str, Any], fmt: Formats) -> None:
    write_key_values(ws, list(_flatten(run_info)), "tbl_run_info", fmt)
    ws.set_column(1, 1, 60)
    ws.freeze_panes(1, 0)
    set_printing(ws, pages_tall=0, header_rows=1)


def _set_properties(wb: Workbook, run_info: Mapping[str, Any]) -> None:
    wb.set_properties({"title": "Supply-chain plan", "comments": "written by optimizer"})
    sha = run_info.get("input_sha256")
    if sha:
        # A custom property lets anyone check which input a plan came from without opening it.
        wb.set_custom_property("input_sha256", str(sha), "text")
