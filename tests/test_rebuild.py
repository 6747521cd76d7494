"""Rebuilding a deck: edits reach learners, their review history stays, builds reproduce.

Every test imports real packages into a real collection with Anki's own backend (the `anki`
package), with the options a fresh profile offers, as a learner would.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import tempfile
import textwrap
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from anki.collection import (
    Collection,
    ImportAnkiPackageOptions,
    ImportAnkiPackageRequest,
    ImportLogWithChanges,
)
from anki.scheduler.v3 import CardAnswer

from ankigen.build import Options, build
from ankigen.errors import CatalogueError, NoteTypeChangeError
from ankigen.plumbing.resources import bundled_catalogue
from ankigen.render import notes as render
from ankigen.write.lockfile import LOCK_NAME

V1 = """\
deck: "Course::Rules"
define:
  sigma(x): 1/(1 + exp(-x))
rules:
  - id: square
    name: Square
    function: x**2
    derivative: 2*x
    context: The slope of the squared error.
  - id: cube
    name: Cube
    function: x**3
    derivative: 3*x**2
    context: Polynomial features.
  - id: sigmoid
    name: Sigmoid
    function: sigma(x)
    derivative: sigma(x)*(1 - sigma(x))
    context: Saturates at the extremes.
"""

V2 = (
    V1.replace(
        "The slope of the squared error.", "Edited, the slope of the squared error."
    ).replace("derivative: 3*x**2", "derivative: 3*x*x")
    + """\
  - id: exp
    name: Exponential
    function: exp(x)
    derivative: exp(x)
    context: Its own derivative.
"""
)


@pytest.fixture
def course(make_catalogue: Callable[..., Path]) -> Path:
    return make_catalogue(rules=V1)


@pytest.fixture
def col(tmp_path: Path) -> Iterator[Collection]:
    (tmp_path / "profile").mkdir()
    collection = Collection(str(tmp_path / "profile" / "collection.anki2"))
    yield collection
    collection.close()


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Builds run at a known time; each test moves it on to model a later rebuild."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")


def _import(col: Collection, package: Path) -> dict[str, int]:
    """Import with the presets of Anki's import dialog; return the counts of the import log."""
    presets = col._backend.get_import_anki_package_presets()
    options = ImportAnkiPackageOptions(
        with_scheduling=False,
        with_deck_configs=False,
        merge_notetypes=presets.merge_notetypes,
        update_notes=presets.update_notes,
        update_notetypes=presets.update_notetypes,
    )
    log = col.import_anki_package(
        ImportAnkiPackageRequest(package_path=str(package), options=options)
    ).log
    return _counts(log)


def _counts(log: ImportLogWithChanges.Log) -> dict[str, int]:
    kinds = ("new", "updated", "duplicate", "conflicting", "first_field_match", "missing_notetype")
    return {kind: len(getattr(log, kind)) for kind in kinds}


def _answer_every_card(col: Collection) -> None:
    """The learner studies: every card answered once through the real scheduler."""
    for card_id in col.find_cards(""):
        card = col.get_card(card_id)
        card.start_timer()
        states = col._backend.get_scheduling_states(card.id)
        col.sched.answer_card(
            col.sched.build_answer(card=card, states=states, rating=CardAnswer.GOOD)
        )


def _history(col: Collection) -> dict[str, tuple[int, int, int, int]]:
    """Per rule: card id, reviews logged, interval and queue, the learner's progress."""
    rows = col.db.all(
        "select n.flds, c.id, (select count() from revlog r where r.cid = c.id), c.ivl, c.queue "
        "from cards c join notes n on n.id = c.nid"
    )
    return {
        fields.split("\x1f")[0]: (cid, reviews, ivl, queue)
        for fields, cid, reviews, ivl, queue in rows
    }


def _field(col: Collection, rule_id: str, field: str) -> str:
    (note_id,) = col.find_notes(f"Id:{rule_id}")
    return str(col.get_note(note_id)[field])


def _rebuild(folder: Path, output: Path, epoch: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(epoch))
    build([folder], output)


def test_edits_reach_the_learner_and_the_review_history_stays(
    course: Path, col: Collection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """v1 imported and studied; v2 edits a context line and a derivative's form and adds a
    rule: the two edited notes update, the new one is added, nothing is duplicated or
    conflicting, and every card keeps its reviews and interval."""
    build([course], tmp_path / "v1.apkg")
    assert _import(col, tmp_path / "v1.apkg")["new"] == 3
    _answer_every_card(col)
    studied = _history(col)
    assert {reviews for _, reviews, _, _ in studied.values()} == {1}

    (course / "rules.yaml").write_text(V2, encoding="utf-8")
    _rebuild(course, tmp_path / "v2.apkg", 1700000100, monkeypatch)
    counts = _import(col, tmp_path / "v2.apkg")

    assert counts == {
        "new": 1,
        "updated": 2,
        "duplicate": 1,
        "conflicting": 0,
        "first_field_match": 0,
        "missing_notetype": 0,
    }
    assert col.note_count() == 4
    assert _field(col, "square", "Context") == "Edited, the slope of the squared error."
    assert "3 x x" in _field(col, "cube", "Answer")
    after = _history(col)
    assert {rule: after[rule] for rule in studied} == studied  # same cards, same progress
    assert after["exp"][1] == 0


def test_an_unchanged_rebuild_is_byte_identical_and_updates_nothing(
    course: Path, col: Collection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rebuilding without changes, even much later, gives the same bytes; importing it again
    changes no note."""
    build([course], tmp_path / "first.apkg")
    lock_before = (course / LOCK_NAME).read_bytes()
    _rebuild(course, tmp_path / "again.apkg", 1750000000, monkeypatch)
    assert (tmp_path / "again.apkg").read_bytes() == (tmp_path / "first.apkg").read_bytes()
    assert (course / LOCK_NAME).read_bytes() == lock_before

    assert _import(col, tmp_path / "first.apkg")["new"] == 3
    counts = _import(col, tmp_path / "again.apkg")
    assert counts["updated"] == 0
    assert counts["duplicate"] == 3


def test_the_package_has_fixed_zip_dates_and_sorted_entries(course: Path, tmp_path: Path) -> None:
    """No wall-clock time in the zip: every entry is dated 1980-01-01, in a fixed order (the
    collection, the media index, then the media numbered in the order of their names)."""
    build([course], tmp_path / "deck.apkg")
    with zipfile.ZipFile(tmp_path / "deck.apkg") as package:
        infos = package.infolist()
        index = json.loads(package.read("media"))
    numbered = [str(i) for i in range(len(index))]
    assert [i.filename for i in infos] == ["collection.anki2", "media", *numbered]
    assert [index[n] for n in numbered] == sorted(index.values())
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}


def test_a_learners_own_edit_to_an_unchanged_note_survives_a_rebuild(
    course: Path, col: Collection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The learner adds a mnemonic to a note; the author's rebuild (which did not touch that
    rule) must not overwrite it."""
    build([course], tmp_path / "v1.apkg")
    _import(col, tmp_path / "v1.apkg")
    (note_id,) = col.find_notes("Id:sigmoid")
    note = col.get_note(note_id)
    note["Context"] = "My own mnemonic: S-curve, slope peaks at 1/4."
    col.update_note(note)

    (course / "rules.yaml").write_text(V2, encoding="utf-8")
    _rebuild(course, tmp_path / "v2.apkg", 1700000100, monkeypatch)
    counts = _import(col, tmp_path / "v2.apkg")
    assert counts["updated"] == 2  # square and cube, not sigmoid
    assert _field(col, "sigmoid", "Context") == "My own mnemonic: S-curve, slope peaks at 1/4."


def test_a_css_change_reaches_the_collection_without_splitting_the_note_type(
    course: Path, col: Collection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New CSS gives the note type a newer time: Anki takes it, keeps one note type, and the
    notes stay attached to it (none conflicting)."""
    build([course], tmp_path / "v1.apkg")
    _import(col, tmp_path / "v1.apkg")
    assets = render.asset_text

    def restyled(name: str) -> str:
        text = assets(name)
        return text + "\n.ankigen-test-marker { color: red; }\n" if name == "card.css" else text

    monkeypatch.setattr(render, "asset_text", restyled)
    _rebuild(course, tmp_path / "v2.apkg", 1700000100, monkeypatch)
    counts = _import(col, tmp_path / "v2.apkg")

    assert counts["conflicting"] == 0
    note_types = [m for m in col.models.all() if m["name"].startswith(render.NOTE_TYPE_NAME)]
    assert [m["name"] for m in note_types] == [render.NOTE_TYPE_NAME]
    assert ".ankigen-test-marker" in note_types[0]["css"]
    assert note_types[0]["id"] == render.NOTE_TYPE_ID


def test_modification_times_move_only_with_content(
    course: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In the package: unchanged notes keep their time, changed and new ones get the new
    SOURCE_DATE_EPOCH, and the lock records exactly that."""
    build([course], tmp_path / "v1.apkg")
    (course / "rules.yaml").write_text(V2, encoding="utf-8")
    _rebuild(course, tmp_path / "v2.apkg", 1700000100, monkeypatch)

    assert _note_times(tmp_path / "v2.apkg") == {
        "square": 1700000100,
        "cube": 1700000100,
        "sigmoid": 1700000000,
        "exp": 1700000100,
    }
    lock = json.loads((course / LOCK_NAME).read_text(encoding="utf-8"))
    assert {rule: n["modified"] for rule, n in lock["notes"].items()} == _note_times(
        tmp_path / "v2.apkg"
    )


def test_a_change_always_gets_a_later_time_even_if_the_clock_went_back(
    course: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Anki needs a strictly newer time to take an edit: a change built with an older clock
    still gets one second more than before."""
    build([course], tmp_path / "v1.apkg")
    (course / "rules.yaml").write_text(V2, encoding="utf-8")
    _rebuild(course, tmp_path / "v2.apkg", 1600000000, monkeypatch)
    assert _note_times(tmp_path / "v2.apkg")["square"] == 1700000001


def _note_times(package: Path) -> dict[str, int]:
    with zipfile.ZipFile(package) as archive, tempfile.TemporaryDirectory() as scratch:
        database = Path(archive.extract("collection.anki2", scratch))
        connection = sqlite3.connect(database)
        rows = connection.execute("select flds, mod from notes").fetchall()
        connection.close()
    return {fields.split("\x1f")[0]: mod for fields, mod in rows}


def test_a_note_type_change_that_would_break_learners_notes_is_refused(
    course: Path, tmp_path: Path
) -> None:
    """A different set of fields makes Anki treat existing notes as conflicting forever: the
    build refuses (nothing written) unless explicitly allowed, and then warns. The lock is made
    to remember an older note type with one field fewer, as after an ankigen upgrade."""
    build([course], tmp_path / "v1.apkg")
    lock_file = course / LOCK_NAME
    lock = json.loads(lock_file.read_text(encoding="utf-8"))
    lock["note_type"]["fields"].remove("Source")
    lock_file.write_text(json.dumps(lock), encoding="utf-8")
    lock_before = lock_file.read_bytes()

    with pytest.raises(NoteTypeChangeError, match="fields or templates changed") as error:
        build([course], tmp_path / "v2.apkg")
    assert error.value.exit_code == 2
    assert "--allow-note-type-change" in str(error.value)
    assert not (tmp_path / "v2.apkg").exists()
    assert lock_file.read_bytes() == lock_before

    report = build([course], tmp_path / "v2.apkg", allow_note_type_change=True)
    assert any("conflicting" in str(warning) for warning in report.warnings)
    assert "Source" in json.loads(lock_file.read_text(encoding="utf-8"))["note_type"]["fields"]


def test_a_moved_rule_and_removed_rules_are_reported(course: Path, tmp_path: Path) -> None:
    """Anki never moves existing cards nor deletes notes on import: the build says so."""
    build([course], tmp_path / "v1.apkg")
    text = V1.replace('"Course::Rules"', '"Course::Renamed"')
    text = text[: text.index("  - id: sigmoid")]
    (course / "rules.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    report = build([course], tmp_path / "v2.apkg")
    assert report.changes.removed == ("sigmoid",)
    assert {m.rule_id for m in report.changes.moved} == {"square", "cube"}
    warnings = [str(w) for w in report.warnings]
    moved = [w for w in warnings if "learners' existing cards stay in 'Course::Rules'" in w]
    assert len(moved) == 1  # one warning per renamed deck, naming its rules
    assert moved[0].startswith("rules 'square' and 'cube' moved from deck 'Course::Rules'")
    assert any("removed since the last build: sigmoid" in str(w) for w in report.warnings)


def test_a_corrupt_lock_file_is_a_clear_error(course: Path, tmp_path: Path) -> None:
    """A damaged lock is never silently replaced (every note would count as changed)."""
    (course / LOCK_NAME).write_text("{not json", encoding="utf-8")
    with pytest.raises(CatalogueError, match="not a valid ankigen lock file"):
        build([course], tmp_path / "deck.apkg")
    assert not (tmp_path / "deck.apkg").exists()


# --- the bundled catalogue's lock: a read-only reference ----------------------------------------

MINE = """\
deck: "Course::Mine"
rules:
  - id: my-square
    name: My square
    function: x**2
    derivative: 2*x
    context: The teacher's own rule, built with the bundled ones.
"""


def _snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file below ``folder`` with the hash of its bytes and its modification time."""
    return {
        str(p.relative_to(folder)): (
            hashlib.sha256(p.read_bytes()).hexdigest(),
            p.stat().st_mtime_ns,
        )
        for p in sorted(folder.rglob("*"))
    }


def _published() -> dict[str, int]:
    """The bundled rules' times in the published deck: the lock shipped with the catalogue."""
    lock = json.loads((bundled_catalogue() / LOCK_NAME).read_text(encoding="utf-8"))
    return {rule_id: stamp["modified"] for rule_id, stamp in lock["notes"].items()}


def test_no_build_ever_writes_under_the_bundled_catalogue(
    make_catalogue: Callable[..., Path], tmp_path: Path
) -> None:
    """The bundled catalogue may be an installed package (site-packages, perhaps read-only):
    builds that differ from the published deck, and builds of the user's rules with the bundled
    ones, put their lock with the user's files, never there; a second such build re-times
    nothing."""
    before = _snapshot(bundled_catalogue())
    for name, options in (("no-plots", Options(plots=False)), ("svg", Options(math="svg"))):
        (tmp_path / name).mkdir()
        first = build([], tmp_path / name / "deck.apkg", options=options)
        assert first.changes.updated  # unlike the published deck: something to remember
        assert first.lock == tmp_path / name / LOCK_NAME
        again = build([], tmp_path / name / "again.apkg", options=options)
        assert (again.changes.new, again.changes.updated) == ((), ())
    mine = make_catalogue(rules=MINE)
    report = build([mine], tmp_path / "course.apkg", include_bundled=True)
    assert report.lock == mine / LOCK_NAME
    assert list(json.loads(report.lock.read_text(encoding="utf-8"))["notes"]) == ["my-square"]
    assert _snapshot(bundled_catalogue()) == before


def test_an_unchanged_bundled_deck_keeps_its_published_times_whatever_the_users_lock_says(
    make_catalogue: Callable[..., Path],
    col: Collection,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A teacher builds their rules with the bundled ones. Their lock holds other times and
    hashes for every bundled rule (as an older ankigen left them): the bundled notes still get
    their published times, so a learner who has the published deck sees only the teacher's rule
    arrive. The learner edits a bundled note and the teacher's; the teacher rebuilds the same
    content much later: nothing is updated, both edits stay."""
    build([], tmp_path / "published.apkg")
    assert _import(col, tmp_path / "published.apkg")["new"] == 164

    mine = make_catalogue(rules=MINE)
    stale = json.loads((bundled_catalogue() / LOCK_NAME).read_text(encoding="utf-8"))
    for stamp in stale["notes"].values():
        stamp["modified"] += 1000
        stamp["hash"] = "0" * 64
    (mine / LOCK_NAME).write_text(json.dumps(stale), encoding="utf-8")
    # After the publication, and before the learner's edits below, which Anki stamps with the
    # wall clock: a bundled lock refreshed an hour ago must not put the teacher's build after them.
    published = max(_published().values())
    later = min(published + 5000, int(time.time()) - 1)
    assert later > published, "the bundled lock's times lie in the future"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(later))
    report = build([mine], tmp_path / "course.apkg", include_bundled=True)
    assert (report.changes.new, report.changes.updated) == (("my-square",), ())
    times = _note_times(tmp_path / "course.apkg")
    assert {rule: times[rule] for rule in _published()} == _published()
    assert times["my-square"] == later
    counts = _import(col, tmp_path / "course.apkg")
    assert (counts["new"], counts["updated"], counts["conflicting"]) == (1, 0, 0)

    for rule_id in ("sigmoid", "my-square"):
        (note_id,) = col.find_notes(f"Id:{rule_id}")
        note = col.get_note(note_id)
        note["Context"] = "My own mnemonic."
        col.update_note(note)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(later + 10**6))
    build([mine], tmp_path / "again.apkg", include_bundled=True)
    assert _import(col, tmp_path / "again.apkg")["updated"] == 0
    assert _field(col, "sigmoid", "Context") == "My own mnemonic."
    assert _field(col, "my-square", "Context") == "My own mnemonic."
