"""Independent cross-check of the matrix catalogue and of the matrix soundness fixtures.

    PYTHONPATH=$PWD python bench/check_matrix_content.py                # both files
    PYTHONPATH=$PWD python bench/check_matrix_content.py FILE.yaml ...  # chosen files
    PYTHONPATH=$PWD python bench/check_matrix_content.py --per-size     # verdict at each size

This is not ankigen's prover and shares no code with it: a small translator of its own reads issue
16's NumPy-style syntax (`@`, `.T`, elementwise `+ - * / **` with scalar broadcasting only,
entrywise `exp log tanh sqrt` and `define:` helpers, `sum trace det inv norm diag`) into sympy
matrices whose every entry is an independent symbol. For every assignment of sizes 1..3 to the
dimension names it compares the claimed derivative with the true one (gradient in the variable's
shape; Jacobian J[i, j] = ∂f_i/∂x_j) entry by entry:

- refuted: some entry differs at a sample point that satisfies every `assume:` (checked twice, at
  40 and at 60 digits, so rounding cannot fake a counterexample);
- proved: every entry's difference simplifies to exactly 0 (with `sum(y) == 1` substituted and
  symbols assumed `> 0` declared positive); sample points alone never prove;
- shape-error: the symbolic shapes (dimension names, not sizes) do not fit, so `A @ B` with
  A [m, n] and B [m, n] is an error even where m = n;
- unknown: neither (counts as a failure for the catalogue).

A catalogue file (`rules:`) must be all proved; a fixture file (`claims:`) must match each
`expect:`. Exit status 1 on any failure, so this can gate a merge.
"""

from __future__ import annotations

import ast
import itertools
import random
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mpmath
import sympy as sp
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILES = (
    ROOT / "cards" / "vectors-and-matrices.yaml",
    ROOT / "tests" / "fixtures" / "matrix_claims.yaml",
)
SIZES = (1, 2, 3)
SAMPLES = 3  # sample points per size assignment that must satisfy the assumptions
TRIES = 200  # draws allowed to find them

Dim = str | int  # a dimension: a name from `shapes:` or the literal 1


class ShapeError(ValueError):
    """The expression's symbolic shapes do not fit (names both shapes)."""


class Unsupported(ValueError):
    """Syntax outside issue 16's contract."""


@dataclass(frozen=True)
class Val:
    """A translated value: a sympy scalar (shape None) or a Matrix with its symbolic shape."""

    shape: tuple[Dim, Dim] | None
    value: Any  # sp.Expr when shape is None, else sp.Matrix

    def show(self) -> str:
        if self.shape is None:
            return "scalar"
        return "[" + ", ".join(str(d) for d in self.shape) + "]"


ENTRYWISE: dict[str, Callable[[Any], Any]] = {
    "exp": sp.exp,
    "log": sp.log,
    "tanh": sp.tanh,
    "sqrt": sp.sqrt,
    "sin": sp.sin,
    "cos": sp.cos,
}


@dataclass
class Env:
    """Symbols for one size assignment: every entry of every shaped symbol is its own symbol."""

    shapes: dict[str, tuple[Dim, Dim]]
    sizes: dict[str, int]
    positive: frozenset[str]
    defines: dict[str, tuple[list[str], ast.expr]]
    values: dict[str, Val] = field(default_factory=dict)

    def lookup(self, name: str) -> Val:
        if name not in self.values:
            pos = name in self.positive
            if name in self.shapes:
                rows, cols = (self.size(d) for d in self.shapes[name])
                mat = sp.Matrix(
                    rows,
                    cols,
                    lambda i, j: sp.Symbol(
                        _entry_name(name, i, j, cols), real=True, positive=pos or None
                    ),
                )
                self.values[name] = Val(self.shapes[name], mat)
            else:
                self.values[name] = Val(None, sp.Symbol(name, real=True, positive=pos or None))
        return self.values[name]

    def size(self, dim: Dim) -> int:
        return dim if isinstance(dim, int) else self.sizes[dim]


def _entry_name(name: str, i: int, j: int, cols: int) -> str:
    return f"{name}[{i + 1}]" if cols == 1 else f"{name}[{i + 1},{j + 1}]"


def parse_shape(raw: Sequence[Any]) -> tuple[Dim, Dim]:
    """`[n]` is a column vector (n, 1); `[m, n]` a matrix."""
    dims: list[Dim] = [d if isinstance(d, int) else str(d) for d in raw]
    if len(dims) == 1:
        return (dims[0], 1)
    if len(dims) == 2:
        return (dims[0], dims[1])
    raise Unsupported(f"shape {raw!r} is neither [n] nor [m, n]")


# --- the translator -----------------------------------------------------------------------------


def translate(text: str, env: Env) -> Val:
    """Translate one expression of the catalogue syntax; raises ShapeError or Unsupported."""
    tree = ast.parse(str(text).strip(), mode="eval")
    return _node(tree.body, env)


def _node(node: ast.expr, env: Env) -> Val:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        if isinstance(node.value, bool):
            raise Unsupported("booleans are not numbers here")
        return Val(None, sp.Rational(str(node.value)))
    if isinstance(node, ast.Name):
        return env.lookup(node.id)
    if isinstance(node, ast.Attribute):
        if node.attr != "T":
            raise Unsupported(f"attribute .{node.attr}: only .T is allowed")
        inner = _node(node.value, env)
        if inner.shape is None:
            return inner
        return Val((inner.shape[1], inner.shape[0]), inner.value.T)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _node(node.operand, env)
        return inner if isinstance(node.op, ast.UAdd) else Val(inner.shape, -inner.value)
    if isinstance(node, ast.BinOp):
        return _binop(node, env)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        return _call(node.func.id, [_node(a, env) for a in node.args], env)
    raise Unsupported(f"unsupported syntax: {ast.dump(node)[:60]}")


def _binop(node: ast.BinOp, env: Env) -> Val:
    left, right = _node(node.left, env), _node(node.right, env)
    if isinstance(node.op, ast.MatMult):
        return _matmul(left, right)
    if isinstance(node.op, ast.Pow):
        if right.shape is not None:
            raise ShapeError(f"exponent must be a scalar, got {right.show()}")
        return _entrywise(lambda a: a**right.value, left)
    ops: dict[type, Callable[[Any, Any], Any]] = {
        ast.Add: lambda a, b: a + b,
        ast.Sub: lambda a, b: a - b,
        ast.Mult: lambda a, b: a * b,
        ast.Div: lambda a, b: a / b,
    }
    op = ops.get(type(node.op))
    if op is None:
        raise Unsupported(f"operator {type(node.op).__name__}")
    return _broadcast(op, left, right)


def _matmul(left: Val, right: Val) -> Val:
    if left.shape is None or right.shape is None:
        raise ShapeError(f"@ needs two arrays, got {left.show()} @ {right.show()}")
    if left.shape[1] != right.shape[0]:
        raise ShapeError(f"@ of {left.show()} and {right.show()}")
    shape = (left.shape[0], right.shape[1])
    product = left.value * right.value
    if shape == (1, 1):  # a 1×1 result is a scalar
        return Val(None, product[0, 0])
    return Val(shape, product)


def _broadcast(op: Callable[[Any, Any], Any], left: Val, right: Val) -> Val:
    if left.shape is None and right.shape is None:
        return Val(None, op(left.value, right.value))
    if left.shape is None:
        return Val(right.shape, right.value.applyfunc(lambda b: op(left.value, b)))
    if right.shape is None:
        return Val(left.shape, left.value.applyfunc(lambda a: op(a, right.value)))
    if left.shape != right.shape:
        raise ShapeError(f"elementwise op of {left.show()} and {right.show()}")
    rows, cols = left.value.shape
    return Val(
        left.shape,
        sp.Matrix(rows, cols, lambda i, j: op(left.value[i, j], right.value[i, j])),
    )


def _entrywise(fn: Callable[[Any], Any], arg: Val) -> Val:
    if arg.shape is None:
        return Val(None, fn(arg.value))
    return Val(arg.shape, arg.value.applyfunc(fn))


def _call(name: str, args: list[Val], env: Env) -> Val:
    if name in env.defines:
        return _apply_define(name, args, env)
    if len(args) != 1:
        raise Unsupported(f"{name} takes one argument")
    (arg,) = args
    if name in ENTRYWISE:
        return _entrywise(ENTRYWISE[name], arg)
    if arg.shape is None:
        raise ShapeError(f"{name} needs an array, got a scalar")
    return _matrix_call(name, arg)


def _matrix_call(name: str, arg: Val) -> Val:
    """sum, norm, diag, trace, det, inv of a vector or matrix."""
    mat = arg.value
    if name == "sum":
        return Val(None, sum(mat, sp.Integer(0)))
    if name == "norm":
        return Val(None, sp.sqrt(sum((e**2 for e in mat), sp.Integer(0))))
    if name == "diag":
        if arg.shape[1] != 1:
            raise ShapeError(f"diag needs a column vector, got {arg.show()}")
        return Val((arg.shape[0], arg.shape[0]), sp.diag(*list(mat)))
    if arg.shape[0] != arg.shape[1]:
        raise ShapeError(f"{name} needs a square matrix, got {arg.show()}")
    if name == "trace":
        return Val(None, mat.trace())
    if name == "det":
        return Val(None, mat.det(method="berkowitz"))
    if name == "inv":
        return Val(arg.shape, mat.adjugate() / mat.det(method="berkowitz"))
    raise Unsupported(f"unknown function {name}")


def _apply_define(name: str, args: list[Val], env: Env) -> Val:
    """A define: helper is a scalar function applied entrywise (scalars broadcast)."""
    params, body = env.defines[name]
    if len(params) != len(args):
        raise Unsupported(f"{name} takes {len(params)} arguments")
    shapes = {a.shape for a in args if a.shape is not None}
    if len(shapes) > 1:
        raise ShapeError(f"{name} applied to arrays of shapes {sorted(map(str, shapes))}")

    def scalar_call(values: list[Any]) -> Any:
        inner = Env({}, {}, frozenset(), env.defines)
        for param, value in zip(params, values, strict=True):
            inner.values[param] = Val(None, value)
        result = _node(body, inner)
        if result.shape is not None:
            raise Unsupported(f"{name}'s body must be scalar")
        return result.value

    if not shapes:
        return Val(None, scalar_call([a.value for a in args]))
    shape = shapes.pop()
    ref = next(a for a in args if a.shape is not None).value
    rows, cols = ref.shape

    def entry(i: int, j: int) -> Any:
        return scalar_call([a.value if a.shape is None else a.value[i, j] for a in args])

    return Val(shape, sp.Matrix(rows, cols, entry))


def parse_defines(raw: Mapping[str, str] | None) -> dict[str, tuple[list[str], ast.expr]]:
    out: dict[str, tuple[list[str], ast.expr]] = {}
    for head, body in (raw or {}).items():
        call = ast.parse(head, mode="eval").body
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)):
            raise Unsupported(f"define head {head!r}")
        params = [a.id for a in call.args if isinstance(a, ast.Name)]
        out[call.func.id] = (params, ast.parse(str(body), mode="eval").body)
    return out


# --- the claim and its verdict ------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    ident: str
    shapes: dict[str, tuple[Dim, Dim]]
    function: str
    variable: str
    derivative: str
    assume: tuple[str, ...]
    defines: dict[str, tuple[list[str], ast.expr]]
    expect: str


@dataclass(frozen=True)
class Verdict:
    status: str  # proved | refuted | shape-error | unknown | unsupported
    detail: str
    seconds: float


def true_derivative(f: Val, var: Val) -> Val:
    """The layout of issue 16: gradient in the variable's shape, or the Jacobian [m, n]."""
    if var.shape is None:
        if f.shape is None:
            return Val(None, sp.diff(f.value, var.value))
        return Val(f.shape, f.value.applyfunc(lambda e: sp.diff(e, var.value)))
    if f.shape is None:
        return Val(var.shape, var.value.applyfunc(lambda v: sp.diff(f.value, v)))
    if f.shape[1] == 1 and var.shape[1] == 1:
        fv, xv = f.value, var.value
        jac = sp.Matrix(fv.rows, xv.rows, lambda i, j: sp.diff(fv[i, 0], xv[j, 0]))
        return Val((f.shape[0], var.shape[0]), jac)
    raise Unsupported(f"derivative of {f.show()} by {var.show()} has no 2-D layout")


def dims_of(shapes: Mapping[str, tuple[Dim, Dim]]) -> list[str]:
    return sorted({d for s in shapes.values() for d in s if isinstance(d, str)})


def assignments(dims: Sequence[str]) -> Iterator[dict[str, int]]:
    for combo in itertools.product(SIZES, repeat=len(dims)):
        yield dict(zip(dims, combo, strict=True))


def positive_names(assume: Sequence[str]) -> frozenset[str]:
    """`x > 0` on a bare name: every entry of x is positive (declared to sympy too)."""
    out = set()
    for text in assume:
        node = ast.parse(text, mode="eval").body
        if (
            isinstance(node, ast.Compare)
            and isinstance(node.left, ast.Name)
            and len(node.ops) == 1
            and isinstance(node.ops[0], ast.Gt)
            and isinstance(node.comparators[0], ast.Constant)
            and node.comparators[0].value == 0
        ):
            out.add(node.left.id)
    return frozenset(out)


def equality_substitution(assume: Sequence[str], env: Env) -> dict[Any, Any]:
    """`lhs == rhs`: solved for the last entry of the first array it mentions."""
    subs: dict[Any, Any] = {}
    for text in assume:
        node = ast.parse(text, mode="eval").body
        if not (isinstance(node, ast.Compare) and isinstance(node.ops[0], ast.Eq)):
            continue
        lhs = _node(node.left, env)
        rhs = _node(node.comparators[0], env)
        if lhs.shape is not None or rhs.shape is not None:
            raise Unsupported(f"equality {text!r} must compare scalars")
        names = [n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in env.shapes]
        target = env.lookup(names[0]).value[-1] if names else None
        if target is None:
            raise Unsupported(f"equality {text!r} names no array")
        (solution,) = sp.solve(sp.Eq(lhs.value, rhs.value), target)
        subs[target] = solution
    return subs


def conditions(assume: Sequence[str], env: Env) -> list[Callable[[dict[Any, Any]], bool]]:
    """Inequalities, checked at a sample point (entrywise for arrays)."""
    checks: list[Callable[[dict[Any, Any]], bool]] = []
    cmp: dict[type, Callable[[Any, Any], bool]] = {
        ast.Gt: lambda a, b: a > b,
        ast.GtE: lambda a, b: a >= b,
        ast.Lt: lambda a, b: a < b,
        ast.LtE: lambda a, b: a <= b,
        ast.NotEq: lambda a, b: abs(a - b) > 1e-12,
    }
    for text in assume:
        node = ast.parse(text, mode="eval").body
        if not isinstance(node, ast.Compare):
            raise Unsupported(f"assumption {text!r}")
        terms = [_node(node.left, env)] + [_node(c, env) for c in node.comparators]
        for op, a, b in zip(node.ops, terms, terms[1:], strict=False):
            if isinstance(op, ast.Eq):
                continue
            fn = cmp[type(op)]
            checks.append(_condition(fn, a, b))
    return checks


def _condition(fn: Callable[[Any, Any], bool], a: Val, b: Val) -> Callable[[dict[Any, Any]], bool]:
    def entries(v: Val) -> list[Any]:
        return [v.value] if v.shape is None else list(v.value)

    def check(point: dict[Any, Any]) -> bool:
        left = [sp.N(e.xreplace(point), 30) for e in entries(a)]
        right = [sp.N(e.xreplace(point), 30) for e in entries(b)]
        if len(right) == 1:
            right = right * len(left)
        if len(left) == 1:
            left = left * len(right)
        return all(x.is_real and y.is_real and fn(x, y) for x, y in zip(left, right, strict=True))

    return check


def check_at(claim: Claim, sizes: dict[str, int], rng: random.Random) -> tuple[str, str]:
    """Verdict at one size assignment: proved, refuted (with the entry), or unknown."""
    env = Env(claim.shapes, sizes, positive_names(claim.assume), claim.defines)
    f = translate(claim.function, env)
    var = env.lookup(claim.variable)
    want = true_derivative(f, var)
    got = translate(claim.derivative, env)
    if got.shape != want.shape:
        raise ShapeError(f"claimed derivative is {got.show()}, the layout needs {want.show()}")
    subs = equality_substitution(claim.assume, env)
    checks = conditions(claim.assume, env)
    diffs = _entries(want, got, subs)
    free = sorted(_symbols(env), key=str)  # every entry, so the assumptions can be evaluated
    where = ", ".join(f"{k}={v}" for k, v in sizes.items()) or "scalars"
    numeric = Numeric(free, want, got, subs)
    points = [[point[s] for s in free] for point in _samples(free, env.positive, checks, rng)]
    for values in points:
        entry = numeric.differing_entry(values)
        if entry is not None:
            return "refuted", f"{where}: entry [{entry[0] + 1},{entry[1] + 1}] differs"
    nonzero_domain = any("!=" in a or a.replace(" ", "").startswith("norm(") for a in claim.assume)
    if all(_is_zero(d, nonzero_domain) for d in diffs.values()):
        return "proved", where
    for values in points:  # not proved: look for a difference far below 40 digits' tolerance
        entry = numeric.differing_entry(values, dps=400)
        if entry is not None:
            return "refuted", f"{where}: entry [{entry[0] + 1},{entry[1] + 1}] differs (tiny)"
    return "unknown", f"{where}: equal at samples, not shown symbolically"


def _symbols(env: Env) -> set[Any]:
    out: set[Any] = set()
    for val in env.values.values():
        out |= val.value.free_symbols
    return out


def _entries(want: Val, got: Val, subs: dict[Any, Any]) -> dict[tuple[int, int], Any]:
    if want.shape is None:
        return {(0, 0): (want.value - got.value).xreplace(subs)}
    rows, cols = want.value.shape
    return {
        (i, j): (want.value[i, j] - got.value[i, j]).xreplace(subs)
        for i in range(rows)
        for j in range(cols)
    }


def _samples(
    free: list[Any],
    positive: frozenset[str],
    checks: list[Callable[[dict[Any, Any]], bool]],
    rng: random.Random,
) -> Iterator[dict[Any, Any]]:
    found = 0
    for _ in range(TRIES):
        point = {s: _draw(s, rng) for s in free}
        if all(check(point) for check in checks):
            found += 1
            yield point
            if found == SAMPLES:
                return
    raise Unsupported("no sample point satisfies the assumptions")


def _draw(sym: Any, rng: random.Random) -> Any:
    value = sp.Rational(rng.randint(1, 40), rng.randint(7, 13))
    if sym.is_positive:
        return value
    return value if rng.random() < 0.5 else -value


class Numeric:
    """Both sides of every entry compiled once to mpmath; compared at two precisions, with a
    tolerance relative to the entries' size, so rounding cannot fake a counterexample."""

    def __init__(self, free: list[Any], want: Val, got: Val, subs: dict[Any, Any]) -> None:
        if want.shape is None:
            self.cells = [(0, 0)]
            sides = [[want.value.xreplace(subs), got.value.xreplace(subs)]]
        else:
            rows, cols = want.value.shape
            self.cells = [(i, j) for i in range(rows) for j in range(cols)]
            sides = [
                [want.value[i, j].xreplace(subs), got.value[i, j].xreplace(subs)]
                for i, j in self.cells
            ]
        self.fn = sp.lambdify(free, sides, modules="mpmath")

    def differing_entry(self, values: list[Any], dps: int = 40) -> tuple[int, int] | None:
        """An entry that differs at dps digits and again at 1.5 dps, else None."""
        coarse = self._differing(values, dps)
        if coarse is None or coarse != self._differing(values, dps * 3 // 2):
            return None
        return self.cells[coarse]

    def _differing(self, values: list[Any], dps: int) -> int | None:
        with mpmath.workdps(dps):
            args = [mpmath.mpf(v.p) / v.q for v in values]
            try:
                sides = self.fn(*args)
            except (ZeroDivisionError, ValueError):
                return None  # outside the domain: cannot refute here
            for k, (w, g) in enumerate(sides):
                scale = max(mpmath.mpf(1), abs(w), abs(g))
                if abs(w - g) > mpmath.mpf(10) ** (20 - dps) * scale:
                    return k
        return None


def _is_zero(d: Any, nonzero_domain: bool) -> bool:
    """Exact zero by cheap steps first. sign(a) = a/|a| is used only where the rule assumes a
    nonzero norm or value (a derivative of |a| exists only there anyway)."""
    if nonzero_domain:
        d = d.replace(sp.sign, lambda a: a / sp.Abs(a))
    if d.is_rational_function():  # polynomials over polynomials (det, inv): one exact cancel
        return bool(sp.cancel(d) == 0)
    for step in (
        sp.expand,
        lambda e: sp.cancel(sp.together(e)),
        lambda e: sp.cancel(sp.expand(e.rewrite(sp.exp), power_exp=True)),
        lambda e: sp.simplify(e.rewrite(sp.exp)),
    ):
        if step(d) == 0:
            return True
    return False


def verify(claim: Claim, seed: int = 16) -> Verdict:
    """Refuted at any size beats everything; proved needs every assignment proved."""
    start = time.perf_counter()
    rng = random.Random(seed)  # noqa: S311 - reproducible sample points, not a secret
    verdicts: list[tuple[str, str]] = []
    try:
        for sizes in assignments(dims_of(claim.shapes)):
            status, detail = check_at(claim, sizes, rng)
            if status == "refuted":
                return Verdict(status, detail, time.perf_counter() - start)
            verdicts.append((status, detail))
    except ShapeError as err:
        return Verdict("shape-error", str(err), time.perf_counter() - start)
    except Unsupported as err:
        return Verdict("unsupported", str(err), time.perf_counter() - start)
    unknown = [d for s, d in verdicts if s != "proved"]
    seconds = time.perf_counter() - start
    if unknown:
        return Verdict("unknown", unknown[0], seconds)
    return Verdict("proved", f"{len(verdicts)} size assignments", seconds)


# --- files ---------------------------------------------------------------------------------------


def load(path: Path) -> list[Claim]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    top_defines = data.get("define")
    entries = data.get("rules") or data.get("claims") or []
    claims = []
    for item in entries:
        defines = parse_defines({**(top_defines or {}), **(item.get("define") or {})})
        assume = item.get("assume") or []
        claims.append(
            Claim(
                ident=item["id"],
                shapes={k: parse_shape(v) for k, v in (item.get("shapes") or {}).items()},
                function=str(item["function"]),
                variable=str(item.get("variable", "x")),
                derivative=str(item["derivative"]),
                assume=tuple([assume] if isinstance(assume, str) else assume),
                defines=defines,
                expect=str(item.get("expect", "proved")),
            )
        )
    return claims


def run(path: Path) -> int:
    claims = load(path)
    print(f"\n{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {len(claims)}")
    print(f"{'id':44} {'expect':12} {'got':12} {'s':>6}  detail")
    failures, total = 0, 0.0
    for claim in claims:
        verdict = verify(claim)
        total += verdict.seconds
        ok = verdict.status == claim.expect
        failures += not ok
        mark = "" if ok else "  <-- MISMATCH"
        print(
            f"{claim.ident:44} {claim.expect:12} {verdict.status:12} "
            f"{verdict.seconds:6.2f}  {verdict.detail}{mark}"
        )
    counts: dict[str, int] = {}
    for claim in claims:
        counts[claim.expect] = counts.get(claim.expect, 0) + 1
    print(f"expected: {counts}; mismatches: {failures}; total {total:.1f} s")
    return failures


def per_size(path: Path) -> None:
    """One letter per size assignment (p proved, r refuted, u unknown), in itertools order."""
    for claim in load(path):
        letters = []
        for sizes in assignments(dims_of(claim.shapes)):
            try:
                letters.append(check_at(claim, sizes, random.Random(16))[0][0])  # noqa: S311
            except (ShapeError, Unsupported):
                letters.append("s")
        print(f"{claim.ident:48} {claim.expect:12} {''.join(letters)}")


def main(argv: Sequence[str]) -> int:
    if argv[:1] == ["--per-size"]:
        for path in [Path(a) for a in argv[1:]] or list(DEFAULT_FILES):
            per_size(path)
        return 0
    files = [Path(a) for a in argv] or list(DEFAULT_FILES)
    start = time.perf_counter()
    failures = sum(run(p) for p in files)
    print(f"\nall files: {failures} mismatches, wall {time.perf_counter() - start:.1f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
