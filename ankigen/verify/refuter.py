"""The refuter: compare a claim with the true derivative at exact points, and say where they differ.

Points come in two sets. The *nice* points are ten small rationals, tried before any proof, so
that a wrong claim is refuted with a counterexample an author can check by hand (``at x = 2 the
claim gives 6, but d/dx x**3 = 12``). The *spread* points, tried after the proof as a second line
of defence, are seeded and look irrational (seven significant digits), range from 10**-3 to
10**3 in size with both signs, and include points inside every region of the case split, far
ones too. Values come from :mod:`ankigen.verify.numeric`: bounded magnitudes, ties seen.

Abstract functions (``g(x)``) are replaced by concrete stand-ins, named in the message.
"""

from __future__ import annotations

import itertools
import random
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence

import mpmath
import sympy as sp

from ankigen.expr.symbolic import Guard
from ankigen.records import Rule
from ankigen.verify.numeric import evaluate, evaluate_together
from ankigen.verify.points import (
    SPREAD_EXPONENTS,
    Domain,
    far_points,
    neighbours,
    sample_points,
    spread_points,
)
from ankigen.verify.regions import Point, Region, describe, feasibility
from ankigen.verify.written import broken, dropped

PRECISION = 50  # digits for the comparisons

# Concrete stand-ins for abstract functions (of the dummy t), chosen to be unlike each other and
# never zero, so that a wrong general rule (say g'h' for the product rule) shows at once.
_STAND_INS: tuple[Callable[[sp.Expr], sp.Expr], ...] = (
    lambda t: t**3 + 2 * t + 3,
    lambda t: sp.exp(t / 2) + 1,
    lambda t: t**2 + sp.sin(t) + 2,
    lambda t: 1 / (t**2 + 1) + 1,
    lambda t: sp.exp(-t) + t**2,
)
_STAND_IN_TEXT = (
    "x**3 + 2*x + 3",
    "exp(x/2) + 1",
    "x**2 + sin(x) + 2",
    "1/(x**2 + 1) + 1",
    "exp(-x) + x**2",
)
_MAX_DIGITS = 5000  # a disagreement that needs more digits to confirm cannot be checked
_SCAN_POINTS = 300  # points scanned for one inside a region that no other point reached
_SCAN_KEPT = 3  # of those inside, how many are compared
_KINK_STEP = sp.Rational(1, 10**30)  # to either side of a kink point, for the one-sided slopes
_DIFFERENCE_STEP = sp.Rational(1, 10**20)  # central differences, where sympy's form fails
_SMOOTH = mpmath.mpf(10) ** -12  # one-sided values this close: differentiable there
_KINK_ZERO = mpmath.mpf(10) ** -20  # a slope this small beside a kink point is 0 at it
_CLOSE = mpmath.mpf(10) ** (15 - PRECISION)  # agreement, relative to 1 + |derivative|


class Refuter:
    """Compares the claim with the true derivative at exact points (see
    :mod:`ankigen.verify.numeric` for how values, ties and magnitudes are computed); abstract
    functions are replaced by concrete stand-ins first.

    A point counts only where the comparison means something: the derivative has a value, and
    the point is not on a kink. A tie at a point is a kink when it goes away at the point's
    neighbours, and an equality that holds on a whole set (``Abs(x) == x`` at x > 0) when it
    does not; on such a set the point is compared like any other. A disagreement is confirmed
    with enough digits to survive the cancellation of the largest values met.
    """

    def __init__(
        self,
        rule: Rule,
        claim: sp.Expr,
        truth: sp.Expr,
        function: sp.Expr,
        guards: Sequence[Guard] = (),
        function_guards: Sequence[Guard] = (),
    ) -> None:
        exprs = (claim, truth, function)
        applied = set().union(*(e.atoms(sp.core.function.AppliedUndef) for e in exprs))
        abstract = sorted({f.func for f in applied}, key=str)
        stand_ins, self.described = _choose_stand_ins(abstract)
        self.general = bool(abstract)
        self.stand_ins = stand_ins
        self.rule = rule
        if stand_ins:  # g(x) becomes a concrete function, and Derivative(g(x), x) its derivative
            exprs = tuple(e.subs(stand_ins).doit() for e in exprs)
            guards, function_guards = (
                [Guard(g.kind, g.expr.subs(stand_ins).doit()) for g in needs]
                for needs in (guards, function_guards)
            )
        self.claim, self.truth, self.function = exprs
        # what the texts need to have a value, and sympy's forms of them do not
        self.written = dropped(guards, self.claim)
        self.function_written = dropped(function_guards, self.function)
        symbols = self.claim.free_symbols | self.truth.free_symbols | self.function.free_symbols
        self.domain = Domain(sorted(symbols, key=str), rule.assumptions)
        self.variable = next((s for s in symbols if s.name == rule.variable), None)
        self.compared_pair = (self.truth, self.claim)
        self.compared = 0  # sample points where both sides had a value to compare
        self.tested: list[Point] = []
        # Why a point that should have been compared could not be, if one could not.
        self.unverifiable: str | None = None
        self.let_off: list[Region] = []  # regions proved empty, or that no scanned point reached
        self.sides: dict[tuple[tuple[tuple[sp.Symbol, sp.Rational], ...], sp.Expr], int] = {}
        self.scan: list[Point] | None = None

    def nice_points(self) -> Iterator[Point]:
        """Deterministic small rational points that respect each symbol's sign assumptions."""
        return sample_points(self.domain)

    def spread_points(self, regions: Sequence[Region]) -> Iterator[Point]:
        """Seeded points across scales, then points inside each region of the case split that
        none of them reached: exact ones where :mod:`ankigen.verify.regions` can place them, else
        the first of a wider scan that lie inside. A region that is proved empty, or that the scan
        does not reach either, is let off the numeric check (:meth:`untested`); the symbolic
        proof still covers it."""
        seed = zlib.crc32(f"{self.rule.function_text}|{self.rule.derivative_text}".encode())
        yield from spread_points(self.domain, random.Random(seed))  # noqa: S311 - not secret
        for region in regions[:_MAX_TESTED_REGIONS]:
            if self._covered(region):
                continue
            inside = feasibility(_substituted(region, self.stand_ins))
            if inside.empty:
                self.let_off.append(region)
                continue
            yield from inside.points
            if self._covered(region):
                continue
            found = [p for p in self._scan() if self._inside(p, region)][:_SCAN_KEPT]
            if not found:
                self.let_off.append(region)
            yield from found

    def _covered(self, region: Region) -> bool:
        return any(self._inside(point, region) for point in self.tested)

    def _scan(self) -> list[Point]:
        if self.scan is None:
            chance = random.Random(2)  # noqa: S311 - not secret
            self.scan = list(spread_points(self.domain, chance, _SCAN_POINTS, (-3, 6)))
        return self.scan

    def kink_points(self, regions: Sequence[Region]) -> Iterator[Point]:
        """Exact points on the kinks of the case split (a kink expression is zero there), each
        found by solving a kink that is linear in one of its symbols, from a few spread points:
        x = 3 for ``x != 3``, a = 0 for ``a != 0``, w = -b/x for ``w*x + b > 0``."""
        kinks = sorted({k for region in regions for k in region}, key=str)
        bases = list(itertools.islice(spread_points(self.domain, random.Random(1)), 2))  # noqa: S311
        for kink in kinks[:_MAX_TESTED_REGIONS]:
            kink = kink.subs(self.stand_ins).doit() if self.stand_ins else kink
            for symbol in sorted(kink.free_symbols, key=lambda s: (s != self.variable, str(s))):
                solved = _solve_linear(kink, symbol)
                if solved is None:
                    continue
                for base in bases:
                    value = solved.xreplace(base)
                    if value.is_Rational and self.domain.inside(symbol, value):
                        yield {**base, symbol: value}
                break

    def kink_disagreement(self, point: Point) -> str | None:
        """At a point on a kink the claim may say anything where the function is not
        differentiable, or nothing; but a value it gives where the function *is*
        differentiable (ELU with α = 1 at 0, d/dx a·x at a = 0) must be the derivative."""
        got = evaluate(self.claim, point, PRECISION)
        if got.value is None or self.variable is None:
            return None
        if any(isinstance(tie, sp.Heaviside | sp.sign) for tie in got.ties):
            return None  # H(0) and sign(0) are conventions, not a value the author chose
        step = _KINK_STEP * (abs(point[self.variable]) + 1)
        sides = [{**point, self.variable: point[self.variable] + d} for d in (-step, step)]
        slopes = [evaluate(self.truth, p, PRECISION).value for p in sides]
        values = [evaluate(self.function, p, PRECISION).value for p in (sides[0], point, sides[1])]
        left, right, before, at, after = (*slopes, *values)
        if left is None or right is None or before is None or at is None or after is None:
            return None
        with mpmath.workdps(PRECISION):
            if not (_agree(right, left, _SMOOTH) and _agree(before, at, _SMOOTH)):
                return None  # a corner or a jump: not differentiable there
            want = (left + right) / 2
            if abs(want) <= _KINK_ZERO * (1 + abs(left) + abs(right)):
                want = mpmath.mpf(0)  # a slope of the step's size (x|x| at 0): 0 at the point
            if not _agree(after, at, _SMOOTH) or _agree(got.value, want, _SMOOTH):
                return None
        return self._message(point, got.value, want, on_kink=True)

    def undefined_everywhere(self) -> str | None:
        """The message for a function or claim with no real value at any point tried."""
        for expr, what in ((self.function, "function"), (self.claim, "claim")):
            spread = spread_points(self.domain, random.Random(0))  # noqa: S311 - not secret
            points = itertools.chain(self.nice_points(), spread, far_points(self.domain))
            if all(evaluate(expr, p, PRECISION).value is None for p in points):
                assumed = ", ".join(map(str, self.rule.assumptions))
                domain = f" for {assumed}" if assumed else ""
                return (
                    f"the {what} has no real value at any point tried{domain} "
                    f"(from 10**{SPREAD_EXPONENTS[0]} to 10**12, both signs): it is "
                    "undefined everywhere, or its domain is given wrong"
                )
        return None

    def sample(self, points: Iterable[Point]) -> str | None:
        """Compare at each point; the message of the first that disagrees."""
        for point in points:
            counterexample = self.disagreement(point)
            if counterexample is not None:
                return counterexample
        return None

    def disagreement(self, point: Point) -> str | None:
        """The message for a point where the claim is wrong, or None where it is right or
        where nothing can be compared. A point that should be comparable but is not (see
        :attr:`unverifiable`) is remembered: it keeps the rule from being proved."""
        want, got = evaluate_together(self.compared_pair, point, PRECISION)
        if want.value is None and not want.too_large:
            return self._from_the_function(point, want.ties)  # outside the domain, or 0/0
        if want.too_large and got.too_large:
            return None  # both beyond any size (exp(exp(x)) at x = 40)
        if want.too_large or got.too_large:
            self._unverifiable(point, "a value there is too large to compare")
            return None
        ties = want.ties | got.ties
        if ties and not self._flat(point, ties):
            return None  # on a kink the claim may say anything (or nothing)
        if broken(self.function_written, point, PRECISION) is not None:
            return None  # the function as written has no value here: nothing is claimed
        self.compared += 1
        unwritten = broken(self.written, point, PRECISION)
        if unwritten is not None and want.value is not None:
            return f"{self._message(point, None, want.value)} (as written, the claim {unwritten})"
        if _agree(got.value, want.value):
            self.tested.append(point)
            return None
        digits = PRECISION + 2 * max(want.magnitude, got.magnitude, 0) + 10
        if digits > _MAX_DIGITS:
            self._unverifiable(point, "its values cancel beyond the digits ankigen computes")
            return None
        want, got = evaluate_together(self.compared_pair, point, digits)
        if want.value is None or _agree(got.value, want.value):
            self.tested.append(point)
            return None
        return self._message(point, got.value, want.value)

    def _unverifiable(self, point: Point, reason: str) -> None:
        if not self.unverifiable:
            self.unverifiable = f"the claim cannot be checked at {_where(point)}: {reason}"

    def _from_the_function(self, point: Point, ties: frozenset[sp.Basic]) -> str | None:
        """Where sympy's derivative has no value but the function has one all around the point
        (a DiracDelta on a set where its argument is zero throughout; 0/0 where the function
        is constant), the derivative from the function's own values: central differences at
        two steps, taken only if they agree. Outside the domain, or at a corner, nothing."""
        if self.variable is None or self.variable not in point:
            return None
        x = point[self.variable]
        slopes = []
        for step in (_DIFFERENCE_STEP * (abs(x) + 1), _DIFFERENCE_STEP * (abs(x) + 1) / 10):
            ends = [evaluate(self.function, {**point, self.variable: x + d}, PRECISION).value
                    for d in (-step, step)]  # fmt: skip
            if ends[0] is None or ends[1] is None:
                return None
            with mpmath.workdps(PRECISION):
                slopes.append((ends[1] - ends[0]) / (2 * mpmath.mpf(step.p) / step.q))
        if not _agree(slopes[1], slopes[0], _SMOOTH):
            return None  # a corner or a jump within the step: no derivative to compare
        got = evaluate(self.claim, point, PRECISION)
        if (ties | got.ties) and not self._flat(point, ties | got.ties):
            return None
        if broken(self.function_written, point, PRECISION) is not None:
            return None
        self.compared += 1
        unwritten = broken(self.written, point, PRECISION)
        if unwritten is not None:
            message = self._message(point, None, slopes[1], from_values=True)
            return f"{message} (as written, the claim {unwritten})"
        if _agree(got.value, slopes[1], _SMOOTH):
            self.tested.append(point)
            return None
        return self._message(point, got.value, slopes[1], from_values=True)

    def _flat(self, point: Point, ties: frozenset[sp.Basic]) -> bool:
        """Whether the ties at ``point`` hold at its neighbours too, near and not so near (a set
        where an equality holds) rather than only there (a kink; see :func:`neighbours`)."""
        return all(
            evaluate_together(self.compared_pair, near, PRECISION)[0].ties == ties
            for near in neighbours(point)
        )

    def untested(self, regions: Sequence[Region]) -> str | None:
        """A region of the case split that no compared point lies in, described; None if every
        region had one or was let off (:meth:`spread_points`). General rules are exempt: their
        stand-ins may leave a region empty."""
        if self.general:
            return None
        for region in regions:
            if region not in self.let_off and not self._covered(region):
                return describe(region)
        return None

    def _inside(self, point: Point, region: Region) -> bool:
        return all(self._side(point, kink) == side for kink, side in region.items())

    def _side(self, point: Point, kink: sp.Expr) -> int:
        """The sign of a kink expression at a point (0 on it, or where it has no value),
        remembered: every region asks about the same points."""
        key = (tuple(point.items()), kink)
        if key not in self.sides:
            found = evaluate(kink, point, PRECISION)
            value = found.value
            clear = value is not None and not found.ties and abs(value) >= _CLOSE
            self.sides[key] = (1 if value is not None and value > 0 else -1) if clear else 0
        return self.sides[key]

    def _message(
        self,
        point: Point,
        got: mpmath.mpf | None,
        want: mpmath.mpf,
        on_kink: bool = False,
        from_values: bool = False,
    ) -> str:
        where = _where(point)
        given = f"with {self.described}, " if self.described else ""
        if on_kink or from_values:  # the derivative there is a limit: no exact value to show
            shown_claim, shown_truth = _decimal(got, 15), _decimal(want, 15)
            if on_kink:
                where += " (on a kink, where the function is differentiable all the same)"
        else:
            shown_claim, shown_truth = _show_pair(self.claim, self.truth, point, got, want)
        return (
            f"derivative is wrong: {given}at {where} the claim gives {shown_claim}, "
            f"but d/d{self.rule.variable} {self.rule.function_text} = {shown_truth}"
        )


_MAX_TESTED_REGIONS = 64


def _where(point: Point) -> str:
    return ", ".join(f"{s} = {v}" for s, v in point.items()) or "every point"


def _agree(got: mpmath.mpf | None, want: mpmath.mpf, close: mpmath.mpf = _CLOSE) -> bool:
    return got is not None and abs(got - want) <= close * (1 + abs(want))


def _solve_linear(expr: sp.Expr, symbol: sp.Symbol) -> sp.Expr | None:
    """The ``symbol`` that makes ``expr`` zero, if ``expr`` is linear in it, else None."""
    try:
        poly = sp.Poly(expr, symbol)
    except sp.PolynomialError:
        return None
    if poly.degree() != 1:
        return None
    slope, offset = poly.all_coeffs()
    return None if slope.is_zero else -offset / slope


def _substituted(region: Region, stand_ins: dict[sp.Basic, sp.Basic]) -> Region:
    if not stand_ins:
        return region
    return {kink.subs(stand_ins).doit(): side for kink, side in region.items()}


def _choose_stand_ins(abstract: Sequence[sp.FunctionClass]) -> tuple[dict[sp.Basic, sp.Basic], str]:
    mapping: dict[sp.Basic, sp.Basic] = {}
    described = []
    for i, function in enumerate(abstract):
        choice = i % len(_STAND_INS)
        mapping[function] = sp.Lambda(_T, _STAND_INS[choice](_T))
        described.append(f"{function}(x) = {_STAND_IN_TEXT[choice]}")
    return mapping, ", ".join(described)


_T = sp.Dummy("t", real=True)


def _show_pair(
    claim: sp.Expr,
    truth: sp.Expr,
    point: Point,
    got: mpmath.mpf | None,
    want: mpmath.mpf,
) -> tuple[str, str]:
    """The two values for a message: exact when short, else with enough digits to differ."""
    exact = [_exact(expr, point) for expr in (claim, truth)]
    if (
        got is not None
        and all(v is not None and v.is_Rational and len(str(v)) <= 20 for v in exact)
        and exact[0] != exact[1]
    ):
        return str(exact[0]), str(exact[1])
    for digits in (6, 15, 30, PRECISION):
        shown = [_decimal(got, digits), _decimal(want, digits)]
        if shown[0] != shown[1]:
            break
    return shown[0], shown[1]


def _exact(expr: sp.Expr, point: Point) -> sp.Expr | None:
    """The exact value for a message, when sympy finds it at once (``xreplace`` evaluates no
    function of a huge number); None for an expression that binds a variable (a derivative),
    where the decimals serve instead."""
    if expr.has(sp.Derivative, sp.Subs, sp.Integral, sp.Lambda):
        return None
    return expr.xreplace(point)


def _decimal(value: mpmath.mpf | None, digits: int) -> str:
    if value is None:
        return "no real value"
    text = str(sp.Float(value, digits))
    if "e" not in text and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text
