"""Verdicts remembered between builds, so that an unchanged rule is not proved again.

Only the verdicts that do not depend on the time limit are kept: ``proved`` and ``refuted``. The
key covers the rule's math (as parsed, with its helpers and assumptions), the text its messages
quote, the versions of sympy and mpmath, and the source of the modules that prove.

A remembered "proved" lets a rule into a deck without a proof, so the cache signs every entry with
the user's secret (see :mod:`ankigen.plumbing.cache`), and an entry that verifies is still read as
untrusted input: anything but a status of ``proved`` or ``refuted`` with text for its detail and
method is ignored, and the rule is proved again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from ankigen.plumbing.cache import Cache
from ankigen.plumbing.keys import content_key, environment
from ankigen.records import Rule, Status, Verdict


def verdict_key(rule: Rule) -> str:
    installation = environment(
        "ankigen-proof",
        ("sympy", "mpmath"),
        # the prover, and the whole language it reads: a change to how vectors and matrices
        # become sympy (expr/matrices.py) must not leave an old "proved" standing
        ("verify", "expr"),
    )
    return content_key(
        [
            installation,
            repr(rule.function),
            repr(rule.derivative),
            repr(rule.variable),
            repr(rule.assumptions),
            repr(rule.shapes),  # the same text is another claim at other shapes
            repr(rule.conditions),
            repr(rule.used_definitions),
            rule.function_text,
        ]
    )


def lookup(rules: Sequence[Rule], store: Cache) -> dict[str, Verdict]:
    """The remembered verdicts of the rules that have one, by rule id."""
    found = {}
    for rule in rules:
        data = store.get(verdict_key(rule))
        if data is None:
            continue
        verdict = _verdict(rule.id, data)
        if verdict is not None:
            found[rule.id] = verdict
    return found


def _verdict(rule_id: str, data: bytes) -> Verdict | None:
    """The verdict an entry holds, if it is exactly what :func:`remember` writes; else None."""
    try:
        entry = json.loads(data)
    except (ValueError, RecursionError):  # not JSON, too long a number, too deep a nesting
        return None
    if not isinstance(entry, dict) or set(entry) != {"status", "detail", "method"}:
        return None
    status, detail, method = entry["status"], entry["detail"], entry["method"]
    if (
        status not in (Status.PROVED, Status.REFUTED)
        or not isinstance(detail, str)
        or not isinstance(method, str)
    ):
        return None
    return Verdict(rule_id, status, detail, f"{method} (remembered)" if method else "")


def remember(rules: Sequence[Rule], verdicts: Sequence[Verdict], store: Cache) -> None:
    """Keep the verdicts that would come out the same next time (not the time-outs)."""
    for rule, verdict in zip(rules, verdicts, strict=True):
        if verdict.status != Status.NOT_PROVED:
            method = verdict.method.removesuffix(" (remembered)")
            entry = {"status": verdict.status, "detail": verdict.detail, "method": method}
            store.put(verdict_key(rule), json.dumps(entry, sort_keys=True).encode())
