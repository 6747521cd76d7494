"""Properties that must hold for any input, checked on generated inputs with hypothesis.

Untrusted text may fail only with our own errors (never a traceback); valid expressions always
render to well-formed LaTeX, mean what sympy means by the same text, and their own derivative,
written back as text, is proved.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import sympy as sp
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from ankigen.errors import CatalogueError, Location
from ankigen.expr.latex import latex
from ankigen.expr.parse import ExpressionError, Scope, parse_expression
from ankigen.expr.symbolic import Translator
from ankigen.expr.tree import Node
from ankigen.load.catalogue import load_catalogue
from ankigen.records import Rule, Status
from ankigen.verify.prove import prove

# Deterministic and quick: the same examples on every run, no example database on disk.
QUICK = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

x = sp.Symbol("x", real=True)


def parse(text: str) -> Node:
    return parse_expression(text, Scope({}))


# --- the parser fails only with ExpressionError ------------------------------------------------

_TOKENS = [
    *"xye0123456789+-*/^(),.'<>=_ ",
    *["**", "exp", "log", "Max", "sqrt", "Piecewise", "True", "False", "and", "not", "pi"],
    *["g", "sigma", "lambda", ":", "[", "]", "__", "1e999", "j", "\\", "#", "\n", ";"],
]


def _parses_or_refuses(text: str) -> None:
    try:
        parse(text)
    except ExpressionError as error:
        assert error.reason


@QUICK
@given(st.text(max_size=300))
def test_any_text_is_parsed_or_refused_with_an_expression_error(text: str) -> None:
    """Whatever the catalogue contains, the parser answers with a tree or an ExpressionError."""
    _parses_or_refuses(text)


@QUICK
@given(st.lists(st.sampled_from(_TOKENS), max_size=40).map("".join))
@example("Piecewise((1, x < 0), (2, True)) + g''(x)^2")
@example("((((((" * 40)
@example("-" * 1500 + "x")
def test_text_made_of_expression_pieces_is_parsed_or_refused(text: str) -> None:
    """Near-misses of real expressions (the inputs most likely to reach deep code paths)."""
    _parses_or_refuses(text)


# --- the loader fails only with CatalogueError -------------------------------------------------

_YAML_LINES = [
    'deck: "Test"',
    "deck:",
    "deck: [a, b]",
    "tags: [t, u]",
    "tags: t",
    "define:",
    "  sigma(x): 1/(1 + exp(-x))",
    "  exp(x): x",
    "  f(): 1",
    "  s(x): s(x)",
    "rules:",
    "rules: 5",
    "  - id: a-rule",
    "  - id: Bad Id",
    "  - 7",
    "    name: A rule",
    "    name: 5",
    "    function: x**2",
    "    function: sigma(x)",
    "    function: '9**9**9'",
    "    derivative: 2*x",
    "    derivative: y",
    "    derivative: true",
    "    context: Why it matters.",
    "    context: ~",
    "    variable: e",
    "    variable: 1",
    '    assume: ["x > 0"]',
    "    assume: x",
    "    tags: [a]",
    "    source: somewhere",
    "    unknown: 1",
    "  - &anchor {id: b, name: B}",
    "  - *anchor",
    "  <<: *anchor",
    "? [complex, key]",
    ": value",
    "---",
    "\t- tab",
    "x: !!python/object/apply:os.system [touch pwned]",
    "x: *undefined",
    "  - [[[[[]]]]]",
    "'unterminated",
    "|",
]


@QUICK
@given(
    st.one_of(
        st.text(max_size=300),
        st.lists(st.sampled_from(_YAML_LINES), max_size=20).map("\n".join),
    )
)
@example("&a [*a]\n")  # an alias inside itself: a cycle
@example("deck: D\nrules: &r\n  - id: a\n    name: n\n    function: x\n    derivative: '1'\n"
         "    context: c\n    tags: *r\n")  # fmt: skip
@example("[" * 1000 + "]" * 1000)  # nesting deeper than Python's recursion limit
def test_any_file_is_loaded_or_refused_with_a_catalogue_error(text: str) -> None:
    """A catalogue file, however broken, gives rules or a CatalogueError, never a traceback."""
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "cards.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            load_catalogue([Path(folder)])
        except CatalogueError as error:
            assert error.problems
        assert not (Path(folder) / "pwned").exists()


# --- valid expressions ----------------------------------------------------------------------------

_LEAVES = st.sampled_from(["x", "x", "x", "x", "2", "3", "0.5", "pi"])


def _extend(child: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds("{}({})".format, st.sampled_from(["exp", "log", "sin", "cos"]), child),
        st.builds("({}{}{})".format, child, st.sampled_from([" + ", " - ", "*", "/"]), child),
        st.builds("({}){}{}".format, child, st.sampled_from(["**", "^"]), st.integers(1, 4)),
        st.builds("-{}".format, child),
    )


EXPRESSIONS = st.recursive(_LEAVES, _extend, max_leaves=12)


def _balanced(text: str, opening: str, closing: str) -> bool:
    depth = 0
    for mark in text.replace(opening, "\0").replace(closing, "\1"):
        depth += mark == "\0"
        depth -= mark == "\1"
        if depth < 0:
            return False
    return depth == 0


@QUICK
@given(EXPRESSIONS)
def test_latex_of_a_valid_expression_is_well_formed(text: str) -> None:
    """The card's LaTeX always renders: braces and \\left/\\right pairs are balanced."""
    shown = latex(parse(text))
    assert shown
    assert _balanced(shown, "{", "}"), shown
    assert _balanced(shown, "\\left", "\\right"), shown


@QUICK
@given(EXPRESSIONS)
def test_an_expression_means_what_sympy_reads_in_the_same_text(text: str) -> None:
    """Our tree agrees with sympy's own parser (precedence, ``^``, exact decimals, pi)."""
    ours = Translator((), {}).expr(parse(text))
    theirs = sp.sympify(text, locals={"x": x}, rational=True)
    assert ours == theirs or sp.simplify(ours - theirs) == 0, (ours, theirs)


@settings(QUICK, max_examples=100)
@given(EXPRESSIONS)
def test_sympys_own_derivative_written_as_text_is_proved(text: str) -> None:
    """For any function, its true derivative (as sympy prints it) parses and is proved."""
    function = parse(text)
    truth = sp.diff(Translator((), {}).expr(function), x)
    assume(not truth.has(sp.zoo, sp.nan, sp.oo, sp.E, sp.I))  # no spelling in our syntax
    claim_text = str(truth)
    where = Location(Path("cards/generated.yaml"), 1)
    rule = Rule(
        id="generated",
        name="Generated",
        deck="Test",
        function=function,
        derivative=parse(claim_text),
        variable="x",
        context="Generated by hypothesis.",
        tags=(),
        assumptions=(),
        source=None,
        definitions=(),
        function_text=text,
        derivative_text=claim_text,
        location=where,
        derivative_location=where,
    )
    verdict = prove(rule)
    if verdict.status == Status.INVALID:  # only a function with no real value anywhere (log(-2))
        values = [Translator((), {}).expr(function).subs(x, v) for v in (-3, -0.5, 0.25, 2, 7)]
        assert not any(sp.N(v).is_real for v in values), (text, verdict)
        return
    assert verdict.status == Status.PROVED, (claim_text, verdict)
