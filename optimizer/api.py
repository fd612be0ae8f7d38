"""The Python face of the tool, for notebooks and scripts: the same engine, checks, messages
and workbooks as the command line, which is a thin layer over these functions.

    import optimizer
    plan = optimizer.solve("inputs/example.xlsx", time_limit_s=60, compare="none")
    plan.summary["objective"], plan.tables["builds"]
    plan.write("outputs/example_plan.xlsx")

The command line is these functions plus printing: `optimizer solve` is `solve(...,
output=...)`, `validate` is `validate(..., strict=True)`, `sweep` is `sweep(..., output=...)`,
`diff` is `diff(...)`. (`optimizer batch` calls its engine directly: it is files in, files out,
each case solved in a worker process, with nothing to hand back but the summary it writes.)

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
from optimizer.parallel import MAX_RUNS, Progress
from optimizer.solving.diff import PlanDiff
from optimizer.solving.results import Plan as _Result

__all__ = ["Plan", "diff", "solve", "sweep", "validate"]


@dataclass
class Plan:
    """A solved plan: `summary` (key -> value, as the plan's summary sheet), `tables` (the
    plan's table sheets as DataFrames, keyed by sheet name, with the same columns), its
    `status`, the `exit_code` the command line would give, and `path`: where its workbook
    was last written (None until it is)."""

    summary: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    exit_code: ExitCode
    run_info: dict[str, Any] = field(default_factory=dict, repr=False)
    path: Path | None = None
    _result: _Result | None = field(default=None, repr=False)

    @property
    def status(self) -> str:
        return str(self.summary.get("status"))

    def write(self, path: str | Path) -> Path:
        """Write the plan workbook (the one `optimizer solve` writes), atomically: a failure
        leaves no half-written file and an existing one untouched. Returns where it went.

        A target that cannot take it (open in Excel, read-only, the input) raises OutputError
        and writes nothing: the plan is still here, so close the file or choose another path
        and write again. (`solve(output=...)` instead writes beside a target that became
        unusable during the solve, since there the solve would otherwise be lost.)"""
        target = Path(path)
        inputs = [Path(self.run_info["input_path"])] if "input_path" in self.run_info else []
        check_output_path(target, inputs)
        assert self._result is not None
        self.path = write_plan(self._result, target, inputs=inputs)
        return self.path

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
          output: str | Path | bool = False, **settings: Any) -> Plan:
    """Solve the input workbook at `path` (default: the bundled base case) and return its
    plan.

    `settings` override the workbook's settings sheet, e.g. `time_limit_s=30,
    mip_gap=0.01` (each checked as its cell would be); `compare` is the counterfactuals to
    solve after the plan (`"no_limits, no_stockpiles"`, `"none"`), the `compare` setting.

    Nothing is written unless `output` says where (else see `Plan.write`): a path, or True
    for `outputs/<input name>_plan.xlsx` (the folder made if missing), as `optimizer solve`
    writes. It is checked before the input is read, so a bad one fails at once rather than
    after the solve; if it becomes unusable during the solve (opened in Excel), the plan goes
    beside it as `<name> (2).xlsx`, with a warning. `plan.path` says where it went.

    Raises InputError (every problem in `.issues`), InfeasibleError, or the other errors of
    `optimizer.errors`; a plan stopped by its time limit is returned with `exit_code` 6."""
    from optimizer.studies.run import default_input, solve_workbook

    if compare is not None:
        settings["compare"] = compare
    source = Path(path) if path is not None else default_input()
    with _interruptible():
        solved = solve_workbook(source, _target(output), write=bool(output),
                                settings=settings)
    assert solved.plan is not None
    result = solved.plan
    return Plan(result.summary, result.tables, solved.exit_code, result.run_info,
                solved.output, result)


def validate(path: str | Path, *, strict: bool = False, **settings: Any) -> list[Issue]:
    """Every problem and warning the workbook at `path` has (an empty list: valid), each
    with `message`, `sheet`, `row` (as Excel shows it), `column` and `warning`; what the
    model's data found (defaults it assumed) included, as `optimizer validate` prints.
    `settings` override the workbook's as in `solve`. A file that cannot be read at all is
    one problem. With `strict`, problems raise InputError (every one in `.issues`, the
    warnings in `.warnings`) and only warnings are returned."""
    from optimizer.contract.to_model import build_data, cover_beyond_capacity
    from optimizer.contract.validate import load_inputs

    try:
        data = build_data(load_inputs(path, settings))
        # what `solve` would find infeasible before solving (exit 4 there)
        covers = [Issue(why, "stockpiles", pile.row, "capacity")
                  for pile, why in cover_beyond_capacity(data)]
        if covers:
            raise InputError([*covers, *data.warnings], data.source)
    except InputError as err:
        if strict:
            raise
        return [*err.issues, *err.warnings]
    return list(data.warnings)


def sweep(path: str | Path, vary: Sequence[str] | None = None, *,
          output: str | Path | bool = False, jobs: int = 1, cold: bool = False,
          compare: str = "none", max_runs: int | None = MAX_RUNS,
          progress: Progress | None = None) -> pd.DataFrame:
    """Run the sensitivity runs of `path` (its `sweeps` sheet, or `vary`: strings such as
    `"supply.price[country=CHN]*=0.8,1.2"`) and return the `runs` table (one row per run:
    the varied values, status, objective, effects and headline columns).

    `compare` (`"no_limits"`, `"no_stockpiles"`, comma-separated) solves each run's
    counterfactuals, so the table holds what the limits cost per run and its change from
    the base run. `jobs` runs solve in parallel processes; `cold` builds every run from
    scratch instead of re-using one model. A sweep of more than `max_runs` runs is refused
    before anything is solved (None: any size). `progress` (an `optimizer.parallel.Progress`)
    reports finished runs on stderr, as the command line does.

    `output` writes the comparison workbook (runs, frontier, tornado) too: a path, or True
    for `outputs/<input name>_sweep.xlsx`; a given path is checked before the input is read.
    The table's `attrs` say where it went (`workbook`, None when not written) and the
    command line's `exit_code` (8 when a run has no plan)."""
    from optimizer.excel.sweep_writer import runs_table
    from optimizer.studies.sweep import exit_code, sweep_workbook

    with _interruptible():
        results, written = sweep_workbook(Path(path), _target(output),
                                          list(vary) if vary else None, jobs, progress,
                                          persistent=not cold, max_runs=max_runs,
                                          compare=compare, write=bool(output))
    runs = runs_table(results)
    runs.attrs.update(workbook=written, exit_code=exit_code(results))
    return runs


def diff(plan_a: str | Path, plan_b: str | Path, *,
         output: str | Path | None = None) -> PlanDiff:
    """What changed from the plan workbook `plan_a` to `plan_b` (each written by `optimizer
    solve` or `Plan.write`), every difference B minus A: `.summary` (key -> value: both
    objectives, their difference and whether the plans' gaps leave it unresolved, builds
    added, removed and moved) and `.tables` (`builds`, `costs`, `shares`, `shortages`,
    `comparisons`, as DataFrames). With `output` the diff workbook is written there too
    (checked before either plan is read, never over either); `.path` says where it went.
    A file that is not a plan workbook raises InputError."""
    from optimizer.studies.diff import diff_workbooks

    found, written = diff_workbooks(Path(plan_a), Path(plan_b),
                                    Path(output) if output is not None else None)
    found.path = written
    return found


def _target(output: str | Path | bool) -> Path | None:
    """The path an `output` argument names: None for True (the command line's default place)
    and for False (nothing written)."""
    return Path(output) if output and not isinstance(output, bool) else None


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
