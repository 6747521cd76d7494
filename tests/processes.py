"""``ankigen`` in a process of its own, for what an in-process run cannot show: a read that
would fill the memory (under a cap on the process's address space), a prompt at the end of
standard input, prompts at a terminal, two commands at once."""

from __future__ import annotations

import os
import pty
import resource
import select
import subprocess
import sys
import time
from collections.abc import Sequence
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


def at_a_terminal(
    args: list[str], cwd: Path, dialogue: Sequence[tuple[str, str]], timeout: float = 120
) -> tuple[str, int]:
    """Run ``python -m ankigen ARGS`` in ``cwd`` on a pseudo-terminal, as a person at a
    keyboard would: for each (prompt, answer) of ``dialogue``, wait for the prompt to be shown,
    then type the answer and Enter. Returns all the terminal showed and the exit code; a prompt
    that never comes, or a run longer than ``timeout`` seconds, fails the test."""
    leader, follower = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "-m", "ankigen", *args],
        cwd=cwd,
        stdin=follower,
        stdout=follower,
        stderr=follower,
    ) as process:
        os.close(follower)
        shown = b""
        answered = 0  # how much of what was shown the answers so far responded to
        deadline = time.monotonic() + timeout
        try:
            for prompt, answer in dialogue:
                while (found := shown.find(prompt.encode(), answered)) < 0:
                    if time.monotonic() > deadline or process.poll() is not None:
                        seen = shown.decode(errors="replace")
                        raise AssertionError(f"no prompt {prompt!r}; the terminal showed:\n{seen}")
                    if select.select([leader], [], [], 0.2)[0]:
                        shown += os.read(leader, 4096)
                answered = found + len(prompt.encode())
                os.write(leader, answer.encode() + b"\n")
            process.wait(timeout=max(deadline - time.monotonic(), 1))
            while select.select([leader], [], [], 0.2)[0]:
                try:
                    chunk = os.read(leader, 4096)
                except OSError:  # the other end is closed: all is read
                    break
                if not chunk:
                    break
                shown += chunk
        finally:
            if process.poll() is None:
                process.kill()
            os.close(leader)
    return shown.decode(errors="replace").replace("\r\n", "\n"), process.returncode
