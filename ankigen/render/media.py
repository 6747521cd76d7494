"""The render stage's media: the plot of every proved rule, and (on request) every formula as an
SVG.

Plots and formulas are made in the worker pool, one per task, after the cache has answered what
it can: an unchanged rule is never plotted twice, nor a formula typeset twice. A plot that fails
or runs out of time does not stop the build; the card simply has no plot, and the build says
so. A formula that cannot be typeset, or not within the time limit, is an error of each rule
that shows it (a formula is never left as raw LaTeX), and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from ankigen.errors import CatalogueError, Problem
from ankigen.expr.tree import variables
from ankigen.plumbing import workers
from ankigen.plumbing.cache import Cache
from ankigen.records import MediaFile, Progress, RenderedNote, Rule
from ankigen.render import mathsvg, plot_media
from ankigen.render.mathsvg import Formula, MathRenderError, RenderedMath

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True)
class Plot:
    """A rule's plot as the Plot field shows it, with the files it refers to."""

    html: str
    media: tuple[MediaFile, ...]


def draw_plots(
    rules: Sequence[Rule],
    *,
    jobs: int | None,
    timeout: float,
    cache: Cache | None,
    progress: Progress,
) -> tuple[dict[str, Plot], list[Problem]]:
    """The plots of the rules that want one, by rule id, and a warning for each that failed.
    The cache is asked once, here; the workers only draw (``timeout`` seconds each) and the
    images they return are kept in the cache here."""
    wanted = [rule for rule in rules if plot_media.wants_plot(rule)]
    cached, missing = _asked(wanted, cache, plot_media.from_cache)
    images: dict[str, plot_media.PlotImage | None] = {r.id: i for r, i in cached.items()}
    warnings: list[Problem] = []
    progress.stage("plotting", len(missing))

    def failed(rule: Rule, reason: str) -> None:
        warnings.append(Problem(f"no plot ({reason})", rule.location, rule.id))

    if missing:
        # Import matplotlib once here, so that the forked workers start with it loaded.
        from ankigen.render import plots

        plots.warm_up()
    drawn = workers.run(
        _draw,
        missing,
        timeout=timeout,
        jobs=jobs,
        on_timeout=lambda rule: failed(rule, f"drawing took longer than {timeout:g} s"),
        on_failure=failed,
        on_result=lambda _: progress.advance(),
    )
    for rule, image in zip(missing, drawn, strict=True):
        images[rule.id] = image
        if image is not None and cache is not None:
            plot_media.to_cache(rule, cache, image)
    shown = {}
    for rule in wanted:
        found = images.get(rule.id)
        if found is not None:
            shown[rule.id] = Plot(plot_media.plot_html(rule, found), (found.file,))
    return shown, warnings + _collapsed(wanted, shown)


def _collapsed(rules: Sequence[Rule], shown: dict[str, Plot]) -> list[Problem]:
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
                Problem(
                    f"its plot is the same image as rule '{twin.id}''s ({twin.location}); give "
                    "plot: values that show what this rule is about",
                    rule.location,
                    rule.id,
                )
            )
    return warnings


def _draw(rule: Rule) -> plot_media.PlotImage | None:
    """Draw one rule's plot (in a worker)."""
    from ankigen.render import plots  # numpy, sympy and matplotlib: only when something is drawn

    return plots.plot_rule(rule)


def svg_math(
    notes: Sequence[RenderedNote],
    rules: Sequence[Rule],
    cache: Cache | None,
    *,
    jobs: int | None,
    timeout: float,
    progress: Progress,
) -> list[RenderedNote]:
    """The notes with every MathJax formula replaced by an SVG image. Each distinct formula is
    typeset once, in the worker pool with ``timeout`` seconds; every formula that cannot be is
    reported with each rule that shows it (none is ever left as raw LaTeX)."""
    shown_by: dict[Formula, list[Rule]] = {}
    for note, rule in zip(notes, rules, strict=True):
        for formula in dict.fromkeys(f for field in note.fields for f in mathsvg.formulas(field)):
            shown_by.setdefault(formula, []).append(rule)
    results = typeset_formulas(list(shown_by), cache, jobs=jobs, timeout=timeout, progress=progress)
    failed = {f: reason for f, reason in results.items() if isinstance(reason, str)}
    images = {f: image for f, image in results.items() if isinstance(image, RenderedMath)}
    if failed:
        raise CatalogueError(
            Problem(f"cannot render '{_short(f.latex)}' as SVG: {reason}", rule.location, rule.id)
            for rule in rules
            for f, reason in failed.items()
            if rule in shown_by[f]
        )
    converted = []
    for note in notes:
        fields = []
        media = dict.fromkeys(note.media)
        for field in note.fields:
            html, files = mathsvg.field_with_images(field, images)
            fields.append(html)
            media.update(dict.fromkeys(files))
        converted.append(replace(note, fields=tuple(fields), media=tuple(media)))
    return converted


def typeset_formulas(
    formulas: Sequence[Formula],
    cache: Cache | None,
    *,
    jobs: int | None,
    timeout: float,
    progress: Progress,
) -> dict[Formula, RenderedMath | str]:
    """Each formula's image, from the cache or typeset in the worker pool (and cached), or the
    reason it could not be typeset."""
    cached, missing = _asked(formulas, cache, mathsvg.from_cache)
    found: dict[Formula, RenderedMath | str] = dict(cached)
    progress.stage("typesetting", len(missing))
    if missing:
        mathsvg.warm_up()  # once here, so that the forked workers start with ziamath loaded
    typeset = workers.run(
        _typeset,
        missing,
        timeout=timeout,
        jobs=jobs,
        on_timeout=lambda _: f"typesetting took longer than {timeout:g} s",
        on_failure=lambda _, reason: reason,
        on_result=lambda _: progress.advance(),
    )
    for formula, result in zip(missing, typeset, strict=True):
        found[formula] = result
        if cache is not None and isinstance(result, RenderedMath):
            mathsvg.to_cache(formula, cache, result)
    return found


def _typeset(formula: Formula) -> RenderedMath | str:
    """One formula's image, or why ziamath cannot typeset it (in a worker)."""
    try:
        return mathsvg.typeset(formula)
    except MathRenderError as error:
        return error.reason


def _asked(
    items: Sequence[K], cache: Cache | None, read: Callable[[K, Cache], V | None]
) -> tuple[dict[K, V], list[K]]:
    """What the cache holds of ``items``, by item, and the items it does not hold (all of
    them without a cache), in their order."""
    found: dict[K, V] = {}
    missing = []
    for item in items:
        cached = read(item, cache) if cache is not None else None
        if cached is None:
            missing.append(item)
        else:
            found[item] = cached
    return found, missing


def _short(latex: str, limit: int = 80) -> str:
    """A formula as an error message quotes it: long ones cut in the middle."""
    return latex if len(latex) <= limit else f"{latex[: limit // 2]} … {latex[-limit // 2 :]}"
