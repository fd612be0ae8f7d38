"""Exit codes, status words, and the exceptions that carry them to the CLI's single error
boundary. One vocabulary: a plan's summary, a batch row and a sweep run label the same outcome
with the same word (solve.OUTCOMES gives the solver's; each exception class carries its own)."""

from __future__ import annotations

from enum import IntEnum, StrEnum

from optimizer.contract.schema import Issue


class ExitCode(IntEnum):
    OK = 0
    INTERNAL_ERROR = 1
    USAGE = 2
    INVALID_INPUT = 3
    INFEASIBLE = 4
    TIME_LIMIT_NO_PLAN = 5
    TIME_LIMIT_WITH_PLAN = 6
    OUTPUT_UNWRITABLE = 7
    SOME_CASES_FAILED = 8
    INTERRUPTED = 130  # 128 + SIGINT, as shells report it
    TERMINATED = 143  # 128 + SIGTERM


EXIT_CODE_MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "solved to optimality within the requested gap (or: input valid)",
    ExitCode.INTERNAL_ERROR: "internal error (a bug: run with --debug for the traceback)",
    ExitCode.USAGE: "usage error: the command cannot run as typed (an unknown option, an "
    "output name not ending in .xlsx, a malformed --vary, --compare or --scheduler, a sweep "
    "with no variations or more runs than --max-runs)",
    ExitCode.INVALID_INPUT: "invalid input, or an input file missing or unreadable (every "
    "problem reported; nothing solved)",
    ExitCode.INFEASIBLE: "infeasible (an explanation names the limits that conflict)",
    ExitCode.TIME_LIMIT_NO_PLAN: "time limit reached with no feasible plan",
    ExitCode.TIME_LIMIT_WITH_PLAN: "time limit reached with a plan not proven optimal "
    "(plan written, gap shown)",
    ExitCode.OUTPUT_UNWRITABLE: "output cannot be written (would overwrite an input, file open "
    "in Excel, target read-only or not a regular file, name too long, folder missing or "
    "read-only, disk full)",
    ExitCode.SOME_CASES_FAILED: "batch or sweep finished with at least one failed case",
    ExitCode.INTERRUPTED: "interrupted by Ctrl-C (SIGINT): stopped within seconds, what finished "
    "is kept (a sweep's finished runs, a batch's plans and summary), no child process left",
    ExitCode.TERMINATED: "stopped by SIGTERM (as for 130)",
}


class Status(StrEnum):
    """What a solve, a batch case or a sweep run ended as (a str: written as the word)."""

    OPTIMAL = "optimal"  # proven within solve.OPTIMAL_GAP
    WITHIN_GAP = "within_gap"  # accepted at the requested mip_gap
    TIME_LIMIT = "time_limit"  # with a plan (exit 6) or without one (exit 5)
    ITERATION_LIMIT = "iteration_limit"
    INFEASIBLE = "infeasible"
    INVALID = "invalid"  # the input cannot be used
    OUTPUT_ERROR = "output_error"
    USAGE_ERROR = "usage_error"
    ERROR = "error"  # the solver stopped without a plan for another reason, or a bug
    INTERRUPTED = "interrupted"  # stopped, or never started, by Ctrl-C or SIGTERM
    FAILED = "failed"  # a batch worker crashed or ran past --case-timeout


class OptimizerError(Exception):
    """An expected failure: a one-line message, a status word and an exit code, never a
    traceback."""

    exit_code = ExitCode.INTERNAL_ERROR
    status = Status.ERROR

    @property
    def detail(self) -> str:
        """The message a batch row or a sweep run records."""
        return str(self)


SHOWN = 10  # problems an InputError's text lists; `.issues` holds them all


class InputError(OptimizerError):
    """The input workbook cannot be used; `issues` lists every problem found."""

    exit_code = ExitCode.INVALID_INPUT
    status = Status.INVALID

    def __init__(self, issues: list[Issue], path: str = ""):
        self.issues = [i for i in issues if not i.warning]
        self.warnings = [i for i in issues if i.warning]
        self.path = path
        n = len(self.issues)
        self.summary = f"{n} problem{'s' if n != 1 else ''} found"
        if path:
            self.summary = f"{path}: {self.summary}"
        super().__init__(self.summary)

    def __str__(self) -> str:
        """The count and the problems, as the command line prints them (the first
        `SHOWN` of many), so an uncaught error in Python says why."""
        lines = [f"error: {issue}" for issue in self.issues[:SHOWN]]
        if len(self.issues) > SHOWN:
            lines.append(f"... and {len(self.issues) - SHOWN} more (all in .issues)")
        return "\n".join([self.summary, *lines])

    @property
    def detail(self) -> str:
        return "; ".join(map(str, self.issues)) or str(self)


class OutputError(OptimizerError):
    exit_code = ExitCode.OUTPUT_UNWRITABLE
    status = Status.OUTPUT_ERROR


class UsageError(OptimizerError):
    exit_code = ExitCode.USAGE
    status = Status.USAGE_ERROR


class InfeasibleError(OptimizerError):
    exit_code = ExitCode.INFEASIBLE
    status = Status.INFEASIBLE


class SolverError(OptimizerError):
    """The solver stopped for a reason that is not a plan, infeasibility or a time limit."""

    exit_code = ExitCode.INTERNAL_ERROR


class TimeLimitNoPlanError(OptimizerError):
    exit_code = ExitCode.TIME_LIMIT_NO_PLAN
    status = Status.TIME_LIMIT
