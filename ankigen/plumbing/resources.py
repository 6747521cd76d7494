"""Where the bundled catalogue and the assets are, installed or in a source checkout.

A wheel carries ``cards/`` and ``assets/`` inside the package as ``ankigen/_data/``; in a source
checkout (and an editable install) they are the folders at the top of the repository.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # ankigen/, above plumbing/


def _data_folder(name: str) -> Path:
    installed = _PACKAGE / "_data" / name
    return installed if installed.is_dir() else _PACKAGE.parent / name


def bundled_catalogue() -> Path:
    """The folder of the catalogue that ships with ankigen."""
    return _data_folder("cards")


def asset_text(name: str) -> str:
    """The text of one file of ``assets/`` (CSS, card templates)."""
    return (_data_folder("assets") / name).read_text(encoding="utf-8")


def schema_file() -> Path:
    """The JSON Schema of a catalogue file (as ``ankigen schema`` prints it), for editors."""
    return _data_folder("schema") / "ankigen-catalogue.schema.json"
