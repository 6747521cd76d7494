"""Parse the catalogue's expressions, untrusted text, into a small tree of our own.

Nothing here ever evaluates catalogue text: Python's ``ast`` module only *parses* it, and a
whitelist walk turns the allowed nodes into :data:`Node` values (frozen dataclasses). Both the
proof (``symbolic``) and the card's LaTeX (``latex``) are built from the same tree, so what a card
shows is exactly what was proved, in the author's own order.

Syntax: ``+ - * / **`` and ``^`` for powers; exact numbers (``0.01`` is 1/100); variables of any
length; ``pi``; ``e`` for Euler's number except in a rule whose variable is ``e``; the functions in
:data:`FUNCTIONS`; ``Piecewise((value, condition), ...)``; helpers from ``define:``; undeclared
one-letter functions such as ``g(x)`` or ``L_1(w)`` are abstract, and ``g'(x)`` is g's derivative.
Limits on length, nesting and the size of numbers reject bombs such as ``9**9**9`` at once.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction

from ankigen.errors import CatalogueError, Problem, did_you_mean

MAX_LENGTH = 2000  # characters in one expression
MAX_DEPTH = 40  # nesting of operators and calls
MAX_DIGITS = 30  # digits in one number literal
MAX_EXPONENT = 1000  # largest constant exponent
MAX_CONSTANT_BITS = 4096  # size of a constant that folding may produce

# Function name -> (fewest, most) arguments; None means no upper bound.
FUNCTIONS: Mapping[str, tuple[int, int | None]] = {
    "exp": (1, 1),
    "log": (1, 2),
    "ln": (1, 1),
    "sqrt": (1, 1),
    "sin": (1, 1),
    "cos": (1, 1),
    "tan": (1, 1),
    "atan": (1, 1),
    "sinh": (1, 1),
    "cosh": (1, 1),
    "tanh": (1, 1),
    "erf": (1, 1),
    "Abs": (1, 1),
    "sign": (1, 1),
    "Heaviside": (1, 1),
    "Max": (2, None),
    "Min": (2, None),
}
PIECEWISE = "Piecewise"
CONSTANTS = frozenset({"pi", "e"})
ABSTRACT_NAME = re.compile(r"[A-Za-z](_[A-Za-z0-9]+)?")
VARIABLE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
PRIME_MARK = "__d"  # g'(x) is rewritten to g__d1(x) before parsing; "__" is refused in input
_DECIMAL = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_REWRITES = re.compile(r"(?P<power>\^)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<primes>'+)(?=\s*\()")


class ExpressionError(CatalogueError):
    """An expression that cannot be accepted; the loader adds file, line and rule."""

    def __init__(self, message: str) -> None:
        super().__init__([Problem(message)])
        self.reason = message


# --- the tree -----------------------------------------------------------------------------------


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
    """``op`` is one of ``+ - * / **``."""

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


Node = Num | Const | Var | Neg | BinOp | Call | Piecewise
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


@dataclass(frozen=True)
class Scope:
    """What names mean while parsing one rule: its file's helpers and its variable."""

    definitions: Mapping[str, Definition]
    variable: str = "x"

    @property
    def e_is_variable(self) -> bool:
        return self.variable == "e"


# --- parsing ------------------------------------------------------------------------------------

_COMPARE_OPS: Mapping[type[ast.cmpop], str] = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
}
_BIN_OPS: Mapping[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
}
_FORBIDDEN: Mapping[type[ast.AST], str] = {
    ast.Attribute: "attribute access ('.')",
    ast.Lambda: "lambda",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a comprehension",
    ast.Subscript: "indexing ('[...]')",
    ast.List: "a list",
    ast.Dict: "a dict",
    ast.Set: "a set",
    ast.Starred: "'*' unpacking",
    ast.NamedExpr: "':='",
    ast.IfExp: "'if ... else' (use Piecewise)",
    ast.JoinedStr: "a string",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "a slice",
}


def parse_expression(text: str, scope: Scope) -> Node:
    """Parse one catalogue expression into a :data:`Node`, or raise :class:`ExpressionError`."""
    tree = _parse_python(text)
    node = _Builder(tree.source, scope).expression(tree.body, depth=0)
    _check_constant_sizes(node)
    return node


def parse_signature(text: str, constants: Collection[str] = ()) -> tuple[str, tuple[str, ...]]:
    """Parse a helper's signature such as ``sigma(x)`` or ``affine(w, x, b)``, or the bare name
    of a named constant such as ``lam`` (no parameters). A parameter may not be named like one of
    ``constants``, the named constants defined before it: it would hide one of them."""
    match = re.fullmatch(r"\s*([A-Za-z][A-Za-z0-9_]*)\s*(?:\(([^()]*)\))?\s*", text)
    if match is None:
        raise ExpressionError(
            f"a helper is declared as 'name(parameters)', such as 'sigma(x)', not {text!r} "
            "(and a named constant as a bare name, such as 'lam')"
        )
    name = match.group(1)
    listed = match.group(2)
    params = tuple(p.strip() for p in listed.split(",")) if listed and listed.strip() else ()
    if listed is not None and not params:
        raise ExpressionError(
            f"helper '{name}' needs at least one parameter (a named constant is written without "
            f"parentheses: '{name}: 1.5')"
        )
    for param in params:
        if not VARIABLE_NAME.fullmatch(param) or "__" in param:
            raise ExpressionError(f"helper '{name}': {param!r} is not a parameter name")
        if param in CONSTANTS or param in FUNCTIONS or param == PIECEWISE:
            raise ExpressionError(
                f"helper '{name}': the parameter '{param}' would hide the built-in '{param}'"
            )
        if param in constants:
            raise ExpressionError(
                f"helper '{name}': the parameter '{param}' would hide the named constant '{param}'"
            )
    if len(set(params)) != len(params):
        raise ExpressionError(f"helper '{name}' repeats a parameter")
    if name in FUNCTIONS or name == PIECEWISE or name in CONSTANTS:
        raise ExpressionError(f"helper '{name}' would hide the built-in '{name}'")
    return name, params


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
    except (RecursionError, MemoryError, ValueError):
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
        down = depth + 1
        match node:
            case ast.Constant(value=bool()):
                raise ExpressionError(f"'{ast.unparse(node)}' can only be a Piecewise condition")
            case ast.Constant(value=int() | float()):
                return self.number(node)
            case ast.Constant():
                raise ExpressionError(f"{type(node.value).__name__} literals are not allowed")
            case ast.Name(id=name):
                return self.name(name)
            case ast.UnaryOp(op=ast.USub(), operand=operand):
                return Neg(self.expression(operand, down))
            case ast.UnaryOp(op=ast.UAdd(), operand=operand):
                return self.expression(operand, down)
            case ast.BinOp(op=op, left=left, right=right) if type(op) in _BIN_OPS:
                return BinOp(
                    _BIN_OPS[type(op)], self.expression(left, down), self.expression(right, down)
                )
            case ast.BinOp(op=op):
                symbol = ast.unparse(ast.BinOp(ast.Name("a"), op, ast.Name("b")))[2:-2]
                raise ExpressionError(f"the operator '{symbol}' is not allowed")
            case ast.Call():
                return self.call(node, down)
            case ast.Compare() | ast.BoolOp():
                raise ExpressionError("a comparison can only be a Piecewise condition")
            case ast.Tuple():
                raise ExpressionError(
                    "a tuple can only be a piece of Piecewise((value, condition), ...)"
                )
        raise ExpressionError(f"{_describe(node)} is not allowed in an expression")

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
        if not isinstance(node.func, ast.Name):
            raise ExpressionError(f"only named functions can be called, not {_describe(node.func)}")
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
        if name == PIECEWISE:
            return self.piecewise(node, depth)
        args = tuple(self.expression(arg, depth) for arg in node.args)
        if known:
            if name in FUNCTIONS:
                low, high = FUNCTIONS[name]
                _check_arity(name, len(args), low, high)
                return Call(name, args, "function")
            helper = self.scope.definitions[name]
            if helper.is_constant:
                raise ExpressionError(
                    f"'{name}' is a named constant, not a function: write {name}, not {name}(...)"
                )
            _check_arity(name, len(args), len(helper.params), len(helper.params))
            return Call(name, args, "defined")
        if ABSTRACT_NAME.fullmatch(name):
            if not args:
                raise ExpressionError(f"the abstract function '{name}' needs an argument")
            if primes and len(args) != 1:
                raise ExpressionError(
                    f"{name}{chr(39) * primes} is the derivative of a function of one argument; "
                    f"'{name}' is given {len(args)}"
                )
            return Call(name, args, "abstract", primes)
        names = sorted({*FUNCTIONS, PIECEWISE, *self.scope.definitions})
        raise ExpressionError(f"unknown function '{name}'{did_you_mean(name, names)}")

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
                type(op) in _COMPARE_OPS for op in ops
            ):
                operands = (left, *rest)
                return Compare(
                    tuple(_COMPARE_OPS[type(op)] for op in ops),
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


def _describe(node: ast.AST) -> str:
    """Words for a construct, never Python's own class names."""
    match node:
        case ast.UnaryOp(op=op):
            symbol = {ast.Not: "not", ast.Invert: "~"}.get(type(op), "this")
            return f"the operator '{symbol}'"
        case ast.Call():
            return "the result of a call"
        case ast.Constant():
            return "a number"
    return _FORBIDDEN.get(type(node), f"'{ast.unparse(node)[:40]}'")


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


# --- questions about a tree ----------------------------------------------------------------------


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
        case Neg(operand=operand):
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
