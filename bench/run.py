"""ankigen's benchmark: prints each figure beside its target.

    python bench/run.py                     # sizes 100, 500, 1000 and 5000 (several minutes)
    python bench/run.py --sizes 100,1000    # a quicker run

For each synthetic catalogue (see bench/catalogue.py: fixed seed, realistic variety) it measures
`ankigen check`, `ankigen build` cold (empty cache, no lock) and warm (nothing changed), the peak
memory of the whole process tree (the command and its workers), and rules per second; then the
start-up time of `ankigen --help` and `ankigen list`, and the bundled deck's times, including a
cold build with SVG formulas (`--math svg`) and a cold `preview` against a cold MathJax build.
Every command runs as a user runs it, in a subprocess, with a private cache folder.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalogue import write_catalogue  # the benchmark's own helper, beside this file

ANKIGEN = [sys.executable, "-m", "ankigen"]


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float
    cpu_seconds: float  # user + system time of the command and its workers


def measure(args: Sequence[str], cwd: Path, env: dict[str, str], memory: bool = True) -> Run:
    """Run ankigen with ``args``; its wall time and the peak RSS of its process tree (the
    sampling thread costs CPU, so start-up times are measured without it)."""
    started = time.perf_counter()
    cpu_before = _children_cpu()
    process = subprocess.Popen(  # noqa: S603 - our own command, our own arguments
        [*ANKIGEN, *args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    peak = _PeakMemory(process.pid)
    if memory:
        peak.start()
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - started
    if memory:
        peak.stop()
    if process.returncode != 0:
        raise SystemExit(f"ankigen {' '.join(args)} failed:\n{stdout.decode()}{stderr.decode()}")
    return Run(seconds, peak.megabytes, _children_cpu() - cpu_before)


def _children_cpu() -> float:
    """CPU seconds of this process's ended children (each counting the workers it waited for)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class _PeakMemory(threading.Thread):
    """Samples the resident memory of a process and all its descendants every 100 ms (Linux)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, 0, threading.Event()

    @property
    def megabytes(self) -> float:
        return self.peak / 1e6

    def stop(self) -> None:
        self.done.set()
        self.join()

    def run(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE")
        while not self.done.wait(0.1):
            self.peak = max(self.peak, sum(_rss_pages(p) for p in _tree(self.pid)) * page)


def _tree(root: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, []))
    return found


def _rss_pages(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def line(what: str, value: str, target: str, ok: bool | None) -> None:
    verdict = "" if ok is None else ("  ok" if ok else "  MISSED")
    print(f"  {what:<34} {value:>18}   target {target}{verdict}")


def bench_catalogue(size: int, work: Path, env: dict[str, str]) -> dict[str, Run]:
    folder = write_catalogue(work / f"catalogue-{size}", size)
    env = {**env, "ANKIGEN_CACHE_DIR": str(work / f"cache-{size}")}
    lock = work / f"{size}.lock"
    deck = work / f"{size}.apkg"
    runs = {
        "check": measure(["check", str(folder), "-q", "--no-cache"], work, env),
        "cold": measure(["build", str(folder), "-o", str(deck), "--lock", str(lock)], work, env),
        "warm": measure(["build", str(folder), "-o", str(deck), "--lock", str(lock)], work, env),
    }
    return runs


def startup(args: Sequence[str], env: dict[str, str], cwd: Path) -> float:
    times = [measure(args, cwd, env, memory=False).seconds for _ in range(5)]
    return statistics.median(times)


BUNDLED_RUNS = 3  # a shared machine's speed drifts by tens of percent: one run can mislead


def bundled(work: Path, env: dict[str, str]) -> dict[str, list[Run]]:
    """Each run of the bundled catalogue's check, cold and warm build, and (each with an empty
    cache of its own) cold build with SVG formulas and cold preview."""
    runs: dict[str, list[Run]] = {"check": [], "cold": [], "warm": [], "svg": [], "preview": []}
    for run in range(BUNDLED_RUNS):
        deck, lock = str(work / f"bundled-{run}.apkg"), str(work / f"bundled-{run}.lock")
        svg_deck, page = str(work / f"bundled-svg-{run}.apkg"), str(work / f"preview-{run}")
        # no memory sampling here: its thread would take CPU from the build it measures
        for name, cache, args in (
            ("check", "main", ["check", "-q", "--no-cache"]),
            ("cold", "main", ["build", "-o", deck, "--lock", lock]),
            ("warm", "main", ["build", "-o", deck, "--lock", lock]),
            ("svg", "svg", ["build", "--math", "svg", "-o", svg_deck, "--lock", lock + "-svg"]),
            ("preview", "preview", ["preview", "-o", page]),
        ):
            run_env = {**env, "ANKIGEN_CACHE_DIR": str(work / f"cache-bundled-{cache}-{run}")}
            runs[name].append(measure(args, work, run_env, memory=False))
    return runs


def _spread(times: list[float]) -> str:
    """``5.42 s (5.1-6.0)``: the median, then the fastest and slowest run."""
    return f"{statistics.median(times):.2f} s ({min(times):.1f}-{max(times):.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes", default="100,500,1000,5000", help="catalogue sizes, comma-separated"
    )
    given = parser.parse_args().sizes
    sizes = [int(s) for s in given.split(",")] if given else []
    cores = len(os.sched_getaffinity(0))
    print(f"ankigen benchmark: {cores} cores, Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="ankigen-bench-") as scratch:
        work = Path(scratch)
        env = {**os.environ, "PYTHONHASHSEED": "random"}

        print("start-up")
        help_time = startup(["--help"], env, work)
        line("ankigen --help", f"{help_time:.2f} s", "< 0.3 s", help_time < 0.3)
        list_time = startup(["list"], env, work)
        line("ankigen list (bundled)", f"{list_time:.2f} s", "< 0.3 s", list_time < 0.3)

        print(f"bundled catalogue (median of {BUNDLED_RUNS} runs, each cold one with a new cache)")
        of_bundled = bundled(work, env)
        check, cold, warm = (
            [r.seconds for r in of_bundled[name]] for name in ("check", "cold", "warm")
        )
        line("check", _spread(check), "< 5 s", statistics.median(check) < 5)  # issue 16
        line("build, cold cache", _spread(cold), "< 6 s", statistics.median(cold) < 6)
        line("build, warm cache", _spread(warm), "< 1.5 s", statistics.median(warm) < 1.5)
        # Against a cold MathJax build; CPU time too, which a busy machine disturbs far less.
        cold_cpu = statistics.median(r.cpu_seconds for r in of_bundled["cold"])
        for name, what in (("svg", "build --math svg, cold"), ("preview", "preview, cold")):
            seconds = [r.seconds for r in of_bundled[name]]
            ratio = statistics.median(seconds) / statistics.median(cold)
            cpu_ratio = statistics.median(r.cpu_seconds for r in of_bundled[name]) / cold_cpu
            line(what, _spread(seconds), "-", None)
            line(f"{what} / build, cold", f"{ratio:.2f}x", "<= 1.5x", ratio <= 1.5)
            line("  the same in CPU time", f"{cpu_ratio:.2f}x", "<= 1.5x", cpu_ratio <= 1.5)

        results: dict[int, dict[str, Run]] = {}
        for size in sizes:
            print(f"{size} rules")
            runs = results[size] = bench_catalogue(size, work, env)
            big = size >= 5000
            line("check", f"{runs['check'].seconds:.1f} s", "-", None)
            line(
                "build, cold cache",
                f"{runs['cold'].seconds:.1f} s",
                "< 120 s" if big else "-",
                runs["cold"].seconds < 120 if big else None,
            )
            line(
                "build, warm cache",
                f"{runs['warm'].seconds:.1f} s",
                "< 10 s" if big else "-",
                runs["warm"].seconds < 10 if big else None,
            )
            peak = max(r.peak_mb for r in runs.values())
            line("peak memory (all processes)", f"{peak:.0f} MB", "< 1000 MB", peak < 1000)
            line("rules per second (check)", f"{size / runs['check'].seconds:.0f}", "-", None)
            line("rules per second (cold build)", f"{size / runs['cold'].seconds:.0f}", "-", None)

        if 500 in results and 5000 in results:
            ratio = results[5000]["cold"].seconds / results[500]["cold"].seconds
            line("cold build 5000 / 500", f"{ratio:.1f}x", "<= 12x", ratio <= 12)
        elif 100 in results and 1000 in results:
            ratio = results[1000]["cold"].seconds / results[100]["cold"].seconds
            line("cold build 1000 / 100 (linearity)", f"{ratio:.1f}x", "<= 12x", ratio <= 12)


if __name__ == "__main__":
    main()
