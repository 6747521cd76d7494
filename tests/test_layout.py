"""The package's layout is its architecture: stages that meet only through the shared records.

Every ``import`` of every module is read with ``ast`` (those inside functions and under
``TYPE_CHECKING`` too, for a lazy import is still a dependency) and checked against the layers:

    errors < plumbing < expr < records < the stages (load, verify, render, write)
           < build (the orchestrator) < commands < cli

A module may import its own package and anything in a lower layer; no stage imports another
stage; and there is no cycle between modules. A module is no longer than 450 lines.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "ankigen"
STAGES = ("load", "verify", "render", "write")
LAYERS = {"errors": 0, "plumbing": 1, "expr": 2, "records": 3, "build": 5, "commands": 6}
LAYERS |= {stage: 4 for stage in STAGES}
LAYERS |= {"cli": 7, "__main__": 8, "__init__": 0}  # __init__: only __version__
MAX_LINES = 450


def _modules() -> dict[str, Path]:
    """Every module by dotted name (a package by its ``__init__``)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> Iterator[str]:
    """The ankigen modules that ``name`` imports, wherever in the file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.split(".")[0] == "ankigen")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1]])
                base = f"{base}.{node.module}" if node.module else base
            if base.split(".")[0] != "ankigen":
                continue
            for alias in node.names:  # from ankigen.render import media: the submodule
                yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base


def _part(module: str) -> str:
    """The layer-level part a module belongs to: ``ankigen.verify.prove`` → ``verify``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


GRAPH = {name: set(_imports(name, path)) - {name} for name, path in MODULES.items()}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_module_imports_only_its_own_package_and_lower_layers(module: str) -> None:
    mine = _part(module)
    wrong = sorted(
        target
        for target in GRAPH[module]
        if _part(target) != mine and LAYERS[_part(target)] >= LAYERS[mine]
    )
    assert not wrong, f"{module} reaches up or across the layers to {wrong}"


def test_no_stage_imports_another_stage() -> None:
    crossings = sorted(
        (module, target)
        for module, targets in GRAPH.items()
        for target in targets
        if _part(module) in STAGES and _part(target) in STAGES and _part(module) != _part(target)
    )
    assert not crossings


def test_there_is_no_import_cycle() -> None:
    """Depth-first search for a back edge, over every import (lazy and type-only included).
    A package's ``__init__`` importing its own modules is how a package offers its entry, and
    a submodule never imports its package's ``__init__`` back (that would be the cycle)."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = "open"
        path.append(module)
        for target in sorted(GRAPH.get(module, ())):
            if state.get(target) == "open":
                pytest.fail("import cycle: " + " → ".join([*path[path.index(target) :], target]))
            if target not in state:
                visit(target)
        path.pop()
        state[module] = "done"

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)


def test_the_layers_cover_every_part_of_the_package() -> None:
    """A new subpackage must be given its place in the layers (and the README's table)."""
    assert {_part(module) for module in MODULES} <= set(LAYERS)
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    for part in {_part(module) for module in MODULES} - {"__init__", "__main__"}:
        assert f"`ankigen/{part}" in readme, f"the README's package table does not name {part}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_is_longer_than_the_limit(module: str) -> None:
    lines = MODULES[module].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{module} has {lines} lines; split what does two jobs"


def test_the_checker_sees_every_kind_of_import(tmp_path: Path) -> None:
    """The checks above are only as good as the import reader: it finds plain, from, lazy
    (inside a function) and type-only imports, and a submodule named in ``from … import``."""
    source = tmp_path / "m.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "import ankigen.errors\n"
        "from ankigen.render import media\n"
        "if TYPE_CHECKING:\n"
        "    from ankigen.write.lock import Changes\n"
        "def f():\n"
        "    from ankigen.verify import verify\n",
        encoding="utf-8",
    )
    found = set(_imports("ankigen.records", source))
    assert found == {
        "ankigen.errors",
        "ankigen.render.media",
        "ankigen.write.lock",
        "ankigen.verify",
    }
