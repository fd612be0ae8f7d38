"""Numerical safety: figures spanning more than 1e9 get a warning naming the cells."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli, tiny_sheets, write_workbook


def test_badly_scaled_case_warns_naming_both_cells(tmp_path: Path) -> None:
    # transport at 0.000001 USD/t next to a price of 10,000: a span of 1e10
    sheets = tiny_sheets(
        supply=[["country", "material", "year", "max_quantity", "price"],
                ["CHN", "OXIDE", None, None, 10], ["AUS", "OXIDE", None, None, 10_000]],
        routes=[["from_country", "to_country", "material", "transport_cost", "tariff"],
                ["CHN", "JPN", None, 1e-6, 0], ["AUS", "JPN", None, 2, 0]])
    source = write_workbook(tmp_path / "scaled.xlsx", sheets)
    for command in ("validate", "solve"):
        result = run_cli(*_args(command, source, tmp_path))
        assert result.returncode == 0, result.stderr
        warning = next(line for line in result.stderr.splitlines() if "span" in line)
        assert "sheet 'routes', row 2, column 'transport_cost'" in warning
        assert "sheet 'supply', row 3, column 'price' is 10000" in warning
        assert "money figures span 1e+10" in warning


def _args(command: str, source: Path, tmp_path: Path) -> list[str]:
    return [command, str(source)] + (["-o", str(tmp_path / "plan.xlsx")]
                                     if command == "solve" else [])


def test_quantities_checked_apart_from_money(tmp_path: Path) -> None:
    # a demand of 1e-6 t beside an unlimited supply is fine; beside 1e4 t of capacity it is not
    sheets = tiny_sheets(demand=[["country", "material", "year", "quantity"],
                                 ["JPN", "OXIDE", 2026, 1e-6], ["JPN", "OXIDE", 2027, 100]],
                         existing_plants=[["plant", "technology", "country", "capacity"],
                                          ["BIG", "SEP", "AUS", 1e4]])
    result = run_cli("validate", str(write_workbook(tmp_path / "q.xlsx", sheets)))
    assert result.returncode == 0, result.stderr
    assert ("sheet 'demand', row 2, column 'quantity': quantities span 1e+10"
            in result.stderr)


def test_well_scaled_bundled_cases_do_not_warn() -> None:
    for name in ("base_case", "example"):
        result = run_cli("validate", f"inputs/{name}.xlsx",
                         cwd=Path(__file__).resolve().parents[1])
        assert result.returncode == 0 and "span" not in result.stderr, result.stderr
