"""The MIP start (`optimizer.solving.start`): the relaxation tightened by route links in
rounds, its builds rounded to a plan that HiGHS gets as its start, and the same optimum as
the formulation without links."""

from __future__ import annotations

from pathlib import Path

import pyomo.environ as pyo
import pytest
from test_route_links import SEEDS, data_of, random_case

import optimizer.solving.solve
import optimizer.solving.start as start_module
from benchmarks.orlib import OPTIMA, problem_sheets, read_cap
from benchmarks.orlib_large import generate
from models import build_model
from models.data import ModelData
from optimizer.contract.validate import load_inputs
from optimizer.errors import ExitCode
from optimizer.solving.duals import (
    BASES_KEPT,
    builds_key,
    fixed_build_lp,
    remember_basis,
    restore_basis,
)
from optimizer.solving.pipeline import prepare
from optimizer.solving.solve import ABS_GAP, highs_clock, new_solver, solve_model
from optimizer.solving.start import (
    BUILT,
    ROUNDING_THRESHOLDS,
    Budget,
    Start,
    round_builds,
    solve_with_start,
    tightened_relaxation,
    within_gap,
)
from optimizer.solving.warm import incumbent, repaired

CAP41 = Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "cap41.txt"
EXAMPLE = Path(__file__).resolve().parents[1] / "inputs" / "example.xlsx"


def warehouse_case(tmp_path: Path) -> ModelData:
    """A capa-like case, 12 sites x 80 customers: its plain relaxation builds a little of
    many sites."""
    return data_of(tmp_path, problem_sheets(generate(sites=12, customers=80, seed=2)))


def first_plan_only(monkeypatch) -> None:
    """MIPs stop at their first improving plan (a deterministic stand-in for a time limit
    too short to search); LPs are unaffected."""
    options = optimizer.solving.solve.solver_options

    def stop_early(settings: dict, solver: object = None) -> dict:
        return {**options(settings, solver), "solver_options": {"mip_max_improving_sols": 1}}

    monkeypatch.setattr(optimizer.solving.solve, "solver_options", stop_early)


def rounding_costs(data: ModelData) -> dict[float, float]:
    """Threshold -> the cost of the plain relaxation's builds rounded up from it, with their
    best operations, computed here without the start's code path."""
    f = build_model(data, link_routes=False)
    solver = new_solver()
    with start_module.relaxed_builds(f.model):
        assert solve_model(f.model, data.settings, solver).objective is not None
    relaxed = {key: var.value for key, var in f.model.build.items()}
    costs = {}
    for threshold in ROUNDING_THRESHOLDS:
        round_builds(f, relaxed, threshold)
        costs[threshold] = repaired(f.model, data.settings, solver)[1]
    return costs


def test_start_is_passed_and_no_worse_than_rounding(tmp_path, monkeypatch):
    """HiGHS gets the cheapest rounded plan as its start: stopped at its first plan, the MIP
    returns that plan (or a better one), never worse than rounding every build up; without
    the start, the same stop gives a worse plan (HiGHS's first: 248,613 against 185,880)."""
    data = warehouse_case(tmp_path)
    costs = rounding_costs(data)
    starts = []
    passed = start_module.solve_from
    monkeypatch.setattr(start_module, "solve_from",
                        lambda model, settings, solver, start: starts.append(start) or
                        passed(model, settings, solver, start))
    first_plan_only(monkeypatch)
    f = build_model(data, links_up_front=False)
    with_start = solve_with_start(f, data.settings, new_solver())
    plain = solve_model(build_model(data, link_routes=False).model, data.settings)
    assert len(starts) == 1
    assert with_start.objective <= costs[BUILT] + 1e-6
    assert with_start.objective < 0.9 * plain.objective
    built = [v.value for v in f.model.build.values()]
    assert all(v in (0, 1) for v in (round(b, 9) for b in built))


def test_rounding_from_a_threshold_builds_less(tmp_path):
    """On a weak relaxation rounding every fraction up builds too much: a higher threshold
    gives a cheaper plan, and the start takes the cheapest."""
    costs = rounding_costs(warehouse_case(tmp_path))
    assert min(costs.values()) < costs[BUILT]


def test_rounds_add_only_violated_links_and_reach_cap41s_optimum(tmp_path):
    """On cap41 the rounds end with no link violated, with far fewer rows than all links,
    at the published optimum (the relaxation with every link is the optimum)."""
    if not CAP41.exists():
        pytest.skip("cap41 not available")
    data = data_of(tmp_path, problem_sheets(read_cap(CAP41)))
    f = build_model(data, links_up_front=False)
    solver = new_solver()
    with start_module.relaxed_builds(f.model):
        relaxation = tightened_relaxation(f, data.settings,
                                          Budget(solver, 60, highs_clock(solver)))
        objective = pyo.value(f.model.objective)
    assert relaxation.converged
    assert 0 < len(relaxation.links) < len(f.model.LINKED_SHIPMENTS) / 5
    assert objective == pytest.approx(OPTIMA["cap41"], rel=1e-6)


def test_no_time_no_heuristic(tmp_path):
    """A budget of nothing runs no relaxation: no start, and no link gets a row."""
    data = warehouse_case(tmp_path)
    f = build_model(data, links_up_front=False)
    solver = new_solver()
    assert start_module.heuristic_start(f, data.settings, Budget(solver, 0.0, 0.0)) is None
    assert len(f.model.route_link) == 0


@pytest.mark.parametrize("seed", SEEDS)
def test_links_in_rounds_keep_the_optimum(tmp_path, seed):
    """The pipeline's solve (links added where a relaxation violates them, MIP start) finds
    the optimum of the formulation without links."""
    data = data_of(tmp_path, random_case(seed))
    tool = solve_with_start(build_model(data, links_up_front=False), data.settings,
                            new_solver())
    plain = solve_model(build_model(data, link_routes=False).model, data.settings)
    assert tool.objective == pytest.approx(plain.objective, rel=1e-7)


def test_the_count_of_groups_built_is_bisected_towards_the_cheapest():
    """From the thresholds' counts (0, 2 and all 99 groups, as on capa at 14000) the search
    tries counts between the cheapest and its neighbours, each once, and ends nearer the
    cheapest count than any threshold did; nothing when the best plan is proven already."""
    def cost(count: int) -> float:
        return (count - 7) ** 2 + 10.0

    costs: dict[int, float | None] = {c: cost(c) for c in (0, 2, 99)}
    tried = []

    def attempt(count: int) -> None:
        assert count not in costs and 0 < count < 99
        tried.append(count)
        costs[count] = cost(count)

    start_module._search_count(costs, attempt, 99, proven=lambda: True)
    assert not tried  # a start proven within the gap already: nothing more to try
    start_module._search_count(costs, attempt, 99)
    assert len(tried) <= 2 * start_module.COUNT_SEARCH_STEPS
    assert min(costs.values()) < cost(2)
    assert abs(min(costs, key=costs.__getitem__) - 7) <= 2


def test_within_gap_by_the_relaxations_bound():
    """The start is proven good enough when its cost is within the requested relative gap,
    or HiGHS's absolute gap, of the relaxation's bound; never without a bound."""
    settings = {"mip_gap": 0.01}
    assert within_gap(Start([], 100.0, 99.5), settings)
    assert not within_gap(Start([], 100.0, 98.0), settings)
    assert within_gap(Start([], 100.0, 98.0), {**settings, ABS_GAP: 2.5})
    assert not within_gap(Start([], 100.0, None), {"mip_gap": 1.0})


def test_a_start_within_the_gap_is_the_plan_without_a_mip(monkeypatch):
    """On the example at a 5% gap the relaxation's bound proves its rounded start: no MIP
    runs, the plan is the start (loaded in the model and held by HiGHS for a narrowing),
    bounded by the relaxation, and costs what a MIP from the same start returns. Unproven,
    the start would be searched further (the count of sites bisected) and cost less."""
    data = prepare(load_inputs(EXAMPLE))
    data.settings["mip_gap"] = 0.05
    mips = []
    passed = start_module.solve_from
    monkeypatch.setattr(start_module, "solve_from",
                        lambda *args: mips.append(args) or passed(*args))
    f, solver = build_model(data, links_up_front=False), new_solver()
    outcome = solve_with_start(f, data.settings, solver)
    assert not mips
    assert outcome.exit_code is ExitCode.OK and outcome.objective == outcome.start_cost
    assert outcome.bound <= outcome.objective
    assert outcome.gap <= data.settings["mip_gap"]
    assert pyo.value(f.model.objective) == pytest.approx(outcome.objective, rel=1e-9)
    held = incumbent(solver)
    columns = solver._pyomo_var_to_solver_var_map
    assert all(held[columns[id(v)]] == v.value for v in f.model.build.values())
    monkeypatch.setattr(start_module, "within_gap", lambda *_: False)
    monkeypatch.setattr(start_module, "COUNT_SEARCH_STEPS", 0)  # the same start: no search
    mip = solve_with_start(build_model(data, links_up_front=False), data.settings,
                           new_solver())
    assert mips and mip.start_cost == pytest.approx(outcome.start_cost, rel=1e-9)
    assert mip.objective == pytest.approx(outcome.objective, rel=1e-9)
    monkeypatch.undo()
    monkeypatch.setattr(start_module, "within_gap", lambda *_: False)
    searched = solve_with_start(build_model(data, links_up_front=False), data.settings,
                                new_solver())  # unproven: the count of sites is bisected
    assert searched.start_cost < outcome.start_cost


def test_the_marginal_costs_of_a_kept_start_resume_its_lps_basis():
    """The start's fixed-build LP is the marginal-cost LP of a plan that is that start: it
    resumes from the basis kept for those builds, after the solver was cleared (a MIP, or a
    start kept as a MIP would leave it), and takes no iteration; with other builds there
    is no basis to resume."""
    data = prepare(load_inputs(EXAMPLE))
    data.settings["mip_gap"] = 0.05
    f, solver = build_model(data, links_up_front=False), new_solver()
    outcome = solve_with_start(f, data.settings, solver)
    assert outcome.objective == outcome.start_cost
    assert builds_key(f.model) in solver.fixed_build_bases
    with fixed_build_lp(f, data.settings, solver) as lp:
        assert solver._solver_model.getInfo().simplex_iteration_count == 0
        assert lp.objective == pytest.approx(outcome.objective, rel=1e-9)
        assert lp.marginals is not None
    built = next(v for v in f.model.build.values() if v.value > 0.5)
    built.set_value(0)
    solver._solver_model.clearSolver()
    assert not restore_basis(solver, f.model)


def test_a_solver_keeps_the_latest_fixed_build_bases():
    """Bases are kept by builds, the latest BASES_KEPT of them (a sweep solves many LPs)."""
    data = prepare(load_inputs(EXAMPLE))
    f, solver = build_model(data, links_up_front=False), new_solver()
    solver.set_instance(f.model)
    builds = list(f.model.build.values())
    for i in range(BASES_KEPT + 3):
        for j, var in enumerate(builds):
            var.set_value(1 if j == i % len(builds) or (i >= len(builds) and j == 0) else 0)
        remember_basis(solver, f.model)
    assert 0 < len(solver.fixed_build_bases) <= BASES_KEPT
    assert builds_key(f.model) in solver.fixed_build_bases  # the latest is kept


def test_time_limit_of_each_run_on_a_persistent_instance(tmp_path):
    """HiGHS measures an LP's time limit on the instance's clock, across runs, a MIP's from
    the MIP's own start: after runs that took HiGHS time, an LP's limit is moved on by it
    and a MIP's is the setting itself (moved on, the MIP after the start's relaxations got
    their time again)."""
    data = warehouse_case(tmp_path)
    f = build_model(data, link_routes=False)
    solver = new_solver()
    settings = {**data.settings, "time_limit_s": 100.0}
    with start_module.relaxed_builds(f.model):
        solve_model(f.model, settings, solver)
        clock = highs_clock(solver)
        assert clock > 0
        solve_model(f.model, settings, solver)
        assert _time_limit(solver) == pytest.approx(100 + clock)
    solve_model(f.model, settings, solver)
    assert _time_limit(solver) == pytest.approx(100)


def _time_limit(solver) -> float:
    """The time limit HiGHS was last given (highspy answers with its status first)."""
    _, value = solver._solver_model.getOptionValue("time_limit")
    return value
