"""The documents' generated parts (input reference, exit codes, plan units, headline columns)
are kept current, and every link between the documents leads somewhere."""

from __future__ import annotations

import re
from pathlib import Path

from optimizer.contract.schema import SETTINGS, SHEETS
from optimizer.docs import (
    EXIT_MARKERS,
    INPUT_MARKERS,
    between,
    documents,
    exit_codes_markdown,
    input_reference_markdown,
    missing_markers,
    sections,
    update_readme,
)
from optimizer.errors import ExitCode

README = Path(__file__).resolve().parent.parent / "README.md"


def test_reference_names_every_sheet_column_and_setting() -> None:
    text = input_reference_markdown()
    for sheet in SHEETS:
        assert f"#### `{sheet.name}`" in text
        for column in sheet.columns:
            assert f"| `{column.name}` |" in text
    for setting in SETTINGS:
        assert f"| `{setting.column.name}` |" in text
    assert "| `first_year` | required |" in text
    assert "| `cut` | blank = 1 |" in text
    assert "one of set, scale" in text


def test_exit_codes_table_lists_every_code() -> None:
    text = exit_codes_markdown()
    for code in ExitCode:
        assert f"| {int(code)} |" in text


def test_update_readme_fills_markers_and_is_idempotent(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\n{INPUT_MARKERS[0]}\nSTALE-TEXT\n{INPUT_MARKERS[1]}\n\nmiddle\n\n"
                      f"{EXIT_MARKERS[0]}{EXIT_MARKERS[1]}\n\nend\n", encoding="utf-8")
    assert update_readme(readme)
    text = readme.read_text(encoding="utf-8")
    assert between(text, INPUT_MARKERS) == input_reference_markdown()
    assert between(text, EXIT_MARKERS) == exit_codes_markdown()
    assert text.startswith("# Title\n") and "\nmiddle\n" in text and text.endswith("\nend\n")
    assert "STALE-TEXT" not in text
    assert not update_readme(readme)


def test_update_readme_leaves_a_file_without_markers_alone(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# No markers\n", encoding="utf-8")
    assert not update_readme(readme)
    assert readme.read_text(encoding="utf-8") == "# No markers\n"


def test_generated_parts_are_current_and_each_is_somewhere() -> None:
    paths = documents()
    assert missing_markers(paths) == []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        for markers, body in sections().items():
            found = between(text, markers)
            assert found is None or found == body, (
                f"{path.name} section {markers[0]} is stale: run `python -m optimizer.docs`")


LINK = re.compile(r"\]\(([^)\s]+)\)")


def anchors(path: Path) -> set[str]:
    """GitHub's anchors of a Markdown file's headings (a repeated heading gets -1, -2...)."""
    seen: dict[str, int] = {}
    found = set()
    fenced = False
    for line in path.read_text(encoding="utf-8").splitlines():
        fenced ^= line.startswith("```")
        if fenced or not line.startswith("#"):
            continue
        slug = re.sub(r"[^\w\- ]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        found.add(slug if n == 0 else f"{slug}-{n}")
    return found


def broken_links(path: Path) -> list[str]:
    """The links of `path` to a file that does not exist or to an anchor it lacks."""
    broken = []
    for target in LINK.findall(path.read_text(encoding="utf-8")):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        name, _, anchor = target.partition("#")
        linked = (path.parent / name).resolve() if name else path
        if not linked.exists() or (anchor and linked.suffix == ".md"
                                   and anchor not in anchors(linked)):
            broken.append(target)
    return broken


def test_every_link_in_the_documents_leads_somewhere() -> None:
    for path in documents():
        assert broken_links(path) == [], path.name


def test_a_broken_link_is_found(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other page\n\n## Its part\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text("# Page\n\n```\n# not a heading\n```\n\n## Two words\n\n"
                    "[a](other.md#its-part) [b](#two-words) "
                    "[c](other.md#gone) [d](missing.md) [e](#nowhere) [f](https://x.org/#y) "
                    "[g](#not-a-heading)\n",
                    encoding="utf-8")
    assert broken_links(page) == ["other.md#gone", "missing.md", "#nowhere", "#not-a-heading"]


def test_the_commands_table_lists_every_option_of_each_command() -> None:
    """Each row of the README's Commands table names every option its command's --help has
    (the ones every command takes are described below the table)."""
    import typer.main

    from optimizer.cli import app

    shared = {"--help", "--debug", "--quiet", "--verbose"}
    readme = README.read_text()
    table = readme.split("## Commands", 1)[1].split("\n\n", 2)[1]
    rows = {line.split("`optimizer ", 1)[1].split()[0]: line for line in table.splitlines()
            if "`optimizer " in line}
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    assert {"solve", "sweep", "diff"} <= set(commands)
    for name, command in commands.items():
        named = [p.opts for p in command.params if p.opts[0].startswith("-")
                 and not shared & set(p.opts)]
        missing = [opts for opts in named if not any(
            re.search(rf"(?<![\w-]){re.escape(o)}(?![\w-])", rows[name]) for o in opts)]
        assert not missing, (name, missing)
