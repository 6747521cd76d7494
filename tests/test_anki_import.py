"""End to end: build the bundled deck, import it with the real Anki, look at what a learner sees.

Nothing here is mocked: ``anki`` is the real backend of the desktop app (the same Rust code that
AnkiDroid and AnkiMobile share), so a deck that passes these tests imports and renders for real.
The bundled deck is built once for the module and imported once into a shared collection; tests
that import again use collections of their own.
"""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from anki.collection import (  # anki.collection first: it must be imported before anki.cards
    Collection,
    ImportAnkiPackageOptions,
    ImportAnkiPackageRequest,
    ImportLogWithChanges,
)
from anki.notes import Note

from ankigen.build import build, load
from ankigen.expr import latex, layout
from ankigen.plumbing.resources import bundled_catalogue
from ankigen.records import Rule
from ankigen.render.notes import DISPLAY_WIDTH, NOTE_TYPE_ID, symbol_shapes
from ankigen.write.package import note_guid

PARENT_DECK = "Derivatives for ML"
# In study order: a learner who clicks the parent deck meets the new cards in this order.
STUDY_ORDER = (
    "Derivatives for ML::1. Basic rules",
    "Derivatives for ML::2. Exponentials and logarithms",
    "Derivatives for ML::3. Product and quotient rules",
    "Derivatives for ML::4. Chain rule",
    "Derivatives for ML::4a. Vectors and matrices",  # issue 16: after the chain rule
    "Derivatives for ML::5. Activation functions",
    "Derivatives for ML::6. Loss functions",
    "Derivatives for ML::7. Regularisation",
    "Derivatives for ML::8. Softmax and attention",
    "Derivatives for ML::9. Optimisation",
)
SUBDECKS = set(STUDY_ORDER)
BUNDLED_NOTES = 164  # the lesson's 23 rules, 87 added for issue 8, 9 for 14 and 45 for 16


# --- building and importing --------------------------------------------------------------------


def _open_collection(folder: Path) -> Collection:
    folder.mkdir(parents=True, exist_ok=True)
    return Collection(str(folder / "collection.anki2"))


def _import(col: Collection, package: Path) -> ImportLogWithChanges.Log:
    """Import as a learner does from a fresh profile: the presets Anki offers, with no
    scheduling, no deck options and no merging of note types."""
    presets = col._backend.get_import_anki_package_presets()  # what the import dialog offers
    options = ImportAnkiPackageOptions(
        with_scheduling=False,
        with_deck_configs=False,
        merge_notetypes=False,
        update_notes=presets.update_notes,
        update_notetypes=presets.update_notetypes,
    )
    request = ImportAnkiPackageRequest(package_path=str(package), options=options)
    return col.import_anki_package(request).log


def _build_later(folder: Path, output: Path) -> None:
    """Rebuild a catalogue folder as an author does: its lock file (copied with the folder)
    remembers the last build, so a changed note gets a newer time and Anki updates it."""
    build([folder], output)


def _bundled_copy(destination: Path) -> Path:
    """A copy of the bundled catalogue with its lock file, so that builds never touch the repo."""
    shutil.copytree(bundled_catalogue(), destination)
    return destination


def _notes_by_id(col: Collection) -> dict[str, Note]:
    """Every note of the collection, by its rule id (the Id field)."""
    notes = [col.get_note(nid) for nid in col.find_notes("")]
    return {note["Id"]: note for note in notes}


def _counts(log: ImportLogWithChanges.Log) -> dict[str, int]:
    return {
        kind: len(getattr(log, kind))
        for kind in ("new", "updated", "duplicate", "conflicting", "first_field_match")
    } | {"missing_notetype": len(log.missing_notetype), "missing_deck": len(log.missing_deck)}


@dataclass(frozen=True)
class Imported:
    """The shared collection with the bundled deck imported once, and what Anki said about it."""

    col: Collection
    log: ImportLogWithChanges.Log
    package: Path


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled deck, built once for the module."""
    folder = tmp_path_factory.mktemp("deck")
    output = folder / "ankigen.apkg"
    build([_bundled_copy(folder / "cards")], output)
    return output


@pytest.fixture(scope="module")
def imported(package: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Imported]:
    """A fresh collection with the bundled deck imported into it."""
    col = _open_collection(tmp_path_factory.mktemp("profile"))
    log = _import(col, package)
    yield Imported(col, log, package)
    col.close()


@pytest.fixture
def fresh_col(tmp_path: Path) -> Iterator[Collection]:
    """An empty collection of this test's own."""
    col = _open_collection(tmp_path / "profile")
    yield col
    col.close()


@pytest.fixture(scope="module")
def rules() -> dict[str, Rule]:
    """The bundled catalogue's rules by id: what the deck should contain."""
    return {rule.id: rule for rule in load([]).rules}


@dataclass(frozen=True)
class Shown:
    """One card as a learner sees it."""

    rule_id: str
    deck: str
    question: str
    answer: str


@pytest.fixture(scope="module")
def shown(imported: Imported) -> dict[str, Shown]:
    """Every card of the imported deck, rendered by Anki, by rule id."""
    col = imported.col
    cards: dict[str, Shown] = {}
    for cid in col.find_cards(""):
        card = col.get_card(cid)
        rule_id = card.note()["Id"]
        assert rule_id not in cards, f"two cards for {rule_id}"
        cards[rule_id] = Shown(rule_id, col.decks.name(card.did), card.question(), card.answer())
    return cards


# --- what a card's HTML must look like -----------------------------------------------------------

_STYLE = re.compile(r"<style>.*?</style>", re.DOTALL)
# A backslash takes the next character with it (\\ is a row break, \{ a literal brace).
_TOKEN = re.compile(r"\\(?:[A-Za-z]+|.)|[{}]", re.DOTALL)
_CLOSE = {"\\(": "\\)", "\\[": "\\]"}


def _visible(card_html: str) -> str:
    """The card without its stylesheet."""
    return _STYLE.sub("", card_html)


def _math_problems(card_html: str) -> list[str]:
    """Why the MathJax of a card would not typeset: unbalanced or nested delimiters, or braces
    that do not balance inside one math span."""
    problems = []
    opened: str | None = None
    depth = 0
    for match in _TOKEN.finditer(_visible(card_html)):
        piece = match.group()
        if piece in _CLOSE:
            if opened is not None:
                problems.append(f"{piece} opened inside {opened} at {match.start()}")
            opened, depth = piece, 0
        elif piece in _CLOSE.values():
            if opened is None or piece != _CLOSE[opened]:
                problems.append(f"{piece} closes {opened or 'nothing'} at {match.start()}")
            elif depth != 0:
                problems.append(f"{depth} brace(s) left open in the span ending at {match.start()}")
            opened = None
        elif opened is not None and piece in ("{", "}"):
            depth += 1 if piece == "{" else -1
            if depth < 0:
                problems.append(f"a '}}' closes nothing at {match.start()}")
                depth = 0
    if opened is not None:
        problems.append(f"{opened} is never closed")
    return problems


def _outside_math(card_html: str) -> str:
    return re.sub(r"\\\(.*?\\\)|\\\[.*?\\\]", "", _visible(card_html), flags=re.DOTALL)


# --- the import --------------------------------------------------------------------------------


def test_the_import_log_reports_every_note_as_new(imported: Imported) -> None:
    """A first import adds all 164 notes, with no duplicate, conflict, update or missing part."""
    assert _counts(imported.log) == {
        "new": BUNDLED_NOTES,
        "updated": 0,
        "duplicate": 0,
        "conflicting": 0,
        "first_field_match": 0,
        "missing_notetype": 0,
        "missing_deck": 0,
    }
    assert imported.log.found_notes == BUNDLED_NOTES


def test_the_collection_holds_one_card_per_rule_of_the_ankigen_note_type(
    imported: Imported, rules: dict[str, Rule]
) -> None:
    """164 notes and 164 cards, one per bundled rule, all of the ankigen note type."""
    col = imported.col
    assert col.note_count() == BUNDLED_NOTES
    assert col.card_count() == BUNDLED_NOTES
    assert len(col.find_cards('note:"ankigen derivative"')) == BUNDLED_NOTES
    assert set(_notes_by_id(col)) == set(rules)


def test_the_note_type_has_the_fixed_fields_and_one_template(imported: Imported) -> None:
    """The note type's fields and template keep the names and order learners' notes depend on."""
    note_type = imported.col.models.by_name("ankigen derivative")
    assert note_type is not None
    assert [field["name"] for field in note_type["flds"]] == [
        "Id", "Name", "Question", "Answer", "Context", "Definitions", "Plot", "Source"
    ]  # fmt: skip
    assert [template["name"] for template in note_type["tmpls"]] == ["Derivative"]


def test_the_note_type_keeps_its_fixed_id(imported: Imported) -> None:
    """Anki keeps the note type's id, so later versions of the deck update the same note type."""
    note_type = imported.col.models.by_name("ankigen derivative")
    assert note_type is not None
    assert note_type["id"] == NOTE_TYPE_ID
    for note in _notes_by_id(imported.col).values():
        assert note.mid == NOTE_TYPE_ID


# --- decks and tags ------------------------------------------------------------------------------


def test_the_parent_deck_and_its_ten_subdecks_exist(imported: Imported) -> None:
    """The deck tree is 'Derivatives for ML' with ten subdecks, numbered in study order: the
    lesson's five, the four added for issue 8 (the added activations and losses share the
    lesson's subdecks) and vectors and matrices (issue 16), "4a" so that it follows the chain
    rule without renaming a deck learners already have."""
    names = {deck.name for deck in imported.col.decks.all_names_and_ids()}
    assert {PARENT_DECK, *SUBDECKS} <= names
    assert {name for name in names if name.startswith(PARENT_DECK)} == {PARENT_DECK, *SUBDECKS}


def _first_new_cards(col: Collection, count: int) -> list[tuple[str, str]]:
    """The (deck, rule id) of the first ``count`` new cards that Anki's v3 scheduler shows a
    learner who clicks the parent deck, with Anki's default deck options (only the daily limit
    of new cards raised, so that the whole queue can be seen)."""
    parent = col.decks.id(PARENT_DECK)
    assert parent is not None
    col.decks.select(parent)
    options = col.decks.config_dict_for_deck_id(parent)
    options["new"]["perDay"] = 9999
    col.decks.save(options)
    queued = col.sched.get_queued_cards(fetch_limit=count).cards
    cards = [col.get_card(entry.card.id) for entry in queued]
    return [(col.decks.name(card.did), card.note()["Id"]) for card in cards]


def test_the_first_new_cards_are_the_basic_rules_then_the_subdecks_in_study_order(
    fresh_col: Collection, package: Path, rules: dict[str, Rule]
) -> None:
    """Issue 14: a learner who imports the deck and clicks it meets the power rule first, not
    the activations; then exponentials and logs, products and quotients, the chain rule,
    activations, losses and the rest, each subdeck in its file's order. Asked of the real v3
    scheduler, with the options a fresh profile has (the import sets no deck options)."""
    _import(fresh_col, package)
    assert fresh_col.v3_scheduler()
    shown = _first_new_cards(fresh_col, BUNDLED_NOTES)
    assert [rule_id for _, rule_id in shown[:5]] == [
        "power-rule", "power-square", "power-cube", "power-identity", "power-constant",
    ]  # fmt: skip
    decks = [deck for deck, _ in shown]
    assert list(dict.fromkeys(decks)) == list(STUDY_ORDER)  # each subdeck whole, in order
    in_catalogue_order = [(rule.deck, rule_id) for rule_id, rule in rules.items()]
    assert shown == sorted(in_catalogue_order, key=lambda card: STUDY_ORDER.index(card[0]))


def test_every_deck_has_a_description(imported: Imported) -> None:
    """The parent deck and every subdeck tell the learner what they cover and how to study
    them; the text is shown as text (escaped), never as markup."""
    col = imported.col
    for name in (PARENT_DECK, *STUDY_ORDER):
        deck_id = col.decks.id(name)
        assert deck_id is not None
        description = col.decks.get(deck_id)["desc"]
        assert len(description) > 80, name
        assert "<" not in description.replace("<br>", ""), name
    parent = col.decks.get(col.decks.id(PARENT_DECK))["desc"]
    assert "study order" in parent


def test_a_learner_who_renames_the_old_subdecks_before_importing_keeps_one_tree(
    fresh_col: Collection, package: Path, tmp_path: Path
) -> None:
    """The README's advice to a learner who has the deck from before its subdecks were
    numbered: Anki never moves cards on import, but files them by deck name, so renaming the
    old subdecks first puts every card, old and new, in the numbered tree, with its history."""
    folder = _bundled_copy(tmp_path / "old")
    for path in folder.glob("*.yaml"):  # the same catalogue, with the old subdeck names
        text = path.read_text(encoding="utf-8")
        path.write_text(re.sub(r"(Derivatives for ML::)\d+a?\. ", r"\1", text), encoding="utf-8")
    build([folder], tmp_path / "old.apkg")
    _import(fresh_col, tmp_path / "old.apkg")
    old_ids = {fresh_col.get_card(cid).nid for cid in fresh_col.find_cards("")}
    for name in STUDY_ORDER:
        parent, numbered = name.split("::")
        old = fresh_col.decks.id(f"{parent}::{numbered.split('. ', 1)[1]}", create=False)
        assert old is not None, name
        fresh_col.decks.rename(old, name)
    _import(fresh_col, package)
    decks = {deck.name for deck in fresh_col.decks.all_names_and_ids()}
    assert {name for name in decks if name.startswith(PARENT_DECK)} == {PARENT_DECK, *SUBDECKS}
    assert fresh_col.card_count() == BUNDLED_NOTES
    assert old_ids <= {fresh_col.get_card(cid).nid for cid in fresh_col.find_cards("")}
    description = fresh_col.decks.get(fresh_col.decks.id(STUDY_ORDER[0]))["desc"]
    assert description.startswith("The power rule")  # set on the renamed deck by the import


def test_every_card_sits_in_the_deck_its_catalogue_file_names(
    shown: dict[str, Shown], rules: dict[str, Rule]
) -> None:
    """Each card is in the subdeck named by its rule's YAML file, new subdecks included."""
    assert {rule_id: card.deck for rule_id, card in shown.items()} == {
        rule_id: rule.deck for rule_id, rule in rules.items()
    }
    assert shown["relu"].deck == "Derivatives for ML::5. Activation functions"
    assert shown["ln"].deck == "Derivatives for ML::2. Exponentials and logarithms"
    assert shown["gelu"].deck == "Derivatives for ML::5. Activation functions"
    assert shown["huber"].deck == "Derivatives for ML::6. Loss functions"
    assert shown["elastic-net"].deck == "Derivatives for ML::7. Regularisation"
    assert shown["attention-score-query"].deck == "Derivatives for ML::8. Softmax and attention"
    assert shown["chain-rule"].deck == "Derivatives for ML::4. Chain rule"
    assert shown["cosine-annealing"].deck == "Derivatives for ML::9. Optimisation"


def test_every_note_carries_the_tags_of_its_file_and_its_rule(
    imported: Imported, rules: dict[str, Rule]
) -> None:
    """Tags from the file and from the rule are both on the note (sigmoid: activation and
    classification)."""
    notes = _notes_by_id(imported.col)
    assert {"activation", "classification"} <= set(notes["sigmoid"].tags)
    for rule_id, note in notes.items():
        assert sorted(note.tags) == sorted(rules[rule_id].tags), rule_id


# --- what a learner sees -------------------------------------------------------------------------


def test_every_card_renders_a_question_and_an_answer(shown: dict[str, Shown]) -> None:
    """Anki renders a non-empty question and answer for every card, with the rule's math."""
    for card in shown.values():
        for side in (card.question, card.answer):
            text = re.sub(r"<[^>]*>", "", _visible(side)).strip()
            asked = ("\\frac{d}{d", "\\nabla_", "\\frac{\\partial}{\\partial")  # d/dx, ∇, ∂/∂X
            assert "\\[" in text and any(a in text for a in asked), (card.rule_id, side)


def test_no_template_placeholder_is_left_unrendered(shown: dict[str, Shown]) -> None:
    """No {{Field}}, {{#Field}} or {{/Field}} reaches the learner (math aside, where '}}' is
    just LaTeX closing two groups)."""
    for card in shown.values():
        for side in (card.question, card.answer):
            text = _outside_math(side)
            assert "{{" not in text and "}}" not in text, (card.rule_id, text)


def test_every_mathjax_delimiter_is_balanced_and_in_order(shown: dict[str, Shown]) -> None:
    r"""Every \( has its \) and every \[ its \], never nested, and braces balance inside each
    math span: otherwise MathJax shows raw LaTeX."""
    for card in shown.values():
        for side in (card.question, card.answer):
            assert side.count("\\(") == side.count("\\)"), card.rule_id
            assert side.count("\\[") == side.count("\\]"), card.rule_id
            assert _math_problems(side) == [], (card.rule_id, side)


def test_the_answer_shows_the_question_the_derivative_and_the_context(
    shown: dict[str, Shown], rules: dict[str, Rule]
) -> None:
    """The back repeats the front, then gives the derivative and the context from the catalogue."""
    for rule_id, card in shown.items():
        rule = rules[rule_id]
        assert _visible(card.question).strip() in _visible(card.answer), rule_id
        with latex.shaped(symbol_shapes(rule)):  # vectors and matrices print bold
            fitted = layout.fit(rule.derivative, DISPLAY_WIDTH)
        derivative = html.escape(fitted, quote=False)
        assert f"{derivative}\\]" in card.answer, rule_id
        assert html.escape(rule.context, quote=False) in card.answer, rule_id
        assert html.escape(rule.name, quote=False) in card.question, rule_id


def test_the_mathjax_checker_notices_broken_math() -> None:
    """The checker above is not vacuous: it reports each kind of broken math."""
    assert _math_problems("\\(x") == ["\\( is never closed"]
    assert _math_problems("\\(x\\]")[0].startswith("\\] closes \\(")
    assert _math_problems("\\[\\(x\\)\\]")[0].startswith("\\( opened inside \\[")
    assert _math_problems("\\[\\frac{1}{x\\]")[0].startswith("1 brace(s) left open")
    assert _math_problems("\\[x}\\]")[0].startswith("a '}' closes nothing")
    assert _math_problems("\\[a \\\\ b \\{ c\\]") == []


# --- spot checks ---------------------------------------------------------------------------------


def test_relu_shows_its_derivative_as_cases(shown: dict[str, Shown]) -> None:
    """ReLU's answer is a cases block, with '<' escaped inside the field."""
    answer = shown["relu"].answer
    assert "\\begin{cases}" in answer and "\\end{cases}" in answer
    assert "x &lt; 0" in answer and "x &gt; 0" in answer


def test_sigmoid_shows_the_definition_of_sigma_on_the_question(shown: dict[str, Shown]) -> None:
    """A learner cannot answer for σ without knowing it: its definition is on the front."""
    assert "\\sigma(x) = \\frac{1}{1 + e^{-x}}" in shown["sigmoid"].question


def test_ln_shows_its_domain(shown: dict[str, Shown]) -> None:
    """ln's card says x > 0 (escaped as x &gt; 0 inside the field) on both sides."""
    assert "x &gt; 0" in shown["ln"].question
    assert "x &gt; 0" in shown["ln"].answer


def test_the_linear_model_shows_its_gradient_in_the_authors_order(
    shown: dict[str, Shown],
) -> None:
    """The linear model's gradient reads as written, not in sympy's reordering."""
    assert "2 \\left(w x - \\text{target}\\right) x" in shown["linear-model-squared-error"].answer


# --- importing again -----------------------------------------------------------------------------


def test_importing_the_same_deck_again_adds_no_note(fresh_col: Collection, package: Path) -> None:
    """A second import of the same file finds every note already there and adds nothing."""
    assert _counts(_import(fresh_col, package))["new"] == BUNDLED_NOTES
    again = _counts(_import(fresh_col, package))
    assert again["new"] == 0
    assert again["duplicate"] + again["updated"] == BUNDLED_NOTES
    assert fresh_col.note_count() == BUNDLED_NOTES
    assert fresh_col.card_count() == BUNDLED_NOTES


def test_a_rebuilt_deck_keeps_every_note_guid(
    fresh_col: Collection, imported: Imported, tmp_path: Path
) -> None:
    """A deck rebuilt from the same catalogue has the same GUIDs, derived from the rule ids, so
    importing it updates the learner's notes instead of adding copies."""
    folder = _bundled_copy(tmp_path / "cards")
    rebuilt = tmp_path / "rebuilt.apkg"
    _build_later(folder, rebuilt)
    assert _counts(_import(fresh_col, rebuilt))["new"] == BUNDLED_NOTES

    before = {rule_id: note.guid for rule_id, note in _notes_by_id(imported.col).items()}
    after = {rule_id: note.guid for rule_id, note in _notes_by_id(fresh_col).items()}
    assert after == before
    assert before == {rule_id: note_guid(rule_id) for rule_id in before}


def test_a_changed_context_updates_the_note_under_the_same_guid(
    fresh_col: Collection, package: Path, tmp_path: Path
) -> None:
    """Editing a rule's context changes the note, not its identity: a re-import updates the
    learner's note in place (keeping its reviews) and adds nothing."""
    _import(fresh_col, package)
    original = _notes_by_id(fresh_col)["ln"]

    folder = _bundled_copy(tmp_path / "cards")
    catalogue_file = folder / "exponentials-and-logs.yaml"
    text = catalogue_file.read_text(encoding="utf-8")
    assert text.count("Logarithms are everywhere") == 1
    catalogue_file.write_text(
        text.replace("Logarithms are everywhere", "Edited: logarithms are everywhere"),
        encoding="utf-8",
    )
    edited = tmp_path / "edited.apkg"
    _build_later(folder, edited)

    log = _import(fresh_col, edited)
    assert _counts(log)["new"] == 0
    assert "ln" in {entry.fields[0] for entry in log.updated}
    updated = _notes_by_id(fresh_col)["ln"]
    assert updated.id == original.id
    assert updated.guid == original.guid == note_guid("ln")
    assert updated["Context"].startswith("Edited: logarithms are everywhere")
    assert fresh_col.note_count() == BUNDLED_NOTES
