"""The formulation's contracts: everything the application reads about a built model is
declared (a Pyomo component or a field of `Formulation`), operational variables carry
(year, scenario) last, rows are named, and each analyst limit maps to its input row."""

from __future__ import annotations

from pathlib import Path

import pyomo.environ as pyo
import pytest
from conftest import tiny_sheets, write_workbook
from fingerprints import RICH

from models import LIMIT_FAMILIES, Formulation, build_model
from models.data import UnitKind
from models.scenarios import operational
from models.terms import Terms
from optimizer.contract.to_model import build_data
from optimizer.contract.validate import load_inputs
from optimizer.solving.pipeline import prepare


def _rich(tmp_path: Path, elastic: bool = False) -> Formulation:
    path = write_workbook(tmp_path / "rich.xlsx", tiny_sheets(**RICH))
    return build_model(prepare(load_inputs(path)), elastic=elastic)


def test_the_model_holds_pyomo_components_only(tmp_path: Path) -> None:
    m = _rich(tmp_path).model
    own = set(vars(pyo.ConcreteModel()))  # what every Pyomo model has (doc, solutions, ...)
    undeclared = [name for name in vars(m) if name not in own and not name.startswith("_")
                  and m.component(name) is None]
    assert undeclared == []


def test_operational_variables_must_end_with_year_and_scenario() -> None:
    m = pyo.ConcreteModel()
    m.YEARS, m.SCENARIOS = pyo.Set(initialize=[2026]), pyo.Set(initialize=["baseline"])
    m.good = pyo.Var([("CHN", 2026, "baseline")])
    m.bad = pyo.Var([(2026, "baseline", "CHN")])
    terms = Terms()
    operational(m, terms, m.good)
    with pytest.raises(ValueError, match="must end with"):
        operational(m, terms, m.bad)
    assert terms.operational == [m.good]


def test_non_anticipativity_rows_are_named_by_variable_and_index(tmp_path: Path) -> None:
    m = _rich(tmp_path).model
    names = {index[0] for index in m.non_anticipativity}
    assert {"buy", "ship", "stock_level"} <= names
    assert ("buy", "CHN", "OXIDE", 2026, "CUT") in m.non_anticipativity  # the cut is in 2027
    assert not any(index[-2] == 2027 for index in m.non_anticipativity)


def test_each_limit_row_maps_to_its_input_sheet_and_row(tmp_path: Path) -> None:
    f = _rich(tmp_path, elastic=True)
    seen = {}
    for family in LIMIT_FAMILIES:
        con = f.limits(family)
        assert con is not None and len(con), family
        assert family in f.slacks
        seen[family] = {f.input_row(family, index) for index in con}
    # RICH has one row on each sheet, Excel row 2 under the header
    assert seen == {"cover": {("stockpiles", 2)}, "dependence": {("dependence_limits", 2)},
                    "budget": {("budgets", 2)}}


def test_unit_records_say_when_a_unit_can_be_built_and_produce(tmp_path: Path) -> None:
    """A site with lead time 1 and lifetime 2 in a 2026-2028 horizon: decided in 2026 or
    2027 (a 2028 decision would produce after the horizon), online 2027-2028 if decided in
    2026, able to produce 2027-2028."""
    sites = [["site", "technology", "country", "capacity", "capex", "lead_time", "lifetime"],
             ["A", "SEP", "AUS", 60, 500, 1, 2]]
    settings = [["key", "value"], ["first_year", 2026], ["last_year", 2028], ["mip_gap", 0]]
    path = write_workbook(tmp_path / "u.xlsx", tiny_sheets(sites=sites, settings=settings))
    unit = build_data(load_inputs(path)).units["A/SEP/default"]
    assert unit.kind is UnitKind.CANDIDATE and unit.sheet == "sites" and unit.row == 2
    assert list(unit.decision_years) == [2026, 2027]
    assert list(unit.online_years(2026)) == [2027, 2028]
    assert list(unit.online_years(2027)) == [2028, 2029]
    assert list(unit.producing_years) == [2027, 2028]
