"""Writing files so that they are never seen half-written, and reading files that may be hostile.

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


def replace_atomically(
    path: Path, write: Callable[[str], object], *, what: str, mode: int | None = None
) -> None:
    """Have ``write(temporary_path)`` fill a temporary file, then rename it to ``path``.

    ``mode`` defaults to what a new file gets under the user's umask (not mkstemp's 0600).
    Raises :class:`OutputError`, naming ``path`` and ``what`` it is, if anything fails.
    """
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


class NotRegularFileError(OSError):
    """The path names a FIFO, a device, a folder or a socket, not a file of bytes."""


class FileTooLargeError(OSError):
    """The file holds more bytes than the reader is willing to take."""


def read_regular_file(path: Path, limit: int) -> bytes:
    """The bytes of the regular file at ``path`` (a symbolic link is followed to one), at most
    ``limit`` of them, without ever blocking or reading without end.

    A FIFO would block ``open`` until a writer comes, ``/dev/zero`` never ends and opening some
    devices has side effects; so the path is checked before it is opened, opened without
    waiting, and checked again on the open file (it may have been swapped in between). Raises
    :class:`NotRegularFileError`, :class:`FileTooLargeError`, or the OSError of the system.
    """
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise NotRegularFileError(errno.EINVAL, "not a regular file", str(path))
    handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    with os.fdopen(handle, "rb") as file:
        status = os.fstat(file.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise NotRegularFileError(errno.EINVAL, "not a regular file", str(path))
        if status.st_size > limit:
            raise FileTooLargeError(errno.EFBIG, f"larger than {limit} bytes", str(path))
        data = file.read(limit + 1)  # the file may have grown since fstat
    if len(data) > limit:
        raise FileTooLargeError(errno.EFBIG, f"larger than {limit} bytes", str(path))
    return data


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
