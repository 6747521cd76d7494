"""Golden files for the fields of every bundled note, and the escaping of what a note shows.

Each bundled rule has one file under ``tests/golden/notes/`` (see ``golden_files.py`` to
regenerate). The LaTeX of expressions has its own golden files, in ``test_latex.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from golden_files import GOLDEN, check_golden, golden_files

from ankigen.build import load
from ankigen.load.catalogue import load_catalogue
from ankigen.records import Rule
from ankigen.render.notes import FIELDS, render_note


def _bundled_rules() -> dict[str, Rule]:
    return {rule.id: rule for rule in load([]).rules}


def _note_file(rule: Rule) -> str:
    note = render_note(rule)
    return "".join(f"{field}: {value}\n" for field, value in zip(FIELDS, note.fields, strict=True))


@pytest.mark.parametrize("rule_id", sorted(_bundled_rules()))
def test_a_bundled_rule_renders_as_its_golden_note(rule_id: str) -> None:
    """The fields of each bundled rule's note are those in tests/golden/notes/<rule-id>.txt."""
    rule = _bundled_rules()[rule_id]
    check_golden(GOLDEN / "notes" / f"{rule_id}.txt", _note_file(rule))


def test_every_notes_golden_file_belongs_to_a_rule() -> None:
    """No note's golden file is left over from a removed rule (it would test nothing), and no
    golden file lies outside the folders that a test reads (``latex/`` is test_latex.py's)."""
    files = golden_files()
    expected = {f"notes/{rule_id}.txt" for rule_id in _bundled_rules()}
    assert {f for f in files if f.startswith("notes/")} - expected == set()
    assert {f for f in files if not f.startswith(("notes/", "latex/"))} == set()


HOSTILE = """
    deck: "Tests::<b>Deck</b>"
    rules:
      - id: hostile
        name: "<script>alert(1)</script> & co"
        function: x**2
        derivative: 2*x
        context: "Rock & roll <img src=x onerror=alert(1)>, with \\\\(x^2\\\\) kept as MathJax."
        source: "Smith & Jones <i>2020</i>"
"""


@pytest.fixture
def hostile_note(make_catalogue: Callable[..., Path]) -> dict[str, str]:
    """The fields of a note whose catalogue text is full of HTML."""
    (rule,) = load_catalogue([make_catalogue(hostile=HOSTILE)]).rules
    return dict(zip(FIELDS, render_note(rule).fields, strict=True))


def test_markup_in_a_name_is_escaped(hostile_note: dict[str, str]) -> None:
    """A name cannot inject a script into the card: <, > and & are shown, not interpreted."""
    assert hostile_note["Name"] == "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"


def test_markup_in_a_context_is_escaped_but_its_mathjax_is_kept(
    hostile_note: dict[str, str],
) -> None:
    """Context text is escaped, while MathJax the author wrote in it (\\(x^2\\)) stays as is."""
    assert hostile_note["Context"] == (
        "Rock &amp; roll &lt;img src=x onerror=alert(1)&gt;, with \\(x^2\\) kept as MathJax."
    )


def test_markup_in_a_source_is_escaped(hostile_note: dict[str, str]) -> None:
    """The source line is escaped like every other field."""
    assert hostile_note["Source"] == "Smith &amp; Jones &lt;i&gt;2020&lt;/i&gt;"


def test_comparisons_in_math_are_escaped(make_catalogue: Callable[..., Path]) -> None:
    """'<' and '>' inside MathJax are escaped too, so a condition can never open an HTML tag."""
    folder = make_catalogue(
        steps="""
        deck: Tests
        rules:
          - id: step
            name: Step
            function: "Piecewise((0, x < 0), (x, True))"
            derivative: "Piecewise((0, x < 0), (1, x > 0))"
            context: A ramp.
            assume: ["x > 0"]
        """
    )
    (rule,) = load_catalogue([folder]).rules
    fields = dict(zip(FIELDS, render_note(rule).fields, strict=True))
    assert "x &lt; 0" in fields["Answer"] and "x &gt; 0" in fields["Answer"]
    assert fields["Definitions"] == "for \\(x &gt; 0\\)"
    assert "<" not in fields["Answer"] + fields["Question"] + fields["Definitions"]


def test_an_interval_reads_as_one_chain(make_catalogue: Callable[..., Path]) -> None:
    """``0 < p < 1`` is stated as written, one chain per symbol, beside a sign condition."""
    folder = make_catalogue(
        probability="""
        deck: Tests
        rules:
          - id: nll
            name: Negative log-likelihood
            function: "-log(p) + lr*t"
            derivative: "-1/p"
            variable: p
            context: A loss.
            assume: ["0 < p < 1", "lr > 0", "t >= 0.5"]
        """
    )
    (rule,) = load_catalogue([folder]).rules
    fields = dict(zip(FIELDS, render_note(rule).fields, strict=True))
    assert fields["Definitions"] == ("for \\(0 &lt; p &lt; 1, \\text{lr} &gt; 0, t \\geq 0.5\\)"), (
        fields["Definitions"]
    )
