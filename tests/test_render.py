"""Golden files for what ankigen renders: the LaTeX of expressions and the fields of every note.

Each case has one file under ``tests/golden/``; the test compares what ankigen renders now with
it. To change the expected output on purpose, run the tests with ``ANKIGEN_REGENERATE_GOLDEN=1``:
the files are rewritten and every regenerated test fails, saying so, so that regenerating can
never pass silently. Then read the diff of ``tests/golden/`` by eye before committing it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from ankigen.build import load
from ankigen.expr import latex
from ankigen.expr.parse import Definition, Scope, parse_expression, parse_signature
from ankigen.load.catalogue import load_catalogue
from ankigen.records import Rule
from ankigen.render.notes import FIELDS, render_note

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("ANKIGEN_REGENERATE_GOLDEN") == "1"

HELPERS = {
    "sigma(x)": "1/(1 + exp(-x))",
    "softplus(x)": "ln(1 + exp(x))",
}

# case name -> (expression, the variable of its rule)
LATEX_CASES: dict[str, tuple[str, str]] = {
    # precedence and parentheses: only those the meaning needs, plus the author's nested sums
    "difference-of-a-sum": ("a - (b + c)", "x"),
    "difference-of-a-difference": ("a - (b - c)", "x"),
    "sum-with-a-negative-term": ("a + -b", "x"),
    "square-of-a-negation": ("(-x)**2", "x"),
    "negated-square": ("-x**2", "x"),
    "negated-sum": ("-(x + 1)", "x"),
    "product-of-two-numbers": ("2*3", "x"),
    "variable-times-number": ("x*2", "x"),
    "number-times-variable": ("2*x", "x"),
    "product-of-sums": ("(x + 1)*(x - 1)", "x"),
    "product-with-a-negative-factor": ("x*(-y)", "x"),
    "author-order-kept": ("2*(w*x - target)*x", "w"),
    "power-of-a-power": ("(x**2)**3", "x"),
    "power-tower": ("x**y**z", "x"),
    "caret-means-power": ("x^2 + y^(n - 1)", "x"),
    # fractions
    "fraction": ("(x + 1)/(x - 1)", "x"),
    "negative-fraction": ("-1/x**2", "x"),
    "product-of-two-fractions": ("(1/2)*(1/x)", "x"),
    "number-times-fraction-with-number-on-top": ("2*(1/x)", "x"),
    "fraction-to-a-power": ("(1/x)**2", "x"),
    "fraction-of-a-square-root": ("1/(2*sqrt(x))", "x"),
    # functions and their powers
    "power-of-tanh": ("1 - tanh(x)**2", "x"),
    "power-of-sine-of-a-fraction": ("sin(x/2)**2", "x"),
    "negative-power-of-cosine": ("cos(x)**-1", "x"),
    "named-functions": ("atan(x) + sinh(x) + cosh(x) + erf(x) + sign(x) + Heaviside(x)", "x"),
    "exp": ("exp(-x)", "x"),
    "power-of-exp": ("exp(x)**2", "x"),
    "euler-number-to-a-power": ("e**x", "x"),
    "e-as-the-variable": ("e**2", "e"),
    "sqrt": ("sqrt(x**2 + 1)", "x"),
    "power-of-sqrt": ("sqrt(x)**3", "x"),
    "abs": ("Abs(x - 1)", "x"),
    "natural-log": ("ln(x) + log(x)", "x"),
    "log-with-base": ("log(x, 2)", "x"),
    "max-and-min": ("Max(0, x) - Min(x, 1, y)", "x"),
    "power-of-max": ("Max(0, x)**2", "x"),
    "pi": ("sin(pi*x)", "x"),
    # Piecewise, with chained and combined conditions
    "piecewise": ("Piecewise((0, x < 0), (1, x > 0))", "x"),
    "piecewise-chained-conditions": (
        "Piecewise((0, x <= 0), (x, 0 < x <= 1), (1, True))",
        "x",
    ),
    "piecewise-and-or-not": (
        "Piecewise((1, x > 1 and x != 3), (2, x < -1 or x == 0), (3, not x > 5), (4, True))",
        "x",
    ),
    "function-of-piecewise": ("exp(Piecewise((x, x > 0), (0, True)))", "x"),
    # abstract functions, helpers and names
    "abstract-function-with-primes": ("g(x) + g'(x) + g''(x) + g'''(x) + g''''(x)", "x"),
    "abstract-function-with-subscript": ("L_1'(w) + L_2(w)", "w"),
    "helper": ("sigma(x)*(1 - sigma(x))", "x"),
    "helper-with-a-long-name": ("softplus(x)", "x"),
    "subscripts": ("w_1*x_1 + w_10*x_10 + b_bias", "x"),
    "greek-names": ("alpha*x + beta + lam*theta_0 + Sigma", "x"),
    "greek-subscript": ("w_alpha", "x"),
    "hats": ("(yhat - y)**2", "yhat"),
    "long-names": ("target - prediction", "prediction"),
    # numbers
    "decimals": ("0.01*x + 1.5", "x"),
    "scientific-notation": ("1e-3*x + 2.5E4", "x"),
    "leading-dot-decimal": (".5*x", "x"),
}

# case name -> (function, its variable): the question printed as d/dx of the function
DERIVATIVE_OF_CASES: dict[str, tuple[str, str]] = {
    "derivative-of-a-sum": ("g(x) + h(x)", "x"),
    "derivative-of-a-product": ("x**2*exp(x)", "x"),
    "derivative-of-a-fraction": ("g(x)/h(x)", "x"),
    "derivative-of-a-negation": ("-ln(p)", "p"),
    "derivative-of-a-power": ("(w*x - target)**2", "w"),
    "derivative-of-a-function": ("tanh(x)", "x"),
    "derivative-with-greek-variable": ("theta**2", "theta"),
}


def _scope(variable: str) -> Scope:
    definitions = {}
    for signature, body in HELPERS.items():
        name, params = parse_signature(signature)
        definitions[name] = Definition(name, params, parse_expression(body, Scope({})))
    return Scope(definitions, variable)


def _check_golden(path: Path, actual: str) -> None:
    """Compare with the golden file, or rewrite it (and fail) when regenerating."""
    if REGENERATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        pytest.fail(f"regenerated {path.relative_to(GOLDEN.parent)}: read it, then run without "
                    "ANKIGEN_REGENERATE_GOLDEN")  # fmt: skip
    if not path.is_file():
        pytest.fail(f"no golden file {path}; run with ANKIGEN_REGENERATE_GOLDEN=1 to create it")
    assert actual == path.read_text(encoding="utf-8")


def _latex_file(expression: str, tex: str) -> str:
    return f"% {expression}\n{tex}\n"


@pytest.mark.parametrize("case", LATEX_CASES)
def test_an_expression_prints_as_its_golden_latex(case: str) -> None:
    """Each expression prints as the LaTeX in tests/golden/latex/<case>.tex: the author's order,
    only the brackets the meaning needs, textbook forms for functions, fractions and numbers."""
    expression, variable = LATEX_CASES[case]
    tex = latex.latex(parse_expression(expression, _scope(variable)))
    _check_golden(GOLDEN / "latex" / f"{case}.tex", _latex_file(expression, tex))


@pytest.mark.parametrize("case", DERIVATIVE_OF_CASES)
def test_a_question_prints_as_its_golden_latex(case: str) -> None:
    """d/dx of a function prints as tests/golden/latex/<case>.tex, bracketing sums and products
    (not fractions or single terms) so that d/dx applies to all of it."""
    expression, variable = DERIVATIVE_OF_CASES[case]
    tex = latex.derivative_of(parse_expression(expression, _scope(variable)), variable)
    _check_golden(GOLDEN / "latex" / f"{case}.tex", _latex_file(expression, tex))


def _bundled_rules() -> dict[str, Rule]:
    return {rule.id: rule for rule in load([]).rules}


def _note_file(rule: Rule) -> str:
    note = render_note(rule)
    return "".join(f"{field}: {value}\n" for field, value in zip(FIELDS, note.fields, strict=True))


@pytest.mark.parametrize("rule_id", sorted(_bundled_rules()))
def test_a_bundled_rule_renders_as_its_golden_note(rule_id: str) -> None:
    """The fields of each bundled rule's note are those in tests/golden/notes/<rule-id>.txt."""
    rule = _bundled_rules()[rule_id]
    _check_golden(GOLDEN / "notes" / f"{rule_id}.txt", _note_file(rule))


def test_every_golden_file_belongs_to_a_case() -> None:
    """No golden file is left over from a renamed case or a removed rule (it would test nothing)."""
    expected = {f"latex/{case}.tex" for case in (*LATEX_CASES, *DERIVATIVE_OF_CASES)}
    expected |= {f"notes/{rule_id}.txt" for rule_id in _bundled_rules()}
    present = {p.relative_to(GOLDEN).as_posix() for p in GOLDEN.rglob("*") if p.is_file()}
    assert present - expected == set()


def test_latex_cases_cover_enough_expressions() -> None:
    """The LaTeX printer is checked on a broad set of expressions, not a token few."""
    assert len(LATEX_CASES) >= 25


# --- HTML escaping ------------------------------------------------------------------------------

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


# --- well-formed LaTeX, whatever the style ----------------------------------------------------


def _script_end(tex: str, start: int) -> int:
    """Where the argument of a ^ or _ that starts at ``start`` ends (a {group} or one char)."""
    if tex[start : start + 1] != "{":
        return start + 1
    depth = 0
    for index in range(start, len(tex)):
        depth += {"{": 1, "}": -1}.get(tex[index], 0)
        if depth == 0:
            return index + 1
    return len(tex)


def _double_scripts(tex: str) -> list[int]:
    """Positions where a ^ group is directly followed by another ^, or a _ group by another _
    (a "double exponent" or "double subscript" error in MathJax)."""
    return [
        position
        for position, char in enumerate(tex)
        if char in "^_" and tex[_script_end(tex, position + 1) :].startswith(char)
    ]


def _braces_balance(tex: str) -> bool:
    depth = 0
    for char in tex.replace("\\{", "").replace("\\}", ""):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


TRICKY = {
    "square-of-a-small-number": "(1e-3)**2",
    "square-of-a-large-number": "2.5E4**2",
    "negated-square-of-a-small-number": "-(1e-3)**2",
    "scientific-exponent": "x**1e-3",
    "square-of-a-log-with-base": "log(x, 2)**2",
    "product-of-decimals": "2*.5",
}


def test_the_double_script_finder_finds_only_double_scripts() -> None:
    """The check below is not vacuous, and accepts a subscript followed by a power."""
    assert _double_scripts("10^{-3}^{2}") == [2]
    assert _double_scripts("x_{1}_{2}") == [1]
    assert _double_scripts("x^{y^{z}} + x_{1}^{2} + \\left(10^{4}\\right)^{2}") == []


@pytest.mark.parametrize("expression", [*(e for e, _ in LATEX_CASES.values()), *TRICKY.values()])
def test_latex_has_balanced_braces_and_no_double_superscript(expression: str) -> None:
    """Every printed expression is valid MathJax: braces balance and no power is raised twice
    without brackets (``10^{-3}^{2}`` is a MathJax error, and ambiguous to a reader)."""
    tex = latex.latex(parse_expression(expression, _scope("x")))
    assert _braces_balance(tex), tex
    assert _double_scripts(tex) == [], tex


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("(1e-3)**2", "\\left(1 \\cdot 10^{-3}\\right)^{2}"),
        ("2.5E4**2", "\\left(2.5 \\cdot 10^{4}\\right)^{2}"),
        ("-(1e-3)**2", "-\\left(1 \\cdot 10^{-3}\\right)^{2}"),
    ],
    ids=["small-number", "large-number", "negated"],
)
def test_a_power_of_a_number_in_scientific_notation_brackets_the_whole_number(
    expression: str, expected: str
) -> None:
    """(2.5E4)**2 squares all of 2.5·10⁴, so the brackets go around all of it."""
    assert latex.latex(parse_expression(expression, _scope("x"))) == expected


@pytest.mark.parametrize("expression", ["2*3", "2*.5", "1.5*.25", "2*1e-3", "x*2"])
def test_a_number_after_a_factor_is_written_with_a_dot(expression: str) -> None:
    """2*.5 must not print as '2 .5', which every reader takes for the number 2.5."""
    tex = latex.latex(parse_expression(expression, _scope("x")))
    assert " \\cdot " in tex, tex


def test_a_power_of_a_log_with_base_keeps_its_base() -> None:
    """log(x, 2)**2 is the square of the base-2 logarithm, not of ln (and ln takes no base)."""
    tex = latex.latex(parse_expression("log(x, 2)**2", _scope("x")))
    assert "\\log_{2}" in tex and "\\ln" not in tex and ", 2" not in tex, tex
