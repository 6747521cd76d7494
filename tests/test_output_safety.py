"""A deck on disk is never lost or corrupted: interrupted, failed and concurrent builds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

SLOW = """\
deck: "Derivatives for ML::Slow"
rules:
  - id: slow
    name: Slow
    function: (x + 1)**400*(x - 1)**400
    derivative: 800*x*(x**2 - 1)**399
    context: A true claim that sympy cannot prove quickly.
"""


def _ankigen(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ankigen", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_sigterm_while_writing_leaves_the_old_deck_and_no_temporary_file(tmp_path: Path) -> None:
    """SIGTERM in the middle of writing unwinds: the old deck stays byte for byte, no temp file."""
    deck = tmp_path / "deck.apkg"
    deck.write_bytes(b"the previous deck")
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        from pathlib import Path
        from ankigen import cli, files

        def write(path):
            Path(path).write_bytes(b"half a deck")
            os.kill(os.getpid(), signal.SIGTERM)  # as if the user stopped the build here
            raise AssertionError("SIGTERM did not stop the write")

        signal.signal(signal.SIGTERM, cli._exit_on_signal)
        files.replace_atomically(Path({str(deck)!r}), write, what="deck")
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 128 + signal.SIGTERM, result.stderr
    assert deck.read_bytes() == b"the previous deck"
    assert _leftovers(tmp_path) == []


def test_ctrl_c_during_the_proofs_stops_promptly_and_writes_nothing(tmp_path: Path) -> None:
    """SIGINT while a proof runs ends the build at once (workers included), with no deck."""
    (tmp_path / "cards").mkdir()
    (tmp_path / "cards" / "slow.yaml").write_text(SLOW, encoding="utf-8")
    process = _ankigen("build", "cards", "-o", "deck.apkg", "--timeout", "60", cwd=tmp_path)
    time.sleep(2.0)  # the proof is running by now
    process.send_signal(signal.SIGINT)
    try:
        _, stderr = process.communicate(timeout=10)
    finally:
        process.kill()
    assert process.returncode != 0
    assert "Traceback" not in stderr
    assert not (tmp_path / "deck.apkg").exists()
    assert _leftovers(tmp_path) == []


def test_two_builds_writing_the_same_deck_at_once_leave_a_whole_deck(tmp_path: Path) -> None:
    """Each build writes its own temporary file and renames it: the last rename wins, whole."""
    builds = [
        _ankigen("build", "-o", "deck.apkg", "--lock", "deck.lock", cwd=tmp_path) for _ in range(2)
    ]
    for build in builds:
        _, stderr = build.communicate(timeout=120)
        assert build.returncode == 0, stderr
    with zipfile.ZipFile(tmp_path / "deck.apkg") as package:
        assert package.testzip() is None
        assert "collection.anki2" in package.namelist()
    assert _leftovers(tmp_path) == []
    assert sorted(os.listdir(tmp_path)) == ["deck.apkg", "deck.lock"]


KILLED_WRITER = """
import os, signal, sys, time
from pathlib import Path
from ankigen import files

def write(path):
    Path(path).write_bytes(b"half a deck")
    if sys.argv[2] == "kill":
        os.kill(os.getpid(), signal.SIGKILL)  # as if the machine's user ran kill -9 here
    print("writing", flush=True)
    time.sleep(600)  # a live writer, still holding its temporary file

files.replace_atomically(Path(sys.argv[1]), write, what="deck")
"""
CUBE = """\
deck: "Derivatives for ML::Test"
rules:
  - id: cube
    name: Cube
    function: x**3
    derivative: 3*x**2
    context: A power rule example.
"""


def test_a_temporary_file_left_by_kill_9_is_removed_by_a_later_build(tmp_path: Path) -> None:
    """kill -9 runs no clean-up, so it leaves the deck's temporary file; the next build of the
    same deck (a minute later) removes it, and leaves alone the one a live writer holds."""
    deck = tmp_path / "deck.apkg"
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_WRITER, str(deck), "kill"], capture_output=True, text=True
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    (abandoned,) = _leftovers(tmp_path)
    live = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(deck), "live"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert live.stdout is not None and live.stdout.readline() == "writing\n"
        (held,) = set(_leftovers(tmp_path)) - {abandoned}
        an_hour_ago = time.time() - 3600
        for name in (abandoned, held):
            os.utime(tmp_path / name, (an_hour_ago, an_hour_ago))
        (tmp_path / "cards").mkdir()
        (tmp_path / "cards" / "cube.yaml").write_text(CUBE, encoding="utf-8")
        build = _ankigen("build", "cards", "-o", "deck.apkg", "--no-plots", cwd=tmp_path)
        _, stderr = build.communicate(timeout=120)
        assert build.returncode == 0, stderr
        assert _leftovers(tmp_path) == [held]
        assert zipfile.is_zipfile(deck)
    finally:
        live.kill()
        live.wait()
