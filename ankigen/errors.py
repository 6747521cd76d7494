"""The one exception family of ankigen, and the exit codes, documented here and nowhere else.

Exit codes of the ``ankigen`` command:

====  ==========================================================================
0     success: every rule proved (and, for ``build``, the deck written)
1     a derivative was refuted or not proved: nothing was written (``preview`` still
      writes the page of the proved cards, listing the others)
2     the catalogue, the lock file or the command line is wrong (YAML, keys, expressions,
      a broken lock, a bad ``SOURCE_DATE_EPOCH``, an output that is an input of the build)
3     the output could not be written (missing or read-only folder, disk full, not a
      regular file)
====  ==========================================================================

Every error carries its problems as data (:class:`Problem`: file, line, rule id, message) and
formats them in one place, one line each, so that a catalogue with three mistakes yields three
located lines in a single run. That place also escapes what could act on a terminal (see
:func:`printable`): a file name or a YAML key can neither colour it nor forge a line.
"""

from __future__ import annotations

import difflib
import os
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import click

EXIT_OK = 0
EXIT_NOT_PROVED = 1
EXIT_CATALOGUE = 2
EXIT_OUTPUT = 3


@dataclass(frozen=True)
class Location:
    """Where something was written: a file and, when known, a 1-based line."""

    path: Path
    line: int | None = None

    def __str__(self) -> str:
        shown = printable(_display_path(self.path))
        return f"{shown}:{self.line}" if self.line is not None else shown


def _display_path(path: Path) -> str:
    """A path relative to the working folder when it lies below it, else as given. (A link is
    named, not its target: only the folders on the way are resolved, which never fails.)"""
    real = Path(os.path.realpath(path.parent), path.name)
    try:
        return str(real.relative_to(os.path.realpath(Path.cwd())))
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class Problem:
    """One mistake, with as much of its location as is known."""

    message: str
    location: Location | None = None
    rule_id: str | None = None
    more: tuple[str, ...] = ()  # lines shown under the message, such as YAML to copy

    def __str__(self) -> str:
        parts = []
        if self.location is not None:
            parts.append(str(self.location))
        if self.rule_id is not None:
            parts.append(f"rule '{self.rule_id}'")
        parts.append(self.message)
        return "\n".join(printable(line) for line in (": ".join(parts), *self.more))


# Control characters (escape sequences, line breaks), format characters (bidirectional
# overrides), line and paragraph separators, and the lone surrogates by which Python spells the
# bytes of a file name that is not UTF-8.
_UNPRINTABLE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def printable(text: str) -> str:
    """``text`` with every character that could act on a terminal written as its Python escape
    (``\\x1b``, ``\\n``, ``\\u202e``, ``\\udcff``), the rest unchanged."""
    return "".join(
        char.encode("unicode_escape").decode("ascii")
        if unicodedata.category(char) in _UNPRINTABLE
        else char
        for char in text
    )


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest candidate (ignoring case), or ``""``."""
    by_lower = {c.lower(): c for c in candidates}
    close = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.6)
    return f"; did you mean '{by_lower[close[0]]}'?" if close and by_lower[close[0]] != word else ""


class AnkigenError(click.ClickException):
    """Root of every error ankigen reports to a user; never shown with a traceback."""

    exit_code = EXIT_CATALOGUE

    def __init__(self, problems: Iterable[Problem] | str) -> None:
        self.problems: tuple[Problem, ...] = (
            (Problem(problems),) if isinstance(problems, str) else tuple(problems)
        )
        super().__init__("\n".join(str(p) for p in self.problems))

    def show(self, file: object = None) -> None:
        """Print one line per problem on standard error, with no 'Error:' prefix to parse away."""
        click.echo(self.format_message(), err=True)


class CatalogueError(AnkigenError):
    """The catalogue cannot be read: YAML, keys, types, ids or expressions."""

    exit_code = EXIT_CATALOGUE


class UsageError(AnkigenError):
    """The command was given something it cannot use (a missing folder, a bad option value)."""

    exit_code = EXIT_CATALOGUE


class NoteTypeChangeError(AnkigenError):
    """A build would change the note type's fields or templates (learners' notes would break)."""

    exit_code = EXIT_CATALOGUE


class NotProvedError(AnkigenError):
    """At least one claimed derivative was refuted or could not be proved."""

    exit_code = EXIT_NOT_PROVED


class OutputError(AnkigenError):
    """The deck could not be written where it was asked for."""

    exit_code = EXIT_OUTPUT


class RuleNotWrittenError(AnkigenError):
    """``ankigen new`` refused a rule and wrote nothing. ``field`` names the rule's field at
    fault when one is (``"derivative"``, ``"id"``, ...), so that a terminal can ask for that
    field again and keep the others. Raised as one of the two kinds below, whose exit code is
    that of the cause."""

    def __init__(self, problems: Iterable[Problem], field: str | None = None) -> None:
        super().__init__(problems)
        self.field = field


class RuleRefusedError(RuleNotWrittenError, CatalogueError):
    """The loader refused the new rule (exit 2)."""


class RuleNotProvedError(RuleNotWrittenError, NotProvedError):
    """The new rule's derivative was refuted or not proved (exit 1)."""
