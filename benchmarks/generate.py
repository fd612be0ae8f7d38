"""Scale instances in the contract format, of any size, feasible by construction and
deterministic by seed.

    python -m benchmarks.generate OUT.xlsx --countries 30 --materials 8 --years 15 \\
        --scenarios 10 --sites 2 [--seed 1]

A chain of `materials` stages (M0 mined -> M1 -> ... -> the final product), one technology per
step; country C00 is the dominant supplier (group SUPPLIER) with large existing plants; every
other country (group PARTNERS) has candidate sites for each technology, buys the mined stage
at home, ships to three neighbours and to and from the supplier, consumes the final product
and caps its dependence on the supplier. Unmet demand is always allowed at a price, covers
start full, so every instance has a plan.
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass
from pathlib import Path

from optimizer.excel.sheets import write_sheets

FIRST_YEAR = 2026


@dataclass(frozen=True)
class Size:
    countries: int = 5
    materials: int = 3
    years: int = 5
    scenarios: int = 2
    sites: int = 1

    def __str__(self) -> str:
        return (f"{self.countries}c x {self.materials}m x {self.years}y x {self.scenarios}s x "
                f"{self.sites} sites")


def sheets(size: Size, seed: int = 1) -> dict[str, list[list]]:
    rng = random.Random(seed)
    countries = [f"C{i:02d}" for i in range(size.countries)]
    partners = countries[1:]
    materials = [f"M{k}" for k in range(size.materials)]
    final = materials[-1]
    last = FIRST_YEAR + size.years - 1
    techs = [(f"T{k}", materials[k - 1], materials[k]) for k in range(1, size.materials)]
    out: dict[str, list[list]] = {
        "settings": [["key", "value"], ["first_year", FIRST_YEAR], ["last_year", last],
                     ["discount_rate", 0.05], ["mip_gap", 0.01], ["time_limit_s", 600]],
        "countries": [["country", "name"], *([c, f"Country {c}"] for c in countries)],
        "groups": [["group", "country"], ["SUPPLIER", countries[0]],
                   *(["PARTNERS", c] for c in partners)],
        "materials": [["material", "name", "shortage_cost"],
                      *([m, f"Stage {k}", 20_000 * (k + 1)] for k, m in enumerate(materials))],
        "technologies": [["technology", "output"], *([t, o] for t, _, o in techs)],
        "recipes": [["technology", "material", "input", "output"],
                    *(row for t, i, o in techs for row in ([t, i, 1.1, 0], [t, o, 0, 1]))],
    }
    demand = {c: rng.uniform(50, 150) for c in partners}
    total = sum(demand.values()) * 1.3 ** (size.years / 5)
    out["existing_plants"] = [["plant", "technology", "country", "capacity", "variable_cost"],
                              *([f"{countries[0]}_{t}", t, countries[0], total * 1.3 ** k,
                                 100 * k] for k, (t, _, _) in enumerate(techs, 1))]
    out["sites"] = [["site", "technology", "option", "country", "capacity", "capex",
                     "variable_cost", "lead_time", "lifetime"]]
    for c in partners:
        for s in range(size.sites):
            for k, (t, _, _) in enumerate(techs, 1):
                cap = round(rng.uniform(0.5, 1.5) * demand[c] * 1.2 ** k, 1)
                out["sites"].append([f"{c}_S{s}", t, "default", c, cap,
                                     round(cap * rng.uniform(2_000, 6_000)), 150 * k,
                                     rng.randint(0, 2), 20])
    out["supply"] = [["country", "material", "year", "max_quantity", "price"],
                     [countries[0], materials[0], None, None, 100],
                     *([c, materials[0], None, round(demand[c] * 2, 1),
                        round(rng.uniform(120, 200), 1)] for c in partners)]
    routes = [["from_country", "to_country", "material", "transport_cost", "tariff"],
              ["SUPPLIER", "PARTNERS", None, 20, 0], ["PARTNERS", "SUPPLIER", None, 20, 0]]
    for i, c in enumerate(partners):
        neighbours = dict.fromkeys(partners[(i + j) % len(partners)] for j in (1, 2, 3))
        for other in neighbours:
            if other != c:
                routes.append([c, other, None, round(rng.uniform(5, 30), 1), 0])
    out["routes"] = routes
    out["demand"] = [["country", "material", "year", "quantity"],
                     *([c, final, y, round(demand[c] * 1.05 ** (y - FIRST_YEAR), 1)]
                       for c in partners for y in range(FIRST_YEAR, last + 1))]
    out["stockpiles"] = [["country", "material", "initial", "capacity", "holding_cost",
                          "min_cover_days"],
                         *([c, final, demand[c], demand[c] * 2, 50, 30]
                           for c in partners[:max(1, len(partners) // 3)])]
    out["dependence_limits"] = [["consumer", "supplier", "material", "year", "max_share"],
                                *([c, "SUPPLIER", final, None, 0.6] for c in partners)]
    out["scenarios"] = [["scenario", "probability", "description"],
                        *([f"cut{s}", 0.5 / size.scenarios, ""]
                          for s in range(1, size.scenarios))]
    out["disruptions"] = [["scenario", "supplier", "material", "from_year", "to_year", "cut"]]
    for s in range(1, size.scenarios):
        start = FIRST_YEAR + rng.randint(1, max(1, size.years - 2))
        for m in materials[1:]:
            out["disruptions"].append([f"cut{s}", "SUPPLIER", m, start,
                                       min(start + rng.randint(0, 2), last),
                                       round(rng.uniform(0.5, 1), 2)])
    return out


def write(path: Path, size: Size, seed: int = 1) -> Path:
    return write_sheets(path, sheets(size, seed))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    for name, default in vars(Size()).items():
        parser.add_argument(f"--{name}", type=int, default=default)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    size = Size(*(getattr(args, name) for name in vars(Size())))
    print(f"{write(args.output, size, args.seed)}: {size}")


if __name__ == "__main__":
    main()
