"""Forward and backward passes over the graph → one typed Trace; knows ops only via the table.

The Trace is the contract between the engine and everything that shows it (renderer, web
layer, CLI, page): frozen dataclasses holding each array once. A node carries its value and
gradient; a backward step carries each input edge's local Jacobian and downstream contribution,
and refers to its node for the upstream gradient.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np

from . import deltas as delta_mod
from . import forms
from . import graph as graph_mod
from .jsonio import array, dumps, number
from .latex import to_latex
from .limits import MAX_JACOBIAN_NUMBERS
from .ops import get_op
from .rule import Names

if TYPE_CHECKING:
    from .gradcheck import GradientCheck

# ---------------------------------------------------------------- the trace


@dataclass(frozen=True)
class Node:
    """One node of the graph with what the passes computed for it (grad None: no gradient)."""

    id: str
    label: str
    kind: str                      # "variable" | "constant" | "op"
    op: str | None
    symbol: str | None
    shape: tuple[int, int]
    inputs: tuple[str, ...]        # input node ids, by port
    value: np.ndarray
    grad: np.ndarray | None

    @property
    def latex(self) -> str:
        return to_latex(self.label)


@dataclass(frozen=True)
class Edge:
    """An input edge: `source` is input number `port` of `target`."""

    source: str
    target: str
    port: int

    @property
    def id(self) -> str:
        return f"e-{self.source}-{self.target}-{self.port}"


@dataclass(frozen=True)
class ForwardStep:
    node: str
    formula: str

    @property
    def latex(self) -> str:
        return to_latex(self.formula)


@dataclass(frozen=True)
class EdgeGrad:
    """One input edge of a backward step: downstream = upstream × local."""

    node: str                      # the input (the edge's source)
    port: int
    local: np.ndarray | None       # ∂node/∂input, (node.size, input.size); None when too large
    local_formula: str
    downstream: np.ndarray         # this edge's contribution to ∂out/∂input, the input's shape
    shape_form: forms.Form         # the lecture's shape convention: ∂s/∂W = δ · xᵀ
    jacobian_form: forms.JacobianForm   # upstream row · local Jacobian, then reshaped

    @property
    def local_latex(self) -> str:
        return to_latex(self.local_formula)


@dataclass(frozen=True)
class BackwardStep:
    """The node's upstream gradient is `Trace.node(node).grad`, the sum of `contributions`:
    the downstream of each edge (consumer, port) that leaves this node."""

    node: str
    inputs: tuple[EdgeGrad, ...]
    contributions: tuple[tuple[str, int], ...]   # (consumer node id, port), in step order
    delta: delta_mod.Delta | None = None         # the δ this upstream is or came from
    fan_out: forms.Math | None = None            # ∂s/∂x = 3 + 1 (from its two uses)


Step = ForwardStep | BackwardStep


@dataclass(frozen=True)
class State:
    """What step k knows: nodes with a value, nodes with a gradient, the current step."""

    forward: frozenset[str]
    backward: frozenset[str]
    current: Step | None


@dataclass(frozen=True)
class Trace:
    expression: str
    parsed: str
    f: str
    seed: int
    output: str                    # the output node's id
    output_name: str
    nodes: tuple[Node, ...]        # in topological order
    edges: tuple[Edge, ...]        # by target, then port
    steps: tuple[Step, ...]        # every forward step, then the backward ones from the output
    variables: Mapping[str, str]   # variable name → node id, in order of first use
    warnings: tuple[str, ...] = field(default=())
    view: str = "vector"           # "scalar": the scalar expansion's trace (backprop_viz.scalar)
    scalar_nodes: int | None = None   # the scalar expansion's node count (MAX_SCALAR_NODES)
    closed_forms: Mapping[str, forms.Math | None] = field(default_factory=dict)  # by variable
    deltas: tuple[delta_mod.Definition, ...] = ()   # δ = u ∘ f′(z), in backward order
    gradient_check: GradientCheck | None = None    # set by inputs.trace, after the passes

    @cached_property
    def _by_id(self) -> dict[str, Node]:
        return {n.id: n for n in self.nodes}

    def node(self, node_id: str) -> Node:
        return self._by_id[node_id]

    @cached_property
    def delta_names(self) -> dict[str, str]:
        """Node id → the δ its gradient is (δ = ∂s/∂z, and ∂s/∂(Wx) after the add)."""
        return {s.node: s.delta.name for s in self.steps
                if isinstance(s, BackwardStep) and s.delta is not None and s.delta.equal}

    @property
    def value(self) -> float:
        return float(self.node(self.output).value[0, 0])

    def gradient(self, name: str) -> np.ndarray:
        """∂output/∂variable in the variable's own shape (zeros where nothing depends on it)."""
        node = self.node(self.variables[name])
        return node.grad if node.grad is not None else np.zeros(node.shape)

    @cached_property
    def gradients(self) -> Mapping[str, np.ndarray]:
        """Every variable's gradient by name (`t.gradients["W"]`), read-only: a notebook reads
        it, nothing may change the trace through it."""
        out = {}
        for name in self.variables:
            grad = self.gradient(name).view()
            grad.flags.writeable = False
            out[name] = grad
        return MappingProxyType(out)

    def export(self, path: str | Path) -> Path:
        """Write the trace to `path` by its suffix: every step as .pdf (a page per step) or
        .html (steps through offline); the finished diagram as .svg, .png or .dot. The
        exporter is imported here, so the engine itself never loads the renderer."""
        from .exports import write
        return write(self, path)

    def _repr_html_(self) -> str:
        """Jupyter shows the stepper inline: the standalone page in a sandboxed iframe."""
        from .standalone import html, iframe
        return iframe(html(self))

    @cached_property
    def edge_grads(self) -> dict[tuple[str, str, int], np.ndarray]:
        """(source, target, port) → what that edge carries back: the target's downstream."""
        return {(i.node, s.node, i.port): i.downstream
                for s in self.steps if isinstance(s, BackwardStep) for i in s.inputs}

    def state_at(self, k: int) -> State:
        """k steps applied (0 ≤ k ≤ N); the page keeps the same state in static/js/graph.js."""
        done = self.steps[:k]
        return State(
            forward=frozenset(s.node for s in done if isinstance(s, ForwardStep)),
            backward=frozenset(s.node for s in done if isinstance(s, BackwardStep)),
            current=done[-1] if done else None,
        )

    def to_json(self) -> bytes:
        return dumps(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        """The trace of docs/API.md (without `svg`), ready for `jsonio.dumps`."""
        return {
            "expression": self.expression, "parsed": self.parsed,
            "output": self.output_name, "output_id": self.output, "value": number(self.value),
            "f": self.f, "seed": self.seed,
            "variables": {name: {"node": n, "shape": list(self.node(n).shape),
                                 "value": array(self.node(n).value)}
                          for name, n in self.variables.items()},
            "gradients": {name: array(self.gradient(name)) for name in self.variables},
            "nodes": [{"id": n.id, "label": n.label, "latex": n.latex, "kind": n.kind, "op": n.op,
                       "symbol": n.symbol, "shape": list(n.shape), "inputs": list(n.inputs),
                       "value": array(n.value), "grad": array(n.grad)} for n in self.nodes],
            "edges": [{"source": e.source, "target": e.target, "port": e.port}
                      for e in self.edges],
            "steps": [self._step_dict(s) for s in self.steps],
            "warnings": list(self.warnings),
            "view": self.view, "scalar_nodes": self.scalar_nodes,
            "closed_forms": {name: _math(m) for name, m in self.closed_forms.items()},
            "deltas": [{"name": d.delta.name, "node": d.delta.node, "step": d.delta.step,
                        "text": d.math.text, "latex": d.math.latex} for d in self.deltas],
            "gradient_check": self.gradient_check and self.gradient_check.to_dict(),
        }


    def _step_dict(self, step: Step) -> dict[str, Any]:
        if isinstance(step, ForwardStep):
            return {"phase": "forward", "node": step.node, "formula": step.formula,
                    "latex": step.latex}
        return {
            "phase": "backward", "node": step.node,
            "inputs": [{"node": e.node, "port": e.port, "local": array(e.local),
                        "local_formula": e.local_formula, "local_latex": e.local_latex,
                        # an input fed by this edge alone has it as its whole gradient: the
                        # array is sent once, as the input node's `grad`
                        "downstream": (None if e.downstream is self.node(e.node).grad
                                       else array(e.downstream)),
                        "shape_form": _shape_form(e.shape_form),
                        "jacobian_form": _jacobian_form(e.jacobian_form)}
                       for e in step.inputs],
            "contributions": [{"node": n, "port": p} for n, p in step.contributions],
            "delta": None if step.delta is None else {
                "name": step.delta.name, "latex": step.delta.latex, "step": step.delta.step,
                "defines": step.delta.defines, "equal": step.delta.equal},
            "fan_out": _math(step.fan_out),
        }


def _math(m: forms.Math | None) -> Any:
    return None if m is None else {"text": m.text, "latex": m.latex}


def _ref(ref: forms.Ref) -> dict[str, Any]:
    if isinstance(ref, forms.ValueRef):
        return {"value": array(ref.value)}
    where: dict[str, Any] = ({"node": ref.node, "of": ref.of} if isinstance(ref, forms.NodeRef)
                             else {"upstream": True})
    where |= {"transpose": ref.transpose, "negate": ref.negate}
    if isinstance(ref, forms.UpstreamRef) and ref.block is not None:
        axis, start, stop = ref.block
        where["block"] = {"axis": axis, "start": start, "stop": stop}
    return where


def _shape_form(f: forms.Form) -> dict[str, Any]:
    return {**_math(f.equation),
            "lhs": {**_math(f.lhs), "shape": list(f.lhs_shape)},
            "factors": [{**_math(x.math), "shape": list(x.shape), "ref": _ref(x.ref)}
                        for x in f.factors],
            "operators": list(f.operators), "note": f.note}


def _jacobian_form(j: forms.JacobianForm) -> dict[str, Any]:
    return {**_math(j.equation), "upstream_shape": list(j.upstream_shape),
            "local_shape": list(j.local_shape), "product_shape": list(j.product_shape),
            "reshape": j.reshape}


# ---------------------------------------------------------------- the passes

def forward(gr: graph_mod.Graph, leaves: Mapping[str, np.ndarray],
            reuse: Mapping[str, np.ndarray] | None = None,
            nodes: Iterable[str] | None = None) -> dict[str, np.ndarray]:
    """Every node's value, in topological order. Given an earlier pass's values in `reuse`,
    only `nodes` (in topological order) are computed again: the gradient check recomputes
    just what a perturbed variable reaches."""
    g = gr.g
    values: dict[str, np.ndarray] = dict(reuse or {})
    with np.errstate(all="ignore"):
        for node in gr.order if nodes is None else nodes:
            attrs = g.nodes[node]
            if attrs["kind"] == "variable":
                values[node] = leaves[node]
            elif attrs["kind"] == "constant":
                values[node] = np.full((1, 1), attrs["constant"])
            else:
                args = tuple(values[i] for i in gr.inputs(node))
                values[node] = get_op(attrs["op"]).forward(args, attrs["params"])
    return values


def run(gr: graph_mod.Graph, leaves: Mapping[str, np.ndarray], *, expression: str, parsed: str,
        f: str, seed: int, warnings: tuple[str, ...] = ()) -> Trace:
    """Forward then backward over `gr`; `leaves` holds every variable node's value."""
    g = gr.g
    values = forward(gr, leaves)
    steps: list[Step] = [ForwardStep(node, _formula(g.nodes[node])) for node in gr.order]
    with np.errstate(all="ignore"):
        grads, backward, composed = _backward(gr, values)
    steps.extend(backward)
    nodes = tuple(_node(gr, n, values[n], grads.get(n)) for n in gr.order)
    edges = tuple(Edge(s, t, p) for s, t, p in
                  sorted(g.edges(keys=True), key=lambda e: (int(e[1][1:]), e[2])))
    notes = (*warnings, *_non_finite(gr, values, "value"), *_non_finite(gr, grads, "gradient"))
    closed, defined = delta_mod.closed_forms(composed, gr.output, gr.output_name, gr.variables)
    return Trace(expression, parsed, f, seed, gr.output, gr.output_name, nodes, edges,
                 tuple(steps), dict(gr.variables), notes, closed_forms=closed, deltas=defined)


def _formula(attrs: Mapping[str, Any]) -> str:
    """A forward step's formula: the variable's name, the constant as written, `z = W · x`."""
    if attrs["kind"] == "variable":
        return attrs["name"]
    if attrs["kind"] == "constant":
        return attrs["text"]
    return f"{attrs['name']} = {attrs['text']}" if attrs["name"] else attrs["text"]


def _node(gr: graph_mod.Graph, nid: str, value: np.ndarray, grad: np.ndarray | None) -> Node:
    attrs = gr.g.nodes[nid]
    op = attrs["op"]
    return Node(nid, gr.label(nid), attrs["kind"], op, get_op(op).symbol if op else None,
                tuple(attrs["shape"]), tuple(gr.inputs(nid)), value, grad)


def _needs_grad(gr: graph_mod.Graph) -> set[str]:
    """Nodes that depend on some variable: only they get a gradient (as in PyTorch)."""
    out: set[str] = set()
    for node in gr.order:
        if gr.g.nodes[node]["kind"] == "variable" or any(i in out for i in gr.inputs(node)):
            out.add(node)
    return out


def _backward(gr: graph_mod.Graph, values: dict[str, np.ndarray]
              ) -> tuple[dict[str, np.ndarray], list[BackwardStep], list[delta_mod.Backward]]:
    """Reverse topological order from the output with upstream 1; fan-out sums contributions.
    Each step names its δ and writes each edge the lecture's two ways (forms, deltas)."""
    g = gr.g
    live = _needs_grad(gr) & (nx.ancestors(g, gr.output) | {gr.output})
    parts: dict[str, list[tuple[str, int, np.ndarray]]] = {n: [] for n in live}
    grads: dict[str, np.ndarray] = {}
    steps: list[BackwardStep] = []
    composed: list[delta_mod.Backward] = []
    namer = delta_mod.Namer()
    said = lecture_labels(gr)
    for node in reversed(gr.order):
        if node not in live:
            continue
        if node == gr.output:
            upstream = np.ones_like(values[node])
        else:
            first, *rest = (d for _, _, d in parts[node])
            upstream = sum(rest, start=first)
        grads[node] = upstream
        attrs = g.nodes[node]
        args = gr.inputs(node) if attrs["kind"] == "op" else []
        delta = namer.name(node, upstream, step=len(gr.order) + len(steps) + 1,
                           fans=node != gr.output and sum(a in live for a in args) >= 2,
                           consumers=[c for c, _, _ in parts[node]])
        edges = []
        rule = None
        if attrs["kind"] == "op":
            op = get_op(attrs["op"])
            ins = tuple(values[i] for i in args)
            out = values[node]
            labels = tuple(_child_label(gr, i) for i in args)
            shapes = tuple(v.shape for v in ins)
            up = (delta.name if delta is not None and delta.equal else "1" if node == gr.output
                  else forms.gradient_name(gr.output_name, said[node]))
            step = forms.Step(gr.output_name, node, _parenthesised(said[node]), tuple(args),
                              Names(up, tuple(_parenthesised(said[i]) for i in args), shapes,
                                    _parenthesised(said[node]), out.shape, attrs["params"],
                                    attrs.get("via")))
            rule = (op, step)
            for port, src in enumerate(args):
                if src not in live:
                    continue
                down = op.vjp(upstream, port, ins, out, attrs["params"])
                local = (op.jacobian(port, ins, out, attrs["params"])
                         if out.size * ins[port].size <= MAX_JACOBIAN_NUMBERS else None)
                formula = op.local_formula(port, labels, shapes, out.shape, attrs["params"])
                form, written = forms.shape_form(op, port, step, ins, out, upstream)
                jac = forms.jacobian_form(form, step, port, upstream.shape, written.entry)
                edges.append(EdgeGrad(src, port, local, formula, down, form, jac))
                parts[src].append((node, port, down))
        contributions = tuple((n, p) for n, p, _ in parts[node])
        fan = delta_mod.fan_out(gr.output_name, said[node],
                                [(said[n], d) for n, _, d in parts[node]])
        steps.append(BackwardStep(node, tuple(edges), contributions, delta, fan))
        composed.append(delta_mod.Backward(node, said[node], rule, contributions, delta))
    return grads, steps, composed


def _child_label(gr: graph_mod.Graph, node: str) -> str:
    return _parenthesised(gr.label(node))


def _parenthesised(label: str) -> str:
    return f"({label})" if " " in label else label


def lecture_labels(gr: graph_mod.Graph) -> dict[str, str]:
    """Each node's label in the lecture's forms: its own, except that where the placeholder f
    is written once and neither its argument nor its value has a name, they are z and h, as
    the lecture writes s = uᵀ f(Wx + b) out (z = Wx + b, h = f(z))."""
    said = {n: gr.label(n) for n in gr.order}
    named = {a["name"] for _, a in gr.g.nodes(data=True) if a["name"]}
    applied = [n for n in gr.order if gr.g.nodes[n].get("via") == "f"]
    if len(applied) == 1:
        h = applied[0]
        for node, name in ((gr.inputs(h)[0], "z"), (h, "h")):
            attrs = gr.g.nodes[node]
            if attrs["kind"] == "op" and not attrs["name"] and name not in named:
                said[node] = name
    return said


def _non_finite(gr: graph_mod.Graph, arrays: dict[str, np.ndarray], what: str) -> list[str]:
    """One warning naming the first node (in forward order) whose array is not all finite."""
    for node in gr.order:
        if node in arrays and not np.isfinite(arrays[node]).all():
            return [f"the {what} of {gr.label(node)} ({node}) is not finite (NaN or ±∞); "
                    f"everything computed from it is affected"]
    return []
