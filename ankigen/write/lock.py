"""The lock policy: modification times that move exactly when content changes.

Anki's importer updates an existing note only when the incoming note's modification time is
newer than the one it has, and matches note types by id, field names and template names. So each
build must give an unchanged note its old time (or a learner's own edit would be overwritten at
every import) and a changed note a newer one (or the edit would never arrive). The lock file,
kept beside the catalogue and committed with it, records for every rule the hash of what its note
contained and the time that content first appeared, and the same for the note type (the file
itself: :mod:`ankigen.write.lockfile`).

The bundled catalogue ships with its own lock, the times of the published deck. It is a
*reference*: read, never written. A build that includes the bundled rules gives each of them its
published time whenever its content is the published one, whatever the user's own lock says, so
that learners who re-import an unchanged bundled deck see nothing updated; the user's lock then
records only what differs from the reference (the user's own rules, and bundled notes built
differently, e.g. without plots).

A build gathers everything first; :func:`plan` then decides every note's time and refuses a
note type change that would break learners' notes, before anything is written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ankigen.errors import NoteTypeChangeError, OutputError, Problem
from ankigen.records import NoteType, Rendered, RenderedNote
from ankigen.write.lockfile import Lock, NoteStamp, NoteTypeStamp, Times, write_lock


@dataclass(frozen=True)
class Moved:
    """A rule whose note is in another deck than at the last build."""

    rule_id: str
    old_deck: str
    new_deck: str


@dataclass(frozen=True)
class Changes:
    """How this build differs from the last one recorded in the lock."""

    new: tuple[str, ...]
    updated: tuple[str, ...]
    removed: tuple[str, ...]
    moved: tuple[Moved, ...]
    note_type_updated: bool
    note_type_incompatible: str | None  # why learners' notes would become "conflicting"

    @property
    def any(self) -> bool:
        return bool(self.new or self.updated or self.removed or self.note_type_updated)

    def warnings(self) -> tuple[Problem, ...]:
        """What an author should know before publishing: renamed decks (one warning each, not
        one per rule), removed rules, and a note type change that breaks learners' notes."""
        moves: dict[tuple[str, str], list[str]] = {}
        for move in self.moved:
            moves.setdefault((move.old_deck, move.new_deck), []).append(move.rule_id)
        warnings = [
            f"{_rules(ids)} moved from deck '{old}' to '{new}': Anki does not move cards on "
            f"import, so learners' existing cards stay in '{old}' (a learner who renames that "
            f"deck to '{new}' before importing keeps them together)"
            for (old, new), ids in moves.items()
        ]
        if self.removed:
            warnings.append(
                "rules removed since the last build: " + ", ".join(self.removed) + "; their "
                "notes stay in learners' collections (Anki never deletes notes on import)"
            )
        if self.note_type_incompatible:
            warnings.append(f"{self.note_type_incompatible}: learners' notes will be 'conflicting'")
        return tuple(Problem(warning) for warning in warnings)


@dataclass(frozen=True)
class Plan:
    """What a build is about to write: every stamp (the times the deck gets) and what changed
    since the last build."""

    stamped: Lock
    changes: Changes

    def times(self) -> Times:
        assert self.stamped.note_type is not None  # update() always stamps the note type
        notes = {rule_id: stamp.modified for rule_id, stamp in self.stamped.notes.items()}
        return Times(self.stamped.note_type.modified, notes)


def plan(
    previous: Lock,
    reference: Lock | None,
    rendered: Rendered,
    now: int,
    *,
    partial: bool,
    allow_note_type_change: bool,
) -> Plan:
    """Stamp every note of this build against the last one (``previous``) and the published
    bundled deck (``reference``). ``partial``: only part of the catalogue was selected, so the
    rules left out keep their stamps. Raises :class:`NoteTypeChangeError` for a note type change
    that would leave learners' notes "conflicting", unless ``allow_note_type_change``."""
    stamped, changes = update(previous, rendered.note_type, rendered.notes, now, reference)
    if partial:
        stamped, changes = keep_unselected(previous, stamped, changes)
    if changes.note_type_incompatible and not allow_note_type_change:
        raise NoteTypeChangeError(
            f"refusing to build: {changes.note_type_incompatible}. Learners' existing notes would "
            "become 'conflicting' in Anki and never update again. If that is really meant, build "
            "with --allow-note-type-change."
        )
    return Plan(stamped, changes)


def record(path: Path, plan: Plan, previous: Lock, reference: Lock | None) -> Problem | None:
    """Write what the lock at ``path`` must now hold, once the deck is written; a lock that
    cannot be written is a warning, not an error, for the deck is already there."""
    recorded = beyond(plan.stamped, reference)
    if recorded == previous:
        return None
    try:
        write_lock(path, recorded)
    except OutputError as error:
        return Problem(
            f"{error.format_message()}; the next build will count this build's changes as new again"
        )
    return None


def _rules(ids: Sequence[str]) -> str:
    """'rule 'a'', or 'rules 'a', 'b' and 'c'' for a message."""
    quoted = [f"'{rule_id}'" for rule_id in ids]
    if len(quoted) == 1:
        return f"rule {quoted[0]}"
    return f"rules {', '.join(quoted[:-1])} and {quoted[-1]}"


def note_hash(note: RenderedNote) -> str:
    """A hash of everything Anki stores in a note: its fields and its tags."""
    return _digest([*note.fields, "\x1e", *note.tags])


def note_type_hash(kind: NoteType) -> str:
    return _digest(
        [str(kind.id), kind.name, *kind.fields, kind.template_name, kind.front, kind.back, kind.css]
    )


def update(
    lock: Lock,
    note_type: NoteType,
    notes: Sequence[RenderedNote],
    now: int,
    reference: Lock | None = None,
) -> tuple[Lock, Changes]:
    """Every stamp of this build, and what changed since the last build.

    Each note, and the note type, keeps the time of the earlier build that had the same content:
    the ``reference``'s (the bundled catalogue's published times) first, else ``lock``'s.
    Changed content gets ``now`` or a second later than any time it had; new content gets
    ``now``. (:func:`beyond` then leaves out of the lock to write what the reference holds.)
    """
    reference = reference or Lock()
    new, updated, moved = [], [], []
    stamps: dict[str, NoteStamp] = {}
    for note in notes:
        digest = note_hash(note)
        mine, published = lock.notes.get(note.rule_id), reference.notes.get(note.rule_id)
        when, status = _time_for(digest, now, [s for s in (published, mine) if s is not None])
        if status == "new":
            new.append(note.rule_id)
        elif status == "updated":
            updated.append(note.rule_id)
        last = mine or published
        if last is not None and last.deck != note.deck:
            moved.append(Moved(note.rule_id, last.deck, note.deck))
        stamps[note.rule_id] = NoteStamp(digest, when, note.deck)
    removed = tuple(sorted(set(lock.notes) - set(stamps)))

    digest = note_type_hash(note_type)
    structure = (note_type.fields, (note_type.template_name,))
    old_type = lock.note_type or reference.note_type
    incompatible = None
    if old_type is not None and (old_type.fields, old_type.templates) != structure:
        incompatible = (
            f"the note type's fields or templates changed from {list(old_type.fields)} / "
            f"{list(old_type.templates)} to {list(structure[0])} / {list(structure[1])}"
        )
    known_types = [s for s in (reference.note_type, lock.note_type) if s is not None]
    type_time, type_status = _time_for(digest, now, known_types)
    type_stamp = NoteTypeStamp(note_type.id, *structure, digest, type_time)
    changes = Changes(
        new=tuple(new),
        updated=tuple(updated),
        removed=removed,
        moved=tuple(moved),
        note_type_updated=type_status != "unchanged",
        note_type_incompatible=incompatible,
    )
    return Lock(type_stamp, stamps), changes


def beyond(lock: Lock, reference: Lock | None) -> Lock:
    """What the user's lock file must hold: the stamps of ``lock`` that ``reference`` does not
    already hold (so a build of the unchanged bundled deck has nothing to remember)."""
    if reference is None:
        return lock
    return Lock(
        None if lock.note_type == reference.note_type else lock.note_type,
        {r: s for r, s in lock.notes.items() if reference.notes.get(r) != s},
    )


def _time_for(digest: str, now: int, known: Sequence[NoteStamp | NoteTypeStamp]) -> tuple[int, str]:
    """The time for content ``digest`` given its earlier stamps (the one to trust first, first),
    and whether it is ``new``, ``updated`` or ``unchanged``."""
    for stamp in known:
        if stamp.hash == digest:
            return stamp.modified, "unchanged"
    if not known:
        return now, "new"
    return max(now, *(stamp.modified + 1 for stamp in known)), "updated"


def keep_unselected(previous: Lock, current: Lock, changes: Changes) -> tuple[Lock, Changes]:
    """For a build of part of the catalogue (``--tag``, ``--deck``): the rules left out keep
    their stamps in the lock and none of them counts as removed (a full build reports the rules
    really removed from the catalogue)."""
    notes = {**previous.notes, **current.notes}
    return Lock(current.note_type, notes), replace(changes, removed=())


def _digest(parts: Sequence[str]) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(part.encode("utf-8"))
        hasher.update(b"\x00")
    return hasher.hexdigest()
