"""Formulas pre-rendered as SVG (``--math svg``): all of them, the same bytes every time, and
never a formula silently left as raw LaTeX.

The formulas are the real ones: every ``\\( … \\)`` and ``\\[ … \\]`` span of every field that
:func:`ankigen.render.notes.render_note` produces for the bundled catalogue, ``cases`` included.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import json
import re
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from matrix_rules import catalogue_rules, matrix_rule

from ankigen.errors import AnkigenError
from ankigen.load.catalogue import load_catalogue
from ankigen.plumbing import workers
from ankigen.plumbing.cache import CACHE_ENV, Cache
from ankigen.plumbing.resources import asset_text, bundled_catalogue
from ankigen.records import Rule
from ankigen.render import mathsvg
from ankigen.render.mathsvg import MathRenderError, math_html, render_svg, svg_field
from ankigen.render.notes import render_note
from ankigen.render.plot_media import plot_html, plot_image

SPAN = re.compile(r"\\\((.*?)\\\)|\\\[(.*?)\\\]", re.DOTALL)
NAME = re.compile(r"ankigen-math-([0-9a-f]{16})\.svg")
SVG = "{http://www.w3.org/2000/svg}svg"


@pytest.fixture(autouse=True)
def private_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test writes into the user's real cache folder."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "user-cache"))


@pytest.fixture(scope="module")
def rules() -> tuple[Rule, ...]:
    return load_catalogue([bundled_catalogue()]).rules


@pytest.fixture(scope="module")
def formulas(rules: tuple[Rule, ...]) -> list[tuple[str, bool]]:
    """Every distinct (LaTeX, display) of the bundled catalogue's cards, unescaped."""
    found: dict[tuple[str, bool], None] = {}
    for rule in rules:
        for field in render_note(rule).fields:
            for match in SPAN.finditer(field):
                display = match.group(2) is not None
                found[html.unescape(match.group(2) if display else match.group(1)), display] = None
    return list(found)


def test_the_catalogue_has_the_formulas_this_file_is_about(
    formulas: list[tuple[str, bool]],
) -> None:
    """The collection itself works: many formulas, piecewise ones and inline ones among them."""
    assert len(formulas) > 100
    assert any(r"\begin{cases}" in latex for latex, _ in formulas)
    assert any(not display for _, display in formulas)


def test_every_formula_of_the_catalogue_renders_to_svg(formulas: list[tuple[str, bool]]) -> None:
    """Each formula becomes a well-formed SVG, named by the hash of its bytes."""
    for latex, display in formulas:
        media = render_svg(latex, display, cache=None)
        match = NAME.fullmatch(media.name)
        assert match, media.name
        assert match.group(1) == hashlib.sha256(media.data).hexdigest()[:16]
        root = ET.fromstring(media.data)  # noqa: S314 - our own output
        assert root.tag == SVG, latex
        assert (
            root.find("{http://www.w3.org/2000/svg}use") is not None
            or root.find(".//{http://www.w3.org/2000/svg}path") is not None
        ), latex
        assert b"\\" not in media.data, latex  # no LaTeX command left as text


def test_piecewise_formulas_render(formulas: list[tuple[str, bool]]) -> None:
    """``cases`` (where matplotlib's mathtext fails) renders, with a stretched brace."""
    cases = [latex for latex, _ in formulas if r"\begin{cases}" in latex]
    assert cases
    for latex in cases:
        assert len(render_svg(latex, cache=None).data) > 1000


def test_svg_bytes_are_identical_across_calls(formulas: list[tuple[str, bool]]) -> None:
    """Rendering twice gives the same bytes (no dates, no random ids)."""
    for latex, display in formulas[:20]:
        assert render_svg(latex, display, cache=None) == render_svg(latex, display, cache=None)


PROCESS_SCRIPT = textwrap.dedent(
    """
    import hashlib, json, sys
    from ankigen.render.mathsvg import render_svg
    latex = json.loads(sys.stdin.read())
    print(json.dumps([hashlib.sha256(render_svg(t, d, cache=None).data).hexdigest()
                      for t, d in latex]))
    """
)


def test_svg_bytes_are_identical_in_another_process(
    formulas: list[tuple[str, bool]], tmp_path: Path
) -> None:
    """A fresh interpreter renders byte-identical files."""
    sample = [f for f in formulas if r"\begin{cases}" in f[0]][:3] + formulas[:5]
    result = subprocess.run(
        [sys.executable, "-c", PROCESS_SCRIPT],
        input=json.dumps(sample),
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    mine = [hashlib.sha256(render_svg(t, d, cache=None).data).hexdigest() for t, d in sample]
    assert json.loads(result.stdout) == mine


@pytest.mark.parametrize(
    ("latex", "reason"),
    [
        (r"\foo{x} + 1", r"unknown LaTeX command \foo"),
        (r"x + \notacommand", r"unknown LaTeX command \notacommand"),
        (r"\frac{1}{", "cannot render the formula"),
        (r"\text{a & b}", "invalid MathML"),
    ],
)
def test_a_formula_that_cannot_render_is_an_error_never_raw_latex(latex: str, reason: str) -> None:
    """latex2mathml passes an unknown command through as text: that is caught and reported as an
    ankigen error naming the formula, instead of an image showing ``\\foo``."""
    with pytest.raises(MathRenderError) as caught:
        render_svg(latex, cache=None)
    assert reason in str(caught.value)
    assert latex in str(caught.value.latex)
    assert isinstance(caught.value, AnkigenError)


def test_inline_math_html_sits_on_the_baseline_with_the_latex_as_alt() -> None:
    """An inline formula: class math-inline, width and a negative vertical-align in em (so it
    follows the text size and baseline), and the LaTeX source, escaped, as alt text."""
    latex = r"x < \frac{a}{b} \& y > \text{more}"
    tag, media = math_html(latex, display=False, cache=None)
    assert tag.startswith('<img class="math math-inline" ')
    assert f'src="{media.name}"' in tag
    assert f'alt="{html.escape(latex, quote=True)}"' in tag
    assert re.search(r'style="width:[0-9.]+em;vertical-align:-[0-9.]+em"', tag)
    assert "< \\frac" not in tag


def test_display_math_html_is_a_block_without_baseline_shift() -> None:
    """A displayed formula: class math-display, a width in em, no vertical-align."""
    tag, media = math_html(r"\frac{d}{dx}\, x^{2}", display=True, cache=None)
    assert tag.startswith('<img class="math math-display" ')
    assert re.search(r'style="width:[0-9.]+em"', tag)
    assert "vertical-align" not in tag
    assert media.name in tag


def test_display_and_inline_styles_are_different_images() -> None:
    """A fraction is typeset larger in display style: the two are different files."""
    assert render_svg(r"\frac{1}{x}", True, cache=None) != render_svg(
        r"\frac{1}{x}", False, cache=None
    )


def test_svg_field_replaces_every_span_of_every_bundled_field(rules: tuple[Rule, ...]) -> None:
    """After svg_field no MathJax delimiter is left in any field, and every image it refers to
    is among the files it returns."""
    for rule in rules[:25]:
        for field in render_note(rule).fields:
            new, media = svg_field(field, cache=None)
            assert "\\(" not in new and "\\[" not in new, rule.id
            names = {m.name for m in media}
            sources = re.findall(r'src="(ankigen-math-[0-9a-f]{16}\.svg)"', new)
            assert set(sources) == names, rule.id
            assert len(sources) == len(SPAN.findall(field)), rule.id


def test_svg_field_keeps_the_text_around_the_formulas() -> None:
    """Only the spans change; the HTML around them is kept as it was."""
    field = r"where \(x &lt; 1\)<br>for \(y &gt; 0\)"
    new, media = svg_field(field, cache=None)
    assert new.startswith("where <img ")
    assert "<br>for <img " in new
    assert 'alt="x &lt; 1"' in new
    assert len(media) == 2


def test_a_rendered_formula_is_read_from_the_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The second time a formula is asked for, it is not rendered again; a damaged cache entry
    is rendered afresh, to the same bytes."""
    calls: list[str] = []
    real = mathsvg.typeset

    def counted(formula: mathsvg.Formula) -> mathsvg.RenderedMath:
        calls.append(formula.latex)
        return real(formula)

    monkeypatch.setattr(mathsvg, "typeset", counted)
    cache = Cache(tmp_path / "cache")
    first = math_html(r"\sigma(x)", False, cache=cache)
    assert math_html(r"\sigma(x)", False, cache=cache) == first
    assert calls == [r"\sigma(x)"]
    for entry in cache.folder.glob("*.entry"):
        entry.write_bytes(entry.read_bytes()[:-20])
    assert math_html(r"\sigma(x)", False, cache=cache) == first
    assert calls == [r"\sigma(x)", r"\sigma(x)"]


def test_the_card_css_inverts_formula_images_in_night_mode() -> None:
    """The SVGs are black ink on transparent: both night-mode classes invert them."""
    css = asset_text("card.css")
    assert re.search(
        r"\.nightMode img\.math,\s*\.night_mode img\.math\s*\{\s*filter:\s*invert", css
    )
    assert re.search(r"img\.math-display\s*\{[^}]*display:\s*block", css)


GOOD_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" viewBox="0 0 10 10">'
    b'<symbol id="g"><path d="M 0 0 L 1 1 Z" /></symbol><use href="#g" x="0" y="0" /></svg>'
)


@pytest.mark.parametrize(
    "entry",
    [
        b"1 1 inf\n" + GOOD_SVG,
        b"nan 1 1\n" + GOOD_SVG,
        b"1e300 1 1\n" + GOOD_SVG,
        b"1 1\n" + GOOD_SVG,
        b"1 1 1\n" + GOOD_SVG.replace(b"<symbol", b"<script>alert(1)</script><symbol"),
        b"1 1 1\n" + GOOD_SVG.replace(b'<path d="', b'<path onload="alert(1)" d="'),
        b"1 1 1\n" + GOOD_SVG.replace(b'href="#g"', b'href="javascript:alert(1)"'),
        b"1 1 1\n" + GOOD_SVG.replace(b"<symbol", b"<foreignObject />\n<symbol"),
        b"1 1 1\n" + GOOD_SVG.replace(b"<symbol", b"<style>body{display:none}</style><symbol"),
        b"1 1 1\n" + GOOD_SVG.replace(b'id="g">', b'id="g">text'),
        b'1 1 1\n<!DOCTYPE svg [<!ENTITY a "aaaa">]>' + GOOD_SVG,
        b"1 1 1\n<html><body>not svg</body></html>",
        b"1 1 1\n" + GOOD_SVG[:-6],
    ],
)
def test_a_cached_formula_is_untrusted_input(tmp_path: Path, entry: bytes) -> None:
    """Even a verified entry must hold three sane sizes and an SVG of shapes only: no script,
    event handler, style, foreign object, link out of the image or entity; else it is typeset
    again."""
    cache = Cache(tmp_path / "cache")
    formula = mathsvg.Formula(r"\sigma(x)", False)
    cache.put(mathsvg._key(formula.latex, formula.display), entry)
    assert mathsvg.from_cache(formula, cache) is None
    good = b"1 1 1\n" + GOOD_SVG
    cache.put(mathsvg._key(formula.latex, formula.display), good)
    assert mathsvg.from_cache(formula, cache) is not None


# Beyond the bundled formulas: stretchy operators under accents, in scripts and in roots; names
# ziamath turns into operators; matrices and tables.
TRICKY_FORMULAS = [
    r"\widehat{\left(\frac{a}{b}\right)}",
    r"\overbrace{\left(\frac{1}{x}\right)^{2}}",
    r"\underbrace{\left[\frac{1}{\left(1+\frac{1}{x}\right)}\right]}_{n}",
    r"\overline{\left(\frac{a}{b}\right)}",
    r"\sqrt{\left(\frac{\left(x\right)}{2}\right)}",
    r"\sqrt[3]{\frac{\left(x\right)}{2}}",
    r"\left\{\begin{matrix}\left(\frac{1}{2}\right)\end{matrix}\right.",
    r"x_{\left(\frac{i}{2}\right)}^{\left|\frac{1}{n}\right|}",
    r"\sum_{k=1}^{n} \left(\frac{a_{k}}{b}\right) \prod_{j} x_{j}",
    r"e^{\ln\left(\frac{x}{2}\right)} \log_{2}{\frac{x}{y}}",
    r"\frac{\sin \frac{x}{2}}{\left\|\frac{\max(a, b)}{c}\right\|}",
    r"\overset{\left(\frac{1}{2}\right)}{x} \underset{\to}{\lim} \frac{1}{x}",
    r"\begin{pmatrix} \frac{1}{2} & \left(x\right) \\ "
    r"\sqrt{y} & \frac{\left(z\right)}{3} \end{pmatrix}",
]


def test_the_speed_ups_of_ziamath_change_no_byte_of_any_formula(
    formulas: list[tuple[str, bool]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """ziamath as it is (nested "no stretch" passes, exponential in nesting; deep copies of
    styles; sizes converted afresh at every call) and as mathsvg speeds it up draw every
    bundled formula, and tricky ones, to the same bytes and sizes."""
    mathsvg.warm_up()
    from ziamath import styles
    from ziamath.nodes.mnode import Mnode
    from ziamath.nodes.mrow import Mrow

    sample = [mathsvg.Formula(t, d) for t, d in formulas]
    sample += [mathsvg.Formula(t, d) for t in TRICKY_FORMULAS for d in (True, False)]
    fast = [mathsvg.typeset(f) for f in sample]
    monkeypatch.setattr(Mrow, "_get_height_nostretch", Mrow._get_height_nostretch.__wrapped__)
    monkeypatch.setattr(styles, "asdict", dataclasses.asdict)
    monkeypatch.setattr(Mnode, "size_px", Mnode.size_px.__wrapped__)
    assert [mathsvg.typeset(f) for f in sample] == fast
    # and every one of them passes the checks of a cache entry, so it is read back, not redone
    assert all(mathsvg._unpack(mathsvg._pack(rendered)) == rendered for rendered in fast)


def test_a_deeply_nested_formula_takes_time_in_proportion_not_exponentially() -> None:
    """16 nested fractions took minutes (the time doubled with each level); now they render in
    well under a second. Typeset in the worker pool, so that the test fails instead of hanging."""
    formula = mathsvg.Formula(r"\frac{1}{1 + " * 16 + "x" + "}" * 16, True)
    mathsvg.warm_up()
    (result,) = workers.run(
        mathsvg.typeset,
        [formula],
        timeout=30,
        jobs=1,
        on_timeout=lambda _: "timed out",
        on_failure=lambda _, reason: reason,
    )
    assert isinstance(result, mathsvg.RenderedMath), result


def _symbols(svg: bytes) -> dict[int, str]:
    """The glyphs an SVG draws, by glyph id, with their <symbol> element's text."""
    found = re.findall(r'<symbol id="[^"]*?_(-?\d+)"[^>]*>.*?</symbol>', svg.decode(), re.DOTALL)
    bodies = re.findall(r'<symbol id="[^"]*?_-?\d+"[^>]*>.*?</symbol>', svg.decode(), re.DOTALL)
    return {int(glyph): body for glyph, body in zip(found, bodies, strict=True)}


@pytest.mark.parametrize("rows", [2, 3, 6], ids=["size-variant", "larger-variant", "assembled"])
def test_the_brace_of_a_piecewise_keeps_its_middle(rows: int) -> None:
    """STIX Two's braces narrow to a hairline at the nose, which vanished at reading size (the
    brace looked cut in two): each brace is drawn with a stroke around its outline, thick enough
    to keep the junction about a pixel wide, and no other glyph is."""
    latex = "\\begin{cases} " + " \\\\ ".join([r"x & \text{if } x > 0"] * rows) + " \\end{cases}"
    glyphs = _symbols(render_svg(latex, cache=None).data)
    stroked = {glyph for glyph, body in glyphs.items() if "stroke-width" in body}
    assert len(stroked) == 1, glyphs.keys()
    (body,) = (glyphs[glyph] for glyph in stroked)
    width = float(re.search(r'stroke-width="([\d.]+)"', body).group(1))  # type: ignore[union-attr]
    assert width >= 0.4


# --- vectors and matrices -------------------------------------------------------------------------


def _matrix_formulas() -> list[tuple[str, bool]]:
    """Every distinct formula of the matrix cards (the bundled vectors-and-matrices deck) and of the
    legend of a field plot, unescaped."""
    rules = [
        *catalogue_rules(),
        matrix_rule(
            "field",
            "x.T @ A @ x + norm(x - b)",
            "x",
            "(A + A.T) @ x + (x - b) / norm(x - b)",
            {"x": [2], "A": [2, 2], "b": [2]},
        ),
    ]
    fields = [field for rule in rules for field in render_note(rule).fields]
    fields.append(plot_html(rules[-1], plot_image(b"\x89PNG\r\n\x1a\n", ())))
    golden = Path(__file__).parent / "golden" / "latex"
    for case in sorted(golden.glob("matrix-*.tex")):  # every construct of the printer's cases
        fields.append(f"\\[{html.escape(case.read_text(encoding='utf-8').splitlines()[1])}\\]")
    found: dict[tuple[str, bool], None] = {}
    for field in fields:
        for match in SPAN.finditer(field):
            display = match.group(2) is not None
            found[html.unescape(match.group(2) if display else match.group(1)), display] = None
    return list(found)


def test_every_formula_of_the_matrix_cards_renders_to_svg() -> None:
    """Bold symbols, ⊤, ⊙, ‖·‖, tr, det, diag, Σ with its index beside it, ℝⁿˣⁿ, ∇ and ∂, and
    the matrices of a plot's legend: ziamath knows every command (no LaTeX is left as text)."""
    formulas = _matrix_formulas()
    commands = {c for latex, _ in formulas for c in re.findall(r"\\[A-Za-z]+", latex)}
    assert {"\\mathbf", "\\boldsymbol", "\\top", "\\odot", "\\lVert", "\\operatorname", "\\det",
            "\\sum", "\\textstyle", "\\mathbb", "\\nabla", "\\partial", "\\times", "\\in",
            "\\begin"} <= commands  # fmt: skip
    for latex, display in formulas:
        media = render_svg(latex, display, cache=None)
        root = ET.fromstring(media.data)  # noqa: S314 - our own output
        assert root.tag == SVG, latex
        assert b"\\" not in media.data, latex


def test_a_bold_vector_is_drawn_unlike_an_italic_scalar() -> None:
    """ziamath draws \\mathbf and \\boldsymbol in other glyphs, not silently as plain letters."""
    for bold, plain in (("\\mathbf{x}", "x"), ("\\boldsymbol{\\mu}", "\\mu")):
        assert render_svg(bold, cache=None).data != render_svg(plain, cache=None).data
