"""The orchestrator and the stage entries it calls: load → verify → render → write.

What the other test files check through the command line (refusals, rebuilds, the deck's
content) is checked here at the library's own interface: what each stage hands on, and that the
build puts the stages together as its docstring says.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ankigen.build import check, load
from ankigen.errors import EXIT_CATALOGUE, EXIT_NOT_PROVED
from ankigen.records import Options, Rule, Status
from ankigen.render import plots, render
from ankigen.verify import verify

RULES = """
    deck: Course
    rules:
      - id: cube
        name: Cube
        function: x**3
        derivative: 3*x**2
        context: A power.
      - id: wrong-square
        name: Square
        function: x**2
        derivative: 3*x
        context: A mistake.
"""
NOWHERE = """
    deck: Course
    rules:
      - id: nowhere
        name: Nowhere
        function: log(-x)
        derivative: 1/x
        assume: ["x > 0"]
        context: Defined at no point the assumption allows.
"""
FAST = Options(timeout=20, jobs=1, plots=False, cache=False)


def test_check_reports_every_verdict_and_never_raises(make_catalogue: Callable[..., Path]) -> None:
    report = check([make_catalogue(rules=RULES)], options=FAST)
    assert [c.rule.id for c in report.checked] == ["cube", "wrong-square"]
    assert [c.verdict.status for c in report.checked] == [Status.PROVED, Status.REFUTED]
    assert report.counts() == {Status.PROVED: 1, Status.REFUTED: 1}
    assert not report.all_proved


def test_an_unproved_claim_is_located_at_its_claim_and_exits_1(
    make_catalogue: Callable[..., Path],
) -> None:
    report = check([make_catalogue(rules=RULES)], options=FAST)
    (problem,) = report.problems()
    assert problem.rule_id == "wrong-square"
    wrong = report.checked[1].rule
    assert problem.location == wrong.derivative_location != wrong.location
    assert report.error().exit_code == EXIT_NOT_PROVED


def test_a_function_defined_nowhere_is_located_at_its_rule_and_exits_2(
    make_catalogue: Callable[..., Path],
) -> None:
    report = check([make_catalogue(rules=NOWHERE)], options=FAST)
    (checked,) = report.checked
    assert checked.verdict.status == Status.INVALID
    assert checked.problem().location == checked.rule.location
    assert report.error().exit_code == EXIT_CATALOGUE


def test_verify_keeps_the_rules_order_and_pairs_each_with_its_own_verdict(
    make_catalogue: Callable[..., Path],
) -> None:
    rules = load([make_catalogue(rules=RULES)]).rules
    backwards = tuple(reversed(rules))
    checked = verify(backwards, FAST)
    assert [c.rule for c in checked] == list(backwards)
    assert all(c.verdict.rule_id == c.rule.id for c in checked)


def _proved(make_catalogue: Callable[..., Path]) -> tuple[Rule, ...]:
    return load([make_catalogue(rules=RULES.split("      - id: wrong-square")[0])]).rules


def test_render_hands_on_the_notes_in_order_and_each_media_file_once(
    make_catalogue: Callable[..., Path],
) -> None:
    rules = _proved(make_catalogue)
    rendered = render(rules * 2, Options(jobs=1, cache=False))
    assert [note.rule_id for note in rendered.notes] == ["cube", "cube"]
    assert len(rendered.media) == 1  # the same plot twice is one file
    assert rendered.notes[0].media == rendered.media
    assert not rendered.warnings


def test_a_plot_slower_than_the_timeout_is_left_out_with_a_located_warning(
    make_catalogue: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--timeout reaches the plots: the worker drawing for longer is stopped, the card has no
    plot, and the warning names the rule where it is written."""
    rules = _proved(make_catalogue)
    monkeypatch.setattr(plots, "_render", lambda rule: time.sleep(60))  # the forked worker sleeps
    started = time.monotonic()
    rendered = render(rules, Options(timeout=0.5, jobs=1, cache=False))
    assert time.monotonic() - started < 30
    (warning,) = rendered.warnings
    assert warning.rule_id == "cube" and warning.location == rules[0].location
    assert "drawing took longer than 0.5 s" in warning.message
    assert rendered.media == () and "<img" not in rendered.notes[0].fields[6]


def test_the_render_stage_asks_the_plot_cache_before_starting_any_worker(
    make_catalogue: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second render of the same rule takes its plot from the cache: a worker that would
    draw it now fails, and no warning says so."""
    rules = _proved(make_catalogue)
    first = render(rules, Options(jobs=1))

    def refuse(rule: Rule) -> None:
        raise AssertionError("drawn again")

    monkeypatch.setattr(plots, "_render", refuse)
    second = render(rules, Options(jobs=1))
    assert second == first and not second.warnings
