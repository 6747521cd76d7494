"""The write stage: put rendered notes into an Anki package (.apkg). The only user of genanki.

genanki builds the collection; ankigen then gives every note and the note type its own
modification time (from the lock file, so that Anki's importer updates exactly the notes whose
content changed) and zips the package itself with fixed entry dates and sorted media, so that
the same catalogue always gives a byte-identical file.

A learner who clicks the parent deck meets the new cards in the order of Anki's default deck
options (the v3 scheduler's "Deck" gather order): subdeck after subdeck as the deck list sorts
them, by name, and within each deck by the cards' positions. So each new card gets as its
position its rank in that same order (deck, then catalogue order): the "Deck" order and the
"ascending position" order then agree, and a catalogue sets its study order by naming its decks
(``1 Basic rules``, ``2 …``) and ordering its files. Deck options themselves are not shipped:
Anki's import dialog leaves "Import any deck presets" off, so they would not reach most learners.
Each deck the notes sit in, or a parent of them, gets the description its catalogue gives it;
Anki shows it above the deck's study button, and sets it again on every import.

The package is written to a temporary file in the output's own folder and renamed over the
output only when complete: a failed or interrupted build never leaves a broken deck, and an
existing deck stays untouched until the new one is whole.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import json
import sqlite3
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import genanki

from ankigen.plumbing.files import replace_atomically
from ankigen.records import MediaFile, NoteType, RenderedNote
from ankigen.write.lockfile import Times

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can hold: no wall clock


def deck_id(name: str) -> int:
    """A stable id for a deck name, so that rebuilding never creates a second deck."""
    digest = hashlib.sha256(f"ankigen deck {name}".encode()).digest()
    return (1 << 30) + int.from_bytes(digest[:4], "big") % (1 << 30)


def note_guid(rule_id: str) -> str:
    """A note's GUID, from the rule id alone: edits to a rule update the learner's note."""
    return str(genanki.guid_for("ankigen", rule_id))


def write_package(
    note_type: NoteType,
    notes: Sequence[RenderedNote],
    output: Path,
    times: Times,
    media: Sequence[MediaFile] = (),
    descriptions: Mapping[str, str] | None = None,
) -> None:
    """Write the notes (and media) into ``output`` atomically; raise OutputError on failure.

    ``descriptions`` maps deck names to their descriptions (plain text, shown as text); a deck
    that holds no note and is no parent of one is left out."""
    model = genanki.Model(
        note_type.id,
        note_type.name,
        fields=[{"name": name} for name in note_type.fields],
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
    for name, text in (descriptions or {}).items():
        if name in decks:
            decks[name].description = _description_html(text)
        elif any(deck.startswith(name + "::") for deck in decks):  # a parent, holding no note
            decks[name] = genanki.Deck(deck_id(name), name, _description_html(text))
    package = genanki.Package(list(decks.values()))
    mod_by_guid = {note_guid(rule_id): when for rule_id, when in times.notes.items()}
    position_by_guid = {note_guid(note.rule_id): rank for rank, note in _study_order(notes)}

    def write(path: str) -> None:
        with tempfile.TemporaryDirectory() as scratch:
            database = Path(scratch) / "collection.anki2"
            _write_collection(package, database, times.note_type, mod_by_guid, position_by_guid)
            _zip(Path(path), database, media)

    replace_atomically(output, write, what="deck")


def _study_order(notes: Sequence[RenderedNote]) -> list[tuple[int, RenderedNote]]:
    """The notes numbered from 1 in the order Anki's "Deck" gather meets them: by deck as the
    deck list sorts names (part by part, ignoring case), then in catalogue order."""

    def deck_key(indexed: tuple[int, RenderedNote]) -> tuple[tuple[str, ...], int]:
        index, note = indexed
        return tuple(part.strip().casefold() for part in note.deck.split("::")), index

    ordered = sorted(enumerate(notes), key=deck_key)
    return [(rank, note) for rank, (_, note) in enumerate(ordered, start=1)]


def _description_html(text: str) -> str:
    """A deck description as HTML that shows exactly its text, its line breaks kept."""
    return html.escape(text, quote=False).replace("\n", "<br>")


def _write_collection(
    package: genanki.Package,
    database: Path,
    note_type_time: int,
    mod_by_guid: Mapping[str, int],
    position_by_guid: Mapping[str, int],
) -> None:
    connection = sqlite3.connect(database)
    try:
        cursor = connection.cursor()
        # Note and card ids count up from the earliest note time, so they too are reproducible.
        first = min(mod_by_guid.values(), default=note_type_time)
        package.write_to_db(cursor, note_type_time, itertools.count(first * 1000))
        # by id, the primary key: the notes table has no index on guid, so updating by guid
        # would scan the table once per note (4 s for 5000 notes)
        note_ids = dict(cursor.execute("SELECT guid, id FROM notes").fetchall())
        cursor.executemany(
            "UPDATE notes SET mod = ? WHERE id = ?",
            [(when, note_ids[guid]) for guid, when in mod_by_guid.items() if guid in note_ids],
        )
        cursor.execute("UPDATE cards SET mod = (SELECT mod FROM notes WHERE notes.id = cards.nid)")
        cursor.executemany(  # a new card's due is its position in the new-card queue
            "UPDATE cards SET due = ? WHERE nid = ?",
            [(rank, note_ids[guid]) for guid, rank in position_by_guid.items()],
        )
        (models_json,) = cursor.execute("SELECT models FROM col").fetchone()
        models = json.loads(models_json)
        for model in models.values():
            model["mod"] = note_type_time
        cursor.execute("UPDATE col SET models = ?", (json.dumps(models, sort_keys=True),))
        connection.commit()
    finally:
        connection.close()


def _zip(path: Path, database: Path, media: Sequence[MediaFile]) -> None:
    """The .apkg: the collection, the media index, then the media files numbered in name order.
    PNGs are stored as they are (deflating compressed bytes again costs time and saves nothing);
    everything else is deflated."""
    files = sorted({m.name: m for m in media}.values(), key=lambda m: m.name)
    index = {str(i): m.name for i, m in enumerate(files)}
    deflated, stored = zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED
    entries = [
        ("collection.anki2", database.read_bytes(), deflated),
        ("media", json.dumps(index, sort_keys=True).encode(), deflated),
        *(
            (str(i), m.data, stored if m.name.endswith(".png") else deflated)
            for i, m in enumerate(files)
        ),
    ]
    with zipfile.ZipFile(path, "w") as archive:
        for name, data, compression in entries:
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = compression
            info.create_system = 3  # unix, whatever system builds it
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
