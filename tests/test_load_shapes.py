"""The load stage for vectors and matrices: a rule's ``shapes:`` read as written, and every shape
mistake refused as a located input error that names both shapes, before anything is proved.
The broken-catalogue corpus (tests/fixtures/bad/shape*) shows the whole messages; here each
mistake is pinned to its line."""

from __future__ import annotations

from fractions import Fraction

import pytest
from loading import MakeCatalogue, assert_problems, load_one, problems_of

from ankigen.expr.assumptions import Assumption
from ankigen.expr.tree import Call, Compare, Num, Var

QUADRATIC_FORM = """\
deck: "Derivatives for ML::Vectors"
rules:
  - id: quadratic-form-gradient
    name: Gradient of a quadratic form
    shapes: {x: [n], A: [n, n]}        # vectors are columns; dimension names are identifiers
    function: x.T @ A @ x
    variable: x
    derivative: (A + A.T) @ x
    context: x appears twice.
"""
# Lines: 5 shapes, 6 function, 7 variable, 8 derivative, 9 context; an assume: goes on line 10.


def shaped(**lines: str) -> str:
    """QUADRATIC_FORM with whole lines swapped (shapes, function, variable, derivative) and
    ``assume`` appended as line 10."""
    keys = ("deck", "rules", "id", "name", "shapes", "function", "variable", "derivative")
    text = QUADRATIC_FORM.splitlines()
    for key, line in lines.items():
        if key != "assume":
            text[keys.index(key)] = line
    extra = [lines["assume"]] if "assume" in lines else []
    return "\n".join([*text, *extra]) + "\n"


# --- what loads -----------------------------------------------------------------------------------


def test_the_issues_quadratic_form_loads_with_its_shapes_as_written(
    make_catalogue: MakeCatalogue,
) -> None:
    rule = load_one(make_catalogue(vectors=QUADRATIC_FORM))
    assert rule.shapes == (("x", ("n",)), ("A", ("n", "n")))
    assert rule.is_matrix
    assert (rule.assumptions, rule.conditions) == ((), ())


def test_whole_number_dimensions_are_kept_as_digits_in_the_order_written(
    make_catalogue: MakeCatalogue,
) -> None:
    text = shaped(
        shapes="    shapes: {A: [2, n], x: [n, 1]}",
        function="    function: sum(A @ x)",
        derivative="    derivative: A.T @ (A @ x * 0 + 1)",
    )
    assert load_one(make_catalogue(vectors=text)).shapes == (("A", ("2", "n")), ("x", ("n", "1")))


def test_a_shaped_rules_assume_is_kept_as_conditions_and_not_as_assumptions(
    make_catalogue: MakeCatalogue,
) -> None:
    """``det(A) != 0`` and ``x > 0`` (every entry) are comparisons of expressions."""
    text = shaped(assume='    assume: ["det(A) != 0", "0 < x"]')
    rule = load_one(make_catalogue(vectors=text))
    zero = Num(Fraction(0), "0")
    assert rule.conditions == (
        Compare(("!=",), (Call("det", (Var("A"),), "function"), zero)),
        Compare(("<",), (zero, Var("x"))),
    )
    assert rule.assumptions == ()


def test_a_scalar_rules_assume_is_read_as_before(make_catalogue: MakeCatalogue) -> None:
    text = QUADRATIC_FORM.replace("    shapes: {x: [n], A: [n, n]}", "    assume: x > 0")
    text = text.replace("x.T @ A @ x", "A*x**2").replace("(A + A.T) @ x", "2*A*x")
    rule = load_one(make_catalogue(scalar=text))
    assert (rule.shapes, rule.conditions) == ((), ())
    assert rule.assumptions == (Assumption("x", ">", Fraction(0)),)


def test_a_helper_applies_to_each_entry(make_catalogue: MakeCatalogue) -> None:
    text = shaped(
        function="    function: sum(sigma(A @ x))",
        derivative="    derivative: A.T @ (sigma(A @ x) * (1 - sigma(A @ x)))",
    )
    text = text.replace("rules:\n", "define:\n  sigma(t): 1/(1 + exp(-t))\nrules:\n")
    assert load_one(make_catalogue(vectors=text)).shapes == (("x", ("n",)), ("A", ("n", "n")))


# --- what is refused, where -----------------------------------------------------------------------

ID = "quadratic-form-gradient"


@pytest.mark.parametrize(
    ("lines", "line", "message"),
    [
        pytest.param(
            {"derivative": "    derivative: A.T"},
            8,
            "derivative: the derivative of a scalar by x [n] is a vector [n] (the gradient has "
            "x's shape), but the claim is [n, n]",
            id="claim-of-the-wrong-shape",
        ),
        pytest.param(
            {"shapes": "    shapes: {x: [n], A: [m, n]}", "derivative": "    derivative: x"},
            6,
            "function: cannot multiply x.T [1, n] @ A [m, n]",
            id="function-does-not-fit",
        ),
        pytest.param(
            {"derivative": "    derivative: A @ x + x.T"},
            8,
            "derivative: cannot add A @ x [n] and x.T [1, n]",
            id="claim-does-not-fit",
        ),
        pytest.param(
            {"function": "    function: A @ x @ x.T", "derivative": "    derivative: A"},
            6,
            "function: the derivative of a matrix [n, n] by x [n] has no layout here",
            id="no-layout",
        ),
        pytest.param(
            {
                "shapes": "    shapes: {x: [1, n], A: [n, n]}",
                "function": "    function: x @ A @ x.T",
                "derivative": "    derivative: x @ (A + A.T)",
            },
            6,
            "by x [1, n] has no layout here",
            id="row-variable",
        ),
        pytest.param(
            {"assume": '    assume: ["x > A"]'},
            10,
            "assumption 'x > A': cannot compare x [n] with A [n, n]",
            id="condition-does-not-fit",
        ),
        pytest.param(
            {"assume": '    assume: ["x.T > A"]'},
            10,
            "assumption 'x.T > A': cannot compare x.T [1, n] with A [n, n]",
            id="condition-row-and-matrix",
        ),
        pytest.param(
            {"assume": '    assume: ["det(x) > 0"]'},
            10,
            "assumption 'det(x) > 0': det() needs a square matrix such as [n, n], but x is [n]",
            id="condition-side-does-not-fit",
        ),
        pytest.param(
            {"assume": '    assume: ["1 < 0"]'},
            10,
            "compares numbers only",
            id="constant-condition",
        ),
        pytest.param(
            {"assume": '    assume: ["y > 0"]'},
            10,
            "the function and the derivative do not use 'y'",
            id="condition-on-another-symbol",
        ),
        pytest.param(
            {"assume": '    assume: ["x > 0 and x < 1"]'},
            10,
            "a condition compares expressions",
            id="condition-with-and",
        ),
        pytest.param(
            {"assume": "    assume: [[1]]"},
            10,
            "must be a comparison",
            id="condition-a-list",
        ),
        pytest.param(
            {"shapes": "    shapes: {x: [n], A: [n, n], B: [n, n]}"},
            5,
            "shapes: 'B' is given a shape, but neither the function nor the derivative uses it",
            id="unused",
        ),
        pytest.param(
            {"shapes": "    shapes: {x: [A], A: [n, n]}"},
            5,
            "shapes: the dimension 'A' of 'x' is also a symbol of the rule",
            id="dimension-named-like-a-symbol",
        ),
        pytest.param(
            {"shapes": "    shapes: {x: [x], A: [n, n]}"},
            5,
            "the dimension 'x' of 'x' is also a symbol",
            id="dimension-named-like-the-variable",
        ),
        pytest.param(
            {"shapes": "    shapes: {x: [pi], A: [n, n]}"},
            5,
            "shapes: the dimension 'pi' of 'x' is also a constant",
            id="dimension-named-like-pi",
        ),
        pytest.param(
            {"function": "    function: x.T @ A @ x + g(x.T @ x)"},
            6,
            "function: the abstract function g() is not supported in a rule with shapes",
            id="abstract-function",
        ),
    ],
)
def test_a_shape_mistake_is_refused_at_its_line_naming_both_shapes(
    make_catalogue: MakeCatalogue, lines: dict[str, str], line: int, message: str
) -> None:
    problems = problems_of(make_catalogue(vectors=shaped(**lines)))
    assert_problems(problems, [("vectors.yaml", line, ID, message)])


@pytest.mark.parametrize(
    ("dimension", "accepted"),
    [
        ("n", True), ("3", True), ("8", True), ("N_1", True), ("'n'", True),
        ("0", False), ("9", False), ("-2", False), ("+2", False), ("2.0", False),
        ("0x10", False), ("010", False), ("1_0", False), ("'2'", False), ("yes", False),
        ("null", False), ("n__m", False), ("2n", False), ("[n]", False), ("{a: 1}", False),
    ],
)  # fmt: skip
def test_a_dimension_is_a_name_or_a_whole_number_from_1_to_8(
    make_catalogue: MakeCatalogue, dimension: str, accepted: bool
) -> None:
    """A YAML int written plainly; 010 (octal to YAML 1.1), 0x10 and 1_0 are refused rather
    than read as a number the author may not mean."""
    text = shaped(
        shapes=f"    shapes: {{x: [{dimension}]}}",
        function="    function: x.T @ x",
        derivative="    derivative: 2 * x",
    )
    folder = make_catalogue(vectors=text)
    if accepted:
        assert load_one(folder).shapes[0][0] == "x"
        return
    assert_problems(
        problems_of(folder), [("vectors.yaml", 5, ID, "must be a name such as n or a whole")]
    )


def test_every_mistake_of_a_shaped_rule_is_reported_in_one_run(
    make_catalogue: MakeCatalogue,
) -> None:
    """The function and the claim are checked apart, each at its own line, and a malformed
    condition besides."""
    text = shaped(
        function="    function: x.T @ A @ x + A @ x.T",
        derivative="    derivative: A @ x + x.T",
        assume='    assume: ["det(A)"]',
    )
    assert_problems(
        problems_of(make_catalogue(vectors=text)),
        [
            ("vectors.yaml", 6, ID, "cannot multiply A [n, n] @ x.T [1, n]"),
            ("vectors.yaml", 8, ID, "cannot add A @ x [n] and x.T [1, n]"),
            ("vectors.yaml", 10, ID, "a condition compares expressions"),
        ],
    )


def test_malformed_shapes_are_reported_without_the_errors_they_would_cause(
    make_catalogue: MakeCatalogue,
) -> None:
    """A bad shapes: entry is the one problem: A's shape unknown, no "cannot multiply" follows."""
    text = shaped(shapes="    shapes: {x: [n], A: [n, n, n]}")
    assert_problems(
        problems_of(make_catalogue(vectors=text)),
        [("vectors.yaml", 5, ID, "the shape of 'A' must be a list of one dimension")],
    )


@pytest.mark.parametrize(
    ("function", "construct"),
    [
        ("x @ x", "'@'"),
        ("x.T * x", "'.T'"),
        ("trace(x)", "'trace()'"),
        ("Piecewise((x, det(x) > 0), (0, True))", "'det()'"),
    ],
)
def test_a_rule_without_shapes_refuses_vector_syntax_and_says_to_give_shapes(
    make_catalogue: MakeCatalogue, function: str, construct: str
) -> None:
    text = QUADRATIC_FORM.replace("    shapes: {x: [n], A: [n, n]}", "    tags: [scalar]")
    text = text.replace("x.T @ A @ x", function).replace("(A + A.T) @ x", "1")
    assert_problems(
        problems_of(make_catalogue(scalar=text)),
        [("scalar.yaml", 6, ID, f"function: {construct} needs shapes: give each vector")],
    )


def test_a_dimension_named_like_a_helper_is_refused(make_catalogue: MakeCatalogue) -> None:
    text = shaped(shapes="    shapes: {x: [lam], A: [lam, lam]}")
    text = text.replace("rules:\n", "define:\n  lam: 2\nrules:\n")
    assert_problems(
        problems_of(make_catalogue(vectors=text)),
        [
            ("vectors.yaml", 7, ID, "the dimension 'lam' of 'x' is also a name of the file's"),
            ("vectors.yaml", 7, ID, "the dimension 'lam' of 'A' is also a name of the file's"),
        ],
    )


def test_shapes_are_checked_even_when_another_field_is_wrong(make_catalogue: MakeCatalogue) -> None:
    """A mistake in the name does not hide a claim of the wrong shape: both are reported."""
    text = shaped(derivative="    derivative: A.T").replace(
        "    name: Gradient of a quadratic form", "    name: [a, list]"
    )
    assert_problems(
        problems_of(make_catalogue(vectors=text)),
        [
            ("vectors.yaml", 4, ID, "'name' must be text"),
            ("vectors.yaml", 8, ID, "but the claim is [n, n]"),
        ],
    )


def test_a_variable_the_function_does_not_use_is_the_one_problem(
    make_catalogue: MakeCatalogue,
) -> None:
    """No shape message follows the variable's: its shape would be a guess."""
    text = shaped(variable="    variable: y")
    assert_problems(
        problems_of(make_catalogue(vectors=text)),
        [("vectors.yaml", 7, ID, "the function does not use the variable 'y'")],
    )
