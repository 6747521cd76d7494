"""What the rest of ankigen needs to know about plots without drawing one: whether a rule gets a
plot, its cache key, the cached images, and the HTML of the Plot field.

Kept apart from :mod:`ankigen.plots` so that a build whose plots are all cached never imports
numpy, sympy or matplotlib.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass

from ankigen.cache import Cache
from ankigen.expressions import is_abstract
from ankigen.keys import content_key, environment
from ankigen.model import MediaFile, Rule
from ankigen.resources import asset_text

STYLE_ASSET = "plot.mplstyle"


@dataclass(frozen=True)
class PlotImages:
    """A rule's plot as two PNG media files: the light card's and night mode's."""

    light: MediaFile
    dark: MediaFile


def wants_plot(rule: Rule) -> bool:
    """Whether the rule gets a plot: not turned off, and concrete (no abstract g(x))."""
    return rule.plot.enabled and not is_abstract(rule.function) and not is_abstract(rule.derivative)


def cache_key(rule: Rule) -> str:
    """What a rule's plot depends on, hashed: the versions of ankigen and the libraries, the
    style file, the code that plots, translates and typesets, and the rule's math and settings
    (``repr`` of frozen dataclasses: deterministic, and free of file names and lines)."""
    installation = environment(
        "ankigen-plot",
        ("matplotlib", "numpy", "sympy"),
        ("plots.py", "plot_data.py", "symbolic.py", "latex.py"),
    )
    return content_key(
        [
            installation,
            asset_text(STYLE_ASSET),
            repr(rule.function),
            repr(rule.derivative),
            repr(rule.variable),
            repr(rule.assumptions),
            repr(rule.used_definitions),
            repr(rule.plot),
        ]
    )


def from_cache(rule: Rule, store: Cache) -> PlotImages | None:
    """The rule's plot if the cache holds it (None on a miss)."""
    key = cache_key(rule)
    light, dark = store.get(key + "-light"), store.get(key + "-dark")
    return images(light, dark) if light is not None and dark is not None else None


def to_cache(rule: Rule, store: Cache, light: bytes, dark: bytes) -> None:
    key = cache_key(rule)
    store.put(key + "-light", light)
    store.put(key + "-dark", dark)


def images(light: bytes, dark: bytes) -> PlotImages:
    """The two PNGs as media files named by a hash of their bytes."""
    return PlotImages(_media(light), _media(dark))


def plot_html(images: PlotImages, alt: str) -> str:
    """The Plot field: both variants, of which the card's CSS shows the one for its mode."""
    text = html.escape(alt, quote=True)
    return (
        f'<img class="ankigen-plot ankigen-plot-light" src="{images.light.name}" alt="{text}">'
        f'<img class="ankigen-plot ankigen-plot-dark" src="{images.dark.name}" alt="{text}">'
    )


def plot_alt(rule: Rule) -> str:
    """A description of the plot for screen readers and image-less clients."""
    return (
        f"Plot of {rule.name}: f({rule.variable}) = {rule.function_text} (solid line) and its "
        f"derivative f'({rule.variable}) = {rule.derivative_text} (dashed line)"
    )


def _media(data: bytes) -> MediaFile:
    return MediaFile(f"ankigen-plot-{hashlib.sha256(data).hexdigest()[:16]}.png", data)
