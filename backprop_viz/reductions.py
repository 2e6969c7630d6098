"""The op table's reductions (to 1×1, or along an axis keeping both dimensions) and softmax."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import notation as nt
from .op import Arrays, Op, Params, Shape

# ----- reductions: to 1×1, or along an axis keeping both dimensions (the notes' Sum node) -----
#
# params["axis"]: None reduces every entry to 1×1; 0 reduces each column (m×n → 1×n), 1 each row
# (m×n → m×1). Each entry of the input feeds one output entry, with a weight (1 for sum, 1/m
# for mean, its share of a tie for max): the VJP is g, spread back, times the weights, and the
# Jacobian is the 0/1 matrix of who feeds whom times the weights.

def _axis(p: Params) -> int | None:
    return p.get("axis")


def _fed(shape: Shape, axis: int | None) -> np.ndarray:
    """The output entry (row-major) that each input entry feeds."""
    rows, cols = np.indices(shape)
    return {None: np.zeros(rows.size, dtype=int), 0: cols.ravel(), 1: rows.ravel()}[axis]


def _count(x: np.ndarray, axis: int | None) -> int:
    return x.size if axis is None else x.shape[axis]


def _ties(x: np.ndarray, out: np.ndarray, axis: int | None) -> np.ndarray:
    """Each entry's share of the gradient of max/min: the entries that attain it split it evenly
    (as PyTorch does)."""
    hit = (x == out).astype(float)
    return hit / hit.sum(axis=axis, keepdims=True)


def _unit(x: np.ndarray, out: np.ndarray, axis: int | None) -> np.ndarray:
    """x/‖x‖, and 0 where ‖x‖ = 0, as PyTorch has it: the norm has no derivative there."""
    return np.divide(x, out, out=np.zeros_like(x), where=out != 0)


def _axis_text(p: Params) -> str:
    return "" if _axis(p) is None else f", axis={_axis(p)}"


def _reduce_formula(whole: str) -> Callable[..., str]:
    """𝟏ᵀ for the whole array; a column sum (m×n → 1×n) in row-major order is 𝟏ᵀ ⊗ I, a row
    sum I ⊗ 𝟏ᵀ. `whole` is the 1×N row with the label in {x}, and {n} the count reduced."""
    def formula(port: int, labels: tuple[str, ...], shapes: tuple[Shape, ...], out: Shape,
                p: Params) -> str:
        axis, (rows, cols) = _axis(p), shapes[0]
        n = {None: rows * cols, 0: rows, 1: cols}[axis]
        if n == 1:
            return nt.eye(shapes[0])
        row = whole.format(x=nt.bare(labels[0]), n=n)
        if axis is None or out == (1, 1):
            return row
        return f"{row} ⊗ I" if axis == 0 else f"I ⊗ {row}"
    return formula


def _reduction(name: str, symbol: str, fn: Callable[[np.ndarray, int | None], np.ndarray],
               weights: Callable[[np.ndarray, np.ndarray, int | None], np.ndarray],
               local_formula: Callable[..., str],
               text: Callable[[tuple[str, ...], Params], str] | None = None) -> Op:
    return Op(
        name, symbol, 1, "reduce", 100,
        forward=lambda xs, p: fn(xs[0], _axis(p)),
        vjp=lambda g, port, xs, out, p: g * weights(xs[0], out, _axis(p)),
        jacobian=lambda port, xs, out, p: (
            (np.arange(out.size).reshape(-1, 1) == _fed(xs[0].shape, _axis(p)))
            * weights(xs[0], out, _axis(p)).reshape(1, -1)),
        text=text or (lambda labels, p: f"{name}({nt.bare(labels[0])}{_axis_text(p)})"),
        local_formula=local_formula,
    )


def _norm_formula(port: int, labels: tuple[str, ...], shapes: tuple[Shape, ...], out: Shape,
                  p: Params) -> str:
    """xᵀ/‖x‖ for a column, x/‖x‖ for a row, vec(X)ᵀ/‖X‖ for a matrix, sign(x) for a 1×1."""
    x, (rows, cols) = nt.bare(labels[0]), shapes[0]
    if _axis(p) is not None:
        return f"vᵀ/‖v‖ for each {('column', 'row')[_axis(p)]} v of {x}"
    if rows == cols == 1:
        return f"sign({x})"
    if cols == 1:
        return f"{nt.t(labels[0], shapes[0])}/‖{x}‖"
    return f"{labels[0]}/‖{x}‖" if rows == 1 else f"vec({x})ᵀ/‖{x}‖"


REDUCTIONS = (
    _reduction("sum", "Σ", lambda x, axis: np.sum(x, axis=axis, keepdims=True),
               lambda x, out, axis: np.ones_like(x), _reduce_formula("𝟏ᵀ")),
    _reduction("mean", "mean", lambda x, axis: np.mean(x, axis=axis, keepdims=True),
               lambda x, out, axis: np.full_like(x, 1 / _count(x, axis)),
               _reduce_formula("𝟏ᵀ/{n}")),
    _reduction("max", "max", lambda x, axis: np.max(x, axis=axis, keepdims=True), _ties,
               _reduce_formula("eₖᵀ, k = argmax({x})")),
    _reduction("min", "min", lambda x, axis: np.min(x, axis=axis, keepdims=True), _ties,
               _reduce_formula("eₖᵀ, k = argmin({x})")),
    _reduction("norm", "‖·‖", lambda x, axis: np.linalg.norm(x, axis=axis, keepdims=True), _unit,
               _norm_formula, text=lambda labels, p: (
                   f"‖{nt.bare(labels[0])}‖" if _axis(p) is None else
                   f"norm({nt.bare(labels[0])}{_axis_text(p)})")),
)


# ----- softmax along an axis: of each column (axis 0), of each row (axis 1) -----
#
# With no axis given, softmax normalises each column, except of a single row (1×n), which it
# normalises along the row: a column of one entry would always give 1.

def _softmax_axis(shape: Shape, p: Params) -> int:
    axis = _axis(p)
    return (1 if shape[0] == 1 else 0) if axis is None else axis


def _softmax(xs: Arrays, p: Params) -> np.ndarray:
    axis = _softmax_axis(xs[0].shape, p)
    e = np.exp(xs[0] - xs[0].max(axis=axis, keepdims=True))   # shifted: exp never overflows
    return e / e.sum(axis=axis, keepdims=True)


def _softmax_vjp(g: np.ndarray, port: int, xs: Arrays, out: np.ndarray, p: Params) -> np.ndarray:
    return out * (g - np.sum(g * out, axis=_softmax_axis(xs[0].shape, p), keepdims=True))


def _softmax_jacobian(port: int, xs: Arrays, out: np.ndarray, p: Params) -> np.ndarray:
    """Block diag(p) − p pᵀ for each normalised column (or row) p, at its entries' row-major
    places (a column's entries interleave with the others')."""
    places = np.arange(out.size).reshape(out.shape)
    if _softmax_axis(xs[0].shape, p) == 1:
        out, places = out.T, places.T
    jac = np.zeros((out.size, out.size))
    for q, idx in zip(out.T, places.T, strict=True):
        jac[np.ix_(idx, idx)] = np.diag(q) - np.outer(q, q)
    return jac


def _softmax_formula(port: int, labels: tuple[str, ...], shapes: tuple[Shape, ...],
                     out: Shape, p: Params) -> str:
    z, axis = nt.bare(labels[0]), _softmax_axis(shapes[0], p)
    along, across = shapes[0][axis], shapes[0][1 - axis]
    if along == 1:
        return "0"                                # a softmax over one entry is always 1
    if across == 1:
        return f"diag(p) − p pᵀ, p = softmax({z})"
    return f"diag(p) − p pᵀ for each {('column', 'row')[axis]} p of softmax({z})"


SOFTMAX = Op("softmax", "softmax", 1, "along_axis", 100, forward=_softmax, vjp=_softmax_vjp,
              jacobian=_softmax_jacobian,
              text=lambda labels, p: f"softmax({nt.bare(labels[0])}{_axis_text(p)})",
              local_formula=_softmax_formula)
