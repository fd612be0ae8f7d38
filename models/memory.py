"""Python's cyclic garbage collector around large models: paused while a workbook is read or a
model is built or translated, and, within a solve, kept off the models once they are built."""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_solves = 0  # solves under way in this process (`solve_scope`)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block (reference counting still frees what it
    can). Reading a large workbook, building or translating a model creates millions of
    objects that all stay alive, and each of the collector's full passes walks every one of
    them: on a case of 100,000 routes those passes took about half of the build and of the
    translation for HiGHS. Within a `solve_scope` what is alive at the end of the block is
    frozen (left out of later passes) until the solve ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        with _lock:
            if _solves:
                gc.freeze()
        if was_enabled:
            gc.enable()


@contextlib.contextmanager
def solve_scope() -> Iterator[None]:
    """A solve: the models it builds live until it ends, so the collector's passes need not
    walk them (`gc.freeze` after each build or translation); at its end they are handed back
    (`gc.unfreeze`), since a model is freed only by the collector (Pyomo's components refer
    to each other). On the base case with its comparisons the passes took 3.1 s, frozen
    0.3 s."""
    global _solves
    with _lock:
        _solves += 1
    try:
        yield
    finally:
        with _lock:
            _solves -= 1
            if not _solves:
                gc.unfreeze()
