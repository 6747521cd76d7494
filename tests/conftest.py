"""Shared fixtures: catalogues on disk, the CLI through click's runner, the bundled folder."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ankigen.cli import main
from ankigen.plumbing.resources import bundled_catalogue

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Tests never read or fill the user's own cache: one fresh cache folder for the session
    (shared by the subprocesses the tests start, through the environment)."""
    folder = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ANKIGEN_CACHE_DIR", str(folder))
        yield folder


@pytest.fixture
def bundled() -> Path:
    """The catalogue folder that ships with ankigen."""
    return bundled_catalogue()


@pytest.fixture
def make_catalogue(tmp_path: Path) -> Callable[..., Path]:
    """Write YAML files (name -> text, dedented) into a fresh folder and return the folder."""
    counter = iter(range(1_000_000))

    def make(files: dict[str, str] | None = None, /, **by_name: str) -> Path:
        folder = tmp_path / f"catalogue-{next(counter)}"
        folder.mkdir()
        for name, text in {**(files or {}), **by_name}.items():
            path = folder / (name if name.endswith(".yaml") else f"{name}.yaml")
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return folder

    return make


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., Result]:
    """Run ``ankigen ARGS`` in-process from tmp_path, with stdout and stderr kept apart."""
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)

    return run
