"""Input checks that once let a case through or reported it badly: codes that differ only by
case, rows outside the horizon, a reversed horizon, huge numbers, a missing or unreadable
file. Read in-process where the exit code is not the point."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import xlsxwriter
from conftest import Rows, problems, run_cli, tiny_sheets, write_workbook
from typer.testing import CliRunner

from optimizer.api import validate
from optimizer.cli import app
from optimizer.contract.reader import guard_file
from optimizer.errors import ExitCode, InputError

SITES = [["site", "technology", "option", "country", "capacity", "capex", "lifetime",
          "earliest_year"], ["Osaka", "SEP", None, "JPN", 50, 1000, 20, None],
         ["Perth", "SEP", None, "AUS", 50, 1000, 20, None]]
PLANTS = [["plant", "technology", "country", "capacity", "first_year", "last_year"],
          ["Baotou", "SEP", "CHN", 100, None, None], ["Old", "SEP", "CHN", 100, 2000, None]]


def book(tmp_path: Path, **sheets: Rows | None) -> Path:
    return write_workbook(tmp_path / "case.xlsx", tiny_sheets(**sheets))


# ---------------------------------------------------------------------------------------------
# Codes that differ only by case


def test_country_codes_differing_only_by_case_are_an_error(tmp_path: Path) -> None:
    countries = [*tiny_sheets()["countries"], ["jpn", "Japan again"]]
    errors, _ = problems(book(tmp_path, countries=countries))
    assert errors == ["sheet 'countries', row 5, column 'country': country 'jpn' differs only "
                      "by case from country 'JPN' on row 4; codes must differ by more than "
                      "case"]


def test_group_differing_from_a_country_only_by_case_is_an_error(tmp_path: Path) -> None:
    groups = [["group", "country"], ["CHINA", "CHN"], ["Chn", "CHN"]]
    errors, _ = problems(book(tmp_path, groups=groups))
    assert errors == ["sheet 'groups', row 3, column 'group': group 'Chn' differs only by "
                      "case from country 'CHN' on sheet 'countries', row 2; codes must differ "
                      "by more than case"]


def test_material_codes_differing_only_by_case_are_an_error(tmp_path: Path) -> None:
    materials = [*tiny_sheets()["materials"], ["oxide", "Oxide", "oxide", "t", 1000]]
    errors, _ = problems(book(tmp_path, materials=materials))
    assert any(e.startswith("sheet 'materials', row 3, column 'material': material 'oxide' "
                            "differs only by case") for e in errors), errors


def test_a_group_on_many_rows_is_one_code(tmp_path: Path) -> None:
    groups = [["group", "country"], ["PARTNERS", "AUS"], ["PARTNERS", "JPN"]]
    assert problems(book(tmp_path, groups=groups)) == ([], [])


# ---------------------------------------------------------------------------------------------
# Rows outside the horizon (2026-2027): a warning with the count and the rows


def test_rows_outside_the_horizon_are_one_warning_per_column(tmp_path: Path) -> None:
    supply = [*tiny_sheets()["supply"], ["CHN", "OXIDE", 2030, None, 9],
              ["AUS", "OXIDE", 2031, None, 9], ["AUS", "OXIDE", 2025, None, 9]]
    demand = [*tiny_sheets()["demand"], ["JPN", "OXIDE", 2020, 5]]
    errors, warnings = problems(book(tmp_path, supply=supply, demand=demand))
    assert errors == []
    assert warnings == [
        "sheet 'supply', column 'year': 3 rows whose year lies outside the horizon 2026-2027 "
        "do nothing: rows 4, 5, 6",
        "sheet 'demand', row 3, column 'year': year 2020 lies outside the horizon 2026-2027; "
        "the row does nothing (of the rows before it, only the latest of a country and "
        "material carries into it, and only with a growth: 0 for the same quantity)",
    ]


def test_a_demand_row_before_the_horizon_warns_once_unless_its_growth_carries_it(
        tmp_path: Path) -> None:
    """With a growth the 2024 row fills the horizon: no warning. With a blank growth it
    holds 2024 only: one warning (the model's data adds none of its own), which says how
    to carry it."""
    columns = ["country", "material", "year", "quantity", "growth"]
    grows = [columns, ["JPN", "OXIDE", 2024, 100, 0.1]]
    assert problems(book(tmp_path, demand=grows)) == ([], [])
    for growth in (0.1, 0):
        path = book(tmp_path, demand=[columns, ["JPN", "OXIDE", 2024, 100, growth]])
        assert [str(w) for w in validate(path)] == []
    still = [columns, ["JPN", "OXIDE", 2024, 100, None], ["JPN", "OXIDE", 2025, 90, 0]]
    path = book(tmp_path, demand=[columns, ["JPN", "OXIDE", 2024, 100, None]])
    assert [str(w) for w in validate(path)] == [
        "sheet 'demand', row 2, column 'year': year 2024 lies outside the horizon 2026-2027; "
        "the row does nothing (of the rows before it, only the latest of a country and "
        "material carries into it, and only with a growth: 0 for the same quantity)"]
    assert len(validate(book(tmp_path, demand=still))) == 1  # row 2: row 3 takes over


def test_rows_outside_the_horizon_warn_once_from_validate(tmp_path: Path) -> None:
    """Supply, demand and a limit's single year, each outside: one warning each, in one
    wording (the model's data used to add its own)."""
    supply = [*tiny_sheets()["supply"], ["CHN", "OXIDE", 2030, None, 9]]
    demand = [*tiny_sheets()["demand"], ["JPN", "OXIDE", 2031, 5]]
    limits = [["consumer", "supplier", "material", "year", "max_share"],
              ["JPN", "CHN", "OXIDE", 2020, 0.5], ["JPN", "CHN", "OXIDE", 2040, 0.5]]
    path = book(tmp_path, supply=supply, demand=demand, dependence_limits=limits)
    messages = [str(w) for w in validate(path)]
    assert messages == [
        "sheet 'supply', row 4, column 'year': year 2030 lies outside the horizon 2026-2027; "
        "the row does nothing",
        "sheet 'demand', row 3, column 'year': year 2031 lies outside the horizon 2026-2027; "
        "the row does nothing",
        "sheet 'dependence_limits', column 'year': 2 rows whose year lies outside the horizon "
        "2026-2027 do nothing: rows 2, 3",
    ]


def test_spans_outside_the_horizon_warn_at_the_year_that_misses_it(tmp_path: Path) -> None:
    """A site first buildable after the horizon, a plant closed before it."""
    sites = [SITES[0], SITES[1], [*SITES[2][:-1], 2030]]
    plants = [PLANTS[0] + [], PLANTS[1], ["Old", "SEP", "CHN", 100, 2000, 2010]]
    errors, warnings = problems(book(tmp_path, sites=sites, existing_plants=plants))
    assert errors == []
    assert warnings == [
        "sheet 'sites', row 3, column 'earliest_year': earliest_year 2030 lies outside the "
        "horizon 2026-2027; the row does nothing",
        "sheet 'existing_plants', row 3, column 'last_year': last_year 2010 lies outside the "
        "horizon 2026-2027; the row does nothing",
    ]


def test_rows_inside_the_horizon_or_starting_before_it_are_quiet(tmp_path: Path) -> None:
    """A plant built in 2000 and still running is the normal case, not a warning."""
    errors, warnings = problems(book(tmp_path, sites=SITES, existing_plants=PLANTS))
    assert (errors, warnings) == ([], [])


# ---------------------------------------------------------------------------------------------
# A reversed horizon is one problem, not one per row that takes a year from it


def test_first_year_after_last_year_is_reported_once(tmp_path: Path) -> None:
    settings = [["key", "value"], ["first_year", 2030], ["last_year", 2027]]
    scenarios = [["scenario", "probability", "description"], ["cut", 0.1, ""]]
    disruptions = [["scenario", "supplier", "material", "from_year"],
                   ["cut", "CHINA", "OXIDE", 2027]]
    errors, warnings = problems(book(tmp_path, settings=settings, sites=SITES,
                                     existing_plants=PLANTS, scenarios=scenarios,
                                     disruptions=disruptions))
    assert errors == ["sheet 'settings', row 2, column 'value': first_year 2030 is after "
                      "last_year 2027"]
    assert warnings == []


def test_a_span_with_one_year_written_is_not_an_error(tmp_path: Path) -> None:
    """earliest_year 2030 with latest_year left blank (the horizon's last): the row is out of
    the horizon, a warning at earliest_year; not `latest_year 2027` on a column not there."""
    sites = [SITES[0], [*SITES[1][:-1], 2030]]
    errors, warnings = problems(book(tmp_path, sites=sites))
    assert errors == []
    assert [w.split(":")[0] for w in warnings] == \
        ["sheet 'sites', row 2, column 'earliest_year'"]


# ---------------------------------------------------------------------------------------------
# Huge numbers name the real bound


def test_setting_too_large_names_the_bound(tmp_path: Path) -> None:
    settings = [*tiny_sheets()["settings"], ["time_limit_s", 1e300]]
    errors, _ = problems(book(tmp_path, settings=settings))
    assert errors == ["sheet 'settings', row 6, column 'value': setting 'time_limit_s': "
                      "expected a number > 0 and below 1e15, got 1e+300"]


def test_formula_with_a_huge_cached_value_names_the_bound(tmp_path: Path) -> None:
    """`=1e300` saved by Excel: the reader sees its cached value."""
    path = tmp_path / "formula.xlsx"
    wb = xlsxwriter.Workbook(path)
    for name, rows in tiny_sheets().items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    ws.write(r, c, value)
    wb.get_worksheet_by_name("demand").write_formula("D2", "=1e300", None, 1e300)
    wb.close()
    errors, _ = problems(path)
    assert errors == ["sheet 'demand', row 2, column 'quantity': expected a number >= 0 and "
                      "below 1e15, got 1e+300"]


# ---------------------------------------------------------------------------------------------
# A missing and an unreadable input: the same exit code, 3


def test_missing_input_is_exit_3(tmp_path: Path) -> None:
    result = run_cli("validate", str(tmp_path / "nowhere.xlsx"))
    assert result.returncode == ExitCode.INVALID_INPUT
    assert "file not found" in result.stderr


def test_unreadable_input_is_an_input_error(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    path = book(tmp_path)

    def denied(*_args: object, **_kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "open", denied)
    with pytest.raises(InputError) as caught:
        guard_file(path)
    assert caught.value.exit_code == ExitCode.INVALID_INPUT
    assert "cannot be read (permission denied)" in str(caught.value.issues[0])


def _as_another_user(*args: str) -> list[str]:
    """The command, run by a user who cannot read the test's files (root reads anything)."""
    if os.geteuid() != 0:
        return list(args)
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: every file is readable")
    command = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *args]
    probe = subprocess.run([*command[:4], sys.executable, "-c", "import optimizer"],
                           capture_output=True, cwd="/")
    if probe.returncode != 0:
        pytest.skip("the package cannot be imported as another user here")
    return command


@pytest.mark.parametrize("command", ["validate", "solve", "sweep"])
def test_unreadable_input_is_exit_3_like_a_missing_one(tmp_path: Path, command: str) -> None:
    """Not the command line parser's exit 2 ("path is not readable")."""
    path = book(tmp_path)
    path.chmod(0)
    folder = Path(tempfile.mkdtemp())  # an output folder the other user can write to
    folder.chmod(0o777)
    extra = ["-o", str(folder / "out.xlsx")] if command != "validate" else []
    try:
        result = subprocess.run(_as_another_user(sys.executable, "-m", "optimizer", command,
                                                 str(path), *extra),
                                capture_output=True, text=True, cwd="/", timeout=300)
    finally:
        path.chmod(0o644)
        shutil.rmtree(folder)
    assert "Traceback" not in result.stderr
    assert result.returncode == ExitCode.INVALID_INPUT, result.stderr
    assert "cannot be read" in result.stderr


def test_a_pipe_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.xlsx"
    os.mkfifo(fifo)
    result = run_cli("validate", str(fifo))
    assert result.returncode == ExitCode.INVALID_INPUT
    assert "not a regular file" in result.stderr


# ---------------------------------------------------------------------------------------------
# Every check solve makes, validate makes too


def test_routes_as_specific_as_each_other_are_found_by_validate(tmp_path: Path) -> None:
    """CHINA and ASIA both hold CHN: their rows give CHN->JPN twice with equal specificity
    and neither can win. validate used to pass this and leave it to solve to refuse."""
    groups = [["group", "country"], ["CHINA", "CHN"], ["ASIA", "CHN"]]
    routes = [["from_country", "to_country", "material", "transport_cost"],
              ["CHINA", "JPN", None, 10], ["ASIA", "JPN", None, 20]]
    path = book(tmp_path, groups=groups, routes=routes)
    errors, _ = problems(path)
    assert errors == ["sheet 'routes', row 3, column 'from_country': route CHN->JPN for OXIDE "
                      "is also given by row 2 with the same specificity; keep one"]
    validated, solved = run_cli("validate", str(path)), run_cli("solve", str(path))
    assert validated.returncode == solved.returncode == ExitCode.INVALID_INPUT
    assert validated.stderr.splitlines()[0] == solved.stderr.splitlines()[0]


@pytest.mark.usefixtures("keep_signal_handlers")
@pytest.mark.parametrize("command", ["validate", "solve", "sweep"])
def test_unreadable_input_through_the_command_line_is_exit_3(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    """The same through the command line in this process, where a root run cannot take the
    file's permissions away: reading it is denied instead (the line parser's own readability
    check, exit 2, is off)."""
    path = book(tmp_path)
    opened = Path.open

    def denied(self: Path, *args: object, **kwargs: object) -> object:
        if self == path:
            raise PermissionError(13, "Permission denied")
        return opened(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", denied)
    extra = ["-o", str(tmp_path / "out.xlsx")] if command != "validate" else []
    result = CliRunner().invoke(app, [command, str(path), *extra])
    assert result.exit_code == ExitCode.INVALID_INPUT, result.output
    assert "cannot be read (permission denied)" in result.output
