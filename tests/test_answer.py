"""The plan workbook's `answer` sheet: first, one printed page, every number the tables'."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from test_plan_writer import small_plan
from test_writer_tables import fit

from optimizer.excel import answer
from optimizer.excel.answer import (
    MIN_SCALE,
    NOT_ASKED,
    answer_page,
    builds_section,
    comparisons_section,
    cuts_section,
    gap_note,
    limits_section,
    page_grid,
    print_scale,
    shortages_section,
)
from optimizer.excel.plan_writer import write_plan
from optimizer.solving.results import Plan

COMPARISON_COLUMNS = ["comparison", "measure", "scenario", "plan", "counterfactual",
                      "difference", "low", "high", "resolved", "note"]


def comparisons(resolved: bool = True) -> pd.DataFrame:
    """What compare.py writes: the limits cost 5e6 in [4e6, 6e6] (or [-1e6, 6e6]), the
    stockpiles were skipped; a per-scenario row, and a per-consumer row in a column compare.py
    may add."""
    low = 4e6 if resolved else -1e6
    rows = [["no_limits", "what the limits cost", "objective", 1.2e7, 7e6, 5e6, low, 6e6,
             resolved, "" if resolved else "not resolved at this gap: at most 6e+06"],
            ["no_limits", "what the limits cost", "baseline", 1.2e7, 7e6, 5e6, None, None,
             None, "difference of the two plans' discounted scenario costs"],
            ["no_stockpiles", "what the stockpiles are worth", "objective", None, None, None,
             None, None, None, "skipped: no stockpiles to remove"]]
    rows.append(["no_limits", "shortage", "objective", 3.0, 1.0, 2.0, 1.5, 2.5, True, ""])
    frame = pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
    return frame.assign(consumer=["", "JPN", "", "JPN"])


def rich_plan(resolved: bool = True) -> Plan:
    """small_plan with two scenarios, shortages, binding limits over years and a cut."""
    plan = small_plan()
    plan.summary.update({"horizon": "2026-2028", "scenarios": 2, "build_capex": 1.0e6,
                         "scenario_cost_baseline": 9.0e5, "scenario_cost_embargo": 1.1e6,
                         "limits_cost": 5e6, "limits_cost_low": 4e6 if resolved else -1e6,
                         "limits_cost_high": 6e6})
    rows = []
    for w, short in (("baseline", 0.0), ("embargo", 10.0)):
        for year in (2026, 2027, 2028):
            rows += [[w, year, "JPN", "OXIDE", 100.0, short, short / 100],
                     [w, year, "USA", "OXIDE", 50.0, 2 * short, short / 25],
                     [w, year, "KOR", "OXIDE", 50.0, 1.0, 0.02]]
    plan.tables["shortages"] = pd.DataFrame(rows, columns=["scenario", "year", "country",
                                                           "material", "demand", "shortage",
                                                           "unmet_share"])
    limit = []
    for w, part in (("baseline", 0.75), ("embargo", 0.25)):
        for year, cost in ((2026, 400.0), (2027, 800.0), (2028, 600.0)):
            limit.append([w, "JPN", "CHINA", "OXIDE", year, 0.5, 0.5, True, part * cost])
        limit.append([w, "USA", "CHINA", "OXIDE", 2028, 0.3, 0.1, False, 0.0])
    plan.tables["dependence"] = pd.DataFrame(limit, columns=[
        "scenario", "consumer", "supplier", "material", "year", "max_share", "share",
        "binding", "marginal_cost"])
    plan.tables["disruptions"] = pd.DataFrame(
        [["embargo", "CHINA", "OXIDE", None, year, 0.9, 300.0, 30.0, 30.0]
         for year in (2027, 2028)],
        columns=["scenario", "supplier", "material", "to_country", "year", "cut",
                 "reference", "allowance", "exports"])
    plan.tables["comparisons"] = comparisons(resolved)
    return plan


def sheet_rows(path: Path) -> list[list]:
    ws = openpyxl.load_workbook(path)["answer"]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def table_under(rows: list[list], title: str) -> list[dict]:
    """The rows of the section whose title starts with `title`, as dicts by header."""
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            if isinstance(value, str) and value.startswith(title):
                header = rows[i + 1][j:]
                width = next((k for k, h in enumerate(header) if h is None), len(header))
                found = []
                for below in rows[i + 2:]:
                    if below[j] is None or all(v is None for v in below[j + 1:j + width]):
                        break
                    found.append(dict(zip(header[:width], below[j:j + width], strict=True)))
                return found
    raise AssertionError(f"no section {title!r}")


@pytest.fixture
def written(tmp_path: Path) -> Path:
    path = tmp_path / "plan.xlsx"
    write_plan(rich_plan(), path)
    return path


def test_answer_is_the_first_sheet_and_set_up_to_print_on_one_page(written: Path) -> None:
    wb = openpyxl.load_workbook(written)
    assert wb.sheetnames[0] == "answer"
    ws = wb["answer"]
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and fit(ws) == (1, 1)
    assert ws.print_area
    assert "&A" in ws.oddFooter.left.text and "&P" in ws.oddFooter.right.text
    assert ws["A1"].value == "The plan for case.xlsx, at a glance"


def test_every_table_sheet_prints_one_page_wide_with_its_header(written: Path) -> None:
    wb = openpyxl.load_workbook(written)
    for name in ("builds", "dependence", "shortages", "summary", "run_info"):
        ws = wb[name]
        assert ws.page_setup.orientation == "landscape", name
        assert ws.page_setup.paperSize == 9, name  # A4
        assert fit(ws) == (1, 0), name
        assert ws.print_title_rows == "$1:$1", name
        assert "&A" in ws.oddFooter.left.text, name


def test_headline_reads_status_cost_horizon_and_scenarios(written: Path) -> None:
    rows = sheet_rows(written)
    assert rows[1][0] == "Proven optimal (proven gap 0.0000%): no plan of this model costs less."
    assert rows[2][0] == ("Total discounted expected cost 951,270 USD over 2026-2028; "
                          "2 scenarios (baseline, embargo).")
    names = {f"scenario_cost_disruption_number_{i}": 1.0 for i in range(9)}
    line = answer.cost_line({**names, "objective": 2.5e9, "currency": "EUR"})
    assert line.startswith("Total discounted expected cost 2.50 billion EUR; 9 scenarios (")
    assert line.endswith("disruption_number_2, ...).") and len(line) < 150
    plan = small_plan("time_limit", 0.02)
    page = answer_page(plan.summary, plan.tables, {})
    assert page.warning and "2.0% more expensive than optimal" in page.lines[0]


def test_builds_show_the_largest_capex_first_and_the_total(written: Path) -> None:
    [build, total] = table_under(sheet_rows(written), "What to build")
    assert (build["site"], build["country"], build["capex"]) == ("JP-1", "JPN", 1.0e6)
    assert total["site"] == "total of 1" and total["capex"] == 1.0e6
    assert (total["decided"], total["online"]) == (None, None)
    many = pd.DataFrame({"site": [f"S{i}" for i in range(15)], "technology": "SEP",
                         "country": "JPN", "year": 2030, "online_from": 2033,
                         "capacity": 10.0, "capex": [float(i) for i in range(15)],
                         "financing_benefit": 1.0})
    section = builds_section(many, {"build_capex": 105.0}, "USD")
    assert [r[0] for r in section.rows[:3]] == ["S14", "S13", "S12"]
    assert len(section.rows) == answer.MAX_BUILDS + 1
    assert section.rows[-1][4] == 105.0 and section.rows[-1][5] == 15.0
    assert section.notes == ["and 5 more (see builds)"]


def test_builds_show_the_decision_year_and_the_first_year_online(written: Path) -> None:
    """small_plan's JP-1 is decided in 2026 and produces from 2027: the page says both, in
    the words `optimizer diff` uses."""
    [build, _] = table_under(sheet_rows(written), "What to build")
    builds = rich_plan().tables["builds"]
    assert (build["decided"], build["online"]) == (2026, 2027)
    assert (build["decided"], build["online"]) == tuple(builds.loc[0, ["year", "online_from"]])
    assert "build year" not in build


def test_comparisons_read_from_the_objective_rows(written: Path) -> None:
    limits, stockpiles = table_under(sheet_rows(written), "What the limits cost")
    plan = rich_plan()
    assert (limits["low"], limits["high"], limits["difference"]) == (
        plan.summary["limits_cost_low"], plan.summary["limits_cost_high"],
        plan.summary["limits_cost"])
    assert stockpiles["measure"] == "what the stockpiles are worth"
    assert stockpiles["difference"] == "skipped: no stockpiles to remove"


def test_an_interval_including_zero_is_never_a_bare_number() -> None:
    section = comparisons_section(comparisons(resolved=False), "USD")
    [limits, _] = section.rows
    assert limits[3] == "not resolved at this gap: at most 6.00 million USD"
    assert limits[1:3] == [-1e6, 6e6]
    # without a `resolved` column the interval decides
    section = comparisons_section(comparisons(False).drop(columns="resolved"), "USD")
    assert section.rows[0][3].startswith("not resolved at this gap")


def test_compare_none_says_the_comparisons_were_not_asked_for() -> None:
    section = comparisons_section(None, "USD")
    assert section.notes == [NOT_ASKED] and not section.rows


def test_shortage_per_named_consumer_and_scenario_with_the_world(written: Path) -> None:
    rows = table_under(sheet_rows(written), "Shortage")
    shortages = rich_plan().tables["shortages"]
    sums = shortages.groupby(["country", "scenario"])["shortage"].sum()
    # JPN is named by a limit; USA by a limit too; KOR by neither: only in the world total
    assert [r["consumer"] for r in rows] == ["JPN", "USA", "world"]
    for row in rows[:2]:
        assert row["baseline"] == sums[row["consumer"], "baseline"]
        assert row["embargo"] == sums[row["consumer"], "embargo"]
    world = shortages.groupby("scenario")["shortage"].sum()
    assert (rows[2]["baseline"], rows[2]["embargo"]) == (world["baseline"], world["embargo"])
    assert rows[2]["embargo"] == 3 * (10 + 20 + 1)


def test_many_scenarios_are_cut_to_columns_that_fit() -> None:
    frame = pd.DataFrame([[f"w{i}", 2030, "JPN", "OXIDE", 10.0, float(i), 0.1]
                          for i in range(9)],
                         columns=["scenario", "year", "country", "material", "demand",
                                  "shortage", "unmet_share"])
    section = shortages_section({"shortages": frame}, "")
    assert section.columns == ["material", "consumer", "w0", "w1", "w2", "w3", "w4"]
    assert section.notes == ["and 4 more scenarios (see shortages)"]


def test_a_group_named_in_a_limit_shows_its_members_shortage() -> None:
    """With the `consumers` table (a group sums its members there), a group consumer gets
    its row: EU (DEU 4 t + FRA 2 t) short in the embargo, the world 7 t with KOR's 1 t."""
    shortages = pd.DataFrame([["embargo", 2030, c, "OXIDE", 10.0, q, q / 10]
                              for c, q in (("DEU", 4.0), ("FRA", 2.0), ("KOR", 1.0))],
                             columns=["scenario", "year", "country", "material", "demand",
                                      "shortage", "unmet_share"])
    consumers = pd.DataFrame([["EU", "shortage", "embargo", "OXIDE", "t", 6.0],
                              ["EU", "demand", "embargo", "OXIDE", "t", 20.0]],
                             columns=["consumer", "measure", "scenario", "material", "unit",
                                      "plan"])
    section = shortages_section({"shortages": shortages, "consumers": consumers}, "")
    assert section.rows == [["OXIDE", "EU", 6.0], ["OXIDE", "world", 7.0]]


def test_binding_limits_grouped_over_years_with_their_marginal_cost(written: Path) -> None:
    [limit] = table_under(sheet_rows(written), "Binding limits")
    dependence = rich_plan().tables["dependence"]
    per_year = dependence[dependence.consumer == "JPN"].groupby("year")["marginal_cost"].sum()
    assert (limit["consumer"], limit["supplier"], limit["material"], limit["years"]) == (
        "JPN", "CHINA", "OXIDE", "2026-2028")
    assert limit["max share"] == 0.5
    assert limit["marginal cost"] == pytest.approx(per_year.max()) == pytest.approx(800.0)


def test_the_dearest_binding_limits_first_and_how_many_more() -> None:
    rows = [["baseline", f"C{i}", "CHINA", "OXIDE", 2030, 0.5, 0.5, True, float(i)]
            for i in range(11)]
    frame = pd.DataFrame(rows, columns=["scenario", "consumer", "supplier", "material",
                                        "year", "max_share", "share", "binding",
                                        "marginal_cost"])
    section = limits_section(frame, "USD")
    assert [r[0] for r in section.rows] == [f"C{i}" for i in range(10, 2, -1)]
    assert section.notes == ["and 3 more binding (see dependence)"]
    slack = limits_section(frame.assign(binding=False), "USD")
    assert slack.notes == ["No limit binds (11 limit-years)."]


def test_cuts_show_reference_and_allowance(written: Path) -> None:
    [cut] = table_under(sheet_rows(written), "Export cuts")
    assert (cut["scenario"], cut["supplier"], cut["to"], cut["years"]) == (
        "embargo", "CHINA", "all", "2027-2028")
    assert (cut["cut"], cut["reference"], cut["allowance"]) == (0.9, 300.0, 30.0)
    assert cuts_section(None).notes == ["No export cut in any scenario."]


def test_a_plan_with_nothing_to_report_still_answers(tmp_path: Path) -> None:
    plan = small_plan()
    plan.tables = {name: frame.iloc[0:0] for name, frame in plan.tables.items()}
    plan.summary = {"status": "optimal", "objective": 0.0}
    path = tmp_path / "plan.xlsx"
    write_plan(plan, path)
    text = [v for row in sheet_rows(path) for v in row if isinstance(v, str)]
    for expected in ("No new plant is built.", NOT_ASKED, "No demand to fall short of.",
                     "No dependence limits.", "No export cut in any scenario.",
                     "Total discounted expected cost 0 USD; 1 scenario."):
        assert expected in text


def test_the_page_fits_at_no_less_than_the_minimum_scale() -> None:
    """Fifty long-named builds, forty scenarios, many limits and cuts: summarised, the page
    still prints at 60% or more."""
    plan = rich_plan()
    long = "A_VERY_LONG_SITE_NAME_OF_FORTY_CHARACTERS"
    plan.tables["builds"] = pd.DataFrame({
        "site": [f"{long}{i}" for i in range(50)], "technology": "SEPARATION_" * 3,
        "country": "JPN", "year": 2030, "online_from": 2033, "capacity": 1e6, "capex": 1e12,
        "financing_benefit": 1.0})
    plan.tables["shortages"] = pd.concat([plan.tables["shortages"].assign(
        scenario=f"scenario_with_a_long_name_{i}") for i in range(40)])
    page = answer_page(plan.summary, plan.tables, {"input_file": "x" * 100})
    widths, rows = page_grid(page)
    assert print_scale(widths, rows) >= MIN_SCALE
    assert rows <= 45


def test_a_small_gap_is_not_shown_as_zero() -> None:
    """A gap of 2.9e-5 (the base case's after narrowing for the comparisons) reads 0.0029%."""
    assert "proven at most 0.0029% more expensive" in gap_note("within_gap", 2.9e-5)
    assert "proven at most 0.50% more expensive" in gap_note("within_gap", 0.004975)
