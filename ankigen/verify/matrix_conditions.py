"""A matrix rule's conditions (``assume:``) at one assignment of sizes, put to their three uses.

:func:`relations_of` flattens the conditions into sympy relations, one per entry for an entrywise
one. :func:`sign_flags` turns those that state a sign of one symbol exactly (``x[1] > 0``,
``0 < lam``) into sympy assumptions for that symbol. :func:`eliminate` solves each linear
equality (``sum(y) == 1``) for one symbol, to be substituted into the claim minus the
derivative. Every relation also filters the sample points (:mod:`~ankigen.verify.matrix_points`).

Each function stops the proof (:class:`~ankigen.verify.matrix_problem.Stop`) with "not proved"
where the conditions cannot be used: one never holds, they contradict each other, or an
equality is not linear in any symbol with a constant coefficient; "invalid" where a condition
is no comparison. ``where`` (``"n = 2"``, empty with no dimension names) locates the message.
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy as sp
from sympy.core.relational import Relational

from ankigen.verify.matrix_problem import Condition, Env, Stop

_SIGN_FLAGS = {
    ">": "positive",
    ">=": "nonnegative",
    "<": "negative",
    "<=": "nonpositive",
    "!=": "nonzero",
}
_REVERSED = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "!=": "!="}


def relations_of(
    conditions: Sequence[Condition], env: Env, where: str
) -> list[tuple[sp.Basic, str]]:
    """Every condition's relations, flattened (an entrywise condition gives one per entry)."""
    found: list[tuple[sp.Basic, str]] = []
    for condition in conditions:
        built = condition.build(env)
        parts = list(built) if isinstance(built, (sp.MatrixBase, list, tuple)) else [built]
        for part in parts:
            if part is sp.false or part is False:
                raise Stop(
                    "not proved",
                    f"not proved: the condition '{condition.text}' never holds"
                    f"{' at ' + where if where else ''}",
                )
            if part is sp.true or part is True:
                continue
            if not isinstance(part, sp.logic.boolalg.Boolean):
                raise Stop("invalid", f"the condition '{condition.text}' is not a comparison")
            found.append((part, condition.text))
    return found


def sign_flags(relations: Sequence[tuple[sp.Basic, str]], where: str) -> dict[str, dict[str, bool]]:
    """sympy's sign assumptions that relations like ``x[1] > 0`` or ``0 < lam`` state exactly;
    stops where they contradict each other (``det(X) > 0`` and ``det(X) < 0`` at size 1)."""
    flags: dict[str, dict[str, bool]] = {}
    texts: dict[str, list[str]] = {}
    for relation, text in relations:
        if not isinstance(relation, Relational) or relation.rel_op not in _SIGN_FLAGS:
            continue
        if relation.rhs == 0 and isinstance(relation.lhs, sp.Symbol):
            symbol, op = relation.lhs, relation.rel_op
        elif relation.lhs == 0 and isinstance(relation.rhs, sp.Symbol):
            symbol, op = relation.rhs, _REVERSED[relation.rel_op]
        else:
            continue
        flags.setdefault(symbol.name, {})[_SIGN_FLAGS[op]] = True
        texts.setdefault(symbol.name, []).append(text)
    for name, stated in flags.items():
        try:
            sp.Symbol(name, real=True, **stated)
        except sp.core.facts.InconsistentAssumptions:
            conditions = " and ".join(f"'{t}'" for t in dict.fromkeys(texts[name]))
            raise Stop(
                "not proved",
                f"not proved: no point found{' at ' + where if where else ''} where "
                f"{conditions} hold: they contradict each other for {name}",
            ) from None
    return flags


def eliminate(
    relations: Sequence[tuple[sp.Basic, str]], variable: set[sp.Basic], where: str
) -> dict[sp.Symbol, sp.Expr]:
    """Solves each equality for a symbol it contains linearly with a constant coefficient (not
    an entry of the variable where another will do), each in terms of the symbols left."""
    eliminated: dict[sp.Symbol, sp.Expr] = {}
    for relation, text in relations:
        if not isinstance(relation, sp.Eq):
            continue
        difference = sp.expand((relation.lhs - relation.rhs).xreplace(eliminated))
        if difference == 0:
            continue
        symbol = _linear_symbol(difference, variable)
        if symbol is None:
            reason = "contradicts the others" if difference.is_number else "is not linear"
            raise Stop(
                "not proved",
                f"not proved: the condition '{text}' {reason}{' at ' + where if where else ''}; "
                "an equality is used by solving it for a symbol it contains linearly",
            )
        coefficient = sp.diff(difference, symbol)
        value = sp.expand(symbol - difference / coefficient)
        eliminated = {s: sp.expand(v.xreplace({symbol: value})) for s, v in eliminated.items()}
        eliminated[symbol] = value
    return eliminated


def _linear_symbol(difference: sp.Expr, variable: set[sp.Basic]) -> sp.Symbol | None:
    # The last symbol by name (y[3] rather than y[1]), entries of the variable only if nothing
    # else will do: the derivative is still the one in every direction, compared on the set.
    ordered = sorted(difference.free_symbols, key=lambda s: (s not in variable, str(s)))
    for symbol in reversed(ordered):
        coefficient = sp.diff(difference, symbol)
        if coefficient.is_Number and coefficient != 0:
            return symbol
    return None
