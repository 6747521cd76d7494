"""What the load stage's tests share: one good catalogue file, and the problems that loading a
broken folder must raise, compared by file, line, rule id and message."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ankigen.errors import CatalogueError, Problem
from ankigen.load.catalogue import load_catalogue
from ankigen.records import Rule

MakeCatalogue = Callable[..., Path]

# One good rule. Lines: 1 deck, 2 rules, 3 id, 4 name, 5 function, 6 derivative, 7 context.
GOOD = """\
deck: "Derivatives for ML::Test"
rules:
  - id: square
    name: Square
    function: x**2
    derivative: 2*x
    context: Used everywhere.
"""


def good(**replacements: str) -> str:
    """GOOD with whole lines swapped: ``good(name="    name: [a, b]")`` replaces the name line."""
    lines = GOOD.splitlines()
    keys = ("deck", "rules", "id", "name", "function", "derivative", "context")
    for key, line in replacements.items():
        lines[keys.index(key)] = line
    return "\n".join(lines) + "\n"


def problems_of(*folders: Path) -> tuple[Problem, ...]:
    """The problems of the one CatalogueError that loading ``folders`` must raise."""
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(list(folders))
    return caught.value.problems


def load_one(folder: Path) -> Rule:
    catalogue = load_catalogue([folder])
    assert len(catalogue.rules) == 1, catalogue.rules
    return catalogue.rules[0]


def summary(problem: Problem) -> tuple[str | None, int | None, str | None, str]:
    """(file name, line, rule id, message) of a problem, for comparing against a table."""
    location = problem.location
    return (
        location.path.name if location else None,
        location.line if location else None,
        problem.rule_id,
        problem.message,
    )


def assert_problems(
    problems: tuple[Problem, ...], expected: list[tuple[str | None, int | None, str | None, str]]
) -> None:
    """Exactly the expected problems (file, line, rule id, message substring), in any order."""
    actual = [summary(p) for p in problems]
    assert len(actual) == len(expected), actual
    unmatched = list(actual)
    for name, line, rule_id, message in expected:
        match = next(
            (
                a
                for a in unmatched
                if a[0] == name and a[1] == line and a[2] == rule_id and message in a[3]
            ),
            None,
        )
        assert match is not None, f"no problem {(name, line, rule_id, message)} in {actual}"
        unmatched.remove(match)
