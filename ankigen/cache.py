"""A small on-disk cache of rendered bytes (plots, formulas), keyed by a hash of their inputs.

An unchanged rule is not plotted again on the next build: its images are read from here. The
folder is ``$ANKIGEN_CACHE_DIR`` when that is set, else the user's cache folder
(``platformdirs.user_cache_dir("ankigen")``, e.g. ``~/.cache/ankigen`` on Linux).

Nothing in it is trusted: each entry carries the sha256 of its data, and an entry that is
truncated, corrupt or of another format is ignored (and deleted), so the caller renders again.
Entries are written to a temporary file and renamed into place, so a reader never sees half an
entry, even with builds running side by side. The cache is only a speed-up: a folder that cannot
be read or written makes every lookup a miss, never a failed build.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from pathlib import Path

CACHE_ENV = "ANKIGEN_CACHE_DIR"
_MAGIC = b"ankigen-cache 1\n"
_KEY = re.compile(r"[0-9a-z][0-9a-z_.-]{0,127}")
_SUFFIX = ".entry"
_TEMP_PREFIX = ".tmp-"


class Cache:
    """Bytes by key in one folder; ``get`` returns None for anything missing or not intact."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def __repr__(self) -> str:
        return f"Cache({str(self.folder)!r})"

    def path(self, key: str) -> Path:
        """The file of one entry. Keys are lower-case names such as hex digests."""
        if not _KEY.fullmatch(key) or ".." in key:
            raise ValueError(f"not a cache key: {key!r}")
        return self.folder / (key + _SUFFIX)

    def get(self, key: str) -> bytes | None:
        """The data stored under ``key``, or None if there is none or it is damaged."""
        path = self.path(key)
        try:
            stored = path.read_bytes()
        except OSError:
            return None
        data = _unpack(stored)
        if data is None:
            _remove(path)  # damaged: never trusted; the caller renders and puts it again
        return data

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` atomically; a failure to write is silently a miss later."""
        path = self.path(key)
        header = _MAGIC + hashlib.sha256(data).hexdigest().encode() + b" %d\n" % len(data)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=self.folder)
            try:
                with os.fdopen(handle, "wb") as file:
                    file.write(header + data)
                os.replace(temp, path)
            except BaseException:
                _remove(Path(temp))
                raise
        except OSError:
            pass

    def clear(self) -> None:
        """Remove every entry (and leftover temporary file); other files are left alone."""
        try:
            names = list(self.folder.iterdir())
        except OSError:
            return
        for path in names:
            if path.name.endswith(_SUFFIX) or path.name.startswith(_TEMP_PREFIX):
                _remove(path)


def default_folder() -> Path:
    """``$ANKIGEN_CACHE_DIR``, else the platform's user cache folder for ankigen."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    import platformdirs

    return Path(platformdirs.user_cache_dir("ankigen", appauthor=False))


def default_cache() -> Cache:
    """The cache in :func:`default_folder` (looked up on each call: the variable may change)."""
    return Cache(default_folder())


def _unpack(stored: bytes) -> bytes | None:
    """The data of an entry whose header, length and sha256 all agree; else None."""
    if not stored.startswith(_MAGIC):
        return None
    line_end = stored.find(b"\n", len(_MAGIC))
    if line_end < 0:
        return None
    fields = stored[len(_MAGIC) : line_end].split(b" ")
    data = stored[line_end + 1 :]
    if len(fields) != 2 or not fields[1].isdigit() or int(fields[1]) != len(data):
        return None
    if hashlib.sha256(data).hexdigest().encode() != fields[0]:
        return None
    return data


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
