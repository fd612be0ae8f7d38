"""The README's input reference and exit-code table are generated and kept current."""

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
    tutorial_columns_markdown,
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
        for markers, body in sections(text).items():
            found = between(text, markers)
            assert found is None or found == body, (
                f"{path.name} section {markers[0]} is stale: run `python -m optimizer.docs`")


def test_tutorial_columns_follow_its_script() -> None:
    """Each sheet's columns up to the last one its longest row fills, with the schema's
    units; the settings it sets; nothing for a document without the script."""
    text = tutorial_columns_markdown(README.read_text(encoding="utf-8"))
    lines = text.splitlines()
    assert lines[2] == ("| [`settings`](docs/inputs.md#settings-1) | `first_year` | year | "
                        "First year of the planning horizon. |")
    supply = lines.index("| [`supply`](docs/inputs.md#supply) | `country` |  | Country code. |")
    assert [line.split(" | ")[1] for line in lines[supply:supply + 6]] == \
        ["`country`", "`material`", "`year`", "`max_quantity`", "`price`", "`from_country`"]
    assert "|  | `price` | USD/t | Price at origin. |" in lines
    assert "`budgets`" not in text and "`sweeps`" not in text  # sheets it leaves empty
    assert tutorial_columns_markdown("# no script here") == ""


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

