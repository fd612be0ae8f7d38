"""The Python API (`optimizer.solve`, `.validate`, `.sweep`, `Plan`): the engine, checks and
workbooks of the command line, for notebooks. The tiny case: Japan buys 100 t/yr of oxide
from China at 10 + 1 freight or from Australia at 20 + 2, over 2026-2027."""

from __future__ import annotations

import signal
from pathlib import Path

import pandas as pd
import pytest
from conftest import run_cli, sha256, tiny_sheets, write_workbook

import optimizer
from optimizer.errors import ExitCode, InputError, OutputError, UsageError

LIMIT = [["consumer", "supplier", "material", "year", "max_share"],
         ["JPN", "CHINA", "OXIDE", None, 0.3]]


@pytest.fixture
def tiny(tmp_path):
    return write_workbook(tmp_path / "tiny.xlsx", tiny_sheets())


@pytest.fixture
def limited(tmp_path):
    return write_workbook(tmp_path / "limited.xlsx", tiny_sheets(dependence_limits=LIMIT))


def test_solve_returns_the_plan_the_command_line_writes(tiny, tmp_path):
    before = sha256(tiny)
    plan = optimizer.solve(tiny)
    assert plan.exit_code == ExitCode.OK and plan.status == "optimal"
    assert plan.summary["objective"] == pytest.approx(2 * 100 * 11)
    assert plan.tables["purchases"].groupby("country").quantity.sum().to_dict() == \
        pytest.approx({"CHN": 200})
    written = plan.write(tmp_path / "plan.xlsx")
    sheets = pd.read_excel(written, sheet_name=None, engine="calamine")
    assert list(sheets)[:2] == ["answer", "summary"]
    for name, frame in plan.tables.items():  # same sheets, same columns
        assert list(sheets[name].columns) == list(frame.columns), name
    assert sha256(tiny) == before


def test_keyword_settings_override_the_workbooks(tiny):
    """At a 10% discount rate the second year's 1,100 counts 1,000."""
    plan = optimizer.solve(tiny, discount_rate=0.1, compare="none")
    assert plan.summary["objective"] == pytest.approx(1_100 + 1_000)
    assert plan.run_info["settings"]["discount_rate"] == 0.1
    assert plan.run_info["settings"]["compare"] == "none"
    # a setting whose default is another's follows it, as on the sheet
    timed = optimizer.solve(tiny, time_limit_s=30, compare="none")
    assert timed.run_info["settings"]["compare_time_limit_s"] == 30


@pytest.mark.parametrize(("settings", "message"), [
    ({"mip_gapp": 0.1}, "unknown setting 'mip_gapp': did you mean 'mip_gap'?"),
    ({"time_limit_s": -1}, "setting time_limit_s=-1: expected"),
    ({"mip_gap": "a lot"}, "setting mip_gap='a lot': expected"),
    ({"compare": "no_limit"}, "'no_limit' is not a comparison"),
])
def test_a_bad_setting_is_a_usage_error_naming_it(tiny, settings, message):
    with pytest.raises(UsageError) as caught:
        optimizer.solve(tiny, **settings)
    assert message in str(caught.value)
    assert caught.value.exit_code == ExitCode.USAGE


def test_input_errors_are_the_command_lines(tmp_path):
    bad = [["country", "material", "year", "max_quantity", "price"],
           ["CHN", "OXIDE", None, None, "n/a"]]
    path = write_workbook(tmp_path / "bad.xlsx", tiny_sheets(supply=bad))
    with pytest.raises(InputError) as caught:
        optimizer.solve(path)
    assert caught.value.exit_code == ExitCode.INVALID_INPUT
    issue = caught.value.issues[0]
    assert (issue.sheet, issue.row, issue.column) == ("supply", 2, "price")
    problems = optimizer.validate(path)
    assert [str(p) for p in problems if not p.warning] == [str(issue)]


def test_an_input_errors_text_lists_its_problems_and_the_command_line_prints_them_once(
        tmp_path):
    """Uncaught in a notebook, the error says why: the count, then each problem (the first
    ten of more, with how many are left out); the command line still prints each once."""
    missing = tmp_path / "missing.xlsx"
    with pytest.raises(InputError) as caught:
        optimizer.solve(missing)
    assert str(caught.value) == f"1 problem found\nerror: file not found: {missing}"
    supply = [["country", "material", "year", "max_quantity", "price"],
              *[["CHN", "OXIDE", 2026, None, "n/a"] for _ in range(12)]]
    path = write_workbook(tmp_path / "bad.xlsx", tiny_sheets(supply=supply))
    with pytest.raises(InputError) as caught:
        optimizer.solve(path)
    lines = str(caught.value).splitlines()
    assert lines[0] == f"{path}: {len(caught.value.issues)} problems found"
    assert lines[1:11] == [f"error: {i}" for i in caught.value.issues[:10]]
    assert lines[11:] == [f"... and {len(caught.value.issues) - 10} more (all in .issues)"]
    printed = run_cli("validate", str(path)).stderr.splitlines()
    assert printed == [*(f"error: {i}" for i in caught.value.issues),
                       f"{path}: {len(caught.value.issues)} problems found; nothing was solved "
                       "or written"]


def test_validate_returns_nothing_for_a_valid_workbook(tiny):
    assert optimizer.validate(tiny) == []


def test_write_never_replaces_the_input(tiny):
    plan = optimizer.solve(tiny, compare="none")
    with pytest.raises(OutputError):
        plan.write(tiny)
    assert optimizer.validate(tiny) == []


def test_write_to_a_workbook_open_in_excel_refuses_and_keeps_the_plan(tiny, tmp_path):
    plan = optimizer.solve(tiny, compare="none")
    (tmp_path / "~$plan.xlsx").write_bytes(b"lock")
    with pytest.raises(OutputError, match="open"):
        plan.write(tmp_path / "plan.xlsx")
    assert not (tmp_path / "plan.xlsx").exists() and plan.path is None
    (tmp_path / "~$plan.xlsx").unlink()
    assert plan.write(tmp_path / "plan.xlsx") == tmp_path / "plan.xlsx"
    assert plan.path == tmp_path / "plan.xlsx"


def test_tables_to_parquet(limited, tmp_path):
    plan = optimizer.solve(limited)
    written = plan.to_parquet(tmp_path / "lake")
    assert {p.stem for p in written} == {"summary", *plan.tables}
    builds = pd.read_parquet(tmp_path / "lake" / "purchases.parquet")
    pd.testing.assert_frame_equal(builds, plan.tables["purchases"].reset_index(drop=True),
                                  check_dtype=False)
    summary = pd.read_parquet(tmp_path / "lake" / "summary.parquet").set_index("key").value
    assert float(summary["objective"]) == pytest.approx(2 * (30 * 11 + 70 * 22))


def test_sweep_returns_the_runs_table(limited, tmp_path, monkeypatch):
    """At most 30% Chinese: 70 t/yr from Australia, whose price the sweep varies; nothing is
    written unless asked."""
    monkeypatch.chdir(tmp_path)
    runs = optimizer.sweep(limited, ["supply.price[country=AUS]=15,25"])
    assert list(runs.objective) == pytest.approx([2 * (330 + 70 * p) for p in (22, 17, 27)])
    assert not (tmp_path / "outputs").exists()
    priced = optimizer.sweep(limited, ["supply.price[country=AUS]=15"], compare="no_limits")
    assert list(priced.limits_cost) == pytest.approx([3_740 - 2_200, 3_040 - 2_200])
    out = tmp_path / "sweep.xlsx"
    optimizer.sweep(limited, ["supply.price[country=AUS]=15"], output=out)
    assert "runs" in pd.read_excel(out, sheet_name=None, engine="calamine")


def test_solve_writes_where_output_says(tiny, tmp_path, monkeypatch):
    """`output=True` is the command line's default place, a path is that path; either way
    `plan.path` says where the workbook went."""
    monkeypatch.chdir(tmp_path)
    plan = optimizer.solve(tiny, compare="none", output=True)
    assert plan.path == Path("outputs/tiny_plan.xlsx")
    summary = pd.read_excel(plan.path, sheet_name="summary", engine="calamine")
    assert summary.set_index("key").value["objective"] == pytest.approx(2 * 100 * 11)
    assert optimizer.solve(tiny, compare="none", output="mine.xlsx").path == Path("mine.xlsx")
    assert optimizer.solve(tiny, compare="none").path is None


def test_a_bad_output_fails_before_the_input_is_read(tmp_path, monkeypatch):
    from optimizer.studies import run

    def never(*args, **kwargs):
        raise AssertionError("the input was read before the output was checked")

    monkeypatch.setattr(run, "load_inputs", never)
    with pytest.raises(OutputError, match="does not exist"):
        optimizer.solve(tmp_path / "no_such.xlsx", output=tmp_path / "no" / "plan.xlsx")


def test_strict_validate_raises_the_command_lines_error(tmp_path, tiny):
    bad = [["country", "material", "year", "max_quantity", "price"],
           ["CHN", "OXIDE", None, None, -5]]
    path = write_workbook(tmp_path / "bad.xlsx", tiny_sheets(supply=bad))
    with pytest.raises(InputError) as caught:
        optimizer.validate(path, strict=True)
    assert [(i.sheet, i.row, i.column) for i in caught.value.issues] == [("supply", 2, "price")]
    assert optimizer.validate(tiny, strict=True) == []


def test_sweep_says_where_its_workbook_went_and_its_exit_code(limited, tmp_path,
                                                              monkeypatch):
    monkeypatch.chdir(tmp_path)
    runs = optimizer.sweep(limited, ["supply.price[country=AUS]=15"], output=True)
    assert runs.attrs == {"workbook": Path("outputs/limited_sweep.xlsx"),
                          "exit_code": ExitCode.OK}
    assert list(pd.read_excel(runs.attrs["workbook"], sheet_name="runs",
                              engine="calamine").objective) == pytest.approx(list(runs.objective))
    assert optimizer.sweep(limited, ["supply.price[country=AUS]=15"]).attrs["workbook"] is None


def test_diff_returns_what_changed_as_data(tiny, limited, tmp_path):
    """The limit moves 70 t/yr to Australia's 22: 2 x 70 x 11 more."""
    plans = [optimizer.solve(p, compare="none", output=tmp_path / f"{p.stem}_plan.xlsx").path
             for p in (tiny, limited)]
    found = optimizer.diff(*plans)
    assert found.summary["objective_b"] - found.summary["objective_a"] == \
        pytest.approx(2 * 70 * 11)
    assert found.tables["costs"].set_index("category").difference["objective"] == \
        pytest.approx(2 * 70 * 11)
    assert found.path is None
    written = optimizer.diff(*plans, output=tmp_path / "diff.xlsx").path
    assert written == tmp_path / "diff.xlsx" and written.exists()
    with pytest.raises(OutputError):
        optimizer.diff(*plans, output=plans[0])


def test_signal_handlers_are_put_back(tiny):
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    optimizer.solve(tiny, compare="none")
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


def test_the_api_reads_well_in_help():
    assert optimizer.solve is optimizer.api.solve
    assert "override the workbook's settings" in optimizer.solve.__doc__
    assert "Parquet" in optimizer.Plan.to_parquet.__doc__
    assert "checked before the input is read" in optimizer.solve.__doc__
    assert optimizer.diff is optimizer.api.diff
    with pytest.raises(AttributeError):
        _ = optimizer.no_such_name
