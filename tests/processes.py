"""``ankigen`` in a process of its own, for what an in-process run cannot show: a read that
would fill the memory (under a cap on the process's address space), a prompt at the end of
standard input, two commands at once."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

LIMIT = 1536 * 1024**2  # bytes of address space: ankigen needs a few hundred MB


def start(args: list[str], cwd: Path, memory: int | None = None) -> subprocess.Popen[str]:
    """Start ``python -m ankigen ARGS`` in ``cwd`` with no standard input, and with at most
    ``memory`` bytes of address space if given."""

    def limit() -> None:
        if memory is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return subprocess.Popen(
        [sys.executable, "-m", "ankigen", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=limit,  # the test process starts no thread that could hold a lock
    )


def run(args: list[str], cwd: Path, memory: int | None = None) -> subprocess.CompletedProcess[str]:
    """:func:`start`, and wait for it (two minutes at most: a hang fails the test)."""
    with start(args, cwd, memory) as process:
        try:
            stdout, stderr = process.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
