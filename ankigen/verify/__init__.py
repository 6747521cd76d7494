"""The verify stage: every rule in, each with its :class:`~ankigen.records.Verdict` out.

A verdict comes from the signed cache of earlier builds when the rule's math, the prover and
its libraries are unchanged (:mod:`~ankigen.verify.cache`), else from a proof in a time-limited
worker process (:mod:`~ankigen.verify.prove`, which says what "proved" means). The proof itself
is :mod:`~ankigen.verify.casesplit` (symbolic, region by region between kinks, with
:mod:`~ankigen.verify.regions`) checked against :mod:`~ankigen.verify.refuter` (exact points, with
:mod:`~ankigen.verify.numeric`). A rule with ``shapes:`` is proved entry by entry at several
sizes instead (:mod:`~ankigen.verify.matrices`, with the ``matrix_*`` modules).
"""

from __future__ import annotations

from collections.abc import Sequence

from ankigen.plumbing.cache import default_cache
from ankigen.records import Checked, Options, Progress, Rule, Silent
from ankigen.verify import cache as proof_cache


def verify(
    rules: Sequence[Rule], options: Options, progress: Progress | None = None
) -> tuple[Checked, ...]:
    """Every rule with its verdict, in the rules' order: remembered from an earlier build with
    the same math, tools and prover, or proved now in the worker pool (``options.timeout``
    seconds and ``options.jobs`` workers)."""
    progress = progress or Silent()
    store = default_cache() if options.cache else None
    known = proof_cache.lookup(rules, store) if store is not None else {}
    todo = [rule for rule in rules if rule.id not in known]
    progress.stage("proving", len(todo))
    if todo:
        from ankigen.verify.prove import verify_rules  # sympy: only when there is work

        proved = verify_rules(
            todo,
            timeout=options.timeout,
            jobs=options.jobs,
            on_verdict=lambda _: progress.advance(),
        )
        if store is not None:
            proof_cache.remember(todo, proved, store)
        known.update((verdict.rule_id, verdict) for verdict in proved)
    return tuple(Checked(rule, known[rule.id]) for rule in rules)
