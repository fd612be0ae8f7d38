"""Parameter variations from the `sweeps` sheet or `--vary`, and their checks.

A variation names a sheet, a column, the rows it touches (`where`, e.g.
`country=CHN; material=NDFEB`; blank: every row), a mode (`set` replaces the value, `scale`
multiplies it) and a list of values. A sweep with one variation runs one value at a time; the
variations that share a sweep name form a grid. A `base` run with the inputs unchanged comes
first.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from optimizer.contract.cells import value_problem
from optimizer.contract.inputs import ROW, Inputs
from optimizer.contract.names import intended
from optimizer.contract.schema import (
    SETTINGS_BY_NAME,
    SHEETS_BY_NAME,
    UNLIMITED,
    Column,
    Issue,
    Kind,
)
from optimizer.errors import InputError, UsageError

BASE = "base"


_VARY = re.compile(r"^\s*(?P<sheet>\w+)\.(?P<column>\w+)\s*(\[(?P<where>[^\]]*)\])?\s*"
                   r"(?P<op>=|\*=)\s*(?P<values>.+)$")


@dataclass(frozen=True)
class Variation:
    sweep: str
    sheet: str
    column: str
    where: tuple[tuple[str, str], ...]  # (column, value) pairs every touched row matches
    mode: str  # "set" or "scale"
    values: tuple[float, ...]
    origin: str  # where the variation was written, for messages
    row: int | None = None  # its row on the sweeps sheet

    @property
    def label(self) -> str:
        where = "; ".join(f"{c}={v}" for c, v in self.where)
        return f"{self.sheet}.{self.column}" + (f"[{where}]" if where else "") + \
            (" x" if self.mode == "scale" else "")


@dataclass
class Run:
    name: str  # the sweep it belongs to (or "base")
    changes: tuple[tuple[Variation, float], ...] = ()


def parse_where(text: str | None) -> tuple[tuple[str, str], ...]:
    """`country=CHN; material=NDFEB` -> (("country", "CHN"), ("material", "NDFEB"))."""
    pairs = []
    for part in (text or "").replace(",", ";").split(";"):
        if not part.strip():
            continue
        if "=" not in part:
            raise ValueError(f"'{part.strip()}' is not column=value (e.g. country=CHN; "
                             "material=NDFEB)")
        column, value = (s.strip() for s in part.split("=", 1))
        pairs.append((column.lower(), value))
    return tuple(pairs)


def parse_values(text: str) -> tuple[float, ...]:
    """`0.5, 20%, 1e3` -> (0.5, 0.2, 1000.0); ValueError naming an item that is no number.
    Infinite and huge values parse: the checks refuse them with the column's bounds."""
    values = []
    for part in str(text).split(","):
        item = part.strip()
        if not item:
            continue
        try:
            number = float(item.removesuffix("%").strip())
        except ValueError:
            raise ValueError(f"'{item}' is not a number") from None
        values.append(number / 100 if item.endswith("%") else number)
    return tuple(values)


def parse_vary(text: str) -> Variation:
    """`sheet.column[where]=v1,v2` (set) or `sheet.column[where]*=f1,f2` (scale)."""
    match = _VARY.match(text)
    if not match:
        raise UsageError(f"--vary '{text}': expected sheet.column[where]=v1,v2,... "
                         "(or *= to scale)")
    try:
        where = parse_where(match["where"])
        values = parse_values(match["values"])
    except ValueError as exc:
        raise UsageError(f"--vary '{text}': {exc}") from exc
    if not values:
        raise UsageError(f"--vary '{text}': no values")
    return Variation(text, match["sheet"].lower(), match["column"].lower(), where,
                     "scale" if match["op"] == "*=" else "set", values, f"--vary '{text}'")


def variations_from_sheet(inputs: Inputs) -> list[Variation]:
    """The variations of the sweeps sheet; InputError listing every problem it has."""
    issues = sweeps_sheet_issues(inputs)
    if issues:
        raise InputError(issues, str(inputs.path))
    return _sheet_variations(inputs, set())[0]


def sweeps_sheet_issues(inputs: Inputs, reported: set | frozenset = frozenset()) -> list[Issue]:
    """Every problem of the sweeps sheet at once, each at its row and column: what cannot be
    parsed and what the checks find. The validator and `optimizer sweep` both run this; rows
    with a cell in `reported` (already an error) are skipped."""
    variations, issues = _sheet_variations(inputs, reported)
    for v in variations:
        issues += [Issue(message, "sweeps", v.row, column) for column, message in
                   _problems(inputs, v)]
    return issues


def _sheet_variations(inputs: Inputs, reported: set | frozenset
                      ) -> tuple[list[Variation], list[Issue]]:
    out, issues = [], []
    for rec in inputs.tables["sweeps"].to_dict("records"):
        row = rec[ROW]
        if any(("sweeps", row, c) in reported for c in _SWEEP_COLUMNS) or \
                any(rec[c] is None for c in _SWEEP_COLUMNS if c != "where"):
            continue  # a bad or blank cell, reported where it is
        problems = []
        try:
            where = parse_where(rec["where"])
        except ValueError as exc:
            problems.append(Issue(str(exc), "sweeps", row, "where"))
        try:
            values = parse_values(rec["values"])
            if not values:
                problems.append(Issue("no values", "sweeps", row, "values"))
        except ValueError as exc:
            problems.append(Issue(f"expected comma-separated numbers, got '{rec['values']}' "
                                  f"({exc})", "sweeps", row, "values"))
        if problems:
            issues += problems
            continue
        out.append(Variation(rec["sweep"], rec["sheet"], rec["column"], where, rec["mode"],
                             values, f"sweeps row {row}", row))
    return out, issues


def check_variations(inputs: Inputs, variations: list[Variation]) -> None:
    """Every variation names a numeric column, matches at least one row, and gives values
    (set, or scaled) that the column accepts; raise InputError (sweeps rows) or UsageError
    (--vary) listing every problem."""
    issues, usage = [], []
    for v in variations:
        for column, message in _problems(inputs, v):
            if v.row is None:
                usage.append(f"{v.origin}: {message}")
            else:
                issues.append(Issue(message, "sweeps", v.row, column))
    if usage:
        raise UsageError("; ".join(usage))
    if issues:
        raise InputError(issues, str(inputs.path))


def _problems(inputs: Inputs, v: Variation) -> list[tuple[str, str]]:
    """(sweeps column, message) for each problem of `v`."""
    column, problem = _target(v)
    if column is None:
        return [problem]
    if v.sheet != "settings":
        sheet = SHEETS_BY_NAME[v.sheet]
        unknown = [c for c, _ in v.where if c not in sheet.column_names]
        if unknown:
            return [("where", f"where names '{unknown[0]}', not a column of sheet "
                              f"'{v.sheet}'")]
        if not any(_matching_rows(inputs.tables[v.sheet], v.where)):
            where = "; ".join(f"{c}={val}" for c, val in v.where)
            return [("where", f"where '{where}' matches no row of sheet '{v.sheet}'")]
    return [("values", message) for message in _value_problems(inputs, v, column)]


def _target(v: Variation) -> tuple[Column | None, tuple[str, str]]:
    """The varied column, or the problem with naming it."""
    if v.sheet == "settings" and v.column in FIXED_PER_PROCESS:
        return None, ("column", f"'{v.column}' cannot vary within a sweep: "
                                f"{FIXED_PER_PROCESS[v.column]}; set it on the settings sheet "
                                "and run one sweep for each")
    if v.sheet == "settings":
        column = SETTINGS_BY_NAME.get(v.column)
        if column is None or not column.is_numeric:
            numeric = ", ".join(c.name for c in _numeric(SETTINGS_BY_NAME.values()))
            return None, ("column", f"'{v.column}' is not a numeric setting (numeric "
                                    f"settings: {numeric})")
        return column, ("", "")
    sheet = SHEETS_BY_NAME.get(v.sheet)
    if sheet is None:
        return None, ("sheet", f"unknown sheet '{v.sheet}'")
    if v.column not in sheet.column_names:
        numeric = [c.name for c in _numeric(sheet.columns)]
        meant = intended(v.column, numeric)
        hint = f"did you mean '{meant}'?" if meant else \
            f"numeric columns: {', '.join(numeric) or 'none'}"
        return None, ("column", f"sheet '{v.sheet}' has no numeric column '{v.column}' "
                                f"({hint})")
    if not sheet.column(v.column).is_numeric:
        return None, ("column", f"column '{v.column}' of sheet '{v.sheet}' is not numeric "
                                "and cannot be swept")
    return sheet.column(v.column), ("", "")


def _numeric(columns: Iterable[Column]) -> list[Column]:
    return [c for c in columns if c.is_numeric]


def _value_problems(inputs: Inputs, v: Variation, column: Column) -> list[str]:
    """Values to set, and the values scaling makes, must be ones the column accepts
    (finite, below the magnitude limit, in its range): the input's own bounds."""
    problems = []
    cells = _varied_cells(inputs, v) if v.mode == "scale" else []
    for value in v.values:
        if v.mode == "set":
            problem = value_problem(column, value)
            if problem is not None:
                problems.append(f"{v.sheet}.{v.column}: {problem}")
        elif not (math.isfinite(value) and value >= 0):
            problems.append(f"scale factor {value:g} is not a finite number >= 0")
        else:
            problems += _scaled_problem(v, column, value, cells)
    return problems


def _scaled_problem(v: Variation, column: Column, factor: float,
                    cells: list[tuple[int | None, Any]]) -> list[str]:
    """The first value of `cells` that `factor` takes out of the column's range, if any."""
    for row, old in cells:
        new = _new_value(column, old, "scale", factor)
        if new is not None and new != old and value_problem(column, new) is not None:
            at = "" if row is None else f" on row {row}"
            return [f"scale factor {factor:g} takes {v.sheet}.{v.column}{at} from {old:g} to "
                    f"{new:g}: expected {column.limits}"]
    return []


def _varied_cells(inputs: Inputs, v: Variation) -> list[tuple[int | None, Any]]:
    """(Excel row, value) of every cell the variation changes (row None: a setting)."""
    if v.sheet == "settings":
        return [(None, inputs.settings.get(v.column))]
    frame = inputs.tables[v.sheet]
    return [(int(row), old) for hit, old, row in zip(_matching_rows(frame, v.where),
                                                      frame[v.column], frame[ROW], strict=True)
            if hit]


def _matching_rows(frame, where: tuple[tuple[str, str], ...]) -> list[bool]:
    def same(cell: Any, text: str) -> bool:
        if cell is None:
            return text == ""
        if isinstance(cell, int | float):
            try:
                return math.isclose(float(cell), float(text))
            except ValueError:
                return False
        return str(cell) == text

    records = frame.to_dict("records")
    return [all(same(rec.get(c), val) for c, val in where) for rec in records]


def _sweeps(variations: list[Variation]) -> dict[str, list[Variation]]:
    """Variations by sweep name: a lone one runs its values, a group forms a grid."""
    by_name: dict[str, list[Variation]] = {}
    for v in variations:
        by_name.setdefault(v.sweep, []).append(v)
    return by_name


def plan_runs(variations: list[Variation]) -> list[Run]:
    """The base run, then one run per value of each lone sweep, and a grid per shared name."""
    runs = [Run(BASE)]
    for name, group in _sweeps(variations).items():
        for combo in itertools.product(*(v.values for v in group)):
            runs.append(Run(name, tuple(zip(group, combo, strict=True))))
    return runs


def count_runs(variations: list[Variation]) -> int:
    """len(plan_runs(variations)), without building a grid that may be astronomically large."""
    return 1 + sum(math.prod(len(v.values) for v in group)
                   for group in _sweeps(variations).values())


def check_size(variations: list[Variation], max_runs: int | None) -> int:
    """The number of runs; UsageError above `max_runs` (None: no limit)."""
    n = count_runs(variations)
    if max_runs is not None and n > max_runs:
        raise UsageError(f"the sweep has {n:,} runs, more than --max-runs {max_runs:,}; "
                         "vary fewer values, raise --max-runs, or pass --force")
    return n


def apply_changes(inputs: Inputs, changes: Iterable[tuple[Variation, float]]) -> Inputs:
    """A copy of `inputs` with each variation's value applied to its rows."""
    changed = Inputs(inputs.path, dict(inputs.settings), dict(inputs.tables), inputs.warnings)
    for v, value in changes:
        if v.sheet == "settings":
            column = SETTINGS_BY_NAME[v.column]
            old = changed.settings.get(v.column)
            changed.settings[v.column] = _new_value(column, old, v.mode, value)
            continue
        frame = changed.tables[v.sheet].copy()
        column = SHEETS_BY_NAME[v.sheet].column(v.column)
        for i, hit in enumerate(_matching_rows(frame, v.where)):
            if hit:
                frame.at[i, v.column] = _new_value(column, frame.at[i, v.column], v.mode, value)
        changed.tables[v.sheet] = frame
    return changed


def _new_value(column: Column, old: Any, mode: str, value: float) -> Any:
    """The cell's value after the change; blank and unlimited (inf) stay so when scaled."""
    if mode == "scale" and (old is None or math.isinf(old)):
        return old
    new = value if mode == "set" else old * value
    if column.kind in (Kind.INTEGER, Kind.YEAR) and math.isfinite(new):
        new = round(new)
    return new


def check_ranges(inputs: Inputs, run: Run) -> None:
    """A run's values must still be ones their column accepts. Each variation's values are
    checked before any run; this catches what variations of one grid make together (two
    scale factors on one column)."""
    issues = []
    for v, _ in run.changes:
        column = SETTINGS_BY_NAME[v.column] if v.sheet == "settings" else \
            SHEETS_BY_NAME[v.sheet].column(v.column)
        values = [inputs.settings.get(v.column)] if v.sheet == "settings" else \
            list(inputs.tables[v.sheet][v.column])
        problem = next((p for x in values if x is not None and not _unlimited(column, x)
                        if (p := value_problem(column, x)) is not None), None)
        if problem is not None:
            issues.append(Issue(f"{v.label} leaves a value out of range: {problem}",
                                "sweeps" if v.row else None, v.row, "values" if v.row else None))
    if issues:
        raise InputError(issues)


def _unlimited(column: Column, value: Any) -> bool:
    return column.default is UNLIMITED and value == math.inf


_SWEEP_COLUMNS = ("sweep", "sheet", "column", "where", "mode", "values")


# Settings a sweep cannot vary: HiGHS reads them once per process, so every run after the
# first would fail (or silently keep the first value).
FIXED_PER_PROCESS = {"threads": "HiGHS fixes its thread count once per process"}
