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

from ankigen.lock import read_lock

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
    """Each build writes its own temporary file and renames it: the last rename wins, whole.
    (Without plots, so that the notes differ from the published deck and both builds write
    the lock too.)"""
    args = ("build", "-o", "deck.apkg", "--lock", "deck.lock", "--no-plots")
    builds = [_ankigen(*args, cwd=tmp_path) for _ in range(2)]
    for build in builds:
        _, stderr = build.communicate(timeout=120)
        assert build.returncode == 0, stderr
    with zipfile.ZipFile(tmp_path / "deck.apkg") as package:
        assert package.testzip() is None
        assert "collection.anki2" in package.namelist()
    assert _leftovers(tmp_path) == []
    assert sorted(os.listdir(tmp_path)) == ["deck.apkg", "deck.lock"]
    assert len(read_lock(tmp_path / "deck.lock").notes) == 96  # the rules with a plot
