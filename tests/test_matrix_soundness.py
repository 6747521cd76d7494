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
from ankigen.records import Status
from ankigen.verify.prove import verify_rules

FIXTURE = Path(__file__).parent / "fixtures" / "matrix_claims.yaml"
CLAIMS: list[dict[str, Any]] = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))["claims"]
KEYS = ("shapes", "function", "variable", "derivative", "assume")


def _catalogue(folder: Path, claim: dict[str, Any]) -> Path:
    """One claim as a catalogue file of its own (with its own define: block, if any)."""
    folder.mkdir(parents=True)
    rule = {key: claim[key] for key in KEYS if key in claim}
    rule |= {"id": claim["id"].lower(), "name": claim["id"], "context": claim["why"]}
    text: dict[str, Any] = {"deck": "Matrix claims", "rules": [rule]}
    if "define" in claim:
        text["define"] = claim["define"]
    (folder / "claim.yaml").write_text(yaml.safe_dump(text, sort_keys=False), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Status | None, str]]:
    """Every claim's verdict, proved once for the whole module (two workers); None for a claim
    the loader refused, with its message."""
    root = tmp_path_factory.mktemp("claims")
    found: dict[str, tuple[Status | None, str]] = {}
    rules = []
    for claim in CLAIMS:
        try:
            (rule,) = load_catalogue([_catalogue(root / claim["id"], claim)]).rules
        except CatalogueError as refused:
            found[claim["id"]] = (None, refused.format_message())
        else:
            rules.append((claim["id"], rule))
    checked = verify_rules([rule for _, rule in rules], timeout=60, jobs=2)
    for (claim_id, _), verdict in zip(rules, checked, strict=True):
        found[claim_id] = (verdict.status, verdict.detail or verdict.method)
    return found


def _ids(expect: str) -> list[str]:
    return [c["id"] for c in CLAIMS if c["expect"] == expect]


def test_the_fixture_holds_many_claims_of_each_kind() -> None:
    assert len(_ids("refuted")) >= 40 and len(_ids("proved")) >= 30
    assert len(_ids("shape-error")) >= 8


@pytest.mark.parametrize("claim_id", _ids("refuted"))
def test_a_wrong_claim_is_refuted_with_the_sizes_and_the_entry(
    verdicts: dict[str, tuple[Status | None, str]], claim_id: str
) -> None:
    """Refuted at a point naming the sizes and the entry, or refused by the loader (a claim that
    names a symbol its function does not have)."""
    status, detail = verdicts[claim_id]
    if status is None:
        assert "claim.yaml:" in detail, detail
        return
    assert status == Status.REFUTED, (claim_id, status, detail)
    assert re.search(r"\b[a-z]\w* = ", detail), detail  # the sizes (n = 2) and the point
    assert "entry" in detail or "the claim" in detail, detail


@pytest.mark.parametrize("claim_id", _ids("proved"))
def test_a_right_claim_is_proved_and_says_for_which_sizes(
    verdicts: dict[str, tuple[Status | None, str]], claim_id: str
) -> None:
    status, method = verdicts[claim_id]
    assert status == Status.PROVED, (claim_id, status, method)
    assert method.endswith(("all sizes", "sizes ≤ 3")), method


@pytest.mark.parametrize("claim_id", _ids("shape-error"))
def test_a_shape_error_is_refused_by_the_loader_naming_both_shapes(
    verdicts: dict[str, tuple[Status | None, str]], claim_id: str
) -> None:
    status, message = verdicts[claim_id]
    assert status is None, (claim_id, status, message)
    assert "claim.yaml:" in message and f"rule '{claim_id.lower()}'" in message, message
    shapes = re.findall(r"\[[\w, ]+\]|a scalar", message)
    assert len(set(shapes)) >= 2, message


SIGN_OF_ZERO = """
deck: Right claims
rules:
  - id: sign-of-exact-zero-constant
    name: A function times sign(0)
    shapes: {x: [n]}
    function: sign(atan(5) + atan(1/5) - pi/2) * x.T @ x
    variable: x
    derivative: 0 * x
    context: atan(5) + atan(1/5) = pi/2, so the function is 0 everywhere.
  - id: sign-of-exact-zero-symbol
    name: The same with a positive symbol
    shapes: {x: [n]}
    function: sign(atan(c) + atan(1/c) - pi/2) * x.T @ x + c
    variable: x
    derivative: 0 * x
    assume: ["c > 0"]
    context: atan(c) + atan(1/c) = pi/2 for every c > 0.
"""


def test_a_kink_at_a_constant_that_is_zero_is_never_a_refutation(tmp_path: Path) -> None:
    """The sign of a constant that is 0 without sympy seeing it is noise at any precision: a
    right claim about it may stay unproved, but is never refuted on that noise."""
    (tmp_path / "right.yaml").write_text(SIGN_OF_ZERO, encoding="utf-8")
    rules = load_catalogue([tmp_path]).rules
    for rule, verdict in zip(rules, verify_rules(rules, timeout=60, jobs=2), strict=True):
        assert verdict.status != Status.REFUTED, (rule.id, verdict.detail)


REVIEW = Path(__file__).parent / "fixtures" / "matrix_review"


@pytest.fixture(scope="module")
def reviewed() -> dict[str, tuple[Status, str]]:
    """The verdicts of the second review's claims (tests/fixtures/matrix_review/)."""
    rules = load_catalogue([REVIEW]).rules
    verdicts = verify_rules(rules, timeout=60, jobs=2)
    return {r.id: (v.status, v.detail or v.method) for r, v in zip(rules, verdicts, strict=True)}


def test_all_sizes_is_not_claimed_from_sympys_derivative_of_a_sum_of_traces(
    reviewed: dict[str, tuple[Status, str]],
) -> None:
    """sympy 1.14 differentiates a sum of traces to 0: e₄ written with traces is 0 up to size 3
    and det X at size 4, so a claim of 0 is right at sizes ≤ 3 only, and says no more."""
    assert reviewed["cayley-hamilton-e4"] == (Status.PROVED, "entry by entry, sizes ≤ 3")


def test_max_and_min_of_entries_are_proved(reviewed: dict[str, tuple[Status, str]]) -> None:
    assert reviewed["max-right-crash"][0] == Status.PROVED
    assert reviewed["min-right-crash"][0] == Status.PROVED


def test_a_point_on_a_kink_never_refutes_a_right_claim(
    reviewed: dict[str, tuple[Status, str]],
) -> None:
    """x = y at a sample point is a kink of Max(x, y), where the claim's sign(0) or
    Heaviside(0) is a convention: such a point is redrawn, never a refutation."""
    for rule_id in ("relu-tie-a", "relu-tie-c"):
        assert reviewed[rule_id][0] != Status.REFUTED, reviewed[rule_id]


def test_a_kink_whose_sign_is_0_on_a_region_is_never_proved(
    reviewed: dict[str, tuple[Status, str]],
) -> None:
    """sign(Max(0, 10 - x)) is 0 for every x > 10: not t/|t| there. Points far out refute it;
    a claim wrong only on a thin band may be left unproved, never proved."""
    for rule_id, (status, detail) in reviewed.items():
        if rule_id.startswith("review-"):
            assert status != Status.PROVED, (rule_id, detail)
            if "band" not in rule_id:
                assert status == Status.REFUTED, (rule_id, detail)


AS_WRITTEN = """
deck: Claims sympy simplifies
rules:
  - id: divided-by-a-relu
    name: Wrong where an entry is not positive
    shapes: {x: [n]}
    function: sum(x * x) / 2
    variable: x
    derivative: x * Max(0, x) / Max(0, x)
    context: sympy makes x of it, but the text divides by 0 where an entry is not positive.
  - id: a-tie-on-a-region
    name: Wrong where an entry is positive
    shapes: {x: [n]}
    function: sum(x * x) / 2
    variable: x
    derivative: x * Min(0, x - Abs(x)) / Min(0, x - Abs(x))
    context: the divisor is 0 wherever an entry is positive, though each point is a tie.
  - id: log-of-an-entry
    name: Right, through complex values
    shapes: {x: [n]}
    function: sum(x * x) / 2
    variable: x
    derivative: exp(log(x))
    context: exp(log(x)) is x for negative entries too (log(-2) is complex, its exp real).
"""


def test_a_claim_is_read_as_written_not_as_sympy_simplifies_it(tmp_path: Path) -> None:
    """sympy builds Max(0, x)/Max(0, x) as 1 and exp(log(x)) as x: the text has no value on a
    whole region where the derivative has one, and is refuted there, naming what fails."""
    (tmp_path / "written.yaml").write_text(AS_WRITTEN, encoding="utf-8")
    rules = load_catalogue([tmp_path]).rules
    checked = verify_rules(rules, timeout=60, jobs=2)
    verdicts = {v.rule_id: v for v in checked}
    for rule_id in ("divided-by-a-relu", "a-tie-on-a-region"):
        verdict = verdicts[rule_id]
        assert verdict.status == Status.REFUTED, (rule_id, verdict)
        assert "as written has no value" in verdict.detail, verdict.detail
    assert verdicts["log-of-an-entry"].status == Status.PROVED


SINGULAR_AT_LARGE_SIZES = """
deck: All sizes
rules:
  - id: cancelled-determinant
    name: No value at n = 4 or more
    shapes: {X: [n, 3]}
    function: trace(X.T @ X) / 2
    variable: X
    derivative: det(X @ X.T) / det(X @ X.T) * X
    context: X Xᵀ has rank 3 at most, so it is singular at every n of 4 or more.
  - id: cancelled-inverse
    name: The same with an inverse
    shapes: {X: [n, 3]}
    function: trace(X.T @ X) / 2
    variable: X
    derivative: inv(X @ X.T) @ X @ X.T @ X
    context: the inverse of X Xᵀ does not exist at any n of 4 or more.
"""


def test_an_inverse_sympy_cancels_at_symbolic_size_is_no_proof_for_all_sizes(
    tmp_path: Path,
) -> None:
    """sympy's matrix algebra cancels det(M)/det(M) and inv(M) @ M for M of symbolic size, even
    where M is singular at every size past 3: right for sizes ≤ 3, never "all sizes"."""
    (tmp_path / "sizes.yaml").write_text(SINGULAR_AT_LARGE_SIZES, encoding="utf-8")
    rules = load_catalogue([tmp_path]).rules
    for verdict in verify_rules(rules, timeout=60, jobs=2):
        assert verdict.status == Status.PROVED, verdict
        assert verdict.method.endswith("sizes ≤ 3"), verdict
