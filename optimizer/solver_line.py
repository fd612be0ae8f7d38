"""The solver's progress on a terminal: one line on stderr, redrawn in place while HiGHS runs,
such as

    solving | 1m05s | best plan 168.14 bn | bound 167.90 bn | gap 0.14%

from HiGHS's MIP callbacks, at most REDRAWS_PER_S times a second, and erased when HiGHS
returns (so that messages logged between solves never meet half a line). The command line
turns it on for a terminal only: never for a pipe, CI, a test, -q, or -v (which shows HiGHS's
own log instead). HiGHS's run captures file descriptor 2 (Pyomo logs what HiGHS prints), so
the line goes to a copy of it taken before.

A local batch draws its own line instead (`batch_text`, on the line `take` hands over): its
workers send their statuses to it (`sending`) where a solve alone would draw them.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, TextIO

REDRAWS_PER_S = 4
DEFAULT_PHASE = "solving"
READING = "reading"  # a batch worker's first phase: reading, checking and building its case
STARTING = "starting"  # a batch case whose worker has not reported yet
DEFAULT_WIDTH = 80
# (factor, suffix) for amounts, largest first: 168,140,000,000 is "168.14 bn"
SCALES = ((1e12, "tn"), (1e9, "bn"), (1e6, "M"), (1e3, "k"))
ERASE = "\r\x1b[K"  # back to the line's start, and clear it


def amount(value: float | None) -> str:
    """An objective or bound, short: `168.14 bn`, `12.35 M`, `950.00`; `-` for none yet."""
    if value is None or not math.isfinite(value):
        return "-"
    for factor, suffix in SCALES:
        if abs(value) >= factor:
            return f"{value / factor:.2f} {suffix}"
    return f"{value:.2f}"


def duration(seconds: float) -> str:
    """`42s`, `3m05s`, `1h02m`."""
    whole = int(max(seconds, 0.0))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def percent(gap: float | None) -> str:
    """A relative gap as a percentage; `-` while there is no plan to measure it from."""
    if gap is None or not math.isfinite(gap) or gap < 0:
        return "-"
    return f"{gap:.2%}"


def status_text(phase: str, elapsed: float, incumbent: float | None, bound: float | None,
                gap: float | None) -> str:
    """The line's text: what runs, for how long, the best plan's objective (the incumbent),
    the best bound and the gap between them."""
    return (f"{phase} | {duration(elapsed)} | best plan {amount(incumbent)} | "
            f"bound {amount(bound)} | gap {percent(gap)}")


@dataclass(frozen=True)
class SolverStatus:
    """What a solve is doing: its phase and, while HiGHS reports (`from_highs`), for how long,
    the best plan's objective (the incumbent), the best bound and the gap between them."""

    phase: str
    elapsed: float = 0.0
    incumbent: float | None = None
    bound: float | None = None
    gap: float | None = None
    from_highs: bool = False

    def text(self) -> str:
        return status_text(self.phase, self.elapsed, self.incumbent, self.bound, self.gap)


def case_text(name: str, status: SolverStatus, detail: bool = False) -> str:
    """A running batch case: `a.xlsx 1m05s gap 0.14%` (its phase before the time unless it is
    plain solving; with `detail`, the best plan and the bound after the gap) while HiGHS
    reports, else its phase alone, `b.xlsx reading`."""
    if not status.from_highs:
        return f"{name} {status.phase}"
    phase = "" if status.phase == DEFAULT_PHASE else f"{status.phase} "
    text = f"{name} {phase}{duration(status.elapsed)} gap {percent(status.gap)}"
    if detail:
        text += f", best plan {amount(status.incumbent)}, bound {amount(status.bound)}"
    return text


def batch_text(done: int, total: int, failed: int,
               running: Sequence[tuple[str, SolverStatus]]) -> str:
    """A local batch's line: the cases done, then each running case (`case_text`; a lone one
    in detail, as there is room), e.g. `batch 3/20 done | a.xlsx 1m05s gap 0.14% | b.xlsx
    reading`."""
    head = f"batch {done}/{total} done" + (f" ({failed} failed)" if failed else "")
    detail = len(running) == 1
    return " | ".join([head, *(case_text(name, status, detail) for name, status in running)])


class Throttle:
    """At most one event every `every_s` seconds."""

    def __init__(self, every_s: float):
        self.every_s = every_s
        self._next = -math.inf

    def due(self) -> bool:
        """Whether an event is allowed now (checked before building it: callbacks must return
        fast)."""
        return time.monotonic() >= self._next

    def _mark(self) -> None:
        self._next = time.monotonic() + self.every_s


class StatusLine(Throttle):
    """One line of `stream` (a terminal) redrawn in place, at most once every `redraw_s`
    seconds; `clear` erases it."""

    def __init__(self, stream: TextIO, redraw_s: float = 1 / REDRAWS_PER_S):
        super().__init__(redraw_s)
        self.stream = stream
        self.drawn = False

    def show(self, text: str) -> None:
        self._mark()
        # a line wider than the terminal would wrap, and \r could not erase it
        self._write(ERASE + text[:self._width() - 1])
        self.drawn = True

    def report(self, status: SolverStatus) -> None:
        self.show(status.text())

    def begin(self, phase: str) -> None:
        """A phase began: the line waits for HiGHS's callbacks to show it."""

    def clear(self) -> None:
        if self.drawn:
            self._write(ERASE)
            self.drawn = False
        self._next = -math.inf

    def _write(self, text: str) -> None:
        with contextlib.suppress(OSError, ValueError):  # a closed terminal: no line, no error
            self.stream.write(text)
            self.stream.flush()

    def _width(self) -> int:
        try:
            return os.get_terminal_size(self.stream.fileno()).columns or DEFAULT_WIDTH
        except (AttributeError, OSError, ValueError):
            return DEFAULT_WIDTH


class StatusSender(Throttle):
    """In a batch worker: statuses to the parent, at most once every `every_s` seconds (phases
    at once: they are few), over a pipe whose writes never block (`sending`)."""

    def __init__(self, conn: Connection, every_s: float):
        super().__init__(every_s)
        self.conn = conn

    def report(self, status: SolverStatus) -> None:
        self._mark()
        # a full pipe (the parent busy writing a plan) drops the status: the next one follows
        with contextlib.suppress(OSError, ValueError):
            self.conn.send(status)

    def begin(self, phase: str) -> None:
        self.report(SolverStatus(phase))

    def clear(self) -> None:
        """HiGHS returned: the parent shows the last status until the next one."""


_line: StatusLine | StatusSender | None = None
_phases: list[tuple[str, float]] = []  # (name, when it began), outermost first


def enable(stream: TextIO | None = None, redraw_s: float = 1 / REDRAWS_PER_S) -> None:
    """Show the line on `stream` (by default a copy of stderr) if it is a terminal."""
    global _line
    stream = stream if stream is not None else _terminal()
    terminal = stream is not None and _is_terminal(stream)
    _line = StatusLine(stream, redraw_s) if terminal else None


def disable() -> None:
    """No line from now on (a progress bar owns the terminal's last line)."""
    global _line
    if _line is not None:
        _line.clear()
    _line = None


def enabled() -> bool:
    return _line is not None


def take() -> StatusLine | None:
    """The terminal's line, if the solver line is on, for a caller that draws its own text on
    it (a local batch's line); no solver line from now on."""
    global _line
    line = _line if isinstance(_line, StatusLine) else None
    _line = None
    return line


@contextlib.contextmanager
def sending(conn: Connection, every_s: float | None) -> Iterator[None]:
    """In a batch worker: inside, statuses go to the parent over `conn` (the writing end of a
    one-way pipe) instead of a line, `reading` first, then at most one every `every_s`
    seconds; with `every_s` None, nothing is sent. Writes never block: a status (a few hundred
    bytes, below the pipe's atomic write size) goes whole or not at all."""
    global _line
    if every_s is None:
        yield
        return
    os.set_blocking(conn.fileno(), False)
    _line = StatusSender(conn, every_s)
    _line.begin(READING)
    # The worker shares the parent's terminal: its warnings erase the parent's line first
    # (which the parent redraws below them) instead of running on from it.
    warnings = logging.StreamHandler(sys.stderr)
    warnings.setFormatter(logging.Formatter(ERASE + "%(message)s"))
    logging.getLogger().addHandler(warnings)
    try:
        yield
    finally:
        logging.getLogger().removeHandler(warnings)
        _line = None
        os.set_blocking(conn.fileno(), True)  # the result that follows may outgrow the pipe


def _terminal() -> TextIO | None:
    """A stream on a copy of stderr's file descriptor, when stderr is a terminal."""
    try:
        if not sys.stderr.isatty():
            return None
        return open(os.dup(sys.stderr.fileno()), "w", encoding=sys.stderr.encoding or "utf-8",
                    errors="replace", closefd=True)
    except (AttributeError, OSError, ValueError):  # no file descriptor (a test's capture)
        return None


def _is_terminal(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, OSError, ValueError):
        return False


@contextlib.contextmanager
def phase(name: str) -> Iterator[None]:
    """Name what the solves inside are for (`comparing: no_limits`, `sweep run 3/14`);
    phases nest, and the line shows them all, timing the innermost."""
    _phases.append((name, time.monotonic()))
    _begin()
    try:
        yield
    finally:
        _phases.pop()
        _begin()


def _begin() -> None:
    if _line is not None:
        _line.begin(current_phase())


def current_phase() -> str:
    return ", ".join(name for name, _ in _phases) or DEFAULT_PHASE


@contextlib.contextmanager
def watching(highs: Any) -> Iterator[None]:
    """While `highs` (a highspy.Highs) runs, redraw the line from its MIP callbacks; erase it
    when HiGHS returns."""
    if _line is None:
        yield
        return
    started = _phases[-1][1] if _phases else time.monotonic()

    def on_mip_event(event: Any) -> None:
        if _line is not None and _line.due():
            data = event.data_out
            _line.report(SolverStatus(current_phase(), time.monotonic() - started,
                                      _finite(data.mip_primal_bound),
                                      _finite(data.mip_dual_bound), data.mip_gap,
                                      from_highs=True))

    events = (highs.cbMipInterrupt, highs.cbMipLogging, highs.cbMipImprovingSolution)
    for event in events:
        event.subscribe(on_mip_event)
    try:
        yield
    finally:
        for event in events:
            event.unsubscribe(on_mip_event)
        if _line is not None:
            _line.clear()


def _finite(value: float) -> float | None:
    """HiGHS says `no plan yet` or `no bound yet` with an infinite value."""
    return value if math.isfinite(value) else None
