"""The claim as written: where its text has no value although sympy's form of it has one.

sympy simplifies while it builds an expression: ``Max(0, x)/Max(0, x)`` becomes 1 and
``log(x)/log(x)`` becomes 1. The text has no value where such a divisor, or the argument of such
a log, is 0, and a claim with no value where the derivative has one is wrong there, however
sympy wrote it. (Values on the way may be complex, as everywhere in ankigen: ``exp(log(x))`` is
x at x = -1 too, so it asks nothing of x but x != 0.) The translator lists what the text needs
(:class:`~ankigen.expr.symbolic.Guard`; a branch's needs only where the branch applies); what
sympy's form still needs itself is left to the comparison (the form has no value there either),
and the rest is checked at every point compared. The function is read the same way: where its
text has no value, the claim may say anything.

A guard fails only clearly: at a value of exactly 0, or one within noise of 0 at 50 digits that
stays so at 2500 (as :mod:`~ankigen.verify.numeric` decides ties); a value on a kink (a tie that
goes away beside the point) says nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import mpmath
import sympy as sp

from ankigen.expr.symbolic import Guard
from ankigen.verify.numeric import TIE_DIGITS, Value, evaluate
from ankigen.verify.points import neighbours
from ankigen.verify.regions import Point

_WORDS = {
    "divisor": "divides by {expr}, which is 0 there",
    "log": "takes the log of {expr}, which is 0 there",
}
_SHOWN = 120  # characters of a guard's expression in a message


def dropped(guards: Sequence[Guard], form: sp.Basic) -> tuple[Guard, ...]:
    """The guards that sympy's ``form`` of the text (an expression or a matrix of them) no
    longer enforces by itself: those whose expression it no longer divides by, or takes the
    log of, where that always counts (not inside a piecewise branch, which may not apply)."""
    if not guards:
        return ()
    kept = set()
    for node in _always_evaluated(form):
        if isinstance(node, sp.log):
            kept.add(node.args[0])
        elif isinstance(node, sp.Pow) and node.exp.is_negative:
            kept.add(node.base)
    return tuple(dict.fromkeys(g for g in guards if g.expr not in kept))


def _always_evaluated(form: sp.Basic) -> Iterator[sp.Basic]:
    stack = list(form) if isinstance(form, sp.MatrixBase) else [form]
    while stack:
        node = stack.pop()
        if isinstance(node, sp.Piecewise):
            continue
        yield node
        stack.extend(node.args)


def broken(guards: Sequence[Guard], point: Point, digits: int) -> str | None:
    """Why the text has no value at ``point``: the first guard that fails there clearly (see
    the module's docstring), in words; None if none does."""
    for guard in guards:
        if _fails(guard, point, digits):
            shown = str(guard.expr)
            shown = shown if len(shown) <= _SHOWN else shown[: _SHOWN - 1] + "…"
            return _WORDS[guard.kind].format(expr=shown)
    return None


def _fails(guard: Guard, point: Point, digits: int) -> bool:
    found = evaluate(guard.expr, point, digits)
    if found.value is None or found.too_large:
        return False  # no value of its own (an inner guard says why), or beyond any size
    if found.ties and not _flat(guard.expr, point, found.ties, digits):
        return False  # on a kink
    if not _near_zero(found, digits):
        return False
    found = evaluate(guard.expr, point, TIE_DIGITS)  # noise, or 0?
    return found.value is not None and _near_zero(found, TIE_DIGITS)


def _near_zero(found: Value, digits: int) -> bool:
    assert found.value is not None
    return bool(abs(found.value) <= mpmath.mpf(10) ** (found.magnitude + 15 - digits))


def _flat(expr: sp.Expr, point: Point, ties: frozenset[sp.Basic], digits: int) -> bool:
    """Whether the ties met at ``point`` are met beside it too (an equality that holds on a
    region, such as Min(0, x - |x|) = 0 for x > 0), not only there (a kink)."""
    return all(evaluate(expr, near, digits).ties == ties for near in neighbours(point))
