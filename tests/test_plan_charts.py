"""The plan's charts as pure functions of its tables: supply by origin class, a section per
disruption scenario with its shortage, one colour per country (optimizer.excel.palette)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from conftest import run_cli

from optimizer.excel import palette
from optimizer.excel.plan_charts import (
    CHART_ROWS,
    MAX_SCENARIO_SECTIONS,
    chart_layout,
    chart_specs,
    disruption_scenarios,
    stockpile_specs,
    supply_specs,
)
from optimizer.excel.plan_writer import write_plan
from optimizer.solving.results import Plan

EXAMPLE = Path(__file__).resolve().parents[1] / "inputs" / "example.xlsx"
B, CUT = "baseline", "cut"


def tables(scenarios: tuple[str, ...] = (B, CUT)) -> dict[str, pd.DataFrame]:
    """USA's magnets: made in China, shipped through Korea; in each cut some go short.

    `sourcing` splits its use by origin class (CHN), `origins` holds the flows."""
    sourcing, origins, shortages = [], [], []
    for w in scenarios:
        china = 60.0 if w == B else 20.0
        for t in (2026, 2027):
            sourcing += [[w, t, "USA", "MAG", "CHN", "transformation", china],
                         [w, t, "USA", "MAG", "other", "transformation", 40.0]]
            origins += [[w, t, "MAG", "CHN", "demand_met", "USA", None, china],
                        [w, t, "MAG", "other", "demand_met", "USA", None, 40.0],
                        [w, t, "MAG", "CHN", "shipments", "KOR", "USA", china]]
            short = 0.0 if w == B or t == 2026 else 40.0
            shortages += [[w, t, "USA", "MAG", 100.0, short, short / 100],
                          [w, t, "JPN", "MAG", 50.0, short / 2, short / 100]]
    return {
        "sourcing": pd.DataFrame(sourcing, columns=["scenario", "year", "country", "material",
                                                    "origin", "rule", "quantity"]),
        "origins": pd.DataFrame(origins, columns=["scenario", "year", "material", "origin",
                                                  "flow", "country", "partner", "quantity"]),
        "shortages": pd.DataFrame(shortages, columns=["scenario", "year", "country",
                                                      "material", "demand", "shortage",
                                                      "unmet_share"]),
        "dependence": pd.DataFrame(
            [[w, "USA", "CHINA", "MAG", t, 0.5, 0.6, True] for w in scenarios
             for t in (2026, 2027)],
            columns=["scenario", "consumer", "supplier", "material", "year", "max_share",
                     "share", "binding"]),
    }


def test_supply_is_charted_by_origin_class_not_by_shipping_country() -> None:
    spec = supply_specs(tables(), B)[0]
    assert list(spec.data.columns) == ["CHN", "other"]
    assert spec.data.loc[2027].to_dict() == {"CHN": 60.0, "other": 40.0}
    assert spec.title == "MAG supply to USA by origin (baseline, transformation rule)"
    assert spec.colours == {"CHN": palette.CHINA_RED, "other": palette.OTHER_GREY}


def test_where_origin_is_not_traced_supply_is_charted_by_source_country() -> None:
    shipped = tables()
    shipped["sourcing"] = shipped["sourcing"].assign(
        origin=lambda f: f.origin.map({"CHN": "KOR", "other": "USA"}), rule="shipper")
    spec = supply_specs(shipped, B)[0]
    assert set(spec.data.columns) == {"KOR", "USA"}
    assert spec.title == "MAG supply to USA by source country (baseline)"


def test_each_disruption_scenario_gets_its_supply_and_shortage_charts() -> None:
    specs = chart_specs(tables((B, "cut_a", "cut_b")))
    assert [(s.section, s.topic) for s in specs] == [
        (B, "supply"), (B, "share"), ("cut_a", "supply"), ("cut_a", "shortage"),
        ("cut_b", "supply"), ("cut_b", "shortage")]
    shortage = specs[3]
    assert shortage.title == "Shortage of MAG by consumer (cut_a)"
    assert shortage.data.to_dict() == {"USA": {2026: 0.0, 2027: 40.0},
                                       "JPN": {2026: 0.0, 2027: 20.0}}
    assert shortage.colours == {"USA": palette.colour("USA"), "JPN": palette.colour("JPN")}
    assert specs[2].data.loc[2027, "CHN"] == 20.0  # the cut's supply, not the baseline's


def test_no_shortage_no_shortage_chart_and_the_sections_are_bounded() -> None:
    many = (B, *(f"cut_{i}" for i in range(MAX_SCENARIO_SECTIONS + 3)))
    frames = tables(many)
    frames["shortages"] = frames["shortages"].assign(shortage=0.0)
    specs = chart_specs(frames)
    assert disruption_scenarios(frames) == list(many[1:])
    assert [s.section for s in specs if s.section != B] == list(many[1:MAX_SCENARIO_SECTIONS + 1])
    assert not [s for s in specs if s.topic == "shortage"]


def test_stock_lines_a_chart_per_holder_a_colour_per_material_and_a_dash_per_cut() -> None:
    frames = tables((B, "cut_a", "cut_b"))
    frames["stockpiles"] = pd.DataFrame(
        [[w, t, c, m, level] for w in (B, "cut_a", "cut_b") for t in (2026, 2027)
         for c, m, level in (("USA", "MAG", 10.0), ("JPN", "MAG", 0.0 if w == B else 5.0),
                             ("JPN", "OXI", 2.0), ("KOR", "MAG", 0.0))],
        columns=["scenario", "year", "country", "material", "level"])
    usa, jpn = stockpile_specs(frames)  # the largest stock first; Korea's is never filled
    assert usa.title == "Stockpile levels of MAG in USA"
    assert list(usa.data.columns) == [B, "cut_a", "cut_b"]
    assert usa.dashes == {"cut_a": "dash", "cut_b": "round_dot"}
    assert jpn.title == "Stockpile levels in JPN"
    # Japan's magnet stock is never filled in the baseline: no flat zero line
    assert set(jpn.data.columns) == {"MAG (cut_a)", "MAG (cut_b)", "OXI (baseline)",
                                     "OXI (cut_a)", "OXI (cut_b)"}
    assert jpn.dashes["MAG (cut_b)"] == jpn.dashes["OXI (cut_b)"] == "round_dot"
    assert jpn.colours["OXI (cut_a)"] == jpn.colours["OXI (baseline)"] == palette.colour("OXI")
    assert jpn.colours["MAG (cut_a)"] == palette.colour("MAG")


def test_each_section_starts_under_its_heading_on_a_new_page() -> None:
    layout = chart_layout([B, B, B, CUT, CUT])
    assert layout.headings == [(2, B), (3 + 2 * CHART_ROWS, CUT)]
    assert layout.places == [(3, 0), (3, 10), (3 + CHART_ROWS, 0), (4 + 2 * CHART_ROWS, 0),
                             (4 + 2 * CHART_ROWS, 10)]
    assert layout.breaks == [3 + 2 * CHART_ROWS]
    # a third row of charts in one section starts a new page (two rows fill an A4 page)
    assert chart_layout([B] * 8).breaks == [3 + 2 * CHART_ROWS]


def test_a_country_has_one_colour_whatever_the_case() -> None:
    assert palette.colour("CHN") == palette.colour("CHINA") == palette.CHINA_RED
    assert palette.colour("CHN+HKG") == palette.CHINA_RED  # an origin class holding China
    assert palette.colour("other") == palette.OTHER_GREY
    assert palette.colour("usa") == palette.colour("USA") != palette.CHINA_RED
    unknown = palette.colour("ZZQ")
    assert unknown in palette.FALLBACK
    # the same in another interpreter, whose str hashes are salted differently
    again = subprocess.run(
        [sys.executable, "-c", "from optimizer.excel.palette import colour; print(colour('ZZQ'))"],
        capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONHASHSEED": "123"}).stdout
    assert again.strip() == unknown


def chart_colours(path: Path) -> dict[str, set[str]]:
    """Per chart title, the colours its series are drawn in."""
    out = {}
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if re.fullmatch(r"xl/charts/chart\d+\.xml", name):
                xml = zf.read(name).decode()
                title = "".join(re.findall(r"<a:t>(.*?)</a:t>", xml.split("</c:title>")[0]))
                series = "".join(re.findall(r"<c:ser>.*?</c:ser>", xml, flags=re.S))
                out[title] = set(re.findall(r'<a:srgbClr val="([0-9A-F]{6})"', series))
    return out


def test_the_plan_draws_china_red_in_baseline_and_cut(tmp_path: Path) -> None:
    path = write_plan(Plan({"status": "optimal"}, tables()), tmp_path / "plan.xlsx")
    colours = chart_colours(path)
    red = palette.CHINA_RED.lstrip("#")
    assert red in colours["MAG supply to USA by origin (baseline, transformation rule)"]
    assert red in colours["MAG supply to USA by origin (cut, transformation rule)"]
    assert palette.colour("USA").lstrip("#") in colours["Shortage of MAG by consumer (cut)"]


@pytest.fixture(scope="module")
def example_tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    plan = tmp_path_factory.mktemp("example") / "plan.xlsx"
    assert run_cli("solve", str(EXAMPLE), "-o", str(plan), "--compare", "none").returncode == 0
    return pd.read_excel(plan, sheet_name=None, engine="openpyxl")


def test_example_charts_china_where_its_dependence_chart_does(example_tables) -> None:
    """The USA's magnets ship from Japan, but half their origin is China, as the limit says."""
    specs = chart_specs(example_tables)
    usa = [s for s in specs if s.topic == "supply" and "NDFEB supply to USA" in s.title]
    assert [s.section for s in usa] == ["baseline", "china_cut_2028"]
    for spec in usa:
        assert set(spec.data.columns) == {"CHN", "other"}  # classes, not JPN
        assert spec.colours["CHN"] == palette.CHINA_RED
    share = next(s for s in specs if s.title == "Share of USA's NDFEB supply from CHINA")
    shares = (usa[0].data["CHN"] / usa[0].data.sum(axis=1)).loc[share.data.index]
    assert shares.round(6).tolist() == share.data["achieved share"].round(6).tolist()


def test_odd_codes_and_blanks_still_chart() -> None:
    """Codes read as numbers, a blank material and blank quantities: charts, no traceback."""
    frames = tables((B, CUT))
    for name in ("sourcing", "shortages"):
        frames[name] = frames[name].assign(country=frames[name]["country"].map(
            {"USA": 840, "JPN": 392, "KOR": 410}))
    frames["shortages"].loc[frames["shortages"]["country"] == 392, "material"] = None
    frames["sourcing"] = frames["sourcing"].astype({"quantity": object})
    frames["sourcing"].loc[0, "quantity"] = ""
    specs = chart_specs(frames)
    shortage = next(s for s in specs if s.topic == "shortage")
    assert set(shortage.data.columns) == {"840 MAG", "392 (blank)"}
    assert {s.section for s in specs if s.topic == "supply"} == {B, CUT}
