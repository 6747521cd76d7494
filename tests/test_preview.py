"""``ankigen preview``: the page shows every proved card as Anki would, offline, in a real browser.

The pure parts (search data, grouping, writing) are tested directly (the template language in
``test_template.py``). The page itself is opened in headless
Debian Chromium (``.ci/run`` installs it): a probe script, added to a copy of the page, reports
as JSON in ``document.title`` whether every image loaded, whether any raw LaTeX is visible, and
whether the search box and the light/dark switch work; ``--dump-dom`` hands the title back.
Set ``ANKIGEN_UPDATE_SCREENSHOTS=1`` to copy the light screenshot to ``docs/preview.png``.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from anki_web import CHROMIUM, chromium_command

from ankigen.build import load
from ankigen.commands import preview
from ankigen.commands.preview import (
    CardView,
    group_by_deck,
    search_text,
    write_page,
    write_preview,
)
from ankigen.errors import Location, OutputError, Problem
from ankigen.plumbing import files
from ankigen.records import MediaFile, Options
from ankigen.render.notes import note_type, render_note
from ankigen.render.plot_media import wants_plot

ROOT = Path(__file__).resolve().parents[1]
BUNDLED_CARDS = 164
BUNDLED_DECKS = 10
FAST = Options(timeout=10.0, plots=False)

TWO_RULES = """\
deck: "Course::Powers"
tags: [power]
rules:
  - id: square
    name: Square
    function: x**2
    derivative: 2*x
    context: The <b>simplest</b> "power" & more.
  - id: cube-wrong
    name: Cube
    function: x**3
    derivative: 2*x**2
    context: A wrong claim.
"""


# --- search data, grouping, relocating -----------------------------------------------------------


def test_the_search_text_holds_id_name_deck_tags_and_context_in_lowercase(
    make_catalogue: Callable[..., Path],
) -> None:
    """The search box matches any of these, case-insensitively, across line breaks."""
    (rule, _) = load([make_catalogue(powers=TWO_RULES)]).rules
    text = search_text(rule)
    assert text == 'square square course powers power the <b>simplest</b> "power" & more.'


def _card(rule_id: str, deck: str) -> CardView:
    return CardView(rule_id, rule_id, deck, (), rule_id, "front", "back")


def test_cards_are_grouped_by_deck_in_the_order_decks_first_appear() -> None:
    """Decks keep the catalogue's order; cards keep theirs within a deck."""
    cards = [_card("a", "D::2"), _card("b", "D::1"), _card("c", "D::2"), _card("d", "D::3")]
    groups = group_by_deck(cards)
    assert [(deck, [c.rule_id for c in group]) for deck, group in groups] == [
        ("D::2", ["a", "c"]),
        ("D::1", ["b"]),
        ("D::3", ["d"]),
    ]


def test_a_cards_images_point_into_the_media_folder_and_nothing_else_does(
    make_catalogue: Callable[..., Path],
) -> None:
    """Only the note's own media files are relocated; other sources are left as written."""
    (rule, _) = load([make_catalogue(powers=TWO_RULES)]).rules
    plot = '<img src="ankigen-plot-1.png"><img src="elsewhere.png">'
    note = render_note(rule, plot, (MediaFile("ankigen-plot-1.png", b"png"),))
    card = preview.card_view(note_type(), note, rule)
    assert 'src="media/ankigen-plot-1.png"' in card.back
    assert 'src="elsewhere.png"' in card.back
    assert "ankigen-plot" not in card.front


def test_catalogue_text_cannot_inject_markup_into_the_page(
    make_catalogue: Callable[..., Path],
) -> None:
    """A context with quotes and tags stays text, in the card and in the search attribute."""
    (rule, _) = load([make_catalogue(powers=TWO_RULES)]).rules
    card = preview.card_view(note_type(), render_note(rule), rule)
    page = preview.page_html(note_type(), [card], [], [])
    assert "<b>simplest</b>" not in page
    assert "&lt;b&gt;simplest&lt;/b&gt;" in page
    assert 'data-search="square square course powers power the &lt;b&gt;' in page
    assert page.count("<script>") == 2  # the page's own two scripts, nothing else


# --- writing the page ----------------------------------------------------------------------------


def test_a_preview_shows_the_proved_rules_and_lists_the_unproved_at_the_top(
    make_catalogue: Callable[..., Path], tmp_path: Path
) -> None:
    """A refuted rule is not shown as a card, but named with its located counterexample."""
    folder = make_catalogue(powers=TWO_RULES)
    report = write_preview([folder], tmp_path / "out", None, FAST)
    page = report.index.read_text(encoding="utf-8")
    assert report.index == tmp_path / "out" / "index.html"
    assert (report.cards, report.decks) == (1, ("Course::Powers",))
    assert [p.rule_id for p in report.unproved] == ["cube-wrong"]
    assert 'id="square"' in page and 'id="cube-wrong"' not in page
    assert "Not shown: 1 rule not proved" in page
    assert re.search(r"powers\.yaml:\d+: rule &#x27;cube-wrong&#x27;: derivative is wrong", page)
    assert "\\(" not in page and "\\[" not in page  # every formula is an SVG image
    svgs = sorted(p.name for p in (tmp_path / "out" / "media").iterdir())
    assert svgs and all(name.endswith(".svg") for name in svgs)
    assert {f"media/{name}" for name in svgs} == set(re.findall(r'src="([^"]+)"', page))


def test_a_page_with_no_proved_rule_still_says_what_is_wrong() -> None:
    """Nothing to show is shown as such: the counts and the located problem, no deck."""
    problem = Problem("derivative is wrong", Location(Path("a.yaml"), 3), "cube")
    warning = Problem("no plot", Location(Path("a.yaml"), 3), "x")
    page = preview.page_html(note_type(), [], [problem], [warning])
    assert "0 cards in 0 decks; 1 rule not proved, not shown" in page
    assert "a.yaml:3: rule &#x27;cube&#x27;: derivative is wrong" in page
    assert "<h2>Warnings</h2>" in page
    assert "a.yaml:3: rule &#x27;x&#x27;: no plot" in page
    assert 'class="pv-deck"' not in page


def test_the_same_catalogue_gives_the_same_page_byte_for_byte(
    make_catalogue: Callable[..., Path], tmp_path: Path
) -> None:
    """No date, no random id: a preview can be compared, cached and committed."""
    folder = make_catalogue(powers=TWO_RULES)
    first = write_preview([folder], tmp_path / "one", None, FAST).index.read_bytes()
    second = write_preview([folder], tmp_path / "two", None, FAST).index.read_bytes()
    assert first == second


def test_the_command_prints_the_page_path_and_exits_1_for_an_unproved_rule(
    make_catalogue: Callable[..., Path], cli: Callable[..., Any], tmp_path: Path
) -> None:
    """Like check, preview exits 1 when a rule is not proved, yet the page is written."""
    folder = make_catalogue(powers=TWO_RULES)
    result = cli("preview", folder, "-o", "site", "--no-plots")
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines()[-1] == str(Path("site") / "index.html")
    assert "rule 'cube-wrong': derivative is wrong" in result.stderr
    assert (tmp_path / "site" / "index.html").is_file()


def test_the_command_exits_0_when_every_rule_is_proved(
    make_catalogue: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    """A catalogue that is all proved gives exit 0, the counts and the path."""
    folder = make_catalogue(powers=TWO_RULES.split("  - id: cube-wrong")[0])
    result = cli("preview", folder, "--no-plots")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "1 card in 1 deck, 2 media files",
        str(Path("preview") / "index.html"),
    ]


def test_a_new_page_replaces_the_old_and_removes_only_images_it_no_longer_uses(
    tmp_path: Path,
) -> None:
    """Stale ankigen images go; the author's own files in the folder stay."""
    out = tmp_path / "out"
    write_page(
        out, "old", [MediaFile("ankigen-old.svg", b"1"), MediaFile("ankigen-kept.svg", b"2")]
    )
    (out / "media" / "mine.txt").write_text("keep me")
    write_page(
        out, "new", [MediaFile("ankigen-kept.svg", b"2"), MediaFile("ankigen-new.svg", b"3")]
    )
    assert (out / "index.html").read_text() == "new"
    assert sorted(p.name for p in (out / "media").iterdir()) == [
        "ankigen-kept.svg",
        "ankigen-new.svg",
        "mine.txt",
    ]


def test_a_failed_write_leaves_the_previous_page_whole_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If index.html cannot be replaced, the old page and its images stay as they were."""
    out = tmp_path / "out"
    write_page(out, "old page", [MediaFile("ankigen-a.svg", b"a")])

    def refuse(source: str, target: Path) -> None:
        if Path(target).name == "index.html":
            raise OSError(28, "No space left on device")
        os.rename(source, target)

    monkeypatch.setattr(files.os, "replace", refuse)
    with pytest.raises(OutputError, match=r"index\.html: cannot write the preview: No space left"):
        write_page(out, "new page", [MediaFile("ankigen-b.svg", b"b")])
    assert (out / "index.html").read_text() == "old page"
    assert (out / "media" / "ankigen-a.svg").read_bytes() == b"a"
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


def test_an_output_that_is_a_file_exits_3(tmp_path: Path, cli: Callable[..., Any]) -> None:
    """``-o`` naming an existing file is an output error, not a traceback."""
    (tmp_path / "taken").write_text("a file")
    folder = tmp_path / "cards"
    folder.mkdir()
    (folder / "one.yaml").write_text(TWO_RULES.split("  - id: cube-wrong")[0])
    result = cli("preview", folder, "-o", tmp_path / "taken" / "inside", "--no-plots")
    assert result.exit_code == 3, result.output
    assert "cannot make the preview folder" in result.stderr


# --- the bundled catalogue in a real browser -----------------------------------------------------

# Added to a copy of the page: once everything has loaded, it checks the page and puts the answer
# in the title, which Chromium's --dump-dom hands back.
PROBE = """
<script>
window.addEventListener("load", function () {
  var r = {};
  var all = function (selector) { return Array.from(document.querySelectorAll(selector)); };
  var shown = function () {
    return all(".pv-note").filter(function (n) { return !n.hidden; }).map(function (n) {
      return n.id;
    });
  };
  var images = Array.from(document.images);
  r.images = images.length;
  r.broken = images.filter(function (i) { return !(i.complete && i.naturalWidth > 0); })
    .map(function (i) { return i.getAttribute("src"); });
  r.math = all("img.math").length;
  r.plots = all("img.ankigen-plot").length;
  r.flat_math = all("img.math").filter(function (i) {
    return i.getBoundingClientRect().width < 4 || i.getBoundingClientRect().height < 4;
  }).length;
  r.notes = all(".pv-note").length;
  r.decks = all(".pv-deck").length;
  r.raw = (document.body.innerText.match(/\\\\[A-Za-z]+|\\\\[()\\[\\]]|[{][{]|[}][}]/g) || [])
    .slice(0, 20);
  r.controls = !document.querySelector(".pv-controls").hidden;
  var search = document.getElementById("pv-search");
  var type = function (text) {
    search.value = text;
    search.dispatchEvent(new Event("input"));
  };
  type("SIGMOID");
  r.search_sigmoid = shown();
  r.search_sigmoid_decks = all(".pv-deck").filter(function (d) { return !d.hidden; }).length;
  type("activation relu");
  r.search_two_terms = shown();
  type("no-such-card");
  r.search_none = shown().length;
  r.nothing_message = !document.getElementById("pv-nothing").hidden;
  type("");
  r.search_cleared = shown().length;
  var card = document.querySelector(".pv-side > .card");
  var plot = document.querySelector("img.ankigen-plot");
  var key = document.querySelector(".plot-key-derivative");
  var style = function (e, p) { return getComputedStyle(e)[p]; };
  var look = function () {
    return [document.body.className, style(card, "backgroundColor"), style(plot, "filter"),
            style(key, "filter")];
  };
  r.light = look();
  document.getElementById("pv-theme").click();
  r.dark = look();
  document.getElementById("pv-theme").click();
  r.back_to_light = document.body.className;
  document.title = "PROBE " + JSON.stringify(r);
});
</script>
"""


@pytest.fixture(scope="module")
def chromium() -> Path:
    """Debian's Chromium; the test is skipped without it only outside CI."""
    if not CHROMIUM.exists():
        if not os.environ.get("CI"):
            pytest.skip(f"{CHROMIUM} is not installed (.ci/run installs Debian's chromium)")
        pytest.fail(f"{CHROMIUM} is missing in CI: .ci/run should have installed it")
    return CHROMIUM


@pytest.fixture(scope="module")
def bundled_preview(tmp_path_factory: pytest.TempPathFactory) -> preview.PreviewReport:
    """The preview of the bundled catalogue, written once for the module."""
    return write_preview([], tmp_path_factory.mktemp("preview") / "site")


def _run_chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    if profile.exists():
        shutil.rmtree(profile)
    command = chromium_command(profile, "--virtual-time-budget=30000", *args, file_access=False)
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)


@pytest.fixture(scope="module")
def probe(
    chromium: Path, bundled_preview: preview.PreviewReport, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """What the probe script saw in the bundled preview, opened from disk in Chromium."""
    page = bundled_preview.index.read_text(encoding="utf-8")
    probed = bundled_preview.index.with_name("probe.html")
    probed.write_text(page.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    profile = tmp_path_factory.mktemp("chromium-profile")
    result = _run_chromium(profile, "--dump-dom", probed.as_uri())
    title = re.search(r"<title>PROBE (.*?)</title>", result.stdout, re.DOTALL)
    assert title, f"the probe did not report (exit {result.returncode}):\n{result.stderr[-3000:]}"
    report: dict[str, Any] = json.loads(html.unescape(title.group(1)))
    return report


def test_the_bundled_preview_shows_every_card_in_its_deck(
    bundled_preview: preview.PreviewReport, probe: dict[str, Any]
) -> None:
    """164 cards in 10 collapsible deck sections, with the search box and the switch shown."""
    assert (bundled_preview.cards, len(bundled_preview.decks)) == (BUNDLED_CARDS, BUNDLED_DECKS)
    page = bundled_preview.index.read_text(encoding="utf-8")
    assert re.findall(r'(?:src|href)="(?!media/ankigen-|#)[^"]*"', page) == []  # nothing online
    assert not bundled_preview.unproved
    assert (probe["notes"], probe["decks"], probe["controls"]) == (
        BUNDLED_CARDS,
        BUNDLED_DECKS,
        True,
    )


def test_every_image_of_the_page_loads_in_the_browser(
    bundled_preview: preview.PreviewReport, probe: dict[str, Any]
) -> None:
    """Every formula and plot image is there, offline, and decodes; formulas have a size."""
    assert probe["broken"] == []
    assert probe["math"] > 2 * BUNDLED_CARDS  # question and answer at least, on both sides
    assert probe["plots"] == sum(wants_plot(rule) for rule in load([]).rules)  # on the back
    assert probe["images"] == probe["math"] + probe["plots"]
    assert probe["flat_math"] == 0


def test_no_raw_latex_or_template_tag_is_visible(probe: dict[str, Any]) -> None:
    """All math is typeset: no \\frac, \\( or {{Field}} in the text a reader sees."""
    assert probe["raw"] == []


def test_the_search_box_filters_by_name_tags_and_all_terms(probe: dict[str, Any]) -> None:
    """Case-insensitive, every term must match, exactly the cards whose search text has every
    term; decks without a match are hidden, and an empty box shows everything again."""
    texts = {rule.id: search_text(rule) for rule in load([]).rules}
    sigmoid = [rule_id for rule_id, text in texts.items() if "sigmoid" in text]
    two_terms = [i for i, text in texts.items() if "activation" in text and "relu" in text]
    assert sorted(probe["search_sigmoid"]) == sorted(sigmoid)
    assert sorted(probe["search_two_terms"]) == sorted(two_terms)
    assert "relu" in two_terms and "sigmoid" not in two_terms
    assert 0 < probe["search_sigmoid_decks"] < BUNDLED_DECKS
    assert (probe["search_none"], probe["nothing_message"]) == (0, True)
    assert probe["search_cleared"] == BUNDLED_CARDS


def test_the_switch_turns_the_cards_to_night_mode_and_back(probe: dict[str, Any]) -> None:
    """The switch sets the classes Anki's clients use; the card CSS then darkens the cards and
    recolours the plot and the legend's keys with the same filter."""
    light_classes, light_background, light_plot, light_key = probe["light"]
    dark_classes, dark_background, dark_plot, dark_key = probe["dark"]
    assert "nightMode" not in light_classes
    assert set(dark_classes.split()) >= {"nightMode", "night_mode"}
    assert (light_background, light_plot, light_key) == ("rgb(255, 255, 255)", "none", "none")
    assert dark_background == "rgb(30, 33, 40)"
    assert dark_plot == dark_key == "invert(0.88) hue-rotate(180deg)"
    assert "nightMode" not in probe["back_to_light"]


def _mean_brightness(png: Path) -> float:
    from matplotlib import image

    pixels = image.imread(str(png))
    return float(pixels[..., :3].mean())


def test_screenshots_in_light_and_dark(
    chromium: Path, bundled_preview: preview.PreviewReport, tmp_path: Path
) -> None:
    """Chromium draws the page; the system's dark preference gives the dark page. The light
    screenshot goes to docs/preview.png when ANKIGEN_UPDATE_SCREENSHOTS=1."""
    shots = {}
    for theme, extra in (("light", ()), ("dark", ("--force-dark-mode",))):
        shot = tmp_path / f"preview-{theme}.png"
        result = _run_chromium(
            tmp_path / f"profile-{theme}",
            "--window-size=1280,900",
            *extra,
            f"--screenshot={shot}",
            bundled_preview.index.as_uri(),
        )
        assert shot.is_file(), result.stderr[-3000:]
        shots[theme] = _mean_brightness(shot)
    assert shots["light"] > 0.8 > 0.3 > shots["dark"], shots
    if os.environ.get("ANKIGEN_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(tmp_path / "preview-light.png", ROOT / "docs" / "preview.png")
