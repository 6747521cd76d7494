"""Sound zero tests for both provers: is this difference of a claim and a derivative 0?

Every step is an identity, so "zero" is a proof (wherever the expression is defined), while
"not shown" proves nothing either way: only a point where the values differ refutes. The
cheapest step comes first: sympy's polynomial rings, with each function value taken as an
independent variable, are many times faster than ``expand`` on the entries of a Jacobian. The
same rings differentiate polynomial functions exactly, faster than ``diff`` on a product of
sums. Floats never enter a ring (it would round them to fractions).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeAlias

import sympy as sp


def is_zero(expr: sp.Expr, thorough: bool = True) -> bool:
    """Whether sound rewriting reduces ``expr`` to 0, the cheap steps first (a numerator that
    expands to 0 makes the fraction 0 wherever it is defined). A nonzero result proves nothing
    either way: only a point where the values differ refutes."""
    if expr == 0 or zero_polynomial(expr):
        return True
    expanded = sp.expand(expr)
    if expanded == 0 or sp.expand(sp.fraction(sp.together(expr))[0]) == 0:
        return True
    if sp.cancel(expanded) == 0:
        return True
    if expanded.has(sp.tanh, sp.sinh, sp.cosh, sp.exp):
        rewritten = sp.expand(expanded.rewrite(sp.exp))
        if rewritten == 0 or sp.expand(sp.fraction(sp.together(rewritten))[0]) == 0:
            return True
    if expanded.has(sp.sign) and all(_isolated_zeros(s.args[0]) for s in expanded.atoms(sp.sign)):
        # d|t|/dt = sign(t) = t/|t| wherever t != 0: an identity off a set where nothing is
        # claimed, the zeros of a rational function that is not 0 (never a whole region, where
        # sign is 0 and t/|t| has no value: sign(Max(0, 10 - x)) for x > 10)
        rewritten = expanded.replace(sp.sign, lambda t: t / sp.Abs(t))
        if zero_polynomial(rewritten) or sp.cancel(sp.expand(rewritten)) == 0:
            return True
    return thorough and sp.simplify(expanded) == 0


def _isolated_zeros(argument: sp.Expr) -> bool:
    """Whether ``argument`` is a rational function of the symbols, with rational coefficients,
    that is not 0: then it is 0 on no region (no Max, Abs or constant such as
    atan(5) + atan(1/5) - pi/2 that is 0 without looking it)."""
    symbols = argument.free_symbols
    if not symbols or argument.atoms(sp.Float) or not argument.is_rational_function(*symbols):
        return False  # Max and Min are no sympy Function: ask for a rational function itself
    return _zero_fraction(argument) is False


def _stand_ins(opaque: set[sp.Basic], split: bool) -> dict[sp.Basic, sp.Expr]:
    """An independent variable for each of ``opaque``, except exponentials: ``exp(-2*z)``
    becomes ``E_z**-2`` (``E_z`` standing for ``exp(z)``), and where ``split``, ``exp(2*a - b)``
    becomes ``E_a**2 / E_b``. Both are identities for every value, and softmax's derivatives
    need them (sympy writes ``exp(a)**2`` as ``exp(2*a)``); splitting makes more variables, so
    it is tried second."""
    found: dict[sp.Basic, sp.Expr] = {}
    exponentials: dict[sp.Basic, sp.Dummy] = {}

    def power(base: sp.Basic, exponent: sp.Expr) -> sp.Expr:
        return exponentials.setdefault(base, sp.Dummy()) ** exponent

    for atom in opaque:
        found[atom] = sp.Dummy()
        if not isinstance(atom, sp.exp):
            continue
        if split:
            terms = sp.expand(atom.args[0]).as_coefficients_dict()
            if all(c.is_Integer for c in terms.values()) and 1 not in terms:
                found[atom] = sp.Mul(*(power(t, c) for t, c in terms.items()))
            continue
        content, primitive = sp.expand(atom.args[0]).as_content_primitive()
        if primitive.could_extract_minus_sign():
            content, primitive = -content, -primitive
        if content.is_Integer:
            found[atom] = power(primitive, content)
    return found


def zero_polynomial(expr: sp.Expr) -> bool:
    """Whether ``expr`` is the zero polynomial (or fraction) once every function value, constant
    and root in it is taken as an independent variable (exponentials as powers of one, see
    :func:`_stand_ins`): then it is 0 whatever those values are, wherever it is defined.
    sympy's polynomial rings do this many times faster than ``expand``."""
    opaque = expr.atoms(sp.Function, sp.NumberSymbol)
    opaque |= {p for p in expr.atoms(sp.Pow) if not p.exp.is_Integer}
    splits = (
        (False, True)
        if any(isinstance(a.args[0], sp.Add) for a in expr.atoms(sp.exp))
        else (False,)
    )
    return any(_zero_fraction(expr.xreplace(_stand_ins(opaque, split))) for split in splits)


def _zero_fraction(plain: sp.Expr) -> bool | None:
    """Whether ``plain``, a rational function of its symbols with rational coefficients, is 0
    (True) or not (False); None where it is no such function (a function value, a float, an
    irrational constant, a root), which says nothing either way.

    The fraction is brought over one denominator in sympy's polynomial ring without the gcd
    that its field of fractions computes at every step (most of the time of a zero test of an
    inverse's entries): the numerator is 0 exactly when the fraction is, wherever it is
    defined, whatever common factors it keeps."""
    generators = sorted(plain.free_symbols, key=_name)
    if not generators or plain.atoms(sp.Float):
        return bool(plain == 0) if plain.is_Rational else None  # a ring would round a float
    domain, *_ = sp.polys.rings.ring(generators, sp.QQ)
    try:
        numerator, _ = _Fractions(domain).of(plain)
    except _NotRational:
        return None
    return bool(numerator == 0)


class _NotRational(Exception):
    """Part of the expression is not a polynomial operation on its symbols and rationals."""


_Denominator: TypeAlias = dict[sp.Basic, tuple[sp.polys.rings.PolyElement, int]]


class _Fractions:
    """Rational functions as a numerator and a product of powers of polynomials (keyed by the
    sympy expression each came from), so that a sum's common denominator is a product, not a
    gcd: terms over P² and P³ are brought over P³."""

    def __init__(self, domain: sp.polys.rings.PolyRing) -> None:
        self.domain = domain
        self.generators = {g.as_expr(): g for g in domain.gens}

    def of(self, expr: sp.Basic) -> tuple[sp.polys.rings.PolyElement, _Denominator]:
        if expr.is_Rational:
            return self.domain(expr), {}
        if expr in self.generators:
            return self.generators[expr], {}
        if isinstance(expr, sp.Add):
            return self._sum([self.of(a) for a in expr.args])
        if isinstance(expr, sp.Mul):
            numerator, denominator = self.domain.one, _Denominator()
            for factor in expr.args:
                top, bottom = self.of(factor)
                numerator *= top
                denominator = _times(denominator, bottom)
            return numerator, denominator
        if isinstance(expr, sp.Pow) and expr.exp.is_Integer:
            top, bottom = self.of(expr.base)
            power = int(expr.exp)
            if power >= 0:
                return top**power, {k: (p, e * power) for k, (p, e) in bottom.items()}
            if not top:
                raise _NotRational  # a division by the zero polynomial: no value anywhere
            numerator = self.domain.one
            for factor, exponent in bottom.values():
                numerator *= factor ** (exponent * -power)
            return numerator, {expr.base: (top, -power)}
        raise _NotRational

    def _sum(
        self, terms: list[tuple[sp.polys.rings.PolyElement, _Denominator]]
    ) -> tuple[sp.polys.rings.PolyElement, _Denominator]:
        common: _Denominator = {}
        for _, denominator in terms:
            for key, (factor, exponent) in denominator.items():
                if exponent > common.get(key, (factor, 0))[1]:
                    common[key] = (factor, exponent)
        total = self.domain.zero
        for numerator, denominator in terms:
            for key, (factor, exponent) in common.items():
                missing = exponent - denominator.get(key, (factor, 0))[1]
                if missing:
                    numerator = numerator * factor**missing
            total += numerator
        return total, common


def _times(a: _Denominator, b: _Denominator) -> _Denominator:
    product = dict(a)
    for key, (factor, exponent) in b.items():
        product[key] = (factor, product.get(key, (factor, 0))[1] + exponent)
    return product


def ring_diff(
    function: sp.ImmutableMatrix, variable: sp.ImmutableMatrix
) -> Callable[[sp.Expr, sp.Symbol], sp.Expr] | None:
    """The derivative of the function's entries by the variable's, computed in sympy's
    polynomial ring with every function value, constant, root and reciprocal taken as a
    variable ``g`` of its own, and the chain rule once: d/dx P(x, g(x)) = ∂P/∂x + ∂P/∂g ·
    g'(x), with ``g'`` from sympy's ``diff``. Exact, and many times faster than ``diff`` on a
    product of sums; None where an entry is not a polynomial even so (``Max``), and then
    sympy's ``diff`` does it all."""
    if function.atoms(sp.Float):
        return None  # the ring would round a float to a fraction
    opaque = function.atoms(sp.Function, sp.NumberSymbol)
    opaque |= {p for p in function.atoms(sp.Pow) if not (p.exp.is_Integer and p.exp > 0)}
    stand_in = {atom: sp.Dummy(f"g{k}") for k, atom in enumerate(opaque)}  # any order will do
    plain = {f: f.xreplace(stand_in) for f in set(function)}
    generators = sorted(
        set().union(variable.free_symbols, *(p.free_symbols for p in plain.values())), key=_name
    )
    try:
        domain, *_ = sp.polys.rings.ring(generators, sp.QQ)
        elements = {f: domain(p) for f, p in plain.items()}
    except (sp.polys.polyerrors.CoercionFailed, ValueError, TypeError):
        return None
    position = {g: k for k, g in enumerate(generators)}
    back = {dummy: atom for atom, dummy in stand_in.items()}

    def diff(f: sp.Expr, entry: sp.Symbol) -> sp.Expr:
        element = elements[f]
        result = element.diff(domain.gens[position[entry]]).as_expr()
        for dummy, atom in back.items():
            if dummy in position and atom.has(entry):
                outer = element.diff(domain.gens[position[dummy]]).as_expr()
                result += outer * _inner_derivative(atom, entry)
        return result.xreplace(back)

    return diff


@functools.lru_cache(maxsize=4096)
def _inner_derivative(atom: sp.Expr, entry: sp.Symbol) -> sp.Expr:
    """sympy's derivative of a function value by one entry, remembered: the same values (the
    rows of tanh(W @ x) for the rows and columns that sizes share) recur at many sizes."""
    return sp.diff(atom, entry)


def _name(symbol: sp.Symbol) -> tuple[str, int]:
    """A symbol's place in a ring's generators: by name, stand-ins of one name by creation
    (printing each to sort by its text costs more than the ring's arithmetic)."""
    return symbol.name, getattr(symbol, "dummy_index", 0)
