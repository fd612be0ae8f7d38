"""`optimizer validate` on malformed workbooks.

Every case starts from the tiny valid case in conftest and breaks one thing. The real CLI runs in
a subprocess, as a user would run it. Each broken workbook must give exit code 3 and a message in
the contract's form `sheet 'supply', row 3, column 'price': ...`, where the row is the one Excel
shows (header on row 1, first data row on row 2, unless the header is lower). There must be no
traceback, and the input file must be left byte for byte as it was. Cases the reader should
accept (stray spaces in headers, '1,200', '45%', the country code NA) must give exit 0.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import Rows, run_cli, sha256, tiny_sheets, write_workbook

Sheets = dict[str, Rows]


# ---------------------------------------------------------------------------------------------
# Building broken workbooks


class AfterWrite:
    """An edit made with openpyxl on the saved workbook (error cells, formulas, merges)."""

    def __init__(self, fn: Callable[[openpyxl.Workbook], None]):
        self.fn = fn


Edit = Callable[[Sheets], None] | AfterWrite


def cell(sheet: str, row: int, column: str, value: Any) -> Edit:
    """Set the cell that Excel shows at `row` under the header `column` (header on row 1)."""

    def apply(sheets: Sheets) -> None:
        rows = sheets[sheet]
        rows[row - 1][rows[0].index(column)] = value

    return apply


def add(sheet: str, *rows: list[Any]) -> Edit:
    """Append rows to a sheet."""

    def apply(sheets: Sheets) -> None:
        sheets[sheet].extend([list(r) for r in rows])

    return apply


def put(sheet: str, rows: Rows | None) -> Edit:
    """Replace a whole sheet (None removes it)."""

    def apply(sheets: Sheets) -> None:
        if rows is None:
            sheets.pop(sheet, None)
        else:
            sheets[sheet] = [list(r) for r in rows]

    return apply


def setting(key: str, value: Any) -> Edit:
    """Set a setting's value, adding its row if it is not there yet."""

    def apply(sheets: Sheets) -> None:
        rows = sheets["settings"]
        for row in rows[1:]:
            if row[0] == key:
                row[1] = value
                return
        rows.append([key, value])

    return apply


def drop_setting(key: str) -> Edit:
    def apply(sheets: Sheets) -> None:
        sheets["settings"] = [r for r in sheets["settings"] if r[0] != key]

    return apply


def error_cell(sheet: str, ref: str, error: str) -> AfterWrite:
    """An Excel error value (#REF!, #DIV/0!, ...) stored as an error cell, as Excel stores it."""

    def apply(wb: openpyxl.Workbook) -> None:
        c = wb[sheet][ref]
        c.value = error
        c.data_type = "e"

    return AfterWrite(apply)


def formula(sheet: str, ref: str, text: str) -> AfterWrite:
    """A formula; openpyxl writes it without a cached value, as a script would."""

    def apply(wb: openpyxl.Workbook) -> None:
        wb[sheet][ref] = text

    return AfterWrite(apply)


def merge(sheet: str, cells: str) -> AfterWrite:
    def apply(wb: openpyxl.Workbook) -> None:
        wb[sheet].merge_cells(cells)

    return AfterWrite(apply)


def build(path: Path, *edits: Edit) -> Path:
    sheets = tiny_sheets()
    for edit in edits:
        if not isinstance(edit, AfterWrite):
            edit(sheets)
    write_workbook(path, sheets)
    later = [e for e in edits if isinstance(e, AfterWrite)]
    if later:
        wb = openpyxl.load_workbook(path)
        for edit in later:
            edit.fn(wb)
        wb.save(path)
    return path


# Sheets the tiny case leaves out, filled with one valid row, to break in the cases below.
SCENARIOS = [["scenario", "probability", "description"], ["embargo", 0.2, "China cuts exports"]]
DISRUPTIONS = [["scenario", "supplier", "material", "from_year", "to_year", "cut"],
               ["embargo", "CHINA", "OXIDE", 2027, None, 1]]
LIMITS = [["consumer", "supplier", "material", "year", "max_share"],
          ["JPN", "CHINA", "OXIDE", None, 0.5]]
STOCKPILES = [["country", "material", "initial", "capacity", "holding_cost", "min_cover_days",
               "max_release"], ["JPN", "OXIDE", 10, 50, 1, 0, None]]
SITES = [["site", "technology", "option", "country", "capacity", "capex", "fixed_om",
          "variable_cost", "lead_time", "lifetime", "earliest_year", "latest_year"],
         ["Osaka", "SEP", None, "JPN", 50, 1000, 0, 0, 0, 20, None, None]]
PLANTS = [["plant", "technology", "country", "capacity", "fixed_om", "variable_cost",
           "first_year", "last_year"], ["Baotou", "SEP", "CHN", 100, 0, 0, None, None]]
SWEEPS = [["sweep", "sheet", "column", "where", "mode", "values"],
          ["price", "supply", "price", "country=CHN", "scale", "1,2"]]


# ---------------------------------------------------------------------------------------------
# Running the CLI


def validate(path: Path, expect: int) -> str:
    """Run `optimizer validate PATH`; check the exit code, no traceback, the input unchanged."""
    before = sha256(path)
    result = run_cli("validate", str(path))
    out = result.stdout + result.stderr
    assert "Traceback" not in out, out
    assert sha256(path) == before, "validate modified its input"
    assert result.returncode == expect, f"exit {result.returncode}, expected {expect}:\n{out}"
    return out


def where(sheet: str, row: int | None = None, column: str | None = None) -> str:
    """The location prefix of a message, as the contract spells it."""
    parts = [f"sheet '{sheet}'"]
    if row is not None:
        parts.append(f"row {row}")
    if column is not None:
        parts.append(f"column '{column}'")
    return ", ".join(parts) + ": "


def lines_at(out: str, sheet: str, row: int | None, column: str | None,
             level: str = "error") -> list[str]:
    prefix = f"{level}: {where(sheet, row, column)}"
    return [line for line in out.splitlines() if line.startswith(prefix)]


def assert_reported(out: str, sheet: str, row: int | None, column: str | None, says: str,
                    level: str = "error") -> None:
    found = lines_at(out, sheet, row, column, level)
    assert found, f"no {level} at {where(sheet, row, column)!r} in:\n{out}"
    assert any(says in line for line in found), f"{says!r} not in {found}"


def error_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("error: ")]


# ---------------------------------------------------------------------------------------------
# One broken thing => exit 3, named by sheet, Excel row and column


BROKEN = [
    # cells of the wrong kind
    pytest.param([cell("supply", 3, "price", "n/a")],
                 ("supply", 3, "price", "expected a number >= 0, got 'n/a'"),
                 id="text-in-number-column"),
    pytest.param([cell("demand", 2, "quantity", "12 t")],
                 ("demand", 2, "quantity", "got '12 t'"), id="number-with-unit-text"),
    pytest.param([cell("demand", 2, "quantity", dt.datetime(2026, 3, 1))],
                 ("demand", 2, "quantity", "expected a number"), id="date-in-number-column"),
    pytest.param([cell("supply", 2, "year", 2027.5)],
                 ("supply", 2, "year", "expected a year (whole number), got 2027.5"),
                 id="year-not-whole"),
    pytest.param([cell("supply", 3, "year", "next year")],
                 ("supply", 3, "year", "got 'next year'"), id="year-as-words"),
    pytest.param([cell("demand", 2, "quantity", 1e16)],
                 ("demand", 2, "quantity", "expected a number >= 0 and below 1e15, got 1e+16"),
                 id="number-too-large-1e16"),
    pytest.param([cell("demand", 2, "quantity", "1e15")],
                 ("demand", 2, "quantity", "expected a number >= 0 and below 1e15, got '1e15'"),
                 id="number-at-the-limit-1e15"),
    pytest.param([cell("supply", 2, "price", 1e300)],
                 ("supply", 2, "price", "expected a number >= 0 and below 1e15, got 1e+300"),
                 id="number-1e300-names-the-bound"),
    pytest.param([cell("supply", 2, "year", 1e300)],
                 ("supply", 2, "year", "expected a year (whole number) from 1900 to 2300, got "
                                       "1e+300"), id="year-1e300-names-the-range"),
    pytest.param([cell("supply", 2, "year", 2500)],
                 ("supply", 2, "year", "expected a year (whole number) from 1900 to 2300, got "
                                       "2500"), id="year-out-of-range-names-the-range"),
    pytest.param([cell("demand", 2, "quantity", "inf")],
                 ("demand", 2, "quantity", "got 'inf'"), id="infinity-text"),
    pytest.param([cell("supply", 2, "price", "NaN")],
                 ("supply", 2, "price", "got 'NaN'"), id="nan-text"),
    # ranges
    pytest.param([cell("supply", 2, "price", -5)],
                 ("supply", 2, "price", "expected a number >= 0, got -5"), id="negative-price"),
    pytest.param([put("dependence_limits", LIMITS), cell("dependence_limits", 2, "max_share", 1.5)],
                 ("dependence_limits", 2, "max_share", "between 0 and 1"),
                 id="share-above-1"),
    pytest.param([put("dependence_limits", LIMITS), cell("dependence_limits", 2, "max_share", 45)],
                 ("dependence_limits", 2, "max_share", "percentage points? write 45% or 0.45"),
                 id="share-as-percentage-points"),
    pytest.param([put("disruptions", DISRUPTIONS), put("scenarios", SCENARIOS),
                  cell("disruptions", 2, "cut", -0.1)],
                 ("disruptions", 2, "cut", "between 0 and 1"), id="negative-cut"),
    pytest.param([put("sites", SITES), cell("sites", 2, "capacity", 0)],
                 ("sites", 2, "capacity", "expected a number > 0, got 0"), id="site-capacity-0"),
    pytest.param([put("sites", SITES), cell("sites", 2, "lifetime", 0)],
                 ("sites", 2, "lifetime", "> 0"), id="site-lifetime-0"),
    pytest.param([put("sites", SITES), cell("sites", 2, "lead_time", -1)],
                 ("sites", 2, "lead_time", ">= 0"), id="negative-lead-time"),
    pytest.param([put("sites", SITES), cell("sites", 2, "lifetime", 12.5)],
                 ("sites", 2, "lifetime", "whole number"), id="lifetime-not-whole"),
    # blanks
    pytest.param([cell("demand", 2, "quantity", None)],
                 ("demand", 2, "quantity", "required value is blank"),
                 id="blank-required-number"),
    pytest.param([add("countries", [None, "Nowhere"])],
                 ("countries", 5, "country", "required value is blank"),
                 id="blank-country-code"),
    pytest.param([cell("materials", 2, "shortage_cost", None)],
                 ("materials", 2, "shortage_cost", "'default_shortage_cost' is not given"),
                 id="blank-shortage-cost-without-default"),
    # references across sheets
    pytest.param([cell("supply", 3, "country", "ZZZ")],
                 ("supply", 3, "country", "unknown country 'ZZZ'"), id="unknown-country"),
    pytest.param([cell("supply", 2, "country", "chn")],
                 ("supply", 2, "country", "did you mean 'CHN'?"), id="country-wrong-case"),
    pytest.param([cell("demand", 2, "material", "NDPR")],
                 ("demand", 2, "material", "unknown material 'NDPR'"), id="unknown-material"),
    pytest.param([add("recipes", ["MAGNET", "OXIDE", 1, 0])],
                 ("recipes", 3, "technology", "unknown technology 'MAGNET'"),
                 id="unknown-technology"),
    pytest.param([put("scenarios", SCENARIOS), put("disruptions", DISRUPTIONS),
                  cell("disruptions", 2, "scenario", "blockade")],
                 ("disruptions", 2, "scenario", "unknown scenario 'blockade'"),
                 id="unknown-scenario"),
    pytest.param([add("routes", ["PARTNERS", "JPN", None, 1, 0])],
                 ("routes", 4, "from_country", "unknown country or group 'PARTNERS'"),
                 id="unknown-group"),
    pytest.param([put("dependence_limits", LIMITS), cell("dependence_limits", 2, "supplier",
                                                         "CHlNA")],
                 ("dependence_limits", 2, "supplier", "unknown country or group 'CHlNA': not "
                  "on the 'countries' or 'groups' sheet (did you mean 'CHINA'?)"),
                 id="unknown-group-in-limits"),
    pytest.param([cell("demand", 2, "material", "OXDIE")],
                 ("demand", 2, "material", "unknown material 'OXDIE': not on the 'materials' "
                  "sheet (did you mean 'OXIDE'?)"), id="material-letters-swapped"),
    pytest.param([cell("supply", 3, "country", "AUZ")],
                 ("supply", 3, "country", "(did you mean 'AUS'?)"), id="country-typo"),
    pytest.param([add("groups", ["JPN", "AUS"])],
                 ("groups", 3, "group", "same name as a country"),
                 id="group-named-like-a-country"),
    pytest.param([put("sweeps", SWEEPS), cell("sweeps", 2, "sheet", "supplies")],
                 ("sweeps", 2, "sheet", "unknown sheet 'supplies'"), id="sweep-unknown-sheet"),
    pytest.param([put("sweeps", SWEEPS), cell("sweeps", 2, "column", "country")],
                 ("sweeps", 2, "column", "not numeric"), id="sweep-non-numeric-column"),
    # keys
    pytest.param([add("supply", ["CHN", "OXIDE", None, None, 12])],
                 ("supply", 4, "country", "also on row 2"), id="duplicate-supply-row"),
    pytest.param([add("countries", ["CHN", "China again"])],
                 ("countries", 5, "country", "duplicate row (country=CHN) also on row 2"),
                 id="duplicate-country"),
    pytest.param([add("recipes", ["SEP", "OXIDE", 0, 1])],
                 ("recipes", 3, "technology", "also on row 2"), id="duplicate-recipe-row"),
    # settings
    pytest.param([setting("first_year", None)],
                 ("settings", 2, "value", "setting 'first_year' needs a value"),
                 id="blank-first-year"),
    pytest.param([drop_setting("last_year")],
                 ("settings", None, None, "setting 'last_year' is missing"),
                 id="missing-required-setting"),
    pytest.param([setting("mip_gap", 2)],
                 ("settings", 5, "value", "expected a number >= 0 and <= 1"),
                 id="setting-out-of-range"),
    pytest.param([setting("threads", 0)],
                 ("settings", 6, "value", "whole number >= 1"), id="threads-0"),
    pytest.param([add("settings", ["mip_gap", 0.01])],
                 ("settings", 6, "key", "setting 'mip_gap' is given twice (also row 5)"),
                 id="duplicate-setting"),
    pytest.param([add("settings", [None, 5])],
                 ("settings", 6, "key", "the setting's name is blank"), id="blank-setting-key"),
    # rules across rows and sheets
    pytest.param([put("scenarios", [*SCENARIOS, ["blockade", 0.9, ""]])],
                 ("scenarios", 3, "probability", "sum to 1.1, above 1"),
                 id="probabilities-above-1"),
    pytest.param([put("scenarios", [*SCENARIOS, ["Baseline", 0.1, ""]])],
                 ("scenarios", 3, "scenario", "'baseline' is the undisrupted scenario"),
                 id="scenario-named-baseline"),
    pytest.param([put("stockpiles", STOCKPILES), cell("stockpiles", 2, "initial", 80)],
                 ("stockpiles", 2, "initial", "initial level 80 t is above the capacity 50 t"),
                 id="stockpile-initial-above-capacity"),
    pytest.param([put("recipes", [["technology", "material", "input", "output"]])],
                 ("technologies", 2, "output", "no recipe row for its output 'OXIDE'"),
                 id="technology-without-output-recipe"),
    pytest.param([cell("recipes", 2, "output", 2)],
                 ("recipes", 2, "output", "must have output = 1, got 2"),
                 id="recipe-main-output-not-1"),
    pytest.param([put("sites", SITES), cell("sites", 2, "earliest_year", 2027),
                  cell("sites", 2, "latest_year", 2026)],
                 ("sites", 2, "latest_year", "earliest_year 2027 is after latest_year 2026"),
                 id="site-earliest-after-latest"),
    pytest.param([put("existing_plants", PLANTS), cell("existing_plants", 2, "first_year", 2027),
                  cell("existing_plants", 2, "last_year", 2026)],
                 ("existing_plants", 2, "last_year", "first_year 2027 is after last_year"),
                 id="plant-first-after-last"),
    pytest.param([put("scenarios", SCENARIOS), put("disruptions", DISRUPTIONS),
                  cell("disruptions", 2, "to_year", 2026)],
                 ("disruptions", 2, "to_year", "from_year 2027 is after to_year 2026"),
                 id="disruption-ends-before-it-starts"),
    # accounting columns: rates, end values and floors are >= 0
    pytest.param([setting("financing_rate", -0.01)],
                 ("settings", 6, "value", "setting 'financing_rate': expected a number >= 0"),
                 id="negative-financing-rate-setting"),
    pytest.param([put("sites", [[*SITES[0], "financing_rate"], [*SITES[1], -0.02]])],
                 ("sites", 2, "financing_rate", "expected a number >= 0 and <= 1, got -0.02"),
                 id="negative-site-financing-rate"),
    pytest.param([put("stockpiles", [[*STOCKPILES[0], "end_value", "min_level"],
                                     [*STOCKPILES[1], -5, None]])],
                 ("stockpiles", 2, "end_value", "expected a number >= 0, got -5"),
                 id="negative-end-value"),
    pytest.param([put("stockpiles", [[*STOCKPILES[0], "end_value", "min_level"],
                                     [*STOCKPILES[1], None, -1]])],
                 ("stockpiles", 2, "min_level", "expected a number >= 0, got -1"),
                 id="negative-min-level"),
    pytest.param([put("demand", [["country", "material", "year", "quantity", "shortage_cost"],
                                 ["JPN", "OXIDE", None, 100, -1]])],
                 ("demand", 2, "shortage_cost", "expected a number >= 0, got -1"),
                 id="negative-demand-shortage-cost"),
    pytest.param([put("dependence_limits",
                      [["consumer", "supplier", "material", "year", "to_year", "max_share"],
                       ["JPN", "CHINA", "OXIDE", 2027, 2026, 0.5]])],
                 ("dependence_limits", 2, "to_year", "year 2027 is after to_year 2026"),
                 id="limit-to-year-before-year"),
    # what pandas hides: error cells, formulas never calculated, merged cells
    pytest.param([error_cell("supply", "E2", "#REF!")],
                 ("supply", 2, "price", "Excel error #REF!"), id="error-cell-REF"),
    pytest.param([error_cell("demand", "D2", "#DIV/0!")],
                 ("demand", 2, "quantity", "Excel error #DIV/0!"), id="error-cell-DIV0"),
    pytest.param([error_cell("supply", "A3", "#N/A")],
                 ("supply", 3, "country", "Excel error #N/A"), id="error-cell-NA-in-code-column"),
    pytest.param([formula("supply", "E2", "=1+1")],
                 ("supply", 2, "price", "never calculated"), id="formula-without-cached-value"),
    pytest.param([merge("supply", "E2:E3")],
                 ("supply", 2, "price", "merged cells E2:E3"), id="merged-cells-over-data-rows"),
    # structure: sheets and headers
    pytest.param([put("demand", None)],
                 ("demand", None, None, "required sheet 'demand' is missing"),
                 id="missing-required-sheet"),
    pytest.param([put("demand", [["country", "material", "year"], ["JPN", "OXIDE", None]])],
                 ("demand", 1, "quantity", "required column 'quantity' is missing"),
                 id="missing-required-column"),
    pytest.param([put("demand", [["country", "material", "year", "quantity", "quantity"],
                                 ["JPN", "OXIDE", None, 100, 100]])],
                 ("demand", 1, "quantity", "column 'quantity' appears twice"),
                 id="duplicated-header"),
    pytest.param([put("supply", [[], [], ["country", "material", "year", "max_quantity", "price"],
                                 ["CHN", "OXIDE", None, None, 10],
                                 ["AUS", "OXIDE", None, None, "n/a"]])],
                 ("supply", 5, "price", "got 'n/a'"), id="header-on-row-3-after-blank-rows"),
    pytest.param([put("supply", [[], [], ["country", "material", "year", "max_quantity"],
                                 ["CHN", "OXIDE", None, None]])],
                 ("supply", 3, "price", "required column 'price' is missing"),
                 id="missing-column-named-on-lower-header-row"),
    pytest.param([put("supply", [["country", "material", "year", "max_quantity", "price"],
                                 ["CHN", "OXIDE", None, None, 10], [], [None, None, None],
                                 ["AUS", "OXIDE", None, None, "n/a"]])],
                 ("supply", 5, "price", "got 'n/a'"), id="blank-rows-inside-the-data"),
    pytest.param([put("demand", [[None, "country", "material", "year", "quantity"],
                                 [None, "JPN", "OXIDE", None, "lots"]])],
                 ("demand", 2, "quantity", "got 'lots'"), id="table-starting-in-column-B"),
    pytest.param([put("demand", [["country", "material", "year", "quantity", "growth"],
                                 ["JPN", "OXIDE", None, 100, 0.05]])],
                 ("demand", 2, "growth", "growth 0.05 needs a year to grow from, but the row "
                  "has no year"), id="growth-on-a-blank-year-row"),
    pytest.param([put("demand", [["country", "material", "year", "quantity", "growth"],
                                 ["JPN", "OXIDE", 2026, 100, -1]])],
                 ("demand", 2, "growth", "expected a number > -1 and <= 1, got -1"),
                 id="growth-that-would-end-demand"),
    pytest.param([put("demand", [["country", "material", "year", "quantity", "growth"],
                                 ["JPN", "OXIDE", 2026, 100, 10]])],
                 ("demand", 2, "growth", "expected a number > -1 and <= 1, got 10 (percentage "
                  "points? write 10% or 0.1)"), id="growth-as-percentage-points"),
    pytest.param([setting("discount_rate", 7)],
                 ("settings", 4, "value", "setting 'discount_rate': expected a number >= 0 and "
                  "<= 1, got 7 (percentage points? write 7% or 0.07)"),
                 id="discount-rate-as-percentage-points"),
    pytest.param([put("sites", [[*SITES[0], "financing_rate"], [*SITES[1], 8]])],
                 ("sites", 2, "financing_rate", "expected a number >= 0 and <= 1, got 8 "
                  "(percentage points? write 8% or 0.08)"), id="financing-rate-as-points"),
]


@pytest.mark.parametrize(("edits", "expected"), BROKEN)
def test_broken_workbook_is_reported_at_its_cell(tmp_path: Path, edits: list[Edit],
                                                 expected: tuple) -> None:
    path = build(tmp_path / "broken.xlsx", *edits)
    out = validate(path, expect=3)
    assert_reported(out, *expected)
    assert "nothing was solved or written" in out


# ---------------------------------------------------------------------------------------------
# Accepted as written (exit 0), with a warning where the contract asks for one


ACCEPTED = [
    pytest.param([put("supply", [[" Country", " Price ", "MATERIAL", "Year ", "Max Quantity"],
                                 ["CHN", 10, "OXIDE", None, None],
                                 ["AUS", 20, "OXIDE", None, None]])],
                 id="stray-spaces-and-capitals-in-headers"),
    pytest.param([cell("supply", 2, "max_quantity", "1,200"), cell("supply", 3, "price", " 20 ")],
                 id="numbers-stored-as-text"),
    pytest.param([cell("supply", 2, "year", "2027")], id="year-stored-as-text"),
    pytest.param([put("dependence_limits", LIMITS),
                  cell("dependence_limits", 2, "max_share", "45%")], id="share-as-45%-text"),
    pytest.param([add("countries", ["NA", "Namibia"]), add("supply", ["NA", "OXIDE", None, None,
                                                                      15]),
                  add("routes", ["NA", "JPN", None, 3, 0])], id="country-code-NA-Namibia"),
    pytest.param([setting("risk_measure", "CVaR"), setting("trace_origin", "yes")],
                 id="choice-and-bool-settings-any-case"),
    pytest.param([put("scenarios", SCENARIOS), put("disruptions", DISRUPTIONS),
                  put("stockpiles", STOCKPILES), put("sites", SITES),
                  put("existing_plants", PLANTS), put("dependence_limits", LIMITS),
                  put("sweeps", SWEEPS)], id="every-optional-sheet-filled"),
]


@pytest.mark.parametrize("edits", ACCEPTED)
def test_accepted_variations(tmp_path: Path, edits: list[Edit]) -> None:
    out = validate(build(tmp_path / "ok.xlsx", *edits), expect=0)
    assert "valid" in out
    assert not error_lines(out)


def test_share_cell_formatted_as_percent_is_the_fraction(tmp_path: Path) -> None:
    """A cell showing 45% holds 0.45: accepted as it is."""

    def percent(wb: openpyxl.Workbook) -> None:
        wb["dependence_limits"]["E2"].number_format = "0%"

    path = build(tmp_path / "pct.xlsx", put("dependence_limits", LIMITS),
                 cell("dependence_limits", 2, "max_share", 0.45), AfterWrite(percent))
    validate(path, expect=0)


def test_capitalised_sheet_names_are_accepted(tmp_path: Path) -> None:
    def rename(wb: openpyxl.Workbook) -> None:
        # openpyxl renames "supply" straight to "Supply1" (its names ignore case): via a
        # name of its own
        for old, new in (("supply", "Supply"), ("demand", "DEMAND ")):
            wb[old].title = "renaming"
            wb["renaming"].title = new

    path = build(tmp_path / "caps.xlsx", AfterWrite(rename))
    assert {"Supply", "DEMAND "} <= set(openpyxl.load_workbook(path).sheetnames)
    out = validate(path, expect=0)
    assert "warning" not in out, out


def test_unknown_setting_is_a_warning_only(tmp_path: Path) -> None:
    out = validate(build(tmp_path / "s.xlsx", setting("solver_seed", 7)), expect=0)
    assert_reported(out, "settings", 6, "key", "unknown setting 'solver_seed' is ignored",
                    level="warning")


def test_extra_column_is_a_warning_only(tmp_path: Path) -> None:
    path = build(tmp_path / "extra.xlsx", put("demand", [
        ["country", "material", "year", "quantity", "note"], ["JPN", "OXIDE", None, 100, "x"]]))
    out = validate(path, expect=0)
    assert_reported(out, "demand", 1, "note", "extra column 'note' is ignored", level="warning")


def test_extra_sheet_is_ignored(tmp_path: Path) -> None:
    out = validate(build(tmp_path / "x.xlsx", put("notes", [["anything"], ["at all", 1]])),
                   expect=0)
    assert not error_lines(out)


def test_namibia_is_kept_as_a_code_not_read_as_missing(tmp_path: Path) -> None:
    """`NA` must reach the reference check as the text NA: a typo next to it is still caught."""
    path = build(tmp_path / "na.xlsx", add("countries", ["NA", "Namibia"]),
                 add("supply", ["NA", "OXIDE", None, None, 15]),
                 add("routes", ["NA", "JPN", None, 3, 0], ["N/A", "JPN", None, 3, 0]))
    out = validate(path, expect=3)
    assert_reported(out, "routes", 5, "from_country", "unknown country or group 'N/A'")
    assert len(error_lines(out)) == 1, out


# ---------------------------------------------------------------------------------------------
# Many problems: all of them, at once


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = build(tmp_path / "many.xlsx",
                 cell("supply", 3, "price", "n/a"),
                 cell("demand", 2, "material", "NDPR"),
                 cell("recipes", 2, "input", -1))
    out = validate(path, expect=3)
    assert_reported(out, "recipes", 2, "input", "expected a number >= 0, got -1")
    assert_reported(out, "supply", 3, "price", "got 'n/a'")
    assert_reported(out, "demand", 2, "material", "unknown material 'NDPR'")
    assert len(error_lines(out)) == 3, out
    assert "3 problems found" in out


def test_many_problems_in_one_sheet_each_keep_their_row(tmp_path: Path) -> None:
    materials = [f"M{i}" for i in range(10)]
    demand = [["JPN", m, None, "bad"] for m in materials]  # rows 3..12
    path = build(tmp_path / "rows.xlsx", add("materials", *[[m, m, "", "t", 1] for m in materials]),
                 add("demand", *demand))
    out = validate(path, expect=3)
    for row in range(3, 13):
        assert_reported(out, "demand", row, "quantity", "got 'bad'")
    assert len(error_lines(out)) == 10, out


# ---------------------------------------------------------------------------------------------
# Regressions: a blank or unparsable cell in a column whose other cells are filled once became
# NaN instead of None (pandas 3 infers str/float dtypes), which crashed the reference check
# (exit 1) or let duplicates and blank shortage costs through (exit 0).


@pytest.mark.parametrize(("edits", "expected"), [
    pytest.param([cell("supply", 3, "material", None)],
                 ("supply", 3, "material", "required value is blank"),
                 id="blank-required-code-cell"),
    pytest.param([cell("supply", 2, "country", dt.datetime(2026, 3, 1))],
                 ("supply", 2, "country", "expected a country code"),
                 id="date-in-a-code-column"),
    pytest.param([add("supply", ["CHN", "OXIDE", None, None, 12],
                      ["CHN", "OXIDE", 2027, None, 11])],
                 ("supply", 4, "country", "also on row 2"),
                 id="duplicate-blank-year-next-to-a-dated-row"),
    pytest.param([add("materials", ["ORE", "Ore", "ore", "t", None])],
                 ("materials", 3, "shortage_cost", "'default_shortage_cost' is not given"),
                 id="blank-shortage-cost-next-to-a-given-one"),
])
def test_blank_cell_among_filled_ones(tmp_path: Path, edits: list[Edit],
                                      expected: tuple) -> None:
    out = validate(build(tmp_path / "b.xlsx", *edits), expect=3)
    assert_reported(out, *expected)


def test_merged_code_cells_report_the_merge_and_the_blank_row(tmp_path: Path) -> None:
    """Merging B2:B3 keeps the value in B2 only: row 3's material is blank to every reader."""
    out = validate(build(tmp_path / "m.xlsx", merge("supply", "B2:B3")), expect=3)
    assert_reported(out, "supply", 2, "material", "unmerge them")
    assert_reported(out, "supply", 3, "material", "required value is blank")


@pytest.mark.parametrize("written", [
    b'<mergeCell ref="B2:B3"/>',
    b"<mergeCell ref='B2:B3'/>",
    b'<x:mergeCell xmlns:x="urn:x" ref = "b2:b3"/>',
    b'<mergeCell xr:uid="{1}" ref="B2:B3"/>',
], ids=["plain", "single-quotes", "prefixed-spaced-lower-case", "after-another-attribute"])
def test_merged_range_however_written(written: bytes) -> None:
    from optimizer.contract.reader import _merged_ranges

    [note] = _merged_ranges(b"<mergeCells>" + written + b"</mergeCells>")
    assert (note.row, note.col, note.kind, note.text) == (2, 2, "merged", "B2:B3")


def test_route_for_all_materials_next_to_a_route_naming_one(tmp_path: Path) -> None:
    """A blank route material means "all materials", also when another route names one."""
    path = build(tmp_path / "routes.xlsx", add("materials", ["ORE", "Ore", "ore", "t", 5]),
                 add("routes", ["AUS", "CHN", "ORE", 1, 0]))
    validate(path, expect=0)


# ---------------------------------------------------------------------------------------------
# Regressions: settings named by their value cell, titles above the header, missing columns


@pytest.mark.parametrize(("key", "value", "says"), [
    pytest.param("risk_measure", "worst", "expected one of expected, cvar, got 'worst'",
                 id="risk-measure-worst"),
    pytest.param("trace_origin", "maybe", "expected true or false", id="trace-origin-maybe"),
    pytest.param("threads", 2.5, "whole number", id="threads-2.5"),
])
def test_bad_setting_value_names_the_value_column(tmp_path: Path, key: str, value: Any,
                                                  says: str) -> None:
    out = validate(build(tmp_path / "s.xlsx", setting(key, value)), expect=3)
    assert_reported(out, "settings", 6, "value", says)


def test_first_year_after_last_year_names_a_row(tmp_path: Path) -> None:
    out = validate(build(tmp_path / "h.xlsx", setting("first_year", 2030)), expect=3)
    found = lines_at(out, "settings", 2, "value") + lines_at(out, "settings", 3, "value")
    assert any("first_year 2030 is after last_year 2027" in line for line in found), out


@pytest.mark.parametrize("merged", [False, True], ids=["plain-title", "merged-title"])
def test_title_row_above_the_header(tmp_path: Path, merged: bool) -> None:
    """A title in A1, the header on row 2: rows are named as Excel shows them (3, 4, ...)."""

    def title(wb: openpyxl.Workbook) -> None:
        ws = wb["supply"]
        ws.insert_rows(1)
        ws["A1"] = "Supply offers at origin"
        if merged:
            ws.merge_cells("A1:E1")

    out = validate(build(tmp_path / "t.xlsx", cell("supply", 3, "price", "n/a"),
                         AfterWrite(title)), expect=3)
    assert_reported(out, "supply", 4, "price", "got 'n/a'")
    assert len(error_lines(out)) == 1, out


def test_missing_column_is_reported_once_not_per_row(tmp_path: Path) -> None:
    rows = [["country", "material", "year"]] + [["JPN", "OXIDE", 2026 + i] for i in range(2)]
    out = validate(build(tmp_path / "m.xlsx", put("demand", rows)), expect=3)
    assert_reported(out, "demand", 1, "quantity", "required column 'quantity' is missing")
    assert len(error_lines(out)) == 1, out
