"""Forward and backward passes over the graph, step by step; knows ops only via the table."""

from __future__ import annotations

import math
import re
import sys
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np

from . import graph as graph_mod
from .errors import BackpropError
from .limits import (
    MAX_DIM,
    MAX_ELEMENTS_PER_ARRAY,
    MAX_ELEMENTS_TOTAL,
    MAX_EXPRESSION_CHARS,
    MAX_JACOBIAN_NUMBERS,
)
from .ops import get_op
from .parser import parse, unparse
from .syntax import F_CHOICES

NAME = re.compile(r"^[^\W\d_][\w]*$")


# ---------------------------------------------------------------- steps and the trace

@dataclass(frozen=True)
class ForwardStep:
    node: str
    formula: str
    value: np.ndarray


@dataclass(frozen=True)
class EdgeGrad:
    """One input edge of a backward step: downstream = upstream × local."""

    node: str
    port: int
    local: np.ndarray | None       # ∂node/∂input, (node.size, input.size); None when too large
    local_formula: str
    downstream: np.ndarray


@dataclass(frozen=True)
class BackwardStep:
    node: str
    upstream: np.ndarray
    inputs: tuple[EdgeGrad, ...]
    contributions: tuple[tuple[str, np.ndarray], ...]   # (consumer, its downstream), summed


@dataclass(frozen=True)
class Trace:
    expression: str
    parsed: str
    f: str
    seed: int
    graph: graph_mod.Graph
    values: dict[str, np.ndarray]
    grads: dict[str, np.ndarray]
    steps: tuple[ForwardStep | BackwardStep, ...]
    warnings: tuple[str, ...] = field(default=())

    @property
    def value(self) -> float:
        return float(self.values[self.graph.output][0, 0])

    def gradient(self, name: str) -> np.ndarray:
        """∂output/∂variable in the variable's own shape."""
        node = self.graph.variables[name]
        return self.grads.get(node, np.zeros(self.values[node].shape))

    def to_json(self) -> dict[str, Any]:
        """The trace of API.md (without `svg`): JSON-safe, non-finite numbers as strings."""
        g = self.graph.g
        nodes = []
        for node in self.graph.order:
            attrs = g.nodes[node]
            op = attrs["op"]
            nodes.append({
                "id": node, "label": self.graph.label(node), "kind": attrs["kind"], "op": op,
                "symbol": get_op(op).symbol if op else None,
                "shape": list(attrs["shape"]), "value": encode(self.values[node]),
                "grad": encode(self.grads[node]) if node in self.grads else None,
            })
        return {
            "expression": self.expression, "parsed": self.parsed,
            "output": self.graph.output_name, "value": encode(self.value),
            "f": self.f, "seed": self.seed,
            "variables": {name: {"shape": list(self.values[n].shape),
                                 "value": encode(self.values[n])}
                          for name, n in self.graph.variables.items()},
            "gradients": {name: encode(self.gradient(name)) for name in self.graph.variables},
            "nodes": nodes,
            "edges": [{"source": s, "target": t, "port": p}
                      for s, t, p in sorted(g.edges(keys=True), key=lambda e: (_num(e[1]), e[2]))],
            "steps": [_step_json(s) for s in self.steps],
            "warnings": list(self.warnings),
        }


def _num(node: str) -> int:
    return int(node[1:])


def _step_json(step: ForwardStep | BackwardStep) -> dict[str, Any]:
    if isinstance(step, ForwardStep):
        return {"phase": "forward", "node": step.node, "formula": step.formula,
                "value": encode(step.value)}
    return {
        "phase": "backward", "node": step.node, "upstream": encode(step.upstream),
        "inputs": [{"node": e.node, "port": e.port,
                    "local": None if e.local is None else encode(e.local),
                    "local_formula": e.local_formula, "downstream": encode(e.downstream)}
                   for e in step.inputs],
        "contributions": [{"node": n, "downstream": encode(d)} for n, d in step.contributions],
    }


def encode(x: np.ndarray | float) -> Any:
    """Nested lists of floats; NaN and ±∞ become "NaN", "Infinity", "-Infinity" (valid JSON)."""
    if isinstance(x, np.ndarray) and np.isfinite(x).all():
        return x.tolist()
    if isinstance(x, np.ndarray):
        return [[_finite_or_text(v) for v in row] for row in x.tolist()]
    return _finite_or_text(float(x))


def _finite_or_text(v: float) -> float | str:
    if math.isfinite(v):
        return v
    return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")


# ---------------------------------------------------------------- request → arrays

def _spec_error(name: str, detail: str) -> BackpropError:
    return BackpropError(f"variable {name}: {detail}", None)


def _as_array(name: str, value: Any) -> np.ndarray:
    """A number is 1×1, a flat list a column vector, a list of lists a matrix row by row."""
    def number(v: Any) -> float:
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise _spec_error(name, f"{v!r} is not a number")
        try:
            if math.isfinite(v):
                return float(v)
        except OverflowError:   # an integer beyond float's range, e.g. 10**400
            pass
        raise _spec_error(name, f"values must be finite numbers within ±{sys.float_info.max:.3g}")

    if not isinstance(value, list):
        return np.array([[number(value)]])
    if not value:
        raise _spec_error(name, "the value is an empty list")
    if all(not isinstance(v, list) for v in value):
        _check_size(name, (len(value), 1))
        return np.array([[number(v)] for v in value])
    if not all(isinstance(row, list) for row in value):
        raise _spec_error(name, "mixes numbers and lists: give a flat list or a list of rows")
    width = len(value[0])
    if width == 0 or any(len(row) != width for row in value):
        raise _spec_error(name, "rows must all have the same, non-zero length "
                                "(the value is ragged)")
    _check_size(name, (len(value), width))
    return np.array([[number(v) for v in row] for row in value])


def _check_size(name: str, shape: tuple[int, int]) -> None:
    for d in shape:
        if d > MAX_DIM:
            raise _spec_error(name, f"dimension {d} is larger than the limit {MAX_DIM}")
    if shape[0] * shape[1] > MAX_ELEMENTS_PER_ARRAY:
        raise _spec_error(name, f"{shape[0]}×{shape[1]} = {shape[0] * shape[1]} numbers is "
                                f"more than the limit {MAX_ELEMENTS_PER_ARRAY} for one array")


def _read_variables(variables: Any) -> tuple[dict[str, tuple[int, int]], dict[str, np.ndarray]]:
    if variables is None:
        return {}, {}
    if not isinstance(variables, Mapping):
        raise BackpropError("variables must be an object: {name: {shape} or {value}}", None)
    shapes, values = {}, {}
    for name, spec in variables.items():
        if not isinstance(name, str) or not NAME.match(name) or "ᵀ" in name:
            raise BackpropError(f"{name!r} is not a variable name", None)
        if not isinstance(spec, Mapping):
            raise _spec_error(name, 'give {"shape": [rows, columns]} or {"value": ...}')
        unknown = set(spec) - {"shape", "value"}
        if unknown:
            raise _spec_error(name, f"unknown field {sorted(unknown)[0]!r} (use shape or value)")
        shape = None
        if "shape" in spec:
            shape = spec["shape"]
            if (not isinstance(shape, list) or len(shape) != 2
                    or not all(isinstance(d, int) and not isinstance(d, bool) for d in shape)):
                raise _spec_error(name, "shape must be two whole numbers [rows, columns]")
            if min(shape) < 1:
                raise _spec_error(name, f"shape {shape[0]}×{shape[1]} must be at least 1×1")
            _check_size(name, tuple(shape))
            shape = (shape[0], shape[1])
        if "value" in spec:
            values[name] = _as_array(name, spec["value"])
            if shape and shape != values[name].shape:
                raise _spec_error(name, f"the value is {values[name].shape[0]}×"
                                        f"{values[name].shape[1]} but the shape says "
                                        f"{shape[0]}×{shape[1]}")
            shape = values[name].shape
        if shape:
            shapes[name] = shape
    return shapes, values


def _draw(name: str, shape: tuple[int, int], seed: int) -> np.ndarray:
    """Uniform in [−1, 1], rounded to 2 decimals so they read like the lecture's. (Standard
    normal values saturated 37–51 % of the tanh units of the lecture's presets over 30 seeds,
    so most gradients shown were near 0; uniform ones saturate 2–16 %.) One stream per name,
    so changing one variable's shape leaves the others' numbers alone."""
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
    return rng.uniform(-1.0, 1.0, shape).round(2)


# ---------------------------------------------------------------- the passes

def run(expression: str, variables: Any = None, f: str = "tanh", seed: int = 0) -> Trace:
    """Parse, build, run forward and backward; every user mistake is a BackpropError."""
    if not isinstance(expression, str):
        raise BackpropError("expression must be a string", None)
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise BackpropError(f"the expression is {len(expression)} characters long; the limit is "
                            f"{MAX_EXPRESSION_CHARS}", MAX_EXPRESSION_CHARS)
    if f not in F_CHOICES:
        raise BackpropError(f"f must be one of {', '.join(F_CHOICES)}, not {f!r}", None)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise BackpropError(f"seed must be a whole number from 0 to 2⁶³−1, not {seed!r}", None)
    shapes, given = _read_variables(variables)
    program = parse(expression, frozenset(shapes) | frozenset(given) | frozenset(variables or ()))
    gr = graph_mod.build(program, f, shapes)
    g = gr.g
    warnings = []
    for name in (variables or {}):
        if name not in gr.variables:  # (an assigned name given a value: the parser refuses it)
            warnings.append(f"variable {name} is not in the expression; it was ignored")
    _check_sizes(gr)

    values: dict[str, np.ndarray] = {}
    steps: list[ForwardStep | BackwardStep] = []
    with np.errstate(all="ignore"):
        for node in gr.order:
            attrs = g.nodes[node]
            if attrs["kind"] == "variable":
                name = attrs["name"]
                values[node] = (given[name] if name in given
                                else np.full(attrs["shape"], attrs["fill"]) if "fill" in attrs
                                else _draw(name, attrs["shape"], seed))
                formula = name
            elif attrs["kind"] == "constant":
                values[node] = np.full((1, 1), attrs["constant"])
                formula = attrs["text"]
            else:
                args = tuple(values[i] for i in gr.inputs(node))
                values[node] = get_op(attrs["op"]).forward(args, attrs["params"])
                formula = f"{attrs['name']} = {attrs['text']}" if attrs["name"] else attrs["text"]
            steps.append(ForwardStep(node, formula, values[node]))
        grads, backward = _backward(gr, values)
    steps.extend(backward)
    warnings.extend(_non_finite(gr, values, "value"))
    warnings.extend(_non_finite(gr, grads, "gradient"))
    return Trace(expression, unparse(program), f, seed, gr, values, grads, tuple(steps),
                 tuple(warnings))


def _check_sizes(gr: graph_mod.Graph) -> None:
    """Refuse a graph too large to hold before allocating any array."""
    total = 0
    for node in gr.order:
        r, c = gr.g.nodes[node]["shape"]
        where = gr.g.nodes[node].get("pos")
        if max(r, c) > MAX_DIM:
            raise BackpropError(f"{gr.label(node)} would be {r}×{c}: dimension {max(r, c)} is "
                                f"larger than the limit {MAX_DIM}", where)
        if r * c > MAX_ELEMENTS_PER_ARRAY:
            raise BackpropError(f"{gr.label(node)} would be {r}×{c} = {r * c} numbers, more than "
                                f"the limit {MAX_ELEMENTS_PER_ARRAY} for one array", where)
        total += r * c
    if total > MAX_ELEMENTS_TOTAL:
        raise BackpropError(f"the graph would hold {total} numbers in all, more than the limit "
                            f"{MAX_ELEMENTS_TOTAL}", None)


def _needs_grad(gr: graph_mod.Graph) -> set[str]:
    """Nodes that depend on some variable: only they get a gradient (as in PyTorch)."""
    out: set[str] = set()
    for node in gr.order:
        if gr.g.nodes[node]["kind"] == "variable" or any(i in out for i in gr.inputs(node)):
            out.add(node)
    return out


def _backward(gr: graph_mod.Graph, values: dict[str, np.ndarray]):
    """Reverse topological order from the output with upstream 1; fan-out sums contributions."""
    g = gr.g
    live = _needs_grad(gr) & (nx.ancestors(g, gr.output) | {gr.output})
    parts: dict[str, list[tuple[str, np.ndarray]]] = {n: [] for n in live}
    grads: dict[str, np.ndarray] = {}
    steps: list[BackwardStep] = []
    for node in reversed(gr.order):
        if node not in live:
            continue
        if node == gr.output:
            upstream = np.ones_like(values[node])
        else:
            first, *rest = (d for _, d in parts[node])
            upstream = sum(rest, start=first)
        grads[node] = upstream
        attrs = g.nodes[node]
        edges = []
        if attrs["kind"] == "op":
            op = get_op(attrs["op"])
            args = gr.inputs(node)
            ins = tuple(values[i] for i in args)
            out = values[node]
            labels = tuple(_child_label(gr, i) for i in args)
            shapes = tuple(v.shape for v in ins)
            for port, src in enumerate(args):
                if src not in live:
                    continue
                down = op.vjp(upstream, port, ins, out, attrs["params"])
                local = (op.jacobian(port, ins, out, attrs["params"])
                         if out.size * ins[port].size <= MAX_JACOBIAN_NUMBERS else None)
                formula = op.local_formula(port, labels, shapes, out.shape, attrs["params"])
                edges.append(EdgeGrad(src, port, local, formula, down))
                parts[src].append((node, down))
        steps.append(BackwardStep(node, upstream, tuple(edges), tuple(parts.get(node, ()))))
    return grads, steps


def _child_label(gr: graph_mod.Graph, node: str) -> str:
    label = gr.label(node)
    return f"({label})" if " " in label else label


def _non_finite(gr: graph_mod.Graph, arrays: dict[str, np.ndarray], what: str) -> list[str]:
    """One warning naming the first node (in forward order) whose array is not all finite."""
    for node in gr.order:
        if node in arrays and not np.isfinite(arrays[node]).all():
            return [f"the {what} of {gr.label(node)} ({node}) is not finite (NaN or ±∞); "
                    f"everything computed from it is affected"]
    return []


def trace_json(expression: str, variables: Any = None, f: str = "tanh",
               seed: int = 0) -> dict[str, Any]:
    """The JSON-ready trace of API.md, without `svg`."""
    return run(expression, variables, f, seed).to_json()
