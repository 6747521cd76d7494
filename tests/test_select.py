"""Building, checking and listing part of a catalogue: ``--tag`` and ``--deck``, the errors for a
filter that selects nothing, and a subset build's care for the lock file."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from ankigen.errors import UsageError
from ankigen.load.catalogue import load_catalogue
from ankigen.load.select import select_rules
from ankigen.write.lock import Changes, keep_unselected
from ankigen.write.lockfile import LOCK_NAME, Lock, NoteStamp

Cli = Callable[..., Result]
MakeCatalogue = Callable[..., Path]


def rule(rule_id: str, power: int, tags: str = "[]") -> str:
    return f"""\
  - id: {rule_id}
    name: Power {power}
    function: x**{power}
    derivative: {power}*x**{power - 1}
    context: A power.
    tags: {tags}
"""


LOSSES = 'deck: "Course::Losses"\ntags: [loss]\nrules:\n' + rule("l2", 2) + rule("l3", 3, "[odd]")
ROBUST = 'deck: "Course :: Losses :: Robust"\nrules:\n' + rule("r4", 4, "[loss, robust]")
LOSSY = 'deck: "Course::Lossy"\nrules:\n' + rule("y5", 5, "[odd]")
ACTIVATIONS = 'deck: "Course::Activations"\ntags: [activation]\nrules:\n' + rule("a6", 6)


@pytest.fixture
def course(make_catalogue: MakeCatalogue) -> Path:
    """Four files: a deck, its subdeck (written with spaces around '::'), a deck whose name
    merely starts the same, and an unrelated deck; tags on files and on rules."""
    return make_catalogue(losses=LOSSES, robust=ROBUST, lossy=LOSSY, activations=ACTIVATIONS)


def ids(folder: Path, tags: tuple[str, ...] = (), decks: tuple[str, ...] = ()) -> list[str]:
    return [r.id for r in select_rules(load_catalogue([folder]), tags, decks).rules]


# --- the library function -------------------------------------------------------------------------


def test_no_filter_returns_the_catalogue_unchanged(course: Path) -> None:
    catalogue = load_catalogue([course])
    assert select_rules(catalogue) is catalogue


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (("odd",), ["y5", "l3"]),  # a rule's own tag
        (("loss",), ["l2", "l3", "r4"]),  # a file's tag counts for each of its rules
        (("robust", "activation"), ["a6", "r4"]),  # any of the given tags
    ],
)
def test_a_tag_keeps_the_rules_having_any_of_the_given_tags(
    course: Path, tags: tuple[str, ...], expected: list[str]
) -> None:
    assert sorted(ids(course, tags=tags)) == sorted(expected)


@pytest.mark.parametrize(
    ("decks", "expected"),
    [
        (("Course::Losses",), ["l2", "l3", "r4"]),  # the deck and its subdeck, not "Lossy"
        (("Course::Losses::Robust",), ["r4"]),
        (("Course :: Losses",), ["l2", "l3", "r4"]),  # spaces around '::' do not matter
        (("Course",), ["a6", "l2", "l3", "r4", "y5"]),  # the parent of all
        (("Course::Lossy", "Course::Activations"), ["a6", "y5"]),
    ],
)
def test_a_deck_keeps_the_rules_in_it_or_below_it(
    course: Path, decks: tuple[str, ...], expected: list[str]
) -> None:
    assert sorted(ids(course, decks=decks)) == sorted(expected)


def test_tags_and_decks_together_keep_the_rules_matching_both(course: Path) -> None:
    assert ids(course, tags=("odd",), decks=("Course::Losses",)) == ["l3"]


def test_the_selection_keeps_the_catalogue_order(course: Path) -> None:
    """Files by path, then position: the order of the full catalogue, minus the others."""
    everything = [r.id for r in load_catalogue([course]).rules]
    selected = ids(course, tags=("loss", "odd"))
    assert selected == [i for i in everything if i in selected]


@pytest.mark.parametrize(
    ("tags", "decks", "message"),
    [
        (
            ("los",),
            (),
            "no rule has the tag 'los'; did you mean 'loss'? (the tags: 'activation', "
            "'loss', 'odd', 'robust')",
        ),
        (
            (),
            ("Course::Activ",),
            "no rule has the deck 'Course::Activ'; did you mean "
            "'Course::Activations'? (the decks: 'Course', 'Course::Activations',",
        ),
        ((), ("course::activation",), "did you mean 'Course::Activations'?"),
        (
            ("robust",),
            ("Course::Lossy",),
            "no rule has the tag 'robust' and lies in the deck "
            "'Course::Lossy': nothing is selected",
        ),
    ],
)
def test_a_filter_that_selects_nothing_is_a_usage_error_naming_what_exists(
    course: Path, tags: tuple[str, ...], decks: tuple[str, ...], message: str
) -> None:
    """A typo in --tag or --deck must not silently build an empty or partial deck."""
    with pytest.raises(UsageError) as raised:
        select_rules(load_catalogue([course]), tags, decks)
    assert raised.value.exit_code == 2
    assert message in str(raised.value)


def test_every_unknown_name_is_reported_even_when_others_match(course: Path) -> None:
    """--tag loss --tag robst: the typo is an error although 'loss' selects rules."""
    with pytest.raises(UsageError) as raised:
        select_rules(load_catalogue([course]), ("loss", "robst"), ("Course::Nope",))
    lines = str(raised.value).splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("no rule has the tag 'robst'; did you mean 'robust'?")
    assert lines[1].startswith("no rule has the deck 'Course::Nope'")


# --- the commands ---------------------------------------------------------------------------------


def test_list_with_tags_and_decks_prints_only_the_selected_rules(cli: Cli, course: Path) -> None:
    result = cli("list", course, "--tag", "odd", "--tag", "robust", "--deck", "Course::Losses")
    assert result.exit_code == 0, result.stderr
    assert [line.split()[0] for line in result.stdout.splitlines()] == ["l3", "r4"]


def test_a_misspelt_deck_exits_2_with_one_located_line_and_no_traceback(
    cli: Cli, course: Path
) -> None:
    result = cli("list", course, "--deck", "Course::Activation")
    assert result.exit_code == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("no rule has the deck 'Course::Activation'; did you mean ")
    assert "Traceback" not in result.stderr


def test_check_proves_only_the_selected_rules(cli: Cli, course: Path) -> None:
    result = cli("check", course, "--deck", "Course::Losses::Robust", "--no-cache")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "1 rules: 1 proved"
    assert "r4" in result.stdout
    assert "l2" not in result.stdout


def test_check_of_a_subset_ignores_a_wrong_rule_outside_it(
    cli: Cli, make_catalogue: MakeCatalogue
) -> None:
    """Working on one deck: a wrong claim elsewhere does not block it (it is never proved)."""
    wrong = ACTIVATIONS.replace("derivative: 6*x**5", "derivative: 6*x**4")
    folder = make_catalogue(losses=LOSSES, activations=wrong)
    assert cli("check", folder, "--no-cache").exit_code == 1
    result = cli("check", folder, "--tag", "loss", "--no-cache")
    assert result.exit_code == 0, result.stderr


def test_a_subset_build_writes_only_its_rules_and_keeps_the_others_in_the_lock(
    cli: Cli, course: Path, tmp_path: Path
) -> None:
    """The lock remembers every rule's note: a build of one deck must neither forget the other
    rules' stamps nor report them as removed from the catalogue."""
    full = cli("build", course, "-o", tmp_path / "all.apkg", "--no-plots")
    assert full.exit_code == 0, full.stderr
    before = json.loads((course / LOCK_NAME).read_text(encoding="utf-8"))

    part = cli("build", course, "--tag", "robust", "-o", tmp_path / "part.apkg", "--no-plots")
    assert part.exit_code == 0, part.stderr
    assert "removed" not in part.stderr
    assert part.stdout.startswith("1 rules, all proved: 1 notes, 1 cards in 1 decks")
    assert ": 0 new, 0 updated, 1 unchanged" in part.stdout
    after = json.loads((course / LOCK_NAME).read_text(encoding="utf-8"))
    assert after == before


def test_a_full_build_after_subset_builds_still_reports_a_removed_rule(
    cli: Cli, course: Path, tmp_path: Path
) -> None:
    """Rules really deleted from the catalogue are reported by the next full build."""
    assert cli("build", course, "-o", tmp_path / "a.apkg", "--no-plots").exit_code == 0
    (course / "lossy.yaml").unlink()
    part = cli("build", course, "--tag", "loss", "-o", tmp_path / "b.apkg", "--no-plots")
    assert part.exit_code == 0, part.stderr
    assert "removed" not in part.stderr
    full = cli("build", course, "-o", tmp_path / "c.apkg", "--no-plots")
    assert full.exit_code == 0, full.stderr
    assert "warning: rules removed since the last build: y5;" in full.stderr


# --- the lock helper ------------------------------------------------------------------------------


def test_keep_unselected_carries_the_other_stamps_over_and_reports_none_removed() -> None:
    old = {
        "kept": NoteStamp("h1", 100, "Course"),
        "built": NoteStamp("h2", 100, "Course"),
    }
    built = {"built": NoteStamp("h3", 200, "Course")}
    changes = Changes((), ("built",), ("kept",), (), False, None)
    lock, result = keep_unselected(Lock(None, old), Lock(None, built), changes)
    assert lock.notes == {"kept": old["kept"], "built": built["built"]}
    assert result.removed == ()
    assert result.updated == ("built",)
