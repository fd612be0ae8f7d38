"""The headline columns a sweep's `runs` sheet and a batch summary share, on cases solved by
hand (discount rate 0, mip_gap 0)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import tiny_sheets, write_workbook
from test_compare import LIMIT
from test_scenarios import BASE, scenario

from optimizer.solving.headline import HEADLINE_COLUMNS, built_text, headline
from optimizer.studies.batch import SUMMARY_NAME, run_batch
from optimizer.studies.sweep import sweep_workbook

# A plant in Japan: capacity 50, capex 600 paid as 300 a year (lifetime 2, rate 0), variable
# cost 12, online in its decision year 2026.
PLANT = [["site", "technology", "option", "country", "capacity", "capex", "fixed_om",
          "variable_cost", "lead_time", "lifetime", "earliest_year", "latest_year"],
         ["JP1", "SEP", "default", "JPN", 50, 600, 0, 12, 0, 2, 2026, 2026]]


def limited_with_plant(path: Path) -> Path:
    """At most 30% of JPN's 100 t/yr from China. Without the plant: 30 t at 11 and 70 t from
    Australia at 22, 1,870 a year. With it: 30 t at 11, 50 t made at 12 (Japanese origin) and
    20 t at 22: 330 + 600 + 440 + 300 = 1,670 a year, 3,340 in all. Without the limit all
    100 t come from China at 11 (2,200) and the plant (12 + 6 a tonne) is not built: the
    limits cost 3,340 - 2,200 = 1,140, resolved at gap 0. The limit binds in both years and
    one point looser moves 1 t from Australia to China: 11 a year."""
    return write_workbook(path, tiny_sheets(dependence_limits=LIMIT, sites=PLANT))


def stockpile_with_shortage(path: Path) -> Path:
    """test_compare's stockpile case with 150 t demanded in 2027: 100 t stocked in 2026
    (11 + 8.9 a tonne) are worth 0.8 x 11 + 0.2 x 100 = 28.8 a tonne, so the stock is filled.
    Baseline 1,100 + 890 + 50 x 11 = 2,540; cut 1,100 + 890 + 50 t short x 100 = 6,990;
    expected 3,430. Without the stockpile: 0.8 x 1,650 + 0.2 x 15,000 = 4,320. Worth 890.
    Shortage: 0 in the baseline, 50 t in the cut, 0.2 x 50 = 10 t expected."""
    demand = [["country", "material", "year", "quantity"], ["JPN", "OXIDE", 2027, 150]]
    return write_workbook(path, tiny_sheets(**{**BASE, "scenarios": scenario(0.2),
                                               "demand": demand}))


def read_table(path: Path, sheet: str) -> pd.DataFrame:
    return pd.read_excel(path, sheet_name=sheet, engine="calamine").dropna(how="all")


def test_batch_summary_carries_each_plans_headline(tmp_path):
    inputs = [limited_with_plant(tmp_path / "limited.xlsx"),
              stockpile_with_shortage(tmp_path / "stockpile.xlsx"), tmp_path / "missing.xlsx"]
    results = run_batch(inputs, tmp_path / "out")
    assert [r.status for r in results] == ["optimal", "optimal", "invalid"]
    table = read_table(tmp_path / "out" / SUMMARY_NAME, "summary").set_index("input")
    limited, stock, missing = (table.loc[str(p)] for p in inputs)

    assert limited.objective == pytest.approx(3340)
    assert (limited.limits_cost, limited.limits_cost_low, limited.limits_cost_high) == \
        pytest.approx((1140, 1140, 1140))
    assert limited.limits_cost_resolved
    assert pd.isna(limited.stockpiles_worth)  # skipped: no stockpiles to remove
    assert (limited.builds, limited.build_capex, limited.built) == (1, 600, "JPN SEP 2026")
    assert (limited.limits_binding, limited.max_marginal_cost) == (2, pytest.approx(11))
    assert (limited.baseline_shortage, limited.expected_shortage, limited.worst_shortage) \
        == (0, 0, 0)

    assert stock.objective == pytest.approx(3430)
    assert (stock.stockpiles_worth, stock.stockpiles_worth_low, stock.stockpiles_worth_high) \
        == pytest.approx((890, 890, 890))
    assert stock.stockpiles_worth_resolved
    assert pd.isna(stock.limits_cost)  # no limits
    assert (stock.builds, stock.build_capex, stock.built) == (0, 0, "none")
    assert stock.limits_binding == 0 and pd.isna(stock.max_marginal_cost)
    assert (stock.baseline_shortage, stock.expected_shortage, stock.worst_shortage) == \
        pytest.approx((0, 10, 50))

    assert missing.status == "invalid"
    assert missing[HEADLINE_COLUMNS].isna().all()


def test_batch_summary_headline_cells_have_formats_and_units(tmp_path):
    run_batch([limited_with_plant(tmp_path / "limited.xlsx")], tmp_path / "out")
    ws = openpyxl.load_workbook(tmp_path / "out" / SUMMARY_NAME)["summary"]
    header = [c.value for c in ws[1]]
    assert header[:6] == ["input", "status", "exit_code", "objective", "mip_gap",
                          "limits_cost"]
    assert header[-3:] == ["seconds", "message", "plan"]
    cell = {name: ws.cell(2, header.index(name) + 1) for name in header}
    assert cell["build_capex"].number_format == "#,##0"
    assert cell["worst_shortage"].number_format == "#,##0.0"
    assert cell["built"].value == "JPN SEP 2026"
    assert cell["limits_cost_resolved"].value is True
    comments = {name: (c.comment.text if c.comment else None)
                for name, c in zip(header, ws[1], strict=True)}
    assert comments["limits_cost"] == "unit: currency (discounted)"
    assert comments["expected_shortage"] == "unit: t over the horizon"


def test_sweep_runs_carry_the_headline_without_comparisons(tmp_path):
    """Sweeps solve no counterfactuals: the policy-cost columns stay blank while the rest of
    the headline is filled. Australia's price x2 (42 delivered) keeps the same build and
    makes the 20 t/yr still bought there 20 dearer a tonne; one point looser now saves
    42 - 11 = 31 a year."""
    source = limited_with_plant(tmp_path / "case.xlsx")
    results, out = sweep_workbook(source, tmp_path / "sweep.xlsx",
                                  vary=["supply.price[country=AUS]*=2"])
    assert [r.objective for r in results] == pytest.approx([3340, 3340 + 2 * 20 * 20])
    runs = read_table(out, "runs")
    assert runs[[c for c in HEADLINE_COLUMNS if c.startswith(("limits_cost",
                                                              "stockpiles"))]].isna().all().all()
    assert list(runs["builds"]) == [1, 1]
    assert list(runs["built"]) == ["JPN SEP 2026"] * 2
    assert list(runs["build_capex"]) == [600, 600]
    assert list(runs["limits_binding"]) == [2, 2]
    assert list(runs["max_marginal_cost"]) == pytest.approx([11, 31])
    assert list(runs["worst_shortage"]) == [0, 0]


def test_a_failed_run_has_blank_headline_cells(tmp_path):
    """A cover of 365 days (100 t) above the stockpile's capacity (50 t) is infeasible."""
    piles = [["country", "material", "initial", "capacity", "min_cover_days"],
             ["JPN", "OXIDE", 0, 50, 0]]
    source = write_workbook(tmp_path / "case.xlsx", tiny_sheets(stockpiles=piles))
    results, out = sweep_workbook(source, tmp_path / "sweep.xlsx",
                                  vary=["stockpiles.min_cover_days=365"])
    assert [r.status for r in results] == ["optimal", "infeasible"]
    runs = read_table(out, "runs")
    assert runs[HEADLINE_COLUMNS].iloc[1].isna().all()
    assert runs["builds"].iloc[0] == 0 and runs["built"].iloc[0] == "none"


def test_built_text_counts_twins_and_what_does_not_fit():
    builds = pd.DataFrame({"country": ["USA", "JPN", "USA", "AUS"],
                           "technology": ["MAG", "MAG", "MAG", "SEP"],
                           "online_from": [2030, 2028, 2030, 2027]})
    full = "AUS SEP 2027; JPN MAG 2028; USA MAG 2030 (x2)"
    assert built_text(builds) == built_text(builds, limit=len(full)) == full
    assert built_text(builds, limit=len(full) - 1) == "AUS SEP 2027; JPN MAG 2028; +1 more"
    assert built_text(builds, limit=34) == "AUS SEP 2027; +2 more"
    assert built_text(builds, limit=5) == "AUS SEP 2027; +2 more"  # the first always shows
    assert built_text(builds.iloc[:0]) == "none"


def test_headline_of_a_plan_without_comparisons_or_limits():
    summary = {"builds": 0, "build_capex": 0.0, "baseline_shortage": 5.0,
               "expected_shortage": 5.0, "worst_shortage": 5.0, "limits_binding": 0}
    row = headline(summary, {"builds": pd.DataFrame(columns=["country", "technology",
                                                             "online_from"]),
                             "dependence": pd.DataFrame(columns=["marginal_cost"])})
    assert list(row) == HEADLINE_COLUMNS
    assert row["limits_cost"] is None and row["max_marginal_cost"] is None
    assert (row["built"], row["worst_shortage"]) == ("none", 5.0)
