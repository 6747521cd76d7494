"""Time the matrix-calculus prover on representative rules, right and wrong.

    PYTHONPATH=. python bench/matrix_proof.py

Each rule is proved once in this process after a warm-up rule (which pays for sympy's lazy
imports), with sympy's cache cleared before it, so no rule profits from another's work; the
table gives the CPU time of this process, the wall time, the verdict and the scope. The rules
are written as the parser's builders would be: lambdas over sympy matrices (``inv`` as
adjugate over determinant, which is what sympy's ``inv`` returns without its slow
invertibility checks).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import sympy as sp
from sympy.core.cache import clear_cache

from ankigen.verify.matrix_proof import Condition, Env, MatrixProblem, prove_matrix

M = sp.ImmutableMatrix


def _m(e: Env, name: str) -> M:
    return M(e[name])


def _sq(v: M) -> sp.Expr:
    return (v.T * v)[0, 0]


def _softmax(v: M) -> M:
    exps = v.applyfunc(sp.exp)
    return exps / sp.Add(*exps)


def _sigmoid(t: sp.Expr) -> sp.Expr:
    return 1 / (1 + sp.exp(-t))


def _res(e: Env) -> M:
    return _m(e, "W") * _m(e, "x") - _m(e, "y")


def _quad(e: Env) -> sp.Expr:
    return (_m(e, "x").T * _m(e, "A") * _m(e, "x"))[0, 0]


def _ce(e: Env) -> sp.Expr:
    logs = _softmax(_m(e, "x")).applyfunc(sp.log)
    return -sp.Add(*_m(e, "y").multiply_elementwise(logs))


def _logistic(e: Env) -> sp.Expr:
    z = _m(e, "X") * _m(e, "w")
    return sp.Add(*(sp.log(1 + sp.exp(t)) - y * t for t, y in zip(z, _m(e, "y"), strict=True)))


def _two_layer(e: Env) -> sp.Expr:
    hidden = (_m(e, "W1") * _m(e, "x")).applyfunc(sp.tanh)
    return _sq(_m(e, "W2") * hidden - _m(e, "y"))


def _two_layer_w1(e: Env) -> M:
    hidden = (_m(e, "W1") * _m(e, "x")).applyfunc(sp.tanh)
    upstream = 2 * _m(e, "W2").T * (_m(e, "W2") * hidden - _m(e, "y"))
    return upstream.multiply_elementwise(hidden.applyfunc(lambda h: 1 - h**2)) * _m(e, "x").T


def _scores(e: Env) -> sp.Expr:
    scores = _m(e, "Q") * _m(e, "K").T
    return e["c"] * (_m(e, "G").T * scores).trace()


def _inverse(x: M) -> M:
    return x.adjugate() / x.det()


QUAD = {"x": ("n",), "A": ("n", "n")}
LS = {"W": ("m", "n"), "x": ("n",), "y": ("m",)}
ATTENTION = {"Q": ("n", "d"), "K": ("m", "d"), "G": ("n", "m"), "c": ()}
TWO_LAYER = {"x": ("n",), "W1": ("h", "n"), "W2": ("m", "h"), "y": ("m",)}
DET = Condition(lambda e: _m(e, "X").det() > 0, "det(X) > 0")
SUM_ONE = Condition(lambda e: sp.Eq(sp.Add(*_m(e, "y")), 1), "sum(y) == 1")


def _grad_quad(e: Env) -> M:
    return (_m(e, "A") + _m(e, "A").T) * _m(e, "x")


def _softmax_jacobian(e: Env) -> M:
    s = _softmax(_m(e, "x"))
    return M(sp.diag(*s) - s * s.T)


def _ce_gradient(e: Env) -> M:
    return _softmax(_m(e, "x")) - _m(e, "y")


def _log_det(e: Env) -> sp.Expr:
    return sp.log(_m(e, "X").det())


def _layer(e: Env) -> M:
    return _m(e, "W") * _m(e, "x") + _m(e, "b")


def _tanh_jacobian(e: Env) -> M:
    return M(sp.diag(*_layer(e).applyfunc(lambda t: 1 - sp.tanh(t) ** 2)) * _m(e, "W"))


def _logistic_gradient(e: Env) -> M:
    return _m(e, "X").T * ((_m(e, "X") * _m(e, "w")).applyfunc(_sigmoid) - _m(e, "y"))


def _symbolic(expr: Callable[..., sp.Basic]) -> Callable[[Env], sp.Basic]:
    """A builder over MatrixSymbols: the same formula, its arguments by name."""
    names = expr.__code__.co_varnames[: expr.__code__.co_argcount]
    return lambda e: expr(*(e[n] for n in names))


SQUARE = {"X": ("n", "n")}
TRACE = {"X": ("n", "n"), "A": ("n", "n")}
CE = {"x": ("n",), "y": ("n",)}
LAYER = {"W": ("m", "n"), "x": ("n",), "b": ("m",)}
BATCH = {"X": ("m", "n"), "w": ("n",), "y": ("m",)}

RULES: list[tuple[str, MatrixProblem]] = [
    (
        "∇ xᵀAx = (A + Aᵀ)x, MatrixSymbols too",
        MatrixProblem(
            QUAD,
            "x",
            _quad,
            _grad_quad,
            symbolic_function=_symbolic(lambda x, A: x.T * A * x),
            symbolic_claim=_symbolic(lambda x, A: (A + A.T) * x),
        ),
    ),
    (
        "∂‖Wx − y‖²/∂W = 2(Wx − y)xᵀ, MatrixSymbols too",
        MatrixProblem(
            LS,
            "W",
            lambda e: _sq(_res(e)),
            lambda e: 2 * _res(e) * _m(e, "x").T,
            symbolic_function=_symbolic(lambda W, x, y: (W * x - y).T * (W * x - y)),
            symbolic_claim=_symbolic(lambda W, x, y: 2 * (W * x - y) * x.T),
        ),
    ),
    (
        "∂‖Wx − y‖²/∂x = 2Wᵀ(Wx − y)",
        MatrixProblem(LS, "x", lambda e: _sq(_res(e)), lambda e: 2 * _m(e, "W").T * _res(e)),
    ),
    (
        "softmax Jacobian",
        MatrixProblem({"x": ("n",)}, "x", lambda e: _softmax(_m(e, "x")), _softmax_jacobian),
    ),
    ("softmax + CE = s − y, sum(y) = 1", MatrixProblem(CE, "x", _ce, _ce_gradient, (SUM_ONE,))),
    (
        "∂ log det X/∂X = X⁻ᵀ, det X > 0",
        MatrixProblem(SQUARE, "X", _log_det, lambda e: _inverse(_m(e, "X")).T, (DET,)),
    ),
    (
        "∂ tr(AX)/∂X = Aᵀ, MatrixSymbols too",
        MatrixProblem(
            TRACE,
            "X",
            lambda e: (_m(e, "A") * _m(e, "X")).trace(),
            lambda e: _m(e, "A").T,
            symbolic_function=_symbolic(lambda X, A: sp.Trace(A * X)),
            symbolic_claim=_symbolic(lambda X, A: A.T),
        ),
    ),
    (
        "Jacobian of tanh(Wx + b)",
        MatrixProblem(LAYER, "x", lambda e: _layer(e).applyfunc(sp.tanh), _tanh_jacobian),
    ),
    (
        "logistic regression over a batch",
        MatrixProblem(BATCH, "w", _logistic, _logistic_gradient),
    ),
    (
        "attention scores by Q (3 dims)",
        MatrixProblem(ATTENTION, "Q", _scores, lambda e: e["c"] * _m(e, "G") * _m(e, "K")),
    ),
    (
        "attention scores by K (3 dims)",
        MatrixProblem(ATTENTION, "K", _scores, lambda e: e["c"] * _m(e, "G").T * _m(e, "Q")),
    ),
    (
        "two-layer backprop by W1 (3 dims)",
        MatrixProblem(TWO_LAYER, "W1", _two_layer, _two_layer_w1),
    ),
    (
        "wrong: 2Ax for xᵀAx",
        MatrixProblem(QUAD, "x", _quad, lambda e: 2 * _m(e, "A") * _m(e, "x")),
    ),
    (
        "wrong: inv(X) for log det X",
        MatrixProblem(SQUARE, "X", _log_det, lambda e: _inverse(_m(e, "X")), (DET,)),
    ),
    ("wrong: s − y with no condition", MatrixProblem(CE, "x", _ce, _ce_gradient)),
]


def main() -> None:
    prove_matrix(
        MatrixProblem({"v": ("n",)}, "v", lambda e: _sq(_m(e, "v")), lambda e: 2 * _m(e, "v"))
    )
    print("    CPU    wall  verdict    scope        rule")
    cpu_total = wall_total = 0.0
    for name, problem in RULES:
        clear_cache()
        cpu, wall = time.process_time(), time.perf_counter()
        result = prove_matrix(problem)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        cpu_total, wall_total = cpu_total + cpu, wall_total + wall
        scope = result.scope or ""
        print(f"{cpu * 1000:5.0f} ms {wall * 1000:5.0f} ms  {result.status:10} {scope:11}  {name}")
    print(f"{cpu_total * 1000:5.0f} ms {wall_total * 1000:5.0f} ms  in all, {len(RULES)} rules")


if __name__ == "__main__":
    main()
