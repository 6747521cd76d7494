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

_PACKAGE = Path(__file__).resolve().parent


def content_key(parts: Sequence[str | bytes]) -> str:
    """A hex SHA-256 of the parts, each length-prefixed so that no two sequences collide."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


@functools.cache
def environment(purpose: str, distributions: tuple[str, ...], modules: tuple[str, ...]) -> str:
    """The installation's part of a key: ankigen's version, the given distributions' versions
    and the source of the given ankigen modules (file names in the package), computed once."""
    from importlib import metadata  # 20 ms: only when a key is needed, not at start-up

    parts: list[str | bytes] = [purpose, ankigen.__version__]
    for name in distributions:
        try:
            parts.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{name} missing")
    parts.extend((_PACKAGE / module).read_bytes() for module in modules)
    return content_key(parts)
