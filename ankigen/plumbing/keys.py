"""Content keys for the cache: a hash of everything a cached result depends on.

A key mixes the installation (ankigen's version, the versions of the libraries that compute the
result, and the source of ankigen's own modules that do) with the input itself, so that a new
version of anything involved invalidates exactly the results it could change. Nothing here
imports those libraries: versions come from the installed distributions' metadata.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from pathlib import Path

import ankigen

_PACKAGE = Path(__file__).resolve().parent.parent  # ankigen/, above plumbing/


def content_key(parts: Sequence[str | bytes]) -> str:
    """A hex SHA-256 of the parts, each length-prefixed so that no two sequences collide."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


@functools.cache
def environment(purpose: str, distributions: tuple[str, ...], sources: tuple[str, ...]) -> str:
    """The installation's part of a key: ankigen's version, the given distributions' versions
    and the source of the given parts of ankigen, computed once. A source is a path inside the
    package: a module (``render/plots.py``) or a subpackage (``verify``: all its modules), so
    that a module added to a stage is covered without anyone remembering to name it here."""
    from importlib import metadata  # 20 ms: only when a key is needed, not at start-up

    parts: list[str | bytes] = [purpose, ankigen.__version__]
    for name in distributions:
        try:
            parts.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{name} missing")
    for source in sources:
        path = _PACKAGE / source
        modules = sorted(path.glob("*.py")) if path.is_dir() else [path]
        if not modules:
            raise FileNotFoundError(f"{path}: no modules to key on")
        for module in modules:
            parts.extend((module.relative_to(_PACKAGE).as_posix(), module.read_bytes()))
    return content_key(parts)
