"""The plan seen from each consumer a dependence limit or a stockpile names: the objective is a
world cost (China's own demand is most of the base case's tonnage), so a US or Japanese reader
needs their own numbers. Per consumer (a group sums its members), scenario and material: demand,
shortage, use (demand met and plant inputs: what a limit counts) and the part of it of a
limited supplier's origin; per consumer, the builds in it with their capex and financing
benefit. Each counterfactual's plan (see `compare`) stands beside the plan's, in a column of
its name, so the change it makes to the consumer reads across a row.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from models.data import ModelData
from optimizer.solving.results import EPS, USE_FLOWS

Tables = Mapping[str, pd.DataFrame]

OTHER = "other"  # the origin class of everything no limited supplier holds
FIXED_COLUMNS = ["consumer", "measure", "scenario", "material", "unit", "plan"]
# (measure, unit): demand and shortage for the materials the consumer demands, the others
# for materials whose origin is tracked
DEMAND_MEASURES = ("demand", "shortage")
FLOW_MEASURES = (("demand", "t over the horizon"), ("shortage", "t over the horizon"),
                 ("use", "t over the horizon"),
                 ("supplier_origin_use", "t over the horizon"),
                 ("supplier_origin_share", "fraction"))


def consumer_view(data: ModelData, plan: Tables, counterfactuals: Mapping[str, Tables]
                  ) -> pd.DataFrame:
    """The `consumers` table: one row per consumer, measure, scenario and material, with
    the plan's value and each counterfactual's."""
    plans = {"plan": plan, **counterfactuals}
    currency = data.settings.get("currency", "USD")
    tracked = set(plan["origins"].material)
    rows: list[dict[str, Any]] = []
    for consumer in data.named_consumers:
        members = set(data.members(consumer))
        rows += _build_rows(consumer, members, plans, currency)
        demanded = _demanded(members, plan)
        for w in data.scenario_names:
            for material in _materials(members, plan):
                values = {name: _flows(tables, members, w, material)
                          for name, tables in plans.items()}
                measures = [(measure, unit) for measure, unit in FLOW_MEASURES
                            if (measure in DEMAND_MEASURES and material in demanded)
                            or (measure not in DEMAND_MEASURES and material in tracked)]
                for measure, unit in measures:
                    rows.append({"consumer": consumer, "measure": measure, "scenario": w,
                                 "material": material, "unit": unit,
                                 **{name: v[measure] for name, v in values.items()}})
    return pd.DataFrame(rows, columns=[*FIXED_COLUMNS, *counterfactuals])


def _demanded(members: set[str], plan: Tables) -> set[str]:
    shortages = plan["shortages"]
    return set(shortages.loc[shortages.country.isin(members), "material"])


def _materials(members: set[str], plan: Tables) -> list[str]:
    """The materials the consumer demands or uses."""
    origins = plan["origins"]
    used = origins.loc[origins.country.isin(members) & origins.flow.isin(USE_FLOWS), "material"]
    return sorted(_demanded(members, plan) | set(used))


def _flows(tables: Tables, members: set[str], scenario: str, material: str
           ) -> dict[str, float | None]:
    shortages, origins = tables["shortages"], tables["origins"]
    short = shortages[(shortages.scenario == scenario) & (shortages.material == material)
                      & shortages.country.isin(members)]
    used = origins[(origins.scenario == scenario) & (origins.material == material)
                   & origins.country.isin(members) & origins.flow.isin(USE_FLOWS)]
    use = float(used.quantity.sum())
    supplier = float(used.loc[used.origin != OTHER, "quantity"].sum())
    return {"demand": float(short.demand.sum()), "shortage": float(short.shortage.sum()),
            "use": use, "supplier_origin_use": supplier,
            "supplier_origin_share": supplier / use if use > EPS else None}


def _build_rows(consumer: str, members: set[str], plans: Mapping[str, Tables],
                currency: str) -> list[dict[str, Any]]:
    """Builds in the consumer's countries: how many, their capex and financing benefit."""
    built = {name: tables["builds"][tables["builds"].country.isin(members)]
             for name, tables in plans.items()}
    measures = (("builds", "count", lambda b: float(len(b))),
                ("build_capex", currency, lambda b: float(b.capex.sum())),
                ("financing_benefit", f"{currency} (discounted)",
                 lambda b: float(b.financing_benefit.sum())))
    return [{"consumer": consumer, "measure": measure, "unit": unit,
             **{name: value(b) for name, b in built.items()}}
            for measure, unit, value in measures]
