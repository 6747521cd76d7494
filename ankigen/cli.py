"""The ``ankigen`` command: parse options, call one library function, print its report.

Exit codes are documented in :mod:`ankigen.errors`. The heavy libraries (sympy, genanki) are
imported only by the commands that need them, so ``ankigen --help`` starts at once.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import click

from ankigen import __version__
from ankigen.build import CheckReport
from ankigen.records import MathMode, Options, Status

_folders = click.argument("folders", nargs=-1, type=click.Path(path_type=Path, file_okay=False))
_bundled = click.option(
    "--bundled/--no-bundled",
    default=None,
    help="Include the built-in catalogue. Default: only when no FOLDERS are given.",
)
_timeout = click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=Options.timeout,
    show_default=True,
    help="Seconds allowed for each proof, each plot and each formula typeset as SVG.",
)
_jobs = click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes for the proofs, the plots and the SVG formulas [default: one per core].",
)


_plots = click.option(
    "--plots/--no-plots", default=True, help="Draw a plot of f and f' on each card."
)
_cache = click.option(
    "--cache/--no-cache", default=True, help="Reuse proofs and images of earlier builds."
)
_quiet = click.option("--quiet", "-q", is_flag=True, help="Print only warnings and errors.")
_verbose = click.option("--verbose", "-v", is_flag=True, help="Also print each rule's verdict.")
_tag = click.option(
    "--tag", "tags", multiple=True, metavar="TAG", help="Only rules with this tag (repeatable)."
)
_deck = click.option(
    "--deck",
    "decks",
    multiple=True,
    metavar="DECK",
    help="Only rules in this deck or its subdecks (repeatable).",
)


class _Bar:
    """A progress bar per stage on standard error (used only when that is a terminal)."""

    def __init__(self) -> None:
        self.bar: Any = None

    def stage(self, name: str, total: int) -> None:
        self.close()
        if total:
            self.bar = click.progressbar(length=total, label=f"{name:<9}", file=sys.stderr)
            self.bar.render_progress()

    def advance(self) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.render_finish()
            self.bar = None


@contextlib.contextmanager
def _progress(quiet: bool) -> Iterator[_Bar | None]:
    """A progress bar for long builds, but not in logs, pipes or with --quiet."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    bar = _Bar()
    try:
        yield bar
    finally:
        bar.close()


def _not_empty(context: click.Context, parameter: click.Parameter, value: Any) -> Any:
    """Refuse an empty path (``-o ''``), which would otherwise name the current folder."""
    if value is not None and str(value) in ("", "."):
        raise click.BadParameter("give a file name, not an empty path or '.'")
    return value


def _print_verdicts(report: CheckReport) -> None:
    width = max(len(rule.id) for rule in report.rules)
    for checked in report.checked:
        status, rule_id, method = checked.verdict.status, checked.rule.id, checked.verdict.method
        click.echo(f"{status:<10}  {rule_id:<{width}}  {method}".rstrip())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ankigen")
def main() -> None:
    """Turn a YAML catalogue of derivative rules into an Anki deck, every derivative proved.

    With no FOLDERS, the commands use the catalogue that ships with ankigen.
    """
    # SIGTERM unwinds like Ctrl-C, so that a half-written deck is removed on the way out.
    signal.signal(signal.SIGTERM, _exit_on_signal)


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


@main.command()
@_folders
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("ankigen.apkg"),
    show_default=True,
    callback=_not_empty,
    help="Where to write the deck.",
)
@_bundled
@_timeout
@_jobs
@click.option(
    "--lock",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    callback=_not_empty,
    help="The lock file that remembers what each note held [default: ankigen.lock in the first "
    "FOLDER, or beside the deck when building the bundled catalogue alone].",
)
@click.option(
    "--math",
    type=click.Choice(["mathjax", "svg"]),
    default="mathjax",
    show_default=True,
    help="How formulas are shown: typeset by Anki's MathJax, or pre-rendered SVG images.",
)
@_plots
@_cache
@click.option(
    "--allow-note-type-change",
    is_flag=True,
    help="Build even if the note type's fields or templates changed (learners' notes will stop "
    "updating).",
)
@_tag
@_deck
@_quiet
@_verbose
def build(
    folders: Sequence[Path],
    output: Path,
    bundled: bool | None,
    timeout: float,
    jobs: int | None,
    lock: Path | None,
    math: str,
    plots: bool,
    cache: bool,
    allow_note_type_change: bool,
    tags: tuple[str, ...],
    decks: tuple[str, ...],
    quiet: bool,
    verbose: bool,
) -> None:
    """Prove every rule of FOLDERS and write them as an Anki deck (.apkg)."""
    from ankigen import build as pipeline

    with _progress(quiet) as bar:
        report = pipeline.build(
            list(folders),
            output,
            bundled,
            Options(timeout, jobs, plots=plots, math=MathMode(math), cache=cache),
            lock=lock,
            allow_note_type_change=allow_note_type_change,
            progress=bar,
            tags=tags,
            decks=decks,
        )
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    if verbose:
        _print_verdicts(report.check)
    if quiet:
        return
    changes = report.changes
    unchanged = report.notes - len(changes.new) - len(changes.updated)
    click.echo(
        f"{len(report.check.rules)} rules, all proved: {report.notes} notes, "
        f"{report.cards} cards in {len(report.decks)} decks, {report.media} media files"
    )
    counts = f"{len(changes.new)} new, {len(changes.updated)} updated, {unchanged} unchanged"
    if report.baseline:
        click.echo(
            f"compared with {report.baseline}: {counts} (a learner who has it and imports "
            "this deck gets the new notes and the updates)"
        )
    else:
        click.echo(f"first build (no lock file yet): {counts}")
    click.echo(f"wrote {report.output}")


@main.command()
@_folders
@_bundled
@_timeout
@_jobs
@click.option("--cache/--no-cache", default=True, help="Reuse the verdicts of earlier runs.")
@_tag
@_deck
@_quiet
def check(
    folders: Sequence[Path],
    bundled: bool | None,
    timeout: float,
    jobs: int | None,
    cache: bool,
    tags: tuple[str, ...],
    decks: tuple[str, ...],
    quiet: bool,
) -> None:
    """Prove every rule of FOLDERS, one line per rule; exit 0 only if all are proved."""
    from ankigen import build as pipeline

    with _progress(quiet) as bar:
        options = Options(timeout, jobs, cache=cache)
        report = pipeline.check(list(folders), bundled, options, bar, tags=tags, decks=decks)
    if not quiet:
        _print_verdicts(report)
    counts = report.counts()
    summary = ", ".join(f"{counts[status]} {status}" for status in Status if status in counts)
    if not quiet:
        click.echo(f"{len(report.rules)} rules: {summary}")
    if not report.all_proved:
        raise report.error()


@main.command("list")
@_folders
@_bundled
@_tag
@_deck
def list_rules(
    folders: Sequence[Path], bundled: bool | None, tags: tuple[str, ...], decks: tuple[str, ...]
) -> None:
    """List the rules of FOLDERS with their id, deck and tags (no proofs)."""
    from ankigen import build as pipeline

    rules = pipeline.load(list(folders), bundled, tags, decks).rules
    width = max(len(rule.id) for rule in rules)
    for rule in rules:
        click.echo(f"{rule.id:<{width}}  {rule.deck}  [{' '.join(rule.tags)}]")


@main.command()
@_folders
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("preview"),
    show_default=True,
    help="The folder to write index.html and its images into.",
)
@_bundled
@_timeout
@_jobs
@_plots
@_cache
def preview(
    folders: Sequence[Path],
    output: Path,
    bundled: bool | None,
    timeout: float,
    jobs: int | None,
    plots: bool,
    cache: bool,
) -> None:
    """Write a web page of every proved card's front and back, as Anki shows them (offline).

    Prints the path of the page. Rules that are not proved are listed at the top of the page
    and on standard error, and the exit code is 1 as for check.
    """
    from ankigen.commands.preview import write_preview

    with _progress(False) as bar:
        report = write_preview(
            list(folders), output, bundled, Options(timeout, jobs, plots=plots, cache=cache), bar
        )
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(report.summary())
    click.echo(str(report.index))
    if not report.check.all_proved:
        raise report.check.error()


@main.command("clear-cache")
def clear_cache() -> None:
    """Empty the cache of proofs and images and replace its secret (it fills again on the next
    build)."""
    from ankigen.plumbing.cache import default_cache

    cache = default_cache()
    cache.clear()
    click.echo(f"cleared {cache.folder}")


@main.command()
def schema() -> None:
    """Print the JSON Schema of a catalogue file, for editors (see the README)."""
    from ankigen.commands.schema import schema_text

    click.echo(schema_text(), nl=False)


@main.command()
@click.option(
    "--file",
    "path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The catalogue file to append the rule to (a new file needs --deck).",
)
@click.option("--deck", help="The deck of a new file.")
@click.option("--id", "rule_id", help="The rule's id, such as huber-loss.")
@click.option("--name", help="The rule's name on the card.")
@click.option("--function", help="The function, such as x**3.")
@click.option("--derivative", help="The claimed derivative, such as 3*x**2.")
@click.option("--variable", help="The variable to differentiate by [default: x].")
@click.option("--context", help="Why it matters in machine learning.")
@click.option("--tag", "tags", multiple=True, help="A tag of the rule (repeatable).")
@click.option("--assume", multiple=True, help="A condition such as 'x > 0' (repeatable).")
@click.option(
    "--shape",
    "shapes",
    multiple=True,
    metavar="NAME=DIMS",
    help="The shape of a vector or matrix, such as x=n or A=m,n (repeatable); makes the rule "
    "one of vectors and matrices.",
)
@click.option("--source", help="Where the fact comes from.")
@_timeout
def new(
    path: Path | None,
    deck: str | None,
    rule_id: str | None,
    name: str | None,
    function: str | None,
    derivative: str | None,
    variable: str | None,
    context: str | None,
    tags: tuple[str, ...],
    assume: tuple[str, ...],
    shapes: tuple[str, ...],
    source: str | None,
    timeout: float,
) -> None:
    """Add a rule to a catalogue file, asking for each field the options do not give.

    The rule is checked like the rest of the file and its derivative proved before anything is
    written; a refused rule leaves the file unchanged. At a terminal, the field at fault is
    asked for again (with its last answer to edit) and the others are kept.
    """
    from ankigen.commands.asking import Given, add_asking

    given = Given(path, deck, rule_id, name, function, derivative, variable, context, source)
    added = add_asking(given, tags, assume, timeout, shapes)
    done = "created the file and added" if added.created else "added"
    click.echo(f"{done} rule '{added.rule.id}' at {added.rule.location}: {added.verdict.status}")
