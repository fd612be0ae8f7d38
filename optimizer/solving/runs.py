"""What one solve reports in a study: a sweep run's row and a batch case's row. Results may
come back from other processes or Dask workers: they hold plain, small data."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from optimizer.contract.variations import Run
from optimizer.errors import ExitCode, Status


@dataclass
class RunResult:
    run: Run
    status: Status
    exit_code: int
    objective: float | None = None
    seconds: float = 0.0
    message: str = ""
    summary: dict[str, Any] = field(default_factory=dict)
    shares: list[dict[str, Any]] = field(default_factory=list)
    headline: dict[str, Any] = field(default_factory=dict)  # see solving.headline; {} failed
    minimised: float | None = None  # the objective HiGHS minimised (risk-adjusted under cvar)
    bound: float | None = None  # its best bound
    builds: tuple[tuple[str, str, int], ...] = ()  # (site, option, year) per build, sorted
    stopped: str = ""  # why its gap is wider than asked: its solve stopped at a time limit
    same_as_base: bool = False  # its changes leave the inputs as they are: the base's plan
    # by measured difference (limits_cost, ...): where its comparisons' solves stopped
    comparisons_stopped: dict[str, str] = field(default_factory=dict)


@dataclass
class CaseResult:
    input: str
    status: Status
    exit_code: int
    objective: float | None = None
    mip_gap: float | None = None
    seconds: float = 0.0
    message: str = ""
    plan: str = ""  # the plan's path once written
    plan_bytes: bytes | None = None
    headline: dict[str, Any] = field(default_factory=dict)  # see solving.headline; {} failed

    @property
    def failed(self) -> bool:
        return self.exit_code not in (ExitCode.OK, ExitCode.TIME_LIMIT_WITH_PLAN)

    def row(self) -> dict[str, Any]:
        """The summary's row: the result's fields with the headline's spread out."""
        row = asdict(self)
        row.pop("plan_bytes")
        headline = row.pop("headline")
        return {**row, **headline}
