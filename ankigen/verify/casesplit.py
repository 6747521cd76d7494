"""The symbolic proof: claim == d(function)/d(variable), with sympy, off the kinks.

Smooth expressions are compared directly (:func:`is_zero`, never a numeric guess). Where there
are kinks (Piecewise, Max, Min, Abs, sign, Heaviside), the domain is split into regions by the
sign of every kink expression and the smooth expressions that remain on each region are
compared. The soundness of the split rests on three rules:

* a region is skipped only where it is *proved* empty (:mod:`ankigen.verify.regions`), or where the
  function itself is undefined;
* a kink expression splits the domain only if it is real wherever it is defined (``sqrt(x)``
  is not, unless x >= 0): otherwise the points where it is not real would be in no region;
* a condition or kink whose two sides are equal on a whole region (``Abs(x) == x`` for x > 0)
  is decided as the equality it is there, not as if it held only at a kink.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sympy as sp

from ankigen.verify.numeric import RELATIONS, constant_sign
from ankigen.verify.regions import Point, Region, describe, feasibility
from ankigen.verify.zero import zero_polynomial

MAX_REGIONS = 1024  # a case split into more regions than this is not attempted


@dataclass(frozen=True)
class Proof:
    """How the claim was proved (``method``) and on which regions (for the numeric check to
    visit), or else why not (``reason``), with a point where the two seem to differ when the
    case split found one (``witness``, for the refuter to confirm)."""

    method: str | None = None
    regions: tuple[Region, ...] = ()
    reason: str = (
        "the claim agrees with the derivative at every point tested, but sympy could not "
        "show the two are equal"
    )
    witness: Point | None = None


def prove_equal(
    claim: sp.Expr,
    truth: sp.Expr,
    function: sp.Expr,
    bounds: Sequence[tuple[sp.Expr, int]] = (),
    variable: sp.Symbol | None = None,
) -> Proof:
    """Prove claim == truth everywhere off the kinks, wherever the function is defined.

    Smooth expressions are compared directly. Otherwise the domain is split into regions by
    the sign of each kink expression, found as resolving the expressions needs it (so a kink
    inside a kink, as in min(max(0, x), 6), is split after the inner one), and the smooth
    expressions that remain on each region are compared. A region is skipped only where it is
    proved empty (:mod:`ankigen.verify.regions`) or where the function itself is undefined. Every
    region lies within ``bounds``, the assumptions sympy cannot hold (``(p - 1, -1)``: p < 1).
    """
    if not any(_has_kinks(e) for e in (claim, truth, function)):
        if is_zero(claim - truth):
            return Proof("symbolic", ({},))
        return Proof()
    domain: dict[sp.Expr, int] = {}
    for expr, side in bounds:
        canonical, factor = _canonical(expr)
        if canonical is not None:
            domain[canonical] = side * factor
    split = _CaseSplit(claim, truth, function, variable)
    try:
        regions = split.prove(domain)
    except _RegionFails as failure:
        return Proof(reason=failure.reason, witness=failure.witness)
    except _Undecided as undecided:
        return Proof(reason=undecided.reason)
    kinks = len({k for region in regions for k in region} - set(domain))
    if kinks == 0:  # the only kinks lay on the bounds of the assumptions (|p - 1| for p < 1)
        return Proof("symbolic, within the assumptions", tuple(regions))
    return Proof(f"case split over {kinks} kink{'s' if kinks != 1 else ''}", tuple(regions))


class _CaseSplit:
    """The regions below a region on which claim == truth, explored depth first. On a region,
    the truth is the derivative of the smooth expression the function is there (with the
    variable given), which needs none of the forms sympy gives the derivative of a kink (a
    Heaviside times 1/sqrt(0) is 0/0 where the function is constant)."""

    def __init__(
        self, claim: sp.Expr, truth: sp.Expr, function: sp.Expr, variable: sp.Symbol | None
    ) -> None:
        self.claim, self.truth, self.function = claim, truth, function
        self.variable = variable
        self.visited = 0

    def prove(self, region: dict[sp.Expr, int]) -> list[Region]:
        """The non-empty regions proved; raises :class:`_RegionFails` for a region where they
        differ, :class:`_Undecided` where that cannot be told."""
        self.visited += 1
        if self.visited > MAX_REGIONS:
            raise _Undecided(
                f"the case split needs more than {MAX_REGIONS} regions, more than ankigen tries"
            )
        try:
            defined = _resolve(self.function, region)
            if defined is None:
                return []  # the function is undefined here: there is nothing to claim
            a = _resolve(self.claim, region)
            b = (
                sp.diff(defined, self.variable)
                if self.variable is not None
                else _resolve(self.truth, region)
            )
        except _NeedsSplit as split:
            proved: list[Region] = []
            for side in (1, -1):
                below = {**region, split.kink: side}
                if not feasibility(below, solver=False).empty:
                    proved.extend(self.prove(below))
            return proved
        if b is None:
            raise _Undecided("the derivative is undefined where the function is defined")
        if a is not None and is_zero(a - b):
            return [region]
        inside = feasibility(region)
        if inside.empty:
            return []
        where = describe(region)
        if inside.points:
            raise _RegionFails(
                inside.points[0],
                f"the claim and the derivative differ where {where}, but no point there could "
                "be compared (all lie too close to a kink)",
            )
        raise _Undecided(
            f"the claim and the derivative differ where {where}, and ankigen cannot tell "
            "whether any point lies there"
        )


class _RegionFails(Exception):
    def __init__(self, witness: Point, reason: str) -> None:
        super().__init__(reason)
        self.witness, self.reason = witness, reason


def _has_kinks(expr: sp.Basic) -> bool:
    return any(_kink_arguments(node) for node in sp.preorder_traversal(expr))


def is_zero(difference: sp.Expr) -> bool:
    """Whether sympy can show the expression is identically zero (never a numeric guess): the
    cheap rewritings first (a polynomial ring with each function value a variable of its own,
    see :mod:`~ankigen.verify.zero`; exponentials for hyperbolic functions; powers gathered),
    ``simplify`` only where they all fail."""
    attempts: tuple[Callable[[sp.Expr], sp.Expr | int], ...] = (
        lambda d: d,
        lambda d: 0 if zero_polynomial(d) else d,
        lambda d: sp.cancel(sp.together(d)),
        lambda d: 0 if zero_polynomial(d.rewrite(sp.exp)) else d,
        lambda d: sp.powsimp(sp.expand(d), force=False),
        sp.simplify,
        lambda d: sp.simplify(d.rewrite(sp.exp)),
        lambda d: sp.simplify(sp.powsimp(sp.expand(d), force=False)),
    )
    for attempt in attempts:
        result = attempt(difference)
        if result == 0:
            return True
    return False


class _Undecided(Exception):
    """A kink's side cannot be decided, or the case split cannot go on: ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _NeedsSplit(Exception):
    """Resolving met a kink whose side the region does not fix yet."""

    def __init__(self, kink: sp.Expr) -> None:
        super().__init__(str(kink))
        self.kink = kink


def _kink_arguments(node: sp.Basic) -> list[sp.Expr]:
    if isinstance(node, sp.Heaviside | sp.sign | sp.Abs | sp.DiracDelta):
        return [node.args[0]]
    if isinstance(node, sp.Max | sp.Min):
        return [a - b for a, b in itertools.combinations(node.args, 2)]
    if isinstance(node, sp.Piecewise):
        return [
            rel.lhs - rel.rhs
            for _, cond in node.args
            for rel in sp.preorder_traversal(cond)
            if isinstance(rel, sp.core.relational.Relational)
        ]
    return []


def _canonical(expr: sp.Expr) -> tuple[sp.Expr | None, int]:
    """``expr`` as ``sign * canonical``, where ``canonical`` has the same sign as ``expr``
    wherever that is defined, in a simplest form (see :func:`_same_sign`); None for a
    constant."""
    expr = sp.expand(expr)
    if expr.is_number:
        return None, 0
    expr, factor = _same_sign(expr)
    if expr.is_number:
        return None, 0
    _, primitive = expr.as_content_primitive()
    if primitive.could_extract_minus_sign():
        return -primitive, -factor
    return primitive, factor


_INCREASING_THROUGH_ZERO = (sp.tanh, sp.atan, sp.sinh, sp.erf)  # f(u) has the sign of u


def _same_sign(expr: sp.Expr) -> tuple[sp.Expr, int]:
    """An expression, and a sign, whose product has the sign of ``expr`` wherever ``expr`` is
    defined: ``tanh(x)`` is x, ``exp(x) - 1`` is x, ``sigma(x) - 1/2`` is x (its numerator,
    over a positive denominator), ``log(u) - c`` is u - e^c. Only steps that keep the sign
    exactly are taken, so a kink keeps its zeros and its sides; a linear kink is then one the
    regions can be decided for (:mod:`ankigen.verify.regions`)."""
    factor = 1
    for _ in range(8):  # each step makes the expression smaller; a few always suffice
        numerator, denominator = sp.fraction(sp.together(expr))
        if denominator != 1 and (denominator.is_positive or denominator.is_negative):
            factor *= 1 if denominator.is_positive else -1
            expr = sp.expand(numerator)
            continue
        if isinstance(expr, _INCREASING_THROUGH_ZERO):
            expr = expr.args[0]
            continue
        if expr.is_Pow and expr.exp.is_Integer and expr.exp > 0 and expr.exp % 2 == 1:
            expr = expr.base
            continue
        monotone = _monotone_part(expr)
        if monotone is None:
            return expr, factor
        expr, sign = monotone
        factor *= sign
    return expr, factor


def _monotone_part(expr: sp.Expr) -> tuple[sp.Expr, int] | None:
    """``a*exp(u) + c`` (a, c constants of opposite signs) as ``(u - log(-c/a), sign(a))``,
    ``a*log(u) + c`` as ``(u - exp(-c/a), sign(a))``; None for anything else."""
    if not isinstance(expr, sp.Add) or len(expr.args) != 2:
        return None
    constant, term = sorted(expr.args, key=lambda a: not a.is_number)
    if not constant.is_number or not constant.is_real:
        return None
    scale, rest = term.as_coeff_Mul()
    if not scale.is_number or scale == 0:
        return None
    ratio = -constant / scale
    if isinstance(rest, sp.exp) and ratio.is_positive:
        return rest.args[0] - sp.log(ratio), 1 if scale > 0 else -1
    if isinstance(rest, sp.log):
        return rest.args[0] - sp.exp(ratio), 1 if scale > 0 else -1
    return None


def _side(expr: sp.Expr, region: dict[sp.Expr, int]) -> int:
    """The sign of a kink expression on the region: +1, -1, or 0 where it is zero on the whole
    region (``Abs(x) - x`` for x > 0), once its own kinks are resolved."""
    resolved = _resolve(expr, region)
    if resolved is None:
        raise _Undecided(f"{expr} is undefined on part of the domain")
    canonical, factor = _canonical(resolved)
    if canonical is None:
        sign = constant_sign(resolved)
        if sign is None:
            raise _Undecided(f"ankigen cannot tell the sign of {resolved}")
        return sign
    if not _real_where_defined(canonical):
        raise _Undecided(
            f"{canonical} may not be real everywhere, so its sign does not split the domain; "
            "give the domain with assume: (such as 'x > 0')"
        )
    if canonical not in region:
        raise _NeedsSplit(canonical)
    return factor * region[canonical]


def _resolve(expr: sp.Basic, region: dict[sp.Expr, int]) -> sp.Expr | None:
    """The smooth expression that ``expr`` is on one region; None where it is undefined there."""
    if isinstance(expr, sp.Piecewise):
        for value, cond in expr.args:
            if _holds(cond, region):
                return _resolve(value, region)
        return None
    if isinstance(expr, sp.Heaviside | sp.sign | sp.DiracDelta | sp.Abs):
        return _resolve_kink(expr, region)
    if isinstance(expr, sp.Max | sp.Min):
        want = 1 if isinstance(expr, sp.Max) else -1
        for candidate in expr.args:
            others = [o for o in expr.args if o is not candidate]
            if all(_side(candidate - o, region) in (want, 0) for o in others):
                return _resolve(candidate, region)
        raise _Undecided(f"ankigen cannot tell which argument of {expr} is the largest")
    if not expr.args or isinstance(expr, sp.Derivative | sp.Subs):
        return expr
    args = [_resolve(arg, region) for arg in expr.args]
    if any(arg is None for arg in args):
        return None
    return expr.func(*args)


def _resolve_kink(expr: sp.Basic, region: dict[sp.Expr, int]) -> sp.Expr | None:
    side = _side(expr.args[0], region)
    if isinstance(expr, sp.Heaviside):
        return sp.Heaviside(side)  # 1/2 where its argument is zero throughout
    if isinstance(expr, sp.sign):
        return sp.Integer(side)
    if isinstance(expr, sp.DiracDelta):
        if side == 0:
            raise _Undecided(f"{expr} is infinite on a whole region")
        return sp.Integer(0)
    inner = _resolve(expr.args[0], region)
    return None if inner is None else side * inner


def _holds(cond: sp.Basic, region: dict[sp.Expr, int]) -> bool:
    """Whether a condition holds on the whole region. ``==`` holds where both sides are equal
    throughout (``Abs(x) == x`` for x > 0), not only at a kink."""
    if cond is sp.true:
        return True
    if cond is sp.false:
        return False
    if isinstance(cond, sp.And):
        return all(_holds(c, region) for c in cond.args)
    if isinstance(cond, sp.Or):
        return any(_holds(c, region) for c in cond.args)
    if isinstance(cond, sp.Not):
        return not _holds(cond.args[0], region)
    if isinstance(cond, sp.core.relational.Relational) and cond.rel_op in RELATIONS:
        return RELATIONS[cond.rel_op](_side(cond.lhs - cond.rhs, region))
    raise _Undecided(f"ankigen cannot decide the condition {cond}")


_REAL_FUNCTIONS = (
    sp.exp, sp.sin, sp.cos, sp.tan, sp.atan, sp.sinh, sp.cosh, sp.tanh, sp.erf,
    sp.Abs, sp.sign, sp.Heaviside, sp.Max, sp.Min,
)  # fmt: skip


def _real_where_defined(expr: sp.Basic) -> bool:
    """Whether ``expr`` is real at every point where it has a value: a kink's two sides then
    cover its whole domain. ``sqrt(x)`` and ``log(x)`` are not, unless x >= 0 (x > 0)."""
    if expr.is_extended_real:
        return True
    if expr.is_Symbol or expr.is_Number or expr.is_NumberSymbol:
        return bool(expr.is_extended_real)
    if isinstance(expr, (sp.Add, sp.Mul, *_REAL_FUNCTIONS)):
        return all(_real_where_defined(a) for a in expr.args)
    if isinstance(expr, sp.Pow):
        base, exponent = expr.args
        if exponent.is_integer:
            return _real_where_defined(base)
        return bool(base.is_nonnegative) and _real_where_defined(exponent)
    if isinstance(expr, sp.log):
        return bool(expr.args[0].is_positive)
    if isinstance(expr, sp.core.function.AppliedUndef):
        return all(_real_where_defined(a) for a in expr.args)  # abstract functions are real
    return False
