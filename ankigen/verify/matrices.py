"""Vector and matrix rules (a rule with ``shapes:``): from the parsed tree to the proof entry by
entry of :mod:`ankigen.verify.matrix_proof`, and its result as a :class:`Verdict`.

The builders the proof calls are the tree itself, evaluated by
:class:`~ankigen.expr.matrices.MatrixTranslator` at each assignment of sizes (every entry an
independent symbol) and, for sympy's matrix calculus, on ``MatrixSymbol`` s of symbolic size.
A proved verdict's method says which was shown: ``all sizes``, or only ``sizes ≤ 3`` (see the
README's "What proved means for vectors and matrices").
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

from sympy.utilities.exceptions import SymPyDeprecationWarning

from ankigen.expr.matrices import MatrixTranslator
from ankigen.expr.parse import ExpressionError
from ankigen.expr.shapes import SCALAR, Shape, describe, layout, shape_of, shapes_by_name
from ankigen.expr.tree import Call, Compare, Node, variables, walk
from ankigen.records import Rule, Status, Verdict
from ankigen.verify.matrix_proof import Condition, Env, MatrixProblem, Value, prove_matrix

MAX_SIZE = 3  # every dimension name takes each size 1 … 3


def prove_matrix_rule(rule: Rule) -> Verdict:
    """Verify a rule with ``shapes:`` in this process (``verify_rules`` adds the time limit)."""
    shapes = shapes_by_name(rule.shapes)
    helpers = {d.name: d for d in rule.definitions}
    concrete = MatrixTranslator(shapes, helpers)
    symbolic = MatrixTranslator(shapes, helpers, symbolic=True)
    conditions = [operand for c in rule.conditions for operand in c.operands]
    used = {rule.variable}.union(
        *(variables(node) for node in (rule.function, rule.derivative, *conditions))
    )
    problem = MatrixProblem(
        shapes={name: shapes.get(name, SCALAR).declared() for name in sorted(used)},
        variable=rule.variable,
        function=_builder(concrete, rule.function),
        claim=_builder(concrete, rule.derivative),
        conditions=tuple(_condition(concrete, c) for c in rule.conditions),
        symbolic_function=_builder(symbolic, rule.function),
        symbolic_claim=_builder(symbolic, rule.derivative),
        layout=_layout(rule, shapes),
        claim_guards=lambda env: concrete.guards(rule.derivative, env),
        function_guards=lambda env: concrete.guards(rule.function, env),
        claim_inverses=sum(
            isinstance(n, Call) and n.name in ("inv", "det") for n in walk(rule.derivative)
        ),
    )
    with warnings.catch_warnings():  # sympy's matrix calculus warns about its own internals
        warnings.simplefilter("ignore", SymPyDeprecationWarning)
        result = prove_matrix(problem, max_size=MAX_SIZE)
    method = f"entry by entry, {result.scope}" if result.status == "proved" else ""
    return Verdict(rule.id, Status(result.status), result.detail, method)


def _layout(rule: Rule, shapes: dict[str, Shape]) -> tuple[str, str] | None:
    """The dimensions of the derivative's rows and columns, as the shapes name them."""
    helpers = {d.name: d.body for d in rule.definitions}
    try:
        shape = layout(shape_of(rule.function, shapes, helpers), shapes.get(rule.variable, SCALAR))
    except ExpressionError:  # the loader refuses this; prove every entry all the same
        return None
    return (shape.rows, shape.cols) if shape is not None else None


def _builder(translator: MatrixTranslator, node: Node) -> Callable[[Env], Value]:
    return lambda env: translator.build(node, env)


def _condition(translator: MatrixTranslator, node: Compare) -> Condition:
    return Condition(lambda env: translator.condition(node, env), describe(node))
