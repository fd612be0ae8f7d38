"""Outputs survive crashes: a process killed (SIGKILL) while it writes a plan or a batch
summary leaves the previous file intact or none, never half a workbook; an unwritable or full
output folder is exit 7 with a message."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from conftest import run_cli, sha256

from optimizer.errors import ExitCode

# Runs the CLI with a pause at a point of the write: after the first member of a workbook is
# zipped ("zip"), or once the whole file is written but not yet renamed into place ("fsync").
# It touches MARKER and sleeps there, so the test can kill it in the middle of writing.
SLOW_WRITER = """
import os, sys, time, zipfile
from pathlib import Path

marker, point = Path(sys.argv.pop(1)), sys.argv.pop(1)


def pause_after(owner, name):
    original = getattr(owner, name)

    def paused(*args, **kwargs):
        result = original(*args, **kwargs)
        marker.touch()
        time.sleep(600)
        return result

    setattr(owner, name, paused)


if point == "zip":
    pause_after(zipfile.ZipFile, "writestr")
    pause_after(zipfile.ZipFile, "write")
else:
    pause_after(os, "fsync")

from optimizer.cli import main
sys.argv[0] = "optimizer"
main()
"""

POINTS = ["zip", "fsync"]


def kill_while_writing(tmp_path: Path, point: str, *args: str) -> None:
    """Start `optimizer ARGS` paused at `point` of its write; SIGKILL it there."""
    marker = tmp_path / "writing.marker"
    marker.unlink(missing_ok=True)
    proc = subprocess.Popen([sys.executable, "-c", SLOW_WRITER, str(marker), point, *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while not marker.exists():
            assert proc.poll() is None, f"exited with {proc.returncode} before writing"
            assert time.monotonic() < deadline, "never started writing"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        proc.kill()


def workbooks_in(folder: Path) -> list[str]:
    """Names a user could open in Excel (the killed write's .partial is not one)."""
    return sorted(p.name for p in folder.iterdir() if p.suffix == ".xlsx")


def assert_workbook(path: Path) -> None:
    openpyxl.load_workbook(path, read_only=True).close()


@pytest.mark.parametrize("point", POINTS)
@pytest.mark.parametrize("previous", [True, False], ids=["over-previous-plan", "no-plan-yet"])
def test_sigkill_during_plan_write(tmp_path: Path, workbook, previous: bool, point: str) -> None:
    source = workbook("case.xlsx")
    out = tmp_path / "out"
    out.mkdir()
    plan = out / "plan.xlsx"
    if previous:
        assert run_cli("solve", str(source), "-o", str(plan)).returncode == 0
        before = sha256(plan)
    kill_while_writing(tmp_path, point, "solve", str(source), "-o", str(plan))
    if previous:
        assert sha256(plan) == before
        assert_workbook(plan)
        assert workbooks_in(out) == ["plan.xlsx"]
    else:
        assert workbooks_in(out) == []
    assert any(p.name.endswith(".partial") for p in out.iterdir())  # killed mid-write indeed


@pytest.mark.parametrize("point", POINTS)
def test_sigkill_during_batch_summary_write(tmp_path: Path, workbook, point: str) -> None:
    sources = [str(workbook(f"case{i}.xlsx")) for i in range(2)]
    out = tmp_path / "batch"
    assert run_cli("batch", *sources, "-o", str(out)).returncode == 0
    summary = out / "batch_summary.xlsx"
    before = sha256(summary)
    # Plans arrive as bytes, so the parent's first zip is the summary; its first fsync is a
    # plan's, and the summary must stay the previous one all the same.
    kill_while_writing(tmp_path, point, "batch", *sources, "-o", str(out))
    assert sha256(summary) == before
    assert_workbook(summary)
    assert workbooks_in(out) == ["batch_summary.xlsx", "case0_plan.xlsx", "case1_plan.xlsx"]


@contextlib.contextmanager
def tmpfs(folder: Path, options: str) -> Iterator[Path]:
    """A small file system mounted at `folder` (root only, else the test is skipped)."""
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


@contextlib.contextmanager
def read_only_folder(folder: Path) -> Iterator[Path]:
    if os.geteuid() == 0:  # root writes through permissions: use a read-only mount
        with tmpfs(folder, "ro,size=64k") as mounted:
            yield mounted
        return
    folder.mkdir()
    folder.chmod(0o555)
    try:
        yield folder
    finally:
        folder.chmod(0o755)


@pytest.mark.parametrize("command", ["solve", "sweep", "batch"])
def test_read_only_output_folder_is_exit_7(tmp_path: Path, workbook, command: str) -> None:
    source = workbook("case.xlsx")
    with read_only_folder(tmp_path / "ro") as folder:
        args = {"solve": ["-o", str(folder / "plan.xlsx")],
                "sweep": ["-o", str(folder / "sweep.xlsx"),
                          "--vary", "demand.quantity=50,150"],
                "batch": ["-o", str(folder)]}[command]
        result = run_cli(command, str(source), *args)
        assert result.returncode == ExitCode.OUTPUT_UNWRITABLE, result.stderr
        assert "read-only" in result.stderr and "Traceback" not in result.stderr
        assert list(folder.iterdir()) == []
        # Refused before any work: the input is not even needed to find out.
        unread = run_cli(command, str(tmp_path / "not_there.xlsx"), *args)
        assert unread.returncode == ExitCode.OUTPUT_UNWRITABLE, unread.stderr


def test_full_output_folder_is_exit_7(tmp_path: Path, workbook) -> None:
    source = workbook("case.xlsx")
    with tmpfs(tmp_path / "full", "size=16k") as folder:
        result = run_cli("solve", str(source), "-o", str(folder / "plan.xlsx"))
        assert result.returncode == ExitCode.OUTPUT_UNWRITABLE, result.stderr
        assert "No space left on device" in result.stderr
        assert "Traceback" not in result.stderr
        assert list(folder.iterdir()) == []  # nothing half-written, no temporary left
