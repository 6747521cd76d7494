"""The lock file: ankigen's memory across builds, so that modification times move exactly when
content changes.

Anki's importer updates an existing note only when the incoming note's modification time is
newer than the one it has, and matches note types by id, field names and template names. So each
build must give an unchanged note its old time (or a learner's own edit would be overwritten at
every import) and a changed note a newer one (or the edit would never arrive). The lock file,
kept beside the catalogue and committed with it, records for every rule the hash of what its note
contained and the time that content first appeared, and the same for the note type:

.. code-block:: json

    {
      "format": 1,
      "note_type": {"id": 1782146305, "fields": ["Id", "..."], "templates": ["Derivative"],
                    "hash": "…", "modified": 1764115200},
      "notes": {"sigmoid": {"hash": "…", "modified": 1764115200,
                            "deck": "Derivatives for ML::Activation functions"}}
    }

New changes get the time ``SOURCE_DATE_EPOCH`` (if set) or now, and always a time later than
the previous one of the same note.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ankigen.errors import CatalogueError, Location, Problem
from ankigen.files import write_atomically
from ankigen.render import NoteType, RenderedNote

LOCK_NAME = "ankigen.lock"
FORMAT = 1


@dataclass(frozen=True)
class NoteStamp:
    """What a note contained at the last build (as a hash), since when, and in which deck."""

    hash: str
    modified: int
    deck: str


@dataclass(frozen=True)
class NoteTypeStamp:
    id: int
    fields: tuple[str, ...]
    templates: tuple[str, ...]
    hash: str
    modified: int


@dataclass(frozen=True)
class Lock:
    note_type: NoteTypeStamp | None = None
    notes: dict[str, NoteStamp] = field(default_factory=dict)


@dataclass(frozen=True)
class Changes:
    """How this build differs from the last one recorded in the lock."""

    new: tuple[str, ...]
    updated: tuple[str, ...]
    removed: tuple[str, ...]
    moved: tuple[tuple[str, str, str], ...]  # (rule id, old deck, new deck)
    note_type_updated: bool
    note_type_incompatible: str | None  # why learners' notes would become "conflicting"

    @property
    def any(self) -> bool:
        return bool(self.new or self.updated or self.removed or self.note_type_updated)


def read_lock(path: Path) -> Lock:
    """The lock at ``path``; an empty one if there is no file yet."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Lock()
    except OSError as error:
        raise CatalogueError(f"{path}: cannot read the lock file: {error.strerror}") from None
    try:
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise ValueError(f"format {data.get('format')!r}, expected {FORMAT}")
        kind = data.get("note_type")
        note_type = (
            NoteTypeStamp(
                int(kind["id"]),
                tuple(kind["fields"]),
                tuple(kind["templates"]),
                str(kind["hash"]),
                int(kind["modified"]),
            )
            if kind
            else None
        )
        notes = {
            str(rule_id): NoteStamp(str(n["hash"]), int(n["modified"]), str(n["deck"]))
            for rule_id, n in data["notes"].items()
        }
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise CatalogueError(
            [
                Problem(
                    f"not a valid ankigen lock file ({error}); restore it from version control, "
                    "or delete it to start afresh (every note will then count as changed once)",
                    Location(path),
                )
            ]
        ) from None
    return Lock(note_type, notes)


def write_lock(path: Path, lock: Lock) -> None:
    """Write the lock atomically, as sorted, indented JSON that diffs well in version control."""
    data = {
        "format": FORMAT,
        "note_type": None
        if lock.note_type is None
        else {
            "id": lock.note_type.id,
            "fields": list(lock.note_type.fields),
            "templates": list(lock.note_type.templates),
            "hash": lock.note_type.hash,
            "modified": lock.note_type.modified,
        },
        "notes": {
            rule_id: {"hash": n.hash, "modified": n.modified, "deck": n.deck}
            for rule_id, n in sorted(lock.notes.items())
        },
    }
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    write_atomically(path, text.encode("utf-8"), what="lock file", mode=0o644)


def change_time() -> int:
    """The time given to new changes: ``SOURCE_DATE_EPOCH`` when set, else now."""
    fixed = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if fixed:
        try:
            return int(fixed)
        except ValueError:
            raise CatalogueError(
                f"SOURCE_DATE_EPOCH must be whole seconds, not {fixed!r}"
            ) from None
    return int(time.time())


def note_hash(note: RenderedNote) -> str:
    """A hash of everything Anki stores in a note: its fields and its tags."""
    return _digest([*note.fields, "\x1e", *note.tags])


def note_type_hash(kind: NoteType) -> str:
    return _digest(
        [str(kind.id), kind.name, *kind.fields, kind.template_name, kind.front, kind.back, kind.css]
    )


def update(
    lock: Lock, note_type: NoteType, notes: Sequence[RenderedNote], now: int
) -> tuple[Lock, Changes]:
    """The lock for this build (unchanged content keeps its time; changed content gets ``now``
    or later), and what changed since the last build."""
    new, updated, moved = [], [], []
    stamps: dict[str, NoteStamp] = {}
    for note in notes:
        digest = note_hash(note)
        old = lock.notes.get(note.rule_id)
        if old is None:
            new.append(note.rule_id)
            stamps[note.rule_id] = NoteStamp(digest, now, note.deck)
            continue
        if old.deck != note.deck:
            moved.append((note.rule_id, old.deck, note.deck))
        if old.hash == digest:
            stamps[note.rule_id] = NoteStamp(digest, old.modified, note.deck)
        else:
            updated.append(note.rule_id)
            stamps[note.rule_id] = NoteStamp(digest, max(now, old.modified + 1), note.deck)
    removed = tuple(sorted(set(lock.notes) - set(stamps)))

    digest = note_type_hash(note_type)
    structure = (note_type.fields, (note_type.template_name,))
    old_type = lock.note_type
    incompatible = None
    if old_type is not None and (old_type.fields, old_type.templates) != structure:
        incompatible = (
            f"the note type's fields or templates changed from {list(old_type.fields)} / "
            f"{list(old_type.templates)} to {list(structure[0])} / {list(structure[1])}"
        )
    if old_type is None:
        type_time = now
    elif old_type.hash == digest:
        type_time = old_type.modified
    else:
        type_time = max(now, old_type.modified + 1)
    type_stamp = NoteTypeStamp(note_type.id, *structure, digest, type_time)
    changes = Changes(
        new=tuple(new),
        updated=tuple(updated),
        removed=removed,
        moved=tuple(moved),
        note_type_updated=old_type is None or old_type.hash != digest,
        note_type_incompatible=incompatible,
    )
    return Lock(type_stamp, stamps), changes


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
