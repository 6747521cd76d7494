"""The checks of single values of the catalogue format, shared by a file's keys and a rule's:
known and required keys, text fields (length, and no MathJax command that is more than math),
tags and expression text. A :class:`Checker` collects one file's problems instead of stopping
at the first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from ankigen.errors import Location, Problem, did_you_mean
from ankigen.load.yamlfile import Value, shown

MAX_NAME = 200
MAX_CONTEXT = 2000
TAG = re.compile(r'[^\s"]+')  # also a valid ECMA-262 pattern (see ankigen.commands.schema)

# LaTeX commands refused in every text field. Anki typesets the whole card with MathJax 3, whose
# autoloaded extensions make these more than math, and HTML escaping does not stop them.
_LINK, _STYLE, _ACTION, _DEFINES, _MOVES = (
    "a link",
    "page styling",
    "a tooltip or click action",
    "a definition that stays for the cards after it",  # MathJax keeps macros for the page
    "ink moved outside its box, over other text",  # e.g. over the proved answer
)
UNSAFE_TEX = {
    "href": _LINK,  # \href{javascript:…} runs script when clicked
    "class": _STYLE, "style": _STYLE, "cssId": _STYLE, "bbox": _STYLE,
    "data": "HTML attributes", "html": "HTML", "mmlToken": "MathML attributes",
    "toggle": _ACTION, "endtoggle": _ACTION, "mathtip": _ACTION, "texttip": _ACTION,
    "unicode": "glyphs of any font", "require": "an extension", "setOptions": "parser options",
    "def": _DEFINES, "gdef": _DEFINES, "edef": _DEFINES, "xdef": _DEFINES, "let": _DEFINES,
    "newcommand": _DEFINES, "renewcommand": _DEFINES,
    "newenvironment": _DEFINES, "renewenvironment": _DEFINES,
    "DeclareMathOperator": _DEFINES, "Newextarrow": _DEFINES, "definecolor": _DEFINES,
    "llap": _MOVES, "rlap": _MOVES, "clap": _MOVES,
    "mathllap": _MOVES, "mathrlap": _MOVES, "mathclap": _MOVES,
    "raise": _MOVES, "lower": _MOVES, "moveleft": _MOVES, "moveright": _MOVES,
    "hskip": _MOVES, "hspace": _MOVES, "kern": _MOVES, "mkern": _MOVES,
    "mskip": _MOVES, "mspace": _MOVES,
}  # fmt: skip
_TEX_COMMAND = re.compile(r"\\([A-Za-z]+|.)", re.DOTALL)  # \name, or \ and one character


class NotText(Exception):
    """A value that must be an expression is not text (its problem is reported already)."""


class Checker:
    """Collects the problems of the catalogue file ``path``, located at its lines."""

    def __init__(self, path: Path, problems: Sequence[Problem] = ()) -> None:
        self.path = path
        self.problems: list[Problem] = list(problems)

    def problem(self, message: str, line: int | None = None, rule_id: str | None = None) -> None:
        self.problems.append(Problem(message, Location(self.path, line), rule_id))

    def keys(
        self,
        mapping: dict[str, Value],
        allowed: Sequence[str],
        required: Sequence[str],
        line: int,
        rule_id: str | None,
    ) -> dict[str, Value]:
        """The known keys of ``mapping``; each unknown one and each missing required one is
        reported (at ``line``, the mapping's)."""
        for key, value in mapping.items():
            if key not in allowed:
                hint = did_you_mean(key, allowed)
                self.problem(f"unknown key '{key}'{hint}", value.line, rule_id)
        for key in required:
            if key not in mapping:
                self.problem(f"missing required key '{key}'", line, rule_id)
        return {k: v for k, v in mapping.items() if k in allowed}

    def text(self, value: Value | None, key: str, rule_id: str | None, limit: int) -> str | None:
        """A text field, stripped: not empty, at most ``limit`` characters, no refused command
        of :data:`UNSAFE_TEX`. A YAML number or true/false is taken as the text written."""
        if value is None:
            return None
        if not isinstance(value.data, str) or value.tag == "null":
            self.problem(f"'{key}' must be text, not {value.kind()}", value.line, rule_id)
            return None
        text = value.data.strip()
        if not text:
            self.problem(f"'{key}' is empty", value.line, rule_id)
            return None
        if len(text) > limit:
            self.problem(
                f"'{key}' is {len(text)} characters long; the limit is {limit}", value.line, rule_id
            )
            return None
        unsafe = _unsafe_tex(text)
        if unsafe:
            self.problem(
                f"'{key}' uses {unsafe}, which Anki's MathJax would put on the card; text "
                "fields take plain text and math only",
                value.line,
                rule_id,
            )
            return None
        return text

    def tags(self, value: Value | None, rule_id: str | None) -> tuple[str, ...]:
        """A list of tags, each one word without spaces or quotes (Anki separates tags by
        spaces)."""
        if value is None:
            return ()
        items = value.data if isinstance(value.data, list) else None
        if items is None:
            self.problem(
                f"'tags' must be a list such as [activation, loss], not {value.kind()}",
                value.line,
                rule_id,
            )
            return ()
        tags = []
        for item in items:
            if not isinstance(item.data, str) or item.tag == "null" or not TAG.fullmatch(item.data):
                self.problem(
                    f"tag {shown(item)} must be one word without spaces or quotes",
                    item.line,
                    rule_id,
                )
                continue
            tags.append(item.data)
        return tuple(tags)

    def expression_text(self, value: Value, key: str, rule_id: str | None = None) -> str:
        """The text of an expression field (a YAML number is its text); :class:`NotText` once
        the problem of anything else is reported."""
        # YAML 1.1 reads yes, no, on and off as true/false: no expression is written that way.
        if not isinstance(value.data, str) or value.tag in ("null", "bool"):
            self.problem(f"'{key}' must be an expression, not {value.kind()}", value.line, rule_id)
            raise NotText
        return value.data


def _unsafe_tex(text: str) -> str:
    """The refused commands of :data:`UNSAFE_TEX` that ``text`` uses, with what each would
    add to the card (``\\href (a link)``), or ``""``. Commands are read as TeX reads them:
    ``\\\\href`` is a line break and the word href."""
    found = dict.fromkeys(name for name in _TEX_COMMAND.findall(text) if name in UNSAFE_TEX)
    return ", ".join(f"\\{name} ({UNSAFE_TEX[name]})" for name in found)
