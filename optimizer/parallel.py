"""What the commands that run many solves share: how many workers, progress, stopping them."""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import time
from collections.abc import Sequence
from types import TracebackType

from optimizer import solver_line

log = logging.getLogger(__name__)

MAX_RUNS = 10_000  # a sweep larger than this is more likely a typo than a plan (--force)
LINES = 20  # about this many plain progress lines per sweep or batch
LINE_EVERY_S = 60.0  # and one at least this often


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # what this process may use, not the machine
    except AttributeError:
        return os.cpu_count() or 1


def cap_jobs(jobs: int, tasks: int, noun: str) -> int:
    """`jobs`, but no more than the tasks or the cores: more workers would only wait or
    compete for a core."""
    cap, why = min((max(tasks, 1), f"the number of {noun}"),
                   (usable_cores(), "the number of cores"))
    if jobs <= cap:
        return jobs
    log.warning("--jobs %d capped to %d (%s)", jobs, cap, why)
    return cap


def kill_children() -> None:
    """Kill this process's multiprocessing children (workers in the middle of a solve) and
    reap them, so that none outlives an interrupted command."""
    children = multiprocessing.active_children()
    for child in children:
        child.kill()
    for child in children:
        child.join(timeout=5)


class Progress:
    """Finished runs or cases on stderr: a bar on a terminal, or for a local batch where the
    solver line would show, a line that also says what each running case does; elsewhere
    (logs, CI, a pipe), or beside the solver line, a plain line such as `run 5/14 done
    (3 failed)` every few results."""

    def __init__(self, noun: str, quiet: bool = False):
        self.noun, self.quiet = noun, quiet
        self.total = self.done = self.failed = 0
        self._bar = None
        self._line: solver_line.StatusLine | None = None
        self._step = 1
        self._last_line = time.monotonic()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()
        if self._line is not None:
            self._line.clear()

    def start(self, total: int, bar: bool = True, running: bool = False) -> None:
        """`bar`: a bar on a terminal (not for runs solved here, one by one, which the solver
        line follows instead); `running`: instead of the bar, on the solver line's terminal
        (not with -q or -v), the running cases and their solvers' statuses (`show_running`)."""
        self.total, self._step = total, max(1, total // LINES)
        if self.quiet or not bar:
            return
        if running:
            self._line = solver_line.take()
        if self._line is not None or not sys.stderr.isatty():
            return
        solver_line.disable()  # the bar owns the terminal's last line
        from rich.console import Console
        from rich.progress import Progress as Bar

        self._bar = Bar(console=Console(stderr=True), transient=True)
        self._task = self._bar.add_task(f"solving {self.noun}s", total=total)
        self._bar.start()

    @property
    def status_every_s(self) -> float | None:
        """How often the running cases' statuses are worth sending: as often as the line is
        redrawn; None without that line."""
        return self._line.every_s if self._line is not None else None

    def show_running(self, running: Sequence[tuple[str, solver_line.SolverStatus]]) -> None:
        """Redraw the line (when due) with the cases done and `running`: (name, status)."""
        if self._line is not None and self._line.due():
            self._line.show(solver_line.batch_text(self.done, self.total, self.failed, running))

    def advance(self, failed: bool) -> None:
        self.done += 1
        self.failed += failed
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done)
            return
        if self._line is not None:  # redrawn with the running cases
            return
        now = time.monotonic()
        if self.done % self._step == 0 or self.done == self.total or \
                now - self._last_line >= LINE_EVERY_S:
            self._last_line = now
            log.info("%s %d/%d done (%d failed)", self.noun, self.done, self.total,
                     self.failed)
