"""The load stage: catalogue folders in, a :class:`~ankigen.records.Catalogue` of located,
checked rules out (nothing is proved here). Every mistake of every file is collected and raised
once, as a :class:`~ankigen.errors.CatalogueError`.

Modules: :mod:`~ankigen.load.yamlfile` reads YAML keeping each value's line;
:mod:`~ankigen.load.catalogue` checks the format and builds the rules;
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
