"""Lay a formula out to fit a width: where :mod:`ankigen.expr.latex` prints an expression on one
line, this breaks it over lines, as a textbook would, when it is too wide.

MathJax (version 3, as in Anki) never breaks a line, so a formula wider than a phone scrolls or
is cut off. :func:`fit` breaks it here: first a Piecewise shows each condition under its value;
then a long sum goes over lines at its + and −, a long product at its factors (with a · where
the line breaks), each continued line indented; a bracketed part that is still too long is
broken inside its brackets. Widths are :mod:`ankigen.expr.texwidth`'s estimates.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from ankigen.expr import latex, texwidth
from ankigen.expr.tree import BinOp, Call, Condition, Neg, Node

_INDENT = "\\quad "
_INDENT_WIDTH = 1.0
_CONDITION_INDENT = "\\qquad "  # deeper than a continued line, so a condition stands out


def derivative_of(node: Node, variable: str, budget: float) -> str:
    """``d/dx`` applied to an expression (see :func:`ankigen.expr.latex.derivative_of`), laid
    out to fit ``budget`` em as :func:`fit` does."""
    operator, bracketed = latex.derivative_parts(node, variable)
    return fit(node, budget, lead=operator, bracketed=bracketed)


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
    return lead + (latex.wrap(latex.latex(node)) if bracketed else latex.latex(node))


def _stacked(node: Node, budget: float, lead: str, bracketed: bool) -> str:
    with _cases_stacked(budget):
        return _flat(node, budget, lead, bracketed)


def _cases_stacked(budget: float) -> AbstractContextManager[None]:
    """Within it, a Piecewise in a formula of ``budget`` em shows each condition under its value
    (the brace and the indent take 3 em)."""
    return latex.cases_printed_by(lambda pieces: _stacked_cases(pieces, budget - 3.0))


def _fit(node: Node, budget: float) -> str:
    """The expression as written if it fits ``budget`` em, else over lines at that size (for
    the parts of a bigger formula: the size is chosen for the whole)."""
    flat = _flat(node, budget, "", False)
    return flat if texwidth.width(flat) <= budget else _broken(node, budget, "", False)


def _broken(node: Node, budget: float, lead: str, bracketed: bool) -> str:
    """The expression over the lines of an ``aligned`` environment, each as wide as
    ``budget`` em at most where the expression has points to break at."""
    with _cases_stacked(budget):
        lines = _lines(node, bracketed, budget - texwidth.width(lead), budget - _INDENT_WIDTH)
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
        wrap = latex.bracketed_after_operator(node.operand)
        negated = _lines(node.operand, wrap, first - 1.0, rest)
        negated[0] = f"-{negated[0]}"
        return negated
    if isinstance(node, Call) and node.kind != "abstract" and not _has_base(node):
        return _call_lines(node, first, rest)
    if latex.is_fraction(node):
        assert isinstance(node, BinOp)
        parts = [_fit(part, first) for part in (node.left, node.right)]
        return [f"\\frac{{{parts[0]}}}{{{parts[1]}}}"]
    items = _chain(node)
    if len(items) == 1:
        return [latex.latex(node)]
    lines: list[str] = []
    current = ""
    for joiner, item, wrapped in items:
        text = latex.wrap(latex.latex(item)) if wrapped else latex.latex(item)
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
    return "{} " + ("" if joiner == "{}" else (joiner or "\\cdot") + " ")


def _has_base(node: Call) -> bool:
    """log(x, b), printed \\log_{b}(x): its base is no argument in brackets."""
    return node.name == "log" and len(node.args) == 2


def _call_lines(node: Call, first: float, rest: float) -> list[str]:
    """A call over lines, its arguments broken where they are too long, one argument a line
    at least, in brackets that span them all."""
    if node.name in ("exp", "sqrt", "Abs", "norm", "inv", "sum"):
        return [latex.latex(node)]  # drawn without a name and brackets: e^{…}, √…, |…|, ‖…‖
    head = latex.latex(Call(node.name, (), node.kind, node.primes)).removesuffix("()")
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
        return [latex.wrap(lines[0])]
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
        wrapped = latex.bracketed_after_operator(right)
        return [*_terms(node.left), (node.op, right, wrapped)]
    if isinstance(node, BinOp) and node.op in ("*", "@"):
        return _factors(node)
    return [("", node, False)]


def _terms(node: Node) -> list[tuple[str, Node, bool]]:
    if isinstance(node, BinOp) and node.op in ("+", "-"):
        return _chain(node)
    return [("", node, False)]


def _factors(node: BinOp) -> list[tuple[str, Node, bool]]:
    """A product's factors (``*``, ``⊙`` or a matrix product ``@``), each joined as the printer
    joins it; matrices multiplied side by side are joined by an empty group, so that a line
    broken between them starts with no operator (a · would read as another product)."""
    left_wrapped, joiner, right_wrapped = latex.product_parts(node)
    left = node.left
    if not left_wrapped and isinstance(left, BinOp) and left.op in ("*", "@"):
        head = _factors(left)
    else:
        head = [("", left, left_wrapped)]
    if node.op == "@" and not joiner:
        joiner = "{}"
    return [*head, (joiner, node.right, right_wrapped)]


def _stacked_cases(pieces: tuple[tuple[Node, Condition], ...], budget: float) -> str:
    """A Piecewise with each condition under its value, each value fitted to ``budget``."""
    rows = []
    for value, cond in pieces:
        shown = _fit(value, budget)
        rows.append(f"{shown} \\\\ {_CONDITION_INDENT}{latex.case_condition(cond)}")
    return "\\begin{cases} " + " \\\\ ".join(rows) + " \\end{cases}"
