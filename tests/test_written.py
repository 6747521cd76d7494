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


def test_the_text_needs_its_divisors_and_the_arguments_of_its_logs_not_0() -> None:
    assert _guards("1/(x - 3)") == [("divisor", _x - 3)]
    assert _guards("x**-2 + x**(-1/2)") == [("divisor", _x), ("divisor", 2), ("divisor", _x)]
    assert _guards("log(x) + ln(x + 1)") == [("log", _x), ("log", _x + 1)]
    # values on the way may be complex: a root or a log of a negative number is no fault
    assert _guards("sqrt(x)*x**(1/2) + x**2 + exp(x) + Max(0, x)") == [("divisor", 2)]


def test_a_helper_is_read_as_written_too() -> None:
    assert _guards("q(x - 2)", {"q(t)": "t/t"}) == [("divisor", _x - 2)]


def test_a_piecewise_branch_needs_its_divisors_only_where_it_applies() -> None:
    ((kind, expr),) = _guards("Piecewise((1/x, x > 1), (0, True))")
    assert kind == "divisor" and expr == sp.Piecewise((_x, _x > 1), (1, True))
    ((kind, expr),) = _guards("Piecewise((0, x < 0), (1, 1/x > 1), (2, True))")
    assert expr == sp.Piecewise((_x, _x >= 0), (1, True))  # read only where x < 0 is false


def test_what_sympys_form_still_needs_is_left_to_the_comparison() -> None:
    form = 1 / (_x - 3) + sp.log(_x + 1) + sp.Piecewise((1 / _x, _x > 1), (0, True))
    guards = [Guard("divisor", _x - 3), Guard("log", _x + 1), Guard("divisor", _x)]
    assert dropped(guards, form) == (Guard("divisor", _x),)  # 1/x only where x > 1


def test_a_guard_fails_clearly_or_not_at_all() -> None:
    relu = Guard("divisor", sp.Max(0, _x))
    assert broken([relu], {_x: sp.Integer(-1)}, 50) == "divides by Max(0, x), which is 0 there"
    assert broken([relu], {_x: sp.Integer(2)}, 50) is None
    assert broken([relu], {_x: sp.Integer(0)}, 50) is None  # on the kink: nothing to say
    flat = Guard("divisor", sp.Min(0, _x - sp.Abs(_x)))  # 0 on x > 0, a tie at each point
    assert broken([flat], {_x: sp.Integer(2)}, 50) is not None
    unseen = Guard("log", _x * (sp.atan(5) + sp.atan(sp.Rational(1, 5)) - sp.pi / 2))
    assert broken([unseen], {_x: sp.Integer(2)}, 50) == (
        f"takes the log of {unseen.expr}, which is 0 there"
    )
    tiny = Guard("divisor", sp.exp(_x + sp.Rational(1, 10**60)) - sp.exp(_x))  # 0 at 50 digits
    assert broken([tiny], {_x: sp.Integer(2)}, 50) is None
