"""Every side of every bundled card fits a phone and a desktop, light and night, in Anki.

First the parts, in Python: formulas are broken into lines that fit a width (``layout.fit``,
with ``texwidth``'s estimate), and each side shows the helpers it should. Then the real thing:
the bundled deck is built, imported into a new collection by Anki's own backend, and every side
of every card, rendered by that backend, is typeset by Anki's own MathJax (from the ``aqt``
wheel, see ``tests/anki_web.py``) in headless Debian Chromium, all in one page and one browser
run. Each side sits in a box of a screen's width, playing the reviewer's ``<body>``; for each
width and theme a probe lists every element that is wider than its box (``scrollWidth >
clientWidth``: it scrolls sideways, or is cut off) and every formula or image that reaches
outside the card. A side made too wide on purpose shares the page, so the probe is seen to catch
what it is meant to catch.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from anki_web import (
    CHROMIUM,
    AnkiWeb,
    Side,
    anki_sides,
    anki_web_files,
    probe_page,
    reviewer_page,
)
from bundled_ids import ADDED_IDS, LESSON_IDS
from matrix_rules import matrix_rule

from ankigen.build import build, load
from ankigen.expr import latex, layout, texwidth
from ankigen.expr.parse import Scope, parse_expression
from ankigen.expr.tree import Node
from ankigen.load.catalogue import load_catalogue
from ankigen.plumbing.resources import asset_text, bundled_catalogue
from ankigen.records import Options, Rule
from ankigen.render import render
from ankigen.render.notes import DISPLAY_WIDTH, FIELDS, render_note, symbol_shapes
from ankigen.write.lockfile import Times
from ankigen.write.package import write_package

BUNDLED_NOTES = len(LESSON_IDS) + sum(len(ids) for ids in ADDED_IDS.values())


def matrix_cards() -> list[Rule]:
    """Cards of rules with shapes beyond the bundled ones (which the bundled deck's test
    covers): rules of a 2-vector, whose field plots have the widest legends (values of
    matrices, ∇f)."""
    plane = {"x": [2], "A": [2, 2], "b": [2]}
    return [
        matrix_rule("field-quadratic", "x.T @ A @ x", "x", "(A + A.T) @ x", plane),
        matrix_rule("field-norm", "norm(x)", "x", "x / norm(x)", {"x": [2]}, ["norm(x) > 0"]),
        matrix_rule(
            "field-ridge",
            "x.T @ A @ x + lam * norm(x - b)**2 + log(sum(exp(x)))",
            "x",
            "(A + A.T) @ x + 2 * lam * (x - b) + exp(x) / sum(exp(x))",
            plane,
        ),
    ]


MATRIX_NOTES = len(matrix_cards())
WIDTHS = (360, 400, 800)  # CSS px: the narrowest common phone, a large phone, a desktop window
THEMES = ("light", "night")
TOO_WIDE = "made-too-wide"


# --- breaking formulas into lines ------------------------------------------------------------


def _node(expression: str, variable: str = "x") -> Node:
    return parse_expression(expression, Scope({}, variable))


def _lines(tex: str) -> list[str]:
    """The lines of a fitted formula: the rows of its outer ``aligned``, or the one line
    (without the size it may be set in)."""
    body = re.sub(r"^\\(small|footnotesize|scriptsize) ", "", tex)
    body = body.removeprefix("\\begin{aligned} ").removesuffix(" \\end{aligned}")
    return [line.strip().removeprefix("& ") for line in body.split(" \\\\ ")]


def _balanced(tex: str) -> bool:
    """Braces balance, and every \\left has its \\right (MathJax refuses anything else)."""
    depth = 0
    for char in tex.replace("\\{", "").replace("\\}", ""):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0 and tex.count("\\left") == tex.count("\\right")


def test_a_formula_that_fits_stays_as_the_printer_writes_it() -> None:
    node = _node("x*exp(x)*(1 - exp(x))")
    assert layout.fit(node, DISPLAY_WIDTH) == latex.latex(node)


def test_a_formula_a_little_too_wide_is_set_a_size_smaller_rather_than_broken() -> None:
    """One line at 85 % reads better than two: \\small comes before any line break."""
    node = _node("x*exp(x)*(1 - exp(x))*(2 + exp(x))")
    width = texwidth.width(latex.latex(node))
    assert layout.fit(node, width * 0.9) == f"\\small {latex.latex(node)}"


def test_a_long_sum_goes_over_lines_at_its_operators_each_of_which_fits() -> None:
    """Forty terms at a phone's width: every line fits, each continued line starts with its
    operator (after {} so that it stays binary), and nothing is lost or reordered."""
    node = _node(" + ".join(f"x**{i}" for i in range(2, 42)))
    tex = layout.fit(node, DISPLAY_WIDTH)
    lines = _lines(tex)
    assert "\\begin{aligned}" in tex and len(lines) > 4
    assert texwidth.width(tex) <= DISPLAY_WIDTH  # its widest line, at its size
    assert all(line.startswith("\\quad {} + ") for line in lines[1:])
    joined = " ".join(line.removeprefix("\\quad {} ") for line in lines)
    assert joined == latex.latex(node).replace(" + ", " + ")


def test_a_long_product_breaks_between_factors_with_a_dot() -> None:
    node = _node("(x + 1)*(x + 2)*(x + 3)*(x + 4)*(x + 5)*(x + 6)*(x + 7)")
    lines = _lines(layout.fit(node, DISPLAY_WIDTH))
    assert len(lines) > 1
    assert all(line.startswith("\\quad {} \\cdot \\left(") for line in lines[1:])


def test_a_long_piecewise_shows_each_condition_under_its_value() -> None:
    """The ELU question is too wide with its conditions beside the values, and fits with
    them under (the way a phone shows SELU's)."""
    node = _node("Piecewise((x, x > 0), (alpha*(exp(x) - 1), True))")
    tex = layout.derivative_of(node, "x", 8.0)
    assert texwidth.width(tex) <= 8.0
    assert "x \\\\ \\qquad \\text{if } x > 0" in tex
    assert "\\qquad \\text{otherwise}" in tex
    assert "&" not in tex  # one column: nothing beside a value


def test_a_long_argument_is_broken_inside_its_brackets() -> None:
    """ln(…) of a long sum: the brackets span the lines (\\left( … \\right. then \\left. …
    \\right)), so that each line is valid MathJax on its own."""
    node = _node("m + ln(" + " + ".join(f"exp(z_{i} - m)" for i in range(1, 6)) + ")", "z_1")
    tex = layout.derivative_of(node, "z_1", DISPLAY_WIDTH)
    lines = _lines(tex)
    assert len(lines) > 2 and all(_balanced(line) for line in lines)
    assert "\\ln\\left(" in tex and "\\right." in tex and "\\left." in tex


def test_a_call_of_long_arguments_puts_each_argument_on_lines_of_its_own() -> None:
    """max(a, b) with long a and b: the brackets span the lines, an argument ends its line
    with its comma, and every line fits."""
    node = _node("Max(tau*(y - yhat) + tau*(y - yhat), (tau - 1)*(y - yhat) + (tau - 1)*y)")
    tex = layout.fit(node, DISPLAY_WIDTH)
    lines = _lines(tex)
    assert lines[0].startswith("\\max\\left(") and lines[-1].endswith("\\right)")
    assert sum(line.endswith(",\\right.") for line in lines) == 1
    assert texwidth.width(tex) <= DISPLAY_WIDTH, tex


def test_what_has_no_point_to_break_at_is_set_smaller() -> None:
    """A long number cannot be broken: it is set in MathJax's smaller sizes until it fits."""
    node = _node("1.0507009873554805*1.6732632423543772*x")
    tex = layout.fit(node, 10.0)
    assert tex.split(" ", 1)[0] in ("\\small", "\\footnotesize", "\\scriptsize")
    assert texwidth.width(tex) <= 10.0


def test_a_lead_lines_up_the_continued_lines_after_its_equals_sign() -> None:
    node = _node(" + ".join(f"x**{i}" for i in range(2, 30)))
    tex = layout.fit(node, 14.5, lead="f'(x) = ")
    assert "\\begin{aligned} f'(x) &= x^{2}" in tex


@pytest.mark.parametrize("budget", [6.0, 9.0, DISPLAY_WIDTH, 20.0])
def test_every_bundled_formula_fitted_to_any_width_is_valid_mathjax(budget: float) -> None:
    """Whatever the width, what fit() writes for the catalogue's formulas keeps its braces and
    \\left/\\right pairs, and keeps every symbol of the formula it was given."""
    for rule in load([]).rules:
        for node in (rule.function, rule.derivative):
            tex = layout.fit(node, budget)
            assert _balanced(tex), (rule.id, tex)
            assert _symbols(tex) == _symbols(latex.latex(node)), (rule.id, tex)


@pytest.mark.parametrize("budget", [6.0, 9.0, DISPLAY_WIDTH, 20.0])
def test_every_matrix_formula_fitted_to_any_width_is_valid_mathjax(budget: float) -> None:
    """As above, for the vectors and matrices (printed bold): a matrix product broken over
    lines keeps every factor, and its braces and brackets pair up."""
    for rule in matrix_cards():
        with latex.shaped(symbol_shapes(rule)):
            for node in (rule.function, rule.derivative):
                tex = layout.fit(node, budget)
                assert _balanced(tex), (rule.id, tex)
                assert _symbols(tex) == _symbols(latex.latex(node)), (rule.id, tex)


def test_every_matrix_question_and_answer_fits_the_phone_estimate() -> None:
    """By texwidth's estimate, each question and answer of a matrix card fits the display width
    (the browser test below measures the real thing)."""
    for rule in matrix_cards():
        fields = dict(zip(FIELDS, render_note(rule).fields, strict=True))
        for name in ("Question", "Answer"):
            display = re.search(r"\\\[(.*?)\\\]", fields[name], re.DOTALL)
            assert display is not None, (rule.id, name)
            tex = display.group(1).replace("&amp;", "&").replace("&gt;", ">").replace("&lt;", "<")
            body = re.sub(r"^\\(small|footnotesize|scriptsize) ", "", tex)
            scale = {"\\small": 0.85, "\\footnotesize": 0.8, "\\scriptsize": 0.7}.get(
                tex.split(" ", 1)[0], 1.0
            )
            assert texwidth.width(body) * scale <= DISPLAY_WIDTH + 1e-9, (rule.id, name, tex)


def _symbols(tex: str) -> list[str]:
    """The letters, digits and operators of a formula, without its layout."""
    layout = "|".join(
        [
            r"\\(?:begin|end)\{(?:aligned|cases)\}",
            r"\\(?:left|right|quad|qquad|cdot|small|footnotesize|scriptsize)\b",
            r"\\text\{if \}|\\text\{otherwise\}|\\\\|[&{}().,\s]",
        ]
    )
    return re.findall(r"\\[A-Za-z]+|[A-Za-z0-9+\-=<>|']", re.sub(layout, " ", tex))


def test_the_width_estimate_follows_the_layout_of_tex() -> None:
    """Longer is wider; a fraction is as wide as its wider part; scripts are smaller; a
    piecewise is as wide as its widest row."""
    assert texwidth.width("x + y") > texwidth.width("x")
    assert texwidth.width("\\frac{1}{x + y + z}") < texwidth.width("x + y + z + 1")
    assert texwidth.width("x^{abc}") < texwidth.width("xabc")
    wide = "\\begin{cases} x + y + z & \\text{if } x > 0 \\\\ 0 & \\text{otherwise} \\end{cases}"
    assert texwidth.width(wide) > texwidth.width("x + y + z \\quad \\text{if } x > 0")


# --- what each side shows -----------------------------------------------------------------------

HELPERS = """
    deck: Tests
    define:
      sigma(x): 1/(1 + exp(-x))
      softplus(x): ln(1 + exp(x))
    rules:
      - id: softplus
        name: Softplus with respect to a trainable β
        function: softplus(x)
        derivative: sigma(x)
        context: Its slope is the sigmoid.
"""


def test_a_helper_only_the_answer_uses_is_defined_under_the_answer(make_catalogue: Any) -> None:
    """The front of softplus defines softplus (its question), never σ (its answer); the back
    defines σ under the answer."""
    (rule,) = load_catalogue([make_catalogue(helpers=HELPERS)]).rules
    fields = dict(zip(FIELDS, render_note(rule).fields, strict=True))
    assert "softplus" in fields["Definitions"] and "sigma" not in fields["Definitions"]
    answer, _, under = fields["Answer"].partition('<div class="definitions">')
    assert answer == "\\[\\sigma(x)\\]"
    assert under.startswith("where \\(\\displaystyle \\sigma(x) = \\frac{1}{1 + e^{-x}}\\)")


def test_no_bundled_front_defines_a_helper_its_question_does_not_use() -> None:
    """For every bundled rule: the front defines exactly the helpers the function uses (through
    other helpers too), and the back the others that the answer uses."""
    for rule in load([]).rules:
        fields = dict(zip(FIELDS, render_note(rule).fields, strict=True))
        front = rule.definitions_used_by(rule.function)
        for helper in rule.used_definitions:
            call = "(" if helper.params else " ="  # a named constant has no parentheses
            shown = f"\\displaystyle {latex.function_name(helper.name)}{call}"
            assert (shown in fields["Definitions"]) == (helper in front), (rule.id, helper.name)
            assert (shown in fields["Answer"]) == (helper not in front), (rule.id, helper.name)


# --- in Anki's reviewer, with Anki's MathJax -----------------------------------------------------


@pytest.fixture(scope="module")
def anki_web(pytestconfig: pytest.Config) -> AnkiWeb:
    """Anki's MathJax and reviewer CSS, downloaded once into pytest's cache folder; Chromium
    must be there too (the test is skipped without it only outside CI)."""
    if not CHROMIUM.exists():
        if not os.environ.get("CI"):
            pytest.skip(f"{CHROMIUM} is not installed (.ci/run installs Debian's chromium)")
        pytest.fail(f"{CHROMIUM} is missing in CI: .ci/run should have installed it")
    try:
        return anki_web_files(pytestconfig.cache.mkdir("anki-web"))
    except (subprocess.SubprocessError, OSError, ValueError) as error:
        pytest.fail(f"cannot get Anki's MathJax from the aqt wheel on PyPI: {error}")


def _too_wide(template: Side) -> Side:
    """A side with the bundled card's style, a formula and a legend far too wide for a phone,
    and a name in capitals by CSS (β would show as Β): the probe must report all three."""
    style = re.search(r"<style>.*?</style>", template.html, re.DOTALL)
    assert style, "a card side without its CSS"
    long_sum = " + ".join(f"x_{{{i}}}" for i in range(40))
    return Side(
        TOO_WIDE,
        "back",
        f'{style.group(0)}<div class="ankigen">'
        f'<div class="rule-name" style="text-transform: uppercase">Swish, trainable β</div>'
        f'<div class="answer">\\[{long_sum}\\]</div>'
        f'<div class="plot"><div class="plot-legend"><div class="plot-entry">'
        f'<span class="plot-key"></span>\\({long_sum}\\)</div></div></div></div>',
    )


@pytest.fixture(scope="module")
def report(anki_web: AnkiWeb, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """What the probe saw: the bundled deck's sides (and the one made too wide) at every width
    and theme."""
    folder = tmp_path_factory.mktemp("fit")
    cards = shutil.copytree(bundled_catalogue(), folder / "cards")  # the repo's lock stays
    package = folder / "ankigen.apkg"
    build([cards], package)
    sides, media = anki_sides(package, folder / "profile")
    matrix_sides, matrix_media = anki_sides(_matrix_package(folder), folder / "matrix-profile")
    for image in matrix_media.iterdir():  # named by their hashes: no two differ by content
        shutil.copyfile(image, media / image.name)
    sides += matrix_sides
    page = media / "fit.html"  # beside the media, as in Anki
    page.write_text(
        reviewer_page(anki_web, [*sides, _too_wide(sides[0])], WIDTHS, THEMES), encoding="utf-8"
    )
    return probe_page(page, folder / "chromium-profile")


def _matrix_package(folder: Path) -> Path:
    """A deck of the field-plot cards, rendered with their plots as a build renders them."""
    rendered = render(matrix_cards(), Options(jobs=1, cache=False))
    assert not rendered.warnings, rendered.warnings
    package = folder / "matrices.apkg"
    times = Times(1_700_000_000, {note.rule_id: 1_700_000_000 for note in rendered.notes})
    write_package(rendered.note_type, rendered.notes, package, times, rendered.media)
    return package


def _problems(report: dict[str, object], rule_id: str | None = None) -> list[list[object]]:
    problems = report["problems"]
    assert isinstance(problems, list)
    return [p for p in problems if (p[0] == TOO_WIDE) == (rule_id == TOO_WIDE)]


def test_every_side_is_typeset_by_ankis_mathjax(report: dict[str, object]) -> None:
    """Both sides of every bundled card (and the one made too wide) are on the page; MathJax knew
    every command and left no LaTeX untypeset."""
    assert "failed" not in report, report
    assert report["sides"] == 2 * (BUNDLED_NOTES + MATRIX_NOTES) + 1
    assert report["errors"] == []
    assert report["untypeset"] == []


def test_every_side_fits_a_phone_and_a_desktop_in_light_and_night_mode(
    report: dict[str, object],
) -> None:
    """No element of any side scrolls sideways or is cut off, and no formula or image reaches
    out of the card, at 360, 400 and 800 px, light and night."""
    problems = _problems(report)
    shown = "\n".join(f"{rule} ({side}, {width} px, {theme}): {what}"
                      for rule, side, width, theme, what in problems[:30])  # fmt: skip
    assert problems == [], f"{len(problems)} problems, the first:\n{shown}"


def test_the_probe_catches_a_formula_and_a_legend_too_wide_for_the_screen(
    report: dict[str, object],
) -> None:
    """The side made too wide is reported at every width and theme, for its answer (which
    would scroll) and for its legend's formula (which would stick out)."""
    problems = _problems(report, TOO_WIDE)
    seen = {(width, theme) for _, _, width, theme, _ in problems}
    assert seen == {(width, theme) for width in WIDTHS for theme in THEMES}
    what = " ".join(str(p[4]) for p in problems)
    assert "div.answer" in what
    assert "div.plot-entry" in what


def test_a_name_is_shown_as_written_so_that_beta_stays_beta(report: dict[str, object]) -> None:
    """No CSS changes the case of a card's name ("Swish with respect to a trainable β" was
    shown as "…TRAINABLE Β"); the side made uppercase on purpose is caught."""
    assert report["renamed"] == [f"{TOO_WIDE} back"]


def test_the_card_css_lays_out_the_same_on_every_screen() -> None:
    """The probe puts each side in a box of the screen's width instead of resizing a window:
    that is the same only while the card's CSS does not ask the screen (no media queries, no
    viewport units)."""
    css = re.sub(r"/\*.*?\*/", "", asset_text("card.css"), flags=re.DOTALL)
    assert re.findall(r"@media|@container|\d(?:vw|vh|vmin|vmax)\b", css) == []
