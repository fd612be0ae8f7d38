"""The `optimizer` command line: one error boundary, documented exit codes, and printing
over the Python API (`optimizer.api`), which does the work.

Each command imports its own stack (pandas, Pyomo, HiGHS, xlsxwriter) when it runs, so that
`optimizer -h` and `--version` answer at once; nothing else imports inside functions but
optional extras (Dask, rich)."""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from optimizer import __version__, interrupt, solver_line
from optimizer.errors import ExitCode, InputError, OptimizerError
from optimizer.parallel import MAX_RUNS, Progress, kill_children

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger("optimizer")

app = typer.Typer(
    name="optimizer",
    help="Plan refineries, magnet plants and stockpiles that keep dependence on a supplier "
    "under set limits at least cost. Reads and writes Excel workbooks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

Debug = Annotated[bool, typer.Option("--debug", help="As -v, and tracebacks of errors.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors and results "
                                     "(no warnings, no progress).")]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Also print phase timings and "
                                       "the solver's log.")]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"optimizer {__version__}")
        raise typer.Exit()


@app.callback()
def _options(version: Annotated[bool, typer.Option("--version", callback=_version,
                                                   is_eager=True, help="Print the version "
                                                   "and exit.")] = False) -> None:
    pass


def _configure_logging(debug: bool, quiet: bool, verbose: bool) -> None:
    """Our messages at INFO (-v, --debug: DEBUG; -q: errors only); other libraries' warnings
    only: Pyomo's DEBUG log is megabytes of model construction, Dask's INFO is chatter. The
    solver line on a terminal, unless -q, -v or --debug (HiGHS's own log instead)."""
    others = logging.ERROR if quiet else logging.WARNING
    ours = others if quiet else logging.DEBUG if debug or verbose else logging.INFO
    logging.basicConfig(level=others, format="%(message)s", stream=sys.stderr, force=True)
    logging.captureWarnings(True)  # Python warnings too: -q silences them
    logging.getLogger("optimizer").setLevel(ours)
    logging.getLogger("pyomo").setLevel(others)
    if quiet or debug or verbose:
        solver_line.disable()
    else:
        solver_line.enable()
    if not (debug or verbose):
        # A worker killed mid-solve leaves Pyomo's import-time lock to multiprocessing's
        # resource tracker, which removes it and warns on its own stderr. It starts with
        # these options (the first worker starts it), so the warning is off unless -v.
        sys.warnoptions.append("ignore::UserWarning:multiprocessing.resource_tracker")


def _run(action: Callable[[], int], debug: bool, quiet: bool, verbose: bool) -> None:
    """The error boundary: expected failures become a message and their exit code."""
    _configure_logging(debug, quiet, verbose)
    interrupt.install()
    try:
        code = action()
    except InputError as err:
        _print_issues(err, quiet)
        if debug and err.__cause__ is not None:
            traceback.print_exception(err.__cause__)
        code = err.exit_code
    except OptimizerError as err:
        typer.echo(f"error: {err}", err=True)
        if debug:
            traceback.print_exc()
        code = err.exit_code
    except KeyboardInterrupt as err:  # interrupt.Interrupted: what finished is kept already
        kill_children()
        typer.echo(f"interrupted ({err})" if isinstance(err, interrupt.Interrupted)
                   else "interrupted", err=True)
        code = getattr(err, "exit_code", ExitCode.INTERRUPTED)
    except Exception as err:  # a bug: say so plainly, keep the traceback for --debug
        typer.echo(f"internal error: {type(err).__name__}: {err}", err=True)
        if debug:
            traceback.print_exc()
        else:
            typer.echo("run again with --debug for the traceback", err=True)
        code = ExitCode.INTERNAL_ERROR
    raise typer.Exit(int(code))


def _print_issues(err: InputError, quiet: bool) -> None:
    if not quiet:
        for warning in err.warnings:
            typer.echo(f"warning: {warning}", err=True)
    for issue in err.issues:
        typer.echo(f"error: {issue}", err=True)
    typer.echo(f"{err.summary}; nothing was solved or written", err=True)


@app.command()
def validate(
    input: Annotated[Path, typer.Argument(help="Input workbook (.xlsx).", readable=False)],
    debug: Debug = False, quiet: Quiet = False, verbose: Verbose = False,
) -> None:
    """Check an input workbook and report every problem, each naming sheet, row and column."""

    def action() -> int:
        from optimizer import api

        warnings = api.validate(input, strict=True)
        if not quiet:
            for warning in warnings:
                typer.echo(f"warning: {warning}", err=True)
        typer.echo(f"{input}: valid")
        return ExitCode.OK

    _run(action, debug, quiet, verbose)


@app.command()
def template(
    output: Annotated[Path, typer.Argument(help="Path of the blank workbook to write.")],
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    debug: Debug = False, quiet: Quiet = False, verbose: Verbose = False,
) -> None:
    """Write a documented, empty input workbook with drop-downs (never over an existing file
    without --force)."""

    def action() -> int:
        from optimizer.excel.template import write_template

        write_template(output, force)
        typer.echo(f"template written to {output}")
        return ExitCode.OK

    _run(action, debug, quiet, verbose)


@app.command()
def solve(
    input: Annotated[Path | None, typer.Argument(help="Input workbook (default: the bundled "
                                                 "base case).", readable=False)] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Plan workbook to "
                                                "write (default: outputs/<input>_plan.xlsx)."
                                                )] = None,
    compare: Annotated[str | None, typer.Option("--compare", help="Counterfactuals to solve "
                                                "after the plan, overriding the `compare` "
                                                "setting: `no_limits`, `no_stockpiles` "
                                                "(comma-separated) or `none`.")] = None,
    debug: Debug = False, quiet: Quiet = False, verbose: Verbose = False,
) -> None:
    """Solve one workbook and write its plan workbook."""

    def action() -> int:
        from optimizer import api
        from optimizer.solving.compare import check_compare, summary_lines

        check_compare(compare)  # worded for the option, before the setting's own check
        plan = api.solve(input, compare=compare, output=output or True)
        summary = plan.summary
        typer.echo(f"status: {summary.get('status')}")
        typer.echo(f"objective: {summary.get('objective'):,.2f} {summary.get('currency', '')}")
        gap = summary.get("mip_gap")
        if plan.exit_code == ExitCode.TIME_LIMIT_WITH_PLAN:
            typer.echo(f"not proven optimal: gap {gap or 0:.2%}")
        elif gap is not None:
            typer.echo(f"proven gap: {gap:.2%} (requested {summary['requested_mip_gap']:.2%})")
        for line in summary_lines(summary):
            typer.echo(line)
        typer.echo(f"plan: {plan.path}")
        return plan.exit_code

    _run(action, debug, quiet, verbose)


@app.command()
def sweep(
    input: Annotated[Path, typer.Argument(help="Input workbook (.xlsx).", readable=False)],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Comparison workbook "
                                                "to write.")] = None,
    vary: Annotated[list[str] | None, typer.Option("--vary", help="A variation "
                    "'sheet.column\\[where]=v1,v2,...' (repeatable).")] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Parallel runs (at most "
                                      "the runs and the cores).")] = 1,
    cold: Annotated[bool, typer.Option("--cold", help="Build and solve every run from "
                                       "scratch instead of re-using one model.")] = False,
    max_runs: Annotated[int, typer.Option("--max-runs", min=1, help="Refuse a sweep of more "
                                          "runs than this.")] = MAX_RUNS,
    force: Annotated[bool, typer.Option("--force", help="Run a sweep of any size.")] = False,
    compare: Annotated[str, typer.Option("--compare", help="Counterfactuals each run solves "
                                         "after its plan, to measure the policy cost and its "
                                         "change per run: `no_limits`, `no_stockpiles` "
                                         "(comma-separated) or `none` (the default: each "
                                         "one is one more MIP solve per run).")] = "none",
    debug: Debug = False, quiet: Quiet = False, verbose: Verbose = False,
) -> None:
    """Sensitivity runs: sweeps, cost-of-independence frontier, tornado."""

    def action() -> int:
        from optimizer import api

        with Progress("run", quiet) as progress:
            runs = api.sweep(input, vary, output=output or True, jobs=jobs, cold=cold,
                             compare=compare, max_runs=None if force else max_runs,
                             progress=progress)
        for line in _run_lines(runs):
            typer.echo(line)
        typer.echo(f"sweep: {runs.attrs['workbook']}")
        return runs.attrs["exit_code"]

    _run(action, debug, quiet, verbose)


@app.command()
def batch(
    inputs: Annotated[list[Path], typer.Argument(help="Input workbooks.", readable=False)],
    output_dir: Annotated[Path | None, typer.Option("--output", "-o", help="Folder for the "
                                                    "plans and batch_summary.xlsx (default: "
                                                    "outputs/).")] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Parallel workers (at most "
                                      "the cases and, on this machine, the cores).")] = 1,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="Dask scheduler address "
                                                  "(tcp://host:port), or 'local'.")] = None,
    case_timeout: Annotated[float | None, typer.Option("--case-timeout", min=1, help="Kill a "
                            "case still running after this many seconds.")] = None,
    debug: Debug = False, quiet: Quiet = False, verbose: Verbose = False,
) -> None:
    """Solve many workbooks in parallel (or on a Dask cluster)."""

    def action() -> int:
        from optimizer.studies.batch import SUMMARY_NAME, exit_code, run_batch

        folder = output_dir or Path("outputs")
        with Progress("case", quiet) as progress:
            results = run_batch(inputs, folder, jobs, scheduler, case_timeout, progress)
        for r in results:
            objective = "-" if r.objective is None else f"{r.objective:,.2f}"
            typer.echo(f"{r.input}: {r.status} (exit {r.exit_code}), objective {objective}"
                       + (f": {r.message}" if r.message and r.failed else ""))
        typer.echo(f"summary: {folder / SUMMARY_NAME}")
        return exit_code(results)

    _run(action, debug, quiet, verbose)


@app.command()
def diff(
    plan_a: Annotated[Path, typer.Argument(help="The plan compared against (.xlsx written "
                                           "by optimizer solve).", readable=False)],
    plan_b: Annotated[Path, typer.Argument(help="The plan compared with it.",
                                           readable=False)],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Diff workbook to "
                                                "write (never either plan).")] = None,
    debug: Debug = False, quiet: Quiet = False, verbose: Verbose = False,
) -> None:
    """What changed from plan A to plan B: builds added, removed or moved in time, cost by
    category, shares, shortages."""

    def action() -> int:
        from optimizer import api
        from optimizer.solving.diff import summary_lines

        found = api.diff(plan_a, plan_b, output=output)
        for line in summary_lines(found):
            typer.echo(line)
        if found.path is not None:
            typer.echo(f"diff: {found.path}")
        return ExitCode.OK

    _run(action, debug, quiet, verbose)


def _run_lines(runs: pd.DataFrame) -> list[str]:
    """One line per run of a sweep's runs table: its varied values (blank where the run
    keeps the base's; none for the base run), status and objective."""
    import pandas as pd

    columns = list(runs.columns)
    varied = columns[columns.index("sweep") + 1:columns.index("status")]
    lines = []
    for run in runs.to_dict("records"):
        changes = ", ".join(f"{label}={run[label]:g}" for label in varied
                            if pd.notna(run[label])) or "base"
        objective = "-" if pd.isna(run["objective"]) else f"{run['objective']:,.2f}"
        lines.append(f"run {run['run']} ({changes}): {run['status']}, objective {objective}")
    return lines


def main() -> None:
    """The `optimizer` command. The process ends without Python freeing its objects one by
    one: a solved base case leaves millions of Pyomo objects, whose teardown took 1.4 s
    after the plan was written (3 s with the comparisons' models). Exit handlers still run
    (logging's, multiprocessing's, Dask's), and the output streams are flushed."""
    try:
        app()
        code: int | str | None = 0
    except SystemExit as done:
        code = done.code
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()  # what interpreter shutdown runs first
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe, a closed stream
            stream.flush()
    os._exit(code or 0)


if __name__ == "__main__":
    main()
