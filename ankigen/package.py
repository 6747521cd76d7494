"""The write stage: put rendered notes into an Anki package (.apkg). The only user of genanki.

The package is written to a temporary file in the output's own folder and renamed over the
output only when complete, so a failed or interrupted build never leaves a broken deck, and an
existing deck stays untouched until the new one is whole.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import genanki

from ankigen.errors import OutputError
from ankigen.render import NoteType, RenderedNote


def deck_id(name: str) -> int:
    """A stable id for a deck name, so that rebuilding never creates a second deck."""
    digest = hashlib.sha256(f"ankigen deck {name}".encode()).digest()
    return (1 << 30) + int.from_bytes(digest[:4], "big") % (1 << 30)


def note_guid(rule_id: str) -> str:
    """A note's GUID, from the rule id alone: edits to a rule update the learner's note."""
    return str(genanki.guid_for("ankigen", rule_id))


def write_package(note_type: NoteType, notes: Sequence[RenderedNote], output: Path) -> None:
    """Write the notes into ``output`` atomically; raise OutputError if it cannot be written."""
    model = genanki.Model(
        note_type.id,
        note_type.name,
        fields=[{"name": field} for field in note_type.fields],
        templates=[
            {"name": note_type.template_name, "qfmt": note_type.front, "afmt": note_type.back}
        ],
        css=note_type.css,
    )
    decks: dict[str, genanki.Deck] = {}
    for note in notes:
        deck = decks.setdefault(note.deck, genanki.Deck(deck_id(note.deck), note.deck))
        deck.add_note(
            genanki.Note(
                model=model,
                fields=list(note.fields),
                tags=list(note.tags),
                guid=note_guid(note.rule_id),
            )
        )
    package = genanki.Package(list(decks.values()))
    _write_atomically(output, package.write_to_file)


def _write_atomically(output: Path, write: Callable[[str], object]) -> None:
    folder = output.parent
    if not folder.is_dir():
        raise OutputError(f"{output}: the folder {folder} does not exist")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=folder)
    except OSError as error:
        raise OutputError(f"{output}: cannot write in {folder}: {error.strerror}") from None
    os.close(handle)
    try:
        write(temporary)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes it private; a deck is not
        os.replace(temporary, output)
    except OSError as error:
        raise OutputError(f"{output}: cannot write the deck: {error.strerror or error}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
