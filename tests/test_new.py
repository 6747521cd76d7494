"""``ankigen new``: a rule is appended to a catalogue file only once the real loader accepts it and
its derivative is proved; the file keeps its comments and layout, and a refused rule leaves it
byte for byte unchanged."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ankigen.authoring import NewRule, add_rule
from ankigen.catalogue import load_catalogue
from ankigen.cli import main
from ankigen.errors import CatalogueError
from ankigen.model import Rule
from ankigen.resources import bundled_catalogue
from ankigen.verify import prove

Cli = Callable[..., Result]
BUNDLED_FILES = sorted(p.name for p in bundled_catalogue().glob("*.yaml"))
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
    assert rule.deck == "Derivatives for ML::Loss functions"
    assert "test" in rule.tags and "loss" in rule.tags
    assert prove(rule).proved
    line = text.count("\n", 0, text.index("- id: cube-test")) + 1
    assert result.stdout == f"added rule 'cube-test' at cards/losses.yaml:{line}: proved\n"


@pytest.mark.parametrize("name", BUNDLED_FILES)
def test_every_bundled_file_keeps_its_text_when_a_rule_is_appended(cards: Path, name: str) -> None:
    """ruamel's round trip reproduces each bundled file exactly, so adding a rule only adds."""
    path = cards / name
    original = path.read_bytes()
    add_rule(path, NewRule("cube-test", "Cube", "x**3", "3*x**2", "Polynomial features."))
    assert path.read_bytes().startswith(original)
    assert path.read_bytes()[len(original) :].startswith(b"\n  - id: cube-test\n")


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
    assert path.read_text(encoding="utf-8") == (
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
    assert result.stdout == "created the file and added rule 'log-w' at mine.yaml:3: proved\n"


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
    (line,) = result.stderr.splitlines()
    assert line.startswith("cards/losses.yaml:")
    assert line.endswith(
        ": rule 'cube-test': derivative is wrong: at x = 2 the claim gives 6, but d/dx x**3 = 12"
    )
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--id", "relu"), "rule 'relu': duplicate id; first used at cards/activations.yaml:"),
        (("--id", "Cube"), "id 'Cube' must be lowercase letters and digits joined by single "),
        (("--function", "x**"), "rule 'cube-test': function: "),
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
    with pytest.raises(CatalogueError):
        add_rule(tmp_path / "mine.yaml", NewRule("Cube", "C", "x**3", "3*x**2", "F."), "Mine")
    assert list(tmp_path.iterdir()) == []


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
    assert result.exit_code == 1, result.output  # x**3 has no w: d/dw is 0, not 3x²
    assert "Deck of the new file: " in result.output
    assert "Id: " not in result.output
    assert not (tmp_path / "mine.yaml").exists()

    answers[3] = ""  # variable x after all
    result = CliRunner().invoke(main, args, input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    (rule,) = load_catalogue([tmp_path]).rules
    assert (rule.deck, rule.source, rule.variable) == ("My course::Powers", "A book", "x")
