"""Reading files that may be hostile, and writing files so that they are never seen half-written.

Every file ankigen reads from a place a user or another program controls (a catalogue file,
the lock file, a cache entry) may be something other than a file: a FIFO, whose ``open`` blocks
until a writer comes, a symbolic link to ``/dev/urandom``, which never ends, or a 4 GB sparse
file. :func:`read_regular_file` opens only a regular file, without blocking, checks again on the
opened descriptor, and reads at most a given size, checked before a byte is read.

Every file ankigen writes (the deck, the lock file, a catalogue file it appends to, the preview)
is written to a temporary file in the same folder and renamed over the target only when
complete: a failure or an interruption leaves the previous file whole and no temporary file
behind, and two writers at once never mix their bytes.

Only ``kill -9`` (or a power cut) can leave a temporary file behind. So each writer holds an
exclusive ``flock`` on its temporary file while it writes, and the next write of the same target
removes the temporaries that nobody holds any more. A lock, unlike a process id in the name,
cannot be mistaken for another process that got the same id later, nor for a build in another
container that shares the folder but not the process ids.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import stat
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ankigen.errors import OutputError


class UnsuitableFileError(OSError):
    """:func:`read_regular_file` refused the file; ``strerror`` says why, for a message such as
    ``f"{path}: cannot read the lock file: {error.strerror}"``."""


class NotARegularFile(UnsuitableFileError):
    """The path is a FIFO, a device, a socket or a folder: reading it could block for ever or
    never end (``errno`` EINVAL)."""

    def __init__(self, path: Path, mode: int) -> None:
        super().__init__(errno.EINVAL, f"not a regular file (a {_kind(mode)})", str(path))


class FileTooLarge(UnsuitableFileError):
    """The file holds more than ``limit`` bytes; ``size`` is its size, at least (``errno``
    EFBIG)."""

    def __init__(self, path: Path, size: int, limit: int) -> None:
        super().__init__(errno.EFBIG, f"larger than the limit of {_size(limit)}", str(path))
        self.size = size
        self.limit = limit


def read_regular_file(path: Path, limit: int) -> bytes:
    """The bytes of the regular file ``path`` (symbolic links followed), if it holds at most
    ``limit`` bytes.

    Nothing but a regular file is opened (a device could act on being opened), and it is opened
    without blocking (a FIFO swapped in meanwhile would wait for a writer for ever) and checked
    again once open. Its size is checked before reading, and at most ``limit + 1`` bytes are read,
    so a file that grows meanwhile costs no more memory either.

    Raises :class:`NotARegularFile`, :class:`FileTooLarge`, or the ``OSError`` of opening or
    reading (``FileNotFoundError`` for a missing file or a dangling link, ``PermissionError``...).
    """
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        raise NotARegularFile(path, mode)
    # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, for ever.
    # O_NOCTTY: opening a terminal must not make it this process's controlling terminal.
    flags = (
        os.O_RDONLY
        | getattr(os, "O_NONBLOCK", 0)
        | getattr(os, "O_NOCTTY", 0)
        | getattr(os, "O_CLOEXEC", 0)
    )
    with open(os.open(path, flags), "rb", closefd=True) as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise NotARegularFile(path, info.st_mode)
        if info.st_size > limit:
            raise FileTooLarge(path, info.st_size, limit)
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(path, len(data), limit)
    return data


_KINDS = (
    (stat.S_ISDIR, "folder"),
    (stat.S_ISFIFO, "FIFO"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
    (stat.S_ISSOCK, "socket"),
)


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "special file")


def _size(count: int) -> str:
    """``5 MB``, ``16 MB``, ``1000 bytes``: sizes as a user reads them (1 MB = 2**20 bytes)."""
    if count >= 1 << 20 and count % (1 << 20) == 0:
        return f"{count >> 20} MB"
    return f"{count} bytes"


def check_replaceable(path: Path, what: str) -> None:
    """Raise :class:`OutputError` unless :func:`replace_atomically` may write ``path``: its
    folder exists, and ``path`` is either missing or a regular file (or a link to one).

    Renaming over anything else would destroy it: run as root, ``-o /dev/null`` would put a
    zip where every program expects the null device. A device or a FIFO could be written to
    directly, but never atomically (a failed build would leave half a deck in the pipe), so
    ankigen refuses them, as it refuses a folder, a socket or an empty path.
    """
    try:
        status = os.stat(path)  # follows links: a link to /dev/null is the device
    except FileNotFoundError:
        if not path.parent.is_dir():
            raise OutputError(f"{path}: the folder {path.parent} does not exist") from None
        return
    except OSError as error:
        raise OutputError(f"{path}: cannot write the {what}: {_reason(error)}") from None
    if not stat.S_ISREG(status.st_mode):
        raise OutputError(
            f"{path}: not a regular file (a {_kind(status.st_mode)}); the {what} is only ever "
            "written to a new file or over a regular one"
        )


def replace_atomically(
    path: Path, write: Callable[[str], object], *, what: str, mode: int | None = None
) -> None:
    """Have ``write(temporary_path)`` fill a temporary file, then rename it to ``path``.

    ``mode`` defaults to what a new file gets under the user's umask (not mkstemp's 0600).
    Raises :class:`OutputError`, naming ``path`` and ``what`` it is, if anything fails, and
    before anything is written if ``path`` is not replaceable (see :func:`check_replaceable`).
    """
    check_replaceable(path, what)
    _remove_abandoned_temporaries(path)
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=_TEMPORARY_SUFFIX, dir=path.parent
        )
    except OSError as error:
        raise OutputError(f"{path}: cannot write in {path.parent}: {_reason(error)}") from None
    try:
        _lock(handle)  # held until the end: this temporary file is not abandoned
        write(temporary)
        os.chmod(temporary, 0o666 & ~_umask() if mode is None else mode)
        os.replace(temporary, path)
    except OSError as error:
        raise OutputError(f"{path}: cannot write the {what}: {_reason(error)}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        os.close(handle)


_TEMPORARY_SUFFIX = ".tmp"
_GRACE = 60.0  # seconds: a younger temporary may be between its creation and its lock


def _remove_abandoned_temporaries(path: Path) -> None:
    """Remove the temporary files of earlier writes of ``path`` whose writer is gone: regular
    files that no process holds locked and that were last written over a minute ago."""
    if sys.platform == "win32":  # no flock: no temporary is ever known to be abandoned
        return
    pattern = f".{glob.escape(path.name)}.*{_TEMPORARY_SUFFIX}"
    for candidate in path.parent.glob(pattern):
        with contextlib.suppress(OSError):
            handle = os.open(candidate, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            try:
                status = os.fstat(handle)
                if stat.S_ISREG(status.st_mode) and time.time() - status.st_mtime > _GRACE:
                    _lock(handle)  # raises if a live writer holds it
                    os.unlink(candidate)
            finally:
                os.close(handle)


def _lock(handle: int) -> None:
    """Take an exclusive lock on the open file without waiting (OSError if another holds it);
    on Windows, which has no ``flock``, do nothing."""
    if sys.platform != "win32":
        import fcntl

        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)


def write_atomically(path: Path, data: bytes, *, what: str, mode: int | None = None) -> None:
    """:func:`replace_atomically` for bytes already in memory."""
    replace_atomically(
        path, lambda temporary: Path(temporary).write_bytes(data), what=what, mode=mode
    )


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
