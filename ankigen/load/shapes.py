"""A rule's ``shapes:`` (each vector or matrix symbol with its shape), and the checks of a rule
that has them, made before anything is proved: every expression fits (``@`` joins matching
dimensions, ``+`` equal shapes or a scalar), the derivative has a layout, and the claim has the
layout's shape. A rule without ``shapes:`` is about scalars, so ``@``, ``.T`` and the matrix
functions are refused in it, with the hint to give shapes.

``shapes: {x: [n], A: [m, n]}``: a dimension is a name (any size; the proof tries several) or a
whole number (that size only). A symbol not listed is a scalar. Shapes are kept as written, in
order, on :attr:`~ankigen.records.Rule.shapes`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ankigen.expr.parse import ExpressionError
from ankigen.expr.shapes import SCALAR, Shape, describe, layout, shape_of, shapes_by_name
from ankigen.expr.syntax import CONSTANTS, VARIABLE_NAME
from ankigen.expr.tree import (
    Call,
    Compare,
    Definition,
    Node,
    Piecewise,
    called_names,
    variables,
    walk,
)
from ankigen.load.fields import Checker
from ankigen.load.yamlfile import Value, shown

MAX_DIMENSION = 8  # a fixed size ([2]); every entry is a symbol, so 64 entries is already a lot
WHOLE_NUMBER = re.compile(r"[1-9][0-9]*")  # as YAML writes it: no sign, no 0x, no leading 0
SHAPES_EXAMPLE = "shapes: {x: [n]}"

Shapes = tuple[tuple[str, tuple[str, ...]], ...]


def read_shapes(check: Checker, value: Value | None, rule_id: str | None) -> Shapes:
    """The rule's ``shapes:`` as written (``(("x", ("n",)), ("A", ("m", "n")))``), each
    malformed entry reported and left out; ``()`` for a rule of scalars."""
    if value is None:
        return ()
    if not isinstance(value.data, dict) or not value.data:
        what = "an empty mapping" if isinstance(value.data, dict) else value.kind()
        check.problem(
            "'shapes' must give each vector or matrix its shape, as in "
            f"shapes: {{x: [n], A: [m, n]}}, not {what}",
            value.line,
            rule_id,
        )
        return ()
    found = []
    for name, given in value.data.items():
        dims = _shape(check, name, given, rule_id)
        if dims is not None:
            found.append((name, dims))
    return tuple(found)


def _shape(check: Checker, name: str, given: Value, rule_id: str | None) -> tuple[str, ...] | None:
    if not VARIABLE_NAME.fullmatch(name) or "__" in name:
        check.problem(f"shapes: {name!r} is not a symbol name", given.line, rule_id)
        return None
    if not isinstance(given.data, list) or not 1 <= len(given.data) <= 2:
        count = f"{len(given.data)} dimensions" if isinstance(given.data, list) else given.kind()
        check.problem(
            f"shapes: the shape of '{name}' must be a list of one dimension (a vector, [n]) or "
            f"two (a matrix, [m, n]), not {count}",
            given.line,
            rule_id,
        )
        return None
    dims = tuple(_dimension(dim) for dim in given.data)
    bad = [shown(v) for v, d in zip(given.data, dims, strict=True) if d is None]
    if bad:
        check.problem(
            f"shapes: the dimension {bad[0]} of '{name}' must be a name such as n or a whole "
            f"number from 1 to {MAX_DIMENSION}",
            given.line,
            rule_id,
        )
        return None
    known = tuple(d for d in dims if d is not None)
    if Shape.of(known).scalar:
        check.problem(
            f"shapes: '{name}' [{', '.join(known)}] is 1 × 1, a scalar: leave it out of "
            "'shapes' (a symbol not listed is a scalar)",
            given.line,
            rule_id,
        )
        return None
    return known


def _dimension(value: Value) -> str | None:
    """A dimension's text: a name, or a whole number as digits; None if it is neither."""
    if not isinstance(value.data, str):
        return None
    if value.tag == "int" and WHOLE_NUMBER.fullmatch(value.data):
        return value.data if int(value.data) <= MAX_DIMENSION else None
    if value.tag == "str" and VARIABLE_NAME.fullmatch(value.data) and "__" not in value.data:
        return value.data
    return None


def needs_shapes(construct: str) -> str:
    """The refusal of ``construct`` in a rule without ``shapes:``."""
    return f"{construct} needs shapes: give each vector or matrix its shape, as in {SHAPES_EXAMPLE}"


@dataclass(frozen=True)
class ShapedRule:
    """A parsed rule with ``shapes:``, as the shape checks see it, with the lines to report at."""

    shapes: Shapes
    function: Node
    derivative: Node
    variable: str
    definitions: tuple[Definition, ...]
    conditions: tuple[tuple[Compare, int], ...]  # each assume: entry with its line
    value: Value  # the shapes: mapping, for its entries' lines
    function_line: int
    derivative_line: int

    @property
    def by_name(self) -> dict[str, Shape]:
        return shapes_by_name(self.shapes)

    @property
    def helpers(self) -> dict[str, Node]:
        return {d.name: d.body for d in self.definitions}


def check_shaped(check: Checker, rule: ShapedRule, rule_id: str | None) -> None:
    """Report what is wrong with the shapes of ``rule``: its ``shapes:`` entries first; then,
    if they are right, the constructs a vector rule cannot use, each expression's fit, the
    layout of the derivative and the claim's shape, and each condition's fit."""
    count = len(check.problems)
    _check_names(check, rule, rule_id)
    if len(check.problems) > count:
        return
    _check_supported(check, rule, rule_id)
    if len(check.problems) > count:
        return
    function = _fit(check, rule, "function", rule_id)
    claim = _fit(check, rule, "derivative", rule_id)
    if function is not None and claim is not None:
        _check_layout(check, rule, function, claim, rule_id)
    for condition, line in rule.conditions:
        _check_condition(check, condition, rule, line, rule_id)


def _check_names(check: Checker, rule: ShapedRule, rule_id: str | None) -> None:
    """Each shaped symbol is a symbol of the function or the claim, and no helper's name; no
    dimension is named like a symbol (``x: [x]`` would read "x has x entries")."""
    assert isinstance(rule.value.data, dict)
    helpers = {d.name for d in rule.definitions}
    used = variables(rule.function) | variables(rule.derivative)
    symbols = {rule.variable, *used}.union(
        *(variables(operand) for c, _ in rule.conditions for operand in c.operands)
    )
    for name, dims in rule.shapes:
        line = rule.value.data[name].line
        if name in helpers:
            check.problem(
                f"shapes: '{name}' is a name of the file's 'define:', not a symbol of the rule",
                line,
                rule_id,
            )
        elif name not in used:
            check.problem(
                f"shapes: '{name}' is given a shape, but neither the function nor the derivative "
                "uses it",
                line,
                rule_id,
            )
        for dim in dict.fromkeys(dims):
            taken = _taken(dim, symbols, helpers)
            if taken:
                check.problem(
                    f"shapes: the dimension '{dim}' of '{name}' is also {taken}; give sizes "
                    "names of their own (such as n, m, k)",
                    line,
                    rule_id,
                )


def _taken(dim: str, symbols: set[str], helpers: set[str]) -> str | None:
    """What else a dimension's name names, if anything: a card would read ``x ∈ ℝ^x``."""
    if dim in symbols:
        return "a symbol of the rule"
    if dim in helpers:
        return "a name of the file's 'define:'"
    return "a constant" if dim in CONSTANTS else None


def _check_supported(check: Checker, rule: ShapedRule, rule_id: str | None) -> None:
    """Piecewise and abstract functions have no entrywise meaning here (yet): refused, in the
    rule's expressions and in the helpers they call."""
    by_name = {d.name: d for d in rule.definitions}
    for key, tree, line in (
        ("function", rule.function, rule.function_line),
        ("derivative", rule.derivative, rule.derivative_line),
    ):
        reached = [tree, *(d.body for d in _helpers_called(tree, by_name))]
        for part in (p for body in reached for p in walk(body)):
            unsupported = _unsupported(part)
            if unsupported:
                check.problem(f"{key}: {unsupported}", line, rule_id)
                break


def _helpers_called(tree: Node, by_name: Mapping[str, Definition]) -> list[Definition]:
    found: dict[str, Definition] = {}
    todo = [tree]
    while todo:
        for name in called_names(todo.pop()):
            if name in by_name and name not in found:
                found[name] = by_name[name]
                todo.append(by_name[name].body)
    return list(found.values())


def _unsupported(node: Node) -> str | None:
    match node:
        case Piecewise():
            return "Piecewise is not supported in a rule with shapes"
        case Call(kind="abstract", name=name):
            return (
                f"the abstract function {name}() is not supported in a rule with shapes; use "
                "built-in functions and the file's helpers"
            )
    return None


def _fit(check: Checker, rule: ShapedRule, key: str, rule_id: str | None) -> Shape | None:
    """The shape of the rule's function or derivative (``key``), or None once why it does not
    fit is reported at its line."""
    node, line = (
        (rule.function, rule.function_line)
        if key == "function"
        else (rule.derivative, rule.derivative_line)
    )
    try:
        return shape_of(node, rule.by_name, rule.helpers)
    except ExpressionError as error:
        check.problem(f"{key}: {error.reason}", line, rule_id)
        return None


def _check_layout(
    check: Checker, rule: ShapedRule, function: Shape, claim: Shape, rule_id: str | None
) -> None:
    """The derivative of ``function`` by the variable has a layout, and the claim its shape."""
    variable = rule.by_name.get(rule.variable, SCALAR)
    row = variable.rows == "1" and not variable.scalar
    expected = None if row else layout(function, variable)
    if expected is None:
        check.problem(_no_layout(function, rule.variable, variable), rule.function_line, rule_id)
    elif claim != expected:
        check.problem(
            f"derivative: {_expected(function, rule.variable, variable, expected)}, but the "
            f"claim is {claim}",
            rule.derivative_line,
            rule_id,
        )


def _kind(shape: Shape) -> str:
    """A shape in words: ``a scalar``, ``a vector [n]``, ``a row [1, n]``, ``a matrix [m, n]``."""
    if shape.scalar:
        return "a scalar"
    if shape.column:
        return f"a vector {shape}"
    return f"a row {shape}" if shape.rows == "1" else f"a matrix {shape}"


def _by(name: str, shape: Shape) -> str:
    return f"the scalar {name}" if shape.scalar else f"{name} {shape}"


def _expected(function: Shape, name: str, variable: Shape, expected: Shape) -> str:
    """What the derivative is, and why: the gradient, the Jacobian, or a plain derivative."""
    start = f"the derivative of {_kind(function)} by {_by(name, variable)} is {_kind(expected)}"
    if function.scalar and not variable.scalar:
        return f"{start} (the gradient has {name}'s shape)"
    if function.column and variable.column:
        return f"{start}, the Jacobian (J[i, j] = ∂fᵢ/∂{name}ⱼ)"
    return start


def _no_layout(function: Shape, name: str, variable: Shape) -> str:
    row = variable.rows == "1" and not variable.scalar
    hint = f" (vectors are columns: give {name} the shape [{variable.cols}])" if row else ""
    return (
        f"function: the derivative of {_kind(function)} by {_by(name, variable)} has no layout "
        "here: ankigen proves the gradient of a scalar by a scalar, a vector [n] or a matrix "
        f"[m, n], and the Jacobian of a vector [m] by a vector [n] or a scalar{hint}"
    )


def _check_condition(
    check: Checker,
    condition: Compare,
    rule: ShapedRule,
    line: int,
    rule_id: str | None,
) -> None:
    """Each side of each comparison has a shape, and the two sides fit: both scalars, or entry
    by entry a vector or matrix with a scalar (``x > 0``: every entry) or with its own shape."""
    text = f"assumption {describe(condition)!r}"
    try:
        shapes = [shape_of(operand, rule.by_name, rule.helpers) for operand in condition.operands]
    except ExpressionError as error:
        check.problem(f"{text}: {error.reason}", line, rule_id)
        return
    pairs = zip(condition.operands, shapes, condition.operands[1:], shapes[1:], strict=False)
    for left, a, right, b in pairs:
        if not (a == b or a.scalar or b.scalar):
            check.problem(
                f"{text}: cannot compare {describe(left)} {a} with {describe(right)} {b}: a "
                "condition compares scalars, or each entry of a vector or matrix with a scalar "
                "or with the entry of one of the same shape",
                line,
                rule_id,
            )
            return
    named = set().union(*(variables(operand) for operand in condition.operands))
    unused = named - variables(rule.function) - variables(rule.derivative)
    if not named:
        check.problem(f"{text} compares numbers only: it says nothing of the rule", line, rule_id)
    elif unused:
        check.problem(
            f"{text}: the function and the derivative do not use '{sorted(unused)[0]}'",
            line,
            rule_id,
        )
