"""``ankigen new`` at a terminal: ask for each field the options did not give, and ask again for
the one field a refused rule names, keeping the others.

Without a terminal nothing is asked: a script gets the first refusal as its exit code and
message. The end of standard input while asking is a usage error (exit 2), never a hang.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import click

from ankigen.commands.new import AddedRule, NewRule, add_rule
from ankigen.errors import RuleNotWrittenError, UsageError

PROMPTS = {  # the fields of ankigen new, as its prompts name them
    "deck": "Deck of the new file",
    "id": "Id",
    "name": "Name",
    "function": "Function",
    "derivative": "Derivative",
    "variable": "Variable",
    "context": "Why it matters in ML",
    "tags": "Tags (separated by spaces)",
    "assume": "Assumptions such as x > 0 (separated by commas)",
    "source": "Source",
    "shapes": "Shapes such as x=n A=m,n (separated by spaces)",
}


@dataclass(frozen=True)
class Given:
    """The fields given as options (None: not given)."""

    path: Path | None
    deck: str | None
    id: str | None
    name: str | None
    function: str | None
    derivative: str | None
    variable: str | None
    context: str | None
    source: str | None


def add_asking(
    given: Given,
    tags: tuple[str, ...],
    assume: tuple[str, ...],
    timeout: float,
    shapes: tuple[str, ...] = (),
) -> AddedRule:
    """Add the rule, asking for what is missing when any required field was not given.
    ``shapes`` are the ``--shape`` options as typed (``x=n``, ``A=m,n``); they are not asked
    for, but asked again when the loader says the rule needs them."""
    ask = None in (given.path, given.id, given.name, given.function, given.derivative)
    ask = ask or given.context is None

    def field(value: str | None, prompt: str, default: str | None = None) -> str:
        if value is not None or not ask:
            return value or default or ""
        return prompt_for(prompt, default)

    path = Path(field(str(given.path) if given.path else None, "Catalogue file"))
    deck = given.deck
    if deck is None and ask and not path.exists():
        deck = field(None, PROMPTS["deck"])
    answers = {
        "id": field(given.id, PROMPTS["id"]),
        "name": field(given.name, PROMPTS["name"]),
        "function": field(given.function, PROMPTS["function"]),
        "derivative": field(given.derivative, PROMPTS["derivative"]),
        "variable": field(given.variable, PROMPTS["variable"], "x"),
        "context": field(given.context, PROMPTS["context"]),
    }
    lists = {  # as given: an option's value is one item, whatever it holds
        "tags": tags or tuple(field(None, PROMPTS["tags"], "").split()),
        "assume": assume,
        "shapes": shapes,
    }
    answers["source"] = field(given.source, PROMPTS["source"], "")
    while True:
        rule = NewRule(
            **{key: answers[key] for key in ("id", "name", "function", "derivative")},
            variable=answers["variable"],
            context=answers["context"],
            tags=lists["tags"],
            assume=lists["assume"],
            source=answers["source"] or None,
            shapes=parse_shapes(lists["shapes"]),
        )
        try:
            return add_rule(path, rule, deck, timeout)
        except RuleNotWrittenError as error:
            if not (ask and sys.stdin.isatty()) or error.field not in PROMPTS:
                raise  # a script, or nothing one answer can fix: exit with the message
            error.show()
            if error.field == "deck":
                deck = prompt_for(PROMPTS["deck"], deck)
            elif error.field in lists:
                lists[error.field] = _ask_list(error.field, lists[error.field])
            else:
                answers[error.field] = prompt_for(PROMPTS[error.field], answers[error.field])


def parse_shapes(options: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``--shape`` options (``x=n``, ``A=m,n``) as a rule's shapes, in the order given; the
    loader judges the names and dimensions. A usage error for an option without ``=``, or a
    name given twice."""
    shapes: dict[str, tuple[str, ...]] = {}
    for option in options:
        name, equals, dims = option.partition("=")
        if not equals or not name.strip():
            raise UsageError(f"--shape {option!r}: write NAME=DIMS, such as x=n or A=m,n")
        if name.strip() in shapes:
            raise UsageError(f"--shape: '{name.strip()}' is given a shape twice")
        shapes[name.strip()] = tuple(d.strip() for d in dims.split(",")) if dims.strip() else ()
    return tuple(shapes.items())


def _ask_list(field: str, items: tuple[str, ...]) -> tuple[str, ...]:
    """Tags or shapes again (separated by spaces), or assumptions again (separated by
    commas)."""
    separator = ", " if field == "assume" else " "
    answer = prompt_for(PROMPTS[field], separator.join(items))
    parts = answer.split(",") if field == "assume" else answer.split()
    return tuple(item.strip() for item in parts if item.strip())


def prompt_for(prompt: str, default: str | None = None) -> str:
    """One answer from standard input; its end is a usage error (exit 2), never a hang."""
    try:
        return str(click.prompt(prompt, default=default, show_default=bool(default)))
    except click.Abort as abort:
        # click turns the end of standard input into Abort, like Ctrl-C; it is a usage error.
        if isinstance(abort.__context__, EOFError):
            click.echo(err=True)  # end the prompt's line
            raise UsageError(
                f"no answer for {prompt!r}: standard input ended; nothing was written "
                "(give the rule's fields as options to run without prompts)"
            ) from None
        raise
