"""Ctrl-C (SIGINT) and SIGTERM stop every command within seconds, keep what finished, leave
no child process behind and exit 130 / 143 with "interrupted".

Each test starts the command, waits for what it prints (HiGHS's log, a progress line) rather
than for a fixed time, then signals it: the cases would take minutes to solve to the end.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import tiny_sheets, write_workbook

from benchmarks.generate import Size, sheets
from optimizer.excel.sheets import write_sheets
from optimizer.studies.batch import SUMMARY_NAME

psutil = pytest.importorskip("psutil")

STOP_S = 10  # "within a few seconds", generously: the machine may be busy
CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}


def _generated(folder: Path, mip_gap: float, narrowing_s: float = 600) -> Path:
    """A generated case, built in a second, that HiGHS takes minutes to prove optimal (gap 0);
    with gap 1 its first plan stops it, within a second or two on any machine. Narrowing a
    gap (a sweep run's, against its effect) stops after `narrowing_s`."""
    case = sheets(Size(30, 4, 10, 3, 2))
    keep = [r for r in case["settings"]
            if r[0] not in ("time_limit_s", "mip_gap", "compare_time_limit_s")]
    case["settings"] = [*keep, ["time_limit_s", 600], ["mip_gap", mip_gap],
                        ["compare_time_limit_s", narrowing_s]]
    return write_sheets(folder / f"gap{mip_gap:g}.xlsx", case)


@pytest.fixture(scope="module")
def quick_case(tmp_path_factory) -> Path:
    """A sweep's quick runs (their gaps narrowed for a second at most); varying mip_gap to 0
    makes a slow one."""
    return _generated(tmp_path_factory.mktemp("quick"), 1, narrowing_s=1)


@pytest.fixture(scope="module")
def slow_case(tmp_path_factory) -> Path:
    return _generated(tmp_path_factory.mktemp("slow"), 0)


class Command:
    """`optimizer ARGS` in a process of its own (its own process group, as a shell job)."""

    def __init__(self, *args: str, cwd: Path):
        self.proc = subprocess.Popen([sys.executable, "-m", "optimizer", *args], cwd=cwd,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, start_new_session=True)
        self.stderr: list[str] = []
        self.stdout = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.stderr.append(line)

    def wait_for(self, text: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.stderr):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.proc.kill()
                pytest.fail(f"never printed {text!r}:\n{''.join(self.stderr)}")
            time.sleep(0.1)

    def descendants(self, timeout: float = 0) -> list[psutil.Process]:
        """Its child processes; waits up to `timeout` seconds for there to be some (a pool
        starts its workers a moment after the progress line that precedes them)."""
        deadline = time.monotonic() + timeout
        while not (found := psutil.Process(self.proc.pid).children(recursive=True)) \
                and time.monotonic() < deadline:
            time.sleep(0.1)
        return found

    def stop(self, signum: int, group: bool = False) -> float:
        """Send `signum` (to the whole process group, as Ctrl-C in a terminal does, when
        `group`); the seconds until the command exited."""
        start = time.monotonic()
        if group:
            os.killpg(self.proc.pid, signum)
        else:
            self.proc.send_signal(signum)
        try:
            self.proc.wait(timeout=60)  # stdout holds a few lines at most: no pipe fills
        finally:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGKILL)
        seconds = time.monotonic() - start
        self._reader.join(timeout=5)
        self.stdout = self.proc.stdout.read()
        return seconds

    @property
    def errors(self) -> str:
        return "".join(self.stderr)


def assert_stopped(cmd: Command, signum: int, seconds: float,
                   children: list[psutil.Process] = ()) -> None:
    assert cmd.proc.returncode == CODES[signum], cmd.errors
    assert seconds < STOP_S, f"took {seconds:.1f} s to stop"
    assert "interrupted" in cmd.errors
    assert "Traceback" not in cmd.errors and "Warning" not in cmd.errors, cmd.errors
    _, alive = psutil.wait_procs(list(children), timeout=5)
    assert not [p for p in alive if p.status() != psutil.STATUS_ZOMBIE], alive


def runs(path: Path) -> pd.DataFrame:
    return pd.read_excel(path, sheet_name="runs", engine="calamine").dropna(how="all")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_highs_mid_solve(tmp_path, slow_case, signum):
    """Inside HiGHS (its log is running) the signal cancels the solve: not a solver failure,
    no plan written."""
    plan = tmp_path / "plan.xlsx"
    cmd = Command("solve", str(slow_case), "-o", str(plan), "-v", cwd=tmp_path)
    cmd.wait_for("Presolving model")
    time.sleep(1)  # into the branch and bound
    assert_stopped(cmd, signum, cmd.stop(signum))
    assert not plan.exists()
    assert "status:" not in cmd.stdout and "error:" not in cmd.errors


def test_ctrl_c_stops_a_sweep_and_keeps_the_finished_runs(tmp_path, quick_case):
    """Runs 0 and 1 stop at their first plan (gap 1); run 2 (gap 0) is interrupted and is
    not a row: the workbook holds the two runs that finished."""
    out = tmp_path / "sweep.xlsx"
    cmd = Command("sweep", str(quick_case), "--vary", "settings.mip_gap=1,0", "-o",
                  str(out), cwd=tmp_path)
    cmd.wait_for("run 2/3 done")
    assert_stopped(cmd, signal.SIGINT, cmd.stop(signal.SIGINT, group=True))
    assert len(runs(out)) == 2
    assert "the 2 of 3 runs that finished" in cmd.errors


@pytest.mark.parametrize(("signum", "group"), [(signal.SIGTERM, False), (signal.SIGINT, True)])
def test_a_signal_stops_a_parallel_sweep_and_kills_its_workers(tmp_path, quick_case, signum,
                                                                group):
    out = tmp_path / "sweep.xlsx"
    cmd = Command("sweep", str(quick_case), "--vary", "settings.mip_gap=1,0", "-o",
                  str(out), "--jobs", "2", cwd=tmp_path)
    cmd.wait_for("run 2/3 done")
    workers = cmd.descendants(timeout=60)
    assert workers
    assert_stopped(cmd, signum, cmd.stop(signum, group), workers)
    assert len(runs(out)) == 2


def test_sigterm_stops_a_batch_and_keeps_the_finished_plans(tmp_path, slow_case):
    quick = write_workbook(tmp_path / "quick.xlsx", tiny_sheets())
    out = tmp_path / "out"
    cmd = Command("batch", str(quick), str(slow_case), "-o", str(out), "--jobs", "2",
                  cwd=tmp_path)
    cmd.wait_for("case 1/2 done")
    workers = cmd.descendants()
    assert_stopped(cmd, signal.SIGTERM, cmd.stop(signal.SIGTERM), workers)
    table = pd.read_excel(out / SUMMARY_NAME, engine="calamine").dropna(how="all")
    assert list(table["status"]) == ["optimal", "interrupted"]
    assert list(table["exit_code"]) == [0, 143]
    assert (out / "quick_plan.xlsx").exists()


def test_ctrl_c_stops_a_dask_batch_and_its_cluster(tmp_path, slow_case):
    pytest.importorskip("dask.distributed")
    quick = write_workbook(tmp_path / "quick.xlsx", tiny_sheets())
    out = tmp_path / "out"
    cmd = Command("batch", str(quick), str(slow_case), "-o", str(out), "--jobs", "1",
                  "--scheduler", "local", cwd=tmp_path)
    cmd.wait_for("case 1/2 done")
    workers = cmd.descendants()
    assert workers
    assert_stopped(cmd, signal.SIGINT, cmd.stop(signal.SIGINT, group=True), workers)
    table = pd.read_excel(out / SUMMARY_NAME, engine="calamine").dropna(how="all")
    assert list(table["status"]) == ["optimal", "interrupted"]
    # Dask's own logging stays quiet without -v
    assert all(line.startswith(("case ", "interrupted", "warning:")) for line in cmd.stderr), \
        cmd.errors
