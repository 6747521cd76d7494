"""The worker pool: order, time limits, crashes and the memory cap, with real processes."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ankigen.plumbing import workers


def _square(n: int) -> int:
    if n < 0:
        time.sleep(60)  # a task that never finishes in time
    return n * n


def _allocate(gigabytes: int) -> int:
    block = bytearray(gigabytes * 1024**3)  # more than a worker may have
    return len(block)


def _fail(n: int) -> int:
    raise ValueError(f"task {n} is broken")


def _run(
    fn: Callable[[int], int], tasks: list[int], timeout: float = 10.0, jobs: int = 2
) -> list[int | str]:
    return workers.run(
        fn,
        tasks,
        timeout=timeout,
        jobs=jobs,
        on_timeout=lambda task: f"timeout {task}",
        on_failure=lambda task, reason: f"failed {task}: {reason}",
    )


def test_results_come_back_in_task_order() -> None:
    """However the workers interleave, result i belongs to task i."""
    assert _run(_square, list(range(20))) == [n * n for n in range(20)]


def test_a_task_past_its_time_limit_is_stopped_and_the_others_finish() -> None:
    """A hanging task costs its time limit, not the whole run, and its worker is replaced."""
    started = time.monotonic()
    results = _run(_square, [2, -1, 3, -2, 4], timeout=1.0, jobs=2)
    assert results == [4, "timeout -1", 9, "timeout -2", 16]
    assert time.monotonic() - started < 10


def test_a_task_that_raises_fails_alone() -> None:
    """An exception becomes that task's failure, with its message."""
    assert _run(_fail, [7]) == ["failed 7: ValueError: task 7 is broken"]


def test_a_task_that_wants_too_much_memory_fails_instead_of_taking_the_machine() -> None:
    """The address-space cap turns a runaway allocation into a failed task."""
    result = _run(_allocate, [workers.MEMORY_LIMIT // 1024**3 + 2], jobs=1)
    assert result[0].startswith("failed"), result
    assert "memory" in result[0]


def test_no_tasks_start_no_workers() -> None:
    assert _run(_square, []) == []


# --- workers never outlive the process that started them ------------------------------------

ORPHAN_MAKER = """
import sys, time
from ankigen.plumbing import workers

def task(n):
    if n == 0:
        sum(i * i for i in range(10**12))  # busy for hours, in the interpreter
    return n

workers.run(task, [0, 1], timeout=3600, jobs=2, on_timeout=print, on_failure=print,
            on_result=lambda n: print("idle worker ready", flush=True))
"""


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def _running(pid: int) -> bool:
    """Whether ``pid`` is a process that has not ended (a zombie has ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_workers_end_when_their_parent_is_killed_with_sigkill() -> None:
    """kill -9 runs no clean-up in the parent: its busy worker (in the middle of a task that
    would run for hours) and its idle one end anyway, within seconds."""
    parent = subprocess.Popen(
        [sys.executable, "-c", ORPHAN_MAKER], stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        assert parent.stdout.readline().strip() == "idle worker ready"
        orphans = _children(parent.pid)
        assert len(orphans) == 2, orphans
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 20
    while any(_running(pid) for pid in orphans) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [pid for pid in orphans if _running(pid)]
    for pid in left:  # do not leave them to the machine if the test fails
        os.kill(pid, signal.SIGKILL)
    assert left == [], "workers outlived their parent"


def test_an_idle_worker_ends_when_the_parent_closes_its_pipe() -> None:
    """Each worker closes the parent's ends of the pipes it inherited, its own and its elder
    siblings': when the parent's copy closes, the worker reads the end of its pipe and stops."""
    pool = workers._Pool(_square, 3)
    for worker in pool.workers:
        worker.connection.close()
    for worker in pool.workers:
        worker.process.join(20)
    alive = [w.process.pid for w in pool.workers if w.process.is_alive()]
    for worker in pool.workers:
        worker.process.kill()
    assert alive == []
