"""Drawing a rule's plot: the function (solid) and its derivative (dashed) on one figure, from
the numbers :mod:`ankigen.plot_data` computes.

The only module that imports matplotlib, and only inside functions: import it when building.
General rules (an abstract ``g(x)``) and ``plot: false`` get no plot; neither does a function
with no finite real value to draw.

Images
    Two PNG variants: light (opaque white) and night (transparent, light ink), switched by the
    card's CSS on ``.nightMode`` / ``.night_mode``. Bytes are deterministic: fixed width and
    dpi, no ``Software`` text, no time. One figure is made once and reused for every plot and
    both variants. Rendered images are kept in the on-disk :mod:`~ankigen.cache`.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal

from ankigen import latex
from ankigen.cache import Cache, default_cache
from ankigen.expressions import Node, Piecewise, TrueCond
from ankigen.model import Rule
from ankigen.plot_data import Curve, PlotData, plot_data
from ankigen.plot_media import STYLE_ASSET, PlotImages, from_cache, images, to_cache, wants_plot
from ankigen.resources import asset_text

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.legend import Legend
    from matplotlib.lines import Line2D

__all__ = ["Curve", "PlotData", "legend_labels", "plot_data", "plot_rule", "warm_up"]


def plot_rule(
    rule: Rule, *, cache: Cache | Literal["default"] | None = "default"
) -> PlotImages | None:
    """The plot images of a rule, or None (``plot: false``, a general rule, nothing finite).

    ``cache`` is where rendered images are kept between builds: the user's cache folder by
    default (see :func:`ankigen.cache.default_cache`), another :class:`Cache`, or None for none.
    """
    if not wants_plot(rule):
        return None
    store = default_cache() if cache == "default" else cache
    if store is not None:
        cached = from_cache(rule, store)
        if cached is not None:
            return cached
    rendered = _render(rule)
    if rendered is None:
        return None
    if store is not None:
        to_cache(rule, store, *rendered)
    return images(*rendered)


# --- drawing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Palette:
    """The colours of one variant; everything else comes from ``assets/plot.mplstyle``."""

    function: str
    derivative: str
    text: str
    muted: str
    grid: str
    zero: str
    background: str  # "none": transparent
    hole: str  # the inside of an open circle


# Okabe-Ito blue and vermillion (light), sky blue and orange (dark): safe for colour-blind
# readers, and f' is dashed as well. The night variant is transparent over the card's colour.
_LIGHT = _Palette(
    "#0072B2", "#D55E00", "#1d2330", "#5a6478", "#d5dae3", "#8a93a6", "white", "white"
)
_DARK = _Palette(
    "#56B4E9", "#F0A33A", "#e6e9ef", "#a3acbd", "#3b4252", "#6c7588", "none", "#1e2128"
)

LEFT, RIGHT, BOTTOM, TOP_PAD = 0.78, 0.16, 0.56, 0.05  # margins in inches
NOTE_HEIGHT = 0.22  # inches per line of the note of the other symbols' values
AXES_HEIGHT = 2.2  # inches: every plot's axes are the same size; the figure grows above them


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
    """One figure, made once and redrawn for every plot and both variants: only data, texts
    and colours change. Measured on the bundled catalogue: about 95 ms per rule for both PNGs,
    against about 125 ms with a new figure per plot; each legend formula is typeset once."""

    def __init__(self) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.mathtext import MathTextParser

        self.rc = _style()
        with _rc(self.rc):
            self.figure: Figure = Figure()
            FigureCanvasAgg(self.figure)
            self.width, self.height = (float(v) for v in self.figure.get_size_inches())
            self.axes: Axes = self.figure.add_axes((0.1, 0.1, 0.8, 0.8))
            ax = self.axes
            self.zero_lines = [
                ax.axhline(0, linewidth=0.9, zorder=1.5),
                ax.axvline(0, linewidth=0.9, zorder=1.5),
            ]
            (self.function,) = ax.plot([], [], zorder=3)
            (self.derivative,) = ax.plot([], [], linestyle="--", zorder=4)
            self.dots: dict[tuple[str, str], Line2D] = {}
            for curve in ("function", "derivative"):
                for kind in ("open", "closed"):
                    (self.dots[curve, kind],) = ax.plot(
                        [], [], linestyle="none", marker="o", zorder=5, clip_on=False
                    )
            self.note = ax.set_title("", loc="right", pad=4)
            self.legend: Legend | None = None
            self.mathtext = MathTextParser("path")
            self.renderer = self._renderer()

    def _renderer(self) -> Any:
        """The Agg renderer of the figure's current size, sharing one mathtext parser (and so
        its cache) with the renderers of other sizes: each formula is typeset once."""
        renderer = self.figure.canvas.get_renderer()  # type: ignore[attr-defined]
        renderer.mathtext_parser = self.mathtext
        return renderer

    def labels(self, candidates: tuple[tuple[str, str], tuple[str, str]]) -> tuple[str, str]:
        """Each typeset label that mathtext can parse and that fits the width, else its plain
        one."""
        from matplotlib.font_manager import FontProperties

        with _rc(self.rc):
            size = float(self.rc["legend.fontsize"])
            available = (self.width - 0.2) * 72 - (self.rc["legend.handlelength"] + 1.0) * size
            chosen = []
            for typeset, plain in candidates:
                try:
                    width, _, _ = self.renderer.get_text_width_height_descent(
                        f"${typeset}$", FontProperties(size=size), ismath=True
                    )
                except ValueError:
                    chosen.append(f"${plain}$")
                    continue
                fits = width * 72 / self.figure.dpi <= available
                chosen.append(f"${typeset}$" if fits else f"${plain}$")
        return chosen[0], chosen[1]

    def prepare(self, data: PlotData, labels: tuple[str, str], note: list[str]) -> None:
        """Set the data, limits and texts of one plot, and lay it out."""
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
            ax.set_ylabel(r"$f,\ f'$", labelpad=3)
            self.note.set_text("\n".join(note))
            if self.legend is not None:
                self.legend.remove()
            self.legend = self.figure.legend(
                [self.function, self.derivative], list(labels), loc="upper left"
            )
            legend = self.legend.get_window_extent(self.renderer).height / self.figure.dpi
            # The axes keep their size; the figure grows to fit the legend and the note.
            top = TOP_PAD + legend + 0.08 + NOTE_HEIGHT * len(note)
            height = BOTTOM + AXES_HEIGHT + top
            self.figure.set_size_inches(self.width, height)
            self.renderer = self._renderer()
            self.legend.set_bbox_to_anchor((0.02, 1 - TOP_PAD / height))
            self.axes.set_position(
                (
                    LEFT / self.width,
                    BOTTOM / height,
                    1 - (LEFT + RIGHT) / self.width,
                    AXES_HEIGHT / height,
                )
            )

    def png(self, palette: _Palette) -> bytes:
        """The prepared plot in one palette's colours, as deterministic PNG bytes."""
        with _rc({**self.rc, **_colour_rc(palette)}):
            self._colour(palette)
            buffer = io.BytesIO()
            self.figure.savefig(
                buffer,
                format="png",
                metadata={"Software": None},
                facecolor=palette.background,
                transparent=palette.background == "none",
            )
        return buffer.getvalue()

    def _colour(self, palette: _Palette) -> None:
        ax = self.axes
        ax.set_facecolor(palette.background)
        for spine in ax.spines.values():
            spine.set_edgecolor(palette.muted)
        ax.tick_params(colors=palette.muted, labelcolor=palette.text)
        ax.grid(True, color=palette.grid)
        ax.xaxis.label.set_color(palette.text)
        ax.yaxis.label.set_color(palette.text)
        self.note.set_color(palette.muted)
        for line in self.zero_lines:
            line.set_color(palette.zero)
        self.function.set_color(palette.function)
        self.derivative.set_color(palette.derivative)
        for (curve, kind), dots in self.dots.items():
            colour = palette.function if curve == "function" else palette.derivative
            dots.set_markeredgecolor(colour)
            dots.set_markerfacecolor(palette.hole if kind == "open" else colour)
        assert self.legend is not None
        for text in self.legend.get_texts():
            text.set_color(palette.text)
        for handle, colour in zip(
            self.legend.legend_handles, (palette.function, palette.derivative), strict=True
        ):
            entry: Any = handle  # the legend's copy of a Line2D
            entry.set_color(colour)


def _colour_rc(palette: _Palette) -> dict[str, str]:
    """The rcParams of a palette, for artists matplotlib makes while drawing (new ticks)."""
    return {
        "text.color": palette.text,
        "axes.edgecolor": palette.muted,
        "axes.labelcolor": palette.text,
        "axes.facecolor": palette.background,
        "figure.facecolor": palette.background,
        "grid.color": palette.grid,
        "xtick.color": palette.muted,
        "ytick.color": palette.muted,
        "xtick.labelcolor": palette.text,
        "ytick.labelcolor": palette.text,
    }


def _rc(params: Mapping[str, Any]) -> Any:
    import matplotlib

    rc: Any = dict(params)
    return matplotlib.rc_context(rc=rc)


_CANVAS: list[_Canvas] = []


def warm_up() -> None:
    """Load matplotlib and make the reusable figure now, so that worker processes forked after
    this call start with both ready instead of each paying for them."""
    _canvas()


def _canvas() -> _Canvas:
    if not _CANVAS:
        _CANVAS.append(_Canvas())
    return _CANVAS[0]


def legend_labels(rule: Rule) -> tuple[str, str]:
    """The legend's entries: ``f(x) = …`` and ``f′(x) = …`` typeset by mathtext, each replaced
    by a plain ``f(x)`` / ``f′(x)`` where mathtext cannot typeset it or it would not fit."""
    return _canvas().labels(_label_candidates(rule))


def _label_candidates(rule: Rule) -> tuple[tuple[str, str], tuple[str, str]]:
    v = latex.name(rule.variable)
    return (
        (f"f({v}) = {_mathtext(rule.function)}", f"f({v})"),
        (f"f'({v}) = {_mathtext(rule.derivative)}", f"f'({v})"),
    )


def _mathtext(node: Node) -> str:
    """The LaTeX of an expression for mathtext: a top-level Piecewise on one line (mathtext has
    no ``cases``: ``0 if x < 0, 1 if x > 0``), fractions in display size, plain ``|x|``."""
    if isinstance(node, Piecewise):
        text = r",\ ".join(
            latex.latex(value)
            + (
                r"\ \mathrm{otherwise}"
                if isinstance(cond, TrueCond)
                else r"\ \mathrm{if}\ " + latex.condition(cond)
            )
            for value, cond in node.pieces
        )
    else:
        text = latex.latex(node)
    return text.replace(r"\frac", r"\dfrac").replace(r"\left|", "|").replace(r"\right|", "|")


def _note(data: PlotData) -> list[str]:
    """``with x = 1, target = 1``, in as many lines as the width needs."""
    if not data.values:
        return []
    items = [f"{latex.name(n)} = {_number(v)}" for n, v in data.values]
    lines: list[list[str]] = [[]]
    limit = 44  # characters of TeX per line: about the plot's width at the note's size
    for item in items:
        if lines[-1] and len(r",\ ".join([*lines[-1], item])) > limit:
            lines.append([])
        lines[-1].append(item)
    shown = [r",\ ".join(line) for line in lines]
    return [f"with ${shown[0]}$", *(f"${line}$" for line in shown[1:])]


def _number(value: Fraction) -> str:
    text = str(value.numerator) if value.denominator == 1 else f"{float(value):.4g}"
    return text.replace("-", "{-}")


def _render(rule: Rule) -> tuple[bytes, bytes] | None:
    data = plot_data(rule)
    if data is None:
        return None
    canvas = _canvas()
    canvas.prepare(data, canvas.labels(_label_candidates(rule)), _note(data))
    return canvas.png(_LIGHT), canvas.png(_DARK)
