"""Formulas pre-rendered as SVG images, for clients and previews without MathJax (``--math svg``).

MathJax stays the default. With this option every ``\\( … \\)`` and ``\\[ … \\]`` of a card
becomes an ``<img>`` of an SVG file in the deck's media, with the LaTeX source as its ``alt``.

The renderer is ziamath (pure Python: LaTeX → MathML by latex2mathml, then typeset with the STIX
Two Math font it ships, glyphs drawn as paths; no TeX, no fonts needed on the reader's side).
Measured on every formula of the bundled catalogue: ziamath renders all of them, ``cases``
included, where matplotlib's mathtext fails on ``cases`` and ``\\displaystyle``.

Nothing is left as raw LaTeX silently: a command latex2mathml does not know comes out as the text
``\\foo`` in the MathML, and such a formula (or any other failure) raises
:class:`MathRenderError` instead.

The images are black on transparent; the card's CSS inverts them in night mode. Their bytes are
deterministic (no date, no random ids), and named by their hash.
"""

from __future__ import annotations

import hashlib
import html
import re
import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import ankigen
from ankigen.cache import Cache, default_cache
from ankigen.errors import EXIT_CATALOGUE, AnkigenError
from ankigen.model import MediaFile

SIZE = 20.0  # px per em in the SVG's own units; the card scales the image in em anyway
PRECISION = 3  # decimals of the SVG's coordinates
_SPAN = re.compile(r"\\\((?P<inline>.*?)\\\)|\\\[(?P<display>.*?)\\\]", re.DOTALL)


class MathRenderError(AnkigenError):
    """A formula that cannot be rendered as an image (never left as raw LaTeX)."""

    exit_code = EXIT_CATALOGUE

    def __init__(self, latex: str, reason: str) -> None:
        super().__init__(f"cannot render the formula {latex!r} as an image: {reason}")
        self.latex = latex
        self.reason = reason


@dataclass(frozen=True)
class RenderedMath:
    """One formula's SVG and its size in em: width, height, and depth below the baseline."""

    media: MediaFile
    width: float
    height: float
    depth: float


def render_svg(
    latex: str, display: bool = True, *, cache: Cache | Literal["default"] | None = "default"
) -> MediaFile:
    """The SVG image of one formula (display style unless ``display`` is false)."""
    return render(latex, display, cache=cache).media


def render(
    latex: str, display: bool = True, *, cache: Cache | Literal["default"] | None = "default"
) -> RenderedMath:
    """The SVG image of one formula and its size, from the cache when it was rendered before."""
    store = default_cache() if cache == "default" else cache
    key = _key(latex, display)
    if store is not None:
        stored = store.get(key)
        if stored is not None and (found := _unpack(stored)) is not None:
            return found
    rendered = _render(latex, display)
    if store is not None:
        store.put(key, _pack(rendered))
    return rendered


def math_html(
    latex: str, display: bool, *, cache: Cache | Literal["default"] | None = "default"
) -> tuple[str, MediaFile]:
    """``<img class="math …">`` of one formula, sized in em to sit in the text, and its file."""
    rendered = render(latex, display, cache=cache)
    alt = html.escape(latex, quote=True)
    kind = "math-display" if display else "math-inline"
    style = f"width:{_em(rendered.width)}"
    if not display:
        style += f";vertical-align:-{_em(rendered.depth)}"
    tag = f'<img class="math {kind}" src="{rendered.media.name}" alt="{alt}" style="{style}">'
    return tag, rendered.media


def svg_field(
    field: str, *, cache: Cache | Literal["default"] | None = "default"
) -> tuple[str, tuple[MediaFile, ...]]:
    """A rendered field (HTML with MathJax ``\\( … \\)`` and ``\\[ … \\]`` spans, their LaTeX
    HTML-escaped) with every span replaced by its image, and the images' files."""
    media: dict[str, MediaFile] = {}

    def replace(match: re.Match[str]) -> str:
        display = match.group("display") is not None
        latex = html.unescape(match.group("display") if display else match.group("inline"))
        tag, file = math_html(latex, display, cache=cache)
        media[file.name] = file
        return tag

    return _SPAN.sub(replace, field), tuple(media.values())


# --- rendering ------------------------------------------------------------------------------


def _load_ziamath() -> None:
    """Import ziamath, which loads its font at import with a deprecated importlib call."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import ziamath  # noqa: F401


def _render(latex: str, display: bool) -> RenderedMath:
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


def _key(latex: str, display: bool) -> str:
    _load_ziamath()
    import latex2mathml
    import ziafont
    import ziamath

    digest = hashlib.sha256()
    parts: list[str | bytes] = [
        "ankigen-math",
        ankigen.__version__,
        str(ziamath.__version__),
        str(getattr(ziafont, "__version__", "")),
        str(getattr(latex2mathml, "__version__", _distribution_version("latex2mathml"))),
        Path(__file__).read_bytes(),
        "display" if display else "inline",
        latex,
    ]
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def _distribution_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return ""


def _pack(rendered: RenderedMath) -> bytes:
    size = f"{rendered.width!r} {rendered.height!r} {rendered.depth!r}\n".encode()
    return size + rendered.media.data


def _unpack(stored: bytes) -> RenderedMath | None:
    line, _, data = stored.partition(b"\n")
    try:
        width, height, depth = (float(v) for v in line.decode().split(" "))
    except ValueError:
        return None
    name = f"ankigen-math-{hashlib.sha256(data).hexdigest()[:16]}.svg"
    return RenderedMath(MediaFile(name, data), width, height, depth)
