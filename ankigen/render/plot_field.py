"""The numbers of a field plot: a scalar function of a vector of 2 entries (``shapes: {x: [2]}``)
over a square of the plane, and its proved gradient as arrows on a coarse grid.
:mod:`ankigen.render.plots` draws them (contour lines and a quiver).

The function and the claim come from :class:`~ankigen.expr.matrices.MatrixTranslator` at size 2,
the variable's two entries as symbols, every other vector and matrix at the fixed values of
:func:`~ankigen.render.plot_media.shaped_values` and every other scalar at its ``plot: values:``
or 1; then numpy evaluates them over the square [-3, 3]² (``plot: x: [a, b]`` makes it
[a, b]²). Where the function has no finite real value, or a condition of ``assume:`` fails
(``norm(x) > 0`` at the origin), nothing is drawn: no contour, no arrow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt
import sympy as sp

from ankigen.expr.matrices import MatrixTranslator
from ankigen.records import Rule
from ankigen.render.notes import symbol_shapes
from ankigen.render.plot_media import is_field_plot, other_symbols, shaped_values

Array = npt.NDArray[np.float64]
DEFAULT_SQUARE = (-3.0, 3.0)
GRID = 161  # points a side for the contours
ARROWS = 9  # arrows a side


@dataclass(frozen=True, eq=False)
class FieldData:
    """Everything a field plot shows, as numbers: tests inspect this instead of pixels."""

    variable: str
    grid: Array  # the coordinates of the contour grid, on either axis
    values_grid: Array  # f at (grid[j], grid[i]) in row i, column j; NaN where not drawn
    arrows: tuple[Array, Array, Array, Array]  # x, y, and the gradient's two entries there
    square: tuple[float, float]  # the range of either axis
    values: tuple[tuple[str, Fraction], ...]  # every other scalar's value, by name


def field_data(rule: Rule) -> FieldData | None:
    """The contours and arrows of a rule's field plot (None if it has none, or if the function
    has no finite value on the square)."""
    if not rule.plot.enabled or not is_field_plot(rule):
        return None
    shapes = symbol_shapes(rule)
    entries = sp.symbols("x_1 x_2", real=True)
    scalars = _scalar_values(rule)
    env: dict[str, Any] = {rule.variable: sp.ImmutableMatrix(2, 1, list(entries))}
    env.update({name: sp.Rational(v.numerator, v.denominator) for name, v in scalars})
    for name, rows in shaped_values(rule):
        env[name] = sp.ImmutableMatrix([[sp.Rational(x.numerator, x.denominator) for x in row]
                                        for row in rows])  # fmt: skip
    translator = MatrixTranslator(shapes, {d.name: d for d in rule.definitions})
    function = _numeric(translator.build(rule.function, env), entries)
    gradient = translator.build(rule.derivative, env)
    first, second = (_numeric(gradient[i, 0], entries) for i in range(2))
    allowed = [
        _numeric(relation, entries)
        for compare in rule.conditions
        for relation in _relations(translator.condition(compare, env))
    ]
    low, high = (
        (float(rule.plot.x_range[0]), float(rule.plot.x_range[1]))
        if rule.plot.x_range is not None
        else DEFAULT_SQUARE
    )
    grid = np.linspace(low, high, GRID)
    z = _masked(function, allowed, *np.meshgrid(grid, grid))
    if not np.isfinite(z).any():
        return None
    step = (high - low) / ARROWS
    coarse = np.linspace(low + step / 2, high - step / 2, ARROWS)
    x, y = np.meshgrid(coarse, coarse)
    u, v = _masked(first, allowed, x, y), _masked(second, allowed, x, y)
    keep = np.isfinite(u) & np.isfinite(v)
    return FieldData(
        variable=rule.variable,
        grid=grid,
        values_grid=z,
        arrows=(x[keep], y[keep], u[keep], v[keep]),
        square=(low, high),
        values=scalars,
    )


def _scalar_values(rule: Rule) -> tuple[tuple[str, Fraction], ...]:
    """Every other scalar symbol's value (those of the conditions too): its ``plot: values:``
    entry, else 1."""
    given = dict(rule.plot.values)
    return tuple((s, given.get(s, Fraction(1))) for s in other_symbols(rule))


def _relations(found: Any) -> tuple[Any, ...]:
    return found if isinstance(found, tuple) else (found,)


def _numeric(expr: Any, entries: tuple[Any, ...]) -> Callable[[Array, Array], Array]:
    """A numpy function of the two entries; NaN where the value is not a finite real (a
    relation gives 1.0 where it holds and 0.0 where not)."""
    compiled = sp.lambdify(list(entries), expr, modules="numpy")

    def evaluate(x: Array, y: Array) -> Array:
        with np.errstate(all="ignore"):
            raw = np.asarray(compiled(x, y))
        if np.iscomplexobj(raw):
            raw = np.where(np.abs(raw.imag) <= 1e-12 * (1 + np.abs(raw.real)), raw.real, np.nan)
        result = np.array(np.broadcast_to(raw.astype(float), x.shape), dtype=float)
        result[~np.isfinite(result)] = np.nan
        return result

    return evaluate


def _masked(
    evaluate: Callable[[Array, Array], Array],
    allowed: list[Callable[[Array, Array], Array]],
    x: Array,
    y: Array,
) -> Array:
    """The values at the points, NaN wherever a condition does not hold."""
    values = evaluate(x, y)
    for condition in allowed:
        values[condition(x, y) != 1.0] = np.nan
    return values
