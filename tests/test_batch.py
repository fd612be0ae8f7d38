"""`optimizer batch`: good and bad workbooks together, crashed and hung workers, Ctrl-C, and
the same objectives from a real Dask LocalCluster as from the process pool."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import edited, run_cli, sha256, tiny_sheets, write_workbook

from optimizer.parallel import Progress
from optimizer.solving.runs import CaseResult
from optimizer.studies.batch import (
    SUMMARY_NAME,
    Case,
    check_scheduler,
    run_batch,
    run_dask,
    run_local,
    solve_case,
)

REPO = Path(__file__).resolve().parents[1]


def cases(tmp_path: Path) -> dict[str, Path]:
    bad_supply = [["country", "material", "year", "max_quantity", "price"],
                  ["CHN", "OXIDE", None, None, "n/a"]]
    cover = [["country", "material", "initial", "capacity", "min_cover_days"],
             ["JPN", "OXIDE", 0, 50, 365]]
    return {
        "good": write_workbook(tmp_path / "good.xlsx", tiny_sheets()),
        # the example's plan alone: its comparisons (tested elsewhere) take minutes
        "example": edited(REPO / "inputs" / "example.xlsx", tmp_path / "example.xlsx",
                          {"compare": "none"}),
        "invalid": write_workbook(tmp_path / "invalid.xlsx", tiny_sheets(supply=bad_supply)),
        "infeasible": write_workbook(tmp_path / "infeasible.xlsx",
                                     tiny_sheets(stockpiles=cover)),
    }


def summary(folder: Path) -> pd.DataFrame:
    return pd.read_excel(folder / SUMMARY_NAME, engine="calamine").dropna(how="all")


def test_good_and_bad_workbooks_give_exit_8_and_a_complete_summary(tmp_path):
    inputs = cases(tmp_path)
    hashes = {k: sha256(p) for k, p in inputs.items()}
    out = tmp_path / "out"
    result = run_cli("batch", *map(str, inputs.values()), str(tmp_path / "missing.xlsx"),
                     "-o", str(out), "--jobs", "2")
    assert result.returncode == 8, result.stderr
    table = summary(out)
    assert table["status"].iloc[1] in ("optimal", "within_gap")  # the example's mip_gap: 0.5%
    assert list(table["status"].drop(1)) == ["optimal", "invalid", "infeasible", "invalid"]
    assert list(table["exit_code"]) == [0, 0, 3, 4, 3]
    assert table["objective"].iloc[0] == pytest.approx(2200)
    assert "sheet 'supply', row 2, column 'price'" in table["message"].iloc[2]
    assert "stockpiles row 2" in table["message"].iloc[3]
    assert "file not found" in table["message"].iloc[4]
    assert (out / "good_plan.xlsx").exists() and (out / "example_plan.xlsx").exists()
    assert not (out / "invalid_plan.xlsx").exists()
    assert {k: sha256(p) for k, p in inputs.items()} == hashes
    assert "Traceback" not in result.stderr


def test_all_good_exits_0(tmp_path):
    good = write_workbook(tmp_path / "a.xlsx", tiny_sheets())
    assert run_cli("batch", str(good), "-o", str(tmp_path / "out")).returncode == 0


def test_two_inputs_with_one_name_are_a_usage_error(tmp_path):
    (tmp_path / "x").mkdir()
    a = write_workbook(tmp_path / "case.xlsx", tiny_sheets())
    b = write_workbook(tmp_path / "x" / "case.xlsx", tiny_sheets())
    result = run_cli("batch", str(a), str(b), "-o", str(tmp_path / "out"))
    assert result.returncode == 2 and "rename one" in result.stderr


def crash_on_kill_me(case: Case, threads: int | None) -> CaseResult:
    """A worker that dies the hard way (SIGKILL, as the OOM killer does) on one case."""
    if case.name == "kill_me":
        os.kill(os.getpid(), signal.SIGKILL)
    return solve_case(case, threads)


def hang_on_slow(case: Case, threads: int | None) -> CaseResult:
    if case.name == "slow":
        time.sleep(600)
    return solve_case(case, threads)


def _cases(tmp_path: Path, names: list[str]) -> list[Case]:
    return [Case(n, str(tmp_path / f"{n}.xlsx"),
                 write_workbook(tmp_path / f"{n}.xlsx", tiny_sheets()).read_bytes())
            for n in names]


def _local(tmp_path: Path, names: list[str], worker, **kw) -> dict[str, CaseResult]:
    results: dict[str, CaseResult] = {}
    run_local(_cases(tmp_path, names), 2,
              lambda r: results.__setitem__(Path(r.input).stem, r), worker=worker, **kw)
    return results


def test_a_case_that_kills_its_worker_is_a_failed_row(tmp_path):
    results = _local(tmp_path, ["first", "kill_me", "last"], crash_on_kill_me)
    assert results["kill_me"].failed
    assert "signal 9" in results["kill_me"].message
    assert results["first"].objective == pytest.approx(2200)
    assert results["last"].objective == pytest.approx(2200)


def test_a_case_past_its_timeout_is_killed(tmp_path):
    results = _local(tmp_path, ["slow", "quick"], hang_on_slow, case_timeout=20)
    assert results["slow"].failed and "case timeout" in results["slow"].message
    assert results["quick"].objective == pytest.approx(2200)


def test_ctrl_c_keeps_what_finished(tmp_path):
    inputs = [write_workbook(tmp_path / f"c{i}.xlsx", tiny_sheets()) for i in range(4)]
    out = tmp_path / "out"

    class Interrupt(Progress):
        def advance(self, failed: bool) -> None:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch(inputs, out, jobs=1, progress=Interrupt("case"))
    table = summary(out)
    assert table["status"].iloc[0] == "optimal"
    assert set(table["status"].iloc[1:]) == {"interrupted"}
    assert (out / "c0_plan.xlsx").exists()


def test_dask_local_cluster_gives_the_process_pool_objectives(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    inputs = list(cases(tmp_path).values())
    pool = run_batch(inputs, tmp_path / "pool", jobs=2)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        dask = run_batch(inputs, tmp_path / "dask", jobs=2, scheduler=cluster.scheduler_address)
    assert [r.status for r in dask] == [r.status for r in pool]
    assert [r.objective for r in dask] == pytest.approx([r.objective for r in pool])
    assert (tmp_path / "dask" / "example_plan.xlsx").exists()


def test_a_dask_case_past_its_timeout_is_stopped(tmp_path):
    """On one worker: the hung case is cancelled after its timeout and its worker restarted,
    so the case queued behind it still runs."""
    distributed = pytest.importorskip("dask.distributed")
    results: dict[str, CaseResult] = {}
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        run_dask(client, _cases(tmp_path, ["slow", "quick"]),
                 lambda r: results.__setitem__(Path(r.input).stem, r), case_timeout=3,
                 worker=hang_on_slow)
    assert results["slow"].failed and "case timeout" in results["slow"].message
    assert results["quick"].objective == pytest.approx(2200)


@pytest.mark.parametrize("address", ["not a url", "http://host:8786", "tcp://host",
                                     "tcp://host:port"])
def test_a_scheduler_that_is_not_an_address_is_a_usage_error(tmp_path, address):
    good = write_workbook(tmp_path / "good.xlsx", tiny_sheets())
    result = run_cli("batch", str(good), "-o", str(tmp_path / "out"), "--scheduler", address)
    assert result.returncode == 2, result.stderr
    assert "--scheduler" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("address", ["local", "tcp://10.0.0.1:8786", "scheduler:8786",
                                     "tls://[::1]:8786"])
def test_scheduler_addresses(address):
    check_scheduler(address)


def test_progress_lines_and_jobs_capped_to_the_cases(tmp_path):
    inputs = [write_workbook(tmp_path / f"c{i}.xlsx", tiny_sheets()) for i in range(2)]
    result = run_cli("batch", *map(str, inputs), str(tmp_path / "missing.xlsx"), "-o",
                     str(tmp_path / "out"), "--jobs", "64")
    assert result.returncode == 8
    assert "--jobs 64 capped to" in result.stderr
    assert "case 3/3 done (1 failed)" in result.stderr
