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

# Published optima (OR-Library's capopt.txt): the small instances by file; capa, capb and
# capc (one file each, four instances) by the number their word `capacity` stands for.
OPTIMA = {
    "cap41": 1_040_444.375, "cap42": 1_098_000.450, "cap43": 1_153_000.450,
    "cap44": 1_235_500.450, "cap51": 1_025_208.225, "cap61": 932_615.750,
    "cap62": 977_799.400, "cap63": 1_014_062.050, "cap64": 1_045_650.250,
    "cap71": 932_615.750, "cap72": 977_799.400, "cap73": 1_010_641.450,
    "cap74": 1_034_976.975, "cap81": 838_499.288, "cap82": 910_889.563,
    "cap83": 975_889.563, "cap84": 1_069_369.525, "cap91": 796_648.438,
    "cap92": 855_733.500, "cap93": 896_617.538, "cap94": 946_051.325,
    "cap101": 796_648.437, "cap102": 854_704.200, "cap103": 893_782.112,
    "cap104": 928_941.750, "cap111": 826_124.713, "cap112": 901_377.213,
    "cap113": 970_567.750, "cap114": 1_063_356.488, "cap121": 793_439.563,
    "cap122": 852_524.625, "cap123": 895_302.325, "cap124": 946_051.325,
    "cap131": 793_439.562, "cap132": 851_495.325, "cap133": 893_076.712,
    "cap134": 928_941.750,
}
LARGE_OPTIMA = {
    "capa": {8000: 19_240_822.449, 10000: 18_438_046.543, 12000: 17_765_201.949,
             14000: 17_160_439.012},
    "capb": {5000: 13_656_379.578, 6000: 13_361_927.449, 7000: 13_198_556.434,
             8000: 13_082_516.496},
    "capc": {5000: 11_646_596.974, 5750: 11_570_340.289, 6500: 11_518_743.744,
             7250: 11_505_767.394},
}


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
