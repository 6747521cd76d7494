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

from ankigen import load as loader
from ankigen.errors import AnkigenError, CatalogueError, NotProvedError, Problem, UsageError
from ankigen.plumbing.files import check_replaceable
from ankigen.plumbing.resources import bundled_catalogue
from ankigen.records import (
    Catalogue,
    Checked,
    DeckDescription,
    Options,
    Progress,
    Rule,
    Silent,
    Status,
)
from ankigen.write.lock import Changes
from ankigen.write.lockfile import LOCK_NAME, Lock, change_time, read_lock

DEFAULT_OUTPUT = Path("ankigen.apkg")


@dataclass(frozen=True)
class CheckReport:
    """Every rule with its verdict, in catalogue order, and the descriptions of their decks."""

    checked: tuple[Checked, ...]
    descriptions: tuple[DeckDescription, ...] = ()

    @property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(c.rule for c in self.checked)

    @property
    def all_proved(self) -> bool:
        return all(c.proved for c in self.checked)

    def counts(self) -> dict[Status, int]:
        counts: dict[Status, int] = {}
        for c in self.checked:
            counts[c.verdict.status] = counts.get(c.verdict.status, 0) + 1
        return counts

    def problems(self) -> list[Problem]:
        """One located problem per rule that is not proved."""
        return [c.problem() for c in self.checked if not c.proved]

    def error(self) -> AnkigenError:
        """The error for the rules not proved: a catalogue error (exit 2) when a function or
        claim is undefined everywhere, for that is a mistake in the input, else exit 1."""
        if any(c.verdict.status == Status.INVALID for c in self.checked):
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
    warnings: tuple[Problem, ...]
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
    return loader.load(catalogue_folders(folders, include_bundled), tags, decks)


def check(
    folders: Sequence[Path],
    include_bundled: bool | None = None,
    options: Options = Options(),
    progress: Progress | None = None,
    tags: Sequence[str] = (),
    decks: Sequence[str] = (),
) -> CheckReport:
    """Load the catalogue and verify every rule; never raises for an unproved rule."""
    from ankigen.verify import verify

    catalogue = load(folders, include_bundled, tags, decks)
    checked = verify(catalogue.rules, options, progress)
    return CheckReport(checked, catalogue.descriptions)


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
    from ankigen.render import render  # the plots and SVG math: only once all is proved
    from ankigen.write import lock as lock_policy
    from ankigen.write.package import write_package  # genanki

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
    rendered = render(report.rules, options, progress)
    plan = lock_policy.plan(
        previous,
        reference,
        rendered,
        now,
        partial=bool(tags or decks),
        allow_note_type_change=allow_note_type_change,
    )
    # ... and only then write: the deck first, then the lock that describes it.
    descriptions = {d.deck: d.text for d in report.descriptions}
    write_package(
        rendered.note_type, rendered.notes, output, plan.times(), rendered.media, descriptions
    )
    unrecorded = lock_policy.record(lock_path, plan, previous, reference)
    return BuildReport(
        output,
        report,
        notes=len(rendered.notes),
        cards=len(rendered.notes),  # one card template: one card per note
        decks=tuple(dict.fromkeys(note.deck for note in rendered.notes)),
        changes=plan.changes,
        lock=lock_path,
        warnings=(*rendered.warnings, *plan.changes.warnings(), *filter(None, [unrecorded])),
        media=len(rendered.media),
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
    inputs = [(path, "a catalogue file") for path in loader.catalogue_files(folders)]
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
