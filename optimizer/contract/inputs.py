"""A validated workbook, as every later stage receives it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.contract.schema import Issue

ROW = "row"  # column holding each record's Excel row


@dataclass
class Inputs:
    """A validated workbook: typed settings and one typed table per contract sheet.

    Blank cells hold their defaults; "every year", "whole horizon" and "all materials" are None
    and "unlimited" is +inf. Each table has a `row` column with the row Excel shows.
    """

    path: Path
    settings: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    warnings: list[Issue]
    sha256: str = ""  # of the bytes read: a plan names its input even if the file changes
