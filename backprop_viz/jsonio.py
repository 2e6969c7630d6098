"""JSON in and out: orjson, which reads a body without recursing in Python (the standard
library's reader, nested 100,000 deep, ran out of stack: a 500), and writes numpy arrays
natively (five 512×512 arrays: 49 ms, where the standard library's json took 708 ms through
tolist) and every float64 in its shortest round-trip form.

A body is read whole, then its depth is checked (orjson itself stops at 1,024): deeper than
MAX_JSON_DEPTH, or not JSON at all, it is refused as a 400 before any work starts.

JSON has no NaN or ±∞, and orjson would write them as null: a non-finite number is written as
the string "NaN", "Infinity" or "-Infinity" instead (docs/API.md).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import orjson

from .errors import BackpropError
from .limits import MAX_JSON_DEPTH

ORJSON_DEPTH = 1024   # orjson's own limit, fixed in its build
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


def loads(body: bytes) -> Any:
    """A request body as JSON, at most MAX_JSON_DEPTH arrays and objects deep: anything else
    is a BackpropError (position null: the body is not the expression)."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as err:
        if "depth limit" in str(err):
            raise BackpropError("error.limit.json_depth_over", found=ORJSON_DEPTH,
                                limit=MAX_JSON_DEPTH) from None
        reason = str(err).split(": line ", 1)[0]
        raise BackpropError("error.request.bad_json", reason=reason, byte=err.pos) from None
    found = depth(value)
    if found > MAX_JSON_DEPTH:
        raise BackpropError("error.limit.json_depth", found=found, limit=MAX_JSON_DEPTH)
    return value


def depth(value: Any) -> int:
    """How many arrays and objects deep `value` nests (a number: 0, `[[1]]`: 2); iterative, so
    no depth runs Python out of stack."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        item, level = todo.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(
            item, list) else None
        if children is not None:
            deepest = max(deepest, level)
            todo.extend((child, level + 1) for child in children)
    return deepest

