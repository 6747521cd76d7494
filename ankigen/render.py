"""The render stage: turn proved rules into the fields of Anki notes.

The note type is designed to stay stable for years: Anki matches note types by id, and any
change to the number, order or names of its fields or templates makes learners' existing notes
stop updating. So :data:`NOTE_TYPE` fixes them now, with room for what later features need
(``Plot``, ``Source``); template text and CSS can change freely.

Math is MathJax (``\\( … \\)`` and ``\\[ … \\]``), printed from the same parsed expressions that
were proved; every field is HTML-escaped, so catalogue text can never inject markup.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from ankigen import latex
from ankigen.model import MediaFile, Rule
from ankigen.resources import asset_text


@dataclass(frozen=True)
class NoteType:
    """An Anki note type: its fixed identity, its fields in order, and its one card template."""

    id: int
    name: str
    fields: tuple[str, ...]
    template_name: str
    front: str
    back: str
    css: str


@dataclass(frozen=True)
class RenderedNote:
    """One note, ready to be written: its deck, tags, stable key, field values in order, and
    the media files its fields refer to."""

    rule_id: str
    deck: str
    tags: tuple[str, ...]
    fields: tuple[str, ...]
    media: tuple[MediaFile, ...] = ()


# Never change these ids, names or orders: learners' collections depend on them.
NOTE_TYPE_ID = 1_782_146_305
NOTE_TYPE_NAME = "ankigen derivative"
FIELDS = ("Id", "Name", "Question", "Answer", "Context", "Definitions", "Plot", "Source")
TEMPLATE_NAME = "Derivative"


def note_type() -> NoteType:
    """The note type every ankigen note uses, with the templates and CSS from ``assets/``."""
    return NoteType(
        id=NOTE_TYPE_ID,
        name=NOTE_TYPE_NAME,
        fields=FIELDS,
        template_name=TEMPLATE_NAME,
        front=asset_text("front.html"),
        back=asset_text("back.html"),
        css=asset_text("card.css"),
    )


def render_note(rule: Rule, plot: str = "", media: tuple[MediaFile, ...] = ()) -> RenderedNote:
    """The fields of one rule's note (the rule must already be proved); ``plot`` is the HTML of
    its plot and ``media`` the files that HTML refers to."""
    question = latex.derivative_of(rule.function, rule.variable)
    values = {
        "Id": rule.id,
        "Name": _text(rule.name),
        "Question": _display_math(question),
        "Answer": _display_math(latex.latex(rule.derivative)),
        "Context": _text(rule.context),
        "Definitions": _definitions(rule),
        "Plot": plot,
        "Source": _text(rule.source or ""),
    }
    return RenderedNote(rule.id, rule.deck, rule.tags, tuple(values[f] for f in FIELDS), media)


def _definitions(rule: Rule) -> str:
    """'where σ(x) = …' for each helper the rule uses (and 'where λ = 1.0507…' for each named
    constant), and 'for x > 0' for its assumptions."""
    lines = []
    for helper in rule.used_definitions:
        params = ", ".join(latex.name(p) for p in helper.params)
        call = latex.function_name(helper.name) + (f"({params})" if params else "")
        definition = f"\\displaystyle {call} = {latex.latex(helper.body)}"
        lines.append(f"where {inline_math(definition)}")
    if rule.assumptions:
        lines.append(f"for {inline_math(_conditions(rule))}")
    return "<br>".join(lines)


def _conditions(rule: Rule) -> str:
    """``x > 0``, ``0 < p < 1``: each symbol's assumptions, a lower and an upper bound as one
    chain."""
    parts = []
    for symbol in dict.fromkeys(a.symbol for a in rule.assumptions):
        mine = [a for a in rule.assumptions if a.symbol == symbol]
        name = latex.name(symbol)
        lower = [a for a in mine if a.relation in (">", ">=")]
        upper = [a for a in mine if a.relation in ("<", "<=")]
        if len(lower) == 1 and len(upper) == 1:
            flipped = {">": "<", ">=": "<="}[lower[0].relation]
            parts.append(
                f"{lower[0].bound_text} {latex.relation(flipped)} {name} "
                f"{latex.relation(upper[0].relation)} {upper[0].bound_text}"
            )
            mine = [a for a in mine if a.relation == "!="]
        parts.extend(f"{name} {latex.relation(a.relation)} {a.bound_text}" for a in mine)
    return ", ".join(parts)


def _text(text: str) -> str:
    """Catalogue text as HTML that shows exactly that text (quotes need no escaping here)."""
    return html.escape(text, quote=False)


def _display_math(tex: str) -> str:
    return f"\\[{html.escape(tex, quote=False)}\\]"


def inline_math(tex: str) -> str:
    """LaTeX as inline MathJax in a field, HTML-escaped."""
    return f"\\({html.escape(tex, quote=False)}\\)"
