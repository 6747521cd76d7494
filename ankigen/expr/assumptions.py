"""Conditions on one symbol, from a rule's ``assume:`` list (``x > 0``, ``0 < p < 1``), and the
interval they leave it: the proof, the plot and the card all read them from here."""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction


@dataclass(frozen=True)
class Assumption:
    """A condition on one symbol from a rule's ``assume:`` list: ``x > 0``, ``p < 1``
    (``0 < p < 1`` is two of them)."""

    symbol: str
    relation: str  # one of > >= < <= !=
    bound: Fraction = Fraction(0)

    def __str__(self) -> str:
        return f"{self.symbol} {self.relation} {self.bound_text}"

    @property
    def bound_text(self) -> str:
        return _decimal(self.bound)

    def holds(self, value: Fraction) -> bool:
        return {
            ">": value > self.bound,
            ">=": value >= self.bound,
            "<": value < self.bound,
            "<=": value <= self.bound,
            "!=": value != self.bound,
        }[self.relation]


@dataclass(frozen=True)
class Interval:
    """Where the assumptions let one symbol vary: ``low < x < high`` (``None``: unbounded)."""

    low: Fraction | None = None
    high: Fraction | None = None
    low_open: bool = True
    high_open: bool = True

    @classmethod
    def of(cls, symbol: str, assumptions: tuple[Assumption, ...]) -> Interval:
        """The interval the assumptions on ``symbol`` leave (``!=`` removes a point only)."""
        interval = cls()
        for a in assumptions:
            if a.symbol != symbol or a.relation == "!=":
                continue
            if a.relation in (">", ">="):
                if interval.low is None or a.bound > interval.low:
                    interval = replace(interval, low=a.bound, low_open=a.relation == ">")
                elif a.bound == interval.low and a.relation == ">":
                    interval = replace(interval, low_open=True)
            elif interval.high is None or a.bound < interval.high:
                interval = replace(interval, high=a.bound, high_open=a.relation == "<")
            elif a.bound == interval.high and a.relation == "<":
                interval = replace(interval, high_open=True)
        return interval

    @property
    def empty(self) -> bool:
        """No value, or only one: nothing to differentiate by."""
        return self.low is not None and self.high is not None and self.low >= self.high

    def inside(self, value: Fraction) -> bool:
        low_ok = self.low is None or value > self.low or (value == self.low and not self.low_open)
        high_ok = (
            self.high is None or value < self.high or (value == self.high and not self.high_open)
        )
        return low_ok and high_ok


def _decimal(value: Fraction) -> str:
    """``0``, ``-1``, ``0.5``, ``1/3``: a bound as an author would write it."""
    if value.denominator == 1:
        return str(value.numerator)
    for digits in range(1, 16):
        if value * 10**digits == round(value * 10**digits):
            return f"{float(value):.{digits}f}"
    return str(value)
