"""One status vocabulary: a failure is labelled with the same word and exit code in a batch
summary as in a sweep's runs sheet, because both take it from the exception's class."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import tiny_sheets, write_workbook

from optimizer.errors import (
    InfeasibleError,
    InputError,
    OptimizerError,
    OutputError,
    SolverError,
    Status,
    TimeLimitNoPlanError,
    UsageError,
)
from optimizer.studies.batch import SUMMARY_NAME, run_batch
from optimizer.studies.sweep import sweep_workbook

SWEEP_HEADER = ["sweep", "sheet", "column", "where", "mode", "values"]
# A 365-day cover (100 t) above the stockpile's capacity (50 t): infeasible
COVER = [["country", "material", "initial", "capacity", "min_cover_days"],
         ["JPN", "OXIDE", 0, 50, 365]]
# China's price (10) scaled by 1e8 by two rows of one grid (one names the row by country,
# one by material): 1e17, above the 1e15 every cell allows
GRID = [SWEEP_HEADER, ["big", "supply", "price", "country=CHN", "scale", "1e8"],
        ["big", "supply", "price", "country=CHN; material=OXIDE", "scale", "1e8"]]
HUGE_PRICE = [["country", "material", "year", "max_quantity", "price"],
              ["CHN", "OXIDE", None, None, 1e17], ["AUS", "OXIDE", None, None, 20]]


def _batch_row(tmp_path: Path, case: Path) -> dict:
    run_batch([case], tmp_path / "batch")
    table = pd.read_excel(tmp_path / "batch" / SUMMARY_NAME, engine="calamine")
    return table.iloc[0].to_dict()


def _sweep_rows(tmp_path: Path, case: Path) -> pd.DataFrame:
    _, written = sweep_workbook(case, tmp_path / "sweep.xlsx")
    return pd.read_excel(written, sheet_name="runs", engine="calamine")


def test_an_infeasible_case_has_one_status_in_batch_and_sweep(tmp_path: Path) -> None:
    sweeps = [SWEEP_HEADER, ["price", "supply", "price", "", "scale", "2"]]
    case = write_workbook(tmp_path / "infeasible.xlsx",
                          tiny_sheets(stockpiles=COVER, sweeps=sweeps))
    row = _batch_row(tmp_path, case)
    runs = _sweep_rows(tmp_path, case)
    assert row["status"] == "infeasible" and row["exit_code"] == 4
    assert list(runs["status"]) == ["infeasible"] * 2 and list(runs["exit_code"]) == [4, 4]


def test_an_invalid_case_has_one_status_in_batch_and_sweep(tmp_path: Path) -> None:
    """The sweep's grid run makes the very input the batch's workbook holds."""
    case = write_workbook(tmp_path / "grid.xlsx", tiny_sheets(sweeps=GRID))
    huge = write_workbook(tmp_path / "huge.xlsx", tiny_sheets(supply=HUGE_PRICE))
    row = _batch_row(tmp_path, huge)
    runs = _sweep_rows(tmp_path, case)
    assert row["status"] == "invalid" and row["exit_code"] == 3
    assert list(runs["status"]) == ["optimal", "invalid"]
    assert list(runs["exit_code"]) == [0, 3]


@pytest.mark.parametrize(("error", "status", "code"), [
    (InputError([]), Status.INVALID, 3), (UsageError("x"), Status.USAGE_ERROR, 2),
    (InfeasibleError("x"), Status.INFEASIBLE, 4),
    (TimeLimitNoPlanError("x"), Status.TIME_LIMIT, 5),
    (OutputError("x"), Status.OUTPUT_ERROR, 7), (SolverError("x"), Status.ERROR, 1)])
def test_each_error_carries_its_status_and_exit_code(error: OptimizerError, status: Status,
                                                     code: int) -> None:
    assert (error.status, int(error.exit_code)) == (status, code)
