"""Regions of a case split: is one empty, and which exact points lie inside it?

A region is a sign for each of some kink expressions (``{x - 1: +1, y*z - 1: -1}`` is the set
where x > 1 and y*z < 1). Skipping a region as empty is a claim about every point of it, so a
region is called empty only when that is *proved*, by a method that is exact for its kinks:

* every kink linear with rational coefficients, in any number of variables: Fourier–Motzkin
  elimination over the rationals, which also gives a point strictly inside;
* one variable and every kink a polynomial in it: sympy's inequality solver, which works from
  the polynomials' exact real roots.

Anything else (``sin(x) > 0``, whose solver knows only one period) is *unknown*: the region may
still give candidate points, but a caller must check that a candidate lies inside before using it.
The signs the symbols' own assumptions impose (x > 0) are part of every region.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

Region = Mapping[sp.Expr, int]  # a sign (+1 or -1) for each kink expression
Point = dict[sp.Symbol, sp.Rational]
_MAX_CONSTRAINTS = 400  # Fourier–Motzkin can square the count at each step: past this, unknown
_FAR = Fraction(1000)  # how far into an unbounded region the far points go


@dataclass(frozen=True)
class Feasibility:
    """``empty`` is True only when proved; ``points`` lie inside when ``exact``, else they are
    candidates to check."""

    empty: bool = False
    points: tuple[dict[sp.Symbol, sp.Rational], ...] = ()
    exact: bool = False


UNKNOWN = Feasibility()


def describe(region: Region) -> str:
    """``x - 1 > 0 and y*z - 1 < 0``: the region in words for a message."""
    return " and ".join(f"{kink} {'>' if side > 0 else '<'} 0" for kink, side in region.items())


def feasibility(region: Region, *, solver: bool = True) -> Feasibility:
    """Whether the region is empty and some points in it; ``solver=False`` skips the slow
    (polynomial and candidate) methods and answers only from linear kinks."""
    constraints = _linear_constraints(region)
    if constraints is not None:
        return _fourier_motzkin(*constraints)
    if not solver:
        return UNKNOWN
    return _solve(region)


# --- linear kinks ------------------------------------------------------------------------------

_Constraint = tuple[dict[sp.Symbol, Fraction], Fraction]  # sum(c * v) + constant > 0


def _linear_constraints(region: Region) -> tuple[list[_Constraint], list[sp.Symbol]] | None:
    symbols = sorted(set().union(*(k.free_symbols for k in region)), key=str)
    constraints: list[_Constraint] = []
    for kink, side in region.items():
        linear = _linear(kink * side, symbols)
        if linear is None:
            return None
        constraints.append(linear)
    for symbol in symbols:
        if symbol.is_positive or symbol.is_nonnegative:
            constraints.append(({symbol: Fraction(1)}, Fraction(0)))
        elif symbol.is_negative or symbol.is_nonpositive:
            constraints.append(({symbol: Fraction(-1)}, Fraction(0)))
    return constraints, symbols


def _linear(expr: sp.Expr, symbols: Sequence[sp.Symbol]) -> _Constraint | None:
    try:
        poly = sp.Poly(expr, *symbols) if symbols else None
    except sp.PolynomialError:
        return None
    if poly is None or poly.total_degree() > 1 or not (poly.domain.is_QQ or poly.domain.is_ZZ):
        return None
    coefficients: dict[sp.Symbol, Fraction] = {}
    constant = Fraction(0)
    for monomial, coefficient in poly.terms():
        value = Fraction(int(coefficient.p), int(coefficient.q))
        powers = [i for i, power in enumerate(monomial) if power]
        if powers:
            coefficients[symbols[powers[0]]] = value
        else:
            constant = value
    return coefficients, constant


def _fourier_motzkin(constraints: list[_Constraint], symbols: list[sp.Symbol]) -> Feasibility:
    point = _point(constraints, symbols)
    if point is _TOO_BIG:
        return UNKNOWN
    if point is None:
        return Feasibility(empty=True, exact=True)
    assert isinstance(point, dict)
    return Feasibility(points=tuple(_spread(constraints, symbols, point)), exact=True)


_TOO_BIG = object()


def _point(constraints: list[_Constraint], symbols: list[sp.Symbol]) -> object:
    """A rational point strictly inside, None if there is none, or _TOO_BIG."""
    if len(constraints) > _MAX_CONSTRAINTS:
        return _TOO_BIG
    if not symbols:
        return {} if all(constant > 0 for _, constant in constraints) else None
    symbol, rest = symbols[0], symbols[1:]
    point = _point(_eliminate(constraints, symbol), rest)
    if not isinstance(point, dict):
        return point
    low, high = _bounds(constraints, symbol, point)
    point[symbol] = _between(low, high)
    return point


def _eliminate(constraints: list[_Constraint], symbol: sp.Symbol) -> list[_Constraint]:
    above = [c for c in constraints if c[0].get(symbol, 0) > 0]
    below = [c for c in constraints if c[0].get(symbol, 0) < 0]
    kept = [c for c in constraints if c[0].get(symbol, 0) == 0]
    for (a, a0), (b, b0) in itertools.product(above, below):
        wa, wb = -b[symbol], a[symbol]  # positive weights that cancel the symbol
        combined = {s: wa * a.get(s, 0) + wb * b.get(s, 0) for s in {*a, *b} if s != symbol}
        kept.append(({s: c for s, c in combined.items() if c}, wa * a0 + wb * b0))
    return kept


def _bounds(
    constraints: list[_Constraint], symbol: sp.Symbol, point: Mapping[sp.Symbol, Fraction]
) -> tuple[Fraction | None, Fraction | None]:
    low: Fraction | None = None
    high: Fraction | None = None
    for coefficients, constant in constraints:
        a = coefficients.get(symbol, Fraction(0))
        if a == 0:
            continue
        rest = constant + sum(c * point[s] for s, c in coefficients.items() if s != symbol)
        bound = -rest / a
        if a > 0:
            low = bound if low is None else max(low, bound)
        else:
            high = bound if high is None else min(high, bound)
    return low, high


def _between(low: Fraction | None, high: Fraction | None) -> Fraction:
    if low is not None and high is not None:
        return (low + high) / 2
    if low is not None:
        return low + Fraction(1, 3)
    if high is not None:
        return high - Fraction(1, 3)
    return Fraction(2, 3)


def _spread(
    constraints: list[_Constraint], symbols: list[sp.Symbol], point: dict[sp.Symbol, Fraction]
) -> list[dict[sp.Symbol, sp.Rational]]:
    """The point, and for each symbol unbounded on one side there, a point far along it."""
    found = [point]
    for symbol in symbols:
        low, high = _bounds(constraints, symbol, point)
        if high is None:
            found.append({**point, symbol: max(point[symbol], Fraction(0)) + _FAR + Fraction(1, 7)})
        if low is None:
            found.append({**point, symbol: min(point[symbol], Fraction(0)) - _FAR - Fraction(1, 7)})
    return [{s: sp.Rational(v.numerator, v.denominator) for s, v in p.items()} for p in found]


# --- everything else: sympy's solver ----------------------------------------------------------


def _solve(region: Region) -> Feasibility:
    symbols = set().union(*(k.free_symbols for k in region))
    if len(symbols) != 1:
        return UNKNOWN
    (symbol,) = symbols
    exact = all(k.is_polynomial(symbol) for k in region)
    try:
        solution = sp.reduce_inequalities([side * k > 0 for k, side in region.items()], symbol)
        inside = solution.as_set()
    except Exception:  # sympy's solvers fail in many ways; then nothing is known
        return UNKNOWN
    if inside.is_empty:
        return Feasibility(empty=True, exact=True) if exact else UNKNOWN
    pieces = inside.args if isinstance(inside, sp.Union) else (inside,)
    points: list[dict[sp.Symbol, sp.Rational]] = []
    for piece in pieces[:4]:
        if isinstance(piece, sp.Interval):
            points.extend({symbol: value} for value in _interval_points(piece))
    return Feasibility(points=tuple(points), exact=False)


def _interval_points(interval: sp.Interval) -> list[sp.Rational]:
    low, high = interval.start, interval.end
    if low.is_infinite and high.is_infinite:
        candidates = [sp.Rational(2, 3)]
    elif low.is_infinite:
        candidates = [_rational_below(high), _rational_below(high) - 1000]
    elif high.is_infinite:
        candidates = [_rational_above(low), _rational_above(low) + 1000]
    else:
        candidates = [sp.nsimplify(((low + high) / 2).evalf(30), rational=True)]
    return [c for c in candidates if c.is_Rational]


def _rational_below(value: sp.Expr) -> sp.Rational:
    return sp.floor(value) - sp.Rational(1, 3) if value.is_Rational else sp.floor(value) - 1


def _rational_above(value: sp.Expr) -> sp.Rational:
    return sp.ceiling(value) + sp.Rational(1, 3) if value.is_Rational else sp.ceiling(value) + 1
