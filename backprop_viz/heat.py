"""Heat-map colours for an export (the page's are static/js/heat.js, the same rule): a diverging
blue–neutral–orange palette, safe for the common colour-vision deficiencies, symmetric about 0,
an entry's colour its value over the scale, the largest |entry| of that kind in the whole
trace (one scale for values, one for gradients, stated in the legend)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .tracedata import Trace

# negative end, neutral (0), positive end; the neutral is each theme's node fill
PALETTES = {
    "light": ("#2166ac", "#f2f2f2", "#c2580a"),
    "dark": ("#5aa7e0", "#2a2b2f", "#f08c2e"),
}
NOT_FINITE = "#808080"


@dataclass(frozen=True)
class Scales:
    """The |value| the palette's ends stand for: the values' and the gradients' (1 where all
    are 0, so that 0 is the neutral)."""

    value: float
    grad: float


def _largest(arrays: list[np.ndarray]) -> float:
    finite = [np.abs(a[np.isfinite(a)]).max() for a in arrays if np.isfinite(a).any()]
    top = float(max(finite, default=0.0))
    return top if top > 0 else 1.0


def scales(trace: Trace) -> Scales:
    """Over the arrays (a scalar has no heat map): every value, every gradient."""
    arrays = [n for n in trace.nodes if n.shape != (1, 1)]
    return Scales(_largest([n.value for n in arrays]),
                  _largest([n.grad for n in arrays if n.grad is not None]))


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)


def colour(v: float, scale: float, theme: str = "light") -> str:
    if not np.isfinite(v):
        return NOT_FINITE
    neg, mid, pos = (_rgb(c) for c in PALETTES[theme])
    t = max(-1.0, min(1.0, v / scale))
    end = pos if t >= 0 else neg
    r, g, b = np.rint(mid + (end - mid) * abs(t)).astype(int)
    return f"#{r:02x}{g:02x}{b:02x}"


def colours(a: np.ndarray, rows: int, cols: int, scale: float, theme: str = "light"
            ) -> list[list[str]]:
    """The colours of the heat map's cells: the array's top-left rows × cols."""
    return [[colour(float(a[i, j]), scale, theme) for j in range(cols)] for i in range(rows)]


def blank(rows: int, cols: int, theme: str = "light") -> list[list[str]]:
    """Cells not computed yet: the neutral."""
    return [[PALETTES[theme][1]] * cols for _ in range(rows)]
