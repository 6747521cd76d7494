"""The ``ankigen`` command as a user meets it: exit codes, what goes to stdout and stderr, what is
(and is not) written to disk, and that no traceback ever reaches the terminal."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from bundled_ids import ADDED_IDS, LESSON_IDS
from click.testing import Result

MakeCatalogue = Callable[..., Path]
Cli = Callable[..., Result]

BAD_CASES = Path(__file__).parent / "fixtures" / "bad"
REPO = Path(__file__).resolve().parents[1]

BUNDLED_RULES = len(LESSON_IDS) + sum(len(ids) for ids in ADDED_IDS.values())  # 164

CUBE_RIGHT = """\
deck: "Derivatives for ML::Test"
tags: [test]
rules:
  - id: cube
    name: Cube
    function: x**3
    derivative: 3*x**2
    context: A power rule example.
"""
CUBE_WRONG = CUBE_RIGHT.replace("derivative: 3*x**2", "derivative: 3*x")  # line 7
REFUTATION = "rule 'cube': derivative is wrong: at x = 2 the claim gives 6, but d/dx x**3 = 12"

THREE_MISTAKES = """\
deck: "Derivatives for ML::Test"
rules:
  - id: Cube
    name: Cube
    function: x**3
    derivative: 3*x**2
    context: A power rule example.
  - id: square
    name: Square
    function: x**2
    derivative: 2*y
    context: Everywhere.
  - id: line
    name: Line
    function: 5*x
    derivative: 5
    context: Everywhere.
    tags: linear
"""


def assert_no_traceback(result: Result) -> None:
    assert "Traceback" not in result.stdout
    assert "Traceback" not in result.stderr


def stderr_lines(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def leftovers(folder: Path) -> list[str]:
    """Temporary files a deck writer could have left behind in ``folder``."""
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp") or p.name.startswith(".")]


@pytest.fixture
def no_pwned(tmp_path: Path) -> Iterator[None]:
    """After the test: no expression managed to run `touch pwned`, wherever it would land."""
    yield
    places = {tmp_path, Path.cwd(), REPO, BAD_CASES}
    found = [str(p / "pwned") for p in places if (p / "pwned").exists()]
    found += [str(p) for p in tmp_path.rglob("pwned")]
    assert not found, f"an expression ran a command: {found}"


# --- build ----------------------------------------------------------------------------------------


def test_build_with_no_folder_writes_the_bundled_deck_to_ankigen_apkg(
    cli: Cli, tmp_path: Path
) -> None:
    """`ankigen build` alone proves the bundled catalogue and writes ./ankigen.apkg, with the
    published times: nothing changed, and no lock file to write beside it. The counts say what
    they compare with (issue 14: "0 new" alone puzzled a newcomer who had just built 119)."""
    result = cli("build")
    assert result.exit_code == 0, result.stderr
    summary, *lines = result.stdout.splitlines()
    assert re.fullmatch(
        rf"{BUNDLED_RULES} rules, all proved: {BUNDLED_RULES} notes, {BUNDLED_RULES} cards in "
        r"10 decks, \d+ media files",
        summary,
    )
    assert lines == [
        f"compared with the published bundled deck: 0 new, 0 updated, {BUNDLED_RULES} unchanged "
        "(a learner who has it and imports this deck gets the new notes and the updates)",
        "wrote ankigen.apkg",
    ]
    deck = tmp_path / "ankigen.apkg"
    assert zipfile.is_zipfile(deck)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ankigen.apkg"]
    assert_no_traceback(result)


def test_a_first_build_of_a_new_catalogue_says_it_has_nothing_to_compare_with(
    cli: Cli, make_catalogue: MakeCatalogue, tmp_path: Path
) -> None:
    """With no lock file yet every note is new, and the summary says why; the second build
    compares with the lock the first one wrote."""
    folder = make_catalogue(cube=CUBE_RIGHT)
    first = cli("build", folder, "-o", tmp_path / "deck.apkg", "--no-plots")
    assert first.exit_code == 0, first.stderr
    assert "first build (no lock file yet): 1 new, 0 updated, 0 unchanged" in first.stdout
    again = cli("build", folder, "-o", tmp_path / "deck.apkg", "--no-plots")
    assert again.exit_code == 0, again.stderr
    lock = folder / "ankigen.lock"
    assert f"compared with the last build recorded in {lock}: 0 new, 0 updated, 1 unchanged" in (
        again.stdout
    )


def test_build_into_a_missing_folder_exits_3_and_creates_nothing(
    cli: Cli, make_catalogue: MakeCatalogue, tmp_path: Path
) -> None:
    """A typo in -o's folder is an output error (exit 3), not a silent mkdir or a traceback."""
    folder = make_catalogue(cube=CUBE_RIGHT)
    result = cli("build", folder, "-o", "sub/deck.apkg")
    assert result.exit_code == 3
    assert "sub/deck.apkg: the folder sub does not exist" in result.stderr
    assert not (tmp_path / "sub").exists()
    assert_no_traceback(result)


def test_build_into_a_read_only_folder_exits_3(
    cli: Cli, make_catalogue: MakeCatalogue, tmp_path: Path
) -> None:
    """A folder the user may not write in gives exit 3 and a message naming it."""
    folder = make_catalogue(cube=CUBE_RIGHT)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as root: a read-only folder is still writable")
        result = cli("build", folder, "-o", locked / "deck.apkg")
        assert result.exit_code == 3
        assert "cannot write in" in result.stderr
        assert list(locked.iterdir()) == []
        assert_no_traceback(result)
    finally:
        locked.chmod(0o755)


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_build_into_a_folder_nobody_may_write_in_exits_3(
    cli: Cli, make_catalogue: MakeCatalogue
) -> None:
    """Even root cannot create files in /proc: the build says so with exit 3, no traceback."""
    folder = make_catalogue(cube=CUBE_RIGHT)
    result = cli("build", folder, "-o", "/proc/deck.apkg")
    assert result.exit_code == 3
    assert "/proc/deck.apkg: cannot write in /proc" in result.stderr
    assert_no_traceback(result)


def test_build_with_a_wrong_derivative_exits_1_and_writes_nothing(
    cli: Cli, make_catalogue: MakeCatalogue, tmp_path: Path
) -> None:
    """A refuted rule stops the build: located message with the counterexample, no deck."""
    folder = make_catalogue(cube=CUBE_WRONG)
    result = cli("build", folder, "-o", "deck.apkg")
    assert result.exit_code == 1
    assert f"{folder.name}/cube.yaml:7: {REFUTATION}" in result.stderr
    assert not (tmp_path / "deck.apkg").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [folder.name]
    assert_no_traceback(result)


def test_a_failed_build_leaves_an_existing_deck_byte_for_byte_untouched(
    cli: Cli, make_catalogue: MakeCatalogue, tmp_path: Path
) -> None:
    """The deck a learner already has survives a build that fails, and no temp file is left."""
    good = make_catalogue(cube=CUBE_RIGHT)
    assert cli("build", good, "-o", "deck.apkg").exit_code == 0
    before = (tmp_path / "deck.apkg").read_bytes()
    bad = make_catalogue(cube=CUBE_WRONG)
    result = cli("build", bad, "-o", "deck.apkg")
    assert result.exit_code == 1
    assert REFUTATION in result.stderr
    assert (tmp_path / "deck.apkg").read_bytes() == before
    assert leftovers(tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([good.name, bad.name, "deck.apkg"])


# --- check and list -------------------------------------------------------------------------------


def test_check_prints_a_verdict_per_bundled_rule_and_a_summary(cli: Cli) -> None:
    """`ankigen check` on the bundled catalogue: a 'proved' line per rule, a summary, exit 0."""
    result = cli("check")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    verdicts = {line.split()[1]: line.split()[0] for line in lines[:-1]}
    assert len(lines) == BUNDLED_RULES + 1
    assert len(verdicts) == BUNDLED_RULES
    assert set(verdicts.values()) == {"proved"}
    assert set(LESSON_IDS) <= set(verdicts)
    assert lines[-1] == f"{BUNDLED_RULES} rules: {BUNDLED_RULES} proved"
    assert result.stderr == ""


def test_check_with_a_wrong_derivative_exits_1_with_the_located_counterexample(
    cli: Cli, make_catalogue: MakeCatalogue
) -> None:
    """The refuted rule is listed as such on stdout and located on stderr."""
    folder = make_catalogue(cube=CUBE_WRONG)
    result = cli("check", folder)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0].split()[:2] == ["refuted", "cube"]
    assert result.stdout.splitlines()[-1] == "1 rules: 1 refuted"
    assert stderr_lines(result) == [f"{folder.name}/cube.yaml:7: {REFUTATION}"]
    assert_no_traceback(result)


def test_list_prints_id_deck_and_tags_of_every_rule(cli: Cli) -> None:
    """`ankigen list` shows each bundled rule's id, deck and tags, without proving anything."""
    result = cli("list")
    assert result.exit_code == 0, result.stderr
    rows = [re.split(r"\s{2,}", line.strip()) for line in result.stdout.splitlines()]
    assert [row[0] for row in rows] == list(dict.fromkeys(row[0] for row in rows))  # each id once
    assert len(rows) == BUNDLED_RULES
    assert set(LESSON_IDS) <= {row[0] for row in rows}
    by_id = {row[0]: row[1:] for row in rows}
    assert by_id["sigmoid"] == [
        "Derivatives for ML::5. Activation functions",
        "[activation classification]",
    ]
    assert all(deck.startswith("Derivatives for ML::") for deck, _tags in by_id.values())
    assert all(tags.startswith("[") and tags.endswith("]") for _deck, tags in by_id.values())


def test_a_user_folder_alone_holds_only_its_own_rules(
    cli: Cli, make_catalogue: MakeCatalogue
) -> None:
    """Given a folder, the bundled catalogue is left out unless asked for."""
    result = cli("list", make_catalogue(cube=CUBE_RIGHT))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.split() == ["cube", "Derivatives", "for", "ML::Test", "[test]"]


def test_bundled_merges_the_bundled_catalogue_with_a_user_folder(
    cli: Cli, make_catalogue: MakeCatalogue
) -> None:
    """--bundled adds the 164 bundled rules to the user's own."""
    result = cli("list", make_catalogue(cube=CUBE_RIGHT), "--bundled")
    assert result.exit_code == 0, result.stderr
    ids = [line.split()[0] for line in result.stdout.splitlines()]
    assert len(ids) == BUNDLED_RULES + 1
    assert {*LESSON_IDS, "cube"} <= set(ids)


def test_an_id_clash_between_a_user_folder_and_the_bundled_catalogue_exits_2(
    cli: Cli, make_catalogue: MakeCatalogue
) -> None:
    """A user rule reusing a bundled id is refused when both are merged (it would be one note)."""
    folder = make_catalogue(mine=CUBE_RIGHT.replace("id: cube", "id: relu"))
    alone = cli("list", folder)
    assert alone.exit_code == 0, alone.stderr
    merged = cli("list", folder, "--bundled")
    assert merged.exit_code == 2
    (line,) = stderr_lines(merged)
    assert line.startswith(f"{folder.name}/mine.yaml:4: rule 'relu': duplicate id; first used at ")
    assert line.endswith("activations.yaml:17")
    assert_no_traceback(merged)


# --- usage and catalogue errors -------------------------------------------------------------------


def test_a_missing_folder_gives_a_clear_error(cli: Cli) -> None:
    """A folder that does not exist is named in a one-line message, exit 2."""
    result = cli("check", "no-such-folder")
    assert result.exit_code == 2
    assert stderr_lines(result) == ["no-such-folder: no such catalogue folder"]
    assert_no_traceback(result)


def test_a_file_given_as_the_folder_gives_a_clear_error(
    cli: Cli, make_catalogue: MakeCatalogue
) -> None:
    """Passing the .yaml file instead of its folder is a usage error, exit 2."""
    path = make_catalogue(cube=CUBE_RIGHT) / "cube.yaml"
    result = cli("check", path)
    assert result.exit_code == 2
    assert "is a file" in result.stderr
    assert_no_traceback(result)


def test_no_folder_at_all_gives_a_clear_error(cli: Cli) -> None:
    """--no-bundled with no folder leaves nothing to read: say so plainly, exit 2."""
    result = cli("list", "--no-bundled")
    assert result.exit_code == 2
    (line,) = stderr_lines(result)
    assert "folder" in line
    assert not line.startswith(":"), f"message starts with a dangling colon: {line!r}"
    assert_no_traceback(result)


def test_catalogue_errors_exit_2_with_one_line_per_problem(
    cli: Cli, make_catalogue: MakeCatalogue
) -> None:
    """Three mistakes, three located lines on stderr, nothing proved, exit 2."""
    folder = make_catalogue(bad=THREE_MISTAKES)
    result = cli("check", folder)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = stderr_lines(result)
    assert len(lines) == 3, lines
    name = f"{folder.name}/bad.yaml"
    assert lines[0].startswith(f"{name}:3: id 'Cube' must be lowercase")
    assert lines[1] == f"{name}:11: rule 'square': derivative uses 'y', which the function does not"
    assert lines[2].startswith(f"{name}:18: rule 'line': 'tags' must be a list")
    assert_no_traceback(result)


# --- the corpus of broken catalogues --------------------------------------------------------------


def read_expected(case: Path) -> tuple[int, list[str]]:
    """`expected.txt`: 'exit: N' on the first line, then the lines stderr must contain."""
    first, *lines = case.joinpath("expected.txt").read_text(encoding="utf-8").splitlines()
    match = re.fullmatch(r"exit: (\d)", first)
    assert match, f"{case.name}/expected.txt must start with 'exit: N'"
    return int(match.group(1)), [line for line in lines if line.strip()]


CASES = sorted(p for p in BAD_CASES.iterdir() if p.is_dir())


def test_the_corpus_of_broken_catalogues_is_complete() -> None:
    """Every case has its expected lines, and the corpus keeps its breadth."""
    assert len(CASES) >= 25
    for case in CASES:
        _exit, lines = read_expected(case)
        assert lines, case.name
        assert list(case.glob("*.yaml")), case.name


@pytest.mark.parametrize("case", CASES, ids=[p.name for p in CASES])
@pytest.mark.usefixtures("no_pwned")
def test_a_broken_catalogue_is_refused_with_its_located_messages(
    cli: Cli, case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`ankigen check` in the case's folder: the expected exit code and lines, no traceback."""
    exit_code, expected = read_expected(case)
    copy = tmp_path / case.name
    shutil.copytree(case, copy, ignore=shutil.ignore_patterns("expected.txt", "args.txt"))
    monkeypatch.chdir(copy)
    extra = case / "args.txt"  # options a case needs, such as a short --timeout
    args = extra.read_text(encoding="utf-8").split() if extra.is_file() else ["--timeout", "20"]
    result = cli("check", ".", *args)
    assert result.exit_code == exit_code, result.stderr
    for line in expected:
        assert line in result.stderr, f"missing {line!r} in:\n{result.stderr}"
    assert_no_traceback(result)


# --- the real command, in its own process ---------------------------------------------------------


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )


def test_python_m_ankigen_help_lists_the_commands(tmp_path: Path) -> None:
    """`python -m ankigen --help` works in a fresh process and names build, check and list."""
    result = run([sys.executable, "-m", "ankigen", "--help"], tmp_path)
    assert result.returncode == 0, result.stderr
    for command in ("build", "check", "list"):
        assert re.search(rf"^\s+{command}\s", result.stdout, re.MULTILINE), result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.usefixtures("no_pwned")
def test_the_installed_command_reports_a_bad_catalogue_without_a_traceback(
    tmp_path: Path,
) -> None:
    """The `ankigen` script itself, on an attack expression: exit 2, one located line."""
    script = shutil.which("ankigen", path=str(Path(sys.executable).parent)) or shutil.which(
        "ankigen"
    )
    assert script, "the ankigen command is not installed next to this Python"
    shutil.copytree(BAD_CASES / "attack-import-system", tmp_path / "case")
    result = run([script, "build", "."], tmp_path / "case")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "bad.yaml:6: rule 'square': derivative: names containing '__' are not allowed"
    ]
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "case" / "ankigen.apkg").exists()
