"""How an op becomes scalar nodes in the scalar view (as micrograd builds it): each op's entry
in the table carries one `Expansion` (`Op.scalar`); `scalar.py` walks the graph with them.

An expansion gets the scalar node ids of its inputs' entries, in their shapes, and a builder
that adds scalar nodes; it returns the ids of the output's entries. W · x with W 3×4 is 12
multiplies and 9 binary adds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .arrays import Params, Shape

Ids = np.ndarray          # an object array of scalar node ids, in the vector node's shape


class Builder(Protocol):
    """What an expansion may add: an op node over scalar nodes, and a number constant."""

    def op(self, name: str, *inputs: str, **params: object) -> str: ...

    def constant(self, value: float) -> str: ...


@dataclass(frozen=True)
class Expansion:
    """`expand` builds the scalar nodes from the inputs' entries; `count` says how many it builds
    from the shapes alone, so the size is known without building."""

    expand: Callable[[Builder, tuple[Ids, ...], Params, Shape], Ids]
    count: Callable[[tuple[Shape, ...], Shape, Params], int]


def each(shape: Shape, entry: Callable[[tuple[int, int]], str]) -> Ids:
    ids = np.empty(shape, dtype=object)
    for index in np.ndindex(*shape):
        ids[index] = entry(index)
    return ids


def fold(b: Builder, op: str, entries: list[str]) -> str:
    """Left to right through binary nodes, as micrograd's sum: ((a + b) + c) + d."""
    total = entries[0]
    for entry in entries[1:]:
        total = b.op(op, total, entry)
    return total


def size(shape: Shape) -> int:
    return shape[0] * shape[1]


# ----- entry by entry: the elementwise ops, and scale (its 1×1 factor copied to every entry)

def entrywise(op: str) -> Expansion:
    def expand(b: Builder, args: tuple[Ids, ...], p: Params, out: Shape) -> Ids:
        spread = [np.broadcast_to(a, out) for a in args]
        return each(out, lambda i: b.op(op, *(a[i] for a in spread), **p))
    return Expansion(expand, lambda shapes, out, p: size(out))


def _matmul(b: Builder, args: tuple[Ids, ...], p: Params, out: Shape) -> Ids:
    a, c = args
    return each(out, lambda ij: fold(b, "add", [b.op("mul", a[ij[0], k], c[k, ij[1]])
                                                for k in range(a.shape[1])]))


# each output entry: n multiplies and n − 1 adds
MATMUL = Expansion(_matmul, lambda shapes, out, p: size(out) * (2 * shapes[0][1] - 1))
# aᵀb of two columns: n multiplies and n − 1 adds
DOT = Expansion(lambda b, args, p, out: np.array([[fold(b, "add", [
    b.op("mul", x, y) for x, y in zip(args[0].ravel(), args[1].ravel(), strict=True)])]],
    dtype=object), lambda shapes, out, p: 2 * size(shapes[0]) - 1)


def rewire(move: Callable[[tuple[Ids, ...], Params, Shape], Ids]) -> Expansion:
    """Shape plumbing: the same scalar nodes, rearranged; no node of its own."""
    return Expansion(lambda b, args, p, out: move(args, p, out), lambda shapes, out, p: 0)


# ----- along an axis: reductions fold each column (axis 0), row (axis 1) or everything

def lines(x: Ids, axis: int | None) -> Ids:
    """The array turned so that each reduced group is one column."""
    return x.reshape(-1, 1) if axis is None else (x if axis == 0 else x.T)


def reduction(group: Callable[[Builder, list[str], Params], str],
              nodes: Callable[[int, Params], int]) -> Expansion:
    """`group` makes one output entry from its n inputs with `nodes(n, params)` new nodes."""
    def expand(b: Builder, args: tuple[Ids, ...], p: Params, out: Shape) -> Ids:
        cols = lines(args[0], p.get("axis"))
        return np.array([group(b, list(col), p) for col in cols.T], dtype=object).reshape(out)

    def count(shapes: tuple[Shape, ...], out: Shape, p: Params) -> int:
        return size(out) * nodes(size(shapes[0]) // size(out), p)
    return Expansion(expand, count)


def mean(b: Builder, entries: list[str], p: Params) -> str:
    total = fold(b, "add", entries)
    return total if len(entries) == 1 else b.op("div", total, b.constant(len(entries)))


def variance(b: Builder, entries: list[str], p: Params) -> str:
    """Σ (xᵢ − x̄)² / (n − ddof), with x̄ as `mean` builds it: n + 1 nodes for the mean (1 for a
    single entry), 2n for the squared deviations, n − 1 adds and a divide."""
    centre = mean(b, entries, p)
    squares = [b.op("pow", b.op("sub", e, centre), k=2.0) for e in entries]
    return b.op("div", fold(b, "add", squares), b.constant(len(entries) - p.get("ddof", 0)))


def variance_nodes(n: int, p: Params) -> int:
    return (n + 1 if n > 1 else 0) + 2 * n + (n - 1) + 2


def norm(b: Builder, entries: list[str], p: Params) -> str:
    """√(x₁² + x₂² + …), and |x| for one entry: its gradient is x/‖x‖ as the vector view's,
    except at x = 0 (0 there, NaN here from 1/(2√0))."""
    if len(entries) == 1:
        return b.op("abs", entries[0])
    return b.op("sqrt", fold(b, "add", [b.op("pow", e, k=2) for e in entries]))


def _softmax_line(b: Builder, entries: list[str]) -> list[str]:
    """exp(zᵢ) / Σⱼ exp(zⱼ), unshifted as the notes write it (the vector view subtracts the max,
    which changes no value or gradient but keeps exp from overflowing past z ≈ 709)."""
    e = [b.op("exp", z) for z in entries]
    total = fold(b, "add", e)
    return [b.op("div", ei, total) for ei in e]


def softmax(axis_of: Callable[[Shape, Params], int]) -> Expansion:
    """Softmax of each group of entries along the axis that `axis_of` says."""
    def expand(b: Builder, args: tuple[Ids, ...], p: Params, out: Shape) -> Ids:
        axis = axis_of(args[0].shape, p)
        result = np.array([_softmax_line(b, list(col)) for col in lines(args[0], axis).T],
                          dtype=object).T
        return result if axis == 0 else result.T

    def count(shapes: tuple[Shape, ...], out: Shape, p: Params) -> int:
        """n exps, n − 1 adds and n divides for each of the groups of n entries."""
        n = out[axis_of(out, p)]
        return size(out) // n * (3 * n - 1)
    return Expansion(expand, count)
