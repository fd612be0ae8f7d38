"""Batch solves: many workbooks, each in a process of its own, or on a Dask cluster.

Workers receive a workbook's bytes and return the plan's bytes, so nothing but data crosses
process (or machine) boundaries and no shared file system is needed; the parent writes every
plan and the summary. A case that crashes its worker, or runs past the case timeout, is a
failed row; it never takes the batch down. Ctrl-C keeps what finished. On a terminal, local
workers also send their solvers' statuses, for the batch's line.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import multiprocessing.connection
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from optimizer import interrupt, solver_line
from optimizer.errors import ExitCode, OptimizerError, Status, UsageError
from optimizer.excel.batch_writer import write_summary
from optimizer.excel.output import atomic_output, check_output_path, make_folder, writable_target
from optimizer.parallel import Progress, cap_jobs
from optimizer.solving.headline import headline
from optimizer.solving.runs import CaseResult
from optimizer.studies.run import solve_workbook

log = logging.getLogger(__name__)

SUMMARY_NAME = "batch_summary.xlsx"


@dataclass
class Case:
    name: str  # the input's stem: its plan is <name>_plan.xlsx
    path: str
    content: bytes


def solve_case(case: Case, threads: int | None = 1) -> CaseResult:
    """Solve one workbook from its bytes; every outcome is a result, never an exception."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="optimizer-case-") as folder:
        source = Path(folder) / Path(case.path).name
        source.write_bytes(case.content)
        target = Path(folder) / f"{case.name}_plan.xlsx"
        try:
            result = solve_workbook(source, target, threads=threads)
        except OptimizerError as err:
            return CaseResult(case.path, err.status, int(err.exit_code),
                              seconds=time.perf_counter() - start, message=err.detail)
        except Exception as err:  # a bug: recorded, the batch goes on
            return CaseResult(case.path, Status.ERROR, int(ExitCode.INTERNAL_ERROR),
                              seconds=time.perf_counter() - start,
                              message=f"internal error: {type(err).__name__}: {err}")
        summary = result.plan.summary
        return CaseResult(case.path, summary["status"], int(result.exit_code),
                          summary["objective"], summary.get("mip_gap"),
                          time.perf_counter() - start, plan_bytes=target.read_bytes(),
                          headline=headline(summary, result.plan.tables))


# ---------------------------------------------------------------------------------------------
# Local: one spawned process per case, at most `jobs` at a time


Worker = Callable[[Case, int | None], CaseResult]
Connection = multiprocessing.connection.Connection
NOT_HEARD_YET = solver_line.SolverStatus(solver_line.STARTING)  # before a worker's first status


@dataclass
class Running:
    """A case in its worker process, and what the worker last said it is doing."""

    case: Case
    conn: Connection  # the worker's statuses, if it sends them, then its result
    proc: Any  # a spawned multiprocessing Process
    started: float
    status: solver_line.SolverStatus = NOT_HEARD_YET

    def shown(self, now: float) -> tuple[str, solver_line.SolverStatus]:
        """Its name and status for the batch's line, timed from the case's start."""
        return Path(self.case.path).name, replace(self.status, elapsed=now - self.started)


def _child(conn: Connection, worker: Worker, case: Case, status_every_s: float | None) -> None:
    interrupt.ignore_in_worker()
    with solver_line.sending(conn, status_every_s):
        result = worker(case, 1)
    conn.send(result)
    conn.close()


def run_local(cases: list[Case], jobs: int, on_result: Callable[[CaseResult], None],
              case_timeout: float | None = None, worker: Worker = solve_case,
              progress: Progress | None = None) -> None:
    """Solve `cases` in fresh processes, `jobs` at a time, calling `on_result` as each ends;
    a `progress` that shows the running cases gets them (their workers send statuses then).

    A process per case (not a pool) so that a segfault or the kernel's OOM killer ends one
    case only; a pool's workers die together with the pool.
    """
    ctx = get_context("spawn")
    pending = list(cases)
    running: dict[Connection, Running] = {}
    status_every_s = progress.status_every_s if progress else None
    try:
        while pending or running:
            while pending and len(running) < jobs:
                case = pending.pop(0)
                parent, child = ctx.Pipe(duplex=False)
                proc = ctx.Process(target=_child, args=(child, worker, case, status_every_s),
                                   daemon=True)
                with interrupt.deferred():  # a started worker is known before a signal acts
                    proc.start()
                    running[parent] = Running(case, parent, proc, time.monotonic())
                child.close()
            if progress:
                now = time.monotonic()
                progress.show_running([entry.shown(now) for entry in running.values()])
            ready = multiprocessing.connection.wait(
                [*running, *(entry.proc.sentinel for entry in running.values())], timeout=1.0)
            for conn, entry in list(running.items()):
                result = _collect(entry, ready, case_timeout)
                if result is not None:
                    del running[conn]
                    on_result(result)
    except KeyboardInterrupt as stop:
        for entry in running.values():
            entry.proc.kill()
            entry.proc.join()
        _interrupted([entry.case for entry in running.values()], pending, stop, on_result)
        raise


def _interrupted(running: list[Case], pending: list[Case], stop: KeyboardInterrupt,
                 on_result: Callable[[CaseResult], None]) -> None:
    """Rows for the cases an interrupt stopped or never started."""
    code = int(getattr(stop, "exit_code", ExitCode.INTERRUPTED))
    for cases, message in ((running, "interrupted"), (pending, "not started")):
        for case in cases:
            on_result(CaseResult(case.path, Status.INTERRUPTED, code, message=message))


def _collect(entry: Running, ready: list, case_timeout: float | None) -> CaseResult | None:
    """The case's result if it ended (or crashed, or ran out of time), else None; its
    worker's latest status kept meanwhile."""
    case, proc, started = entry.case, entry.proc, entry.started
    try:
        result = _receive(entry)
    except EOFError:  # the process died before sending its result
        proc.join()
        return _crashed(case, proc, started)
    if result is not None:
        proc.join()
        return result
    if proc.sentinel in ready and not proc.is_alive():
        return _crashed(case, proc, started)
    if case_timeout is not None and time.monotonic() - started > case_timeout:
        proc.kill()
        proc.join()
        return _timed_out(case, case_timeout, time.monotonic() - started)
    return None


def _receive(entry: Running) -> CaseResult | None:
    """What the worker sent so far: its statuses (the latest kept), then its result."""
    while entry.conn.poll():
        message = entry.conn.recv()
        if not isinstance(message, solver_line.SolverStatus):
            return message
        entry.status = message
    return None


def _timed_out(case: Case, case_timeout: float, seconds: float) -> CaseResult:
    return CaseResult(case.path, Status.FAILED, int(ExitCode.TIME_LIMIT_NO_PLAN),
                      seconds=seconds,
                      message=f"killed after the case timeout of {case_timeout:g} s")


def _crashed(case: Case, proc, started: float) -> CaseResult:
    code = proc.exitcode
    how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
    return CaseResult(case.path, Status.FAILED, int(ExitCode.INTERNAL_ERROR),
                      seconds=time.monotonic() - started,
                      message=f"the worker process died ({how}), e.g. a crash or out of memory")


# ---------------------------------------------------------------------------------------------
# Dask


# `local`, or a scheduler address: an optional scheme, a host (or [IPv6]) and a port
_ADDRESS = re.compile(r"^((tcp|tls|ucx|ws|wss)://)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):\d{1,5}/?$")
POLL_S = 1.0  # how often the case timeout is checked on Dask


def check_scheduler(scheduler: str | None) -> None:
    """Refuse a --scheduler that is neither `local` nor a Dask address, or Dask missing,
    before any work."""
    if scheduler is None:
        return
    if scheduler != "local" and not _ADDRESS.match(scheduler):
        raise UsageError(f"--scheduler '{scheduler}': expected 'local' or a Dask scheduler "
                         "address such as tcp://host:8786")
    if importlib.util.find_spec("distributed") is None:
        raise UsageError("--scheduler needs Dask: pip install 'critical-minerals-optimizer"
                         "[dask]'")


@contextlib.contextmanager
def dask_client(scheduler: str, jobs: int) -> Iterator[Any]:
    """A client of the cluster at `scheduler`, or of a LocalCluster of `jobs` single-threaded
    worker processes on this machine for `local`; closed (the local cluster's workers
    stopped) on the way out, an interrupt included."""
    from dask.distributed import Client, LocalCluster

    # Dask's own errors (a worker losing its scheduler as an interrupted batch shuts the
    # cluster down, say) come with tracebacks; a case that fails is a row of the summary.
    level = logging.INFO if log.isEnabledFor(logging.DEBUG) else logging.CRITICAL
    logging.getLogger("distributed").setLevel(level)
    with contextlib.ExitStack() as stack:
        cluster: Any = scheduler
        if scheduler == "local":
            cluster = stack.enter_context(LocalCluster(
                n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None,
                silence_logs=level))
        try:
            client = stack.enter_context(Client(cluster, timeout="10s"))
        except OSError as exc:
            raise UsageError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
        yield client


def run_dask(client: Any, cases: list[Case], on_result: Callable[[CaseResult], None],
             case_timeout: float | None = None, worker: Worker = solve_case) -> None:
    """Send every case to the Dask cluster of `client`, calling `on_result` as each ends. A
    case running longer than `case_timeout` is cancelled and its worker restarted (Dask
    cannot stop a running task otherwise)."""
    from dask.distributed import wait

    futures = {client.submit(worker, case, 1, pure=False): case for case in cases}
    started: dict[Any, float] = {}  # task key -> when it was first seen running
    try:
        while futures:
            with contextlib.suppress(TimeoutError):
                wait(list(futures), timeout=POLL_S, return_when="FIRST_COMPLETED")
            for future in [f for f in futures if f.done()]:
                on_result(_dask_result(futures.pop(future), future))
            if case_timeout is not None:
                for future in _overdue(client, futures, started, case_timeout):
                    on_result(_timed_out(futures.pop(future), case_timeout, case_timeout))
    except KeyboardInterrupt as stop:
        client.cancel(list(futures))
        _interrupted(list(futures.values()), [], stop, on_result)
        raise


def _dask_result(case: Case, future: Any) -> CaseResult:
    try:
        return future.result()
    except Exception as err:  # KilledWorker and the like: the case failed
        return CaseResult(case.path, Status.FAILED, int(ExitCode.INTERNAL_ERROR),
                          message=f"the Dask worker failed: {type(err).__name__}: {err}")


def _executing(dask_worker: Any) -> list[Any]:
    """Run on each Dask worker: the keys of the tasks it is computing now."""
    return [task.key for task in dask_worker.state.executing]


def _overdue(client: Any, futures: dict[Any, Case], started: dict[Any, float],
             case_timeout: float) -> list[Any]:
    """The futures running past `case_timeout`, cancelled and their workers restarted."""
    now = time.monotonic()
    running = client.run(_executing, on_error="ignore")  # a worker restarting: not running
    where = {key: address for address, keys in running.items() for key in keys}
    for key in where:
        started.setdefault(key, now)
    overdue = [f for f in futures if f.key in where and now - started[f.key] > case_timeout]
    if overdue:
        client.cancel(overdue)
        try:
            client.restart_workers(list({where[f.key] for f in overdue}))
        except Exception as err:  # e.g. a worker without a nanny: it finishes the task
            log.warning("could not stop a Dask worker past the case timeout: %s", err)
    return overdue


# ---------------------------------------------------------------------------------------------
# The batch


def read_cases(inputs: Iterable[Path]) -> tuple[list[Case], list[CaseResult]]:
    """The cases to send out, and the results of inputs that are not even files."""
    cases, missing, names = [], [], {}
    for path in map(Path, inputs):
        if path.stem in names:
            raise UsageError(f"{path} and {names[path.stem]} would both write "
                             f"{path.stem}_plan.xlsx; rename one")
        names[path.stem] = path
        if not path.is_file():
            missing.append(CaseResult(str(path), Status.INVALID, int(ExitCode.INVALID_INPUT),
                                      message=f"file not found: {path}"))
        else:
            cases.append(Case(path.stem, str(path), path.read_bytes()))
    return cases, missing


def run_batch(inputs: list[Path], output_dir: Path, jobs: int = 1,
              scheduler: str | None = None, case_timeout: float | None = None,
              progress: Progress | None = None) -> list[CaseResult]:
    """Solve every input, write each plan and DIR/batch_summary.xlsx; return the results in
    input order. Interrupted, the summary holds what finished (and what did not)."""
    check_scheduler(scheduler)
    make_folder(output_dir)
    for target in [SUMMARY_NAME, *(f"{Path(p).stem}_plan.xlsx" for p in inputs)]:
        check_output_path(output_dir / target, inputs)  # every output, before any solve
    cases, missing = read_cases(inputs)
    if scheduler in (None, "local"):
        jobs = cap_jobs(jobs, len(cases), "cases")
    by_path: dict[str, CaseResult] = {}

    def on_result(result: CaseResult) -> None:
        if result.plan_bytes is not None:
            _write_plan(result, output_dir, [Path(c.path) for c in cases])
        by_path[result.input] = result
        if progress and result.status != Status.INTERRUPTED:
            progress.advance(result.failed)

    if progress:  # a local batch's line shows its running cases; Dask's, the count only
        progress.start(len(inputs), running=scheduler is None)
    for result in missing:
        on_result(result)
    with contextlib.ExitStack() as stack:
        client = stack.enter_context(dask_client(scheduler, jobs)) if scheduler else None
        try:
            if client is not None:
                run_dask(client, cases, on_result, case_timeout)
            else:
                run_local(cases, jobs, on_result, case_timeout, progress=progress)
        finally:  # also on Ctrl-C: the summary of what finished, before Dask shuts down
            results = [by_path[str(p)] for p in map(Path, inputs) if str(p) in by_path]
            write_summary(results, output_dir / SUMMARY_NAME, list(map(Path, inputs)))
    return results


def _write_plan(result: CaseResult, folder: Path, inputs: list[Path]) -> None:
    try:
        target = writable_target(folder / f"{Path(result.input).stem}_plan.xlsx", inputs)
        with atomic_output(target, inputs) as tmp:
            tmp.write_bytes(result.plan_bytes or b"")
    except OptimizerError as err:
        result.status, result.exit_code, result.message = err.status, int(err.exit_code), \
            err.detail
    else:
        result.plan = str(target)
    result.plan_bytes = None


def exit_code(results: list[CaseResult]) -> ExitCode:
    return ExitCode.SOME_CASES_FAILED if any(r.failed for r in results) else ExitCode.OK
