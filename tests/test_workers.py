"""The worker pool: order, time limits, crashes and the memory cap, with real processes."""

from __future__ import annotations

import time
from collections.abc import Callable

from ankigen import workers


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
