"""OR-Library capacitated warehouse location (Beasley) as contract workbooks.

Format of capNNN.txt: `m n`; m lines `capacity fixed_cost`; then per customer its demand and
the m costs of allocating all of that demand to each warehouse. Here warehouses become
candidate sites (capex = fixed cost, one-year horizon, lifetime 1), customers become demand,
and each allocation cost becomes a per-tonne route cost (cost / demand), so demand may split.

The instances cap41 and cap131 are in benchmarks/data (OR-Library,
http://people.brunel.ac.uk/~mastjjb/jeb/orlib/capinfo.html).

    python -m benchmarks.orlib benchmarks/data/cap41.txt cap41.xlsx
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from optimizer.excel.sheets import write_sheets

# Published optima (OR-Library capopt.txt); capa's by the capacity its word `capacity` takes.
OPTIMA = {"cap41": 1_040_444.375, "cap131": 793_439.562}
CAPA_OPTIMA = {8000: 19_240_822.449, 10000: 18_438_046.543, 12000: 17_765_201.949,
               14000: 17_160_439.012}


@dataclass
class WarehouseProblem:
    capacities: list[float]
    fixed_costs: list[float]
    demands: list[float]
    costs: list[list[float]]  # costs[j][i]: all of customer j's demand served by warehouse i


def read_cap(path: Path, capacity: float | None = None) -> WarehouseProblem:
    """`capacity`: the number that the word `capacity` stands for (capa, capb, capc: each
    gives sibling instances, one per capacity)."""
    text = Path(path).read_text()
    if capacity is not None:
        text = text.replace("capacity", f"{capacity:g}")
    tokens = iter(text.split())
    m, n = int(next(tokens)), int(next(tokens))
    capacities, fixed = [], []
    for _ in range(m):
        capacities.append(float(next(tokens)))
        fixed.append(float(next(tokens)))
    demands, costs = [], []
    for _ in range(n):
        demands.append(float(next(tokens)))
        costs.append([float(next(tokens)) for _ in range(m)])
    return WarehouseProblem(capacities, fixed, demands, costs)


def problem_sheets(p: WarehouseProblem, year: int = 2026) -> dict[str, list[list]]:
    warehouses = [f"W{i + 1}" for i in range(len(p.capacities))]
    customers = [f"C{j + 1}" for j in range(len(p.demands))]
    # Unmet demand must never pay: far above any per-tonne allocation plus fixed cost.
    shortage = 10 * (max(max(c) / d for c, d in zip(p.costs, p.demands, strict=True))
                     + sum(p.fixed_costs))
    return {
        "settings": [["key", "value"], ["first_year", year], ["last_year", year],
                     ["discount_rate", 0], ["mip_gap", 0], ["time_limit_s", 600]],
        "countries": [["country", "name"], *([c, ""] for c in warehouses + customers)],
        "materials": [["material", "name", "stage", "unit", "shortage_cost"],
                      ["GOODS", "goods", "", "", shortage]],
        "technologies": [["technology", "name", "output"], ["DEPOT", "warehouse", "GOODS"]],
        "recipes": [["technology", "material", "input", "output"], ["DEPOT", "GOODS", 0, 1]],
        "sites": [["site", "technology", "country", "capacity", "capex", "lifetime"],
                  *([w, "DEPOT", w, cap, f, 1] for w, cap, f in
                    zip(warehouses, p.capacities, p.fixed_costs, strict=True))],
        "routes": [["from_country", "to_country", "material", "transport_cost"],
                   *([w, c, "GOODS", p.costs[j][i] / p.demands[j]]
                     for j, c in enumerate(customers) for i, w in enumerate(warehouses))],
        "demand": [["country", "material", "year", "quantity"],
                   *([c, "GOODS", year, d] for c, d in zip(customers, p.demands, strict=True))],
    }


def cap_to_workbook(source: Path, target: Path) -> Path:
    return write_sheets(target, problem_sheets(read_cap(source)))


if __name__ == "__main__":
    cap_to_workbook(Path(sys.argv[1]), Path(sys.argv[2]))
