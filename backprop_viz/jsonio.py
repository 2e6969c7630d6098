"""JSON out: orjson, because it writes numpy arrays natively (five 512×512 arrays: 49 ms, where
the standard library's json took 708 ms through tolist) and every float64 in its shortest
round-trip form.

JSON has no NaN or ±∞, and orjson would write them as null: a non-finite number is written as
the string "NaN", "Infinity" or "-Infinity" instead (docs/API.md).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import orjson

NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def number(v: float) -> float | str:
    """A float as JSON holds it: itself, or "NaN"/"Infinity"/"-Infinity"."""
    if math.isfinite(v):
        return v
    return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")


def array(x: np.ndarray | None) -> Any:
    """An array for `dumps`: the array itself (orjson writes it), or, holding a non-finite
    number, nested lists with those numbers as strings."""
    if x is None:
        return None
    if np.isfinite(x).all():
        return np.ascontiguousarray(x, dtype=np.float64)
    return [[number(v) for v in row] for row in x.tolist()]


def dumps(obj: Any) -> bytes:
    """UTF-8 JSON; numpy arrays must have passed through `array` (contiguous float64)."""
    return orjson.dumps(obj, option=orjson.OPT_SERIALIZE_NUMPY)
