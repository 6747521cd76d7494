"""A lock file is read as hostile input, and every time a build gives is one Anki can use.

Each test breaks one thing: the lock file (not a regular file, too large, not UTF-8, not strict
JSON, a value of the wrong type or out of range), ``SOURCE_DATE_EPOCH`` or the clock, the lock's
folder. Each must give one located line on standard error, a non-zero exit, no traceback, and
leave every file as it was. The catalogue's derivative is wrong, so that a build which got as far
as the proofs would exit 1: the exit code shows that the problem was found before any work.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from ankigen.build import build
from ankigen.errors import CatalogueError
from ankigen.plumbing.files import UnsuitableFileError, read_regular_file
from ankigen.write.lockfile import EARLIEST, LATEST, LOCK_NAME, MAX_LOCK_BYTES

Cli = Callable[..., Result]

CUBE = """\
deck: "Course::Rules"
rules:
  - id: cube
    name: Cube
    function: x**3
    derivative: 3*x**2
    context: Polynomial features.
"""
CUBE_WRONG = CUBE.replace("derivative: 3*x**2", "derivative: 3*x")


@pytest.fixture
def course(make_catalogue: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> Path:
    """A catalogue folder with a valid lock from a first build; then its derivative made wrong."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    folder = make_catalogue(cube=CUBE)
    build([folder], folder.parent / "first.apkg")
    assert (folder / LOCK_NAME).is_file()
    (folder / "cube.yaml").write_text(CUBE_WRONG, encoding="utf-8")
    return folder


def _refused(result: Result, exit_code: int, message: str) -> None:
    """One line on standard error, starting with ``message``; the exit code; no traceback."""
    assert result.exit_code == exit_code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith(message), result.stderr


def _files(folder: Path) -> dict[str, bytes]:
    """Every regular file below ``folder`` with its bytes: what a refused build must not touch."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


# --- the lock file is not a regular file, or is too large ---------------------------------------


def _ankigen(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real command in its own process: if it blocked, the timeout would fail the test."""
    return subprocess.run(
        [sys.executable, "-m", "ankigen", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_lock_that_is_a_fifo_is_refused_at_once(course: Path, tmp_path: Path) -> None:
    """Opening a FIFO for reading would wait for ever for a writer."""
    os.mkfifo(tmp_path / "fifo.lock")
    result = _ankigen("build", course.name, "--lock", "fifo.lock", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr == "fifo.lock: cannot read the lock file: not a regular file (a FIFO)\n"
    assert not (tmp_path / "ankigen.apkg").exists()


def test_a_lock_that_links_to_an_endless_device_is_refused_at_once(
    course: Path, tmp_path: Path
) -> None:
    """A link to /dev/urandom would be read for ever (24 GB and counting)."""
    (tmp_path / "random.lock").symlink_to("/dev/urandom")
    result = _ankigen("build", course.name, "--lock", "random.lock", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        "random.lock: cannot read the lock file: not a regular file (a character device)\n"
    )
    assert (tmp_path / "random.lock").is_symlink()


def test_a_lock_larger_than_the_limit_is_refused_unread(cli: Cli, course: Path) -> None:
    """A sparse file of 16 MB and one byte: refused by its size, before a byte is read."""
    lock = course / LOCK_NAME
    with lock.open("r+b") as handle:
        handle.truncate(MAX_LOCK_BYTES + 1)
    before = _files(course.parent)
    result = cli("build", course.name)
    _refused(result, 2, f"{course.name}/ankigen.lock: cannot read the lock file: larger than the")
    assert "16 MB" in result.stderr
    assert _files(course.parent) == before


def test_a_lock_that_is_a_folder_is_refused(course: Path, tmp_path: Path) -> None:
    """(The command line already refuses a folder for --lock; the library refuses it too.)"""
    (tmp_path / "folder.lock").mkdir()
    with pytest.raises(
        CatalogueError, match=r"cannot read the lock file: not a regular file \(a folder\)"
    ):
        build([course], tmp_path / "deck.apkg", lock=tmp_path / "folder.lock")
    assert not (tmp_path / "deck.apkg").exists()


def test_read_regular_file_reads_up_to_its_limit_and_no_further(tmp_path: Path) -> None:
    path = tmp_path / "file"
    path.write_bytes(b"12345")
    assert read_regular_file(path, 5) == b"12345"
    with pytest.raises(UnsuitableFileError, match="larger than the limit of 4 bytes") as error:
        read_regular_file(path, 4)
    assert error.value.errno == errno.EFBIG
    with pytest.raises(UnsuitableFileError, match=r"not a regular file \(a folder\)") as error:
        read_regular_file(tmp_path, 5)
    assert error.value.errno == errno.EINVAL
    with pytest.raises(FileNotFoundError):
        read_regular_file(tmp_path / "missing", 5)


# --- the lock file's content --------------------------------------------------------------------

INVALID = "not a valid ankigen lock file: "
TIME = "must be whole seconds within the times ankigen accepts"

# The key path to replace (empty: the whole file), its new raw text, and the message after
# "cards/ankigen.lock" (and a line number when the JSON itself is broken).
BROKEN_LOCKS = [
    pytest.param(
        (),
        b'{"format": 1,\n "notes": "\xff"}',
        f":2: {INVALID}not UTF-8 text (byte 0xff)",
        id="not-utf8",
    ),
    pytest.param(
        (), b"", f":1: {INVALID}JSON syntax error: Expecting value (column 1)", id="empty"
    ),
    pytest.param(
        ("notes", "cube", "modified"),
        b"10**20",
        f":25: {INVALID}JSON syntax error: Expecting ',' delimiter (column 21)",
        id="python-power",
    ),
    pytest.param(
        ("notes", "cube", "modified"),
        b"Infinity",
        f": {INVALID}notes.cube.modified {TIME}, "
        "2000-01-01 (946684800) to 2100-01-01 (4102444800), not Infinity",
        id="infinity",
    ),
    pytest.param(
        ("notes", "cube", "modified"), b"NaN", f": {INVALID}notes.cube.modified {TIME}", id="nan"
    ),
    pytest.param(
        ("notes", "cube", "modified"),
        b"1e400",
        f": {INVALID}notes.cube.modified {TIME}",
        id="1e400",
    ),
    pytest.param(
        ("notes", "cube", "modified"),
        b"1700000000.5",
        f": {INVALID}notes.cube.modified {TIME}",
        id="fraction",
    ),
    pytest.param(
        ("notes", "cube", "modified"),
        b"1" + b"0" * 20,
        f": {INVALID}notes.cube.modified {TIME}",
        id="10-to-the-20",
    ),
    pytest.param(
        ("notes", "cube", "modified"),
        b"9" * 1000,
        f": {INVALID}notes.cube.modified {TIME}",
        id="1000-digits",
    ),
    pytest.param(
        ("notes", "cube", "modified"),
        b"1700000000000",
        f": {INVALID}notes.cube.modified {TIME}",
        id="milliseconds",
    ),
    pytest.param(
        ("notes", "cube", "modified"), b"0", f": {INVALID}notes.cube.modified {TIME}", id="zero"
    ),
    pytest.param(
        ("notes", "cube", "modified"), b"true", f": {INVALID}notes.cube.modified {TIME}", id="true"
    ),
    pytest.param(
        ("note_type", "modified"),
        str(2**70).encode(),
        f": {INVALID}note_type.modified {TIME}",
        id="2-to-the-70",
    ),
    pytest.param(
        ("notes", "cube", "deck"),
        b"[" * 10**5 + b"]" * 10**5,
        f": {INVALID}the JSON is nested too deeply",
        id="deep-nesting",
    ),
    pytest.param(
        ("note_type", "fields"),
        b'"IdName"',
        f': {INVALID}note_type.fields must be a list of names, not "IdName"',
        id="fields-text",
    ),
    pytest.param(
        ("note_type", "fields"),
        b'["Id", 5]',
        f": {INVALID}note_type.fields[1] must be text, not 5",
        id="fields-number",
    ),
    pytest.param(
        ("note_type", "id"),
        b"-1",
        f": {INVALID}note_type.id must be a whole number from 1 to",
        id="id-negative",
    ),
    pytest.param(
        ("notes", "cube", "hash"),
        b'"abc"',
        f': {INVALID}notes.cube.hash must be a SHA-256 hash (64 hexadecimal digits), not "abc"',
        id="hash",
    ),
    pytest.param(
        ("notes", "cube", "deck"),
        b"5",
        f": {INVALID}notes.cube.deck must be text, not 5",
        id="deck-number",
    ),
    pytest.param(
        ("notes",), b"[]", f": {INVALID}'notes' must be a JSON object, not a list", id="notes-list"
    ),
    pytest.param(
        ("notes", "cube"),
        b"7",
        f": {INVALID}notes.cube must be a JSON object, not 7",
        id="note-number",
    ),
    pytest.param(
        (), b"[]", f": {INVALID}the file must be a JSON object, not a list", id="top-level-list"
    ),
    pytest.param(
        ("format",),
        b"true",
        f": {INVALID}'format' is true; this ankigen reads format 1",
        id="format-true",
    ),
    pytest.param(
        ("format",), b"2", f": {INVALID}'format' is 2; this ankigen reads format 1", id="format-2"
    ),
    pytest.param(
        (),
        b'{"format": 2, "deck_times": {}}',
        f": {INVALID}'format' is 2; this ankigen reads format 1",
        id="another-format",
    ),
    pytest.param((), b"{}", f": {INVALID}the file has no key 'format'", id="no-format"),
    pytest.param(
        (),
        b'{"format": 1, "note_type": null}',
        f": {INVALID}the file has no key 'notes'",
        id="missing-key",
    ),
    pytest.param(
        ("notes", "cube", "modifed"),
        b"1",
        f": {INVALID}notes.cube has an unknown key 'modifed'",
        id="unknown-key",
    ),
    pytest.param(
        (),
        b'{"format": 1, "notes": {}, "notes": {}}',
        f": {INVALID}the key 'notes' appears twice in one object",
        id="duplicate-key",
    ),
]


def _broken(lock: bytes, path: tuple[str, ...], raw: bytes) -> bytes:
    """The lock with the value at ``path`` replaced by ``raw`` (any bytes, valid JSON or not)."""
    if not path:
        return raw
    data = json.loads(lock)
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = "@@raw@@"
    return json.dumps(data, indent=2).encode().replace(b'"@@raw@@"', raw)


@pytest.mark.parametrize(("path", "raw", "message"), BROKEN_LOCKS)
def test_a_broken_lock_gets_one_located_line_and_nothing_is_written(
    cli: Cli, course: Path, path: tuple[str, ...], raw: bytes, message: str
) -> None:
    lock = course / LOCK_NAME
    lock.write_bytes(_broken(lock.read_bytes(), path, raw))
    before = _files(course.parent)
    result = cli("build", course.name, "-o", "deck.apkg")
    _refused(result, 2, f"{course.name}/ankigen.lock{message}")
    if "not a valid" in message:
        assert result.stderr.rstrip().endswith(
            "restore it from version control, or delete it to start afresh (every note will then "
            "count as changed once)"
        )
    assert _files(course.parent) == before


def test_the_corpus_of_broken_locks_starts_from_a_valid_lock(cli: Cli, course: Path) -> None:
    """The same build with the lock left valid gets as far as the proofs (exit 1)."""
    result = cli("build", course.name, "-o", "deck.apkg")
    assert result.exit_code == 1, result.stderr
    assert "derivative is wrong" in result.stderr


# --- the times a build gives --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("epoch", "message"),
    [
        (
            "99999999999999999",
            "SOURCE_DATE_EPOCH=99999999999999999 is outside the times ankigen accepts, "
            "2000-01-01 (946684800) to 2100-01-01 (4102444800): Anki",
        ),
        ("0", "SOURCE_DATE_EPOCH=0 is outside the times ankigen accepts"),
        (
            "1700000000000",
            "SOURCE_DATE_EPOCH=1700000000000 is outside the times ankigen accepts, 2000-01-01 "
            "(946684800) to 2100-01-01 (4102444800) (1700000000000 looks like milliseconds: "
            "1700000000 is 2023-11-14)",
        ),
        (str(EARLIEST - 1), f"SOURCE_DATE_EPOCH={EARLIEST - 1} is outside"),
        (str(LATEST + 1), f"SOURCE_DATE_EPOCH={LATEST + 1} is outside"),
        ("1.7e9", "SOURCE_DATE_EPOCH must be whole seconds since 1970, not '1.7e9'"),
        ("-1700000000", "SOURCE_DATE_EPOCH must be whole seconds since 1970, not '-1700000000'"),
        ("1_700_000_000", "SOURCE_DATE_EPOCH must be whole seconds since 1970"),
        (
            "\u0661\u0667\u0660\u0660\u0660\u0660\u0660\u0660\u0660\u0660",
            "SOURCE_DATE_EPOCH must be whole seconds since 1970",
        ),
        ("9" * 5000, "SOURCE_DATE_EPOCH must be whole seconds since 1970"),
    ],
    ids=[
        "17-digits",
        "zero",
        "milliseconds",
        "before-2000",
        "after-2100",
        "float",
        "negative",
        "underscores",
        "arabic-digits",
        "5000-digits",
    ],
)
def test_a_source_date_epoch_anki_cannot_use_is_refused_before_any_work(
    cli: Cli, course: Path, monkeypatch: pytest.MonkeyPatch, epoch: str, message: str
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    before = _files(course.parent)
    result = cli("build", course.name, "-o", "deck.apkg")
    _refused(result, 2, message)
    assert _files(course.parent) == before


@pytest.mark.parametrize("epoch", [EARLIEST, LATEST])
def test_the_first_and_last_times_of_the_window_are_given_as_they_are(
    cli: Cli, make_catalogue: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, epoch: int
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(epoch))
    folder = make_catalogue(cube=CUBE)
    result = cli("build", folder.name, "-o", "deck.apkg", "--no-plots")
    assert result.exit_code == 0, result.stderr
    lock = json.loads((folder / LOCK_NAME).read_text(encoding="utf-8"))
    assert lock["notes"]["cube"]["modified"] == epoch


def test_a_system_clock_outside_the_window_is_refused(
    cli: Cli, course: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A machine that lost its clock (1970 after a flat battery) must not stamp notes with it."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    monkeypatch.setattr(time, "time", lambda: 86_400.0)
    result = cli("build", course.name, "-o", "deck.apkg")
    _refused(result, 2, "the system clock says 1970-01-02, outside the times ankigen accepts")
    assert "set SOURCE_DATE_EPOCH" in result.stderr


# --- where the lock goes ------------------------------------------------------------------------


def test_a_lock_in_a_missing_folder_exits_3_before_any_work(cli: Cli, course: Path) -> None:
    """Not a warning after the build with every note counted as new: an error, first."""
    before = _files(course.parent)
    result = cli("build", course.name, "-o", "deck.apkg", "--lock", "typo/ankigen.lock")
    _refused(result, 3, "typo/ankigen.lock: the folder typo does not exist")
    assert _files(course.parent) == before
    assert not (course.parent / "typo").exists()


def test_a_lock_whose_folder_is_a_file_is_refused(cli: Cli, course: Path) -> None:
    (course.parent / "notes.txt").write_text("mine", encoding="utf-8")
    result = cli("build", course.name, "--lock", "notes.txt/ankigen.lock")
    _refused(result, 2, "notes.txt/ankigen.lock: cannot read the lock file: Not a directory")
    assert (course.parent / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_an_empty_lock_path_is_a_usage_error(cli: Cli, course: Path) -> None:
    result = cli("build", course.name, "--lock", "")
    assert result.exit_code == 2
    assert "Invalid value for '--lock': give a file name, not an empty path or '.'" in (
        result.stderr
    )
