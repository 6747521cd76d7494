"""The expression tree: what the parser (:mod:`ankigen.expr.parse`) makes of catalogue text, and
the questions asked of it.

The nodes are frozen dataclasses, so a tree is a value: its ``repr`` keys the caches, and the
proof (:mod:`ankigen.expr.symbolic`) and the card's LaTeX (:mod:`ankigen.expr.latex`) read the
same tree, so what a card shows is exactly what was proved.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Num:
    """An exact rational number, with the author's spelling kept for display."""

    value: Fraction
    text: str


@dataclass(frozen=True)
class Const:
    """A named mathematical constant: ``pi`` or ``e`` (Euler's number)."""

    name: str


@dataclass(frozen=True)
class Var:
    name: str


@dataclass(frozen=True)
class Neg:
    operand: Node


@dataclass(frozen=True)
class BinOp:
    """``op`` is one of ``+ - * / **``, or ``@`` (the matrix product, in a rule with
    ``shapes:``)."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Call:
    """A call. ``kind`` says what the name is: a built-in function, a helper from ``define:``,
    or an abstract function; ``primes`` counts the derivatives of an abstract one (``g''``)."""

    name: str
    args: tuple[Node, ...]
    kind: str  # "function" | "defined" | "abstract"
    primes: int = 0


@dataclass(frozen=True)
class Compare:
    """A (possibly chained) comparison: ``0 < x < 1`` has ops ``('<', '<')``."""

    ops: tuple[str, ...]
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class BoolOp:
    """``and`` / ``or`` over conditions, or ``not`` over one."""

    op: str
    values: tuple[Condition, ...]


@dataclass(frozen=True)
class TrueCond:
    """The catch-all condition of a Piecewise's last piece."""


@dataclass(frozen=True)
class Piecewise:
    pieces: tuple[tuple[Node, Condition], ...]


@dataclass(frozen=True)
class Transpose:
    """``A.T``: a vector's or matrix's transpose (only in a rule with ``shapes:``)."""

    operand: Node


Node = Num | Const | Var | Neg | BinOp | Call | Piecewise | Transpose
Condition = Compare | BoolOp | TrueCond


@dataclass(frozen=True)
class Definition:
    """A helper from a file's ``define:`` block, e.g. ``sigma(x): 1/(1 + exp(-x))``, or a named
    constant, a helper without parameters (``lam: 1.0507009873554805``): an expression names it
    without parentheses, the card prints its name and says its value in a "where" line, and the
    proof uses the exact value."""

    name: str
    params: tuple[str, ...]
    body: Node

    @property
    def is_constant(self) -> bool:
        return not self.params


def walk(node: Node) -> Iterator[Node]:
    """Every expression node of the tree, the root first, each before its children, left to
    right (conditions are looked into too). A stack, not recursion: nested generators would cost
    the depth of the tree at every node."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(_children(current)))


def _children(node: Node) -> list[Node]:
    match node:
        case Neg(operand=operand) | Transpose(operand=operand):
            return [operand]
        case BinOp(left=left, right=right):
            return [left, right]
        case Call(args=args):
            return list(args)
        case Piecewise(pieces=pieces):
            return [
                child
                for value, condition in pieces
                for child in (value, *_condition_operands(condition))
            ]
    return []


def _condition_operands(condition: Condition) -> Iterator[Node]:
    match condition:
        case Compare(operands=operands):
            yield from operands
        case BoolOp(values=values):
            for value in values:
                yield from _condition_operands(value)


def called_names(node: Node) -> set[str]:
    """Names of the ``define:`` helpers the tree calls."""
    return {n.name for n in walk(node) if isinstance(n, Call) and n.kind == "defined"}


def variables(node: Node) -> set[str]:
    """Names of the variables the tree uses (not those inside the helpers it calls)."""
    return {n.name for n in walk(node) if isinstance(n, Var)}


def is_abstract(node: Node) -> bool:
    """Whether the tree calls an abstract function such as ``g(x)``: a general rule."""
    return any(isinstance(n, Call) and n.kind == "abstract" for n in walk(node))
