"""`optimizer diff`: what changed between two plans solved by hand (discount rate 0,
mip_gap 0), the diff workbook, and plans or outputs it refuses."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import run_cli, sha256, tiny_sheets, write_workbook

from optimizer.errors import InputError
from optimizer.excel.plan_reader import read_plan
from optimizer.solving.diff import (
    BUILD_COLUMNS,
    WITHIN_GAPS,
    PlanDiff,
    absolute_gap,
    compare_plans,
    comparison_changes,
    summary_lines,
)
from optimizer.solving.results import Plan
from optimizer.studies.diff import diff_workbooks
from optimizer.studies.run import solve_workbook

SETTINGS = [["key", "value"], ["first_year", 2026], ["last_year", 2028],
            ["discount_rate", 0], ["mip_gap", 0]]
SITE_COLUMNS = ["site", "technology", "country", "capacity", "capex", "variable_cost",
                "lifetime", "earliest_year"]


def site(name: str, earliest: int) -> list:
    """A 50 t/yr plant in Japan: capex 50 over 10 years (5 a year online), 1 a tonne."""
    return [name, "SEP", "JPN", 50, 50, 1, 10, earliest]


def limit(max_share: float) -> list[list]:
    return [["consumer", "supplier", "material", "max_share"], ["JPN", "CHINA", "OXIDE",
                                                                  max_share]]


# A: P1 and P2 from 2026 make Japan's 100 t a year: capital 3 x 2 x 5 = 30, variable 300;
# objective 330; China's share 0 against a 50% limit.
PLAN_A = tiny_sheets(settings=SETTINGS, dependence_limits=limit(0.5),
                     sites=[SITE_COLUMNS, site("P1", 2026), site("P2", 2026)])
# B: P1 no earlier than 2027, no P2, P3 from 2026, China sells at most 30 t a year and
# Australia nothing. 2026: P3 makes 50, China 30 (10 + 1 freight; 30 of 80 used is 37.5%,
# B's limit, binding), 20 t unmet at 1,000; 2027-2028: P1 and P3 make 100. Capital
# 3 x 5 + 2 x 5 = 25, variable 250, purchases 300, transport 30, shortage 20,000: 20,605.
PLAN_B = tiny_sheets(settings=SETTINGS, dependence_limits=limit(0.375),
                     sites=[SITE_COLUMNS, site("P1", 2027), site("P3", 2026)],
                     supply=[["country", "material", "year", "max_quantity", "price"],
                             ["CHN", "OXIDE", None, 30, 10]])
COST_DIFFERENCES = {"capital": -5, "variable": -50, "purchases": 300, "transport": 30,
                    "shortage": 20_000, "objective": 20_275}


@pytest.fixture(scope="module")
def plans(tmp_path_factory) -> tuple[Path, Path]:
    """The two plan workbooks; A also measured what its limit costs (nothing: it does not
    bind)."""
    folder = tmp_path_factory.mktemp("plans")
    found = []
    for name, sheets, compare in (("a", PLAN_A, "no_limits"), ("b", PLAN_B, "none")):
        source = write_workbook(folder / f"{name}.xlsx", sheets)
        found.append(solve_workbook(source, folder / f"{name}_plan.xlsx",
                                    compare=compare).output)
    return found[0], found[1]


def test_builds_added_removed_and_moved(plans):
    diff, written = diff_workbooks(*plans)
    assert written is None
    rows = diff.tables["builds"].astype(object).where(diff.tables["builds"].notna(), None)
    assert list(rows.columns) == BUILD_COLUMNS
    assert rows.values.tolist() == [
        ["added", "P3", "SEP", "default", "JPN", None, 2026, None, 2026, 50],
        ["removed", "P2", "SEP", "default", "JPN", 2026, None, 2026, None, 50],
        ["moved", "P1", "SEP", "default", "JPN", 2026, 2027, 2026, 2027, 50]]
    assert (diff.summary["builds_added"], diff.summary["builds_removed"],
            diff.summary["builds_moved"]) == (1, 1, 1)


def test_costs_shares_shortages_and_comparisons(plans):
    diff, _ = diff_workbooks(*plans)
    costs = diff.tables["costs"].set_index("category")
    assert costs["difference"].to_dict() == pytest.approx(COST_DIFFERENCES, abs=1e-6)
    assert costs.loc["objective", ["expected_a", "expected_b"]].tolist() == \
        pytest.approx([330, 20_605], abs=1e-6)
    categories = costs.drop(index="objective")["difference"].sum()
    assert categories == pytest.approx(diff.summary["objective_b"] - diff.summary["objective_a"])
    assert costs["note"].isna().all()  # both gaps are 0: every difference is real

    shares = diff.tables["shares"].set_index("year")
    assert shares["share_a"].tolist() == pytest.approx([0, 0, 0])
    assert shares["share_b"].tolist() == pytest.approx([0.375, 0, 0])
    assert shares["difference"].tolist() == pytest.approx([0.375, 0, 0])
    assert shares["binding_a"].tolist() == [False] * 3
    assert shares["binding_b"].tolist() == [True, False, False]
    assert (shares["max_share_a"].tolist(), shares["max_share_b"].tolist()) == \
        ([0.5] * 3, [0.375] * 3)

    shortages = diff.tables["shortages"]
    assert shortages.values.tolist() == [["baseline", "JPN", "OXIDE", 0, 20, 20]]

    comparisons = diff.tables["comparisons"].set_index("key")
    assert comparisons.loc["limits_cost", "value_a"] == pytest.approx(0, abs=1e-6)
    assert pd.isna(comparisons.loc["limits_cost", "value_b"])  # B did not measure it
    assert pd.isna(comparisons.loc["limits_cost", "difference"])


def test_summary_names_both_plans_and_inputs(plans):
    diff, _ = diff_workbooks(*plans)
    s = diff.summary
    assert (s["plan_a"], s["plan_b"]) == tuple(map(str, plans))
    assert (s["input_file_a"], s["input_file_b"]) == ("a.xlsx", "b.xlsx")
    assert s["input_sha256_a"] == sha256(plans[0].with_name("a.xlsx"))
    assert s["input_sha256_b"] == sha256(plans[1].with_name("b.xlsx"))
    assert s["same_input"] is False
    assert (s["objective_difference"], s["gap_a"], s["gap_b"]) == \
        pytest.approx((20_275, 0, 0), abs=1e-6)
    assert s["objective_note"] is None
    assert (s["build_capex_a"], s["build_capex_b"], s["build_capex_difference"]) == (100, 100, 0)


def test_the_command_prints_objectives_and_each_change(plans):
    result = run_cli("diff", *map(str, plans))
    assert result.returncode == 0, result.stderr
    a, b = plans
    assert result.stdout.splitlines() == [
        f"objective A: 330.00 USD ({a})",
        f"objective B: 20,605.00 USD ({b})",
        "note: the plans come from different inputs: A from a.xlsx, B from b.xlsx",
        "difference (B - A): +20,275.00 USD",
        "builds added: 1",
        "  P3 SEP in JPN: decided 2026, online 2026, capex 50",
        "builds removed: 1",
        "  P2 SEP in JPN: decided 2026, online 2026, capex 50",
        "builds moved: 1",
        "  P1 SEP in JPN: decided 2026 -> 2027, online 2026 -> 2027, capex 50"]


def test_one_input_file_changed_between_the_plans_is_noted():
    """Same file name, other bytes: the note says the file changed, with both hashes."""
    a, b = synthetic(100, 100), synthetic(110, 110)
    a.run_info = {"input_file": "case.xlsx", "input_sha256": "a" * 64}
    b.run_info = {"input_file": "case.xlsx", "input_sha256": "b" * 64}
    lines = summary_lines(compare_plans(a, b, ("a", "b")))
    assert lines[2] == ("note: the plans come from different inputs: case.xlsx changed "
                        f"between them (SHA-256 {'a' * 12} and {'b' * 12})")
    b.run_info = dict(a.run_info)
    assert not any(line.startswith("note:") for line in
                   summary_lines(compare_plans(a, b, ("a", "b"))))


def test_the_written_workbook_reads_back(plans, tmp_path):
    target = tmp_path / "diff.xlsx"
    result = run_cli("diff", *map(str, plans), "-o", str(target), "-q")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == f"diff: {target}"
    sheets = pd.read_excel(target, sheet_name=None, engine="calamine")
    assert list(sheets) == ["summary", "builds", "costs", "shares", "shortages", "comparisons"]
    summary = dict(zip(sheets["summary"]["key"], sheets["summary"]["value"], strict=True))
    assert (summary["builds_added"], summary["builds_removed"], summary["builds_moved"]) == \
        (1, 1, 1)
    assert summary["objective_difference"] == pytest.approx(20_275)
    assert sheets["builds"]["change"].tolist() == ["added", "removed", "moved"]
    assert sheets["builds"]["year_b"].tolist()[2] == 2027
    costs = sheets["costs"].set_index("category")["difference"].to_dict()
    assert costs == pytest.approx(COST_DIFFERENCES, abs=1e-6)
    assert sheets["shortages"]["difference"].tolist() == [20]

    book = openpyxl.load_workbook(target)
    costs_ws, shares_ws = book["costs"], book["shares"]
    assert costs_ws["D1"].value == "difference" and costs_ws["D2"].number_format == "#,##0"
    assert costs_ws["D1"].comment.text == "unit: currency (discounted, probability-weighted)"
    assert shares_ws["J1"].value == "difference" and shares_ws["J2"].number_format == "0.0%"
    assert list(book["costs"].tables) == ["tbl_costs"]


def test_a_plan_diffed_with_itself_shows_no_change(plans):
    diff, _ = diff_workbooks(plans[1], plans[1])
    assert diff.tables["builds"].empty
    assert (diff.tables["costs"]["difference"] == 0).all()
    assert (diff.tables["shares"]["difference"] == 0).all()
    assert (diff.tables["shortages"]["difference"] == 0).all()
    assert diff.summary["same_input"] is True
    assert summary_lines(diff)[2:] == ["difference (B - A): +0.00 USD", "builds added: 0",
                                       "builds removed: 0", "builds moved: 0"]


def test_an_input_workbook_is_refused_naming_the_missing_sheets(plans, tmp_path):
    source = plans[0].with_name("a.xlsx")
    result = run_cli("diff", str(source), str(plans[1]))
    assert result.returncode == 3
    assert "not a plan workbook: sheets 'summary', 'run_info', 'builds', 'costs', " \
           "'dependence', 'shortages' missing" in result.stderr
    assert "Traceback" not in result.stderr
    text = tmp_path / "notes.xlsx"
    text.write_text("not a workbook")
    result = run_cli("diff", str(plans[0]), str(text))
    assert result.returncode == 3 and "not a zip package" in result.stderr


def test_an_edited_plan_is_refused_naming_its_cells(plans, tmp_path):
    edited = tmp_path / "edited.xlsx"
    shutil.copy(plans[0], edited)
    book = openpyxl.load_workbook(edited)
    book["builds"]["E3"] = "soon"  # year of P2
    book["costs"]["H1"] = "total"  # the expected column's header
    book.save(edited)
    with pytest.raises(InputError) as caught:
        read_plan(edited)
    assert [str(i) for i in caught.value.issues] == [
        "sheet 'builds', row 3, column 'year': expected a number, got 'soon'",
        "sheet 'costs', row 1: not a plan table: column 'expected' missing (columns found: "
        "scenario, year, category, cost, discount_factor, discounted, probability, total)"]


def test_a_plan_with_a_far_stray_cell_is_refused(plans, tmp_path):
    """The plan reader guards calamine as the input reader does."""
    far = tmp_path / "far.xlsx"
    shutil.copy(plans[0], far)
    book = openpyxl.load_workbook(far)
    book["costs"]["XFD1048576"] = 1
    book.save(far)
    result = run_cli("diff", str(far), str(plans[1]))
    assert result.returncode == 3, result.stderr
    assert "sheet 'costs': the sheet's used range reaches XFD1048576" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("which", [0, 1])
def test_the_diff_is_never_written_over_a_plan(plans, which):
    before = sha256(plans[which])
    result = run_cli("diff", *map(str, plans), "-o", str(plans[which]))
    assert result.returncode == 7
    assert "it is the input workbook" in result.stderr
    assert sha256(plans[which]) == before


def synthetic(objective: float, bound: float, builds: pd.DataFrame | None = None) -> Plan:
    """A plan with no limits, shortages or comparisons: its objective, bound and builds."""
    empty = {"dependence": ["scenario", "consumer", "supplier", "material", "year",
                            "max_share", "share", "binding"],
             "shortages": ["scenario", "country", "material", "shortage"]}
    tables = {name: pd.DataFrame(columns=columns) for name, columns in empty.items()}
    tables["costs"] = pd.DataFrame({"category": ["purchases"], "expected": [objective]})
    tables["builds"] = builds if builds is not None else pd.DataFrame(
        columns=["site", "technology", "option", "country", "year", "online_from", "capex"])
    return Plan({"objective": objective, "best_bound": bound, "currency": "EUR"}, tables)


def test_a_difference_the_gaps_could_explain_is_labelled():
    """Gaps of 5 (100 against a bound of 95) and 3: a difference of 3 could be either sign;
    one of 10 could not."""
    assert absolute_gap({"objective": 100, "best_bound": 95}) == 5
    assert absolute_gap({"objective": 100, "mip_gap": 0.01}) == 1  # no bound: the gap's share
    near = compare_plans(synthetic(100, 95), synthetic(103, 100), ("a", "b"))
    far = compare_plans(synthetic(100, 95), synthetic(110, 107), ("a", "b"))
    assert near.summary["objective_note"] == WITHIN_GAPS
    assert near.tables["costs"]["note"].tolist() == [WITHIN_GAPS, WITHIN_GAPS]
    assert far.summary["objective_note"] is None
    assert near.summary["same_input"] is None  # neither plan records its input
    assert summary_lines(near)[2] == f"difference (B - A): +3.00 EUR ({WITHIN_GAPS})"


def test_past_ten_builds_the_rest_are_counted():
    builds = pd.DataFrame({"site": [f"S{i:02d}" for i in range(12)], "technology": "SEP",
                           "option": "big", "country": "USA", "year": 2030,
                           "online_from": 2032, "capex": 1e9})
    diff: PlanDiff = compare_plans(synthetic(1, 1), synthetic(2, 2, builds), ("a", "b"))
    lines = summary_lines(diff)
    added = lines.index("builds added: 12")
    assert lines[added + 1] == "  S00 SEP (big) in USA: decided 2030, online 2032, " \
                               "capex 1,000,000,000"
    assert lines[added + 11] == "  ... and 2 more"
    assert lines[added + 12] == "builds removed: 0"


def test_comparisons_of_both_plans():
    a = {"limits_cost": 100.0, "limits_cost_low": 90.0, "limits_cost_high": 110.0,
         "limits_cost_resolved": True}
    b = {"limits_cost": 40.0, "limits_cost_low": -5.0, "limits_cost_high": 60.0,
         "limits_cost_resolved": False, "stockpiles_worth": 7.0}
    rows = comparison_changes(a, b).values.tolist()
    assert rows[:3] == [["limits_cost", 100, 40, -60], ["limits_cost_low", 90, -5, -95],
                        ["limits_cost_high", 110, 60, -50]]
    assert rows[3][:3] == ["limits_cost_resolved", True, False] and pd.isna(rows[3][3])
    assert rows[4][:3] == ["stockpiles_worth", None, 7.0] and pd.isna(rows[4][3])


def test_codes_read_back_as_written(plans, tmp_path):
    """Namibia's code NA stays a code (pandas would read it as a blank)."""
    renamed = tmp_path / "renamed.xlsx"
    shutil.copy(plans[0], renamed)
    book = openpyxl.load_workbook(renamed)
    book["shortages"]["C2"] = "NA"
    book.save(renamed)
    assert read_plan(renamed).tables["shortages"]["country"].tolist() == ["NA", "JPN", "JPN"]
