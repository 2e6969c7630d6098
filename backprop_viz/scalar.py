"""The scalar view: a graph expanded into its scalar operations, as micrograd builds it.

Every entry of every array becomes its own 1×1 node: W · x with W 3×4 is 12 multiplies and 9
binary adds. The result is a `graph.Graph` that the engine runs unchanged, so its trace steps
through exactly as the vector view's does. How each op expands is part of its entry in the op
table (`Op.scalar`: an `expansions.Expansion`, or the reason it has none).

Names, 1-based as the lecture writes them: W's entries are W₁₁ … W₃₄ (W₁,₁₂ once a dimension
reaches 10), a vector's x₁ … x₄, a 1×1 keeps its name. The entries of a named array z are z₁,
z₂, …; those of an unnamed one are its label's, (W · x)₁; the scalar nodes inside an op (the
products and partial sums of W · x) are written out, W₁₁ ∘ x₁ + W₁₂ ∘ x₂.
"""

from __future__ import annotations

from collections.abc import Mapping

import networkx as nx
import numpy as np

from . import graph as graph_mod
from .arrays import Shape
from .errors import BackpropError
from .expansions import Expansion, Ids, each, size
from .graph import _set_text
from .limits import MAX_SCALAR_NODES
from .ops import OPS

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


EXPANSIONS: dict[str, Expansion] = {name: op.scalar for name, op in OPS.items()
                                    if isinstance(op.scalar, Expansion)}
# op name → why the scalar view cannot show it
NOT_EXPANDABLE: dict[str, str] = {name: op.scalar for name, op in OPS.items()
                                  if isinstance(op.scalar, str)}


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
            total += size(attrs["shape"])
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
        raise BackpropError("error.view.no_scalar_form", op=op)
    if n > MAX_SCALAR_NODES:
        raise BackpropError("error.limit.scalar_nodes", nodes=n, limit=MAX_SCALAR_NODES)
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
    names = each(value.shape, lambda i: entry_name(name, value.shape, i))

    def leaf(index: tuple[int, int]) -> str:
        node = b.add(kind="variable", op=None, name=names[index], text=names[index])
        variables[names[index]] = node
        leaves[node] = value[index[0]:index[0] + 1, index[1]:index[1] + 1].copy()
        return node
    return each(value.shape, leaf)


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
