"""Fast values of sympy expressions at an exact point, to screen a claim against a derivative.

sympy's own substitution rebuilds every subexpression as a new sympy object, which makes
comparing the entries of a 3×3 Jacobian at a few dozen points take seconds; the entries share
most of their subexpressions, so an evaluator that walks each tree once per point, remembering
what it has seen, is faster by an order of magnitude. Rational functions are evaluated exactly
(``fractions.Fraction``), anything else with 30-digit ``mpmath`` numbers; a value screened that
way is only a screen: a disagreement is confirmed with sympy before it refutes anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import TypeAlias

import mpmath
import sympy as sp

DIGITS = 30
Number: TypeAlias = Fraction | mpmath.mpf

_FUNCTIONS: dict[type[sp.Basic], Callable[[mpmath.mpf], object]] = {
    sp.exp: mpmath.exp,
    sp.tanh: mpmath.tanh,
    sp.sinh: mpmath.sinh,
    sp.cosh: mpmath.cosh,
    sp.sin: mpmath.sin,
    sp.cos: mpmath.cos,
    sp.tan: mpmath.tan,
    sp.atan: mpmath.atan,
    sp.erf: mpmath.erf,
}
_KINKED = (sp.sign, sp.Heaviside, sp.Abs, sp.Max, sp.Min)
_TIE = mpmath.mpf(10) ** -(DIGITS - 10)  # an argument this close to 0 has no trustworthy sign


class _NoValue(Exception):
    """The expression has no real value at the point (a division by 0, the log of -1)."""


class Evaluator:
    """Values at one point: exact where ``exact`` (the caller knows every expression is a
    rational function), else 30-digit reals; None where there is no real value."""

    def __init__(self, point: Mapping[sp.Symbol, sp.Rational], exact: bool) -> None:
        self._point = point
        self._exact = exact
        self._memo: dict[sp.Basic, Number] = {}

    def __call__(self, expr: sp.Basic) -> Number | None:
        try:
            with mpmath.workdps(DIGITS):
                return self._value(expr)
        except (_NoValue, ZeroDivisionError, OverflowError):
            return None

    def _value(self, expr: sp.Basic) -> Number:
        known = self._memo.get(expr)
        if known is None:
            known = self._memo[expr] = self._compute(expr)
        return known

    def _compute(self, expr: sp.Basic) -> Number:
        if expr.is_Rational:
            return self._number(Fraction(int(expr.p), int(expr.q)))
        if isinstance(expr, sp.Symbol):
            value = self._point[expr]
            return self._number(Fraction(int(value.p), int(value.q)))
        if isinstance(expr, sp.Add):
            total: Number = self._number(Fraction(0))
            for arg in expr.args:
                total = total + self._value(arg)
            return total
        if isinstance(expr, sp.Mul):
            product: Number = self._number(Fraction(1))
            for arg in expr.args:
                product = product * self._value(arg)
            return product
        if isinstance(expr, sp.Pow):
            return self._power(expr)
        if self._exact:
            raise TypeError(f"not a rational function: {expr}")
        return self._function(expr)

    def _number(self, value: Fraction) -> Number:
        return value if self._exact else mpmath.mpf(value.numerator) / value.denominator

    def _power(self, expr: sp.Pow) -> Number:
        base = self._value(expr.base)
        if expr.exp.is_Integer:
            return base ** int(expr.exp)
        if self._exact:
            raise TypeError(f"not a rational function: {expr}")
        exponent = self._value(expr.exp)
        if base < 0 or (base == 0 and exponent <= 0):
            raise _NoValue
        return _real(mpmath.power(base, exponent))

    def _function(self, expr: sp.Basic) -> mpmath.mpf:
        if isinstance(expr, _KINKED):
            return self._kinked(expr)
        if isinstance(expr, sp.log) and len(expr.args) == 1:
            argument = self._value(expr.args[0])
            if argument <= 0:
                raise _NoValue
            return mpmath.log(argument)
        compute = _FUNCTIONS.get(type(expr))
        if compute is not None and len(expr.args) == 1:
            return _real(compute(self._value(expr.args[0])))
        return self._by_sympy(expr)

    def _kinked(self, expr: sp.Basic) -> mpmath.mpf:
        """sign, Heaviside, Abs, Max and Min. Where the argument (for Max and Min, the
        difference of the two largest or smallest) is within the digits computed of 0, it is
        decided exactly or not at all: exactly 0 at this point (Max(0, 10 - x) at x = 12) is a
        value like any other, but a constant that is 0 without sympy seeing it (atan(5) +
        atan(1/5) - pi/2) has a sign of noise at any precision, and such a point has no value
        here: another is drawn."""
        if isinstance(expr, sp.Max | sp.Min):
            ranked = sorted(expr.args, key=self._value, reverse=isinstance(expr, sp.Max))
            if len(ranked) > 1 and self._near_zero(ranked[0] - ranked[1]):
                self._exactly_zero(ranked[0] - ranked[1])
            return mpmath.mpf(self._value(ranked[0]))
        argument = expr.args[0]
        if self._near_zero(argument):
            self._exactly_zero(argument)
            return mpmath.mpf(sp.N(expr.func(0), DIGITS))  # sign(0), Abs(0), Heaviside(0)
        value = self._value(argument)
        if isinstance(expr, sp.Abs):
            return mpmath.mpf(abs(value))
        if isinstance(expr, sp.sign):
            return mpmath.mpf(1 if value > 0 else -1)
        return mpmath.mpf(1 if value > 0 else 0)  # Heaviside

    def _near_zero(self, expr: sp.Basic) -> bool:
        return bool(abs(self._value(expr)) <= _TIE)

    def _exactly_zero(self, expr: sp.Basic) -> None:
        """Raise ``_NoValue`` unless sympy sees that ``expr`` is exactly 0 at the point *and*
        beside it: 0 on a region (Max(0, 10 - x) for x > 10) is a value like any other, but 0
        at this point only (x = y, a kink of Max(x, y)) is a kink, where the value a claim gets
        from sign(0) or Heaviside(0) is a convention, not the author's."""
        if expr.xreplace(dict(self._point)).is_zero is not True:
            raise _NoValue
        if expr.xreplace(self._beside()).is_zero is not True:
            raise _NoValue

    def _beside(self) -> dict[sp.Symbol, sp.Rational]:
        """A point a little way from this one, each coordinate moved by its own small step."""
        ordered = sorted(self._point.items(), key=lambda item: str(item[0]))
        return {s: v + sp.Rational(k + 1, 7 * 10**6) for k, (s, v) in enumerate(ordered)}

    def _by_sympy(self, expr: sp.Basic) -> mpmath.mpf:
        """What the table does not know (``Piecewise``, ``sign``, constants), sympy evaluates."""
        value = sp.N(expr.xreplace(dict(self._point)), DIGITS)
        if not (value.is_Float or value.is_Rational):
            raise _NoValue
        return mpmath.mpf(value)


def _real(value: object) -> mpmath.mpf:
    if isinstance(value, mpmath.mpf) and mpmath.isfinite(value):
        return value
    raise _NoValue


def differ(a: Number, b: Number, close: mpmath.mpf) -> bool:
    """Whether two values differ: exactly for fractions, else by more than ``close`` relative to
    1 + the larger magnitude."""
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a != b
    with mpmath.workdps(DIGITS):
        return bool(abs(a - b) > close * (1 + max(abs(a), abs(b))))
