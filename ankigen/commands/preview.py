"""``ankigen preview``: every card's front and back on one static HTML page, as Anki shows them.

The page is made by the build's own stages: the catalogue is loaded and proved, the plots drawn
(:func:`ankigen.render.media.draw_plots`), the notes rendered
(:func:`ankigen.render.notes.render_note`), and every formula pre-rendered as an SVG image
(:func:`ankigen.render.media.svg_math`), so the page needs no MathJax and no network. Each card side
is the note type's own template with the note's fields filled in by
:func:`ankigen.commands.template.render_template`, a copy of the part of Anki's template language
the templates use, and styled by the note type's own CSS: what the page shows is what Anki shows.
The page's skeleton, stylesheet and scripts are files of ``assets/`` (``preview.*``).

Unproved rules do not stop the preview: an author writing a catalogue wants to see the cards that
are right while fixing the one that is not. They are not shown as cards (a preview must never
show a card the deck would not contain); they are listed at the top of the page with their
located message, and :class:`PreviewReport` carries them so the command exits 1 as ``check``
does.

Output: ``index.html`` and a ``media/`` folder beside it. The images are written first (each
named by its content's hash, each through a temporary file), ``index.html`` last and atomically:
a failure leaves the previous page whole. Images no longer referenced are removed afterwards.
"""

from __future__ import annotations

import contextlib
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ankigen.build import CheckReport, check
from ankigen.commands.template import render_template
from ankigen.errors import OutputError, Problem
from ankigen.plumbing.files import read_regular_file, write_atomically
from ankigen.plumbing.resources import asset_text
from ankigen.records import (
    MathMode,
    MediaFile,
    NoteType,
    Options,
    Progress,
    RenderedNote,
    Rule,
)

DEFAULT_FOLDER = Path("preview")
INDEX = "index.html"
MEDIA = "media"  # the images' folder, inside the output folder


@dataclass(frozen=True)
class PreviewReport:
    """What a preview wrote: the page, the verdicts, what it shows and what it left out."""

    index: Path
    check: CheckReport
    cards: int
    decks: tuple[str, ...]
    media: int
    warnings: tuple[Problem, ...]

    @property
    def unproved(self) -> list[Problem]:
        """One located problem per rule that is not shown because it is not proved."""
        return self.check.problems()

    def summary(self) -> str:
        """``110 cards in 9 decks, 433 media files``."""
        counts = (_count(self.cards, "card"), _count(len(self.decks), "deck"))
        return f"{counts[0]} in {counts[1]}, {_count(self.media, 'media file')}"


def write_preview(
    folders: Sequence[Path],
    out_folder: Path = DEFAULT_FOLDER,
    include_bundled: bool | None = None,
    options: Options | None = None,
    progress: Progress | None = None,
) -> PreviewReport:
    """Write the preview page of the proved rules into ``out_folder`` (``options.math`` is
    ignored: the page always shows SVG math, so that it works offline)."""
    from ankigen.render import render  # the plots and the SVG math: only when something is shown

    options = options or Options()
    report = check(folders, include_bundled, options, progress=progress)
    proved = [c.rule for c in report.checked if c.proved]
    rendered = render(proved, replace(options, math=MathMode.SVG), progress)
    kind = rendered.note_type
    cards = [card_view(kind, note, rule) for note, rule in zip(rendered.notes, proved, strict=True)]
    page = page_html(kind, cards, report.problems(), rendered.warnings)
    index = write_page(out_folder, page, rendered.media)
    return PreviewReport(
        index=index,
        check=report,
        cards=len(cards),
        decks=tuple(dict.fromkeys(card.deck for card in cards)),
        media=len(rendered.media),
        warnings=rendered.warnings,
    )


# --- the cards and the page ---------------------------------------------------------------------


@dataclass(frozen=True)
class CardView:
    """One card as the page shows it: both sides' HTML, and what the search box looks at."""

    rule_id: str
    name: str
    deck: str
    tags: tuple[str, ...]
    search: str
    front: str
    back: str


def card_view(kind: NoteType, note: RenderedNote, rule: Rule) -> CardView:
    """Both sides of a note's card, its images referred to in the page's ``media/`` folder."""
    names = {file.name for file in note.media}
    fields = {
        name: _relocate(value, names) for name, value in zip(kind.fields, note.fields, strict=True)
    }
    # The special fields Anki offers every template.
    fields |= {
        "Tags": " ".join(note.tags),
        "Deck": note.deck,
        "Subdeck": note.deck.rsplit("::", 1)[-1],
        "Type": kind.name,
        "Card": kind.template_name,
    }
    front = render_template(kind.front, fields)
    back = render_template(kind.back, fields, front_side=front)
    return CardView(note.rule_id, rule.name, note.deck, note.tags, search_text(rule), front, back)


_SRC = re.compile(r'(?<=\ssrc=")([^"]*)(?=")')


def _relocate(field: str, names: set[str]) -> str:
    """The field with every ``src`` naming one of its media files pointed into ``media/``."""
    return _SRC.sub(lambda m: f"{MEDIA}/{m.group(1)}" if m.group(1) in names else m.group(1), field)


def search_text(rule: Rule) -> str:
    """What the search box matches, lowercased: id, name, deck, tags and context."""
    parts = [rule.id, rule.name, rule.deck.replace("::", " "), *rule.tags, rule.context]
    return " ".join(" ".join(parts).lower().split())


def group_by_deck(cards: Sequence[CardView]) -> list[tuple[str, list[CardView]]]:
    """The cards by deck, decks in the order of their first card, cards in catalogue order."""
    groups: dict[str, list[CardView]] = {}
    for card in cards:
        groups.setdefault(card.deck, []).append(card)
    return list(groups.items())


def page_html(
    kind: NoteType,
    cards: Sequence[CardView],
    unproved: Sequence[Problem],
    warnings: Sequence[Problem],
) -> str:
    """The whole page: header, problems, then one collapsible section per deck."""
    groups = group_by_deck(cards)
    summary = f"{_count(len(cards), 'card')} in {_count(len(groups), 'deck')}"
    if unproved:
        summary += f"; {_count(len(unproved), 'rule')} not proved, not shown"
    else:
        summary += ", every derivative proved by sympy"
    sections = "\n".join(_deck_html(deck, deck_cards) for deck, deck_cards in groups)
    notices = _notices(unproved, warnings)
    title = f"ankigen preview: {_count(len(cards), 'card')}"
    # preview.html is the skeleton (HTML only: no braces but its fields). Its first script,
    # preview-theme.js, runs before anything is drawn, so the remembered theme never flickers.
    return asset_text("preview.html").format(
        title=html.escape(title),
        card_css=kind.css,
        page_css=asset_text("preview.css"),
        theme_script=asset_text("preview-theme.js"),
        summary=html.escape(summary),
        notices=notices,
        sections=sections,
        script=asset_text("preview.js"),
    )


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _notices(unproved: Sequence[Problem], warnings: Sequence[Problem]) -> str:
    out = []
    if unproved:
        items = "".join(f"<li><code>{html.escape(str(p))}</code></li>" for p in unproved)
        heading = f"Not shown: {_count(len(unproved), 'rule')} not proved"
        out.append(
            f'<section class="pv-notice pv-unproved" role="alert"><h2>{html.escape(heading)}</h2>'
            f"<ul>{items}</ul></section>"
        )
    if warnings:
        items = "".join(f"<li><code>{html.escape(str(w))}</code></li>" for w in warnings)
        out.append(f'<section class="pv-notice"><h2>Warnings</h2><ul>{items}</ul></section>')
    return "\n".join(out)


def _deck_html(deck: str, cards: Sequence[CardView]) -> str:
    anchor = "deck-" + re.sub(r"[^a-z0-9]+", "-", deck.lower()).strip("-")
    path = " <span class='pv-sep'>›</span> ".join(html.escape(p) for p in deck.split("::"))
    notes = "\n".join(_card_html(card) for card in cards)
    return (
        f'<details class="pv-deck" id="{anchor}" open>\n'
        f'<summary><span class="pv-deck-name">{path}</span> '
        f'<span class="pv-deck-count">{len(cards)}</span></summary>\n{notes}\n</details>'
    )


def _card_html(card: CardView) -> str:
    tags = "".join(f'<span class="pv-tag">{html.escape(tag)}</span>' for tag in card.tags)
    rule_id = html.escape(card.rule_id, quote=True)
    return (
        f'<article class="pv-note" id="{rule_id}" data-search="{html.escape(card.search)}">\n'
        f'<header class="pv-meta"><a class="pv-id" href="#{rule_id}">{rule_id}</a>{tags}</header>\n'
        f'<div class="pv-sides">\n'
        f'<figure class="pv-side"><figcaption>Front</figcaption>'
        f'<div class="card card1">{card.front}</div></figure>\n'
        f'<figure class="pv-side"><figcaption>Back</figcaption>'
        f'<div class="card card1">{card.back}</div></figure>\n'
        f"</div>\n</article>"
    )


# --- writing ------------------------------------------------------------------------------------


def write_page(out_folder: Path, page: str, media: Sequence[MediaFile]) -> Path:
    """Write the images, then ``index.html`` atomically, then remove images no longer used."""
    index = out_folder / INDEX
    images = out_folder / MEDIA
    try:
        images.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(
            f"{out_folder}: cannot make the preview folder: {_reason(error)}"
        ) from None
    for file in sorted(media, key=lambda f: f.name):
        target = images / file.name
        with contextlib.suppress(OSError):  # missing, or not a regular file: written anew
            if read_regular_file(target, len(file.data)) == file.data:
                continue  # named by its content: an identical file is already there
        write_atomically(target, file.data, what="preview", mode=0o644)
    write_atomically(index, page.encode("utf-8"), what="preview", mode=0o644)
    used = {file.name for file in media}
    for old in images.iterdir():  # only ankigen's own images: never a catalogue file kept here
        ours = old.name.startswith("ankigen-") and old.suffix in (".svg", ".png")
        if ours and old.name not in used and old.is_file():
            with contextlib.suppress(OSError):
                old.unlink()
    return index


def _reason(error: OSError) -> str:
    return error.strerror or str(error)
