"""Proved means proved for vectors and matrices: a set of right and wrong matrix-calculus claims,
written in the catalogue's own syntax, goes through the real loader and the real prover.

The wrong claims are of the kinds that fool a check at one size or one point: right when every
size is 1 (2Ax for xᵀAx, A for ∂tr(AX)/∂X, X⁻¹ for ∂ log det X/∂X), transposed, short of a
factor, right only when two dimensions are equal, or right only under a condition nobody
stated (s − y without sum(y) = 1). Every one must be refused; every right one proved; every
shape error refused by the loader naming both shapes. ``tests/fixtures/matrix_claims.yaml``
holds them, each with the reason it is right or wrong; ``bench/check_matrix_content.py`` checks
the same file with a translator of its own, independent of ankigen's.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from ankigen.errors import CatalogueError
from ankigen.load.catalogue import load_catalogue
from ankigen.records import Rule, Status
from ankigen.verify.prove import verify_rules

FIXTURE = Path(__file__).parent / "fixtures" / "matrix_claims.yaml"
CLAIMS: list[dict[str, Any]] = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))["claims"]
KEYS = ("shapes", "function", "variable", "derivative", "assume")


def _catalogue(folder: Path, claims: list[dict[str, Any]]) -> Path:
    """The claims as one catalogue file per claim (its own define: block, if any)."""
    folder.mkdir()
    for claim in claims:
        rule = {key: claim[key] for key in KEYS if key in claim}
        rule |= {"id": claim["id"], "name": claim["id"], "context": claim["why"]}
        text: dict[str, Any] = {"deck": "Matrix claims", "rules": [rule]}
        if "define" in claim:
            text["define"] = claim["define"]
        (folder / f"{claim['id']}.yaml").write_text(yaml.safe_dump(text, sort_keys=False))
    return folder


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Rule, Status, str]]:
    """Every claim that loads, proved once for the whole module (two workers)."""
    loadable = [c for c in CLAIMS if c["expect"] != "shape-error"]
    folder = _catalogue(tmp_path_factory.mktemp("claims") / "cards", loadable)
    rules = load_catalogue([folder]).rules
    found = verify_rules(rules, timeout=60, jobs=2)
    return {r.id: (r, v.status, v.detail or v.method) for r, v in zip(rules, found, strict=True)}


def _ids(expect: str) -> list[str]:
    return [c["id"] for c in CLAIMS if c["expect"] == expect]


def test_the_fixture_holds_many_claims_of_each_kind() -> None:
    assert len(_ids("refuted")) >= 40 and len(_ids("proved")) >= 30
    assert len(_ids("shape-error")) >= 8


@pytest.mark.parametrize("claim_id", _ids("refuted"))
def test_a_wrong_claim_is_refuted_with_the_sizes_and_the_entry(
    verdicts: dict[str, tuple[Rule, Status, str]], claim_id: str
) -> None:
    rule, status, detail = verdicts[claim_id]
    assert status == Status.REFUTED, (claim_id, status, detail)
    assert re.search(r"\b[a-z]\w* = \d", detail), detail  # the sizes (n = 2), or the point
    if rule.shapes and "entry" not in detail:
        pytest.fail(f"{claim_id}: the refutation does not name the entry: {detail}")


@pytest.mark.parametrize("claim_id", _ids("proved"))
def test_a_right_claim_is_proved_and_says_for_which_sizes(
    verdicts: dict[str, tuple[Rule, Status, str]], claim_id: str
) -> None:
    _, status, method = verdicts[claim_id]
    assert status == Status.PROVED, (claim_id, status, method)
    assert method.endswith(("all sizes", "sizes ≤ 3")), method


@pytest.mark.parametrize("claim_id", _ids("shape-error"))
def test_a_shape_error_is_refused_by_the_loader_naming_both_shapes(
    tmp_path: Path, claim_id: str
) -> None:
    claim = next(c for c in CLAIMS if c["id"] == claim_id)
    folder = _catalogue(tmp_path / "cards", [claim])
    with pytest.raises(CatalogueError) as refused:
        load_catalogue([folder])
    message = refused.value.format_message()
    assert f"{claim_id}.yaml:" in message and f"rule '{claim_id}'" in message
    shapes = re.findall(r"\[[\w, ]+\]|a scalar", message)
    assert len(set(shapes)) >= 2, message
