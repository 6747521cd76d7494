"""The whitelist parser: what catalogue text may say, what it means, and what it can never do.

Catalogue files are untrusted: the parser must turn allowed text into exactly the tree (and so the
sympy value) an author means, refuse everything else with a reason a person can act on, never run
any of it, and refuse expression bombs at once instead of handing them to sympy.
"""

from __future__ import annotations

import ast
import contextlib
import sys
import time
import warnings
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import pytest
import sympy as sp

from ankigen.expr.matrices import MatrixTranslator
from ankigen.expr.parse import (
    MAX_DEPTH,
    MAX_DIGITS,
    MAX_LENGTH,
    ExpressionError,
    Scope,
    parse_comparison,
    parse_expression,
)
from ankigen.expr.shapes import Shape, describe
from ankigen.expr.signature import parse_signature
from ankigen.expr.symbolic import Translator
from ankigen.expr.syntax import FUNCTIONS, MATRIX_FUNCTIONS
from ankigen.expr.tree import (
    BinOp,
    BoolOp,
    Call,
    Compare,
    Const,
    Definition,
    Neg,
    Node,
    Num,
    Piecewise,
    Transpose,
    TrueCond,
    Var,
    variables,
)

x, y, w = (sp.Symbol(name, real=True) for name in "xyw")


def helpers(**bodies: str) -> dict[str, Definition]:
    """``define:`` helpers from ``name="params: body"`` pairs, parsed the way the loader does."""
    definitions: dict[str, Definition] = {}
    for name, spec in bodies.items():
        params, body = spec.split(":", 1)
        names = tuple(p.strip() for p in params.split(","))
        definitions[name] = Definition(name, names, parse_expression(body, Scope(definitions)))
    return definitions


SIGMA = helpers(sigma="x: 1/(1 + exp(-x))")


def parse(text: str, variable: str = "x", definitions: dict[str, Definition] | None = None) -> Node:
    return parse_expression(text, Scope(definitions or {}, variable))


def to_sympy(
    text: str, variable: str = "x", definitions: dict[str, Definition] | None = None
) -> sp.Expr:
    """What the prover will see for ``text``."""
    definitions = definitions or {}
    return Translator((), definitions).expr(parse(text, variable, definitions))


# --- nothing is ever run -----------------------------------------------------------------------

_WATCHED_EVENTS = frozenset(
    {"exec", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "subprocess.Popen"}
)
_seen_events: list[str] | None = None


def _audit(event: str, _args: tuple[object, ...]) -> None:
    if _seen_events is not None and event in _WATCHED_EVENTS:
        _seen_events.append(event)


sys.addaudithook(_audit)  # a hook cannot be removed; it records only inside watching()


@contextlib.contextmanager
def watching() -> Iterator[list[str]]:
    """Collect the watched events (code executed, processes started) raised inside the block."""
    global _seen_events
    seen: list[str] = []
    _seen_events = seen
    try:
        yield seen
    finally:
        _seen_events = None


def reason_for(text: str, definitions: dict[str, Definition] | None = None) -> str:
    """The reason ``text`` is refused, checking that nothing of it was executed meanwhile."""
    with watching() as seen, pytest.raises(ExpressionError) as caught:
        parse(text, definitions=definitions)
    assert seen == [], f"code was executed while parsing {text!r}: {seen}"
    return caught.value.reason


def test_the_execution_guard_notices_eval() -> None:
    """The guard that the rejection tests rely on really sees eval (so they can fail)."""
    with watching() as seen:
        eval("1 + 1")  # noqa: S307 - the point is to be noticed
    assert "exec" in seen


# --- accepted syntax ---------------------------------------------------------------------------


def test_caret_is_the_same_power_as_double_star() -> None:
    """``^`` is a power, as authors write it on paper, not Python's bitwise xor."""
    assert parse("x^2") == parse("x**2") == BinOp("**", Var("x"), Num(Fraction(2), "2"))


def test_caret_binds_tighter_than_plus() -> None:
    """``x^2+1`` is x² + 1; a naive textual rewrite could make it x**(2+1) = x³."""
    assert to_sympy("x^2+1") == x**2 + 1
    assert to_sympy("x^2+1") != x**3


def test_caret_chains_to_the_right_like_double_star() -> None:
    """``2^3^2`` is 2^(3^2) = 512, the mathematical convention."""
    assert to_sympy("2^3^2") == 512


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0.01", sp.Rational(1, 100)),
        ("1e-3", sp.Rational(1, 1000)),
        ("2.5E2", sp.Integer(250)),
        (".5", sp.Rational(1, 2)),
        ("0.1", sp.Rational(1, 10)),
    ],
)
def test_decimals_are_exact_rationals(text: str, value: sp.Rational) -> None:
    """Numbers are exact: 0.01 is 1/100, never the float 0.01000000000000000020816..."""
    assert to_sympy(text) == value
    assert isinstance(to_sympy(text), sp.Rational)


def test_a_number_keeps_the_authors_spelling_for_display() -> None:
    """The card shows ``0.01`` as written, while the proof uses 1/100."""
    assert parse("0.01") == Num(Fraction(1, 100), "0.01")


def test_pi_is_the_constant_pi() -> None:
    assert parse("pi") == Const("pi")
    assert to_sympy("2*pi") == 2 * sp.pi


def test_e_is_eulers_number_by_default() -> None:
    """In a rule about x, ``e**x`` is the exponential function."""
    assert parse("e") == Const("e")
    assert to_sympy("e**x") == sp.exp(x)


def test_e_is_the_variable_when_the_rule_differentiates_by_e() -> None:
    """The squared-error rule ``e**2`` with ``variable: e`` is about an error term e."""
    e = sp.Symbol("e", real=True)
    assert parse("e**2", variable="e") == BinOp("**", Var("e"), Num(Fraction(2), "2"))
    assert to_sympy("e**2", variable="e") == e**2
    assert to_sympy("e**2", variable="e") != sp.exp(2)


@pytest.mark.parametrize("name", ["target", "yhat", "lam", "w_1", "theta"])
def test_variables_may_have_several_letters(name: str) -> None:
    """ML notation uses words for variables; they are single symbols, not products of letters."""
    assert parse(f"2*{name}") == BinOp("*", Num(Fraction(2), "2"), Var(name))
    assert to_sympy(f"{name}**2") == sp.Symbol(name, real=True) ** 2


_SYMPY_FUNCTIONS = {"ln": sp.log}  # every other name is sympy's own


SCALAR_FUNCTIONS = sorted((n, a) for n, a in FUNCTIONS.items() if n not in MATRIX_FUNCTIONS)


@pytest.mark.parametrize(("name", "arity"), SCALAR_FUNCTIONS)
def test_every_function_accepts_its_arity_and_means_sympys_function(
    name: str, arity: tuple[int, int | None]
) -> None:
    """Each built-in takes its documented number of arguments and is the sympy function."""
    low, high = arity
    arguments = [sp.Symbol(f"a{i}", real=True) for i in range(high or low + 2)]
    for count in sorted({low, high or low + 2}):
        text = f"{name}({', '.join(str(a) for a in arguments[:count])})"
        node = parse(text)
        assert isinstance(node, Call)
        assert (node.name, node.kind, len(node.args)) == (name, "function", count)
        expected = _SYMPY_FUNCTIONS.get(name, getattr(sp, name))(*arguments[:count])
        assert to_sympy(text) == expected


@pytest.mark.parametrize(("name", "arity"), sorted(FUNCTIONS.items()))
def test_every_function_refuses_too_few_or_too_many_arguments(
    name: str, arity: tuple[int, int | None]
) -> None:
    low, high = arity
    wrong = [low - 1] + ([high + 1] if high is not None else [])
    for count in wrong:
        text = f"{name}({', '.join(['x'] * count)})"
        assert f"'{name}' takes" in reason_for(text)


def test_piecewise_accepts_chained_comparisons_and_true() -> None:
    """``0 <= x < 1`` means both comparisons; ``True`` is the catch-all last piece."""
    node = parse("Piecewise((0, x < 0), (x, 0 <= x < 1), (1, True))")
    assert isinstance(node, Piecewise)
    assert node.pieces[1][1] == Compare(
        ("<=", "<"), (Num(Fraction(0), "0"), Var("x"), Num(Fraction(1), "1"))
    )
    assert node.pieces[2][1] == TrueCond()
    assert to_sympy("Piecewise((0, x < 0), (x, 0 <= x < 1), (1, True))") == sp.Piecewise(
        (0, x < 0), (x, sp.And(sp.Ge(x, 0), sp.Lt(x, 1))), (1, True)
    )


def test_piecewise_conditions_combine_with_and_or_not() -> None:
    node = parse("Piecewise((1, x > 0 and not x > 1), (2, x < -1 or x > 3), (0, True))")
    assert isinstance(node, Piecewise)
    first, second = node.pieces[0][1], node.pieces[1][1]
    assert isinstance(first, BoolOp) and first.op == "and"
    assert isinstance(first.values[1], BoolOp) and first.values[1].op == "not"
    assert isinstance(second, BoolOp) and second.op == "or"


@pytest.mark.parametrize(("text", "primes"), [("g(x)", 0), ("g'(x)", 1), ("g''(x)", 2)])
def test_primes_mark_derivatives_of_abstract_functions(text: str, primes: int) -> None:
    """``g'(x)`` is the derivative of an unknown g: what general rules are written with."""
    assert parse(text) == Call("g", (Var("x"),), "abstract", primes)
    g = sp.Function("g", real=True)
    expected = g(x) if primes == 0 else sp.Derivative(g(x), (x, primes))
    assert to_sympy(text) == expected


def test_an_abstract_function_may_have_a_subscript() -> None:
    """``L_1(w)`` is the loss of sample 1, as in the batch-loss rule."""
    assert parse("L_1(w)") == Call("L_1", (Var("w"),), "abstract", 0)
    assert parse("L_1'(w)") == Call("L_1", (Var("w"),), "abstract", 1)
    assert to_sympy("L_1'(w)") == sp.Derivative(sp.Function("L_1", real=True)(w), w)


def test_a_prime_on_an_outer_function_differentiates_it_at_the_inner_one() -> None:
    """``f'(g(x))`` is f' evaluated at g(x), as the chain rule needs."""
    node = parse("f'(g(x))")
    assert node == Call("f", (Call("g", (Var("x"),), "abstract", 0),), "abstract", 1)


def test_a_helper_call_is_expanded_from_its_definition() -> None:
    """``sigma(x)`` is proved as 1/(1 + exp(-x)): the proof trusts the definition, not a name."""
    assert parse("sigma(x)", definitions=SIGMA) == Call("sigma", (Var("x"),), "defined")
    assert to_sympy("sigma(2*y)", definitions=SIGMA) == 1 / (1 + sp.exp(-2 * y))


def test_a_helper_with_several_parameters_substitutes_each_argument() -> None:
    affine = helpers(affine="w, x, b: w*x + b")
    assert to_sympy("affine(2, y, 3)", definitions=affine) == 2 * y + 3


def test_a_helper_may_call_an_earlier_helper() -> None:
    nested = helpers(sigma="x: 1/(1 + exp(-x))", swish="x: x*sigma(x)")
    assert to_sympy("swish(y)", definitions=nested) == y / (1 + sp.exp(-y))


def test_a_helper_needs_its_number_of_arguments() -> None:
    assert "'sigma' takes 1 argument, not 2" in reason_for("sigma(x, y)", SIGMA)


# --- vectors and matrices (a rule with shapes:) ---------------------------------------------------

X, A_, W_ = Var("x"), Var("A"), Var("W")


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        pytest.param("x.T", Transpose(X), id="transpose"),
        pytest.param("(W @ x).T", Transpose(BinOp("@", W_, X)), id="transpose-of-a-product"),
        pytest.param("x.T.T", Transpose(Transpose(X)), id="transpose-twice"),
        pytest.param(
            "x.T @ A @ x", BinOp("@", BinOp("@", Transpose(X), A_), X), id="quadratic-form"
        ),
        pytest.param("W @ x.T", BinOp("@", W_, Transpose(X)), id="binds-tighter-than-at"),
        pytest.param("-x.T", Neg(Transpose(X)), id="binds-tighter-than-minus"),
        pytest.param("x.T**2", BinOp("**", Transpose(X), Num(Fraction(2), "2")), id="and-power"),
    ],
)
def test_transpose_and_the_matrix_product_parse_as_numpy_reads_them(text: str, tree: Node) -> None:
    """``.T`` binds tighter than every operator and ``@`` groups from the left, as in NumPy;
    messages quote the tree back in the same syntax."""
    assert parse(text) == tree
    assert parse(describe(tree)) == tree


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param("x.foo", "'.foo' is not allowed: the only attribute is .T", id="other"),
        pytest.param("x.t", "'.t' is not allowed", id="lowercase-t"),
        pytest.param("A.H", "'.H' is not allowed", id="conjugate-transpose"),
        pytest.param("x.T()", "only named functions can be called", id="called"),
        pytest.param("x.T.real", "'.real' is not allowed", id="after-transpose"),
        pytest.param("exp.T", "'exp' is a function: call it", id="function"),
    ],
)
def test_no_attribute_but_t_and_no_call_of_one(text: str, reason: str) -> None:
    assert reason in reason_for(text)


_V = sp.Matrix(sp.symbols("v0:2", real=True))
_M = sp.Matrix(2, 2, sp.symbols("m0:4", real=True))
MATRIX_MEANINGS = {
    "sum": (_V, _V[0] + _V[1]),
    "norm": (_V, sp.sqrt(_V[0] ** 2 + _V[1] ** 2)),
    "diag": (_V, sp.Matrix([[_V[0], 0], [0, _V[1]]])),
    "trace": (_M, _M[0, 0] + _M[1, 1]),
    "det": (_M, _M[0, 0] * _M[1, 1] - _M[0, 1] * _M[1, 0]),
    "inv": (_M, sp.Matrix([[_M[1, 1], -_M[0, 1]], [-_M[1, 0], _M[0, 0]]]) / _M.det()),
}


@pytest.mark.parametrize("name", sorted(MATRIX_FUNCTIONS))
def test_every_matrix_function_takes_one_argument_and_means_its_matrix_operation(name: str) -> None:
    """The matrix functions have no sympy function of one scalar: they mean what the matrix
    translator computes on a 2-vector or a 2 × 2 matrix of independent symbols."""
    assert set(MATRIX_MEANINGS) == MATRIX_FUNCTIONS
    value, expected = MATRIX_MEANINGS[name]
    node = parse(f"{name}(v)")
    assert node == Call(name, (Var("v"),), "function")
    shape = Shape.of(("n",) if value.cols == 1 else ("n", "n"))
    got = MatrixTranslator({"v": shape}, {}).build(node, {"v": sp.ImmutableMatrix(value)})
    assert sp.simplify(sp.Matrix([got]) - sp.Matrix([expected])) == sp.zeros(
        *sp.Matrix([got]).shape
    )


@pytest.mark.parametrize(
    ("text", "condition"),
    [
        pytest.param("x > 0", Compare((">",), (X, Num(Fraction(0), "0"))), id="entrywise"),
        pytest.param(
            "det(X) != 0",
            Compare(("!=",), (Call("det", (Var("X"),), "function"), Num(Fraction(0), "0"))),
            id="determinant",
        ),
        pytest.param(
            "0 < p <= 1",
            Compare(("<", "<="), (Num(Fraction(0), "0"), Var("p"), Num(Fraction(1), "1"))),
            id="chained",
        ),
        pytest.param(
            "sum(y) == 1",
            Compare(("==",), (Call("sum", (Var("y"),), "function"), Num(Fraction(1), "1"))),
            id="equality",
        ),
    ],
)
def test_a_condition_is_read_as_a_piecewise_condition_is(text: str, condition: Compare) -> None:
    assert parse_comparison(text, Scope({})) == condition


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param("x", "a condition compares expressions", id="no-comparison"),
        pytest.param("x > 0 and y > 0", "a condition compares expressions", id="and"),
        pytest.param("x in y", "a condition compares expressions", id="in"),
        pytest.param("x is y", "a condition compares expressions", id="is"),
        pytest.param("True", "a condition compares expressions", id="true"),
        pytest.param("x.foo > 0", "'.foo' is not allowed", id="attribute"),
        pytest.param("x > 2**9999", "too large", id="bomb"),
        pytest.param("__import__('os') > 0", "'__' are not allowed", id="dunder"),
    ],
)
def test_a_condition_that_is_no_comparison_is_refused(text: str, reason: str) -> None:
    with watching() as seen, pytest.raises(ExpressionError) as caught:
        parse_comparison(text, Scope({}))
    assert seen == []
    assert reason in caught.value.reason


# --- rejected input ----------------------------------------------------------------------------

_AST_CLASSES = {n for n, v in vars(ast).items() if isinstance(v, type) and issubclass(v, ast.AST)}

REJECTED = [
    pytest.param("__import__('os').system('touch pwned')", "'__' are not allowed", id="import"),
    pytest.param("().__class__", "'__' are not allowed", id="dunder"),
    pytest.param("x.real", "'.real' is not allowed: the only attribute is .T", id="attribute"),
    pytest.param("lambda: 1", "lambda is not allowed", id="lambda"),
    pytest.param("[i for i in x]", "a comprehension is not allowed", id="comprehension"),
    pytest.param("'abc'", "quotes are not allowed", id="string"),
    pytest.param("exp(x=1)", "keyword arguments are not allowed", id="keyword"),
    pytest.param("exp(*x)", "'*' unpacking is not allowed", id="starred"),
    pytest.param("x if y else z", "'if ... else' (use Piecewise)", id="if-else"),
    pytest.param("x // 2", "the operator '//' is not allowed", id="floordiv"),
    pytest.param("x % 2", "the operator '%' is not allowed", id="modulo"),
    pytest.param("x << 2", "the operator '<<' is not allowed", id="shift"),
    pytest.param("expp(x)", "unknown function 'expp'; did you mean 'exp'?", id="did-you-mean"),
    pytest.param("exp(x, y)", "'exp' takes 1 argument, not 2", id="too-many-arguments"),
    pytest.param("Max(x)", "'Max' takes at least 2 arguments, not 1", id="too-few-arguments"),
    pytest.param("True", "'True' can only be a Piecewise condition", id="true"),
    pytest.param("x + True", "'True' can only be a Piecewise condition", id="true-in-sum"),
    pytest.param("x < 1", "a comparison can only be a Piecewise condition", id="comparison"),
    pytest.param("1j", "complex literals are not allowed", id="complex"),
    pytest.param("0x10", "write 0x10 as a plain decimal number", id="hex"),
    pytest.param("", "the expression is empty", id="empty"),
    pytest.param("  \t\n ", "the expression is empty", id="whitespace"),
    pytest.param("exp", "'exp' is a function: call it", id="uncalled-function"),
    pytest.param("Piecewise((1, x))", "a Piecewise condition is a comparison", id="bad-condition"),
    pytest.param("2x", "invalid syntax", id="implicit-product"),
]


@pytest.mark.parametrize(("text", "reason"), REJECTED)
def test_rejected_input_says_why_and_runs_nothing(text: str, reason: str) -> None:
    """Each refusal names the problem in the author's terms; nothing of the text is executed."""
    assert reason in reason_for(text)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("not x", id="not"),
        pytest.param("~x", id="invert"),
        pytest.param("f(x)(y)", id="call-a-call"),
        pytest.param("(1)(2)", id="call-a-number"),
        *[pytest.param(p.values[0], id=p.id) for p in REJECTED],
    ],
)
def test_a_reason_never_names_pythons_syntax_tree_classes(text: str) -> None:
    """Authors write maths, not Python: 'UnaryOp' or 'Call' in a message tells them nothing."""
    reason = reason_for(text)
    assert not [name for name in _AST_CLASSES if f"'{name}'" in reason], reason


def test_the_import_trick_creates_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The classic payload is refused before anything could run: no file appears."""
    monkeypatch.chdir(tmp_path)
    reason = reason_for("__import__('os').system('touch pwned')")
    assert "not allowed" in reason
    assert not (tmp_path / "pwned").exists()
    assert list(tmp_path.iterdir()) == []


def test_a_prime_on_a_helper_is_refused() -> None:
    """sigma'(x) would trust a name; the author must write the helper's derivative out."""
    reason = reason_for("sigma'(x)", SIGMA)
    assert "a prime only marks the derivative of an abstract function" in reason
    assert "write the derivative of 'sigma' out" in reason


@pytest.mark.parametrize("text", ["exp'(x)", "Piecewise'(x)"])
def test_a_prime_on_a_built_in_is_refused_with_the_prime_explained(text: str) -> None:
    """``Piecewise'(x)`` must not get the nonsense hint "did you mean 'Piecewise'?"."""
    reason = reason_for(text)
    assert "prime" in reason
    assert "did you mean" not in reason


@pytest.mark.parametrize("text", ["x'", "x' + 1", "2*g'"])
def test_a_prime_on_a_name_that_is_not_called_is_refused(text: str) -> None:
    """``x'`` is not a variable named x__d1 (the parser's internal spelling of a prime)."""
    assert "prime" in reason_for(text)


def test_division_by_a_literal_zero_is_refused() -> None:
    """``x/0`` is as wrong as ``1/(1-1)``, which the parser already refuses."""
    assert "division by zero" in reason_for("1/(1-1)")
    assert "division by zero" in reason_for("x/0")


@pytest.mark.parametrize("text", ["1and x", "Piecewise((1, x < 0and x > -1), (0, True))"])
def test_parsing_never_emits_pythons_warnings(text: str) -> None:
    """Python's SyntaxWarnings would reach the user's terminal, and make the outcome depend on
    the warning filters (with -W error the same text is refused)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with contextlib.suppress(ExpressionError):
            parse(text)
    assert [str(w.message) for w in caught] == []


# --- bombs -------------------------------------------------------------------------------------

BOMBS = [
    pytest.param("9**9**9", "is too large", id="power-tower"),
    pytest.param("x**(10**10**10)", "is too large", id="huge-exponent"),
    pytest.param("2**(2**(2**(2**(2**5))))", "is too large", id="nested-powers"),
    pytest.param("9^9^9", "is too large", id="caret-tower"),
    pytest.param("1" * 50, f"has more than {MAX_DIGITS} digits", id="50-digit-literal"),
    pytest.param("1e999999", "the number 1e999999 is too large", id="huge-float"),
    pytest.param("1e-999999", "the number 1e-999999 is too small", id="tiny-float"),
    pytest.param(
        "1+" * 1499 + "10", f"3000 characters long; the limit is {MAX_LENGTH}", id="3000-chars"
    ),
    pytest.param(
        "(" * 100 + "x" + "+1)" * 100, f"nested more than {MAX_DEPTH} levels", id="100-parens"
    ),
    pytest.param(
        "exp(" * 60 + "x" + ")" * 60, f"nested more than {MAX_DEPTH} levels", id="60-deep-exp"
    ),
    pytest.param("x" + "+x" * 10_000, "the limit is", id="10000-terms"),
    pytest.param("-" * 1999 + "x", f"nested more than {MAX_DEPTH} levels", id="1999-minus-signs"),
    pytest.param("(10**1000)**2", "too large to compute", id="huge-constant"),
]


@pytest.mark.parametrize(("text", "reason"), BOMBS)
def test_bombs_are_refused_at_once(text: str, reason: str) -> None:
    """Expressions built to exhaust time or memory fail in the parser, well under a second."""
    start = time.perf_counter()
    refusal = reason_for(text)
    elapsed = time.perf_counter() - start
    assert reason in refusal
    assert elapsed < 1.0


def test_many_redundant_parentheses_are_harmless() -> None:
    """100 bare parentheses around x add no nesting to the tree: it is just x, at once."""
    start = time.perf_counter()
    assert parse("(" * 100 + "x" + ")" * 100) == Var("x")
    assert time.perf_counter() - start < 1.0


def test_an_expression_at_the_length_limit_is_accepted() -> None:
    """The limits refuse bombs, not long honest expressions (a product is not nested deeply)."""
    text = "Max(" + ", ".join(["x"] * ((MAX_LENGTH - 5) // 3)) + ")"
    assert len(text) <= MAX_LENGTH
    assert isinstance(parse(text), Call)


# --- helper signatures -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "signature"),
    [
        ("sigma(x)", ("sigma", ("x",))),
        ("affine(w, x, b)", ("affine", ("w", "x", "b"))),
        ("  softplus( z )  ", ("softplus", ("z",))),
        (" lam ", ("lam", ())),  # a named constant
    ],
)
def test_a_signature_gives_the_helpers_name_and_parameters(
    text: str, signature: tuple[str, tuple[str, ...]]
) -> None:
    assert parse_signature(text) == signature


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("sigma x", "a helper is declared as 'name(parameters)', such as 'sigma(x)'"),
        ("sigma()", "helper 'sigma' needs at least one parameter (a named constant is written"),
        ("pi", "helper 'pi' would hide the built-in 'pi'"),
        ("exp(x)", "helper 'exp' would hide the built-in 'exp'"),
        ("Piecewise(x)", "would hide the built-in 'Piecewise'"),
        ("f(x, x)", "helper 'f' repeats a parameter"),
        ("f(__x)", "helper 'f': '__x' is not a parameter name"),
        ("f(x, 2)", "helper 'f': '2' is not a parameter name"),
    ],
)
def test_a_bad_signature_is_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_signature(text)
    assert reason in caught.value.reason


# --- named constants (issue 14) ---------------------------------------------------------------

_LAM = Definition("lam", (), Num(Fraction(10507009873554805, 10**16), "1.0507009873554805"))


def test_a_named_constant_is_written_bare_and_parsed_as_a_call_without_arguments() -> None:
    """``lam`` of a ``define: {lam: 1.05…}`` is the constant, not a variable: the proof expands
    it to its exact value and the card prints its name."""
    tree = parse_expression("lam*x", Scope({"lam": _LAM}))
    assert tree == BinOp("*", Call("lam", (), "defined"), Var("x"))
    assert variables(tree) == {"x"}


def test_a_named_constant_called_like_a_function_is_refused() -> None:
    with pytest.raises(ExpressionError, match="'lam' is a named constant, not a function"):
        parse_expression("lam(x)*x", Scope({"lam": _LAM}))


def test_a_helper_parameter_may_not_hide_a_named_constant() -> None:
    with pytest.raises(ExpressionError, match="would hide the named constant 'lam'"):
        parse_signature("f(lam)", ["lam"])
