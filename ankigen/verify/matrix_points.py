"""Sample points of a matrix setting, and the refutation: the first entry where the claim and
the derivative differ at a point where every condition holds.

Points are seeded exact rationals (the same in every run), never 0, drawn with the signs the
conditions state and at two scales, so that tight conditions (``sum(y) == 1`` with ``y > 0``)
are met too. Values are screened fast (:mod:`ankigen.verify.matrix_values`: exact fractions
for rational functions, else 30-digit floats); a float disagreement is evaluated again by
sympy from the exact point before it refutes, so rounding never refutes a right claim.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from fractions import Fraction

import mpmath
import sympy as sp

from ankigen.verify.matrix_problem import Stop, Value, short
from ankigen.verify.matrix_setting import Point, Setting, as_matrix
from ankigen.verify.matrix_values import Evaluator, Number, differ
from ankigen.verify.written import broken

MAX_TRIES = 400  # draws per assignment for points that satisfy the conditions
_DIGITS = 30  # precision of the comparison where values are not rational
_CLOSE = mpmath.mpf(10) ** -15  # agreement of non-rational values, relative to 1 + magnitude
_SEED = "ankigen-matrix"  # seeds the points (a str seed is hashed the same way in every run)


def seeded(tag: str) -> random.Random:
    """The seeded generator for ``tag`` (the sizes, say): the same draws in every run."""
    return random.Random(f"{_SEED}:{tag}")  # noqa: S311 - the points are no secret


# Sizes of the points' entries (|entry| from 1/4 to 9 times a scale): near 1 most often, and
# small and large ones too, so that a claim wrong only off [1/32, 9] (past a kink at 10, in a
# band near 0) is met; the small ones also meet tight conditions (sum(y) == 1 with y > 0).
SCALES = (
    sp.Integer(1), sp.Integer(1), sp.Rational(1, 8), sp.Rational(1, 100), sp.Integer(12),
    sp.Integer(150),
)  # fmt: skip


def points(setting: Setting, rng: random.Random) -> Iterator[Point]:
    """Seeded exact points where every condition holds (the eliminated symbols take their
    solved values), from at most ``MAX_TRIES`` draws; never 0, at two scales so that tight
    conditions (``sum(y) == 1`` with ``y > 0``) are met too."""
    for _ in range(MAX_TRIES):
        scale = rng.choice(SCALES)
        point: Point = {s: _draw(s, rng) * scale for s in setting.drawn}
        point.update({s: v.xreplace(point) for s, v in setting.eliminated.items()})
        unflagged = {setting.unflagged[s]: v for s, v in point.items()}
        if all(_holds(relation, unflagged) for relation, _ in setting.filters):
            yield point


def refute(setting: Setting, rng: random.Random, count: int) -> None:
    """Compares at ``count`` points; stops with a refutation at the first entry that differs,
    or with "not proved" when fewer points have real values where the conditions hold."""
    compared = 0
    for point in points(setting, rng):
        values = _values(setting, point)
        if values is None or broken(setting.function_written, point, _DIGITS + 20) is not None:
            continue  # no value, or none as the function is written: nothing is claimed
        for index, (claimed, true) in enumerate(values):
            confirmed = _confirmed(setting, index, point, claimed, true)
            if confirmed is not None:
                refutation = _refutation(setting, index, point, *confirmed)
                raise Stop("refuted", refutation)
        unwritten = broken(setting.written, point, _DIGITS + 20)
        if unwritten is not None:
            at = f"wrong at {setting.where}" if setting.where else "wrong"
            raise Stop(
                "refuted",
                f"{at}: at {_shown(setting, point)} the claim as written has no value, and the "
                f"derivative has one: the claim {unwritten}",
            )
        compared += 1
        if compared == count:
            return
    conditions = " and ".join(dict.fromkeys(f"'{text}'" for _, text in setting.filters))
    raise Stop(
        "not proved",
        f"not proved: {'only ' + str(compared) if compared else 'no'} point{'s' * (compared != 1)}"
        f" of {count} found{' at ' + setting.where if setting.where else ''} where "
        f"{conditions + ' hold and ' if conditions else ''}the function, the claim and the "
        f"derivative have real values ({MAX_TRIES} tried)",
    )


def _draw(symbol: sp.Symbol, rng: random.Random) -> sp.Rational:
    magnitude = sp.Rational(rng.randint(1, 9), rng.randint(1, 4))
    if symbol.is_nonnegative:
        return magnitude
    if symbol.is_nonpositive:
        return -magnitude
    return magnitude if rng.random() < 0.5 else -magnitude


def _holds(relation: sp.Basic, point: Point) -> bool:
    return relation.xreplace(point) is sp.true


def _number(value: sp.Expr) -> sp.Expr | None:
    """The exact rational, or a 30-digit real, or None where there is no real value."""
    if value.is_Rational:
        return value
    if value.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        return None
    number = sp.N(value, _DIGITS)
    return number if number.is_Float or number.is_Rational else None


def _confirmed(
    setting: Setting, index: int, point: Point, claimed: Number, true: Number
) -> tuple[sp.Expr, sp.Expr] | None:
    """The values of one entry where they differ, else None: exact ones as they are, values
    screened with 30-digit floats evaluated again by sympy from the exact point."""
    if not differ(claimed, true, _CLOSE):
        return None
    if isinstance(claimed, Fraction) and isinstance(true, Fraction):
        return sp.Rational(claimed.numerator, claimed.denominator), sp.Rational(
            true.numerator, true.denominator
        )
    exact = [_number(m[index].xreplace(point)) for m in (setting.claim, setting.truth)]
    if exact[0] is None or exact[1] is None:
        return None
    if exact[0].is_Rational and exact[1].is_Rational:
        return (exact[0], exact[1]) if exact[0] != exact[1] else None
    close = abs(exact[0] - exact[1]) <= _CLOSE * (1 + max(abs(exact[0]), abs(exact[1])))
    return None if close else (exact[0], exact[1])


def _values(setting: Setting, point: Point) -> list[tuple[Number, Number]] | None:
    """Each entry's claimed and true value at ``point`` (exact where every expression is a
    rational function), or None where one has no real value."""
    evaluate = Evaluator(point, exact=setting.rational)
    if any(evaluate(f) is None for f in setting.function):
        return None
    pairs = []
    for claimed, true in zip(setting.claim, setting.truth, strict=True):
        pair = (evaluate(claimed), evaluate(true))
        if pair[0] is None or pair[1] is None:
            return None
        pairs.append((pair[0], pair[1]))
    return pairs


# --- the message -------------------------------------------------------------------------------


def _refutation(setting: Setting, index: int, point: Point, claimed: sp.Expr, true: sp.Expr) -> str:
    """Where the claim is wrong: the sizes, the 1-based entry, both formulas, the point and
    both values there."""
    at = f"wrong at {setting.where}" if setting.where else "wrong"
    entry = setting.entry(index)
    shown = _shown(setting, point)
    return (
        f"{at}: {entry} is {short(setting.claim[index])}, the derivative is "
        f"{short(setting.truth[index])}; at {shown} they differ "
        f"({short(_show_number(claimed))} vs {short(_show_number(true))})"
    )


def _shown(setting: Setting, point: Point) -> str:
    return ", ".join(
        f"{name} = {_show(as_matrix(value, name).xreplace(point), value)}"
        for name, value in setting.env.items()
    )


def _show(values: sp.ImmutableMatrix, original: Value) -> str:
    if not isinstance(original, sp.MatrixBase):
        return str(values[0, 0])
    if values.cols == 1:
        return "[" + ", ".join(map(str, values)) + "]"
    return (
        "["
        + ", ".join("[" + ", ".join(map(str, values.row(i))) + "]" for i in range(values.rows))
        + "]"
    )


def _show_number(value: sp.Expr) -> str:
    return str(value) if value.is_Rational else str(sp.N(value, 10))
