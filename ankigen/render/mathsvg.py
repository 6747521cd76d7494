"""Formulas pre-rendered as SVG images, for clients and previews without MathJax (``--math svg``).

MathJax stays the default. With this option every ``\\( … \\)`` and ``\\[ … \\]`` of a card
becomes an ``<img>`` of an SVG file in the deck's media, with the LaTeX source as its ``alt``.

The renderer is ziamath (pure Python: LaTeX → MathML by latex2mathml, then typeset with the STIX
Two Math font it ships, glyphs drawn as paths; no TeX, no fonts needed on the reader's side).
Measured on every formula of the bundled catalogue: ziamath renders all of them, ``cases``
included, where matplotlib's mathtext fails on ``cases`` and ``\\displaystyle``.

Nothing is left as raw LaTeX silently: a command latex2mathml does not know comes out as the text
``\\foo`` in the MathML, and such a formula (or any other failure) raises
:class:`MathRenderError` instead. A build typesets each formula once, in the time-limited worker
pool (see :mod:`ankigen.render.media`), and caches it; a cached image is read as untrusted input.
Two speed-ups of ziamath's layout, checked to give the same bytes, keep its time from doubling with
each level of nesting.

The images are black on transparent; the card's CSS inverts them in night mode. Their bytes are
deterministic (no date, no random ids), and named by their hash.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import html
import re
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ankigen.errors import EXIT_CATALOGUE, AnkigenError
from ankigen.plumbing.cache import Cache, default_cache
from ankigen.plumbing.keys import content_key, environment
from ankigen.records import MediaFile

SIZE = 20.0  # px per em in the SVG's own units; the card scales the image in em anyway
PRECISION = 3  # decimals of the SVG's coordinates
MAX_EM = 1000.0  # the largest size a cached formula may claim, in em
_SPAN = re.compile(r"\\\((?P<inline>.*?)\\\)|\\\[(?P<display>.*?)\\\]", re.DOTALL)


class MathRenderError(AnkigenError):
    """A formula that cannot be rendered as an image (never left as raw LaTeX)."""

    exit_code = EXIT_CATALOGUE

    def __init__(self, latex: str, reason: str) -> None:
        super().__init__(f"cannot render the formula {latex!r} as an image: {reason}")
        self.latex = latex
        self.reason = reason


@dataclass(frozen=True)
class Formula:
    """One formula of a field: its LaTeX (HTML-unescaped) and whether it is display math."""

    latex: str
    display: bool


@dataclass(frozen=True)
class RenderedMath:
    """One formula's SVG and its size in em: width, height, and depth below the baseline."""

    media: MediaFile
    width: float
    height: float
    depth: float


def formulas(field: str) -> list[Formula]:
    """The formulas of a rendered field (HTML with MathJax ``\\( … \\)`` and ``\\[ … \\]``
    spans, their LaTeX HTML-escaped), in order."""
    return [_formula(match) for match in _SPAN.finditer(field)]


def field_with_images(
    field: str, images: Mapping[Formula, RenderedMath]
) -> tuple[str, tuple[MediaFile, ...]]:
    """The field with every formula replaced by its image from ``images`` (which must hold
    every formula of the field), and the images' files."""
    media: dict[str, MediaFile] = {}

    def replace(match: re.Match[str]) -> str:
        formula = _formula(match)
        rendered = images[formula]
        media[rendered.media.name] = rendered.media
        return image_html(formula, rendered)

    return _SPAN.sub(replace, field), tuple(media.values())


def image_html(formula: Formula, rendered: RenderedMath) -> str:
    """``<img class="math …">`` of one formula, sized in em to sit in the text."""
    alt = html.escape(formula.latex, quote=True)
    kind = "math-display" if formula.display else "math-inline"
    style = f"width:{_em(rendered.width)}"
    if not formula.display:
        style += f";vertical-align:-{_em(rendered.depth)}"
    return f'<img class="math {kind}" src="{rendered.media.name}" alt="{alt}" style="{style}">'


def render(
    latex: str, display: bool = True, *, cache: Cache | Literal["default"] | None = "default"
) -> RenderedMath:
    """The SVG image of one formula and its size, from the cache when it was rendered before,
    else typeset here, in this process and without a time limit (a build typesets in its worker
    pool instead: see :func:`ankigen.render.media.svg_math`)."""
    store = default_cache() if cache == "default" else cache
    formula = Formula(latex, display)
    if store is not None and (found := from_cache(formula, store)) is not None:
        return found
    rendered = typeset(formula)
    if store is not None:
        to_cache(formula, store, rendered)
    return rendered


def render_svg(
    latex: str, display: bool = True, *, cache: Cache | Literal["default"] | None = "default"
) -> MediaFile:
    """The SVG image of one formula (display style unless ``display`` is false)."""
    return render(latex, display, cache=cache).media


def math_html(
    latex: str, display: bool, *, cache: Cache | Literal["default"] | None = "default"
) -> tuple[str, MediaFile]:
    """:func:`image_html` of one formula, rendered by :func:`render`, and its file."""
    rendered = render(latex, display, cache=cache)
    return image_html(Formula(latex, display), rendered), rendered.media


def svg_field(
    field: str, *, cache: Cache | Literal["default"] | None = "default"
) -> tuple[str, tuple[MediaFile, ...]]:
    """:func:`field_with_images`, each formula rendered by :func:`render`."""
    images = {f: render(f.latex, f.display, cache=cache) for f in formulas(field)}
    return field_with_images(field, images)


def _formula(match: re.Match[str]) -> Formula:
    display = match.group("display") is not None
    return Formula(html.unescape(match.group("display" if display else "inline")), display)


# --- rendering ------------------------------------------------------------------------------


def warm_up() -> None:
    """Import ziamath (and its font) now, so that worker processes forked later start with it."""
    _load_ziamath()


def _load_ziamath() -> None:
    """Import ziamath, which loads its font at import with a deprecated importlib call."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import ziamath
    if ziamath.__version__ in _CHECKED_ZIAMATH:
        _lay_out_rows_once()
        _copy_styles_shallowly()
        _remember_sizes()


_CHECKED_ZIAMATH = {"0.13"}  # the ziamath versions whose internals the speed-ups fit


def _lay_out_rows_once() -> None:
    """Make ziamath's time grow with the size of a formula instead of doubling with each level
    of nesting.

    To size the stretchy operators of a row (``\\left(``), ziamath first lays out the row's
    children once more in a "no stretch" pass, which measures the row's height without those
    operators; and each row inside that pass does the same again, so a 16-deep fraction took
    minutes. That height is read by one kind of node only, an operator (``mo``), and only to
    stretch it. So it is not measured inside a "no stretch" pass (whose height leaves stretchy
    operators out anyway), nor for a row with no operator among its children and their
    children, down to the next row (which measures its own). The SVGs are byte for byte the
    same (test_mathsvg checks every bundled formula and more)."""
    from ziamath.nodes.mrow import Mrow

    measure = Mrow._get_height_nostretch
    if hasattr(measure, "__wrapped__"):
        return  # done already

    @functools.wraps(measure)
    def height(self: Mrow, line: list[ET.Element], **kwargs: Any) -> tuple[float, float]:
        if kwargs.get("nostretch") or not _may_hold_operators(line):
            return 0.0, 0.0
        return measure(self, line, **kwargs)

    Mrow._get_height_nostretch = height  # type: ignore[method-assign]


# MathML elements that ziamath draws without making an operator node of them.
_NO_OPERATOR = {"mi", "mn", "mtext", "mspace", "msub", "msup", "msubsup", "mfrac", "msqrt"}
_NO_OPERATOR |= {"mroot", "mover", "munder", "munderover"}


def _may_hold_operators(elements: list[ET.Element]) -> bool:
    """Whether ziamath may make an operator node of one of ``elements`` or of their descendants
    outside a nested row: an ``mo``, an ``mi`` it treats as one (``ln``), or anything else it
    might rewrite (``mfenced``, tables, unknown elements)."""
    from ziamath import operators
    from ziamath.nodes.nodetools import elementtext

    for element in elements:
        if element.tag == "mrow":
            continue
        if element.tag not in _NO_OPERATOR:
            return True
        if element.tag == "mi" and elementtext(element) in operators.names:
            return True
        if _may_hold_operators(list(element)):
            return True
    return False


def _copy_styles_shallowly() -> None:
    """Save a quarter of ziamath's time: each node reads its parent's style through
    ``dataclasses.asdict``, a deep copy, where a shallow one gives the same values (the one
    nested field, the variant, is read from the parent itself). Same bytes (test_mathsvg)."""
    from ziamath import styles

    def shallow(style: Any) -> dict[str, Any]:
        return {field.name: getattr(style, field.name) for field in dataclasses.fields(style)}

    styles.asdict = shallow  # type: ignore[attr-defined, assignment]


def _remember_sizes() -> None:
    """Save a tenth of ziamath's time: a node converts a size such as "0.1667em" to pixels by
    building a table of fourteen formatted names at every call, tens of thousands of times a
    build; the answer depends on the size and the font size only, so it is remembered. Same
    bytes (test_mathsvg)."""
    from ziamath.nodes.mnode import Mnode

    convert = Mnode.size_px
    if hasattr(convert, "__wrapped__"):
        return  # done already

    @functools.lru_cache(maxsize=1024)
    def in_pixels(size: str, fontsize: float) -> float:
        # given a font size, ziamath reads nothing of the node itself
        return float(convert(None, size, fontsize))  # type: ignore[arg-type]

    @functools.wraps(convert)
    def size_px(self: Mnode, size: str, fontsize: float | None = None) -> float:
        try:
            return in_pixels(size, self.glyphsize if fontsize is None else fontsize)
        except TypeError:  # a size that cannot be a key: converted as ziamath does
            return float(convert(self, size, fontsize))

    Mnode.size_px = size_px  # type: ignore[method-assign]


def typeset(formula: Formula) -> RenderedMath:
    """Render one formula with ziamath, in this process; raise :class:`MathRenderError` if it
    cannot be rendered. Unbounded: a long, deeply nested formula (150 nested ``\\left(``) still
    takes many seconds, so a build typesets catalogue formulas in its worker pool."""
    latex, display = formula.latex, formula.display
    _load_ziamath()
    from ziamath.config import config
    from ziamath.tex import tex2mml
    from ziamath.zmath import Math

    try:
        mathml = tex2mml(latex, inline=not display)
    except Exception as error:  # latex2mathml raises many kinds; all mean "cannot"
        raise MathRenderError(latex, f"{type(error).__name__}: {error}") from error
    try:
        unknown = _unknown_commands(mathml)
    except ET.ParseError as error:  # e.g. a bare & inside \text{}, passed through unescaped
        raise MathRenderError(latex, f"latex2mathml made invalid MathML ({error})") from error
    if unknown:
        raise MathRenderError(latex, "unknown LaTeX command " + ", ".join(sorted(unknown)))
    previous = config.precision, config.svg2
    config.precision, config.svg2 = PRECISION, True
    try:
        math = Math(mathml, size=SIZE)
        svg = math.svg()
        box = math.node.bbox
    except Exception as error:
        raise MathRenderError(latex, f"{type(error).__name__}: {error}") from error
    finally:
        config.precision, config.svg2 = previous
    data = _bolder_braces(svg, math.font).encode("utf-8")
    margin = math.margin
    return RenderedMath(
        media=MediaFile(f"ankigen-math-{hashlib.sha256(data).hexdigest()[:16]}.svg", data),
        width=(box.xmax - box.xmin + 2 * margin) / SIZE,
        height=(box.ymax - box.ymin + 2 * margin) / SIZE,
        depth=(margin - box.ymin) / SIZE,
    )


# STIX Two's braces narrow to a hairline where the nose meets the arms, about a third of a
# pixel at reading size: the brace of every Piecewise looked cut in two in the middle. A stroke
# around the outline of every brace glyph (and every glyph assembled from parts, which only
# stretched delimiters are) keeps that junction about a pixel wide; elsewhere it adds little.
BRACE_STROKE = 0.45  # in the SVG's units: px at SIZE px per em
_SYMBOL = re.compile(
    r'<symbol id="[^"]*?_(?P<glyph>-?\d+)"(?P<rest>[^>]*)>(?P<body>.*?)</symbol>', re.DOTALL
)


def _bolder_braces(svg: str, font: object) -> str:
    """The SVG with a stroke around the outline of each brace glyph (see above)."""
    braces: set[int] = set()
    for char in "{}":
        glyph = font.glyphindex(char)  # type: ignore[attr-defined]
        braces.add(glyph)
        braces.update(font.math.listvariants(glyph).values())  # type: ignore[attr-defined]

    def stroke(match: re.Match[str]) -> str:
        glyph = int(match.group("glyph"))
        if glyph >= 0 and glyph not in braces:
            return match.group(0)
        body = match.group("body").replace(
            "<path ",
            f'<path stroke="black" stroke-width="{BRACE_STROKE}" stroke-linejoin="round" ',
        )
        return match.group(0).replace(match.group("body"), body)

    return _SYMBOL.sub(stroke, svg)


def _unknown_commands(mathml: str) -> set[str]:
    """Backslash commands that latex2mathml passed through as text: it did not know them."""
    root = ET.fromstring(mathml)  # noqa: S314 - our own converter's output
    found: set[str] = set()
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] == "merror":
            found.add("(error)")
        for text in (element.text, element.tail):
            if text and "\\" in text:
                found.update(re.findall(r"\\[A-Za-z]+|\\.", text) or ["\\"])
    return found


def _em(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") + "em"


# --- cache ----------------------------------------------------------------------------------


def from_cache(formula: Formula, store: Cache) -> RenderedMath | None:
    """The formula's image if the cache holds one that passes :func:`_unpack`'s checks."""
    stored = store.get(_key(formula.latex, formula.display))
    return None if stored is None else _unpack(stored)


def to_cache(formula: Formula, store: Cache, rendered: RenderedMath) -> None:
    store.put(_key(formula.latex, formula.display), _pack(rendered))


def _key(latex: str, display: bool) -> str:
    """What a formula's image depends on, hashed: the versions of ankigen, ziamath, its font
    and latex2mathml, this module's source, and the formula itself."""
    installation = environment(
        "ankigen-math", ("ziamath", "ziafont", "latex2mathml"), ("render/mathsvg.py",)
    )
    return content_key([installation, "display" if display else "inline", latex])


def _pack(rendered: RenderedMath) -> bytes:
    size = f"{rendered.width!r} {rendered.height!r} {rendered.depth!r}\n".encode()
    return size + rendered.media.data


def _unpack(stored: bytes) -> RenderedMath | None:
    """A cached formula, read as untrusted input: three finite sizes of a sane range and an SVG
    made only of what ziamath draws (see :func:`_is_plain_svg`); else None."""
    line, _, data = stored.partition(b"\n")
    try:
        width, height, depth = (float(v) for v in line.decode().split(" "))
    except (ValueError, UnicodeDecodeError):
        return None
    if not all(-MAX_EM <= v <= MAX_EM for v in (width, height, depth)) or not _is_plain_svg(data):
        return None  # the comparisons are false for nan, too
    name = f"ankigen-math-{hashlib.sha256(data).hexdigest()[:16]}.svg"
    return RenderedMath(MediaFile(name, data), width, height, depth)


_SVG_ELEMENTS = {"svg", "symbol", "path", "use", "rect", "g", "defs"}
_SVG_ATTRIBUTES = {
    "width", "height", "viewBox", "id", "d", "href", "x", "y", "fill", "transform",
    "stroke", "stroke-width", "stroke-linejoin",  # the outline of a brace (see _bolder_braces)
}  # fmt: skip


def _is_plain_svg(data: bytes) -> bool:
    """Whether ``data`` is an SVG of shapes only, as ziamath draws them: no script, style, event
    handler, foreign object or link out of the image (an ``href`` only names a symbol in it)."""
    if b"<!" in data or b"<?" in data:  # no DOCTYPE, entities, CDATA or processing instructions
        return False
    try:
        root = ET.fromstring(data)  # noqa: S314 - entities refused above
    except (ET.ParseError, ValueError):
        return False
    svg = "{http://www.w3.org/2000/svg}"
    for element in root.iter():
        if not isinstance(element.tag, str) or element.tag.removeprefix(svg) not in _SVG_ELEMENTS:
            return False
        for name, value in element.attrib.items():
            if name not in _SVG_ATTRIBUTES or (name == "href" and not value.startswith("#")):
                return False
        if (element.text or "").strip() or (element.tail or "").strip():
            return False
    return root.tag == svg + "svg"
