"""Values of sympy expressions at exact points, for the refuter: our own walk with mpmath.

sympy's ``evalf`` is not used, for three reasons that each once let a wrong claim through or
hung a proof:

* **Bounded magnitudes.** ``exp(exp(exp(exp(3))))`` has 10**(10**8) digits before the point;
  evalf tries to compute all of them. mpmath keeps only the leading digits and an exponent of
  any size, so only a value beyond :data:`MAX_MAGNITUDE` bits (an ``exp`` of more than 10**15)
  makes the point *too large*: no value, and the caller decides what that means.
* **Ties are seen.** A comparison, kink or ``Max`` whose two sides agree to within the working
  precision is a *tie*: it is decided as an exact equality (``Abs(x) == x`` holds for x > 0,
  ``Heaviside(0) = 1/2``) and recorded, so that the caller can tell a point on a kink (the ties
  change in its neighbourhood) from a point of a set where an equality holds (they do not).
  Two sides that merely agree to 50 digits are not equal: an evaluation that meets a tie is
  done again with :data:`TIE_DIGITS` digits, more than any constant written in an expression
  of at most 2000 characters can agree with another without being equal to it.
* **The real domain, the sympy way.** Intermediate values may be complex (``Abs(sqrt(x))`` is
  real for x < 0); a result is a value only if it is finite and real. Comparisons, ``Max``,
  ``Min`` and ``Heaviside`` of a complex number have no value.

Functions this walk does not know are applied by sympy to the numbers of their arguments, so an
unusual node costs speed, never a wrong value.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import mpmath
import sympy as sp

MAX_MAGNITUDE = 10**16  # bits: beyond 2**(10**16) a value is "too large"
_MAX_EXP_ARGUMENT = 10**15  # exp(10**15) is about 2**(1.4 * 10**15)
TIE_DIGITS = 2500  # digits that decide whether a tie at the working precision is an equality


class _NoValue(Exception):
    """The expression has no finite real value at the point."""


class _TooLarge(_NoValue):
    """A number on the way is too large to compute: the point says nothing either way."""


@dataclass(frozen=True)
class Value:
    """The value at a point (None if undefined, not real or too large) and the ties met on the
    way: the sympy nodes whose decision rested on two sides equal to the working precision."""

    value: mpmath.mpf | None
    ties: frozenset[sp.Basic]
    magnitude: int = 0  # decimal exponent of the largest value met: how much can cancel
    too_large: bool = False  # no value because a number grew past MAX_MAGNITUDE


def evaluate(expr: sp.Basic, point: Mapping[sp.Symbol, sp.Rational], digits: int) -> Value:
    """The value of ``expr`` at ``point``, computed with ``digits`` significant digits, or with
    :data:`TIE_DIGITS` when a tie was met (so the ties reported are ties at that precision)."""
    (value,) = evaluate_together((expr,), point, digits)
    return value


def evaluate_together(
    exprs: Sequence[sp.Basic], point: Mapping[sp.Symbol, sp.Rational], digits: int
) -> tuple[Value, ...]:
    """The values of several expressions at one point, as :func:`evaluate` gives them, in one
    walk: the subexpressions they share (a claim and its derivative share most) are computed
    once. Each value carries the ties and the magnitude of them all, their union and their
    largest, which is what a comparison of them asks for."""
    values = _evaluate_together(exprs, point, digits)
    if values and values[0].ties and digits < TIE_DIGITS:
        return _evaluate_together(exprs, point, TIE_DIGITS)
    return values


def _evaluate_together(
    exprs: Sequence[sp.Basic], point: Mapping[sp.Symbol, sp.Rational], digits: int
) -> tuple[Value, ...]:
    walk = _Walk(point, digits)
    with mpmath.workdps(digits):
        found = [_value_in(walk, expr) for expr in exprs]
    ties = frozenset(walk.ties)
    return tuple(Value(value, ties, walk.magnitude, too_large) for value, too_large in found)


def constant_sign(expr: sp.Basic) -> int | None:
    """The sign of a constant expression (+1, -1 or 0), or None where it cannot be told: a value
    is taken for a sign only when it stands clear of what the digits used can resolve, first at
    50 digits plus the size of the largest term (``exp(200) - exp(200) + 1/2`` cancels 87
    digits), then at :data:`TIE_DIGITS`. Zero is answered only for an exact sympy zero."""
    if expr.is_zero:
        return 0
    for digits in (50, TIE_DIGITS):
        first = _evaluate(expr, {}, digits)
        if first.magnitude + 60 > digits and digits < TIE_DIGITS:
            continue  # the cancellation may eat every digit: go straight to the most
        if first.value is None or first.ties:
            return None
        with mpmath.workdps(digits):
            scale = max(abs(first.value), mpmath.mpf(10) ** first.magnitude)
            if abs(first.value) > mpmath.mpf(10) ** (20 - digits) * scale:
                return 1 if first.value > 0 else -1
    return None


def _evaluate(expr: sp.Basic, point: Mapping[sp.Symbol, sp.Rational], digits: int) -> Value:
    (value,) = _evaluate_together((expr,), point, digits)
    return value


def _value_in(walk: _Walk, expr: sp.Basic) -> tuple[mpmath.mpf | None, bool]:
    """``expr``'s real value in ``walk`` (None if it has none), and whether it is too large."""
    try:
        result = walk.value(expr)
    except _TooLarge:
        return None, True
    except (_NoValue, ZeroDivisionError, ValueError, OverflowError, TypeError):
        return None, False
    return _real(result, walk.tolerance), False


def _real(value: mpmath.mpc | mpmath.mpf, tolerance: mpmath.mpf) -> mpmath.mpf | None:
    if isinstance(value, mpmath.mpc):
        if abs(value.imag) > tolerance * (1 + abs(value.real)):
            return None
        value = value.real
    if not mpmath.isfinite(value):
        return None
    return value


_FUNCTIONS = {
    sp.exp: None,  # bounded: see _Walk.function
    sp.log: mpmath.log,
    sp.sin: mpmath.sin,
    sp.cos: mpmath.cos,
    sp.tan: mpmath.tan,
    sp.atan: mpmath.atan,
    sp.sinh: mpmath.sinh,
    sp.cosh: mpmath.cosh,
    sp.tanh: mpmath.tanh,
    sp.erf: mpmath.erf,
}


class _Walk:
    """One evaluation: the point, the precision, the ties met, and a memo of shared subtrees."""

    def __init__(self, point: Mapping[sp.Symbol, sp.Rational], digits: int) -> None:
        self.point = point
        self.digits = digits
        self.tolerance = mpmath.mpf(10) ** (12 - digits)
        self.ties: set[sp.Basic] = set()
        self.memo: dict[sp.Basic, mpmath.mpf | mpmath.mpc] = {}
        self.magnitude = 0

    def value(self, expr: sp.Basic) -> mpmath.mpf | mpmath.mpc:
        known = self.memo.get(expr)
        if known is None:
            known = self.memo[expr] = _bounded(self.compute(expr))
            if known:
                self.magnitude = max(self.magnitude, int(mpmath.mag(known) * 0.302))
        return known

    def compute(self, expr: sp.Basic) -> mpmath.mpf | mpmath.mpc:
        if expr.is_Number or expr.is_NumberSymbol or expr is sp.I:
            return self.number(expr)
        if expr.is_Symbol:
            if expr not in self.point:
                raise _NoValue
            return self.number(self.point[expr])
        if isinstance(expr, sp.Add):
            return mpmath.fsum(self.value(a) for a in expr.args)
        if isinstance(expr, sp.Mul):
            product = self.value(expr.args[0])
            for factor in expr.args[1:]:
                product *= self.value(factor)
            return product
        if isinstance(expr, sp.Pow):
            return self.power(expr)
        if isinstance(expr, sp.Piecewise):
            for piece, condition in expr.args:
                if self.holds(condition):
                    return self.value(piece)
            raise _NoValue
        return self.kink(expr) if _is_kink(expr) else self.function(expr)

    def number(self, number: sp.Basic) -> mpmath.mpf | mpmath.mpc:
        if number.is_Rational:
            return _rational(int(number.p), int(number.q), mpmath.mp.prec)
        if number in (sp.zoo, sp.nan, sp.oo, -sp.oo):
            raise _NoValue
        return _constant(number, self.digits)

    def power(self, expr: sp.Pow) -> mpmath.mpf | mpmath.mpc:
        base, exponent = (self.value(a) for a in expr.args)
        if base == 0 and mpmath.re(exponent) < 0:
            raise _NoValue  # 1/0
        if expr.exp.is_Integer:
            if base and abs(int(expr.exp)) * mpmath.mag(base) > MAX_MAGNITUDE:
                raise _TooLarge
            return base ** int(expr.exp)
        return mpmath.power(base, exponent)

    def function(self, expr: sp.Basic) -> mpmath.mpf | mpmath.mpc:
        args = [self.value(a) for a in expr.args]
        if expr.func is sp.exp:
            if mpmath.re(args[0]) > _MAX_EXP_ARGUMENT:
                raise _TooLarge
            return mpmath.exp(args[0])
        if expr.func is sp.log and args[0] == 0:
            raise _NoValue
        compute = _FUNCTIONS.get(expr.func)
        if compute is not None:
            return compute(*args)
        # Anything else: sympy applies the function to the numbers, to the same precision.
        numbers = [
            sp.Float(mpmath.re(a), self.digits) + sp.I * sp.Float(mpmath.im(a), self.digits)
            for a in args
        ]
        result = expr.func(*numbers).evalf(self.digits)
        if not result.is_number or result.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
            raise _NoValue
        return _mp(result, self.digits)

    # --- kinks and conditions: where ties are decided and recorded ---

    def kink(self, expr: sp.Basic) -> mpmath.mpf | mpmath.mpc:
        if isinstance(expr, sp.Abs):
            return abs(self.value(expr.args[0]))
        if isinstance(expr, sp.Max | sp.Min):
            best = None
            want = 1 if isinstance(expr, sp.Max) else -1
            for arg in expr.args:
                value = self.value(arg)
                if best is None or self.side(arg, value, best[0], best[1], expr) == want:
                    best = (arg, value)
            assert best is not None
            return best[1]
        argument = expr.args[0]
        value = self.value(argument)
        if isinstance(expr, sp.sign) and isinstance(value, mpmath.mpc) and value.imag != 0:
            return value / abs(value)  # sympy's sign of a complex number
        side = self.side(argument, value, None, mpmath.mpf(0), expr)
        if isinstance(expr, sp.sign):
            return mpmath.mpf(side)
        if isinstance(expr, sp.Heaviside):
            return mpmath.mpf(1) / 2 if side == 0 else mpmath.mpf(1 if side > 0 else 0)
        if side == 0:  # DiracDelta at its spike
            raise _NoValue
        return mpmath.mpf(0)

    def side(
        self,
        left: sp.Basic,
        a: mpmath.mpf | mpmath.mpc,
        right: sp.Basic | None,
        b: mpmath.mpf | mpmath.mpc,
        site: sp.Basic,
    ) -> int:
        """The sign of a - b: 0 for a tie (recorded under ``site``); complex sides have none."""
        if _is_complex(a) or _is_complex(b):
            raise _NoValue
        a, b = mpmath.re(a), mpmath.re(b)
        scale = max(abs(a), abs(b), self.scale(left), self.scale(right), 1)
        difference = a - b
        if abs(difference) <= self.tolerance * scale:
            self.ties.add(site)
            return 0
        return 1 if difference > 0 else -1

    def scale(self, expr: sp.Basic | None) -> mpmath.mpf:
        """The size of the terms an Add cancels: its value alone can hide a cancellation."""
        if expr is None or not isinstance(expr, sp.Add):
            return mpmath.mpf(0)
        return max(abs(self.value(a)) for a in expr.args)

    def holds(self, condition: sp.Basic) -> bool:
        if condition is sp.true:
            return True
        if condition is sp.false:
            return False
        if isinstance(condition, sp.And):
            return all(self.holds(c) for c in condition.args)
        if isinstance(condition, sp.Or):
            return any(self.holds(c) for c in condition.args)
        if isinstance(condition, sp.Not):
            return not self.holds(condition.args[0])
        if isinstance(condition, sp.core.relational.Relational):
            lhs, rhs = condition.args
            side = self.side(lhs, self.value(lhs), rhs, self.value(rhs), condition)
            return RELATIONS[condition.rel_op](side)
        raise _NoValue


# Whether a relation holds, given the sign of lhs - rhs (0 where they are equal).
RELATIONS: Mapping[str, Callable[[int], bool]] = {
    "<": lambda side: side < 0,
    "<=": lambda side: side <= 0,
    ">": lambda side: side > 0,
    ">=": lambda side: side >= 0,
    "==": lambda side: side == 0,
    "!=": lambda side: side != 0,
}


def _is_kink(expr: sp.Basic) -> bool:
    return isinstance(expr, sp.Abs | sp.Max | sp.Min | sp.sign | sp.Heaviside | sp.DiracDelta)


def _is_complex(value: mpmath.mpf | mpmath.mpc) -> bool:
    return isinstance(value, mpmath.mpc) and value.imag != 0


@functools.lru_cache(maxsize=4096)
def _rational(numerator: int, denominator: int, bits: int) -> mpmath.mpf:
    """p/q at ``bits`` of precision: the same points and constants recur at every evaluation."""
    with mpmath.workprec(bits):
        return mpmath.mpf(numerator) / denominator


@functools.lru_cache(maxsize=256)
def _constant(number: sp.Basic, digits: int) -> mpmath.mpf | mpmath.mpc:
    """pi, E, sqrt(2)...: the same at every point, so computed once per precision."""
    return _mp(number.evalf(digits), digits)


def _mp(number: sp.Basic, digits: int) -> mpmath.mpf | mpmath.mpc:
    real, imaginary = (sp.Float(part, digits)._mpf_ for part in number.as_real_imag())
    return mpmath.mpf(real) if imaginary == sp.Float(0)._mpf_ else mpmath.mpc(real, imaginary)


def _bounded(value: mpmath.mpf | mpmath.mpc) -> mpmath.mpf | mpmath.mpc:
    if isinstance(value, mpmath.mpf):  # the common case, read from mpmath's own tuple: faster
        _sign, mantissa, exponent, bits = value._mpf_
        if not mantissa and exponent:  # infinity or nan
            raise _NoValue
        if mantissa and exponent + bits > MAX_MAGNITUDE:
            raise _TooLarge
        return value
    if not mpmath.isfinite(value):
        raise _NoValue
    if value and mpmath.mag(value) > MAX_MAGNITUDE:
        raise _TooLarge
    if isinstance(value, mpmath.mpc) and value.imag == 0:
        return value.real
    return value
