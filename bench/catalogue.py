"""Synthetic catalogues for the benchmark: realistic variety, fixed seed, always correct.

Each rule comes from a template family found in real ML catalogues, with random coefficients,
and its derivative written by hand as an author would (not sympy's output), so the verifier
does real work on every rule.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

RULES_PER_FILE = 50

Template = Callable[[random.Random], tuple[str, str, str, list[str]]]


def _polynomial(rng: random.Random) -> tuple[str, str, str, list[str]]:
    a, b, n, m = rng.randint(2, 9), rng.randint(1, 9), rng.randint(2, 7), rng.randint(1, 4)
    return f"{a}*x**{n} + {b}*x**{m}", f"{a * n}*x**{n - 1} + {b * m}*x**{m - 1}", "x", []


def _exp_log(rng: random.Random) -> tuple[str, str, str, list[str]]:
    a, b = rng.randint(1, 5), rng.randint(2, 6)
    return (
        f"exp({a}*x)*log({b}*x)",
        f"{a}*exp({a}*x)*log({b}*x) + exp({a}*x)/x",
        "x",
        ["x > 0"],
    )


def _activation(rng: random.Random) -> tuple[str, str, str, list[str]]:
    slope, cut = rng.choice(["0.01", "0.1", "0.2", "0.05"]), rng.randint(-2, 2)
    return (
        f"Piecewise((x, x > {cut}), ({slope}*x + {cut}*(1 - {slope}), True))",
        f"Piecewise((1, x > {cut}), ({slope}, x < {cut}))",
        "x",
        [],
    )


def _smooth_activation(rng: random.Random) -> tuple[str, str, str, list[str]]:
    beta = rng.randint(1, 4)
    return (
        f"x/(1 + exp(-{beta}*x))",
        f"1/(1 + exp(-{beta}*x)) + {beta}*x*exp(-{beta}*x)/(1 + exp(-{beta}*x))**2",
        "x",
        [],
    )


def _loss(rng: random.Random) -> tuple[str, str, str, list[str]]:
    variable = rng.choice(["w", "b"])
    inner = "w*x + b - y"
    factor = "x" if variable == "w" else "1"
    scale = rng.randint(1, 4)
    return f"{scale}*({inner})**2", f"{2 * scale}*({inner})*{factor}", variable, []


def _general(rng: random.Random) -> tuple[str, str, str, list[str]]:
    c = rng.randint(2, 9)
    return rng.choice(
        [
            (f"{c}*g(x) + h(x)", f"{c}*g'(x) + h'(x)", "x", []),
            ("g(x)*h(x)", "g'(x)*h(x) + g(x)*h'(x)", "x", []),
            (f"g({c}*x)", f"{c}*g'({c}*x)", "x", []),
            ("f(g(x))", "f'(g(x))*g'(x)", "x", []),
        ]
    )


FAMILIES: dict[str, Template] = {
    "Polynomials": _polynomial,
    "Exponentials and logarithms": _exp_log,
    "Piecewise activations": _activation,
    "Smooth activations": _smooth_activation,
    "Losses": _loss,
    "General rules": _general,
}


def write_catalogue(folder: Path, size: int, seed: int = 20261126) -> Path:
    """Write ``size`` rules as YAML files into ``folder`` (created) and return it."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    folder.mkdir(parents=True, exist_ok=True)
    names = list(FAMILIES)
    for start in range(0, size, RULES_PER_FILE):
        lines: list[str] = []
        for number in range(start, min(size, start + RULES_PER_FILE)):
            family = names[number % len(names)]
            function, derivative, variable, assume = FAMILIES[family](rng)
            lines += [
                f"  - id: rule-{number:05d}",
                f"    name: {family} {number}",
                f'    function: "{function}"',
                f'    derivative: "{derivative}"',
                f"    variable: {variable}",
                f"    context: A synthetic {family.lower()} rule for the benchmark.",
                f"    tags: [{family.split()[0].lower()}]",
            ]
            if assume:
                lines.append(f"    assume: {assume}")
        deck = f"Bench::Part {start // RULES_PER_FILE:03d}"
        text = f'deck: "{deck}"\nrules:\n' + "\n".join(lines) + "\n"
        (folder / f"part-{start // RULES_PER_FILE:03d}.yaml").write_text(text, encoding="utf-8")
    return folder
