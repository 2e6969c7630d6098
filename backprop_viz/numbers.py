"""The one number format, shared by the graph, the panel, the header and the exports; the page's
static/js/format.js is the same rule, and a browser test holds the two to the same text.

Four significant digits from 0.001 to 9999 ("0.2129", "−0.7173", "12.35", "2"); outside that,
three in exponent form ("1.23e−5"); a true minus sign; half-way cases round away from zero, as
JavaScript's toPrecision does.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np

MINUS = "\u2212"
NON_FINITE = {"NaN": "NaN", "Infinity": "∞", "-Infinity": f"{MINUS}∞"}
NODE_ENTRIES = 2    # entries a node's slot shows of an array before "…"
WIDEST = len(f"{MINUS}1.23e{MINUS}5")   # the widest common number ("−0.001235" is one wider)


def _round(d: Decimal, digits: int) -> Decimal:
    return d.quantize(Decimal(1).scaleb(d.adjusted() - digits + 1), rounding=ROUND_HALF_UP)


def _plain(d: Decimal) -> str:
    text = format(d, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def number(v: float | str) -> str:
    """One number as text; the JSON's "NaN"/"±Infinity" (or float ones) as symbols."""
    if isinstance(v, str):
        return NON_FINITE.get(v, v)
    if v != v:
        return "NaN"
    if v in (float("inf"), float("-inf")):
        return NON_FINITE["Infinity" if v > 0 else "-Infinity"]
    if v == 0:
        return "0"
    sign = MINUS if v < 0 else ""
    d = Decimal(abs(v))
    r = _round(d, 4)
    if Decimal("0.001") <= r < 10_000:
        return sign + _plain(r)
    r = _round(d, 3)
    exponent = r.adjusted()
    mantissa = _plain(r.scaleb(-exponent))
    return f"{sign}{mantissa}e{str(exponent).replace('-', MINUS)}"


def shape(s: tuple[int, int] | list[int]) -> str:
    return f"{s[0]}×{s[1]}"


def brief(a: np.ndarray, entries: int) -> str:
    """What a graph slot shows of an array: a scalar in full; else its first entries, in the
    language's notation ("[0.21; −0.5; …]" down a column, "[0.21, −0.5, …]" along a row)."""
    if a.size == 1:
        return number(float(a.flat[0]))
    sep = "; " if a.shape[1] == 1 else ", "
    shown = [number(float(v)) for v in a.flat[:entries]]
    return "[" + sep.join(shown) + (sep + "…" if a.size > entries else "") + "]"
