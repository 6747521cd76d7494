"""The orchestrator: load → verify → render → write, each stage called once, in that order.

Everything is gathered and checked before anything is written: a catalogue with a mistake or an
unproved derivative raises (listing every problem) and leaves any existing deck untouched.
This is ankigen's library interface; the command line is a thin layer over it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ankigen import proof_cache
from ankigen.cache import default_cache
from ankigen.catalogue import load_catalogue
from ankigen.errors import NoteTypeChangeError, NotProvedError, OutputError, Problem
from ankigen.lock import (
    LOCK_NAME,
    Changes,
    change_time,
    keep_unselected,
    read_lock,
    update,
    write_lock,
)
from ankigen.model import Catalogue, Rule, Verdict
from ankigen.resources import bundled_catalogue

DEFAULT_OUTPUT = Path("ankigen.apkg")


@dataclass(frozen=True)
class Options:
    """How to build: seconds per proof (and per formula typeset as SVG), worker processes
    (None: one per core), plots, how math is shown (``mathjax``, or ``svg`` images), and
    whether to use the cache."""

    timeout: float = 10.0
    jobs: int | None = None
    plots: bool = True
    math: str = "mathjax"
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
    """What a build wrote, what changed since the last build, and what the author should know."""

    output: Path
    check: CheckReport
    notes: int
    cards: int
    decks: tuple[str, ...]
    changes: Changes
    lock: Path
    warnings: tuple[str, ...]
    media: int = 0


def catalogue_folders(folders: Sequence[Path], include_bundled: bool | None) -> list[Path]:
    """The folders to read: the bundled catalogue when none is given or when asked to include it."""
    use_bundled = include_bundled if include_bundled is not None else not folders
    return [bundled_catalogue(), *folders] if use_bundled else list(folders)


def load(
    folders: Sequence[Path],
    include_bundled: bool | None = None,
    tags: Sequence[str] = (),
    decks: Sequence[str] = (),
) -> Catalogue:
    """Read and check the catalogue (no proofs); only the rules with any of ``tags`` in any of
    ``decks`` (or their subdecks) when those are given (see :mod:`ankigen.select`)."""
    from ankigen.select import select_rules

    return select_rules(load_catalogue(catalogue_folders(folders, include_bundled)), tags, decks)


def check(
    folders: Sequence[Path],
    include_bundled: bool | None = None,
    options: Options = Options(),
    progress: Progress | None = None,
    tags: Sequence[str] = (),
    decks: Sequence[str] = (),
) -> CheckReport:
    """Load the catalogue and verify every rule; never raises for an unproved rule."""
    catalogue = load(folders, include_bundled, tags, decks)
    return CheckReport(catalogue.rules, _verify(catalogue.rules, options, progress or Silent()))


def _verify(rules: Sequence[Rule], options: Options, progress: Progress) -> tuple[Verdict, ...]:
    """Every rule's verdict: remembered from an earlier build with the same math, tools and
    prover (see :mod:`ankigen.proof_cache`), or proved now in the worker pool."""
    store = default_cache() if options.cache else None
    known = proof_cache.lookup(rules, store) if store is not None else {}
    todo = [rule for rule in rules if rule.id not in known]
    progress.stage("proving", len(todo))
    if todo:
        from ankigen.verify import verify_rules  # sympy: only when there is something to prove

        proved = verify_rules(
            todo,
            timeout=options.timeout,
            jobs=options.jobs,
            on_verdict=lambda _: progress.advance(),
        )
        if store is not None:
            proof_cache.remember(todo, proved, store)
        known.update((verdict.rule_id, verdict) for verdict in proved)
    return tuple(known[rule.id] for rule in rules)


def build(
    folders: Sequence[Path],
    output: Path = DEFAULT_OUTPUT,
    include_bundled: bool | None = None,
    options: Options = Options(),
    lock: Path | None = None,
    allow_note_type_change: bool = False,
    progress: Progress | None = None,
    tags: Sequence[str] = (),
    decks: Sequence[str] = (),
) -> BuildReport:
    """Build the deck at ``output`` and update the lock file, or raise without writing anything.

    ``lock`` defaults to ``ankigen.lock`` in the first catalogue folder (see :mod:`ankigen.lock`).
    """
    from ankigen import media  # genanki and the plots: only once all is proved
    from ankigen.package import Times, write_package
    from ankigen.render import note_type

    # Gather and check everything first ...
    progress = progress or Silent()
    report = check(folders, include_bundled, options, progress, tags, decks)
    if not report.all_proved:
        raise NotProvedError(report.problems())
    notes, warnings = media.render_notes(report.rules, options, progress)
    kind = note_type()
    lock_path = lock or catalogue_folders(folders, include_bundled)[0] / LOCK_NAME
    previous = read_lock(lock_path)
    stamped, changes = update(previous, kind, notes, change_time())
    if tags or decks:  # part of the catalogue: the rules left out keep their stamps
        stamped, changes = keep_unselected(previous, stamped, changes)
    if changes.note_type_incompatible and not allow_note_type_change:
        raise NoteTypeChangeError(
            f"refusing to build: {changes.note_type_incompatible}. Learners' existing notes would "
            "become 'conflicting' in Anki and never update again. If that is really meant, build "
            "with --allow-note-type-change."
        )
    assert stamped.note_type is not None
    times = Times(stamped.note_type.modified, {r: s.modified for r, s in stamped.notes.items()})
    # ... and only then write: the deck first, then the lock that describes it.
    files = {file.name: file for note in notes for file in note.media}
    write_package(kind, notes, output, times, tuple(files.values()))
    warnings += _warnings(changes)
    if stamped != previous:
        try:
            write_lock(lock_path, stamped)
        except OutputError as error:
            warnings.append(
                f"{error.format_message()}; the next build will count this build's changes as "
                "new again"
            )
    return BuildReport(
        output,
        report,
        notes=len(notes),
        cards=len(notes),  # one card template: one card per note
        decks=tuple(dict.fromkeys(note.deck for note in notes)),
        changes=changes,
        lock=lock_path,
        warnings=tuple(warnings),
        media=len(files),
    )


def _warnings(changes: Changes) -> list[str]:
    warnings = [
        f"rule '{rule_id}' moved from deck '{old}' to '{new}': Anki does not move cards on "
        f"import, so learners' existing cards stay in '{old}'"
        for rule_id, old, new in changes.moved
    ]
    if changes.removed:
        warnings.append(
            "rules removed since the last build: " + ", ".join(changes.removed) + "; their notes "
            "stay in learners' collections (Anki never deletes notes on import)"
        )
    if changes.note_type_incompatible:
        warnings.append(f"{changes.note_type_incompatible}: learners' notes will be 'conflicting'")
    return warnings
