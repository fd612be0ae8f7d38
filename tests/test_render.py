"""The plan as a spreadsheet app draws and prints it: LibreOffice re-saves the plan, and every
chart must come back with data (LibreOffice writes each series' values into the chart); printed
to PDF, the answer sheet is one page and the whole plan a sensible number of pages. Skipped
when LibreOffice is not installed (`apt-get install libreoffice-calc`)."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import run_cli
from test_answer import rich_plan
from test_plan_charts import tables

from models.data import BASELINE
from optimizer.excel.plan_writer import write_plan
from optimizer.solving.results import Plan

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
EXAMPLE = Path(__file__).resolve().parents[1] / "inputs" / "example.xlsx"

pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")


def charts(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n).decode() for n in zf.namelist()
                if re.fullmatch(r"xl/charts/chart\d+\.xml", n)}


def resaved(plan: Path) -> Path:
    """`plan` as LibreOffice re-saves it (recalculated, each chart's data cached in it)."""
    out = plan.parent / "rendered"
    subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation=file://{plan.parent}/lo",
                    "--convert-to", "xlsx", "--outdir", str(out), str(plan)],
                   capture_output=True, timeout=300, check=True)
    return out / plan.name


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The example's plan, and the same plan as LibreOffice re-saves it."""
    plan = tmp_path_factory.mktemp("render") / "plan.xlsx"
    assert run_cli("solve", str(EXAMPLE), "-o", str(plan)).returncode == 0
    return plan, resaved(plan)


def pdf_pages(workbook: Path, folder: Path) -> int:
    """Pages of `workbook` printed to PDF by LibreOffice (with its own user profile)."""
    subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation=file://{folder}/lo",
                    "--convert-to", "pdf", "--outdir", str(folder), str(workbook)],
                   capture_output=True, timeout=300, check=True)
    pdf = (folder / workbook.name).with_suffix(".pdf").read_bytes()
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))


def answer_only(plan: Path, folder: Path) -> Path:
    """A copy of `plan` that keeps only its answer sheet (LibreOffice prints every sheet)."""
    book = openpyxl.load_workbook(plan)
    for name in book.sheetnames[1:]:
        del book[name]
    book.save(folder / "answer.xlsx")
    return folder / "answer.xlsx"


def test_the_answer_sheet_prints_on_one_page(rendered, tmp_path):
    plan, _ = rendered
    assert openpyxl.load_workbook(plan).sheetnames[0] == "answer"
    assert pdf_pages(answer_only(plan, tmp_path), tmp_path) == 1


def test_a_crowded_answer_sheet_prints_on_one_page(tmp_path):
    """Thirty builds, twenty scenarios, twelve binding limits: summarised to one page."""
    plan = rich_plan()
    builds = plan.tables["builds"]
    plan.tables["builds"] = pd.concat([builds.assign(site=f"SITE_{i}", capex=1e6 * i)
                                       for i in range(30)])
    plan.tables["shortages"] = pd.concat([plan.tables["shortages"].assign(
        scenario=f"scenario_{i}") for i in range(20)])
    dependence = plan.tables["dependence"]
    plan.tables["dependence"] = pd.concat([dependence.assign(consumer=f"C{i}")
                                           for i in range(12)])
    write_plan(plan, tmp_path / "plan.xlsx")
    assert pdf_pages(answer_only(tmp_path / "plan.xlsx", tmp_path), tmp_path) == 1


def test_the_example_plan_prints_without_splitting_tables_by_column(rendered, tmp_path):
    """Every table one page wide, two rows of charts a page: 56 pages (90 when tables were split
    by column and charts across pages)."""
    plan, _ = rendered
    assert pdf_pages(plan, tmp_path) <= 60


def test_every_formula_evaluates_in_libreoffice(rendered):
    """No cell of the recalculated plan is an error (the totals row once read Err:508)."""
    _, drawn = rendered
    book = openpyxl.load_workbook(drawn, data_only=True)
    errors = [f"{ws.title}!{cell.coordinate}: {cell.value}" for ws in book.worksheets
              for row in ws.iter_rows() for cell in row
              if cell.data_type == "e" or (isinstance(cell.value, str)
                                           and re.match(r"(Err:\d+|#[A-Z/0!?]+)", cell.value))]
    assert not errors, errors[:10]
    summary = book["summary"]
    totals = [r for r in summary.iter_rows(values_only=True) if "total" in r]
    assert totals and any(isinstance(v, int | float) and v for v in totals[0])


def assert_every_chart_has_data(plan: Path, drawn_plan: Path) -> list[str]:
    """Every chart LibreOffice re-saved draws some non-zero point; return their titles."""
    written, drawn = charts(plan), charts(drawn_plan)
    assert written and len(drawn) == len(written)
    for name, xml in drawn.items():
        series = re.findall(r"<c:ser>.*?</c:ser>", xml, flags=re.S)
        assert series, f"{name}: no series"
        points = [float(v) for s in series for v in re.findall(
            r"<c:pt idx=\"\d+\"><c:v>([-0-9.eE+]+)</c:v>",
            "".join(re.findall(r"<c:val>.*?</c:val>", s, flags=re.S)))]
        assert points and any(abs(p) > 0 for p in points), f"{name}: the chart draws no data"
    return ["".join(re.findall(r"<a:t>(.*?)</a:t>", xml.split("</c:title>")[0]))
            for xml in drawn.values()]


def test_every_chart_has_data_as_libreoffice_draws_it(rendered):
    titles = assert_every_chart_has_data(*rendered)
    cut = [t for t in titles if "china_cut_2028" in t]
    assert len(cut) == 3 and all("supply to" in t and "by origin" in t for t in cut), titles


def test_scenario_shortage_charts_have_data_as_libreoffice_draws_them(tmp_path):
    plan = write_plan(Plan({"status": "optimal"}, tables((BASELINE, "cut_a", "cut_b"))),
                      tmp_path / "plan.xlsx")
    titles = assert_every_chart_has_data(plan, resaved(plan))
    assert sorted(t for t in titles if t.startswith("Shortage")) == [
        "Shortage of MAG by consumer (cut_a)", "Shortage of MAG by consumer (cut_b)"]
