"""The ``assume:`` field of a rule: comparisons of one symbol with numbers (``x > 0``,
``0 < p < 1``, ``t >= 0``, ``x != 1``), each read exactly, and checked to leave the symbol an
interval to vary in. A rule with ``shapes:`` has conditions instead: comparisons of expressions
(``det(X) > 0``, ``x > 0`` for every entry), read by the expression parser; their shapes are
checked with the rule's (:mod:`ankigen.load.shapes`).
"""

from __future__ import annotations

import re
from fractions import Fraction

from ankigen.expr.assumptions import Assumption, Interval
from ankigen.expr.parse import ExpressionError, Scope, exact_number, parse_comparison
from ankigen.expr.tree import Compare
from ankigen.load.fields import Checker
from ankigen.load.yamlfile import Value, shown

# An assumption compares one symbol with a number: 'x > 0', '0 < p < 1', '0 < lr', 't >= 0'.
_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_ORDER = r"<=|<|>=|>"
ASSUMPTION = re.compile(
    rf"\s*(?:({_NUMBER})\s*({_ORDER})\s*)?([A-Za-z][A-Za-z0-9_]*)\s*(?:({_ORDER}|!=)\s*({_NUMBER}))?\s*"
)
_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


def parse_assumption(text: str) -> tuple[Assumption, ...] | str | None:
    """The conditions of one ``assume:`` entry; a message if it is malformed in a way worth
    naming; None if it is no comparison at all."""
    match = ASSUMPTION.fullmatch(text)
    if match is None or not (match.group(2) or match.group(4)):
        return None
    low, low_order, symbol, order, bound = match.groups()
    if low_order and order and (order == "!=" or (low_order[0] != order[0])):
        return "a chain of comparisons must go one way, as in '0 < p < 1'"
    try:
        found = []
        if low_order:
            found.append(Assumption(symbol, _FLIPPED[low_order], _signed_number(low)))
        if order:
            found.append(Assumption(symbol, order, _signed_number(bound)))
    except ExpressionError as error:
        return error.reason
    return tuple(found)


def _signed_number(text: str) -> Fraction:
    sign = -1 if text.startswith("-") else 1
    return sign * exact_number(text.lstrip("+-"))


def read_assumptions(
    check: Checker, value: Value | None, rule_id: str | None
) -> tuple[Assumption, ...]:
    """The assumptions of a rule's ``assume:`` (one entry or a list), each malformed one and
    each contradiction reported."""
    if value is None:
        return ()
    items = value.data if isinstance(value.data, list) else [value]
    result: list[Assumption] = []
    for item in items:
        parsed = parse_assumption(item.data) if isinstance(item.data, str) else None
        if isinstance(parsed, str):
            check.problem(f"assumption {shown(item)}: {parsed}", item.line, rule_id)
        elif parsed is None:
            check.problem(
                f"assumption {shown(item)} must compare one symbol with numbers, such as "
                "'x > 0' or '0 < p < 1'",
                item.line,
                rule_id,
            )
        else:
            result.extend(parsed)
    _check_consistent(check, result, value.line, rule_id)
    return tuple(result)


def _check_consistent(
    check: Checker, assumptions: list[Assumption], line: int, rule_id: str | None
) -> None:
    """Assumptions on one symbol must leave it an interval to vary in: 'x > 0' with 'x < 0'
    leaves nothing, 'x >= 0' with 'x <= 0' only x = 0."""
    for symbol in dict.fromkeys(a.symbol for a in assumptions):
        interval = Interval.of(symbol, tuple(assumptions))
        if interval.empty:
            mine = [a for a in assumptions if a.symbol == symbol and a.relation != "!="]
            listed = " and ".join(f"'{a}'" for a in mine)
            closed = not (interval.low_open or interval.high_open)
            one_point = interval.low == interval.high and closed
            left = (
                f"only {symbol} = {mine[0].bound_text}" if one_point else f"no value for {symbol}"
            )
            check.problem(f"the assumptions {listed} leave {left}", line, rule_id)


def read_conditions(
    check: Checker, value: Value | None, scope: Scope, rule_id: str | None
) -> tuple[tuple[Compare, int], ...]:
    """The conditions of the ``assume:`` of a rule with shapes (one entry or a list), each with
    its line; each entry that is no comparison of expressions is reported."""
    if value is None:
        return ()
    items = value.data if isinstance(value.data, list) else [value]
    found: list[tuple[Compare, int]] = []
    for item in items:
        if not isinstance(item.data, str) or item.tag in ("null", "bool"):
            check.problem(
                f"assumption {shown(item)} must be a comparison such as 'x > 0' or 'det(X) != 0'",
                item.line,
                rule_id,
            )
            continue
        try:
            found.append((parse_comparison(item.data, scope), item.line))
        except ExpressionError as error:
            check.problem(f"assumption {shown(item)}: {error.reason}", item.line, rule_id)
    return tuple(found)
