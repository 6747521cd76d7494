"""``ankigen new``: a rule is appended to a catalogue file only once the real loader accepts it and
its derivative is proved; the file keeps its comments and layout, and a refused rule leaves it
byte for byte unchanged."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import processes
import pytest
from click.testing import CliRunner, Result

from ankigen.cli import main
from ankigen.commands.new import NewRule, add_rule
from ankigen.errors import CatalogueError, RuleNotWrittenError
from ankigen.load.catalogue import load_catalogue
from ankigen.plumbing.resources import bundled_catalogue
from ankigen.records import Rule
from ankigen.verify.prove import prove

Cli = Callable[..., Result]
BUNDLED_FILES = sorted(p.name for p in bundled_catalogue().glob("*.yaml"))
DESCRIPTION_ONLY = "derivatives-for-ml.yaml"  # the parent deck's description, 'rules: []'
CUBE = ("--id", "cube-test", "--name", "Cube", "--function", "x**3", "--derivative", "3*x**2")
WHY = ("--context", "Polynomial features.")


@pytest.fixture
def cards(tmp_path: Path) -> Path:
    """A copy of the bundled catalogue (without its lock file) to add rules to."""
    folder = tmp_path / "cards"
    shutil.copytree(bundled_catalogue(), folder, ignore=shutil.ignore_patterns("*.lock"))
    return folder


def new(cli: Cli, path: Path, *args: str) -> Result:
    return cli("new", "--file", path, *args)


def loaded(folder: Path, rule_id: str) -> Rule:
    """The rule as ``ankigen check`` would read it from the folder."""
    return next(r for r in load_catalogue([folder]).rules if r.id == rule_id)


# --- appending ------------------------------------------------------------------------------------


def test_a_new_rule_is_appended_keeping_the_file_and_it_loads_and_proves(
    cli: Cli, cards: Path
) -> None:
    """The original text, comments included, is a prefix of the new one; the new rule is read
    by the loader with the file's deck and tags, and proved."""
    path = cards / "losses.yaml"
    original = path.read_text(encoding="utf-8")
    assert original.startswith("#") or "\n#" in original  # the file has comments to keep
    result = new(cli, path, *CUBE, *WHY, "--tag", "test", "--source", "Me, 2024")
    assert result.exit_code == 0, result.stderr
    text = path.read_text(encoding="utf-8")
    assert text.startswith(original)
    assert text[len(original) :] == (
        "\n"
        "  - id: cube-test\n"
        "    name: Cube\n"
        "    function: x**3\n"
        "    derivative: 3*x**2\n"
        '    context: "Polynomial features."\n'
        "    tags: [test]\n"
        '    source: "Me, 2024"\n'
    )
    rule = loaded(cards, "cube-test")
    assert rule.deck == "Derivatives for ML::6. Loss functions"
    assert "test" in rule.tags and "loss" in rule.tags
    assert prove(rule).proved
    line = text.count("\n", 0, text.index("- id: cube-test")) + 1
    assert result.stdout == f"added rule 'cube-test' at cards/losses.yaml:{line}: proved\n"


@pytest.mark.parametrize("name", [name for name in BUNDLED_FILES if name != DESCRIPTION_ONLY])
def test_every_bundled_file_keeps_its_text_when_a_rule_is_appended(cards: Path, name: str) -> None:
    """ruamel's round trip reproduces each bundled file exactly, so adding a rule only adds."""
    path = cards / name
    original = path.read_bytes()
    add_rule(path, NewRule("cube-test", "Cube", "x**3", "3*x**2", "Polynomial features."))
    assert path.read_bytes().startswith(original)
    added = path.read_bytes()[len(original) :]  # after a blank line if the file spaces its rules
    assert added.removeprefix(b"\n").startswith(b"  - id: cube-test\n")


def test_an_empty_rules_list_is_refused_with_the_rule_to_paste(cli: Cli, cards: Path) -> None:
    """'rules: []' (a file that only describes its deck) is flow style: adding a rule would
    rewrite that line, so the rule is given to paste by hand and the file is left alone."""
    path = cards / DESCRIPTION_ONLY
    original = path.read_bytes()
    result = new(cli, path, *CUBE, *WHY)
    assert result.exit_code == 2
    assert "'rules:' list is in flow style" in result.stderr
    assert "{id: cube-test, name: Cube" in result.stderr
    assert path.read_bytes() == original


def test_a_rule_may_use_the_helpers_of_its_file(cli: Cli, cards: Path) -> None:
    """activations.yaml defines sigma(x): a new rule there can use it, and is proved with it."""
    path = cards / "activations.yaml"
    args = ("--id", "sigmoid-double", "--name", "Sigmoid of 2x", "--function", "sigma(2*x)")
    claim = ("--derivative", "2*sigma(2*x)*(1 - sigma(2*x))")
    result = new(cli, path, *args, *claim, *WHY)
    assert result.exit_code == 0, result.stderr


def test_variable_and_assumptions_are_written_when_given(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    args = ("--deck", "Mine", "--id", "log-w", "--name", "Log", "--function", "ln(w)")
    more = ("--derivative", "1/w", "--variable", "w", "--assume", "w > 0")
    result = new(cli, path, *args, *more, *WHY)
    assert result.exit_code == 0, result.stderr
    modeline, text = path.read_text(encoding="utf-8").split("\n", 1)
    assert modeline.startswith("# yaml-language-server: $schema=")
    assert text == (
        'deck: "Mine"\n'
        "rules:\n"
        "  - id: log-w\n"
        "    name: Log\n"
        "    function: ln(w)\n"
        "    derivative: 1/w\n"
        "    variable: w\n"
        '    context: "Polynomial features."\n'
        '    assume: ["w > 0"]\n'
    )
    assert result.stdout == "created the file and added rule 'log-w' at mine.yaml:4: proved\n"


def test_text_with_quotes_colons_hashes_and_backslashes_survives_exactly(
    tmp_path: Path,
) -> None:
    """What the author typed is what the loader reads back: YAML quoting is ruamel's job."""
    path = tmp_path / "mine.yaml"
    context = "Say \"why\": # not a comment, \\(x^2\\) in MathJax, 'single' too"
    name = "Cube: the rule - #1"
    add_rule(path, NewRule("cube", name, "x**3", "3*x**2", context, source="p. 12: #3"), "Mine")
    rule = load_catalogue([tmp_path]).rules[0]
    assert (rule.name, rule.context, rule.source) == (name, context, "p. 12: #3")


def test_the_file_keeps_its_own_style_without_blank_lines_and_with_a_final_comment(
    tmp_path: Path,
) -> None:
    """No blank line is added where the file has none between rules; a comment after the last
    rule stays where it was."""
    path = tmp_path / "mine.yaml"
    original = (
        "# My rules.\n"
        'deck: "Mine"   # the deck\n'
        "rules:\n"
        "- id: square\n"
        "  name: Square\n"
        "  function: x**2\n"
        "  derivative: 2*x\n"
        "  context: 'Everywhere.'\n"
        "- id: line\n"
        "  name: Line\n"
        "  function: 5*x\n"
        "  derivative: 5\n"
        "  context: Everywhere.\n"
        "# the end\n"
    )
    path.write_text(original, encoding="utf-8")
    add_rule(path, NewRule("cube", "Cube", "x**3", "3*x**2", "Features."))
    text = path.read_text(encoding="utf-8")
    assert text == original + (
        '- id: cube\n  name: Cube\n  function: x**3\n  derivative: 3*x**2\n  context: "Features."\n'
    )


def test_a_rules_list_followed_by_other_keys_gets_the_rule_and_keeps_the_rest(
    tmp_path: Path,
) -> None:
    path = tmp_path / "mine.yaml"
    original = (
        "rules:\n"
        "  - id: square\n"
        "    name: Square\n"
        "    function: sq(x)\n"
        "    derivative: 2*x\n"
        "    context: Everywhere.\n"
        "deck: Mine  # after the rules\n"
        "define:\n"
        "  sq(x): x**2\n"
    )
    path.write_text(original, encoding="utf-8")
    add_rule(path, NewRule("cube", "Cube", "x*sq(x)", "3*sq(x)", "Features."))
    head, tail = original.split("deck:")
    assert (
        path.read_text(encoding="utf-8")
        == head
        + (
            "  - id: cube\n"
            "    name: Cube\n"
            "    function: x*sq(x)\n"
            "    derivative: 3*sq(x)\n"
            '    context: "Features."\n'
        )
        + "deck:"
        + tail
    )
    assert [r.id for r in load_catalogue([tmp_path]).rules] == ["square", "cube"]


def test_windows_line_endings_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    original = (
        'deck: "Mine"\nrules:\n  - id: square\n    name: Square\n    function: x**2\n'
        "    derivative: 2*x\n    context: Everywhere.\n"
    ).replace("\n", "\r\n")
    path.write_bytes(original.encode("utf-8"))
    add_rule(path, NewRule("cube", "Cube", "x**3", "3*x**2", "Features."))
    data = path.read_bytes()
    assert data.startswith(original.encode("utf-8"))
    assert b"\n" not in data.replace(b"\r\n", b"")


# --- refusals leave the file unchanged ------------------------------------------------------------


def test_a_wrong_derivative_exits_1_with_the_located_counterexample_and_writes_nothing(
    cli: Cli, cards: Path
) -> None:
    path = cards / "losses.yaml"
    original = path.read_bytes()
    wrong = ("--id", "cube-test", "--name", "Cube", "--function", "x**3", "--derivative", "3*x")
    result = new(cli, path, *wrong, *WHY)
    assert result.exit_code == 1
    assert path.read_bytes() == original
    assert result.stdout == ""
    # The rule's lines are in no file, so the message names the file without a line (issue 14).
    assert result.stderr == (
        "cards/losses.yaml: rule 'cube-test' was not written: derivative is wrong: at x = 2 the "
        "claim gives 6, but d/dx x**3 = 12\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--id", "relu"), "rule 'relu' was not written: duplicate id; first used at cards/"),
        (("--id", "Cube"), "id 'Cube' must be lowercase letters and digits joined by single "),
        (("--function", "x**"), "rule 'cube-test' was not written: function: "),
        (("--derivative", "3*y**2"), "derivative uses 'y', which the function does not"),
        (("--function", "sigma(x)"), "unknown function 'sigma'"),  # a helper of another file
        (("--tag", "two words"), "tag 'two words' must be one word"),
        (("--assume", "x is positive"), "assumption 'x is positive' must compare one symbol"),
    ],
    ids=[
        "duplicate-id",
        "bad-id",
        "syntax",
        "unknown-variable",
        "other-files-helper",
        "tag",
        "assumption",
    ],
)
def test_a_rule_the_loader_refuses_exits_2_located_at_the_real_files(
    cli: Cli, cards: Path, args: tuple[str, ...], message: str
) -> None:
    """Every check of the loader applies, across the files of the folder, and the messages name
    the real files, never the temporary copy they were checked in."""
    path = cards / "losses.yaml"
    original = path.read_bytes()
    options = dict(zip(CUBE[::2], CUBE[1::2], strict=True))  # the cube rule, with one change
    options.update(zip(args[::2], args[1::2], strict=True))
    result = new(cli, path, *[word for option in options.items() for word in option], *WHY)
    assert result.exit_code == 2, result.stdout
    assert path.read_bytes() == original
    assert message in result.stderr
    assert result.stderr.startswith("cards/")
    assert "ankigen-new-" not in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'deck: "Mine"\nrules:\n  - id: [unclosed\n',
            "mine.yaml:4: YAML syntax error: expected ',' or ']'",
        ),
        ("", "mine.yaml: the file is empty"),
        ("- a list\n", "mine.yaml:1: the file must be a mapping with 'deck' and 'rules'"),
        ('deck: "Mine"\nrules: {}\n', "mine.yaml:2: 'rules' must be a list of rules"),
    ],
    ids=["yaml-syntax", "empty", "top-level-list", "rules-not-a-list"],
)
def test_a_broken_file_is_reported_by_the_loader_and_left_alone(
    cli: Cli, tmp_path: Path, text: str, message: str
) -> None:
    """A file ankigen cannot read gets the loader's located message, never a traceback."""
    path = tmp_path / "mine.yaml"
    path.write_text(text, encoding="utf-8")
    result = new(cli, path, *CUBE, *WHY)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert path.read_text(encoding="utf-8") == text


def test_a_new_file_needs_a_deck(cli: Cli, tmp_path: Path) -> None:
    result = new(cli, tmp_path / "mine.yaml", *CUBE, *WHY)
    assert result.exit_code == 2
    assert "mine.yaml: no such file; give --deck to create it" in result.stderr
    assert not (tmp_path / "mine.yaml").exists()


def test_only_yaml_files_can_be_written(cli: Cli, tmp_path: Path) -> None:
    """The loader reads *.yaml only: a rule in a .yml file would silently never be built."""
    result = new(cli, tmp_path / "mine.yml", "--deck", "Mine", *CUBE, *WHY)
    assert result.exit_code == 2
    assert "must end in .yaml" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_refused_rule_in_a_new_file_creates_no_file(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError) as refused:
        add_rule(tmp_path / "mine.yaml", NewRule("Cube", "C", "x**3", "3*x**2", "F."), "Mine")
    assert isinstance(refused.value, RuleNotWrittenError)
    assert refused.value.field == "id"  # the field to ask for again
    assert list(tmp_path.iterdir()) == []


def test_a_refusal_in_a_new_file_cites_no_line_of_the_file_that_was_not_created(
    cli: Cli, tmp_path: Path
) -> None:
    """Issue 14: the error used to say "mine.yaml:7: ..." of a file that does not exist."""
    path = tmp_path / "mine.yaml"
    result = new(cli, path, "--deck", "Mine", *CUBE[:-1], "3*x", *WHY)
    assert result.exit_code == 1
    assert result.stderr == (
        "mine.yaml: rule 'cube-test' was not written: derivative is wrong: at x = 2 the claim "
        "gives 6, but d/dx x**3 = 12\n"
    )
    assert not path.exists()


def test_a_problem_below_the_new_rule_keeps_its_line_in_the_file_as_it_is(
    cli: Cli, tmp_path: Path
) -> None:
    """A rule is inserted before a key that follows 'rules:'; a mistake there is located at
    its line in the file on disk, not in the draft with the rule inserted."""
    path = tmp_path / "mine.yaml"
    text = SQUARE + "tags: [two words]\n"
    path.write_text(text, encoding="utf-8")
    result = new(cli, path, *CUBE, *WHY)
    assert result.exit_code == 2
    line = text.count("\n")  # the last line of the file
    assert f"mine.yaml:{line}: tag 'two words' must be one word" in result.stderr
    assert path.read_text(encoding="utf-8") == text


def test_a_variable_the_function_does_not_use_is_refused_with_a_suggestion(
    cli: Cli, tmp_path: Path
) -> None:
    """Issue 14: `variable: W` for a function of w used to be "derivative is wrong … d/dW = 0"."""
    path = tmp_path / "mine.yaml"
    path.write_text(SQUARE, encoding="utf-8")
    args = ("--id", "decay", "--name", "Decay", "--function", "lam*w**2", "--derivative")
    result = new(cli, path, *args, "2*lam*w", "--variable", "W", *WHY)
    assert result.exit_code == 2
    assert result.stderr == (
        "mine.yaml: rule 'decay' was not written: the function does not use the variable 'W' "
        "(its derivative by 'W' would be 0); did you mean 'w'?\n"
    )
    assert path.read_text(encoding="utf-8") == SQUARE


def test_a_new_file_starts_with_the_schema_modeline(cli: Cli, tmp_path: Path) -> None:
    """Issue 14: a file made by `ankigen new` gets the editor modeline the bundled files have,
    pointing (from the file's folder) at the schema `ankigen schema` prints."""
    path = tmp_path / "mine.yaml"
    assert new(cli, path, "--deck", "Mine", *CUBE, *WHY).exit_code == 0
    first = path.read_text(encoding="utf-8").splitlines()[0]
    prefix = "# yaml-language-server: $schema="
    assert first.startswith(prefix)
    schema = path.parent / first[len(prefix) :]  # an absolute path stays absolute
    assert schema.read_text(encoding="utf-8") == cli("schema").stdout
    assert loaded(tmp_path, "cube-test").deck == "Mine"


def test_a_new_file_beside_the_bundled_catalogue_points_at_the_schema_relatively(
    tmp_path: Path,
) -> None:
    """In a source checkout, a folder beside cards/ gets the same relative path as cards/."""
    folder = bundled_catalogue().parent / f"my-cards-{os.getpid()}"
    folder.mkdir()
    try:
        add_rule(folder / "mine.yaml", NewRule("cube-test", "C", "x**3", "3*x**2", "F."), "Mine")
        first = (folder / "mine.yaml").read_text(encoding="utf-8").splitlines()[0]
    finally:
        shutil.rmtree(folder)
    assert first == "# yaml-language-server: $schema=../schema/ankigen-catalogue.schema.json"


def test_deck_is_refused_for_an_existing_file_with_another_deck(cli: Cli, cards: Path) -> None:
    path = cards / "losses.yaml"
    original = path.read_bytes()
    result = new(cli, path, "--deck", "Elsewhere", *CUBE, *WHY)
    assert result.exit_code == 2
    assert "--deck is for a new file" in result.stderr
    assert path.read_bytes() == original


# --- prompts --------------------------------------------------------------------------------------


def test_missing_fields_are_asked_for_with_x_as_the_default_variable(
    monkeypatch: pytest.MonkeyPatch, cards: Path
) -> None:
    """Interactive use: every field is asked for, optional ones may be left empty."""
    monkeypatch.chdir(cards.parent)
    answers = [
        "cards/losses.yaml",  # file
        "cube-test",  # id
        "Cube",  # name
        "x**3",  # function
        "3*x**2",  # derivative
        "",  # variable: the default x
        "Polynomial features.",  # context
        "test other",  # tags
        "",  # source: none
    ]
    result = CliRunner().invoke(main, ["new"], input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    for prompt in ("Catalogue file", "Id", "Name", "Function", "Derivative", "Variable [x]"):
        assert f"{prompt}: " in result.output
    rule = loaded(cards, "cube-test")
    assert (rule.variable, rule.source) == ("x", None)
    assert {"test", "other"} <= set(rule.tags)
    assert (
        "variable:" not in (cards / "losses.yaml").read_text(encoding="utf-8").split("cube-test")[1]
    )


def test_only_the_missing_fields_are_asked_for_and_a_new_file_asks_for_its_deck(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    answers = ["My course::Powers", "x**3", "3*x**2", "w", "Features.", "", "A book"]
    args = ["new", "--file", "mine.yaml", "--id", "cube", "--name", "Cube"]
    result = CliRunner().invoke(main, args, input="\n".join(answers) + "\n")
    assert result.exit_code == 2, result.output  # x**3 has no w: d/dw would be 0, not 3x²
    assert "the function does not use the variable 'w'" in result.output
    assert "Deck of the new file: " in result.output
    assert "Id: " not in result.output
    assert not (tmp_path / "mine.yaml").exists()

    answers[3] = ""  # variable x after all
    result = CliRunner().invoke(main, args, input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    (rule,) = load_catalogue([tmp_path]).rules
    assert (rule.deck, rule.source, rule.variable) == ("My course::Powers", "A book", "x")


# --- hostile files, two writers, the end of input -----------------------------------------------

SQUARE = (
    'deck: "Mine"\n'
    "rules:\n"
    "  - id: square\n"
    "    name: Square\n"
    "    function: x**2\n"
    "    derivative: 2*x\n"
    "    context: Everywhere.\n"
)


def cube(rule_id: str) -> list[str]:
    """The command line of `ankigen new` adding a proved cube rule with this id to mine.yaml."""
    return ["new", "--file", "mine.yaml", *CUBE[:1], rule_id, *CUBE[2:], *WHY]


def test_two_at_once_on_one_file_keep_both_rules(tmp_path: Path) -> None:
    """Three `ankigen new` started together on one file: each reads the file as the one before
    left it, so every rule is kept (each used to read the same original and lose the others)."""
    (tmp_path / "mine.yaml").write_text(SQUARE, encoding="utf-8")
    started = [processes.start(cube(f"cube-{n}"), tmp_path) for n in range(3)]
    for process in started:
        _stdout, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
    ids = [rule.id for rule in load_catalogue([tmp_path]).rules]
    assert sorted(ids) == ["cube-0", "cube-1", "cube-2", "square"]
    assert (tmp_path / "mine.yaml").read_text(encoding="utf-8").startswith(SQUARE)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.yaml"]  # no lock file left


def test_two_at_once_in_one_folder_cannot_add_one_id_to_two_files(tmp_path: Path) -> None:
    """The lock is the folder's: the second sees the first's rule and refuses its id."""
    (tmp_path / "mine.yaml").write_text(SQUARE, encoding="utf-8")
    started = [
        processes.start(["new", "--file", name, "--deck", "Mine", *CUBE, *WHY], tmp_path)
        for name in ("one.yaml", "two.yaml")
    ]
    outcomes = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in started]
    assert sorted(code for code, _ in outcomes) == [0, 2], outcomes
    assert any("duplicate id" in stderr for _, stderr in outcomes)
    assert [r.id for r in load_catalogue([tmp_path]).rules].count("cube-test") == 1


def test_a_symbolic_link_is_refused_not_replaced_by_a_copy(cli: Cli, tmp_path: Path) -> None:
    """The atomic rename would put a copy in the link's place: the link is refused, and both it
    and its target are left as they were."""
    target = tmp_path / "elsewhere" / "mine.yaml"
    target.parent.mkdir()
    target.write_text(SQUARE, encoding="utf-8")
    (tmp_path / "cards").mkdir()
    link = tmp_path / "cards" / "mine.yaml"
    link.symlink_to(target)
    result = new(cli, link, *CUBE, *WHY)
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"{link}: the file is a symbolic link; give --file the file it points to, {target}"
    )
    assert link.is_symlink() and target.read_text(encoding="utf-8") == SQUARE


@pytest.mark.parametrize(
    ("endings", "usual"),
    [(["\n"] * 6 + ["\r\n"], "\n"), (["\r\n"] * 6 + ["\n"], "\r\n")],
    ids=["lf-with-one-crlf", "crlf-with-one-lf"],
)
def test_each_line_keeps_its_ending_and_the_rule_takes_the_usual_one(
    tmp_path: Path, endings: list[str], usual: str
) -> None:
    """One odd line ending used to turn the whole file to CRLF: now the file's own bytes are
    kept, and the rule's lines end as most of the file's lines do."""
    lines = SQUARE.splitlines()
    original = "".join(line + ending for line, ending in zip(lines, endings, strict=True))
    path = tmp_path / "mine.yaml"
    path.write_bytes(original.encode("utf-8"))
    add_rule(path, NewRule("cube", "Cube", "x**3", "3*x**2", "Features."))
    data = path.read_bytes().decode("utf-8")
    assert data.startswith(original)
    added = data[len(original) :]
    assert added == "  - id: cube\n    name: Cube\n    function: x**3\n".replace("\n", usual) + (
        '    derivative: 3*x**2\n    context: "Features."\n'.replace("\n", usual)
    )
    assert [r.id for r in load_catalogue([tmp_path]).rules] == ["square", "cube"]


def test_a_flow_style_rules_list_is_refused_with_the_rule_to_paste(
    cli: Cli, tmp_path: Path
) -> None:
    """ruamel would rewrite `rules: [...]` in block style: the file is left alone, and the
    message gives the rule in the list's own style."""
    path = tmp_path / "mine.yaml"
    text = (
        'deck: "Mine"\n'
        "rules: [{id: square, name: Square, function: x**2, derivative: 2*x, context: E.}]\n"
    )
    path.write_text(text, encoding="utf-8")
    result = new(cli, path, *CUBE, *WHY)
    assert result.exit_code == 2
    assert result.stderr == (
        "mine.yaml: the file's 'rules:' list is in flow style ([...]), which ankigen new would "
        "have to rewrite; add the rule by hand:\n"
        '{id: cube-test, name: Cube, function: x**3, derivative: 3*x**2, context: "Polynomial '
        'features."}\n'
    )
    assert path.read_text(encoding="utf-8") == text


def test_the_end_of_input_at_a_prompt_is_a_usage_error_and_writes_nothing(tmp_path: Path) -> None:
    """Standard input closed (a script, a pipe): exit 2 naming the field, not 1 ("not proved")."""
    result = processes.run(["new", "--file", "mine.yaml", "--deck", "Mine"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        "no answer for 'Id': standard input ended; nothing was written (give the rule's fields "
        "as options to run without prompts)"
    )
    assert list(tmp_path.iterdir()) == []


def test_at_a_terminal_only_the_field_at_fault_is_asked_again_and_the_rest_kept(
    tmp_path: Path,
) -> None:
    """Issue 14: a refused rule used to throw every typed field away. At a terminal, the field
    at fault is asked for again with its last answer as the default, and nothing else: here
    the variable (a typo), then the derivative (refuted); then the rule is written."""
    dialogue = [
        ("Id:", "power-five"),
        ("Name:", "Fifth power"),
        ("Function:", "x**5"),
        ("Derivative:", "5*x**3"),
        ("Variable [x]:", "X"),
        ("Why it matters in ML:", "Polynomial features."),
        ("Tags (separated by spaces):", "power-rule"),
        ("Source:", ""),
        ("Variable [X]:", "x"),
        ("Derivative [5*x**3]:", "5*x**4"),
    ]
    args = ["new", "--file", "powers.yaml", "--deck", "My course::Powers"]
    shown, code = processes.at_a_terminal(args, tmp_path, dialogue)
    assert code == 0, shown
    refusals = [line for line in shown.splitlines() if "was not written" in line]
    assert refusals == [
        "powers.yaml: rule 'power-five' was not written: the function does not use the variable "
        "'X' (its derivative by 'X' would be 0); did you mean 'x'?",
        "powers.yaml: rule 'power-five' was not written: derivative is wrong: at x = 2 the claim "
        "gives 40, but d/dx x**5 = 80",
    ]
    assert shown.count("Name:") == 1 and shown.count("Why it matters in ML:") == 1
    assert shown.rstrip().endswith("added rule 'power-five' at powers.yaml:4: proved")
    rule = loaded(tmp_path, "power-five")
    assert (rule.derivative_text, rule.variable, rule.context, rule.tags) == (
        "5*x**4", "x", "Polynomial features.", ("power-rule",),
    )  # fmt: skip


def test_a_fifo_as_the_file_is_refused_and_never_waited_on(tmp_path: Path) -> None:
    """Opening a FIFO blocks until someone writes to it: `new` used to hang there."""
    os.mkfifo(tmp_path / "mine.yaml")
    result = processes.run(cube("cube-test"), tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "mine.yaml: the file is not a regular file (a FIFO, a device or a socket)\n"
    )


def test_a_huge_file_beside_the_file_is_refused_by_its_size_not_copied(tmp_path: Path) -> None:
    """The other files of the folder are read by the loader, 5 MB at most each: a 3 GB sparse
    file is refused by its size (`new` used to copy it whole, here beyond its 1.5 GB of address
    space)."""
    (tmp_path / "mine.yaml").write_text(SQUARE, encoding="utf-8")
    with (tmp_path / "huge.yaml").open("wb") as handle:
        handle.truncate(3 * 1024**3)
    result = processes.run(cube("cube-test"), tmp_path, processes.LIMIT)
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        "huge.yaml: the file is 3221.2 MB; a catalogue file may be at most 5 MB\n"
    )
    assert (tmp_path / "mine.yaml").read_text(encoding="utf-8") == SQUARE


# --- vectors and matrices (issue 16) --------------------------------------------------------------

QUADRATIC = ("--id", "quadratic-form-gradient", "--name", "Gradient of a quadratic form")
QUADRATIC_FORM = ("--function", "x.T @ A @ x", "--derivative", "(A + A.T) @ x")


def test_shapes_are_written_in_flow_style_and_the_rule_is_proved(cli: Cli, tmp_path: Path) -> None:
    """``--shape x=n --shape A=n,n`` is the issue's ``shapes: {x: [n], A: [n, n]}``, written
    after the name as the bundled catalogue writes it; a whole-number dimension is a YAML int."""
    path = tmp_path / "vectors.yaml"
    shapes = ("--shape", "x=n", "--shape", "A = n, n", "--shape", "b=3")
    function = ("--function", "x.T @ A @ x + 0*sum(b)", "--derivative", "(A + A.T) @ x")
    result = new(cli, path, "--deck", "Mine", *QUADRATIC, *shapes, *function, *WHY)
    assert result.exit_code == 0, result.stderr
    text = path.read_text(encoding="utf-8").split("\n", 1)[1]
    assert text == (
        'deck: "Mine"\n'
        "rules:\n"
        "  - id: quadratic-form-gradient\n"
        "    name: Gradient of a quadratic form\n"
        "    shapes: {x: [n], A: [n, n], b: [3]}\n"
        "    function: x.T @ A @ x + 0*sum(b)\n"
        "    derivative: (A + A.T) @ x\n"
        '    context: "Polynomial features."\n'
    )
    rule = loaded(tmp_path, "quadratic-form-gradient")
    assert rule.shapes == (("x", ("n",)), ("A", ("n", "n")), ("b", ("3",)))
    assert result.stdout.endswith(": proved\n")


def test_a_claim_of_the_wrong_shape_is_refused_naming_both_shapes_and_writes_nothing(
    cli: Cli, tmp_path: Path
) -> None:
    path = tmp_path / "vectors.yaml"
    path.write_text('deck: "Mine"\nrules:\n  - id: a\n    name: A\n    function: x\n'
                    "    derivative: 1\n    context: c\n", encoding="utf-8")  # fmt: skip
    before = path.read_bytes()
    shapes = ("--shape", "a=n", "--shape", "x=n")
    claim = ("--function", "a.T @ x", "--derivative", "a.T")
    result = new(cli, path, "--id", "linear-form", "--name", "Linear", *shapes, *claim, *WHY)
    assert result.exit_code == 2
    assert result.stderr == (
        "vectors.yaml: rule 'linear-form' was not written: derivative: the derivative of a "
        "scalar by x [n] is a vector [n] (the gradient has x's shape), but the claim is [1, n]\n"
    )
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("shapes", "message"),
    [
        (("x",), "--shape 'x': write NAME=DIMS, such as x=n or A=m,n"),
        (("=n",), "--shape '=n': write NAME=DIMS"),
        (("x=n", "x=m"), "--shape: 'x' is given a shape twice"),
    ],
)
def test_a_malformed_shape_option_is_a_usage_error(
    cli: Cli, tmp_path: Path, shapes: tuple[str, ...], message: str
) -> None:
    args = [arg for shape in shapes for arg in ("--shape", shape)]
    path = tmp_path / "vectors.yaml"
    result = new(cli, path, "--deck", "Mine", *QUADRATIC, *args, *QUADRATIC_FORM, *WHY)
    assert result.exit_code == 2
    assert message in result.stderr
    assert not path.exists()


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ("x=", "the shape of 'x' must be a list of one dimension"),
        ("x=n,n,n", "not 3 dimensions"),
        ("x=0", "the dimension '0' of 'x' must be a name such as n or a whole number"),
        ("x=010", "the dimension '010' of 'x'"),
        ("x=n m", "the dimension 'n m' of 'x'"),
    ],
)
def test_dimensions_the_loader_refuses_are_refused_as_in_a_file(
    cli: Cli, tmp_path: Path, shape: str, message: str
) -> None:
    """The option's dimensions are written as typed (digits as a YAML int only when they are
    a plain whole number) and judged by the loader, not guessed at."""
    path = tmp_path / "vectors.yaml"
    args = ("--shape", shape, "--shape", "A=n,n")
    result = new(cli, path, "--deck", "Mine", *QUADRATIC, *args, *QUADRATIC_FORM, *WHY)
    assert result.exit_code == 2
    assert message in result.stderr, result.stderr
    assert not path.exists()


def test_at_a_terminal_a_rule_that_needs_shapes_asks_for_them(tmp_path: Path) -> None:
    """'@' without shapes: names the missing field, shapes, which is asked for (it is not
    asked for up front: most rules are about scalars)."""
    dialogue = [
        ("Id:", "quadratic-form-gradient"),
        ("Name:", "Quadratic form"),
        ("Function:", "x.T @ A @ x"),
        ("Derivative:", "(A + A.T) @ x"),
        ("Variable [x]:", ""),
        ("Why it matters in ML:", "Twice."),
        ("Tags (separated by spaces):", ""),
        ("Source:", ""),
        ("Shapes such as x=n A=m,n (separated by spaces):", "x=n A=n,n"),
    ]
    args = ["new", "--file", "vectors.yaml", "--deck", "Mine"]
    shown, code = processes.at_a_terminal(args, tmp_path, dialogue)
    assert code == 0, shown
    assert "'@' needs shapes" in shown
    assert loaded(tmp_path, "quadratic-form-gradient").shapes == (("x", ("n",)), ("A", ("n", "n")))
