"""The typed records that travel between the pipeline's stages: load → verify → render → write."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from fractions import Fraction
from pathlib import Path
from typing import Protocol

from ankigen.errors import Location, Problem
from ankigen.expr.tree import Compare, Definition, Node


@dataclass(frozen=True)
class Assumption:
    """A condition on one symbol from a rule's ``assume:`` list: ``x > 0``, ``p < 1``
    (``0 < p < 1`` is two of them)."""

    symbol: str
    relation: str  # one of > >= < <= !=
    bound: Fraction = Fraction(0)

    def __str__(self) -> str:
        return f"{self.symbol} {self.relation} {self.bound_text}"

    @property
    def bound_text(self) -> str:
        return _decimal(self.bound)

    def holds(self, value: Fraction) -> bool:
        return {
            ">": value > self.bound,
            ">=": value >= self.bound,
            "<": value < self.bound,
            "<=": value <= self.bound,
            "!=": value != self.bound,
        }[self.relation]


@dataclass(frozen=True)
class Interval:
    """Where the assumptions let one symbol vary: ``low < x < high`` (``None``: unbounded)."""

    low: Fraction | None = None
    high: Fraction | None = None
    low_open: bool = True
    high_open: bool = True

    @classmethod
    def of(cls, symbol: str, assumptions: tuple[Assumption, ...]) -> Interval:
        """The interval the assumptions on ``symbol`` leave (``!=`` removes a point only)."""
        interval = cls()
        for a in assumptions:
            if a.symbol != symbol or a.relation == "!=":
                continue
            if a.relation in (">", ">="):
                if interval.low is None or a.bound > interval.low:
                    interval = replace(interval, low=a.bound, low_open=a.relation == ">")
                elif a.bound == interval.low and a.relation == ">":
                    interval = replace(interval, low_open=True)
            elif interval.high is None or a.bound < interval.high:
                interval = replace(interval, high=a.bound, high_open=a.relation == "<")
            elif a.bound == interval.high and a.relation == "<":
                interval = replace(interval, high_open=True)
        return interval

    @property
    def empty(self) -> bool:
        """No value, or only one: nothing to differentiate by."""
        return self.low is not None and self.high is not None and self.low >= self.high

    def inside(self, value: Fraction) -> bool:
        low_ok = self.low is None or value > self.low or (value == self.low and not self.low_open)
        high_ok = (
            self.high is None or value < self.high or (value == self.high and not self.high_open)
        )
        return low_ok and high_ok


def _decimal(value: Fraction) -> str:
    """``0``, ``-1``, ``0.5``, ``1/3``: a bound as an author would write it."""
    if value.denominator == 1:
        return str(value.numerator)
    for digits in range(1, 16):
        if value * 10**digits == round(value * 10**digits):
            return f"{float(value):.{digits}f}"
    return str(value)


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
        from ankigen.expr.parse import called_names

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
