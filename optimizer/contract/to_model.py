"""From validated tables to model data: groups expanded, years expanded, overrides resolved.

Everything the formulation needs is computed here as plain Python and pandas (sparse index
lists, per-year parameters), so it can be tested without a solver and the model modules only
declare variables and constraints over what exists.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from models.data import ModelData, Unit, UnitKind
from models.memory import collector_paused
from optimizer.contract.inputs import ROW, Inputs
from optimizer.contract.schema import BASELINE, Issue
from optimizer.contract.validate import carried_into_horizon, choose_routes, records
from optimizer.contract.wording import quantity_text
from optimizer.errors import InputError

COVER_TOL = 1e-6  # t: a cover this close to the capacity fits


def build_data(inputs: Inputs) -> ModelData:
    """Turn validated inputs into model data; raise InputError for conflicts found here."""
    with collector_paused():
        return _build_data(inputs)


def _build_data(inputs: Inputs) -> ModelData:
    t = inputs.tables
    s = _origin_rule(dict(inputs.settings))
    years = list(range(s["first_year"], s["last_year"] + 1))
    issues: list[Issue] = []
    groups: dict[str, tuple[str, ...]] = {}
    for group, country in t["groups"][["group", "country"]].itertuples(index=False):
        groups[group] = (*groups.get(group, ()), country)
    countries = list(t["countries"]["country"])
    data = ModelData(
        settings=s,
        years=years,
        countries=countries,
        country_names=dict(zip(t["countries"]["country"], t["countries"]["name"].fillna(""),
                               strict=True)),
        groups=groups,
        materials=_materials(t["materials"], s),
        technologies=t["technologies"].set_index("technology")[["name", "output"]],
        recipes=_recipes(t["recipes"]),
        units=_units(t["sites"], t["existing_plants"], years),
        supply=pd.DataFrame(),
        routes=pd.DataFrame(),
        demand=pd.DataFrame(),
        stockpiles=pd.DataFrame(),
        dependence_limits=pd.DataFrame(),
        budgets=pd.DataFrame(),
        scenarios=_scenarios(t["scenarios"]),
        disruptions=pd.DataFrame(),
        source=str(inputs.path),
        warnings=list(inputs.warnings),
    )
    data.supply = _by_year(t["supply"], ["country", "material"], years)
    data.demand = _demand(_grown(t["demand"], _by_year(t["demand"], ["country", "material"],
                                                       years), years), data.materials)
    data.routes = _routes(t["routes"], data)
    data.stockpiles = _stockpiles(t["stockpiles"], data.supply, years[-1], issues)
    limits = _limit_years(t["dependence_limits"], years)
    limits.insert(0, "limit", range(len(limits)))
    data.dependence_limits = limits
    budgets = t["budgets"][["country", "year", "max_capex", ROW]].copy()
    budgets.insert(0, "budget", range(len(budgets)))
    data.budgets = budgets
    data.disruptions = _disruptions(t["disruptions"], years)
    if any(not i.warning for i in issues):
        raise InputError(issues + data.warnings, data.source)
    data.warnings += issues
    return data


def cover_beyond_capacity(data: ModelData) -> list[tuple[Any, str]]:
    """(stockpile, why) for each stockpile whose cover requirement, max(min_cover_days/365
    x its holder's demand, min_level), is above its capacity in some year: no plan can meet
    it. Shared by `validate` and the diagnosis of an infeasible solve."""
    demand = data.demand.set_index(["country", "material", "year"])["quantity"]
    found = []
    for pile in data.stockpiles.itertuples():
        if pile.min_cover_days <= 0 and pile.min_level <= 0:
            continue
        need = [(t, max(pile.min_cover_days / 365
                        * demand.get((pile.country, pile.material, t), 0), pile.min_level))
                for t in data.years]
        over = [(t, required) for t, required in need if required > pile.capacity + COVER_TOL]
        if over:
            found.append((pile, _cover_text(pile, over)))
    return found


def _cover_text(pile: Any, over: list[tuple[int, float]]) -> str:
    """The first year a cover exceeds the capacity, and the later ones: listed when few,
    else counted, with the largest requirement."""
    (t, required), later = over[0], over[1:]
    text = (f"{pile.country} must hold {cover_what(pile, required)} of {pile.material} in "
            f"{t} ({quantity_text(required)}), but the stockpile's capacity is "
            f"{quantity_text(pile.capacity)}")
    if later:
        years = [year for year, _ in later]
        shown = ", ".join(map(str, years)) if len(years) <= 5 else f"{years[0]} to {years[-1]}"
        top, most = max(later, key=lambda kv: kv[1])
        text += (f"; so too in {len(years)} later year{'s' if len(years) > 1 else ''} "
                 f"({shown}), up to {quantity_text(most)} in {top}")
    return text


def cover_what(pile: Any, required: float) -> str:
    """What a stockpile's requirement asks: days of cover, or its min_level when that is the
    larger."""
    if pile.min_level > 0 and required <= pile.min_level + COVER_TOL:
        return f"its min_level {quantity_text(pile.min_level)}"
    return f"{pile.min_cover_days:g} days of cover"


def _origin_rule(settings: dict[str, Any]) -> dict[str, Any]:
    """Workbooks written for the former setting `trace_origin` keep their meaning."""
    trace = settings.get("trace_origin")
    if trace is not None:
        settings["origin_rule"] = "content" if trace else "shipper"
    return settings


def _materials(frame: pd.DataFrame, settings: dict[str, Any]) -> pd.DataFrame:
    out = frame.set_index("material")[["name", "stage", "unit", "shortage_cost",
                                       "disposal_cost", ROW]].copy()
    default = settings.get("default_shortage_cost")
    out["shortage_cost"] = [default if v is None else v for v in out["shortage_cost"]]
    return out


def _recipes(frame: pd.DataFrame) -> dict[str, dict[str, tuple[float, float]]]:
    recipes: dict[str, dict[str, tuple[float, float]]] = {}
    for tech, material, used, made in frame[["technology", "material", "input", "output"]] \
            .itertuples(index=False):
        if used or made:
            recipes.setdefault(tech, {})[material] = (float(used), float(made))
    return recipes


def _units(sites: pd.DataFrame, plants: pd.DataFrame, years: list[int]) -> dict[str, Unit]:
    """One production unit per existing plant and per candidate (site, technology, option)."""
    first, last = years[0], years[-1]
    units = {}
    for p in plants.to_dict("records"):
        units[p["plant"]] = Unit(
            p["plant"], UnitKind.EXISTING, site=p["plant"], option="", technology=p["technology"],
            country=p["country"], capacity=float(p["capacity"]), capex=0.0,
            fixed_om=float(p["fixed_om"]), variable_cost=float(p["variable_cost"]), lead_time=0,
            lifetime=0, financing_rate=0.0, row=p[ROW], decision_years=range(0),
            producing_years=range(max(int(p["first_year"]), first),
                                  min(int(p["last_year"]), last) + 1))
    for s in sites.to_dict("records"):
        lead, life = int(s["lead_time"]), int(s["lifetime"])
        earliest = max(int(s["earliest_year"]), first)
        latest = min(int(s["latest_year"]), last)
        name = f"{s['site']}/{s['technology']}/{s['option']}"
        units[name] = Unit(
            name, UnitKind.CANDIDATE, site=s["site"], option=s["option"],
            technology=s["technology"], country=s["country"], capacity=float(s["capacity"]),
            capex=float(s["capex"]), fixed_om=float(s["fixed_om"]),
            variable_cost=float(s["variable_cost"]), lead_time=lead, lifetime=life,
            financing_rate=float(s["financing_rate"]), row=s[ROW],
            # decided early enough for output to start inside the horizon
            decision_years=range(earliest, min(latest, last - lead) + 1),
            producing_years=range(earliest + lead, min(latest + lead + life - 1, last) + 1))
    return units


def _demand(frame: pd.DataFrame, materials: pd.DataFrame) -> pd.DataFrame:
    """Each demand row's shortage cost: its own, or its material's (`shortage_cost_given`
    says which)."""
    out = frame.copy()
    given = [v is not None and not pd.isna(v) for v in out["shortage_cost"]]
    out["shortage_cost"] = [v if g else materials.at[m, "shortage_cost"]
                            for v, g, m in zip(out["shortage_cost"], given, out["material"],
                                               strict=True)]
    out["shortage_cost_given"] = pd.Series(given, index=out.index, dtype=bool)
    return out


def _grown(frame: pd.DataFrame, held: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """Demand with growth: a year of the horizon without a row of its own takes the latest
    earlier row of its (country, material), if that row has a `growth`, as
    `quantity x (1 + growth)^(t - year)`; this overrides a blank-year row. The row may be
    dated before the horizon (`carried_into_horizon`). `row_quantity` is the quantity cell a
    record comes from and `growth_factor` what it is multiplied by."""
    horizon = set(years)
    carried = carried_into_horizon(frame, years[0])
    own: dict[tuple[str, str], dict[int, dict[str, Any]]] = {key: {} for key in carried}
    for rec in frame.to_dict("records"):
        if rec["year"] in horizon:
            own.setdefault((rec["country"], rec["material"]), {})[rec["year"]] = rec
    records = {(r["country"], r["material"], r["year"]):
               {**r, "row_quantity": r["quantity"], "growth_factor": 1.0}
               for r in held.to_dict("records")}
    for (country, material), by_year in own.items():
        latest = carried.get((country, material))
        for year in years:
            if year in by_year:
                latest = by_year[year]
            elif latest is not None and latest["growth"] is not None:
                factor = (1.0 + latest["growth"]) ** (year - latest["year"])
                records[country, material, year] = {
                    **{c: latest[c] for c in held.columns}, "year": year,
                    "quantity": latest["quantity"] * factor,
                    "row_quantity": latest["quantity"], "growth_factor": factor}
    out = pd.DataFrame(list(records.values()),
                       columns=[*held.columns, "row_quantity", "growth_factor"])
    if len(out) > len(held):  # years grown into: keep each row's years in order
        out = out.sort_values(["country", "material", "year"], kind="stable", ignore_index=True)
    return out


def _stockpiles(frame: pd.DataFrame, supply: pd.DataFrame, last: int,
                issues: list[Issue]) -> pd.DataFrame:
    """Stockpiles with their end value: as given, or the material's cheapest supply price in
    the last year (its replacement cost; 0 with a warning when it has no supply row then).
    `end_value_row` is the `supply` row the default comes from (None: given, or no row)."""
    out = frame.copy()
    cheapest: dict[str, tuple[float, int]] = {}  # material -> (price, supply row)
    if len(supply):
        for material, price, row in supply.loc[supply["year"] == last,
                                               ["material", "price", ROW]].itertuples(
                                                   index=False):
            cheapest[material] = min(cheapest.get(material, (price, row)), (price, row))
    values, rows = [], []
    for material, value, row in out[["material", "end_value", ROW]].itertuples(index=False):
        source = None
        if value is None:
            value, source = cheapest.get(material, (0.0, None))
            if source is None:
                issues.append(Issue(f"{material} has no supply row in {last}, so the stock "
                                    "left at the end is valued at 0; give end_value to value "
                                    "it", "stockpiles", row, "end_value", warning=True))
        values.append(float(value))
        rows.append(source)
    out["end_value"] = pd.Series(values, index=out.index, dtype=float)
    out["end_value_row"] = pd.Series(rows, index=out.index, dtype=object)
    return out


def _scenarios(frame: pd.DataFrame) -> pd.DataFrame:
    rest = 1.0 - float(frame["probability"].sum()) if len(frame) else 1.0
    baseline = pd.DataFrame({"scenario": [BASELINE], "probability": [max(rest, 0.0)],
                             "description": ["undisrupted"], ROW: [0]})
    return pd.concat([baseline, frame[["scenario", "probability", "description", ROW]]],
                     ignore_index=True)


def _by_year(frame: pd.DataFrame, keys: list[str], years: list[int]) -> pd.DataFrame:
    """One record per key and year: a blank year means every year; a row naming a year
    overrides a blank-year row for that year. Years outside the horizon are left out here
    (validation warns of them once; `_grown` carries demand rows from before it)."""
    columns = [c for c in frame.columns if c not in (*keys, "year")]
    records: dict[tuple, tuple[int, dict[str, Any]]] = {}
    horizon = set(years)
    for record in frame.to_dict("records"):
        specific = record["year"] is not None
        if specific and record["year"] not in horizon:
            continue
        for year in [record["year"]] if specific else years:
            key = (*(record[k] for k in keys), year)
            held = records.get(key)
            if held is None or held[0] < specific:
                records[key] = (int(specific), record)
    rows = [{**dict(zip([*keys, "year"], key, strict=True)), **{c: rec[c] for c in columns}}
            for key, (_, rec) in records.items()]
    return pd.DataFrame(rows, columns=[*keys, "year", *columns])


def _limit_years(frame: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """One record per (consumer, supplier, material, year) a limit row covers: `year` alone,
    that year; `year` and `to_year`, the years between (blank `year`: from first_year); both
    blank, every year. Where rows overlap the smallest max_share holds; `overlapping` marks
    the records of rows that overlap another anywhere (their share is a plain number: a sweep
    changing one builds the model again). Years outside the horizon are left out (validation
    warns of a row left with none)."""
    keys = ["consumer", "supplier", "material", "year"]
    covers: dict[tuple, list[dict[str, Any]]] = {}
    first, last = years[0], years[-1]
    for rec in frame.to_dict("records"):
        lo, hi = rec["year"], rec["to_year"]
        if hi is None:
            span = years if lo is None else [lo]
        else:
            span = range(max(first if lo is None else lo, first), min(hi, last) + 1)
        for year in span:
            if first <= year <= last:
                key = (rec["consumer"], rec["supplier"], rec["material"], year)
                covers.setdefault(key, []).append(rec)
    shared = {rec[ROW] for recs in covers.values() if len(recs) > 1 for rec in recs}
    rows = []
    for key, recs in covers.items():
        rec = min(recs, key=lambda r: (r["max_share"], r[ROW]))
        rows.append({**dict(zip(keys, key, strict=True)), "max_share": rec["max_share"],
                     ROW: rec[ROW], "overlapping": rec[ROW] in shared})
    return pd.DataFrame(rows, columns=[*keys, "max_share", ROW, "overlapping"])


def _routes(frame: pd.DataFrame, data: ModelData) -> pd.DataFrame:
    """Expand groups and blank materials; the most specific row wins for each route (rows as
    specific as each other on one route were refused by validation)."""
    chosen, _ = choose_routes(records(frame), data.groups, list(data.materials.index))
    routes = list(zip(*chosen, strict=True)) or [(), (), ()]
    held = chosen.values()
    return pd.DataFrame({
        "from_country": list(routes[0]), "to_country": list(routes[1]),
        "material": list(routes[2]),
        **{name: [rec[name] for rec in held] for name in ("transport_cost", "tariff", ROW)}})


def _disruptions(frame: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    rows = []
    for rec in frame.to_dict("records"):
        for year in range(max(rec["from_year"], years[0]), min(rec["to_year"], years[-1]) + 1):
            rows.append({"scenario": rec["scenario"], "supplier": rec["supplier"],
                         "material": rec["material"], "year": year, "cut": rec["cut"],
                         "reference": rec["reference"], "to_country": rec["to_country"],
                         ROW: rec[ROW]})
    frame = pd.DataFrame(rows, columns=["scenario", "supplier", "material", "year", "cut",
                                        "reference", "to_country", ROW])
    # blank stays None: pandas would make a blank NaN among numbers or codes, and a NaN
    # destination is no country (the cut would then allow nothing anywhere)
    for column in ("reference", "to_country"):
        frame[column] = pd.Series([r[column] for r in rows], dtype=object)
    return frame


