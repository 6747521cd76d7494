"""Verdicts remembered between builds, so that an unchanged rule is not proved again.

Only the verdicts that do not depend on the time limit are kept: ``proved`` and ``refuted``. The
key covers the rule's math (as parsed, with its helpers and assumptions), the text its messages
quote, the versions of sympy and mpmath, and the source of the modules that prove.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from ankigen.cache import Cache
from ankigen.keys import content_key, environment
from ankigen.model import NOT_PROVED, Rule, Verdict


def verdict_key(rule: Rule) -> str:
    installation = environment(
        "ankigen-proof",
        ("sympy", "mpmath"),
        (
            "verify.py",
            "casesplit.py",
            "refuter.py",
            "numeric.py",
            "regions.py",
            "symbolic.py",
            "expressions.py",
        ),
    )
    return content_key(
        [
            installation,
            repr(rule.function),
            repr(rule.derivative),
            repr(rule.variable),
            repr(rule.assumptions),
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
        try:
            entry = json.loads(data)
            method = f"{entry['method']} (remembered)" if entry["method"] else ""
            found[rule.id] = Verdict(rule.id, entry["status"], entry["detail"], method)
        except (ValueError, KeyError, TypeError):
            continue  # not what we wrote: prove again
    return found


def remember(rules: Sequence[Rule], verdicts: Sequence[Verdict], store: Cache) -> None:
    """Keep the verdicts that would come out the same next time (not the time-outs)."""
    for rule, verdict in zip(rules, verdicts, strict=True):
        if verdict.status != NOT_PROVED:
            method = verdict.method.removesuffix(" (remembered)")
            entry = {"status": verdict.status, "detail": verdict.detail, "method": method}
            store.put(verdict_key(rule), json.dumps(entry, sort_keys=True).encode())
