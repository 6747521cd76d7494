"""Print parsed expressions as LaTeX in the author's own form and order.

sympy's printer reorders terms (``x 2 \\left(- t + w x\\right)``); this one walks our own tree,
the same one that was proved, and keeps what the author wrote, adding only the parentheses that
the meaning needs (and those the author put around a nested sum or product).
"""

from __future__ import annotations

from contextvars import ContextVar

from ankigen.expr import texwidth
from ankigen.expr.parse import (
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
# While set, the width in em that a Piecewise must fit: it then shows each condition under its
# value rather than beside it (see fit()).
_CASES_BUDGET: ContextVar[float | None] = ContextVar("_CASES_BUDGET", default=None)
_RELATIONS = {"<": "<", "<=": "\\leq", ">": ">", ">=": "\\geq", "==": "=", "!=": "\\neq"}


def latex(node: Node) -> str:
    """The LaTeX of an expression (without math delimiters)."""
    return _render(node)


def derivative_of(node: Node, variable: str, budget: float | None = None) -> str:
    """``d/dx`` applied to an expression, bracketed when the expression is a sum or product;
    laid out to fit ``budget`` em (see :func:`fit`) when one is given."""
    operator = f"\\frac{{d}}{{d{_name(variable)}}}\\, "
    bracketed = _precedence(node) <= _PRODUCT and not _is_fraction(node)
    if budget is None:
        body = _render(node)
        return operator + (_wrap(body) if bracketed else body)
    return fit(node, budget, lead=operator, bracketed=bracketed)


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
            budget = _CASES_BUDGET.get()
            if budget is not None:
                return _stacked_cases(pieces, budget)
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
    joiner = _joiner(left, right, rhs)
    return f"{lhs} {joiner} {rhs}" if joiner else f"{lhs} {rhs}"


def _joiner(left: Node, right: Node, rhs: str) -> str:
    """What joins two factors: nothing, unless it would merge digits (2 \\cdot 3) or read as a
    mixed number (2 \\frac12)."""
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


# --- fitting a formula to a width --------------------------------------------------------------
#
# MathJax (version 3, as in Anki) never breaks a line, so a formula wider than a phone scrolls or
# is cut off. fit() breaks it here, at the points a textbook would: first a Piecewise shows each
# condition under its value; then a long sum goes over lines at its + and −, a long product at
# its factors (with a · where the line breaks), each continued line indented; a bracketed part
# that is still too long is broken inside its brackets. Widths are texwidth's estimates.

_INDENT = "\\quad "
_INDENT_WIDTH = 1.0
_CONDITION_INDENT = "\\qquad "  # deeper than a continued line, so a condition stands out


def fit(node: Node, budget: float, lead: str = "", *, bracketed: bool = False) -> str:
    """The LaTeX of ``lead`` (such as ``f(x) = ``) followed by the expression (in brackets if
    ``bracketed``), laid out to fit ``budget`` em: as written if it fits; else with each
    condition of a Piecewise under its value; else a size smaller (``\\small``, 85 %); else
    over lines (at that size if that needs fewer lines); and what still does not fit, in
    MathJax's smaller sizes."""
    small_budget = budget / _SMALL
    for layout, width in ((_flat, budget), (_stacked, budget), (_flat, small_budget),
                          (_stacked, small_budget)):  # fmt: skip
        tex = layout(node, width, lead, bracketed)
        if texwidth.width(tex) <= width:
            return tex if width == budget else f"\\small {tex}"
    normal = _broken(node, budget, lead, bracketed)
    small = _broken(node, small_budget, lead, bracketed)
    if small.count("\\\\") < normal.count("\\\\") and texwidth.width(small) <= small_budget:
        return f"\\small {small}"
    return _smaller_to_fit(normal, budget)


_SMALL = 0.85  # \small in MathJax


def _flat(node: Node, budget: float, lead: str, bracketed: bool) -> str:
    del budget  # as written, whatever the width
    return lead + (_wrap(_render(node)) if bracketed else _render(node))


def _stacked(node: Node, budget: float, lead: str, bracketed: bool) -> str:
    token = _CASES_BUDGET.set(budget - 3.0)
    try:
        return _flat(node, budget, lead, bracketed)
    finally:
        _CASES_BUDGET.reset(token)


def _fit(node: Node, budget: float) -> str:
    """The expression as written if it fits ``budget`` em, else over lines at that size (for
    the parts of a bigger formula: the size is chosen for the whole)."""
    flat = _flat(node, budget, "", False)
    return flat if texwidth.width(flat) <= budget else _broken(node, budget, "", False)


def _broken(node: Node, budget: float, lead: str, bracketed: bool) -> str:
    """The expression over the lines of an ``aligned`` environment, each as wide as
    ``budget`` em at most where the expression has points to break at."""
    token = _CASES_BUDGET.set(budget - 3.0)
    try:
        lines = _lines(node, bracketed, budget - texwidth.width(lead), budget - _INDENT_WIDTH)
    finally:
        _CASES_BUDGET.reset(token)
    if len(lines) == 1:
        return lead + lines[0]
    # continued lines line up after the "=" of "f(x) = …", else after the start of the first
    first_line = lead.removesuffix("= ") + "&= " if lead.endswith("= ") else "& " + lead
    body = " \\\\ ".join([first_line + lines[0], *(f"& {_INDENT}{line}" for line in lines[1:])])
    return f"\\begin{{aligned}} {body} \\end{{aligned}}"


_SMALLER = (("\\small", _SMALL), ("\\footnotesize", 0.8), ("\\scriptsize", 0.7))


def _smaller_to_fit(tex: str, budget: float) -> str:
    """``tex`` as it is if it fits, else in the largest of MathJax's smaller sizes that fits
    (or the smallest): the last resort for what has no point to break at, such as a long
    number."""
    width = texwidth.width(tex)
    if width <= budget:
        return tex
    fitting = [command for command, factor in _SMALLER if width * factor <= budget]
    return f"{(fitting or [_SMALLER[-1][0]])[0]} {tex}"


def _lines(node: Node, bracketed: bool, first: float, rest: float) -> list[str]:
    """The expression over lines: the first fits ``first`` em, the others ``rest`` (after the
    indent that :func:`_fit` gives them), where the expression allows. Lines after the first
    start with their operator."""
    if bracketed:
        return _bracketed(_lines(node, False, first - 0.8, rest - 0.8))
    if isinstance(node, Neg):
        wrap = _precedence(node.operand) <= _SUM or _leading_minus(node.operand)
        negated = _lines(node.operand, wrap, first - 1.0, rest)
        negated[0] = f"-{negated[0]}"
        return negated
    if isinstance(node, Call) and node.kind != "abstract" and not _has_base(node):
        return _call_lines(node, first, rest)
    if _is_fraction(node):
        assert isinstance(node, BinOp)
        parts = [_fit(part, first) for part in (node.left, node.right)]
        return [f"\\frac{{{parts[0]}}}{{{parts[1]}}}"]
    items = _chain(node)
    if len(items) == 1:
        return [_render(node)]
    lines: list[str] = []
    current = ""
    for joiner, item, wrapped in items:
        text = _wrap(_render(item)) if wrapped else _render(item)
        limit = rest if lines else first
        if not current:
            prefix = ""
        elif texwidth.width(f"{current} {joiner} {text}") <= limit:
            current = f"{current} {joiner} {text}" if joiner else f"{current} {text}"
            continue
        elif (
            not wrapped
            or texwidth.width(_continued(joiner) + text) <= rest
            or limit - texwidth.width(current) < _MIN_ROOM
        ):
            lines.append(current)  # the item goes whole on a new line, or starts one
            prefix, limit = _continued(joiner), rest
        else:  # a bracket too long for any line opens here, as in ⅓(a² \\ + b² …)
            prefix = f"{current} {joiner} " if joiner else f"{current} "
        if texwidth.width(prefix + text) <= limit:
            current = prefix + text
            continue
        # the item alone is too wide: break it too, and go on after its last line
        broken = _lines(item, wrapped, limit - texwidth.width(prefix), rest)
        broken[0] = prefix + broken[0]
        lines.extend(broken[:-1])
        current = broken[-1]
    lines.append(current)
    return lines


_MIN_ROOM = 3.0  # em: with less room left on a line, a long bracket starts a new one


def _continued(joiner: str) -> str:
    """How a continued line starts: its operator (a · for juxtaposed factors), after {} so
    that it stays an operation between two things rather than a sign."""
    return "{} " + (joiner or "\\cdot") + " "


def _has_base(node: Call) -> bool:
    """log(x, b), printed \\log_{b}(x): its base is no argument in brackets."""
    return node.name == "log" and len(node.args) == 2


def _call_lines(node: Call, first: float, rest: float) -> list[str]:
    """A call over lines, its arguments broken where they are too long, one argument a line
    at least, in brackets that span them all."""
    if node.name in ("exp", "sqrt", "Abs"):
        return [_render(node)]  # drawn without a name and brackets: e^{…}, √…, |…|
    head = _render(Call(node.name, (), node.kind, node.primes)).removesuffix("()")
    lines: list[str] = []
    for index, argument in enumerate(node.args):
        room = first - texwidth.width(head) if index == 0 else rest
        broken = _lines(argument, False, room - 1.0, rest - 1.0)
        if index < len(node.args) - 1:
            broken[-1] += ","
        lines += broken
    lines = _bracketed(lines)
    lines[0] = head + lines[0]
    return lines


def _bracketed(lines: list[str]) -> list[str]:
    """Lines in one pair of brackets that spans them: each line's \\left and \\right must
    pair up, so inner ends get the empty bracket "."."""
    if len(lines) == 1:
        return [_wrap(lines[0])]
    return [
        ("\\left(" if i == 0 else "\\left.")
        + line
        + ("\\right)" if i == len(lines) - 1 else "\\right.")
        for i, line in enumerate(lines)
    ]


def _chain(node: Node) -> list[tuple[str, Node, bool]]:
    """A sum as its terms, or a product as its factors: for each, what joins it to the one
    before (an operator, or "" for juxtaposition), the node, and whether it is bracketed, all
    as the printer above shows them."""
    if isinstance(node, BinOp) and node.op in ("+", "-"):
        right = node.right
        wrapped = _precedence(right) <= _SUM or _leading_minus(right)
        return [*_chain_of(node.left, ("+", "-")), (node.op, right, wrapped)]
    if isinstance(node, BinOp) and node.op == "*":
        return _chain_of(node, ("*",))
    return [("", node, False)]


def _chain_of(node: Node, ops: tuple[str, ...]) -> list[tuple[str, Node, bool]]:
    if not (isinstance(node, BinOp) and node.op in ops):
        return [("", node, _precedence(node) <= _SUM and ops == ("*",))]
    if node.op == "*":
        left, right = node.left, node.right
        wrapped = _precedence(right) <= _SUM or _leading_minus(right)
        rhs = _wrap(_render(right)) if wrapped else _render(right)
        return [*_chain_of(left, ops), (_joiner(left, right, rhs), right, wrapped)]
    return _chain(node)


def _stacked_cases(pieces: tuple[tuple[Node, Condition], ...], budget: float) -> str:
    """A Piecewise with each condition under its value, each value fitted to ``budget``."""
    rows = []
    for value, cond in pieces:
        shown = _fit(value, budget)
        rows.append(f"{shown} \\\\ {_CONDITION_INDENT}{_if(cond)}")
    return "\\begin{cases} " + " \\\\ ".join(rows) + " \\end{cases}"
