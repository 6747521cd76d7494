"""Rules with ``shapes:`` built directly, for the render stage's tests while the catalogue loader
does not read ``shapes:`` yet: one rule from its texts, or every rule of a catalogue file
(``tests/fixtures/matrix_cards/``) read with PyYAML and parsed by the expression parser."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import yaml

from ankigen.errors import Location
from ankigen.expr.parse import Scope, parse_expression, parse_signature
from ankigen.expr.tree import Compare, Definition, Piecewise
from ankigen.records import Rule

MATRIX_CARDS = Path(__file__).parent / "fixtures" / "matrix_cards" / "vectors-and-matrices.yaml"
SIGMA = {"sigma(t)": "1/(1 + exp(-t))"}


def definitions(helpers: Mapping[str, str]) -> tuple[Definition, ...]:
    found = []
    for signature, body in helpers.items():
        name, params = parse_signature(signature)
        found.append(Definition(name, params, parse_expression(body, Scope({}))))
    return tuple(found)


def condition(text: str, scope: Scope) -> Compare:
    """An ``assume:`` comparison as a Compare node (parsed as a Piecewise's condition, the one
    place the expression parser takes a comparison)."""
    piecewise = parse_expression(f"Piecewise((0, {text}), (1, True))", scope)
    assert isinstance(piecewise, Piecewise)
    compare = piecewise.pieces[0][1]
    assert isinstance(compare, Compare), text
    return compare


def matrix_rule(
    rule_id: str,
    function: str,
    variable: str,
    derivative: str,
    shapes: Mapping[str, Sequence[str | int]],
    assume: Sequence[str] = (),
    helpers: Mapping[str, str] = SIGMA,
    deck: str = "Tests::Vectors and matrices",
    name: str | None = None,
    context: str = "A rule with shapes.",
) -> Rule:
    defined = definitions(helpers)
    scope = Scope({d.name: d for d in defined}, variable)
    where = Location(Path("cards/matrices.yaml"), 1)
    return Rule(
        id=rule_id,
        name=name or rule_id,
        deck=deck,
        function=parse_expression(function, scope),
        derivative=parse_expression(derivative, scope),
        variable=variable,
        context=context,
        tags=(),
        assumptions=(),
        source=None,
        definitions=defined,
        function_text=function,
        derivative_text=derivative,
        location=where,
        derivative_location=where,
        shapes=tuple((symbol, tuple(str(d) for d in dims)) for symbol, dims in shapes.items()),
        conditions=tuple(condition(text, scope) for text in assume),
    )


def catalogue_rules(path: Path = MATRIX_CARDS) -> list[Rule]:
    """Every rule of a catalogue file with shapes: (its deck, helpers and texts)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    helpers = {str(k): str(v) for k, v in (data.get("define") or {}).items()}
    return [
        matrix_rule(
            entry["id"],
            str(entry["function"]),
            entry["variable"],
            str(entry["derivative"]),
            entry["shapes"],
            entry.get("assume", ()),
            helpers,
            deck=data["deck"],
            name=entry["name"],
            context=entry["context"],
        )
        for entry in data["rules"]
    ]
