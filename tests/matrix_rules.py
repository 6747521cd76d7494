"""Rules with ``shapes:`` for the render stage's tests: one rule built from its texts (no YAML file
to write), or every rule of the bundled vectors-and-matrices deck, loaded by the catalogue
loader."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from ankigen.errors import Location
from ankigen.expr.parse import Scope, parse_comparison, parse_expression
from ankigen.expr.signature import parse_signature
from ankigen.expr.tree import Definition
from ankigen.load.catalogue import load_catalogue
from ankigen.records import Rule

MATRIX_CARDS = Path(__file__).parents[1] / "cards" / "vectors-and-matrices.yaml"
SIGMA = {"sigma(t)": "1/(1 + exp(-t))"}


def definitions(helpers: Mapping[str, str]) -> tuple[Definition, ...]:
    found = []
    for signature, body in helpers.items():
        name, params = parse_signature(signature)
        found.append(Definition(name, params, parse_expression(body, Scope({}))))
    return tuple(found)


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
        conditions=tuple(parse_comparison(text, scope) for text in assume),
    )


def catalogue_rules() -> list[Rule]:
    """Every rule of the bundled matrix deck, as the loader reads it."""
    return [rule for rule in load_catalogue([MATRIX_CARDS.parent]).rules if rule.shapes]
