"""Shared helpers: build contract workbooks from plain Python rows, run the CLI."""

from __future__ import annotations

import copy
import hashlib
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import openpyxl
import pytest
from hypothesis import HealthCheck, settings

from optimizer.contract.validate import load_inputs
from optimizer.errors import InputError

Rows = list[list[Any]]

# Hypothesis profiles. Tests that set max_examples themselves (the plan properties) keep it;
# the fuzz tests take the profile's: 200 examples in CI, 10,000 with
# `--hypothesis-profile=long`. Each example reads a workbook, so no deadline.
settings.register_profile("ci", max_examples=200, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow,
                                                 HealthCheck.data_too_large])
settings.register_profile("long", settings.get_profile("ci"), max_examples=10_000)
settings.load_profile("ci")


@pytest.fixture
def keep_signal_handlers() -> Iterator[None]:
    """The command line installs its own SIGINT/SIGTERM handlers (run in this process by
    typer's CliRunner); give pytest its own back."""
    saved = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


def problems(path: Path) -> tuple[list[str], list[str]]:
    """(errors, warnings) of reading and validating `path`."""
    try:
        inputs = load_inputs(path)
    except InputError as err:
        return [str(i) for i in err.issues], [str(w) for w in err.warnings]
    return [], [str(w) for w in inputs.warnings]


def write_workbook(path: Path, sheets: dict[str, Rows],
                   edit: Callable[[openpyxl.Workbook], None] | None = None) -> Path:
    """Write `sheets` (name -> rows, the first row the header) as an .xlsx with openpyxl;
    `edit` may change the workbook before it is saved (error cells, formulas, dates)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    if edit is not None:
        edit(wb)
    wb.save(path)
    return path


def tiny_sheets(**overrides: Rows) -> dict[str, Rows]:
    """A small valid case: Japan buys oxide from China or (dearer) Australia, 2026-2027.

    Pass `sheet=rows` to replace a sheet, or `sheet=None` to drop it.
    """
    sheets: dict[str, Rows] = {
        "settings": [["key", "value"], ["first_year", 2026], ["last_year", 2027],
                     ["discount_rate", 0], ["mip_gap", 0]],
        "countries": [["country", "name"], ["CHN", "China"], ["AUS", "Australia"],
                      ["JPN", "Japan"]],
        "groups": [["group", "country"], ["CHINA", "CHN"]],
        "materials": [["material", "name", "stage", "unit", "shortage_cost"],
                      ["OXIDE", "Oxide", "oxide", "t", 1000]],
        "technologies": [["technology", "name", "output"], ["SEP", "Separation", "OXIDE"]],
        "recipes": [["technology", "material", "input", "output"], ["SEP", "OXIDE", 0, 1]],
        "supply": [["country", "material", "year", "max_quantity", "price"],
                   ["CHN", "OXIDE", None, None, 10], ["AUS", "OXIDE", None, None, 20]],
        "routes": [["from_country", "to_country", "material", "transport_cost", "tariff"],
                   ["CHN", "JPN", None, 1, 0], ["AUS", "JPN", None, 2, 0]],
        "demand": [["country", "material", "year", "quantity"], ["JPN", "OXIDE", None, 100]],
    }
    for name, rows in overrides.items():
        if rows is None:
            sheets.pop(name, None)
        else:
            sheets[name] = rows
    return copy.deepcopy(sheets)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run `optimizer ARGS` in a fresh interpreter, as a user would."""
    return subprocess.run([sys.executable, "-m", "optimizer", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=600)


@pytest.fixture
def workbook(tmp_path: Path):
    """Factory: workbook(**overrides) -> path of a tiny valid case with the overrides."""
    counter = iter(range(10_000))

    def make(name: str | None = None, **overrides: Rows) -> Path:
        path = tmp_path / (name or f"case{next(counter)}.xlsx")
        return write_workbook(path, tiny_sheets(**overrides))

    return make


def edited(source: Path, target: Path, settings: dict[str, Any],
           no_limits: bool = False) -> Path:
    """A copy of `source` with `settings` set (replaced or added) and, with `no_limits`,
    no dependence limits."""
    wb = openpyxl.load_workbook(source)
    sheet = wb["settings"]
    rows = {row[0].value: row[1] for row in sheet.iter_rows(min_row=2) if row[0].value}
    for key, value in settings.items():
        if key in rows:
            rows[key].value = value
        else:
            sheet.append([key, value])
    if no_limits:
        wb["dependence_limits"].delete_rows(2, wb["dependence_limits"].max_row)
    wb.save(target)
    return target


def loose_solves(module: Any, gap: float) -> Any:
    """Patch `module`'s solve_model and solve_from so that each first solve reports a best
    bound `gap` below its plan (a MIP that stopped early, on a case HiGHS solves at its
    root); narrowing (solve_from) reports the truth."""
    def loose(real: Callable[..., Any]) -> Callable[..., Any]:
        def solve(*args: Any, **kwargs: Any) -> Any:
            outcome = real(*args, **kwargs)
            outcome.bound = outcome.objective - gap
            return outcome
        return solve
    return mock.patch.multiple(module, solve_model=loose(module.solve_model),
                               solve_from=loose(module.solve_from))


def input_script(name: str) -> Any:
    """The module of a bundled workbook's script, `inputs/<name>.py` (its `sheets()`)."""
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "inputs" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_policy_case_solves(sheets: dict[str, Rows], tmp_path: Path) -> Any:
    """A bundled case's policy workbook solves within its gap; its plan. The bundled time
    limit is wall time: a loaded machine may need longer, and what is tested is the plan, not
    the machine's speed (so 3600 s, and the plan alone: no counterfactuals)."""
    from optimizer.excel.sheets import write_sheets
    from optimizer.studies.run import solve_workbook

    sheets["settings"] = [r for r in sheets["settings"] if r[0] != "time_limit_s"]
    sheets["settings"] += [["time_limit_s", 3600], ["compare", "none"]]
    result = solve_workbook(write_sheets(tmp_path / "policy.xlsx", sheets), write=False)
    summary = result.plan.summary
    assert result.exit_code == 0
    assert summary["status"] in ("optimal", "within_gap")
    assert summary["mip_gap"] <= summary["requested_mip_gap"]
    return result.plan
