"""The scalar view: every entry its own node, the same gradients as the vector view."""

from __future__ import annotations

import json

import numpy as np
import pytest
from checks import check_error, check_trace, strict_json
from hypothesis import HealthCheck, given, settings
from test_fuzz import well_formed_request

from backprop_viz import limits, trace
from backprop_viz.__main__ import main
from backprop_viz.errors import BackpropError
from backprop_viz.ops import OPS
from backprop_viz.scalar import EXPANSIONS, NOT_EXPANDABLE, entry_name

LECTURE = "s = uᵀ f(Wx + b)"
XYZ = ("out = (x + y) * z", {"x": {"value": -2}, "y": {"value": 5}, "z": {"value": -4}})
NET = ("h = relu(W1 x + b1); z = W2 h + b2; J = -yᵀ log(softmax(z))",
       {"W1": {"shape": [4, 3]}, "W2": {"shape": [3, 4]}, "y": {"value": [0, 1, 0]}})
# (expression, variables, f): together they use every op of the table
CASES = [
    (LECTURE, None, "tanh"),
    (*XYZ, "tanh"),
    (*NET, "tanh"),
    ("S = sum(f(W X + b))", {"b": {"shape": [3, 1]}, "X": {"shape": [4, 5]}}, "sigmoid"),
    ("m = mean(Aᵀ B); r = sum(mean(C, axis=1)); s = m + r - mean(C, axis=0) v",
     {"A": {"shape": [3, 2]}, "C": {"shape": [2, 3]}}, "tanh"),
    ("s = max(x) + sum(min(A, axis=0)) + norm(v) + norm(A, axis=1)ᵀ w "
     "+ sum(softmax(P, axis=1) * Q) + sum(max(A, axis=1))",
     {"A": {"shape": [2, 3]}, "v": {"shape": [3, 1]}, "P": {"shape": [2, 3]}}, "tanh"),
    ("s = sum(max(a, b) + min(a, b) - a / exp(b) + sqrt(abs(a)) + log(exp(b) + 1) "
     "+ sin(a) * cos(b) + σ(a) + a² + (-b)^3 + tanh′(a) + σ′(b) + relu′(a) + relu(b))",
     {"a": {"shape": [2, 2]}}, "tanh"),
    ("x = [a; b]; s = sum(x xᵀ) + k sum([a, a]) + sum(softmax(c))",
     {"a": {"shape": [2, 1]}, "k": {"value": 0.7}, "c": {"shape": [1, 3]}}, "tanh"),
    ("s = var(a) + sum(var(A, axis=0, ddof=1)) + a.detach()ᵀ a + u · v",
     {"a": {"shape": [2, 1]}, "A": {"shape": [3, 2]}, "u": {"shape": [3, 1]},
      "v": {"shape": [3, 1]}}, "tanh"),
]


def test_every_op_has_an_expansion_or_a_reason():
    assert set(OPS) == set(EXPANSIONS) | set(NOT_EXPANDABLE)
    assert not set(EXPANSIONS) & set(NOT_EXPANDABLE)
    assert all(reason.strip() for reason in NOT_EXPANDABLE.values())


def test_the_cases_use_every_expandable_op():
    used = {n.op for expression, variables, f in CASES
            for n in trace(expression, variables, f).nodes if n.op}
    assert used == set(EXPANSIONS)


@pytest.mark.parametrize("expression, variables, f", CASES)
def test_scalar_gradients_equal_the_vector_view(expression, variables, f):
    vector = trace(expression, variables, f, seed=3)
    scalar = trace(expression, variables, f, seed=3, view="scalar")
    assert scalar.view == "scalar" and all(n.shape == (1, 1) for n in scalar.nodes)
    assert scalar.value == pytest.approx(vector.value, rel=1e-12, abs=1e-12)
    for name in vector.variables:
        grad = vector.gradient(name)
        got = np.array([[scalar.gradient(entry_name(name, grad.shape, (i, j)))[0, 0]
                         for j in range(grad.shape[1])] for i in range(grad.shape[0])])
        np.testing.assert_allclose(got, grad, rtol=1e-12, atol=1e-14, err_msg=name)
        value = vector.node(vector.variables[name]).value
        assert [scalar.node(scalar.variables[entry_name(name, value.shape, i)]).value[0, 0]
                for i in np.ndindex(*value.shape)] == value.ravel().tolist()
    check_trace(strict_json(scalar.to_json()), expression, svg=False)


@pytest.mark.parametrize("expression, variables, f", CASES)
def test_scalar_nodes_counts_the_expansion_without_building_it(expression, variables, f):
    vector = trace(expression, variables, f)
    assert vector.scalar_nodes == len(trace(expression, variables, f, view="scalar").nodes)


def test_the_lectures_expansion_node_by_node():
    t = trace(LECTURE, view="scalar")
    # 22 variables (W 3×4, x, b, u); W·x: 12 multiplies and 9 adds; + b: 3; tanh: 3;
    # uᵀ h: 3 multiplies and 2 adds; the transpose is re-wiring, no node
    assert t.scalar_nodes == len(t.nodes) == 22 + 21 + 3 + 3 + 5 == 54
    ops = [n.op for n in t.nodes if n.op]
    assert (ops.count("mul"), ops.count("add"), ops.count("tanh")) == (15, 14, 3)
    formulas = [s.formula for s in t.steps if hasattr(s, "formula")]
    assert "(W · x)₁ = W₁₁ ∘ x₁ + W₁₂ ∘ x₂ + W₁₃ ∘ x₃ + W₁₄ ∘ x₄" in formulas
    assert formulas[-1].startswith("s = u₁ ∘ ")
    assert list(t.variables)[:5] == ["u₁", "u₂", "u₃", "W₁₁", "W₁₂"]


def test_named_arrays_name_their_entries():
    t = trace("z = Wx + b; h = f(z); s = uᵀh", view="scalar")
    labels = {n.label for n in t.nodes}
    assert {"z₁", "z₂", "z₃", "h₁", "h₃", "s"} <= labels


@pytest.mark.parametrize("name, shape, index, expected", [
    ("W", (3, 4), (0, 1), "W₁₂"),
    ("x", (4, 1), (2, 0), "x₃"),
    ("r", (1, 3), (0, 2), "r₃"),
    ("y", (1, 1), (0, 0), "y"),
    ("W", (12, 3), (0, 11 - 9), "W₁,₃"),
    ("W", (3, 12), (2, 11), "W₃,₁₂"),
])
def test_entry_names(name, shape, index, expected):
    assert entry_name(name, shape, index) == expected


def test_ties_of_a_max_split_gate_by_gate():
    """The documented difference: three tied entries get 1/3 each in the vector view, but a
    chain of two max gates splits ½, ½ at each gate."""
    x = {"x": {"value": [1, 1, 1]}}
    assert trace("s = max(x)", x).gradient("x").ravel().tolist() == [1 / 3] * 3
    assert [trace("s = max(x)", x, view="scalar").gradient(f"x{i}")[0, 0]
            for i in "₁₂₃"] == [0.25, 0.25, 0.5]


def test_the_norm_of_one_entry_is_its_absolute_value_exact_at_zero():
    values = {"z": {"value": 0}, "w": {"value": -2}}
    t = trace("s = norm(z) + ‖w‖", values, view="scalar")
    assert [n.op for n in t.nodes if n.op] == ["abs", "abs", "add"]
    assert (t.gradient("z")[0, 0], t.gradient("w")[0, 0]) == (0.0, -1.0)


# ---------------------------------------------------------------- the 300-node limit

def test_above_the_limit_the_scalar_view_is_refused_naming_it(client):
    body = {"expression": LECTURE, "variables": {"W": {"shape": [10, 12]}}}
    vector = client.post("/api/trace", json=body).get_json()
    assert vector["scalar_nodes"] > limits.MAX_SCALAR_NODES == 300
    r = client.post("/api/trace", json={**body, "view": "scalar"})
    assert r.status_code == 400
    check_error(r.get_json(), LECTURE)
    assert (f"the scalar view would have {vector['scalar_nodes']} nodes; the limit is 300"
            in r.get_json()["error"])


# ---------------------------------------------------------------- API and CLI

def test_api_scalar_view_is_a_trace_with_its_svg(client):
    r = client.post("/api/trace", json={"expression": XYZ[0], "variables": XYZ[1],
                                        "view": "scalar"})
    assert r.status_code == 200
    data = strict_json(r.data)
    check_trace(data, XYZ[0], svg=True)
    assert (data["view"], data["scalar_nodes"], len(data["nodes"])) == ("scalar", 5, 5)
    assert data["gradients"] == {"x": [[-4.0]], "y": [[-4.0]], "z": [[3.0]]}


def test_export_draws_the_scalar_view(client):
    r = client.post("/api/export?format=svg", json={"expression": XYZ[0], "variables": XYZ[1],
                                                    "view": "scalar"})
    assert r.status_code == 200
    svg = r.get_data(as_text=True)
    assert svg.count('class="node') == 5 and "−12" in svg


def test_api_refuses_an_unknown_view(client):
    r = client.post("/api/trace", json={"expression": LECTURE, "view": "tensor"})
    assert r.status_code == 400
    assert r.get_json()["error"] == "view must be one of vector, scalar, not 'tensor'"


def test_cli_scalar(capsys):
    assert main([LECTURE, "--scalar", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["view"] == "scalar" and len(data["nodes"]) == 54
    assert "W₃₄" in data["gradients"]


# ---------------------------------------------------------------- random programs

@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=well_formed_request())
def test_random_programs_expand_to_their_count_with_the_same_gradients(body):
    """For any program: `scalar_nodes` is the expansion's size, and the gradients agree wherever
    the documented differences (ties of max/min, a norm at 0, non-finite values) cannot arise."""
    args = (body["expression"], body.get("variables"), body.get("f", "tanh"), body.get("seed", 0))
    try:
        vector = trace(*args)
    except BackpropError:
        return
    if vector.scalar_nodes > limits.MAX_SCALAR_NODES:
        return
    scalar = trace(*args, view="scalar")
    assert len(scalar.nodes) == vector.scalar_nodes
    if vector.warnings or any(n.op in ("max", "min", "norm") for n in vector.nodes):
        return
    for name in vector.variables:
        grad = vector.gradient(name)
        for index in np.ndindex(*grad.shape):
            got = scalar.gradient(entry_name(name, grad.shape, index))[0, 0]
            assert got == pytest.approx(grad[index], rel=1e-9, abs=1e-12), (name, index)
