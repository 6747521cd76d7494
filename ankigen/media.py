"""The media stage: the plot of every proved rule, and (on request) every formula as an SVG.

Plots are drawn in the worker pool, one rule per task, after the cache has answered what it
can: an unchanged rule is never plotted twice. A plot that fails or runs out of time does not
stop the build; the card simply has no plot, and the build says so.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ankigen import plot_media, workers
from ankigen.cache import Cache
from ankigen.errors import CatalogueError, Problem
from ankigen.expressions import variables
from ankigen.mathsvg import MathRenderError, svg_field
from ankigen.model import MediaFile, Rule
from ankigen.render import RenderedNote

if TYPE_CHECKING:
    from ankigen.build import Options, Progress

PLOT_TIMEOUT = 60.0  # seconds for one plot


@dataclass(frozen=True)
class Plot:
    """A rule's plot as the Plot field shows it, with the files it refers to."""

    html: str
    media: tuple[MediaFile, ...]


def render_notes(
    rules: Sequence[Rule], options: Options, progress: Progress
) -> tuple[list[RenderedNote], list[str]]:
    """The notes of proved rules with their plots (unless ``options.plots`` is off) and, with
    ``options.math == "svg"``, their formulas as images; and the warnings of failed plots."""
    from ankigen.cache import default_cache
    from ankigen.render import render_note

    cache = default_cache() if options.cache else None
    plots, warnings = (
        draw_plots(rules, jobs=options.jobs, cache=cache, progress=progress)
        if options.plots
        else ({}, [])
    )
    notes = []
    for rule in rules:
        plot = plots.get(rule.id)
        notes.append(render_note(rule, plot.html, plot.media) if plot else render_note(rule))
    if options.math == "svg":
        notes = svg_math(notes, rules, cache)
    return notes, warnings


def draw_plots(
    rules: Sequence[Rule], *, jobs: int | None, cache: Cache | None, progress: Progress
) -> tuple[dict[str, Plot], list[str]]:
    """The plots of the rules that want one, by rule id, and a warning for each that failed."""
    wanted = [rule for rule in rules if plot_media.wants_plot(rule)]
    images: dict[str, plot_media.PlotImage | None] = {}
    missing = []
    for rule in wanted:
        cached = plot_media.from_cache(rule, cache) if cache is not None else None
        if cached is None:
            missing.append(rule)
        else:
            images[rule.id] = cached
    warnings: list[str] = []
    progress.stage("plotting", len(missing))

    def failed(rule: Rule, reason: str) -> None:
        warnings.append(f"{rule.location}: rule '{rule.id}': no plot ({reason})")

    if missing:
        # Import matplotlib once here, so that the forked workers start with it loaded.
        from ankigen import plots

        plots.warm_up()
    drawn = workers.run(
        functools.partial(_draw, cache=cache),
        missing,
        timeout=PLOT_TIMEOUT,
        jobs=jobs,
        on_timeout=lambda rule: failed(rule, f"drawing took longer than {PLOT_TIMEOUT:g} s"),
        on_failure=failed,
        on_result=lambda _: progress.advance(),
    )
    images.update((rule.id, result) for rule, result in zip(missing, drawn, strict=True))
    shown = {}
    for rule in wanted:
        found = images.get(rule.id)
        if found is not None:
            shown[rule.id] = Plot(plot_media.plot_html(rule, found), (found.file,))
    return shown, warnings + _collapsed(wanted, shown)


def _collapsed(rules: Sequence[Rule], shown: dict[str, Plot]) -> list[str]:
    """A warning for each plot that is the same image as an earlier rule's although the two
    rules have different symbols and claims: the values the plot gave the symbols erased what
    the rule is about (SELU with λ = α = 1 is ELU's plot). Two forms of one function have the
    same symbols (ELU and ELU from its output) or the same claim (log-sum-exp and its shifted
    form, whose shift changes nothing), and rightly the same plot."""
    warnings = []
    by_image: dict[str, Rule] = {}
    for rule in rules:
        if rule.id not in shown:
            continue
        twin = by_image.setdefault(shown[rule.id].media[0].name, rule)  # a hash of its bytes
        if (
            twin is not rule
            and variables(twin.function) != variables(rule.function)
            and twin.derivative != rule.derivative
        ):
            warnings.append(
                f"{rule.location}: rule '{rule.id}': its plot is the same image as rule "
                f"'{twin.id}''s ({twin.location}); give plot: values that show what this rule "
                "is about"
            )
    return warnings


def _draw(rule: Rule, cache: Cache | None) -> plot_media.PlotImage | None:
    """Draw one rule's plot in a worker, and keep it in ``cache``."""
    from ankigen import plots  # numpy, sympy and matplotlib: only when something is drawn

    return plots.plot_rule(rule, cache=cache)


def svg_math(
    notes: Sequence[RenderedNote], rules: Sequence[Rule], cache: Cache | None
) -> list[RenderedNote]:
    """The notes with every MathJax formula replaced by an SVG image; every formula that cannot
    be rendered is reported with its rule (none is ever left as raw LaTeX)."""
    converted = []
    problems = []
    for note, rule in zip(notes, rules, strict=True):
        fields = []
        media = dict.fromkeys(note.media)
        try:
            for field in note.fields:
                html, files = svg_field(field, cache=cache)
                fields.append(html)
                media.update(dict.fromkeys(files))
        except MathRenderError as error:
            problems.append(
                Problem(
                    f"cannot render {error.latex!r} as SVG: {error.reason}", rule.location, rule.id
                )
            )
            continue
        converted.append(replace(note, fields=tuple(fields), media=tuple(media)))
    if problems:
        raise CatalogueError(problems)
    return converted
