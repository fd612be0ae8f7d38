"""Pausing Python's cyclic garbage collector while a workbook is read or a model is built or
translated."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block (reference counting still frees what it
    can). Reading a large workbook, building or translating a model creates millions of
    objects that all stay alive, and each of the collector's full passes walks every one of
    them: on a case of 100,000 routes those passes took about half of the build and of the
    translation for HiGHS."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
