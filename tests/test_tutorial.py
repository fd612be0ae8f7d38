"""The README's tutorial, run as a reader would: the template, the README's own script, then
validate and solve; the plan says what the README says it says."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import run_cli

README = Path(__file__).resolve().parents[1] / "README.md"
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def tutorial_script() -> str:
    """The README's python block that starts with `# tutorial.py`."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    return next(b for b in blocks if b.startswith("# tutorial.py"))


def printed_answer() -> list[str]:
    """The lines the README says `optimizer solve` prints (the indented block after step 3)."""
    text = README.read_text().split("**3. Solve it.**", 1)[1]
    block = re.search(r"\n\n((?:    .+\n)+)", text).group(1)
    return [line.strip() for line in block.splitlines()]


def numbers(line: str) -> list[float]:
    return [float(n.replace(",", "")) for n in NUMBER.findall(line)]


@pytest.fixture(scope="module")
def plan(tmp_path_factory) -> tuple[str, dict[str, pd.DataFrame]]:
    folder = tmp_path_factory.mktemp("tutorial")
    assert run_cli("template", "tutorial.xlsx", cwd=folder).returncode == 0
    (folder / "tutorial.py").write_text(tutorial_script())
    subprocess.run([sys.executable, "tutorial.py"], cwd=folder, check=True)
    checked = run_cli("validate", "tutorial.xlsx", cwd=folder)
    assert checked.returncode == 0 and "valid" in checked.stdout, checked.stderr
    assert checked.stderr == ""  # no warning either
    solved = run_cli("solve", "tutorial.xlsx", "-o", "tutorial_plan.xlsx", cwd=folder)
    assert solved.returncode == 0, solved.stderr
    return solved.stdout, pd.read_excel(folder / "tutorial_plan.xlsx", sheet_name=None,
                                        engine="calamine")


def test_solve_prints_what_the_readme_shows(plan):
    stdout, _ = plan
    printed = stdout.splitlines()
    expected = printed_answer()
    assert [re.sub(NUMBER, "N", x) for x in printed] == \
        [re.sub(NUMBER, "N", x) for x in expected]
    for got, want in zip(printed, expected, strict=True):
        assert numbers(got) == pytest.approx(numbers(want), rel=1e-6), got


def test_the_plan_is_what_the_readme_reads_from_it(plan):
    _, tables = plan
    builds = tables["builds"]
    assert builds[["site", "year", "online_from", "capex"]].values.tolist() == \
        [["US_MAG", 2026, 2028, 80e6]]
    assert tables["shortages"].shortage.max() == pytest.approx(0, abs=1e-6)
    cut = tables["disruptions"].iloc[0]
    assert (round(cut.allowance), round(cut.reference)) == (406, 2_032)
    limits = tables["dependence"]
    baseline = limits[limits.scenario == "baseline"]
    assert baseline.binding.all() and len(baseline) == 8
    ships = tables["shipments"]
    magnets = ships[ships.material == "MAGNET"].set_index(["scenario", "year", "from_country",
                                                           "to_country"]).quantity
    assert not magnets.index.isin(["JPN"], level="from_country").any()  # none via Japan
    assert round(magnets["baseline", 2029, "CHN", "USA"]) == 352
    assert round(magnets["cut_2029", 2029, "CHN", "USA"]) == 144
    made = tables["production"].set_index(["scenario", "year", "site"]).quantity
    assert round(made["cut_2029", 2029, "US_MAG"] - made["baseline", 2029, "US_MAG"]) == 113
    assert made["cut_2029", 2029, "JP_MAG"] == pytest.approx(made["baseline", 2029, "JP_MAG"])
    stock = tables["stockpiles"].set_index(["scenario", "year"]).releases
    assert round(stock["cut_2029", 2029]) == 91
    sourcing = tables["sourcing"]
    late = sourcing[(sourcing.scenario == "baseline") & (sourcing.year == 2031)
                    & (sourcing.material == "MAGNET") & (sourcing.origin == "other")]
    assert late.set_index("country").share.to_dict() == pytest.approx({"USA": 0.7, "JPN": 0.7})
    summary = dict(zip(tables["summary"]["key"], tables["summary"]["value"], strict=False))
    assert float(summary["limits_cost"]) / 1e6 == pytest.approx(64.4, abs=0.05)
    assert float(summary["stockpiles_worth"]) / 1e6 == pytest.approx(1.2, abs=0.05)
