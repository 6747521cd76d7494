"""Selecting part of a catalogue: ``--tag`` and ``--deck`` of ``build``, ``check`` and ``list``.

A rule is kept when it has any of the given tags (its own or its file's) and lies in any of the
given decks or below them (``Derivatives for ML::Losses`` also selects
``Derivatives for ML::Losses::Robust``). Giving no tags (or no decks) does not filter by them.
A tag or deck that no rule has is a mistake, most likely a typo, and so is a selection that
leaves no rule: both raise a :class:`~ankigen.errors.UsageError` naming what exists.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ankigen.errors import Problem, UsageError, did_you_mean
from ankigen.records import Catalogue, Rule


def select_rules(
    catalogue: Catalogue, tags: Sequence[str] = (), decks: Sequence[str] = ()
) -> Catalogue:
    """The rules of ``catalogue`` having any of ``tags`` and lying in any of ``decks``."""
    if not tags and not decks:
        return catalogue
    known_tags = sorted({tag for rule in catalogue.rules for tag in rule.tags})
    known_decks = sorted({deck for rule in catalogue.rules for deck in _deck_and_parents(rule)})
    problems = [
        *_unknown("tag", tags, known_tags),
        *_unknown("deck", [_normal(deck) for deck in decks], known_decks),
    ]
    if problems:
        raise UsageError(problems)
    wanted_decks = [_normal(deck) for deck in decks]
    rules = tuple(
        rule
        for rule in catalogue.rules
        if (not tags or any(tag in rule.tags for tag in tags))
        and (not decks or any(_in_deck(rule, deck) for deck in wanted_decks))
    )
    if not rules:
        raise UsageError(
            f"no rule has {_any('tag', tags)} and lies in {_any('deck', decks)}: "
            "nothing is selected"  # (each filter alone selects something: both were given)
        )
    return Catalogue(rules, catalogue.files, catalogue.descriptions)


def _normal(deck: str) -> str:
    """A deck name with the spaces around its '::' separators removed."""
    return "::".join(part.strip() for part in deck.split("::"))


def _deck_and_parents(rule: Rule) -> list[str]:
    parts = _normal(rule.deck).split("::")
    return ["::".join(parts[: i + 1]) for i in range(len(parts))]


def _in_deck(rule: Rule, deck: str) -> bool:
    """Whether the rule's deck is ``deck`` or one of its subdecks."""
    own = _normal(rule.deck)
    return own == deck or own.startswith(deck + "::")


def _unknown(kind: str, given: Iterable[str], known: Sequence[str]) -> list[Problem]:
    listed = ", ".join(f"'{name}'" for name in known)
    return [
        Problem(f"no rule has the {kind} '{name}'{_hint(name, known)} (the {kind}s: {listed})")
        for name in dict.fromkeys(given)
        if name not in known
    ]


def _hint(name: str, known: Sequence[str]) -> str:
    """A "did you mean", preferring a name that begins with what was typed (a shortened deck)."""
    longer = [k for k in known if k.lower().startswith(name.lower()) and k != name]
    return f"; did you mean '{min(longer, key=len)}'?" if longer else did_you_mean(name, known)


def _any(kind: str, names: Sequence[str]) -> str:
    shown = " or ".join(f"'{name}'" for name in names)
    return f"the {kind} {shown}" if len(names) == 1 else f"the {kind}s {shown}"
