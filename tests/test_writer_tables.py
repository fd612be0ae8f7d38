"""Every writer takes any table: text columns entirely blank, numbers all NaN, empty frames,
header twins. Properties of the table toolkit on random frames (hypothesis), and the tables
that once crashed a finished run: budgets whose years are all blank, stockpiles nobody
demands, a batch in which no case has an objective, a sweep whose runs all failed."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
from conftest import tiny_sheets, write_workbook
from hypothesis import given, settings
from hypothesis import strategies as st
from test_plan_writer import small_plan

from optimizer.contract.variations import BASE, Run, Variation
from optimizer.excel.batch_writer import write_summary
from optimizer.excel.output import new_workbook
from optimizer.excel.plan_writer import write_plan
from optimizer.excel.sweep_writer import write_sweep
from optimizer.excel.xlsx import (
    EXCEL_MAX_NUMBER,
    EXCEL_MAX_TEXT,
    Formats,
    write_table,
    write_table_sheet,
)
from optimizer.solving.runs import CaseResult, RunResult
from optimizer.studies.run import solve_workbook

BLANKS = [None, math.nan, "", pd.NA]
blank = st.sampled_from(BLANKS)
text = st.one_of(blank, st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12),
                 st.sampled_from(["=1+1", "http://example.org", "USA", "usa", " a "]))
number = st.one_of(st.floats(), st.integers(-10**9, 10**9).map(float))
# the plan's own column names (they pick number formats and unit comments), twins included
header = st.one_of(st.sampled_from(["year", "YEAR", "quantity", "country", "share", "cost",
                                    "material", ""]), st.text(max_size=8))


@st.composite
def series(draw: st.DrawFn, n: int) -> pd.Series:
    kind = draw(st.sampled_from(["text", "all blank", "float", "all NaN", "int", "bool",
                                 "nullable int", "string"]))
    if kind == "text":
        return pd.Series(draw(st.lists(text, min_size=n, max_size=n)), dtype=object)
    if kind == "all blank":
        return pd.Series([draw(blank)] * n, dtype=object)
    if kind == "float":
        return pd.Series(draw(st.lists(number, min_size=n, max_size=n)), dtype=float)
    if kind == "all NaN":
        return pd.Series([math.nan] * n, dtype=float)
    if kind == "int":
        return pd.Series(draw(st.lists(st.integers(-10**12, 10**12), min_size=n, max_size=n)),
                         dtype="int64")
    if kind == "bool":
        return pd.Series(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    if kind == "nullable int":
        values = st.one_of(st.none(), st.integers(-1000, 1000))
        return pd.Series(draw(st.lists(values, min_size=n, max_size=n)), dtype="Int64")
    strings = st.one_of(st.none(), st.text(st.characters(blacklist_categories=("Cs", "Cc"))))
    return pd.Series(draw(st.lists(strings, min_size=n, max_size=n)), dtype="string")


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(0, 5))
    headers = draw(st.lists(header, max_size=6))
    frame = pd.DataFrame({j: draw(series(n)) for j in range(len(headers))}, index=range(n))
    frame.columns = headers  # twins and all
    return frame


def is_blank(value: Any) -> bool:
    return value is None or value is pd.NA or value == "" or (
        isinstance(value, float) and math.isnan(value))


def check_cells(ws: Any, top: int, left: int, frame: pd.DataFrame) -> None:
    """Every cell as written: blanks blank, text as text, numbers as numbers."""
    for j in range(frame.shape[1]):
        for i, value in enumerate(frame.iloc[:, j].tolist()):
            cell = ws.cell(top + 2 + i, left + 1 + j).value
            if is_blank(value):
                assert cell is None
            elif isinstance(value, bool):
                assert cell is value
            elif isinstance(value, int | float):
                # Excel keeps 15 significant digits; inf (and beyond Excel) is the error =1/0
                if abs(value) <= EXCEL_MAX_NUMBER:
                    assert math.isclose(cell, value, rel_tol=1e-15)
                else:
                    assert str(cell).endswith("1/0")
            else:
                assert cell == str(value)[:EXCEL_MAX_TEXT]


@settings(max_examples=60)
@given(frames(), st.booleans())
def test_write_table_takes_any_frame(frame: pd.DataFrame, totals: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.xlsx"
        with new_workbook(path) as wb:
            fmt = Formats(wb)
            write_table_sheet(wb.add_worksheet("sheet"), frame, "tbl_sheet", fmt)
            # as the summary does: a table off the corner, with a totals row
            write_table(wb.add_worksheet("inset"), 2, 3, frame, "tbl_inset", fmt,
                        "total" if totals and frame.shape[1] else None)
        book = openpyxl.load_workbook(path)
    for name, top, left in (("sheet", 0, 0), ("inset", 2, 3)):
        ws = book[name]
        if frame.shape[1] == 0:
            assert not ws.tables
            continue
        (table,) = ws.tables.values()
        headers = [ws.cell(top + 1, left + 1 + j).value for j in range(frame.shape[1])]
        assert len({h.lower() for h in headers}) == frame.shape[1]  # unique, as Excel wants
        assert table.ref.startswith(f"{ws.cell(top + 1, left + 1).coordinate}:")
        check_cells(ws, top, left, frame)


@st.composite
def like(draw: st.DrawFn, column: pd.Series, n: int) -> pd.Series:
    """A column of `column`'s kind (number, flag or code), any of it blank, or all of it."""
    if draw(st.booleans()):
        return pd.Series([draw(blank)] * n, dtype=object)
    if pd.api.types.is_bool_dtype(column):
        values = st.one_of(st.none(), st.booleans())
    elif pd.api.types.is_numeric_dtype(column):
        values = st.one_of(blank, st.integers(2020, 2030), st.floats(0, 1e9))
    else:
        values = st.one_of(blank, st.sampled_from(["CHN", "JPN", "OXIDE", "baseline"]))
    return pd.Series(draw(st.lists(values, min_size=n, max_size=n)), dtype=object)


@settings(max_examples=30)
@given(st.data())
def test_write_plan_takes_any_table(data: st.DataObject) -> None:
    """The plan's tables with their own columns and kinds of values, any of them blank (codes,
    years, quantities): tables, summary and charts are written all the same."""
    plan = small_plan()
    for name, table in plan.tables.items():
        n = data.draw(st.integers(0, 4))
        content = {c: data.draw(like(table[c], n)) for c in table.columns}
        plan.tables[name] = pd.DataFrame(content, index=range(n))
    with tempfile.TemporaryDirectory() as folder:
        path = write_plan(plan, Path(folder) / "plan.xlsx")
        book = openpyxl.load_workbook(path)
    for name, table in plan.tables.items():
        check_cells(book[name], 0, 0, table)


# ---- the tables that crashed a finished run -------------------------------------------------


def test_budgets_with_every_year_blank(tmp_path: Path) -> None:
    budgets = [["country", "year", "max_capex"], ["JPN", None, 1e9]]
    source = write_workbook(tmp_path / "case.xlsx", tiny_sheets(budgets=budgets))
    result = solve_workbook(source, tmp_path / "plan.xlsx")
    assert result.output == tmp_path / "plan.xlsx"
    budgets_sheet = openpyxl.load_workbook(result.output)["budgets"]
    assert [c.value for c in budgets_sheet["B"]] == ["year", None]


def test_stockpiles_of_a_material_nobody_demands(tmp_path: Path) -> None:
    materials = [["material", "name", "stage", "unit", "shortage_cost"],
                 ["OXIDE", "Oxide", "oxide", "t", 1000], ["METAL", "Metal", "metal", "t", 1000]]
    piles = [["country", "material", "initial", "capacity"], ["JPN", "METAL", 5, 10]]
    source = write_workbook(tmp_path / "case.xlsx",
                            tiny_sheets(materials=materials, stockpiles=piles))
    result = solve_workbook(source, tmp_path / "plan.xlsx")
    stock = openpyxl.load_workbook(result.output)["stockpiles"]
    cover = [row[-1] for row in stock.iter_rows(min_row=2, values_only=True)]
    assert cover and all(c is None for c in cover)  # no demand: no days of cover


def test_batch_summary_where_no_case_has_an_objective(tmp_path: Path) -> None:
    results = [CaseResult("missing.xlsx", "invalid", 3, message="file not found"),
               CaseResult("slow.xlsx", "failed", 5, message="killed after 1 s"),
               CaseResult("stopped.xlsx", "interrupted", 130)]
    path = write_summary(results, tmp_path / "batch_summary.xlsx")
    rows = list(openpyxl.load_workbook(path)["summary"].iter_rows(min_row=2, values_only=True))
    assert [r[:4] for r in rows] == [("missing.xlsx", "invalid", 3, None),
                                     ("slow.xlsx", "failed", 5, None),
                                     ("stopped.xlsx", "interrupted", 130, None)]


def test_batch_summary_of_no_case(tmp_path: Path) -> None:
    path = write_summary([], tmp_path / "batch_summary.xlsx")
    assert len(openpyxl.load_workbook(path)["summary"].tables) == 1


def test_sweep_whose_runs_all_failed(tmp_path: Path) -> None:
    limit = Variation("x", "dependence_limits", "max_share", (), "set", (0.5,), "--vary")
    results = [RunResult(Run(BASE), "infeasible", 4, message="no plan"),
               RunResult(Run("x", ((limit, 0.5),)), "infeasible", 4, message="no plan")]
    path = write_sweep(results, tmp_path / "sweep.xlsx")
    book = openpyxl.load_workbook(path)
    runs = list(book["runs"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in runs] == [0, 1]
    assert [c.value for c in book["frontier"]["D"]][1:] == [None]  # no objective: blank


def test_sweep_of_no_finished_run(tmp_path: Path) -> None:
    path = write_sweep([], tmp_path / "sweep.xlsx")
    assert openpyxl.load_workbook(path).sheetnames == ["runs", "frontier", "tornado"]


def fit(ws: Any) -> tuple[int, int]:
    """Pages wide and tall a sheet is fitted to (1, Excel's default, is left out of the file)."""
    width, height = ws.page_setup.fitToWidth, ws.page_setup.fitToHeight
    return (1 if width is None else width, 1 if height is None else height)


def test_sweep_and_batch_sheets_print_one_page_wide(tmp_path: Path) -> None:
    """The shared table writer sets every table sheet up to print: A4 landscape, one page
    wide, the header row on every page; the sweep's frontier and tornado on one page."""
    sweep = openpyxl.load_workbook(write_sweep([], tmp_path / "sweep.xlsx"))
    batch = openpyxl.load_workbook(write_summary([], tmp_path / "batch_summary.xlsx"))
    for ws, tall in ((sweep["runs"], 0), (sweep["frontier"], 1), (sweep["tornado"], 1),
                     (batch["summary"], 0)):
        assert (ws.page_setup.orientation, ws.page_setup.paperSize) == ("landscape", 9)
        assert ws.sheet_properties.pageSetUpPr.fitToPage and fit(ws) == (1, tall)
        assert ws.print_title_rows == "$1:$1" and "&P" in ws.oddFooter.right.text
