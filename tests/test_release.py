"""The release: what ``python -m build`` makes of the repository is what PyPI and a user get.

The sdist and the wheel pass ``twine check --strict`` (PyPI's own metadata rules), carry the
bundled catalogue, the assets, the schema and the licence, and say the version that
``ankigen/__init__.py`` holds, the one place it is written. The wheel, installed with its
dependencies into a fresh environment, builds the bundled deck from a folder that has nothing to do
with the repository. That last test installs numpy, sympy and matplotlib (half a minute or more),
so it is marked ``release`` and left out of the default run; ``.ci/run`` runs it after the suite
(``pytest -m release``).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from email.message import Message
from email.parser import Parser
from pathlib import Path

import pytest

import ankigen
from ankigen.load.catalogue import load_catalogue
from ankigen.plumbing.resources import bundled_catalogue
from ankigen.write.package import note_guid

ROOT = Path(__file__).resolve().parents[1]
VERSION = ankigen.__version__
# What the installed package needs at run time, from the folders at the top of the repository.
DATA = ("cards", "assets", "schema")


def _run(command: list[str | Path], cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run a command to its end (ten minutes at most: a hang fails the test), and return its
    output; a non-zero exit fails the test with everything it printed."""
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, (
        f"{command} exited {result.returncode}:\n{result.stdout}{result.stderr}"
    )
    return result.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist and the wheel, built as a release is: ``python -m build`` in an isolated
    environment, the wheel from the sdist (so the sdist must hold all the wheel needs)."""
    folder = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--outdir", folder, ROOT], cwd=folder)
    return folder


def _wheel(dist: Path) -> Path:
    return dist / f"ankigen-{VERSION}-py3-none-any.whl"


def _sdist(dist: Path) -> Path:
    return dist / f"ankigen-{VERSION}.tar.gz"


def _data_files() -> set[str]:
    """The files of cards/, assets/ and schema/, relative to the repository."""
    listed = {
        path.relative_to(ROOT).as_posix()
        for folder in DATA
        for path in (ROOT / folder).rglob("*")
        if path.is_file()
    }
    assert any(name.startswith("cards/") and name.endswith(".yaml") for name in listed)
    return listed


def _metadata(dist: Path) -> Message:
    with zipfile.ZipFile(_wheel(dist)) as wheel:
        text = wheel.read(f"ankigen-{VERSION}.dist-info/METADATA").decode()
    return Parser().parsestr(text)


def test_the_build_makes_exactly_one_sdist_and_one_wheel_named_by_the_version(dist: Path) -> None:
    assert sorted(path.name for path in dist.iterdir()) == sorted(
        [_sdist(dist).name, _wheel(dist).name]
    )


def test_twine_check_strict_accepts_both(dist: Path) -> None:
    """PyPI's rules for the metadata and the README's markup, warnings counted as errors."""
    output = _run(
        [sys.executable, "-m", "twine", "check", "--strict", _sdist(dist), _wheel(dist)], cwd=dist
    )
    assert output.count("PASSED") == 2, output


def test_the_wheel_holds_the_catalogue_assets_schema_and_licence(dist: Path) -> None:
    with zipfile.ZipFile(_wheel(dist)) as wheel:
        names = set(wheel.namelist())
    # Where ankigen/resources.py looks for them in an installed copy.
    assert {f"ankigen/_data/{name}" for name in _data_files()} <= names
    assert f"ankigen-{VERSION}.dist-info/licenses/LICENSE" in names
    assert "ankigen/cli.py" in names
    assert not any(name.startswith(("tests/", "cards/", ".venv/")) for name in names), names


def test_the_sdist_holds_them_too_with_the_licence_changelog_and_tests(dist: Path) -> None:
    with tarfile.open(_sdist(dist)) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    expected = _data_files() | {"LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml"}
    assert expected <= names
    assert "tests/test_release.py" in names
    assert not any(name.startswith((".venv/", ".git/")) for name in names)


def test_the_version_is_written_once_in_the_package(dist: Path) -> None:
    """pyproject.toml takes the version from ``ankigen.__version__`` (which ``ankigen
    --version`` and the cache keys use) instead of a copy that could drift."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "version" not in project
    assert "version" in project["dynamic"]
    assert _metadata(dist)["Version"] == VERSION


def test_the_changelog_has_an_entry_for_the_version() -> None:
    """A version set without its notes fails here (the README's release steps do both)."""
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"\n## {VERSION} - " in changelog


def test_the_metadata_names_the_licence_python_and_topic(dist: Path) -> None:
    metadata = _metadata(dist)
    assert metadata["License-Expression"] == "MIT"
    assert metadata["Requires-Python"] == ">=3.11"
    classifiers = metadata.get_all("Classifier") or []
    assert "Topic :: Education" in classifiers
    assert "Programming Language :: Python :: 3.11" in classifiers
    # PEP 639: the expression replaces the licence classifiers, which PyPI now warns about.
    assert not [c for c in classifiers if c.startswith("License ::")]


@pytest.mark.release
def test_the_installed_wheel_builds_the_bundled_deck_from_any_folder(
    dist: Path, tmp_path: Path
) -> None:
    """A fresh environment, the wheel installed with its dependencies as a user would (pip
    resolves them from the index), and ``ankigen build`` run in an empty folder elsewhere: the
    deck holds a note for every bundled rule."""
    environment = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", environment], cwd=tmp_path)
    _run([environment / "bin" / "python", "-m", "pip", "install", _wheel(dist)], cwd=tmp_path)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # Nothing of the test's own environment points at the source tree.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    installed = _run(
        [environment / "bin" / "python", "-c", "import ankigen; print(ankigen.__file__)"],
        cwd=elsewhere,
        env=env,
    )
    assert Path(installed.strip()).is_relative_to(environment), installed
    assert _run([environment / "bin" / "ankigen", "--version"], cwd=elsewhere, env=env) == (
        f"ankigen, version {VERSION}\n"
    )

    _run([environment / "bin" / "ankigen", "build", "-o", "deck.apkg"], cwd=elsewhere, env=env)
    deck = elsewhere / "deck.apkg"
    assert zipfile.is_zipfile(deck)
    with zipfile.ZipFile(deck) as package:
        assert package.testzip() is None
        package.extract("collection.anki2", tmp_path)
    connection = sqlite3.connect(tmp_path / "collection.anki2")
    try:
        guids = {guid for (guid,) in connection.execute("SELECT guid FROM notes")}
    finally:
        connection.close()
    rules = load_catalogue([bundled_catalogue()]).rules
    assert guids == {note_guid(rule.id) for rule in rules}
    # The bundled lock is a reference read in the package: the folder gets the deck alone.
    assert [path.name for path in elsewhere.iterdir()] == ["deck.apkg"]
