"""``ankigen preview``: every card's front and back on one static HTML page, as Anki shows them.

The page is made by the build's own stages: the catalogue is loaded and proved, the plots drawn
(:func:`ankigen.render.media.draw_plots`), the notes rendered
(:func:`ankigen.render.notes.render_note`), and every formula pre-rendered as an SVG image
(:func:`ankigen.render.media.svg_math`), so the page needs no MathJax and no network. Each card side
is the note type's own template with the note's fields filled in by :func:`render_template`, a copy
of the part of Anki's template language the templates use, and styled by the note type's own CSS:
what the page shows is what Anki shows.

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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ankigen.build import CheckReport, check
from ankigen.errors import OutputError, Problem
from ankigen.plumbing.files import read_regular_file, write_atomically
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


# --- Anki's template language, the part the templates use ---------------------------------------


class TemplateError(ValueError):
    """A card template that this renderer (or Anki) cannot fill in."""


_TAG = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
# Anki's own test (rslib/src/template.rs, field_is_empty): only spaces, <br> and <div> tags.
_EMPTY = re.compile(r"^(?:\s|</?(?:br|div) ?/?>)*$", re.IGNORECASE)


def field_is_empty(text: str) -> bool:
    """Whether Anki treats a field as empty in ``{{#Field}}`` and ``{{^Field}}`` sections."""
    return _EMPTY.match(text) is not None


@dataclass(frozen=True)
class _Section:
    name: str
    inverted: bool
    body: tuple[_Part, ...]


_Part = str | tuple[str] | _Section  # text, a field (a 1-tuple), or a section


def render_template(template: str, fields: Mapping[str, str], front_side: str | None = None) -> str:
    """A card side as Anki renders it: ``{{Field}}`` replaced by the field's HTML (unescaped,
    as in Anki), ``{{#Field}}…{{/Field}}`` kept only if the field is not empty,
    ``{{^Field}}…{{/Field}}`` only if it is, and ``{{FrontSide}}`` (on the back) replaced by the
    rendered front. Filters (``{{text:Field}}``) and unknown fields raise :class:`TemplateError`.
    """
    values = dict(fields)
    if front_side is not None:
        values["FrontSide"] = front_side
    return _fill(_parse(template), values)


def _parse(template: str) -> tuple[_Part, ...]:
    stack: list[tuple[str, bool, list[_Part]]] = [("", False, [])]
    position = 0
    for match in _TAG.finditer(template):
        stack[-1][2].append(template[position : match.start()])
        position = match.end()
        tag = match.group(1).strip()
        if tag[:1] in ("#", "^"):
            stack.append((tag[1:].strip(), tag[0] == "^", []))
        elif tag[:1] == "/":
            if len(stack) == 1:
                raise TemplateError(f"{{{{{tag}}}}} closes no section")
            name, inverted, body = stack.pop()
            if name != tag[1:].strip():
                raise TemplateError(f"{{{{{tag}}}}} closes {{{{#{name}}}}}")
            stack[-1][2].append(_Section(name, inverted, tuple(body)))
        elif ":" in tag:
            raise TemplateError(f"{{{{{tag}}}}}: filters are not supported")
        else:
            stack[-1][2].append((tag,))
    if len(stack) > 1:
        raise TemplateError(f"{{{{#{stack[-1][0]}}}}} is never closed")
    stack[0][2].append(template[position:])
    return tuple(part for part in stack[0][2] if part != "")


def _fill(parts: tuple[_Part, ...], values: Mapping[str, str]) -> str:
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
            continue
        name = part.name if isinstance(part, _Section) else part[0]
        if name not in values:
            raise TemplateError(f"unknown field {{{{{name}}}}}")
        if isinstance(part, _Section):
            if field_is_empty(values[name]) == part.inverted:
                out.append(_fill(part.body, values))
        else:
            out.append(values[name])
    return "".join(out)


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
    return _PAGE.format(
        title=html.escape(title),
        card_css=kind.css,
        page_css=_PAGE_CSS,
        theme_script=_THEME_SCRIPT,
        summary=html.escape(summary),
        notices=notices,
        sections=sections,
        script=_SCRIPT,
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


# --- the page's own HTML, CSS and script --------------------------------------------------------

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="ankigen">
<title>{title}</title>
<style>
/* The cards' own stylesheet, exactly as the note type carries it. */
{card_css}
</style>
<style>
{page_css}
</style>
</head>
<body>
<script>{theme_script}</script>
<header class="pv-top">
<div class="pv-title"><strong>ankigen preview</strong> <span id="pv-count">{summary}</span></div>
<div class="pv-controls" hidden>
<input id="pv-search" type="search" placeholder="Search name, id, tag, context  ( / )"
 aria-label="Search the cards by name, id, tag or context" autocomplete="off">
<button id="pv-theme" type="button" aria-pressed="false">Dark mode</button>
</div>
</header>
<main>
{notices}
<p class="pv-empty" id="pv-nothing" hidden>No card matches the search.</p>
{sections}
</main>
<script>{script}</script>
</body>
</html>
"""

_PAGE_CSS = """
[hidden] { display: none !important; }
body {
  --pv-bg: #eef1f5; --pv-fg: #1d2330; --pv-muted: #5a6478; --pv-line: #d5dae3;
  --pv-head: rgba(255, 255, 255, 0.92); --pv-tag: #e2e7ef; --pv-alert: #b3261e;
  margin: 0; background: var(--pv-bg); color: var(--pv-fg);
  font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
body.nightMode {
  --pv-bg: #121418; --pv-fg: #e6e9ef; --pv-muted: #a3acbd; --pv-line: #3b4252;
  --pv-head: rgba(24, 27, 33, 0.94); --pv-tag: #2c323d; --pv-alert: #ff8a80;
  color-scheme: dark;
}
.pv-top {
  position: sticky; top: 0; z-index: 2; display: flex; flex-wrap: wrap; gap: 0.6em 1.2em;
  align-items: center; justify-content: space-between; padding: 0.7em 1.2em;
  background: var(--pv-head); border-bottom: 1px solid var(--pv-line);
  backdrop-filter: blur(6px);
}
.pv-title strong { font-size: 1.1em; margin-right: 0.6em; }
#pv-count { color: var(--pv-muted); }
.pv-controls { display: flex; gap: 0.6em; flex: 1 1 20em; justify-content: flex-end; }
#pv-search {
  flex: 0 1 26em; min-width: 10em; font: inherit; padding: 0.35em 0.7em; color: inherit;
  background: var(--pv-bg); border: 1px solid var(--pv-line); border-radius: 6px;
}
#pv-theme {
  font: inherit; padding: 0.35em 0.9em; color: inherit; background: var(--pv-tag);
  border: 1px solid var(--pv-line); border-radius: 6px; cursor: pointer;
}
main { padding: 0.6em 1.2em 3em; }
.pv-notice {
  border: 1px solid var(--pv-line); border-radius: 8px; padding: 0.2em 1em; margin: 0.8em 0;
}
.pv-notice h2 { font-size: 1em; }
.pv-unproved { border-color: var(--pv-alert); }
.pv-unproved h2 { color: var(--pv-alert); }
.pv-notice code { white-space: pre-wrap; }
.pv-empty { color: var(--pv-muted); }
.pv-deck { margin: 1em 0; }
.pv-deck > summary {
  cursor: pointer; font-size: 1.15em; font-weight: 600; padding: 0.4em 0;
  border-bottom: 1px solid var(--pv-line);
}
.pv-sep, .pv-deck-count { color: var(--pv-muted); font-weight: normal; }
.pv-deck-count::before { content: "("; }
.pv-deck-count::after { content: ")"; }
.pv-note { margin: 1em 0 1.6em; scroll-margin-top: 4.5em; }
.pv-meta { display: flex; flex-wrap: wrap; gap: 0.4em; align-items: center; margin: 0.3em 0; }
.pv-id { font-family: ui-monospace, "DejaVu Sans Mono", monospace; color: var(--pv-fg); }
.pv-tag {
  font-size: 0.8em; padding: 0.05em 0.55em; border-radius: 999px; background: var(--pv-tag);
  color: var(--pv-muted);
}
.pv-sides {
  display: grid; gap: 1em; grid-template-columns: repeat(auto-fit, minmax(min(100%, 30em), 1fr));
  align-items: start;
}
.pv-side { margin: 0; }
.pv-side figcaption {
  font-size: 0.75em; text-transform: uppercase; letter-spacing: 0.06em; color: var(--pv-muted);
  margin: 0 0 0.25em 0.2em;
}
.pv-side > .card {
  border: 1px solid var(--pv-line); border-radius: 8px; padding: 0.2em 20px 1em;
  overflow: hidden; /* 20 px: the margin Anki's reviewer keeps around a card */
}
"""

# Runs first, before anything is drawn: the theme remembered, else the system's.
_THEME_SCRIPT = """
(function () {
  var night;
  try { night = localStorage.getItem("ankigen-preview-theme"); } catch (e) { night = null; }
  night = night ? night === "dark" : matchMedia("(prefers-color-scheme: dark)").matches;
  if (night) { document.body.classList.add("nightMode", "night_mode"); }
})();
"""

_SCRIPT = """
(function () {
  var body = document.body;
  var toggle = document.getElementById("pv-theme");
  var search = document.getElementById("pv-search");
  var count = document.getElementById("pv-count");
  var nothing = document.getElementById("pv-nothing");
  var notes = Array.prototype.slice.call(document.querySelectorAll(".pv-note"));
  var decks = Array.prototype.slice.call(document.querySelectorAll(".pv-deck"));
  var summary = count.textContent;
  document.querySelector(".pv-controls").hidden = false;

  function showTheme() {
    var night = body.classList.contains("nightMode");
    toggle.textContent = night ? "Light mode" : "Dark mode";
    toggle.setAttribute("aria-pressed", String(night));
  }
  toggle.addEventListener("click", function () {
    var night = !body.classList.contains("nightMode");
    body.classList.toggle("nightMode", night);
    body.classList.toggle("night_mode", night);  /* AnkiDroid's name for it */
    try { localStorage.setItem("ankigen-preview-theme", night ? "dark" : "light"); } catch (e) {}
    showTheme();
  });
  showTheme();

  function filter() {
    var terms = search.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var shown = 0;
    notes.forEach(function (note) {
      var text = note.getAttribute("data-search");
      var match = terms.every(function (term) { return text.indexOf(term) >= 0; });
      note.hidden = !match;
      if (match) { shown += 1; }
    });
    decks.forEach(function (deck) {
      var left = deck.querySelectorAll(".pv-note:not([hidden])").length;
      deck.hidden = left === 0;
      deck.querySelector(".pv-deck-count").textContent = String(left);
      if (terms.length && left) { deck.open = true; }
    });
    nothing.hidden = shown > 0 || notes.length === 0;
    count.textContent = terms.length ? shown + " of " + notes.length + " cards" : summary;
  }
  search.addEventListener("input", filter);
  document.addEventListener("keydown", function (event) {
    if (event.key === "/" && document.activeElement !== search) {
      event.preventDefault();
      search.focus();
    }
  });
  if (search.value) { filter(); }
})();
"""
