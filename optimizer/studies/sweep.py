"""Sensitivity runs: the variations of `optimizer.contract.variations`, solved one by one
(or in parallel, or re-using one model in place), compared in one workbook with a
cost-of-independence frontier and a tornado."""

from __future__ import annotations

import copy
import logging
import math
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from functools import partial
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from models import build_model
from models.data import ModelData
from optimizer import interrupt
from optimizer.contract.inputs import ROW, Inputs
from optimizer.contract.validate import load_inputs
from optimizer.contract.variations import (
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
from optimizer.solving import pipeline
from optimizer.solving.headline import headline
from optimizer.solving.pipeline import new_solver, post_solve, prepare
from optimizer.solving.runs import RunResult
from optimizer.solving.solve import solve_model
from optimizer.solving.warm import incumbent, repaired_start, solve_from

log = logging.getLogger(__name__)


# A run's row keeps the plan's summary, shares and headline only: a budget's saving is one
# more MIP solve per budget and run, and a comparison one more per counterfactual, so the
# headline's limits_cost and stockpiles_worth stay blank (cold and persistent runs alike).
BUDGETS = False
COMPARISONS = False


def solve_run(inputs: Inputs, run: Run, threads: int | None = None) -> RunResult:
    """Build and solve one run from scratch (cold); failures are results, never raised."""
    start = time.perf_counter()
    try:
        varied = apply_changes(inputs, run.changes)
        check_ranges(varied, run)
        solved = pipeline.solve_data(pipeline.prepare(varied, threads), budgets=BUDGETS,
                                     comparisons=COMPARISONS)
        return _result(run, solved.outcome, solved.plan, start)
    except OptimizerError as err:
        return _failed(run, err, start)


def _result(run: Run, outcome: Any, plan: Any, start: float) -> RunResult:
    dep = plan.tables["dependence"]
    return RunResult(run, plan.summary["status"], int(outcome.exit_code),
                     plan.summary["objective"], time.perf_counter() - start,
                     summary=plan.summary, shares=dep.to_dict("records"),
                     headline=headline(plan.summary, plan.tables))


def _failed(run: Run, err: OptimizerError, start: float) -> RunResult:
    return RunResult(run, err.status, int(err.exit_code),
                     seconds=time.perf_counter() - start, message=err.detail)


class PersistentRuns:
    """One model built with mutable cells and one persistent HiGHS instance, re-used by every
    run whose changes are cells the model has (prices, costs, capacities, demand, limits,
    stock parameters, budgets); other runs (settings, recipes, years, a value becoming
    unlimited) are built and solved cold."""

    def __init__(self, inputs: Inputs):
        self.inputs = inputs
        self.formulation = build_model(prepare(inputs), mutable=True)
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

    def solve(self, run: Run) -> RunResult:
        start = time.perf_counter()
        try:
            varied = apply_changes(self.inputs, run.changes)
            check_ranges(varied, run)
            changed = self._changed_cells(varied, run)
            data = prepare(varied) if changed is not None else None
            if changed is None or not _same_default_end_values(self.built_from, data):
                self.cold_runs += 1
                return solve_run(self.inputs, run)
            for key, value in changed.items():
                self.params[key].set_value(value)
            self.formulation.set_data(data)  # the plan reads this run's values
            outcome = self._solve(data.settings)
            plan = post_solve(self.formulation, outcome, self.lp_solver, budgets=BUDGETS)
            return _result(run, outcome, plan, start)
        except OptimizerError as err:
            return _failed(run, err, start)
        finally:
            for key, value in self.base.items():
                if self.params[key].value != value:
                    self.params[key].set_value(value)

    def _solve(self, settings: dict) -> Any:
        """Re-solve in place, starting the MIP from the previous run's builds with this run's
        best operations (`warm`): most of a sweep's speed-up. Falls back to the previous
        solution as it was when the repair does not solve."""
        if self.start is None:
            outcome = solve_model(self.model, settings, solver=self.solver)
        else:
            start = repaired_start(self.model, settings, self.solver) or self.start
            outcome = solve_from(self.model, settings, self.solver, start)
        self.start = incumbent(self.solver) if outcome.has_plan else self.start
        return outcome

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
            persistent: bool = True) -> list[RunResult]:
    """Solve every run: on one re-used model (`persistent`), or each from scratch; with
    jobs > 1 from scratch in a pool of processes (HiGHS on one thread each). `on_result(i,
    result)` as run i finishes (in any order with jobs > 1); the results in run order."""
    done: dict[int, RunResult] = {}

    def finished(i: int, result: RunResult) -> None:
        done[i] = result
        if on_result:
            on_result(i, result)

    if jobs <= 1:
        solve = PersistentRuns(inputs).solve if persistent else partial(solve_run, inputs)
        for i, run in enumerate(runs):
            finished(i, solve(run))
    else:
        _run_in_pool(inputs, runs, jobs, finished)
    return [done[i] for i in range(len(runs))]


def _run_in_pool(inputs: Inputs, runs: list[Run], jobs: int,
                 finished: Callable[[int, RunResult], None]) -> None:
    """Cold runs in `jobs` worker processes. On an interrupt (or any error) the workers are
    killed at once: waiting for them would mean waiting for their solves."""
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn"),
                               initializer=interrupt.ignore_in_worker)
    try:
        futures = {pool.submit(solve_run, inputs, run, 1): i for i, run in enumerate(runs)}
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
                   ) -> tuple[list[RunResult], Path]:
    """Run every variation of `path` (its sweeps sheet, or `vary` when given); write the
    comparison workbook; return the results and its path. Interrupted, the workbook holds the
    runs that finished."""
    target = output or Path("outputs") / f"{Path(path).stem}_sweep.xlsx"
    if output is not None:
        check_output_path(target, [Path(path)])  # before reading: a bad -o is found at once
    inputs = load_inputs(path)  # checks the sweeps sheet too, every problem at once
    variations = [parse_vary(v) for v in vary] if vary else variations_from_sheet(inputs)
    if not variations:
        raise UsageError(f"{path}: no variations: fill the 'sweeps' sheet or pass --vary")
    check_variations(inputs, variations)  # before any solve: --vary's values, bounds
    size = check_size(variations, max_runs)  # before the grid exists
    if output is None:  # the default folder is made only for a sweep that will run
        check_output_path(make_folder(target.parent) / target.name, [Path(path)])
    log.info("%s: %d runs", path, size)
    runs = plan_runs(variations)
    jobs = cap_jobs(jobs, len(runs), "runs")
    if progress:
        progress.start(len(runs))
    finished: dict[int, RunResult] = {}

    def on_result(i: int, result: RunResult) -> None:
        finished[i] = result
        if progress:
            progress.advance(result.objective is None)

    try:
        results = run_all(copy.deepcopy(inputs), runs, jobs, on_result, persistent)
    except KeyboardInterrupt:  # interrupt.Interrupted too
        _write_finished([finished[i] for i in sorted(finished)], len(runs), target, path)
        raise
    return results, _write_finished(results, len(runs), target, path)


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
