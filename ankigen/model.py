"""The typed records that travel between the pipeline's stages: load → verify → render → write."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from ankigen.errors import Location
from ankigen.expressions import Definition, Node


@dataclass(frozen=True)
class Assumption:
    """A condition on one symbol from a rule's ``assume:`` list, such as ``x > 0``."""

    symbol: str
    relation: str  # one of > >= < <= !=

    def __str__(self) -> str:
        return f"{self.symbol} {self.relation} 0"


@dataclass(frozen=True)
class PlotSettings:
    """A rule's ``plot:`` settings; every field None means "choose a sensible default"."""

    enabled: bool = True
    x_range: tuple[Fraction, Fraction] | None = None  # the variable's range on the plot
    y_range: tuple[Fraction, Fraction] | None = None  # the vertical axis' limits
    values: tuple[tuple[str, Fraction], ...] = ()  # values for the other symbols, by name


@dataclass(frozen=True)
class MediaFile:
    """A file that goes into the deck's media, named by a hash of its content."""

    name: str
    data: bytes


@dataclass(frozen=True)
class Rule:
    """One derivative fact from the catalogue, parsed and located, not yet proved."""

    id: str
    name: str
    deck: str
    function: Node
    derivative: Node
    variable: str
    context: str
    tags: tuple[str, ...]
    assumptions: tuple[Assumption, ...]
    source: str | None
    definitions: tuple[Definition, ...]  # the helpers of the rule's file, in order
    function_text: str
    derivative_text: str
    location: Location  # where the rule starts
    derivative_location: Location  # where its claim is written: verdicts point here
    plot: PlotSettings = PlotSettings()

    @property
    def used_definitions(self) -> tuple[Definition, ...]:
        """The helpers this rule's expressions call, directly or through other helpers."""
        return self.definitions_used_by(self.function, self.derivative)

    def definitions_used_by(self, *expressions: Node) -> tuple[Definition, ...]:
        """The helpers that these expressions call, directly or through other helpers, in the
        order of the file."""
        from ankigen.expressions import called_names

        by_name = {d.name: d for d in self.definitions}
        wanted: set[str] = set()
        todo = [name for expression in expressions for name in called_names(expression)]
        while todo:
            name = todo.pop()
            if name in by_name and name not in wanted:
                wanted.add(name)
                todo.extend(called_names(by_name[name].body))
        return tuple(d for d in self.definitions if d.name in wanted)


PROVED = "proved"
REFUTED = "refuted"
NOT_PROVED = "not proved"
INVALID = "invalid"  # the function or the claim has no value anywhere: an input error


@dataclass(frozen=True)
class Verdict:
    """The outcome of verifying one rule; ``detail`` says why for anything but ``proved``."""

    rule_id: str
    status: str  # PROVED | REFUTED | NOT_PROVED | INVALID
    detail: str = ""
    method: str = ""  # how it was proved, for --verbose reports

    @property
    def proved(self) -> bool:
        return self.status == PROVED


@dataclass(frozen=True)
class Catalogue:
    """Every rule of the catalogue folders, in a stable order (by file path, then position)."""

    rules: tuple[Rule, ...]
    files: tuple[Path, ...]
