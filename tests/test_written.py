"""The claim as written (ankigen/verify/written.py, with the translator's guards): what the text
needs to have a value, which of it sympy's simplified form no longer needs, and where it fails."""

from __future__ import annotations

import sympy as sp

from ankigen.expr.parse import Scope, parse_expression
from ankigen.expr.signature import parse_signature
from ankigen.expr.symbolic import Guard, Translator
from ankigen.expr.tree import Definition
from ankigen.verify.written import broken, dropped

_x = sp.Symbol("x", real=True)


def _guards(text: str, define: dict[str, str] | None = None) -> list[tuple[str, sp.Expr]]:
    definitions: dict[str, Definition] = {}
    for signature, body in (define or {}).items():
        name, params = parse_signature(signature)
        definitions[name] = Definition(name, params, parse_expression(body, Scope(definitions)))
    translate = Translator((), definitions)
    node = parse_expression(text, Scope(definitions, "x"))
    return [(g.kind, g.expr) for g in translate.guards(node)]


def test_the_text_needs_divisors_logs_and_roots_in_their_domains() -> None:
    assert _guards("1/(x - 3)") == [("nonzero", _x - 3)]
    assert _guards("x**-2") == [("nonzero", _x)]
    assert _guards("log(x) + ln(x + 1)") == [("positive", _x), ("positive", _x + 1)]
    assert _guards("sqrt(x)*x**(1/2)") == [("nonnegative", _x), ("nonnegative", _x)]
    assert _guards("x**(-1/2)") == [("positive", _x)]
    assert _guards("x**2 + exp(x) + Max(0, x)") == []


def test_a_helper_is_read_as_written_too() -> None:
    assert _guards("q(x - 2)", {"q(t)": "t/t"}) == [("nonzero", _x - 2)]


def test_a_piecewise_branch_asks_nothing_of_the_points_it_does_not_cover() -> None:
    assert _guards("Piecewise((1/x, x > 0), (0, True))") == []


def test_what_sympys_form_still_needs_is_left_to_the_comparison() -> None:
    form = 1 / (_x - 3) + sp.log(_x + 1)
    guards = [Guard("nonzero", _x - 3), Guard("positive", _x + 1), Guard("nonzero", _x)]
    assert dropped(guards, form) == (Guard("nonzero", _x),)
    assert dropped([Guard("positive", _x)], sp.sqrt(_x)) == (Guard("positive", _x),)
    assert dropped([Guard("nonnegative", _x)], sp.sqrt(_x)) == ()


def test_a_guard_fails_clearly_or_not_at_all() -> None:
    relu = Guard("nonzero", sp.Max(0, _x))
    assert broken([relu], {_x: sp.Integer(-1)}, 50) == "divides by Max(0, x), which is 0 there"
    assert broken([relu], {_x: sp.Integer(2)}, 50) is None
    assert broken([relu], {_x: sp.Integer(0)}, 50) is None  # on the kink: nothing to say
    assert broken([Guard("positive", _x)], {_x: sp.Integer(0)}, 50) is not None
    assert broken([Guard("nonnegative", _x)], {_x: sp.Integer(0)}, 50) is None
    assert broken([Guard("nonnegative", _x)], {_x: sp.Rational(-1, 3)}, 50) is not None
