"""The `template` command: a documented blank workbook that the reader accepts once filled."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import Rows, run_cli, tiny_sheets

from optimizer.contract.schema import SETTINGS, SHEETS
from optimizer.errors import OutputError, UsageError
from optimizer.excel.template import ROWS, write_template


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "blank.xlsx"
    write_template(path)
    return path


def fill(template: Path, target: Path, sheets: dict[str, Rows]) -> Path:
    """Type `sheets` into the template's tables (by header name), as a user would."""
    wb = openpyxl.load_workbook(template)
    for name, rows in sheets.items():
        ws = wb[name]
        header = [c.value for c in ws[1]]
        if name == "settings":  # keys are pre-filled: set their values, append the others
            keys = {ws.cell(r, 1).value: r for r in range(2, ROWS + 2) if ws.cell(r, 1).value}
            for key, value in rows[1:]:
                r = keys.setdefault(key, len(keys) + 2)
                ws.cell(r, 1, key)
                ws.cell(r, 2, value)
            continue
        for r, row in enumerate(rows[1:], 2):
            for name_, value in zip(rows[0], row, strict=True):
                ws.cell(r, header.index(name_) + 1, value)
    wb.save(target)
    return target


def validations(ws: Any) -> list[Any]:
    return list(ws.data_validations.dataValidation)


def rule_for(ws: Any, cell: str) -> Any:
    return next(dv for dv in validations(ws) if cell in dv.sqref)


def test_sheets_headers_tables_and_panes(template: Path) -> None:
    wb = openpyxl.load_workbook(template)
    assert wb.sheetnames[0] == "README"
    assert wb.sheetnames[1:1 + len(SHEETS)] == [s.name for s in SHEETS]
    assert all(wb[n].sheet_state == "hidden" for n in wb.sheetnames[1 + len(SHEETS):])
    for sheet in SHEETS:
        ws = wb[sheet.name]
        header = tuple(c.value for c in ws[1])
        assert header == sheet.column_names
        (table,) = ws.tables.values()
        assert table.ref.startswith("A1:")
        assert ws.freeze_panes == "A2"
        assert all(ws.cell(1, i + 1).comment for i in range(len(header)))


def test_recipe_coefficients_read_per_tonne_of_output_not_per_year(template: Path) -> None:
    wb = openpyxl.load_workbook(template)
    recipes = wb["recipes"]
    header = [c.value for c in recipes[1]]
    for name in ("input", "output"):
        comment = recipes.cell(1, header.index(name) + 1).comment.text
        assert "Unit: t per t of output" in comment and "t/yr" not in comment
    units = {(r[0], r[1]): r[5] for r in wb["README"].iter_rows(values_only=True)}
    assert units["recipes", "input"] == units["recipes", "output"] == \
        "t per t of output (or the materials' units)"
    assert units["demand", "quantity"].startswith("t/yr")


def test_readme_documents_every_column_and_setting(template: Path) -> None:
    ws = openpyxl.load_workbook(template)["README"]
    cells = {(r[0], r[1]) for r in ws.iter_rows(values_only=True)}
    for sheet in SHEETS:
        for column in sheet.columns:
            assert (sheet.name, column.name) in cells
    keys = {r[0] for r in ws.iter_rows(values_only=True)}
    assert {s.column.name for s in SETTINGS} <= keys


def test_settings_prefilled_with_literal_defaults(template: Path) -> None:
    ws = openpyxl.load_workbook(template)["settings"]
    values = {r[0]: r[1] for r in ws.iter_rows(min_row=2, values_only=True) if r[0]}
    assert list(values) == [s.column.name for s in SETTINGS]
    assert values["first_year"] is None and values["base_year"] is None
    assert values["discount_rate"] == 0.07 and values["risk_measure"] == "expected"
    assert values["origin_rule"] == "transformation" and values["trace_origin"] is None


def test_drop_downs_and_numeric_checks(template: Path) -> None:
    wb = openpyxl.load_workbook(template)
    assert rule_for(wb["supply"], "A2").type == "list"  # reference: country
    assert rule_for(wb["supply"], "A2").formula1 == "list_country"
    assert rule_for(wb["routes"], "A150").formula1 == "list_country_or_group"
    assert rule_for(wb["sweeps"], "E2").type == "list"  # choice: mode
    assert rule_for(wb["sweeps"], "B2").formula1 == "list_sheet"
    assert rule_for(wb["settings"], "A2").formula1 == "list_setting"
    share = rule_for(wb["dependence_limits"], "F2")  # max_share, after to_year
    assert (share.type, share.formula1, share.formula2) == ("decimal", "0", "1")
    names = wb.defined_names
    assert "list_country_or_group" in names and "list_set_scale" in names


def test_template_round_trip_validates(template: Path, tmp_path: Path) -> None:
    out = tmp_path / "new.xlsx"
    result = run_cli("template", str(out))
    assert result.returncode == 0, result.stderr
    filled = fill(out, tmp_path / "filled.xlsx", tiny_sheets())
    wb = openpyxl.load_workbook(filled)
    assert "supply" in wb["supply"].tables  # the user's rows sit inside the tables
    result = run_cli("validate", str(filled))
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr


def test_blank_template_needs_the_horizon(tmp_path: Path) -> None:
    out = tmp_path / "blank.xlsx"
    assert run_cli("template", str(out)).returncode == 0
    result = run_cli("validate", str(out))
    assert result.returncode == 3
    assert "first_year" in result.stderr and "last_year" in result.stderr


def test_refuses_a_workbook_open_in_excel(tmp_path: Path) -> None:
    out = tmp_path / "open.xlsx"
    out.write_bytes(b"old")
    (tmp_path / "~$open.xlsx").write_bytes(b"")
    result = run_cli("template", str(out))
    assert result.returncode == 7
    assert "open in Excel" in result.stderr
    assert out.read_bytes() == b"old"
    with pytest.raises(OutputError):
        write_template(out)


def test_never_replaces_an_existing_file_without_force(tmp_path: Path) -> None:
    out = tmp_path / "filled.xlsx"
    out.write_bytes(b"a filled-in input workbook")
    result = run_cli("template", str(out))
    assert result.returncode == 7
    assert "already exists; pass --force" in result.stderr
    assert out.read_bytes() == b"a filled-in input workbook"
    assert run_cli("template", str(out), "--force").returncode == 0
    assert openpyxl.load_workbook(out).sheetnames[0] == "README"


def test_force_replaces_a_file_keeping_its_mode_and_leaves_no_temp(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    out.write_bytes(b"old")
    out.chmod(0o664)
    write_template(out, force=True)
    assert openpyxl.load_workbook(out).sheetnames[0] == "README"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.xlsx"]
    assert out.stat().st_mode & 0o777 == 0o664


def test_force_does_not_replace_a_read_only_file(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    out.write_bytes(b"old")
    out.chmod(0o444)
    with pytest.raises(OutputError, match="read-only"):
        write_template(out, force=True)
    assert out.read_bytes() == b"old"


def test_a_new_template_takes_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        write_template(tmp_path / "t.xlsx")
    finally:
        os.umask(previous)
    assert (tmp_path / "t.xlsx").stat().st_mode & 0o777 == 0o644


def test_only_xlsx_names(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        write_template(tmp_path / "t.xls")


def test_missing_folder_is_an_output_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError):
        write_template(tmp_path / "nowhere" / "t.xlsx")
