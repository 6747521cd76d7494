"""The verification stage: prove each rule's claimed derivative with sympy, or say why not.

A rule's verdict is one of four (:class:`Verdict`):

* ``proved``: sympy shows ``claim - d(function)/d(variable)`` is exactly zero
  (:mod:`ankigen.verify.casesplit`; where there are kinks, on every region between them, so the
  claim may say anything at the kinks themselves), *and* the claim agrees with the derivative at
  every sample point, spread across scales and inside every region (:mod:`ankigen.verify.refuter`).
  Either line alone can stop a wrong claim.
* ``refuted``: at an exact rational point the claim and the true derivative differ, off the
  kinks. Abstract functions (``g(x)``) are replaced by concrete ones for this test.
* ``not proved``: no counterexample, but no proof either (only numerical agreement), or the
  proof ran out of time or memory.
* ``invalid``: the function or the claim has no value anywhere (``1/(x - x)``, or no real
  value at any point tried): a mistake in the input, reported like one (exit 2).

Only ``proved`` rules are exported. Proofs run in worker processes (``workers``) that are killed
at the time limit, because sympy cannot be interrupted reliably from inside. The
:class:`~ankigen.records.Verdict` record and its statuses live in ``model``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sympy as sp

from ankigen.expr.symbolic import Translator
from ankigen.plumbing import workers
from ankigen.records import Rule, Status, Verdict
from ankigen.verify.casesplit import prove_equal
from ankigen.verify.matrices import prove_matrix_rule
from ankigen.verify.refuter import Refuter


def verify_rules(
    rules: Sequence[Rule],
    *,
    timeout: float,
    jobs: int | None = None,
    on_verdict: Callable[[Verdict], None] | None = None,
) -> tuple[Verdict, ...]:
    """Verify every rule, each in a worker process with ``timeout`` seconds, in the rules' order."""

    def out_of_time(rule: Rule) -> Verdict:
        return Verdict(
            rule.id, Status.NOT_PROVED, f"not proved within the time limit of {timeout:g} s"
        )

    def crashed(rule: Rule, reason: str) -> Verdict:
        return Verdict(rule.id, Status.NOT_PROVED, f"not proved: the proof stopped ({reason})")

    # The longest proofs first, so that no worker is left with one while the others idle.
    order = sorted(range(len(rules)), key=lambda i: -_expected_work(rules[i]))
    verdicts = workers.run(
        prove,
        [rules[i] for i in order],
        timeout=timeout,
        jobs=jobs,
        on_timeout=out_of_time,
        on_failure=crashed,
        on_result=on_verdict,
    )
    in_order = dict(zip(order, verdicts, strict=True))
    return tuple(in_order[i] for i in range(len(rules)))


def _expected_work(rule: Rule) -> int:
    """A rough rank of a proof's cost: a rule with shapes is proved at every size 1 … 3 of
    each dimension name, each about the work of a scalar rule."""
    names = {d for _, shape in rule.shapes for d in shape if not d.isdigit()}
    return 3 ** len(names) + 1 if rule.is_matrix else 1


def prove(rule: Rule) -> Verdict:
    """Verify one rule in this process (no time limit: ``verify_rules`` adds it).

    The symbolic proof is one line of defence; the claim must also agree with the derivative
    at every sample point, spread across scales and inside every region of the case split,
    before it is called proved: a disagreement anywhere is a refutation, whatever sympy said.
    """
    if rule.is_matrix:  # vectors and matrices: entry by entry, at several sizes
        return prove_matrix_rule(rule)
    return _prove_scalar(rule)


def _prove_scalar(rule: Rule) -> Verdict:
    translate = Translator(rule.assumptions, {d.name: d for d in rule.definitions})
    variable = translate.symbol(rule.variable)
    function = translate.expr(rule.function)
    claim = translate.expr(rule.derivative)
    problem = _undefined(function, "function") or _undefined(claim, "claim")
    if problem:
        return Verdict(rule.id, Status.INVALID, problem)
    truth = sp.diff(function, variable)

    guards = translate.guards(rule.derivative), translate.guards(rule.function)
    refuter = Refuter(rule, claim, truth, function, *guards)
    problem = refuter.undefined_everywhere()
    if problem:
        return Verdict(rule.id, Status.INVALID, problem)
    counterexample = refuter.sample(refuter.nice_points())
    if counterexample is not None:
        return Verdict(rule.id, Status.REFUTED, counterexample)
    bounds = translate.bounds(function.free_symbols | claim.free_symbols)
    proof = prove_equal(claim, truth, function, bounds, variable)
    if proof.witness is not None:  # a region where they differ, found by the case split
        counterexample = refuter.disagreement(proof.witness)
        if counterexample is not None:
            return Verdict(rule.id, Status.REFUTED, counterexample)
    counterexample = refuter.sample(refuter.spread_points(proof.regions))
    if counterexample is None:
        on_kinks = map(refuter.kink_disagreement, refuter.kink_points(proof.regions))
        counterexample = next((c for c in on_kinks if c is not None), None)
    if counterexample is not None:
        return Verdict(rule.id, Status.REFUTED, counterexample)
    if refuter.compared == 0:
        return Verdict(
            rule.id,
            Status.NOT_PROVED,
            "not proved: the derivative has no real value at any point tested, so nothing "
            "could be compared; give the function's domain with assume: (such as 'x > 0')",
        )
    if proof.method is None:
        return Verdict(rule.id, Status.NOT_PROVED, f"not proved: {proof.reason}")
    if refuter.unverifiable is not None:
        return Verdict(rule.id, Status.NOT_PROVED, f"not proved: {refuter.unverifiable}")
    untested = refuter.untested(proof.regions)
    if untested is not None:
        return Verdict(
            rule.id,
            Status.NOT_PROVED,
            f"not proved: no point could be found where {untested} to check the claim there",
        )
    return Verdict(rule.id, Status.PROVED, method=proof.method)


def _undefined(expr: sp.Expr, what: str) -> str | None:
    """Why ``expr`` has no value (sympy folded part of it to 1/0), or None."""
    if expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        return (
            f"the {what} is undefined: part of it is a division by zero or the log of 0 "
            "(sympy reduces it to complex infinity), so it has no value anywhere"
        )
    return None
