"""Plots and SVG math in the built deck: exactly the referenced media, stable bytes, and what a
learner's Anki receives (imported with the real `anki` package)."""

from __future__ import annotations

import json
import re
import sqlite3
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
from click.testing import Result

from ankigen.build import Options, build
from ankigen.load.catalogue import load_catalogue
from ankigen.plumbing.cache import Cache, default_cache
from ankigen.plumbing.resources import bundled_catalogue
from ankigen.render import plot_media

SMALL = """\
deck: "Course::Plots"
rules:
  - id: square
    name: Square
    function: x**2
    derivative: 2*x
    context: Plotted.
  - id: relu
    name: ReLU
    function: Max(0, x)
    derivative: Piecewise((0, x < 0), (1, x > 0))
    context: Plotted, with a jump in its derivative.
  - id: cube-no-plot
    name: Cube
    function: x**3
    derivative: 3*x**2
    context: The author turned its plot off.
    plot: false
  - id: product-rule
    name: Product rule
    function: g(x)*h(x)
    derivative: g'(x)*h(x) + g(x)*h'(x)
    context: A general rule has nothing to plot.
"""

_SOURCES = re.compile(r'src="([^"]+)"')


def _contents(package: Path) -> tuple[dict[str, list[str]], dict[str, bytes]]:
    """The notes' fields by rule id, and the media files by name, as stored in the package."""
    with zipfile.ZipFile(package) as archive, tempfile.TemporaryDirectory() as scratch:
        index = json.loads(archive.read("media"))
        media = {name: archive.read(number) for number, name in index.items()}
        connection = sqlite3.connect(archive.extract("collection.anki2", scratch))
        rows = connection.execute("select flds from notes").fetchall()
        connection.close()
    notes = {fields.split("\x1f")[0]: fields.split("\x1f") for (fields,) in rows}
    return notes, media


def _referenced(notes: dict[str, list[str]]) -> set[str]:
    return {name for fields in notes.values() for f in fields for name in _SOURCES.findall(f)}


@pytest.fixture
def small(make_catalogue: Callable[..., Path]) -> Path:
    return make_catalogue(plots=SMALL)


def test_the_package_holds_exactly_the_media_its_notes_refer_to(
    small: Path, tmp_path: Path
) -> None:
    """Anki imports only files referenced from fields: none may be missing, none extra."""
    build([small], tmp_path / "deck.apkg")
    notes, media = _contents(tmp_path / "deck.apkg")
    assert set(media) == _referenced(notes)
    assert all(name.startswith("ankigen-plot-") and name.endswith(".png") for name in media)


def test_every_concrete_rule_has_a_plot_and_the_others_none(small: Path, tmp_path: Path) -> None:
    """A plot (one PNG, with its legend) for square and ReLU; none with plot: false, none for a
    general rule with abstract functions."""
    build([small], tmp_path / "deck.apkg")
    notes, media = _contents(tmp_path / "deck.apkg")
    plot = 6  # the Plot field's position
    assert {rule for rule, fields in notes.items() if fields[plot]} == {"square", "relu"}
    for rule in ("square", "relu"):
        assert len(_SOURCES.findall(notes[rule][plot])) == 1
        assert 'alt="Plot of' in notes[rule][plot]
        assert 'class="plot-legend"' in notes[rule][plot]
    assert len(media) == 2
    assert all(data.startswith(b"\x89PNG\r\n\x1a\n") for data in media.values())


def test_two_cold_builds_give_byte_identical_images(
    small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Images named by content hash must not change from build to build (or learners' media
    folders fill with copies): two builds, each with an empty cache, give the same files."""
    images = []
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # both fresh locks: the same times
    for attempt in ("first", "second"):
        monkeypatch.setenv("ANKIGEN_CACHE_DIR", str(tmp_path / f"cache-{attempt}"))
        build([small], tmp_path / f"{attempt}.apkg", lock=tmp_path / f"{attempt}.lock")
        images.append(_contents(tmp_path / f"{attempt}.apkg")[1])
    assert images[0] == images[1]
    assert (tmp_path / "first.apkg").read_bytes() == (tmp_path / "second.apkg").read_bytes()


COLLAPSING = """\
deck: "Course::Plots"
rules:
  - id: parabola
    name: Parabola
    function: x**2
    derivative: 2*x
    context: Plotted.
  - id: scaled-parabola
    name: Scaled parabola
    function: a*x**2
    derivative: 2*a*x
    context: With a = 1 its plot is the parabola's.
  - id: parabola-again
    name: The parabola in another form
    function: x*x
    derivative: x + x
    context: The same function, rightly the same plot.
  - id: shifted-parabola
    name: A shift that changes nothing
    function: (x - m)**2 + 2*m*x - m**2
    derivative: 2*x
    context: The same function and claim whatever m is.
"""


def test_a_plot_that_collapses_into_another_rules_is_a_warning(
    make_catalogue: Callable[..., Path], tmp_path: Path
) -> None:
    """a x² drawn with a = 1 is x²'s plot: the build says so, naming both rules, and only
    there: two forms of one function, or a symbol that changes nothing, rightly share a plot."""
    folder = make_catalogue(plots=COLLAPSING)
    report = build([folder], tmp_path / "deck.apkg")
    collapsed = [str(w) for w in report.warnings if "the same image" in str(w)]
    assert len(collapsed) == 1, report.warnings
    assert "rule 'scaled-parabola': its plot is the same image as rule 'parabola''s" in collapsed[0]
    assert "plots.yaml:8: " in collapsed[0] and "plots.yaml:3)" in collapsed[0]


def test_no_plots_when_asked_for_none(small: Path, tmp_path: Path) -> None:
    build([small], tmp_path / "deck.apkg", options=Options(plots=False))
    notes, media = _contents(tmp_path / "deck.apkg")
    assert media == {}
    assert not any(fields[6] for fields in notes.values())


WEIGHTED = """\
deck: "Course::Plots"
rules:
  - id: weighted
    name: Weighted input
    function: w**2*x
    derivative: 2*w*x
    variable: w
    context: Plotted with x = 1.
"""
PLANTED_PNG = b"\x89PNG\r\n\x1a\n planted picture"


def _plot_field_after_planting(
    folder: Path, tmp_path: Path, entry: bytes, store: Cache
) -> tuple[str, dict[str, bytes]]:
    """Build ``folder`` after ``entry`` was put under its one rule's plot key by ``store`` and
    copied into the user's cache: the rule's Plot field and the deck's media."""
    (rule,) = load_catalogue([folder]).rules
    key = plot_media.cache_key(rule)
    store.put(key, entry)
    planted = default_cache().path(key)
    planted.parent.mkdir(parents=True, exist_ok=True)
    planted.write_bytes(store.path(key).read_bytes())
    build([folder], tmp_path / "deck.apkg", lock=tmp_path / "deck.lock")
    notes, media = _contents(tmp_path / "deck.apkg")
    return notes[rule.id][6], media


@pytest.mark.parametrize(
    "values", ['[["x", "123456789"]]', '[["x}\\\\href{javascript:alert(1)}{x", "1"]]']
)
def test_a_plot_entry_planted_without_the_users_secret_never_reaches_the_card(
    make_catalogue: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    values: str,
) -> None:
    """The legend's values go into the card's MathJax and the PNG into its media: an entry
    signed with any secret but the user's is ignored, and the plot is drawn again."""
    monkeypatch.setenv("ANKIGEN_CACHE_DIR", str(tmp_path / "cache"))
    attacker = Cache(tmp_path / "attacker")
    entry = values.encode() + b"\n" + PLANTED_PNG
    plot, media = _plot_field_after_planting(
        make_catalogue(weighted=WEIGHTED), tmp_path, entry, attacker
    )
    assert "x = 1\\)" in plot
    assert "123456789" not in plot and "href" not in plot
    assert PLANTED_PNG not in media.values()


@pytest.mark.parametrize(
    "values",
    [
        '[["x}\\\\href{javascript:alert(1)}{x", "1"]]',
        '[["x", "1"], ["y", "5"]]',
        "[]",
        '[["x", "1e999999999"]]',
        '[["x", "' + "9" * 100 + '"]]',
        '[["x", "1/0"]]',
        '[["x", 1]]',
        '{"x": "1"}',
        "[" * 100_000,
    ],
)
def test_a_signed_plot_entry_is_still_untrusted_input(
    make_catalogue: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    values: str,
) -> None:
    """Even an entry that verifies must hold exactly the rule's other symbols, each with a value
    of a sane size, and a PNG; anything else is drawn again, never a traceback or a hang."""
    monkeypatch.setenv("ANKIGEN_CACHE_DIR", str(tmp_path / "cache"))
    entry = values.encode() + b"\n" + PLANTED_PNG
    plot, media = _plot_field_after_planting(
        make_catalogue(weighted=WEIGHTED), tmp_path, entry, default_cache()
    )
    assert "x = 1\\)" in plot
    assert "href" not in plot and "y = 5" not in plot
    assert PLANTED_PNG not in media.values()


@pytest.fixture(scope="module")
def svg_deck(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled deck with every formula pre-rendered as SVG (built once for the module)."""
    folder = tmp_path_factory.mktemp("svg")
    output = folder / "deck.apkg"
    build([bundled_catalogue()], output, options=Options(math="svg"), lock=folder / "deck.lock")
    return output


def test_with_svg_math_no_formula_is_left_as_latex(svg_deck: Path) -> None:
    """Every formula of the bundled catalogue becomes an image, with its LaTeX as alt text."""
    notes, media = _contents(svg_deck)
    for rule, fields in notes.items():
        for field in fields:
            assert "\\(" not in field and "\\[" not in field, (rule, field)
        assert '<img class="math math-display"' in fields[2], rule  # the question
        assert '<img class="math math-display"' in fields[3], rule  # the answer
    assert set(media) == _referenced(notes)
    svgs = [data for name, data in media.items() if name.endswith(".svg")]
    assert svgs and all(b"<svg" in data[:300] for data in svgs)


def test_the_learners_collection_receives_every_image(svg_deck: Path, tmp_path: Path) -> None:
    """After a real import, every file a card refers to is in the collection's media folder."""
    (tmp_path / "profile").mkdir()
    col = Collection(str(tmp_path / "profile" / "collection.anki2"))
    try:
        col.import_anki_package(
            ImportAnkiPackageRequest(package_path=str(svg_deck), options=ImportAnkiPackageOptions())
        )
        folder = Path(col.media.dir())
        for card_id in col.find_cards(""):
            card = col.get_card(card_id)
            for name in _SOURCES.findall(card.answer()):
                assert (folder / name).is_file(), name
    finally:
        col.close()


# --- formulas that would typeset for ever -------------------------------------------------------


def _nested(depth: int, inner: str, wrap: str) -> str:
    for _ in range(depth):
        inner = wrap.format(inner)
    return inner


# 16 nested fractions in a function render (ziamath's time no longer doubles with each level);
# 150 nested \left( … \right) in a context still take ziamath many seconds.
DEEP_FUNCTION = _nested(16, "a", "1/(1 + {})")
DEEP_PARENTHESES = _nested(150, "x", r"\left({}\right)")
DEEP = f"""\
deck: "Course::Deep"
rules:
  - id: deep-function
    name: A nested fraction
    function: x + {DEEP_FUNCTION}
    derivative: "1"
    context: Its question nests sixteen fractions.
    plot: false
  - id: deep-context
    name: Square
    function: x**2
    derivative: 2*x
    context: 'Nested parentheses \\({DEEP_PARENTHESES}\\).'
    plot: false
"""


@pytest.mark.parametrize("command", ["build", "preview"])
def test_a_formula_that_typesets_past_the_time_limit_is_a_located_error_and_nothing_is_written(
    cli: Callable[..., Result],
    make_catalogue: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
) -> None:
    """Formulas are typeset in the time-limited worker pool: one that runs out of time is an
    error of the rule that shows it (exit 2), and neither the deck nor the page is written;
    the sixteen nested fractions of the other rule render well within the limit."""
    monkeypatch.setenv("ANKIGEN_CACHE_DIR", str(tmp_path / "cache"))
    folder = make_catalogue(deep=DEEP)
    old_deck = tmp_path / "deck.apkg"
    old_deck.write_bytes(b"the previous deck")
    if command == "build":
        args = ["build", folder, "--math", "svg", "-o", old_deck]
    else:
        args = ["preview", folder, "-o", tmp_path / "page"]
    result = cli(*args, "--timeout", "2")
    assert result.exit_code == 2, result.stdout + result.stderr
    (line,) = result.stderr.splitlines()  # the sixteen fractions are not in it
    assert line.startswith(
        f"{folder.name}/deep.yaml:9: rule 'deep-context': cannot render '\\left(\\left("
    )
    assert line.endswith("\\right)' as SVG: typesetting took longer than 2 s")
    assert old_deck.read_bytes() == b"the previous deck"
    assert not (folder / "ankigen.lock").exists()
    assert not (tmp_path / "page").exists()
