"""How names and numbers are written in LaTeX: Greek letters, subscripts, hats, long names as
text, and numbers as the author wrote them (for :mod:`ankigen.expr.latex`)."""

from __future__ import annotations

GREEK_LETTERS = """
    alpha beta gamma delta epsilon zeta eta theta iota kappa mu nu xi rho sigma tau upsilon phi
    chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega
"""
GREEK = {letter: "\\" + letter for letter in GREEK_LETTERS.split()}
GREEK["lam"] = GREEK["lmbda"] = "\\lambda"

# Functions printed as operator names, and the matrix functions (of a rule with shapes:).
NAMED_FUNCTIONS = {
    "sin": "\\sin",
    "cos": "\\cos",
    "tan": "\\tan",
    "atan": "\\arctan",
    "sinh": "\\sinh",
    "cosh": "\\cosh",
    "tanh": "\\tanh",
    "erf": "\\operatorname{erf}",
    "sign": "\\operatorname{sign}",
    "Heaviside": "\\operatorname{H}",
    "Max": "\\max",
    "Min": "\\min",
    "ln": "\\ln",
    "log": "\\ln",
}
MATRIX_FUNCTIONS = {"trace": "\\operatorname{tr}", "det": "\\det", "diag": "\\operatorname{diag}"}


def name(identifier: str) -> str:
    """The LaTeX of a variable or function name: Greek letters, subscripts, hats, \\text."""
    base, _, subscript = identifier.partition("_")
    if not subscript and len(base) > 1 and base[0].isalpha() and base[1:].isdigit():
        base, subscript = base[0], base[1:]  # x1 is x_{1}
    if base in GREEK:
        shown = GREEK[base]
    elif len(base) == 1:
        shown = base
    elif base.endswith("hat") and len(base) == 4:
        shown = f"\\hat{{{base[0]}}}"
    else:
        shown = f"\\text{{{base}}}"
    if subscript:
        sub = subscript if len(subscript) == 1 or subscript.isdigit() else f"\\text{{{subscript}}}"
        shown += f"_{{{GREEK.get(subscript, sub)}}}"
    return shown


def number(text: str) -> str:
    """A number as written, with a leading zero (.5 -> 0.5) and 1e-3 as 1 \\cdot 10^{-3}."""
    mantissa, _, exponent = text.lower().partition("e")
    if mantissa.startswith("."):
        mantissa = "0" + mantissa
    mantissa = mantissa.rstrip(".") if mantissa.endswith(".") else mantissa
    return f"{mantissa} \\cdot 10^{{{int(exponent)}}}" if exponent else mantissa


def bold(shown: str) -> str:
    """A name as :func:`name` writes it, in bold: upright for Latin letters (``\\mathbf``),
    italic for Greek (``\\boldsymbol``); a hat stays over the bold letter, a subscript as it
    is."""
    base, underscore, subscript = shown.partition("_{")
    hat = base.startswith("\\hat{")
    shown_base = _bold(base[5:-1]) if hat else _bold(base)
    return (f"\\hat{{{shown_base}}}" if hat else shown_base) + underscore + subscript


def _bold(base: str) -> str:
    """A letter bold: upright for Latin (``\\mathbf``), italic for Greek (``\\boldsymbol``)."""
    if base.startswith("\\text{"):
        return "\\mathbf{" + base[len("\\text{") :]
    return f"\\boldsymbol{{{base}}}" if base.startswith("\\") else f"\\mathbf{{{base}}}"
