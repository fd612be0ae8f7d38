"""Output paths: checked before any work (not an .xlsx name, too long, not a regular file,
read-only), and a finished solve is never thrown away for its name: a target opened in Excel
during the solve gets the result beside it. Outputs take the umask's mode (or keep the one
they replace), and the plan records the hash of the bytes it was solved from."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import openpyxl
import pytest
from conftest import run_cli, sha256, tiny_sheets, write_workbook
from test_plan_writer import small_plan

from optimizer.contract import validate
from optimizer.errors import ExitCode, InputError, OutputError, UsageError
from optimizer.excel.output import NAME_MAX, _temp_name, atomic_output, check_output_path
from optimizer.excel.plan_writer import write_plan
from optimizer.solving import pipeline
from optimizer.solving.runs import CaseResult
from optimizer.studies import batch, run, sweep
from optimizer.studies.batch import run_batch
from optimizer.studies.run import solve_workbook
from optimizer.studies.sweep import sweep_workbook

COMMANDS = ["solve", "sweep", "batch"]


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return write_workbook(tmp_path / "case.xlsx", tiny_sheets())


@pytest.fixture
def no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading an input fails the test: the outputs must have been refused before."""

    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("the input was read before the output was checked")

    for module in (run, sweep):
        monkeypatch.setattr(module, "load_inputs", fail)
    monkeypatch.setattr(batch, "read_cases", fail)


def start(command: str, source: Path, target: Path) -> None:
    """Run `command` in this process, writing `target` (for batch, the plan of an input
    named after it: X_plan.xlsx is the plan of X.xlsx)."""
    if command == "solve":
        solve_workbook(source, target)
    elif command == "sweep":
        sweep_workbook(source, target, ["demand.quantity=50"])
    else:
        run_batch([target.with_name(target.name.replace("_plan.xlsx", ".xlsx"))], target.parent)


# ---- not a regular file ---------------------------------------------------------------------


def special_files(folder: Path) -> Iterator[tuple[str, Path]]:
    fifo = folder / "fifo_plan.xlsx"
    os.mkfifo(fifo)
    yield "named pipe", fifo
    (folder / "real.xlsx").write_bytes(b"real")
    (folder / "link_plan.xlsx").symlink_to(folder / "real.xlsx")
    yield "symbolic link", folder / "link_plan.xlsx"
    (folder / "dangling_plan.xlsx").symlink_to(folder / "nowhere.xlsx")
    yield "symbolic link", folder / "dangling_plan.xlsx"
    (folder / "loop_plan.xlsx").symlink_to(folder / "loop_plan.xlsx")
    yield "symbolic link", folder / "loop_plan.xlsx"
    if os.geteuid() == 0:  # a character device like /dev/null
        os.mknod(folder / "null_plan.xlsx", stat.S_IFCHR | 0o666, os.makedev(1, 3))
        yield "device", folder / "null_plan.xlsx"


@pytest.mark.parametrize("command", COMMANDS)
def test_a_target_that_is_not_a_regular_file_is_refused_before_any_work(
        tmp_path: Path, source: Path, no_work: None, command: str) -> None:
    for kind, target in special_files(tmp_path):
        before = os.lstat(target)
        with pytest.raises(OutputError, match=f"{kind}.*not a regular file"):
            start(command, source, target)
        after = os.lstat(target)
        assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)


def test_a_device_and_a_fifo_through_the_cli(tmp_path: Path, source: Path) -> None:
    if os.geteuid() == 0:  # `-o /dev/null`, on a copy: were it replaced, so would /dev/null
        null = tmp_path / "null"
        os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        result = run_cli("solve", str(source), "-o", str(null))
        assert result.returncode == ExitCode.USAGE, result.stderr
        assert stat.S_ISCHR(os.lstat(null).st_mode)
    fifo = tmp_path / "plan.xlsx"
    os.mkfifo(fifo)
    result = run_cli("solve", str(source), "-o", str(fifo))
    assert result.returncode == ExitCode.OUTPUT_UNWRITABLE
    assert "named pipe (FIFO), not a regular file" in result.stderr
    assert "status" not in result.stdout and "Traceback" not in result.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


# ---- names: .xlsx only, and within the file system's limits ---------------------------------


@pytest.mark.parametrize("command", ["solve", "sweep"])
@pytest.mark.parametrize("name", ["plan.csv", "plan.xls", "plan", "dir/new/", "", ".xlsx"])
def test_an_output_that_is_not_an_xlsx_name_is_a_usage_error(
        tmp_path: Path, source: Path, no_work: None, command: str, name: str) -> None:
    with pytest.raises(UsageError, match=r"must be an \.xlsx file name"):
        start(command, source, Path(name))


def test_cli_rejects_non_xlsx_and_empty_outputs_with_exit_2(tmp_path: Path,
                                                            source: Path) -> None:
    for args in (["solve", str(source), "-o", ""],
                 ["sweep", str(source), "-o", str(tmp_path / "s.csv"), "--vary",
                  "demand.quantity=50"]):
        result = run_cli(*args, cwd=tmp_path)
        assert result.returncode == ExitCode.USAGE, result.stderr
        assert result.stderr.count("\n") == 1 and ".xlsx" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.xlsx"]


@pytest.mark.parametrize("command", COMMANDS)
def test_names_and_paths_too_long_are_refused_before_any_work(
        tmp_path: Path, source: Path, no_work: None, command: str) -> None:
    long_name = tmp_path / ("n" * (NAME_MAX - 9) + "_plan.xlsx")  # 256 bytes
    with pytest.raises(OutputError, match="bytes long; the limit is 255"):
        start(command, source, long_name)
    long_path = tmp_path.joinpath(*["d" * 200] * 21, "plan.xlsx")  # over 4096 bytes
    with pytest.raises(OutputError, match=r"bytes long|too long"):  # batch: its folder
        start(command, source, long_path)


def test_too_long_a_path_through_the_cli_is_exit_7_in_one_line(tmp_path: Path,
                                                              source: Path) -> None:
    result = run_cli("solve", str(source), "-o", f"{tmp_path}/{'d/' * 2100}plan.xlsx")
    assert result.returncode == ExitCode.OUTPUT_UNWRITABLE, result.stderr
    assert result.stderr.count("\n") == 1 and len(result.stderr) < 200


@pytest.mark.parametrize("name", ["p" * (NAME_MAX - 5) + ".xlsx",  # 255 bytes
                                  "é" * 120 + "x" * 10 + ".xlsx"])  # 255 bytes, 2-byte letters
def test_names_up_to_the_limit_are_written(tmp_path: Path, name: str) -> None:
    assert len(_temp_name(name).encode()) <= NAME_MAX
    target = tmp_path / name
    with atomic_output(target) as tmp:
        tmp.write_bytes(b"plan")
    assert target.read_bytes() == b"plan"
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_a_name_of_250_bytes_is_solved_and_written(tmp_path: Path, source: Path) -> None:
    target = tmp_path / ("p" * 245 + ".xlsx")
    assert solve_workbook(source, target).output == target
    assert openpyxl.load_workbook(target).sheetnames[0] == "answer"


# ---- a target opened in Excel during the solve ----------------------------------------------


def lock_during(monkeypatch: pytest.MonkeyPatch, module: object, name: str,
                lock: Path) -> None:
    """`module.name` creates `lock` (Excel opening the target) before it returns."""
    original: Callable = getattr(module, name)

    def locking(*args: object, **kwargs: object) -> object:
        result = original(*args, **kwargs)
        lock.write_bytes(b"")
        return result

    monkeypatch.setattr(module, name, locking)


def test_plan_opened_in_excel_during_the_solve_is_written_beside_it(
        tmp_path: Path, source: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    target = tmp_path / "plan.xlsx"
    target.write_bytes(b"previous plan")
    lock_during(monkeypatch, pipeline, "solve_with_start", tmp_path / "~$plan.xlsx")
    with caplog.at_level(logging.WARNING):
        result = solve_workbook(source, target)
    assert result.exit_code == ExitCode.OK
    assert result.output == tmp_path / "plan (2).xlsx"
    assert openpyxl.load_workbook(result.output).sheetnames[0] == "answer"
    assert target.read_bytes() == b"previous plan"  # Excel's copy is left alone
    assert "open in Excel" in caplog.text and "plan (2).xlsx instead" in caplog.text


def test_sweep_opened_in_excel_during_the_runs_is_written_beside_it(
        tmp_path: Path, source: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "sweep (2).xlsx").write_bytes(b"taken")
    lock_during(monkeypatch, sweep, "run_all", tmp_path / "~$sweep.xlsx")
    results, written = sweep_workbook(source, tmp_path / "sweep.xlsx", ["demand.quantity=50"])
    assert [r.status for r in results] == ["optimal", "optimal"]
    assert written == tmp_path / "sweep (3).xlsx"
    assert openpyxl.load_workbook(written).sheetnames == ["runs", "frontier", "tornado"]
    assert (tmp_path / "sweep (2).xlsx").read_bytes() == b"taken"


def test_batch_plan_opened_in_excel_is_written_beside_it(tmp_path: Path) -> None:
    (tmp_path / "~$case_plan.xlsx").write_bytes(b"")
    result = CaseResult("case.xlsx", "optimal", 0, 1.0, plan_bytes=b"plan")
    batch._write_plan(result, tmp_path, [])
    assert not result.failed
    assert result.plan == str(tmp_path / "case_plan (2).xlsx")
    assert Path(result.plan).read_bytes() == b"plan"


# ---- modes: the umask's, or the replaced file's; a read-only plan stays -----------------------


@pytest.fixture
def umask() -> Iterator[Callable[[int], None]]:
    previous = os.umask(0o022)
    yield os.umask
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_outputs_take_the_umask(tmp_path: Path, umask: Callable[[int], None]) -> None:
    assert mode(write_plan(small_plan(), tmp_path / "a.xlsx")) == 0o644
    umask(0o002)
    assert mode(write_plan(small_plan(), tmp_path / "b.xlsx")) == 0o664


def test_an_existing_output_keeps_its_mode(tmp_path: Path, umask: Callable[[int], None]) -> None:
    target = tmp_path / "plan.xlsx"
    target.write_bytes(b"old")
    target.chmod(0o660)
    write_plan(small_plan(), target)
    assert mode(target) == 0o660 and target.read_bytes()[:2] == b"PK"


def test_a_read_only_plan_is_not_replaced(tmp_path: Path, source: Path) -> None:
    target = tmp_path / "plan.xlsx"
    target.write_bytes(b"keep me")
    target.chmod(0o444)
    with pytest.raises(OutputError, match="read-only"):
        check_output_path(target)  # refused even by root, who could write it
    result = run_cli("solve", str(source), "-o", str(target))
    assert result.returncode == ExitCode.OUTPUT_UNWRITABLE, result.stderr
    assert "read-only" in result.stderr
    assert target.read_bytes() == b"keep me" and mode(target) == 0o444


# ---- the input's hash is of the bytes that were solved --------------------------------------


@pytest.mark.parametrize("change", ["deleted", "edited"])
def test_plan_hashes_the_bytes_it_was_solved_from(
        tmp_path: Path, source: Path, monkeypatch: pytest.MonkeyPatch, change: str) -> None:
    solved_from = sha256(source)

    def meanwhile(*args: object, **kwargs: object) -> object:
        if change == "deleted":
            source.unlink()
        else:
            write_workbook(source, tiny_sheets(demand=[["country", "material", "year",
                                                        "quantity"], ["JPN", "OXIDE", None, 7]]))
        return original(*args, **kwargs)

    original = pipeline.solve_with_start
    monkeypatch.setattr(pipeline, "solve_with_start", meanwhile)
    result = solve_workbook(source, tmp_path / "plan.xlsx")
    assert result.plan is not None
    assert result.plan.run_info["input_sha256"] == solved_from
    book = openpyxl.load_workbook(result.output)
    assert book.custom_doc_props["input_sha256"].value == solved_from


def test_an_input_saved_while_it_is_read_is_refused(
        tmp_path: Path, source: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = validate.read_workbook

    def saved_meanwhile(path: Path) -> object:
        book = original(path)
        source.write_bytes(source.read_bytes() + b"\0")
        return book

    monkeypatch.setattr(validate, "read_workbook", saved_meanwhile)
    with pytest.raises(InputError) as err:
        validate.load_inputs(source)
    assert "changed while it was being read" in str(err.value.issues[0])


def test_hashing_never_reads_an_endless_device() -> None:
    with pytest.raises(InputError, match="problem"):
        validate.load_inputs("/dev/zero")  # refused after 8 bytes, not hashed forever
