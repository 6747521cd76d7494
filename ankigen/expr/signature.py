"""The left-hand side of a ``define:`` entry: a helper's signature such as ``sigma(x)``, or the
bare name of a named constant such as ``lam``. Its body is an expression, read by
:mod:`ankigen.expr.parse`.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from ankigen.expr.parse import ExpressionError
from ankigen.expr.syntax import CONSTANTS, FUNCTIONS, PIECEWISE, VARIABLE_NAME


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
