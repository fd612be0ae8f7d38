"""The bundled base case (inputs/base_case.py): it validates, reproduces the 2025 world on
today's capacity with no dependence limits and no disruptions, and its policy case solves."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import assert_policy_case_solves, input_script

from optimizer.excel.sheets import write_sheets
from optimizer.studies.run import solve_workbook

ROOT = Path(__file__).resolve().parent.parent
WORKBOOK = ROOT / "inputs" / "base_case.xlsx"


def _base_case():
    return input_script("base_case")


def test_bundled_workbook_validates():
    done = subprocess.run([sys.executable, "-m", "optimizer", "validate", str(WORKBOOK)],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_sources_row_names_a_source():
    rows = _base_case().sheets()["sources"]
    assert rows[0] == ["sheet", "key", "column", "value", "source"]
    assert len(rows) > 50
    assert all(row[4] for row in rows[1:])


@pytest.fixture(scope="module")
def first_year_trade(tmp_path_factory) -> dict[str, pd.DataFrame]:
    """The first year of the base case's baseline with no limits, no disruptions and no new
    builds: what runs on today's capacity."""
    module = _base_case()
    sheets = module.sheets(policy=False, disruptions=False)
    del sheets["sites"]
    sheets["settings"].append(["compare", "none"])  # the plan alone, no counterfactuals
    path = write_sheets(tmp_path_factory.mktemp("calibration") / "no_policy.xlsx", sheets)
    tables = solve_workbook(path, write=False).plan.tables
    return {name: tables[name][(tables[name].scenario == "baseline")
                               & (tables[name].year == module.FIRST)]
            for name in ("production", "shipments", "purchases")}


def _china_share(rows: pd.DataFrame, country: str) -> float:
    return rows[rows[country] == "CHN"].quantity.sum() / rows.quantity.sum()


def _imports(shipments: pd.DataFrame, country: str | None,
             materials: tuple[str, ...]) -> pd.DataFrame:
    """Shipments of `materials` into `country` from abroad (None: every country's imports)."""
    abroad = shipments.to_country != shipments.from_country
    into = abroad if country is None else abroad & (shipments.to_country == country)
    return shipments[into & shipments.material.isin(materials)]


def test_calibration_shares_of_making(first_year_trade):
    """IEA 2025 [D6]: China ~91% of separation and ~94% of magnet making."""
    production = first_year_trade["production"]
    oxide = production[production.material == "NDPR_OXIDE"]
    magnets = production[production.material == "NDFEB"]
    assert _china_share(oxide, "country") == pytest.approx(0.91, abs=0.03)
    assert _china_share(magnets, "country") == pytest.approx(0.94, abs=0.03)


def test_calibration_magnet_trade(first_year_trade):
    """China exported 58,152 t of magnets in 2024 (Adamas/GACC); the US imports ~7.5 kt
    [D10, D11]."""
    shipments = first_year_trade["shipments"]
    magnets = shipments[shipments.material == "NDFEB"]
    china_exports = magnets[(magnets.from_country == "CHN")
                            & (magnets.to_country != "CHN")].quantity.sum()
    assert china_exports == pytest.approx(58_000, rel=0.15)
    assert _imports(shipments, "USA", ("NDFEB",)).quantity.sum() == pytest.approx(7_500,
                                                                                 rel=0.15)


def test_calibration_japan_buys_two_thirds_from_china(first_year_trade):
    """China's share of Japan's rare-earth compound and metal imports, by volume: >2/3 in 2022
    [D13], ~70% in 2024 [D14], ~60% in 2026 [D18]."""
    imports = _imports(first_year_trade["shipments"], "JPN",
                       ("NDPR_OXIDE", "DY_OXIDE", "TB_OXIDE", "NDPR_METAL"))
    assert 0.60 <= _china_share(imports, "from_country") <= 0.70


def test_calibration_china_separates_the_heavies(first_year_trade):
    """China ~99% of Dy and Tb separation (review, row 11 and section 2): its market supply and
    recycling against Lynas's heavy circuit, the one running outside China in 2025; and
    2025's world use of the two ~3.1 kt (214 t Dy2O3 + 41 t Tb4O7 a month, review row 10)."""
    heavies = ("DY_OXIDE", "TB_OXIDE")
    made = first_year_trade["production"]
    made = made[made.material.isin(heavies) & (made.quantity > 0)]
    bought = first_year_trade["purchases"]
    bought = bought[bought.material.isin(heavies)]
    separated = pd.concat([made[["country", "quantity"]], bought[["country", "quantity"]]])
    assert _china_share(separated, "country") == pytest.approx(0.99, abs=0.03)
    magnets = first_year_trade["production"]
    made_magnets = magnets[magnets.material == "NDFEB"].quantity.sum()
    assert made_magnets * _base_case().HEAVY_PER_MAGNET == pytest.approx(3_100, rel=0.1)


def test_heavy_cut_references_are_2025_exports(first_year_trade):
    """The Dy and Tb cuts are measured against China's exports in the year of record, written
    into the workbook: they must be what the calibrated 2025 world ships."""
    exports = _imports(first_year_trade["shipments"], None, ("DY_OXIDE", "TB_OXIDE"))
    exports = exports[exports.from_country == "CHN"]
    for material, (everyone, japan) in _base_case().CHINA_HEAVY_EXPORTS_2025.items():
        shipped = exports[exports.material == material]
        assert shipped.quantity.sum() == pytest.approx(everyone, rel=0.05)
        assert shipped[shipped.to_country == "JPN"].quantity.sum() == pytest.approx(japan,
                                                                                      rel=0.05)


def test_policy_case_solves_within_its_gap(tmp_path):
    plan = assert_policy_case_solves(_base_case().sheets(), tmp_path)
    # every cut is measured against exports that exist: none is an embargo by accident
    cuts = plan.tables["disruptions"]
    assert (cuts.reference > 0).all()
    assert cuts.allowance.to_list() == pytest.approx(((1 - cuts.cut) * cuts.reference).to_list())


def test_cuts_as_they_happened_with_every_probability_swept():
    """April 2025: a short deep magnet cut, recurring; October 2025: -95% for three years;
    January 2026: aimed at Japan. No probability has a source, so each is swept."""
    sheets = _base_case().sheets()
    names = {row[0] for row in sheets["scenarios"][1:]}
    swept = {row[3].removeprefix("scenario=") for row in sheets["sweeps"][1:]
             if row[1:3] == ["scenarios", "probability"]}
    assert swept == names == {"cn_apr2025_recurring", "cn_oct2025_2027_29", "cn_jan2026_japan"}
    head = sheets["disruptions"][0]
    cuts = [dict(zip(head, row, strict=True)) for row in sheets["disruptions"][1:]]
    assert {c["scenario"] for c in cuts if c["to_country"] == "JPN"} == {"cn_jan2026_japan"}
    short = [c for c in cuts if c["scenario"] == "cn_apr2025_recurring"
             and c["material"] == "NDFEB"]
    assert [c["from_year"] for c in short] == [2027, 2030, 2033, 2036, 2039]
    assert all(c["cut"] == pytest.approx(0.74 * 2 / 12, abs=1e-3) for c in short)


def test_bundled_workbook_matches_its_script(tmp_path):
    """inputs/base_case.xlsx is what inputs/base_case.py writes (rerun the script after
    editing it)."""
    from optimizer.contract.validate import load_inputs

    fresh = load_inputs(write_sheets(tmp_path / "fresh.xlsx", _base_case().sheets()))
    bundled = load_inputs(WORKBOOK)
    assert fresh.settings == bundled.settings
    for name, table in fresh.tables.items():
        assert table.equals(bundled.tables[name]), f"sheet {name} differs: rerun the script"


def test_japan_stocks_oxide_metal_and_heavy_oxide_above_a_60_day_floor():
    """JOGMEC holds oxides and metals, 60 days as a floor, up to 180 [G15-G17]; not magnets."""
    rows = _base_case().sheets()["stockpiles"]
    japan = {row[1]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]
             if row[0] == "JPN"}
    assert set(japan) == {"NDPR_OXIDE", "NDPR_METAL", "DY_OXIDE", "TB_OXIDE"}
    for pile in japan.values():
        assert pile["initial"] == pile["min_level"] > 0
        assert pile["capacity"] >= 180 / 60 * pile["min_level"]


def test_partners_use_magnets_carved_out_of_the_rest_of_the_world():
    """Korea, India and Vietnam are partners with magnet use and plants of their own; their
    use comes out of the rest of the world's, so the world's 2025 total is unchanged."""
    module = _base_case()
    sheets = module.sheets()
    partners = {row[1] for row in sheets["groups"][1:] if row[0].endswith("PARTNERS")}
    assert {"KOR", "IND", "VNM"} <= partners
    first = {row[0]: row[3] for row in sheets["demand"][1:] if row[2] == module.FIRST}
    assert all(first[c] > 0 for c in ("KOR", "IND", "VNM", "ROW"))
    assert sum(first.values()) == pytest.approx(module.WORLD_MAGNETS_2025, rel=1e-3)
    assert {"KOR", "IND", "VNM"} <= {row[2] for row in sheets["existing_plants"][1:]}
