"""The JSON Schema (draft 2020-12) of a catalogue file, for editors and other tools.

It is built from the constants the loader checks with (:mod:`ankigen.load`): the same
keys, required keys, id, tag and assumption patterns and length limits, so the two cannot drift
apart unnoticed (a key the loader knows but this module does not describe is an error here). A copy
is kept in the repository as ``schema/ankigen-catalogue.schema.json``; regenerate it with ``ankigen
schema > schema/ankigen-catalogue.schema.json``.

The schema checks the shape of a file, not its meaning: whether an expression parses, a helper
exists, an id is unique across files or a derivative is right is for ``ankigen check``. Where
YAML reads a scalar as a number or true/false but the loader takes it as text (``source: 2016``),
the schema accepts it too, so an editor never flags what ankigen accepts.
"""

from __future__ import annotations

import json
from typing import Any

from ankigen.expr.parse import MAX_LENGTH
from ankigen.expr.syntax import VARIABLE_NAME
from ankigen.load.assumptions import ASSUMPTION
from ankigen.load.catalogue import FILE_KEYS, FILE_REQUIRED
from ankigen.load.fields import MAX_CONTEXT, MAX_NAME, TAG
from ankigen.load.rules import MAX_PLOT_NUMBER, PLOT_KEYS, RULE_ID, RULE_KEYS, RULE_REQUIRED
from ankigen.load.shapes import MAX_DIMENSION

SCHEMA_PATH = "schema/ankigen-catalogue.schema.json"  # the repository's copy
DIALECT = "https://json-schema.org/draft/2020-12/schema"

Schema = dict[str, Any]


def _whole(pattern: str) -> str:
    """A JSON Schema pattern (a search, unanchored) that must match the whole value."""
    return f"^(?:{pattern})$"


def _text(description: str, limit: int, pattern: str = r"\S") -> Schema:
    """Text as the loader reads it: any non-empty scalar (YAML numbers and booleans count)."""
    return {
        "description": description,
        "type": ["string", "number", "boolean"],
        "pattern": pattern,
        "maxLength": limit,
    }


def _expression(description: str) -> Schema:
    return {
        "description": description,
        "type": ["string", "number"],
        "pattern": r"\S",
        "maxLength": MAX_LENGTH,
    }


def _tags(description: str) -> Schema:
    return {
        "description": description,
        "type": "array",
        "items": {
            "description": "one tag: a single word without spaces or double quotes",
            "type": ["string", "number", "boolean"],
            "pattern": _whole(TAG.pattern),
        },
    }


def _range(axis: str) -> Schema:
    return {
        "description": f"[min, max]: the {axis}; min must be below max",
        "type": "array",
        "items": {"$ref": "#/$defs/plotNumber"},
        "minItems": 2,
        "maxItems": 2,
    }


_NAME = VARIABLE_NAME.pattern
# A deck name whose parts between '::' are all non-blank ("A::B", not "A::" or "A:: ::B").
_DECK = r"^(?!\s*::)(?!.*::\s*::)(?!.*::\s*$)[\s\S]*\S"
# 'name(params)' for a helper, a bare 'name' for a named constant
_SIGNATURE = _whole(rf"\s*{_NAME}\s*(?:\(\s*{_NAME}\s*(?:,\s*{_NAME}\s*)*\)\s*)?")
_ASSUMPTION = _whole(ASSUMPTION.pattern)  # also matches a bare name, which the loader refuses
_CONDITION = r"<|>|==|!="  # a shaped rule's: any comparison of expressions (the loader parses it)
_SYMBOL = {"type": "string", "pattern": _whole(_NAME), "not": {"pattern": "__"}}


def _assume(pattern: str, description: str) -> Schema:
    """``assume:``, one condition or a list of them, each matching ``pattern``."""
    condition = {"type": "string", "pattern": pattern}
    return {
        "description": description,
        "oneOf": [condition, {"type": "array", "items": condition}],
    }


_FILE_PROPERTIES: dict[str, Schema] = {
    "deck": _text(
        "The Anki deck that receives every rule of this file; '::' separates a parent deck "
        "from its subdecks, and no part may be empty.",
        MAX_NAME,
        _DECK,
    ),
    "description": _text(
        "The description of this file's deck: what it covers and how to study it. Anki shows "
        "it above the deck's study button (as text; line breaks are kept). Give it in one file "
        "of the deck; a file with 'rules: []' can describe a parent deck that holds no rule.",
        MAX_CONTEXT,
    ),
    "tags": _tags("Tags given to every rule of this file, in addition to each rule's own."),
    "define": {
        "description": "Helper functions for the expressions of this file, as 'name(params)': "
        "expression, such as 'sigma(x): 1/(1 + exp(-x))', and named constants, as 'name': "
        "value, such as 'lam: 1.0507009873554805'. A helper may use the helpers and constants "
        "defined above it. Proofs expand helpers and use constants' exact values; cards show "
        "the names, with their definitions in a 'where' line.",
        "type": "object",
        "propertyNames": {"pattern": _SIGNATURE},
        "additionalProperties": _expression(
            "The helper's body, in its parameters only; a constant's value, without variables."
        ),
    },
    "rules": {
        "description": "The rules of this file, each becoming one note (one card) in the deck.",
        "type": "array",
        "items": {"$ref": "#/$defs/rule"},
    },
}

_RULE_PROPERTIES: dict[str, Schema] = {
    "id": {
        "description": "The rule's permanent identity, unique across all catalogue folders: "
        "lowercase letters and digits joined by single hyphens. Anki knows the note by it, so "
        "keep it when editing the rule, or learners get a new note and lose its review history.",
        "type": ["string", "integer", "boolean"],
        "pattern": _whole(RULE_ID.pattern),
        "minimum": 0,
    },
    "name": _text("The rule's name, shown above the question on the card.", MAX_NAME),
    "shapes": {
        "description": "Makes the rule about vectors and matrices: the shape of each of its "
        "vector or matrix symbols, such as {x: [n], A: [m, n]}: [n] is a column vector, [m, n] "
        "a matrix. A dimension is a name (any size; the proof tries several) or a whole number "
        f"from 1 to {MAX_DIMENSION} (that size only). A symbol not listed is a scalar, and a "
        "1 x 1 result such as x.T @ y is a scalar. In such a rule, @ is the matrix product, .T "
        "the transpose, + - * / ** work entry by entry (with scalars broadcast), and sum, "
        "trace, det, inv, norm and diag are available. The derivative of a scalar has the "
        "variable's shape (the gradient); that of a vector [m] by a vector [n] is the "
        "Jacobian [m, n].",
        "type": "object",
        "minProperties": 1,
        "propertyNames": {"pattern": _whole(_NAME), "not": {"pattern": "__"}},
        "additionalProperties": {
            "description": "A shape: [n] for a column vector, [m, n] for a matrix.",
            "type": "array",
            "minItems": 1,
            "maxItems": 2,
            "items": {
                "description": "A dimension: a name such as n, or a whole number.",
                "oneOf": [_SYMBOL, {"type": "integer", "minimum": 1, "maximum": MAX_DIMENSION}],
            },
        },
    },
    "function": _expression(
        "The function to differentiate, as an expression: + - * / ** (or ^), numbers, "
        "variables, pi, e, exp, log, sqrt, trigonometric and hyperbolic functions, Abs, Max, "
        "Min, Piecewise, the file's helpers, and abstract functions such as g(x); in a rule "
        "with 'shapes', also @ (the matrix product), .T (the transpose), sum, trace, det, inv, "
        "norm and diag."
    ),
    "derivative": _expression(
        "The claimed derivative, written in the form learners should memorise: the card shows "
        "it as written, and it is proved equal to the true derivative before any deck is written."
    ),
    "variable": {
        "description": "The variable to differentiate by; x when left out.",
        "type": ["string", "boolean"],
        "pattern": _whole(_NAME),
        "not": {"type": "string", "pattern": "__"},
    },
    "context": _text(
        "Why the rule matters in machine learning, shown on the back of the card: plain text "
        r"(HTML is shown as text; MathJax \( ... \) works).",
        MAX_CONTEXT,
    ),
    "tags": _tags("More tags for this rule, besides the file's."),
    "assume": _assume(
        r"\S",
        "Conditions that the proof may use and the card states, one or a list. In a rule of "
        "scalars, each compares one symbol with numbers: 'x > 0', 't >= 0', 'x != 0', "
        "'0 < p < 1' (needed for domains such as that of ln x, and for probabilities). In a "
        "rule with 'shapes', each compares expressions with <, <=, >, >=, == or !=: "
        "'det(X) > 0', 'sum(y) == 1', and 'x > 0' for a vector x means every entry.",
    ),
    "source": _text(
        "Where the fact comes from (a book, a paper, a lesson), shown small at the bottom of "
        "the card.",
        MAX_CONTEXT,
    ),
    "plot": {
        "description": "The plot of the function and its derivative on the card: false for "
        "none, or settings that override the automatic choices.",
        "oneOf": [{"type": "boolean"}, {"$ref": "#/$defs/plot"}],
    },
}

_PLOT_PROPERTIES: dict[str, Schema] = {
    "x": _range("range of the rule's variable on the horizontal axis"),
    "y": _range("limits of the vertical axis"),
    "values": {
        "description": "Values for the other symbols of the function (not the variable), such "
        "as {target: 1, lam: 0.5}; otherwise they take 1 (or -1 when assumed negative).",
        "type": "object",
        "additionalProperties": {"$ref": "#/$defs/plotNumber"},
    },
}


def _properties(keys: tuple[str, ...], described: dict[str, Schema], what: str) -> Schema:
    """The properties for exactly the loader's ``keys``, each with its description."""
    missing = [key for key in keys if key not in described]
    extra = [key for key in described if key not in keys]
    if missing or extra:
        raise RuntimeError(f"{what}: schema out of step with the loader: {missing=}, {extra=}")
    return {key: described[key] for key in keys}


def catalogue_schema() -> Schema:
    """The JSON Schema of one catalogue file (``cards/*.yaml``)."""
    return {
        "$schema": DIALECT,
        "title": "ankigen catalogue file",
        "description": "One file of an ankigen catalogue: a deck of derivative rules, each "
        "proved by sympy before it becomes an Anki card. See the README's 'The catalogue "
        "format'.",
        "type": "object",
        "properties": _properties(FILE_KEYS, _FILE_PROPERTIES, "file keys"),
        "required": list(FILE_REQUIRED),
        "additionalProperties": False,
        "$defs": {
            "rule": {
                "description": "One derivative rule: it becomes one note in Anki.",
                "type": "object",
                "properties": _properties(RULE_KEYS, _RULE_PROPERTIES, "rule keys"),
                "required": list(RULE_REQUIRED),
                "additionalProperties": False,
                # The form of assume: depends on whether the rule has shapes:.
                "if": {"required": ["shapes"]},
                "then": {"properties": {"assume": _assume(_CONDITION, "Comparisons.")}},
                "else": {"properties": {"assume": _assume(_ASSUMPTION, "One symbol and numbers.")}},
            },
            "plot": {
                "description": "Plot settings; every key is optional.",
                "type": "object",
                "properties": _properties(PLOT_KEYS, _PLOT_PROPERTIES, "plot keys"),
                "additionalProperties": False,
            },
            "plotNumber": {
                "description": "A number of moderate size.",
                "type": "number",
                "minimum": -MAX_PLOT_NUMBER,
                "maximum": MAX_PLOT_NUMBER,
            },
        },
    }


def schema_text() -> str:
    """The schema as the repository keeps it: sorted keys, indented by 2, ASCII, final newline."""
    return json.dumps(catalogue_schema(), indent=2, sort_keys=True) + "\n"
