"""Print parsed expressions as LaTeX in the author's own form and order.

sympy's printer reorders terms (``x 2 \\left(- t + w x\\right)``); this one walks our own tree,
the same one that was proved, and keeps what the author wrote, adding only the parentheses that
the meaning needs (and those the author put around a nested sum or product).
"""

from __future__ import annotations

from ankigen.expressions import (
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
_RELATIONS = {"<": "<", "<=": "\\leq", ">": ">", ">=": "\\geq", "==": "=", "!=": "\\neq"}


def latex(node: Node) -> str:
    """The LaTeX of an expression (without math delimiters)."""
    return _render(node)


def derivative_of(node: Node, variable: str) -> str:
    """``d/dx`` applied to an expression, bracketed when the expression is a sum or product."""
    body = _render(node)
    if _precedence(node) <= _PRODUCT and not _is_fraction(node):
        body = f"\\left({body}\\right)"
    return f"\\frac{{d}}{{d{_name(variable)}}}\\, {body}"


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
            inner = _render(operand)
            if _precedence(operand) <= _SUM or _leading_minus(operand):
                inner = _wrap(inner)
            return f"-{inner}"
        case BinOp(op="/", left=Neg(operand=numerator), right=right):
            return f"-\\frac{{{_render(numerator)}}}{{{_render(right)}}}"  # -1/x shows as -1 over x
        case BinOp(op="/", left=left, right=right):
            return f"\\frac{{{_render(left)}}}{{{_render(right)}}}"
        case BinOp(op="**", left=base, right=exponent):
            return _power(base, exponent)
        case BinOp(op="*", left=left, right=right):
            return _product(left, right)
        case BinOp(op=op, left=left, right=right):
            rhs = _render(right)
            if _precedence(right) <= _SUM or _leading_minus(right):
                rhs = _wrap(rhs)
            return f"{_render(left)} {op} {rhs}"
        case Call():
            return _call(node)
        case Piecewise(pieces=pieces):
            rows = " \\\\ ".join(f"{_render(value)} & {_if(cond)}" for value, cond in pieces)
            return f"\\begin{{cases}} {rows} \\end{{cases}}"
    raise TypeError(f"not an expression: {node!r}")


def _if(cond: Condition) -> str:
    return condition(cond) if isinstance(cond, TrueCond) else f"\\text{{if }} {condition(cond)}"


def _product(left: Node, right: Node) -> str:
    lhs, rhs = _render(left), _render(right)
    if _precedence(left) <= _SUM:
        lhs = _wrap(lhs)
    if _precedence(right) <= _SUM or _leading_minus(right):
        rhs = _wrap(rhs)
    # Juxtaposition unless it would merge digits (2 \cdot 3) or read as a mixed number (2 \frac12).
    needs_dot = (
        rhs[0].isdigit()
        or (_is_fraction(right) and _is_fraction(left))
        or (
            isinstance(right, BinOp)
            and right.op == "/"
            and isinstance(right.left, Num)
            and isinstance(left, Num)
        )
    )
    return f"{lhs} \\cdot {rhs}" if needs_dot else f"{lhs} {rhs}"


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
    if (
        _precedence(base) < _ATOM
        or exp_or_sqrt
        or _is_fraction(base)
        or isinstance(base, Piecewise)
    ):
        shown = _wrap(shown)
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


def _wrap(text: str) -> str:
    return f"\\left({text}\\right)"


def _is_fraction(node: Node) -> bool:
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
