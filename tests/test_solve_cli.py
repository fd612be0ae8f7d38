"""`optimizer solve` end to end: published optima, plan workbooks checked independently,
and every exit code a solve can end in."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from conftest import run_cli, sha256, tiny_sheets, write_workbook
from plan_checks import check_no_cancelling_movements, check_plan

from benchmarks.orlib import OPTIMA, problem_sheets, read_cap
from optimizer.contract.to_model import build_data
from optimizer.contract.validate import load_inputs
from optimizer.excel.sheets import write_sheets

ORLIB = Path(__file__).resolve().parents[1] / "benchmarks" / "data"
REPO = Path(__file__).resolve().parents[1]
PLAN_TABLES = ["builds", "capacity", "production", "purchases", "shipments", "dependence",
               "disruptions", "origins", "sourcing", "stockpiles", "shortages", "costs"]


def read_plan(path: Path) -> tuple[dict[str, object], dict[str, pd.DataFrame]]:
    sheets = pd.read_excel(path, sheet_name=None, engine="calamine")
    summary = sheets["summary"]
    values = dict(zip(summary["key"], summary["value"], strict=False))
    return values, {name: sheets[name].dropna(how="all") for name in PLAN_TABLES}


def orlib_path(name: str) -> Path:
    path = ORLIB / f"{name}.txt"
    if not path.exists():
        pytest.skip(f"benchmark file {path} not available")
    return path


@pytest.mark.parametrize("name", sorted({p.stem for p in ORLIB.glob("cap*.txt")} & set(OPTIMA)))
def test_orlib_published_optimum(tmp_path, name):
    """Beasley's capacitated warehouse location: the published optimum, to 1e-6 relative, for
    every instance of OR-Library's in benchmarks/data (cap41 and cap131 are bundled)."""
    source = write_sheets(tmp_path / f"{name}.xlsx", problem_sheets(read_cap(orlib_path(name))))
    plan = tmp_path / "plan.xlsx"
    result = run_cli("solve", str(source), "-o", str(plan))
    assert result.returncode == 0, result.stderr
    summary, _ = read_plan(plan)
    assert summary["status"] == "optimal"
    assert float(summary["objective"]) == pytest.approx(OPTIMA[name], rel=1e-6)


def test_example_plan_checks_out_from_the_workbook(tmp_path):
    """Balances, shares and costs recomputed from the written plan workbook alone."""
    source = REPO / "inputs" / "example.xlsx"
    before = sha256(source)
    plan = tmp_path / "plan.xlsx"
    result = run_cli("solve", str(source), "-o", str(plan), "--compare", "none")
    assert result.returncode == 0, result.stderr
    assert sha256(source) == before
    summary, tables = read_plan(plan)
    data = build_data(load_inputs(source))
    check_plan(tables, data, float(summary["objective"]))
    check_no_cancelling_movements(tables)


def test_default_solve_writes_to_outputs(tmp_path):
    """No input: the bundled base case (its plan alone: the comparisons take minutes). A
    loaded machine may stop it at its time limit with a plan (exit 6): what is tested is
    where the plan goes, not the machine's speed."""
    result = run_cli("solve", "--compare", "none", cwd=tmp_path)
    assert result.returncode in (0, 6), result.stderr
    assert (tmp_path / "outputs" / "base_case_plan.xlsx").exists()


def test_output_onto_input_is_refused(workbook):
    path = workbook()
    before = sha256(path)
    result = run_cli("solve", str(path), "-o", str(path))
    assert result.returncode == 7
    assert "input" in result.stderr and "Traceback" not in result.stderr
    assert sha256(path) == before


def test_output_open_in_excel_is_refused(workbook, tmp_path):
    target = tmp_path / "plan.xlsx"
    (tmp_path / "~$plan.xlsx").write_bytes(b"lock")
    result = run_cli("solve", str(workbook()), "-o", str(target))
    assert result.returncode == 7
    assert "open in Excel" in result.stderr
    assert not target.exists()


def test_output_in_missing_folder(workbook, tmp_path):
    result = run_cli("solve", str(workbook()), "-o", str(tmp_path / "nope" / "plan.xlsx"))
    assert result.returncode == 7
    assert "does not exist" in result.stderr


def test_existing_plan_replaced_only_by_a_complete_one(workbook, tmp_path):
    target = tmp_path / "plan.xlsx"
    target.write_bytes(b"previous plan")
    assert run_cli("solve", str(workbook()), "-o", str(target)).returncode == 0
    assert target.read_bytes()[:2] == b"PK"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".plan")]


def test_infeasible_exit_4_names_the_limits(workbook, tmp_path):
    piles = [["country", "material", "initial", "capacity", "min_cover_days"],
             ["JPN", "OXIDE", 0, 50, 365]]
    target = tmp_path / "plan.xlsx"
    result = run_cli("solve", str(workbook(stockpiles=piles)), "-o", str(target))
    assert result.returncode == 4
    assert "stockpiles" in result.stderr and "Traceback" not in result.stderr
    assert not target.exists()


def test_invalid_input_exit_3_writes_nothing(workbook, tmp_path):
    supply = [["country", "material", "year", "max_quantity", "price"],
              ["CHN", "OXIDE", None, None, "n/a"]]
    target = tmp_path / "plan.xlsx"
    result = run_cli("solve", str(workbook(supply=supply)), "-o", str(target))
    assert result.returncode == 3
    assert "sheet 'supply', row 2, column 'price'" in result.stderr
    assert not target.exists()


def _cap131_with(tmp_path: Path, time_limit: float) -> Path:
    sheets = problem_sheets(read_cap(orlib_path("cap131")))
    sheets["settings"] = [r for r in sheets["settings"] if r[0] != "time_limit_s"]
    sheets["settings"].append(["time_limit_s", time_limit])
    return write_sheets(tmp_path / "cap131_limited.xlsx", sheets)


def test_time_limit_without_plan_exit_5(tmp_path):
    target = tmp_path / "plan.xlsx"
    result = run_cli("solve", str(_cap131_with(tmp_path, 0.001)), "-o", str(target))
    assert result.returncode == 5, result.stderr
    assert "time_limit_s" in result.stderr
    assert not target.exists()


def test_solve_help_and_unknown_option():
    assert run_cli("solve", "--help").returncode == 0
    assert run_cli("solve", "--no-such-option").returncode == 2


def test_tiny_case_through_cli(tmp_path):
    path = write_workbook(tmp_path / "tiny.xlsx", tiny_sheets())
    result = run_cli("solve", str(path), "-o", str(tmp_path / "plan.xlsx"))
    assert result.returncode == 0
    assert "2,200.00" in result.stdout


def test_verbose_shows_timings_and_the_highs_log_on_stderr_only(tmp_path):
    """The example draws HiGHS's scaling warnings. With -v its log streams to stderr, with
    the phase timings; Pyomo's DEBUG log (megabytes of model construction) never shows."""
    target = tmp_path / "plan.xlsx"
    result = run_cli("solve", str(REPO / "inputs" / "example.xlsx"), "-o", str(target), "-v",
                     "--compare", "none")
    assert result.returncode == 0, result.stderr
    assert "Running HiGHS" in result.stderr and "WARNING: Problem" in result.stderr
    assert re.search(r"read [\d.]+s; build [\d.]+s; solve [\d.]+s; .*write [\d.]+s",
                     result.stderr)  # each phase's time
    assert len(result.stderr) < 50_000
    assert "HiGHS" not in result.stdout and "WARNING" not in result.stdout
    assert re.match(r"status: (optimal|within_gap)\n", result.stdout)


def test_default_and_quiet_output(tmp_path):
    """By default: warnings, no solver log, no timings; -q: nothing but the results."""
    countries = [["country", "name", "notes"], ["CHN", "China", "x"], ["AUS", "Australia", ""],
                 ["JPN", "Japan", ""]]
    path = write_workbook(tmp_path / "noted.xlsx", tiny_sheets(countries=countries))
    default = run_cli("solve", str(path), "-o", str(tmp_path / "a.xlsx"))
    assert default.returncode == 0, default.stderr
    assert "warning" in default.stderr and "notes" in default.stderr
    assert "HiGHS" not in default.stderr and "build " not in default.stderr
    quiet = run_cli("solve", str(path), "-o", str(tmp_path / "b.xlsx"), "-q")
    assert quiet.returncode == 0 and quiet.stderr == ""
    assert quiet.stdout == default.stdout.replace("a.xlsx", "b.xlsx")


def test_short_help_and_version():
    from optimizer import __version__

    assert "Usage" in run_cli("-h").stdout
    assert "--output" in run_cli("solve", "-h").stdout
    version = run_cli("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"optimizer {__version__}"


LIMITED = [["consumer", "supplier", "material", "year", "max_share"],
           ["JPN", "CHINA", "OXIDE", None, 0.3]]


def test_compare_on_the_command_line_overrides_the_setting(tmp_path):
    """`--compare none` skips the counterfactuals the workbook asks for; the default prints
    what the limits cost (1,540 on this hand case: tests/test_compare.py); a word that names
    no counterfactual is exit 2 before anything is solved or written."""
    source = write_workbook(tmp_path / "case.xlsx", tiny_sheets(dependence_limits=LIMITED))
    plan = tmp_path / "plan.xlsx"
    asked = run_cli("solve", str(source), "-o", str(plan))
    assert asked.returncode == 0, asked.stderr
    assert "what the limits cost: 1,540 (between 1,540 and 1,540)" in asked.stdout
    assert "comparisons" in pd.ExcelFile(plan, engine="calamine").sheet_names
    skipped = run_cli("solve", str(source), "-o", str(plan), "--compare", "none")
    assert skipped.returncode == 0, skipped.stderr
    assert "limits cost" not in skipped.stdout
    assert "comparisons" not in pd.ExcelFile(plan, engine="calamine").sheet_names
    before = sha256(plan)
    wrong = run_cli("solve", str(source), "-o", str(plan), "--compare", "no_limit")
    assert wrong.returncode == 2
    assert "--compare 'no_limit'" in wrong.stderr and "Traceback" not in wrong.stderr
    assert sha256(plan) == before
