"""The write stage: stable identities for notes and decks, and a deck file written atomically.

Learners' collections remember notes by GUID and decks by name (and id): if either changed
between two builds, a re-import would add copies instead of updating. And a failed write must
never leave a half-written deck in place of a good one.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from ankigen.errors import OutputError
from ankigen.records import RenderedNote
from ankigen.render.notes import FIELDS, note_type
from ankigen.write import package
from ankigen.write.lockfile import Times
from ankigen.write.package import deck_id, note_guid, write_package

TIMES = Times(note_type=1_700_000_000, notes={})  # every note stamped with the note type's time

# Recorded once from ankigen 0.1.0: these must never change (learners' collections use them).
RECORDED_GUIDS = {
    "sigmoid": "J4ZF?:4E1u",
    "relu": "Po$aZ:UUOd",
    "ln": "b_a|Y,Y%j_",
    "linear-model-squared-error": "lJl{eC%5WB",
}
RECORDED_DECK_IDS = {
    "Derivatives for ML": 1724589581,
    "Derivatives for ML::Activation functions": 1179157869,
    "Derivatives for ML::Basic rules": 1951879517,
    "Derivatives for ML::Exponentials and logarithms": 2096509008,
    "Derivatives for ML::Loss functions": 1702842142,
    "Derivatives for ML::Product and quotient rules": 1343960434,
}
BUNDLED_DECKS = tuple(RECORDED_DECK_IDS)


def _note(
    rule_id: str, deck: str = "Tests", text: str = "", tags: tuple[str, ...] = ()
) -> RenderedNote:
    fields = tuple(rule_id if f == "Id" else f"{f} of {rule_id}{text}" for f in FIELDS)
    return RenderedNote(rule_id, deck, tags, fields)


def _in_fresh_interpreter(code: str, hash_seed: str) -> str:
    """What ``code`` prints in a new Python process with another hash seed."""
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    return result.stdout.strip()


@pytest.fixture
def unpacked(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """The collection inside a package of three notes in two decks, opened with sqlite."""
    output = tmp_path / "deck.apkg"
    notes = [
        _note("sigmoid", "Derivatives for ML::Activation functions", tags=("activation", "x")),
        _note("relu", "Derivatives for ML::Activation functions"),
        _note("ln", "Derivatives for ML::Exponentials and logarithms", tags=("exp-log",)),
    ]
    write_package(note_type(), notes, output, TIMES)
    with zipfile.ZipFile(output) as archive:
        archive.extract("collection.anki2", tmp_path)
    connection = sqlite3.connect(tmp_path / "collection.anki2")
    yield connection
    connection.close()


# --- identities --------------------------------------------------------------------------------


def test_different_rule_ids_get_different_guids() -> None:
    """Ids one character apart (case, a suffix, a hyphen) are different notes. That the same id
    always gets the same GUID is the recorded values' test and the fresh interpreters'."""
    ids = ["sigmoid", "Sigmoid", "relu", "leaky-relu", "leakyrelu", "power-rule", "power-rule-2"]
    assert len({note_guid(i) for i in ids}) == len(ids)


def test_note_guids_never_change_between_versions() -> None:
    """The GUID of a rule is fixed forever: learners' notes are matched by it. These values were
    recorded once; if this test fails, every learner would get duplicate notes."""
    assert {rule_id: note_guid(rule_id) for rule_id in RECORDED_GUIDS} == RECORDED_GUIDS


def test_note_guids_and_deck_ids_do_not_depend_on_the_process() -> None:
    """No hash seed or other per-process state enters an identity (same catalogue, same deck)."""
    code = (
        "from ankigen.write.package import deck_id, note_guid; "
        "print(note_guid('sigmoid'), deck_id('Derivatives for ML::Basic rules'))"
    )
    expected = f"{note_guid('sigmoid')} {deck_id('Derivatives for ML::Basic rules')}"
    assert _in_fresh_interpreter(code, "1") == expected
    assert _in_fresh_interpreter(code, "2") == expected


def test_deck_ids_are_distinct_for_different_names_and_in_their_range() -> None:
    """Different names get different ids, each in [2**30, 2**31): never 1, the Default deck's."""
    names = [*BUNDLED_DECKS, "derivatives for ml", "Derivatives for ML ", "Tests", "Tests::A"]
    ids = [deck_id(n) for n in names]
    assert len(set(ids)) == len(names)
    assert all(1 << 30 <= i < 1 << 31 for i in ids), ids


def test_deck_ids_never_change_between_versions() -> None:
    """A deck's id is fixed forever (recorded once), so a rebuild never makes a second deck."""
    assert {name: deck_id(name) for name in RECORDED_DECK_IDS} == RECORDED_DECK_IDS


# --- the package -------------------------------------------------------------------------------


def test_the_package_is_a_zip_with_a_collection_and_a_media_list(tmp_path: Path) -> None:
    """An .apkg is a zip holding collection.anki2 (SQLite) and 'media' (JSON; no files here)."""
    output = tmp_path / "deck.apkg"
    write_package(note_type(), [_note("sigmoid")], output, TIMES)
    with zipfile.ZipFile(output) as archive:
        assert sorted(archive.namelist()) == ["collection.anki2", "media"]
        assert json.loads(archive.read("media")) == {}
        assert archive.read("collection.anki2").startswith(b"SQLite format 3\x00")


def test_the_package_holds_each_note_with_its_guid_fields_and_tags(
    unpacked: sqlite3.Connection,
) -> None:
    """Each note is stored under note_guid(rule id), with its fields in order and its tags."""
    rows = unpacked.execute("select guid, flds, tags from notes").fetchall()
    by_guid = {guid: (fields.split("\x1f"), tags.split()) for guid, fields, tags in rows}
    assert set(by_guid) == {note_guid("sigmoid"), note_guid("relu"), note_guid("ln")}
    fields, tags = by_guid[note_guid("sigmoid")]
    assert fields == list(_note("sigmoid").fields)
    assert sorted(tags) == ["activation", "x"]


def test_the_package_puts_notes_in_decks_with_stable_ids(unpacked: sqlite3.Connection) -> None:
    """Each deck is written under deck_id(name), and each card in its note's deck."""
    (decks_json,) = unpacked.execute("select decks from col").fetchone()
    decks = {deck["name"]: int(deck_id_) for deck_id_, deck in json.loads(decks_json).items()}
    assert decks["Derivatives for ML::Activation functions"] == deck_id(
        "Derivatives for ML::Activation functions"
    )
    assert decks["Derivatives for ML::Exponentials and logarithms"] == deck_id(
        "Derivatives for ML::Exponentials and logarithms"
    )
    rows = unpacked.execute(
        "select notes.guid, cards.did from cards join notes on cards.nid = notes.id"
    ).fetchall()
    assert dict(rows) == {
        note_guid("sigmoid"): deck_id("Derivatives for ML::Activation functions"),
        note_guid("relu"): deck_id("Derivatives for ML::Activation functions"),
        note_guid("ln"): deck_id("Derivatives for ML::Exponentials and logarithms"),
    }


def _unpack(output: Path, folder: Path) -> sqlite3.Connection:
    with zipfile.ZipFile(output) as archive:
        archive.extract("collection.anki2", folder)
    return sqlite3.connect(folder / "collection.anki2")


def test_new_card_positions_follow_the_deck_list_then_the_catalogue_order(
    tmp_path: Path,
) -> None:
    """Issue 14: each card's position (its due number as a new card) is its rank in the order
    Anki's "Deck" gather meets it: decks as the deck list sorts their names (part by part,
    ignoring case), then the catalogue's order. So both gather orders, by deck and by
    position, agree, whatever order the catalogue files come in."""
    notes = [
        _note("sigmoid", "Course::2. Activations"),
        _note("power", "Course::1. Basics"),
        _note("relu", "Course::2. Activations"),
        _note("inner", "Course::1. basics::Inner"),
        _note("cube", "Course::1. Basics"),
    ]
    write_package(note_type(), notes, tmp_path / "deck.apkg", TIMES)
    with contextlib.closing(_unpack(tmp_path / "deck.apkg", tmp_path)) as connection:
        rows = connection.execute(
            "select notes.flds, cards.due from cards join notes on cards.nid = notes.id"
        ).fetchall()
    due = {fields.split("\x1f")[0]: position for fields, position in rows}
    assert sorted(due, key=due.__getitem__) == ["power", "cube", "inner", "sigmoid", "relu"]
    assert sorted(due.values()) == [1, 2, 3, 4, 5]


def test_described_decks_and_their_parents_get_their_descriptions_as_text(
    tmp_path: Path,
) -> None:
    """A deck's description is written on the deck, escaped (shown as text) with its line
    breaks; a described parent that holds no note is written too, a deck that is neither a
    note's nor a parent of one is not."""
    notes = [_note("power", "Course::Basics")]
    descriptions = {
        "Course": "Study <b>in order</b>.\nThen review.",
        "Course::Basics": "Powers & sums",
        "Other": "No note here",
    }
    write_package(note_type(), notes, tmp_path / "deck.apkg", TIMES, (), descriptions)
    with contextlib.closing(_unpack(tmp_path / "deck.apkg", tmp_path)) as connection:
        (decks_json,) = connection.execute("select decks from col").fetchone()
    written = {deck["name"]: deck["desc"] for deck in json.loads(decks_json).values()}
    assert written["Course"] == "Study &lt;b&gt;in order&lt;/b&gt;.<br>Then review."
    assert written["Course::Basics"] == "Powers &amp; sums"
    assert "Other" not in written


def test_the_package_uses_the_fixed_note_type(unpacked: sqlite3.Connection) -> None:
    """The note type is written with its fixed id, name, fields and template."""
    (models_json,) = unpacked.execute("select models from col").fetchone()
    models = json.loads(models_json)
    kind = note_type()
    assert list(models) == [str(kind.id)]
    model = models[str(kind.id)]
    assert model["name"] == kind.name
    assert [field["name"] for field in model["flds"]] == list(FIELDS)
    assert [template["name"] for template in model["tmpls"]] == [kind.template_name]
    assert {mid for (mid,) in unpacked.execute("select mid from notes")} == {kind.id}


def test_changing_a_notes_text_keeps_its_guid(tmp_path: Path) -> None:
    """Two builds of the same rule with different text store the note under the same GUID."""
    guids = []
    for version, text in enumerate(["", " (edited)"]):
        output = tmp_path / f"v{version}.apkg"
        write_package(note_type(), [_note("sigmoid", text=text)], output, TIMES)
        with zipfile.ZipFile(output) as archive:
            archive.extract("collection.anki2", tmp_path / f"v{version}")
        with sqlite3.connect(tmp_path / f"v{version}" / "collection.anki2") as connection:
            guids.append(connection.execute("select guid from notes").fetchone()[0])
    assert guids == [note_guid("sigmoid")] * 2


# --- writing atomically --------------------------------------------------------------------------


def _leftovers(folder: Path, output: Path) -> list[str]:
    return sorted(p.name for p in folder.glob(f".{output.name}.*.tmp"))


def test_a_successful_write_replaces_the_old_deck_and_leaves_no_temporary_file(
    tmp_path: Path,
) -> None:
    """Writing over an existing deck replaces it with the new one, and cleans up after itself."""
    output = tmp_path / "deck.apkg"
    output.write_bytes(b"the old deck")
    write_package(note_type(), [_note("sigmoid")], output, TIMES)
    assert zipfile.is_zipfile(output)
    assert _leftovers(tmp_path, output) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deck.apkg"]


@pytest.mark.parametrize(
    ("failure", "raised"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), OutputError),
        (RuntimeError("the writer crashed"), RuntimeError),
    ],
    ids=["disk-full", "crash"],
)
def test_a_failed_write_leaves_the_old_deck_untouched_and_no_temporary_file(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    failure: Exception,
    raised: type[Exception],
) -> None:
    """If writing fails halfway, the previous deck stays as it was and no temporary file remains."""
    output = tmp_path / "deck.apkg"
    output.write_bytes(b"the old deck")
    written_to: list[str] = []

    def fail_halfway(file: Path, database: Path, media: object) -> None:
        file.write_bytes(b"PK\x03\x04 half a zip")
        written_to.append(str(file))
        raise failure

    monkeypatch.setattr(package, "_zip", fail_halfway)
    with pytest.raises(raised) as caught:
        write_package(note_type(), [_note("sigmoid")], output, TIMES)
    assert written_to, "the writer was never called"
    assert Path(written_to[0]).parent == tmp_path  # the partial file was next to the output
    assert output.read_bytes() == b"the old deck"
    assert _leftovers(tmp_path, output) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deck.apkg"]
    if raised is OutputError:
        assert "No space left on device" in str(caught.value)
        assert str(output) in str(caught.value)


def test_a_failed_write_creates_no_deck_where_there_was_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failed first build leaves no deck at all (not a broken one)."""

    def fail_halfway(file: Path, database: Path, media: object) -> None:
        file.write_bytes(b"PK\x03\x04 half a zip")
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(package, "_zip", fail_halfway)
    with pytest.raises(OutputError, match="Input/output error"):
        write_package(note_type(), [_note("sigmoid")], tmp_path / "deck.apkg", TIMES)
    assert list(tmp_path.iterdir()) == []


def test_a_missing_output_folder_raises_output_error(tmp_path: Path) -> None:
    """Writing into a folder that does not exist is an OutputError naming it; nothing is made."""
    output = tmp_path / "missing" / "deck.apkg"
    with pytest.raises(OutputError, match="does not exist") as caught:
        write_package(note_type(), [_note("sigmoid")], output, TIMES)
    assert str(tmp_path / "missing") in str(caught.value)
    assert caught.value.exit_code == 3
    assert list(tmp_path.iterdir()) == []


def test_the_deck_file_is_readable_by_others_like_any_file(tmp_path: Path) -> None:
    """The temporary file is private, but the finished deck gets the usual permissions (umask)."""
    previous = os.umask(0o022)
    try:
        output = tmp_path / "deck.apkg"
        write_package(note_type(), [_note("sigmoid")], output, TIMES)
    finally:
        os.umask(previous)
    assert output.stat().st_mode & 0o777 == 0o644
