"""The plan's charts as a spreadsheet app draws them: LibreOffice re-saves the plan, and every
chart must come back with data (LibreOffice writes each series' values into the chart).
Skipped when LibreOffice is not installed (`apt-get install libreoffice-calc`)."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import run_cli

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
EXAMPLE = Path(__file__).resolve().parents[1] / "inputs" / "example.xlsx"

pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")


def charts(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n).decode() for n in zf.namelist()
                if re.fullmatch(r"xl/charts/chart\d+\.xml", n)}


def test_every_chart_has_data_as_libreoffice_draws_it(tmp_path):
    plan = tmp_path / "plan.xlsx"
    assert run_cli("solve", str(EXAMPLE), "-o", str(plan)).returncode == 0
    out = tmp_path / "rendered"
    subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "xlsx", "--outdir", str(out), str(plan)],
                   capture_output=True, timeout=300, check=True)
    written, drawn = charts(plan), charts(out / "plan.xlsx")
    assert written and len(drawn) == len(written)
    for name, xml in drawn.items():
        series = re.findall(r"<c:ser>.*?</c:ser>", xml, flags=re.S)
        assert series, f"{name}: no series"
        points = [float(v) for s in series for v in re.findall(
            r"<c:pt idx=\"\d+\"><c:v>([-0-9.eE+]+)</c:v>",
            "".join(re.findall(r"<c:val>.*?</c:val>", s, flags=re.S)))]
        assert points and any(abs(p) > 0 for p in points), f"{name}: the chart draws no data"
