"""The project's own checks, run with the tests so that one command checks everything."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [p for p in ("ankigen", "tests", "bench", "docs") if (ROOT / p).is_dir()]


@pytest.mark.parametrize(
    "command",
    [["ruff", "check", *SOURCES], ["ruff", "format", "--check", *SOURCES], ["mypy"]],
    ids=["ruff-check", "ruff-format", "mypy-strict"],
)
def test_the_code_passes_its_own_checks(command: list[str]) -> None:
    """ruff (lint and format) and mypy --strict, configured in pyproject.toml, report nothing."""
    result = subprocess.run(
        [sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
