"""The LaTeX printer (:mod:`ankigen.expr.latex`): golden files for the author's form of each
expression, and checks that what it prints is valid MathJax whatever the style.

Each case has one file under ``tests/golden/latex/`` (see ``golden_files.py`` to regenerate).
The layout to a width (:mod:`ankigen.expr.layout`) is tested in ``test_fit.py``.
"""

from __future__ import annotations

import pytest
from golden_files import GOLDEN, check_golden, golden_files

from ankigen.expr import latex
from ankigen.expr.parse import Scope, parse_expression
from ankigen.expr.shapes import Shape
from ankigen.expr.signature import parse_signature
from ankigen.expr.tree import Definition

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


# case name -> (expression, the shapes of its vectors and matrices): printed inside
# latex.shaped(), as a rule with shapes: prints them
VECTOR_N, MATRIX_NN = ("n",), ("n", "n")
MATRIX_CASES: dict[str, tuple[str, dict[str, tuple[str, ...]]]] = {
    "matrix-quadratic-form": ("x.T @ A @ x", {"x": VECTOR_N, "A": MATRIX_NN}),
    "matrix-sum-times-vector": ("(A + A.T) @ x", {"x": VECTOR_N, "A": MATRIX_NN}),
    "matrix-transpose-of-a-product": ("(W @ x).T @ (W @ x)", {"W": ("m", "n"), "x": VECTOR_N}),
    "matrix-outer-product-of-a-residual": (
        "2 * (W @ x - y) @ x.T",
        {"W": ("m", "n"), "x": VECTOR_N, "y": ("m",)},
    ),
    "matrix-inverse-transposed": ("det(X) * inv(X).T", {"X": MATRIX_NN}),
    "matrix-inverse-of-a-sum": ("inv(A + B) @ x", {"A": MATRIX_NN, "B": MATRIX_NN, "x": VECTOR_N}),
    "matrix-inverse-chain": (
        "-inv(X).T @ a @ b.T @ inv(X).T",
        {"a": VECTOR_N, "X": MATRIX_NN, "b": VECTOR_N},
    ),
    "matrix-norms": ("norm(x)**2 + norm(x / 2) + x / norm(x)", {"x": VECTOR_N}),
    "matrix-trace-det-diag": (
        "trace(A) + log(det(A)) + trace(diag(x))",
        {"A": MATRIX_NN, "x": VECTOR_N},
    ),
    "matrix-elementwise-product-and-quotient": (
        "x * y + x / y + 2 * x * y",
        {"x": VECTOR_N, "y": VECTOR_N},
    ),
    "matrix-scalar-broadcast": ("lam * w + 1 - y", {"w": VECTOR_N, "y": VECTOR_N}),
    "matrix-elementwise-powers": (
        "x**2 + A**2 + (A @ x)**3 + 2**x",
        {"x": VECTOR_N, "A": MATRIX_NN},
    ),
    "matrix-elementwise-functions": ("tanh(z) + sigma(z) + exp(z)", {"z": VECTOR_N}),
    "matrix-hadamard-inside-a-product": (
        "((W2.T @ r) * (1 - tanh(W1 @ x)**2)) @ x.T",
        {"W1": ("h", "n"), "W2": ("k", "h"), "x": VECTOR_N, "r": ("k",)},
    ),
    "matrix-product-inside-a-hadamard": (
        "(A @ x) * y",
        {"A": MATRIX_NN, "x": VECTOR_N, "y": VECTOR_N},
    ),
    "matrix-softmax": ("exp(z) / sum(exp(z))", {"z": VECTOR_N}),
    "matrix-softmax-jacobian": (
        "diag(exp(z) / sum(exp(z))) - exp(z) @ exp(z).T / sum(exp(z))**2",
        {"z": VECTOR_N},
    ),
    "matrix-sum-of-entries": (
        "sum(x) * y + sum(x * x + 1) + sum(x1)",
        {"x": VECTOR_N, "x1": VECTOR_N, "y": VECTOR_N},
    ),
    "matrix-frobenius-norm-and-sums-over-a-matrix": (
        "norm(W)**2 + sum(A * B) + sum(W1) + sum(A @ B)",
        {"W": ("m", "n"), "A": MATRIX_NN, "B": MATRIX_NN, "W1": ("m", "n")},
    ),
    "matrix-sum-of-a-product": ("sum(log(1 + exp(X @ w)))", {"X": ("m", "n"), "w": VECTOR_N}),
    "matrix-greek-hat-and-subscript": (
        "(x - mu).T @ P @ (x - mu) + yhat.T @ W_out @ x",
        {"x": VECTOR_N, "mu": VECTOR_N, "P": MATRIX_NN, "yhat": VECTOR_N, "W_out": MATRIX_NN},
    ),
    "matrix-transpose-of-a-call": (
        "tanh(W @ x).T @ y + exp(x).T @ y",
        {"W": MATRIX_NN, "x": VECTOR_N, "y": VECTOR_N},
    ),
}


def _scope(variable: str) -> Scope:
    definitions = {}
    for signature, body in HELPERS.items():
        name, params = parse_signature(signature)
        definitions[name] = Definition(name, params, parse_expression(body, Scope({})))
    return Scope(definitions, variable)


def _latex_file(expression: str, tex: str) -> str:
    return f"% {expression}\n{tex}\n"


@pytest.mark.parametrize("case", LATEX_CASES)
def test_an_expression_prints_as_its_golden_latex(case: str) -> None:
    """Each expression prints as the LaTeX in tests/golden/latex/<case>.tex: the author's order,
    only the brackets the meaning needs, textbook forms for functions, fractions and numbers."""
    expression, variable = LATEX_CASES[case]
    tex = latex.latex(parse_expression(expression, _scope(variable)))
    check_golden(GOLDEN / "latex" / f"{case}.tex", _latex_file(expression, tex))


@pytest.mark.parametrize("case", DERIVATIVE_OF_CASES)
def test_a_question_prints_as_its_golden_latex(case: str) -> None:
    """d/dx of a function prints as tests/golden/latex/<case>.tex, bracketing sums and products
    (not fractions or single terms) so that d/dx applies to all of it."""
    expression, variable = DERIVATIVE_OF_CASES[case]
    tex = latex.derivative_of(parse_expression(expression, _scope(variable)), variable)
    check_golden(GOLDEN / "latex" / f"{case}.tex", _latex_file(expression, tex))


@pytest.mark.parametrize("case", MATRIX_CASES)
def test_a_vector_or_matrix_expression_prints_as_its_golden_latex(case: str) -> None:
    """Inside latex.shaped(): vectors and matrices bold, ⊤ for a transpose, juxtaposition for @,
    ⊙ and ⊘ between non-scalars only, matrix functions as a textbook writes them."""
    expression, shapes = MATRIX_CASES[case]
    node = parse_expression(expression, _scope("x"))
    with latex.shaped({name: Shape.of(shape) for name, shape in shapes.items()}):
        tex = latex.latex(node)
    check_golden(GOLDEN / "latex" / f"{case}.tex", _latex_file(expression, tex))


def test_outside_shaped_nothing_is_bold() -> None:
    """The same tree prints without bold once the block ends: scalar rules are untouched."""
    node = parse_expression("x.T @ A @ x", _scope("x"))
    with latex.shaped({"x": Shape("n"), "A": Shape("n", "n")}):
        assert latex.latex(node) == "\\mathbf{x}^{\\top} \\mathbf{A} \\mathbf{x}"
    assert latex.latex(node) == "x^{\\top} A x"


def test_a_scalar_times_a_vector_is_no_hadamard_product() -> None:
    """⊙ only where both factors are vectors or matrices: 2x, λw and xᵀy stay plain."""
    node = parse_expression("2 * x + lam * w + (x.T @ w) * x", _scope("x"))
    with latex.shaped({"x": Shape("n"), "w": Shape("n")}):
        tex = latex.latex(node)
    assert "\\odot" not in tex, tex


def test_every_latex_golden_file_belongs_to_a_case() -> None:
    """No LaTeX golden file is left over from a renamed case (it would test nothing)."""
    expected = {f"latex/{case}.tex" for case in (*LATEX_CASES, *DERIVATIVE_OF_CASES, *MATRIX_CASES)}
    assert {f for f in golden_files() if f.startswith("latex/")} - expected == set()


def test_latex_cases_cover_enough_expressions() -> None:
    """The LaTeX printer is checked on a broad set of expressions, not a token few."""
    assert len(LATEX_CASES) >= 25


# --- names, conditions and the question ---------------------------------------------------------


@pytest.mark.parametrize(
    ("identifier", "expected"),
    [
        ("theta_1", "\\theta_{1}"),
        ("x1", "x_{1}"),
        ("yhat", "\\hat{y}"),
        ("lam", "\\lambda"),
        ("lr", "\\text{lr}"),
        ("w_out", "w_{\\text{out}}"),
        ("sigma_max", "\\sigma_{\\text{max}}"),
    ],
)
def test_a_name_prints_as_a_reader_expects(identifier: str, expected: str) -> None:
    """Greek letters by name, digits after a letter as a subscript, a hat, and a longer name
    upright as a word rather than as a product of letters (``lr`` is not l·r)."""
    assert latex.name(identifier) == expected


def test_a_helper_with_a_long_name_prints_as_an_operator() -> None:
    """softplus(x) is one function, set upright with an operator's spacing; sigma stays σ."""
    assert latex.function_name("softplus") == "\\operatorname{softplus}"
    assert latex.function_name("sigma") == "\\sigma"


def test_every_kind_of_condition_prints_in_words_and_relations() -> None:
    """not, a chained comparison, or, == and the catch-all each print as a reader says them."""
    piecewise = "Piecewise((0, not (x < 0)), (x, 0 <= x < 1), (1, (x > 2) or (x == 3)), (2, True))"
    tex = latex.latex(parse_expression(piecewise, _scope("x")))
    assert tex == (
        "\\begin{cases} 0 & \\text{if } \\text{not }\\left(x < 0\\right) \\\\ "
        "x & \\text{if } 0 \\leq x < 1 \\\\ "
        "1 & \\text{if } x > 2\\text{ or }x = 3 \\\\ "
        "2 & \\text{otherwise} \\end{cases}"
    )


@pytest.mark.parametrize(
    ("expression", "bracketed"),
    [("a + b", True), ("a*b", True), ("-a/b", True), ("a/b", False), ("x**2", False)],
)
def test_the_question_brackets_exactly_what_d_dx_must_reach(
    expression: str, bracketed: bool
) -> None:
    """d/dx a + b would read as (d/dx a) + b: a sum, a product or a negated fraction is
    bracketed after the operator; a fraction or a power groups itself."""
    node = parse_expression(expression, _scope("w"))
    operator, wrapped = latex.derivative_parts(node, "w")
    assert (operator, wrapped) == ("\\frac{d}{dw}\\, ", bracketed)
    shown = latex.latex(node)
    assert latex.derivative_of(node, "w") == operator + (latex.wrap(shown) if bracketed else shown)


def test_a_piecewise_printer_holds_only_inside_its_block() -> None:
    """The layout's printer for a Piecewise applies inside its block, nested anywhere in the
    expression, and no longer once the block is left (else a later card would be laid out for
    another width)."""
    node = parse_expression("1 + Piecewise((x, x < 0), (0, True))", _scope("x"))
    plain = latex.latex(node)
    with latex.cases_printed_by(lambda pieces: f"<{len(pieces)} pieces>"):
        assert latex.latex(node) == "1 + <2 pieces>"
    assert latex.latex(node) == plain
    assert plain.startswith("1 + \\begin{cases}")


# --- well-formed LaTeX, whatever the style ------------------------------------------------------


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
