"""A small on-disk cache of rendered bytes (verdicts, plots, formulas), keyed by a hash of their
inputs.

An unchanged rule is not proved or plotted again on the next build: its results are read from
here. The folder is ``$ANKIGEN_CACHE_DIR`` when that is set, else the user's cache folder
(``platformdirs.user_cache_dir("ankigen")``, e.g. ``~/.cache/ankigen`` on Linux).

Nothing in it is trusted. The folder may be shared, or writable by someone else, and a cached
"proved" lets a derivative into a deck without a proof, so every entry carries an HMAC-SHA256 of
its key and its data under a secret that only the user can read (:data:`SECRET_NAME`, 32 random
bytes, mode 0600, in the same folder). Without that secret, no one can write an entry that is
believed, nor move a good entry to another key. An entry whose MAC does not verify, that is
truncated, of another format, not a regular file or over :data:`MAX_ENTRY` bytes is ignored (and
deleted), so the caller computes again; what an entry holds is checked again by its reader.

Entries are written to a temporary file and renamed into place, so a reader never sees half an
entry, even with builds running side by side. The cache is only a speed-up: a folder that cannot
be read or written, or a secret that cannot be kept private, makes every lookup a miss, never a
failed build.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import re
import secrets
import stat
import sys
import tempfile
from pathlib import Path

from ankigen.plumbing.files import read_regular_file

CACHE_ENV = "ANKIGEN_CACHE_DIR"
SECRET_NAME = "ankigen-cache.key"  # noqa: S105 - a file name, not the secret
MAX_ENTRY = 32 * 1024 * 1024  # bytes; a plot is about 50 kB
_SECRET_BYTES = 32
_MAGIC = b"ankigen-cache 2\n"
_KEY = re.compile(r"[0-9a-z][0-9a-z_.-]{0,127}")
_SUFFIX = ".entry"
_TEMP_PREFIX = ".tmp-"


class Cache:
    """Bytes by key in one folder; ``get`` returns None for anything missing or not intact."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._secret: bytes | None = None

    def __repr__(self) -> str:
        return f"Cache({str(self.folder)!r})"

    def path(self, key: str) -> Path:
        """The file of one entry. Keys are lower-case names such as hex digests."""
        if not _KEY.fullmatch(key) or ".." in key:
            raise ValueError(f"not a cache key: {key!r}")
        return self.folder / (key + _SUFFIX)

    def get(self, key: str) -> bytes | None:
        """The data stored under ``key``, or None if there is none or it is not intact."""
        path = self.path(key)
        try:
            stored = read_regular_file(path, len(_MAGIC) + 100 + MAX_ENTRY)
        except FileNotFoundError:
            return None
        except OSError:
            _remove(path)  # a FIFO, a link to a device, a huge file: not ours
            return None
        secret = self.secret()
        if secret is None:
            return None
        data = _unpack(stored, secret, key)
        if data is None:
            _remove(path)  # never trusted; the caller computes and puts it again
        return data

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` atomically; a failure to write is silently a miss later."""
        path = self.path(key)
        secret = self.secret()
        if secret is None or len(data) > MAX_ENTRY:
            return
        header = _MAGIC + _mac(secret, key, data) + b" %d\n" % len(data)
        with contextlib.suppress(OSError):
            _write(self.folder, path, header + data)

    def secret(self) -> bytes | None:
        """The user's secret that signs this folder's entries (made on first use), or None when
        none can be kept private here: then the cache is not used at all."""
        if self._secret is None:
            self._secret = _secret(self.folder / SECRET_NAME)
        return self._secret

    def clear(self) -> None:
        """Remove every entry, leftover temporary file and the secret (a new one signs the next
        entries); other files are left alone."""
        try:
            names = list(self.folder.iterdir())
        except OSError:
            return
        for path in names:
            if (
                path.name.endswith(_SUFFIX)
                or path.name.startswith(_TEMP_PREFIX)
                or path.name == SECRET_NAME
            ):
                _remove(path)
        self._secret = None


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


# --- entries --------------------------------------------------------------------------------


def _mac(secret: bytes, key: str, data: bytes) -> bytes:
    """The hex HMAC-SHA256 of an entry's data, bound to its key: a good entry copied to another
    key's file does not verify there."""
    message = len(key).to_bytes(8, "big") + key.encode() + data
    return hmac.new(secret, message, hashlib.sha256).hexdigest().encode()


def _unpack(stored: bytes, secret: bytes, key: str) -> bytes | None:
    """The data of an entry whose header, length and MAC all agree; else None."""
    if not stored.startswith(_MAGIC):
        return None
    line_end = stored.find(b"\n", len(_MAGIC), len(_MAGIC) + 100)
    if line_end < 0:
        return None
    fields = stored[len(_MAGIC) : line_end].split(b" ")
    data = stored[line_end + 1 :]
    if len(fields) != 2 or fields[1] != b"%d" % len(data):
        return None
    if not hmac.compare_digest(_mac(secret, key, data), fields[0]):
        return None
    return data


def _write(folder: Path, path: Path, content: bytes) -> None:
    """``content`` into ``path`` through a temporary file in ``folder`` and a rename."""
    folder.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=folder)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
        os.replace(temp, path)
    except BaseException:
        _remove(Path(temp))
        raise


# --- the secret -----------------------------------------------------------------------------


def _secret(path: Path) -> bytes | None:
    """The secret in ``path``, made if there is none, replaced if anyone but the user could have
    read or written it; None if no private secret can be had (a read-only or foreign folder).

    A secret is believed only if the file is a regular file (not a link), owned by this user,
    readable and writable by no one else, and exactly 32 bytes. A new one is written complete
    to a private temporary file (mkstemp makes it 0600) and then linked into place, which fails
    if another build made one meanwhile (then that one is read): never a half-written secret.
    A secret that fails the checks is replaced the same way, by a rename over it.
    """
    if sys.platform == "win32":  # no owner and mode bits to tell a private file by: no cache
        return None
    found = _read_secret(path)
    if found is not None:
        return found
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=path.parent)
    except OSError:
        return None
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(secrets.token_bytes(_SECRET_BYTES))
        try:
            os.link(temp, path)  # only if there is none: a concurrent build's secret wins
        except FileExistsError:
            if _read_secret(path) is None:  # there is one, but not one to believe: replace it
                os.replace(temp, path)
    except OSError:
        return None
    finally:
        _remove(Path(temp))
    return _read_secret(path)


def _read_secret(path: Path) -> bytes | None:
    """The secret in ``path`` if it passes the checks of :func:`_secret`, else None."""
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        status = os.fstat(handle)
        private = stat.S_ISREG(status.st_mode) and status.st_mode & 0o077 == 0
        if not private or status.st_uid != os.getuid() or status.st_size != _SECRET_BYTES:
            return None
        data = os.read(handle, _SECRET_BYTES + 1)
    finally:
        os.close(handle)
    return data if len(data) == _SECRET_BYTES else None


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
