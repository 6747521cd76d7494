"""Print parsed expressions as LaTeX in the author's own form and order.

sympy's printer reorders terms (``x 2 \\left(- t + w x\\right)``); this one walks our own tree,
the same one that was proved, and keeps what the author wrote, adding only the parentheses that
the meaning needs (and those the author put around a nested sum or product).

Vectors and matrices (a rule with ``shapes:``, printed inside :func:`shaped`) follow one
convention everywhere: their symbols bold (``\\mathbf{x}``, ``\\boldsymbol{\\mu}``), scalars
italic; ``A.T`` is ``\\mathbf{A}^{\\top}``, ``@`` juxtaposition, ``*`` and ``/`` between two
non-scalars ``\\odot`` and ``\\oslash``; ``sum(v)`` the sum of the entries,
``{\\textstyle\\sum_{i}} v_{i}``; ``norm``, ``trace``, ``det``, ``inv`` and ``diag`` as a textbook
writes them (``\\lVert\\mathbf{v}\\rVert``, ``\\operatorname{tr}``, ``\\det``, ``^{-1}``,
``\\operatorname{diag}``). Outside that block nothing is bold: a scalar rule prints as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

from ankigen.expr.shapes import Shape, shape_of
from ankigen.expr.syntax import MATRIX_FUNCTIONS as _MATRIX_FUNCTIONS
from ankigen.expr.texnames import MATRIX_FUNCTIONS as _MATRIX_NAMES
from ankigen.expr.texnames import NAMED_FUNCTIONS as _NAMED_FUNCTIONS
from ankigen.expr.texnames import bold
from ankigen.expr.texnames import name as _name
from ankigen.expr.texnames import number as _number
from ankigen.expr.tree import (
    BinOp,
    BoolOp,
    Call,
    Compare,
    Condition,
    Const,
    Neg,
    Node,
    Num,
    Piecewise,
    Transpose,
    TrueCond,
    Var,
    walk,
)

_SUM, _PRODUCT, _POWER, _ATOM = 1, 2, 3, 4

PiecesPrinter = Callable[[tuple[tuple[Node, Condition], ...]], str]
# While set, what prints a Piecewise instead of one row per piece: the layout (:mod:`.layout`)
# sets it to show each condition under its value when a formula must be narrow.
_CASES: ContextVar[PiecesPrinter | None] = ContextVar("_CASES", default=None)
# While set, the shapes of a rule's non-scalar symbols (see :func:`shaped`), and inside a
# ``sum()`` written entry by entry, the symbols shown as their i-th entry.
_SHAPES: ContextVar[Mapping[str, Shape] | None] = ContextVar("_SHAPES", default=None)
_ENTRIES: ContextVar[tuple[frozenset[str], str]] = ContextVar("_ENTRIES", default=(frozenset(), ""))
_RELATIONS = {"<": "<", "<=": "\\leq", ">": ">", ">=": "\\geq", "==": "=", "!=": "\\neq"}


def latex(node: Node) -> str:
    """The LaTeX of an expression (without math delimiters)."""
    return _render(node)


@contextmanager
def shaped(shapes: Mapping[str, Shape]) -> Iterator[None]:
    """While in this block, the symbols of ``shapes`` are vectors and matrices: printed bold,
    and the operations between them as matrix calculus writes them (see the module's
    docstring). Every other symbol is a scalar."""
    token = _SHAPES.set({name: shape for name, shape in shapes.items() if not shape.scalar})
    try:
        yield
    finally:
        _SHAPES.reset(token)


def symbol(identifier: str) -> str:
    """The LaTeX of a symbol as an expression shows it: bold for a vector or matrix (inside
    :func:`shaped`), else as :func:`name` writes it."""
    shown = _name(identifier)
    entries, index = _ENTRIES.get()
    if identifier in entries:  # v_{i}, A_{ij}, or W_{1,ij} for the entries of W1
        return shown[:-1] + f",{index}}}" if "_{" in shown else shown + f"_{{{index}}}"
    if identifier not in (_SHAPES.get() or {}):
        return shown
    return bold(shown)


def is_shaped(node: Node) -> bool:
    """Whether the expression is a vector or a matrix (only inside :func:`shaped`)."""
    shapes = _SHAPES.get()
    if not shapes or not any(isinstance(n, Var) and n.name in shapes for n in walk(node)):
        return False
    return not shape_of(node, shapes).scalar


def derivative_of(node: Node, variable: str) -> str:
    """``d/dx`` applied to an expression, bracketed when the expression is a sum or product (see
    :func:`ankigen.expr.layout.derivative_of` for one laid out to a width)."""
    operator, bracketed = derivative_parts(node, variable)
    body = _render(node)
    return operator + (wrap(body) if bracketed else body)


def derivative_parts(node: Node, variable: str) -> tuple[str, bool]:
    """The operator ``d/dx`` that goes before an expression, and whether the expression must
    be bracketed after it."""
    operator = f"\\frac{{d}}{{d{_name(variable)}}}\\, "
    return operator, _precedence(node) <= _PRODUCT and not is_fraction(node)


def relation(op: str) -> str:
    """The LaTeX of a comparison operator such as ``>=``."""
    return _RELATIONS[op]


def function_name(identifier: str) -> str:
    """The LaTeX of a helper's name: ``\\sigma`` for sigma, ``\\operatorname{softplus}``."""
    shown = _name(identifier)
    return f"\\operatorname{{{identifier}}}" if shown.startswith("\\text") else shown


def name(identifier: str) -> str:
    """The LaTeX of a variable or function name: Greek letters, subscripts, hats, \\text."""
    return _name(identifier)


def condition(node: Condition) -> str:
    """The LaTeX of a Piecewise condition, such as ``0 < x \\leq 1``."""
    match node:
        case TrueCond():
            return "\\text{otherwise}"
        case Compare(ops=ops, operands=operands):
            parts = [_render(operands[0])]
            for op, operand in zip(ops, operands[1:], strict=True):
                parts += [_RELATIONS[op], _render(operand)]
            return " ".join(parts)
        case BoolOp(op="not", values=(value,)):
            return f"\\text{{not }}\\left({condition(value)}\\right)"
        case BoolOp(op=op, values=values):
            return f"\\text{{ {op} }}".join(condition(v) for v in values)
    raise TypeError(f"not a condition: {node!r}")


@contextmanager
def cases_printed_by(printer: PiecesPrinter) -> Iterator[None]:
    """While in this block, every Piecewise is printed by ``printer``."""
    token = _CASES.set(printer)
    try:
        yield
    finally:
        _CASES.reset(token)


def wrap(text: str) -> str:
    """LaTeX in brackets that grow with what they hold."""
    return f"\\left({text}\\right)"


def is_sum(node: Node) -> bool:
    """Whether the expression is a sum or difference at its top."""
    return _precedence(node) <= _SUM


def bracketed_after_operator(node: Node) -> bool:
    """Whether the expression needs brackets after an operator: a sum, or a leading minus."""
    return _precedence(node) <= _SUM or _leading_minus(node)


def _render(node: Node) -> str:
    match node:
        case Num(text=text):
            return _number(text)
        case Const(name="pi"):
            return "\\pi"
        case Const():
            return "e"
        case Var(name=identifier):
            return symbol(identifier)
        case Neg(operand=operand):
            return f"-{_operand(operand)}"
        case Transpose(operand=operand):
            return _transposed(operand)
        case BinOp():
            return _binary(node)
        case Call():
            return _call(node)
        case Piecewise(pieces=pieces):
            return _cases(pieces)
    raise TypeError(f"not an expression: {node!r}")


def _operand(node: Node) -> str:
    """An expression after an operator, bracketed if it needs to be."""
    shown = _render(node)
    return wrap(shown) if bracketed_after_operator(node) else shown


def _binary(node: BinOp) -> str:
    if node.op in ("*", "@") or (node.op == "/" and is_shaped(node.right)):
        return _product(node)
    match node:
        case BinOp(op="/", left=Neg(operand=numerator), right=right):
            return f"-\\frac{{{_render(numerator)}}}{{{_render(right)}}}"  # -1/x shows as -1 over x
        case BinOp(op="/", left=left, right=right):
            return f"\\frac{{{_render(left)}}}{{{_render(right)}}}"
        case BinOp(op="**", left=base, right=exponent):
            return _power(base, exponent)
    return f"{_render(node.left)} {node.op} {_operand(node.right)}"


def _cases(pieces: tuple[tuple[Node, Condition], ...]) -> str:
    printer = _CASES.get()
    if printer is not None:
        return printer(pieces)
    rows = " \\\\ ".join(f"{_render(value)} & {case_condition(cond)}" for value, cond in pieces)
    return f"\\begin{{cases}} {rows} \\end{{cases}}"


def case_condition(cond: Condition) -> str:
    """The LaTeX of a piece's condition as a cases row shows it: ``\\text{if } x < 0``."""
    return condition(cond) if isinstance(cond, TrueCond) else f"\\text{{if }} {condition(cond)}"


def _product(node: BinOp) -> str:
    """A product: ``*`` (``\\odot`` between two non-scalars), ``@`` (juxtaposition), or ``/``
    by a non-scalar (``\\oslash``)."""
    left_wrapped, dot, _ = product_parts(node)
    lhs = wrap(_render(node.left)) if left_wrapped else _render(node.left)
    return f"{lhs} {dot} {_right_factor(node)}" if dot else f"{lhs} {_right_factor(node)}"


def product_parts(node: BinOp) -> tuple[bool, str, bool]:
    """How a product (``*``, ``@``, or ``/`` by a non-scalar) prints: whether its left factor
    is bracketed, what joins the two (see :func:`joiner`), whether its right factor is."""
    kind = _product_kind(node)
    left, right = node.left, node.right
    left_wrapped = is_sum(left) or _is_sum_of_entries(left) or _mixed(kind, left)
    right_wrapped = bracketed_after_operator(right) or _mixed(kind, right)
    if kind == "\\oslash":  # a / (b / c) is not (a / b) / c
        right_wrapped = right_wrapped or _precedence(right) <= _PRODUCT
    if kind in ("\\odot", "\\oslash"):
        return left_wrapped, kind, right_wrapped
    shown = _render(right)
    return left_wrapped, joiner(left, right, wrap(shown) if right_wrapped else shown), right_wrapped


def _right_factor(node: BinOp) -> str:
    shown = _render(node.right)
    return wrap(shown) if product_parts(node)[2] else shown


def _product_kind(node: Node) -> str:
    """``@`` for a matrix product, ``\\odot`` or ``\\oslash`` entry by entry between two
    non-scalars, "" for a product with a scalar (or anything else)."""
    if not isinstance(node, BinOp):
        return ""
    if node.op == "@":
        return "@"
    if node.op == "/" and is_shaped(node.right):
        return "\\oslash"
    if node.op == "*" and is_shaped(node.left) and is_shaped(node.right):
        return "\\odot"
    return ""


def _mixed(kind: str, factor: Node) -> bool:
    """Whether a factor is another kind of product, bracketed: ``(Ax) ⊙ y``, ``(a ⊙ b) cᵀ``."""
    inner = _product_kind(factor)
    return bool(kind and inner and inner != kind)


def joiner(left: Node, right: Node, rhs: str) -> str:
    """What joins two factors: nothing, unless it would merge digits (2 \\cdot 3) or read as a
    mixed number (2 \\frac12)."""
    needs_dot = (
        rhs[0].isdigit()
        or (is_fraction(right) and is_fraction(left))
        or (
            isinstance(right, BinOp)
            and right.op == "/"
            and isinstance(right.left, Num)
            and isinstance(left, Num)
        )
    )
    return "\\cdot" if needs_dot else ""


def _power(base: Node, exponent: Node) -> str:
    power = _render(exponent)
    if _is_named_call(base) and _is_positive_integer(exponent):
        # tanh(x)**2 is written \tanh^{2}(x), as in every textbook
        assert isinstance(base, Call)
        return f"{_NAMED_FUNCTIONS[base.name]}^{{{power}}}{_arguments(base.args)}"
    shown = _render(base)
    # A base that is not a single symbol gets brackets: (a+b)^2, (e^x)^2, (\sqrt{x})^2, (1/x)^2.
    exp_or_sqrt = (
        isinstance(base, Call) and base.kind == "function" and base.name in ("exp", "sqrt")
    )
    if _precedence(base) < _ATOM or exp_or_sqrt or is_fraction(base) or isinstance(base, Piecewise):
        shown = wrap(shown)
    # a vector's or matrix's power is entry by entry: A^{⊙2}, never A^2 = AA
    return f"{shown}^{{\\odot {power}}}" if is_shaped(base) else f"{shown}^{{{power}}}"


def _transposed(operand: Node) -> str:
    """``\\mathbf{A}^{\\top}``; ``inv(X).T`` is ``\\mathbf{X}^{-\\top}``; a compound or a
    power in brackets, as in ``(\\mathbf{W}\\mathbf{x})^{\\top}``."""
    if isinstance(operand, Call) and operand.kind == "function" and operand.name == "inv":
        return _superscript(operand.args[0], "-\\top")
    return _superscript(operand, "\\top")


def _superscript(base: Node, script: str) -> str:
    """A base with a script such as ⊤ or −1: bracketed unless it is a symbol or a call."""
    shown = _render(base)
    plain = isinstance(base, Var | Num | Const) or (
        isinstance(base, Call)
        and base.name not in ("exp", "sqrt", "inv", "sum")
        and not base.primes
    )
    return f"{shown if plain else wrap(shown)}^{{{script}}}"


def _is_named_call(node: Node) -> bool:
    """A one-argument call printed as an operator name (\\sin, \\tanh, \\ln, ...)."""
    return (
        isinstance(node, Call)
        and node.kind == "function"
        and node.name in _NAMED_FUNCTIONS
        and node.name not in ("Max", "Min")
        and len(node.args) == 1
    )


def _is_positive_integer(node: Node) -> bool:
    return isinstance(node, Num) and node.value.denominator == 1 and node.value > 0


def _call(node: Call) -> str:
    args = node.args
    if node.kind == "abstract":
        primes = "'" * node.primes if node.primes <= 3 else f"^{{({node.primes})}}"
        return f"{_name(node.name)}{primes}{_arguments(args)}"
    if node.kind == "defined":  # a named constant has no arguments and no parentheses
        return function_name(node.name) + (_arguments(args) if args else "")
    match node.name:
        case "exp":
            return f"e^{{{_render(args[0])}}}"
        case "sqrt":
            return f"\\sqrt{{{_render(args[0])}}}"
        case "Abs":
            return f"\\left|{_render(args[0])}\\right|"
        case "log" if len(args) == 2:
            return f"\\log_{{{_render(args[1])}}}{_arguments(args[:1])}"
        case "inv":
            return _superscript(args[0], "-1")
        case "norm":
            return _norm(args[0])
        case "sum":
            return _sum_of_entries(args[0])
        case "trace" | "det" | "diag":
            return f"{_MATRIX_NAMES[node.name]}{_arguments(args)}"
    return f"{_NAMED_FUNCTIONS[node.name]}{_arguments(args)}"


def _norm(argument: Node) -> str:
    """``\\lVert \\mathbf{x} \\rVert``, and ``\\lVert \\mathbf{W} \\rVert_{F}`` for a matrix:
    the Frobenius norm, never to be taken for the spectral one."""
    inner = _render(argument)
    tall = "\\frac" in inner or "^" in inner
    shown = f"\\left\\lVert {inner} \\right\\rVert" if tall else f"\\lVert {inner} \\rVert"
    shapes = _SHAPES.get()
    shape = shape_of(argument, shapes) if shapes else Shape()
    return shown + ("_{F}" if "1" not in (shape.rows, shape.cols) else "")


def _sum_of_entries(vector: Node) -> str:
    """``sum(v)`` as the sum of its entries: ``\\sum_{i} v_{i}`` (``\\sum_{i} e^{z_{i}}`` for
    ``sum(exp(z))``, ``\\sum_{i,j} A_{ij}`` for a matrix), or ``\\sum_{i} (\\mathbf{X}
    \\mathbf{w})_{i}`` where the vector is no entry-by-entry expression of symbols (a product, a
    transpose, a matrix function)."""
    shapes = _SHAPES.get() or {}
    shape = shape_of(vector, shapes) if shapes else Shape()
    index = "ij" if "1" not in (shape.rows, shape.cols) else "i"
    # Σ with its index beside it in MathJax and ziamath alike (ziamath ignores \\nolimits)
    head = f"{{\\textstyle\\sum_{{{','.join(index)}}}}}\\, "
    entrywise = not any(
        isinstance(n, Transpose)
        or (isinstance(n, BinOp) and n.op == "@")
        or (isinstance(n, Call) and n.name in _MATRIX_FUNCTIONS)
        for n in walk(vector)
    )
    if not entrywise:
        return f"{head}{wrap(_render(vector))}_{{{index}}}"
    names = frozenset(n.name for n in walk(vector) if isinstance(n, Var) and n.name in shapes)
    entries, scalars = _ENTRIES.set((names, index)), _SHAPES.set({})
    try:
        shown = _render(vector)
    finally:
        _SHAPES.reset(scalars)
        _ENTRIES.reset(entries)
    return head + (wrap(shown) if is_sum(vector) else shown)


def _is_sum_of_entries(node: Node) -> bool:
    """``sum(v)``, which must be bracketed before another factor: Σᵢ vᵢ y is not (Σᵢ vᵢ) y."""
    return isinstance(node, Call) and node.kind == "function" and node.name == "sum"


def _arguments(args: tuple[Node, ...]) -> str:
    inner = ", ".join(_render(a) for a in args)
    # \left( grows to a fraction's or a brace's height; around a line of text it sits too big
    return f"\\left({inner}\\right)" if "\\frac" in inner or "cases" in inner else f"({inner})"


def is_fraction(node: Node) -> bool:
    """Whether the expression is printed as a \\frac (without a minus before it)."""
    return (
        isinstance(node, BinOp)
        and node.op == "/"
        and not _leading_minus(node)
        and not is_shaped(node.right)
    )


def _leading_minus(node: Node) -> bool:
    """Whether the LaTeX starts with a minus sign (so it needs brackets after an operator)."""
    return isinstance(node, Neg) or (
        isinstance(node, BinOp) and node.op == "/" and isinstance(node.left, Neg)
    )


def _precedence(node: Node) -> int:
    match node:
        case BinOp(op="+" | "-"):
            return _SUM
        case BinOp(op="*" | "@"):
            return _PRODUCT
        case Neg():
            return _PRODUCT
        case BinOp(op="/", right=right):
            # \frac groups itself; a / b by a non-scalar is a ⊘ b
            return _PRODUCT if _leading_minus(node) or is_shaped(right) else _ATOM
        case BinOp(op="**") | Transpose() | Call(kind="function", name="exp" | "inv"):
            return _POWER
        case Call(kind="function", name="sum"):
            return _PRODUCT  # \sum_{i} reaches over what follows it
        case Num(text=text) if "e" in text.lower():
            return _PRODUCT  # printed as m \cdot 10^{k}
    return _ATOM
