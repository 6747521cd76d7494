"""Reading a catalogue file's YAML: what is read at all (size, links, FIFOs, devices), its
text (UTF-8, a byte order mark, Windows line endings), and the limits that keep a small file
from growing huge (an alias bomb) or crashing the reader (nesting), with or without libyaml.
Each goes through ``load_catalogue``, as an author meets it."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import processes
import pytest
from loading import GOOD, MakeCatalogue, assert_problems, good, load_one, problems_of, summary

from ankigen.errors import CatalogueError
from ankigen.load import yamlfile
from ankigen.load.catalogue import load_catalogue
from ankigen.load.yamlfile import MAX_FILE_BYTES
from ankigen.plumbing.files import FileTooLarge, NotARegularFile, read_regular_file


def test_bytes_that_are_not_utf8_are_reported_on_their_line(make_catalogue: MakeCatalogue) -> None:
    """A file saved in Latin-1 is refused with the line of its first bad byte."""
    folder = make_catalogue(bad=GOOD)
    latin1 = GOOD.replace("Used everywhere.", "Used in caf\u00e9s.").encode("latin-1")
    (folder / "bad.yaml").write_bytes(latin1)
    assert_problems(problems_of(folder), [("bad.yaml", 7, None, "the file is not UTF-8 text")])


def test_a_byte_order_mark_and_windows_line_endings_load_fine(
    make_catalogue: MakeCatalogue,
) -> None:
    """Files saved by Windows editors (BOM, CRLF) are read like any other."""
    folder = make_catalogue(good=GOOD)
    (folder / "good.yaml").write_bytes(b"\xef\xbb\xbf" + GOOD.replace("\n", "\r\n").encode())
    rule = load_one(folder)
    assert (rule.id, rule.name, rule.context) == ("square", "Square", "Used everywhere.")
    assert rule.location.line == 3
    assert rule.derivative_location.line == 6


def test_lines_are_right_in_a_file_with_windows_line_endings(make_catalogue: MakeCatalogue) -> None:
    """CRLF does not shift the line a mistake is reported on."""
    folder = make_catalogue(bad=GOOD)
    text = good(derivative="    derivative: 2*y")
    (folder / "bad.yaml").write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    assert_problems(problems_of(folder), [("bad.yaml", 6, "square", "derivative uses 'y'")])


def test_a_billion_laughs_alias_bomb_is_refused_quickly(make_catalogue: MakeCatalogue) -> None:
    """Nine levels of nine aliases (387 million values) are refused without expanding them."""
    levels = "".join(
        f"{name}: &{name} [{', '.join(['*' + previous] * 9)}]\n"
        for previous, name in zip("abcdefgh", "bcdefghi", strict=True)
    )
    bomb = (
        'deck: "Derivatives for ML::Test"\n'
        'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
        + levels
        + GOOD.split("\n", 1)[1]
    )
    folder = make_catalogue(bad=bomb)
    outcome: dict[str, object] = {}

    def load() -> None:
        try:
            load_catalogue([folder])
        except CatalogueError as error:
            outcome["problems"] = error.problems

    started = time.monotonic()
    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive(), "loading an alias bomb did not finish within 30 s"
    assert time.monotonic() - started < 30
    problems = outcome["problems"]
    assert isinstance(problems, tuple)
    assert [p.message for p in problems] == [
        "the file expands to more than 200000 values (too many aliases?)"
    ]


def test_a_file_over_5_mb_is_refused_before_it_is_parsed(make_catalogue: MakeCatalogue) -> None:
    """A huge file is refused by size, so YAML never spends minutes on it."""
    folder = make_catalogue(big=GOOD)
    padding = b"# " + b"x" * (MAX_FILE_BYTES - len(GOOD)) + b"\n"
    (folder / "big.yaml").write_bytes(GOOD.encode() + padding)
    assert (folder / "big.yaml").stat().st_size > 5 * 1024 * 1024
    started = time.monotonic()
    (problem,) = problems_of(folder)
    assert time.monotonic() - started < 5
    assert summary(problem)[0] == "big.yaml"
    assert "a catalogue file may be at most 5 MB" in problem.message


# --- YAML without libyaml -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "line", "message"),
    [
        ("self-referencing-alias", 1, "an alias refers to a node that contains it"),
        ("deep-yaml-nesting", None, "the YAML is nested too deeply"),
        ("tab-indentation", 4, "indent with spaces, not tabs"),
    ],
)
def test_without_libyaml_the_pure_parser_gives_its_own_located_messages(
    monkeypatch: pytest.MonkeyPatch, case: str, line: int | None, message: str
) -> None:
    """Where PyYAML has no libyaml (or an old one), its own parser composes every file: an
    alias cycle is still caught, and nesting too deep for Python's recursion is still refused
    (libyaml reports it with a line, as the fixtures expect)."""
    monkeypatch.setattr(yamlfile, "_LIBYAML_LIMITS_NESTING", False)
    folder = Path(__file__).parent / "fixtures" / "bad" / case
    assert_problems(problems_of(folder), [("bad.yaml", line, None, message)])


def test_libyaml_and_the_pure_parser_read_the_bundled_catalogue_alike(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same rules, lines and all, whichever parser composed the YAML."""
    from ankigen.plumbing.resources import bundled_catalogue as folder

    with_libyaml = load_catalogue([folder()])
    monkeypatch.setattr(yamlfile, "_LIBYAML_LIMITS_NESTING", False)
    assert load_catalogue([folder()]) == with_libyaml


# --- hostile files: what is not read, and how it is named ---------------------------------------


def test_a_huge_sparse_file_is_refused_by_its_size_before_a_byte_is_read(
    make_catalogue: MakeCatalogue,
) -> None:
    """A 3 GB file (sparse: it takes no disk) next to a good one: `ankigen list` with 1.5 GB of
    address space refuses it by its size, located, where it used to read it into memory."""
    folder = make_catalogue(good=GOOD)
    with (folder / "huge.yaml").open("wb") as handle:
        handle.truncate(3 * 1024**3)
    result = processes.run(["list", folder.name], folder.parent, processes.LIMIT)
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        f"{folder.name}/huge.yaml: the file is 3221.2 MB; a catalogue file may be at most 5 MB\n"
    )


NOT_REGULAR = "the file is not a regular file (a FIFO, a device or a socket)"


def test_a_fifo_named_yaml_is_reported_and_never_waited_on(make_catalogue: MakeCatalogue) -> None:
    """A FIFO would block the reader until someone writes to it: it is refused unopened."""
    folder = make_catalogue(good=GOOD)
    os.mkfifo(folder / "pipe.yaml")
    assert_problems(problems_of(folder), [("pipe.yaml", None, None, NOT_REGULAR)])


def test_a_link_to_a_device_is_refused_and_never_read(make_catalogue: MakeCatalogue) -> None:
    """A link to /dev/zero would never end: it is refused (it leads out of the folder), and the
    reading helper itself refuses a device, whatever the path leading to it."""
    folder = make_catalogue(good=GOOD)
    (folder / "zero.yaml").symlink_to("/dev/zero")
    (problem,) = problems_of(folder)
    assert summary(problem)[0] == "zero.yaml"
    with pytest.raises(NotARegularFile):
        read_regular_file(folder / "zero.yaml", 10)


def test_a_file_that_grows_past_the_limit_while_read_is_refused(tmp_path: Path) -> None:
    """/proc files report a size of 0: the read itself stops after the limit."""
    with pytest.raises(FileTooLarge):
        read_regular_file(Path("/proc/self/maps"), 10)
    assert read_regular_file(Path("/proc/self/maps"), MAX_FILE_BYTES).endswith(b"\n")


def test_a_link_out_of_the_catalogue_folder_is_refused_without_echoing_its_target(
    make_catalogue: MakeCatalogue, tmp_path: Path
) -> None:
    """A shared catalogue's link to a private file would show its lines in the messages."""
    secret = tmp_path / "secret.txt"
    secret.write_text("root-password: hunter2\n", encoding="utf-8")
    folder = make_catalogue(good=GOOD)
    (folder / "notes.yaml").symlink_to(secret)
    (problem,) = problems_of(folder)
    assert summary(problem) == (
        "notes.yaml",
        None,
        None,
        "the file is a symbolic link to a file outside the catalogue folder",
    )
    assert "hunter2" not in str(problem) and "secret" not in str(problem)


def test_a_link_within_the_catalogue_folder_is_read(make_catalogue: MakeCatalogue) -> None:
    """Links that stay inside the folder are fine (here to a file the loader does not list)."""
    folder = make_catalogue()
    (folder / "sources").mkdir()
    (folder / "sources" / "square.txt").write_text(GOOD, encoding="utf-8")
    (folder / "square.yaml").symlink_to(Path("sources") / "square.txt")
    assert load_one(folder).id == "square"


def test_a_link_to_nothing_is_reported_not_skipped(make_catalogue: MakeCatalogue) -> None:
    """A dangling link, or a loop of links, is a file the author expects to be read."""
    folder = make_catalogue(good=GOOD)
    (folder / "gone.yaml").symlink_to("missing.yaml")
    (folder / "loop.yaml").symlink_to("loop.yaml")
    dangling = "the file is a symbolic link to nothing (a missing file or a loop)"
    assert_problems(
        problems_of(folder),
        [("gone.yaml", None, None, dangling), ("loop.yaml", None, None, dangling)],
    )
