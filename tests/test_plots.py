"""Plots of f and f′: honest shapes, deterministic bytes, and a cache that is never trusted blindly.

Shapes are checked on the numbers that are drawn (:func:`ankigen.render.plots.plot_data`: x and y
with NaN where the line breaks), not on pixels: a jump or a pole must never be joined by a segment.
Bytes are checked on real PNGs from real matplotlib, twice in one process and in a second one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
import struct
import subprocess
import sys
import textwrap
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matrix_rules import catalogue_rules, matrix_rule

from ankigen.expr.tree import is_abstract
from ankigen.load.catalogue import load_catalogue
from ankigen.plumbing.cache import CACHE_ENV, Cache
from ankigen.plumbing.resources import bundled_catalogue
from ankigen.records import MediaFile, PlotSettings, Rule, Silent
from ankigen.render import plot_media, plots
from ankigen.render.media import Plot, draw_plots
from ankigen.render.plot_field import field_data
from ankigen.render.plot_media import PlotImage, plot_html, plot_image
from ankigen.render.plots import Curve, PlotData, plot_data, plot_rule

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NAME = re.compile(r"ankigen-plot-([0-9a-f]{16})\.png")


@pytest.fixture(autouse=True)
def private_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test writes into the user's real cache folder."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "user-cache"))


@pytest.fixture(scope="module")
def rules() -> dict[str, Rule]:
    return {rule.id: rule for rule in load_catalogue([bundled_catalogue()]).rules}


@pytest.fixture
def make_rule(make_catalogue: Callable[..., Path]) -> Callable[..., Rule]:
    """One rule from YAML: ``make_rule("ln(x)", "1/x", plot="{x: [1, 2]}", assume='["x > 0"]')``."""

    def make(function: str, derivative: str, *, define: str = "", **fields: str) -> Rule:
        lines = [
            'deck: "Plots"',
            *([f"define:\n  {define}"] if define else []),
            "rules:",
            "  - id: plotted",
            "    name: Plotted",
            f'    function: "{function}"',
            f'    derivative: "{derivative}"',
            "    context: A rule to plot.",
            *(f"    {key}: {value}" for key, value in fields.items()),
        ]
        folder = make_catalogue(plotted="\n".join(lines) + "\n")
        (rule,) = load_catalogue([folder]).rules
        return rule

    return make


def data_of(rule: Rule) -> PlotData:
    data = plot_data(rule)
    assert data is not None, f"{rule.id}: no plot"
    return data


def segments_across(curve: Curve, point: float) -> list[tuple[float, float]]:
    """The drawn segments (consecutive finite points) that cross ``point``."""
    x, y = curve.x, curve.y
    drawn = np.isfinite(y[:-1]) & np.isfinite(y[1:])
    across = drawn & (x[:-1] < point) & (x[1:] > point)
    return [(float(x[i]), float(x[i + 1])) for i in np.flatnonzero(across)]


def finite_x(curve: Curve) -> np.ndarray:
    return curve.x[np.isfinite(curve.y)]


def value_near(curve: Curve, point: float, side: int) -> float:
    """The drawn value closest to ``point`` on one side (-1 left, +1 right)."""
    x, y = curve.x, curve.y
    mask = np.isfinite(y) & ((x < point) if side < 0 else (x > point))
    index = np.flatnonzero(mask)[np.argmin(np.abs(x[mask] - point))]
    return float(y[index])


def png_chunks(data: bytes) -> list[bytes]:
    assert data.startswith(PNG_SIGNATURE)
    chunks, offset = [], len(PNG_SIGNATURE)
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset : offset + 8])
        chunks.append(kind + data[offset + 8 : offset + 8 + length])
        offset += 12 + length
    return chunks


def assert_named_by_hash(media: MediaFile) -> None:
    match = NAME.fullmatch(media.name)
    assert match, media.name
    assert match.group(1) == hashlib.sha256(media.data).hexdigest()[:16]


# --- which rules get a plot ---------------------------------------------------------------------


def test_every_concrete_bundled_rule_gets_a_plot_and_no_general_rule_does(
    rules: dict[str, Rule],
) -> None:
    """Each rule whose function is concrete gets a PNG named by its hash; each general rule (an
    abstract g(x)) gets none."""
    general = []
    for rule in rules.values():
        plot = plot_rule(rule)
        if rule.shapes:  # vectors and matrices: see the tests of field plots
            continue
        if is_abstract(rule.function):
            assert plot is None, rule.id
            general.append(rule.id)
            continue
        assert plot is not None, rule.id
        assert plot.file.data.startswith(PNG_SIGNATURE), rule.id
        assert_named_by_hash(plot.file)
    assert {"chain-rule", "product-rule", "sum-rule", "quotient-rule"} <= set(general)
    assert len(general) < len(rules) / 2


def test_plot_false_gives_no_plot(make_rule: Callable[..., Rule]) -> None:
    """``plot: false`` in the YAML turns the plot off, for images and data alike."""
    rule = make_rule("x**2", "2*x", plot="false")
    assert plot_rule(rule) is None
    assert plot_data(rule) is None


def test_a_general_rule_from_yaml_gets_no_plot(make_rule: Callable[..., Rule]) -> None:
    """An abstract function (the constant multiple rule) has nothing to draw."""
    assert plot_rule(make_rule("c*g(x)", "c*g'(x)")) is None


def test_a_function_with_no_real_value_gets_no_plot(make_rule: Callable[..., Rule]) -> None:
    """sqrt(-1 - x²) is nowhere real: nothing to draw, so no plot rather than an empty one."""
    rule = make_rule("sqrt(-1 - x**2)", "-x/sqrt(-1 - x**2)")
    assert plot_data(rule) is None
    assert plot_rule(rule) is None


# --- honest shapes ------------------------------------------------------------------------------


def test_relu_derivative_jumps_at_zero_without_a_vertical_line(rules: dict[str, Rule]) -> None:
    """ReLU′ is 0 left of 0 and 1 right of it: both levels are drawn up to 0, no segment joins
    them, and open circles mark the two one-sided limits (ReLU′(0) is not defined)."""
    data = data_of(rules["relu"])
    assert 0.0 in data.breaks
    derivative = data.derivative
    assert segments_across(derivative, 0.0) == []
    assert value_near(derivative, 0.0, -1) == 0.0
    assert value_near(derivative, 0.0, +1) == 1.0
    assert max(finite_x(derivative)[finite_x(derivative) < 0]) > -1e-6
    assert min(finite_x(derivative)[finite_x(derivative) > 0]) < 1e-6
    assert sorted(derivative.open_points) == [(0.0, 0.0), (0.0, 1.0)]
    assert derivative.closed_points == ()


def test_relu_itself_is_drawn_continuous(rules: dict[str, Rule]) -> None:
    """A kink is not a jump: ReLU has no circles, and its two pieces meet at (0, 0)."""
    function = data_of(rules["relu"]).function
    assert function.open_points == function.closed_points == ()
    assert abs(value_near(function, 0.0, -1)) < 1e-6
    assert abs(value_near(function, 0.0, +1)) < 1e-6


def test_no_bundled_plot_draws_a_segment_across_a_break(rules: dict[str, Rule]) -> None:
    """For every bundled plot, at every kink, jump or pole found, neither curve has a segment
    crossing it: the line stops on one side and starts again on the other."""
    checked = 0
    for rule in rules.values():
        data = plot_data(rule)
        if data is None:
            continue
        for point in data.breaks:
            for curve in (data.function, data.derivative):
                assert segments_across(curve, point) == [], (rule.id, point)
                checked += 1
    assert checked > 50


@pytest.mark.parametrize(
    ("rule_id", "point", "left", "right", "value_at"),
    [
        ("leaky-relu", 0.0, 0.01, 1.0, None),  # f′(0) undefined: two open circles
        ("l1-penalty", 0.0, -1.0, 1.0, 0.0),  # λ sign(0) = 0: a dot between two circles
        ("hinge", 1.0, -1.0, 0.0, None),
        ("relu6", 6.0, 1.0, 0.0, None),
    ],
)
def test_jumps_are_marked_where_they_are(
    rules: dict[str, Rule],
    rule_id: str,
    point: float,
    left: float,
    right: float,
    value_at: float | None,
) -> None:
    """A jump of f′ shows open circles at both one-sided limits, and a filled dot at the value
    the derivative takes at the point when it takes one."""
    derivative = data_of(rules[rule_id]).derivative
    assert segments_across(derivative, point) == []
    opened = sorted((round(x, 9), round(y, 9)) for x, y in derivative.open_points if x == point)
    assert opened == sorted([(point, left), (point, right)])
    closed = [(round(x, 9), round(y, 9)) for x, y in derivative.closed_points if x == point]
    assert closed == ([] if value_at is None else [(point, value_at)])


def test_relu6_range_reaches_past_its_second_kink(rules: dict[str, Rule]) -> None:
    """The default [-5, 5] would hide ReLU6's kink at 6: the range widens to show it."""
    data = data_of(rules["relu6"])
    assert data.x_range[0] == -5.0
    assert data.x_range[1] > 6.5
    assert 6.0 in [round(b, 9) for b in data.breaks]


@pytest.mark.parametrize("rule_id", ["ln", "power-sqrt"])
def test_ln_and_sqrt_are_plotted_only_for_positive_x(rules: dict[str, Rule], rule_id: str) -> None:
    """ln x and √x (assumed x > 0) are drawn on (0, 5], right up to the edge at 0."""
    data = data_of(rules[rule_id])
    assert data.x_range == (0.0, 5.0)
    for curve in (data.function, data.derivative):
        x = finite_x(curve)
        assert x.min() > 0.0
        assert x.min() < 1e-6
        assert x.max() == 5.0


@pytest.mark.parametrize(
    ("function", "derivative"),
    [("ln(x)", "1/x"), ("sqrt(x)", "1/(2*sqrt(x))"), ("log(x - 1)", "1/(x - 1)")],
)
def test_without_an_assumption_the_range_is_narrowed_to_real_values(
    make_rule: Callable[..., Rule], function: str, derivative: str
) -> None:
    """No ``assume:`` at all: the range still starts where the function becomes real, and
    nothing is drawn where it is not."""
    data = data_of(make_rule(function, derivative))
    edge = 1.0 if "x - 1" in function else 0.0
    assert edge - 0.01 <= data.x_range[0] <= edge
    assert data.x_range[1] == 5.0
    for curve in (data.function, data.derivative):
        x = finite_x(curve)
        assert x.min() > edge
        assert x.min() < edge + 1e-3


def test_reciprocal_breaks_at_the_pole_and_keeps_both_branches(rules: dict[str, Rule]) -> None:
    """1/x: a break at 0, no vertical line through the pole, both branches drawn, and a vertical
    range that shows the hyperbola rather than the pole's huge values."""
    data = data_of(rules["power-reciprocal"])
    assert 0.0 in data.breaks
    for curve in (data.function, data.derivative):
        assert segments_across(curve, 0.0) == []
        x = finite_x(curve)
        assert (x < 0).any() and (x > 0).any()
    low, high = data.y_range
    assert -50 < low < -3 and 3 < high < 50
    # Near the pole the curve leaves the plot: it is drawn beyond the limits, not stopped short.
    assert value_near(data.function, 0.0, +1) > high
    assert value_near(data.function, 0.0, -1) < low
    assert data.function.open_points == ()  # a pole is not a jump with limits to mark


def test_huge_values_are_pulled_in_but_keep_their_direction(rules: dict[str, Rule]) -> None:
    """Values near a pole are clipped far outside the axes (matplotlib draws them reliably) while
    the line still leaves the plot in the right direction."""
    data = data_of(rules["power-reciprocal"])
    low, high = data.y_range
    y = data.derivative.y[np.isfinite(data.derivative.y)]
    assert y.min() >= low - 51 * (high - low)
    assert y.min() < low


def test_exp_is_shown_in_full(rules: dict[str, Rule]) -> None:
    """Without a pole nothing is cut: e^x up to e^5 fits in the vertical range."""
    low, high = data_of(rules["exp"]).y_range
    assert low < 0 < math.exp(5) < high


# --- the other symbols and the YAML settings ----------------------------------------------------


def test_other_symbols_default_to_one(rules: dict[str, Rule]) -> None:
    """(w x - target)² in w: x and target are 1 unless the YAML says otherwise, and the plot
    reports which values it used."""
    data = data_of(rules["linear-model-squared-error"])
    assert data.values == (("target", Fraction(1)), ("x", Fraction(1)))
    minimum = data.function.x[np.nanargmin(data.function.y)]
    assert abs(minimum - 1.0) < 0.02


def test_yaml_values_are_used(make_rule: Callable[..., Rule]) -> None:
    """``plot: values:`` sets the other symbols: the minimum of (w x - target)² moves to w = 1.5
    with target = 3 and x = 2."""
    rule = make_rule(
        "(w*x - target)**2",
        "2*(w*x - target)*x",
        variable="w",
        plot="{values: {target: 3, x: 2}}",
    )
    data = data_of(rule)
    assert dict(data.values) == {"target": Fraction(3), "x": Fraction(2)}
    minimum = data.function.x[np.nanargmin(data.function.y)]
    assert abs(minimum - 1.5) < 0.02


def test_a_symbol_assumed_negative_defaults_to_minus_one(make_rule: Callable[..., Rule]) -> None:
    """``assume: ["c < 0"]``: c is -1 on the plot, so c x² opens downwards."""
    data = data_of(make_rule("c*x**2", "2*c*x", assume='["c < 0"]'))
    assert data.values == (("c", Fraction(-1)),)
    assert np.nanmax(data.function.y) <= 1e-12


def test_a_probability_is_plotted_on_its_interval_only(make_rule: Callable[..., Rule]) -> None:
    """``0 < p < 1``: -ln p is drawn over (0, 1), never over p > 1 where it goes negative."""
    data = data_of(make_rule("-log(p)", "-1/p", variable="p", assume='["0 < p < 1"]'))
    assert data.x_range == (0.0, 1.0)
    x = finite_x(data.function)
    assert 0 < x.min() < 0.01 and 0.99 < x.max() <= 1.0


def test_a_lower_bound_starts_the_range(make_rule: Callable[..., Rule]) -> None:
    """``t >= 2``: the range starts at 2, not at -5."""
    data = data_of(make_rule("sqrt(t - 2)", "1/(2*sqrt(t - 2))", variable="t", assume='["t >= 2"]'))
    assert data.x_range[0] == 2.0


def test_another_symbol_takes_a_value_inside_its_interval(make_rule: Callable[..., Rule]) -> None:
    """A mixing ratio assumed 0 < r < 1 is drawn with r = 1/2, not with r = 1 (the L1 plot)."""
    data = data_of(make_rule("r*Abs(w) + (1 - r)*w**2", "r*sign(w) + 2*(1 - r)*w",
                             variable="w", assume='["0 < r < 1"]'))  # fmt: skip
    assert data.values == (("r", Fraction(1, 2)),)


def test_yaml_ranges_are_used(make_rule: Callable[..., Rule]) -> None:
    """``plot: {x: [...], y: [...]}`` sets both ranges exactly."""
    data = data_of(make_rule("x**3", "3*x**2", plot="{x: [-2, 3], y: [-1, 4.5]}"))
    assert data.x_range == (-2.0, 3.0)
    assert data.y_range == (-1.0, 4.5)
    x = finite_x(data.function)
    assert x.min() == -2.0 and x.max() == 3.0


def test_defaults_that_flatten_the_plot_are_replaced(rules: dict[str, Rule]) -> None:
    """x^n with n = 1 would show a line and a constant: the other symbols then take distinct
    values (n = 2), and the derivative is no longer flat."""
    data = data_of(rules["power-rule"])
    assert data.values == (("n", Fraction(2)),)
    assert np.nanmax(data.derivative.y) - np.nanmin(data.derivative.y) > 1


def test_author_values_are_never_replaced(make_rule: Callable[..., Rule]) -> None:
    """Even a flat plot stays as the author asked: n = 1 given in the YAML is kept."""
    rule = make_rule("x**n", "n*x**(n - 1)", assume='["x > 0"]', plot="{values: {n: 1}}")
    assert data_of(rule).values == (("n", Fraction(1)),)


# --- the legend (HTML under the image) ----------------------------------------------------------


def legend_of(rule: Rule) -> str:
    plot = plot_rule(rule)
    assert plot is not None, rule.id
    html_text = plot_html(rule, plot)
    return html_text[html_text.index('<div class="plot-legend">') :]


def test_the_legend_keys_each_line_to_its_typeset_formula(rules: dict[str, Rule]) -> None:
    """A solid key with f(x) and a dashed key with f′(x), each formula in MathJax, the
    piecewise one as cases (MathJax has them, unlike matplotlib's mathtext)."""
    legend = legend_of(rules["relu"])
    assert (
        '<div class="plot-entry"><span class="plot-key plot-key-function"></span>'
        r"\(f(x) = \max(0, x)\)</div>" in legend
    )
    derivative = legend.split('plot-key-derivative"></span>', 1)[1]
    assert derivative.startswith(r"\(f'(x) = \begin{cases}")
    assert "plot-values" not in legend  # ReLU has no other symbols


def test_the_legend_states_the_values_of_the_other_symbols(rules: dict[str, Rule]) -> None:
    """The plot of σ(wx + b) against w was drawn with b = 1 and x = 1: the legend says so, one
    formula a value, so that a long list wraps on a phone."""
    plot = plot_rule(rules["logistic-regression-weight"])
    assert plot is not None
    assert [name for name, _ in plot.values] == ["b", "x", "y"]
    assert r'<div class="plot-values">with \(b = 1\), \(x = 1\), \(y = 1\)</div>' in plot_html(
        rules["logistic-regression-weight"], plot
    )


def test_fractional_values_are_shown_to_four_digits(make_rule: Callable[..., Rule]) -> None:
    """A value from the YAML is kept exactly (and so is its plot); the legend rounds only what
    has more than four digits."""
    rule = make_rule("a*x**2", "2*a*x", plot="{values: {a: 0.125}, x: [-1, 1]}")
    plot = plot_rule(rule)
    assert plot is not None
    assert plot.values == (("a", Fraction(1, 8)),)
    assert r"with \(a = 0.125\)" in plot_html(rule, plot)
    third = plot_image(plot.file.data, (("a", Fraction(-1, 3)),))
    assert r"with \(a = -0.3333\)" in plot_html(rule, third)


def test_the_legend_escapes_html_and_the_alt_text_describes_the_plot(
    make_rule: Callable[..., Rule],
) -> None:
    """A < in a formula cannot open a tag, in the legend or in the alt text; the alt text names
    both lines and the values they were drawn with."""
    rule = make_rule(
        "Piecewise((x, x < 1), (1, True))", "Piecewise((1, x < 1), (0, x > 1))", plot="{x: [0, 2]}"
    )
    image = plot_image(b"png", (("w", Fraction(2)),))
    text = plot_html(rule, image)
    assert text.startswith("<img ")
    assert "x < 1" not in text and "x &lt; 1" in text
    alt = re.search(r'alt="([^"]*)"', text)
    assert alt is not None
    assert "(solid line)" in alt.group(1) and "(dashed line)" in alt.group(1)
    assert alt.group(1).endswith("drawn with w = 2")
    eighth = plot_html(rule, plot_image(b"png", (("w", Fraction(1, 8)),)))
    assert 'drawn with w = 0.125"' in eighth and r"with \(w = 0.125\)" in eighth


# --- bytes --------------------------------------------------------------------------------------


def test_png_bytes_are_identical_across_calls_and_after_other_plots(
    rules: dict[str, Rule],
) -> None:
    """The reused figure leaks nothing from one plot to the next: ReLU drawn before and after
    other plots gives the same bytes."""
    first = plot_rule(rules["relu"])
    for other in ("huber", "attention-score-key", "power-reciprocal"):
        assert plot_rule(rules[other]) is not None
    again = plot_rule(rules["relu"])
    assert first == again


PROCESS_SCRIPT = textwrap.dedent(
    """
    import hashlib, json, sys
    from ankigen.load.catalogue import load_catalogue
    from ankigen.render.plots import plot_rule
    from ankigen.plumbing.resources import bundled_catalogue
    rules = {r.id: r for r in load_catalogue([bundled_catalogue()]).rules}
    out = {}
    for rule_id in sys.argv[1:]:
        plot = plot_rule(rules[rule_id])
        out[rule_id] = hashlib.sha256(plot.file.data).hexdigest()
    print(json.dumps(out))
    """
)


def test_png_bytes_are_identical_in_another_process(rules: dict[str, Rule], tmp_path: Path) -> None:
    """A fresh interpreter draws the same bytes: nothing depends on process state or time."""
    ids = ["huber", "relu", "sigmoid"]
    result = subprocess.run(
        [sys.executable, "-c", PROCESS_SCRIPT, *ids],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    other = json.loads(result.stdout)
    for rule_id in ids:
        plot = plot_rule(rules[rule_id])
        assert plot is not None
        assert other[rule_id] == hashlib.sha256(plot.file.data).hexdigest(), rule_id


def test_pngs_carry_no_software_text_and_no_time(rules: dict[str, Rule]) -> None:
    """No ``Software`` tEXt (a matplotlib upgrade must not change every file) and no tIME."""
    plot = plot_rule(rules["sigmoid"])
    assert plot is not None
    assert_named_by_hash(plot.file)
    chunks = png_chunks(plot.file.data)
    kinds = [chunk[:4] for chunk in chunks]
    assert b"tIME" not in kinds
    for chunk in chunks:
        if chunk[:4] in (b"tEXt", b"zTXt", b"iTXt"):
            assert not chunk[4:].startswith(b"Software"), chunk[:40]
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND"


def test_the_plot_is_dark_ink_on_a_transparent_background(rules: dict[str, Rule]) -> None:
    """The card shows through the plot in either mode (night mode recolours it by CSS): the
    corner is fully transparent, and the function's line is drawn in the style's blue."""
    import io

    from PIL import Image

    plot = plot_rule(rules["sigmoid"])
    assert plot is not None
    image = Image.open(io.BytesIO(plot.file.data)).convert("RGBA")
    assert image.getpixel((0, 0))[3] == 0
    colours = {colour for _, colour in image.getcolors(maxcolors=1 << 20) or []}
    assert (0x00, 0x72, 0xB2, 255) in colours  # f, solid Okabe-Ito blue
    assert (0xD5, 0x5E, 0x00, 255) in colours  # f', vermillion


def test_every_plot_has_the_same_size(rules: dict[str, Rule]) -> None:
    """With the legend under the image, plots do not grow with their formulas: cards line up."""
    import io

    from PIL import Image

    sizes = set()
    for rule_id in ("sigmoid", "logistic-regression-weight", "relu6"):
        plot = plot_rule(rules[rule_id])
        assert plot is not None
        sizes.add(Image.open(io.BytesIO(plot.file.data)).size)
    assert len(sizes) == 1


# --- the cache ----------------------------------------------------------------------------------


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[[], list[str]]:
    """Every real drawing, by rule id, in this process or a worker forked from it (the real
    function runs; it is only counted, in a file that the workers append to)."""
    log = tmp_path / "renders.log"
    log.touch()
    real = plots._render

    def counted(rule: Rule) -> PlotImage | None:
        with log.open("a") as f:
            f.write(rule.id + "\n")
        return real(rule)

    monkeypatch.setattr(plots, "_render", counted)
    return lambda: log.read_text().split()


def draw(rules: list[Rule], cache: Cache | None) -> dict[str, Plot]:
    """The render stage's plots, as a build draws them (worker processes, the cache asked once)."""
    shown, warnings = draw_plots(rules, jobs=1, timeout=60, cache=cache, progress=Silent())
    assert not warnings
    return shown


def test_an_unchanged_rule_is_not_plotted_again(
    rules: dict[str, Rule], tmp_path: Path, renders: Callable[[], list[str]]
) -> None:
    """The second build reads the images from the cache instead of drawing them."""
    cache = Cache(tmp_path / "cache")
    first = draw([rules["tanh"]], cache)
    second = draw([rules["tanh"]], cache)
    assert renders() == ["tanh"]
    assert first == second


def test_a_plot_drawn_without_a_cache_is_the_cached_one(
    rules: dict[str, Rule], tmp_path: Path
) -> None:
    """A cached image is the image itself: the same bytes as one drawn afresh."""
    cached = draw([rules["tanh"]], Cache(tmp_path / "cache"))
    assert draw([rules["tanh"]], Cache(tmp_path / "cache")) == cached == draw([rules["tanh"]], None)


def test_a_corrupted_cache_entry_is_ignored_and_rewritten(
    rules: dict[str, Rule], tmp_path: Path, renders: Callable[[], list[str]]
) -> None:
    """A damaged entry is never returned: the plot is drawn again, identical, and the entry is
    written anew so that the next build hits the cache again."""
    cache = Cache(tmp_path / "cache")
    first = draw([rules["sigmoid"]], cache)
    assert first
    for entry in cache.folder.iterdir():
        data = bytearray(entry.read_bytes())
        data[-10] ^= 0xFF
        entry.write_bytes(bytes(data))
    second = draw([rules["sigmoid"]], cache)
    assert renders() == ["sigmoid", "sigmoid"]
    assert second == first
    third = draw([rules["sigmoid"]], cache)
    assert renders() == ["sigmoid", "sigmoid"]
    assert third == first


@pytest.mark.parametrize(
    "entry", [b"", b"no newline", b"[[1, 2, 3]]\n\x89PNG", b"[]\n", b'[["a", "1/0"]]\npng']
)
def test_a_cache_entry_that_cannot_be_read_is_drawn_again(
    rules: dict[str, Rule], tmp_path: Path, renders: Callable[[], list[str]], entry: bytes
) -> None:
    """An intact entry (its checksum agrees) whose content is not values-then-PNG is a miss."""
    cache = Cache(tmp_path / "cache")
    cache.put(plot_media.cache_key(rules["tanh"]), entry)
    shown = draw([rules["tanh"]], cache)
    assert renders() == ["tanh"]
    assert shown["tanh"].media[0].data.startswith(PNG_SIGNATURE)
    cached = plot_media.from_cache(rules["tanh"], cache)
    assert cached is not None and cached.file == shown["tanh"].media[0]


def test_the_cache_key_follows_the_math_and_settings_not_the_prose(
    make_rule: Callable[..., Rule],
) -> None:
    """Changing the plot settings or the function changes the key; the name, context or
    position of a rule does not (its images would be the same)."""
    base = make_rule("x**2", "2*x")
    renamed = make_rule("x**2", "2*x", tags="[renamed]")
    assert plot_media.cache_key(base) == plot_media.cache_key(renamed)
    assert plot_media.cache_key(base) != plot_media.cache_key(make_rule("x**3", "3*x**2"))
    assert plot_media.cache_key(base) != plot_media.cache_key(
        make_rule("x**2", "2*x", plot="{x: [0, 1]}")
    )


# --- the card's CSS ----------------------------------------------------------------------------


def test_the_card_css_recolours_the_plot_and_its_keys_in_both_night_mode_classes() -> None:
    """Desktop and iOS mark night mode with .nightMode, AnkiDroid with .night_mode: in both the
    plot and the legend's keys go through the same filter, so the keys match the lines."""
    from ankigen.plumbing.resources import asset_text

    css = asset_text("card.css")
    rule = re.search(r"([^{}]*)\{\s*filter:\s*invert\(0\.88\) hue-rotate\(180deg\);\s*\}", css)
    assert rule is not None
    selectors = {selector.strip() for selector in rule.group(1).split(",")}
    for mode in (".nightMode", ".night_mode"):
        assert f"{mode} .plot img.ankigen-plot" in selectors
        assert f"{mode} .plot-key" in selectors


# --- rules with shapes: contours of f over the plane of a 2-vector, arrows of its gradient -----

A_DEFAULT = np.array([[2.0, 1.0], [1.0, 3.0]])


def quadratic_2(derivative: str = "(A + A.T) @ x") -> Rule:
    return matrix_rule("quadratic-2", "x.T @ A @ x", "x", derivative, {"x": [2], "A": [2, 2]})


def test_a_scalar_function_of_a_2_vector_gets_its_contours_and_the_claims_arrows() -> None:
    """f on the grid is xᵀAx and each arrow is (A + Aᵀ)x at its foot, with A = [[2, 1], [1, 3]]
    as the legend says."""
    data = field_data(quadratic_2())
    assert data is not None
    gx, gy = np.meshgrid(data.grid, data.grid)
    expected = A_DEFAULT[0, 0] * gx**2 + 2 * gx * gy + A_DEFAULT[1, 1] * gy**2
    assert np.allclose(data.values_grid, expected)
    x, y, u, v = data.arrows
    assert x.size == 81
    gradient = (A_DEFAULT + A_DEFAULT.T) @ np.vstack([x, y])
    assert np.allclose(u, gradient[0]) and np.allclose(v, gradient[1])
    assert data.square == (-3.0, 3.0)


def test_the_arrows_are_the_claim_as_written_not_a_gradient_computed_anew() -> None:
    """The plot draws the proved claim itself: a claim of 2Ax draws 2Ax (a wrong claim never
    reaches a plot, because it is never proved; this shows which expression is drawn)."""
    data = field_data(quadratic_2("2 * A @ x"))
    assert data is not None
    x, y, u, v = data.arrows
    gradient = 2 * A_DEFAULT @ np.vstack([x, y])
    assert np.allclose(u, gradient[0]) and np.allclose(v, gradient[1])


def test_a_condition_masks_where_it_fails_and_an_undefined_value_is_not_drawn() -> None:
    """‖x‖ with ‖x‖ > 0: no arrow and no value at the origin; ln‖x‖² has no value there."""
    rule = matrix_rule("norm-2", "norm(x)", "x", "x / norm(x)", {"x": [2]}, ["norm(x) > 0"])
    data = field_data(rule)
    assert data is not None
    middle = len(data.grid) // 2
    assert data.grid[middle] == 0.0 and np.isnan(data.values_grid[middle, middle])
    assert np.isfinite(data.values_grid).sum() == data.values_grid.size - 1
    x, y, u, v = data.arrows
    assert x.size == 80 and not np.any((x == 0) & (y == 0))
    assert np.allclose(np.hypot(u, v), 1.0)
    log = matrix_rule("log-norm", "log(norm(x)**2)", "x", "2 * x / norm(x)**2", {"x": [2]})
    log_data = field_data(log)
    assert log_data is not None and np.isnan(log_data.values_grid[middle, middle])


def test_only_a_scalar_function_of_a_2_vector_gets_a_plot_among_rules_with_shapes() -> None:
    """A vector [n], [3], a matrix, or a vector-valued function (a Jacobian) would give a
    misleading picture, or none at all: no plot. Of the bundled matrix deck, only the rules
    of a 2-vector get one."""
    others = [
        matrix_rule("n", "x.T @ A @ x", "x", "(A + A.T) @ x", {"x": ["n"], "A": ["n", "n"]}),
        matrix_rule("three", "x.T @ x", "x", "2 * x", {"x": [3]}),
        matrix_rule("jacobian", "A @ x", "x", "A", {"x": [2], "A": [2, 2]}),
        matrix_rule("matrix", "trace(X)", "X", "X / X", {"X": [2, 2]}),
        matrix_rule("by-a", "a.T @ x", "a", "x", {"x": [2], "a": ["n"]}),
        *catalogue_rules(),
    ]
    planar = {r.id for r in catalogue_rules() if dict(r.shapes).get(r.variable) == ("2",)}
    assert planar == {"quadratic-bowl-in-the-plane", "log-sum-exp-in-the-plane"}
    assert all(plot_media.wants_plot(r) for r in catalogue_rules() if r.id in planar)
    others = [rule for rule in others if rule.id not in planar]
    for rule in others:
        assert not plot_media.wants_plot(rule), rule.id
        assert plot_rule(rule) is None and field_data(rule) is None and plot_data(rule) is None
    assert plot_media.wants_plot(quadratic_2()) and plot_data(quadratic_2()) is None


def test_plot_false_turns_a_field_plot_off() -> None:
    rule = dataclasses.replace(quadratic_2(), plot=PlotSettings(enabled=False))
    assert not plot_media.wants_plot(rule) and plot_rule(rule) is None


def test_a_field_plot_has_deterministic_bytes_the_common_size_and_both_inks(
    rules: dict[str, Rule],
) -> None:
    import io

    from PIL import Image

    first = plot_rule(quadratic_2())
    assert first is not None and plot_rule(rules["sigmoid"]) is not None
    again = plot_rule(quadratic_2())
    assert first == again
    assert_named_by_hash(first.file)
    image = Image.open(io.BytesIO(first.file.data)).convert("RGBA")
    sigmoid = plot_rule(rules["sigmoid"])
    assert sigmoid is not None
    assert image.size == Image.open(io.BytesIO(sigmoid.file.data)).size
    corner = image.getpixel((0, 0))
    assert isinstance(corner, tuple) and corner[3] == 0
    colours = {colour for _, colour in image.getcolors(maxcolors=1 << 20) or []}
    assert (0x00, 0x72, 0xB2, 255) in colours  # the contours, in f's colour
    assert (0xD5, 0x5E, 0x00, 255) in colours  # the arrows, in the derivative's


FIELD_SCRIPT = textwrap.dedent(
    """
    import hashlib, sys
    sys.path.insert(0, sys.argv[1])
    from matrix_rules import matrix_rule
    from ankigen.render.plots import plot_rule
    rule = matrix_rule("quadratic-2", "x.T @ A @ x", "x", "(A + A.T) @ x", {"x": [2], "A": [2, 2]})
    print(hashlib.sha256(plot_rule(rule).file.data).hexdigest())
    """
)


def test_a_field_plot_has_the_same_bytes_in_another_process(tmp_path: Path) -> None:
    tests = str(Path(__file__).parent)
    result = subprocess.run(
        [sys.executable, "-c", FIELD_SCRIPT, tests],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    plot = plot_rule(quadratic_2())
    assert plot is not None
    assert result.stdout.strip() == hashlib.sha256(plot.file.data).hexdigest()


def test_the_legend_keys_contours_to_f_and_arrows_to_the_gradient_with_every_value() -> None:
    rule = matrix_rule(
        "ridge-2",
        "x.T @ A @ x + lam * norm(x - b)**2",
        "x",
        "(A + A.T) @ x + 2 * lam * (x - b)",
        {"x": [2], "A": [2, 2], "b": [2]},
    )
    rule = dataclasses.replace(rule, plot=PlotSettings(values=(("lam", Fraction(1, 2)),)))
    plot = plot_rule(rule)
    assert plot is not None and plot.values == (("lam", Fraction(1, 2)),)
    shown = plot_html(rule, plot)
    assert "contours of&nbsp;\\(f(\\mathbf{x}) = \\mathbf{x}^{\\top}" in shown
    assert re.search(r"arrows:&nbsp;\\\((\\small )?\\nabla f\(\\mathbf\{x\}\) = ", shown)
    assert "\\(\\lambda = 0.5\\)" in shown
    assert "\\(\\mathbf{A} = \\begin{pmatrix} 2 &amp; 1 \\\\ 1 &amp; 3 \\end{pmatrix}\\)" in shown
    assert "\\(\\mathbf{b} = \\begin{pmatrix} 2 \\\\ 1 \\end{pmatrix}\\)" in shown
    alt = re.search(r'alt="([^"]*)"', shown)
    assert alt is not None
    assert "arrows of its gradient" in alt.group(1)
    assert "A = [[2, 1], [1, 3]], b = [2, 1]" in alt.group(1) and "lam = 0.5" in alt.group(1)
    data = field_data(rule)
    assert data is not None
    x, y, u, _ = data.arrows
    b = np.array([2.0, 1.0])
    assert np.allclose(u, (A_DEFAULT + A_DEFAULT.T)[0] @ np.vstack([x, y]) + (x - b[0]))


def test_a_field_plot_is_cached_and_read_back_with_its_values(tmp_path: Path) -> None:
    rule = dataclasses.replace(
        matrix_rule("scaled-2", "lam * x.T @ x", "x", "2 * lam * x", {"x": [2]}),
        plot=PlotSettings(values=(("lam", Fraction(3)),)),
    )
    store = Cache(tmp_path / "cache")
    drawn = draw([rule], store)
    cached = plot_media.from_cache(rule, store)
    assert cached is not None and cached.values == (("lam", Fraction(3)),)
    assert drawn[rule.id].media == (cached.file,)


def test_a_variable_with_a_subscript_labels_its_axes_without_a_double_subscript() -> None:
    """w1's entries are w_{1,1} and w_{1,2}: mathtext refuses w_{1}_1, which would lose the plot."""
    rule = matrix_rule("w1", "norm(w1)**2 + w1.T @ a", "w1", "2 * w1 + a", {"w1": [2], "a": [2]})
    assert plot_rule(rule) is not None
    assert plots._entry("w1", 2) == "w_{1,2}" and plots._entry("x", 1) == "x_{1}"


def test_a_scalar_only_a_condition_names_is_stated_and_the_cache_reads_it_back(
    tmp_path: Path,
) -> None:
    """assume: ["c > 0"] with c nowhere else: c gets a value (the mask needs one), the legend
    states it, and the cached plot is read back rather than drawn at every build."""
    rule = matrix_rule("c-only", "x.T @ x", "x", "2 * x", {"x": [2]}, ["c > 0"])
    plot = plot_rule(rule)
    assert plot is not None and plot.values == (("c", Fraction(1)),)
    store = Cache(tmp_path / "cache")
    draw([rule], store)
    cached = plot_media.from_cache(rule, store)
    assert cached is not None and cached.file == plot.file
    assert "\\(c = 1\\)" in plot_html(rule, plot)


def _parsed_math_in_child(queue: Any) -> None:
    from matplotlib.mathtext import MathTextParser

    queue.put(MathTextParser._parse_cached.cache_info().currsize)


def test_a_forked_worker_never_draws_with_the_parents_parsed_math(
    rules: dict[str, Rule],
) -> None:
    """The mathtext a parent has parsed holds its FreeType fonts, whose open files a forked
    worker shares with it and with its siblings: read at once, they drew a label's f as ö. A
    worker starts with none of it (as matplotlib's own font cache does)."""
    import multiprocessing

    from matplotlib.mathtext import MathTextParser

    assert plot_rule(rules["sigmoid"]) is not None  # the parent draws: labels are parsed
    assert MathTextParser._parse_cached.cache_info().currsize > 0
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_parsed_math_in_child, args=(queue,))
    child.start()
    child.join(60)
    assert queue.get(timeout=10) == 0
