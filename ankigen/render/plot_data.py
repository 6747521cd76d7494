"""The numbers of a plot: which range, which values for the other symbols, and the curves of
the function and its derivative with their breaks, computed with numpy from the proved
expressions. :mod:`ankigen.render.plots` draws them.

The other symbols
    A rule's other symbols (a weight's input ``x``, a ``target``, a constant ``c``) take the values
    of the rule's ``plot: values:``; every other one defaults to 1, or -1 when it is assumed
    negative (``assume: ["c < 0"]``), or a value inside its assumed interval when neither lies
    there (1/2 for ``0 < p < 1``). Should the defaults flatten the plot (a derivative constant
    on the whole range although the rule's depends on the variable, as ``n x^(n-1)`` with n = 1;
    or zero although the rule's is not, as ``1 - beta`` with beta = 1), the symbols without an
    author's value take the distinct values 2, 3, 4, ... in the order of their names instead.
    An author's value is never replaced. The legend under the plot says which values were used.

The range
    ``plot: x: [min, max]`` if given. Else the whole interval for a variable assumed between two
    bounds (``0 < p < 1``), (0, 5] for a variable assumed positive (``x > 0``; (a, a + 5] for
    ``x > a``), [-5, 0) for a negative one, and [-5, 5] otherwise, narrowed to where the
    function has real values (``ln`` and ``√`` only for x > 0 even without an assumption) or
    widened to show a kink up to 20 away (ReLU6's at 6). The vertical limits are ``plot: y:`` if
    given; else both curves in full, except within 5 % of the range around a break, where a
    pole is cut at one more height of the rest of the plot (1/x shows its hyperbola, not just
    its pole).

Honest shapes
    The curves are never drawn across a point where they may jump or blow up: the zeros of the
    arguments of ``Heaviside``, ``sign``, ``Abs``, ``Max``/``Min`` and of the ``Piecewise``
    conditions, the poles (zeros of the bases of negative powers, of ``log``'s argument, of
    ``cos`` under ``tan``) and domain edges (roots). Each such point splits the range; the
    pieces are sampled separately (closer and closer to the point) and joined by a NaN, so
    matplotlib leaves a gap, invisible where the curve is continuous. A jump shows open circles
    at its one-sided limits and a filled dot at the value the function takes there, if any.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt
import sympy as sp

from ankigen.expr.assumptions import Interval
from ankigen.expr.symbolic import Translator
from ankigen.records import Rule
from ankigen.render.plot_media import wants_plot

Array = npt.NDArray[np.float64]
DEFAULT_RANGE = (-5.0, 5.0)
WINDOW = 0.05  # near a break, within this fraction of the range, a pole may be cut
REACH = 20.0  # kinks up to this far away widen the default range to show them
SAMPLES = 1200  # points per curve across the whole range, before refinement near breaks
PROBES = 2001  # points of the first look at where the function has real values
_NEAR = (1e-9, 1e-7, 1e-5, 1e-4, 1e-3, 3e-3, 1e-2)  # refinement offsets, times the range width
_ALTERNATIVES = tuple(Fraction(n) for n in range(2, 12))


@dataclass(frozen=True, eq=False)
class Curve:
    """One curve as drawn: x and y with NaN where the line must break, and a jump's dots."""

    x: Array
    y: Array
    open_points: tuple[tuple[float, float], ...] = ()  # one-sided limits not attained
    closed_points: tuple[tuple[float, float], ...] = ()  # the value taken at a jump


@dataclass(frozen=True, eq=False)
class PlotData:
    """Everything a plot shows, as numbers: tests inspect this instead of pixels."""

    variable: str
    function: Curve
    derivative: Curve
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    breaks: tuple[float, ...]  # where the curves are not drawn through
    values: tuple[tuple[str, Fraction], ...]  # every other symbol's value, by name


def plot_data(rule: Rule) -> PlotData | None:
    """The curves, range and breaks of a rule's plot (None where :func:`plot_rule` is None)."""
    if not wants_plot(rule) or rule.is_matrix:  # a field plot: ankigen.render.plot_field
        return None
    translator = Translator(rule.assumptions, {d.name: d for d in rule.definitions})
    variable = translator.symbol(rule.variable)
    function = translator.expr(rule.function)
    derivative = translator.expr(rule.derivative)
    others = sorted(
        (function.free_symbols | derivative.free_symbols) - {variable}, key=lambda s: s.name
    )
    given = dict(rule.plot.values)
    values = {s.name: given.get(s.name, _default_value(rule, s.name)) for s in others}
    f, df = _substituted(function, derivative, others, values)
    x_range, open_ends = _x_range(rule, variable, f, df)
    if _boring(df, derivative, variable, x_range):
        free = [s.name for s in others if s.name not in given]
        alternative = dict(values)
        for name, value in zip(free, _ALTERNATIVES, strict=False):
            alternative[name] = _within(Interval.of(name, rule.assumptions), value)
        f2, df2 = _substituted(function, derivative, others, alternative)
        range2, ends2 = _x_range(rule, variable, f2, df2)
        if not _boring(df2, derivative, variable, range2):
            values, f, df, x_range, open_ends = alternative, f2, df2, range2, ends2
    breaks = _breaks(f, df, variable, x_range)
    f_curve = _sample(_numeric(f, variable), x_range, breaks, open_ends)
    df_curve = _sample(_numeric(df, variable), x_range, breaks, open_ends)
    finite = np.concatenate([_finite(f_curve[1]), _finite(df_curve[1])])
    if finite.size == 0:
        return None
    near = [*breaks, *(end for end, is_open in zip(x_range, open_ends, strict=True) if is_open)]
    y_range = (
        (float(rule.plot.y_range[0]), float(rule.plot.y_range[1]))
        if rule.plot.y_range is not None
        else _y_range(f_curve[0], (f_curve[1], df_curve[1]), near, x_range[1] - x_range[0])
    )
    return PlotData(
        variable=rule.variable,
        function=_curve(_numeric(f, variable), *f_curve, breaks, x_range, y_range),
        derivative=_curve(_numeric(df, variable), *df_curve, breaks, x_range, y_range),
        x_range=x_range,
        y_range=y_range,
        breaks=tuple(b for b in breaks if x_range[0] < b < x_range[1]),
        values=tuple((s.name, values[s.name]) for s in others),
    )


# --- evaluation -----------------------------------------------------------------------------


def _default_value(rule: Rule, name: str) -> Fraction:
    return _within(Interval.of(name, rule.assumptions), Fraction(1))


def _within(interval: Interval, value: Fraction) -> Fraction:
    """``value`` if the interval holds it (its negative if that does: -1 for c < 0), else a
    value inside: a fraction v / (v + 1) across a bounded interval (0.5 of 0 < p < 1 for 1,
    2/3 for 2), v above a lower or below an upper bound."""
    for candidate in (value, -value):
        if interval.inside(candidate):
            return candidate
    if interval.low is not None and interval.high is not None:
        return interval.low + (interval.high - interval.low) * value / (value + 1)
    if interval.low is not None:
        return interval.low + value
    assert interval.high is not None
    return interval.high - value


def _substituted(
    function: Any, derivative: Any, others: list[Any], values: Mapping[str, Fraction]
) -> tuple[Any, Any]:
    replace = {s: sp.Rational(values[s.name].numerator, values[s.name].denominator) for s in others}
    return function.xreplace(replace), derivative.xreplace(replace)


def _erf(x: Array) -> Array:
    return np.asarray(np.vectorize(math.erf, otypes=[float])(x), dtype=float)


@functools.lru_cache(maxsize=512)
def _numeric(expr: Any, variable: Any) -> Callable[[Array], Array]:
    """A numpy function of the variable; NaN wherever the value is not a finite real."""
    compiled = sp.lambdify([variable], expr, modules=[{"erf": _erf}, "numpy"])

    def evaluate(x: Array) -> Array:
        with np.errstate(all="ignore"):
            raw = np.asarray(compiled(x))
        if np.iscomplexobj(raw):
            real = np.where(np.abs(raw.imag) <= 1e-12 * (1 + np.abs(raw.real)), raw.real, np.nan)
        else:
            real = raw.astype(float)
        y = np.array(np.broadcast_to(real, x.shape), dtype=float)
        y[~np.isfinite(y)] = np.nan
        return y

    return evaluate


def _finite(y: Array) -> Array:
    return y[np.isfinite(y)]


def _boring(derivative: Any, claimed: Any, variable: Any, x_range: tuple[float, float]) -> bool:
    """Whether the values chose a degenerate plot: a derivative constant on the whole range
    although the rule's derivative depends on the variable (``n x^(n-1)`` with n = 1), or zero
    although the rule's is not (``1 - beta`` with beta = 1)."""
    y = _finite(_numeric(derivative, variable)(np.linspace(*x_range, 101)))
    if y.size == 0 or np.ptp(y) > 1e-12 * (1 + float(np.max(np.abs(y)))):
        return False
    vanishes = bool(np.all(np.abs(y) <= 1e-12))
    return variable in claimed.free_symbols or (vanishes and not claimed.is_zero)


def _x_range(
    rule: Rule, variable: Any, function: Any, derivative: Any
) -> tuple[tuple[float, float], tuple[bool, bool]]:
    """The plotted range, and whether each end is open (the curves only approach it)."""
    if rule.plot.x_range is not None:
        return (float(rule.plot.x_range[0]), float(rule.plot.x_range[1])), (False, False)
    interval = Interval.of(rule.variable, rule.assumptions)
    width = DEFAULT_RANGE[1] - DEFAULT_RANGE[0]
    if interval.low is not None and interval.high is not None:  # 0 < p < 1: all of it, no more
        found = (float(interval.low), float(interval.high))
        return found, (interval.low_open, interval.high_open)
    if interval.low is not None:
        start = float(interval.low)
        found, ends = (start, start + width / 2), (interval.low_open, False)
    elif interval.high is not None:
        end = float(interval.high)
        found, ends = (end - width / 2, end), (False, interval.high_open)
    else:
        found, ends = DEFAULT_RANGE, (False, False)
        # Narrow [-5, 5] to where the function (else the derivative) has real values.
        x = np.linspace(*DEFAULT_RANGE, PROBES)
        for expr in (function, derivative):
            real = np.isfinite(_numeric(expr, variable)(x))
            if real.any():
                first, last = int(np.argmax(real)), len(real) - 1 - int(np.argmax(real[::-1]))
                if first == 0 and last == len(x) - 1:
                    break
                # Reach to the last probe without a real value: the domain's edge is between.
                low, high = x[max(first - 1, 0)], x[min(last + 1, len(x) - 1)]
                return (float(low), float(high)), (first > 0, last < len(x) - 1)
    return _widened(found, function, derivative, variable), ends


def _widened(
    x_range: tuple[float, float], function: Any, derivative: Any, variable: Any
) -> tuple[float, float]:
    """The default range, widened to show the kinks and jumps up to 20 away (ReLU6's at 6)."""
    low, high = x_range
    wide = (min(low, -REACH) if low < 0 else low, max(high, REACH) if high > 0 else high)
    for point in _breaks(function, derivative, variable, wide):
        margin = max(1.0, 0.25 * abs(point))
        if point < low:
            low = float(math.floor(point - margin))
        elif point > high:
            high = float(math.ceil(point + margin))
    return low, high


def _candidates(expr: Any, variable: Any) -> Iterator[Any]:
    """Expressions whose zeros may be jumps, kinks, poles or domain edges of ``expr``."""
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Heaviside | sp.sign | sp.Abs | sp.log):
            yield node.args[0]
        elif isinstance(node, sp.Max | sp.Min):
            args = node.args
            yield from (a - b for i, a in enumerate(args) for b in args[i + 1 :])
        elif isinstance(node, sp.Piecewise):
            for _, condition in node.args:
                if isinstance(condition, sp.Basic):
                    for relation in condition.atoms(sp.core.relational.Relational):
                        yield relation.lhs - relation.rhs
        elif isinstance(node, sp.Pow) and not (node.exp.is_integer and node.exp.is_nonnegative):
            yield node.base  # a pole (negative power) or the edge of a root's domain
        elif isinstance(node, sp.tan):
            yield sp.cos(node.args[0])


def _breaks(
    function: Any, derivative: Any, variable: Any, x_range: tuple[float, float]
) -> list[float]:
    """The points of the range where either curve may jump, kink or blow up, in order."""
    low, high = x_range
    found: set[float] = set()
    seen: set[Any] = set()
    for expr in (function, derivative):
        for candidate in _candidates(expr, variable):
            if candidate in seen or variable not in candidate.free_symbols:
                continue
            seen.add(candidate)
            found.update(r for r in _roots(candidate, variable, low, high) if low <= r <= high)
    tolerance = (high - low) * 1e-9
    merged: list[float] = []
    for point in sorted(found):
        if not merged or point - merged[-1] > tolerance:
            merged.append(point)
    return merged


def _roots(expr: Any, variable: Any, low: float, high: float) -> list[float]:
    """The real zeros of ``expr`` in [low, high]: exactly for a polynomial, else numerically."""
    if expr.is_polynomial(variable):
        try:
            coefficients = [complex(c) for c in sp.Poly(expr, variable).all_coeffs()]
        except (TypeError, ValueError, sp.PolynomialError):
            coefficients = []
        if len(coefficients) > 1:
            roots = np.roots(np.array(coefficients))
            return [float(r.real) for r in roots if abs(r.imag) <= 1e-9 * (1 + abs(r.real))]
        if coefficients:
            return []
    evaluate = _numeric(expr, variable)
    x = np.linspace(low, high, 4001)
    y = evaluate(x)
    found = [float(v) for v in x[y == 0]]
    sign = np.sign(y)
    changes = np.flatnonzero((sign[:-1] * sign[1:]) < 0)
    if changes.size:
        a, b = x[changes].copy(), x[changes + 1].copy()
        ya = y[changes]
        for _ in range(60):
            middle = (a + b) / 2
            ym = evaluate(middle)
            left = np.sign(ym) == np.sign(ya)
            a = np.where(left, middle, a)
            ya = np.where(left, ym, ya)
            b = np.where(left, b, middle)
        found.extend(float(v) for v in (a + b) / 2)
    return found


def _sample(
    evaluate: Callable[[Array], Array],
    x_range: tuple[float, float],
    breaks: list[float],
    open_ends: tuple[bool, bool],
) -> tuple[Array, Array]:
    """x and y over the range, piece by piece between the breaks, NaN between the pieces."""
    low, high = x_range
    width = high - low
    interior = [b for b in breaks if low < b < high]
    near_low = open_ends[0] or any(abs(b - low) <= width * 1e-9 for b in breaks)
    near_high = open_ends[1] or any(abs(b - high) <= width * 1e-9 for b in breaks)
    edges = [low, *interior, high]
    pieces: list[Array] = []
    gaps: list[Array] = []
    for i, (a, b) in enumerate(itertools.pairwise(edges)):
        count = max(24, round(SAMPLES * (b - a) / width))
        points = np.linspace(a, b, count)
        extra: list[float] = []
        if i > 0 or near_low:
            points[0] = a + width * _NEAR[0]
            extra += [a + width * d for d in _NEAR[1:]]
        if i < len(edges) - 2 or near_high:
            points[-1] = b - width * _NEAR[0]
            extra += [b - width * d for d in _NEAR[1:]]
        inside = [e for e in extra if points[0] < e < points[-1]]
        segment = np.unique(np.concatenate([points, np.array(inside, dtype=float)]))
        if pieces:
            pieces.append(np.array([a]))  # the point where the line breaks: y is NaN
            gaps.append(np.ones(1, dtype=bool))
        pieces.append(segment)
        gaps.append(np.zeros(segment.size, dtype=bool))
    x = np.concatenate(pieces)
    y = evaluate(x)
    y[np.concatenate(gaps)] = np.nan
    return x, y


def _y_range(
    x: Array, curves: tuple[Array, Array], near: list[float], width: float
) -> tuple[float, float]:
    """Both curves in full, except close to a break or an open end (``near``) where a curve may
    blow up: there they are shown only up to one more height of the rest of the plot."""
    close = np.zeros(x.size, dtype=bool)
    for point in near:
        close |= np.abs(x - point) < WINDOW * width
    values = np.concatenate([c[~close] for c in curves])
    values = values[np.isfinite(values)]
    nearby = np.concatenate([c[close] for c in curves])
    nearby = nearby[np.isfinite(nearby)]
    if values.size == 0:
        values, nearby = nearby, values
    low, high = float(values.min()), float(values.max())
    span = high - low
    if nearby.size:
        low = max(min(low, float(nearby.min())), low - span)
        high = min(max(high, float(nearby.max())), high + span)
    if high - low <= 1e-9 * max(1.0, abs(high)):
        middle = (high + low) / 2
        return middle - 1.0, middle + 1.0
    pad = (high - low) * 0.06
    return low - pad, high + pad


def _curve(
    evaluate: Callable[[Array], Array],
    x: Array,
    y: Array,
    breaks: list[float],
    x_range: tuple[float, float],
    y_range: tuple[float, float],
) -> Curve:
    """The curve with its jumps marked: open circles at one-sided limits, a dot at the value."""
    low, high = y_range
    span = high - low
    open_points: list[tuple[float, float]] = []
    closed_points: list[tuple[float, float]] = []
    for point in breaks:
        if not x_range[0] < point < x_range[1]:
            continue
        index = int(np.flatnonzero((x == point) & np.isnan(y))[0])
        left, right = float(y[index - 1]), float(y[index + 1])
        visible = all(math.isfinite(v) and low <= v <= high for v in (left, right))
        if not visible or abs(left - right) <= span * 5e-3:
            continue
        at = float(evaluate(np.array([point]))[0])
        tolerance = span * 5e-3
        for side in (left, right):
            if math.isfinite(at) and abs(at - side) <= tolerance:
                closed_points.append((point, side))
            else:
                open_points.append((point, side))
        if math.isfinite(at) and all(abs(at - v) > tolerance for v in (left, right)):
            closed_points.append((point, at))
    # Drawn lines stay finite and near the axes: far values are pulled to 50 spans outside.
    drawn = np.clip(y, low - 50 * span, high + 50 * span)
    return Curve(x, drawn, tuple(open_points), tuple(closed_points))
