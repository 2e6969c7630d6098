"""The typed trace: the contract between the engine and everything that shows it (renderer,
web layer, CLI, page): frozen dataclasses holding each array once, and their JSON (docs/API.md).

A node carries its value and gradient; a backward step carries each input edge's local Jacobian
and downstream contribution, and refers to its node for the upstream gradient.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any

import numpy as np

from . import deltas as delta_mod
from . import forms
from .checks import GradientCheck
from .errors import Said, coded
from .jsonio import array, dumps, number
from .latex import to_latex

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
    warnings: tuple[Said, ...] = field(default=())
    view: str = "vector"           # "scalar": the scalar expansion's trace (backprop_viz.scalar)
    scalar_nodes: int | None = None   # the scalar expansion's node count (MAX_SCALAR_NODES)
    closed_forms: Mapping[str, forms.Math | None] = field(default_factory=dict)  # by variable
    deltas: tuple[delta_mod.Definition, ...] = ()   # δ = u ∘ f′(z), in backward order
    names: tuple[forms.Named, ...] = ()    # z = W · x + b: names the forms use, defined once
    gradient_check: GradientCheck | None = None    # set by inputs.trace, after the passes
    splits: tuple[str, ...] = ()   # runs the parser read as products (Wx → W · x)

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
            "warnings": list(self.warnings), "warning_codes": coded(self.warnings),
            "splits": list(self.splits),
            "view": self.view, "scalar_nodes": self.scalar_nodes,
            "closed_forms": {name: _math(m) for name, m in self.closed_forms.items()},
            "deltas": [{"name": d.delta.name, "node": d.delta.node, "step": d.delta.step,
                        "text": d.math.text, "latex": d.math.latex,
                        "given": d.given and {"node": d.given.node, "axis": d.given.axis,
                                              "text": d.given.text,
                                              "text_code": _code(d.given.text),
                                              "condition_code": _code(d.given.condition)}}
                       for d in self.deltas],
            "names": [{"node": n.node, "name": n.name, **_math(n.definition)}
                      for n in self.names],
            "gradient_check": self.gradient_check and self.gradient_check.to_dict(),
        }


    def numbers_dict(self) -> dict[str, Any]:
        """What `to_dict` holds that changes with the numbers, for a page that already holds
        the structure (docs/API.md, "numbers only"): aligned with its nodes and backward steps."""
        first = len(self.nodes)
        return {
            "seed": self.seed, "value": number(self.value), "warnings": list(self.warnings),
            "warning_codes": coded(self.warnings),
            "gradient_check": self._check_numbers(),
            "nodes": [[array(n.value), array(n.grad)] for n in self.nodes],
            "backward": [{"inputs": [self._edge_numbers(e) for e in s.inputs],
                          "fan_out": _math(s.fan_out)}
                         for s in self.steps[first:] if isinstance(s, BackwardStep)],
        }

    def _check_numbers(self) -> dict[str, Any] | None:
        """The gradient check without what the gradients already say: a variable checked entry
        by entry (or on a subset) has backprop's side equal to its gradient (or to those
        entries of it), so `backprop` is null there, as an edge's sole downstream is."""
        if self.gradient_check is None:
            return None
        out = self.gradient_check.to_dict()
        for check in out["variables"].values():
            if check["method"] in ("entries", "subset"):
                check["backprop"] = None
        return out

    def _edge_numbers(self, e: EdgeGrad) -> dict[str, Any]:
        return {"local": local_json(e.local),
                "downstream": (None if e.downstream is self.node(e.node).grad
                               else array(e.downstream)),
                "factors": [array(f.ref.value) for f in e.shape_form.factors
                            if isinstance(f.ref, forms.ValueRef)]}

    def _step_dict(self, step: Step) -> dict[str, Any]:
        if isinstance(step, ForwardStep):
            return {"phase": "forward", "node": step.node, "formula": step.formula,
                    "latex": step.latex}
        return {
            "phase": "backward", "node": step.node,
            "inputs": [{"node": e.node, "port": e.port, "local": local_json(e.local),
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


def local_json(j: np.ndarray | None) -> Any:
    """A local Jacobian as sent: the identity by its size, a diagonal by its entries, I_n ⊗ B
    (a matrix product's ∂(WX)/∂W = I ⊗ Xᵀ) by its block B and n; any other as the whole
    matrix. The page expands them (static/js/state.js)."""
    if j is None:
        return None
    n, m = j.shape
    # I_k ⊗ B (k ≥ 2) and a diagonal are at least half zeros: anything else is dense at once
    nonzero = np.count_nonzero(j)   # NaN counts: a NaN off the diagonal is never structured
    if n < 2 or 2 * nonzero > j.size:
        return array(j)
    if n == m:
        d = np.diagonal(j)
        # every nonzero on the diagonal, and a finite one (NaN − NaN would not be 0)
        if np.count_nonzero(d) == nonzero and np.isfinite(d).all():
            return {"identity": n} if (d == 1).all() else {"diagonal": _flat(d)}
    with np.errstate(all="ignore"):
        found = _eye_kron(j)
    if found is not None:
        return {"kron": array(found[1]), "n": found[0]}
    return array(j)


def _eye_kron(j: np.ndarray) -> tuple[int, np.ndarray] | None:
    """(n, B) with j = I_n ⊗ B for the largest n ≥ 2 there is, or None."""
    rows, cols = j.shape
    for n in range(min(rows, cols), 1, -1):
        r, c = rows // n, cols // n
        if rows % n or cols % n or j[:r, c:].any():
            continue
        block = j[:r, :c]
        # block (i, k) of j is B where i = k and 0 elsewhere (NaN is never equal: dense)
        eye = np.eye(n, dtype=bool)[:, None, :, None]
        if np.array_equal(j.reshape(n, r, n, c), np.where(eye, block[None, :, None, :], 0.0)):
            return n, np.ascontiguousarray(block)
    return None


def _flat(v: np.ndarray) -> Any:
    return array(v.reshape(1, -1))[0]


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
            "operators": list(f.operators), "note": f.note, "note_code": _code(f.note)}


def _jacobian_form(j: forms.JacobianForm) -> dict[str, Any]:
    return {**_math(j.equation), "upstream_shape": list(j.upstream_shape),
            "local_shape": list(j.local_shape), "product_shape": list(j.product_shape),
            "reshape": j.reshape, "reshape_code": _code(j.reshape)}


def _code(said: Said) -> dict[str, Any]:
    """Words the trace carries by key (a note, a reshape, a condition), for a reader to say
    in its language; the English text is beside it."""
    return {"code": said.code, "params": said.params}
