"""Print parsed expressions as LaTeX in the author's own form and order.

sympy's printer reorders terms (``x 2 \\left(- t + w x\\right)``); this one walks our own tree,
the same one that was proved, and keeps what the author wrote, adding only the parentheses that
the meaning needs (and those the author put around a nested sum or product).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

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
    TrueCond,
    Var,
)

_SUM, _PRODUCT, _POWER, _ATOM = 1, 2, 3, 4

_GREEK_LETTERS = """
    alpha beta gamma delta epsilon zeta eta theta iota kappa mu nu xi rho sigma tau upsilon phi
    chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega
"""
_GREEK = {letter: "\\" + letter for letter in _GREEK_LETTERS.split()}
_GREEK["lam"] = _GREEK["lmbda"] = "\\lambda"
_NAMED_FUNCTIONS = {
    "sin": "\\sin",
    "cos": "\\cos",
    "tan": "\\tan",
    "atan": "\\arctan",
    "sinh": "\\sinh",
    "cosh": "\\cosh",
    "tanh": "\\tanh",
    "erf": "\\operatorname{erf}",
    "sign": "\\operatorname{sign}",
    "Heaviside": "\\operatorname{H}",
    "Max": "\\max",
    "Min": "\\min",
    "ln": "\\ln",
    "log": "\\ln",
}
PiecesPrinter = Callable[[tuple[tuple[Node, Condition], ...]], str]
# While set, what prints a Piecewise instead of one row per piece: the layout (:mod:`.layout`)
# sets it to show each condition under its value when a formula must be narrow.
_CASES: ContextVar[PiecesPrinter | None] = ContextVar("_CASES", default=None)
_RELATIONS = {"<": "<", "<=": "\\leq", ">": ">", ">=": "\\geq", "==": "=", "!=": "\\neq"}


def latex(node: Node) -> str:
    """The LaTeX of an expression (without math delimiters)."""
    return _render(node)


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
            return _name(identifier)
        case Neg(operand=operand):
            return f"-{_operand(operand)}"
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
    match node:
        case BinOp(op="/", left=Neg(operand=numerator), right=right):
            return f"-\\frac{{{_render(numerator)}}}{{{_render(right)}}}"  # -1/x shows as -1 over x
        case BinOp(op="/", left=left, right=right):
            return f"\\frac{{{_render(left)}}}{{{_render(right)}}}"
        case BinOp(op="**", left=base, right=exponent):
            return _power(base, exponent)
        case BinOp(op="*", left=left, right=right):
            return _product(left, right)
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


def _product(left: Node, right: Node) -> str:
    lhs = wrap(_render(left)) if is_sum(left) else _render(left)
    rhs = _operand(right)
    dot = joiner(left, right, rhs)
    return f"{lhs} {dot} {rhs}" if dot else f"{lhs} {rhs}"


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
    return f"{shown}^{{{power}}}"


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
    return f"{_NAMED_FUNCTIONS[node.name]}{_arguments(args)}"


def _arguments(args: tuple[Node, ...]) -> str:
    inner = ", ".join(_render(a) for a in args)
    # \left( grows to a fraction's or a brace's height; around a line of text it sits too big
    return f"\\left({inner}\\right)" if "\\frac" in inner or "cases" in inner else f"({inner})"


def _name(identifier: str) -> str:
    base, _, subscript = identifier.partition("_")
    if not subscript and len(base) > 1 and base[0].isalpha() and base[1:].isdigit():
        base, subscript = base[0], base[1:]  # x1 is x_{1}
    if base in _GREEK:
        shown = _GREEK[base]
    elif len(base) == 1:
        shown = base
    elif base.endswith("hat") and len(base) == 4:
        shown = f"\\hat{{{base[0]}}}"
    else:
        shown = f"\\text{{{base}}}"
    if subscript:
        sub = subscript if len(subscript) == 1 or subscript.isdigit() else f"\\text{{{subscript}}}"
        shown += f"_{{{_GREEK.get(subscript, sub)}}}"
    return shown


def _number(text: str) -> str:
    """A number as written, with a leading zero (.5 -> 0.5) and 1e-3 as 1 \\cdot 10^{-3}."""
    mantissa, _, exponent = text.lower().partition("e")
    if mantissa.startswith("."):
        mantissa = "0" + mantissa
    mantissa = mantissa.rstrip(".") if mantissa.endswith(".") else mantissa
    return f"{mantissa} \\cdot 10^{{{int(exponent)}}}" if exponent else mantissa


def is_fraction(node: Node) -> bool:
    """Whether the expression is printed as a \\frac (without a minus before it)."""
    return isinstance(node, BinOp) and node.op == "/" and not _leading_minus(node)


def _leading_minus(node: Node) -> bool:
    """Whether the LaTeX starts with a minus sign (so it needs brackets after an operator)."""
    return isinstance(node, Neg) or (
        isinstance(node, BinOp) and node.op == "/" and isinstance(node.left, Neg)
    )


def _precedence(node: Node) -> int:
    match node:
        case BinOp(op="+" | "-"):
            return _SUM
        case BinOp(op="*"):
            return _PRODUCT
        case Neg():
            return _PRODUCT
        case BinOp(op="/"):
            return _PRODUCT if _leading_minus(node) else _ATOM  # \frac groups itself
        case BinOp(op="**") | Call(kind="function", name="exp"):
            return _POWER
        case Num(text=text) if "e" in text.lower():
            return _PRODUCT  # printed as m \cdot 10^{k}
    return _ATOM
