"""DIR/batch_summary.xlsx: one row per input (status, exit code, objective, gap, the plan's
headline, seconds, message, plan) and a chart of each solved case's objective."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import xlsxwriter

from optimizer.excel.output import new_workbook, writable_target
from optimizer.excel.plan_writer import Formats, write_table_sheet
from optimizer.solving.headline import HEADLINE_COLUMNS
from optimizer.solving.runs import CaseResult

COLUMNS = ["input", "status", "exit_code", "objective", "mip_gap", *HEADLINE_COLUMNS,
           "seconds", "message", "plan"]


def write_summary(results: list[CaseResult], path: Path, inputs: Iterable[Path] = ()) -> Path:
    """Write the summary; return where it went (beside `path` when that became unusable
    during the batch)."""
    frame = pd.DataFrame([r.row() for r in results], columns=COLUMNS)
    path = writable_target(path, inputs)
    with new_workbook(path, inputs) as wb:
        ws = wb.add_worksheet("summary")
        write_table_sheet(ws, frame, "tbl_batch", Formats(wb))
        if frame["objective"].notna().any():
            ws.insert_chart(len(frame) + 3, 0, _objective_chart(wb, len(frame)))
    return path


def _objective_chart(wb: xlsxwriter.Workbook, n: int):
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"name": "objective", "categories": ["summary", 1, 0, n, 0],
                      "values": ["summary", 1, 3, n, 3]})
    chart.set_title({"name": "Total discounted expected cost per input"})
    chart.set_y_axis({"name": "objective", "num_format": "#,##0"})
    chart.set_x_axis({"name": "input"})
    chart.set_legend({"none": True})
    chart.set_size({"width": 720, "height": 360})
    return chart
