"""Where the numeric check samples: exact rational points inside a rule's assumptions.

Small "nice" points first (:func:`sample_points`), then seeded points whose coordinates look
irrational and spread from 10⁻³ to 10³ in size, of both signs where the assumptions allow
(:func:`spread_points`), and points far out (:func:`far_points`). :class:`Domain` moves any
value into a symbol's interval, keeping its size where it can.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from fractions import Fraction

import sympy as sp

from ankigen.expr.assumptions import Assumption, Interval
from ankigen.verify.regions import Point

SAMPLE_VALUES = (
    Fraction(2), Fraction(-1), Fraction(3), Fraction(1, 2), Fraction(-3, 2),
    Fraction(7, 5), Fraction(-11, 4), Fraction(5, 3), Fraction(13, 7), Fraction(-2, 9),
)  # fmt: skip
SPREAD_POINTS = 24  # seeded points across scales, after the proof
NEIGHBOUR_STEPS = (sp.Rational(1, 10**9), sp.Rational(1, 10**3))  # relative, near and farther
SPREAD_EXPONENTS = (-3, 3)  # |value| from 10**-3 to 10**3


class Domain:
    """Where each symbol may be sampled: its interval from the assumptions, less the points
    an ``!=`` excludes."""

    def __init__(self, symbols: Sequence[sp.Symbol], assumptions: tuple[Assumption, ...]) -> None:
        self.symbols = symbols
        self.intervals = {s: Interval.of(s.name, assumptions) for s in symbols}
        self.excluded = {
            s: {a.bound for a in assumptions if a.symbol == s.name and a.relation == "!="}
            for s in symbols
        }

    def inside(self, symbol: sp.Symbol, value: sp.Rational) -> bool:
        """Whether ``value`` lies in the symbol's interval (y = 0 does for y >= 0)."""
        return self.intervals[symbol].inside(Fraction(int(value.p), int(value.q)))

    def place(self, symbol: sp.Symbol, value: sp.Rational | Fraction) -> sp.Rational:
        """``value`` moved into the symbol's interval, keeping its size where it can: as it is
        when the symbol is free, its size above a lower bound (x > 0: |value|), and a fraction
        size / (1 + size) of the way across a bounded interval (0 < p < 1)."""
        interval = self.intervals[symbol]
        placed = value if isinstance(value, Fraction) else Fraction(int(value.p), int(value.q))
        size = abs(placed)
        if interval.low is not None and interval.high is not None:
            placed = interval.low + (interval.high - interval.low) * size / (1 + size)
        elif interval.low is not None:
            placed = interval.low + size
        elif interval.high is not None:
            placed = interval.high - size
        if placed in self.excluded[symbol]:
            placed += Fraction(1, 7) if interval.inside(placed + Fraction(1, 7)) else 0
        return sp.Rational(placed.numerator, placed.denominator)


def sample_points(domain: Domain) -> Iterator[Point]:
    """Deterministic small rational points within the assumptions."""
    count = len(SAMPLE_VALUES) if domain.symbols else 1
    for i in range(count):
        point = {}
        for j, symbol in enumerate(domain.symbols):
            value = SAMPLE_VALUES[(i + 3 * j) % count]
            point[symbol] = domain.place(symbol, sp.Rational(value.numerator, value.denominator))
        yield point


def spread_points(
    domain: Domain,
    chance: random.Random,
    count: int = SPREAD_POINTS,
    exponents: tuple[int, int] = SPREAD_EXPONENTS,
) -> Iterator[Point]:
    """``count`` points whose coordinates look irrational (seven significant digits) and spread
    from 10**low to 10**high in size, of both signs where the assumptions allow."""
    low, high = exponents
    for _ in range(count if domain.symbols else 0):
        point = {}
        for symbol in domain.symbols:
            digits = chance.randrange(10**6, 10**7)
            value = Fraction(digits) * Fraction(10) ** (chance.randrange(low, high) - 6)
            point[symbol] = domain.place(symbol, value if chance.random() < 0.5 else -value)
        yield point


def far_points(domain: Domain) -> Iterator[Point]:
    """Points far out (10**6 and 10**12, both signs), for a domain such as |x| > 10**4."""
    for size in (10**6, 10**12):
        for sign in (1, -1):
            yield {s: domain.place(s, sp.Rational(sign * size)) for s in domain.symbols}


def neighbours(point: Point) -> Iterator[Point]:
    """The points beside ``point`` that tell a kink from an equality holding on a region: each
    coordinate moved by 10**-9 and by 10**-3 of its size (plus 1), both ways. A tie that goes
    away there is a kink (a root of high order such as (x - 2)**5's is a tie 10**-9 away, but
    not 10**-3 away)."""
    for step in NEIGHBOUR_STEPS:
        for direction in (1, -1):
            yield {s: v + direction * step * (abs(v) + 1) for s, v in point.items()}
