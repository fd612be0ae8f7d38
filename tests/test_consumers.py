"""The per-consumer view (`consumers`): the plan and each counterfactual, seen from a consumer
a limit or a stockpile names, on the hand cases of test_compare."""

from __future__ import annotations

import pytest
from conftest import tiny_sheets, write_workbook
from test_compare import LIMIT
from test_scenarios import BASE, scenario

from optimizer.studies.run import solve_workbook


def view(tmp_path, **sheets):
    path = write_workbook(tmp_path / "case.xlsx", tiny_sheets(**sheets))
    table = solve_workbook(path, write=False).plan.tables["consumers"]
    return table.set_index(["consumer", "measure", "scenario", "material"], drop=False)


def test_the_limited_consumer_with_and_without_its_limit(tmp_path):
    """JPN may take at most 30% of its 100 t/yr of oxide from CHINA (test_what_the_limits_
    cost): 30 t a year, 60 t of 200 over the horizon. Without the limit all 200 t are China's
    (the limit is kept at 100%, so origin is still traced). No builds either way."""
    table = view(tmp_path, dependence_limits=LIMIT)
    assert list(table.columns[-2:]) == ["plan", "no_limits"]  # no stockpile to remove
    row = table.loc[("JPN", "supplier_origin_use", "baseline", "OXIDE")]
    assert (row.plan, row.no_limits) == pytest.approx((60, 200))
    share = table.loc[("JPN", "supplier_origin_share", "baseline", "OXIDE")]
    assert (share.plan, share.no_limits) == pytest.approx((0.3, 1.0))
    use = table.loc[("JPN", "use", "baseline", "OXIDE")]
    assert (use.plan, use.no_limits, use.unit) == (200, 200, "t over the horizon")
    builds = table[table.measure == "build_capex"]
    assert list(builds.consumer) == ["JPN"] and builds.plan.iloc[0] == 0


def test_the_stockpile_holder_short_without_its_stockpile(tmp_path):
    """The stockpile case (test_what_the_stockpiles_are_worth): JPN's 100 t of 2027 are met
    in the cut with the stockpile, and 100 t short without it; the baseline never short."""
    table = view(tmp_path, **{**BASE, "scenarios": scenario(0.2)})
    cut = table.loc[("JPN", "shortage", "cut", "OXIDE")]
    assert (cut.plan, cut.no_stockpiles) == (0, 100)
    base = table.loc[("JPN", "shortage", "baseline", "OXIDE")]
    assert (base.plan, base.no_stockpiles) == (0, 0)
    demand = table.loc[("JPN", "demand", "cut", "OXIDE")]
    assert demand.plan == 100
    # origin is traced only where a limit asks for it: no use rows without limits
    assert not (table.measure == "supplier_origin_share").any()
