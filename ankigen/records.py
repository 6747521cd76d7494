"""The typed records that travel between the pipeline's stages: load → verify → render → write."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from pathlib import Path
from typing import Protocol

from ankigen.errors import Location, Problem
from ankigen.expr.assumptions import Assumption
from ankigen.expr.tree import Compare, Definition, Node, called_names


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
    # A vector or matrix rule: each non-scalar symbol's shape as written (``("n",)``,
    # ``("m", "n")``), and its ``assume:`` conditions as comparisons (``det(X) > 0``).
    shapes: tuple[tuple[str, tuple[str, ...]], ...] = ()
    conditions: tuple[Compare, ...] = ()

    @property
    def is_matrix(self) -> bool:
        """Whether the rule has ``shapes:``: it is proved entry by entry at several sizes."""
        return bool(self.shapes)

    @property
    def used_definitions(self) -> tuple[Definition, ...]:
        """The helpers this rule's expressions call, directly or through other helpers."""
        return self.definitions_used_by(self.function, self.derivative)

    def definitions_used_by(self, *expressions: Node) -> tuple[Definition, ...]:
        """The helpers that these expressions call, directly or through other helpers, in the
        order of the file."""
        by_name = {d.name: d for d in self.definitions}
        wanted: set[str] = set()
        todo = [name for expression in expressions for name in called_names(expression)]
        while todo:
            name = todo.pop()
            if name in by_name and name not in wanted:
                wanted.add(name)
                todo.extend(called_names(by_name[name].body))
        return tuple(d for d in self.definitions if d.name in wanted)


class Status(StrEnum):
    """A verdict's outcome; only ``proved`` rules are exported."""

    PROVED = "proved"
    REFUTED = "refuted"
    NOT_PROVED = "not proved"
    INVALID = "invalid"  # the function or the claim has no value anywhere: an input error


@dataclass(frozen=True)
class Verdict:
    """The outcome of verifying one rule; ``detail`` says why for anything but ``proved``."""

    rule_id: str
    status: Status
    detail: str = ""
    method: str = ""  # how it was proved, for --verbose reports

    @property
    def proved(self) -> bool:
        return self.status == Status.PROVED


@dataclass(frozen=True)
class Checked:
    """A rule with its verdict: what the verify stage hands on."""

    rule: Rule
    verdict: Verdict

    @property
    def proved(self) -> bool:
        return self.verdict.proved

    def problem(self) -> Problem:
        """Why the rule is not proved, located at its claim, or at the rule itself when its
        function or claim has no value anywhere (the mistake is then in the input as a whole)."""
        invalid = self.verdict.status == Status.INVALID
        where = self.rule.location if invalid else self.rule.derivative_location
        return Problem(self.verdict.detail, where, self.rule.id)


@dataclass(frozen=True)
class DeckDescription:
    """A deck's description from the ``description:`` of a catalogue file: what the deck
    covers and how to study it, shown by Anki above the deck's study button."""

    deck: str
    text: str
    location: Location


@dataclass(frozen=True)
class Catalogue:
    """Every rule of the catalogue folders, in a stable order (by file path, then position),
    and the descriptions of their decks."""

    rules: tuple[Rule, ...]
    files: tuple[Path, ...]
    descriptions: tuple[DeckDescription, ...] = ()


class MathMode(StrEnum):
    """How a card shows its formulas: typeset by Anki's MathJax, or as pre-rendered SVG images."""

    MATHJAX = "mathjax"
    SVG = "svg"


@dataclass(frozen=True)
class Options:
    """How to build: seconds per proof, per plot and per formula typeset as SVG; worker
    processes for all three (None: one per core); plots; how math is shown; whether to use the
    cache."""

    timeout: float = 10.0
    jobs: int | None = None
    plots: bool = True
    math: MathMode = MathMode.MATHJAX
    cache: bool = True


class Progress(Protocol):
    """Told how far a long build has come (the command line draws a progress bar with it)."""

    def stage(self, name: str, total: int) -> None:
        """A stage of ``total`` steps begins."""

    def advance(self) -> None:
        """One more step of the current stage is done."""


class Silent:
    """No progress to show (a library call, a pipe, --quiet)."""

    def stage(self, name: str, total: int) -> None:
        pass

    def advance(self) -> None:
        pass


@dataclass(frozen=True)
class NoteType:
    """An Anki note type: its fixed identity, its fields in order, and its one card template."""

    id: int
    name: str
    fields: tuple[str, ...]
    template_name: str
    front: str
    back: str
    css: str


@dataclass(frozen=True)
class RenderedNote:
    """One note, ready to be written: its deck, tags, stable key, field values in order, and
    the media files its fields refer to."""

    rule_id: str
    deck: str
    tags: tuple[str, ...]
    fields: tuple[str, ...]
    media: tuple[MediaFile, ...] = ()


@dataclass(frozen=True)
class Rendered:
    """What the render stage hands on: the notes in catalogue order, the media files they refer
    to (each once), and what the author should know (a plot that could not be drawn)."""

    note_type: NoteType
    notes: tuple[RenderedNote, ...]
    media: tuple[MediaFile, ...]
    warnings: tuple[Problem, ...] = ()
