"""The on-disk cache of rendered images: a speed-up that must never be trusted blindly.

Entries carry the sha256 of their data, so a truncated or corrupted file is a miss (and is
removed), never bytes that end up in a deck; writes go through a temporary file and a rename;
a cache that cannot be written makes a build slower, never a failed build.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import platformdirs
import pytest

from ankigen.cache import CACHE_ENV, Cache, default_cache, default_folder

KEY = hashlib.sha256(b"some rendered formula").hexdigest()
DATA = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.fixture
def cache(tmp_path: Path) -> Cache:
    return Cache(tmp_path / "cache")


def entry_files(cache: Cache) -> list[Path]:
    return sorted(cache.folder.iterdir()) if cache.folder.exists() else []


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
