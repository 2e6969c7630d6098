"""The scalar view: a graph expanded into its scalar operations, as micrograd builds it.

Every entry of every array becomes its own 1×1 node: W · x with W 3×4 is 12 multiplies and 9
binary adds. The result is a `graph.Graph` that the engine runs unchanged, so its trace steps
through exactly as the vector view's does. How each op expands is one entry of EXPANSIONS; an op
with no scalar form would go in NOT_EXPANDABLE with the reason (a test checks that every op of
the table is in one of the two).

Names, 1-based as the lecture writes them: W's entries are W₁₁ … W₃₄ (W₁,₁₂ once a dimension
reaches 10), a vector's x₁ … x₄, a 1×1 keeps its name. The entries of a named array z are z₁,
z₂, …; those of an unnamed one are its label's, (W · x)₁; the scalar nodes inside an op (the
products and partial sums of W · x) are written out, W₁₁ ∘ x₁ + W₁₂ ∘ x₂.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import networkx as nx
import numpy as np

from . import graph as graph_mod
from .errors import BackpropError
from .graph import _set_text
from .limits import MAX_SCALAR_NODES
from .op import Params, Shape
from .reductions import _softmax_axis

Ids = np.ndarray          # an object array of scalar node ids, in the vector node's shape
_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


class _Builder:
    """The scalar graph under construction; `pos` is the vector node being expanded."""

    def __init__(self) -> None:
        self.g = nx.MultiDiGraph()
        self.pos: int | None = None

    def add(self, inputs: tuple[str, ...] = (), **attrs: object) -> str:
        node = f"n{len(self.g)}"
        self.g.add_node(node, **{"name": None, "params": {}, "shape": (1, 1), "pos": self.pos,
                                 **attrs})
        for port, src in enumerate(inputs):
            self.g.add_edge(src, node, key=port, port=port)
        return node

    def op(self, name: str, *inputs: str, **params: object) -> str:
        node = self.add(inputs, kind="op", op=name, params=params, text="")
        _set_text(self.g, node)
        return node

    def constant(self, value: int) -> str:
        return self.add(kind="constant", op=None, constant=float(value), text=str(value))


@dataclass(frozen=True)
class Expansion:
    """How one op becomes scalar nodes: `expand` builds them from its inputs' entries; `count`
    says how many it builds from the shapes alone, so the size is known without building."""

    expand: Callable[[_Builder, tuple[Ids, ...], Params, Shape], Ids]
    count: Callable[[tuple[Shape, ...], Shape, Params], int]


def _each(shape: Shape, entry: Callable[[tuple[int, int]], str]) -> Ids:
    ids = np.empty(shape, dtype=object)
    for index in np.ndindex(*shape):
        ids[index] = entry(index)
    return ids


def _fold(b: _Builder, op: str, entries: list[str]) -> str:
    """Left to right through binary nodes, as micrograd's sum: ((a + b) + c) + d."""
    total = entries[0]
    for entry in entries[1:]:
        total = b.op(op, total, entry)
    return total


def _size(shape: Shape) -> int:
    return shape[0] * shape[1]


# ----- entry by entry: the elementwise ops, and scale (its 1×1 factor copied to every entry)

def _entrywise(op: str) -> Expansion:
    def expand(b: _Builder, args: tuple[Ids, ...], p: Params, out: Shape) -> Ids:
        spread = [np.broadcast_to(a, out) for a in args]
        return _each(out, lambda i: b.op(op, *(a[i] for a in spread), **p))
    return Expansion(expand, lambda shapes, out, p: _size(out))


def _matmul(b: _Builder, args: tuple[Ids, ...], p: Params, out: Shape) -> Ids:
    a, c = args
    return _each(out, lambda ij: _fold(b, "add", [b.op("mul", a[ij[0], k], c[k, ij[1]])
                                                  for k in range(a.shape[1])]))


def _rewire(move: Callable[[tuple[Ids, ...], Params, Shape], Ids]) -> Expansion:
    """Shape plumbing: the same scalar nodes, rearranged; no node of its own."""
    return Expansion(lambda b, args, p, out: move(args, p, out), lambda shapes, out, p: 0)


# ----- along an axis: reductions fold each column (axis 0), row (axis 1) or everything

def _lines(x: Ids, axis: int | None) -> Ids:
    """The array turned so that each reduced group is one column."""
    return x.reshape(-1, 1) if axis is None else (x if axis == 0 else x.T)


def _reduction(group: Callable[[_Builder, list[str]], str],
               nodes: Callable[[int], int]) -> Expansion:
    """`group` makes one output entry from its n inputs with `nodes(n)` new nodes."""
    def expand(b: _Builder, args: tuple[Ids, ...], p: Params, out: Shape) -> Ids:
        lines = _lines(args[0], p.get("axis"))
        return np.array([group(b, list(col)) for col in lines.T], dtype=object).reshape(out)

    def count(shapes: tuple[Shape, ...], out: Shape, p: Params) -> int:
        return _size(out) * nodes(_size(shapes[0]) // _size(out))
    return Expansion(expand, count)


def _mean(b: _Builder, entries: list[str]) -> str:
    total = _fold(b, "add", entries)
    return total if len(entries) == 1 else b.op("div", total, b.constant(len(entries)))


def _norm(b: _Builder, entries: list[str]) -> str:
    """√(x₁² + x₂² + …), and |x| for one entry: its gradient is x/‖x‖ as the vector view's,
    except at x = 0 (0 there, NaN here from 1/(2√0))."""
    if len(entries) == 1:
        return b.op("abs", entries[0])
    return b.op("sqrt", _fold(b, "add", [b.op("pow", e, k=2) for e in entries]))


def _softmax_line(b: _Builder, entries: list[str]) -> list[str]:
    """exp(zᵢ) / Σⱼ exp(zⱼ), unshifted as the notes write it (the vector view subtracts the max,
    which changes no value or gradient but keeps exp from overflowing past z ≈ 709)."""
    e = [b.op("exp", z) for z in entries]
    total = _fold(b, "add", e)
    return [b.op("div", ei, total) for ei in e]


def _softmax(b: _Builder, args: tuple[Ids, ...], p: Params, out: Shape) -> Ids:
    axis = _softmax_axis(args[0].shape, p)
    lines = _lines(args[0], axis)
    result = np.array([_softmax_line(b, list(col)) for col in lines.T], dtype=object).T
    return result if axis == 0 else result.T


def _softmax_count(shapes: tuple[Shape, ...], out: Shape, p: Params) -> int:
    """n exps, n − 1 adds and n divides for each of the groups of n entries."""
    n = out[_softmax_axis(out, p)]
    return _size(out) // n * (3 * n - 1)


_ELEMENTWISE = ("add", "sub", "mul", "div", "maximum", "minimum", "neg", "pow", "tanh",
                "sigmoid", "relu", "dtanh", "dsigmoid", "drelu", "exp", "log", "sqrt", "abs",
                "sin", "cos")

EXPANSIONS: dict[str, Expansion] = {
    **{op: _entrywise(op) for op in _ELEMENTWISE},
    "scale": _entrywise("mul"),
    # each output entry: n multiplies and n − 1 adds
    "matmul": Expansion(_matmul, lambda shapes, out, p: _size(out) * (2 * shapes[0][1] - 1)),
    "transpose": _rewire(lambda args, p, out: args[0].T),
    "repeat": _rewire(lambda args, p, out: np.broadcast_to(args[0], out)),
    "stack": _rewire(lambda args, p, out: np.concatenate(args, axis=p["axis"])),
    "sum": _reduction(lambda b, e: _fold(b, "add", e), lambda n: n - 1),
    "mean": _reduction(_mean, lambda n: n + 1 if n > 1 else 0),
    # A chain of max gates: where several entries tie for the max, each gate splits its
    # gradient ½, ½, where the vector view gives every tied entry an equal share.
    "max": _reduction(lambda b, e: _fold(b, "maximum", e), lambda n: n - 1),
    "min": _reduction(lambda b, e: _fold(b, "minimum", e), lambda n: n - 1),
    "norm": _reduction(_norm, lambda n: 2 * n if n > 1 else 1),
    "softmax": Expansion(_softmax, _softmax_count),
}
NOT_EXPANDABLE: dict[str, str] = {}   # op name → why the scalar view cannot show it


# ----- the whole graph

def count(gr: graph_mod.Graph) -> int | None:
    """How many nodes the scalar view has, from the shapes alone; None if an op has no
    scalar form."""
    total = 0
    for node in gr.order:
        attrs = gr.g.nodes[node]
        if attrs["kind"] == "op" and attrs["op"] in NOT_EXPANDABLE:
            return None
        if attrs["kind"] == "op":
            shapes = tuple(gr.g.nodes[i]["shape"] for i in gr.inputs(node))
            total += EXPANSIONS[attrs["op"]].count(shapes, attrs["shape"], attrs["params"])
        else:
            total += _size(attrs["shape"])
    return total


def entry_name(name: str, shape: Shape, index: tuple[int, int]) -> str:
    """W₁₂ for W[0, 1]; x₃ for a vector's third entry; a 1×1 keeps its name; W₁,₁₂ once a
    dimension has two digits."""
    if shape == (1, 1):
        return name
    parts = [str(i + 1) for i, n in zip(index, shape, strict=True) if n > 1]
    return name + ("," if max(shape) >= 10 else "").join(parts).translate(_SUBSCRIPT)


def expand(gr: graph_mod.Graph, values: Mapping[str, np.ndarray]
           ) -> tuple[graph_mod.Graph, dict[str, np.ndarray]]:
    """The scalar graph of `gr` and its variables' values, from `values` by vector name."""
    n = count(gr)
    if n is None:
        op = next(gr.g.nodes[v]["op"] for v in gr.order if gr.g.nodes[v]["op"] in NOT_EXPANDABLE)
        raise BackpropError(f"the scalar view cannot show {op}: {NOT_EXPANDABLE[op]}", None)
    if n > MAX_SCALAR_NODES:
        raise BackpropError(f"the scalar view would have {n} nodes; the limit is "
                            f"{MAX_SCALAR_NODES} (MAX_SCALAR_NODES): use smaller shapes", None)
    b = _Builder()
    entries: dict[str, Ids] = {}
    variables: dict[str, str] = {}
    leaves: dict[str, np.ndarray] = {}
    for node in gr.order:
        attrs = gr.g.nodes[node]
        b.pos = attrs.get("pos")
        start = len(b.g)
        if attrs["kind"] == "variable":
            entries[node] = _variable(b, attrs["name"], values[attrs["name"]], variables, leaves)
        elif attrs["kind"] == "constant":
            entries[node] = np.array([[b.add(kind="constant", op=None,
                                             constant=attrs["constant"], text=attrs["text"])]],
                                     dtype=object)
        else:
            args = tuple(entries[i] for i in gr.inputs(node))
            entries[node] = EXPANSIONS[attrs["op"]].expand(b, args, attrs["params"],
                                                           attrs["shape"])
            _name_entries(b, entries[node], gr.label(node), bool(attrs["name"]), start)
    output = entries[gr.output][0, 0]
    return graph_mod.Graph(b.g, tuple(b.g), output, gr.output_name, variables), leaves


def _variable(b: _Builder, name: str, value: np.ndarray, variables: dict[str, str],
              leaves: dict[str, np.ndarray]) -> Ids:
    """One scalar variable per entry. Names cannot clash: no name the language reads holds a
    subscript digit, so W₁₂ can only come from W."""
    names = _each(value.shape, lambda i: entry_name(name, value.shape, i))

    def leaf(index: tuple[int, int]) -> str:
        node = b.add(kind="variable", op=None, name=names[index], text=names[index])
        variables[names[index]] = node
        leaves[node] = value[index[0]:index[0] + 1, index[1]:index[1] + 1].copy()
        return node
    return _each(value.shape, leaf)


def _name_entries(b: _Builder, ids: Ids, label: str, named: bool, start: int) -> None:
    """Name the entries this vector node made: z₁, z₂ for z; (W · x)₁ for the unnamed W · x.
    An unnamed 1×1 keeps its written-out text (x ∘ y), the clearer of the two."""
    if ids.shape == (1, 1) and not named:
        return
    stem = label if named or " " not in label else f"({label})"
    for index in np.ndindex(*ids.shape):
        node = ids[index]
        if int(node[1:]) >= start:
            b.g.nodes[node]["name"] = entry_name(stem, ids.shape, index)
