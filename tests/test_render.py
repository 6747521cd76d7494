"""Golden files for the fields of every bundled note, and the escaping of what a note shows.

Each bundled rule has one file under ``tests/golden/notes/`` (see ``golden_files.py`` to
regenerate). The LaTeX of expressions has its own golden files, in ``test_latex.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from golden_files import GOLDEN, check_golden, golden_files
from matrix_rules import catalogue_rules, matrix_rule

from ankigen.build import load
from ankigen.load.catalogue import load_catalogue
from ankigen.records import Rule
from ankigen.render.notes import FIELDS, render_note


def _bundled_rules() -> dict[str, Rule]:
    return {rule.id: rule for rule in load([]).rules}


def _note_file(rule: Rule) -> str:
    note = render_note(rule)
    return "".join(f"{field}: {value}\n" for field, value in zip(FIELDS, note.fields, strict=True))


@pytest.mark.parametrize("rule_id", sorted(_bundled_rules()))
def test_a_bundled_rule_renders_as_its_golden_note(rule_id: str) -> None:
    """The fields of each bundled rule's note are those in tests/golden/notes/<rule-id>.txt."""
    rule = _bundled_rules()[rule_id]
    check_golden(GOLDEN / "notes" / f"{rule_id}.txt", _note_file(rule))


def test_every_notes_golden_file_belongs_to_a_rule() -> None:
    """No note's golden file is left over from a removed rule (it would test nothing), and no
    golden file lies outside the folders that a test reads (``latex/`` is test_latex.py's)."""
    files = golden_files()
    expected = {f"notes/{rule_id}.txt" for rule_id in _bundled_rules()}
    assert {f for f in files if f.startswith("notes/")} - expected == set()
    assert {f for f in files if not f.startswith(("notes/", "latex/"))} == set()


HOSTILE = """
    deck: "Tests::<b>Deck</b>"
    rules:
      - id: hostile
        name: "<script>alert(1)</script> & co"
        function: x**2
        derivative: 2*x
        context: "Rock & roll <img src=x onerror=alert(1)>, with \\\\(x^2\\\\) kept as MathJax."
        source: "Smith & Jones <i>2020</i>"
"""


@pytest.fixture
def hostile_note(make_catalogue: Callable[..., Path]) -> dict[str, str]:
    """The fields of a note whose catalogue text is full of HTML."""
    (rule,) = load_catalogue([make_catalogue(hostile=HOSTILE)]).rules
    return dict(zip(FIELDS, render_note(rule).fields, strict=True))


def test_markup_in_a_name_is_escaped(hostile_note: dict[str, str]) -> None:
    """A name cannot inject a script into the card: <, > and & are shown, not interpreted."""
    assert hostile_note["Name"] == "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"


def test_markup_in_a_context_is_escaped_but_its_mathjax_is_kept(
    hostile_note: dict[str, str],
) -> None:
    """Context text is escaped, while MathJax the author wrote in it (\\(x^2\\)) stays as is."""
    assert hostile_note["Context"] == (
        "Rock &amp; roll &lt;img src=x onerror=alert(1)&gt;, with \\(x^2\\) kept as MathJax."
    )


def test_markup_in_a_source_is_escaped(hostile_note: dict[str, str]) -> None:
    """The source line is escaped like every other field."""
    assert hostile_note["Source"] == "Smith &amp; Jones &lt;i&gt;2020&lt;/i&gt;"


def test_comparisons_in_math_are_escaped(make_catalogue: Callable[..., Path]) -> None:
    """'<' and '>' inside MathJax are escaped too, so a condition can never open an HTML tag."""
    folder = make_catalogue(
        steps="""
        deck: Tests
        rules:
          - id: step
            name: Step
            function: "Piecewise((0, x < 0), (x, True))"
            derivative: "Piecewise((0, x < 0), (1, x > 0))"
            context: A ramp.
            assume: ["x > 0"]
        """
    )
    (rule,) = load_catalogue([folder]).rules
    fields = dict(zip(FIELDS, render_note(rule).fields, strict=True))
    assert "x &lt; 0" in fields["Answer"] and "x &gt; 0" in fields["Answer"]
    assert fields["Definitions"] == "for \\(x &gt; 0\\)"
    assert "<" not in fields["Answer"] + fields["Question"] + fields["Definitions"]


def test_an_interval_reads_as_one_chain(make_catalogue: Callable[..., Path]) -> None:
    """``0 < p < 1`` is stated as written, one chain per symbol, beside a sign condition."""
    folder = make_catalogue(
        probability="""
        deck: Tests
        rules:
          - id: nll
            name: Negative log-likelihood
            function: "-log(p) + lr*t"
            derivative: "-1/p"
            variable: p
            context: A loss.
            assume: ["0 < p < 1", "lr > 0", "t >= 0.5"]
        """
    )
    (rule,) = load_catalogue([folder]).rules
    fields = dict(zip(FIELDS, render_note(rule).fields, strict=True))
    assert fields["Definitions"] == ("for \\(0 &lt; p &lt; 1, \\text{lr} &gt; 0, t \\geq 0.5\\)"), (
        fields["Definitions"]
    )


# --- rules with shapes: vectors and matrices ---------------------------------------------------


def _matrix_fields(rule: Rule) -> dict[str, str]:
    return dict(zip(FIELDS, render_note(rule).fields, strict=True))


def test_a_gradient_card_asks_with_nabla_and_states_shapes_and_layout() -> None:
    """∇ₓ of the function written out, the shapes under the question (one formula each, so a
    phone wraps between them), the layout on the front, the answer bold, the fields unchanged."""
    rule = matrix_rule(
        "quadratic", "x.T @ A @ x", "x", "(A + A.T) @ x", {"x": ["n"], "A": ["n", "n"]}
    )
    fields = _matrix_fields(rule)
    assert FIELDS == (
        "Id",
        "Name",
        "Question",
        "Answer",
        "Context",
        "Definitions",
        "Plot",
        "Source",
    )
    assert fields["Question"] == (
        "\\[\\nabla_{\\mathbf{x}}\\, \\left(\\mathbf{x}^{\\top} \\mathbf{A} \\mathbf{x}\\right)\\]"
        "<div>\\(\\mathbf{x}\\in \\mathbb{R}^{n}\\), "
        "\\(\\mathbf{A}\\in \\mathbb{R}^{n\\times n}\\)</div>"
    )
    assert fields["Answer"] == "\\[\\left(\\mathbf{A} + \\mathbf{A}^{\\top}\\right) \\mathbf{x}\\]"
    assert fields["Definitions"] == (
        "Gradient: same shape as \\(\\mathbf{x}\\), in \\(\\mathbb{R}^{n}\\)"
    )


def test_a_gradient_by_a_matrix_asks_with_a_partial_and_keeps_the_matrix_shape() -> None:
    rule = matrix_rule(
        "least-squares-w",
        "norm(W @ x - y)**2",
        "W",
        "2 * (W @ x - y) @ x.T",
        {"W": ["m", "n"], "x": ["n"], "y": ["m"]},
    )
    fields = _matrix_fields(rule)
    assert fields["Question"].startswith(
        "\\[\\frac{\\partial}{\\partial \\mathbf{W}}\\, "
        "\\lVert \\mathbf{W} \\mathbf{x} - \\mathbf{y} \\rVert^{2}\\]"
    )
    assert "\\(\\mathbf{W}\\in \\mathbb{R}^{m\\times n}\\)" in fields["Question"]
    assert fields["Definitions"].startswith(
        "Gradient: same shape as \\(\\mathbf{W}\\), in \\(\\mathbb{R}^{m\\times n}\\)"
    )
    assert fields["Answer"] == (
        "\\[2 \\left(\\mathbf{W} \\mathbf{x} - \\mathbf{y}\\right) \\mathbf{x}^{\\top}\\]"
    )


def test_a_jacobian_card_states_its_layout_entry_by_entry() -> None:
    rule = matrix_rule(
        "tanh-layer", "tanh(W @ x + b)", "x", "diag(1 - tanh(W @ x + b)**2) @ W",
        {"W": ["m", "n"], "x": ["n"], "b": ["m"]},
    )  # fmt: skip
    fields = _matrix_fields(rule)
    assert fields["Question"].startswith("\\[\\frac{\\partial}{\\partial \\mathbf{x}}\\, \\tanh(")
    assert fields["Definitions"] == (
        "Jacobian \\(J \\in \\mathbb{R}^{m\\times n}\\), "
        "\\(J_{ij} = \\partial f_{i} / \\partial x_{j}\\)"
    )


def test_a_vector_by_a_scalar_is_a_column_not_a_jacobian_by_entries_j() -> None:
    rule = matrix_rule("scaled", "exp(t * x)", "t", "x * exp(t * x)", {"x": ["n"]})
    fields = _matrix_fields(rule)
    assert fields["Question"].startswith("\\[\\frac{d}{dt}\\, e^{t \\mathbf{x}}\\]")
    assert fields["Definitions"] == (
        "Derivative: a vector in \\(\\mathbb{R}^{n}\\), "
        "entry i is \\(\\partial f_{i} / \\partial t\\)"
    )


def test_conditions_show_as_for_with_the_same_printer_and_escaped() -> None:
    """assume: ["det(X) > 0"] reads 'for det(X) > 0' on the front, HTML-escaped."""
    rule = matrix_rule(
        "log-det", "log(det(X))", "X", "inv(X).T", {"X": ["n", "n"]}, assume=["det(X) > 0"]
    )
    fields = _matrix_fields(rule)
    assert fields["Answer"] == "\\[\\mathbf{X}^{-\\top}\\]"
    assert fields["Definitions"].endswith("<br>for \\(\\det(\\mathbf{X}) &gt; 0\\)")


def test_a_helper_is_defined_with_scalar_parameters_even_where_a_vector_has_its_name() -> None:
    """sigma(z) applies to each entry: its definition 'where σ(z) = …' is about numbers, so
    its parameter is never bold although the rule's z is a vector."""
    rule = matrix_rule(
        "sigmoid-jacobian", "sigma(z)", "z", "diag(sigma(z) * (1 - sigma(z)))", {"z": ["n"]},
        helpers={"sigma(z)": "1/(1 + exp(-z))"},
    )  # fmt: skip
    fields = _matrix_fields(rule)
    assert "\\sigma(z) = \\frac{1}{1 + e^{-z}}" in fields["Definitions"]
    assert "\\sigma(\\mathbf{z}) \\odot \\left(1 - \\sigma(\\mathbf{z})\\right)" in fields["Answer"]


def test_every_matrix_card_shows_math_only_not_catalogue_syntax() -> None:
    """No @, .T or ** of the catalogue's syntax reaches a card, braces balance, every vector
    and matrix of a formula is bold, and a scalar symbol never is."""
    for rule in catalogue_rules():
        fields = _matrix_fields(rule)
        for name in ("Question", "Answer", "Definitions"):
            text = fields[name]
            assert not re.search(r"@|\.T\b|\*\*", text), (rule.id, text)
            assert text.count("{") == text.count("}"), (rule.id, text)
            assert text.count("\\left") == text.count("\\right"), (rule.id, text)
        assert "\\mathbf{" in fields["Question"] or "\\boldsymbol{" in fields["Question"]


def test_a_scalar_rule_is_printed_as_before_after_a_matrix_rule() -> None:
    """Rendering a rule with shapes leaves nothing behind: the next scalar note is unchanged."""
    scalar = _bundled_rules()["sigmoid"]
    before = render_note(scalar)
    render_note(catalogue_rules()[0])
    assert render_note(scalar) == before
