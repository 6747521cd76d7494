"""A matrix problem made concrete: one :class:`Setting` per assignment of sizes to its dimensions.

At each assignment every entry of every vector and matrix is an independent real symbol (named
``x[2]``, ``A[1,2]``, 1-based, which no identifier can collide with), carrying the sign
assumptions the conditions state exactly; the function, the claim and the entrywise derivative
are built on them in the catalogue's layout (see :mod:`ankigen.verify.matrix_proof`).
:func:`settings_for` stops the proof (:class:`~ankigen.verify.matrix_problem.Stop`) on a shape,
a layout or a value that cannot be proved: "invalid" for the problem's own faults, "not proved"
where the conditions cannot be used or a symbol has no shape.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from itertools import product
from typing import TypeAlias

import sympy as sp

from ankigen.expr.symbolic import Guard
from ankigen.verify.matrix_conditions import eliminate, relations_of, sign_flags
from ankigen.verify.matrix_problem import Builder, Env, MatrixProblem, Shape, Stop, Value
from ankigen.verify.written import dropped
from ankigen.verify.zero import ring_diff

Point: TypeAlias = dict[sp.Symbol, sp.Rational]


@dataclass(frozen=True)
class Setting:
    """Everything built at one assignment of sizes; ``truth`` is the entrywise derivative."""

    sizes: Mapping[str, int]
    env: Mapping[str, Value]
    function: sp.ImmutableMatrix  # a column (1×1 for a scalar)
    claim: sp.ImmutableMatrix
    truth: sp.ImmutableMatrix
    eliminated: Mapping[sp.Symbol, sp.Expr]  # from linear equalities: symbol -> its value
    drawn: tuple[sp.Symbol, ...]  # the symbols sample points choose
    filters: tuple[tuple[sp.Basic, str], ...]  # every condition, with its text, over ...
    unflagged: Mapping[sp.Symbol, sp.Symbol]  # ... the symbols without sign assumptions
    written: tuple[Guard, ...] = ()  # what the claim's text needs and sympy's form does not
    function_written: tuple[Guard, ...] = ()  # ... and the function's

    @cached_property
    def rational(self) -> bool:
        """Whether every expression is a rational function of the symbols with rational
        coefficients, so that values are exact (and cheap)."""
        return all(_rational(entry) for m in (self.function, self.claim, self.truth) for entry in m)

    @property
    def where(self) -> str:
        return ", ".join(f"{d} = {s}" for d, s in self.sizes.items())

    def entry(self, index: int) -> str:
        """The claim's entry at a flat ``index``, 1-based in words, for messages."""
        rows, cols = self.truth.shape
        if rows * cols == 1:
            return "the claim"
        i, j = divmod(index, cols)
        return (
            f"entry {i + 1} of the claim" if cols == 1 else f"entry ({i + 1}, {j + 1}) of the claim"
        )


def _rational(expr: sp.Basic) -> bool:
    """Whether ``expr`` is built from symbols and rationals by sums, products and whole powers
    only (no function, float or constant such as pi), read in one pass."""
    for node in sp.preorder_traversal(expr):
        if node.is_Symbol or node.is_Rational or node.is_Add or node.is_Mul:
            continue
        if not (node.is_Pow and node.exp.is_Integer):
            return False
    return True


def settings_for(problem: MatrixProblem, max_size: int) -> list[Setting]:
    """Every assignment of 1 … ``max_size`` to the dimension names, the smallest first, each
    with its derivative (whose layout depends on the function's shape at every size)."""
    _check_shapes(problem)
    built = [setting_at(problem, sizes) for sizes in _assignments(problem.shapes, max_size)]
    vector = _layout(problem, [setting.function for setting in built])
    return [_with_derivative(setting, problem, vector) for setting in built]


def as_matrix(value: object, what: str) -> sp.ImmutableMatrix:
    """A built value as a matrix (a scalar is 1×1)."""
    if isinstance(value, int):
        value = sp.Integer(value)
    if isinstance(value, sp.MatrixExpr) and not isinstance(value, sp.MatrixBase):
        value = value.as_explicit()
    if isinstance(value, sp.MatrixBase):
        return sp.ImmutableMatrix(value)
    if isinstance(value, sp.Expr):
        return sp.ImmutableMatrix([[value]])
    raise Stop("invalid", f"the {what} is not a number, a vector or a matrix: {value!r}")


# --- shapes, sizes and the layout -------------------------------------------------------------


def _check_shapes(problem: MatrixProblem) -> None:
    if problem.variable not in problem.shapes:
        raise Stop("invalid", f"the variable '{problem.variable}' has no shape")
    for name, shape in problem.shapes.items():
        if len(shape) > 2:
            raise Stop("invalid", f"'{name}' has {len(shape)} dimensions: at most 2 are supported")
        bad = [d for d in shape if not (d.isidentifier() or (d.isdigit() and int(d) > 0))]
        if bad:
            raise Stop("invalid", f"'{name}' has a dimension that is no name: {bad[0]!r}")


def _assignments(shapes: Mapping[str, Shape], max_size: int) -> list[dict[str, int]]:
    """Every assignment of 1 … max_size to the dimension names (a literal like "2" is fixed),
    the smallest first, so that a refutation names the smallest sizes where the claim fails."""
    names = sorted({d for shape in shapes.values() for d in shape if not d.isdigit()})
    found = [
        dict(zip(names, sizes, strict=True))
        for sizes in product(range(1, max_size + 1), repeat=len(names))
    ]
    return sorted(found, key=lambda a: (sum(a.values()), tuple(a.values())))


def _entries(
    name: str, shape: Shape, sizes: Mapping[str, int], flags: Mapping[str, dict[str, bool]]
) -> Value:
    """The value of ``name`` at these sizes: a real symbol, or a matrix of them."""

    def symbol(label: str) -> sp.Symbol:
        return sp.Symbol(label, real=True, **flags.get(label, {}))

    if not shape:
        return symbol(name)
    rows, cols = (_size(d, sizes) for d in (*shape, "1")[:2])
    if len(shape) == 1:
        return sp.ImmutableMatrix(rows, 1, [symbol(f"{name}[{i + 1}]") for i in range(rows)])
    labels = [f"{name}[{i + 1},{j + 1}]" for i in range(rows) for j in range(cols)]
    return sp.ImmutableMatrix(rows, cols, [symbol(label) for label in labels])


def _size(dim: str, sizes: Mapping[str, int]) -> int:
    return int(dim) if dim.isdigit() else sizes[dim]


def _derivative(
    function: sp.ImmutableMatrix, variable: sp.ImmutableMatrix, vector: bool
) -> sp.ImmutableMatrix:
    """The entrywise derivative in the catalogue's layout (``vector``: the function is a
    vector-valued one, even where its size is 1)."""
    diff = ring_diff(function, variable) or sp.diff
    if not vector:
        return variable.applyfunc(lambda entry: diff(function[0, 0], entry))
    return sp.ImmutableMatrix(
        function.rows, variable.rows, lambda i, j: diff(function[i, 0], variable[j, 0])
    )


def _layout(problem: MatrixProblem, functions: Sequence[sp.ImmutableMatrix]) -> bool:
    """Whether the function is vector-valued; stops on a function with no supported layout."""
    variable_shape = problem.shapes[problem.variable]
    for f in functions:
        if f.cols > 1:
            raise Stop(
                "invalid",
                f"the function is a {f.rows}×{f.cols} matrix: only the derivatives of a scalar "
                "and of a column vector are supported",
            )
    vector = any(f.rows > 1 for f in functions)
    if vector and len(variable_shape) == 2:
        raise Stop(
            "invalid",
            f"the derivative of a vector by a matrix ({problem.variable} "
            f"{_shape_words(variable_shape)}) is not supported: its layout would need three "
            "indices",
        )
    return vector


# --- building one assignment -------------------------------------------------------------------


def setting_at(problem: MatrixProblem, sizes: dict[str, int]) -> Setting:
    """Builds everything at ``sizes`` except the derivative (its layout needs every size)."""
    where = ", ".join(f"{d} = {s}" for d, s in sizes.items())
    plain = {n: _entries(n, s, sizes, {}) for n, s in problem.shapes.items()}
    filters = relations_of(problem.conditions, plain, where)  # before sign flags make x > 0 True
    flags = sign_flags(filters, where)
    # with no sign to state, the plain entries are the entries, and the filters the relations
    env = {n: _entries(n, s, sizes, flags) for n, s in problem.shapes.items()} if flags else plain
    function = _build(problem.function, env, "function", where)
    claim = _build(problem.claim, env, "claim", where)
    relations = relations_of(problem.conditions, env, where) if flags else filters
    variable = set(as_matrix(env[problem.variable], "variable"))
    eliminated = eliminate(relations, variable, where)
    known = _shaped_symbols(env, function, claim)
    drawn = tuple(sorted(known - set(eliminated), key=lambda s: s.name))  # str(s), sooner
    unflagged = {
        flagged: same
        for name in env
        for flagged, same in zip(
            as_matrix(env[name], name), as_matrix(plain[name], name), strict=True
        )
    }
    written = dropped(problem.claim_guards(env), claim) if problem.claim_guards else ()
    guards = problem.function_guards(env) if problem.function_guards else ()
    empty = sp.ImmutableMatrix(0, 0, [])
    return Setting(
        sizes,
        env,
        function,
        claim,
        empty,
        eliminated,
        drawn,
        tuple(filters),
        unflagged,
        written,
        dropped(guards, function),
    )


def _shaped_symbols(
    env: Env, function: sp.ImmutableMatrix, claim: sp.ImmutableMatrix
) -> set[sp.Basic]:
    """The symbols of the environment; stops where the expressions use any other."""
    known: set[sp.Basic] = set().union(*(as_matrix(v, "symbol").free_symbols for v in env.values()))
    unknown = (function.free_symbols | claim.free_symbols) - known
    if unknown:
        names = ", ".join(sorted(map(str, unknown)))
        raise Stop("not proved", f"not proved: the expressions use symbols with no shape: {names}")
    return known


def _with_derivative(setting: Setting, problem: MatrixProblem, vector: bool) -> Setting:
    variable = as_matrix(setting.env[problem.variable], "variable")
    done = replace(setting, truth=_derivative(setting.function, variable, vector))
    _check_values(done, problem, vector)
    return done


def _build(builder: Builder, env: Env, what: str, where: str) -> sp.ImmutableMatrix:
    try:
        value = as_matrix(builder(env), what)
    except (ZeroDivisionError, sp.matrices.exceptions.NonInvertibleMatrixError) as error:
        raise Stop(
            "invalid", f"the {what} is undefined at {where or 'every point'}: {error}"
        ) from error
    if value.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise Stop(
            "invalid",
            f"the {what} is undefined{' at ' + where if where else ''}: part of it is a "
            "division by zero or the log of 0, so it has no value anywhere",
        )
    return value


def _check_values(setting: Setting, problem: MatrixProblem, vector: bool) -> None:
    """The claim has the layout's shape, and the derivative has a value."""
    claim, truth = setting.claim, setting.truth
    if claim.shape != truth.shape:
        shape = problem.shapes[problem.variable]
        raise Stop(
            "invalid",
            f"the claim has the wrong shape{' at ' + setting.where if setting.where else ''}: it "
            f"is {claim.rows}×{claim.cols}, but the derivative of this "
            f"{'vector' if vector else 'scalar'} by {problem.variable} {_shape_words(shape)} is "
            f"{truth.rows}×{truth.cols} there ({_layout_words(vector, len(shape))})",
        )
    if truth.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise Stop("invalid", f"the derivative is undefined at {setting.where}")


def _shape_words(shape: Shape) -> str:
    return f"[{', '.join(shape)}]" if shape else "(a scalar)"


def _layout_words(vector: bool, variable_dims: int) -> str:
    if vector:
        return "the Jacobian: J[i, j] = ∂f_i/∂x_j"
    return ("a scalar", "the gradient, a column like the variable", "a matrix like the variable")[
        variable_dims
    ]
