"""The on-disk cache of verdicts and images: a speed-up that must never be trusted blindly.

Entries carry an HMAC of their key and data under the user's private secret, so a truncated,
corrupted, forged or moved file is a miss (and is removed), never bytes that end up in a deck;
files that are not regular files are never opened for long; writes go through a temporary file
and a rename; a cache that cannot be written makes a build slower, never a failed build.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from collections.abc import Callable
from pathlib import Path

import platformdirs
import pytest
from click.testing import Result

from ankigen.load.catalogue import load_catalogue
from ankigen.plumbing.cache import (
    CACHE_ENV,
    MAX_ENTRY,
    SECRET_NAME,
    Cache,
    default_cache,
    default_folder,
)
from ankigen.verify import cache as proof_cache

KEY = hashlib.sha256(b"some rendered formula").hexdigest()
DATA = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.fixture
def cache(tmp_path: Path) -> Cache:
    return Cache(tmp_path / "cache")


def entry_files(cache: Cache) -> list[Path]:
    """The files of the cache folder but its secret."""
    if not cache.folder.exists():
        return []
    return sorted(p for p in cache.folder.iterdir() if p.name != SECRET_NAME)


def test_what_was_put_is_got_back(cache: Cache) -> None:
    """The round trip: put bytes, get the same bytes; the folder is made on first use."""
    assert not cache.folder.exists()
    cache.put(KEY, DATA)
    assert cache.get(KEY) == DATA


def test_a_key_never_put_is_a_miss(cache: Cache) -> None:
    """A missing entry (and a missing folder) is None, not an error."""
    assert cache.get(KEY) is None
    cache.put(KEY, DATA)
    assert cache.get(hashlib.sha256(b"other").hexdigest()) is None


def test_empty_data_is_a_valid_entry(cache: Cache) -> None:
    """Zero bytes are stored and returned as zero bytes, not mistaken for a miss."""
    cache.put(KEY, b"")
    assert cache.get(KEY) == b""


def test_putting_again_replaces_the_entry(cache: Cache) -> None:
    """A second put under the same key replaces the data (rename over the old file)."""
    cache.put(KEY, DATA)
    cache.put(KEY, b"newer")
    assert cache.get(KEY) == b"newer"
    assert len(entry_files(cache)) == 1


def test_no_temporary_file_is_left_behind(cache: Cache) -> None:
    """Writing goes through a temporary file that is renamed into place: only the entry stays."""
    cache.put(KEY, DATA)
    assert [p.name for p in entry_files(cache)] == [cache.path(KEY).name]


@pytest.mark.parametrize(
    "damage",
    ["truncated", "one byte flipped", "data appended", "header only", "empty file", "not ours"],
)
def test_a_damaged_entry_is_ignored_and_removed(cache: Cache, damage: str) -> None:
    """A truncated or corrupted entry is a miss (its sha256 or length disagrees), and the file
    is deleted, so the caller renders again and puts a good entry back."""
    cache.put(KEY, DATA)
    path = cache.path(KEY)
    stored = path.read_bytes()
    header_end = stored.index(b"\n", stored.index(b"\n") + 1) + 1
    damaged = {
        "truncated": stored[:-100],
        "one byte flipped": stored[:-1] + bytes([stored[-1] ^ 0x01]),
        "data appended": stored + b"x",
        "header only": stored[:header_end],
        "empty file": b"",
        "not ours": b"GIF89a" + stored,
    }[damage]
    path.write_bytes(damaged)
    assert cache.get(KEY) is None
    assert not path.exists()
    cache.put(KEY, DATA)
    assert cache.get(KEY) == DATA


def test_a_damaged_entry_with_the_right_length_is_still_caught(cache: Cache) -> None:
    """Same length, different bytes: only the checksum can tell, and it does."""
    cache.put(KEY, DATA)
    path = cache.path(KEY)
    stored = bytearray(path.read_bytes())
    stored[-500] ^= 0xFF
    path.write_bytes(bytes(stored))
    assert cache.get(KEY) is None


def test_a_cache_that_cannot_be_written_is_only_a_miss(tmp_path: Path) -> None:
    """A file where the cache folder should be: put does not raise, get finds nothing."""
    blocker = tmp_path / "blocked"
    blocker.write_text("not a folder")
    cache = Cache(blocker / "cache")
    cache.put(KEY, DATA)
    assert cache.get(KEY) is None


@pytest.mark.parametrize("key", ["../escape", "a/b", "", "UPPER", ".hidden", "x" * 200])
def test_a_key_that_is_not_a_plain_name_is_refused(cache: Cache, key: str) -> None:
    """Keys become file names: anything that could leave the folder or collide is refused."""
    with pytest.raises(ValueError, match="not a cache key"):
        cache.put(key, DATA)


def test_clear_removes_entries_and_leaves_other_files(cache: Cache) -> None:
    """clear() deletes the cache's own files only: ANKIGEN_CACHE_DIR may name a shared folder."""
    cache.put(KEY, DATA)
    cache.put(hashlib.sha256(b"two").hexdigest(), DATA)
    (cache.folder / ".tmp-leftover").write_bytes(b"half")
    keep = cache.folder / "notes.txt"
    keep.write_text("mine")
    cache.clear()
    assert entry_files(cache) == [keep]
    assert cache.get(KEY) is None


def test_clearing_a_missing_folder_does_nothing(tmp_path: Path) -> None:
    """clear() on a cache never used neither fails nor creates the folder."""
    cache = Cache(tmp_path / "never")
    cache.clear()
    assert not cache.folder.exists()


def test_the_environment_variable_chooses_the_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """ANKIGEN_CACHE_DIR overrides the platform's cache folder."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "elsewhere"))
    assert default_folder() == tmp_path / "elsewhere"
    assert default_cache().folder == tmp_path / "elsewhere"


def test_without_the_variable_the_user_cache_folder_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The default is platformdirs' user cache folder for ankigen (~/.cache/ankigen on Linux)."""
    monkeypatch.delenv(CACHE_ENV, raising=False)
    expected = Path(platformdirs.user_cache_dir("ankigen", appauthor=False))
    assert default_folder() == expected


def test_an_empty_variable_means_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """ANKIGEN_CACHE_DIR= (set but empty) does not make the working folder the cache."""
    monkeypatch.setenv(CACHE_ENV, "")
    assert default_folder() == Path(platformdirs.user_cache_dir("ankigen", appauthor=False))


# --- files that are not entries -------------------------------------------------------------


def get_within(cache: Cache, key: str, seconds: float = 20) -> bytes | None:
    """``cache.get(key)`` in a thread, failing the test (not hanging it) if it does not return."""
    found: list[bytes | None] = []
    thread = threading.Thread(target=lambda: found.append(cache.get(key)), daemon=True)
    thread.start()
    thread.join(seconds)
    assert found, f"cache.get did not return within {seconds} s"
    return found[0]


def test_a_fifo_in_place_of_an_entry_is_a_miss_without_waiting(cache: Cache) -> None:
    """Opening a FIFO waits for a writer that never comes: it is never opened."""
    cache.put(KEY, DATA)
    cache.path(KEY).unlink()
    os.mkfifo(cache.path(KEY))
    assert get_within(cache, KEY) is None


def test_a_link_to_an_endless_device_is_a_miss_without_reading_it(cache: Cache) -> None:
    """/dev/zero never ends: it is not read at all (and the link is removed)."""
    cache.put(KEY, DATA)
    cache.path(KEY).unlink()
    cache.path(KEY).symlink_to("/dev/zero")
    assert get_within(cache, KEY) is None
    assert not cache.path(KEY).is_symlink()


def test_an_entry_over_the_size_limit_is_a_miss_without_reading_it(cache: Cache) -> None:
    """A sparse file of a few GB costs no disk but would cost memory: refused by its size."""
    cache.put(KEY, DATA)
    with cache.path(KEY).open("r+b") as file:
        file.truncate(4 * MAX_ENTRY)
    assert get_within(cache, KEY) is None


def test_data_over_the_size_limit_is_not_stored(cache: Cache) -> None:
    cache.put(KEY, bytes(MAX_ENTRY + 1))
    assert entry_files(cache) == []


# --- forged entries and the secret ----------------------------------------------------------


def test_an_entry_written_without_the_secret_is_not_believed(cache: Cache) -> None:
    """Someone who can write the folder but not read the secret writes a well-formed entry
    with a checksum of their data (as the old format had): it is a miss, and removed."""
    cache.put(KEY, DATA)
    forged = b"forged data"
    header = b"ankigen-cache 2\n" + hashlib.sha256(forged).hexdigest().encode()
    cache.path(KEY).write_bytes(header + b" %d\n" % len(forged) + forged)
    assert cache.get(KEY) is None
    assert not cache.path(KEY).exists()


def test_a_good_entry_copied_to_another_key_is_not_believed(cache: Cache) -> None:
    """The MAC covers the key: the entry of one rule does not verify as another rule's."""
    other = hashlib.sha256(b"another rule").hexdigest()
    cache.put(KEY, b'{"status": "proved"}')
    cache.path(other).write_bytes(cache.path(KEY).read_bytes())
    assert cache.get(other) is None
    assert cache.get(KEY) == b'{"status": "proved"}'


def test_the_secret_is_made_private_to_the_user(cache: Cache) -> None:
    cache.put(KEY, DATA)
    secret = cache.folder / SECRET_NAME
    status = secret.lstat()
    assert stat.S_ISREG(status.st_mode) and stat.S_IMODE(status.st_mode) == 0o600
    assert status.st_uid == os.getuid() and status.st_size == 32
    assert Cache(cache.folder).get(KEY) == DATA  # another build reads it back


@pytest.mark.parametrize("flaw", ["readable by others", "a link", "too short", "a folder"])
def test_a_secret_that_others_could_have_read_is_replaced(
    cache: Cache, tmp_path: Path, flaw: str
) -> None:
    """A secret someone else could know is no secret: a new one replaces it (mode 0600), and
    the entries it signed are misses."""
    cache.put(KEY, DATA)
    secret = cache.folder / SECRET_NAME
    known = secret.read_bytes()
    target = tmp_path / "elsewhere"
    target.write_bytes(known)
    if flaw == "readable by others":
        secret.chmod(0o644)
    elif flaw == "a link":
        secret.unlink()
        secret.symlink_to(target)
    elif flaw == "too short":
        secret.write_bytes(known[:8])
    else:
        secret.unlink()
        secret.mkdir()
    again = Cache(cache.folder)
    assert again.get(KEY) is None
    if flaw == "a folder":  # cannot be renamed over: no secret, so no cache at all
        assert again.secret() is None
        return
    assert again.secret() not in (None, known)
    assert stat.S_IMODE(secret.lstat().st_mode) == 0o600 and not secret.is_symlink()
    assert target.read_bytes() == known  # the link's target is left alone
    again.put(KEY, DATA)
    assert Cache(cache.folder).get(KEY) == DATA


@pytest.mark.skipif(os.getuid() != 0, reason="only root can give a file to another user")
def test_a_secret_owned_by_another_user_is_replaced(cache: Cache) -> None:
    cache.put(KEY, DATA)
    secret = cache.folder / SECRET_NAME
    known = secret.read_bytes()
    os.chown(secret, 65534, 65534)
    again = Cache(cache.folder)
    assert again.get(KEY) is None
    assert again.secret() not in (None, known)
    assert secret.stat().st_uid == os.getuid()


def test_clear_also_replaces_the_secret(cache: Cache) -> None:
    cache.put(KEY, DATA)
    known = cache.secret()
    cache.clear()
    assert not (cache.folder / SECRET_NAME).exists()
    assert cache.secret() not in (None, known)


# --- a forged verdict, end to end -----------------------------------------------------------

WRONG_CUBE = """\
deck: "Derivatives for ML::Test"
rules:
  - id: cube
    name: Cube
    function: x**3
    derivative: 3*x
    context: A power rule example.
"""
PROVED = b'{"detail": "", "method": "symbolic", "status": "proved"}'


@pytest.mark.parametrize("forgery", ["edited to say proved", "signed with another secret"])
def test_a_forged_proved_verdict_does_not_let_a_refuted_rule_into_a_deck(
    cli: Callable[..., Result],
    make_catalogue: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    forgery: str,
) -> None:
    """Someone who can write the cache folder but not read the user's secret turns the refuted
    verdict into "proved": the rule is proved again, stays refuted, and no deck is written."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    folder = make_catalogue(cube=WRONG_CUBE)
    assert cli("check", folder).exit_code == 1  # remembers "refuted"
    (rule,) = load_catalogue([folder]).rules
    entry = default_cache().path(proof_cache.verdict_key(rule))
    stored = entry.read_bytes()
    assert b'"refuted"' in stored
    if forgery == "edited to say proved":  # with a checksum of the new data, as before MACs
        magic, _header, _data = stored.split(b"\n", 2)
        checksum = hashlib.sha256(PROVED).hexdigest().encode()
        entry.write_bytes(magic + b"\n" + checksum + b" %d\n" % len(PROVED) + PROVED)
    else:
        attacker = Cache(tmp_path / "attacker")
        attacker.put(entry.name.removesuffix(".entry"), PROVED)
        entry.write_bytes(attacker.path(entry.name.removesuffix(".entry")).read_bytes())
    result = cli("build", folder, "-o", "deck.apkg")
    assert result.exit_code == 1, result.stdout
    assert "rule 'cube': derivative is wrong" in result.stderr
    assert not (tmp_path / "deck.apkg").exists()


@pytest.mark.parametrize(
    "entry",
    [
        b"[1, 2]",
        b'{"status": "proved"}',
        b'{"detail": 5, "method": "", "status": "proved"}',
        b'{"detail": "", "method": "", "status": "not proved"}',
        b'{"detail": "", "method": "", "status": ["proved"]}',
        b'{"detail": "", "method": "", "status": "proved", "extra": 1}',
        b"9" * 5000,
        b"[" * 100_000,
        b"\xff\xfe",
    ],
)
def test_a_signed_verdict_entry_that_is_not_ours_is_ignored(
    make_catalogue: Callable[..., Path], tmp_path: Path, entry: bytes
) -> None:
    """Even a verified entry is read as untrusted input: wrong types, unknown statuses, huge
    numbers and deep nesting are a miss (the rule is proved again), never a traceback."""
    (rule,) = load_catalogue([make_catalogue(cube=WRONG_CUBE)]).rules
    store = Cache(tmp_path / "cache")
    store.put(proof_cache.verdict_key(rule), entry)
    assert proof_cache.lookup([rule], store) == {}
