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
*and* its derivative, made explicit at every size tried, equals the entrywise derivative:
sympy's matrix derivative uses other layouts in places (the transpose for a vector by a vector)
and gets some cases wrong (``log(det(X))`` by ``X`` gives 0 in sympy 1.14), so its word is
trusted only where it was checked against the entries. A rule with no dimension names has one
size, so its proof is for all sizes.

The true derivative comes from sympy (through its polynomial ring where the entries allow, see
:mod:`ankigen.verify.matrix_zero`); the numeric comparison screens with exact fractions or 30-digit
floats (:mod:`ankigen.verify.matrix_values`), and sympy confirms a float disagreement before it refutes.

This module imports only sympy, mpmath, the standard library and :mod:`ankigen.verify.matrix_values`
(its fast evaluator): the expression parser gives it *builders*, callables that build a value
from an environment of concrete symbols.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from functools import cached_property
from itertools import product
from typing import Literal, TypeAlias

import mpmath
import sympy as sp
from sympy.core.relational import Relational

from ankigen.verify.matrix_values import Evaluator, Number, differ
from ankigen.verify.matrix_zero import is_zero, ring_diff

Shape: TypeAlias = tuple[str, ...]  # () scalar, ("n",) column vector, ("m", "n") matrix
Value: TypeAlias = sp.Expr | sp.MatrixBase
Env: TypeAlias = Mapping[str, Value]
Builder: TypeAlias = Callable[[Env], Value]
Relations: TypeAlias = "sp.Basic | sp.MatrixBase | Sequence[sp.Basic]"
Status: TypeAlias = Literal["proved", "refuted", "not proved", "invalid"]
Scope: TypeAlias = str  # "all sizes" or "sizes ≤ 3" (the bound is max_size)

POINTS = 3  # compared points per size assignment before the symbolic proof
EXTRA_POINTS = 12  # more, at an assignment where the symbolic step could not decide
MAX_TRIES = 400  # draws per assignment for points that satisfy the conditions
_DIGITS = 30  # precision of the comparison where values are not rational
_CLOSE = mpmath.mpf(10) ** -15  # agreement of non-rational values, relative to 1 + magnitude
_SHOWN = 160  # characters of an expression shown in a message
_SEED = "ankigen-matrix"  # seeds the points (a str seed is hashed the same way in every run)


@dataclass(frozen=True)
class Condition:
    """One ``assume:`` entry of a matrix rule: ``build`` returns a sympy relation (``det(X) > 0``,
    ``Eq(sum(y), 1)``), or a sequence or sympy matrix of them (entrywise, ``x > 0``)."""

    build: Callable[[Env], Relations]
    text: str  # as written, for messages


@dataclass(frozen=True)
class MatrixProblem:
    """A claimed derivative of ``function`` by ``variable``, with every symbol's shape.

    The ``symbolic_*`` builders, if given, build the same expressions from sympy
    ``MatrixSymbol`` s whose sizes are ``sp.Symbol(dim, integer=True, positive=True)`` (vectors
    are ``MatrixSymbol(name, n, 1)``, scalars the same real symbols as in the concrete
    environment); they may raise, which only means "all sizes" is not claimed.
    """

    shapes: Mapping[str, Shape]  # every symbol the expressions use, scalars with ()
    variable: str
    function: Builder
    claim: Builder
    conditions: tuple[Condition, ...] = ()
    symbolic_function: Builder | None = None
    symbolic_claim: Builder | None = None


@dataclass(frozen=True)
class MatrixResult:
    """The verdict: ``detail`` says why for anything but proved (for refuted: the sizes, the
    1-based entry, the point and both values); ``scope`` says what was shown, for proved."""

    status: Status
    detail: str = ""
    scope: Scope | None = None


class _Stop(Exception):
    """Ends the proof early with a verdict."""

    def __init__(self, status: Status, detail: str) -> None:
        super().__init__(detail)
        self.result = MatrixResult(status, detail)


Point: TypeAlias = dict[sp.Symbol, sp.Rational]


@dataclass(frozen=True)
class _Setting:
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

    @cached_property
    def rational(self) -> bool:
        """Whether every expression is a rational function of the symbols with rational
        coefficients, so that values are exact (and cheap)."""
        parts = (self.function, self.claim, self.truth)
        return all(
            all(a.is_Symbol or a.is_Rational for a in m.atoms())
            and not m.atoms(sp.Function)
            and all(p.exp.is_Integer for p in m.atoms(sp.Pow))
            for m in parts
        )

    @property
    def where(self) -> str:
        return ", ".join(f"{d} = {s}" for d, s in self.sizes.items())


def prove_matrix(problem: MatrixProblem, *, max_size: int = 3) -> MatrixResult:
    """Prove, refute or give up on ``problem``'s claim (see the module docstring for what each
    verdict means). Never raises for a bad problem: sympy's errors become "not proved"."""
    if max_size < 2:
        raise ValueError("max_size must be at least 2: at size 1 many wrong claims are right")
    try:
        return _prove(problem, max_size)
    except _Stop as stop:
        return stop.result
    except Exception as error:  # sympy raises many kinds; none may escape the verdict
        return MatrixResult("not proved", f"not proved: the proof stopped ({_error(error)})")


def _prove(problem: MatrixProblem, max_size: int) -> MatrixResult:
    _check_shapes(problem)
    built = [_setting(problem, sizes) for sizes in _assignments(problem.shapes, max_size)]
    vector = _layout(problem, [setting.function for setting in built])
    settings = [_with_derivative(setting, problem, vector) for setting in built]
    for setting in settings:
        _refute(setting, _rng(setting.where), POINTS)
    for setting in settings:
        _prove_entries(setting)
    every = not settings[0].sizes or _all_sizes(problem, settings)  # no names: one size only
    scope = "all sizes" if every else f"sizes ≤ {max_size}"
    return MatrixResult("proved", "", scope)


# --- shapes, sizes and the layout -------------------------------------------------------------


def _check_shapes(problem: MatrixProblem) -> None:
    if problem.variable not in problem.shapes:
        raise _Stop("invalid", f"the variable '{problem.variable}' has no shape")
    for name, shape in problem.shapes.items():
        if len(shape) > 2:
            raise _Stop("invalid", f"'{name}' has {len(shape)} dimensions: at most 2 are supported")
        bad = [d for d in shape if not (d.isidentifier() or (d.isdigit() and int(d) > 0))]
        if bad:
            raise _Stop("invalid", f"'{name}' has a dimension that is no name: {bad[0]!r}")


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


def _as_matrix(value: object, what: str) -> sp.ImmutableMatrix:
    """A built value as a matrix (a scalar is 1×1)."""
    if isinstance(value, int):
        value = sp.Integer(value)
    if isinstance(value, sp.MatrixExpr) and not isinstance(value, sp.MatrixBase):
        value = value.as_explicit()
    if isinstance(value, sp.MatrixBase):
        return sp.ImmutableMatrix(value)
    if isinstance(value, sp.Expr):
        return sp.ImmutableMatrix([[value]])
    raise _Stop("invalid", f"the {what} is not a number, a vector or a matrix: {value!r}")


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
            raise _Stop(
                "invalid",
                f"the function is a {f.rows}×{f.cols} matrix: only the derivatives of a scalar "
                "and of a column vector are supported",
            )
    vector = any(f.rows > 1 for f in functions)
    if vector and len(variable_shape) == 2:
        raise _Stop(
            "invalid",
            f"the derivative of a vector by a matrix ({problem.variable} "
            f"{_shape_words(variable_shape)}) is not supported: its layout would need three "
            "indices",
        )
    return vector


# --- building one assignment -------------------------------------------------------------------


def _setting(problem: MatrixProblem, sizes: dict[str, int]) -> _Setting:
    """Builds everything at ``sizes`` except the derivative (its layout needs every size)."""
    where = ", ".join(f"{d} = {s}" for d, s in sizes.items())
    plain = {n: _entries(n, s, sizes, {}) for n, s in problem.shapes.items()}
    filters = _relations(problem.conditions, plain, where)  # before sign flags make x > 0 True
    flags = _sign_flags(filters, where)
    env = {n: _entries(n, s, sizes, flags) for n, s in problem.shapes.items()}
    function = _build(problem.function, env, "function", where)
    claim = _build(problem.claim, env, "claim", where)
    relations = _relations(problem.conditions, env, where)
    variable = set(_as_matrix(env[problem.variable], "variable"))
    eliminated = _eliminate(relations, variable, where)
    known: set[sp.Basic] = set().union(
        *(_as_matrix(v, "symbol").free_symbols for v in env.values())
    )
    unknown = (function.free_symbols | claim.free_symbols) - known
    if unknown:
        names = ", ".join(sorted(map(str, unknown)))
        raise _Stop("not proved", f"not proved: the expressions use symbols with no shape: {names}")
    drawn = tuple(sorted(known - set(eliminated), key=str))
    unflagged = {
        flagged: same
        for name in env
        for flagged, same in zip(
            _as_matrix(env[name], name), _as_matrix(plain[name], name), strict=True
        )
    }
    empty = sp.ImmutableMatrix(0, 0, [])
    return _Setting(
        sizes, env, function, claim, empty, eliminated, drawn, tuple(filters), unflagged
    )


def _with_derivative(setting: _Setting, problem: MatrixProblem, vector: bool) -> _Setting:
    variable = _as_matrix(setting.env[problem.variable], "variable")
    done = replace(setting, truth=_derivative(setting.function, variable, vector))
    _check_values(done, problem, vector)
    return done


def _build(builder: Builder, env: Env, what: str, where: str) -> sp.ImmutableMatrix:
    try:
        value = _as_matrix(builder(env), what)
    except (ZeroDivisionError, sp.matrices.exceptions.NonInvertibleMatrixError) as error:
        raise _Stop(
            "invalid", f"the {what} is undefined at {where or 'every point'}: {error}"
        ) from error
    if value.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise _Stop(
            "invalid",
            f"the {what} is undefined{' at ' + where if where else ''}: part of it is a "
            "division by zero or the log of 0, so it has no value anywhere",
        )
    return value


def _check_values(setting: _Setting, problem: MatrixProblem, vector: bool) -> None:
    """The claim has the layout's shape, and the derivative has a value."""
    claim, truth = setting.claim, setting.truth
    if claim.shape != truth.shape:
        shape = problem.shapes[problem.variable]
        raise _Stop(
            "invalid",
            f"the claim has the wrong shape{' at ' + setting.where if setting.where else ''}: it "
            f"is {claim.rows}×{claim.cols}, but the derivative of this "
            f"{'vector' if vector else 'scalar'} by {problem.variable} {_shape_words(shape)} is "
            f"{truth.rows}×{truth.cols} there ({_layout_words(vector, len(shape))})",
        )
    if truth.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise _Stop("invalid", f"the derivative is undefined at {setting.where}")


def _shape_words(shape: Shape) -> str:
    return f"[{', '.join(shape)}]" if shape else "(a scalar)"


def _layout_words(vector: bool, variable_dims: int) -> str:
    if vector:
        return "the Jacobian: J[i, j] = ∂f_i/∂x_j"
    return ("a scalar", "the gradient, a column like the variable", "a matrix like the variable")[
        variable_dims
    ]


# --- conditions --------------------------------------------------------------------------------


def _relations(conditions: Sequence[Condition], env: Env, where: str) -> list[tuple[sp.Basic, str]]:
    """Every condition's relations, flattened (an entrywise condition gives one per entry)."""
    found: list[tuple[sp.Basic, str]] = []
    for condition in conditions:
        built = condition.build(env)
        parts = list(built) if isinstance(built, (sp.MatrixBase, list, tuple)) else [built]
        for part in parts:
            if part is sp.false or part is False:
                raise _Stop(
                    "not proved",
                    f"not proved: the condition '{condition.text}' never holds"
                    f"{' at ' + where if where else ''}",
                )
            if part is sp.true or part is True:
                continue
            if not isinstance(part, sp.logic.boolalg.Boolean):
                raise _Stop("invalid", f"the condition '{condition.text}' is not a comparison")
            found.append((part, condition.text))
    return found


_SIGN_FLAGS = {
    ">": "positive",
    ">=": "nonnegative",
    "<": "negative",
    "<=": "nonpositive",
    "!=": "nonzero",
}
_REVERSED = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "!=": "!="}


def _sign_flags(
    relations: Sequence[tuple[sp.Basic, str]], where: str
) -> dict[str, dict[str, bool]]:
    """sympy's sign assumptions that relations like ``x[1] > 0`` or ``0 < lam`` state exactly;
    stops where they contradict each other (``det(X) > 0`` and ``det(X) < 0`` at size 1)."""
    flags: dict[str, dict[str, bool]] = {}
    texts: dict[str, list[str]] = {}
    for relation, text in relations:
        if not isinstance(relation, Relational) or relation.rel_op not in _SIGN_FLAGS:
            continue
        if relation.rhs == 0 and isinstance(relation.lhs, sp.Symbol):
            symbol, op = relation.lhs, relation.rel_op
        elif relation.lhs == 0 and isinstance(relation.rhs, sp.Symbol):
            symbol, op = relation.rhs, _REVERSED[relation.rel_op]
        else:
            continue
        flags.setdefault(symbol.name, {})[_SIGN_FLAGS[op]] = True
        texts.setdefault(symbol.name, []).append(text)
    for name, stated in flags.items():
        try:
            sp.Symbol(name, real=True, **stated)
        except sp.core.facts.InconsistentAssumptions:
            conditions = " and ".join(f"'{t}'" for t in dict.fromkeys(texts[name]))
            raise _Stop(
                "not proved",
                f"not proved: no point found{' at ' + where if where else ''} where "
                f"{conditions} hold: they contradict each other for {name}",
            ) from None
    return flags


def _eliminate(
    relations: Sequence[tuple[sp.Basic, str]], variable: set[sp.Basic], where: str
) -> dict[sp.Symbol, sp.Expr]:
    """Solves each equality for a symbol it contains linearly with a constant coefficient (not
    an entry of the variable where another will do), each in terms of the symbols left."""
    eliminated: dict[sp.Symbol, sp.Expr] = {}
    for relation, text in relations:
        if not isinstance(relation, sp.Eq):
            continue
        difference = sp.expand((relation.lhs - relation.rhs).xreplace(eliminated))
        if difference == 0:
            continue
        symbol = _linear_symbol(difference, variable)
        if symbol is None:
            reason = "contradicts the others" if difference.is_number else "is not linear"
            raise _Stop(
                "not proved",
                f"not proved: the condition '{text}' {reason}{' at ' + where if where else ''}; "
                "an equality is used by solving it for a symbol it contains linearly",
            )
        coefficient = sp.diff(difference, symbol)
        value = sp.expand(symbol - difference / coefficient)
        eliminated = {s: sp.expand(v.xreplace({symbol: value})) for s, v in eliminated.items()}
        eliminated[symbol] = value
    return eliminated


def _linear_symbol(difference: sp.Expr, variable: set[sp.Basic]) -> sp.Symbol | None:
    # The last symbol by name (y[3] rather than y[1]), entries of the variable only if nothing
    # else will do: the derivative is still the one in every direction, compared on the set.
    ordered = sorted(difference.free_symbols, key=lambda s: (s not in variable, str(s)))
    for symbol in reversed(ordered):
        coefficient = sp.diff(difference, symbol)
        if coefficient.is_Number and coefficient != 0:
            return symbol
    return None


# --- sample points -----------------------------------------------------------------------------


def _points(setting: _Setting, rng: random.Random) -> Iterator[Point]:
    """Seeded exact points where every condition holds (the eliminated symbols take their
    solved values), from at most ``MAX_TRIES`` draws; never 0, at two scales so that tight
    conditions (``sum(y) == 1`` with ``y > 0``) are met too."""
    for _ in range(MAX_TRIES):
        scale = rng.choice((sp.Integer(1), sp.Rational(1, 8)))
        point: Point = {s: _draw(s, rng) * scale for s in setting.drawn}
        point.update({s: v.xreplace(point) for s, v in setting.eliminated.items()})
        unflagged = {setting.unflagged[s]: v for s, v in point.items()}
        if all(_holds(relation, unflagged) for relation, _ in setting.filters):
            yield point


def _rng(tag: str) -> random.Random:
    return random.Random(f"{_SEED}:{tag}")  # noqa: S311 - the points are no secret


def _draw(symbol: sp.Symbol, rng: random.Random) -> sp.Rational:
    magnitude = sp.Rational(rng.randint(1, 9), rng.randint(1, 4))
    if symbol.is_nonnegative:
        return magnitude
    if symbol.is_nonpositive:
        return -magnitude
    return magnitude if rng.random() < 0.5 else -magnitude


def _holds(relation: sp.Basic, point: Point) -> bool:
    return relation.xreplace(point) is sp.true


def _number(value: sp.Expr) -> sp.Expr | None:
    """The exact rational, or a 30-digit real, or None where there is no real value."""
    if value.is_Rational:
        return value
    if value.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        return None
    number = sp.N(value, _DIGITS)
    return number if number.is_Float or number.is_Rational else None


def _refute(setting: _Setting, rng: random.Random, count: int) -> None:
    """Compares at ``count`` points; stops with a refutation at the first entry that differs,
    or with "not proved" when fewer points have real values where the conditions hold."""
    compared = 0
    for point in _points(setting, rng):
        values = _values(setting, point)
        if values is None:
            continue
        for index, (claimed, true) in enumerate(values):
            confirmed = _confirmed(setting, index, point, claimed, true)
            if confirmed is not None:
                refutation = _refutation(setting, index, point, *confirmed)
                raise _Stop("refuted", refutation)
        compared += 1
        if compared == count:
            return
    conditions = " and ".join(dict.fromkeys(f"'{text}'" for _, text in setting.filters))
    raise _Stop(
        "not proved",
        f"not proved: {'only ' + str(compared) if compared else 'no'} point{'s' * (compared != 1)}"
        f" of {count} found{' at ' + setting.where if setting.where else ''} where "
        f"{conditions + ' hold and ' if conditions else ''}the function, the claim and the "
        f"derivative have real values ({MAX_TRIES} tried)",
    )


def _confirmed(
    setting: _Setting, index: int, point: Point, claimed: Number, true: Number
) -> tuple[sp.Expr, sp.Expr] | None:
    """The values of one entry where they differ, else None: exact ones as they are, values
    screened with 30-digit floats evaluated again by sympy from the exact point."""
    if not differ(claimed, true, _CLOSE):
        return None
    if isinstance(claimed, Fraction) and isinstance(true, Fraction):
        return sp.Rational(claimed.numerator, claimed.denominator), sp.Rational(
            true.numerator, true.denominator
        )
    exact = [_number(m[index].xreplace(point)) for m in (setting.claim, setting.truth)]
    if exact[0] is None or exact[1] is None:
        return None
    if exact[0].is_Rational and exact[1].is_Rational:
        return (exact[0], exact[1]) if exact[0] != exact[1] else None
    close = abs(exact[0] - exact[1]) <= _CLOSE * (1 + max(abs(exact[0]), abs(exact[1])))
    return None if close else (exact[0], exact[1])


def _values(setting: _Setting, point: Point) -> list[tuple[Number, Number]] | None:
    """Each entry's claimed and true value at ``point`` (exact where every expression is a
    rational function), or None where one has no real value."""
    evaluate = Evaluator(point, exact=setting.rational)
    if any(evaluate(f) is None for f in setting.function):
        return None
    pairs = []
    for claimed, true in zip(setting.claim, setting.truth, strict=True):
        pair = (evaluate(claimed), evaluate(true))
        if pair[0] is None or pair[1] is None:
            return None
        pairs.append((pair[0], pair[1]))
    return pairs


# --- the symbolic step -------------------------------------------------------------------------


def _prove_entries(setting: _Setting) -> None:
    """Every entry of claim − derivative reduces to 0 (after the equalities' substitutions);
    where one does not, more points are tried before giving up."""
    for index, (claimed, true) in enumerate(zip(setting.claim, setting.truth, strict=True)):
        difference = (claimed - true).xreplace(setting.eliminated)
        if is_zero(difference):
            continue
        _refute(setting, _rng("more " + setting.where), EXTRA_POINTS)
        raise _Stop(
            "not proved",
            f"not proved: sympy could not reduce {_entry(setting, index)} minus the derivative "
            f"to 0{' at ' + setting.where if setting.where else ''} "
            f"({_short(sp.expand(difference))}), and no point tried disagreed",
        )


# --- all sizes ---------------------------------------------------------------------------------


def _all_sizes(problem: MatrixProblem, settings: Sequence[_Setting]) -> bool:
    """Whether sympy's matrix calculus shows the claim for symbolic sizes, in a layout checked
    against the entrywise derivative at every size tried (see the module docstring)."""
    if problem.symbolic_function is None or problem.symbolic_claim is None:
        return False
    dims = {d: sp.Symbol(d, integer=True, positive=True) for d in settings[0].sizes}
    env = {n: _symbolic(n, s, dims, settings[0].env[n]) for n, s in problem.shapes.items()}
    try:
        function, claim = problem.symbolic_function(env), problem.symbolic_claim(env)
        if getattr(function, "shape", None) == (1, 1):
            function = sp.Trace(function)  # sympy differentiates a trace; a 1×1 product, not always
        derivative = sp.diff(function, env[problem.variable])
        if derivative.has(sp.Derivative):
            return False
        if any(s.function.rows > 1 for s in settings) and problem.shapes[problem.variable]:
            derivative = derivative.T  # sympy's vector-by-vector derivative is the transpose
        if not _is_zero_matrix(sp.expand(claim - derivative)):
            return False
        return all(
            _same(_explicit(derivative, s, dims), s.truth)
            and _same(_explicit(claim, s, dims), s.claim)
            for s in settings
        )
    except Exception:  # sympy's matrix calculus fails in many ways; then only sizes ≤ max
        return False


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
    value: sp.Basic, setting: _Setting, dims: Mapping[str, sp.Symbol]
) -> sp.ImmutableMatrix:
    """``value`` at this setting's sizes, its matrix symbols replaced by their entries."""
    sized = value.subs({dims[d]: n for d, n in setting.sizes.items()})
    entries = {
        sp.MatrixSymbol(name, *m.shape): m
        for name, m in setting.env.items()
        if isinstance(m, sp.MatrixBase)
    }
    return _as_matrix(sized.xreplace(entries).doit(), "symbolic value")


def _same(a: sp.ImmutableMatrix, b: sp.ImmutableMatrix) -> bool:
    return a.shape == b.shape and all(
        is_zero(x - y, thorough=False) for x, y in zip(a, b, strict=True)
    )


# --- messages ----------------------------------------------------------------------------------


def _refutation(
    setting: _Setting, index: int, point: Point, claimed: sp.Expr, true: sp.Expr
) -> str:
    """Where the claim is wrong: the sizes, the 1-based entry, both formulas, the point and
    both values there."""
    at = f"wrong at {setting.where}" if setting.where else "wrong"
    entry = _entry(setting, index)
    shown = ", ".join(
        f"{name} = {_show(_as_matrix(value, name).xreplace(point), value)}"
        for name, value in setting.env.items()
    )
    return (
        f"{at}: {entry} is {_short(setting.claim[index])}, the derivative is "
        f"{_short(setting.truth[index])}; at {shown} they differ "
        f"({_show_number(claimed)} vs {_show_number(true)})"
    )


def _entry(setting: _Setting, index: int) -> str:
    rows, cols = setting.truth.shape
    if rows * cols == 1:
        return "the claim"
    i, j = divmod(index, cols)
    return f"entry {i + 1} of the claim" if cols == 1 else f"entry ({i + 1}, {j + 1}) of the claim"


def _show(values: sp.ImmutableMatrix, original: Value) -> str:
    if not isinstance(original, sp.MatrixBase):
        return str(values[0, 0])
    if values.cols == 1:
        return "[" + ", ".join(map(str, values)) + "]"
    return (
        "["
        + ", ".join("[" + ", ".join(map(str, values.row(i))) + "]" for i in range(values.rows))
        + "]"
    )


def _show_number(value: sp.Expr) -> str:
    return str(value) if value.is_Rational else str(sp.N(value, 10))


def _short(expr: sp.Basic) -> str:
    text = str(expr)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def _error(error: Exception) -> str:
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"
