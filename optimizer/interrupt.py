"""Ctrl-C (SIGINT) and SIGTERM: stop within seconds, keep what finished, exit 130 / 143.

HiGHS runs for minutes inside one C++ call and loses a KeyboardInterrupt raised in its
callbacks, so while it runs, a signal is only recorded: HiGHS's interrupt callbacks (simplex,
interior point, MIP), which it calls every few moments, see it and ask HiGHS to stop, and the
code raises `Interrupted` once HiGHS has returned. Anywhere else the signal raises `Interrupted`
at once, as Ctrl-C raises KeyboardInterrupt. `Interrupted` is a KeyboardInterrupt, so no
`except Exception` turns it into a failed run or case.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from types import FrameType
from typing import Any

from optimizer.errors import ExitCode

EXIT_CODES = {signal.SIGINT: ExitCode.INTERRUPTED, signal.SIGTERM: ExitCode.TERMINATED}


class Interrupted(KeyboardInterrupt):
    """A signal stopped the command; `exit_code` is 130 (SIGINT) or 143 (SIGTERM)."""

    def __init__(self, signum: int = signal.SIGINT):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.exit_code = EXIT_CODES.get(signal.Signals(signum), ExitCode.INTERRUPTED)


_received: int | None = None  # the first signal, once one came
_solving = 0  # HiGHS runs under way
_deferred = 0  # worker processes being started


def install() -> None:
    """Handle SIGINT and SIGTERM as above (the command line does; a library leaves the
    process's signals alone)."""
    global _received
    _received = None
    for signum in EXIT_CODES:
        signal.signal(signum, _handle)


def _handle(signum: int, frame: FrameType | None) -> None:
    global _received
    first = _received is None
    _received = _received or signum
    # Raising inside HiGHS's callbacks would be lost: its interrupt callback stops it
    # (`_stop_if_signalled`) and the solve raises once HiGHS returns. A later signal must not
    # break off the clean-up that keeps what finished.
    if first and not _solving and not _deferred:
        raise Interrupted(signum)


def requested() -> bool:
    return _received is not None


def check() -> None:
    """Raise `Interrupted` if a signal came (e.g. while HiGHS was running)."""
    if _received is not None:
        raise Interrupted(_received)


def _stop_if_signalled(event: Any) -> None:
    """HiGHS's interrupt callback: stop once a signal came (Python runs the signal handler
    in the callback, just before this)."""
    if _received is not None:
        event.interrupt()


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """While worker processes start, a signal waits: raised in the middle of a start, it would
    leave a worker that is not yet known (so never killed) to die on its own, printing a
    traceback. Ctrl-C is blocked meanwhile, so a worker starts with it blocked too (the
    mask is inherited) and a Ctrl-C sent to the whole process group never reaches a worker
    before it ignores it. `Interrupted` follows once the block is done."""
    global _deferred
    _deferred += 1
    masked = hasattr(signal, "pthread_sigmask")
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) if masked else None
    try:
        yield
    finally:
        if masked:  # a Ctrl-C that came meanwhile is handled (recorded) here
            signal.pthread_sigmask(signal.SIG_SETMASK, before)
        _deferred -= 1
    check()


@contextlib.contextmanager
def cancellable(highs: Any) -> Iterator[None]:
    """While `highs` (a highspy.Highs) solves, a signal stops the solve instead of raising;
    `Interrupted` follows once it returned."""
    global _solving
    check()
    events = (highs.cbSimplexInterrupt, highs.cbIpmInterrupt, highs.cbMipInterrupt)
    for event in events:
        event.subscribe(_stop_if_signalled)
    _solving += 1
    try:
        yield
    finally:
        _solving -= 1
        for event in events:
            event.unsubscribe(_stop_if_signalled)
    check()


def ignore_in_worker() -> None:
    """In a worker process: Ctrl-C reaches the whole process group, but the parent alone
    decides (it keeps what finished and kills its workers)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
