"""Writing files so that they are never seen half-written.

Every file ankigen writes (the deck, the lock file, a catalogue file it appends to, the preview)
is written to a temporary file in the same folder and renamed over the target only when
complete: a failure or an interruption leaves the previous file whole and no temporary file
behind, and two writers at once never mix their bytes.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
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
