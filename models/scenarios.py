"""Scenarios: the baseline and the disruption scenarios, non-anticipativity, export cuts.

Builds are first-stage (one decision for every scenario); all operations carry a scenario
index. A scenario's operations before its first disrupted year equal the baseline's, because
nobody knows of the cut before it happens.
"""

from __future__ import annotations

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
    years, scenarios = set(m.YEARS), set(m.SCENARIOS)  # plain sets: far faster to look up
    for var in variables:
        for index in var:
            if len(index) < 2 or index[-2] not in years or index[-1] not in scenarios:
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
    """In a disrupted (scenario, year), the supplier's exports of the material (its shipments
    to countries outside it, or to the row's `to_country` only) <= (1 - cut) x the reference:
    the row's `reference`, or the supplier's exports in the reference plan, solved before the
    model (`optimizer.solving.reference`). The reference is fixed, so no decision of the plan
    can raise its own allowance. Each row and year is its own constraint: where rows overlap,
    the smallest allowance holds."""
    index, routes, references = [], {}, {}
    for cut in data.cuts:
        key = (int(cut.row), int(cut.year))
        destinations = data.cut_destinations(cut)
        supplier = set(data.members(cut.supplier))
        routes[key] = [r for r in m.ROUTES if r[2] == cut.material and r[0] in supplier
                       and r[1] in destinations]
        if not routes[key]:
            continue  # no route leaves the supplier for those countries: nothing to cut
        index.append(key)
        if cut.reference is None and key not in data.reference_exports:
            raise ValueError(f"disruptions row {key[0]} has no reference exports for {key[1]}: "
                             "solve the reference plan first (optimizer.solving.reference)")
        references[key] = data.reference_exports[key] if cut.reference is None else None
    if not index:
        return
    cuts = {(int(c.row), int(c.year)): c for c in data.cuts}
    m.CUTS = pyo.Set(initialize=index, dimen=2)  # (disruptions row, year)
    # computed references are parameters: a sweep re-solves the reference plan for its data
    m.cut_reference = pyo.Param(m.CUTS, mutable=True, within=pyo.Reals,
                                initialize={k: v or 0.0 for k, v in references.items()})

    def reference(key: tuple[int, int]):
        row = cuts[key]
        if references[key] is None:  # the row's own reference, an input cell
            return terms.cells("disruptions", row.row, "reference", row.reference)
        return m.cut_reference[key]

    def rule(m: pyo.ConcreteModel, row: int, year: int):
        cut = cuts[row, year]
        share_cut = terms.cells("disruptions", cut.row, "cut", cut.cut)
        exports = pyo.quicksum(m.ship[(*r, year, cut.scenario)] for r in routes[row, year])
        return exports <= (1 - share_cut) * reference((row, year))

    m.export_cut = pyo.Constraint(m.CUTS, rule=rule)


def refresh_references(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Set the computed cut references (`m.cut_reference`) from `data`."""
    references = m.component("cut_reference")
    for key in references if references is not None else ():
        references[key] = data.reference_exports.get(key, 0.0)
