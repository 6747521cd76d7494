"""Reading files that may be hostile, and writing files so that they are never seen half-written.

Every file ankigen reads from a catalogue folder is read with :func:`read_regular_file`: only a
regular file, and only up to a size limit checked before a byte is read, so that a ``*.yaml``
that is a FIFO, a link to ``/dev/zero`` or a 4 GB sparse file costs nothing and never hangs.

Every file ankigen writes (the deck, the lock file, a catalogue file it appends to, the preview)
is written to a temporary file in the same folder and renamed over the target only when
complete: a failure or an interruption leaves the previous file whole and no temporary file
behind, and two writers at once never mix their bytes.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

from ankigen.errors import OutputError


class NotARegularFile(OSError):
    """The path is a FIFO, a device, a socket or a folder: reading it could block for ever or
    never end."""

    def __init__(self, path: Path) -> None:
        super().__init__(errno.EINVAL, "not a regular file", str(path))


class FileTooLarge(OSError):
    """The file holds more than ``limit`` bytes; ``size`` is its size (at least)."""

    def __init__(self, path: Path, size: int, limit: int) -> None:
        super().__init__(errno.EFBIG, f"the file is over {limit} bytes", str(path))
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
    reading (``FileNotFoundError`` for a dangling link, ``PermissionError``...).
    """
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise NotARegularFile(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    with open(os.open(path, flags), "rb", closefd=True) as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise NotARegularFile(path)
        if info.st_size > limit:
            raise FileTooLarge(path, info.st_size, limit)
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(path, len(data), limit)
    return data


def replace_atomically(
    path: Path, write: Callable[[str], object], *, what: str, mode: int | None = None
) -> None:
    """Have ``write(temporary_path)`` fill a temporary file, then rename it to ``path``.

    ``mode`` defaults to what a new file gets under the user's umask (not mkstemp's 0600).
    Raises :class:`OutputError`, naming ``path`` and ``what`` it is, if anything fails.
    """
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
        )
    except OSError as error:
        raise OutputError(f"{path}: cannot write in {path.parent}: {_reason(error)}") from None
    os.close(handle)
    try:
        write(temporary)
        os.chmod(temporary, 0o666 & ~_umask() if mode is None else mode)
        os.replace(temporary, path)
    except OSError as error:
        raise OutputError(f"{path}: cannot write the {what}: {_reason(error)}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


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
