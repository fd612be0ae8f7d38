"""The plan: tables of decisions, flows, shares and costs read off a solved model.

Every table uses the input vocabulary (country, material, year, ...); scenario-indexed tables
carry a `scenario` column. The writer turns a `Plan` into the plan workbook; tests recompute
balances, shares and costs from these tables independently of the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyomo.environ as pyo

from models import Formulation
from models.capacity import annuity_factor, available_builds
from models.data import BASELINE, ModelData, Unit, UnitKind
from models.terms import COST_CATEGORIES
from optimizer.errors import Status
from optimizer.solving.solve import SolveOutcome

EPS = 1e-9  # values below this are solver noise, shown as 0

# Units of every plan column, shown in the header cell's comment and in the README.
UNITS: dict[str, str] = {
    "year": "year", "quantity": "t/yr (or the material's unit per year)",
    "capacity": "t/yr of the technology's output", "capex": "currency",
    "financing_rate": "fraction/yr", "annuity": "currency/yr",
    "financing_benefit": "currency (discounted)", "cost": "currency", "price": "currency/t",
    "level": "t", "acquisitions": "t/yr", "releases": "t/yr", "cover_days": "days",
    "demand": "t/yr", "shortage": "t/yr", "share": "fraction", "max_share": "fraction",
    "supply_from_supplier": "t/yr", "total_supply": "t/yr", "discount_factor": "fraction",
    "discounted": "currency (discounted)", "probability": "fraction",
    "expected": "currency (discounted, probability-weighted)", "online_from": "year",
    "online_to": "year", "production": "t/yr", "utilisation": "fraction",
    "marginal_cost": "currency per percentage point (discounted, expected)",
    "marginal_value": "currency per unit of capacity in the year (discounted, expected)",
    "unmet_share": "fraction", "max_capex": "currency",
    "saving_if_10pct_larger": "currency (discounted, expected)",
    "transport_cost": "currency", "tariff_cost": "currency",
    "reference": "t/yr", "allowance": "t/yr", "exports": "t/yr", "cut": "fraction",
    "plan": "the row's `unit`", "counterfactual": "the row's `unit`",
    "difference": "the row's `unit`", "low": "currency (discounted)",
    "high": "currency (discounted)", "plan_gap": "currency (discounted)",
    "counterfactual_gap": "currency (discounted)", "no_limits": "the row's `unit`",
    "no_stockpiles": "the row's `unit`",
}
# Units of a table's own column where the shared name says too little: the builds sheet's
# `year` (DESIGN's vocabulary) is the decision year, not the first year of output.
TABLE_UNITS: dict[str, dict[str, str]] = {
    "builds": {"year": "year: the decision year (output from `online_from`, after the lead "
                       "time)"},
}


@dataclass
class Plan:
    summary: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    run_info: dict[str, Any] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # code -> name, for chart titles


def _value(var: Any) -> float:
    v = pyo.value(var, exception=False)
    return 0.0 if v is None or abs(v) < EPS else float(v)


def extract_plan(f: Formulation, outcome: SolveOutcome,
                 marginals: dict[str, dict] | None = None) -> Plan:
    """Read the plan off a solved model; `marginals` come from `optimizer.solving.duals`."""
    m, data = f.model, f.data
    marginals = marginals or {}
    origins = _origins(f)
    tables = {
        "builds": _builds(m, data),
        "capacity": _capacity(m, data, marginals.get("capacity")),
        "production": _production(m, data),
        "purchases": _purchases(m, data),
        "shipments": _shipments(m, data),
        "sourcing": _sourcing(f, origins),
        "origins": origins,
        "dependence": _dependence(m, data, marginals.get("dependence")),
        "disruptions": _disruptions(m, data),
        "budgets": _budgets(m, data, marginals.get("budgets")),
        "stockpiles": _stockpiles(m, data),
        "shortages": _shortages(m, data),
        "disposal": _disposal(m, data),
        "costs": _costs(f),
    }
    if not len(m.DISPOSALS):  # no material can be disposed of: no table
        del tables["disposal"]
    summary = _summary(f, outcome, tables)
    return Plan(summary, tables, names=_names(data))


def _names(data: ModelData) -> dict[str, str]:
    """Names given on the countries, materials and technologies sheets."""
    named = {**data.country_names, **data.materials["name"].to_dict(),
             **data.technologies["name"].to_dict()}
    return {code: name for code, name in named.items() if isinstance(name, str) and name}


def _builds(m: pyo.ConcreteModel, data: ModelData) -> pd.DataFrame:
    """Builds with their overnight capex, the annuity they pay in each year online within the
    horizon, and the financing benefit: the present value (at the discount rate) of the
    annuities at the discount rate less those at the build's financing rate, over those
    years."""
    last = data.years[-1]
    rate = data.settings["discount_rate"]
    rows = []
    for unit, t in m.BUILDS:
        if _value(m.build[unit, t]) > 0.5:
            u = data.units[unit]
            life = u.online_years(t)
            annuity = u.capex * annuity_factor(u.financing_rate, u.lifetime)
            at_discount_rate = u.capex * annuity_factor(rate, u.lifetime)
            present = sum(data.discount_factor(y) for y in life if y <= last)
            rows.append({"site": u.site, "technology": u.technology, "option": u.option,
                         "country": u.country, "year": t, "online_from": life.start,
                         "online_to": life.stop - 1, "capacity": u.capacity,
                         "capex": u.capex, "financing_rate": u.financing_rate,
                         "annuity": annuity,
                         "financing_benefit": (at_discount_rate - annuity) * present})
    return pd.DataFrame(rows, columns=["site", "technology", "option", "country", "year",
                                       "online_from", "online_to", "capacity", "capex",
                                       "financing_rate", "annuity", "financing_benefit"])


def unit_capacity(m: pyo.ConcreteModel, u: Unit, year: int) -> float:
    if u.kind is UnitKind.EXISTING:
        return u.capacity if year in u.producing_years else 0.0
    return u.capacity * sum(_value(x) for x in available_builds(m, u.name, year))


def _capacity(m: pyo.ConcreteModel, data: ModelData,
              marginal: dict[tuple, float] | None) -> pd.DataFrame:
    rows = []
    for unit, u in data.units.items():
        for t in data.years:
            cap = unit_capacity(m, u, t)
            if cap > EPS:
                rows.append({"country": u.country, "technology": u.technology,
                             "site": u.site, "kind": u.kind, "year": t, "capacity": cap,
                             "marginal_value": None if marginal is None
                             else marginal.get((unit, t), 0.0)})
    return pd.DataFrame(rows, columns=["country", "technology", "site", "kind", "year",
                                       "capacity", "marginal_value"])


def _production(m: pyo.ConcreteModel, data: ModelData) -> pd.DataFrame:
    rows = []
    for unit, t, w in m.PRODUCTION:
        q = _value(m.produce[unit, t, w])
        if q > 0:
            u = data.units[unit]
            cap = unit_capacity(m, u, t)
            rows.append({"scenario": w, "year": t, "country": u.country,
                         "technology": u.technology, "site": u.site, "option": u.option,
                         "material": data.technologies.at[u.technology, "output"],
                         "quantity": q, "utilisation": q / cap if cap > EPS else None})
    return pd.DataFrame(rows, columns=["scenario", "year", "country", "technology", "site",
                                       "option", "material", "quantity", "utilisation"])


def _purchases(m: pyo.ConcreteModel, data: ModelData) -> pd.DataFrame:
    prices = {(r.country, r.material, r.year): r.price for r in data.supply.itertuples()}
    rows = [{"scenario": w, "year": t, "country": c, "material": mat,
             "quantity": q, "price": prices[c, mat, t], "cost": q * prices[c, mat, t]}
            for c, mat, t, w in m.PURCHASES if (q := _value(m.buy[c, mat, t, w])) > 0]
    return pd.DataFrame(rows, columns=["scenario", "year", "country", "material", "quantity",
                                       "price", "cost"])


def _shipments(m: pyo.ConcreteModel, data: ModelData) -> pd.DataFrame:
    routes = {(r.from_country, r.to_country, r.material): r for r in data.routes.itertuples()}
    rows = []
    for o, d, mat, t, w in m.SHIPMENTS:
        q = _value(m.ship[o, d, mat, t, w])
        if q > 0:
            r = routes[o, d, mat]
            rows.append({"scenario": w, "year": t, "from_country": o, "to_country": d,
                         "material": mat, "quantity": q, "transport_cost": q * r.transport_cost,
                         "tariff_cost": q * r.tariff})
    return pd.DataFrame(rows, columns=["scenario", "year", "from_country", "to_country",
                                       "material", "quantity", "transport_cost", "tariff_cost"])


ORIGIN_COLUMNS = ["scenario", "year", "material", "origin", "flow", "country", "partner",
                  "quantity"]


def _origins(f: Formulation) -> pd.DataFrame:
    """Every origin-tagged flow of the limited materials: what each country buys, makes,
    ships (to `partner`), stocks, releases, consumes and feeds its plants, per origin class
    (see `models.origin`). Each flow sums over origins to its untagged flow."""
    origins, m, data = f.origins, f.model, f.data
    if origins is None:
        return pd.DataFrame(columns=ORIGIN_COLUMNS)
    of = origins.classes.of_country
    rows = []

    def add(w, t, mat, k, flow, country, partner, value) -> None:
        if (q := _value(value)) > 0:
            rows.append((w, t, mat, k, flow, country, partner, q))

    for c, mat, t, w in m.PURCHASES:
        if mat in origins.materials:
            add(w, t, mat, of[c], "purchases", c, None, m.buy[c, mat, t, w])
    for u, t, w in m.PRODUCTION:
        unit = data.units[u]
        for mat, (_, made) in origins._recipe(u).items():
            if made and mat in origins.materials:
                if (origins.classes.names[0], u, t, w) in m.origin_mode:
                    for k in origins.classes.names:
                        add(w, t, mat, k, "production", unit.country, unit.site,
                            made * m.origin_mode[k, u, t, w])
                else:
                    add(w, t, mat, of[unit.country], "production", unit.country, unit.site,
                        made * m.produce[u, t, w])
    for (k, o, d, mat, t, w), var in m.origin_ship.items():
        add(w, t, mat, k, "shipments", o, d, var)
    for flow, var in (("acquisitions", m.origin_add), ("releases", m.origin_release)):
        for (k, c, mat, t, w), v in var.items():
            add(w, t, mat, k, flow, c, None, v)
    for (k, c, mat, t, w), var in m.origin_drawn.items():  # becomes the holder's own
        add(w, t, mat, k, "drawn_in_cut", c, None, var)
    for (k, c, mat, t, w), var in m.origin_consume.items():
        add(w, t, mat, k, "demand_met", c, None, var)
    for (k, u, mat, t, w), var in m.origin_input.items():
        add(w, t, mat, k, "plant_inputs", data.units[u].country, data.units[u].site, var)
    for (k, c, mat, t, w), var in m.origin_dispose.items():
        add(w, t, mat, k, "disposal", c, None, var)
    return pd.DataFrame(rows, columns=ORIGIN_COLUMNS)


SOURCING_COLUMNS = ["scenario", "year", "country", "material", "origin", "rule", "quantity",
                    "share"]
USE_FLOWS = ("demand_met", "plant_inputs")  # what a dependence limit counts as use


def _sourcing(f: Formulation, origins: pd.DataFrame) -> pd.DataFrame:
    """Each consumer's use of each material by origin class, under the workbook's
    `origin_rule`, for the materials whose origin is traced (from the `origins` table: demand
    met and plant inputs, what the limits count); for the others, where nobody traces origin,
    what each country takes in by the country it came from (the shipper rule: its own
    purchases, production and stock, and each partner's shipments). `share` is the part of the
    consumer's quantity of that material in that scenario and year."""
    traced = origins[origins.flow.isin(USE_FLOWS)].assign(
        rule=f.data.settings.get("origin_rule") or "transformation")
    untraced = _inflows_by_shipper(f.model, f.data, set(origins.material))
    frame = pd.concat([traced[untraced.columns], untraced]) if len(traced) else untraced
    keys = ["scenario", "year", "country", "material"]
    frame = frame.groupby([*keys, "origin", "rule"], as_index=False, sort=True)["quantity"].sum()
    frame["share"] = frame.quantity / frame.groupby(keys).quantity.transform("sum")
    return frame[SOURCING_COLUMNS]


def _inflows_by_shipper(m: pyo.ConcreteModel, data: ModelData, skip: set[str]) -> pd.DataFrame:
    """What each country takes in of each material not in `skip`, by the country it came
    from: purchases, production and stock releases are its own, imports the shipper's."""
    rows = []
    for c, mat, t, w in m.PURCHASES:
        rows.append((w, t, c, mat, c, m.buy[c, mat, t, w]))
    for unit, t, w in m.PRODUCTION:
        u = data.units[unit]
        for mat, (_, made) in data.recipes.get(u.technology, {}).items():
            if made:
                rows.append((w, t, u.country, mat, u.country, made * m.produce[unit, t, w]))
    for c, mat, t, w in m.STOCK:
        rows.append((w, t, c, mat, c, m.stock_release[c, mat, t, w]))
    for o, d, mat, t, w in m.SHIPMENTS:
        rows.append((w, t, d, mat, o, m.ship[o, d, mat, t, w]))
    kept = [(*row[:5], "shipper", q) for row in rows
            if row[3] not in skip and (q := _value(row[5])) > 0]
    return pd.DataFrame(kept, columns=["scenario", "year", "country", "material", "origin",
                                       "rule", "quantity"])


def _dependence(m: pyo.ConcreteModel, data: ModelData,
                marginal: dict[tuple, float] | None) -> pd.DataFrame:
    """One row per limit, year and scenario; `marginal_cost` is the scenario's part of what a
    one-point looser limit would save (the parts add up over scenarios)."""
    rows = []
    for lim in data.dependence_limits.itertuples(index=False):
        for w in data.scenario_names:
            key = (lim.limit, w)
            limited = key in m.LIMITS
            from_supplier = _value(m.supplier_use[key]) if limited else 0.0
            total = _value(m.total_use[key]) if key in m.LIMIT_SCENARIOS else 0.0
            share = from_supplier / total if total > EPS else None  # no use: no share
            rows.append({"scenario": w, "consumer": lim.consumer, "supplier": lim.supplier,
                         "material": lim.material, "year": lim.year,
                         "max_share": lim.max_share, "share": share,
                         "supply_from_supplier": from_supplier, "total_supply": total,
                         "binding": limited and share is not None
                         and share >= lim.max_share - 1e-6,
                         "marginal_cost": None if marginal is None
                         else marginal.get((lim.limit, w), 0.0),
                         "input_row": lim.row})
    return pd.DataFrame(rows, columns=["scenario", "consumer", "supplier", "material", "year",
                                       "max_share", "share", "supply_from_supplier",
                                       "total_supply", "binding", "marginal_cost", "input_row"])


def _disruptions(m: pyo.ConcreteModel, data: ModelData) -> pd.DataFrame:
    """Per disruption row and year: the reference the cut is measured against, the exports it
    allows and the exports of the plan's scenario."""
    rows = []
    for cut in data.cuts:
        key = (int(cut.row), int(cut.year))
        reference = cut.reference if cut.reference is not None else \
            data.reference_exports.get(key, 0.0)
        supplier, destinations = set(data.members(cut.supplier)), data.cut_destinations(cut)
        exports = sum(_value(m.ship[o, d, mat, cut.year, cut.scenario])
                      for o, d, mat in m.ROUTES
                      if mat == cut.material and o in supplier and d in destinations)
        rows.append({"scenario": cut.scenario, "supplier": cut.supplier,
                     "material": cut.material, "to_country": cut.to_country,
                     "year": cut.year, "cut": cut.cut, "reference": reference,
                     "allowance": (1 - cut.cut) * reference, "exports": exports,
                     "input_row": cut.row})
    return pd.DataFrame(rows, columns=["scenario", "supplier", "material", "to_country", "year",
                                       "cut", "reference", "allowance", "exports",
                                       "input_row"])


def _budgets(m: pyo.ConcreteModel, data: ModelData,
             savings: dict[int, float] | None) -> pd.DataFrame:
    rows = []
    for b in data.budgets.itertuples(index=False):
        used = _value(m.budget_capex[b.budget]) if b.budget in m.BUDGETS else 0.0
        rows.append({"country": b.country, "year": b.year, "max_capex": b.max_capex,
                     "capex": used, "saving_if_10pct_larger": None if savings is None
                     else savings.get(b.budget, 0.0), "input_row": b.row})
    return pd.DataFrame(rows, columns=["country", "year", "max_capex", "capex",
                                       "saving_if_10pct_larger", "input_row"])


def _stockpiles(m: pyo.ConcreteModel, data: ModelData) -> pd.DataFrame:
    demand = {(r.country, r.material, r.year): r.quantity for r in data.demand.itertuples()}
    rows = []
    for c, mat, t, w in m.STOCK:
        level = _value(m.stock_level[c, mat, t, w])
        d = demand.get((c, mat, t), 0.0)
        rows.append({"scenario": w, "year": t, "country": c, "material": mat, "level": level,
                     "acquisitions": _value(m.stock_add[c, mat, t, w]),
                     "releases": _value(m.stock_release[c, mat, t, w]),
                     "cover_days": level / d * 365 if d > 0 else None})
    return pd.DataFrame(rows, columns=["scenario", "year", "country", "material", "level",
                                       "acquisitions", "releases", "cover_days"])


def _shortages(m: pyo.ConcreteModel, data: ModelData) -> pd.DataFrame:
    rows = []
    for r in data.demand.itertuples():
        for w in data.scenario_names:
            key = (r.country, r.material, r.year, w)
            short = _value(m.shortage[key]) if key in m.SHORTAGES else 0.0
            if r.quantity > 0:
                rows.append({"scenario": w, "year": r.year, "country": r.country,
                             "material": r.material, "demand": r.quantity, "shortage": short,
                             "unmet_share": short / r.quantity})
    return pd.DataFrame(rows, columns=["scenario", "year", "country", "material", "demand",
                                       "shortage", "unmet_share"])


def _disposal(m: pyo.ConcreteModel, data: ModelData) -> pd.DataFrame:
    """What each country disposes of, per material and year, and what that costs."""
    costs = data.materials["disposal_cost"]
    rows = [{"scenario": w, "year": t, "country": c, "material": mat, "quantity": q,
             "cost": q * costs[mat]}
            for c, mat, t, w in m.DISPOSALS if (q := _value(m.dispose[c, mat, t, w])) > 0]
    return pd.DataFrame(rows, columns=["scenario", "year", "country", "material", "quantity",
                                       "cost"])


def _costs(f: Formulation) -> pd.DataFrame:
    """Cost of every (scenario, year, category): undiscounted, discounted and expected."""
    data = f.data
    amounts: dict[tuple[str, int, str], float] = {}
    for key, items in f.terms.costs.items():
        amounts[key] = amounts.get(key, 0.0) + sum(pyo.value(a) * _value(x) for a, x in items)
    for key, amount in f.terms.cost_constants.items():
        amounts[key] = amounts.get(key, 0.0) + pyo.value(amount)
    rows = []
    for (category, t, w), cost in sorted(amounts.items(), key=lambda kv: (
            data.scenario_names.index(kv[0][2]), kv[0][1], COST_CATEGORIES.index(kv[0][0]))):
        if abs(cost) < EPS:
            continue
        df = data.discount_factor(t)
        p = pyo.value(f.model.probability[w])
        rows.append({"scenario": w, "year": t, "category": category, "cost": cost,
                     "discount_factor": df, "discounted": cost * df, "probability": p,
                     "expected": cost * df * p})
    return pd.DataFrame(rows, columns=["scenario", "year", "category", "cost",
                                       "discount_factor", "discounted", "probability",
                                       "expected"])


def _summary(f: Formulation, outcome: SolveOutcome,
             tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    data = f.data
    costs = tables["costs"]
    by_category = costs.groupby("category")["expected"].sum()
    # From the cost table (it adds up to the model's expected cost, as tests check): far
    # cheaper than evaluating the objective's expressions again.
    expected = float(costs["expected"].sum())
    summary: dict[str, Any] = {
        "status": outcome.status,
        "objective": expected,
        "mip_gap": outcome.gap,
        "solve_seconds": outcome.seconds,
        "proven_optimal": outcome.status is Status.OPTIMAL,
        "best_bound": outcome.bound,
        "requested_mip_gap": data.settings["mip_gap"],
        "currency": data.settings.get("currency", "USD"),
        "horizon": f"{data.years[0]}-{data.years[-1]}",
        "scenarios": len(data.scenario_names),
    }
    if f.cvar is not None:
        # The solver minimised expected + weight x CVaR; `objective` stays the expected cost
        # (the sum of the cost table), and the gap and bound refer to the risk-adjusted value.
        summary["cvar"] = float(pyo.value(f.cvar))
        summary["risk_adjusted_objective"] = outcome.objective
    for category in COST_CATEGORIES:
        summary[f"cost_{category}"] = float(by_category.get(category, 0.0))
    for w in data.scenario_names:
        summary[f"scenario_cost_{w}"] = float(costs.loc[costs.scenario == w, "discounted"].sum())
    builds = tables["builds"]
    dependence = tables["dependence"]
    summary.update({
        "builds": len(builds),
        "build_capex": float(builds["capex"].sum()) if len(builds) else 0.0,
        **_shortage_totals(f, tables["shortages"]),
        "limits_binding": int(dependence[dependence.scenario == BASELINE]["binding"].sum()),
    })
    return summary


def _shortage_totals(f: Formulation, shortages: pd.DataFrame) -> dict[str, float]:
    """Unmet demand over the whole horizon: in the baseline, expected over the scenarios
    (probability-weighted) and in the scenario that leaves the most unmet."""
    names = f.data.scenario_names
    per_scenario = shortages.groupby("scenario")["shortage"].sum().reindex(names, fill_value=0)
    probability = pd.Series({w: pyo.value(f.model.probability[w]) for w in names})
    return {"baseline_shortage": float(per_scenario.get(BASELINE, 0.0)),
            "expected_shortage": float((per_scenario * probability).sum()),
            "worst_shortage": float(per_scenario.max())}


def marginal_cost_per_limit(dependence: pd.DataFrame) -> pd.Series:
    """What loosening each limit row by a point saves in each year, summed over scenarios
    (the `dependence` table splits it by scenario); blank where no marginal costs were
    computed."""
    keys = [c for c in ("input_row", "year") if c in dependence.columns]
    return dependence.groupby(keys, dropna=False)["marginal_cost"].sum(min_count=1)
