"""The zero test of both provers (ankigen/verify/zero.py): a fraction brought over one
denominator without gcds must say 0 exactly when sympy's own cancellation does, and must never
take an expression it cannot read for a nonzero rational function."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
import sympy as sp

from ankigen.verify.zero import _isolated_zeros, _zero_fraction, is_zero

_x, _y, _z = sp.symbols("x y z", real=True)


def _rational_expression(chance: random.Random, depth: int = 0) -> sp.Expr:
    """A random rational function of x, y, z, nested up to three levels, with repeated
    denominators (the same base to several powers), as inverses' entries have."""
    if depth >= 3 or chance.random() < 0.3:
        return chance.choice([_x, _y, _z, sp.Rational(chance.randint(-4, 4), chance.randint(1, 3))])
    a, b = _rational_expression(chance, depth + 1), _rational_expression(chance, depth + 1)
    choices: list[Callable[[], sp.Expr]] = [
        lambda: a + b,
        lambda: a * b,
        lambda: a / (b + 2) if b + 2 != 0 else a,
        lambda: a ** chance.randint(-3, 3) if a != 0 else b,
        lambda: (a - b) / (a - b) ** 2 if a != b else a,
    ]
    return chance.choice(choices)()


def test_the_fraction_test_agrees_with_sympys_cancel() -> None:
    """On random rational functions and their rewritten forms (identities) and on slightly
    changed forms (not identities), the answer is sympy's cancel's."""
    chance = random.Random(11)  # noqa: S311 - not secret
    seen = {True: 0, False: 0}
    for _ in range(40):
        expr = _rational_expression(chance)
        if expr.has(sp.zoo, sp.nan) or not expr.free_symbols:
            continue
        for other in (sp.together(expr), sp.cancel(expr)):
            for difference in (expr - other, expr - other + _y / (_x + 3) ** 2):
                want = bool(sp.cancel(sp.together(difference)) == 0)
                assert _zero_fraction(difference) is want, difference
                seen[want] += 1
    assert seen[True] > 25 and seen[False] > 25


def test_a_common_denominator_keeps_the_largest_power() -> None:
    p = _x**2 + _y
    assert _zero_fraction(1 / p**2 + 1 / p**3 - (p + 1) / p**3) is True
    assert _zero_fraction(1 / p**2 + 1 / p**3 - (p + 2) / p**3) is False


@pytest.mark.parametrize(
    "expr",
    [sp.pi * _x, sp.sqrt(_x) + 1, sp.exp(_x) - 1, sp.Float("0.5") * _x, sp.Max(_x, 0) + _y],
)
def test_what_is_no_rational_function_is_neither_zero_nor_nonzero(expr: sp.Expr) -> None:
    assert _zero_fraction(expr) is None


@pytest.mark.parametrize("inner", [sp.Integer(0), _y - _y * 1])
def test_a_division_by_the_zero_polynomial_has_no_answer(inner: sp.Expr) -> None:
    zero = sp.Add(_x * _y, -_y * _x, inner, evaluate=False)  # 0, not seen as 0 when built
    assert _zero_fraction(_x * sp.Pow(zero, -1, evaluate=False)) is None
    assert _zero_fraction(_x / sp.Pow(sp.Pow(zero, -1, evaluate=False), -1, evaluate=False)) is None


def test_a_constant_that_is_0_unseen_is_no_rational_function_that_is_not_0() -> None:
    """atan(5) + atan(1/5) - pi/2 is 0 though sympy does not see it: c*x is 0 on every region,
    so sign(c*x) must not be rewritten as (c*x)/|c*x|, which has no value anywhere."""
    c = sp.atan(5) + sp.atan(sp.Rational(1, 5)) - sp.pi / 2
    assert not _isolated_zeros(c * _x)
    assert _isolated_zeros(_x**2 - _y)
    assert not is_zero(c * sp.sign(c * _x) - c**2 * _x / sp.Abs(c * _x), thorough=False)
