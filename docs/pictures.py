"""Draw the README's card pictures from a real build: docs/card-sigmoid.png (light),
docs/card-relu-dark.png (night mode) and docs/card-quadratic-bowl.png (a vector rule, light).

    python docs/pictures.py

The bundled deck is built into a scratch folder and imported into a new collection by Anki's own
backend (the ``anki`` package), which renders each card's back as a reviewer would get it; the
page around it is the reviewer's: Anki's own CSS and Anki's own MathJax with its configuration,
from the ``aqt`` wheel (``tests/anki_web.py`` fetches it once with pip, into the same cache folder
as the tests). Headless Chromium takes the picture at a phone's width. Needs Debian's
``chromium``; the test extra provides ``anki``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the helpers the fit test uses, shared

from anki_web import CHROMIUM, anki_sides, anki_web_files, card_page, screenshot  # noqa: E402

from ankigen.build import build  # noqa: E402

DOCS = ROOT / "docs"
CACHE = ROOT / ".pytest_cache" / "d" / "anki-web"  # where the tests keep the aqt files
WIDTH, HEIGHT = 400, 900  # CSS pixels: a phone held upright
PICTURES = {
    "sigmoid": ("card-sigmoid.png", False),
    "relu": ("card-relu-dark.png", True),
    "quadratic-bowl-in-the-plane": ("card-quadratic-bowl.png", False),
}


def main() -> None:
    if not CHROMIUM.exists():
        sys.exit(f"{CHROMIUM} is missing: apt-get install chromium")
    anki = anki_web_files(CACHE)
    with tempfile.TemporaryDirectory(prefix="ankigen-pictures-") as scratch:
        work = Path(scratch)
        deck = work / "ankigen.apkg"
        build([], deck, lock=work / "ankigen.lock")
        sides, media = anki_sides(deck, work / "profile")
        backs = {side.rule_id: side for side in sides if side.side == "back"}
        for rule_id, (picture, night) in PICTURES.items():
            page = media / f"{rule_id}.html"  # beside the media, as in Anki
            page.write_text(card_page(anki, backs[rule_id], night), encoding="utf-8")
            screenshot(page, DOCS / picture, work / "chromium-profile", WIDTH, HEIGHT)
            print(DOCS / picture)


if __name__ == "__main__":
    main()
