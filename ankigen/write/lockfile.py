"""The lock file on disk: ankigen's memory across builds, read as hostile input.

The file, kept beside the catalogue and committed with it, records for every rule the hash of
what its note contained, the time that content first appeared and its deck, and the same for
the note type (why: see :mod:`ankigen.write.lock`):

.. code-block:: json

    {
      "format": 1,
      "note_type": {"id": 1782146305, "fields": ["Id", "..."], "templates": ["Derivative"],
                    "hash": "…", "modified": 1764115200},
      "notes": {"sigmoid": {"hash": "…", "modified": 1764115200,
                            "deck": "Derivatives for ML::Activation functions"}}
    }

New changes get the time ``SOURCE_DATE_EPOCH`` (if set) or now, and always a time later than
the previous one of the same note. Every time, given or read, must lie in
:data:`EARLIEST` .. :data:`LATEST`: Anki's note ids are made from it (0 gives note id 0, which
Anki reports as an inconsistent state), and a time in milliseconds or far in the future would make
Anki skip every later update of the note.

A lock file is read as hostile input: at most :data:`MAX_LOCK_BYTES`, only from a regular file,
strict JSON (no ``NaN``, ``Infinity`` or fractions), every value checked for its type and range.
A lock that fails is reported with its path and what is wrong, and nothing is built.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ankigen.errors import CatalogueError, Location, Problem, UsageError
from ankigen.plumbing.files import read_regular_file, write_atomically

LOCK_NAME = "ankigen.lock"
FORMAT = 1
MAX_LOCK_BYTES = 16 * 1024 * 1024  # about 80,000 rules; the bundled lock is 25 kB for 110
EARLIEST = 946_684_800  # 2000-01-01, before which no Anki deck was made (Anki dates from 2006)
LATEST = 4_102_444_800  # 2100-01-01; a time in milliseconds (now about 1.7e12) is far above it
_MAX_ID = 2**63 - 1  # Anki's ids are signed 64-bit integers


@dataclass(frozen=True)
class Times:
    """Modification times (seconds since the epoch) for the note type and each rule's note."""

    note_type: int
    notes: Mapping[str, int]


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


def read_lock(path: Path) -> Lock:
    """The lock at ``path``; an empty one if there is no file yet.

    Raises :class:`CatalogueError`, located at ``path``, if it cannot be read or is not a valid
    lock (see the module's docstring).
    """
    try:
        raw = read_regular_file(path, MAX_LOCK_BYTES)
    except FileNotFoundError:
        return Lock()
    except OSError as error:
        problem = f"cannot read the lock file: {error.strerror or error}"
        raise CatalogueError([Problem(problem, Location(path))]) from None
    try:
        return _lock(_parse(raw))
    except _Invalid as error:
        raise CatalogueError(
            [
                Problem(
                    f"not a valid ankigen lock file: {error.message}; restore it from version "
                    "control, or delete it to start afresh (every note will then count as "
                    "changed once)",
                    Location(path, error.line),
                )
            ]
        ) from None


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
    """The time given to new changes: ``SOURCE_DATE_EPOCH`` when set, else now.

    Raises :class:`UsageError` if it is not whole seconds from :data:`EARLIEST` to
    :data:`LATEST` (a clock that is wrong, milliseconds, a typo).
    """
    fixed = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not fixed:
        now = int(time.time())
        if not EARLIEST <= now <= LATEST:
            raise UsageError(
                f"the system clock says {_date(now)}, outside {_WINDOW}: set the clock, or set "
                "SOURCE_DATE_EPOCH to the time the changes of this build should get"
            )
        return now
    if not re.fullmatch(r"[0-9]{1,20}", fixed):
        shown = fixed if len(fixed) <= 40 else fixed[:37] + "..."
        raise UsageError(f"SOURCE_DATE_EPOCH must be whole seconds since 1970, not {shown!r}")
    seconds = int(fixed)
    if not EARLIEST <= seconds <= LATEST:
        hint = (
            f" ({seconds} looks like milliseconds: {seconds // 1000} is {_date(seconds // 1000)})"
            if EARLIEST <= seconds // 1000 <= LATEST
            else ""
        )
        raise UsageError(
            f"SOURCE_DATE_EPOCH={fixed} is outside {_WINDOW}{hint}: Anki would reject the notes "
            "or ignore their later updates"
        )
    return seconds


def _date(seconds: int) -> str:
    """``2023-11-14``, or the seconds themselves if no calendar has that day."""
    try:
        return datetime.datetime.fromtimestamp(seconds, datetime.UTC).date().isoformat()
    except (OverflowError, OSError, ValueError):
        return f"{seconds} s after 1970"


_WINDOW = f"the times ankigen accepts, {_date(EARLIEST)} ({EARLIEST}) to {_date(LATEST)} ({LATEST})"


# --- reading a lock file, which may be anything ----------------------------------------------


class _Invalid(Exception):
    """What is wrong with a lock file, and on which line when the JSON itself is broken."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True)
class _BadNumber:
    """A number JSON allows but a lock never holds (``1.5``, ``1e400``, ``Infinity``, ``NaN``,
    a hundred digits), kept as written so that the check of its key can name it."""

    text: str


def _parse(raw: bytes) -> object:
    """The JSON value of the file, with numbers that cannot be a lock's as :class:`_BadNumber`."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise _Invalid(f"not UTF-8 text (byte 0x{raw[error.start]:02x})", line) from None
    try:
        return json.loads(
            text,
            parse_float=_BadNumber,
            parse_constant=_BadNumber,
            parse_int=lambda digits: int(digits) if len(digits) <= 20 else _BadNumber(digits),
            object_pairs_hook=_object_without_duplicates,
        )
    except json.JSONDecodeError as error:
        raise _Invalid(
            f"JSON syntax error: {error.msg} (column {error.colno})", error.lineno
        ) from None
    except RecursionError:
        raise _Invalid("the JSON is nested too deeply") from None


def _object_without_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise _Invalid(f"the key {key!r} appears twice in one object")
        result[key] = value
    return result


def _lock(data: object) -> Lock:
    top = _object(data, "the file")
    if "format" not in top:
        raise _Invalid("the file has no key 'format'")
    version = top["format"]  # checked first: another format may have other keys
    if not (type(version) is int and version == FORMAT):
        raise _Invalid(f"'format' is {_shown(version)}; this ankigen reads format {FORMAT}")
    top = _object(data, "the file", ("format", "note_type", "notes"))
    kind = top["note_type"]
    note_type = None if kind is None else _note_type_stamp(kind)
    notes = _object(top["notes"], "'notes'")
    return Lock(
        note_type,
        {rule_id: _note_stamp(stamp, f"notes.{rule_id}") for rule_id, stamp in notes.items()},
    )


def _note_type_stamp(value: object) -> NoteTypeStamp:
    keys = ("id", "fields", "templates", "hash", "modified")
    kind = _object(value, "'note_type'", keys)
    return NoteTypeStamp(
        _whole(kind["id"], "note_type.id", 1, _MAX_ID),
        _texts(kind["fields"], "note_type.fields"),
        _texts(kind["templates"], "note_type.templates"),
        _hash(kind["hash"], "note_type.hash"),
        _time(kind["modified"], "note_type.modified"),
    )


def _note_stamp(value: object, where: str) -> NoteStamp:
    stamp = _object(value, where, ("hash", "modified", "deck"))
    return NoteStamp(
        _hash(stamp["hash"], f"{where}.hash"),
        _time(stamp["modified"], f"{where}.modified"),
        _text(stamp["deck"], f"{where}.deck"),
    )


def _object(value: object, where: str, keys: Sequence[str] | None = None) -> dict[str, object]:
    """``value`` as a JSON object; with ``keys``, exactly those keys."""
    if not isinstance(value, dict):
        raise _Invalid(f"{where} must be a JSON object, not {_shown(value)}")
    if keys is not None:
        for key in keys:
            if key not in value:
                raise _Invalid(f"{where} has no key {key!r}")
        for key in value:
            if key not in keys:
                raise _Invalid(f"{where} has an unknown key {key!r}")
    return value


def _whole(value: object, where: str, low: int, high: int) -> int:
    if type(value) is not int or not low <= value <= high:  # bool is an int: refuse true
        raise _Invalid(f"{where} must be a whole number from {low} to {high}, not {_shown(value)}")
    return value


def _time(value: object, where: str) -> int:
    if type(value) is not int or not EARLIEST <= value <= LATEST:
        raise _Invalid(f"{where} must be whole seconds within {_WINDOW}, not {_shown(value)}")
    return value


def _text(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise _Invalid(f"{where} must be text, not {_shown(value)}")
    return value


def _texts(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _Invalid(f"{where} must be a list of names, not {_shown(value)}")
    return tuple(_text(item, f"{where}[{i}]") for i, item in enumerate(value))


def _hash(value: object, where: str) -> str:
    if not (isinstance(value, str) and re.fullmatch(r"[0-9a-f]{64}", value)):
        raise _Invalid(
            f"{where} must be a SHA-256 hash (64 hexadecimal digits), not {_shown(value)}"
        )
    return value


def _shown(value: object) -> str:
    """A value as the message shows it: JSON, shortened."""
    if isinstance(value, _BadNumber):
        text = value.text
    elif isinstance(value, dict):
        text = "an object"
    elif isinstance(value, list):
        text = "a list"
    else:
        text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."
