"""The render stage: proved rules in, the deck's notes and media out, for ``build`` and
``preview`` alike.

:mod:`~ankigen.render.notes` fills each note's fields (LaTeX from :mod:`ankigen.expr.latex`,
laid out to fit a phone); :mod:`~ankigen.render.media` adds the plots (drawn by
:mod:`~ankigen.render.plots` from the numbers of :mod:`~ankigen.render.plot_data`, cached by
:mod:`~ankigen.render.plot_media`) and, for ``--math svg``, each formula as an image
(:mod:`~ankigen.render.mathsvg`). Plots and images are made in time-limited worker processes
after the cache has answered what it can.
"""

from __future__ import annotations

from collections.abc import Sequence

from ankigen.plumbing.cache import default_cache
from ankigen.records import MathMode, Options, Progress, Rendered, Rule, Silent
from ankigen.render.notes import note_type, render_note


def render(rules: Sequence[Rule], options: Options, progress: Progress | None = None) -> Rendered:
    """The notes of proved rules, in their order, with their plots (unless ``options.plots`` is
    off) and, with ``options.math`` SVG, their formulas as images; a warning for each plot that
    could not be drawn. Raises :class:`~ankigen.errors.CatalogueError` for a formula that cannot
    be typeset as SVG."""
    from ankigen.render import media  # numpy, matplotlib, ziamath: only when there is work

    progress = progress or Silent()
    cache = default_cache() if options.cache else None
    plots, warnings = (
        media.draw_plots(
            rules, jobs=options.jobs, timeout=options.timeout, cache=cache, progress=progress
        )
        if options.plots
        else ({}, [])
    )
    notes = []
    for rule in rules:
        plot = plots.get(rule.id)
        notes.append(render_note(rule, plot.html, plot.media) if plot else render_note(rule))
    if options.math == MathMode.SVG:
        notes = media.svg_math(
            notes, rules, cache, jobs=options.jobs, timeout=options.timeout, progress=progress
        )
    files = {file.name: file for note in notes for file in note.media}
    return Rendered(note_type(), tuple(notes), tuple(files.values()), tuple(warnings))
