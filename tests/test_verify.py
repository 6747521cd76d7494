"""The verification stage: only true derivatives are proved, wrong ones are refuted with a
counterexample an author can check by hand, and no rule can hang or crash the whole run.
"""

from __future__ import annotations

import dataclasses
import re
import time
from pathlib import Path
from typing import Any

import pytest

from ankigen.errors import Location
from ankigen.expr.assumptions import Assumption
from ankigen.expr.parse import Scope, parse_expression
from ankigen.expr.signature import parse_signature
from ankigen.expr.tree import Call, Definition, Var
from ankigen.load.assumptions import parse_assumption
from ankigen.load.catalogue import load_catalogue
from ankigen.records import Rule, Status, Verdict
from ankigen.verify.prove import prove, verify_rules

SIGMOID = {"sigma(x)": "1/(1 + exp(-x))"}
WHERE = Location(Path("cards/test.yaml"), 1)


def make_rule(
    function: str,
    derivative: str,
    *,
    variable: str = "x",
    assume: tuple[str, ...] = (),
    define: dict[str, str] | None = None,
    rule_id: str = "rule",
) -> Rule:
    """A rule as the loader would build it; ``assume`` entries look like ``"x > 0"``."""
    definitions: dict[str, Definition] = {}
    for signature, body in (define or {}).items():
        name, params = parse_signature(signature)
        definitions[name] = Definition(name, params, parse_expression(body, Scope(definitions)))
    scope = Scope(definitions, variable)
    assumptions: tuple[Assumption, ...] = ()
    for text in assume:
        parsed = parse_assumption(text)
        assert isinstance(parsed, tuple), parsed
        assumptions += parsed
    return Rule(
        id=rule_id,
        name=rule_id,
        deck="Test",
        function=parse_expression(function, scope),
        derivative=parse_expression(derivative, scope),
        variable=variable,
        context="A test rule.",
        tags=(),
        assumptions=assumptions,
        source=None,
        definitions=tuple(definitions.values()),
        function_text=function,
        derivative_text=derivative,
        location=WHERE,
        derivative_location=WHERE,
    )


def test_every_bundled_rule_is_proved(bundled: Path) -> None:
    """The shipped catalogue must build: every one of its claims is proved, in file order."""
    rules = load_catalogue([bundled]).rules
    verdicts = verify_rules(rules, timeout=30)
    assert [v.rule_id for v in verdicts] == [r.id for r in rules]
    assert [v for v in verdicts if not v.proved] == []


# --- wrong claims ------------------------------------------------------------------------------

REFUTED_CLAIMS = [
    pytest.param(
        "x**2",
        "2*x + 10**-12",
        {},
        r"at x = \S+ the claim gives 4\.000000000001, but d/dx x\*\*2 = 4$",
        id="off-by-a-trillionth",
    ),
    pytest.param(
        "x**2",
        "2*x + sin(pi*x)",
        {},
        r"at x = -?\d+/\d+ the claim gives",  # it agrees at every integer
        id="agrees-at-integers",
    ),
    pytest.param(
        "Max(0, x)",
        "Piecewise((0, x < 1), (1, True))",
        {},
        r"the claim gives 0, but d/dx Max\(0, x\) = 1$",
        id="relu-kink-in-the-wrong-place",
    ),
    pytest.param(
        "g(x)*h(x)",
        "g'(x)*h'(x)",
        {},
        r"^derivative is wrong: with g\(x\) = .+, h\(x\) = .+, at x = \S+ the claim gives",
        id="product-rule-as-product-of-derivatives",
    ),
    pytest.param(
        "g(x)/h(x)",
        "(g(x)*h'(x) - g'(x)*h(x))/h(x)**2",
        {},
        r"the claim gives -(?P<value>[\d.]+), but d/dx g\(x\)/h\(x\) = (?P=value)$",
        id="quotient-rule-sign-flipped",
    ),
    pytest.param(
        "sigma(x)",
        "sigma(x)*(1 + sigma(x))",
        {"define": SIGMOID},
        r"but d/dx sigma\(x\) = 0\.10499",  # sigma'(2) = 0.104993...
        id="sigmoid-plus-instead-of-minus",
    ),
    pytest.param(
        "Piecewise((x, x > 0), (0.01*x, True))",
        "Piecewise((1, x > 0), (0.1, x < 0))",
        {},
        r"at x = -\S+ the claim gives 1/10, but d/dx .* = 1/100$",
        id="leaky-relu-slope-0.1",
    ),
    pytest.param(
        "tanh(x)",
        "1 + tanh(x)**2",
        {},
        r"but d/dx tanh\(x\) = 0\.07065",  # 1 - tanh(2)**2 = 0.070650...
        id="tanh-plus-instead-of-minus",
    ),
    pytest.param(
        "f(g(x))",
        "f'(g(x))",
        {},
        r"^derivative is wrong: with f\(x\) = .+, g\(x\) = .+, at x = .+ the claim gives",
        id="chain-rule-forgets-inner-derivative",
    ),
    pytest.param(
        "(w*x - target)**2",
        "2*(w*x - target)",
        {"variable": "w"},
        r"the claim gives \S+, but d/dw \(w\*x - target\)\*\*2 = ",
        id="linear-model-missing-factor-x",
    ),
]


@pytest.mark.parametrize(("function", "claim", "options", "message"), REFUTED_CLAIMS)
def test_a_wrong_claim_is_refuted_with_a_counterexample(
    function: str, claim: str, options: dict[str, Any], message: str
) -> None:
    """The message gives a point and both values, so the author can check it by hand."""
    verdict = prove(make_rule(function, claim, **options))
    assert verdict.status == Status.REFUTED, verdict
    assert verdict.detail.startswith("derivative is wrong: ")
    assert re.search(message, verdict.detail), verdict.detail


def test_a_wrong_power_rule_gives_an_exact_counterexample() -> None:
    """Rational values are shown exactly, in one line a user can read."""
    verdict = prove(make_rule("x**3", "3*x"))
    assert verdict == Verdict(
        "rule",
        Status.REFUTED,
        "derivative is wrong: at x = 2 the claim gives 6, but d/dx x**3 = 12",
    )


def test_a_function_with_no_real_value_anywhere_is_an_input_error() -> None:
    """sqrt(-1 - x**2) has no real value anywhere, so no point can be tested, and any claim
    would be vacuously true: the rule is refused as invalid, never "agrees" or "proved"."""
    verdict = prove(make_rule("sqrt(-1 - x**2)", "0"))
    assert verdict.status == Status.INVALID
    assert verdict.detail.startswith("the function has no real value at any point tried")


# --- correct claims in unusual forms ----------------------------------------------------------

PROVED_CLAIMS = [
    pytest.param("Max(0, x)", "Heaviside(x)", {}, id="relu-as-heaviside"),
    pytest.param("Max(0, x)", "Piecewise((0, x < 0), (1, x > 0))", {}, id="relu-open-pieces"),
    pytest.param("Abs(x)", "sign(x)", {}, id="abs-as-sign"),
    pytest.param(
        "Max(x, 0.01*x)", "Piecewise((1, x > 0), (0.01, x < 0))", {}, id="leaky-relu-as-max"
    ),
    pytest.param("tanh(x)", "1/cosh(x)**2", {}, id="tanh-as-sech-squared"),
    pytest.param("sigma(x)", "sigma(x)*(1 - sigma(x))", {"define": SIGMOID}, id="sigmoid-helper"),
    pytest.param("x**n", "n*x**(n - 1)", {"assume": ("x > 0",)}, id="power-rule-symbolic-n"),
    pytest.param("ln(x)", "1/x", {"assume": ("x > 0",)}, id="ln"),
    pytest.param("sqrt(x)", "1/(2*sqrt(x))", {"assume": ("x > 0",)}, id="sqrt"),
    pytest.param("f(g(x))", "f'(g(x))*g'(x)", {}, id="chain-rule"),
    pytest.param(
        "Piecewise((0, x < 0), (x, x < 1), (1, True))",
        "Piecewise((0, x < 0), (1, x < 1), (0, True))",
        {},
        id="clamp-two-kinks",
    ),
    pytest.param(
        "Max(0, w*x + b)",
        "Piecewise((0, w*x + b < 0), (x, True))",
        {"variable": "w"},
        id="relu-of-affine-by-weight",
    ),
]


@pytest.mark.parametrize(("function", "claim", "options"), PROVED_CLAIMS)
def test_a_correct_claim_is_proved_in_the_authors_form(
    function: str, claim: str, options: dict[str, Any]
) -> None:
    """A true derivative is proved however it is written, not only in sympy's own form."""
    verdict = prove(make_rule(function, claim, **options))
    assert verdict.status == Status.PROVED, verdict
    assert verdict.detail == ""


@pytest.mark.parametrize(
    ("function", "claim", "method"),
    [
        ("Max(0, x)", "Heaviside(x)", "case split over 1 kink"),
        ("Abs(x)", "sign(x)", "case split over 1 kink"),
        ("Max(0, x)", "Piecewise((0, x < 0), (1, x > 0))", "case split over 1 kink"),
        (
            "Piecewise((0, x < 0), (x, x < 1), (1, True))",
            "Piecewise((0, x < 0), (1, x < 1), (0, True))",
            "case split over 2 kinks",
        ),
        ("x**3", "3*x**2", "symbolic"),
    ],
)
def test_the_verdict_says_how_it_was_proved(function: str, claim: str, method: str) -> None:
    """Piecewise proofs hold only off the kinks, and the verdict says it was a case split."""
    assert prove(make_rule(function, claim)).method == method


# --- isolation: time limit, crashes, parallelism ----------------------------------------------

# A correct claim that sympy cannot settle: cancel() expands (x+1)**400*(x-1)**400 term by term
# (measured: still running after 30 s in prove).
# A right claim whose proof takes about 40 s (polynomials of degree 3000 expanded): far past a
# limit of 1 s. (The claim for (x + 1)**400*(x - 1)**400 once took longer than that too; the
# polynomial-ring zero test now proves it in about a second, too close to the limit to test it.)
HANGS = (
    "(x + 1)**1000*(x - 1)**1000*(x + 2)**1000",
    "1000*(x**2 - 1)**999*(x + 2)**999*(3*x**2 + 4*x - 1)",
)


def test_a_proof_that_cannot_finish_is_stopped_at_the_time_limit() -> None:
    """A hanging proof becomes "not proved" at the limit; the other rules are still proved."""
    rules = [
        make_rule("x**3", "3*x**2", rule_id="before"),
        make_rule(*HANGS, rule_id="hangs"),
        make_rule("sigma(x)", "sigma(x)*(1 - sigma(x))", define=SIGMOID, rule_id="after"),
    ]
    start = time.perf_counter()
    verdicts = verify_rules(rules, timeout=1, jobs=2)
    elapsed = time.perf_counter() - start
    assert elapsed < 15
    assert [v.rule_id for v in verdicts] == ["before", "hangs", "after"]
    assert verdicts[0].status == verdicts[2].status == Status.PROVED
    assert verdicts[1].status == Status.NOT_PROVED
    assert "time limit" in verdicts[1].detail
    assert "1 s" in verdicts[1].detail


def test_a_proof_that_raises_fails_alone() -> None:
    """An exception inside one proof makes that rule "not proved" and spares the others."""
    # The parser refuses g'(x, y), so the tree is built by hand to make the translator raise.
    two_args = Call("g", (Var("x"), Var("y")), "abstract", primes=1)
    broken = dataclasses.replace(make_rule("g(x, y)", "x", rule_id="broken"), derivative=two_args)
    with pytest.raises(ValueError, match="only defined for a function of one argument"):
        prove(broken)  # so it is the worker that turns the crash into a verdict
    rules = [make_rule("x**2", "2*x", rule_id="before"), broken, make_rule("x", "1", rule_id="end")]
    verdicts = verify_rules(rules, timeout=30, jobs=2)
    assert [v.rule_id for v in verdicts] == ["before", "broken", "end"]
    assert verdicts[0].status == verdicts[2].status == Status.PROVED
    assert verdicts[1].status == Status.NOT_PROVED
    assert "the proof stopped (ValueError" in verdicts[1].detail


def test_the_number_of_jobs_changes_nothing_but_speed() -> None:
    """Verdicts come back in the rules' order with the same content, one worker or several."""
    rules = [
        make_rule("x**3", "3*x", rule_id="wrong"),
        make_rule("Max(0, x)", "Heaviside(x)", rule_id="relu"),
        make_rule("tanh(x)", "1/cosh(x)**2", rule_id="tanh"),
        make_rule("x**2", "2*x + sin(pi*x)", rule_id="integers"),
        make_rule("g(x)*h(x)", "g'(x)*h(x) + g(x)*h'(x)", rule_id="product"),
        make_rule("g(x)*h(x)", "g'(x)*h'(x)", rule_id="not-product"),
        make_rule("sigma(x)", "sigma(x)*(1 - sigma(x))", define=SIGMOID, rule_id="sigmoid"),
        make_rule("sqrt(-1 - x**2)", "0", rule_id="undefined"),
    ]
    one = verify_rules(rules, timeout=30, jobs=1)
    two = verify_rules(rules, timeout=30, jobs=2)
    assert one == two
    assert [v.rule_id for v in one] == [r.id for r in rules]
    assert {v.status for v in one} == {Status.PROVED, Status.REFUTED, Status.INVALID}
    assert one == tuple(prove(rule) for rule in rules)


@pytest.mark.parametrize(
    ("function", "derivative"),
    [
        ("Min(Max(0, x), 6)", "Piecewise((0, x < 0), (1, x < 6), (0, True))"),  # ReLU6
        ("Max(0, Max(0, x) - 1)", "Heaviside(x - 1)"),
        ("Abs(Abs(x) - 1)", "sign(Abs(x) - 1)*sign(x)"),
    ],
    ids=["relu6", "max-of-max", "abs-of-abs"],
)
def test_a_kink_inside_a_kink_is_split_after_the_inner_one(function: str, derivative: str) -> None:
    """Nested kinks are found while resolving, so their case split still proves the claim."""
    verdict = prove(make_rule(function, derivative))
    assert verdict.status == Status.PROVED, verdict.detail
    assert verdict.method.startswith("case split over")


def test_a_claim_wrong_only_between_the_sample_points_is_refuted_from_the_case_split() -> None:
    """ReLU6 with its kink put at 5: no sample point lies in (5, 6), but the case split finds
    that region and the refuter confirms a point inside it."""
    verdict = prove(make_rule("Min(Max(0, x), 6)", "Piecewise((0, x < 0), (1, x < 5), (0, True))"))
    assert verdict.status == Status.REFUTED
    assert "at x = 11/2 the claim gives 0, but d/dx Min(Max(0, x), 6) = 1" in verdict.detail


def test_a_claim_undefined_where_the_derivative_is_defined_is_refuted() -> None:
    """(x² − 9)/(x − 3) equals x + 3 everywhere but at 3, where it has no value; sympy cancels
    it to x + 3, so only the sample point 3 catches the hole: the claim is not proved."""
    verdict = prove(make_rule("x**2/2 + 3*x", "(x**2 - 9)/(x - 3)"))
    assert verdict == Verdict(
        "rule",
        Status.REFUTED,
        "derivative is wrong: at x = 3 the claim gives no real value, but d/dx x**2/2 + 3*x = 6",
    )


def test_a_claim_wrong_only_at_a_later_sample_point_is_refuted_there() -> None:
    """A claim right at the first sample points (2 and -1) but wrong from x > 2 on (it adds
    (x - 2)(x + 1) there) is refuted at 3, the first sample point where it is wrong."""
    verdict = prove(make_rule("x**2", "2*x + Piecewise(((x - 2)*(x + 1), x > 2), (0, True))"))
    assert verdict.status == Status.REFUTED
    assert verdict.detail.startswith("derivative is wrong: at x = 3 the claim gives 10"), verdict


def test_a_sample_point_on_a_kink_is_skipped() -> None:
    """Hard tanh's kinks are at -1 and 1, both sample values; a claim that says nothing there
    is still proved instead of being refuted for 'no value' at the kink."""
    verdict = prove(
        make_rule(
            "Piecewise((-1, x < -1), (x, x <= 1), (1, True))",
            "Piecewise((0, x < -1), (1, x < 1), (0, x > 1))",
        )
    )
    assert verdict.status == Status.PROVED, verdict.detail
