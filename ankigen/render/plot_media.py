"""What the rest of ankigen needs to know about plots without drawing one: whether a rule gets a
plot, its cache key, the cached image, and the HTML of the Plot field (the image and its legend).

Kept apart from :mod:`ankigen.render.plots` so that a build whose plots are all cached never imports
numpy, sympy or matplotlib.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import dataclass
from fractions import Fraction

from ankigen.expr import latex, layout
from ankigen.expr.parse import ExpressionError
from ankigen.expr.shapes import Shape, shape_of
from ankigen.expr.tree import is_abstract, variables
from ankigen.plumbing.cache import Cache
from ankigen.plumbing.keys import content_key, environment
from ankigen.plumbing.resources import asset_text
from ankigen.records import MediaFile, Rule
from ankigen.render.notes import LEGEND_WIDTH, inline_math, symbol_shapes

STYLE_ASSET = "plot.mplstyle"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_VALUE = re.compile(r"-?[0-9]{1,40}(/[0-9]{1,40})?")  # str() of a Fraction, of a sane size


def wants_plot(rule: Rule) -> bool:
    """Whether the rule gets a plot: not turned off, and concrete (no abstract g(x)); a rule with
    shapes only as a field plot (:func:`is_field_plot`), any other would mislead."""
    if not rule.plot.enabled or is_abstract(rule.function) or is_abstract(rule.derivative):
        return False
    return is_field_plot(rule) if rule.is_matrix else True


FIELD_VARIABLE = Shape("2")  # the one shape of variable whose gradient a plane can show


def is_field_plot(rule: Rule) -> bool:
    """Whether the rule is a scalar function of a vector of exactly 2 entries (``shapes: {x:
    [2]}``): its plot shows the contours of the function and the arrows of its gradient."""
    shapes = symbol_shapes(rule)
    if shapes.get(rule.variable) != FIELD_VARIABLE:
        return False
    try:
        return shape_of(rule.function, shapes, {d.name: d.body for d in rule.definitions}).scalar
    except ExpressionError:
        return False


Entries = tuple[tuple[Fraction, ...], ...]


def shaped_values(rule: Rule) -> tuple[tuple[str, Entries], ...]:
    """The values a field plot gives the rule's other vectors and matrices, by name: fixed and
    small, every named dimension of size 2. A square matrix has 2, 3, … on its diagonal and 1
    elsewhere (``[[2, 1], [1, 3]]``: symmetric, positive definite, not a multiple of I); any
    other matrix or vector the entries 1, 2, 1, 2, … (shifted by one for every second symbol,
    so that two vectors differ)."""
    found = []
    others = sorted(n for n, _ in rule.shapes if n != rule.variable)
    for index, name in enumerate(others):
        shape = symbol_shapes(rule)[name]
        rows, cols = size(shape.rows), size(shape.cols)
        if rows == cols:
            entries = tuple(
                tuple(Fraction(2 + i if i == j else 1) for j in range(cols)) for i in range(rows)
            )
        else:
            entries = tuple(
                tuple(Fraction(1 + (i + j + index) % 2) for j in range(cols)) for i in range(rows)
            )
        found.append((name, entries))
    return tuple(found)


def size(dimension: str) -> int:
    """A dimension's size on a field plot: as written if a number, else 2."""
    return int(dimension) if dimension.isdigit() else 2


def cache_key(rule: Rule) -> str:
    """What a rule's plot depends on, hashed: the versions of ankigen and the libraries, the
    style file, the code that plots, translates and typesets, and the rule's math and settings
    (``repr`` of frozen dataclasses: deterministic, and free of file names and lines)."""
    installation = environment(
        "ankigen-plot",
        ("matplotlib", "numpy", "pillow", "sympy"),  # Pillow encodes the PNG
        (
            "render/plots.py",
            "render/plot_data.py",
            "render/plot_media.py",
            "render/plot_field.py",
            "expr/matrices.py",
            "expr/shapes.py",
            "expr/texnames.py",
            "expr/symbolic.py",
            "expr/latex.py",
            "expr/layout.py",
            "expr/texwidth.py",
        ),
    )
    return content_key(
        [
            installation,
            asset_text(STYLE_ASSET),
            repr(rule.function),
            repr(rule.derivative),
            repr(rule.variable),
            repr(rule.assumptions),
            repr(rule.shapes),
            repr(rule.conditions),
            repr(rule.used_definitions),
            repr(rule.plot),
        ]
    )


@dataclass(frozen=True)
class PlotImage:
    """A rule's plot: the PNG, and the value each other symbol was given to draw it (such as
    ``b = 1`` in a plot of ``σ(wx + b)`` against ``w``), which the legend under it states."""

    file: MediaFile
    values: tuple[tuple[str, Fraction], ...] = ()


def from_cache(rule: Rule, store: Cache) -> PlotImage | None:
    """The rule's plot if the cache holds it (None on a miss, or for an entry that is not
    exactly what this rule's plot can be)."""
    stored = store.get(cache_key(rule))
    return None if stored is None else _unpack(stored, other_symbols(rule))


def to_cache(rule: Rule, store: Cache, plot: PlotImage) -> None:
    store.put(cache_key(rule), _pack(plot))


def plot_image(png: bytes, values: tuple[tuple[str, Fraction], ...] = ()) -> PlotImage:
    """The PNG as a media file named by a hash of its bytes, with its symbols' values."""
    name = f"ankigen-plot-{hashlib.sha256(png).hexdigest()[:16]}.png"
    return PlotImage(MediaFile(name, png), values)


def _pack(plot: PlotImage) -> bytes:
    """A cache entry: the values as one line of JSON, then the PNG."""
    values = [[symbol, str(value)] for symbol, value in plot.values]
    return json.dumps(values).encode() + b"\n" + plot.file.data


def _unpack(stored: bytes, symbols: list[str]) -> PlotImage | None:
    """The plot in a cache entry, read as untrusted input: a PNG, and a value of a sane size
    for each of the rule's other ``symbols`` (which the legend's MathJax shows), in order."""
    head, _, png = stored.partition(b"\n")
    try:
        pairs = json.loads(head)
    except (ValueError, RecursionError):
        return None
    if not isinstance(pairs, list) or [p[0] if _is_pair(p) else None for p in pairs] != symbols:
        return None
    if not png.startswith(PNG_SIGNATURE):
        return None
    try:
        values = tuple((symbol, Fraction(value)) for symbol, value in pairs)
    except ZeroDivisionError:
        return None
    return plot_image(png, values)


def _is_pair(item: object) -> bool:
    """``[symbol, value]`` with a value as :func:`_pack` writes it."""
    return (
        isinstance(item, list)
        and len(item) == 2
        and isinstance(item[0], str)
        and isinstance(item[1], str)
        and _VALUE.fullmatch(item[1]) is not None
    )


def other_symbols(rule: Rule) -> list[str]:
    """The symbols of a rule's plot that get a value, in the order the plot lists them (the
    scalars: the vectors and matrices of a field plot take :func:`shaped_values`)."""
    shaped = {name for name, _ in rule.shapes}
    used = variables(rule.function) | variables(rule.derivative)
    for compare in rule.conditions:  # a field plot masks where a condition fails
        used = used.union(*(variables(operand) for operand in compare.operands))
    return sorted(used - {rule.variable} - shaped)


def plot_html(rule: Rule, plot: PlotImage) -> str:
    """The Plot field: the image, which the card's CSS recolours for night mode, and under it
    the legend: a key for each line, with its formula typeset by MathJax, and the values the
    other symbols were given."""
    if rule.is_matrix:
        return _field_html(rule, plot)
    v = latex.name(rule.variable)
    entries = [
        ("function", layout.fit(rule.function, LEGEND_WIDTH, lead=f"f({v}) = ")),
        ("derivative", layout.fit(rule.derivative, LEGEND_WIDTH, lead=f"f'({v}) = ")),
    ]
    legend = "".join(
        f'<div class="plot-entry"><span class="plot-key plot-key-{line}"></span>'
        f"{inline_math(formula)}</div>"
        for line, formula in entries
    )
    if plot.values:
        # one formula each, so that a long list wraps between them
        shown = ", ".join(inline_math(f"{latex.name(s)} = {_number(x)}") for s, x in plot.values)
        legend += f'<div class="plot-values">with {shown}</div>'
    alt = html.escape(plot_alt(rule, plot.values), quote=True)
    return (
        f'<img class="ankigen-plot" src="{plot.file.name}" alt="{alt}">'
        f'<div class="plot-legend">{legend}</div>'
    )


def _field_html(rule: Rule, plot: PlotImage) -> str:
    """The Plot field of a field plot: the image and a legend that keys the contour lines to the
    function and the arrows to its proved gradient, with the values the other symbols took."""
    with latex.shaped(symbol_shapes(rule)):
        v = latex.symbol(rule.variable)
        entries = [
            ("function", "contours of", layout.fit(rule.function, LEGEND_WIDTH, lead=f"f({v}) = ")),
            (
                "derivative",
                "arrows:",
                layout.fit(rule.derivative, LEGEND_WIDTH, lead=f"\\nabla f({v}) = "),
            ),
        ]
        shown = [inline_math(f"{latex.name(s)} = {_number(x)}") for s, x in plot.values]
        shown += [inline_math(f"{latex.symbol(s)} = {_matrix(m)}") for s, m in shaped_values(rule)]
    legend = "".join(
        f'<div class="plot-entry"><span class="plot-key plot-key-{line}"></span>{words}&nbsp;'
        f"{inline_math(formula)}</div>"
        for line, words, formula in entries
    )
    if shown:
        legend += f'<div class="plot-values">with {", ".join(shown)}</div>'
    alt = html.escape(plot_alt(rule, plot.values), quote=True)
    return (
        f'<img class="ankigen-plot" src="{plot.file.name}" alt="{alt}">'
        f'<div class="plot-legend">{legend}</div>'
    )


def _matrix(entries: Entries) -> str:
    rows = " \\\\ ".join(" & ".join(_number(x) for x in row) for row in entries)
    return f"\\begin{{pmatrix}} {rows} \\end{{pmatrix}}"


def plot_alt(rule: Rule, values: tuple[tuple[str, Fraction], ...] = ()) -> str:
    """A description of the plot for screen readers and image-less clients."""
    given = ", ".join(f"{symbol} = {_number(value)}" for symbol, value in values)
    if rule.is_matrix:
        matrices = [f"{name} = {_plain(entries)}" for name, entries in shaped_values(rule)]
        given = ", ".join(filter(None, [given, *matrices]))
        return (
            f"Contour plot of {rule.name}: f({rule.variable}) = {rule.function_text} over the "
            f"plane of the two entries of {rule.variable} (lines of equal value), with arrows of "
            f"its gradient {rule.derivative_text}, the proved derivative"
            + (f", drawn with {given}" if given else "")
        )
    return (
        f"Plot of {rule.name}: f({rule.variable}) = {rule.function_text} (solid line) and its "
        f"derivative f'({rule.variable}) = {rule.derivative_text} (dashed line)"
        + (f", drawn with {given}" if given else "")
    )


def _plain(entries: Entries) -> str:
    """A matrix as text: ``[[2, 1], [1, 3]]``, a vector (a column) as ``[1, 2]``."""
    if all(len(row) == 1 for row in entries):
        return "[" + ", ".join(_number(row[0]) for row in entries) + "]"
    return "[" + ", ".join("[" + ", ".join(_number(x) for x in row) + "]" for row in entries) + "]"


def _number(value: Fraction) -> str:
    """A value as the legend shows it: an integer exactly, anything else to 4 digits."""
    return str(value.numerator) if value.denominator == 1 else f"{float(value):.4g}"
