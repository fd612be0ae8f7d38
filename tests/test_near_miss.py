"""Names close to the contract's: a misspelt sheet, column or setting is an error naming the
intended one (it would otherwise be dropped in silence: a misspelt `dependence_limits` sheet
solves with no limits, a misspelt `max_quantity` column leaves supply unlimited); names a
user adds (notes, sources, README) stay quiet or warnings; two sheets read as one are an
error.

Workbooks are read in-process (load_inputs) for speed; one test runs the CLI for the exit code.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from conftest import Rows, problems, run_cli, tiny_sheets, write_workbook

from optimizer.contract.names import edit_distance, intended
from optimizer.contract.schema import SETTINGS_BY_NAME, SHEETS, SHEETS_BY_NAME

REPO = Path(__file__).resolve().parent.parent

LIMITS = [["consumer", "supplier", "material", "year", "max_share"],
          ["JPN", "CHINA", "OXIDE", None, 0.5]]
STOCKPILES = [["country", "material", "initial", "capacity", "holding_cost", "min_cover_days",
               "max_release"], ["JPN", "OXIDE", 10, 50, 1, 0, None]]
SCENARIOS = [["scenario", "probability", "description"], ["embargo", 0.2, ""]]
DISRUPTIONS = [["scenario", "supplier", "material", "from_year", "to_year", "cut"],
               ["embargo", "CHINA", "OXIDE", 2027, None, 1]]


def book(tmp_path: Path, **sheets: Rows | None) -> Path:
    return write_workbook(tmp_path / "case.xlsx", tiny_sheets(**sheets))


def renamed(sheets: dict[str, Rows], old: str, new: str) -> dict[str, Rows]:
    return {new if name == old else name: rows for name, rows in sheets.items()}


def with_header(rows: Rows, old: str, new: str) -> Rows:
    return [[new if cell == old else cell for cell in rows[0]], *rows[1:]]


# ---------------------------------------------------------------------------------------------
# The rule


@pytest.mark.parametrize(("name", "meant"), [
    ("dependance_limits", "dependence_limits"),  # a letter wrong
    ("dependence-limits", "dependence_limits"),  # a dash for an underscore
    ("Dependence-Limits", "dependence_limits"),
    ("dependence_limit", "dependence_limits"),  # singular
    ("stockpile", "stockpiles"),
    ("disruption", "disruptions"),
    ("scenario", "scenarios"),
    ("country", "countries"),  # plural in -ies
    ("demnad", "demand"),  # two letters swapped: one edit
    ("dependence", "dependence_limits"),  # cut short
    ("existing", "existing_plants"),
])
def test_sheet_names_close_to_the_contract(name: str, meant: str) -> None:
    assert intended(name, SHEETS_BY_NAME) == meant


@pytest.mark.parametrize(("sheet", "name", "meant"), [
    ("stockpiles", "min_cover", "min_cover_days"),  # cut short
    ("supply", "max_quantiy", "max_quantity"),
    ("supply", "max-quantity", "max_quantity"),
    ("supply", "prices", "price"),
    ("supply", "yaer", "year"),
    ("sites", "fixed_cost", "fixed_om"),  # its first word, then another
    ("routes", "transport_price", "transport_cost"),
])
def test_column_names_close_to_the_sheets_own(sheet: str, name: str, meant: str) -> None:
    assert intended(name, SHEETS_BY_NAME[sheet].column_names) == meant


@pytest.mark.parametrize("name", ["sources", "notes", "Notes", "README", "readme", "lists",
                                  "comments", "Sheet1", "supply_old", "demand (2)",
                                  "suppliers_list", "summary", "charts"])
def test_sheets_users_add_are_not_near_misses(name: str) -> None:
    assert intended(name, SHEETS_BY_NAME) is None


@pytest.mark.parametrize(("sheet", "name"), [
    ("supply", "note"), ("supply", "source"), ("supply", "country_name"),
    ("supply", "material_name"), ("demand", "comment"), ("sites", "capacity_note"),
])
def test_columns_users_add_are_not_near_misses(sheet: str, name: str) -> None:
    assert intended(name, SHEETS_BY_NAME[sheet].column_names) is None


def test_a_contract_name_is_never_a_near_miss_of_another() -> None:
    """Close contract names would make a typo ambiguous, and a right name suspect."""
    for names in [tuple(SHEETS_BY_NAME), *(s.column_names for s in SHEETS)]:
        for name in names:
            assert intended(name, [n for n in names if n != name]) is None, name


def test_edit_distance_counts_a_swap_as_one() -> None:
    assert edit_distance("year", "yaer") == 1
    assert edit_distance("price", "prcie") == 1
    assert edit_distance("demand", "demand") == 0
    assert edit_distance("max_quantiy", "max_quantity") == 1


# ---------------------------------------------------------------------------------------------
# Misspelt sheets: an error naming the intended one, not a case solved without them


@pytest.mark.parametrize(("title", "sheet", "rows", "extra"), [
    pytest.param("dependance_limits", "dependence_limits", LIMITS, {}, id="dependance_limits"),
    pytest.param("dependence-limits", "dependence_limits", LIMITS, {}, id="dependence-limits"),
    pytest.param("stockpile", "stockpiles", STOCKPILES, {}, id="stockpile"),
    pytest.param("disruption", "disruptions", DISRUPTIONS, {"scenarios": SCENARIOS},
                 id="disruption"),
])
def test_misspelt_optional_sheet_is_an_error(tmp_path: Path, title: str, sheet: str,
                                             rows: Rows, extra: dict[str, Rows]) -> None:
    path = write_workbook(tmp_path / "case.xlsx", {**tiny_sheets(**extra), title: rows})
    errors, _ = problems(path)
    assert errors == [f"sheet '{title}': not a sheet of the contract; did you mean "
                      f"'{sheet}'?"]


def test_misspelt_required_sheet_is_reported_once(tmp_path: Path) -> None:
    """Not also as a required sheet that is missing."""
    path = write_workbook(tmp_path / "case.xlsx", renamed(tiny_sheets(), "demand", "Demands"))
    errors, _ = problems(path)
    assert errors == ["sheet 'Demands': not a sheet of the contract; did you mean 'demand'?"]


def test_cli_exit_3_for_a_misspelt_sheet(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "case.xlsx",
                          {**tiny_sheets(), "dependance_limits": LIMITS})
    result = run_cli("validate", str(path))
    assert result.returncode == 3, result.stderr
    assert "error: sheet 'dependance_limits': not a sheet of the contract; did you mean " \
           "'dependence_limits'?" in result.stderr
    assert "Traceback" not in result.stderr


def test_sheets_of_the_users_own(tmp_path: Path) -> None:
    """Notes, sources, a README: quiet. Anything else unknown: a warning, never an error."""
    notes = [["topic", "note"], ["why", "an example"]]
    path = write_workbook(tmp_path / "case.xlsx", {
        **tiny_sheets(), "sources": notes, "Notes": notes, "README": notes, "lists": notes,
        "scratchpad": notes})
    errors, warnings = problems(path)
    assert errors == []
    assert warnings == ["sheet 'scratchpad': not a sheet of the contract; the sheet is ignored"]


def test_two_sheets_read_as_one_are_an_error(tmp_path: Path) -> None:
    """Excel refuses two sheet names that differ only by case; other tools write them."""
    sheets = tiny_sheets()
    path = write_workbook(tmp_path / "case.xlsx",
                          {**sheets, "SUPPLX": [*sheets["supply"][:2]]})
    rename_sheet(path, "SUPPLX", "SUPPLY")
    errors, _ = problems(path)
    assert errors == ["sheet 'supply': sheets 'supply' and 'SUPPLY' both read as sheet 'supply' "
                      "(names differ only by case or spaces); keep one"]


def rename_sheet(path: Path, old: str, new: str) -> None:
    """Rename a sheet in the workbook's XML, past any writer's check of the name."""
    with zipfile.ZipFile(path) as zf:
        parts = {info.filename: zf.read(info) for info in zf.infolist()}
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(f'name="{old}"'.encode(),
                                                                f'name="{new}"'.encode())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


# ---------------------------------------------------------------------------------------------
# Misspelt columns: an error at the header cell, not a default taken in silence


@pytest.mark.parametrize(("sheet", "rows", "old", "new"), [
    pytest.param("stockpiles", STOCKPILES, "min_cover_days", "min_cover", id="min_cover"),
    pytest.param("supply", None, "max_quantity", "max_quantiy", id="max_quantiy"),
    pytest.param("supply", None, "max_quantity", "Max-Quantity", id="Max-Quantity"),
    pytest.param("dependence_limits", LIMITS, "max_share", "max_shares", id="max_shares"),
])
def test_misspelt_optional_column_is_an_error(tmp_path: Path, sheet: str, rows: Rows | None,
                                              old: str, new: str) -> None:
    rows = with_header(rows or tiny_sheets()[sheet], old, new)
    errors, _ = problems(book(tmp_path, **{sheet: rows}))
    column = new.lower()
    assert errors == [f"sheet '{sheet}', row 1, column '{column}': not a column of sheet "
                      f"'{sheet}'; did you mean '{old}'?"]


def test_misspelt_required_column_is_reported_once(tmp_path: Path) -> None:
    rows = with_header(tiny_sheets()["demand"], "quantity", "quantty")
    errors, _ = problems(book(tmp_path, demand=rows))
    assert errors == ["sheet 'demand', row 1, column 'quantty': not a column of sheet 'demand'; "
                      "did you mean 'quantity'?"]


def test_header_row_below_a_title_is_the_row_named(tmp_path: Path) -> None:
    rows = [["Supply offers"], *with_header(tiny_sheets()["supply"], "max_quantity",
                                            "max_quantiy")]
    errors, _ = problems(book(tmp_path, supply=rows))
    assert errors == ["sheet 'supply', row 2, column 'max_quantiy': not a column of sheet "
                      "'supply'; did you mean 'max_quantity'?"]


def test_columns_of_the_users_own_are_warnings(tmp_path: Path) -> None:
    rows = tiny_sheets()["supply"]
    rows = [[*rows[0], "country_name", "note"], *[[*r, "x", "y"] for r in rows[1:]]]
    errors, warnings = problems(book(tmp_path, supply=rows))
    assert errors == []
    assert warnings == ["sheet 'supply', row 1, column 'country_name': extra column "
                        "'country_name' is ignored",
                        "sheet 'supply', row 1, column 'note': extra column 'note' is ignored"]


def test_a_column_is_judged_against_its_own_sheet_only(tmp_path: Path) -> None:
    """`lead_time` is a column of sites, not of existing plants: there it is the user's."""
    rows = [["plant", "technology", "country", "capacity", "lead_time"],
            ["Baotou", "SEP", "CHN", 100, 3]]
    errors, warnings = problems(book(tmp_path, existing_plants=rows))
    assert errors == []
    assert warnings == ["sheet 'existing_plants', row 1, column 'lead_time': extra column "
                        "'lead_time' is ignored"]


# ---------------------------------------------------------------------------------------------
# Settings


def test_misspelt_setting_is_an_error(tmp_path: Path) -> None:
    settings = [*tiny_sheets()["settings"], ["mip_gapp", 0.01]]
    errors, _ = problems(book(tmp_path, settings=settings))
    assert errors == ["sheet 'settings', row 6, column 'key': not a setting; did you mean "
                      "'mip_gap'?"]


def test_misspelt_required_setting_is_reported_once(tmp_path: Path) -> None:
    settings = [["key", "value"], ["first_yaer", 2026], ["last_year", 2027]]
    errors, _ = problems(book(tmp_path, settings=settings))
    assert errors == ["sheet 'settings', row 2, column 'key': not a setting; did you mean "
                      "'first_year'?"]


def test_setting_names_forgive_case_and_spaces(tmp_path: Path) -> None:
    settings = [["key", "value"], ["First Year", 2026], [" LAST_YEAR", 2027]]
    assert problems(book(tmp_path, settings=settings)) == ([], [])


def test_unrelated_setting_is_a_warning(tmp_path: Path) -> None:
    settings = [*tiny_sheets()["settings"], ["solver_seed", 7]]
    errors, warnings = problems(book(tmp_path, settings=settings))
    assert errors == [] and len(warnings) == 1 and "solver_seed" in warnings[0]
    assert set(SETTINGS_BY_NAME) & {"solver_seed"} == set()


# ---------------------------------------------------------------------------------------------
# The bundled workbooks keep their own sheets (sources, notes) without a word


@pytest.mark.parametrize("name", ["base_case.xlsx", "example.xlsx", "graphite.xlsx"])
def test_bundled_workbooks_validate_without_name_warnings(name: str) -> None:
    errors, warnings = problems(REPO / "inputs" / name)
    assert errors == []
    assert not [w for w in warnings if "not a sheet" in w or "extra column" in w], warnings


@pytest.mark.parametrize(("code", "meant"), [
    ("chn", ["CHN"]),  # case first, though CAN is a letter off too
    ("CHA", ["CHN"]),
    ("AUZ", ["AUS", "AUT"]),  # equally near: both offered
    ("UJ", []),  # two letters: too short to tell a typo from another code
    ("uk", ["UK"]),  # but not too short for case
    ("X" * 32_767, []),  # no time spent on a cell of text
    ("NdPr_oxied", ["NdPr_oxide"]),  # a swap of neighbours counts 1
    ("NdPr_oxdie_x", []),  # beyond 2 letters of every code
    ("ZZZ", []),
])
def test_close_codes(code: str, meant: list[str]) -> None:
    """An unknown code's message offers the codes it may misspell, none when none is near."""
    from optimizer.contract.names import close_codes

    codes = ["CHN", "CAN", "UK", "US", "AUS", "AUT", "NdPr_oxide", "Dy_oxide", "X" * 32_760]
    assert close_codes(code, codes) == meant
