"""Golden files: what a renderer wrote once, read by eye and kept under ``tests/golden/``.

To change the expected output on purpose, run the tests with ``ANKIGEN_REGENERATE_GOLDEN=1``: the
files are rewritten and every regenerated test fails, saying so, so that regenerating can never
pass silently. Then read the diff of ``tests/golden/`` by eye before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("ANKIGEN_REGENERATE_GOLDEN") == "1"


def check_golden(path: Path, actual: str) -> None:
    """Compare with the golden file, or rewrite it (and fail) when regenerating."""
    if REGENERATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        pytest.fail(f"regenerated {path.relative_to(GOLDEN.parent)}: read it, then run without "
                    "ANKIGEN_REGENERATE_GOLDEN")  # fmt: skip
    if not path.is_file():
        pytest.fail(f"no golden file {path}; run with ANKIGEN_REGENERATE_GOLDEN=1 to create it")
    assert actual == path.read_text(encoding="utf-8")


def golden_files() -> set[str]:
    """Every golden file, by its path under ``tests/golden/``."""
    return {p.relative_to(GOLDEN).as_posix() for p in GOLDEN.rglob("*") if p.is_file()}
