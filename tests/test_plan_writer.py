"""The plan workbook: sheets, Excel Tables, formats, charts, and safe (atomic) writing."""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from optimizer.errors import OutputError
from optimizer.excel import plan_charts, plan_writer
from optimizer.excel.plan_writer import gap_note, write_plan
from optimizer.solving.results import Plan

TABLE_SHEETS = ["builds", "capacity", "production", "purchases", "shipments", "sourcing",
                "dependence", "stockpiles", "shortages", "costs"]
SHEETS = ["answer", "summary", *TABLE_SHEETS, "charts", "run_info", "chart_data"]


def small_plan(status: str = "optimal", gap: float = 0.0) -> Plan:
    """Japan buys oxide from China and Australia in 2026-2027; columns as extract_plan's."""
    b = "baseline"
    tables = {
        "builds": pd.DataFrame(
            [["JP-1", "SEP", "small", "JPN", 2026, 2027, 2040, 50.0, 1.0e6, 0.07, 1.1e5,
              0.0]],
            columns=["site", "technology", "option", "country", "year", "online_from",
                     "online_to", "capacity", "capex", "financing_rate", "annuity",
                     "financing_benefit"]),
        "capacity": pd.DataFrame(
            [["JPN", "SEP", "JP-1", "new", 2027, 50.0], ["AUS", "SEP", "AU-1", "existing",
                                                         2026, 80.0],
             ["AUS", "SEP", "AU-1", "existing", 2027, 80.0]],
            columns=["country", "technology", "site", "kind", "year", "capacity"]),
        "production": pd.DataFrame(
            [[b, 2027, "JPN", "SEP", "JP-1", "small", "OXIDE", 40.0, 0.8],
             [b, 2026, "AUS", "SEP", "AU-1", "base", "OXIDE", 60.0, None]],
            columns=["scenario", "year", "country", "technology", "site", "option",
                     "material", "quantity", "utilisation"]),
        "purchases": pd.DataFrame(
            [[b, 2026, "CHN", "OXIDE", 70.0, 10.0, 700.0]],
            columns=["scenario", "year", "country", "material", "quantity", "price", "cost"]),
        "shipments": pd.DataFrame(
            [[b, 2026, "CHN", "JPN", "OXIDE", 70.0, 70.0, 0.0]],
            columns=["scenario", "year", "from_country", "to_country", "material",
                     "quantity", "transport_cost", "tariff_cost"]),
        "sourcing": pd.DataFrame(
            [[b, 2026, "JPN", "OXIDE", "CHN", "shipper", 70.0, 0.7],
             [b, 2026, "JPN", "OXIDE", "AUS", "shipper", 30.0, 0.3],
             [b, 2027, "JPN", "OXIDE", "JPN", "shipper", 40.0, 0.4],
             [b, 2027, "JPN", "OXIDE", "AUS", "shipper", 60.0, 0.6],
             ["embargo", 2027, "JPN", "OXIDE", "AUS", "shipper", 100.0, 1.0]],
            columns=["scenario", "year", "country", "material", "origin", "rule",
                     "quantity", "share"]),
        "dependence": pd.DataFrame(
            [["JPN", "CHINA", "OXIDE", 2026, 0.7, 0.7, 70.0, 100.0, True, 12],
             ["JPN", "CHINA", "OXIDE", 2027, 0.5, 0.0, 0.0, 100.0, False, 13]],
            columns=["consumer", "supplier", "material", "year", "max_share", "share",
                     "supply_from_supplier", "total_supply", "binding", "input_row"]),
        "stockpiles": pd.DataFrame(
            [[b, 2026, "JPN", "OXIDE", 20.0, 20.0, 0.0, 73.0],
             [b, 2027, "JPN", "OXIDE", 10.0, 0.0, 10.0, float("nan")]],
            columns=["scenario", "year", "country", "material", "level", "acquisitions",
                     "releases", "cover_days"]),
        "shortages": pd.DataFrame(
            [[b, 2026, "JPN", "OXIDE", 100.0, 0.0, 0.0]],
            columns=["scenario", "year", "country", "material", "demand", "shortage",
                     "share"]),
        "costs": pd.DataFrame(
            [[b, 2026, "purchases", 700.0, 1.0, 700.0, 1.0, 700.0],
             [b, 2027, "purchases", 600.0, 0.95, 570.0, 1.0, 570.0],
             [b, 2027, "capital", 1.0e6, 0.95, 9.5e5, 1.0, 9.5e5]],
            columns=["scenario", "year", "category", "cost", "discount_factor",
                     "discounted", "probability", "expected"]),
    }
    summary = {"status": status, "objective": 951270.0, "mip_gap": gap,
               "solve_seconds": 0.12, "proven_optimal": status == "optimal",
               "best_bound": 951270.0 * (1 - gap), "currency": "USD", "builds": 1}
    run_info = {"input_file": "case.xlsx", "input_sha256": "ab" * 32,
                "settings": {"first_year": 2026, "mip_gap": 0.0}, "tool": "optimizer"}
    return Plan(summary, tables, run_info)


def headers(ws) -> list:
    return [c.value for c in next(ws.iter_rows(min_row=1, max_row=1))]


def column(ws, name: str) -> list:
    j = headers(ws).index(name)
    return [row[j] for row in ws.iter_rows(min_row=2, values_only=True)]


@pytest.fixture
def written(tmp_path: Path) -> Path:
    path = tmp_path / "plan.xlsx"
    write_plan(small_plan(), path)
    return path


@pytest.mark.filterwarnings("error")  # xlsxwriter only warns about a rejected table or chart
def test_sheets_tables_and_values(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    plan = small_plan()
    write_plan(plan, path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == SHEETS
    for name in TABLE_SHEETS:
        ws = wb[name]
        assert headers(ws) == list(plan.tables[name].columns), name
        assert len(ws.tables) == 1, name
        assert ws.freeze_panes == "A2", name
    assert column(wb["production"], "quantity") == [40.0, 60.0]
    assert column(wb["dependence"], "share") == [0.7, 0.0]
    assert column(wb["dependence"], "binding") == [True, False]
    assert wb["dependence"]["F2"].number_format == "0.0%"
    assert wb["production"]["H2"].number_format == "#,##0.0"
    assert wb["costs"]["D2"].number_format == "#,##0"
    assert wb["costs"]["B2"].number_format == "0"


def test_header_comments_carry_units(written: Path) -> None:
    ws = openpyxl.load_workbook(written)["stockpiles"]
    comments = {c.value: c.comment.text if c.comment else None for c in ws[1]}
    assert comments["level"] == "unit: t"
    assert comments["country"] is None
    assert comments["year"] == "unit: year"


def test_the_builds_year_is_commented_as_the_decision_year(written: Path) -> None:
    """DESIGN names the column `year`; its comment says which year, beside `online_from`."""
    ws = openpyxl.load_workbook(written)["builds"]
    comments = {c.value: c.comment.text if c.comment else None for c in ws[1]}
    assert comments["year"].startswith("unit: year: the decision year")
    assert comments["online_from"] == "unit: year"


def test_summary_sheet(written: Path) -> None:
    ws = openpyxl.load_workbook(written)["summary"]
    assert (ws["A1"].value, ws["B1"].value) == ("key", "value")
    keys = [ws.cell(r, 1).value for r in range(2, 6)]
    assert keys == ["status", "objective", "mip_gap", "solve_seconds"]
    assert ws["B2"].value == "optimal"
    assert ws["B3"].number_format == "#,##0"
    assert ws["B4"].number_format == "0.00%"
    assert ws["D1"].value is None  # no warning on an optimal plan
    assert set(ws.tables) == {"tbl_summary", "tbl_cost_breakdown", "tbl_limits"}
    assert ws["D3"].value == "category"
    breakdown = {ws.cell(r, 4).value: ws.cell(r, 5).value for r in range(4, 6)}
    assert breakdown == {"purchases": 1270.0, "capital": 9.5e5}
    limits = ws.tables["tbl_limits"]
    first = ws[limits.ref.split(":")[0]]
    assert [ws.cell(first.row, first.column + j).value for j in range(7)] == [
        "consumer", "supplier", "material", "year", "max_share", "share", "binding"]


def test_time_limited_plan_shows_gap_warning(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    write_plan(small_plan("time_limit", 0.02), path)
    note = openpyxl.load_workbook(path)["summary"]["D1"].value
    assert note.startswith("Best plan found within the time limit")
    assert "2.0% more expensive than optimal" in note


def test_gap_note_converts_gap_to_excess_cost() -> None:
    # gap = (objective - bound) / objective = 0.5: the optimum may cost half, so +100%.
    assert "up to 100.0% more expensive" in gap_note("time_limit", 0.5)
    assert "unknown" in gap_note("time_limit", None)
    assert "iteration limit" in gap_note("iteration_limit", 0.01)


def test_run_info_is_flattened_and_hash_is_a_property(written: Path) -> None:
    wb = openpyxl.load_workbook(written)
    rows = dict(wb["run_info"].iter_rows(min_row=2, values_only=True))
    assert rows["settings.first_year"] == 2026
    assert rows["input_file"] == "case.xlsx"
    assert wb.custom_doc_props["input_sha256"].value == "ab" * 32


def test_charts_are_native_and_read_chart_data(written: Path) -> None:
    with zipfile.ZipFile(written) as z:
        charts = sorted(n for n in z.namelist() if n.startswith("xl/charts/chart"))
        xml = {n: z.read(n).decode() for n in charts}
    # sourcing JPN/OXIDE, one dependence pair, capacity, stockpiles; sourcing in the embargo
    assert len(charts) == 5
    assert all("chart_data!" in text for text in xml.values())
    assert all('<c:smooth val="1"/>' not in text for text in xml.values())
    assert any('prstDash val="dash"' in text for text in xml.values())
    ws = openpyxl.load_workbook(written)["chart_data"]
    titles = [r[0] for r in ws.iter_rows(values_only=True) if isinstance(r[0], str)]
    assert "OXIDE supply to JPN by source country (baseline)" in titles


def test_sourcing_chart_uses_baseline_only() -> None:
    spec = plan_charts.supply_specs(small_plan().tables)[0]
    assert spec.data.loc[2027].to_dict() == {"AUS": 60.0, "JPN": 40.0, "CHN": 0.0}


def test_empty_tables_stay_valid_and_get_no_charts(tmp_path: Path) -> None:
    plan = small_plan()
    plan.tables = {name: frame.iloc[0:0] for name, frame in plan.tables.items()}
    path = tmp_path / "plan.xlsx"
    write_plan(plan, path)
    wb = openpyxl.load_workbook(path)
    assert headers(wb["builds"]) == list(plan.tables["builds"].columns)
    assert len(wb["builds"].tables) == 1
    with zipfile.ZipFile(path) as z:
        assert not [n for n in z.namelist() if n.startswith("xl/charts/")]


def test_nan_none_blank_and_inf_does_not_crash(tmp_path: Path) -> None:
    plan = small_plan()
    plan.tables["costs"].loc[0, "cost"] = math.inf
    plan.summary["best_bound"] = None
    path = tmp_path / "plan.xlsx"
    write_plan(plan, path)
    wb = openpyxl.load_workbook(path)
    assert column(wb["production"], "utilisation") == [0.8, None]
    assert column(wb["stockpiles"], "cover_days") == [73.0, None]
    # xlsxwriter's nan_inf_to_errors writes inf as =1/0: Excel shows #DIV/0!, not a number.
    assert column(wb["costs"], "cost")[0] == "=1/0"
    summary = dict(wb["summary"].iter_rows(min_row=2, max_col=2, values_only=True))
    assert summary["best_bound"] is None


def test_text_is_never_a_formula(tmp_path: Path) -> None:
    plan = small_plan()
    plan.tables["builds"].loc[0, "site"] = "=HYPERLINK(\"x\")"
    path = tmp_path / "plan.xlsx"
    write_plan(plan, path)
    assert openpyxl.load_workbook(path)["builds"]["A2"].data_type == "s"


def test_other_tables_get_legal_unique_sheets(tmp_path: Path) -> None:
    plan = small_plan()
    plan.tables["summary"] = pd.DataFrame({"a": [1]})
    plan.tables["what/if: frontier"] = pd.DataFrame({"share": [0.5], "cost": [10.0]})
    path = tmp_path / "plan.xlsx"
    write_plan(plan, path)
    names = openpyxl.load_workbook(path).sheetnames
    assert "summary_2" in names and "what_if_ frontier" in names


def failing(*args: object, **kwargs: object) -> None:
    raise RuntimeError("boom")


def test_failure_midway_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(plan_writer, "write_charts", failing)
    path = tmp_path / "plan.xlsx"
    with pytest.raises(RuntimeError):
        write_plan(small_plan(), path)
    assert list(tmp_path.iterdir()) == []


def test_failure_keeps_existing_plan(written: Path, monkeypatch) -> None:
    before = written.read_bytes()
    monkeypatch.setattr(plan_writer, "_write_run_info", failing)
    with pytest.raises(RuntimeError):
        write_plan(small_plan("time_limit", 0.1), written)
    assert written.read_bytes() == before
    assert list(written.parent.iterdir()) == [written]


def test_refuses_to_write_onto_the_input(tmp_path: Path) -> None:
    source = tmp_path / "case.xlsx"
    source.write_bytes(b"input")
    with pytest.raises(OutputError, match="input"):
        write_plan(small_plan(), source, inputs=[source])
    assert source.read_bytes() == b"input"


def test_a_plan_open_in_excel_is_written_beside_it(tmp_path: Path) -> None:
    """write_plan runs after the solve: a name Excel holds must not cost the plan."""
    (tmp_path / "~$plan.xlsx").write_bytes(b"")
    assert write_plan(small_plan(), tmp_path / "plan.xlsx") == tmp_path / "plan (2).xlsx"
    assert not (tmp_path / "plan.xlsx").exists()
    assert openpyxl.load_workbook(tmp_path / "plan (2).xlsx").sheetnames == SHEETS


def test_chart_titles_use_names_not_codes():
    from optimizer.excel.plan_charts import named

    names = {"NDPR_OXIDE": "NdPr oxide", "USA": "United States", "NA": "Namibia"}
    assert named("NDPR_OXIDE supply to USA by origin (baseline)", names) == \
        "NdPr oxide supply to United States by origin (baseline)"
    assert named("Share of NAM's supply", names) == "Share of NAM's supply"
