"""Build sympy expressions from the parsed tree: the only door from catalogue text into sympy.

Every symbol is real (with the rule's ``assume:`` conditions as sympy assumptions); helpers from
``define:`` are expanded from their definitions, so a proof never trusts a hand-written
derivative of a helper; ``g'(x)`` is sympy's derivative of the abstract function ``g``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sympy as sp

from ankigen.expr.assumptions import Assumption, Interval
from ankigen.expr.tree import (
    BinOp,
    BoolOp,
    Call,
    Compare,
    Condition,
    Const,
    Definition,
    Neg,
    Node,
    Num,
    Piecewise,
    Transpose,
    TrueCond,
    Var,
)

FUNCTIONS = {
    "exp": sp.exp,
    "log": sp.log,
    "ln": sp.log,
    "sqrt": sp.sqrt,
    "sin": sp.sin,
    "cos": sp.cos,
    "tan": sp.tan,
    "atan": sp.atan,
    "sinh": sp.sinh,
    "cosh": sp.cosh,
    "tanh": sp.tanh,
    "erf": sp.erf,
    "Abs": sp.Abs,
    "sign": sp.sign,
    "Heaviside": sp.Heaviside,
    "Max": sp.Max,
    "Min": sp.Min,
}
_BINARY: Mapping[str, Callable[[sp.Expr, sp.Expr], sp.Expr]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
}
RELATIONS = {
    "<": sp.StrictLessThan,
    "<=": sp.LessThan,
    ">": sp.StrictGreaterThan,
    ">=": sp.GreaterThan,
    "==": sp.Eq,
    "!=": sp.Ne,
}


def guards_of(
    node: Node,
    entries: Callable[[Node], list[sp.Expr]],
    helper: Callable[[Call], list[Guard]],
    piecewise: Callable[[tuple[tuple[Node, Condition], ...]], list[Guard]] = lambda _: [],
) -> list[Guard]:
    """What ``node`` as written needs to have a value, the walk both translators share: each
    divisor, and the argument of each log, is not 0 (values on the way may be complex, as
    everywhere in ankigen, so a log or a root of -1 is no fault). sympy drops some of these
    while it builds the expression (``Max(0, x)/Max(0, x)`` becomes 1, which has a value where
    the text has none); a check at points can ask for them again. ``entries`` gives a part's
    value entry by entry (one entry for a scalar); ``helper`` and ``piecewise`` give the needs
    of a helper's body and of a piecewise's branches."""

    def inside(*parts: Node) -> list[Guard]:
        return [g for part in parts for g in guards_of(part, entries, helper, piecewise)]

    match node:
        case Neg(operand=operand) | Transpose(operand=operand):
            return inside(operand)
        case BinOp(op="/", left=left, right=right):
            return inside(left, right) + [Guard("divisor", e) for e in entries(right)]
        case BinOp(op="**", left=left, right=right):
            (exponent,) = entries(right)  # the shapes allow a scalar power only
            negative = getattr(exponent, "is_Rational", False) and exponent < 0
            divisors = [Guard("divisor", e) for e in entries(left)] if negative else []
            return inside(left, right) + divisors  # x**-2 and x**(-1/2) divide
        case BinOp(left=left, right=right):
            return inside(left, right)
        case Call(kind="function", name="log" | "ln", args=(argument,)):
            return inside(argument) + [Guard("log", e) for e in entries(argument)]
        case Call(kind="defined", args=args):
            return inside(*args) + helper(node)
        case Call(args=args):
            return inside(*args)
        case Piecewise(pieces=pieces):
            return piecewise(pieces)
    return []


def _only_where(guard: Guard, where: sp.Basic) -> Guard:
    if where is sp.true:
        return guard
    return Guard(guard.kind, sp.Piecewise((guard.expr, where), (1, True)))


@dataclass(frozen=True)
class Guard:
    """A condition a formula as written needs to have a value: ``expr``, a divisor or the
    argument of a log (``kind``), is not 0."""

    kind: str
    expr: sp.Expr


def _sign_flags(name: str, assumptions: tuple[Assumption, ...]) -> dict[str, bool]:
    """sympy's sign assumptions that the conditions on ``name`` imply."""
    interval = Interval.of(name, assumptions)
    flags: dict[str, bool] = {}
    if interval.low is not None and interval.low >= 0:
        flags["positive" if interval.low > 0 or interval.low_open else "nonnegative"] = True
    elif interval.high is not None and interval.high <= 0:
        flags["negative" if interval.high < 0 or interval.high_open else "nonpositive"] = True
    if any(a.symbol == name and a.relation == "!=" and a.bound == 0 for a in assumptions):
        flags["nonzero"] = True
    return flags


@dataclass(frozen=True)
class Translator:
    """Turns nodes of one rule into sympy, with that rule's assumptions and helpers."""

    assumptions: tuple[Assumption, ...]
    definitions: Mapping[str, Definition]

    def symbol(self, name: str) -> sp.Symbol:
        """The real symbol, with the sign its assumptions imply (0 < p < 1: positive) as
        sympy assumptions; the other bounds are for the case split (:func:`domain`)."""
        return sp.Symbol(name, real=True, **_sign_flags(name, self.assumptions))

    def bounds(self, symbols: set[sp.Symbol]) -> list[tuple[sp.Expr, int]]:
        """The assumptions' bounds on ``symbols`` that sympy's sign assumptions cannot hold,
        each as an expression and the sign it keeps: ``(p - 1, -1)`` for p < 1."""
        found = []
        for a in self.assumptions:
            matching = [s for s in symbols if s.name == a.symbol]
            if matching and a.bound != 0 and a.relation != "!=":
                bound = sp.Rational(a.bound.numerator, a.bound.denominator)
                found.append((matching[0] - bound, 1 if a.relation in (">", ">=") else -1))
        return found

    def expr(self, node: Node, env: Mapping[str, sp.Expr] | None = None) -> sp.Expr:
        env = env or {}
        match node:
            case Num(value=value):
                return sp.Rational(value.numerator, value.denominator)
            case Const(name="pi"):
                return sp.pi
            case Const():
                return sp.E
            case Var(name=name):
                return env[name] if name in env else self.symbol(name)
            case Neg(operand=operand):
                return -self.expr(operand, env)
            case BinOp(op=op, left=left, right=right):
                return _BINARY[op](self.expr(left, env), self.expr(right, env))
            case Call():
                return self.call(node, env)
            case Piecewise(pieces=pieces):
                return sp.Piecewise(
                    *((self.expr(value, env), self.condition(cond, env)) for value, cond in pieces)
                )
        raise TypeError(f"not an expression node: {node!r}")

    def guards(self, node: Node, env: Mapping[str, sp.Expr] | None = None) -> list[Guard]:
        """What ``node`` as written needs of its parts to have a value (see :func:`guards_of`);
        a piecewise branch's needs hold only where it applies, a condition's where it is
        read."""
        env = env or {}
        return guards_of(
            node,
            lambda part: [self.expr(part, env)],
            lambda call: self._helper_guards(call, env),
            lambda pieces: self._piecewise_guards(pieces, env),
        )

    def _helper_guards(self, call: Call, env: Mapping[str, sp.Expr]) -> list[Guard]:
        helper = self.definitions[call.name]
        values = tuple(self.expr(a, env) for a in call.args)
        return self.guards(helper.body, dict(zip(helper.params, values, strict=True)))

    def _piecewise_guards(
        self, pieces: tuple[tuple[Node, Condition], ...], env: Mapping[str, sp.Expr]
    ) -> list[Guard]:
        """A condition's guards where it is read (every earlier one false), a value's where
        its branch applies: each as a piecewise that is harmless (1) elsewhere."""
        found: list[Guard] = []
        earlier: list[sp.Basic] = []
        for value, condition in pieces:
            read = sp.And(*(sp.Not(c) for c in earlier))
            found += [_only_where(g, read) for g in self._condition_guards(condition, env)]
            earlier.append(self.condition(condition, env))
            applies = sp.And(read, earlier[-1])
            found += [_only_where(g, applies) for g in self.guards(value, env)]
        return found

    def _condition_guards(self, node: Condition, env: Mapping[str, sp.Expr]) -> list[Guard]:
        match node:
            case Compare(operands=operands):
                return [g for operand in operands for g in self.guards(operand, env)]
            case BoolOp(values=values):
                return [g for value in values for g in self._condition_guards(value, env)]
        return []

    def call(self, node: Call, env: Mapping[str, sp.Expr]) -> sp.Expr:
        args = tuple(self.expr(a, env) for a in node.args)
        if node.kind == "function":
            return FUNCTIONS[node.name](*args)
        if node.kind == "abstract":
            return self.abstract(node.name, args, node.primes)
        helper = self.definitions[node.name]  # "defined": the helper's body, never its name
        return self.expr(helper.body, dict(zip(helper.params, args, strict=True)))

    def abstract(self, name: str, args: tuple[sp.Expr, ...], primes: int) -> sp.Expr:
        function = sp.Function(name, real=True)  # real like every symbol: else g(x) may be complex
        if primes == 0:
            return function(*args)
        if len(args) != 1:
            raise ValueError(f"{name}' is only defined for a function of one argument")
        # g'(2x) is g' at 2x, not d/dx of g(2x): differentiate at a dummy, then substitute
        dummy = sp.Dummy("t", real=True)
        derivative = sp.Derivative(function(dummy), (dummy, primes))
        return derivative.subs(dummy, args[0])

    def condition(self, node: Condition, env: Mapping[str, sp.Expr]) -> sp.Basic:
        match node:
            case TrueCond():
                return sp.true
            case Compare(ops=ops, operands=operands):
                values = [self.expr(o, env) for o in operands]
                parts = [RELATIONS[op](values[i], values[i + 1]) for i, op in enumerate(ops)]
                return sp.And(*parts) if len(parts) > 1 else parts[0]
            case BoolOp(op="not", values=(value,)):
                return sp.Not(self.condition(value, env))
            case BoolOp(op=op, values=values):
                combine = sp.And if op == "and" else sp.Or
                return combine(*(self.condition(v, env) for v in values))
        raise TypeError(f"not a condition node: {node!r}")
