"""A small pool of worker processes that enforces a time limit on every task.

Python's own pools cannot stop a task that hangs: sympy has no timeout, and ``signal.alarm``
cannot interrupt work inside C code (big-integer arithmetic, for one). Here each worker is a
process with a pipe; a task that runs past its limit gets its worker killed and replaced, and
its result is whatever ``on_timeout`` says. Each worker's memory is capped, so one runaway
expression fails alone instead of taking the machine down.

A worker never outlives the process that started it, even one killed with ``kill -9``, which
runs no clean-up: on Linux the kernel kills it (``PR_SET_PDEATHSIG``), at once, even in the
middle of a task that holds the interpreter in C code for minutes; elsewhere a thread in the
worker looks for a new parent every second. And a forked worker closes the parent's ends of the
pipes it inherited (its own and those of the workers started before it), so that an idle worker
sees the end of its pipe as soon as the parent's copy is closed.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MEMORY_LIMIT = 2 * 1024**3  # bytes of address space a worker may add to what it starts with
GC_THRESHOLD = 50_000  # allocations between a worker's collections of its youngest objects


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def run(
    fn: Callable[[T], R],
    tasks: Sequence[T],
    *,
    timeout: float,
    jobs: int | None,
    on_timeout: Callable[[T], R],
    on_failure: Callable[[T, str], R],
    on_result: Callable[[R], None] | None = None,
) -> list[R]:
    """``[fn(t) for t in tasks]``, computed in up to ``jobs`` worker processes, in task order.

    A task still running after ``timeout`` seconds gives ``on_timeout(task)``; one whose worker
    raised or died gives ``on_failure(task, reason)``. ``on_result`` sees each result as it comes.
    """
    if not tasks:
        return []
    pool = _Pool(fn, min(jobs or default_jobs(), len(tasks)))
    results: dict[int, R] = {}

    def finish(index: int, result: R) -> None:
        results[index] = result
        if on_result is not None:
            on_result(result)

    queue = deque(enumerate(tasks))
    try:
        while len(results) < len(tasks):
            for worker in pool.idle():
                if queue:
                    worker.start(*queue.popleft(), timeout)
            for index, outcome in pool.wait():
                task = tasks[index]
                if isinstance(outcome, _Done):
                    finish(index, outcome.value)
                elif isinstance(outcome, _TimedOut):
                    finish(index, on_timeout(task))
                else:
                    finish(index, on_failure(task, outcome.reason))
    finally:
        pool.close()
    return [results[i] for i in range(len(tasks))]


@dataclass(frozen=True)
class _Done(Generic[R]):
    value: R


@dataclass(frozen=True)
class _Failed:
    """The task raised, or its worker died (killed by the memory cap, say)."""

    reason: str


@dataclass(frozen=True)
class _TimedOut:
    pass


_Outcome = _Done[Any] | _Failed | _TimedOut


class _Worker:
    """One process and its pipe; ``index`` and ``deadline`` describe the task it is running."""

    def __init__(self, context: Any, fn: Callable[[Any], Any], siblings: list[Connection]) -> None:
        self.connection, child = multiprocessing.Pipe()
        # A forked child holds copies of these parent ends; a spawned one inherits nothing (and
        # passing them would copy them into it).
        inherited = [self.connection, *siblings] if context.get_start_method() == "fork" else []
        self.process: BaseProcess = context.Process(
            target=_serve, args=(fn, child, os.getpid(), inherited), daemon=True
        )
        # A forked child's garbage collections would walk every object it inherited (sympy,
        # matplotlib: 10^5 of them), touching and so copying their pages; frozen, they skip them.
        gc.freeze()
        try:
            self.process.start()
        finally:
            gc.unfreeze()
        child.close()
        self.index = -1
        self.deadline = 0.0

    @property
    def busy(self) -> bool:
        return self.index >= 0

    def start(self, index: int, task: Any, timeout: float) -> None:
        self.index, self.deadline = index, time.monotonic() + timeout
        self.connection.send(task)

    def kill(self) -> None:
        self.process.kill()
        self.process.join()
        self.connection.close()


class _Pool:
    def __init__(self, fn: Callable[[Any], Any], size: int) -> None:
        methods = multiprocessing.get_all_start_methods()
        # fork shares the parent's already imported sympy; elsewhere spawn is the safe choice
        self.context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self.fn = fn
        self.workers: list[_Worker] = []
        for _ in range(size):
            self.workers.append(self._new_worker())

    def _new_worker(self) -> _Worker:
        return _Worker(self.context, self.fn, [w.connection for w in self.workers])

    def idle(self) -> list[_Worker]:
        return [w for w in self.workers if not w.busy]

    def wait(self) -> list[tuple[int, _Outcome]]:
        """Block until a busy worker answers or reaches its deadline; say what became of which
        task, freeing (or replacing) those workers."""
        busy = [w for w in self.workers if w.busy]
        if not busy:
            return []
        now = time.monotonic()
        ready = wait(
            [w.connection for w in busy], timeout=max(0.0, min(w.deadline for w in busy) - now)
        )
        outcomes: list[tuple[int, _Outcome]] = []
        now = time.monotonic()
        for worker in busy:
            outcome: _Outcome | None = None
            if worker.connection in ready:
                try:
                    ok, value = worker.connection.recv()
                    outcome = _Done(value) if ok else _Failed(value)
                except (EOFError, OSError):
                    code = worker.process.exitcode
                    outcome = _Failed(f"worker exited with code {code}" if code else "worker died")
                    self._replace(worker)
            elif now >= worker.deadline:
                outcome = _TimedOut()
                self._replace(worker)
            if outcome is not None:
                outcomes.append((worker.index, outcome))
                worker.index = -1
        return outcomes

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        self.workers[self.workers.index(worker)] = self._new_worker()

    def close(self) -> None:
        for worker in self.workers:
            if worker.process.is_alive():
                with contextlib.suppress(OSError):
                    worker.connection.send(None)
        for worker in self.workers:
            worker.process.join(timeout=1)
            if worker.process.is_alive():
                worker.kill()


def _serve(
    fn: Callable[[Any], Any], connection: Connection, parent: int, inherited: list[Connection]
) -> None:
    """A worker's loop: take a task, send back (True, result) or (False, reason)."""
    _die_with(parent)
    for other in inherited:
        other.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _limit_memory()
    # sympy makes many short-lived objects and few cycles: collecting after every 700
    # allocations (Python's default) spent 3% of a proof's time finding next to nothing.
    gc.set_threshold(GC_THRESHOLD, 20, 20)
    while True:
        try:
            task = connection.recv()
        except (EOFError, KeyboardInterrupt):
            return
        if task is None:
            return
        try:
            reply: tuple[bool, Any] = (True, fn(task))
        except MemoryError:
            reply = (False, "out of memory")
        except RecursionError:
            reply = (False, "the expression is nested too deeply for sympy")
        except Exception as error:
            reply = (False, f"{type(error).__name__}: {error}")
        connection.send(reply)


PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _die_with(parent: int) -> None:
    """End this process when the process ``parent`` ends, however it ends.

    On Linux the kernel sends SIGKILL when the thread that started this process exits: the
    pool lives inside one call of :func:`run`, in that thread, so the two end together. A
    parent that died before the request was made is caught by comparing ``getppid()``.
    Elsewhere (or if prctl is refused) a daemon thread polls ``getppid()``, which changes when
    the parent dies; it is slower and needs the interpreter lock, hence only the fallback.
    """
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
            if os.getppid() != parent:
                os._exit(1)
            return
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)


def _limit_memory() -> None:
    try:
        import resource
    except ImportError:  # not on a POSIX system: no cap
        return
    try:
        with open("/proc/self/statm") as statm:
            current = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return
    limit = current + MEMORY_LIMIT
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
