"""Cards as Anki's reviewer shows them: the bundled deck rendered by Anki's backend, typeset by
Anki's own MathJax, in headless Chromium. Used by ``tests/test_fit.py`` and ``docs/pictures.py``.

Anki's MathJax and its configuration ship in the ``aqt`` wheel (the desktop app), not in the
``anki`` backend the tests install. ``aqt`` cannot go into the ``test`` extra: it requires PyQt6
and PyQt6-WebEngine (hundreds of MB, and a pip extra cannot say ``--no-deps``). So
:func:`anki_web_files` runs ``pip download --no-deps aqt==<the anki version>`` once into a cache
folder and unpacks only its ``web/`` files: one 4 MB wheel from PyPI, on any fresh machine.

The page puts each card side in a ``.reviewer`` box that plays the reviewer's ``<body>``: Anki's
own ``reviewer.css`` with its ``body`` rules aimed at that box (20 px margin, ``overflow-wrap``),
the card's classes (``card card1``, plus ``nightMode night_mode`` at night), and the side's HTML
(with its ``<style>``) inside ``#qa``. MathJax is configured by Anki's own ``mathjax.js``, with
only its path pointed at the unpacked files; it typesets everything once (its layout does not
depend on the width), and a probe then sets each screen width and theme in turn and reports.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

CHROMIUM = Path("/usr/bin/chromium")
_WEB = "_aqt/data/web/"


@dataclass(frozen=True)
class AnkiWeb:
    """Anki's reviewer files, unpacked: MathJax's folder, its configuration script, the CSS."""

    mathjax: Path
    config_js: str
    reviewer_css: str


def anki_web_files(cache: Path) -> AnkiWeb:
    """Anki's MathJax, its configuration and the reviewer's CSS, from the ``aqt`` wheel of the
    same version as the installed ``anki`` (downloaded into ``cache`` on first use)."""
    anki_version = version("anki")
    folder = cache / f"aqt-{anki_version}"
    if not folder.is_dir():
        # unpacked beside it, then renamed: another run never sees half a folder
        cache.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=cache, prefix=".download-") as scratch:
            unpacked = Path(scratch) / "aqt"
            _unpack_web_files(_download_aqt(anki_version, Path(scratch)), unpacked)
            try:
                unpacked.rename(folder)
            except OSError:  # another run was first: its folder is as good
                if not folder.is_dir():
                    raise
    web = folder / _WEB
    return AnkiWeb(
        mathjax=web / "js" / "vendor" / "mathjax",
        config_js=(web / "js" / "mathjax.js").read_text(encoding="utf-8"),
        reviewer_css=(web / "css" / "reviewer.css").read_text(encoding="utf-8"),
    )


def _download_aqt(anki_version: str, destination: Path) -> Path:
    """The aqt wheel of that version, from the package index pip is set up with."""
    subprocess.run(  # pip, from this interpreter, for one pinned wheel
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
            f"aqt=={anki_version}",
            "--dest",
            str(destination),
        ],
        check=True,
        timeout=600,
    )
    (wheel,) = destination.glob("aqt-*.whl")
    return wheel


def _unpack_web_files(wheel: Path, folder: Path) -> None:
    """Only MathJax, its configuration and the CSS: a few MB of the wheel."""
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.namelist():
            if member.startswith(_WEB) and ("/mathjax" in member or "/css/" in member):
                archive.extract(member, folder)


@dataclass(frozen=True)
class Side:
    """One side of one card, as Anki's backend renders it (HTML with the card's ``<style>``)."""

    rule_id: str
    side: str  # "front" or "back"
    html: str


def anki_sides(package: Path, profile: Path) -> tuple[list[Side], Path]:
    """Every side of every card of ``package``, imported into a new collection in ``profile``
    and rendered by Anki's backend, and the collection's media folder (where the sides' images
    are)."""
    profile.mkdir(parents=True, exist_ok=True)
    collection = Collection(str(profile / "collection.anki2"))
    try:
        request = ImportAnkiPackageRequest(
            package_path=str(package), options=ImportAnkiPackageOptions(with_scheduling=False)
        )
        collection.import_anki_package(request)
        sides = []
        for card_id in sorted(collection.find_cards("")):
            card = collection.get_card(card_id)
            rule_id = card.note()["Id"]
            sides.append(Side(rule_id, "front", card.question()))
            sides.append(Side(rule_id, "back", card.answer()))
        return sides, Path(collection.media.dir())
    finally:
        collection.close()


_PAGE = """<!doctype html><html><head><meta charset="utf-8">
<style>{reviewer_css}</style>
<style>
  body {{ margin: 0; }}
  .screen {{ box-sizing: border-box; }}
  /* Anki's webview draws its own scrollbars: none here, so widths are the screen's. */
  ::-webkit-scrollbar {{ display: none; }}
</style>
<script>{config_js}</script>
<script>window.MathJax.loader.paths.mathjax = {mathjax_path};</script>
<script src="{mathjax_src}"></script>
</head><body>
{screens}
<script>{probe}</script>
</body></html>
"""

_SCREEN = (
    '<div class="screen" data-rule="{rule}" data-side="{side}" style="width: {width}px">'
    '<div class="reviewer card card1"><div id="qa">{html}</div></div></div>'
)

# Typesets every formula as Anki's reviewer does, then, for each screen width and theme, lists
# every element wider than its box (scrollWidth > clientWidth: it scrolls or is cut off) and every
# formula or image that reaches outside the card, and lists the card names that CSS shows other
# than as written; the report goes into the title as JSON.
_PROBE = """
(function () {
  var WIDTHS = %(widths)s, THEMES = %(themes)s, MORE = 1;  // rounding of sub-pixel layout
  function label(e) {
    var cls = typeof e.className === "string" && e.className ?
      "." + e.className.split(" ").join(".") : "";
    var text = (e.innerText || e.getAttribute("alt") || "").replace(/\\s+/g, " ").slice(0, 60);
    return e.tagName.toLowerCase() + cls + (text ? " '" + text + "'" : "");
  }
  function problems(screen) {
    var found = [];
    var card = screen.querySelector(".reviewer").getBoundingClientRect();
    screen.querySelectorAll("*").forEach(function (e) {
      // a formula is checked as a whole: its inner boxes (fractions, tables) are not boxes
      // that scroll, and their scrollWidth counts MathJax's own spacing
      if (e.parentElement.closest("mjx-container") || e.matches("style, script")) { return; }
      if (e.clientWidth > 0 && e.scrollWidth > e.clientWidth + MORE) {
        found.push(label(e) + ": scrolls " + e.scrollWidth + " px in " + e.clientWidth + " px");
      }
      if (e.matches("mjx-container, img")) {
        var r = e.getBoundingClientRect();
        if (r.left < card.left - MORE || r.right > card.right + MORE) {
          found.push(label(e) + ": sticks out of the card (" + Math.round(r.left - card.left) +
                     " to " + Math.round(r.right - card.left) + " px of " +
                     Math.round(card.width) + ")");
        }
      }
    });
    return found;
  }
  function measure() {
    var report = {sides: 0, errors: [], problems: []};
    var screens = Array.from(document.querySelectorAll(".screen"));
    report.sides = screens.length;
    report.errors = Array.from(document.querySelectorAll("mjx-merror, .MathJax_Error"))
      .map(function (e) { return e.textContent; });
    // innerText shows what CSS made of the text (text-transform), textContent what it is
    report.renamed = screens.filter(function (s) {
      var name = s.querySelector(".rule-name");
      return name && name.innerText.trim() !== name.textContent.trim();
    }).map(function (s) { return s.dataset.rule + " " + s.dataset.side; });
    report.untypeset = screens.filter(function (s) {
      return /\\\\[(\\[]/.test(s.querySelector("#qa").innerText);
    }).map(function (s) { return s.dataset.rule + " " + s.dataset.side; });
    WIDTHS.forEach(function (width) {
      THEMES.forEach(function (theme) {
        screens.forEach(function (screen) {
          screen.style.width = width + "px";
          var body = screen.querySelector(".reviewer");
          body.className =
            "reviewer card card1" + (theme === "night" ? " nightMode night_mode" : "");
        });
        screens.forEach(function (screen) {
          problems(screen).forEach(function (p) {
            report.problems.push([screen.dataset.rule, screen.dataset.side, width, theme, p]);
          });
        });
      });
    });
    document.title = "PROBE " + JSON.stringify(report);
  }
  window.addEventListener("load", function () {
    MathJax.startup.promise
      .then(function () { return MathJax.typesetPromise(); })
      .then(function () { return document.fonts.ready; })
      .then(measure)
      .catch(function (error) {
        document.title = "PROBE " + JSON.stringify({failed: String(error)});
      });
  });
})();
"""


def reviewer_page(
    anki: AnkiWeb, sides: list[Side], widths: tuple[int, ...], themes: tuple[str, ...]
) -> str:
    """The page that shows ``sides`` as Anki's reviewer would and probes them (see above)."""
    screens = "\n".join(
        _SCREEN.format(rule=html.escape(s.rule_id), side=s.side, width=widths[0], html=s.html)
        for s in sides
    )
    return _PAGE.format(
        reviewer_css=_body_rules_on_the_box(anki.reviewer_css),
        config_js=anki.config_js,
        mathjax_path=json.dumps(anki.mathjax.as_uri()),
        mathjax_src=(anki.mathjax / "tex-chtml-full.js").as_uri(),
        screens=screens,
        probe=_PROBE % {"widths": json.dumps(widths), "themes": json.dumps(themes)},
    )


_CARD_PAGE = """<!doctype html><html><head><meta charset="utf-8">
<style>{reviewer_css}</style>
<script>{config_js}</script>
<script>window.MathJax.loader.paths.mathjax = {mathjax_path};</script>
<script src="{mathjax_src}"></script>
</head><body class="{classes}"><div id="qa">{html}</div>
<script>window.addEventListener("load", function () {{
  MathJax.startup.promise.then(function () {{ return MathJax.typesetPromise(); }});
}});</script>
</body></html>
"""


def card_page(anki: AnkiWeb, side: Side, night: bool) -> str:
    """One side alone, as the reviewer shows it: in ``<body>``, with Anki's CSS and MathJax."""
    return _CARD_PAGE.format(
        reviewer_css=anki.reviewer_css,
        config_js=anki.config_js,
        mathjax_path=json.dumps(anki.mathjax.as_uri()),
        mathjax_src=(anki.mathjax / "tex-chtml-full.js").as_uri(),
        classes="card card1 nightMode night_mode" if night else "card card1",
        html=side.html,
    )


def screenshot(page: Path, picture: Path, profile: Path, width: int, height: int) -> None:
    """A picture of the page at a window size, once MathJax has typeset it."""
    command = chromium_command(
        profile,
        f"--window-size={width},{height}",
        "--virtual-time-budget=20000",
        f"--screenshot={picture}",
        page.as_uri(),
    )
    subprocess.run(command, check=True, capture_output=True, timeout=300)


def _body_rules_on_the_box(css: str) -> str:
    """reviewer.css with its rules for ``body`` applied to the ``.reviewer`` box instead."""
    return re.sub(r"(?<![\w-])body(?=[\s.{,:])", ".reviewer", css)


def chromium_command(profile: Path, *args: str, file_access: bool = True) -> list[str]:
    """Headless Chromium, offline and quiet, with its own profile; with ``file_access``, a page
    may read other files beside it (MathJax loads its parts and fonts from file URLs). The
    preview page is opened without it, as a learner's browser would open it."""
    return [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        *(["--allow-file-access-from-files"] if file_access else []),
        f"--user-data-dir={profile}",
        *args,
    ]


def probe_page(page: Path, profile: Path) -> dict[str, object]:
    """Open the page in headless Chromium and return the probe's report."""
    command = chromium_command(profile, "--virtual-time-budget=60000", "--dump-dom", page.as_uri())
    result = subprocess.run(  # our own browser command on our own page
        command, capture_output=True, text=True, timeout=300, check=False
    )
    title = re.search(r"<title>PROBE (.*?)</title>", result.stdout, re.DOTALL)
    if not title:
        raise AssertionError(
            f"the probe did not report (exit {result.returncode}):\n{result.stderr[-3000:]}"
        )
    report: dict[str, object] = json.loads(html.unescape(title.group(1)))
    return report
