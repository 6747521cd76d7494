"""A deck on disk is never lost or corrupted: interrupted, failed and concurrent builds; and
nothing else is ever written over: a device, a FIFO, a catalogue file, the lock."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from ankigen.write.lockfile import LOCK_NAME, read_lock

Cli = Callable[..., Result]

SLOW = """\
deck: "Derivatives for ML::Slow"
rules:
  - id: slow
    name: Slow
    function: (x + 1)**1000*(x - 1)**1000*(x + 2)**1000
    derivative: 1000*(x**2 - 1)**999*(x + 2)**999*(3*x**2 + 4*x - 1)
    context: A true claim whose proof takes about 40 s.
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
        from ankigen import cli
        from ankigen.plumbing import files

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
    assert len(read_lock(tmp_path / "deck.lock").notes) == 104  # the rules with a plot


# --- outputs that are not regular files, or are inputs of the same run --------------------------

CUBE = """\
deck: "Course::Rules"
rules:
  - id: cube
    name: Cube
    function: x**3
    derivative: 3*x
    context: Wrong on purpose, so that a build that got as far as the proofs would exit 1.
"""


@pytest.fixture
def course(make_catalogue: Callable[..., Path]) -> Path:
    """A catalogue with a lock file (whatever it holds, refused paths must leave it alone)."""
    folder = make_catalogue(cube=CUBE)
    (folder / LOCK_NAME).write_text('{"format": 1, "note_type": null, "notes": {}}\n')
    return folder


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def _refused(result: Result, exit_code: int, message: str) -> None:
    assert result.exit_code == exit_code, (result.stdout, result.stderr)
    assert result.stderr == message + "\n"


def test_the_deck_is_never_written_over_a_device(cli: Cli, course: Path) -> None:
    """As root, renaming over /dev/null would replace the device with a zip."""
    result = cli("build", course.name, "-o", "/dev/null")
    _refused(
        result,
        3,
        "/dev/null: not a regular file (a character device); the deck is only ever written to a "
        "new file or over a regular one",
    )
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_the_deck_is_never_written_over_a_link_to_a_device(
    cli: Cli, course: Path, tmp_path: Path
) -> None:
    (tmp_path / "null.apkg").symlink_to("/dev/null")
    result = cli("build", course.name, "-o", "null.apkg")
    assert result.exit_code == 3
    assert "null.apkg: not a regular file (a character device)" in result.stderr
    assert os.readlink(tmp_path / "null.apkg") == "/dev/null"


def test_the_deck_is_never_written_over_a_fifo(cli: Cli, course: Path, tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.apkg")
    result = cli("build", course.name, "-o", "pipe.apkg")
    assert result.exit_code == 3
    assert "pipe.apkg: not a regular file (a FIFO)" in result.stderr
    assert stat.S_ISFIFO(os.stat(tmp_path / "pipe.apkg").st_mode)


def test_an_empty_output_path_is_a_clear_usage_error(cli: Cli, course: Path) -> None:
    """`-o ''` named the current folder and failed with "Device or resource busy"."""
    result = cli("build", course.name, "-o", "")
    assert result.exit_code == 2
    assert "Invalid value for '-o' / '--output': give a file name, not an empty path or '.'" in (
        result.stderr
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["-o", "{course}/cube.yaml"],
            "{course}/cube.yaml: the deck would be written over {course}/cube.yaml, a catalogue "
            "file of this build; choose another path for the deck",
        ),
        (
            ["-o", "{course}/ankigen.lock"],
            "{course}/ankigen.lock: the deck would be written over {course}/ankigen.lock, the lock "
            "file of this build; choose another path for the deck",
        ),
        (
            ["-o", "d.apkg", "--lock", "d.apkg"],
            "d.apkg: the deck would be written over d.apkg, the lock file of this build; choose "
            "another path for the deck",
        ),
        (
            ["-o", "d.apkg", "--lock", "{course}/cube.yaml"],
            "{course}/cube.yaml: the lock file would be written over {course}/cube.yaml, a "
            "catalogue file of this build; choose another path for the lock file",
        ),
        (
            ["-o", "./{course}/../{course}/cube.yaml"],
            "{course}/../{course}/cube.yaml: the deck would be written over {course}/cube.yaml",
        ),
    ],
    ids=["catalogue-file", "lock", "lock-is-the-deck", "lock-is-a-catalogue-file", "dot-dot"],
)
def test_an_output_that_is_an_input_of_the_same_build_is_refused_before_any_work(
    cli: Cli, course: Path, args: list[str], message: str
) -> None:
    before = _files(course.parent)
    result = cli("build", course.name, *(a.format(course=course.name) for a in args))
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith(message.format(course=course.name)), result.stderr
    assert _files(course.parent) == before


def test_an_output_that_links_to_a_catalogue_file_is_refused(
    cli: Cli, course: Path, tmp_path: Path
) -> None:
    """A symbolic link or a hard link to a catalogue file is that file."""
    (tmp_path / "soft.apkg").symlink_to(course / "cube.yaml")
    os.link(course / "cube.yaml", tmp_path / "hard.apkg")
    before = _files(course)
    for name in ("soft.apkg", "hard.apkg"):
        result = cli("build", course.name, "-o", name)
        assert result.exit_code == 2, result.stderr
        assert f"{name}: the deck would be written over {course.name}/cube.yaml" in result.stderr
    assert _files(course) == before


def test_the_bundled_lock_is_an_input_too(cli: Cli, bundled: Path) -> None:
    """A build with the bundled rules reads the bundled lock: it is never an output."""
    lock = bundled / LOCK_NAME
    before = lock.read_bytes()
    for args in (["-o", str(lock)], ["--lock", str(lock)]):
        result = cli("build", *args)
        assert result.exit_code == 2, result.stderr
        assert "the bundled catalogue's lock file of this build" in result.stderr
    assert lock.read_bytes() == before


def test_a_preview_never_removes_a_catalogue_file_from_its_media_folder(
    cli: Cli, make_catalogue: Callable[..., Path], tmp_path: Path
) -> None:
    """The preview removes the images it no longer uses from out/media; a catalogue kept in
    that folder, even with a name starting "ankigen-", is not one of them."""
    right = CUBE.replace("derivative: 3*x", "derivative: 3*x**2")
    (tmp_path / "out" / "media").mkdir(parents=True)
    (tmp_path / "out" / "media" / "ankigen-rules.yaml").write_text(right, encoding="utf-8")
    result = cli("preview", "out/media", "-o", "out", "--no-plots")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "out" / "media" / "ankigen-rules.yaml").read_text() == right


def test_a_preview_does_not_hang_on_a_fifo_where_an_image_goes(
    make_catalogue: Callable[..., Path], tmp_path: Path
) -> None:
    """An image already in place is compared with the new one before it is rewritten: a FIFO
    in its place must be refused, not read (which waits for ever)."""
    folder = make_catalogue(cube=CUBE.replace("derivative: 3*x", "derivative: 3*x**2"))
    first = subprocess.run(
        [sys.executable, "-m", "ankigen", "preview", folder.name, "-o", "out"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert first.returncode == 0, first.stderr
    image = next((tmp_path / "out" / "media").glob("ankigen-*"))
    image.unlink()
    os.mkfifo(image)
    again = subprocess.run(
        [sys.executable, "-m", "ankigen", "preview", folder.name, "-o", "out"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 3, again.stderr
    assert f"{image.name}: not a regular file (a FIFO)" in again.stderr
    assert "Traceback" not in again.stderr


KILLED_WRITER = """
import os, signal, sys, time
from pathlib import Path
from ankigen.plumbing import files

def write(path):
    Path(path).write_bytes(b"half a deck")
    if sys.argv[2] == "kill":
        os.kill(os.getpid(), signal.SIGKILL)  # as if the machine's user ran kill -9 here
    print("writing", flush=True)
    time.sleep(600)  # a live writer, still holding its temporary file

files.replace_atomically(Path(sys.argv[1]), write, what="deck")
"""
PROVED_CUBE = """\
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
        (tmp_path / "cards" / "cube.yaml").write_text(PROVED_CUBE, encoding="utf-8")
        build = _ankigen("build", "cards", "-o", "deck.apkg", "--no-plots", cwd=tmp_path)
        _, stderr = build.communicate(timeout=120)
        assert build.returncode == 0, stderr
        assert _leftovers(tmp_path) == [held]
        assert zipfile.is_zipfile(deck)
    finally:
        live.kill()
        live.wait()
