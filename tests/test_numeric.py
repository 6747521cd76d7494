"""The refuter's values (ankigen/verify/numeric.py): several expressions evaluated in one walk
give each the value it has alone, with the ties and magnitudes of them all."""

from __future__ import annotations

import sympy as sp

from ankigen.verify.numeric import TIE_DIGITS, evaluate, evaluate_together

_x, _y = sp.symbols("x y", real=True)
_POINT = {_x: sp.Rational(7, 3), _y: sp.Rational(-5, 4)}


def test_each_value_is_the_one_it_has_alone() -> None:
    shared = sp.exp(-_x) / (1 + sp.exp(-_x))
    exprs = [shared * (1 - shared), shared**2 + sp.tanh(_y), sp.log(1 + shared) * _y, _x / 3]
    together = evaluate_together(exprs, _POINT, 50)
    for expr, value in zip(exprs, together, strict=True):
        alone = evaluate(expr, _POINT, 50)
        assert value.value == alone.value
        assert not value.too_large


def test_a_value_missing_or_too_large_stays_with_its_expression() -> None:
    no_value, too_large, fine = evaluate_together(
        [sp.log(-1 - _x**2), sp.exp(sp.exp(sp.exp(sp.exp(_x + 10)))), _x**2], _POINT, 50
    )
    assert no_value.value is None and not no_value.too_large
    assert too_large.value is None and too_large.too_large
    assert fine.value == evaluate(_x**2, _POINT, 50).value


def test_the_ties_are_those_of_all_and_decided_with_more_digits() -> None:
    point = {_x: sp.Integer(2), _y: sp.Integer(1)}
    kink, smooth = sp.Max(_x, 2 * _y), _x + _y
    both = evaluate_together([smooth, kink], point, 50)
    assert both[0].ties == both[1].ties == evaluate(kink, point, 50).ties != frozenset()
    assert both[1].value == 2 and both[0].value == 3
    assert evaluate(kink, point, 50).ties == evaluate(kink, point, TIE_DIGITS).ties


def test_the_magnitude_is_the_largest_met() -> None:
    big = (sp.exp(200 * _x) + 1) * (sp.exp(200 * _x) - 1) - sp.exp(400 * _x) + _x  # = x - 1
    small = _y
    values = evaluate_together([small, big], _POINT, 50)
    assert values[0].magnitude == values[1].magnitude == evaluate(big, _POINT, 50).magnitude > 100
