"""The load stage: ``load_catalogue`` reads the bundled catalogue, and reports every mistake of a
broken one as data (message, file, line, rule id), all of them in one error, before anything else
runs."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import pytest
import sympy as sp
from bundled_ids import ADDED_IDS, LESSON_IDS
from click.testing import Result
from loading import GOOD, MakeCatalogue, assert_problems, good, load_one, problems_of, summary

from ankigen.expr.symbolic import Translator
from ankigen.expr.tree import BinOp, Const, Num, Var
from ankigen.load import fields
from ankigen.load.catalogue import load_catalogue
from ankigen.records import Catalogue

NEW_SUBDECKS = (
    "Derivatives for ML::7. Regularisation",
    "Derivatives for ML::8. Softmax and attention",
    "Derivatives for ML::4. Chain rule",
    "Derivatives for ML::9. Optimisation",
    "Derivatives for ML::4a. Vectors and matrices",
)
ADDED_COUNT = 141  # 87 for issue 8, 9 for issue 14, 45 for issue 16

# --- the bundled catalogue ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundled_catalogue() -> Catalogue:
    from ankigen.plumbing.resources import bundled_catalogue as folder

    return load_catalogue([folder()])


def test_the_bundled_catalogue_still_holds_every_lesson_rule(
    bundled_catalogue: Catalogue,
) -> None:
    """The 23 rules of the lesson all still ship, whatever was added around them."""
    ids = {rule.id for rule in bundled_catalogue.rules}
    assert len(LESSON_IDS) == 23
    assert set(LESSON_IDS) <= ids, sorted(set(LESSON_IDS) - ids)


def test_the_bundled_catalogue_holds_the_lesson_and_the_141_added_rules(
    bundled_catalogue: Catalogue,
) -> None:
    """Besides the lesson, exactly the rules added for issues 8, 14 and 16 ship (141 of them,
    164 in all): none lost, none unlisted."""
    added = [rule_id for ids in ADDED_IDS.values() for rule_id in ids]
    assert len(added) == ADDED_COUNT
    assert set(added).isdisjoint(LESSON_IDS)
    ids = [rule.id for rule in bundled_catalogue.rules]
    assert len(ids) == 23 + ADDED_COUNT == 164
    assert sorted(ids) == sorted([*LESSON_IDS, *added])


def test_each_added_rule_is_filed_under_its_subdeck(bundled_catalogue: Catalogue) -> None:
    """The added rules sit in the subdecks the issue asks for: activations and losses share the
    lesson's subdecks, and regularisation, softmax and attention, the chain rule, vectors and
    matrices, and optimisation each have a new one."""
    decks = {rule.id: rule.deck for rule in bundled_catalogue.rules}
    for deck, ids in ADDED_IDS.items():
        assert {rule_id: decks[rule_id] for rule_id in ids} == dict.fromkeys(ids, deck)


def test_the_new_subdecks_exist_and_hold_only_added_rules(bundled_catalogue: Catalogue) -> None:
    """Each new subdeck exists, holds at least five rules, and none of the lesson's."""
    for deck in NEW_SUBDECKS:
        in_deck = {rule.id for rule in bundled_catalogue.rules if rule.deck == deck}
        assert len(in_deck) >= 5, deck
        assert in_deck == set(ADDED_IDS[deck]), deck
    all_decks = {rule.deck for rule in bundled_catalogue.rules}
    assert len(all_decks) == 10
    assert set(NEW_SUBDECKS) <= all_decks


def test_every_added_rule_names_its_source(bundled_catalogue: Catalogue) -> None:
    """Issue 8 asks every added definition to be checked against a named original: each added
    rule has a source line, and none claims to come from the lesson."""
    added = {rule_id for ids in ADDED_IDS.values() for rule_id in ids}
    for rule in bundled_catalogue.rules:
        if rule.id in added:
            assert rule.source and rule.source.strip(), rule.id
            assert "lesson" not in rule.source.lower(), rule.id


def test_the_bundled_rule_ids_are_unique(bundled_catalogue: Catalogue) -> None:
    """Ids are note GUIDs: two rules with one id would overwrite each other in Anki."""
    ids = [rule.id for rule in bundled_catalogue.rules]
    assert len(set(ids)) == len(ids)


def test_every_bundled_rule_is_filed_under_the_derivatives_for_ml_deck(
    bundled_catalogue: Catalogue,
) -> None:
    """All bundled cards land in sub-decks of one parent deck, never at the top level."""
    for rule in bundled_catalogue.rules:
        assert rule.deck.startswith("Derivatives for ML::"), rule.id
        assert rule.deck.removeprefix("Derivatives for ML::").strip(), rule.id


def test_bundled_rules_know_the_file_and_line_they_were_written_on(
    bundled_catalogue: Catalogue,
) -> None:
    """Each rule's location points at its own 'id:' line and its derivative at 'derivative:'."""
    for rule in bundled_catalogue.rules:
        lines = rule.location.path.read_text(encoding="utf-8").splitlines()
        assert rule.location.line is not None
        assert lines[rule.location.line - 1].strip() == f"- id: {rule.id}"
        assert rule.derivative_location.line is not None
        assert lines[rule.derivative_location.line - 1].strip().startswith("derivative:")


# --- one mistake, its message and its line --------------------------------------------------------

ONE_MISTAKE = {
    "yaml-syntax-error-with-line-and-column": (
        good(name="    name: Square: x squared"),
        [
            (
                "bad.yaml",
                4,
                None,
                "YAML syntax error: mapping values are not allowed here (column 17)",
            )
        ],
    ),
    "unclosed-bracket": (
        good(name="    name: [Square"),
        [("bad.yaml", 5, None, "YAML syntax error: expected ',' or ']'")],
    ),
    "tab-indentation": (
        good(name="\tname: Square"),
        [("bad.yaml", 4, None, "indent with spaces, not tabs (column 1)")],
    ),
    "misspelt-key": (
        good(derivative="    derivitive: 2*x"),
        [
            ("bad.yaml", 6, "square", "unknown key 'derivitive'; did you mean 'derivative'?"),
            ("bad.yaml", 3, "square", "missing required key 'derivative'"),
        ],
    ),
    "misspelt-top-level-key": (
        good(deck='decks: "Derivatives for ML::Test"'),
        [
            ("bad.yaml", 1, None, "unknown key 'decks'; did you mean 'deck'?"),
            ("bad.yaml", 1, None, "missing required key 'deck'"),
        ],
    ),
    "missing-context": (
        GOOD.replace("    context: Used everywhere.\n", ""),
        [("bad.yaml", 3, "square", "missing required key 'context'")],
    ),
    "missing-rules": (
        'deck: "Derivatives for ML::Test"\n',
        [("bad.yaml", 1, None, "missing required key 'rules'")],
    ),
    "duplicate-key-in-one-mapping": (
        GOOD + "    name: Square again\n",
        [("bad.yaml", 8, None, "duplicate key 'name' (first on line 4)")],
    ),
    "id-with-capitals": (
        good(id="  - id: ReLU"),
        [("bad.yaml", 3, None, "id 'ReLU' must be lowercase letters and digits joined by single")],
    ),
    "id-with-underscore": (
        good(id="  - id: relu_1"),
        [("bad.yaml", 3, None, "id 'relu_1' must be lowercase letters and digits")],
    ),
    "id-with-double-hyphen": (
        good(id="  - id: leaky--relu"),
        [("bad.yaml", 3, None, "id 'leaky--relu' must be lowercase letters and digits")],
    ),
    "empty-file": ("", [("bad.yaml", None, None, "the file is empty")]),
    "only-comments": ("# nothing yet\n\n", [("bad.yaml", None, None, "the file is empty")]),
    "top-level-list": (
        "- id: square\n- id: cube\n",
        [("bad.yaml", 1, None, "the file must be a mapping with 'deck' and 'rules', not a list")],
    ),
    "top-level-scalar": (
        "just some words\n",
        [("bad.yaml", 1, None, "the file must be a mapping with 'deck' and 'rules'")],
    ),
    "rules-is-a-mapping": (
        'deck: "Derivatives for ML::Test"\nrules:\n  id: square\n',
        [("bad.yaml", 3, None, "'rules' must be a list of rules, not a mapping")],
    ),
    "rule-is-a-word": (
        GOOD + "  - power-rule\n",
        [("bad.yaml", 8, None, "a rule must be a mapping of keys")],
    ),
    "name-is-a-list": (
        good(name="    name: [a, b]"),
        [("bad.yaml", 4, "square", "'name' must be text, not a list")],
    ),
    "tags-is-a-word": (
        GOOD + "    tags: relu\n",
        [("bad.yaml", 8, "square", "'tags' must be a list such as [activation, loss]")],
    ),
    "tag-with-a-space": (
        GOOD + '    tags: ["two words"]\n',
        [("bad.yaml", 8, "square", "tag 'two words' must be one word")],
    ),
    "assumption-in-words": (
        GOOD + '    assume: ["x is positive"]\n',
        [("bad.yaml", 8, "square", "assumption 'x is positive' must compare one symbol with")],
    ),
    "assumption-with-a-huge-bound": (
        GOOD + '    assume: ["x > 1e99999"]\n',
        [("bad.yaml", 8, "square", "assumption 'x > 1e99999': the number 1e99999 is too large")],
    ),
    "assumption-interval-empty": (
        GOOD + '    assume: ["1 < x < 0.5"]\n',
        [("bad.yaml", 8, "square", "the assumptions 'x > 1' and 'x < 0.5' leave no value for x")],
    ),
    "define-without-parentheses": (
        'deck: "Derivatives for ML::Test"\ndefine:\n  sigma x: 1/(1 + exp(-x))\nrules:\n'
        + GOOD.split("rules:\n")[1],
        [("bad.yaml", 3, None, "define 'sigma x': a helper is declared as 'name(parameters)'")],
    ),
    "define-hiding-a-built-in": (
        'deck: "Derivatives for ML::Test"\ndefine:\n  exp(x): 1 + x\nrules:\n'
        + GOOD.split("rules:\n")[1],
        [("bad.yaml", 3, None, "define 'exp(x)': helper 'exp' would hide the built-in 'exp'")],
    ),
    "define-using-a-free-variable": (
        'deck: "Derivatives for ML::Test"\ndefine:\n  f(x): x + y\nrules:\n'
        + GOOD.split("rules:\n")[1],
        [("bad.yaml", 3, None, "define 'f(x)': uses y, which is not a parameter")],
    ),
    "function-syntax-error": (
        good(function="    function: x**"),
        [("bad.yaml", 5, "square", "function: invalid syntax")],
    ),
    "derivative-syntax-error": (
        good(derivative="    derivative: 2*x)"),
        [("bad.yaml", 6, "square", "derivative: invalid syntax at column 4")],
    ),
    "derivative-error-in-a-folded-block-is-reported-on-the-key-line": (
        good(derivative="    derivative: >-\n      2*x +\n      1 +"),
        [("bad.yaml", 6, "square", "derivative: invalid syntax")],
    ),
    "derivative-is-a-bool": (
        good(derivative="    derivative: true"),
        [("bad.yaml", 6, "square", "'derivative' must be an expression, not true/false")],
    ),
    "derivative-is-empty": (
        good(derivative="    derivative:"),
        [("bad.yaml", 6, "square", "'derivative' must be an expression")],
    ),
    "derivative-with-a-variable-the-function-lacks": (
        good(function="    function: w**2", derivative="    derivative: 2*ww")
        + "    variable: w\n",
        [
            (
                "bad.yaml",
                6,
                "square",
                "derivative uses 'ww', which the function does not; did you mean 'w'?",
            )
        ],
    ),
    "unknown-function-close-to-a-built-in": (
        good(function="    function: exp(x)", derivative="    derivative: exps(x)"),
        [("bad.yaml", 6, "square", "derivative: unknown function 'exps'; did you mean 'exp'?")],
    ),
    "unknown-function-close-to-a-helper": (
        'deck: "Derivatives for ML::Test"\ndefine:\n  sigma(x): 1/(1 + exp(-x))\nrules:\n'
        "  - id: sigmoid\n    name: Sigmoid\n    function: sigma(x)\n"
        "    derivative: sigmoid(x)*(1 - sigma(x))\n    context: Classification.\n",
        [("bad.yaml", 8, "sigmoid", "unknown function 'sigmoid'; did you mean 'sigma'?")],
    ),
    "too-many-arguments": (
        good(function="    function: exp(x)", derivative="    derivative: exp(x, 2)"),
        [("bad.yaml", 6, "square", "derivative: 'exp' takes 1 argument, not 2")],
    ),
    "merge-key": (
        GOOD.replace("  - id: square", "  - &base\n    id: square")
        + "  - <<: *base\n    id: square-again\n",
        [
            ("bad.yaml", 9, None, "merge keys ('<<') are not supported"),
            ("bad.yaml", 9, "square-again", "missing required key 'name'"),
            ("bad.yaml", 9, "square-again", "missing required key 'function'"),
            ("bad.yaml", 9, "square-again", "missing required key 'derivative'"),
            ("bad.yaml", 9, "square-again", "missing required key 'context'"),
        ],
    ),
}


@pytest.mark.parametrize(("text", "expected"), list(ONE_MISTAKE.values()), ids=list(ONE_MISTAKE))
def test_a_mistake_is_reported_with_its_message_line_and_rule(
    make_catalogue: MakeCatalogue,
    text: str,
    expected: list[tuple[str | None, int | None, str | None, str]],
) -> None:
    """Each kind of mistake yields exactly its own located problem(s), nothing more."""
    assert_problems(problems_of(make_catalogue(bad=text)), expected)


def test_the_same_id_in_two_files_is_reported_at_the_second_naming_the_first(
    make_catalogue: MakeCatalogue,
) -> None:
    """The later rule is the one reported, and the message says where the id was first used."""
    folder = make_catalogue(a=GOOD, b="# the same id again\n" + GOOD)
    (problem,) = problems_of(folder)
    assert summary(problem)[:3] == ("b.yaml", 4, "square")
    assert problem.message.startswith("duplicate id; first used at ")
    assert problem.message.endswith("a.yaml:3")


def test_the_same_id_twice_in_one_file_is_reported_at_the_second(
    make_catalogue: MakeCatalogue,
) -> None:
    """A copy-pasted rule whose id was not changed is caught within one file too."""
    second = GOOD.split("rules:\n")[1]
    (problem,) = problems_of(make_catalogue(bad=GOOD + second))
    assert summary(problem)[:3] == ("bad.yaml", 8, "square")
    assert problem.message.endswith("bad.yaml:3")


def test_a_rules_count_that_is_a_number_reads_as_english(make_catalogue: MakeCatalogue) -> None:
    """The type in a message is written for people: no 'a int'."""
    (problem,) = problems_of(make_catalogue(bad='deck: "Derivatives for ML::Test"\nrules: 3\n'))
    assert summary(problem)[:3] == ("bad.yaml", 2, None)
    assert problem.message.startswith("'rules' must be a list of rules, not ")
    assert " a int" not in problem.message


def test_the_column_of_a_syntax_error_counts_in_the_authors_own_text(
    make_catalogue: MakeCatalogue,
) -> None:
    """'^' is rewritten to '**' before parsing; the column shown must still match what was typed."""
    (problem,) = problems_of(make_catalogue(bad=good(derivative="    derivative: x^2 + * 3")))
    assert summary(problem)[:3] == ("bad.yaml", 6, "square")
    assert "invalid syntax at column 7" in problem.message  # the '*' after '+ '


def test_numbers_written_without_quotes_are_accepted_as_expressions(
    make_catalogue: MakeCatalogue,
) -> None:
    """YAML reads `function: 1` as an int; it is still the expression 1, not a type error."""
    folder = make_catalogue(
        constant=good(function="    function: 1", derivative="    derivative: 0"),
        linear=good(
            id="  - id: linear",
            function="    function: 2.5*x",
            derivative="    derivative: 2.5",
        ),
    )
    rules = {rule.id: rule for rule in load_catalogue([folder]).rules}
    assert rules["square"].function == Num(Fraction(1), "1")
    assert rules["square"].derivative == Num(Fraction(0), "0")
    assert rules["linear"].derivative == Num(Fraction(5, 2), "2.5")


# --- many mistakes, one error ---------------------------------------------------------------------

SEVERAL_MISTAKES = """\
deck: "Derivatives for ML::Test"
rules:
  - id: Square
    name: Square
    function: x**2
    derivative: 2*x
    context: Used everywhere.
  - id: cube
    name: Cube
    function: x**3
    derivative: 3*x**2 +
    context: Used everywhere.
  - id: line
    name: Line
    function: 5*x
    derivative: 5
    tags: linear
    context: Used everywhere.
    context: Said twice.
"""


def test_every_mistake_of_a_file_is_reported_in_one_error(make_catalogue: MakeCatalogue) -> None:
    """A file with four mistakes yields four located problems in a single run."""
    assert_problems(
        problems_of(make_catalogue(bad=SEVERAL_MISTAKES)),
        [
            ("bad.yaml", 3, None, "id 'Square' must be lowercase"),
            ("bad.yaml", 11, "cube", "derivative: invalid syntax"),
            ("bad.yaml", 17, "line", "'tags' must be a list"),
            ("bad.yaml", 19, None, "duplicate key 'context' (first on line 18)"),
        ],
    )


def test_the_mistakes_of_a_file_are_listed_in_file_order(make_catalogue: MakeCatalogue) -> None:
    """Problems read top to bottom, whatever check found them (YAML structure or format)."""
    problems = problems_of(make_catalogue(bad=SEVERAL_MISTAKES))
    assert [p.location.line for p in problems if p.location] == [3, 11, 17, 19]


def test_the_mistakes_of_two_files_are_all_reported_file_by_file(
    make_catalogue: MakeCatalogue,
) -> None:
    """Both files' mistakes come in one error: the first file's, then the second's, in order."""
    second = (
        'deck: "Derivatives for ML::Test"\n'
        "definitions: {}\n"
        "rules:\n"
        "  - id: cube\n"
        "    name: Cube\n"
        "    function: x**3\n"
        "    derivative: 3*x**2\n"
        "    context: Used everywhere.\n"
        "  - id: bad_id\n"
        "    name: Bad\n"
        "    function: x\n"
        "    derivative: 1\n"
        "    context: Used everywhere.\n"
    )
    folder = make_catalogue(a=good(derivative="    derivative: 2*y"), b=second)
    problems = problems_of(folder)
    assert [summary(p)[:3] for p in problems] == [
        ("a.yaml", 6, "square"),
        ("b.yaml", 2, None),
        ("b.yaml", 9, None),
    ]
    assert "derivative uses 'y'" in problems[0].message
    assert "unknown key 'definitions'" in problems[1].message
    assert "id 'bad_id'" in problems[2].message


# --- Euler's number and a variable called e -------------------------------------------------------


def test_e_is_the_variable_in_a_rule_whose_variable_is_e(make_catalogue: MakeCatalogue) -> None:
    """In the squared-error rule, e is the error: `e**2` is a variable squared, not a constant."""
    rule = load_one(
        make_catalogue(
            bad=good(function="    function: e**2", derivative="    derivative: 2*e")
            + "    variable: e\n"
        )
    )
    assert rule.function == BinOp("**", Var("e"), Num(Fraction(2), "2"))
    assert rule.derivative == BinOp("*", Num(Fraction(2), "2"), Var("e"))


def test_e_is_eulers_number_everywhere_else(make_catalogue: MakeCatalogue) -> None:
    """With variable x, `e**x` is exp(x), and `e` does not count as a variable of the rule."""
    rule = load_one(
        make_catalogue(bad=good(function="    function: e**x", derivative="    derivative: e**x"))
    )
    assert rule.function == BinOp("**", Const("e"), Var("x"))
    x = sp.Symbol("x", real=True)
    assert Translator((), {}).expr(rule.function) == sp.exp(x)


def test_control_characters_in_a_file_name_are_escaped_in_its_messages(
    make_catalogue: MakeCatalogue, cli: Callable[..., Result]
) -> None:
    """A file name cannot colour the terminal, nor forge a second error line."""
    name = "evil\x1b[2J\nforged.yaml:1: rule 'x': all is well\r.yaml"
    folder = make_catalogue({name: good(name="    name: [a, b]")})
    result = cli("check", folder)
    assert result.exit_code == 2
    assert result.stderr == (
        f"{folder.name}/evil\\x1b[2J\\nforged.yaml:1: rule 'x': all is well\\r.yaml:4: "
        "rule 'square': 'name' must be text, not a list\n"
    )


def test_a_huge_value_is_quoted_cut_short_in_its_message(make_catalogue: MakeCatalogue) -> None:
    """A megabyte-long bad value is named by its first characters, not echoed whole."""
    folder = make_catalogue(bad=good(context="    context: Used.\n    variable: 2" + "y" * 10**6))
    (problem,) = problems_of(folder)
    assert problem.message == (
        f"'variable' must be a variable name such as x or w, not '2{'y' * 58}…'"
    )


# --- MathJax in text fields -----------------------------------------------------------------------


@pytest.mark.parametrize("command", sorted(fields.UNSAFE_TEX))
@pytest.mark.parametrize(("field", "line"), [("name", 4), ("context", 7)])
def test_a_mathjax_command_that_is_more_than_math_is_refused_in_a_text_field(
    make_catalogue: MakeCatalogue, command: str, field: str, line: int
) -> None:
    """Anki typesets the whole card with MathJax: links, styles, actions, extensions, macro
    definitions and overlapping ink are refused with their place, wherever they are written."""
    text = f"'A \\({{\\{command}{{x}}{{y}}}}\\) b'"
    folder = make_catalogue(bad=good(**{field: f"    {field}: {text}"}))
    assert_problems(
        problems_of(folder), [("bad.yaml", line, "square", f"'{field}' uses \\{command} (")]
    )


@pytest.mark.parametrize(
    "text",
    [
        r"'The rate \(\frac{\partial L}{\partial w} = \sigma(x)\,(1 - \sigma(x))\).'",
        r"'Rows \(a \\ b\): a line break, then \\href as two words'",
        r"'\(\hrefs \datum \styles\): a longer name is another command'",
    ],
)
def test_math_and_lookalikes_of_refused_commands_are_accepted(
    make_catalogue: MakeCatalogue, text: str
) -> None:
    """Commands are read as TeX reads them: ``\\\\href`` is a line break and a word."""
    folder = make_catalogue(good=good(context=f"    context: {text}"))
    assert load_one(folder).context == text.strip("'")


@pytest.mark.parametrize(
    ("written", "enabled"),
    [("true", True), ("Yes", True), ("YES", True), ("On", True), ("ON", True), ("off", False)],
)
def test_plot_takes_every_yaml_spelling_of_true_and_false(
    make_catalogue: MakeCatalogue, written: str, enabled: bool
) -> None:
    """YAML 1.1 reads Yes, YES, On and ON as true: they must not turn the plot off."""
    rule = load_one(make_catalogue(a=GOOD + f"    plot: {written}\n"))
    assert rule.plot.enabled is enabled
