"""The bundled graphite case (inputs/graphite.py): it validates without warnings, every figure
names its source, it reproduces the 2024-25 world with no limits, disruptions or builds, and its
policy case solves."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import assert_policy_case_solves, input_script

from optimizer.excel.sheets import write_sheets
from optimizer.studies.run import solve_workbook

ROOT = Path(__file__).resolve().parent.parent
WORKBOOK = ROOT / "inputs" / "graphite.xlsx"


def _graphite():
    return input_script("graphite")


def test_bundled_workbook_validates_without_warnings():
    """No warning at all: a slip (a 100x jump between years), an unknown column or a stock
    valued at 0 would each be one."""
    done = subprocess.run([sys.executable, "-m", "optimizer", "validate", str(WORKBOOK)],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "warning" not in done.stderr, done.stderr


def test_every_sources_row_names_a_source():
    rows = _graphite().sheets()["sources"]
    assert rows[0] == ["sheet", "key", "column", "value", "source"]
    assert len(rows) > 50
    for row in rows[1:]:  # an address, a tag of the shared reference, or the reasoning
        assert "http" in row[4] or re.search(r"\[[A-Z]\d+\]", row[4]) \
            or row[4].startswith(("assumption", "derived")), row


def test_calibration_no_limits_no_disruptions_no_builds(tmp_path):
    """USGS MCS 2025: China ~78% of 2024 natural graphite mine output (within 2 points);
    IEA/SNE: China makes over 90% of anode material. In the first year."""
    sheets = _graphite().sheets(policy=False, disruptions=False, builds=False)
    sheets["settings"].append(["compare", "none"])  # the plan alone, no counterfactuals
    plan = solve_workbook(write_sheets(tmp_path / "no_policy.xlsx", sheets), write=False).plan

    def first_year(table: str, material: str):
        rows = plan.tables[table]
        return rows[(rows.scenario == "baseline") & (rows.year == 2026)
                     & (rows.material == material)]

    flake = first_year("purchases", "FLAKE")
    anode = first_year("production", "ANODE")
    assert flake[flake.country == "CHN"].quantity.sum() / flake.quantity.sum() \
        == pytest.approx(0.78, abs=0.02)
    assert anode[anode.country == "CHN"].quantity.sum() / anode.quantity.sum() > 0.90
    assert plan.tables["shortages"].shortage.sum() == pytest.approx(0, abs=1e-6)
    assert plan.tables["builds"].empty


def test_spheronisation_fines_are_disposed_of(tmp_path):
    """Fines have no use in the chain: every tonne made is disposed of at its cost."""
    sheets = _graphite().sheets(policy=False, disruptions=False, builds=False)
    sheets["settings"].append(["compare", "none"])
    plan = solve_workbook(write_sheets(tmp_path / "fines.xlsx", sheets), write=False).plan
    disposal = plan.tables["disposal"]
    made = plan.tables["production"]
    spg = made[(made.scenario == "baseline") & (made.year == 2026)
               & (made.technology == "SPHERONISE")].quantity.sum()
    fines = disposal[(disposal.scenario == "baseline") & (disposal.year == 2026)]
    assert fines.material.unique().tolist() == ["FINES"]
    assert fines.quantity.sum() == pytest.approx(1.5 * spg, rel=1e-6)
    assert fines.cost.sum() == pytest.approx(100 * fines.quantity.sum(), rel=1e-6)


def test_policy_case_solves_within_its_gap(tmp_path):
    plan = assert_policy_case_solves(_graphite().sheets(), tmp_path)
    assert len(plan.tables["builds"]) >= 1


def test_bundled_workbook_matches_its_script(tmp_path):
    """inputs/graphite.xlsx is what inputs/graphite.py writes (rerun the script after editing
    it); its own compare setting is left to the default, the counterfactuals."""
    from optimizer.contract.validate import load_inputs

    fresh = load_inputs(write_sheets(tmp_path / "fresh.xlsx", _graphite().sheets()))
    bundled = load_inputs(WORKBOOK)
    assert fresh.settings == bundled.settings
    assert "compare" not in {row[0] for row in _graphite().sheets()["settings"]}
    for name, table in fresh.tables.items():
        assert table.equals(bundled.tables[name]), f"sheet {name} differs: rerun the script"
