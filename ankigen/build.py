"""The orchestrator: load → verify → render → write, each stage called once, in that order.

Everything is gathered and checked before anything is written: a catalogue with a mistake or an
unproved derivative raises (listing every problem) and leaves any existing deck untouched.
This is ankigen's library interface; the command line is a thin layer over it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ankigen.catalogue import load_catalogue
from ankigen.errors import NotProvedError, Problem
from ankigen.model import Catalogue, Rule
from ankigen.resources import bundled_catalogue
from ankigen.verify import DEFAULT_TIMEOUT, Verdict, verify_rules

DEFAULT_OUTPUT = Path("ankigen.apkg")


@dataclass(frozen=True)
class Options:
    """How to verify: seconds per proof and worker processes (None: one per core)."""

    timeout: float = DEFAULT_TIMEOUT
    jobs: int | None = None


@dataclass(frozen=True)
class CheckReport:
    """Every rule with its verdict, in catalogue order."""

    rules: tuple[Rule, ...]
    verdicts: tuple[Verdict, ...]

    @property
    def all_proved(self) -> bool:
        return all(v.proved for v in self.verdicts)

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for verdict in self.verdicts:
            counts[verdict.status] = counts.get(verdict.status, 0) + 1
        return counts

    def problems(self) -> list[Problem]:
        """One located problem per rule that is not proved."""
        return [
            Problem(v.detail, r.derivative_location, r.id)
            for r, v in zip(self.rules, self.verdicts, strict=True)
            if not v.proved
        ]


@dataclass(frozen=True)
class BuildReport:
    """What a build wrote."""

    output: Path
    check: CheckReport
    notes: int
    cards: int
    decks: tuple[str, ...]


def catalogue_folders(folders: Sequence[Path], include_bundled: bool | None) -> list[Path]:
    """The folders to read: the bundled catalogue when none is given or when asked to include it."""
    use_bundled = include_bundled if include_bundled is not None else not folders
    return [bundled_catalogue(), *folders] if use_bundled else list(folders)


def load(folders: Sequence[Path], include_bundled: bool | None = None) -> Catalogue:
    """Read and check the catalogue (no proofs)."""
    return load_catalogue(catalogue_folders(folders, include_bundled))


def check(
    folders: Sequence[Path],
    include_bundled: bool | None = None,
    options: Options = Options(),
    on_verdict: Callable[[Verdict], None] | None = None,
) -> CheckReport:
    """Load the catalogue and verify every rule; never raises for an unproved rule."""
    catalogue = load(folders, include_bundled)
    verdicts = verify_rules(
        catalogue.rules, timeout=options.timeout, jobs=options.jobs, on_verdict=on_verdict
    )
    return CheckReport(catalogue.rules, verdicts)


def build(
    folders: Sequence[Path],
    output: Path = DEFAULT_OUTPUT,
    include_bundled: bool | None = None,
    options: Options = Options(),
) -> BuildReport:
    """Build the deck at ``output``, or raise without writing anything."""
    from ankigen.package import write_package  # genanki is needed only once all is proved
    from ankigen.render import note_type, render_note

    # Gather and check everything first ...
    report = check(folders, include_bundled, options)
    if not report.all_proved:
        raise NotProvedError(report.problems())
    notes = [render_note(rule) for rule in report.rules]
    kind = note_type()
    # ... and only then write.
    write_package(kind, notes, output)
    decks = tuple(dict.fromkeys(note.deck for note in notes))
    return BuildReport(output, report, notes=len(notes), cards=len(notes), decks=decks)
