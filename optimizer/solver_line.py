"""The solver's progress on a terminal: one line on stderr, redrawn in place while HiGHS runs,
such as

    solving | 1m05s | best plan 168.14 bn | bound 167.90 bn | gap 0.14%

from HiGHS's MIP callbacks, at most REDRAWS_PER_S times a second, and erased when HiGHS
returns (so that messages logged between solves never meet half a line). The command line
turns it on for a terminal only: never for a pipe, CI, a test, -q, or -v (which shows HiGHS's
own log instead). HiGHS's run captures file descriptor 2 (Pyomo logs what HiGHS prints), so
the line goes to a copy of it taken before.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
from collections.abc import Iterator
from typing import Any, TextIO

REDRAWS_PER_S = 4
DEFAULT_PHASE = "solving"
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


class StatusLine:
    """One line of `stream` (a terminal) redrawn in place, at most once every `redraw_s`
    seconds; `clear` erases it."""

    def __init__(self, stream: TextIO, redraw_s: float = 1 / REDRAWS_PER_S):
        self.stream, self.redraw_s = stream, redraw_s
        self.drawn = False
        self._next = -math.inf

    def due(self) -> bool:
        """Whether a redraw is allowed now (checked before building the text: callbacks must
        return fast)."""
        return time.monotonic() >= self._next

    def show(self, text: str) -> None:
        self._next = time.monotonic() + self.redraw_s
        # a line wider than the terminal would wrap, and \r could not erase it
        self._write(ERASE + text[:self._width() - 1])
        self.drawn = True

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


_line: StatusLine | None = None
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
    try:
        yield
    finally:
        _phases.pop()


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
            _line.show(status_text(current_phase(), time.monotonic() - started,
                                   _finite(data.mip_primal_bound),
                                   _finite(data.mip_dual_bound), data.mip_gap))

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
