"""Build sympy values of vector and matrix expressions from the parsed tree: at concrete sizes,
every entry an independent symbol (for the proof entry by entry), or from ``MatrixSymbol`` s of
symbolic size (for sympy's matrix calculus, which may show a claim for all sizes).

The shapes come from :mod:`ankigen.expr.shapes`, which has already refused what does not fit;
here they decide only what is a scalar: a 1 × 1 result of ``@`` (``x.T @ y``) is the number in
it, while a vector [n] stays a matrix even at n = 1. A helper from ``define:`` and a function
such as ``exp`` apply to each entry, with scalars broadcast.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

import sympy as sp

from ankigen.expr.shapes import SCALAR, Shape
from ankigen.expr.symbolic import FUNCTIONS, RELATIONS, Guard, guards_of
from ankigen.expr.tree import (
    BinOp,
    Call,
    Compare,
    Const,
    Definition,
    Neg,
    Node,
    Num,
    Transpose,
    Var,
)

# A sympy scalar (Expr) or matrix (MatrixBase, or a matrix expression of symbolic size); sympy
# has no type hints, so mypy sees Any either way.
Value: TypeAlias = Any


class NotForAllSizes(Exception):
    """An operation that sympy's matrix calculus cannot express for a symbolic size (a scalar
    added to a matrix, a function of each entry): only the concrete sizes can be checked."""


@dataclass(frozen=True)
class MatrixTranslator:
    """Turns one rule's nodes into sympy values, given each symbol's shape and the helpers.
    ``symbolic``: the environment holds ``MatrixSymbol`` s of symbolic size."""

    shapes: Mapping[str, Shape]
    definitions: Mapping[str, Definition]
    symbolic: bool = False

    def build(self, node: Node, env: Mapping[str, Value]) -> Value:
        """The value of ``node`` with the symbols of ``env``: a scalar or a matrix."""
        return self._value(node, env)[0]

    def condition(self, node: Compare, env: Mapping[str, Value]) -> sp.Basic | tuple[sp.Basic, ...]:
        """An ``assume:`` condition as sympy relations: one, or one per entry where a side is a
        vector or matrix (``x > 0`` says every entry is positive), a chain (``0 < p < 1``) as
        one per link."""
        values = [self._value(operand, env) for operand in node.operands]
        relations: list[sp.Basic] = []
        for op, left, right in zip(node.ops, values, values[1:], strict=False):
            relations.extend(RELATIONS[op](a, b) for a, b in _entry_pairs(left, right))
        return relations[0] if len(relations) == 1 else tuple(relations)

    def _value(self, node: Node, env: Mapping[str, Value]) -> tuple[Value, Shape]:
        match node:
            case Num(value=value):
                return sp.Rational(value.numerator, value.denominator), SCALAR
            case Const(name=name):
                return (sp.pi if name == "pi" else sp.E), SCALAR
            case Var(name=name):
                return env[name], self.shapes.get(name, SCALAR)
            case Neg(operand=operand):
                value, shape = self._value(operand, env)
                return -value, shape
            case Transpose(operand=operand):
                value, shape = self._value(operand, env)
                return (value if shape.scalar else value.T), shape.transposed()
            case BinOp(op="@", left=left, right=right):
                return self._product(self._value(left, env), self._value(right, env))
            case BinOp(op=op, left=left, right=right):
                return self._entrywise(op, self._value(left, env), self._value(right, env))
            case Call(kind="function", name=name, args=args):
                values = [self._value(a, env) for a in args]
                if name in _MATRIX:
                    return self._matrix_function(name, *values[0])
                return self._each(lambda *xs: FUNCTIONS[name](*xs), values)
            case Call(kind="defined", name=name, args=args):
                helper = self.definitions[name]
                values = [self._value(a, env) for a in args]
                return self._each(lambda *xs: self._helper(helper, xs), values)
        raise NotImplementedError(f"{type(node).__name__} is not supported in a vector rule")

    def guards(self, node: Node, env: Mapping[str, Value]) -> list[Guard]:
        """What ``node`` as written needs of each entry to have a value (see
        :func:`ankigen.expr.symbolic.guards_of`), helpers entry by entry."""
        return guards_of(
            node,
            lambda part: _entries(self.build(part, env)),
            lambda call: self._helper_guards(self.definitions[call.name], call.args, env),
        )

    def _helper_guards(
        self, helper: Definition, args: tuple[Node, ...], env: Mapping[str, Value]
    ) -> list[Guard]:
        """The guards of a helper's body at each entry its arguments give it."""
        values = [self.build(a, env) for a in args]
        scalar = MatrixTranslator({}, self.definitions, self.symbolic)
        sizes = {len(_entries(v)) for v in values if isinstance(v, sp.MatrixBase)}
        found: list[Guard] = []
        for k in range(max(sizes, default=1)):
            each = [_entries(v)[k] if isinstance(v, sp.MatrixBase) else v for v in values]
            found += scalar.guards(helper.body, dict(zip(helper.params, each, strict=True)))
        return found

    def _helper(self, helper: Definition, args: tuple[sp.Expr, ...]) -> sp.Expr:
        inner = dict(zip(helper.params, args, strict=True))
        scalar = MatrixTranslator({}, self.definitions, self.symbolic)
        value = scalar.build(helper.body, inner)
        assert isinstance(value, sp.Expr)  # shapes.py refused a helper that is not scalar
        return value

    def _product(self, a: tuple[Value, Shape], b: tuple[Value, Shape]) -> tuple[Value, Shape]:
        shape = Shape(a[1].rows, b[1].cols)
        value = _matmul(a[0], b[0]) if not self.symbolic else a[0] * b[0]
        if shape.scalar and not self.symbolic:  # x.T @ y is a number
            return _only_entry(value), shape
        return value, shape  # of symbolic size, sympy differentiates a 1 × 1 product as is

    def _entrywise(
        self, op: str, a: tuple[Value, Shape], b: tuple[Value, Shape]
    ) -> tuple[Value, Shape]:
        (x, shape_x), (y, shape_y) = a, b
        shape = shape_y if shape_x.scalar else shape_x
        if shape_x.scalar and shape_y.scalar:
            return _SCALAR_OPS[op](x, y), SCALAR
        if self.symbolic:
            return _symbolic_entrywise(op, x, shape_x, y, shape_y), shape
        return self._each(_SCALAR_OPS[op], [a, b])[0], shape

    def _each(
        self, function: Callable[..., sp.Expr], values: list[tuple[Value, Shape]]
    ) -> tuple[Value, Shape]:
        """``function`` of each entry, the scalar arguments broadcast to every entry."""
        matrices = [(v, s) for v, s in values if not s.scalar]
        if not matrices:
            return function(*(v for v, _ in values)), SCALAR
        if self.symbolic:
            raise NotForAllSizes("a function of each entry")
        first, shape = matrices[0]
        assert isinstance(first, sp.MatrixBase)

        def entry(i: int, j: int) -> sp.Expr:
            return function(*(v if s.scalar else v[i, j] for v, s in values))

        return sp.ImmutableMatrix(first.rows, first.cols, entry), shape

    def _matrix_function(self, name: str, value: Value, shape: Shape) -> tuple[Value, Shape]:
        if self.symbolic:
            return _symbolic_matrix_function(name, value), _MATRIX[name](shape)
        assert isinstance(value, sp.MatrixBase)
        result: Value
        if name == "sum":
            result = sp.Add(*value)
        elif name == "norm":
            result = sp.sqrt(sp.Add(*(entry**2 for entry in value)))
        elif name == "trace":
            result = value.trace()
        elif name == "det":
            result = value.det(method="berkowitz")  # no division: exact for symbols
        elif name == "inv":  # adjugate / det: no pivoting, no check that sympy cannot afford
            result = sp.ImmutableMatrix(value.adjugate(method="berkowitz")) / value.det(
                method="berkowitz"
            )
        else:
            result = sp.ImmutableMatrix(sp.diag(*value))
        return result, _MATRIX[name](shape)


_MATRIX: Mapping[str, Callable[[Shape], Shape]] = {
    "sum": lambda shape: SCALAR,
    "norm": lambda shape: SCALAR,
    "trace": lambda shape: SCALAR,
    "det": lambda shape: SCALAR,
    "inv": lambda shape: shape,
    "diag": lambda shape: Shape(shape.rows, shape.rows),
}
_SCALAR_OPS: Mapping[str, Callable[[sp.Expr, sp.Expr], sp.Expr]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
}


def _entry_pairs(
    left: tuple[Value, Shape], right: tuple[Value, Shape]
) -> list[tuple[Value, Value]]:
    """The two sides entry by entry, a scalar side repeated for every entry of the other."""
    (x, shape_x), (y, shape_y) = left, right
    if shape_x.scalar and shape_y.scalar:
        return [(x, y)]
    size = len(y if shape_x.scalar else x)
    return [(x if shape_x.scalar else x[i], y if shape_y.scalar else y[i]) for i in range(size)]


def _matmul(a: Value, b: Value) -> Value:
    """The product of two matrices of symbols, each entry one sum: sympy's own product goes
    through its domain matrices, several times slower on entries that are expressions."""
    if not (isinstance(a, sp.MatrixBase) and isinstance(b, sp.MatrixBase)) or a.cols != b.rows:
        return a * b  # sympy's product, with sympy's error for shapes that do not fit
    return sp.ImmutableMatrix(
        a.rows,
        b.cols,
        [
            sp.Add(*(a[i, k] * b[k, j] for k in range(a.cols)))
            for i in range(a.rows)
            for j in range(b.cols)
        ],
    )


def _entries(value: Value) -> list[sp.Expr]:
    return list(value) if isinstance(value, sp.MatrixBase) else [value]


def _only_entry(value: Value) -> sp.Expr:
    assert isinstance(value, sp.MatrixBase) and value.shape == (1, 1)
    entry: sp.Expr = value[0, 0]
    return entry


def _symbolic_entrywise(op: str, x: Value, shape_x: Shape, y: Value, shape_y: Shape) -> Value:
    """An entrywise operation on matrix expressions: sums, differences, scaling by a scalar and
    the Hadamard product; anything else has no symbolic-size form here."""
    if op in ("+", "-") and shape_x == shape_y:
        return x + y if op == "+" else x - y
    if op == "*" and (shape_x.scalar or shape_y.scalar):
        return x * y
    if op == "/" and shape_y.scalar:
        return x * (1 / y)
    if op == "*" and shape_x == shape_y:
        return sp.HadamardProduct(x, y)
    raise NotForAllSizes(f"{op} between {shape_x} and {shape_y}")


def _symbolic_matrix_function(name: str, value: Value) -> Value:
    if name == "trace":
        return sp.Trace(value)
    if name == "det":
        return sp.Determinant(value)
    if name == "inv":
        return sp.Inverse(value)
    raise NotForAllSizes(f"{name}() of a symbolic size")
