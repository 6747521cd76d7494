"""What the expression language allows: its names, the Python syntax it accepts, and words for
the constructs it refuses (in the author's terms, never Python's class names).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping

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
    # Vectors and matrices (a rule with shapes:): see ankigen.expr.shapes.
    "sum": (1, 1),
    "trace": (1, 1),
    "det": (1, 1),
    "inv": (1, 1),
    "norm": (1, 1),
    "diag": (1, 1),
}
MATRIX_FUNCTIONS = frozenset({"sum", "trace", "det", "inv", "norm", "diag"})
TRANSPOSE = "T"  # the one attribute an expression may use: A.T
PIECEWISE = "Piecewise"
CONSTANTS = frozenset({"pi", "e"})
ABSTRACT_NAME = re.compile(r"[A-Za-z](_[A-Za-z0-9]+)?")
VARIABLE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")

COMPARE_OPS: Mapping[type[ast.cmpop], str] = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
}
BIN_OPS: Mapping[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
    ast.MatMult: "@",
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


def not_a_value(node: ast.AST) -> str:
    """Why a construct cannot stand where a value is expected."""
    match node:
        case ast.Compare() | ast.BoolOp():
            return "a comparison can only be a Piecewise condition"
        case ast.Tuple():
            return "a tuple can only be a piece of Piecewise((value, condition), ...)"
    return f"{describe(node)} is not allowed in an expression"


def describe(node: ast.AST) -> str:
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
