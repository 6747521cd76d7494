"""Proved means proved: claims built to slip past the prover are never called proved, and the
correct claims authors write in those same shapes still are.

The wrong claims come in the classes that once got through: equalities in conditions that hold
on whole intervals, kinks of periodic functions, kink arguments that are not real everywhere,
functions defined nowhere, and claims wrong only far from zero. A property test then builds
random functions from every construct the parser accepts and adds to their true derivative a
term that is non-zero on some interval (far from 0, between periodic kinks, on a set where an
equality holds): no such claim may be proved.
"""

from __future__ import annotations

import re

import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_verify import make_rule

from ankigen.expr.parse import ExpressionError
from ankigen.expr.symbolic import Translator
from ankigen.records import Status
from ankigen.verify.prove import prove

RELUS = " + ".join(f"Max(0, x - {k})" for k in range(1, 13))
STEPS = " + ".join(f"Heaviside(x - {k})" for k in range(1, 13))
LSE3 = "log(exp(a - Max(a, b, c)) + exp(b - Max(a, b, c)) + exp(c - Max(a, b, c))) + Max(a, b, c)"

PI58 = "(3.14159265358979323846264338327 + 0.95028841971693993751058209749*10**-29)"  # < pi
HALF = "(exp(100) + 1)*(exp(100) - 1) - exp(200) + 3/2"  # exactly 1/2, but -1e36 at 50 digits
K3 = "(2*atan(tan(x)) - 2*x + atan(x) + atan(1/x) - pi/2)"  # 0 on (0, pi/2), not around it
KT = "(atan(tan(x)) - x)"  # 0 on (-pi/2, pi/2)
FLAT = "(atan(x) + atan(1/x) - pi/2)"  # 0 for x > 0

WRONG = [
    # 1. equalities in conditions hold on whole intervals
    ("x**2", "Piecewise((0, sign(x) == 1), (2*x, True))", {}),
    ("x**2", "Piecewise((0, Heaviside(x) == 1), (2*x, True))", {}),
    ("x**2", "Piecewise((2*x, Max(0, x) == x), (0, True))", {}),
    ("x**2", "Piecewise((0, Abs(x) != x), (2*x, True))", {}),
    ("Piecewise((x, Abs(x) == x), (0, True))", "0", {}),
    ("Piecewise((x**2, Min(0, x) == 0), (x, True))", "Piecewise((2*x, x > 0), (0, True))", {}),
    # 2. periodic kinks: a solver that knows one period must not empty the others
    ("Max(0, sin(x))", "Piecewise((cos(x), 0 < x < pi), (0, True))", {}),
    ("Max(0, cos(x))", "Piecewise((-sin(x), -pi/2 < x < pi/2), (0, True))", {}),
    ("Abs(sin(x))", "Piecewise((cos(x), 0 < x < pi), (-cos(x), True))", {}),
    ("Heaviside(sin(x))*x", "Piecewise((1, 0 < x < pi), (0, True))", {}),
    # 3. kink arguments that are not real on part of the domain
    ("Abs(sqrt(x))", "1/(2*sqrt(x))", {}),
    ("Abs(log(x))", "sign(log(x))/x", {}),
    # 4. wrong only far from zero, or between sample points
    ("x**3", "3*x**2 + Piecewise((1, x > 1000), (0, True))", {}),
    ("exp(x)", "exp(x) + Piecewise((1, x < -100), (0, True))", {}),
    ("x**2", "2*x + Heaviside(x - 50)", {}),
    ("x**2", "2*x + Max(0, x - 777)", {}),
    ("tanh(x)", "1 - tanh(x)**2 + Piecewise((1, 5000 < x < 5001), (0, True))", {}),
    (RELUS, STEPS.replace("Heaviside(x - 7)", "Heaviside(x - 7.5)"), {}),
    # equalities that hold everywhere without sympy seeing it
    (
        "Piecewise((x**2, atan(x) + atan(1/x) - pi/2 > 0), (x**3, True))",
        "Piecewise((2*x, atan(x) + atan(1/x) - pi/2 > 0), "
        "(3*x**2, atan(x) + atan(1/x) - pi/2 < 0), (0, True))",
        {},
    ),
    ("Max(0, sin(x)**2 + cos(x)**2 - 1)", "5", {}),
    ("x**2", "Piecewise((0, sin(x)**2 + cos(x)**2 == 1), (2*x, True))", {}),
    ("x**2", "2*x + Piecewise((1, Abs(x - 2) < 10**-40), (0, True))", {}),
    # constants that agree with another to 58 digits, or cancel 87 of them, are not equal
    (
        f"Piecewise((x**2, Max(pi, x) > {PI58}), (x**3, True))",
        "Piecewise((3*x**2, x < pi), (2*x, True))",
        {},
    ),
    (f"Piecewise((x**2, Abs(x) - x*sign(x) + {HALF} > 0), (x**3, True))", "3*x**2", {}),
    (f"x**2*Heaviside(Max(0, x) + pi - {PI58})", "Piecewise((2*x, x > 0), (x, True))", {}),
    # a kink flat on an interval, where the derivative has a DiracDelta and so no value
    (f"x*Heaviside({K3})", f"Piecewise((1, {K3} > 0), (0, True))", {}),
    (f"g(x)*Heaviside({FLAT})", f"Piecewise((g'(x), {FLAT} > 0), (0, True))", {}),
    # a term that is zero but too large to evaluate, hiding a flat kink from every point
    (
        f"Piecewise((x**2, {KT} > 0), (x**3, {KT} < 0), (x**4, True))",
        f"Piecewise((2*x, {KT} > 0), (3*x**2, {KT} < 0), (0, True))"
        " + exp(10**12*(5/2 - x**2))*(sin(x)**2 + cos(x)**2 - 1)",
        {},
    ),
    # a value on a kink where the function is differentiable all the same
    ("a*x", "Piecewise((a, a != 0), (1, True))", {}),
    ("x**2", "Piecewise((2*x, x != 3), (0, True))", {}),
    ("x*Heaviside(y)", "1", {"assume": ("y >= 0",)}),
    (
        "Piecewise((x, x > 0), (exp(x) - 1, True))",
        "Piecewise((1, x > 0), (exp(x), x < 0), (0, True))",
        {},
    ),
    ("Max(0, 1 - x)**2", "Piecewise((2*x - 2, x < 1), (0, x > 1), (-1, True))", {}),
    ("x*Abs(x)", "Piecewise((2*Abs(x), x != 0), (1, True))", {}),
    (
        "Piecewise((x**2/2, Abs(x) <= 1), (Abs(x) - 1/2, True))",
        "Piecewise((x, Abs(x) < 1), (sign(x), Abs(x) > 1), (0, True))",
        {},
    ),
    # sympy simplifies away a division by 0 (or a log of 0) of the text, which is wrong there
    ("Max(0, x)", "Heaviside(x)*Max(0, x)/Max(0, x)", {}),
    ("x", "Max(0, 10 - x)/Max(0, 10 - x)", {}),
    ("x**2", "2*x*(x - 3)/(x - 3)", {}),
    ("x**2", "2*x*q(x - 2)", {"define": {"q(t)": "t/t"}}),
    ("x*y", "y*Max(0, y)/Max(0, y)", {"variable": "x"}),
    ("x", "Piecewise((Max(0, x)/Max(0, x), x < 0), (1, True))", {}),
    ("x", "Piecewise((1, Max(0, x)/Max(0, x) > 0), (1, True))", {}),
    ("x", "Min(0, x - Abs(x))/Min(0, x - Abs(x))", {}),  # 0 on a region, a tie at each point
    ("x", "(x*(atan(5) + atan(1/5) - pi/2))/(x*(atan(5) + atan(1/5) - pi/2))", {}),  # 0 unseen
    ("x", "(sin(1)**2 + cos(1)**2 - 1)/(sin(1)**2 + cos(1)**2 - 1)", {}),
    (
        "x + Piecewise((log(x), x > 1), (0, True))",
        "Max(0, x)/Max(0, x) + Piecewise((1/Max(0, x), x > 1), (0, True))",
        {},
    ),
    ("sqrt(Max(0, x))", "Piecewise((1/(2*sqrt(x)), x > 0), (0, True))*Max(0, x)/Max(0, x)", {}),
    # several variables
    (LSE3, "exp(a)/(exp(a) + exp(b))", {"variable": "a"}),
    ("Max(0, 1 - y*z)", "Piecewise((-z, y*z < 1), (0, True))", {"variable": "z"}),
    ("Max(0, 1 - y*z)", "Piecewise((-y, y*z < 1/2), (0, True))", {"variable": "z"}),
]


@pytest.mark.parametrize(("function", "claim", "options"), WRONG)
def test_a_wrong_claim_is_never_proved(function: str, claim: str, options: dict[str, str]) -> None:
    verdict = prove(make_rule(function, claim, **options))  # type: ignore[arg-type]
    assert verdict.status in (Status.REFUTED, Status.NOT_PROVED), verdict


@pytest.mark.parametrize(
    ("function", "claim"),
    [
        ("1/(x - x)", "0"),
        ("log(x, 1)", "0"),
        ("x**2", "1/(x - x)"),
        ("log(-1 - x**2)", "2*x/(1 + x**2)"),
    ],
)
def test_a_function_or_claim_defined_nowhere_is_invalid(function: str, claim: str) -> None:
    """sympy folds 1/(x - x) to complex infinity, whose derivative is 0: "0" must not be proved
    for it, nor for anything else; the rule is an input error."""
    assert prove(make_rule(function, claim)).status == Status.INVALID


def test_a_claim_with_no_value_on_the_declared_domain_is_invalid() -> None:
    verdict = prove(make_rule("log(x)", "log(-x)", assume=("x > 0",)))
    assert verdict.status == Status.INVALID
    assert "the claim has no real value at any point tried for x > 0" in verdict.detail


RIGHT = [
    ("Abs(x)", "Piecewise((1, Abs(x) == x), (-1, True))", {}),
    ("Abs(x)", "Piecewise((-1, Abs(x) != x), (1, True))", {}),
    ("Max(x, Abs(x))", "sign(x)", {}),
    ("Min(x, -Abs(x))", "-sign(x)", {}),
    (RELUS, STEPS, {}),
    (LSE3, "exp(a)/(exp(a) + exp(b) + exp(c))", {"variable": "a"}),
    ("Piecewise((x**2, x > 0))", "Piecewise((2*x, x > 0))", {}),
    ("exp(exp(exp(exp(x))))", "exp(exp(exp(exp(x))))*exp(exp(exp(x)))*exp(exp(x))*exp(x)", {}),
    ("Max(0, sin(x))", "Piecewise((cos(x), sin(x) > 0), (0, True))", {}),
    ("Abs(log(x))", "sign(log(x))/x", {"assume": ("x > 0",)}),
    ("Abs(sqrt(x))", "1/(2*sqrt(x))", {"assume": ("x > 0",)}),
    ("Max(0, x - 1000)", "Heaviside(x - 1000)", {}),
    ("Max(0, 1 - y*z)", "Piecewise((-y, y*z < 1), (0, True))", {"variable": "z"}),
    # a tie that is a kink of high order, 10**-45 away at 10**-9 (not a set where it holds)
    ("Piecewise((x, (x - 2)**5 > 0), (0, True))", "Heaviside((x - 2)**5)", {}),
    ("Piecewise((x**2, Abs(x) - x + 10**-45 > 0), (x**3, True))", "2*x", {}),
    # kinks with the sign of a simpler one: tanh(x), exp(x) - 1 and sigma(x) - 1/2 have x's
    ("Abs(tanh(x))", "sign(x)*(1 - tanh(x)**2)", {}),
    ("Min(exp(x), 1)", "Piecewise((exp(x), x < 0), (0, True))", {}),
    ("Max(0, 1/(1 + exp(-x)) - 1/2)", "Heaviside(x)*exp(-x)/(1 + exp(-x))**2", {}),
    ("Max(0, log(x) - 1)", "Piecewise((1/x, x > exp(1)), (0, True))", {"assume": ("x > 0",)}),
    # where sympy's derivative is 0/0 but the function is constant, or H(0) is a convention
    ("sqrt(Max(0, x))", "Piecewise((1/(2*sqrt(x)), x > 0), (0, True))", {}),
    (
        "Max(Piecewise((x, x >= 0), (1/2, True)), Min(x, 3))",
        "Piecewise((1, x >= 0), (0, True))*Heaviside(Piecewise((x, x >= 0), (1/2, True))"
        " - Min(3, x)) + Heaviside(3 - x)*Heaviside(-Piecewise((x, x >= 0), (1/2, True))"
        " + Min(3, x))",  # sympy's own: H(0) = 1/2 at x = 3, where f is differentiable
        {},
    ),
    # a catch-all value on a kink where the function is differentiable, rightly
    (
        "Piecewise((x, x > 0), (exp(x) - 1, True))",
        "Piecewise((1, x > 0), (exp(x), x < 0), (1, True))",
        {},
    ),
    ("Max(0, 1 - x)**2", "Piecewise((2*x - 2, x < 1), (0, True))", {}),
    # where the text has a value everywhere it is asked for, sympy's simplification is fine;
    # values on the way may be complex, so exp(log(x)) and sqrt(x)**2 are x at x = -1 too
    ("x**2/2", "exp(log(x))", {}),
    ("x**2/2", "sqrt(x)**2", {}),
    ("x**2/2", "r(x)", {"define": {"r(t)": "exp(log(t))"}}),
    ("exp(3*log(x))", "3*exp(2*log(x))", {}),
    ("x", "(exp(x + 10**-60) - exp(x))/(exp(x + 10**-60) - exp(x))", {}),  # 0 at 50 digits
    ("Max(0, x)", "Piecewise((1, x > 0), (log(x)/log(x) - 1, True))", {}),
    ("Max(0, x)", "Heaviside(x)*Max(0, x)/Max(0, x)", {"assume": ("x > 0",)}),
    ("x**2", "2*x*(x**2 + 1)/(x**2 + 1)", {}),
    ("sqrt(x)", "sqrt(x)/(2*x)", {"assume": ("x > 0",)}),
]


@pytest.mark.parametrize(("function", "claim", "options"), RIGHT)
def test_a_correct_claim_in_those_shapes_is_proved(
    function: str, claim: str, options: dict[str, object]
) -> None:
    verdict = prove(make_rule(function, claim, **options))  # type: ignore[arg-type]
    assert verdict.status == Status.PROVED, verdict


@pytest.mark.parametrize(
    ("function", "claim", "verdict"),
    [
        ("Abs(p - 1)", "-1", Status.PROVED),  # p < 1 throughout
        ("Abs(p - 1)", "1", Status.REFUTED),
        ("Piecewise((p, p < 2), (0, True))", "1", Status.PROVED),  # wrong only outside the interval
        ("Piecewise((p, p < 1/2), (0, True))", "1", Status.REFUTED),  # wrong on (1/2, 1)
        ("Max(0, p - 0.999)", "0", Status.REFUTED),  # wrong only in the interval's last thousandth
    ],
)
def test_an_interval_assumption_is_the_domain(function: str, claim: str, verdict: str) -> None:
    """``0 < p < 1``: the claim must hold on the whole interval and nowhere else; a
    counterexample lies inside it."""
    result = prove(make_rule(function, claim, variable="p", assume=("0 < p < 1",)))
    assert result.status == verdict, result
    if verdict == Status.REFUTED:
        point = re.search(r"at p = (\S+) ", result.detail)
        assert point is not None and 0 < sp.Rational(point.group(1)) < 1, result.detail


def test_a_limit_of_ours_says_so() -> None:
    """Past the case split's limit the verdict names the limit, not the author's form."""
    verdict = prove(make_rule("Max(0, sin(x)**2 + cos(x)**2 - 1 + x)", "Heaviside(x) + 1"))
    assert verdict.status in (Status.REFUTED, Status.NOT_PROVED)
    assert "try writing it in another form" not in verdict.detail


# --- fuzzing: random functions, perturbed true derivatives ---------------------------------------

_x = sp.Symbol("x", real=True)
_LEAVES = st.sampled_from(["x", "x", "x", "2", "3", "0.5", "pi", "-1"])
_UNARY = ["exp", "sin", "cos", "atan", "tanh", "erf", "Abs", "sinh"]


def _grow(child: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Functions defined on the whole real line, built from every construct of the syntax."""
    return st.one_of(
        st.tuples(child, st.sampled_from(["+", "-", "*"]), child).map(" ".join),
        st.tuples(child, child).map(lambda p: f"({p[0]})/(({p[1]})**2 + 1)"),
        st.tuples(child, st.integers(2, 3)).map(lambda p: f"({p[0]})**{p[1]}"),
        st.tuples(st.sampled_from(_UNARY), child).map(lambda p: f"{p[0]}({p[1]})"),
        child.map(lambda c: f"log(({c})**2 + 1)"),
        child.map(lambda c: f"sqrt(({c})**2 + 1)"),
        st.tuples(st.sampled_from(["Max", "Min"]), child, child).map(
            lambda p: f"{p[0]}({p[1]}, {p[2]})"
        ),
        st.tuples(child, child, child, st.sampled_from(["<", ">=", "==", "!="])).map(
            lambda p: f"Piecewise(({p[0]}, {p[1]} {p[3]} 0), ({p[2]}, True))"
        ),
        st.tuples(child, child, child).map(
            lambda p: f"Piecewise(({p[0]}, (x > -1) and not (x > 2)), ({p[1]} + {p[2]}, True))"
        ),
    )


FUNCTIONS = st.recursive(_LEAVES, _grow, max_leaves=5)
_WHERE = st.sampled_from(["-1000", "-37", "-3", "0", "1", "4", "250", "3000"])
PERTURBATIONS = st.one_of(
    st.tuples(_WHERE, st.sampled_from(["1", "1/2", "3"])).map(
        lambda p: f"Piecewise(({p[1]}, {p[0]} < x < {p[0]} + {p[1]}), (0, True))"
    ),
    _WHERE.map(lambda a: f"Heaviside(x - ({a}))"),
    _WHERE.map(lambda a: f"Max(0, x - ({a}))/1000"),
    _WHERE.map(lambda a: f"Max(0, Min(x - ({a}), ({a}) + 2 - x))"),
    st.sampled_from(
        [
            "Max(0, sin(x))",
            "Piecewise((1, sin(x) > 1/2), (0, True))",
            "Piecewise((1, (cos(x) < 0) and (x > 10)), (0, True))",
            "Piecewise((1, Abs(x) == x), (0, True))",
            "Piecewise((2, Max(0, x - 3) != 0), (0, True))",
            "10**-9",
            "x/10**6",
        ]
    ),
)


_SETTINGS = settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _true_derivative(function: str) -> str:
    """sympy's derivative of ``function`` as text of our syntax, or a hypothesis rejection."""
    try:
        rule = make_rule(function, "1")
    except ExpressionError:
        assume(False)
    truth = sp.diff(Translator((), {}).expr(rule.function), _x)
    assume(not truth.has(sp.zoo, sp.nan, sp.oo, sp.E, sp.I, sp.DiracDelta, sp.Derivative))
    return str(truth)


@_SETTINGS
@given(FUNCTIONS)
def test_the_true_derivative_of_such_a_function_is_proved(function: str) -> None:
    """The other half: the second line of defence never refutes a correct claim (ties on
    kinks, equalities on intervals, huge values far from 0)."""
    try:
        rule = make_rule(function, _true_derivative(function))
    except ExpressionError:
        assume(False)
    assert prove(rule).status == Status.PROVED, function


@_SETTINGS
@given(FUNCTIONS, PERTURBATIONS)
def test_a_perturbed_derivative_is_never_proved(function: str, perturbation: str) -> None:
    """The true derivative plus a term non-zero on some interval is never proved, wherever
    that interval lies (far from 0, between periodic kinks, where an equality holds)."""
    text = _true_derivative(function)
    try:
        wrong = make_rule(function, f"{text} + {perturbation}")
    except ExpressionError:
        assume(False)
    verdict = prove(wrong)
    assert verdict.status != Status.PROVED, (function, perturbation)
