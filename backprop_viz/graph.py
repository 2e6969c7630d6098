"""AST → a networkx computation graph with stable ids, inferred shapes and explicit repeat nodes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import networkx as nx

from . import shapes
from .errors import BackpropError
from .limits import MAX_NODES
from .ops import get_op
from .syntax import (
    FUNCTIONS,
    PLACEHOLDERS,
    Binary,
    Call,
    Expr,
    Name,
    Num,
    Power,
    Program,
    Stack,
    Transpose,
    Unary,
    literal,
)

ATOM = 100  # precedence of a name, a number or a call: never parenthesised


@dataclass(frozen=True)
class Graph:
    """The computation graph: node attributes `kind`, `op`, `params`, `name`, `text`, `pos`,
    `shape` (and `via`: the placeholder, f or f′, an op was written with); edges keyed by
    `port`, the input's position at its target."""

    g: nx.MultiDiGraph
    order: tuple[str, ...]      # a topological order, the same for the same expression
    output: str
    output_name: str
    variables: dict[str, str]   # variable name → node id, in order of first use

    def inputs(self, node: str) -> list[str]:
        return list(self._inputs[node])

    @cached_property
    def _inputs(self) -> dict[str, tuple[str, ...]]:
        """Every node's inputs by port, sorted once: the gradient check runs the forward pass
        once per perturbed entry, and sorting networkx's edges was most of its time."""
        return {node: tuple(_inputs(self.g, node)) for node in self.g}

    @cached_property
    def feeds(self) -> frozenset[str]:
        """The output and every node it depends on: one sweep back through the order (networkx's
        `ancestors` took 40 ms at 500 nodes, searching the graph's reverse view)."""
        out = {self.output}
        for node in reversed(self.order):
            if node in out:
                out.update(self._inputs[node])
        return frozenset(out)

    def label(self, node: str) -> str:
        attrs = self.g.nodes[node]
        return attrs.get("name") or attrs["text"]

    @cached_property
    def plan(self) -> dict[str, tuple[str, str | None, tuple[str, ...], Any, Any]]:
        """Each node's (kind, op, inputs, params, constant), in topological order: what the
        forward pass reads of a node, looked up once instead of through networkx per pass."""
        nodes = self.g.nodes
        return {n: (nodes[n]["kind"], nodes[n].get("op"), self._inputs[n],
                    nodes[n].get("params"), nodes[n].get("constant")) for n in self.order}


def _inputs(g: nx.MultiDiGraph, node: str) -> list[str]:
    """The node's inputs by port (edges are keyed by port), read from the adjacency itself:
    networkx's edge views cost more than the sort, and its adjacency views (g.pred) a third
    of building a graph, so the plain dicts behind them are read (`_pred`: source → port →
    the edge's attributes, networkx's storage since 2.0)."""
    return [src for _, src in sorted((port, src) for src, ports in g._pred[node].items()
                                     for port in ports)]


class _Builder:
    def __init__(self, f: str, declared_shapes: Mapping[str, tuple[int, int]]) -> None:
        self.g = nx.MultiDiGraph()
        self.f = f
        self.declared_shapes = declared_shapes
        self.env: dict[str, str] = {}          # every name the expression can refer to
        self.variables: dict[str, str] = {}

    def add(self, inputs: list[str] = (), **attrs) -> str:
        if len(self.g) >= MAX_NODES:
            raise BackpropError("error.limit.nodes", attrs.get("pos"), limit=MAX_NODES)
        node = f"n{len(self.g)}"
        self.g.add_node(node, **{"name": None, "params": {}, **attrs})
        for port, src in enumerate(inputs):
            self.g.add_edge(src, node, key=port, port=port)
        return node

    def expr(self, e: Expr) -> str:
        if isinstance(e, Num):
            return self.add(kind="constant", op=None, constant=e.value, text=e.text, pos=e.pos)
        if isinstance(e, Name):
            if e.name not in self.env:
                self.env[e.name] = self.leaf(e.name, e.pos)
            return self.env[e.name]
        if isinstance(e, Call):
            op = FUNCTIONS[e.func][len(e.args)]
            if op in PLACEHOLDERS:   # f(z) with f = tanh: a tanh node that remembers its f
                node = self.op(PLACEHOLDERS[op][self.f], [self.expr(a) for a in e.args], e.pos)
                self.g.nodes[node]["via"] = op
                return node
            return self.op(op, [self.expr(a) for a in e.args], e.pos, **dict(e.options))
        if isinstance(e, Unary):
            return self.op(e.op, [self.expr(e.operand)], e.pos)
        if isinstance(e, Binary):
            return self.op(e.op, [self.expr(e.left), self.expr(e.right)], e.pos)
        if isinstance(e, Transpose):
            return self.op("transpose", [self.expr(e.operand)], e.pos)
        if isinstance(e, Power):
            return self.op("pow", [self.expr(e.base)], e.pos, k=e.exponent)
        if isinstance(e, Stack):
            return self.op("stack", [self.expr(i) for i in e.items], e.pos, axis=e.axis)
        raise TypeError(f"no graph rule for {type(e).__name__}")

    def leaf(self, name: str, pos: int, **fill: float) -> str:
        """A variable: its shape from the request, else inferred (1×1 for a number's `fill`)."""
        shape = self.declared_shapes.get(name) or ((1, 1) if fill else None)
        node = self.add(kind="variable", op=None, text=name, pos=pos, declared_shape=shape, **fill)
        self.g.nodes[node]["name"] = name
        self.variables[name] = node
        return node

    def op(self, op: str, inputs: list[str], pos: int, **params) -> str:
        node = self.add(inputs, kind="op", op=op, pos=pos, params=params, text="")
        _set_text(self.g, node)
        return node


CHILD_CHARS = 80   # an unnamed input's label longer than this is written … in its consumer's


def _set_text(g: nx.MultiDiGraph, node: str) -> None:
    """Write the node as an expression over its inputs' labels, parenthesised by precedence.
    A long unnamed input is "…" here (tanh(tanh(…))): each label stays short, so a deep nest's
    labels, and every text written from them, grow linearly with its depth, not as its square."""
    attrs = g.nodes[node]
    op = get_op(attrs["op"])
    labels = []
    for port, src in enumerate(_inputs(g, node)):
        child = g.nodes[src]
        text = child.get("name") or child["text"]
        named = child.get("name") or child["kind"] != "op"
        if not named and len(text) > CHILD_CHARS:
            text, named = "…", True
        prec = ATOM if named else get_op(child["op"]).precedence
        if op.precedence < ATOM and (prec < op.precedence or (
                prec == op.precedence and (op.arity != 2 or port == 1))):
            text = f"({text})"
        labels.append(text)
    attrs["text"] = op.text(tuple(labels), attrs["params"])


_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def build(program: Program, f: str, declared_shapes: Mapping[str, tuple[int, int]]) -> Graph:
    """Build the graph of a parsed program; shapes are inferred and broadcasts made explicit.

    A name assigned several times labels its versions c₁, c₂, …; a name whose first assignment
    is a number (`a = -4.0`) is a variable with that value, unless the request gives one."""
    b = _Builder(f, declared_shapes)
    times = Counter(st.name for st in program.statements if st.name)
    seen: Counter[str] = Counter()
    for st in program.statements:
        value = literal(st.expr) if st.name and not seen[st.name] else None
        if value is not None:
            node = b.leaf(st.name, st.pos, fill=value)
        else:
            node = b.expr(st.expr)
        if st.name is not None:
            seen[st.name] += 1
            b.env[st.name] = node
            if not b.g.nodes[node]["name"]:
                version = str(seen[st.name]).translate(_SUBSCRIPT) if times[st.name] > 1 else ""
                b.g.nodes[node]["name"] = st.name + version
    last = program.statements[-1]
    output_name = last.name or "out"
    output = b.env[last.name] if last.name else node
    if not b.g.nodes[output]["name"]:
        b.g.nodes[output]["name"] = output_name
    g = b.g
    order = [f"n{i}" for i in range(len(g))]
    inferred = shapes.infer(g, order, lambda n: _inputs(g, n), output, output_name,
                            last.pos)
    for node, shape in inferred.shapes.items():
        g.nodes[node]["shape"] = shape
        if g.nodes[node]["op"] == "repeat":      # the notes' Repeat: repeat(b, 10, axis=0)
            g.nodes[node]["params"]["shape"] = shape
    for node, op in inferred.renamed.items():
        g.nodes[node]["op"] = op
    order = _insert_repeats(b, order)
    for node in order:
        if g.nodes[node]["kind"] == "op":
            _set_text(g, node)
    return Graph(g, tuple(order), output, output_name, dict(b.variables))


def _insert_repeats(b: _Builder, order: list[str]) -> list[str]:
    """Where an elementwise op broadcasts an input, put a repeat node on that edge."""
    g = b.g
    out: list[str] = []
    for node in order:
        attrs = g.nodes[node]
        if attrs["kind"] == "op" and get_op(attrs["op"]).shape_rule == "broadcast":
            for port, src in enumerate(_inputs(g, node)):
                if g.nodes[src]["shape"] != attrs["shape"]:
                    g.remove_edge(src, node, key=port)
                    rep = b.add([src], kind="op", op="repeat", pos=attrs["pos"], text="",
                                params={"shape": attrs["shape"]})
                    g.nodes[rep]["shape"] = attrs["shape"]
                    g.add_edge(rep, node, key=port, port=port)
                    out.append(rep)
        out.append(node)
    return out
