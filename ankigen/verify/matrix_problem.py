"""The records of the matrix proof: a :class:`MatrixProblem` in, a :class:`MatrixResult` out.

Other code imports them from :mod:`ankigen.verify.matrix_proof`, which says what the verdicts
mean; they live here so that the proof's parts (:mod:`~ankigen.verify.matrix_conditions`,
:mod:`~ankigen.verify.matrix_setting`, :mod:`~ankigen.verify.matrix_points`) can share them
without importing the module that drives them. :class:`Stop` is how any part ends the proof
early with its verdict.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

import sympy as sp

from ankigen.expr.symbolic import Guard

Shape: TypeAlias = tuple[str, ...]  # () scalar, ("n",) column vector, ("m", "n") matrix
Value: TypeAlias = sp.Expr | sp.MatrixBase
Env: TypeAlias = Mapping[str, Value]
Builder: TypeAlias = Callable[[Env], Value]
Relations: TypeAlias = "sp.Basic | sp.MatrixBase | Sequence[sp.Basic]"
Status: TypeAlias = Literal["proved", "refuted", "not proved", "invalid"]
Scope: TypeAlias = str  # "all sizes" or "sizes ≤ 3" (the bound is max_size)

SHOWN = 160  # characters of an expression shown in a message


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
    # The dimensions of the derivative's rows and columns ("1" for none), as the shapes name
    # them: with them, one entry of each kind stands for all in the symbolic step (see
    # matrix_proof._representatives); without, every entry is reduced.
    layout: tuple[str, str] | None = None
    # What the claim's text needs of each entry to have a value (divisors not 0, ...), built
    # like the claim; those sympy's form no longer needs are checked at every point.
    claim_guards: Callable[[Env], Sequence[Guard]] | None = None
    function_guards: Callable[[Env], Sequence[Guard]] | None = None  # where nothing is claimed
    # How many inverses and determinants the claim's text takes: sympy's algebra of symbolic
    # size cancels inv(M) @ M and det(M)/det(M) even where M is singular at every large size
    # (M = X @ X.T for X of 3 columns), so a symbolic claim with fewer is no proof for all sizes.
    claim_inverses: int = 0


@dataclass(frozen=True)
class MatrixResult:
    """The verdict: ``detail`` says why for anything but proved (for refuted: the sizes, the
    1-based entry, the point and both values); ``scope`` says what was shown, for proved."""

    status: Status
    detail: str = ""
    scope: Scope | None = None


class Stop(Exception):
    """Ends the proof early with a verdict."""

    def __init__(self, status: Status, detail: str) -> None:
        super().__init__(detail)
        self.result = MatrixResult(status, detail)


def short(value: object) -> str:
    """``value`` as text, cut to :data:`SHOWN` characters for a message."""
    text = str(value)
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"
