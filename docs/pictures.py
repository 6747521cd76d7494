"""Draw the README's card pictures from a real build: docs/card-sigmoid.png (light) and
docs/card-relu-dark.png (night mode).

    python docs/pictures.py

The bundled deck is built into a scratch folder and imported into a new collection by Anki's own
backend (the ``anki`` package), which renders each card's back as a reviewer would get it; the
page around it adds only the card's CSS and MathJax, as Anki's clients do. Headless Chromium takes
the picture at a phone's width. Needs Debian's ``chromium`` and ``libjs-mathjax`` (MathJax 2,
offline); the test extra provides ``anki``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

from ankigen.build import build

DOCS = Path(__file__).resolve().parent
MATHJAX = Path("/usr/share/javascript/mathjax/MathJax.js")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
WIDTH, HEIGHT = 400, 900  # CSS pixels: a phone held upright
PICTURES = {"sigmoid": ("card-sigmoid.png", False), "relu": ("card-relu-dark.png", True)}

_PAGE = """<!doctype html><html><head><meta charset="utf-8">
<script type="text/x-mathjax-config">MathJax.Hub.Config({{
  tex2jax: {{inlineMath: [['\\\\(','\\\\)']], displayMath: [['\\\\[','\\\\]']]}},
  "HTML-CSS": {{availableFonts: ["TeX"]}}, messageStyle: "none"}});
</script><script src="{mathjax}?config=TeX-AMS_HTML"></script>
<style>body {{ margin: 0; }}</style></head>
<body class="{classes}">{card}</body></html>
"""


def main() -> None:
    if not MATHJAX.exists():
        sys.exit(f"{MATHJAX} is missing: apt-get install libjs-mathjax")
    with tempfile.TemporaryDirectory(prefix="ankigen-pictures-") as scratch:
        work = Path(scratch)
        deck = work / "ankigen.apkg"
        build([], deck, lock=work / "ankigen.lock")
        collection = Collection(str(work / "collection.anki2"))
        try:
            request = ImportAnkiPackageRequest(
                package_path=str(deck), options=ImportAnkiPackageOptions(with_scheduling=False)
            )
            collection.import_anki_package(request)
            media = Path(collection.media.dir())
            for rule_id, (picture, night) in PICTURES.items():
                (note_id,) = collection.find_notes(f"Id:{rule_id}")
                card = collection.get_note(note_id).cards()[0]
                classes = "card nightMode night_mode" if night else "card"
                page = media / f"{rule_id}.html"  # beside the media, as in Anki
                page.write_text(
                    _PAGE.format(mathjax=MATHJAX.as_uri(), classes=classes, card=card.answer()),
                    encoding="utf-8",
                )
                _screenshot(page, DOCS / picture, work / "chromium-profile")
                print(DOCS / picture)
        finally:
            collection.close()


def _screenshot(page: Path, picture: Path, profile: Path) -> None:
    subprocess.run(  # noqa: S603 - our own browser command on our own page
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--window-size={WIDTH},{HEIGHT}",
            "--virtual-time-budget=5000",  # let MathJax finish typesetting
            f"--screenshot={picture}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
    )


if __name__ == "__main__":
    main()
