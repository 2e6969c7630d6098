"""What an op is: a primitive's forward rule, VJP, local Jacobian and notation in one entry.

Every array is 2-D float64 (a scalar is 1×1, a vector n×1). A local Jacobian is row-major:
J[i, j] = ∂out.flat[i] / ∂in.flat[j] in numpy's C order, so that for every input port
`vjp(g, port, …).ravel() == g.ravel() @ jacobian(port, …)`. The engine computes with `vjp`, which
never builds a matrix; `jacobian` and `local_formula` exist to be shown to the student.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .arrays import Params, Shape
from .expansions import Expansion
from .rule import Names, Rule
from .spellings import Surface

Arrays = tuple[np.ndarray, ...]
__all__ = ["Arrays", "Op", "Params", "Shape", "quiet", "selection", "unbroadcast"]


@dataclass(frozen=True)
class Op:
    """One primitive: how to compute it, differentiate it and write it down."""

    name: str
    symbol: str
    arity: int          # -1: variadic
    shape_rule: str
    precedence: int     # 100 atom/call, 90 ᵀ, 80 power, 70 unary minus, 60 product, 50 sum
    forward: Callable[[Arrays, Params], np.ndarray]
    vjp: Callable[[np.ndarray, int, Arrays, np.ndarray, Params], np.ndarray]
    jacobian: Callable[[int, Arrays, np.ndarray, Params], np.ndarray]
    text: Callable[[tuple[str, ...], Params], str]
    local_formula: Callable[[int, tuple[str, ...], tuple[Shape, ...], Shape, Params], str]
    # The lecture's shape convention for input `port`: ∂s/∂input as a product of arrays with
    # their own shapes (rule.py); `forms` adds the Jacobian form from `jacobian`.
    shape_form: Callable[[int, Names], Rule]
    # How the scalar view writes it entry by entry (`expansions`), or why it cannot.
    scalar: Expansion | str = "no scalar form"
    # How it is written: spellings, LaTeX, options (`spellings`); `ops.OPS` attaches it.
    surface: Surface | None = None
    # Its VJP is 0 by definition, not its derivative: detach, the stop-gradient.
    stops_gradient: bool = False


def unbroadcast(g: np.ndarray, shape: Shape) -> np.ndarray:
    """Undo numpy broadcasting: sum g over every axis that was stretched from length 1.

    Example: b (1×3) broadcast to 4×3 gets g (4×3) summed over axis 0 → 1×3, one sum per column.
    """
    pairs = enumerate(zip(shape, g.shape, strict=True))
    axes = tuple(ax for ax, (n, m) in pairs if n == 1 and m != 1)
    return g.sum(axis=axes, keepdims=True)



def selection(idx: np.ndarray, n: int) -> np.ndarray:
    """The 0/1 matrix whose row i picks input element idx[i]; an index of -1 gives a zero row."""
    return (idx.reshape(-1, 1) == np.arange(n)).astype(float)


def quiet(op: Op) -> Op:
    """The op with its numerics under np.errstate(all="ignore"): log(−1) is nan, not a warning."""
    def silenced(f: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
        @functools.wraps(f)
        def run(*args: Any) -> np.ndarray:
            with np.errstate(all="ignore"):
                return f(*args)
        return run
    return replace(op, forward=silenced(op.forward), vjp=silenced(op.vjp),
                   jacobian=silenced(op.jacobian))
