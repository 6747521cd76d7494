"""The load stage: catalogue folders in, a :class:`~ankigen.records.Catalogue` of located,
checked rules out (nothing is proved here). Every mistake of every file is collected and raised
once, as a :class:`~ankigen.errors.CatalogueError`.

Modules, in import order: :mod:`~ankigen.load.yamlfile` reads a file's YAML safely, keeping
each value's line; :mod:`~ankigen.load.fields` checks single values of the format (keys, text,
tags); :mod:`~ankigen.load.assumptions` reads a rule's ``assume:``; :mod:`~ankigen.load.rules`
checks one rule and builds its :class:`~ankigen.records.Rule`; :mod:`~ankigen.load.catalogue`
reads the folders' files (deck, ``define:``, rules, ids unique across files);
:mod:`~ankigen.load.select` keeps the rules that ``--tag`` and ``--deck`` ask for.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ankigen.load.catalogue import catalogue_files, load_catalogue
from ankigen.load.select import select_rules
from ankigen.records import Catalogue

__all__ = ["catalogue_files", "load"]


def load(folders: Sequence[Path], tags: Sequence[str] = (), decks: Sequence[str] = ()) -> Catalogue:
    """Read and check every catalogue file of ``folders``; only the rules with any of ``tags``
    in any of ``decks`` (or their subdecks) when those are given."""
    return select_rules(load_catalogue(folders), tags, decks)
