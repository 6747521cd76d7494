"""Prove a matrix-calculus claim entry by entry, or find the entry where it is wrong.

A claim about a derivative by a vector or a matrix is *proved* only when, at every assignment
of the sizes 1 … ``max_size`` to every dimension name (non-square ones included, since many
wrong claims are right when every size is 1), it equals the true derivative

* entry by entry, symbolically, with every entry of every vector and matrix an independent real
  symbol (named ``x[2]``, ``A[1,2]``, 1-based, which no identifier can collide with), and
* numerically at several seeded exact-rational points per assignment that satisfy the
  conditions: a disagreement at any point is a refutation, whatever the symbolic step said.

The layout is the one the catalogue states: the derivative of a scalar by a vector [n] is a
vector [n], by a matrix [m, n] a matrix [m, n]; of a vector [m] by a vector [n] the Jacobian
[m, n] with ``J[i, j] = ∂f_i/∂x_j``; a scalar variable counts as a vector [1] (so the derivative
of a vector [m] by a scalar is a vector [m]). A 1×1 result is a scalar. Other combinations
(matrix-valued functions, a vector by a matrix) are ``invalid``.

Conditions (a rule's ``assume:``) are used three ways. A sign condition on one symbol or entry
(``x > 0`` entrywise, ``lam > 0``) becomes a sympy assumption on that symbol; a linear equality
(``sum(y) == 1``) is solved for one symbol with a constant coefficient, preferring symbols that
are not entries of the variable, and substituted into the difference after differentiating; every
condition also filters the sample points (``det(X) > 0``). A claim right only under a condition
nobody stated is refuted at a point where the stated conditions hold.

"all sizes" is claimed only when, besides the proof above, sympy's matrix calculus (on
``MatrixSymbol`` builders with symbolic sizes) reduces the claim minus its derivative to zero,
*and* its derivative, made explicit at two of the sizes tried (see :func:`_layout_checked`),
has the entrywise derivative's values at seeded exact points (a check of layout and
translation; the proof is sympy's algebra): sympy's matrix derivative uses other layouts in
places (the transpose for a vector by a vector) and gets some cases wrong (``log(det(X))`` by
``X`` gives 0 in sympy 1.14), so its word is trusted only where it was checked against the
entries. A rule with no dimension names has one size, so its proof is for all sizes.

The true derivative comes from sympy (through its polynomial ring where the entries allow, see
:mod:`ankigen.verify.zero`); the numeric comparison screens with exact fractions or
30-digit floats (:mod:`ankigen.verify.matrix_values`), and sympy confirms a float disagreement
before it refutes.

This module runs the proof and adds the "all sizes" step; its parts are
:mod:`~ankigen.verify.matrix_problem` (the records, imported from here by other code),
:mod:`~ankigen.verify.matrix_setting` (the entries, the function, the claim and the derivative
at one assignment of sizes), :mod:`~ankigen.verify.matrix_conditions` (the conditions' three
uses) and :mod:`~ankigen.verify.matrix_points` (sample points and the refutation). Besides
sympy, mpmath and each other they use only the shared zero test and the check of the claim as
written (:mod:`~ankigen.verify.zero`, :mod:`~ankigen.verify.written`): the expression parser
gives them *builders*, callables that build a value from an environment of concrete symbols.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import islice

import mpmath
import sympy as sp

from ankigen.verify.matrix_points import points, refute, seeded
from ankigen.verify.matrix_problem import (
    Builder,
    Condition,
    Env,
    MatrixProblem,
    MatrixResult,
    Shape,
    Stop,
    Value,
    short,
)
from ankigen.verify.matrix_setting import Setting, as_matrix, settings_for
from ankigen.verify.matrix_values import Evaluator, differ
from ankigen.verify.zero import is_zero

__all__ = [
    "EXTRA_POINTS",
    "POINTS",
    "Builder",
    "Condition",
    "Env",
    "MatrixProblem",
    "MatrixResult",
    "Shape",
    "Value",
    "prove_matrix",
]

POINTS = 3  # compared points per size assignment before the symbolic proof
LAYOUT_POINTS = 2  # points where sympy's explicit all-sizes derivative is compared
LAYOUT_CLOSE = mpmath.mpf(10) ** -20  # agreement of 30-digit values, relative
RESIDUAL_POINTS = 3  # points where an irreducible difference is evaluated as it is
EXTRA_POINTS = 12  # more, at an assignment where the symbolic step could not decide


def prove_matrix(problem: MatrixProblem, *, max_size: int = 3) -> MatrixResult:
    """Prove, refute or give up on ``problem``'s claim (see the module docstring for what each
    verdict means). Never raises for a bad problem: sympy's errors become "not proved"."""
    if max_size < 2:
        raise ValueError("max_size must be at least 2: at size 1 many wrong claims are right")
    try:
        return _prove(problem, max_size)
    except Stop as stop:
        return stop.result
    except Exception as error:  # sympy raises many kinds; none may escape the verdict
        detail = short(f"{type(error).__name__}: {error}")
        return MatrixResult("not proved", f"not proved: the proof stopped ({detail})")


def _prove(problem: MatrixProblem, max_size: int) -> MatrixResult:
    settings = settings_for(problem, max_size)
    for setting in settings:
        refute(setting, seeded(setting.where), POINTS)
    for setting in settings:
        _prove_entries(setting, _representatives(setting, problem.layout))
    every = not settings[0].sizes or _all_sizes(problem, settings)  # no names: one size only
    scope = "all sizes" if every else f"sizes ≤ {max_size}"
    return MatrixResult("proved", "", scope)


# --- the symbolic step -------------------------------------------------------------------------


def _representatives(setting: Setting, layout: tuple[str, str] | None) -> Sequence[int]:
    """The flat indices of the entries whose reduction to 0 shows every entry's.

    Every operation of the language (``@``, ``.T``, sums, products and functions of entries,
    ``sum``, ``norm``, ``trace``, ``det``, ``inv``, ``diag``) commutes with renumbering the
    indices of a dimension, the same renumbering wherever that dimension's name appears, and so
    do the conditions it can state, the derivative, and the difference of the claim and the
    derivative. Renumbering maps entry (i, j) of the difference to entry (1, 1), with its
    symbols renamed, when the rows' and columns' dimensions differ; when they are one
    dimension (a gradient by X [n, n], the Jacobian of x * x), to (1, 1) on the diagonal and
    to (1, 2) off it. An entry that is identically 0 stays 0 under a renaming of its symbols.
    """
    rows, cols = setting.truth.shape
    if layout is None:
        return range(rows * cols)
    if layout[0] == layout[1] != "1":
        return [0, 1] if cols > 1 else [0]
    return [0]


def _prove_entries(setting: Setting, indices: Sequence[int]) -> None:
    """The chosen entries of claim − derivative reduce to 0 (after the equalities'
    substitutions); where one does not, more points are tried before giving up."""
    for index in indices:
        claimed, true = setting.claim[index], setting.truth[index]
        difference = (claimed - true).xreplace(setting.eliminated)
        if is_zero(difference):
            continue
        refute(setting, seeded("more " + setting.where), EXTRA_POINTS)
        _refute_residual(setting, index, difference)
        raise Stop(
            "not proved",
            f"not proved: sympy could not reduce {setting.entry(index)} minus the derivative "
            f"to 0{' at ' + setting.where if setting.where else ''} "
            f"({short(sp.expand(difference))}), and no point tried disagreed",
        )


def _refute_residual(setting: Setting, index: int, difference: sp.Expr) -> None:
    """Stops with a refutation where the difference itself, evaluated at a point, is clearly not
    0: the same nonzero value at 60 and at 120 digits. Comparing the two sides' values cannot
    see a difference below their 30 digits (a claim off by e⁻²⁰⁰·x); the difference evaluated
    as one expression can, and noise from cancellation changes with the digits, a value does
    not."""
    if difference.has(sp.sign, sp.Heaviside, sp.Abs, sp.Max, sp.Min, sp.Piecewise):
        return  # a kink's value at a constant that is 0 is the sign of noise, at any digits
    for point in islice(points(setting, seeded("residual " + setting.where)), RESIDUAL_POINTS):
        at = difference.xreplace(point)
        coarse, fine = (sp.N(at, digits) for digits in (60, 120))
        if not (coarse.is_real and fine.is_real) or fine == 0:
            continue
        if abs(coarse - fine) <= abs(fine) * sp.Float(10) ** -20:
            where = f"wrong at {setting.where}: " if setting.where else "wrong: "
            shown = ", ".join(f"{s} = {v}" for s, v in sorted(point.items(), key=str))
            raise Stop(
                "refuted",
                f"{where}{setting.entry(index)} minus the derivative is "
                f"{short(sp.expand(difference))}, which is {sp.N(fine, 6)} at {shown}, not 0",
            )


# --- all sizes ---------------------------------------------------------------------------------


def _all_sizes(problem: MatrixProblem, settings: Sequence[Setting]) -> bool:
    """Whether sympy's matrix calculus shows the claim for symbolic sizes, in a layout checked
    against the entrywise derivative at every size tried (see the module docstring)."""
    if problem.symbolic_function is None or problem.symbolic_claim is None:
        return False
    dims = {d: sp.Symbol(d, integer=True, positive=True) for d in settings[0].sizes}
    env = {n: _symbolic(n, s, dims, settings[0].env[n]) for n, s in problem.shapes.items()}
    try:
        function, claim = problem.symbolic_function(env), problem.symbolic_claim(env)
        kept = sum(isinstance(n, sp.Inverse | sp.Determinant) for n in sp.preorder_traversal(claim))
        if kept < problem.claim_inverses:
            return False  # sympy cancelled an inverse it cannot know exists at every size
        if getattr(function, "shape", None) == (1, 1):
            function = sp.Trace(function)  # sympy differentiates a trace; a 1×1 product, not always
        derivative = _sympy_derivative(function, env[problem.variable])
        if derivative.has(sp.Derivative):
            return False
        if any(s.function.rows > 1 for s in settings) and problem.shapes[problem.variable]:
            derivative = derivative.T  # sympy's vector-by-vector derivative is the transpose
        if not _is_zero_matrix(sp.expand(claim - derivative)):
            return False
        return all(
            _same(_explicit(derivative, s, dims), s.truth, s)
            and _same(_explicit(claim, s, dims), s.claim, s)
            for s in _layout_checked(settings)
        )
    except Exception:  # sympy's matrix calculus fails in many ways; then only sizes ≤ max
        return False


def _layout_checked(settings: Sequence[Setting]) -> list[Setting]:
    """The sizes at which sympy's explicit derivative is compared with the entrywise one (the
    settings come smallest first): the largest where the dimension names all take different
    sizes, so that a transpose or two names mixed up change a shape (with one name, the one
    before the largest), and the largest, where every entry is met. The entrywise proof covers
    every size already; this checks sympy's layout and our translation into its matrix
    symbols, which do not change with the sizes, so two sizes show them."""
    distinct = [s for s in settings if len(set(s.sizes.values())) == len(s.sizes) > 1]
    other = distinct[-1:] if distinct else list(settings[-2:-1])
    return [*other, settings[-1]]


def _sympy_derivative(function: Value, variable: Value) -> Value:
    """sympy's matrix derivative, one term of the expanded sum at a time: sympy 1.14 gives 0
    for the derivative of a sum of traces (d/dX (tr X + tr X²) = 0, and so a claim of 0 for
    ∂e₄/∂X, which is 0 up to size 3 only, looked shown for all sizes), but each term's right."""
    expanded = sp.expand(function)
    terms = expanded.args if isinstance(expanded, sp.Add) else (expanded,)
    parts = [sp.diff(term, variable) for term in terms]
    return sp.Add(*parts) if len(parts) > 1 else parts[0]


def _symbolic(name: str, shape: Shape, dims: Mapping[str, sp.Symbol], concrete: Value) -> Value:
    if not shape:
        return concrete  # the same real symbol, with the same sign assumptions
    sizes = [sp.Integer(d) if d.isdigit() else dims[d] for d in (*shape, "1")[:2]]
    return sp.MatrixSymbol(name, *sizes)


def _is_zero_matrix(value: sp.Basic) -> bool:
    return bool(
        value == 0 or isinstance(value, sp.ZeroMatrix) or getattr(value, "is_ZeroMatrix", False)
    )


def _explicit(
    value: sp.Basic, setting: Setting, dims: Mapping[str, sp.Symbol]
) -> sp.ImmutableMatrix:
    """``value`` at this setting's sizes, its matrix symbols replaced by their entries."""
    sized = value.subs({dims[d]: n for d, n in setting.sizes.items()})
    entries = {
        sp.MatrixSymbol(name, *m.shape): m
        for name, m in setting.env.items()
        if isinstance(m, sp.MatrixBase)
    }
    explicit = sized.xreplace(entries).replace(
        lambda e: isinstance(e, sp.Inverse), lambda e: _inverse(e.arg.as_explicit())
    )
    return as_matrix(explicit.doit(), "symbolic value")


def _inverse(matrix: sp.ImmutableMatrix) -> sp.ImmutableMatrix:
    """Adjugate over determinant: what sympy's ``inv`` gives, without its costly checks."""
    return matrix.adjugate(method="berkowitz") / matrix.det(method="berkowitz")


def _same(a: sp.ImmutableMatrix, b: sp.ImmutableMatrix, setting: Setting) -> bool:
    """Whether sympy's explicit matrix is the entrywise one, compared at seeded exact points: a
    check of layout and translation (a transpose, a misread product), not a proof, which the
    entrywise step and sympy's matrix algebra give. Exact values where both are rational."""
    if a.shape != b.shape:
        return False
    for point in islice(points(setting, seeded("layout " + setting.where)), LAYOUT_POINTS):
        evaluate = Evaluator(point, exact=setting.rational)
        for x, y in zip(a, b, strict=True):
            values = evaluate(x), evaluate(y)
            if values[0] is None or values[1] is None or differ(*values, LAYOUT_CLOSE):
                return False
    return True
