"""The model is the model: each case's rows, columns and nonzeros as HiGHS receives them, its
optimum at mip_gap 0 and the base case's fixed-build LP optimum equal the stored fingerprints
(tests/model_fingerprints.json; see tests/fingerprints.py for when and how to update them)."""

from __future__ import annotations

import pytest
from fingerprints import CASES, fingerprint, load

from benchmarks.orlib import OPTIMA

STORED = load()


@pytest.mark.parametrize("name", CASES)
def test_model_fingerprints(name: str) -> None:
    stored = STORED[name]
    now = fingerprint(name, stored.get("builds"))
    for size in ("rows", "columns", "nonzeros"):
        assert now[size] == stored[size], size
    for optimum in ("objective", "fixed_build_lp"):
        if optimum in stored:
            assert now[optimum] == pytest.approx(stored[optimum], rel=1e-9), optimum


def test_stored_optima_of_the_published_instances_are_the_published_ones() -> None:
    published = set(OPTIMA) & set(STORED)
    assert published >= {"cap41", "cap131"}
    for name in published:
        assert STORED[name]["objective"] == pytest.approx(OPTIMA[name], rel=1e-9)
