"""Anki's template language, as the preview fills it in: each rule on its own, then every bundled
card and the optional fields' blank-looking values against Anki's own backend, byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from anki.collection import Collection  # anki.collection first: it must precede anki.cards

from ankigen.build import load
from ankigen.commands.template import TemplateError, field_is_empty, render_template
from ankigen.render.notes import note_type, render_note

BUNDLED_CARDS = 164


# --- the language, rule by rule -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("<b>{{A}}</b>", "<b>x &lt; 1</b>"),
        ("{{ A }}", "x &lt; 1"),
        ("{{#A}}[{{A}}]{{/A}}", "[x &lt; 1]"),
        ("{{#Empty}}[{{A}}]{{/Empty}}", ""),
        ("{{^Empty}}none{{/Empty}}", "none"),
        ("{{^A}}none{{/A}}", ""),
        ("{{#A}}{{#Blank}}in{{/Blank}}out{{/A}}", "out"),
        ("{{#Blank}}shown{{/Blank}}", ""),
        ("no tags at all", "no tags at all"),
    ],
)
def test_templates_fill_fields_and_sections_as_anki_does(template: str, expected: str) -> None:
    """Fields go in unescaped (they are HTML); a section shows only for a non-empty field, an
    inverted one only for an empty field, and a field of spaces and <br> counts as empty."""
    fields = {"A": "x &lt; 1", "Empty": "", "Blank": " <br> "}
    assert render_template(template, fields) == expected


def test_the_back_puts_the_rendered_front_in_place_of_frontside() -> None:
    """``{{FrontSide}}`` is the front as rendered, not the front's template."""
    front = render_template("Q: {{A}}", {"A": "1"})
    assert render_template("{{FrontSide}}<hr>{{B}}", {"A": "1", "B": "2"}, front) == "Q: 1<hr>2"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{Missing}}", "unknown field {{Missing}}"),
        ("{{#Missing}}x{{/Missing}}", "unknown field {{Missing}}"),
        ("{{FrontSide}}", "unknown field {{FrontSide}}"),
        ("{{text:A}}", "{{text:A}}: filters are not supported"),
        ("{{#A}}open", "{{#A}} is never closed"),
        ("{{#A}}x{{/B}}", "{{/B}} closes {{#A}}"),
        ("x{{/A}}", "{{/A}} closes no section"),
    ],
)
def test_a_template_the_renderer_cannot_fill_is_refused_by_name(
    template: str, message: str
) -> None:
    """Unknown fields, filters and unbalanced sections raise instead of showing wrong cards."""
    with pytest.raises(TemplateError, match=re.escape(message)):
        render_template(template, {"A": "1"})


@pytest.mark.parametrize(
    ("text", "empty"),
    [
        ("", True),
        ("  \n\t", True),
        ("<br>", True),
        ("<BR/>", True),
        ("<br />", True),
        (" <div></div> ", True),
        ("0", False),
        ("<b></b>", False),
        ('<img src="a.png">', False),
        ("&nbsp;", False),
    ],
)
def test_a_field_is_empty_exactly_when_anki_says_so(text: str, empty: bool) -> None:
    """Anki's own rule: only whitespace, <br> and <div> tags make a field empty."""
    assert field_is_empty(text) is empty


# --- against Anki's own backend -------------------------------------------------------------------


@pytest.fixture(scope="module")
def anki_cards(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Any]]:
    """Render a note's fields with Anki's own backend and the ankigen note type."""
    col = Collection(str(tmp_path_factory.mktemp("anki") / "collection.anki2"))
    kind = note_type()
    models = col.models
    model = models.new(kind.name)
    for field in kind.fields:
        models.add_field(model, models.new_field(field))
    template = models.new_template(kind.template_name)
    template["qfmt"], template["afmt"] = kind.front, kind.back
    models.add_template(model, template)
    model["css"] = kind.css
    models.add(model)
    model = models.by_name(kind.name)

    def render(fields: tuple[str, ...]) -> tuple[str, str]:
        note = col.new_note(model)
        for name, value in zip(kind.fields, fields, strict=True):
            note[name] = value
        col.add_note(note, 1)
        output = note.cards()[0].render_output()
        return output.question_text, output.answer_text

    yield render
    col.close()


def _both_sides(fields: tuple[str, ...]) -> tuple[str, str]:
    kind = note_type()
    values = dict(zip(kind.fields, fields, strict=True))
    front = render_template(kind.front, values)
    return front, render_template(kind.back, values, front)


def test_every_bundled_card_renders_exactly_as_in_ankis_backend(
    anki_cards: Callable[..., tuple[str, str]],
) -> None:
    """Front and back of every bundled note, byte for byte what Anki's backend renders."""
    rules = load([]).rules
    assert len(rules) == BUNDLED_CARDS
    for rule in rules:
        fields = render_note(rule, '<img src="plot.png">').fields
        assert _both_sides(fields) == anki_cards(fields), rule.id


@pytest.mark.parametrize("blank", ["", " ", "<br>", "<div><br></div>", "&nbsp;", "0"], ids=repr)
def test_optional_fields_are_shown_or_left_out_as_in_ankis_backend(
    anki_cards: Callable[..., tuple[str, str]], blank: str
) -> None:
    """Definitions, Plot and Source are optional sections: blank-looking values agree too."""
    fields = ("id", "Name", "Q", "A", "Context", blank, blank, blank)
    assert _both_sides(fields) == anki_cards(fields)
