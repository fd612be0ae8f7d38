"""Validating an input workbook: every problem at once, each named by sheet, row and column.

Three layers, each driven by `optimizer.contract.schema`:
1. cell parsing (text in a number column, a year that is not whole, a blank required cell);
2. ranges, checked on each parsed column at once;
3. cross-sheet rules (unknown codes, duplicate keys, horizons, probabilities, recipes).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models.memory import collector_paused
from optimizer.contract.cells import (
    CellError,
    cell_issue,
    expected_text,
    out_of_range,
    parse_cell,
    percent_hint,
)
from optimizer.contract.inputs import ROW, Inputs
from optimizer.contract.names import close_codes, intended
from optimizer.contract.reader import (
    RawTable,
    RawWorkbook,
    intended_names,
    is_blank,
    near_miss,
    normalise_name,
    read_workbook,
)
from optimizer.contract.scaling import scaling_warnings
from optimizer.contract.schema import (
    ALL_MATERIALS,
    BASELINE,
    BLANK,
    COMPARE_CHOICES,
    EVERY_YEAR,
    MATERIAL_SHORTAGE_COST,
    MAX_MAGNITUDE,
    NO_GROWTH,
    NOT_DISPOSABLE,
    REF_SOURCES,
    REPLACEMENT_COST,
    REQUIRED,
    SETTINGS,
    SETTINGS_BY_NAME,
    SHEETS,
    SHEETS_BY_NAME,
    UNLIMITED,
    WHOLE_HORIZON,
    YEAR_SPANS,
    Column,
    FromSetting,
    Issue,
    Kind,
    Ref,
    Sheet,
)
from optimizer.contract.slips import slip_warnings
from optimizer.contract.variations import sweeps_sheet_issues
from optimizer.contract.wording import quantity_text
from optimizer.errors import InputError, UsageError


def load_inputs(path: str | Path, settings: Mapping[str, Any] | None = None) -> Inputs:
    """Read and validate `path`; raise InputError listing every problem. `settings` override
    the workbook's settings sheet (each checked as its cell would be; UsageError naming the
    setting otherwise), then everything is validated as if the sheet said so."""
    for key, value in (settings or {}).items():
        check_setting(key, value)
    digest = _sha256(path)
    with collector_paused():
        book = read_workbook(path)
        if settings:
            _override_settings(book, settings)
        inputs, issues = check_workbook(book)
    if any(not i.warning for i in issues):
        raise InputError(issues, str(path))
    assert inputs is not None
    if _sha256(path) != digest:  # saved while it was read: what was read is unknown
        raise InputError([Issue("the file changed while it was being read; run again")],
                         str(path))
    inputs.sha256 = digest or ""
    return inputs



def check_setting(key: str, value: Any) -> Any:
    """The typed value of setting `key` given outside the workbook (a keyword or an
    option); UsageError naming it when the name or the value is not one the schema takes."""
    column = SETTINGS_BY_NAME.get(key)
    if column is None:
        meant = intended(key, SETTINGS_BY_NAME)
        hint = f"did you mean '{meant}'?" if meant else f"known: {', '.join(SETTINGS_BY_NAME)}"
        raise UsageError(f"unknown setting '{key}': {hint}")
    try:
        parsed = parse_cell(column, value)
    except CellError as exc:
        raise UsageError(f"setting {key}={value!r}: {expected_text(column, value, exc)}") \
            from None
    if out_of_range(column, parsed):
        raise UsageError(f"setting {key}={value!r}: {expected_text(column, value)}")
    issues: list[Issue] = []
    _check_compare({key: parsed}, None, issues)
    if issues:
        raise UsageError(issues[0].message)
    return parsed


def _override_settings(book: RawWorkbook, settings: Mapping[str, Any]) -> None:
    """Put `settings` on the workbook's settings sheet as read: a setting it lists takes the
    new value in its row, any other gets a row below the last (nothing is written to the
    file)."""
    raw = book.tables.get("settings")
    if raw is None or not {"key", "value"} <= set(raw.frame.columns):
        return  # the sheet's own problem is reported as it is
    frame = raw.frame.copy()
    rows = {normalise_name(k): row for row, k in frame["key"].items() if not is_blank(k)}
    for key, value in settings.items():
        row = rows.get(key, max(frame.index, default=raw.header_row) + 1)
        frame.loc[row, ["key", "value"]] = [key, value]
    raw.frame = frame


def _sha256(path: str | Path) -> str | None:
    """The file's hash; None for what read_workbook refuses anyway (missing, unreadable, not
    a regular file: /dev/zero would never end)."""
    try:
        if not Path(path).is_file():
            return None
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except OSError:
        return None


def check_workbook(book: RawWorkbook) -> tuple[Inputs | None, list[Issue]]:
    issues = list(book.issues)
    settings, setting_rows = _parse_settings(book, issues)
    tables = {}
    for sheet in SHEETS:
        if sheet.name == "settings":
            continue
        raw = book.tables.get(sheet.name)
        tables[sheet.name] = _parse_table(sheet, raw, settings, book, issues)
    _check_ranges(tables, book, issues)
    _check_across_sheets(settings, setting_rows, tables, book, issues)
    issues += _sweep_issues(Inputs(book.path, settings, tables, []), issues)
    issues += scaling_warnings(tables, ROW)
    issues += slip_warnings(tables, settings, ROW)
    issues += horizon_warnings(settings, tables)
    inputs = Inputs(book.path, settings, tables, [i for i in issues if i.warning])
    return inputs, sorted(_dedupe(issues), key=_issue_order)


def _sweep_issues(inputs: Inputs, issues: list[Issue]) -> list[Issue]:
    """The sweeps sheet, checked as `optimizer sweep` checks it (one function for both)."""
    return sweeps_sheet_issues(inputs, _error_cells(issues))


_SHEET_ORDER = {s.name: i for i, s in enumerate(SHEETS)}
MEANT_SHOWN = 3  # codes an unknown code's message offers at most


def _issue_order(issue: Issue) -> tuple:
    sheet = _SHEET_ORDER.get(issue.sheet or "", -1)
    columns = SHEETS_BY_NAME[issue.sheet].column_names if issue.sheet in SHEETS_BY_NAME else ()
    column = columns.index(issue.column) if issue.column in columns else len(columns)
    return (sheet, issue.row or 0, column)


def _dedupe(issues: list[Issue]) -> list[Issue]:
    seen, out = set(), []
    for i in issues:
        if (key := str(i)) not in seen:
            seen.add(key)
            out.append(i)
    return out


# ---------------------------------------------------------------------------------------------
# Layer 1: cells


def _default_value(column: Column, settings: dict[str, Any]) -> Any:
    default = column.default
    if isinstance(default, FromSetting):
        return settings.get(default.setting)
    if default in (BLANK, EVERY_YEAR, WHOLE_HORIZON, ALL_MATERIALS, REPLACEMENT_COST,
                   MATERIAL_SHORTAGE_COST, NO_GROWTH, NOT_DISPOSABLE):
        return None
    if default is UNLIMITED:
        return math.inf
    return default


def _parse_settings(book: RawWorkbook,
                    issues: list[Issue]) -> tuple[dict[str, Any], dict[str, int]]:
    """Typed settings with defaults, and the sheet row of each setting given."""
    raw = book.tables.get("settings")
    values: dict[str, Any] = {}
    rows: dict[str, int] = {}
    if raw is not None and "value" not in raw.frame.columns and "key" in raw.frame.columns:
        issues.append(Issue("required column 'value' is missing", "settings", raw.header_row,
                            "value"))
    if raw is not None and {"key", "value"} <= set(raw.frame.columns):
        for row, key_cell, value in raw.frame[["key", "value"]].itertuples():
            key = normalise_name(key_cell)
            if is_blank(key_cell):
                issues.append(Issue("the setting's name is blank", "settings", row, "key"))
                continue
            column = SETTINGS_BY_NAME.get(key)
            if column is None:
                issues.append(near_miss(key, SETTINGS_BY_NAME, "a setting", "settings", row,
                                        "key")
                              or Issue(f"unknown setting '{key}' is ignored (known: "
                                       f"{', '.join(SETTINGS_BY_NAME)})", "settings", row,
                                       "key", warning=True))
                continue
            if key in rows:
                issues.append(Issue(f"setting '{key}' is given twice (also row {rows[key]})",
                                    "settings", row, "key"))
                continue
            rows[key] = row
            if ("settings", row, "value") in book.bad_cells or is_blank(value):
                if column.required and ("settings", row, "value") not in book.bad_cells:
                    issues.append(Issue(f"setting '{key}' needs a value ({column.expectation})",
                                        "settings", row, "value"))
                continue
            try:
                parsed = parse_cell(column, value)
            except CellError as exc:
                issues.append(Issue(f"setting '{key}': {expected_text(column, value, exc)}",
                                    "settings", row, "value"))
                continue
            if out_of_range(column, parsed):
                issues.append(Issue(f"setting '{key}': {expected_text(column, value)}",
                                    "settings", row, "value"))
                continue
            values[key] = parsed
    meant = intended_names(issues)
    for setting in SETTINGS:
        column = setting.column
        if column.name in values:
            continue
        if column.required:
            if raw is not None and column.name not in rows and column.name not in meant:
                issues.append(Issue(f"setting '{column.name}' is missing: add a row with key "
                                    f"'{column.name}' ({column.description})", "settings"))
            values[column.name] = None
        elif not isinstance(column.default, FromSetting):
            values[column.name] = _default_value(column, values)
    for setting in SETTINGS:  # defaults that point at other settings
        column = setting.column
        if column.name not in values and isinstance(column.default, FromSetting):
            values[column.name] = values.get(column.default.setting)
    return values, rows


def _parse_table(sheet: Sheet, raw: RawTable | None, settings: dict[str, Any],
                 book: RawWorkbook, issues: list[Issue]) -> pd.DataFrame:
    if raw is None:
        frame = pd.DataFrame({c.name: pd.Series(dtype=object) for c in sheet.columns})
        frame[ROW] = pd.Series(dtype=object)
        return frame
    source = raw.frame
    rows = source.index.tolist()
    out: dict[str, list[Any]] = {}
    for column in sheet.columns:
        if column.name not in source.columns:  # a missing column is reported once
            out[column.name] = [None if column.required
                                else _default_value(column, settings)] * len(rows)
            continue
        out[column.name] = _parse_column(sheet, column, rows, source[column.name].tolist(),
                                         settings, book, issues)
    frame = pd.DataFrame(out, index=source.index, dtype=object)  # keep None, not NaN
    for column in sheet.columns:
        if column.kind is Kind.SHARE:
            _hint_percentage_points(sheet, column, frame, issues)
    frame[ROW] = frame.index
    return frame.reset_index(drop=True)


_UNDECIDED = object()  # a cell the quick pass leaves to the full parser


def _parse_column(sheet: Sheet, column: Column, rows: list[int], values: list[Any],
                  settings: dict[str, Any], book: RawWorkbook,
                  issues: list[Issue]) -> list[Any]:
    """Each cell's typed value: the plain ones (trimmed text, numbers of a sensible size) in
    one quick pass, the rest (blanks, typed text, errors) through the full parser."""
    parsed = _quick_values(column.kind, values)
    reported = {row for sheet_name, row, name in book.bad_cells
                if sheet_name == sheet.name and name == column.name}
    if not reported and _UNDECIDED not in parsed:  # a column of plain cells
        return parsed
    for i, value in enumerate(parsed):
        if value is _UNDECIDED or rows[i] in reported:
            parsed[i] = _parse_record_cell(sheet, column, rows[i], values[i], settings, book,
                                           issues)
    return parsed


def _quick_values(kind: Kind, values: list[Any]) -> list[Any]:
    """What parse_cell gives for the cells that are plainly valid (pandas reads whole numbers
    as int), _UNDECIDED for the others."""
    kinds = set(map(type, values))
    if kind in (Kind.CODE, Kind.TEXT, Kind.LIST):
        trimmed = list(map(str.strip, values)) if kinds <= {str} else \
            [v.strip() if type(v) is str else "" for v in values]
        return [text if text else _UNDECIDED for text in trimmed] if "" in trimmed \
            else trimmed
    if kind in (Kind.NUMBER, Kind.SHARE):
        numbers = _plain_numbers(values) if kinds <= {float, int} else None
        if numbers is not None:
            return numbers
        return [float(v) if type(v) in (float, int) and -MAX_MAGNITUDE < v < MAX_MAGNITUDE
                else _UNDECIDED for v in values]
    if kind in (Kind.INTEGER, Kind.YEAR):
        if kinds <= {int} and max(map(abs, values), default=0) < MAX_MAGNITUDE:
            return list(values)
        return [v if type(v) is int and -MAX_MAGNITUDE < v < MAX_MAGNITUDE else _UNDECIDED
                for v in values]
    return [_UNDECIDED] * len(values)


def _plain_numbers(values: list[float | int]) -> list[float] | None:
    """The numbers as floats in one pass when every one is within MAX_MAGNITUDE of 0 (none
    NaN); None when one is not."""
    try:
        array = np.array(values, dtype=float)
    except OverflowError:  # an int too large for a float
        return None
    return array.tolist() if bool(np.all(np.abs(array) < MAX_MAGNITUDE)) else None


def _parse_record_cell(sheet: Sheet, column: Column, row: int, value: Any,
                       settings: dict[str, Any], book: RawWorkbook,
                       issues: list[Issue]) -> Any:
    if (sheet.name, row, column.name) in book.bad_cells:
        return None  # reported by the reader (error cell, formula never calculated)
    if is_blank(value):
        if column.default is REQUIRED:
            issues.append(Issue(f"required value is blank (expected {column.expectation})",
                                sheet.name, row, column.name))
            return None
        return _default_value(column, settings)
    try:
        return parse_cell(column, value)
    except CellError as exc:
        issues.append(cell_issue(sheet.name, row, column, value, exc))
        return None


def _hint_percentage_points(sheet: Sheet, column: Column, frame: pd.DataFrame,
                            issues: list[Issue]) -> None:
    values = pd.to_numeric(frame[column.name], errors="coerce")
    for row in frame.index[(values > 1) & (values <= 100)]:
        issues.append(Issue(f"expected {column.expectation}, got {values[row]:g}"
                            f"{percent_hint(column, float(values[row]))}", sheet.name,
                            int(row), column.name))
        frame.at[row, column.name] = None  # reported here; not again by the range check


# ---------------------------------------------------------------------------------------------
# Layer 2: ranges (vectorised over each column: every failing cell at once)


def _check_ranges(tables: dict[str, pd.DataFrame], book: RawWorkbook,
                  issues: list[Issue]) -> None:
    for name, frame in tables.items():
        sheet = SHEETS_BY_NAME[name]
        for column in (c for c in sheet.columns if c.is_numeric):
            values = frame[column.name].to_numpy(dtype=float, na_value=np.nan)
            for pos in np.flatnonzero(_out_of_bounds(column, values)).tolist():
                issues.append(Issue(expected_text(column, values[pos]), name,
                                    int(frame.at[pos, ROW]), column.name))
                frame.at[pos, column.name] = None


def _out_of_bounds(column: Column, values: np.ndarray) -> np.ndarray:
    """Which values break one of the column's bounds; blanks (NaN) break none."""
    with np.errstate(invalid="ignore"):
        bad = np.zeros(len(values), dtype=bool)
        if column.ge is not None:
            bad |= values < column.ge
        if column.gt is not None:
            bad |= values <= column.gt
        if column.le is not None:
            bad |= values > column.le
        if column.lt is not None:
            bad |= values >= column.lt
    return bad


# ---------------------------------------------------------------------------------------------
# Layer 3: across sheets


def _codes(tables: dict[str, pd.DataFrame], sheet: str, column: str) -> set[str]:
    return {v for v in tables[sheet][column] if v is not None}


def _check_across_sheets(settings: dict[str, Any], setting_rows: dict[str, int],
                         tables: dict[str, pd.DataFrame], book: RawWorkbook,
                         issues: list[Issue]) -> None:
    _check_horizon(settings, setting_rows.get("first_year"), issues)
    _check_compare(settings, setting_rows.get("compare"), issues)
    _check_required_rows(tables, book, issues)
    shared = _shared_keys(tables)
    _check_duplicate_keys(tables, shared, issues)
    _check_case_twins(tables, issues)
    _check_groups(tables, issues)
    _check_references(tables, issues)
    _check_recipes(tables, issues)
    _check_year_pairs(tables, book, issues)
    _check_shortage_costs(settings, setting_rows, tables, issues)
    _check_growth(tables, issues)
    _check_stockpiles(tables, issues)
    _check_scenarios(tables, issues)
    _check_route_precedence(tables, shared.get("routes"), issues)


def _check_compare(settings: dict[str, Any], row: int | None, issues: list[Issue]) -> None:
    """Each comma-separated word of `compare` names a counterfactual (or `none`)."""
    words = [w.strip() for w in str(settings.get("compare") or "").split(",") if w.strip()]
    bad = [w for w in words if w.lower() not in COMPARE_CHOICES]
    if bad:
        issues.append(Issue(f"setting 'compare': {', '.join(repr(w) for w in bad)} is not a "
                            f"comparison (expected comma-separated words from "
                            f"{', '.join(COMPARE_CHOICES)})", "settings", row, "value"))


def _check_horizon(settings: dict[str, Any], row: int | None, issues: list[Issue]) -> None:
    first, last = settings.get("first_year"), settings.get("last_year")
    if first is not None and last is not None:
        if first > last:
            issues.append(Issue(f"first_year {first} is after last_year {last}", "settings",
                                row, "value"))
        elif last - first >= 200:
            issues.append(Issue(f"the horizon {first}-{last} is longer than 200 years",
                                "settings", row, "value"))


def _check_required_rows(tables: dict[str, pd.DataFrame], book: RawWorkbook,
                         issues: list[Issue]) -> None:
    """A required sheet that is there has rows (one that is not is reported by the reader)."""
    for sheet in SHEETS:
        if sheet.required and sheet.name in book.tables and sheet.name in tables and \
                tables[sheet.name].empty:
            issues.append(Issue(f"the sheet has no rows; at least one {sheet.key[0]} is "
                                "needed", sheet.name))


def _shared_keys(tables: dict[str, pd.DataFrame]) -> dict[str, np.ndarray]:
    """For each sheet with a key, whether each row shares its key with another row."""
    return {name: frame.duplicated(subset=list(SHEETS_BY_NAME[name].key), keep=False)
            .to_numpy() for name, frame in tables.items()
            if SHEETS_BY_NAME[name].key and not frame.empty}


def _check_duplicate_keys(tables: dict[str, pd.DataFrame], shared_keys: dict[str, np.ndarray],
                          issues: list[Issue]) -> None:
    bad = _error_cells(issues)
    for name, frame in tables.items():
        sheet = SHEETS_BY_NAME[name]
        if name not in shared_keys:
            continue
        seen: dict[tuple, int] = {}
        # only rows that share their key with another can be or precede a duplicate
        shared = frame[shared_keys[name]]
        for record in zip(*columns(shared, [*sheet.key, ROW]), strict=True):
            key, row = record[:-1], record[-1]
            if any(v is None for v in key) and not _blank_key_allowed(sheet, key):
                continue  # a blank required key cell is already reported
            if any((name, row, c) in bad for c in sheet.key):
                continue  # an unreadable key cell is reported; it is not a blank one
            if key in seen:
                shown = ", ".join(f"{c}={'(blank)' if v is None else v}"
                                  for c, v in zip(sheet.key, key, strict=True))
                issues.append(Issue(f"duplicate row ({shown}) also on row {seen[key]}", name,
                                    row, sheet.key[0]))
            else:
                seen[key] = row


def _error_cells(issues: list[Issue]) -> set[tuple[str | None, int | None, str | None]]:
    """Cells already reported as errors: checks that need their values stay silent on them."""
    return {(i.sheet, i.row, i.column) for i in issues if not i.warning}


def _blank_key_allowed(sheet: Sheet, key: tuple) -> bool:
    return all(v is not None or not sheet.column(c).required
               for c, v in zip(sheet.key, key, strict=True))


def _check_case_twins(tables: dict[str, pd.DataFrame], issues: list[Issue]) -> None:
    """Codes that differ only by case (`USA`, `usa`) are one code to Excel (table headers,
    filters) and to anyone reading the plan: an error at the later one."""
    for sources in dict.fromkeys(REF_SOURCES.values()):
        first: dict[str, tuple[str, str, str, int]] = {}  # lower case -> where first seen
        for sheet, column in sources:
            for code, row in tables[sheet][[column, ROW]].itertuples(index=False):
                if code is None:
                    continue
                seen = first.setdefault(code.lower(), (code, sheet, column, row))
                if seen[0] != code:
                    where = f"row {seen[3]}" if seen[1] == sheet else \
                        f"sheet '{seen[1]}', row {seen[3]}"
                    issues.append(Issue(f"{column} '{code}' differs only by case from "
                                        f"{seen[2]} '{seen[0]}' on {where}; codes must differ "
                                        "by more than case", sheet, row, column))


def choose_routes(records: Iterable[dict[str, Any]], groups: dict[str, tuple[str, ...]],
                  materials: list[str]) -> tuple[dict[tuple[str, str, str], dict], list[Issue]]:
    """The row that holds each route (from, to, material) once groups and blank materials are
    expanded: the most specific (a country over a group, a material over blank); and a problem
    for each row as specific as another on the same route, where neither can win."""
    chosen: dict[tuple[str, str, str], tuple[int, dict[str, Any]]] = {}
    issues = []
    for record in records:
        origin, dest, material = record["from_country"], record["to_country"], record["material"]
        rank = (origin not in groups) + (dest not in groups) + (material is not None)
        if rank == 3 and origin != dest:  # most rows of a large table: one route, no expansion
            key = (origin, dest, material)
            if key in chosen:
                _hold_route(chosen, key, rank, record, issues)
            else:
                chosen[key] = (rank, record)
            continue
        for key in _route_keys(origin, dest, material, groups, materials):
            _hold_route(chosen, key, rank, record, issues)
    return {key: record for key, (_, record) in chosen.items()}, issues


def _route_keys(origin: str, dest: str, material: str | None,
                groups: dict[str, tuple[str, ...]],
                materials: list[str]) -> Iterator[tuple[str, str, str]]:
    """The routes a row names once its groups and a blank material are expanded."""
    # a country listed twice in a group (a duplicate row, reported as such) is one route
    for exporter in dict.fromkeys(groups.get(origin, (origin,))):
        for importer in dict.fromkeys(groups.get(dest, (dest,))):
            if exporter != importer:
                for shipped in [material] if material else materials:
                    yield exporter, importer, shipped


def _hold_route(chosen: dict[tuple[str, str, str], tuple[int, dict[str, Any]]],
                key: tuple[str, str, str], rank: int, record: dict[str, Any],
                issues: list[Issue]) -> None:
    """Give route `key` to `record` if it is more specific than the row holding it."""
    held = chosen.get(key)
    if held is not None and held[0] == rank and held[1] is not record:
        origin, dest, material = key
        issues.append(Issue(f"route {origin}->{dest} for {material} is also given by row "
                            f"{held[1][ROW]} with the same specificity; keep one",
                            "routes", record[ROW], "from_country"))
    if held is None or held[0] < rank:
        chosen[key] = (rank, record)


def columns(frame: pd.DataFrame, names: list[str]) -> list[list[Any]]:
    """The values of each column named, as Python objects (faster to walk than rows)."""
    return [frame[name].tolist() for name in names]


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows as dicts, as `to_dict("records")` gives them, without its per-cell cost."""
    names = list(frame.columns)
    return [dict(zip(names, row, strict=True))
            for row in zip(*columns(frame, names), strict=True)]


def _check_route_precedence(tables: dict[str, pd.DataFrame], shared: np.ndarray | None,
                            issues: list[Issue]) -> None:
    """Rows as specific as another on the same route; `shared`: whether each row shares
    its key (from, to, material) with another row (None: the sheet has no rows)."""
    if shared is None:
        return
    groups: dict[str, tuple[str, ...]] = {}
    for group, country in tables["groups"][["group", "country"]].itertuples(index=False):
        groups[group] = (*groups.get(group, ()), country)
    materials = list(tables["materials"]["material"])
    routes = tables["routes"][["from_country", "to_country", "material", ROW]]
    contested = routes[_contested(routes, shared, groups, materials)]
    issues += choose_routes(records(contested), groups, materials)[1]


def _contested(routes: pd.DataFrame, shared: np.ndarray, groups: dict[str, tuple[str, ...]],
               materials: list[str]) -> np.ndarray:
    """Rows that may share a route with another row (a few more, never fewer): a row alone on
    its routes holds them unchallenged, so choose_routes finds the same problems among these
    rows as among all of them, without walking every row of a large table. `shared`: the
    rows that share (from, to, material) with another."""
    origins, dests, materials_named = columns(routes, ["from_country", "to_country",
                                                       "material"])
    grouped = set(groups)
    specific = ~(_member(origins, grouped) | _member(dests, grouped)
                 | _member(materials_named, {None}))
    general = np.flatnonzero(~specific).tolist()
    expanded = {key for i in general for key in _route_keys(
        origins[i], dests[i], materials_named[i], groups, materials)}
    contested = ~specific | shared
    if expanded:
        named = zip(origins, dests, materials_named, strict=True)
        contested |= np.fromiter((key in expanded for key in named), dtype=bool,
                                 count=len(origins))
    return contested


def _member(values: list[Any], among: set[Any]) -> np.ndarray:
    """Whether each value is in `among`, deciding each distinct value once."""
    inside = set(values) & among
    if not inside:
        return np.zeros(len(values), dtype=bool)
    return np.fromiter(map(inside.__contains__, values), dtype=bool, count=len(values))


def _check_groups(tables: dict[str, pd.DataFrame], issues: list[Issue]) -> None:
    countries = _codes(tables, "countries", "country")
    for group, row in tables["groups"][["group", ROW]].itertuples(index=False):
        if group in countries:
            issues.append(Issue(f"group '{group}' has the same name as a country; rename the "
                                "group", "groups", row, "group"))


def _check_references(tables: dict[str, pd.DataFrame], issues: list[Issue]) -> None:
    known: dict[Ref, set[str]] = {
        ref: set().union(*(_codes(tables, s, c) for s, c in sources))
        for ref, sources in REF_SOURCES.items()
    }
    known[Ref.SHEET] = set(SHEETS_BY_NAME)
    for name, frame in tables.items():
        for column in SHEETS_BY_NAME[name].columns:
            if column.ref is None:
                continue
            valid = known[column.ref]
            values = frame[column.name].tolist()
            if set(values) <= valid | {None}:  # most columns: no row to walk
                continue
            messages: dict[str, str] = {}  # a code misspelt on many rows is looked up once
            for value, row in zip(values, frame[ROW].tolist(), strict=True):
                if value is not None and value not in valid:
                    if value not in messages:
                        messages[value] = _unknown_code_message(column.ref, value, valid)
                    issues.append(Issue(messages[value], name, row, column.name))


def _unknown_code_message(ref: Ref, value: str, valid: set[str]) -> str:
    where = {
        Ref.COUNTRY: "the 'countries' sheet",
        Ref.COUNTRY_OR_GROUP: "the 'countries' or 'groups' sheet",
        Ref.MATERIAL: "the 'materials' sheet",
        Ref.TECHNOLOGY: "the 'technologies' sheet",
        Ref.SCENARIO: "the 'scenarios' sheet",
        Ref.SHEET: "the contract's sheets",
    }[ref]
    if ref is Ref.SHEET:  # the contract's names: misspellings are known
        close = [n for n in [intended(value, valid)] if n is not None]
    else:
        close = close_codes(value, valid)[:MEANT_SHOWN]
    hint = f" (did you mean {_either(close)}?)" if close else ""
    return f"unknown {ref.value} '{value}': not on {where}{hint}"


def _either(codes: list[str]) -> str:
    """'A', 'A' or 'B', 'A', 'B' or 'C'."""
    quoted = [f"'{c}'" for c in codes]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def _check_recipes(tables: dict[str, pd.DataFrame], issues: list[Issue]) -> None:
    recipes = tables["recipes"]
    main = {(t, m): out for t, m, out in recipes[["technology", "material", "output"]]
            .itertuples(index=False)}
    for tech, output, row in tables["technologies"][["technology", "output", ROW]].itertuples(
            index=False):
        if tech is None or output is None:
            continue
        if (tech, output) not in main:
            issues.append(Issue(f"technology '{tech}' has no recipe row for its output "
                                f"'{output}' (add a 'recipes' row with output = 1)",
                                "technologies", row, "output"))
            continue
        value = main[(tech, output)]
        if value is None:
            continue  # the row is there; its output cell is reported as invalid already
        if abs(value - 1) > 1e-12:
            rrow = recipes[(recipes.technology == tech) & (recipes.material == output)][ROW]
            issues.append(Issue(f"the recipe row for technology '{tech}' and its output "
                                f"'{output}' must have output = 1, got {value:g}", "recipes",
                                int(rrow.iloc[0]), "output"))


def _check_year_pairs(tables: dict[str, pd.DataFrame], book: RawWorkbook,
                      issues: list[Issue]) -> None:
    """Both years of a span written and in the wrong order. A blank one is the horizon's
    first or last year: a span outside the horizon is a warning (`horizon_warnings`), and a
    reversed horizon is reported once, at the settings."""
    for sheet, lo, hi in YEAR_SPANS:
        raw = book.tables.get(sheet)
        for a, b, row in tables[sheet][[lo, hi, ROW]].itertuples(index=False):
            if a is not None and b is not None and a > b and \
                    _written(raw, row, lo) and _written(raw, row, hi):
                issues.append(Issue(f"{lo} {a} is after {hi} {b}", sheet, row, hi))


def _written(raw: RawTable | None, row: int, column: str) -> bool:
    """Whether the cell holds a value (not blank, the column not left out)."""
    return raw is not None and column in raw.frame.columns and \
        not is_blank(raw.frame.at[row, column])


def horizon_warnings(settings: dict[str, Any], tables: dict[str, pd.DataFrame]) -> list[Issue]:
    """One warning per year column for the rows that lie outside the horizon and so do
    nothing: a year of its own outside it, a span that starts after it or ends before it (a
    limit's `year` without `to_year` is that year alone). A `demand` row before the horizon
    that carries into it by its growth does something, so it is not one of them."""
    first, last = settings.get("first_year"), settings.get("last_year")
    if first is None or last is None or first > last:
        return []
    warnings = []
    for sheet in SHEETS:
        for column in (c for c in sheet.columns if c.kind is Kind.YEAR):
            outside = _outside_rows(sheet.name, column.name, tables[sheet.name], first, last)
            if outside:
                warnings.append(_outside(sheet.name, column.name, outside, first, last))
    return warnings


def _outside_rows(sheet: str, column: str, frame: pd.DataFrame, first: int,
                  last: int) -> list[tuple[int, int]]:
    """(year, row) of each row whose `column` puts it outside the horizon."""
    key = (sheet, column)
    low = -math.inf if key in {(s, lo) for s, lo, _ in YEAR_SPANS} else first  # a plant may
    high = math.inf if key in {(s, hi) for s, _, hi in YEAR_SPANS} else last  # predate it
    carried = {r[ROW] for r in carried_into_horizon(frame, first).values()} \
        if sheet == "demand" else set()
    alone = key == ("dependence_limits", "year")
    outside = []
    for rec in frame.to_dict("records"):
        year = rec[column]
        if year is None or rec[ROW] in carried:
            continue
        lo = first if alone and rec["to_year"] is None else low
        if not lo <= year <= high:
            outside.append((year, rec[ROW]))
    return outside


def carried_into_horizon(demand: pd.DataFrame, first: int) -> dict[tuple[str, str],
                                                                   dict[str, Any]]:
    """Per (country, material), its latest `demand` row dated before the horizon, if that
    row has a growth: it fills the horizon's years without a row of their own, grown from
    its year (growth 0: the same quantity). A blank growth holds the row's own year only."""
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for rec in demand.to_dict("records"):
        year = rec["year"]
        key = (rec["country"], rec["material"])
        if year is not None and year < first and (key not in latest
                                                  or year > latest[key]["year"]):
            latest[key] = rec
    return {key: rec for key, rec in latest.items() if rec["growth"] is not None}


def _outside(sheet: str, column: str, outside: list[tuple[int, int]], first: int,
             last: int) -> Issue:
    """One row: named with its year. More: counted and listed, in one warning."""
    horizon = f"the horizon {first}-{last}"
    hint = ""
    if sheet == "demand" and any(year < first for year, _ in outside):
        hint = " (of the rows before it, only the latest of a country and material carries " \
               "into it, and only with a growth: 0 for the same quantity)"
    if len(outside) == 1:
        year, row = outside[0]
        return Issue(f"{column} {year} lies outside {horizon}; the row does nothing{hint}",
                     sheet, row, column, warning=True)
    rows = [row for _, row in outside]
    shown = ", ".join(map(str, rows[:20])) + (f" and {len(rows) - 20} more"
                                              if len(rows) > 20 else "")
    return Issue(f"{len(rows)} rows whose {column} lies outside {horizon} do nothing: rows "
                 f"{shown}{hint}", sheet, None, column, warning=True)


def _check_shortage_costs(settings: dict[str, Any], setting_rows: dict[str, int],
                          tables: dict[str, pd.DataFrame], issues: list[Issue]) -> None:
    if settings.get("default_shortage_cost") is not None:
        return
    bad = _error_cells(issues)
    if ("settings", setting_rows.get("default_shortage_cost"), "value") in bad:
        return  # given but invalid: reported at its own cell, not as "not given" elsewhere
    for material, cost, row in tables["materials"][["material", "shortage_cost", ROW]] \
            .itertuples(index=False):
        if cost is None and material is not None and \
                ("materials", row, "shortage_cost") not in bad:
            issues.append(Issue(f"shortage_cost of '{material}' is blank and the setting "
                                "'default_shortage_cost' is not given", "materials", row,
                                "shortage_cost"))


def _check_growth(tables: dict[str, pd.DataFrame], issues: list[Issue]) -> None:
    """Growth runs from a row's year; a blank-year row holds every year already."""
    bad = _error_cells(issues)
    for year, growth, row in tables["demand"][["year", "growth", ROW]].itertuples(index=False):
        if year is None and growth is not None and ("demand", row, "year") not in bad:
            issues.append(Issue(f"growth {growth:g} needs a year to grow from, but the row has "
                                "no year (it holds every year); give the year its quantity is "
                                "for, or leave growth blank", "demand", row, "growth"))


def _check_stockpiles(tables: dict[str, pd.DataFrame], issues: list[Issue]) -> None:
    for initial, capacity, row in tables["stockpiles"][["initial", "capacity", ROW]] \
            .itertuples(index=False):
        if initial is not None and capacity is not None and initial > capacity:
            issues.append(Issue(f"initial level {quantity_text(initial)} is above the capacity "
                                f"{quantity_text(capacity)}",
                                "stockpiles", row, "initial"))


def _check_scenarios(tables: dict[str, pd.DataFrame], issues: list[Issue]) -> None:
    scenarios = tables["scenarios"]
    for name, row in scenarios[["scenario", ROW]].itertuples(index=False):
        if name is not None and name.lower() == BASELINE:
            issues.append(Issue("'baseline' is the undisrupted scenario and gets the remaining "
                                "probability; do not list it", "scenarios", row, "scenario"))
    total = sum(p for p in scenarios["probability"] if p is not None)
    if total > 1 + 1e-9:
        last = int(scenarios[ROW].max())
        issues.append(Issue(f"scenario probabilities sum to {total:g}, above 1", "scenarios",
                            last, "probability"))
