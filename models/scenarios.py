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
    m.probability = pyo.Param(m.SCENARIOS, initialize=dict(
        zip(data.scenarios["scenario"], data.scenarios["probability"], strict=True)))


def first_disrupted_year(data: ModelData) -> dict[str, int]:
    """Scenario -> its first disrupted year (scenarios without cuts never diverge)."""
    first: dict[str, int] = {}
    for scenario, year in data.disruptions[["scenario", "year"]].itertuples(index=False):
        first[scenario] = min(year, first.get(scenario, year))
    return first


def operational(m: pyo.ConcreteModel, terms: Terms, *variables: pyo.Var) -> None:
    """Register variables of the second stage: every index ends with (year, scenario), which
    is what non-anticipativity and the per-scenario reports rely on."""
    for var in variables:
        for index in var:
            if len(index) < 2 or index[-2] not in m.YEARS or index[-1] not in m.SCENARIOS:
                raise ValueError(f"{var.name}{list(index)}: an operational variable's index "
                                 "must end with (year, scenario)")
        terms.operational.append(var)


def add_non_anticipativity(m: pyo.ConcreteModel, data: ModelData, terms: Terms) -> None:
    """x[..., t, w] == x[..., t, baseline] for every t before w's first disrupted year; each
    row is named by its variable and the scenario's index, e.g. (buy, CHN, OXIDE, 2027, CUT)."""
    first = first_disrupted_year(data)
    pairs = {}
    for var in terms.operational:
        for index in var:
            *rest, year, scenario = index
            if scenario != BASELINE and year < first.get(scenario, data.years[-1] + 1):
                base = (*rest, year, BASELINE)
                if base in var:
                    pairs[(var.local_name, *index)] = (var[index], var[base])
    if pairs:
        m.NON_ANTICIPATIVE = pyo.Set(initialize=list(pairs), dimen=None)
        m.non_anticipativity = pyo.Constraint(
            m.NON_ANTICIPATIVE, rule=lambda m, *i: pairs[i][0] == pairs[i][1])


def add_disruptions(m: pyo.ConcreteModel, data: ModelData, terms: Terms) -> None:
    """In a disrupted (scenario, year), the supplier's net exports of the material (to
    countries outside it, less its imports from them) are at most (1 - cut) x the baseline's
    net exports in that year. Net, because gross exports could be inflated in the baseline by
    round trips (ship out, ship back) that raise the scenario's allowance. Where rows of a
    scenario overlap for the same supplier, material and year, the largest cut holds."""
    if data.disruptions.empty:
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
