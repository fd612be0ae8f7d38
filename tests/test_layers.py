"""The code's layers follow the flow of a solve, and nothing imports upward:

    models                 the formulation and the data it consumes (no Excel, no validation)
    optimizer.contract     the input workbook: schema, reading, checks, the model's data
    optimizer.solving      solve, duals, diagnosis, the plan's tables
    optimizer.excel        every workbook the tool writes
    optimizer.studies      one workbook, sweeps, batches
    optimizer.cli, docs    the commands

`optimizer.errors`, `interrupt`, `parallel` and `solver_line` are shared by every layer of the
application.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LAYERS = ["models", "optimizer.contract", "optimizer.solving", "optimizer.excel",
          "optimizer.studies", "optimizer.cli"]
SHARED = {"optimizer.errors", "optimizer.interrupt", "optimizer.parallel", "optimizer.solver_line",
          "optimizer"}
TOP = {"optimizer.cli", "optimizer.docs", "optimizer.__main__", "optimizer.api"}


def layer(module: str) -> int | None:
    if module in TOP:
        return len(LAYERS) - 1
    if module in SHARED:
        return None
    return next((i for i, prefix in enumerate(LAYERS)
                 if module == prefix or module.startswith(prefix + ".")), None)


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[str, bool]]:
    """(module imported, only for type checking) for every import in the file."""
    tree = ast.parse(path.read_text())
    typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                   and ast.unparse(node.test) == "TYPE_CHECKING" for n in ast.walk(node)}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [f"{node.module}.{a.name}" for a in node.names]
            # `from optimizer.solving import pipeline` imports the module optimizer.solving.pipeline
            target = [n for n in names if (REPO / n.replace(".", "/")).with_suffix(".py").exists()]
            out += [(t, id(node) in typing_only) for t in target or [node.module]]
        elif isinstance(node, ast.Import):
            out += [(a.name, id(node) in typing_only) for a in node.names]
    return out


SOURCES = sorted([*REPO.glob("models/*.py"), *REPO.glob("optimizer/**/*.py")])


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(REPO)))
def test_nothing_imports_upward(path: Path) -> None:
    own = layer(module_name(path))
    for target, typing_only in imports(path):
        theirs = layer(target)
        if typing_only or theirs is None or own is None:
            continue
        assert theirs <= own, f"{module_name(path)} (layer {own}) imports {target} ({theirs})"


def test_shared_modules_import_only_the_schema() -> None:
    for name in SHARED - {"optimizer"}:
        path = REPO / (name.replace(".", "/") + ".py")
        for target, _ in imports(path):
            if target.startswith(("optimizer", "models")):
                assert target in SHARED | {"optimizer.contract.schema"}, (name, target)


def test_the_model_layer_needs_no_excel_and_no_validation() -> None:
    code = ("import sys, models; print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'openpyxl', 'defusedxml', 'pandera', 'xlsxwriter', 'python_calamine', 'optimizer'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=REPO, check=True).stdout.strip()
    assert out == "[]"


def test_every_package_is_installed() -> None:
    """A regular (not editable) install ships every package folder of the tree."""
    import fnmatch
    import tomllib

    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    folders = {".".join(p.parent.relative_to(REPO).parts)
               for top in ("optimizer", "models") for p in (REPO / top).rglob("__init__.py")}
    missed = {f for f in folders if not any(fnmatch.fnmatchcase(f, i) for i in include)}
    assert folders and not missed, missed
