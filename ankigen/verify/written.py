"""The claim as written: where its text has no value although sympy's form of it has one.

sympy simplifies while it builds an expression: ``Max(0, x)/Max(0, x)`` becomes 1,
``exp(log(x))`` becomes x, ``sqrt(x)**2`` becomes x. The text has no value where such a divisor
is 0, or such a log's or root's argument is out of its domain, and a claim with no value where
the derivative has one is wrong there, however sympy wrote it. The translator lists what the
text needs (:class:`~ankigen.expr.symbolic.Guard`); what sympy's form still needs itself is
left to the comparison (the form has no value there either), and the rest is checked at every
point compared.
"""

from __future__ import annotations

from collections.abc import Sequence

import mpmath
import sympy as sp

from ankigen.expr.symbolic import Guard
from ankigen.verify.numeric import evaluate
from ankigen.verify.regions import Point

_WORDS = {
    "nonzero": "divides by {expr}, which is 0 there",
    "positive": "takes the log of {expr}, which is not positive there",
    "nonnegative": "takes a root of {expr}, which is negative there",
}


def dropped(guards: Sequence[Guard], form: sp.Expr) -> tuple[Guard, ...]:
    """The guards that sympy's ``form`` of the text no longer enforces by itself."""
    return tuple(dict.fromkeys(g for g in guards if not _kept(g, form)))


def _kept(guard: Guard, form: sp.Expr) -> bool:
    """Whether ``form`` still divides by, takes the log of, or a root of ``guard.expr`` as the
    guard asks, so that it has no value where the guard fails."""
    expr = guard.expr
    if any(log.args[0] == expr for log in form.atoms(sp.log)):
        return True  # a log's argument must be positive, which is more than any guard asks
    powers = [p.exp for p in form.atoms(sp.Pow) if p.base == expr]
    if guard.kind == "nonzero":
        return any(e.is_negative for e in powers)
    if guard.kind == "positive":
        return any(e.is_negative and not e.is_integer for e in powers)
    return any(not e.is_integer for e in powers)


def broken(guards: Sequence[Guard], point: Point, digits: int) -> str | None:
    """Why the text has no value at ``point`` (a guard that fails there, clearly: on a kink,
    or where a value is noise around 0, nothing is said), or None."""
    if not guards:
        return None
    for guard in guards:
        found = evaluate(guard.expr, point, digits)
        value = found.value
        if value is None or found.ties or found.too_large:
            continue  # no value of its own (an inner guard says why) or on a kink
        noise = mpmath.mpf(10) ** (found.magnitude + 15 - digits)
        fails = {
            "nonzero": value == 0,
            "positive": value == 0 or value < -noise,
            "nonnegative": value < -noise,
        }[guard.kind]
        if fails:
            return _WORDS[guard.kind].format(expr=guard.expr)
    return None
