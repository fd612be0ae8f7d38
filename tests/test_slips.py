"""Slips: a quantity that jumps a hundredfold between consecutive years of one series of rows
(demand or supply of a country and material, capacity of a site or plant's technology) is a
warning naming both rows; the case stays valid."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Rows, problems, run_cli, tiny_sheets, write_workbook

from optimizer.contract.wording import number_text, quantity_text

DEMAND = ["country", "material", "year", "quantity"]
SUPPLY = ["country", "material", "year", "max_quantity", "price"]
SETTINGS_3Y = [["key", "value"], ["first_year", 2026], ["last_year", 2028],
               ["discount_rate", 0], ["mip_gap", 0]]


def book(tmp_path: Path, **sheets: Rows | None) -> Path:
    return write_workbook(tmp_path / "case.xlsx", tiny_sheets(settings=SETTINGS_3Y, **sheets))


def test_a_hundredfold_jump_in_demand_names_both_rows(tmp_path: Path) -> None:
    demand = [DEMAND, ["JPN", "OXIDE", 2026, 2500], ["JPN", "OXIDE", 2027, 250_000],
              ["JPN", "OXIDE", 2028, 260_000]]
    errors, warnings = problems(book(tmp_path, demand=demand))
    assert errors == []
    assert warnings == ["sheet 'demand', row 3, column 'quantity': quantity 250,000 t in 2027 "
                        "is 100 times the quantity of row 2, 2,500 t in 2026: a slip of units "
                        "or zeros? Check both rows"]


def test_a_hundredfold_drop_in_supply_in_the_materials_unit(tmp_path: Path) -> None:
    materials = [["material", "unit", "shortage_cost"], ["OXIDE", "kg", 1000]]
    supply = [SUPPLY, ["CHN", "OXIDE", 2027, 500, 10], ["CHN", "OXIDE", 2026, 50_000, 10],
              ["AUS", "OXIDE", None, None, 20]]
    _, warnings = problems(book(tmp_path, materials=materials, supply=supply))
    assert warnings == ["sheet 'supply', row 2, column 'max_quantity': max_quantity 500 kg in "
                        "2027 is 1/100 of the max_quantity of row 3, 50,000 kg in 2026: a slip "
                        "of units or zeros? Check both rows"]


@pytest.mark.parametrize("rows", [
    pytest.param([["JPN", "OXIDE", 2026, 100], ["JPN", "OXIDE", 2027, 9_999]], id="99-fold"),
    pytest.param([["JPN", "OXIDE", 2026, 100], ["JPN", "OXIDE", 2028, 10_000]],
                 id="a-year-apart-is-not-consecutive"),
    pytest.param([["JPN", "OXIDE", 2026, 0], ["JPN", "OXIDE", 2027, 10_000]],
                 id="from-zero-is-a-new-market"),
    pytest.param([["JPN", "OXIDE", None, 100], ["JPN", "OXIDE", 2027, 10_000]],
                 id="a-blank-year-row-is-no-step"),
    pytest.param([["JPN", "OXIDE", 2026, 100], ["AUS", "OXIDE", 2027, 10_000]],
                 id="another-country"),
])
def test_no_warning_without_a_hundredfold_step_between_consecutive_years(
        tmp_path: Path, rows: Rows) -> None:
    assert problems(book(tmp_path, demand=[DEMAND, *rows])) == ([], [])


def test_capacity_of_a_sites_options_in_consecutive_years_but_not_of_alternatives(
        tmp_path: Path) -> None:
    """Options decided in 2026 and from 2027 on follow each other: 50 t then 5,000 t is a
    step. Two sizes offered in the same years are alternatives, not a step."""
    sites = [["site", "technology", "option", "country", "capacity", "capex", "lifetime",
              "earliest_year", "latest_year"],
             ["Osaka", "SEP", "early", "JPN", 50, 1000, 20, None, 2026],
             ["Osaka", "SEP", "late", "JPN", 5000, 100_000, 20, 2027, None],
             ["Perth", "SEP", "small", "AUS", 50, 1000, 20, None, None],
             ["Perth", "SEP", "large", "AUS", 5000, 100_000, 20, None, None]]
    _, warnings = problems(book(tmp_path, sites=sites))
    assert warnings == ["sheet 'sites', row 3, column 'capacity': capacity 5,000 t from 2027 "
                        "is 100 times the capacity of row 2, 50 t until 2026: a slip of units "
                        "or zeros? Check both rows"]


def test_a_capex_far_below_the_price_of_its_output_is_a_warning(tmp_path: Path) -> None:
    """350 typed for 350 million: 0.01458 USD per t/yr, where supply costs 15 USD/t (the
    median of 10 and 20). A capex of 1 per t/yr, or 0 (a free option), is no warning, nor is
    the same capex in a workbook whose prices are in millions too."""
    sites = [["site", "technology", "option", "country", "capacity", "capex", "lifetime"],
             ["Osaka", "SEP", "big", "JPN", 24_000, 350, 20],
             ["Perth", "SEP", "small", "AUS", 50, 50, 20],
             ["Kobe", "SEP", "free", "JPN", 50, 0, 20]]
    _, warnings = problems(book(tmp_path, sites=sites))
    assert warnings == ["sheet 'sites', row 2, column 'capex': capex 350 USD for 24,000 t/yr "
                        "is 0.01458 USD per t/yr, against supply prices of 15 USD per unit: "
                        "millions? A plant costs about a year's output at market prices; write "
                        "the capex in USD"]
    in_millions = [["country", "material", "year", "max_quantity", "price"],
                   ["CHN", "OXIDE", None, None, 10e-6], ["AUS", "OXIDE", None, None, 20e-6]]
    _, warnings = problems(book(tmp_path, sites=sites, supply=in_millions))
    assert warnings == []


def test_capacity_of_plants_following_each_other_in_a_country(tmp_path: Path) -> None:
    plants = [["plant", "technology", "country", "capacity", "first_year", "last_year"],
              ["Baotou", "SEP", "CHN", 120_000, None, 2026],
              ["Baotou II", "SEP", "CHN", 1_200, 2027, None]]
    _, warnings = problems(book(tmp_path, existing_plants=plants))
    assert warnings == ["sheet 'existing_plants', row 3, column 'capacity': capacity 1,200 t "
                        "from 2027 is 1/100 of the capacity of row 2, 120,000 t until 2026: a "
                        "slip of units or zeros? Check both rows"]


@pytest.mark.parametrize("command", ["validate", "solve"])
def test_slips_show_through_validate_and_solve(tmp_path: Path, command: str) -> None:
    demand = [DEMAND, ["JPN", "OXIDE", 2026, 100], ["JPN", "OXIDE", 2027, 10_000]]
    path = book(tmp_path, demand=demand)
    args = [command, str(path)] + (["-o", str(tmp_path / "plan.xlsx")]
                                   if command == "solve" else [])
    result = run_cli(*args)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "warning: sheet 'demand', row 3, column 'quantity': quantity 10,000 t in 2027 " \
           "is 100 times the quantity of row 2, 100 t in 2026" in out


@pytest.mark.parametrize(("value", "text"), [
    (250_000, "250,000 t"), (2.5e5, "250,000 t"), (27.4, "27.4 t"), (27.3972, "27.4 t"),
    (100, "100 t"), (0.005, "0.005 t"), (12_345_678.9, "12,345,679 t"), (0, "0 t")])
def test_quantities_in_messages_are_plain_numbers(value: float, text: str) -> None:
    assert quantity_text(value) == text
    assert "e" not in number_text(value)
