"""Parse the catalogue's expressions, untrusted text, into a small tree of our own.

Nothing here ever evaluates catalogue text: Python's ``ast`` module only *parses* it, and a
whitelist walk turns the allowed nodes into :data:`~ankigen.expr.tree.Node` values (frozen
dataclasses). Both the proof (``symbolic``) and the card's LaTeX (``latex``) are built from the
same tree, so what a card shows is exactly what was proved, in the author's own order.

Syntax: ``+ - * / **`` and ``^`` for powers; exact numbers (``0.01`` is 1/100); variables of any
length; ``pi``; ``e`` for Euler's number except in a rule whose variable is ``e``; the functions in
:data:`~ankigen.expr.syntax.FUNCTIONS`; ``Piecewise((value, condition), ...)``; helpers from
``define:``; undeclared one-letter functions such as ``g(x)`` or ``L_1(w)`` are abstract, and
``g'(x)`` is g's derivative. Limits on length, nesting and the size of numbers reject bombs such
as ``9**9**9`` at once.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from ankigen.errors import CatalogueError, Problem, did_you_mean
from ankigen.expr.syntax import (
    ABSTRACT_NAME,
    BIN_OPS,
    COMPARE_OPS,
    CONSTANTS,
    FUNCTIONS,
    PIECEWISE,
    TRANSPOSE,
    VARIABLE_NAME,
    describe,
    not_a_value,
)
from ankigen.expr.tree import (
    BinOp,
    BoolOp,
    Call,
    Compare,
    Condition,
    Const,
    Definition,
    Neg,
    Node,
    Num,
    Piecewise,
    Transpose,
    TrueCond,
    Var,
)

MAX_LENGTH = 2000  # characters in one expression
MAX_DEPTH = 40  # nesting of operators and calls
MAX_DIGITS = 30  # digits in one number literal
MAX_EXPONENT = 1000  # largest constant exponent
MAX_CONSTANT_BITS = 4096  # size of a constant that folding may produce

PRIME_MARK = "__d"  # g'(x) is rewritten to g__d1(x) before parsing; "__" is refused in input
_DECIMAL = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_REWRITES = re.compile(r"(?P<power>\^)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<primes>'+)(?=\s*\()")


class ExpressionError(CatalogueError):
    """An expression that cannot be accepted; the loader adds file, line and rule."""

    def __init__(self, message: str) -> None:
        super().__init__([Problem(message)])
        self.reason = message


@dataclass(frozen=True)
class Scope:
    """What names mean while parsing one rule: its file's helpers and its variable."""

    definitions: Mapping[str, Definition]
    variable: str = "x"

    @property
    def e_is_variable(self) -> bool:
        return self.variable == "e"


# --- parsing ------------------------------------------------------------------------------------


def parse_expression(text: str, scope: Scope) -> Node:
    """Parse one catalogue expression into a :data:`Node`, or raise :class:`ExpressionError`."""
    tree = _parse_python(text)
    node = _Builder(tree.source, scope).expression(tree.body, depth=0)
    _check_constant_sizes(node)
    return node


def parse_comparison(text: str, scope: Scope) -> Compare:
    """One ``assume:`` condition of a rule with shapes: a comparison of expressions, possibly
    chained (``det(X) > 0``, ``0 < p < 1``), the way a Piecewise condition is read; raise
    :class:`ExpressionError` for anything else."""
    tree = _parse_python(text)
    body = tree.body
    if not (isinstance(body, ast.Compare) and all(type(op) in COMPARE_OPS for op in body.ops)):
        raise ExpressionError(
            "a condition compares expressions with <, <=, >, >=, == or !=, such as 'det(X) > 0'"
        )
    condition = _Builder(tree.source, scope).condition(body, depth=0)
    assert isinstance(condition, Compare)  # what the body is, checked above
    _constant_condition(condition)
    return condition


@dataclass(frozen=True)
class _Parsed:
    body: ast.expr
    source: str


def _parse_python(text: str) -> _Parsed:
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("the expression is empty")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"the expression is {len(text)} characters long; the limit is {MAX_LENGTH}"
        )
    if "__" in text:
        raise ExpressionError("names containing '__' are not allowed")
    text = text.strip().replace("\n", " ").replace("\r", " ")
    source, origin = _rewrite(text)
    if "'" in source or '"' in source:
        raise ExpressionError("quotes are not allowed; a prime marks a derivative, as in g'(x)")
    try:
        with warnings.catch_warnings():
            # Python warns about oddities such as "0and x"; the verdict must not depend on -W
            warnings.simplefilter("ignore")
            tree = ast.parse(source, mode="eval")
    except SyntaxError as error:
        column = origin[min(error.offset, len(origin)) - 1] + 1 if error.offset else None
        where = f" at column {column}" if column else ""
        raise ExpressionError(f"invalid syntax{where}: {text!r}") from None
    except (RecursionError, MemoryError, ValueError):  # its stack or memory, not the syntax
        raise ExpressionError("the expression is nested too deeply") from None
    return _Parsed(tree.body, source)


class _Builder:
    """The whitelist walk from Python's syntax tree to ours."""

    def __init__(self, source: str, scope: Scope) -> None:
        self.source = source
        self.utf8 = source.encode()  # ast's columns count UTF-8 bytes
        self.scope = scope

    def expression(self, node: ast.expr, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise ExpressionError(f"the expression is nested more than {MAX_DEPTH} levels deep")
        match node:
            case ast.Constant():
                return self.constant(node)
            case ast.Name(id=name):
                return self.name(name)
            case ast.UnaryOp(op=ast.USub(), operand=operand):
                return Neg(self.expression(operand, depth + 1))
            case ast.UnaryOp(op=ast.UAdd(), operand=operand):
                return self.expression(operand, depth + 1)
            case ast.BinOp():
                return self.binary(node, depth + 1)
            case ast.Call():
                return self.call(node, depth + 1)
            case ast.Attribute(value=value, attr=attr, ctx=ast.Load()) if attr == TRANSPOSE:
                return Transpose(self.expression(value, depth + 1))
            case ast.Attribute(attr=attr):
                raise ExpressionError(
                    f"'.{attr}' is not allowed: the only attribute is .T, the transpose"
                )
        raise ExpressionError(not_a_value(node))

    def constant(self, node: ast.Constant) -> Num:
        if isinstance(node.value, bool):  # before int: True is an int to Python
            raise ExpressionError(f"'{ast.unparse(node)}' can only be a Piecewise condition")
        if isinstance(node.value, int | float):
            return self.number(node)
        raise ExpressionError(f"{type(node.value).__name__} literals are not allowed")

    def binary(self, node: ast.BinOp, depth: int) -> BinOp:
        op = BIN_OPS.get(type(node.op))
        if op is None:
            symbol = ast.unparse(ast.BinOp(ast.Name("a"), node.op, ast.Name("b")))[2:-2]
            raise ExpressionError(f"the operator '{symbol}' is not allowed")
        return BinOp(op, self.expression(node.left, depth), self.expression(node.right, depth))

    def number(self, node: ast.Constant) -> Num:
        # The source is one line (newlines were replaced), so the number's text is a slice of it;
        # ast.get_source_segment would split the whole source into lines for every number.
        end = node.end_col_offset if node.end_col_offset is not None else node.col_offset
        text = self.utf8[node.col_offset : end].decode() or repr(node.value)
        return Num(exact_number(text), text)

    def name(self, name: str) -> Node:
        if name.startswith("_") or not VARIABLE_NAME.fullmatch(name):
            raise ExpressionError(f"'{name}' is not a variable name")
        if name == "e" and self.scope.e_is_variable:
            return Var("e")
        if name in CONSTANTS:
            return Const(name)
        helper = self.scope.definitions.get(name)
        if helper is not None and helper.is_constant:
            return Call(name, (), "defined")
        if name in FUNCTIONS or name == PIECEWISE or helper is not None:
            raise ExpressionError(f"'{name}' is a function: call it, as in {name}(x)")
        return Var(name)

    def call(self, node: ast.Call, depth: int) -> Node:
        name, primes = self.callee(node)
        if name == PIECEWISE:
            return self.piecewise(node, depth)
        args = tuple(self.expression(arg, depth) for arg in node.args)
        if name in FUNCTIONS:
            low, high = FUNCTIONS[name]
            _check_arity(name, len(args), low, high)
            return Call(name, args, "function")
        if name in self.scope.definitions:
            return self.helper_call(name, args)
        if ABSTRACT_NAME.fullmatch(name):
            return _abstract_call(name, args, primes)
        names = sorted({*FUNCTIONS, PIECEWISE, *self.scope.definitions})
        raise ExpressionError(f"unknown function '{name}'{did_you_mean(name, names)}")

    def callee(self, node: ast.Call) -> tuple[str, int]:
        """The name a call calls and its count of primes, if the call's form is allowed."""
        if not isinstance(node.func, ast.Name):
            raise ExpressionError(f"only named functions can be called, not {describe(node.func)}")
        if node.keywords:
            raise ExpressionError("keyword arguments are not allowed")
        if any(isinstance(arg, ast.Starred) for arg in node.args):
            raise ExpressionError("'*' unpacking is not allowed")
        name, primes = _split_primes(node.func.id)
        if name.startswith("_"):
            raise ExpressionError(f"'{name}' is not a function name")
        known = name in FUNCTIONS or name == PIECEWISE or name in self.scope.definitions
        if known and primes:
            raise ExpressionError(
                f"a prime only marks the derivative of an abstract function such as g'(x); "
                f"write the derivative of '{name}' out"
            )
        return name, primes

    def helper_call(self, name: str, args: tuple[Node, ...]) -> Call:
        helper = self.scope.definitions[name]
        if helper.is_constant:
            raise ExpressionError(
                f"'{name}' is a named constant, not a function: write {name}, not {name}(...)"
            )
        _check_arity(name, len(args), len(helper.params), len(helper.params))
        return Call(name, args, "defined")

    def piecewise(self, node: ast.Call, depth: int) -> Piecewise:
        if not node.args:
            raise ExpressionError("Piecewise needs at least one (value, condition) piece")
        pieces = []
        for arg in node.args:
            if not (isinstance(arg, ast.Tuple) and len(arg.elts) == 2):
                raise ExpressionError("each piece of Piecewise is a pair: (value, condition)")
            value, condition = arg.elts
            pieces.append((self.expression(value, depth + 1), self.condition(condition, depth + 1)))
        return Piecewise(tuple(pieces))

    def condition(self, node: ast.expr, depth: int) -> Condition:
        if depth > MAX_DEPTH:
            raise ExpressionError(f"the expression is nested more than {MAX_DEPTH} levels deep")
        match node:
            case ast.Constant(value=True):
                return TrueCond()
            case ast.Compare(left=left, ops=ops, comparators=rest) if all(
                type(op) in COMPARE_OPS for op in ops
            ):
                operands = (left, *rest)
                return Compare(
                    tuple(COMPARE_OPS[type(op)] for op in ops),
                    tuple(self.expression(o, depth + 1) for o in operands),
                )
            case ast.BoolOp(op=op, values=values):
                name = "and" if isinstance(op, ast.And) else "or"
                return BoolOp(name, tuple(self.condition(v, depth + 1) for v in values))
            case ast.UnaryOp(op=ast.Not(), operand=operand):
                return BoolOp("not", (self.condition(operand, depth + 1),))
        raise ExpressionError(
            "a Piecewise condition is a comparison such as x < 0 (combined with and/or), or True"
        )


def _abstract_call(name: str, args: tuple[Node, ...], primes: int) -> Call:
    if not args:
        raise ExpressionError(f"the abstract function '{name}' needs an argument")
    if primes and len(args) != 1:
        raise ExpressionError(
            f"{name}{chr(39) * primes} is the derivative of a function of one argument; "
            f"'{name}' is given {len(args)}"
        )
    return Call(name, args, "abstract", primes)


def _rewrite(text: str) -> tuple[str, list[int]]:
    """Rewrite ``^`` as ``**`` and ``g'(x)`` as ``g__d1(x)`` so that Python can parse the text;
    ``origin[i]`` is the index in ``text`` that character ``i`` of the result came from, so that
    errors point at what the author typed."""
    parts: list[str] = []
    origin: list[int] = []
    position = 0
    for match in _REWRITES.finditer(text):
        parts.append(text[position : match.start()])
        origin.extend(range(position, match.start()))
        if match.group("power"):
            replacement = "**"
        else:
            replacement = f"{match.group('name')}{PRIME_MARK}{len(match.group('primes'))}"
        parts.append(replacement)
        origin.extend([match.start()] * len(replacement))
        position = match.end()
    parts.append(text[position:])
    origin.extend(range(position, len(text)))
    origin.append(len(text))  # one past the end, where "unexpected end" errors point
    return "".join(parts), origin


def _split_primes(name: str) -> tuple[str, int]:
    base, mark, count = name.rpartition(PRIME_MARK)
    return (base, int(count)) if mark and count.isdigit() else (name, 0)


def _check_arity(name: str, given: int, low: int, high: int | None) -> None:
    if given < low or (high is not None and given > high):
        wanted = (
            str(low) if low == high else (f"at least {low}" if high is None else f"{low} or {high}")
        )
        plural = "" if wanted == "1" else "s"
        raise ExpressionError(f"'{name}' takes {wanted} argument{plural}, not {given}")


def exact_number(text: str) -> Fraction:
    """The exact value of a plain decimal number such as ``2.5``, ``.5`` or ``1e-3`` (no sign),
    for expressions and plot settings alike.

    Its size is checked on the text, before it is made exact: at most :data:`MAX_DIGITS` digits
    and an exponent within ±:data:`MAX_EXPONENT`, so ``1e-99999999`` is refused at once instead of
    computing a hundred-million-digit power of ten. Raises :class:`ExpressionError`.
    """
    if sum(ch.isdigit() for ch in text) > MAX_DIGITS:
        raise ExpressionError(f"the number {text[:20]}… has more than {MAX_DIGITS} digits")
    if not _DECIMAL.fullmatch(text):
        raise ExpressionError(f"write {text} as a plain decimal number")
    _mantissa, _, exponent = text.lower().partition("e")
    if exponent and abs(int(exponent)) > MAX_EXPONENT:
        size = "small" if int(exponent) < 0 else "large"
        raise ExpressionError(
            f"the number {text} is too {size} (the exponent is limited to ±{MAX_EXPONENT})"
        )
    return Fraction(text)


# --- size limits on constants --------------------------------------------------------------------


def _check_constant_sizes(node: Node) -> None:
    """Reject constant exponents and constants too large to compute, before sympy sees them."""
    _constant(node)


def _constant(node: Node) -> Fraction | None:
    """The exact value of a constant rational subtree (None if not constant or not rational),
    checking every power on the way down."""
    match node:
        case Num(value=value):
            return value
        case Neg(operand=operand):
            inner = _constant(operand)
            return -inner if inner is not None else None
        case BinOp(op=op, left=left, right=right):
            a, b = _constant(left), _constant(right)
            if op == "**":
                return _power(a, b)
            if op == "/" and b == 0:
                raise ExpressionError("division by zero")
            if a is None or b is None:
                return None
            if op == "/":
                return a / b
            return a + b if op == "+" else a - b if op == "-" else a * b
        case Call(args=args):
            for arg in args:
                _constant(arg)
        case Piecewise(pieces=pieces):
            for piece, condition in pieces:
                _constant(piece)
                _constant_condition(condition)
    return None


def _constant_condition(condition: Condition) -> None:
    match condition:
        case Compare(operands=operands):
            for operand in operands:
                _constant(operand)
        case BoolOp(values=values):
            for value in values:
                _constant_condition(value)


def _power(base: Fraction | None, exponent: Fraction | None) -> Fraction | None:
    if exponent is None:
        return None
    if abs(exponent) > MAX_EXPONENT:
        raise ExpressionError(
            f"the exponent {_short(exponent)} is too large (the limit is {MAX_EXPONENT})"
        )
    if base is None or exponent.denominator != 1:
        return None
    size = max(base.numerator.bit_length(), base.denominator.bit_length()) * abs(int(exponent))
    if size > MAX_CONSTANT_BITS:
        raise ExpressionError("a constant power in the expression is too large to compute")
    if base == 0 and exponent < 0:
        raise ExpressionError("division by zero")
    return base ** int(exponent)


def _short(value: Fraction) -> str:
    text = str(value)
    return text if len(text) <= 20 else text[:17] + "…"
