"""The solver line: its text as a pure function of what HiGHS reports, and the callbacks that
draw it on a terminal (a fake one here) while a generated MIP solves, and never elsewhere; a
local batch's line, from its workers' statuses."""

from __future__ import annotations

import io
import math
import os
import pty
import re
import subprocess
import sys
import tty
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.generate import Size, sheets
from models import build_model
from optimizer import solver_line
from optimizer.contract.validate import load_inputs
from optimizer.excel.sheets import write_sheets
from optimizer.parallel import Progress
from optimizer.solver_line import (
    ERASE,
    SolverStatus,
    amount,
    batch_text,
    duration,
    percent,
    status_text,
)
from optimizer.solving.pipeline import prepare
from optimizer.solving.solve import SolveOutcome, new_solver, solve_model
from optimizer.studies.batch import run_batch


class FakeTerminal(io.StringIO):
    """What a terminal received; it says it is one."""

    def isatty(self) -> bool:
        return True


def visible_last_line(written: str) -> str:
    """What the terminal's last line shows once everything written is applied: text after
    the last carriage return, with erase-to-end-of-line codes removed."""
    return written.split("\n")[-1].rsplit("\r", 1)[-1].replace("\x1b[K", "")


@pytest.mark.parametrize(("value", "text"), [
    (168_140_000_000, "168.14 bn"), (2_600_872.87, "2.60 M"), (12_345, "12.35 k"),
    (950, "950.00"), (1.5e12, "1.50 tn"), (-3_200_000_000, "-3.20 bn"), (0.0, "0.00"),
    (None, "-"), (math.inf, "-"), (-math.inf, "-")])
def test_amounts_are_short_with_a_scale(value: float | None, text: str) -> None:
    assert amount(value) == text


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0s"), (42.9, "42s"), (185, "3m05s"), (3725, "1h02m"), (-1, "0s")])
def test_durations(seconds: float, text: str) -> None:
    assert duration(seconds) == text


@pytest.mark.parametrize(("gap", "text"), [
    (0.0014, "0.14%"), (0.0, "0.00%"), (0.4287, "42.87%"), (None, "-"), (math.inf, "-"),
    (-1, "-")])
def test_gaps_are_percentages(gap: float | None, text: str) -> None:
    assert percent(gap) == text


def test_the_line_names_phase_time_plan_bound_and_gap() -> None:
    assert status_text("solving", 65, 168_140_000_000, 167_900_000_000, 0.00143) == \
        "solving | 1m05s | best plan 168.14 bn | bound 167.90 bn | gap 0.14%"


def test_before_the_first_plan_the_plan_and_gap_are_dashes() -> None:
    assert status_text("comparing: no_limits", 3, None, 1.2e9, math.inf) == \
        "comparing: no_limits | 3s | best plan - | bound 1.20 bn | gap -"


def test_phases_nest_and_default_to_solving() -> None:
    assert solver_line.current_phase() == "solving"
    with solver_line.phase("sweep run 3/14"), solver_line.phase("narrowing: plan"):
        assert solver_line.current_phase() == "sweep run 3/14, narrowing: plan"
    assert solver_line.current_phase() == "solving"


def test_the_batch_line_names_each_running_case_and_its_status() -> None:
    solving = SolverStatus("solving", 65, 168_140_000_000, 167_900_000_000, 0.00143,
                           from_highs=True)
    assert batch_text(3, 20, 0, [("a.xlsx", solving), ("b.xlsx", SolverStatus("reading"))]) \
        == "batch 3/20 done | a.xlsx 1m05s gap 0.14% | b.xlsx reading"


def test_the_batch_line_names_phases_other_than_solving_and_counts_failures() -> None:
    comparing = SolverStatus("comparing: no_limits", 7, None, 1.2e9, math.inf, from_highs=True)
    assert batch_text(5, 9, 2, [("a.xlsx", comparing), ("c.xlsx", SolverStatus("starting"))]) \
        == "batch 5/9 done (2 failed) | a.xlsx comparing: no_limits 7s gap - | c.xlsx starting"


def test_a_lone_running_case_also_shows_its_best_plan_and_bound() -> None:
    solving = SolverStatus("solving", 3725, 2_600_872.87, 2_590_000, 0.0042, from_highs=True)
    assert batch_text(0, 1, 0, [("big.xlsx", solving)]) == \
        "batch 0/1 done | big.xlsx 1h02m gap 0.42%, best plan 2.60 M, bound 2.59 M"
    assert batch_text(1, 1, 0, []) == "batch 1/1 done"


def test_a_line_wider_than_the_terminal_is_cut_and_erased() -> None:
    terminal = FakeTerminal()
    line = solver_line.StatusLine(terminal, redraw_s=0)
    line.show("x" * 500)
    assert len(visible_last_line(terminal.getvalue())) == solver_line.DEFAULT_WIDTH - 1
    line.clear()
    assert visible_last_line(terminal.getvalue()) == ""


def test_redraws_are_rate_limited() -> None:
    terminal = FakeTerminal()
    line = solver_line.StatusLine(terminal, redraw_s=3600)
    assert line.due()
    line.show("first")
    assert not line.due()  # an hour must pass first
    line.clear()
    assert line.due()  # a new solve draws at once


@pytest.fixture(scope="module")
def generated_case(tmp_path_factory) -> Path:
    """A small generated MIP that HiGHS solves by branching (not in presolve) within a second
    or so, finding plans on the way."""
    case = sheets(Size(6, 3, 4, 2, 1))
    case["settings"] = [*(r for r in case["settings"] if r[0] != "mip_gap"), ["mip_gap", 0.01]]
    return write_sheets(tmp_path_factory.mktemp("line") / "case.xlsx", case)


@pytest.fixture
def line_off_after() -> Iterator[None]:
    yield
    solver_line.disable()


def _solve(path: Path) -> SolveOutcome:
    data = prepare(load_inputs(path))
    f = build_model(data)
    return solve_model(f.model, data.settings, new_solver())


NUMBER = r"-?\d+\.\d\d(?: (?:k|M|bn|tn))?"
DRAWN = re.compile(rf"^comparing: no_limits \| [0-9hms]+ \| best plan {NUMBER} \| bound {NUMBER} "
                   rf"\| gap \d+\.\d\d%$")


def test_highs_callbacks_draw_the_line_on_a_terminal_and_erase_it(generated_case: Path,
                                                                   line_off_after) -> None:
    terminal = FakeTerminal()
    solver_line.enable(terminal, redraw_s=0)  # every callback draws: no timing involved
    with solver_line.phase("comparing: no_limits"):
        outcome = _solve(generated_case)
    assert outcome.has_plan
    written = terminal.getvalue()
    assert "\n" not in written  # one line, redrawn in place: nothing scrolls
    drawn = [text.replace("\x1b[K", "") for text in written.split("\r")]
    assert any(DRAWN.match(text) for text in drawn), drawn[:5]
    assert written.endswith(ERASE)
    assert visible_last_line(written) == ""


def test_nothing_is_written_where_stderr_is_not_a_terminal(generated_case: Path,
                                                           line_off_after) -> None:
    pipe = io.StringIO()  # isatty() is False, as for a pipe, a file or CI
    solver_line.enable(pipe, redraw_s=0)
    assert not solver_line.enabled()
    assert _solve(generated_case).has_plan
    assert pipe.getvalue() == ""


def test_disabled_nothing_is_written(generated_case: Path) -> None:
    terminal = FakeTerminal()
    solver_line.enable(terminal, redraw_s=0)
    solver_line.disable()  # -q, -v, or a progress bar that owns the line
    assert _solve(generated_case).has_plan
    assert terminal.getvalue() == ""


@pytest.fixture(scope="module")
def batch_case(generated_case: Path) -> Path:
    """The generated case alone, without its comparisons."""
    case = sheets(Size(6, 3, 4, 2, 1))
    case["settings"] = [*(r for r in case["settings"] if r[0] not in ("mip_gap", "compare")),
                        ["mip_gap", 0.01], ["compare", "none"]]
    return write_sheets(generated_case.parent / "batch_case.xlsx", case)


BATCH_DRAWN = re.compile(rf"^batch 0/1 done \| batch_case\.xlsx [0-9hms]+ gap \d+\.\d\d%, "
                         rf"best plan {NUMBER}, bound {NUMBER}$")


def test_a_local_batch_on_a_terminal_shows_its_running_case_and_its_gap(
        batch_case: Path, tmp_path: Path, line_off_after) -> None:
    terminal = FakeTerminal()
    solver_line.enable(terminal, redraw_s=0)  # the worker sends, the line shows, every status
    with Progress("case") as progress:
        results = run_batch([batch_case], tmp_path / "out", progress=progress)
    assert results[0].objective is not None
    written = terminal.getvalue()
    assert "\n" not in written
    drawn = [text.replace("\x1b[K", "") for text in written.split("\r")]
    assert drawn[1] == "batch 0/1 done | batch_case.xlsx starting"  # before it reports
    assert any(BATCH_DRAWN.match(text) for text in drawn), drawn
    assert visible_last_line(written) == ""  # erased when the batch ends


def test_a_batch_prints_nothing_more_where_stderr_is_not_a_terminal(
        batch_case: Path, tmp_path: Path, line_off_after, caplog) -> None:
    pipe = io.StringIO()
    solver_line.enable(pipe, redraw_s=0)
    with Progress("case") as progress, caplog.at_level("INFO", "optimizer"):
        results = run_batch([batch_case], tmp_path / "out", progress=progress)
    assert results[0].objective is not None
    assert progress.status_every_s is None  # so the worker sent no statuses
    assert pipe.getvalue() == ""
    assert caplog.messages == ["case 1/1 done (0 failed)"]


def _on_a_terminal(*args: str, cwd: Path) -> tuple[int, str]:
    """`optimizer ARGS` with stderr on a pseudo-terminal: its exit code and what the terminal
    received."""
    main, other = pty.openpty()
    tty.setraw(other)  # what the command writes, byte for byte (no \n -> \r\n)
    proc = subprocess.Popen([sys.executable, "-m", "optimizer", *args], cwd=cwd,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=other)
    os.close(other)
    received = b""
    while chunk := _read(main):
        received += chunk
    os.close(main)
    return proc.wait(timeout=600), received.decode(errors="replace")


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # the command exited: the terminal is gone
        return b""


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_the_command_draws_the_line_on_its_terminal_only(generated_case: Path,
                                                         tmp_path: Path) -> None:
    code, shown = _on_a_terminal("solve", str(generated_case), "-o", str(tmp_path / "p.xlsx"),
                                 cwd=tmp_path)
    assert code == 0, shown
    assert "\rsolving | " in shown.replace("\x1b[K", "")
    # before every newline, and at the end, the line was erased: no partial line is left
    visible = [visible_last_line(line) for line in shown.split("\n")]
    assert not any("best plan" in line for line in visible), visible
    # -v: HiGHS's own log instead (-q turns the line off by the same test)
    code, shown = _on_a_terminal("solve", str(generated_case), "-o", str(tmp_path / "p.xlsx"),
                                 "-v", cwd=tmp_path)
    assert code == 0 and "Running HiGHS" in shown and "best plan" not in shown, shown


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_the_batch_command_draws_its_line_on_its_terminal(batch_case: Path,
                                                          tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    code, shown = _on_a_terminal("batch", str(batch_case), "-o", out, cwd=tmp_path)
    assert code == 0, shown
    assert "\rbatch 0/1 done | batch_case.xlsx starting" in shown.replace("\x1b[K", "")
    visible = [visible_last_line(line) for line in shown.split("\n")]
    assert not any("batch 0/1" in line for line in visible), visible  # erased at the end
    # -v: no batch line (the bar of cases done, as before)
    code, shown = _on_a_terminal("batch", str(batch_case), "-o", out, "-v", cwd=tmp_path)
    assert code == 0 and "batch 0/1" not in shown, shown
