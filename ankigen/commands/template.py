"""The part of Anki's card template language that ankigen's templates use, for the preview.

``{{Field}}``, ``{{#Field}}…{{/Field}}``, ``{{^Field}}…{{/Field}}`` and ``{{FrontSide}}``, filled in
as Anki's own renderer (``rslib/src/template.rs``) fills them; anything else (filters, unknown
fields, unbalanced sections) raises :class:`TemplateError`, so that the preview never shows a card
that differs from Anki's. ``tests/test_template.py`` compares it with Anki's backend card by card.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass


class TemplateError(ValueError):
    """A card template that this renderer (or Anki) cannot fill in."""


_TAG = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
# Anki's own test (rslib/src/template.rs, field_is_empty): only spaces, <br> and <div> tags.
_EMPTY = re.compile(r"^(?:\s|</?(?:br|div) ?/?>)*$", re.IGNORECASE)


def field_is_empty(text: str) -> bool:
    """Whether Anki treats a field as empty in ``{{#Field}}`` and ``{{^Field}}`` sections."""
    return _EMPTY.match(text) is not None


@dataclass(frozen=True)
class _Section:
    name: str
    inverted: bool
    body: tuple[_Part, ...]


_Part = str | tuple[str] | _Section  # text, a field (a 1-tuple), or a section


def render_template(template: str, fields: Mapping[str, str], front_side: str | None = None) -> str:
    """A card side as Anki renders it: ``{{Field}}`` replaced by the field's HTML (unescaped,
    as in Anki), ``{{#Field}}…{{/Field}}`` kept only if the field is not empty,
    ``{{^Field}}…{{/Field}}`` only if it is, and ``{{FrontSide}}`` (on the back) replaced by the
    rendered front. Filters (``{{text:Field}}``) and unknown fields raise :class:`TemplateError`.
    """
    values = dict(fields)
    if front_side is not None:
        values["FrontSide"] = front_side
    return _fill(_parse(template), values)


def _parse(template: str) -> tuple[_Part, ...]:
    stack: list[tuple[str, bool, list[_Part]]] = [("", False, [])]
    position = 0
    for match in _TAG.finditer(template):
        stack[-1][2].append(template[position : match.start()])
        position = match.end()
        tag = match.group(1).strip()  # Anki trims the spaces inside the braces: {{ A }} is {{A}}
        if tag[:1] in ("#", "^"):
            stack.append((tag[1:].strip(), tag[0] == "^", []))
        elif tag[:1] == "/":
            if len(stack) == 1:
                raise TemplateError(f"{{{{{tag}}}}} closes no section")
            name, inverted, body = stack.pop()
            if name != tag[1:].strip():
                raise TemplateError(f"{{{{{tag}}}}} closes {{{{#{name}}}}}")
            stack[-1][2].append(_Section(name, inverted, tuple(body)))
        elif ":" in tag:
            raise TemplateError(f"{{{{{tag}}}}}: filters are not supported")
        else:
            stack[-1][2].append((tag,))
    if len(stack) > 1:
        raise TemplateError(f"{{{{#{stack[-1][0]}}}}} is never closed")
    stack[0][2].append(template[position:])
    return tuple(part for part in stack[0][2] if part != "")


def _fill(parts: tuple[_Part, ...], values: Mapping[str, str]) -> str:
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
            continue
        name = part.name if isinstance(part, _Section) else part[0]
        if name not in values:  # Anki refuses it too (FieldNotFound): a blank would hide a typo
            raise TemplateError(f"unknown field {{{{{name}}}}}")
        if isinstance(part, _Section):
            if field_is_empty(values[name]) == part.inverted:
                out.append(_fill(part.body, values))
        else:
            out.append(values[name])  # unescaped: a field holds HTML, and Anki inserts it as is
    return "".join(out)
