"""The documents' generated parts: the input reference (docs/inputs.md), the exit codes
(README.md), the plan's units and the headline columns (docs/plan.md), from the schema, the
errors, the plan's units and the headline.

`python -m optimizer.docs [FILE...]` rewrites the text between the markers in place (by
default in README.md and docs/*.md); `--check` only reports whether they are current (exit 1
when one is stale or a marker pair is in none of them), for CI. The `template` command shares
the wording below, so the workbook's README sheet and the documents agree.
"""

from __future__ import annotations

import sys
from pathlib import Path

from optimizer.contract.schema import (
    REF_SOURCES,
    SETTINGS,
    SHEETS,
    Column,
)
from optimizer.contract.wording import default_text
from optimizer.errors import EXIT_CODE_MEANINGS
from optimizer.solving.headline import HEADLINE
from optimizer.solving.results import UNITS

INPUT_MARKERS = ("<!-- input-reference:start -->", "<!-- input-reference:end -->")
EXIT_MARKERS = ("<!-- exit-codes:start -->", "<!-- exit-codes:end -->")
PLAN_MARKERS = ("<!-- plan-units:start -->", "<!-- plan-units:end -->")
HEADLINE_MARKERS = ("<!-- headline-columns:start -->", "<!-- headline-columns:end -->")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _allowed(column: Column) -> str:
    if column.ref in REF_SOURCES:
        where = " or ".join(f"`{sheet}`" for sheet, _ in REF_SOURCES[column.ref])
        return f"{column.expectation} (listed on {where})"
    return column.expectation


def input_reference_markdown() -> str:
    # the README states the conventions in prose just above; the template's README sheet lists
    # CONVENTIONS because it stands alone
    lines = ["### Sheets", ""]
    lines += _table(("sheet", "required", "meaning"),
                    [(f"`{s.name}`", "yes" if s.required else "no", s.description)
                     for s in SHEETS])
    for sheet in SHEETS:
        lines += ["", f"#### `{sheet.name}`", "", sheet.description, ""]
        if sheet.key:
            keys = ", ".join(f"`{k}`" for k in sheet.key)
            lines += [f"One row per {keys if len(sheet.key) == 1 else f'({keys})'}.", ""]
        lines += _table(("column", "required / default", "allowed values", "unit", "meaning"),
                        [(f"`{c.name}`", default_text(c), _allowed(c), c.unit, c.description)
                         for c in sheet.columns])
    lines += ["", "### Settings", "", "One row each on the `settings` sheet (`key`, `value`).",
              ""]
    lines += _table(("key", "required / default", "allowed values", "unit", "meaning"),
                    [(f"`{c.name}`", default_text(c), _allowed(c), c.unit, c.description)
                     for c in (s.column for s in SETTINGS)])
    return "\n".join(lines)


def exit_codes_markdown() -> str:
    return "\n".join(_table(("code", "meaning"),
                            [(str(int(code)), text) for code, text in EXIT_CODE_MEANINGS.items()]))


def plan_units_markdown() -> str:
    """Units of the plan workbook's columns (the same text as the header cells' comments)."""

    rows = [(f"`{column}`", unit) for column, unit in sorted(UNITS.items())]
    return "\n".join(_table(("column", "unit"), rows))


def headline_columns_markdown() -> str:
    """The headline columns of a sweep's runs and a batch summary, in their order."""
    rows = [(f"`{name}`", column.unit, column.meaning) for name, column in HEADLINE.items()]
    return "\n".join(_table(("column", "unit", "meaning"), rows))


def sections() -> dict[tuple[str, str], str]:
    """Marker pair -> the text that belongs between the markers."""
    return {INPUT_MARKERS: input_reference_markdown(), EXIT_MARKERS: exit_codes_markdown(),
            PLAN_MARKERS: plan_units_markdown(), HEADLINE_MARKERS: headline_columns_markdown()}


def between(text: str, markers: tuple[str, str]) -> str | None:
    """The text between a marker pair (stripped), or None when the pair is absent."""
    start, end = markers
    i, j = text.find(start), text.find(end)
    if i < 0 or j < i:
        return None
    return text[i + len(start):j].strip()


def render(text: str) -> str:
    """`text` with every marker pair it holds refilled; pairs it lacks are left alone."""
    for (start, end), body in sections().items():
        if between(text, (start, end)) is None:
            continue
        i, j = text.find(start) + len(start), text.find(end)
        text = f"{text[:i]}\n{body}\n{text[j:]}"
    return text


def update_readme(path: Path) -> bool:
    """Refill the marked sections of `path` in place; True if the file changed."""
    path = Path(path)
    old = path.read_text(encoding="utf-8")
    new = render(old)
    if new == old:
        return False
    path.write_text(new, encoding="utf-8")
    return True


ROOT = Path(__file__).resolve().parents[1]


def documents() -> list[Path]:
    """The files that hold generated parts: the README and the pages of docs/."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def missing_markers(paths: list[Path]) -> list[tuple[str, str]]:
    """Marker pairs found in none of `paths`."""
    texts = [p.read_text(encoding="utf-8") for p in paths if p.exists()]
    return [m for m in sections() if all(between(t, m) is None for t in texts)]


def main(argv: list[str]) -> int:
    check = "--check" in argv
    args = [a for a in argv if a != "--check"]
    paths = [Path(a) for a in args] or documents()
    status = 0
    for markers in missing_markers(paths):
        print(f"no file holds the markers {markers[0]}")
        status = 1
    for path in paths:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        if not any(between(text, m) is not None for m in sections()):
            continue
        if check:
            current = render(text) == text
            print(f"{path}: {'current' if current else 'stale: run python -m optimizer.docs'}")
            status = status or (0 if current else 1)
        else:
            print(f"{path}: {'updated' if update_readme(path) else 'already current'}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
