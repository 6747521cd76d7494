"""The shapes of vector and matrix expressions, worked out from the tree before anything is
proved: a shape error is a located input error that names both shapes.

A rule's ``shapes:`` gives each non-scalar symbol its shape: ``[n]`` a column vector, ``[m, n]``
a matrix; a dimension is a name (any size) or a whole number (that size only); a symbol not
listed is a scalar. Here every shape is (rows, columns), so that ``x.T`` is the row ``[1, n]``,
and a 1 × 1 result (``x.T @ y``) is a scalar.

The operations: ``@`` multiplies matrices (the inner dimensions must be the same name or the same
number: ``[m, n] @ [m, n]`` is an error even though m may equal n); ``.T`` transposes; ``+ - * /``
work entry by entry on equal shapes, or between a scalar and anything (scalar broadcasting only),
and ``**`` raises each entry to a scalar power; functions such as ``exp`` and the ``define:``
helpers apply to each entry; ``sum``, ``norm`` (Euclidean, or Frobenius for a matrix), ``trace`` and
``det`` give a scalar; ``inv`` a square matrix of the same shape; ``diag`` turns a vector [n] into a
matrix [n, n].
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ankigen.expr.parse import ExpressionError
from ankigen.expr.syntax import MATRIX_FUNCTIONS
from ankigen.expr.tree import (
    BinOp,
    Call,
    Compare,
    Const,
    Neg,
    Node,
    Num,
    Piecewise,
    Transpose,
    Var,
    walk,
)


@dataclass(frozen=True)
class Shape:
    """Rows and columns; each a dimension name or a whole number written as text."""

    rows: str = "1"
    cols: str = "1"

    @classmethod
    def of(cls, declared: tuple[str, ...]) -> Shape:
        """From a ``shapes:`` entry: ``()`` scalar, ``("n",)`` column, ``("m", "n")`` matrix."""
        if len(declared) == 2:
            return cls(declared[0], declared[1])
        return cls(declared[0]) if declared else cls()

    @property
    def scalar(self) -> bool:
        return self.rows == self.cols == "1"

    @property
    def square(self) -> bool:
        return self.rows == self.cols

    @property
    def column(self) -> bool:
        return self.cols == "1" and not self.scalar

    def transposed(self) -> Shape:
        return Shape(self.cols, self.rows)

    def declared(self) -> tuple[str, ...]:
        """As ``shapes:`` would write it: ``()``, ``("n",)`` or ``("m", "n")``."""
        if self.scalar:
            return ()
        return (self.rows,) if self.cols == "1" else (self.rows, self.cols)

    def __str__(self) -> str:
        """``a scalar``, ``[n]``, ``[m, n]``, ``[1, n]`` (a row)."""
        if self.scalar:
            return "a scalar"
        return f"[{self.rows}]" if self.cols == "1" else f"[{self.rows}, {self.cols}]"


SCALAR = Shape()


def shapes_by_name(declared: Iterable[tuple[str, tuple[str, ...]]]) -> dict[str, Shape]:
    """A rule's ``shapes:`` as written (``(("x", ("n",)), ...)``), by symbol."""
    return {name: Shape.of(dims) for name, dims in declared}


def layout(function: Shape, variable: Shape) -> Shape | None:
    """The shape of the derivative of ``function`` by ``variable``, or None if it has none here:
    a scalar by anything has the variable's shape (the gradient); a vector [m] by a vector [n]
    (or a scalar, [1]) is the Jacobian [m, n], J[i, j] = ∂fᵢ/∂xⱼ; nothing else has a layout."""
    if function.scalar:
        return variable
    if function.column and (variable.column or variable.scalar):
        return Shape(function.rows, variable.rows)
    return None


def shape_of(
    node: Node, shapes: Mapping[str, Shape], helpers: Mapping[str, Node] | None = None
) -> Shape:
    """The shape of ``node``; raises :class:`ExpressionError` naming both shapes of the first
    operation that does not fit. ``helpers`` maps a ``define:`` helper to its body, which must
    be scalar: a helper applies to each entry."""
    return _Shapes(shapes, helpers or {}).of(node)


@dataclass(frozen=True)
class _Shapes:
    shapes: Mapping[str, Shape]
    helpers: Mapping[str, Node]

    def of(self, node: Node) -> Shape:
        match node:
            case Num() | Const():
                return SCALAR
            case Var(name=name):
                return self.shapes.get(name, SCALAR)
            case Neg(operand=operand):
                return self.of(operand)
            case Transpose(operand=operand):
                return self.of(operand).transposed()
            case BinOp(op="@", left=left, right=right):
                return _product(left, self.of(left), right, self.of(right))
            case BinOp(op=op, left=left, right=right):
                return _entrywise(op, left, self.of(left), right, self.of(right))
            case Call(name=name, args=args) if name in MATRIX_FUNCTIONS:
                return _matrix_function(name, args[0], self.of(args[0]))
            case Call(name=name, args=args):
                return self._applied(name, args)
            case Piecewise(pieces=pieces):
                return self._piecewise(pieces)
        raise TypeError(f"not an expression node: {node!r}")

    def _applied(self, name: str, args: tuple[Node, ...]) -> Shape:
        """A function or helper applied to each entry: the arguments' common shape."""
        common = SCALAR
        for arg in args:
            shape = self.of(arg)
            if not shape.scalar and not common.scalar and shape != common:
                raise ExpressionError(
                    f"{name}() applies to each entry, so its arguments must have one shape or be "
                    f"scalars: {describe(arg)} is {shape}, another argument is {common}"
                )
            common = common if shape.scalar else shape
        if not common.scalar and name in self.helpers:
            _scalar_body(name, self.helpers[name], self.shapes)
        return common

    def _piecewise(self, pieces: tuple[tuple[Node, object], ...]) -> Shape:
        for value, _ in pieces:
            if not self.of(value).scalar:
                raise ExpressionError(
                    f"Piecewise takes scalar pieces only: {describe(value)} is {self.of(value)}"
                )
        return SCALAR


def _scalar_body(name: str, body: Node, shapes: Mapping[str, Shape]) -> None:
    """A helper applied to each entry must compute one number from numbers."""
    local = {symbol: SCALAR for symbol in shapes}
    try:
        shape = shape_of(body, local)
    except ExpressionError:
        shape = None
    if shape is None or not shape.scalar or matrix_syntax(body) is not None:
        raise ExpressionError(
            f"the helper {name}() is applied to each entry of a vector or matrix, so its body "
            "must work on numbers: it may not use @, .T, sum, norm, trace, det, inv or diag"
        )


def matrix_syntax(node: Node) -> str | None:
    """The first vector or matrix construct of ``node`` (``'@'``, ``'.T'``, ``'sum()'``), if
    any: what a rule without ``shapes:`` may not use."""
    for part in walk(node):
        match part:
            case BinOp(op="@"):
                return "'@'"
            case Transpose():
                return "'.T'"
            case Call(name=name, kind="function") if name in MATRIX_FUNCTIONS:
                return f"'{name}()'"
    return None


def _product(left: Node, a: Shape, right: Node, b: Shape) -> Shape:
    if a.scalar or b.scalar:
        scalar = left if a.scalar else right
        raise ExpressionError(
            f"@ multiplies matrices and vectors, but {describe(scalar)} is a scalar: write * to "
            "scale by a scalar"
        )
    if a.cols != b.rows:
        raise ExpressionError(
            f"cannot multiply {describe(left)} {a} @ {describe(right)} {b}: the columns of the "
            f"left ({a.cols}) must be the rows of the right ({b.rows})"
        )
    return Shape(a.rows, b.cols)


_ENTRYWISE = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide", "**": "raise"}


def _entrywise(op: str, left: Node, a: Shape, right: Node, b: Shape) -> Shape:
    if op == "**":
        if b.scalar:
            return a
        raise ExpressionError(
            f"cannot raise {describe(left)} {a} to the power {describe(right)} {b}: ** takes "
            "a scalar power, applied to each entry"
        )
    if a == b or b.scalar:
        return a
    if a.scalar:
        return b
    verb = _ENTRYWISE[op]
    raise ExpressionError(
        f"cannot {verb} {describe(left)} {a} and {describe(right)} {b}: {op} works entry by "
        "entry on equal shapes, or with a scalar (use @ for the matrix product, .T to transpose)"
    )


def _matrix_function(name: str, arg: Node, shape: Shape) -> Shape:
    if name in ("sum", "norm"):
        return SCALAR
    if name == "diag":
        if not shape.column:
            raise ExpressionError(f"diag() turns a vector [n] into a matrix, not {shape}")
        return Shape(shape.rows, shape.rows)
    if not shape.square or shape.scalar:
        square = Shape(shape.rows, shape.rows) if not shape.scalar else Shape("n", "n")
        raise ExpressionError(
            f"{name}() needs a square matrix such as {square}, but {describe(arg)} is {shape}"
            + (" (both dimensions must have the same name)" if not shape.scalar else "")
        )
    return shape if name == "inv" else SCALAR


def describe(node: Node | Compare) -> str:
    """An expression as a message quotes it, in the catalogue's own syntax (``W @ x + b``)."""
    match node:
        case Compare(ops=ops, operands=operands):
            parts = [describe(operands[0])]
            for op, operand in zip(ops, operands[1:], strict=True):
                parts += [op, describe(operand)]
            return " ".join(parts)
        case Var(name=name) | Const(name=name):
            return name
        case Num(text=text):
            return text
        case Neg(operand=operand):
            return f"-{_operand(operand)}"
        case Transpose(operand=operand):
            return f"{_operand(operand)}.T"
        case BinOp(op=op, left=left, right=right):
            return f"{_operand(left)} {op} {_operand(right)}"
        case Call(name=name, args=args):
            return f"{name}({', '.join(describe(a) for a in args)})"
    return "Piecewise(...)"


def _operand(node: Node) -> str:
    """``_text`` in parentheses when it is an operation (``(W @ x).T``)."""
    text = describe(node)
    return f"({text})" if isinstance(node, BinOp | Neg) else text
