"""Scenarios: the baseline and the disruption scenarios, non-anticipativity, export cuts.

Builds are first-stage (one decision for every scenario); all operations carry a scenario
index. A scenario's operations before its first disrupted year equal the baseline's, because
nobody knows of the cut before it happens.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pyomo.environ as pyo

from models.data import BASELINE, ModelData
from models.terms import Terms


def add_sets(m: pyo.ConcreteModel, data: ModelData) -> None:
    m.YEARS = pyo.Set(initialize=data.years, ordered=True)
    m.SCENARIOS = pyo.Set(initialize=data.scenario_names, ordered=True)
    m.YEAR_SCENARIOS = pyo.Set(initialize=[(t, w) for t in data.years
                                           for w in data.scenario_names], dimen=2)
    m.probability = dict(zip(data.scenarios["scenario"], data.scenarios["probability"],
                             strict=True))


def first_disrupted_year(data: ModelData) -> dict[str, int]:
    """Scenario -> its first disrupted year (scenarios without cuts never diverge)."""
    first: dict[str, int] = {}
    for scenario, year in data.disruptions[["scenario", "year"]].itertuples(index=False):
        first[scenario] = min(year, first.get(scenario, year))
    return first


def operational_vars(m: pyo.ConcreteModel) -> list[pyo.Var]:
    """Every variable indexed by (..., year, scenario), in the order they were declared."""
    return [v for v in m.component_objects(pyo.Var, descend_into=True)
            if getattr(v, "scenario_indexed", False)]


def add_non_anticipativity(m: pyo.ConcreteModel, data: ModelData) -> None:
    """x[..., t, w] == x[..., t, baseline] for every t before w's first disrupted year."""
    first = first_disrupted_year(data)
    pairs = []
    for var in operational_vars(m):
        for index in var:
            *rest, year, scenario = index
            if scenario != BASELINE and year < first.get(scenario, data.years[-1] + 1):
                base = (*rest, year, BASELINE)
                if base in var:
                    pairs.append((var[index], var[base]))
    if pairs:
        m.NON_ANTICIPATIVE = pyo.RangeSet(0, len(pairs) - 1)
        m.non_anticipativity = pyo.Constraint(
            m.NON_ANTICIPATIVE, rule=lambda m, i: pairs[i][0] == pairs[i][1])


def add_disruptions(m: pyo.ConcreteModel, data: ModelData, terms: Terms) -> None:
    """In a disrupted (scenario, year), the supplier's net exports of the material (to
    countries outside it, less its imports from them) are at most (1 - cut) x the baseline's
    net exports in that year. Net, because gross exports could be inflated in the baseline by
    round trips (ship out, ship back) that raise the scenario's allowance. Where rows of a
    scenario overlap for the same supplier, material and year, the largest cut holds."""
    if data.disruptions.empty or not hasattr(m, "ship"):
        return
    crossing: dict[tuple[frozenset[str], str], tuple[list, list]] = {}
    cuts = _cuts(data, terms)
    index = []
    for key, (members, _) in cuts.items():
        material = key[2]
        out = [r for r in m.ROUTES if r[2] == material and r[0] in members
               and r[1] not in members]
        back = [r for r in m.ROUTES if r[2] == material and r[1] in members
                and r[0] not in members]
        if out:
            crossing[(members, material)] = (out, back)
            index.append(key)

    def net_exports(members: frozenset[str], material: str, year: int, w: str):
        out, back = crossing[(members, material)]
        return (pyo.quicksum(m.ship[(*r, year, w)] for r in out)
                - pyo.quicksum(m.ship[(*r, year, w)] for r in back))

    def rule(m: pyo.ConcreteModel, scenario: str, supplier: str, material: str, year: int):
        members, cut = cuts[(scenario, supplier, material, year)]
        return (net_exports(members, material, year, scenario)
                <= (1 - cut) * net_exports(members, material, year, BASELINE))

    if index:
        m.DISRUPTIONS = pyo.Set(initialize=index, dimen=4)
        m.export_cut = pyo.Constraint(m.DISRUPTIONS, rule=rule)


def _cuts(data: ModelData, terms: Terms) -> dict[tuple, tuple[frozenset[str], Any]]:
    """(scenario, supplier, material, year) -> (supplier's members, cut). A row that is the
    only one for each of its keys gives its cell (a sweep may change it in place); where rows
    overlap the largest cut is a plain number."""
    rows = defaultdict(list)
    for rec in data.disruptions.itertuples(index=False):
        rows[(rec.scenario, rec.supplier, rec.material, rec.year)].append(rec)
    shared = {rec.row for recs in rows.values() if len(recs) > 1 for rec in recs}
    cuts = {}
    for key, recs in rows.items():
        members = frozenset(data.members(key[1]))
        rec = recs[0]
        cuts[key] = (members, max(r.cut for r in recs) if rec.row in shared
                     else terms.cells("disruptions", rec.row, "cut", rec.cut))
    return cuts
