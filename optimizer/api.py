"""The Python face of the tool, for notebooks and scripts: the same engine, checks, messages
and workbooks as the command line, which is a thin layer over these functions.

    import optimizer
    plan = optimizer.solve("inputs/example.xlsx", time_limit_s=60, compare="none")
    plan.summary["objective"], plan.tables["builds"]
    plan.write("outputs/example_plan.xlsx")

Errors are the exceptions the command line reports (`optimizer.errors`: InputError with every
problem in `.issues`, InfeasibleError, UsageError, ...), each with its `exit_code`. While a
function solves, Ctrl-C stops HiGHS within seconds and raises `Interrupted` (a
KeyboardInterrupt); the process's own signal handlers are put back afterwards.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer import interrupt
from optimizer.contract.schema import Issue
from optimizer.errors import ExitCode, InputError, OutputError
from optimizer.excel.output import check_output_path
from optimizer.excel.plan_writer import write_plan
from optimizer.solving.results import Plan as _Result

__all__ = ["Plan", "solve", "sweep", "validate"]


@dataclass
class Plan:
    """A solved plan: `summary` (key -> value, as the plan's summary sheet), `tables` (the
    plan's table sheets as DataFrames, keyed by sheet name, with the same columns), its
    `status` and the `exit_code` the command line would give."""

    summary: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    exit_code: ExitCode
    run_info: dict[str, Any] = field(default_factory=dict, repr=False)
    _result: _Result | None = field(default=None, repr=False)

    @property
    def status(self) -> str:
        return str(self.summary.get("status"))

    def write(self, path: str | Path) -> Path:
        """Write the plan workbook (the one `optimizer solve` writes), atomically: a failure
        leaves no half-written file and an existing one untouched. Returns where it went."""
        target = Path(path)
        inputs = [Path(self.run_info["input_path"])] if "input_path" in self.run_info else []
        check_output_path(target, inputs)
        assert self._result is not None
        return write_plan(self._result, target, inputs=inputs)

    def to_parquet(self, folder: str | Path) -> list[Path]:
        """One Parquet file per table (`<sheet>.parquet`) and `summary.parquet` (key, value
        as text) in `folder`, made if missing; returns the files written."""
        target = Path(folder)
        try:
            target.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise OutputError(f"{target}: cannot make the folder ({err.strerror})") from err
        frames = {"summary": pd.DataFrame({"key": list(self.summary),
                                           "value": [_text(v) for v in self.summary.values()]}),
                  **self.tables}
        written = []
        for name, frame in frames.items():
            path = target / f"{name}.parquet"
            _parquet_ready(frame).to_parquet(path, index=False)
            written.append(path)
        return written


def solve(path: str | Path | None = None, *, compare: str | None = None,
          **settings: Any) -> Plan:
    """Solve the input workbook at `path` (default: the bundled base case) and return its
    plan; nothing is written (see `Plan.write`).

    `settings` override the workbook's settings sheet, e.g. `time_limit_s=30,
    mip_gap=0.01` (each checked as its cell would be); `compare` is the counterfactuals to
    solve after the plan (`"no_limits, no_stockpiles"`, `"none"`), the `compare` setting.
    Raises InputError (every problem in `.issues`), InfeasibleError, or the other errors of
    `optimizer.errors`; a plan stopped by its time limit is returned with `exit_code` 6."""
    from optimizer.studies.run import default_input, solve_workbook

    if compare is not None:
        settings["compare"] = compare
    source = Path(path) if path is not None else default_input()
    with _interruptible():
        solved = solve_workbook(source, write=False, settings=settings)
    assert solved.plan is not None
    result = solved.plan
    return Plan(result.summary, result.tables, solved.exit_code, result.run_info, result)


def validate(path: str | Path, **settings: Any) -> list[Issue]:
    """Every problem and warning the workbook at `path` has (an empty list: valid), each
    with `message`, `sheet`, `row` (as Excel shows it), `column` and `warning`; what the
    model's data found (defaults it assumed) included, as `optimizer validate` prints.
    `settings` override the workbook's as in `solve`. A file that cannot be read at all is
    one problem."""
    from optimizer.contract.to_model import build_data
    from optimizer.contract.validate import load_inputs

    try:
        data = build_data(load_inputs(path, settings))
    except InputError as err:
        return [*err.issues, *err.warnings]
    return list(data.warnings)


def sweep(path: str | Path, vary: Sequence[str] | None = None, *,
          output: str | Path | None = None, jobs: int = 1, cold: bool = False,
          compare: str = "none") -> pd.DataFrame:
    """Run the sensitivity runs of `path` (its `sweeps` sheet, or `vary`: strings such as
    `"supply.price[country=CHN]=x0.8,x1.2"`) and return the `runs` table (one row per run:
    the varied values, status, objective, effects and headline columns). `compare`
    (`"no_limits"`, `"no_stockpiles"`, comma-separated) solves each run's counterfactuals,
    so the table holds what the limits cost per run and its change from the base run. With
    `output` the comparison workbook (runs, frontier, tornado) is written there too."""
    from optimizer.excel.sweep_writer import runs_table
    from optimizer.studies.sweep import sweep_workbook

    with _interruptible():
        results, _ = sweep_workbook(Path(path), Path(output) if output else None,
                                    list(vary) if vary else None, jobs, persistent=not cold,
                                    compare=compare, write=output is not None)
    return runs_table(results)


@contextlib.contextmanager
def _interruptible() -> Iterator[None]:
    """Ctrl-C and SIGTERM stop a solve cleanly while it runs (signals can be handled only
    in the main thread; elsewhere nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in interrupt.EXIT_CODES}
    interrupt.install()
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _parquet_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns holding mixed types (numbers and text, as some plan columns do) as text."""
    mixed = [c for c in frame.columns if frame[c].dtype == object
             and frame[c].dropna().map(type).nunique() > 1]
    return frame.astype({c: "string" for c in mixed}) if mixed else frame
