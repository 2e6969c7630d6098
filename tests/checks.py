"""What every answer of /api/trace must satisfy, whatever was asked: shared by the fuzz tests and
the test that serves the app through gunicorn, so both hold the server to the same contract."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from backprop_viz import i18n, trace

NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
TRACE_FIELDS = {"expression", "parsed", "output", "output_id", "value", "variables",
                "gradients", "nodes", "edges", "steps", "f", "seed", "warnings",
                "closed_forms", "deltas"}
NODE_FIELDS = {"id", "label", "kind", "op", "symbol", "shape", "inputs", "value", "grad"}


def tanh_net(layers: int) -> tuple[str, dict]:
    """Issue 7's workload: h_i = tanh(W_i h_{i−1} + b_i), s = uᵀ h_L, with 4×4 weights."""
    lines = ["h0 = x"] + [f"h{i} = tanh(W{i} h{i - 1} + b{i})" for i in range(1, layers + 1)]
    variables = {"x": {"shape": [4, 1]}}
    for i in range(1, layers + 1):
        variables |= {f"W{i}": {"shape": [4, 4]}, f"b{i}": {"shape": [4, 1]}}
    return "\n".join([*lines, f"s = uᵀ h{layers}"]), variables


def trace_json(*args: Any, **kwargs: Any) -> dict:
    """The trace as a client reads it: through its JSON text."""
    return strict_json(trace(*args, **kwargs).to_json())


def strict_json(text: str) -> Any:
    """JSON as RFC 8259 has it: Python's json module would accept bare NaN and Infinity."""
    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def check_error(body: Any, expression: Any) -> None:
    """A 400: exactly `{"error", "code", "params", "position"}`, the position inside the
    expression or null, the code one the catalogs hold."""
    assert isinstance(body, dict) and set(body) == {"error", "code", "params", "position"}, body
    assert body["code"] in i18n.catalog("en") and isinstance(body["params"], dict), body
    assert isinstance(body["error"], str) and body["error"].strip(), body
    check_position(body["position"], expression)


def check_position(position: Any, expression: Any) -> None:
    if position is None:
        return
    assert type(position) is int, position
    assert isinstance(expression, str), (position, expression)
    assert 0 <= position <= len(expression), (position, len(expression))


def matrix(value: Any, shape: list[int] | tuple[int, int] | None = None) -> np.ndarray:
    """A 2-D array of the response's numbers, "NaN"/"±Infinity" read back as floats."""
    assert isinstance(value, list) and value and all(isinstance(row, list) for row in value)
    assert len({len(row) for row in value}) == 1, "ragged"
    array = np.array([[number(v) for v in row] for row in value], dtype=float)
    if shape is not None:
        assert list(array.shape) == list(shape), (array.shape, shape)
    return array


def number(v: Any) -> float:
    if isinstance(v, str):
        assert v in NON_FINITE, v
        return NON_FINITE[v]
    assert isinstance(v, int | float) and not isinstance(v, bool), v
    assert math.isfinite(v), v
    return float(v)


def check_trace(trace: Any, expression: str, *, svg: bool) -> None:
    """A 200: the fields of API.md, a consistent graph, and downstream = upstream · local on
    every backward edge that shows its local Jacobian."""
    assert isinstance(trace, dict)
    assert TRACE_FIELDS | ({"svg"} if svg else set()) <= set(trace), set(trace)
    assert trace["expression"] == expression
    assert isinstance(trace["parsed"], str) and trace["parsed"]
    assert isinstance(trace["output"], str) and trace["output"]
    number(trace["value"])

    nodes = _check_nodes(trace["nodes"])
    assert set(trace["variables"]) == set(trace["gradients"])
    for name, spec in trace["variables"].items():
        shape = spec["shape"]
        matrix(spec["value"], shape)
        matrix(trace["gradients"][name], shape)
    edges = _check_edges(trace["edges"], nodes)
    for node in nodes.values():
        assert [(s, node["id"]) for s in node["inputs"]] == [
            (e["source"], e["target"]) for e in trace["edges"] if e["target"] == node["id"]]
    forward = [s for s in trace["steps"] if s["phase"] == "forward"]
    backward = trace["steps"][len(forward):]
    assert all(s["phase"] == "backward" for s in backward), "forward steps come first"
    _check_forward(forward, nodes, edges)
    _check_backward(backward, nodes, edges, trace["value"])
    if backward:
        assert trace["output_id"] == backward[0]["node"]
    if svg:
        assert isinstance(trace["svg"], str) and "<svg" in trace["svg"]
        for nid in nodes:
            assert f'id="{nid}"' in trace["svg"], nid


def _check_nodes(nodes: Any) -> dict[str, dict]:
    assert isinstance(nodes, list) and nodes
    by_id = {}
    for node in nodes:
        assert NODE_FIELDS <= set(node), node
        assert node["id"] not in by_id, f"duplicate id {node['id']}"
        assert node["kind"] in ("variable", "constant", "op")
        assert (node["op"] is None) == (node["kind"] != "op"), node
        rows, cols = node["shape"]
        assert type(rows) is int and type(cols) is int and rows >= 1 and cols >= 1
        matrix(node["value"], node["shape"])
        if node["grad"] is not None:
            matrix(node["grad"], node["shape"])
        by_id[node["id"]] = node
    return by_id


def _check_edges(edges: Any, nodes: dict[str, dict]) -> set[tuple[str, str]]:
    ports: dict[str, list[int]] = {}
    for edge in edges:
        assert edge["source"] in nodes and edge["target"] in nodes, edge
        assert type(edge["port"]) is int
        ports.setdefault(edge["target"], []).append(edge["port"])
    for target, seen in ports.items():
        assert sorted(seen) == list(range(len(seen))), (target, seen)
    return {(e["source"], e["target"]) for e in edges}


def _check_forward(steps: list[dict], nodes: dict[str, dict],
                   edges: set[tuple[str, str]]) -> None:
    """Every node once, each after all of its inputs."""
    order = [s["node"] for s in steps]
    assert sorted(order) == sorted(nodes), "each node has exactly one forward step"
    done: set[str] = set()
    for step in steps:
        assert set(step) == {"phase", "node", "formula", "latex"}, \
            "a node carries its value, not a step"
        assert all(src in done for src, dst in edges if dst == step["node"]), step["node"]
        done.add(step["node"])


def _check_backward(steps: list[dict], nodes: dict[str, dict], edges: set[tuple[str, str]],
                    value: Any) -> None:
    if not steps:   # nothing depends on a variable (`s = 2`): no node has a gradient
        return
    output = nodes[steps[0]["node"]]
    assert output["shape"] == [1, 1]
    assert matrix(output["grad"], [1, 1]).tolist() == [[1.0]]
    assert output["value"] == [[value]]
    sent = {(i["node"], s["node"], i["port"]): i["downstream"]
            for s in steps for i in s["inputs"]}
    for step in steps:
        node = nodes[step["node"]]
        assert set(step) == {"phase", "node", "inputs", "contributions", "delta", "fan_out"}
        upstream = matrix(node["grad"], node["shape"]).ravel()
        parts = [sent[(step["node"], c["node"], c["port"])] for c in step["contributions"]]
        if step["node"] != output["id"]:
            assert parts, "every gradient but the output's comes from its consumers"
        if len(parts) > 1:   # each part sent once, the sum as the node's grad
            assert all(p is not None for p in parts)
            total = sum(matrix(p, node["shape"]) for p in parts).ravel()
            np.testing.assert_allclose(upstream, total, rtol=1e-12, atol=1e-300)
        for edge in step["inputs"]:
            source = nodes[edge["node"]]
            assert (edge["node"], step["node"]) in edges, edge["node"]
            assert isinstance(edge["local_formula"], str) and edge["local_formula"]
            # null: this edge is the input's only consumer, its downstream the input's grad
            down = source["grad"] if edge["downstream"] is None else edge["downstream"]
            downstream = matrix(down, source["shape"]).ravel()
            if edge["local"] is None:
                continue
            local = local_matrix(edge["local"], upstream.size, downstream.size)
            _check_product(downstream, upstream, local)


def local_matrix(local: Any, n: int, m: int) -> np.ndarray:
    """A local Jacobian as docs/API.md sends it: the identity by its size, a diagonal by its
    entries, I_n ⊗ B by B and n, or the whole n×m matrix."""
    if isinstance(local, list):
        return matrix(local, [n, m])
    assert isinstance(local, dict), local
    if "identity" in local:
        assert set(local) == {"identity"} and local["identity"] == n == m, local
        return np.eye(n)
    if "diagonal" in local:
        assert set(local) == {"diagonal"} and len(local["diagonal"]) == n == m, local
        return np.diag([number(v) for v in local["diagonal"]])
    assert set(local) == {"kron", "n"} and local["n"] >= 2, local
    block = matrix(local["kron"])
    with np.errstate(invalid="ignore"):   # 0 · NaN off the diagonal blocks: 0 is what was meant
        expanded = np.kron(np.eye(local["n"]), block)
    expanded[np.kron(np.eye(local["n"]), np.ones(block.shape)) == 0] = 0.0
    assert expanded.shape == (n, m), (local, n, m)
    return expanded


def _check_product(downstream: np.ndarray, upstream: np.ndarray, local: np.ndarray) -> None:
    """flatten(downstream) ≈ flatten(upstream) @ local, to rounding relative to the terms' size;
    skipped where a NaN or ∞ takes part, since NaN ≠ NaN and ∞ − ∞ has no value."""
    with np.errstate(all="ignore"):
        expected = upstream @ local
        scale = np.abs(upstream) @ np.abs(local)
    if not (np.isfinite(upstream).all() and np.isfinite(local).all()
            and np.isfinite(downstream).all() and np.isfinite(scale).all()):
        return
    # The absolute term covers cancellation in a VJP whose Jacobian is nearly zero: softmax of
    # a column with one dominant entry computes p ∘ (g − pᵀg) ≈ 1 · (g − g).
    tolerance = 1e-9 * scale + 1e-12 * np.abs(upstream).max()
    assert (np.abs(downstream - expected) <= tolerance).all(), (downstream, expected)
