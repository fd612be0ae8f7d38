"""Writing plain rows as a contract workbook (for examples, benchmarks and generators)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import xlsxwriter


def write_sheets(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    """Write rows (the first row the header) to an .xlsx, one sheet per entry; None is blank."""
    wb = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    ws.write(r, c, value)
        ws.freeze_panes(1, 0)
    wb.close()
    return Path(path)
