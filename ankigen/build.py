"""The orchestrator: load → verify → render → write, each stage called once, in that order.

Everything is gathered and checked before anything is written: a catalogue with a mistake or an
unproved derivative raises (listing every problem) and leaves any existing deck untouched.
This is ankigen's library interface; the command line is a thin layer over it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ankigen.errors import (
    AnkigenError,
    CatalogueError,
    NoteTypeChangeError,
    NotProvedError,
    OutputError,
    Problem,
    UsageError,
)
from ankigen.load.catalogue import catalogue_files, load_catalogue
from ankigen.plumbing.cache import default_cache
from ankigen.plumbing.files import check_replaceable
from ankigen.plumbing.resources import bundled_catalogue
from ankigen.records import INVALID, Catalogue, DeckDescription, Rule, Verdict
from ankigen.verify import cache as proof_cache
from ankigen.write.lock import (
    LOCK_NAME,
    Changes,
    Lock,
    beyond,
    change_time,
    keep_unselected,
    read_lock,
    update,
    write_lock,
)

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
    """Every rule with its verdict, in catalogue order, and the descriptions of their decks."""

    rules: tuple[Rule, ...]
    verdicts: tuple[Verdict, ...]
    descriptions: tuple[DeckDescription, ...] = ()

    @property
    def all_proved(self) -> bool:
        return all(v.proved for v in self.verdicts)

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for verdict in self.verdicts:
            counts[verdict.status] = counts.get(verdict.status, 0) + 1
        return counts

    def problems(self) -> list[Problem]:
        """One located problem per rule that is not proved: at its claim, or at the rule when
        its function or claim has no value anywhere."""
        return [
            Problem(v.detail, r.location if v.status == INVALID else r.derivative_location, r.id)
            for r, v in zip(self.rules, self.verdicts, strict=True)
            if not v.proved
        ]

    def error(self) -> AnkigenError:
        """The error for the rules not proved: a catalogue error (exit 2) when a function or
        claim is undefined everywhere, for that is a mistake in the input, else exit 1."""
        if any(v.status == INVALID for v in self.verdicts):
            return CatalogueError(self.problems())
        return NotProvedError(self.problems())


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
    baseline: str = ""  # what ``changes`` compares with, in words; "" for a first build


def catalogue_folders(folders: Sequence[Path], include_bundled: bool | None) -> list[Path]:
    """The folders to read: the bundled catalogue when none is given or when asked to include it."""
    return (
        [bundled_catalogue(), *folders] if _uses_bundled(folders, include_bundled) else [*folders]
    )


def _uses_bundled(folders: Sequence[Path], include_bundled: bool | None) -> bool:
    return include_bundled if include_bundled is not None else not folders


def default_lock(folders: Sequence[Path], output: Path) -> Path:
    """Where the lock file goes when ``--lock`` is not given: ``ankigen.lock`` in the first of
    the user's own catalogue folders (it belongs with the catalogue, committed beside it), or,
    for a build of the bundled catalogue alone, beside the deck it describes (so a rebuild of
    the same deck finds it, from whatever folder it is run). Never in the bundled catalogue:
    that may be an installed package, and its own lock is the published reference."""
    return (folders[0] if folders else output.parent) / LOCK_NAME


def load(
    folders: Sequence[Path],
    include_bundled: bool | None = None,
    tags: Sequence[str] = (),
    decks: Sequence[str] = (),
) -> Catalogue:
    """Read and check the catalogue (no proofs); only the rules with any of ``tags`` in any of
    ``decks`` (or their subdecks) when those are given (see :mod:`ankigen.load.select`)."""
    from ankigen.load.select import select_rules

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
    verdicts = _verify(catalogue.rules, options, progress or Silent())
    return CheckReport(catalogue.rules, verdicts, catalogue.descriptions)


def _verify(rules: Sequence[Rule], options: Options, progress: Progress) -> tuple[Verdict, ...]:
    """Every rule's verdict: remembered from an earlier build with the same math, tools and
    prover (see :mod:`ankigen.verify.cache`), or proved now in the worker pool."""
    store = default_cache() if options.cache else None
    known = proof_cache.lookup(rules, store) if store is not None else {}
    todo = [rule for rule in rules if rule.id not in known]
    progress.stage("proving", len(todo))
    if todo:
        from ankigen.verify.prove import (
            verify_rules,  # sympy: only when there is something to prove
        )

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

    ``lock`` defaults to :func:`default_lock`. When the build includes the bundled catalogue,
    that catalogue's own lock is read as the reference for its rules' times, and never written
    (see :mod:`ankigen.lock`).
    """
    from ankigen.render import media  # genanki and the plots: only once all is proved
    from ankigen.render.notes import note_type
    from ankigen.write.package import Times, write_package

    # Check the paths, the clock and the lock files before any work ...
    progress = progress or Silent()
    lock_path = lock or default_lock(folders, output)
    reference_path = (
        bundled_catalogue() / LOCK_NAME if _uses_bundled(folders, include_bundled) else None
    )
    _refuse_inputs_as_outputs(
        catalogue_folders(folders, include_bundled), output, lock_path, reference_path
    )
    now = change_time()
    previous = read_lock(lock_path)
    reference = read_lock(reference_path) if reference_path else None
    check_replaceable(output, "deck")
    check_replaceable(lock_path, "lock file")
    # ... then gather and check everything ...
    report = check(folders, include_bundled, options, progress, tags, decks)
    if not report.all_proved:
        raise report.error()
    notes, warnings = media.render_notes(report.rules, options, progress)
    kind = note_type()
    stamped, changes = update(previous, kind, notes, now, reference)
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
    descriptions = {d.deck: d.text for d in report.descriptions}
    write_package(kind, notes, output, times, tuple(files.values()), descriptions)
    warnings += _warnings(changes)
    recorded = beyond(stamped, reference)
    if recorded != previous:
        try:
            write_lock(lock_path, recorded)
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
        baseline=_baseline(previous, reference, lock_path),
    )


def _baseline(previous: Lock, reference: Lock | None, lock_path: Path) -> str:
    """What the build's counts of new, updated and unchanged notes are relative to: the notes
    learners may already have, from the published bundled deck and the builds the lock records
    ("" when there is neither: a first build, where every note is new)."""
    known = []
    if reference is not None and reference.notes:
        known.append("the published bundled deck")
    if previous.notes:
        known.append(f"the last build recorded in {lock_path}")
    return " and ".join(known)


def _refuse_inputs_as_outputs(
    folders: Sequence[Path], output: Path, lock: Path, reference: Path | None
) -> None:
    """Raise :class:`UsageError` if the deck or the lock would be written over a file this
    build reads: a catalogue file, the bundled catalogue's lock, or (for the deck) the lock."""
    inputs = [(path, "a catalogue file") for path in catalogue_files(folders)]
    if reference is not None:
        inputs.append((reference, "the bundled catalogue's lock file"))
    for target, what, others in (
        (lock, "lock file", inputs),
        (output, "deck", [*inputs, (lock, "the lock file")]),
    ):
        for path, kind in others:
            if _same_file(target, path):
                raise UsageError(
                    f"{target}: the {what} would be written over {path}, {kind} of this build; "
                    f"choose another path for the {what}"
                )


def _same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file: the same path once links are followed, or the same
    file on disk (a hard link). A path that cannot be resolved (a link loop) names no input."""
    with contextlib.suppress(OSError, RuntimeError):  # RuntimeError: a link loop before 3.13
        if a.resolve() == b.resolve():
            return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # either is missing: not the same file
        return False


def _warnings(changes: Changes) -> list[str]:
    moves: dict[tuple[str, str], list[str]] = {}  # one warning per renamed deck, not per rule
    for rule_id, old, new in changes.moved:
        moves.setdefault((old, new), []).append(rule_id)
    warnings = [
        f"{_rules(ids)} moved from deck '{old}' to '{new}': Anki does not move cards on "
        f"import, so learners' existing cards stay in '{old}' (a learner who renames that deck "
        f"to '{new}' before importing keeps them together)"
        for (old, new), ids in moves.items()
    ]
    if changes.removed:
        warnings.append(
            "rules removed since the last build: " + ", ".join(changes.removed) + "; their notes "
            "stay in learners' collections (Anki never deletes notes on import)"
        )
    if changes.note_type_incompatible:
        warnings.append(f"{changes.note_type_incompatible}: learners' notes will be 'conflicting'")
    return warnings


def _rules(ids: Sequence[str]) -> str:
    """'rule 'a'', or 'rules 'a', 'b' and 'c'' for a message."""
    quoted = [f"'{rule_id}'" for rule_id in ids]
    if len(quoted) == 1:
        return f"rule {quoted[0]}"
    return f"rules {', '.join(quoted[:-1])} and {quoted[-1]}"
