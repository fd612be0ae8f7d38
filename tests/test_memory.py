"""The collector within a solve: what is built is frozen until the outermost solve ends."""

from __future__ import annotations

import gc

from models.memory import collector_paused, solve_scope


def test_built_objects_are_frozen_within_a_solve_and_handed_back_after():
    gc.unfreeze()
    with collector_paused():
        kept = [[] for _ in range(1000)]
    assert gc.get_freeze_count() == 0  # outside a solve nothing is frozen
    with solve_scope():
        with solve_scope():  # a solve within a solve (a sweep's run, a workbook's solve)
            with collector_paused():
                kept += [[] for _ in range(1000)]
            assert gc.get_freeze_count() >= len(kept)
        assert gc.get_freeze_count() >= len(kept)  # the outer solve still runs
        assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_a_failed_solve_hands_its_objects_back():
    gc.unfreeze()
    try:
        with solve_scope(), collector_paused():
            raise ValueError
    except ValueError:
        pass
    assert gc.get_freeze_count() == 0 and gc.isenabled()
