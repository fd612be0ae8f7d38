"""Sensitivity runs: the variations of `optimizer.contract.variations`, solved one by one
(or in parallel, or re-using one model in place), compared in one workbook with a
cost-of-independence frontier and a tornado."""

from __future__ import annotations

import copy
import dataclasses
import logging
import math
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd
import pyomo.environ as pyo

from models import Formulation, build_model
from models.data import ModelData
from models.memory import solve_scope
from optimizer import interrupt, solver_line
from optimizer.contract.inputs import ROW, Inputs
from optimizer.contract.validate import load_inputs
from optimizer.contract.variations import (
    BASE,
    Run,
    apply_changes,
    check_ranges,
    check_size,
    check_variations,
    parse_vary,
    plan_runs,
    variations_from_sheet,
)
from optimizer.errors import ExitCode, OptimizerError, UsageError
from optimizer.excel.output import check_output_path, make_folder
from optimizer.excel.sweep_writer import write_sweep
from optimizer.parallel import MAX_RUNS, Progress, cap_jobs, kill_children
from optimizer.solving.compare import (
    SHARE,
    Comparisons,
    Widths,
    check_compare,
    minimised,
    narrowing_limit,
)
from optimizer.solving.effects import (
    POLICY_COSTS,
    absolute_gap,
    base_gap_needed,
    base_widths_needed,
    comparison_width,
    policy_target,
    target,
    width_left,
)
from optimizer.solving.headline import headline
from optimizer.solving.pipeline import new_solver, post_solve, prepare, report_comparisons
from optimizer.solving.results import Plan
from optimizer.solving.runs import RunResult
from optimizer.solving.solve import Highs, SolveOutcome, solve_model
from optimizer.solving.warm import GapSolve, incumbent, repaired_start, solve_from

log = logging.getLogger(__name__)


# A run's row keeps the plan's summary, shares and headline only: a budget's saving is one
# more MIP solve per budget and run (none is solved). So is each counterfactual: a sweep
# solves those its `compare` asks for (none by default), whatever the workbook's setting.
BUDGETS = False
# Each run's gap is narrowed until its effect's interval is narrow enough (see
# optimizer.solving.effects); without, every run stops at the workbook's mip_gap.
NARROW = True


class BaseRun(NamedTuple):
    """What a run needs of the base run to narrow its own gap against its effect."""

    objective: float  # minimised
    gap: float  # absolute
    policy: dict[str, tuple[float, float]]  # by policy cost measured: its value and width


@dataclass
class Kept:
    """The base run's solve, kept to narrow its gap again once every run says how narrow
    it must be: its solver, the data and builds of its plan, the solver of its plan's LPs,
    its comparisons and their counterfactuals' plans (to report them again)."""

    side: GapSolve
    data: ModelData
    builds: dict[Any, int]
    lp_solver: Highs
    study: Comparisons
    others: dict[str, Plan]


def solve_run(inputs: Inputs, run: Run, threads: int | None = None,
              base: BaseRun | None = None, compare: str = "none") -> RunResult:
    """Build and solve one run from scratch (cold), its gap narrowed against `base`, then
    the counterfactuals `compare` names; failures are results, never raised."""
    return _solve_cold(with_compare(inputs, compare), run, threads, base)[0]


def with_compare(inputs: Inputs, compare: str) -> Inputs:
    """`inputs` whose runs solve the counterfactuals `compare` names (a sweep's
    `--compare`), whatever the workbook's `compare` setting."""
    return dataclasses.replace(inputs, settings={**inputs.settings, "compare": compare})


def _solve_cold(inputs: Inputs, run: Run, threads: int | None, base: BaseRun | None
                ) -> tuple[RunResult, Kept | None]:
    """A cold run's result, and its solve kept for narrowing (None without a plan)."""
    start = time.perf_counter()
    try:
        with solve_scope():
            varied = apply_changes(inputs, run.changes)
            check_ranges(varied, run)
            data = prepare(varied, threads)
            f, solver = build_model(data), new_solver()
            side = _narrowed(f, solver, solve_model(f.model, data.settings, solver), base)
            study = _compared(side, base)
            plan, kept = _planned(side, solver, study)
            return _result(run, side, plan, start, study), kept
    except OptimizerError as err:
        return _failed(run, err, start), None


def _narrowed(f: Formulation, solver: Highs, outcome: SolveOutcome,
              base: BaseRun | None) -> GapSolve:
    """The run's solve, continued from its incumbent to SHARE of its effect's target when
    the interval its gap and the base's leave is wider than the target (the base run,
    narrowed after all runs, takes as much)."""
    side = GapSolve(f, solver, outcome, narrowing_limit(f.data.settings))
    if not (NARROW and base is not None and outcome.has_plan):
        return side
    wanted = target(base.objective, outcome.objective)
    if side.gap + base.gap > wanted and side.gap > SHARE * wanted:
        side.narrow(SHARE * wanted)
    return side


def _compared(side: GapSolve, base: BaseRun | None) -> Comparisons:
    """The counterfactuals the run's settings ask for, solved from its builds (its gap and
    theirs narrowed against their differences, as `solve` does, and against the effects on
    them when the base run measured them too)."""
    study = Comparisons(side.formulation.data)
    if study and side.outcome.has_plan:
        study.compare_with(side, _effect_widths(base))
    return study


def _effect_widths(base: BaseRun | None) -> Widths | None:
    """How wide a run's comparison may be for its effect's interval to be narrow enough:
    what the base's comparison leaves of the effect's target (the base run, narrowed after
    all runs, takes the rest)."""
    if not (NARROW and base and base.policy):
        return None

    def widths(key: str, value: float) -> float:
        if key not in base.policy:
            return math.inf
        base_value, base_width = base.policy[key]
        return width_left(policy_target(value, base_value, base.objective), base_width)
    return widths


def _planned(side: GapSolve, lp_solver: Highs, study: Comparisons) -> tuple[Plan, Kept]:
    """The run's plan (its LPs on `lp_solver`) with its comparisons; its solve, kept."""
    plan = post_solve(side.formulation, side.outcome, lp_solver, budgets=BUDGETS)
    others = report_comparisons(study, plan) if study else {}
    builds = {key: round(pyo.value(var)) for key, var in side.formulation.model.build.items()}
    return plan, Kept(side, side.formulation.data, builds, lp_solver, study, others)


def narrow_kept(kept: Kept, result: RunResult, gap: float | None,
                widths: dict[str, float]) -> RunResult:
    """The base run's result with its gap narrowed to `gap` (None: as it is) and its
    comparisons' intervals to `widths` (by policy cost): its builds and data back in its
    model (a persistent one has solved other runs since), their best operations as the MIP
    start, the solves continued from there; `result` unchanged when that LP does not
    solve."""
    start = time.perf_counter()
    f = kept.side.formulation
    f.set_data(kept.data)
    for key, value in kept.builds.items():
        f.model.build[key].set_value(value)
    repaired = repaired_start(f.model, kept.data.settings, kept.side.solver)
    if repaired is None:
        return result
    if gap is not None:
        kept.side.narrow(gap, repaired)
    if widths:
        kept.study.narrow_to(widths)
    plan = post_solve(f, kept.side.outcome, kept.lp_solver, budgets=BUDGETS)
    if kept.study:  # the plan's bound moved: so did the comparisons' intervals
        kept.study.report(plan, kept.others)
    return _result(result.run, kept.side, plan, start, kept.study, result.seconds)


def _result(run: Run, side: GapSolve, plan: Plan, start: float, study: Comparisons,
            earlier: float = 0.0) -> RunResult:
    dep = plan.tables["dependence"]
    return RunResult(run, plan.summary["status"], int(side.outcome.exit_code),
                     plan.summary["objective"], time.perf_counter() - start + earlier,
                     summary=plan.summary, shares=dep.to_dict("records"),
                     headline=headline(plan.summary, plan.tables), minimised=minimised(plan),
                     bound=plan.summary.get("best_bound"),
                     builds=build_keys(plan.tables["builds"]), stopped=_stopped(side),
                     comparisons_stopped=study.stops())


def build_keys(builds: pd.DataFrame) -> tuple[tuple[str, str, int], ...]:
    """Each build's (site, option, year), sorted: two plans build the same when equal."""
    rows = builds[["site", "option", "year"]].itertuples(index=False, name=None)
    return tuple(sorted((str(site), str(option), int(year)) for site, option, year in rows))


def _stopped(side: GapSolve) -> str:
    if not side.timed_out:
        return ""
    return f"narrowing its gap stopped at compare_time_limit_s " \
           f"({narrowing_limit(side.formulation.data.settings):g} s) with a gap of " \
           f"{side.gap:,.6g}"


def _failed(run: Run, err: OptimizerError, start: float) -> RunResult:
    return RunResult(run, err.status, int(err.exit_code),
                     seconds=time.perf_counter() - start, message=err.detail)


class ColdRuns:
    """Each run built and solved from scratch; the base run's solve kept for narrowing."""

    def __init__(self, inputs: Inputs, threads: int | None = None, compare: str = "none"):
        self.inputs, self.threads = with_compare(inputs, compare), threads
        self.kept: Kept | None = None

    def solve(self, run: Run, base: BaseRun | None = None) -> RunResult:
        result, kept = _solve_cold(self.inputs, run, self.threads, base)
        if run.name == BASE:
            self.kept = kept
        return result

    def narrow_base(self, result: RunResult, gap: float | None,
                    widths: dict[str, float]) -> RunResult:
        return narrow_kept(self.kept, result, gap, widths) if self.kept else result


class PersistentRuns:
    """One model built with mutable cells and one persistent HiGHS instance, re-used by every
    run whose changes are cells the model has (prices, costs, capacities, demand, limits,
    stock parameters, budgets); other runs (settings, recipes, years, a value becoming
    unlimited) are built and solved cold. Each run then solves the counterfactuals
    `compare` names."""

    def __init__(self, inputs: Inputs, compare: str = "none"):
        self.inputs, self.compare = with_compare(inputs, compare), compare
        self.formulation = build_model(prepare(self.inputs), mutable=True)
        self.model = self.formulation.model
        self.built_from = self.formulation.data  # the data the model's structure comes from
        self.solver = new_solver()
        # The marginal costs' LP on an instance of its own: on the MIP's, after the repaired
        # start and the MIP, HiGHS can return other (degenerate) duals than a fresh instance.
        self.lp_solver = new_solver()
        self.params = {key: self.model.cell[key] for key in self.model.cell}
        for budget, record in self.formulation.data.budget_rows.items():
            if budget in self.model.BUDGETS:
                key = ("budgets", int(record.row), "max_capex")
                self.params[key] = self.model.max_capex[budget]
        self.base = {key: param.value for key, param in self.params.items()}
        self.cold_runs = 0
        self.start: list[float] | None = None  # the previous run's solution, a MIP start
        self.kept: Kept | None = None

    def solve(self, run: Run, base: BaseRun | None = None) -> RunResult:
        start = time.perf_counter()
        try:
            varied = apply_changes(self.inputs, run.changes)
            check_ranges(varied, run)
            changed = self._changed_cells(varied, run)
            data = prepare(varied) if changed is not None else None
            if changed is None or not _same_default_end_values(self.built_from, data):
                self.cold_runs += 1
                return solve_run(self.inputs, run, base=base, compare=self.compare)
            for key, value in changed.items():
                self.params[key].set_value(value)
            self.formulation.set_data(data)  # the plan reads this run's values
            side = _narrowed(self.formulation, self.solver, self._solve(data.settings), base)
            study = _compared(side, base)
            self.start = incumbent(self.solver) if side.outcome.has_plan else self.start
            plan, kept = _planned(side, self.lp_solver, study)
            if run.name == BASE:
                self.kept = kept
            return _result(run, side, plan, start, study)
        except OptimizerError as err:
            return _failed(run, err, start)
        finally:
            for key, value in self.base.items():
                if self.params[key].value != value:
                    self.params[key].set_value(value)

    def narrow_base(self, result: RunResult, gap: float | None,
                    widths: dict[str, float]) -> RunResult:
        return narrow_kept(self.kept, result, gap, widths) if self.kept else result

    def _solve(self, settings: dict) -> Any:
        """Re-solve in place, starting the MIP from the previous run's builds with this run's
        best operations (`warm`): most of a sweep's speed-up. Falls back to the previous
        solution as it was when the repair does not solve."""
        if self.start is None:
            return solve_model(self.model, settings, solver=self.solver)
        start = repaired_start(self.model, settings, self.solver) or self.start
        return solve_from(self.model, settings, self.solver, start)

    def _changed_cells(self, varied: Inputs, run: Run) -> dict[tuple, float] | None:
        """The model's cells the run changes, or None if it changes anything else."""
        if varied.settings != self.inputs.settings:
            return None
        changed = {}
        for v in {v for v, _ in run.changes if v.sheet != "settings"}:
            old, new = self.inputs.tables[v.sheet], varied.tables[v.sheet]
            for i, (before, after) in enumerate(zip(old[v.column], new[v.column],
                                                    strict=True)):
                if before == after:
                    continue
                key = (v.sheet, int(new.at[i, ROW]), v.column)
                if key not in self.params or after is None or math.isinf(after):
                    return None
                changed[key] = float(after)
        return changed


def _same_default_end_values(before: ModelData, after: ModelData) -> bool:
    """Whether each stockpile's default end value (the cheapest supply price in the last
    year, that price's cell in the model) still comes from the same supply row, and no end
    value of 0 became positive (a credit is modelled only for positive ones): otherwise the
    model must be built again."""
    old, new = before.stockpiles, after.stockpiles
    return list(old["end_value_row"]) == list(new["end_value_row"]) and \
        not ((old["end_value"] <= 0) & (new["end_value"] > 0)).any()


def run_all(inputs: Inputs, runs: list[Run], jobs: int = 1,
            on_result: Callable[[int, RunResult], None] | None = None,
            persistent: bool = True, compare: str = "none") -> list[RunResult]:
    """Solve every run: on one re-used model (`persistent`), or each from scratch; with
    jobs > 1 from scratch in a pool of processes (HiGHS on one thread each); each run then
    solves the counterfactuals `compare` names (the `compare` setting's words: see
    `with_compare`). The first run (the base run) is solved first,
    here: every other run narrows its gap against it, and it is narrowed last to what the
    runs need. `on_result(i, result)` as run i finishes (in any order with jobs > 1); the
    results in run order."""
    done: dict[int, RunResult] = {}

    def finished(i: int, result: RunResult) -> None:
        done[i] = result
        if on_result:
            on_result(i, result)

    runner = PersistentRuns(inputs, compare) if persistent and jobs <= 1 \
        else ColdRuns(inputs, compare=compare)
    with solver_line.phase(_run_phase(0, runs)):
        finished(0, runner.solve(runs[0]))
    base = _base_run(done[0])
    # a run that changes nothing (a value equal to the base's) is the base run: solved again
    # it could never resolve its effect, which is exactly zero
    same = {i for i, run in enumerate(runs) if i > 0 and _same_as_base(inputs, run)}
    for i in sorted(same):
        finished(i, _as_base(done[0], runs[i]))
    others = [(i, run) for i, run in enumerate(runs) if i > 0 and i not in same]
    if jobs <= 1:
        for i, run in others:
            with solver_line.phase(_run_phase(i, runs)):
                finished(i, runner.solve(run, base))
    else:
        _run_in_pool(inputs, others, jobs, finished, base, compare)
    solved = [done[0], *(done[i] for i, _ in others)]
    needed = base_gap_needed(solved) if base and NARROW else None
    widths = base_widths_needed(solved) if base and NARROW else {}
    if needed is not None or widths:
        with solver_line.phase(f"{_run_phase(0, runs)} again"):
            done[0] = runner.narrow_base(done[0], needed, widths)
        done.update({i: _as_base(done[0], runs[i]) for i in same})  # reported already
    return [done[i] for i in range(len(runs))]


def _run_phase(i: int, runs: list[Run]) -> str:
    return f"sweep run {i + 1}/{len(runs)}"


def _as_base(base: RunResult, run: Run) -> RunResult:
    return dataclasses.replace(base, run=run, seconds=0.0, same_as_base=True)


def _same_as_base(inputs: Inputs, run: Run) -> bool:
    """Whether the run's changes leave every table and setting as it is."""
    try:
        varied = apply_changes(inputs, run.changes)
    except OptimizerError:
        return False  # the run reports its own error
    return varied.settings == inputs.settings and all(
        varied.tables[name].equals(table) for name, table in inputs.tables.items())


def _base_run(result: RunResult) -> BaseRun | None:
    if result.run.name != BASE or result.minimised is None:
        return None
    policy = {key: (result.headline[key], comparison_width(result, key))
              for key in POLICY_COSTS if result.headline.get(key) is not None}
    return BaseRun(result.minimised, absolute_gap(result) or 0.0, policy)


def _run_in_pool(inputs: Inputs, runs: list[tuple[int, Run]], jobs: int,
                 finished: Callable[[int, RunResult], None], base: BaseRun | None,
                 compare: str) -> None:
    """Cold runs (numbered) in `jobs` worker processes. On an interrupt (or any error) the
    workers are killed at once: waiting for them would mean waiting for their solves."""
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn"),
                               initializer=interrupt.ignore_in_worker)
    try:
        with interrupt.deferred():  # submitting starts the workers
            futures = {pool.submit(solve_run, inputs, run, 1, base, compare): i
                       for i, run in runs}
        for future in as_completed(futures):
            finished(futures[future], future.result())
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        kill_children()  # the pool's workers: a sweep starts no other process
        raise
    pool.shutdown()


def sweep_workbook(path: Path, output: Path | None = None, vary: list[str] | None = None,
                   jobs: int = 1, progress: Progress | None = None,
                   persistent: bool = True, max_runs: int | None = MAX_RUNS,
                   compare: str = "none", write: bool = True
                   ) -> tuple[list[RunResult], Path | None]:
    """Run every variation of `path` (its sweeps sheet, or `vary` when given), each run with
    the counterfactuals `compare` names (`no_limits`, `no_stockpiles`, comma-separated, or
    `none`); write the comparison workbook (unless not `write`); return the results and its
    path. Interrupted, the workbook holds the runs that finished."""
    check_compare(compare)
    target = output or Path("outputs") / f"{Path(path).stem}_sweep.xlsx"
    if write and output is not None:
        check_output_path(target, [Path(path)])  # before reading: a bad -o is found at once
    inputs = load_inputs(path)  # checks the sweeps sheet too, every problem at once
    variations = [parse_vary(v) for v in vary] if vary else variations_from_sheet(inputs)
    if not variations:
        raise UsageError(f"{path}: no variations: fill the 'sweeps' sheet or pass --vary")
    check_variations(inputs, variations)  # before any solve: --vary's values, bounds
    size = check_size(variations, max_runs)  # before the grid exists
    if write and output is None:  # the default folder is made only for a sweep that will run
        check_output_path(make_folder(target.parent) / target.name, [Path(path)])
    log.info("%s: %d runs", path, size)
    runs = plan_runs(variations)
    jobs = cap_jobs(jobs, len(runs), "runs")
    if progress:  # run by run here, the solver line says which; a bar for parallel runs
        progress.start(len(runs), bar=jobs > 1 or not solver_line.enabled())
    finished: dict[int, RunResult] = {}

    def on_result(i: int, result: RunResult) -> None:
        finished[i] = result
        if progress:
            progress.advance(result.objective is None)

    try:
        results = run_all(copy.deepcopy(inputs), runs, jobs, on_result, persistent, compare)
    except KeyboardInterrupt:  # interrupt.Interrupted too
        if write:
            _write_finished([finished[i] for i in sorted(finished)], len(runs), target, path)
        raise
    return results, _write_finished(results, len(runs), target, path) if write else None


def _write_finished(results: list[RunResult], planned: int, target: Path,
                    path: Path) -> Path:
    """Write the runs that finished; return where they went (`target`, or a free name beside
    it when `target` became unusable)."""
    if not results:
        log.warning("no run finished: nothing written")
        return target
    written = write_sweep(results, target, inputs=[Path(path)])
    if len(results) < planned:
        log.warning("the %d of %d runs that finished are in %s", len(results), planned,
                    written)
    return written


def exit_code(results: list[RunResult]) -> ExitCode:
    """8 when any run has no plan (a time-limited plan, exit 6, still counts as a plan)."""
    failed = [r for r in results if r.objective is None]
    return ExitCode.SOME_CASES_FAILED if failed else ExitCode.OK
