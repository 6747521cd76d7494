"""How wide a formula will be, estimated from its LaTeX, in em of the math font.

Card formulas must fit a phone (see :mod:`ankigen.expr.latex`'s line breaking), but MathJax only
lays them out on the learner's device. This estimate decides where to break a formula before
that: it reads the LaTeX our own printer writes (commands, groups, scripts, fractions, ``cases``
and ``aligned``) and adds up widths close to MathJax's TeX fonts, erring on the wide side. It is
an estimate, not a layout: ``tests/test_fit.py`` measures the real thing in a browser with
Anki's own MathJax, and the budgets in :mod:`ankigen.expr.latex` leave room for the difference.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

_TOKEN = re.compile(r"\\[A-Za-z]+\s?|\\.|[{}&^_]|\s+|[^\\{}&^_\s]")
_SCRIPT = 0.71  # MathJax's size for a script (superscript, subscript, inline fraction part)
_BINARY = 0.78 + 2 * 0.22  # + − · with their medium spaces
_RELATION = 0.78 + 2 * 0.28  # = < ≤ with their thick spaces
_WIDTHS = {
    "\\cdot": 0.28 + 2 * 0.22,
    "\\leq": _RELATION,
    "\\geq": _RELATION,
    "\\neq": _RELATION,
    "\\,": 0.17,
    "\\ ": 0.25,
    "\\;": 0.28,
    "\\quad": 1.0,
    "\\qquad": 2.0,
    "\\displaystyle": 0.0,
    "\\infty": 1.0,
    # vectors and matrices: ⊤ as a script, ⊙ ⊘ × as operations, ∈ as a relation
    "\\top": 0.78,
    "\\odot": _BINARY,
    "\\oslash": _BINARY,
    "\\times": _BINARY,
    "\\in": 0.67 + 2 * 0.28,
    "\\lVert": 0.5,
    "\\rVert": 0.5,
    "\\|": 0.5,
    "\\nabla": 0.83,
    "\\partial": 0.57,
    "\\sum": 1.44,  # a display-size Σ (the text-size one of sum() is narrower: erring wide)
    "\\textstyle": 0.0,
}
_OPERATORS = {"+": _BINARY, "-": _BINARY, "=": _RELATION, "<": _RELATION, ">": _RELATION}
_OPENING = {"{", "(", "[", ",", "&", "\\\\", "=", "<", ">", "\\leq", "\\geq", "\\left", "\\quad"}
_ACCENTS = {"\\hat", "\\bar", "\\tilde", "\\vec", "\\dot"}
# The widest and narrowest letters of MathJax's bold upright font, in em (others: 0.87 a
# capital, 0.6 a small letter or digit), rounded up.
_BOLD = {"W": 1.19, "M": 1.1, "I": 0.44, "J": 0.6, "S": 0.64, "m": 0.96, "w": 0.84, "i": 0.32,
         "l": 0.32, "f": 0.36, "j": 0.36, "t": 0.45, "r": 0.48, "s": 0.46}  # fmt: skip
_FONTS = {"\\mathbf": 1.1, "\\boldsymbol": 1.1, "\\mathbb": 1.2}  # bold letters run wider
_CELL_ENDS = frozenset({"&", "\\\\", "\\end"})
_SIZES = {"\\small": 0.85, "\\footnotesize": 0.8, "\\scriptsize": 0.7}
_NAMED = re.compile(r"\\(sin|cos|tan|arctan|sinh|cosh|tanh|ln|log|max|min|exp|det)$")


def width(tex: str) -> float:
    """The estimated width of ``tex`` set in display style, in em."""
    return _Reader(tex).row(1.0)


class _Reader:
    """Reads one LaTeX string left to right, measuring as it goes."""

    def __init__(self, tex: str) -> None:
        self.pieces = [t.strip() or " " for t in _TOKEN.findall(tex)]
        self.at = 0

    def _next(self) -> str | None:
        if self.at >= len(self.pieces):
            return None
        piece = self.pieces[self.at]
        self.at += 1
        return piece

    def row(self, scale: float, stop: frozenset[str] = frozenset({"}"})) -> float:
        """The width of pieces up to (and eating) a closing piece of ``stop`` or the end."""
        return self._cell(scale, stop)[0]

    def _cell(self, scale: float, stop: frozenset[str]) -> tuple[float, str | None]:
        """The width of pieces up to a piece of ``stop`` (eaten), and that piece (None at the
        end)."""
        total = 0.0
        previous = "{"
        while (piece := self._next()) is not None and piece not in stop:
            if piece in _SIZES:
                scale *= _SIZES[piece]  # a size command sets the rest of its group
            elif piece in ("+", "-") and previous in _OPENING:
                total += 0.78 * scale  # a sign, not an operation: no space around it
            else:
                total += self._item(piece, scale)
            if piece != " ":
                previous = "}" if piece == "{" else piece  # after {…}, + is an operation
        return total, piece

    def group(self, scale: float) -> float:
        """The width of the next argument: a ``{…}`` group or a single piece."""
        piece = self._next()
        if piece is None:
            return 0.0
        if piece == " ":
            return self.group(scale)
        return self.row(scale) if piece == "{" else self._item(piece, scale)

    def _text(self) -> int:
        """Skip a ``{…}`` of plain text and count its characters."""
        return len(self._plain())

    def _plain(self) -> str:
        """Skip a ``{…}`` of plain text and return it."""
        text, depth = "", 0
        while (piece := self._next()) is not None:
            if piece == "{":
                depth += 1
            elif piece == "}":
                depth -= 1
                if depth <= 0:
                    break
            else:
                text += piece
        return text

    def _item(self, piece: str, scale: float) -> float:
        """The width of one piece, and of the groups it takes as arguments."""
        read = _STRUCTURES.get(piece)
        return read(self, piece, scale) if read is not None else _symbol(piece, scale)

    def _script(self, piece: str, scale: float) -> float:  # ^ and _ alike
        return self.group(scale * _SCRIPT)

    def _fraction(self, piece: str, scale: float) -> float:
        inner = scale if scale >= 1.0 else scale * _SCRIPT
        return max(self.group(inner), self.group(inner)) + 0.45 * scale  # bar overhang

    def _accent(self, piece: str, scale: float) -> float:
        return self.group(scale)  # the accent sits over its letter

    def _font(self, piece: str, scale: float) -> float:
        if piece != "\\mathbf":
            return _FONTS[piece] * self.group(scale)
        # bold upright letters, each its own width (a bold W is twice an x)
        return sum(_BOLD.get(c, 0.87 if c.isupper() else 0.6) for c in self._plain()) * scale

    def _root(self, piece: str, scale: float) -> float:
        return 0.85 * scale + self.group(scale)

    def _words(self, piece: str, scale: float) -> float:
        return (0.45 * self._text() + (0.17 if piece == "\\operatorname" else 0)) * scale

    def _begin(self, piece: str, scale: float) -> float:
        return self._environment(scale, cases=self._plain() == "cases")

    def _end(self, piece: str, scale: float) -> float:
        self._text()
        return 0.0

    def _bracket(self, piece: str, scale: float) -> float:
        # a stretchy bracket grows wider with what it holds; "." is an empty one
        return (0.12 if self._next() == "." else 0.6) * scale

    def _open_group(self, piece: str, scale: float) -> float:
        return self.row(scale)

    def _environment(self, scale: float, cases: bool) -> float:
        """``cases`` (a brace, and a quad between its columns) or ``aligned`` (cells in pairs
        that meet at the alignment point): the widest row."""
        gap, brace = (1.0, 0.9) if cases else (0.0, 0.0)
        rows: list[float] = []
        cells: list[float] = []
        while True:
            width, end = self._cell(scale, _CELL_ENDS)
            cells.append(width)
            if end in ("\\\\", "\\end", None):
                rows.append(sum(cells) + gap * scale * (len(cells) - 1))
                cells = []
            if end in ("\\end", None):
                self._text()
                break
        return max(rows) + brace * scale


# The pieces that take arguments (or close an environment): how to read each.
_STRUCTURES: Mapping[str, Callable[[_Reader, str, float], float]] = {
    "{": _Reader._open_group,
    "^": _Reader._script,
    "_": _Reader._script,
    "\\frac": _Reader._fraction,
    **dict.fromkeys(_ACCENTS, _Reader._accent),
    **dict.fromkeys(_FONTS, _Reader._font),
    "\\sqrt": _Reader._root,
    "\\text": _Reader._words,
    "\\operatorname": _Reader._words,
    "\\begin": _Reader._begin,
    "\\end": _Reader._end,
    "\\left": _Reader._bracket,
    "\\right": _Reader._bracket,
}


def _symbol(piece: str, scale: float) -> float:
    """The width of a piece that stands alone: a symbol, a letter, a digit or a space."""
    if piece in (" ", "\\\\", "&"):
        return 0.0
    if piece in _WIDTHS:
        return _WIDTHS[piece] * scale
    if _NAMED.match(piece):
        return (0.5 * (len(piece) - 1) + 0.17) * scale
    if piece.startswith("\\"):
        return 0.6 * scale  # a Greek letter or a symbol
    if piece in _OPERATORS:
        return _OPERATORS[piece] * scale
    if piece in "()[]|":
        return 0.39 * scale
    if piece in ".,":
        return 0.28 * scale + (0.17 * scale if piece == "," else 0.0)
    return (0.5 if piece.isdigit() else 0.57) * scale
