"""The vocabulary of an op's shape-convention rule: how the op table writes one backward step
as a product of arrays that all have their own shapes (the lecture's ∂s/∂W = δ xᵀ).

A rule is a row of terms joined by operators. Each term says in words which array it is
(`text`, in the notation of `notation`) and where its numbers come from (`source`): an input's
value, the node's own value, the step's upstream gradient, or an array derived from those. The
op writes no numbers and no node ids; `forms` resolves the sources for one edge of one trace.

Operators, evaluated as `forms.evaluate` does: `·` is the matrix product (a 1×1 side scales
the other), `∘` the entrywise product and `/` the entrywise quotient, all three left to right;
`+` and `−` add those products.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import notation as nt
from .arrays import Shape
from .errors import Said


@dataclass(frozen=True)
class Input:
    """Input number `port`'s value, transposed or not."""

    port: int
    transpose: bool = False


@dataclass(frozen=True)
class Output:
    """The node's own value (softmax's p, exp's exp(z))."""


@dataclass(frozen=True)
class Upstream:
    """The step's upstream gradient: transposed, negated, or one block of it (`block` =
    (axis, start, stop): rows (axis 0) or columns (axis 1) start to stop − 1)."""

    transpose: bool = False
    negate: bool = False
    block: tuple[int, int, int] | None = None


@dataclass(frozen=True)
class Derived:
    """An array computed from (upstream, inputs, output, params), such as f′(z) or 𝟏."""

    compute: Callable[[np.ndarray, tuple[np.ndarray, ...], np.ndarray, Mapping[str, Any]],
                      np.ndarray]


Source = Input | Output | Upstream | Derived


@dataclass(frozen=True)
class Term:
    text: str
    source: Source


@dataclass(frozen=True)
class Rule:
    """∂s/∂input = terms[0] operators[0] terms[1] …; `note` is the rule in words, a catalog key
    (`rule.*`) with the names as parameters, said in each reader's language; `entry`, when the
    input is a matrix, is its entry (i, j) in math (δᵢ xⱼ, for the Jacobian form's reshape)."""

    terms: tuple[Term, ...]
    operators: tuple[str, ...]
    note: Said
    entry: str = ""


@dataclass(frozen=True)
class Names:
    """What a rule may write about its step: the upstream's name (δ, ∂s/∂h), the inputs'
    labels and shapes, the node's own label and shape, its params, and the placeholder it was
    written with (`f` for f(z) with f = tanh), if any."""

    up: str
    labels: tuple[str, ...]
    shapes: tuple[Shape, ...]
    out_label: str
    out: Shape
    params: Mapping[str, Any]
    via: str | None = None


# ----- the few rows that many ops share -----

def ones(rows: int, cols: int) -> Derived:
    return Derived(lambda g, xs, out, p: np.ones((rows, cols)))


def up(names: Names, *, transpose: bool = False, negate: bool = False) -> Term:
    """The upstream as a term: δ, −δ, (∂s/∂y)ᵀ."""
    text = nt.transposed_label(names.up) if transpose else names.up
    if negate:   # −(−x) = x
        plain = text.startswith("−") and nt.operand(text) == text
        text = text[1:] if plain else "−" + nt.operand(text)
    return Term(text, Upstream(transpose, negate))


def through(names: Names, note: Said) -> Rule:
    """The upstream passes through unchanged."""
    return Rule((up(names),), (), note)


def times(names: Names, factor: Term, note: Said, *, negate: bool = False,
          operator: str = "∘") -> Rule:
    """upstream ∘ factor: an elementwise op's rule (a 1×1 upstream with `·`)."""
    return Rule((up(names, negate=negate), factor), (operator,), note)
