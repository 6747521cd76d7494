"""Drawing a rule's plot: the function (solid) and its derivative (dashed) on one figure, from
the numbers :mod:`ankigen.render.plot_data` computes. The legend, with the typeset formulas and the
values of the other symbols, is HTML under the image (:func:`ankigen.render.plot_media.plot_html`):
MathJax typesets it as well as the rest of the card, where matplotlib's mathtext lacked
``cases`` and took more than half of a plot's drawing time.

The only module that imports matplotlib, and only inside functions: import it when building.
General rules (an abstract ``g(x)``) and ``plot: false`` get no plot; neither does a function
with no finite real value to draw.

Images
    One PNG per plot: dark ink on a transparent background, in the colours of
    ``assets/plot.mplstyle``. In night mode the card's CSS turns it into light ink with the same
    hues (``invert`` then ``hue-rotate(180deg)``), so there is no second image to draw, store
    and sync. Bytes are deterministic: fixed width and dpi, no ``Software`` text, no time. One
    figure of one size is made once and reused for every plot. Rendered images are kept in the
    on-disk :mod:`~ankigen.plumbing.cache`.
"""

from __future__ import annotations

import io
import os
import sys
import zlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ankigen.expr import latex
from ankigen.plumbing.resources import asset_text
from ankigen.records import Rule
from ankigen.render.plot_data import Curve, PlotData, plot_data
from ankigen.render.plot_field import ARROWS, FieldData, field_data
from ankigen.render.plot_media import (
    STYLE_ASSET,
    PlotImage,
    plot_image,
    wants_plot,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

__all__ = ["Curve", "PlotData", "plot_data", "plot_rule", "warm_up"]


def plot_rule(rule: Rule) -> PlotImage | None:
    """The plot image of a rule, or None (``plot: false``, a general rule, nothing finite).
    Always drawn: the render stage asks the cache first (see
    :func:`ankigen.render.media.draw_plots`)."""
    if not wants_plot(rule):
        return None
    return _render(rule)


def _render(rule: Rule) -> PlotImage | None:
    if rule.is_matrix:
        return _render_field(rule)
    data = plot_data(rule)
    if data is None:
        return None
    canvas = _canvas()
    canvas.prepare(data)
    return plot_image(canvas.png(), data.values)


def _render_field(rule: Rule) -> PlotImage | None:
    field = field_data(rule)
    if field is None:
        return None
    return plot_image(_draw_field(field), field.values)


# --- drawing --------------------------------------------------------------------------------


# Margins in inches around the axes, which fill the rest of the style's figure size: room for
# the tick labels and axis labels, and at the top for half of the highest tick label.
LEFT, RIGHT, BOTTOM, TOP = 0.78, 0.16, 0.56, 0.14
ZERO_LINE = "#8a93a6"  # the axes x = 0 and y = 0, between the grid's grey and the text's


def _style() -> dict[str, Any]:
    """The rcParams of ``assets/plot.mplstyle``, each validated by matplotlib."""
    from matplotlib import RcParams

    params: Any = RcParams()  # validates (and converts) each value as it is set
    for number, raw in enumerate(asset_text(STYLE_ASSET).splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        key, colon, value = line.partition(":")
        if not colon:
            raise ValueError(f"{STYLE_ASSET}:{number}: expected 'key: value', got {raw!r}")
        params[key.strip()] = value.strip().strip('"')
    return dict(params)


class _Canvas:
    """One figure, made once and redrawn for every plot: only the data, limits and x label
    change. Measured on the bundled catalogue: about 27 ms a plot, against 67 ms with the
    legend and the note typeset in the image by mathtext, and 125 ms for the two colour
    variants on a new figure each that ankigen drew at first."""

    def __init__(self) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.rc = _style()
        with _rc(self.rc):
            self.figure: Figure = Figure()
            FigureCanvasAgg(self.figure)
            width, height = (float(v) for v in self.figure.get_size_inches())
            self.axes: Axes = self.figure.add_axes(
                (
                    LEFT / width,
                    BOTTOM / height,
                    1 - (LEFT + RIGHT) / width,
                    1 - (BOTTOM + TOP) / height,
                )
            )
            ax = self.axes
            ax.set_ylabel(r"$f,\ f'$", labelpad=3)
            for axis_line in (ax.axhline, ax.axvline):
                axis_line(0, color=ZERO_LINE, linewidth=0.9, zorder=1.5)
            # f and f' take the first two colours of the style's cycle, in that order.
            (self.function,) = ax.plot([], [], zorder=3)
            (self.derivative,) = ax.plot([], [], linestyle="--", zorder=4)
            self.dots: dict[tuple[str, str], Line2D] = {}
            for curve, line in (("function", self.function), ("derivative", self.derivative)):
                for kind in ("open", "closed"):
                    (self.dots[curve, kind],) = ax.plot(
                        [],
                        [],
                        linestyle="none",
                        marker="o",
                        zorder=5,
                        clip_on=False,
                        color=line.get_color(),
                        # an open circle is hollow: the card shows through, in either mode
                        markerfacecolor="none" if kind == "open" else line.get_color(),
                    )

    def prepare(self, data: PlotData) -> None:
        """Set the data, limits and x label of one plot."""
        with _rc(self.rc):
            ax = self.axes
            self.function.set_data(data.function.x, data.function.y)
            self.derivative.set_data(data.derivative.x, data.derivative.y)
            for name, curve in (("function", data.function), ("derivative", data.derivative)):
                for kind, points in (("open", curve.open_points), ("closed", curve.closed_points)):
                    self.dots[name, kind].set_data([p[0] for p in points], [p[1] for p in points])
            ax.set_xlim(*data.x_range)
            ax.set_ylim(*data.y_range)
            ax.set_xlabel(f"${latex.name(data.variable)}$", labelpad=2)

    def png(self) -> bytes:
        """The prepared plot as deterministic PNG bytes, on a transparent background.

        zlib's run-length strategy suits flat line art: on the bundled plots it gave files 2%
        smaller than Pillow's default in half the time (7 ms against 15 ms a plot)."""
        with _rc(self.rc):
            buffer = io.BytesIO()
            self.figure.savefig(
                buffer,
                format="png",
                metadata={"Software": None},
                transparent=True,
                pil_kwargs={"compress_type": zlib.Z_RLE},
            )
        return buffer.getvalue()


CONTOURS = 12  # levels between the 2nd and 98th percentile of the values drawn


def _draw_field(data: FieldData) -> bytes:
    """A field plot as PNG bytes: contour lines of f in the function's colour, arrows of the
    proved gradient in the derivative's, on equal axes (the arrows' angles are true), in a
    figure of the same size as every other plot. A new figure each time: field plots are few."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rc = _style()
    with _rc(rc):
        figure = Figure()
        FigureCanvasAgg(figure)
        height = float(figure.get_size_inches()[1])
        ax = figure.add_axes((0.05, BOTTOM / height, 0.9, 1 - (BOTTOM + TOP) / height))
        function, derivative = (c["color"] for c in rc["axes.prop_cycle"])
        _contours(ax, data, function)
        _arrows(ax, data, derivative)
        ax.set_xlim(*data.square)
        ax.set_ylim(*data.square)
        ax.set_aspect("equal")
        ax.set_xlabel(f"${_entry(data.variable, 1)}$", labelpad=2)
        ax.set_ylabel(f"${_entry(data.variable, 2)}$", labelpad=2)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", metadata={"Software": None}, transparent=True,
                       pil_kwargs={"compress_type": zlib.Z_RLE})  # fmt: skip
    return buffer.getvalue()


def _contours(ax: Axes, data: FieldData, colour: str) -> None:
    """Lines of equal f, none where f is not drawn; none at all for a constant f."""
    import numpy as np

    finite = data.values_grid[np.isfinite(data.values_grid)]
    low, high = np.percentile(finite, [2, 98])
    if high > low:
        z = np.ma.masked_invalid(data.values_grid)
        levels = np.linspace(low, high, CONTOURS)
        ax.contour(data.grid, data.grid, z, levels=levels, colors=colour, linewidths=1.1)


def _arrows(ax: Axes, data: FieldData, colour: str) -> None:
    """The gradient at each point of the coarse grid, to scale: the longest arrow is nine
    tenths of the grid's spacing."""
    import numpy as np

    x, y, u, v = data.arrows
    if not x.size:
        return
    length = float(np.max(np.hypot(u, v)))
    spacing = (data.square[1] - data.square[0]) / ARROWS
    scale = length / (0.9 * spacing) if length > 0 else 1.0
    ax.quiver(x, y, u, v, color=colour, angles="xy", scale_units="xy", scale=scale,
              width=0.006, zorder=4)  # fmt: skip


def _entry(variable: str, index: int) -> str:
    """The mathtext of a vector's entry: x_1, or w_{1,2} for the entries of w1."""
    name = latex.name(variable)
    return name[:-1] + f",{index}}}" if "_{" in name else f"{name}_{{{index}}}"


def _rc(params: Mapping[str, Any]) -> Any:
    import matplotlib

    rc: Any = dict(params)
    return matplotlib.rc_context(rc=rc)


_CANVAS: list[_Canvas] = []


def _forget_parsed_math() -> None:
    """In a forked worker: drop the mathtext the parent parsed. Each parse holds the parent's
    FreeType fonts, whose open files the child shares, offsets and all, with the parent and
    its other children: two workers reading glyphs through them at once drew a label's f as ö
    (the plot of a rule then differs from build to build). matplotlib forgets its own font
    cache at fork, but not this one."""
    mathtext = sys.modules.get("matplotlib.mathtext")  # never imported here for nothing
    if mathtext is not None:
        mathtext.MathTextParser._parse_cached.cache_clear()


if hasattr(os, "register_at_fork"):  # not on Windows, which does not fork
    os.register_at_fork(after_in_child=_forget_parsed_math)


def warm_up() -> None:
    """Load matplotlib and make the reusable figure now, so that worker processes forked after
    this call start with both ready instead of each paying for them."""
    _canvas()


def _canvas() -> _Canvas:
    if not _CANVAS:
        _CANVAS.append(_Canvas())
    return _CANVAS[0]
