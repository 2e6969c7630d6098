"""Whole expressions against known numbers, the lecture's closed forms, and the step invariants."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import numpy as np
import pytest
from checks import trace_json

from backprop_viz import deltas, engine, inputs
from backprop_viz import trace as run
from backprop_viz.errors import BackpropError
from backprop_viz.presets import PRESETS
from backprop_viz.tracedata import BackwardStep, ForwardStep

LECTURE = "s = uᵀ f(Wx + b)"
SIGMOID_NEURON = "1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))"


def val(v):
    return {"value": v}


def test_cs231n_add_multiply():
    t = run("(x + y) * z", {"x": val(-2), "y": val(5), "z": val(-4)})
    assert t.value == -12
    assert [t.gradient(n).item() for n in "xyz"] == [-4, -4, 3]


def test_sigmoid_neuron():
    t = run(SIGMOID_NEURON, {"w0": val(2), "w1": val(-3), "w2": val(-3),
                             "x0": val(-1), "x1": val(-2)})
    assert t.value == pytest.approx(0.7311, abs=1e-4)
    got = [t.gradient(n).item() for n in ("w0", "w1", "w2", "x0", "x1")]
    assert got == pytest.approx([-0.20, -0.39, 0.20, 0.39, -0.59], abs=0.005)


# micrograd's test_sanity_check and test_more_ops as pasted, without Value(…) and .backward()
# (its .relu() methods stay);
# the numbers are PyTorch's, in float64.
MICROGRAD_SANITY = """x = -4.0
z = 2 * x + 2 + x
q = z.relu() + z * x
h = (z * z).relu()
y = h + q + q * x"""
MICROGRAD_MORE_OPS = """a = -4.0
b = 2.0
c = a + b
d = a * b + b**3
c += c + 1
c += 1 + c + (-a)
d += d * 2 + (b + a).relu()
d += 3 * d + (b - a).relu()
e = c - d
f = e**2
g = f / 2.0
g += 10.0 / f"""


def test_micrograd_sanity_check():
    t = run(MICROGRAD_SANITY)
    assert t.value == -20.0
    assert t.gradient("x").item() == 46.0


def test_micrograd_more_ops():
    t = run(MICROGRAD_MORE_OPS)
    assert t.value == pytest.approx(24.70408163265306, rel=1e-14)
    assert t.gradient("a").item() == pytest.approx(138.83381924198252, rel=1e-14)
    assert t.gradient("b").item() == pytest.approx(645.5772594752186, rel=1e-14)
    labels = [n.label for n in t.nodes if n.kind != "constant" and re.fullmatch(r"\w+", n.label)]
    assert labels == ["a", "b", "c₁", "d₁", "c₂", "c₃", "d₂", "d₃", "e", "f", "g₁", "g₂"]


def test_cs231n_f_names_a_value():
    t = run("q = x + y; f = q * z", {"x": val(-2), "y": val(5), "z": val(-4)})
    assert t.value == -12 and t.output_name == "f"
    assert [t.gradient(n).item() for n in "xyz"] == [-4, -4, 3]


@pytest.mark.parametrize("variables, value, grad", [
    (None, 6.0, 3.0),                                   # a's own number
    ({"a": val(5)}, 15.0, 3.0),                         # the request's value wins
    ({"a": val([1, 2])}, 9.0, [[3.0], [3.0]]),          # and may give it another shape
])
def test_a_number_assigned_first_is_a_variable(variables, value, grad):
    t = run("a = 2.0; s = sum(3 a)", variables)
    assert t.value == value
    np.testing.assert_array_equal(t.gradient("a"), np.broadcast_to(grad, t.gradient("a").shape))
    sent = trace_json("a = 2.0; s = sum(3 a)", variables)["variables"]["a"]["value"]
    assert sent == t.node(t.variables["a"]).value.tolist()


# Expression, variables → value and gradients, computed once with PyTorch 2.13 in float64 and
# written here as numbers (torch is not a dependency).
PYTORCH = [
    # ties: max and min split the gradient evenly, elementwise and as reductions
    ("s = max(x, y)", {"x": val(2), "y": val(2)}, 2.0, {"x": 0.5, "y": 0.5}),
    ("s = min(x, y)", {"x": val(2), "y": val(2)}, 2.0, {"x": 0.5, "y": 0.5}),
    ("s = 2 max(x)", {"x": val([[1, 3], [3, 0], [3, -1]])}, 6.0,
     {"x": [[0.0, 2 / 3], [2 / 3, 0.0], [2 / 3, 0.0]]}),
    ("s = min(x)", {"x": val([[1, 0], [3, 0]])}, 0.0, {"x": [[0.0, 0.5], [0.0, 0.5]]}),
    # the power rule is finite at 0
    ("s = sum(x ** 0)", {"x": val([0, 2])}, 2.0, {"x": [[0.0], [0.0]]}),
    ("s = sum(x ** 3)", {"x": val([0, 2])}, 8.0, {"x": [[0.0], [12.0]]}),
    # the notes' notation
    ("s = sum(x² + e^(-x) + ln(x) + √x) + ‖x‖", {"x": val([0.5, 1.5, 2.0])}, 13.766036182953464,
     {"x": [[3.296692256612098], [4.440133202396652], [5.502682647909397]]}),
    ("s = u⊤h", {"u": val([1.0, -2.0, 0.5]), "h": val([0.3, 0.1, -0.7])}, -0.25,
     {"u": [[0.3], [0.1], [-0.7]], "h": [[1.0], [-2.0], [0.5]]}),
    ("s = ‖W‖", {"W": val([[1.0, -2.0], [0.5, 3.0]])}, 3.774917217635375,
     {"W": [[0.26490647141300877, -0.5298129428260175],
            [0.13245323570650439, 0.7947194142390263]]}),
    ("s = y ** 2 ** 3", {"y": val(1.1)}, 2.1435888100000016, {"y": 15.58973680000001}),
    # axes, as in the mini-batch notes: sums keep both dimensions
    ("s = sum(sum(a, axis=0) ** 2 * c)", {"a": val([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]]),
                                           "c": val([[1.0, 2.0, 3.0]])},
     22.25, {"a": [[3.0, 8.0, 12.0], [3.0, 8.0, 12.0]]}),
    ("s = sum(mean(a, 1) ** 2 * c)", {"a": val([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]]),
                                       "c": val([1.0, -2.0])},
     -2.2777777777777786, {"a": [[0.4444444444444444] * 3, [-1.5555555555555556] * 3]}),
    ("s = sum(softmax(r) * w)", {"r": val([[1.0, 2.0, 3.0]]), "w": val([[0.5, -1.0, 2.0]])},
     1.1307687270800362, {"r": [[-0.05678847003696693, -0.5214597727496746, 0.5782482427866417]]}),
    ("s = sum(max(M, axis=0) * w)", {"M": val([[1.0, 3.0, 3.0], [3.0, 0.0, 3.0]]),
                                      "w": val([[1.0, 2.0, 3.0]])},
     18.0, {"M": [[0.0, 2.0, 1.5], [1.0, 0.0, 1.5]]}),
    ("s = sum(repeat(b, 3, axis=0) * Z)",
     {"b": val([[0.1, -0.2, 0.3, 0.4]]),
      "Z": val(np.round(np.cos(np.arange(12)).reshape(3, 4), 2).tolist())},
     -0.14800000000000002, {"b": [[0.19999999999999998, -0.08999999999999997,
                                   -0.29999999999999993, -0.24]]}),
    # numpy and PyTorch spellings, pasted from code
    ("s = np.maximum(0, z).sum() + np.tanh(X.dot(W)).sum() + torch.exp(X.T).mean()",
     {"z": val([-1.0, 0.0, 2.0]), "X": val([[1.0, 2.0], [3.0, -1.0]]), "W": val([0.5, -0.25])},
     10.581564111434488,
     {"z": [[0.0], [0.5], [1.0]],
      "X": [[1.1795704571147612, 1.5972640247326626], [5.078290278556388, 0.06351683641312504]],
      "W": [[1.3414362865568266], [1.8861879044810579]]}),
    # run-together names use declared names: w0x0 is w0 · x0 (CS231n's sigmoid neuron)
    ("s = σ(w0x0 + w1x1 + w2)", {"w0": val(2), "x0": val(-1), "w1": val(-3), "x1": val(-2),
                                 "w2": val(-3)}, 0.7310585786300049,
     {"w0": -0.19661193324148185, "x0": 0.3932238664829637, "w1": -0.3932238664829637,
      "x1": -0.5898357997244456, "w2": 0.19661193324148185}),
    # the notes' h = xW + b over a mini-batch stored as rows, softmax cross-entropy over rows
    ("h = xW + b\nL = -sum(y * log(softmax(h, axis=1))) / 10",
     {"x": val(np.round(np.sin(np.arange(20)).reshape(10, 2), 2).tolist()),
      "W": val(np.round(np.cos(np.arange(8)).reshape(2, 4), 2).tolist()),
      "b": val([[0.1, -0.1, 0.2, 0.0]]), "y": val(np.eye(4)[np.arange(10) % 4].tolist())},
     1.5030309629078435,
     {"W": [[-0.02771980130576975, 0.07964389493815799, 0.10104734367881443,
             -0.15297143731120272],
            [-0.07923781933866186, 0.09243531900779794, 0.11156850134454571,
             -0.12476600101368183]],
      "b": [[-0.028831574729089246, -0.10393568274996254, 0.07954083116924385,
             0.05322642630980792]]}),
]


# The lecture's closed form typed in, δ = u ∘ f′(z): f′ is an op whose own backward uses f″.
CLOSED_FORM = "z = Wx + b; δ = u ∘ f′(z); s = sum(δ)"
LAYER = {"W": val([[0.5, -1.0], [0.25, 0.75], [-0.5, 0.1]]), "x": val([1.0, -2.0]),
         "b": val([0.1, -0.2, 0.3]), "u": val([1.0, -1.0, 0.5])}
PYTORCH_DERIVATIVES = [
    ("tanh", 0.25190991498936105,
     {"W": [[-0.04317064593638354, 0.08634129187276708], [-0.3542183634014893, 0.7084367268029786],
            [0.3250990688368638, -0.6501981376737276]],
      "x": [[-0.272689448236996], [-0.1899832197310471]],
      "b": [[-0.04317064593638354], [-0.3542183634014893], [0.3250990688368638]],
      "u": [[0.021824797695345177], [0.19773427574657298], [0.8556387860811777]]}),
    ("sigmoid", 0.030587701119496324,
     {"W": [[-0.05545903689377844, 0.11091807378755689],
            [-0.09541811995221153, 0.19083623990442306],
            [0.02371077081410427, -0.04742154162820854]],
      "x": [[-0.06343943384199424], [-0.013733475988969783]],
      "b": [[-0.05545903689377844], [-0.09541811995221153], [0.02371077081410427]],
      "u": [[0.06435829917577342], [0.15390097092704166], [0.24026074574152914]]}),
    ("relu", 1.0, {"W": 0.0, "x": 0.0, "b": 0.0, "u": [[1.0], [0.0], [0.0]]}),
]


@pytest.mark.parametrize("f, value, grads", PYTORCH_DERIVATIVES)
def test_the_closed_form_with_f_prime_matches_pytorch(f, value, grads):
    t = run(CLOSED_FORM, LAYER, f=f)
    assert t.value == pytest.approx(value, rel=1e-14)
    for name, grad in grads.items():
        np.testing.assert_allclose(t.gradient(name), np.broadcast_to(grad, t.gradient(name).shape),
                                   rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("f", ["tanh", "sigmoid", "relu"])
@pytest.mark.parametrize("spelling", ["f′(z)", "f'(z)", "{f}′(z)"])
def test_the_typed_closed_form_equals_what_backprop_computed(f, spelling):
    """δ = u ∘ f′(z) typed in is the gradient backprop finds for b in s = uᵀ f(Wx + b): the
    comparison a "check my formula" button would make."""
    spelling = spelling.format(f="σ" if f == "sigmoid" else f)
    typed = run(f"z = Wx + b; δ = u ∘ {spelling}; s = sum(δ)", LAYER, f=f)
    backprop = run(LECTURE, LAYER, f=f)
    delta = next(n.value for n in typed.nodes if n.label == "δ")
    np.testing.assert_allclose(delta, backprop.gradient("b"), rtol=1e-14)


@pytest.mark.parametrize("source, variables, value, grads", PYTORCH)
def test_values_and_gradients_match_pytorch(source, variables, value, grads):
    t = run(source, variables)
    assert t.value == pytest.approx(value, rel=1e-14, abs=1e-14)
    for name, grad in grads.items():
        np.testing.assert_allclose(t.gradient(name), np.broadcast_to(grad, t.gradient(name).shape),
                                   rtol=1e-14, atol=1e-14)
    assert not t.warnings


DERIVATIVES = {
    "tanh": lambda z: 1 - np.tanh(z) ** 2,
    "sigmoid": lambda z: (s := 1 / (1 + np.exp(-z))) * (1 - s),
    "relu": lambda z: (z > 0).astype(float),
}
ACTIVATIONS = {"tanh": np.tanh, "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
               "relu": lambda z: np.maximum(z, 0)}


@pytest.mark.parametrize("f", sorted(DERIVATIVES))
@pytest.mark.parametrize("source", [LECTURE, "z = Wx + b\nh = f(z)\ns = uᵀh",
                                    "s = u.T @ f(W @ x + b)"])
def test_lecture_closed_forms(source, f):
    t = run(source, f=f, seed=3)
    W, x, b, u = (t.node(t.variables[n]).value for n in "Wxbu")
    z = W @ x + b
    h = ACTIVATIONS[f](z)
    delta = u * DERIVATIVES[f](z)          # δ = u ∘ f′(z)
    assert t.value == pytest.approx((u.T @ h).item(), abs=1e-12)
    np.testing.assert_allclose(t.gradient("W"), delta @ x.T, atol=1e-12)   # δ xᵀ
    np.testing.assert_allclose(t.gradient("b"), delta, atol=1e-12)         # δ
    np.testing.assert_allclose(t.gradient("x"), W.T @ delta, atol=1e-12)   # Wᵀ δ
    np.testing.assert_allclose(t.gradient("u"), h, atol=1e-12)             # h


@pytest.mark.parametrize("source, variables, shapes", [
    (LECTURE, None, {"W": (3, 4), "x": (4, 1), "b": (3, 1), "u": (3, 1)}),
    ("(x + y) * z", None, {"x": (1, 1), "y": (1, 1), "z": (1, 1)}),
    (SIGMOID_NEURON, None, {n: (1, 1) for n in ("w0", "x0", "w1", "x1", "w2")}),
    (LECTURE, {"W": {"shape": [5, 2]}}, {"W": (5, 2), "x": (2, 1), "b": (5, 1), "u": (5, 1)}),
    (LECTURE, {"x": val([1, 2])}, {"W": (3, 2), "x": (2, 1), "b": (3, 1), "u": (3, 1)}),
    ("s = xᵀ A x", None, {"x": (3, 1), "A": (3, 3)}),
    ("s = sum(W X)", None, {"W": (3, 4), "X": (4, 5)}),
    ("x = [x_museums; x_in; x_Paris; x_are; x_amazing]\ns = uᵀ f(Wx + b)", None,
     {"x_museums": (3, 1), "x_Paris": (3, 1), "x_amazing": (3, 1), "W": (4, 15), "u": (4, 1)}),
    ("x = [a; b]\ns = sum(W x)", {"W": {"shape": [2, 7]}, "a": {"shape": [3, 1]}},
     {"a": (3, 1), "b": (4, 1)}),
    ("s = sum([A, B])", {"A": {"shape": [2, 2]}}, {"A": (2, 2), "B": (2, 3)}),
    ("s = sum(2x)", None, {"x": (3, 4)}),
    ("r = sum(A, axis=0); s = sum(r)", {"A": {"shape": [2, 5]}}, {"A": (2, 5)}),
    ("s = uᵀ sum(A, 1)", {"A": {"shape": [2, 5]}}, {"u": (2, 1)}),
    ("s = sum(A, 0) u", {"A": {"shape": [2, 5]}}, {"u": (5, 1)}),
    ("s = sum(repeat(b, 7, axis=1))", None, {"b": (3, 1)}),
    # a declared dimension of 1 broadcasts: it never pins the other side's free one to 1
    ("S = sum(f(W X + b))", {"b": {"shape": [3, 1]}}, {"W": (3, 3), "X": (3, 4), "b": (3, 1)}),
    ("S = sum(f(W X + b))", {"b": {"shape": [1, 4]}}, {"W": (3, 4), "X": (4, 4), "b": (1, 4)}),
    ("h = x W + b\ns = sum(h)", {"x": {"shape": [10, 2]}, "W": {"shape": [2, 4]},
                                 "b": {"shape": [1, 4]}}, {"b": (1, 4)}),
    ("s = sum(x + y)", {"x": {"shape": [3, 1]}, "y": {"shape": [1, 4]}},
     {"x": (3, 1), "y": (1, 4)}),
    ("s = sum(x + y + z)", {"x": {"shape": [3, 1]}}, {"x": (3, 1), "y": (3, 3), "z": (3, 3)}),
    ("s = sum(x + y)", {"x": {"shape": [3, 1]}, "y": {"shape": [3, 1]}},
     {"x": (3, 1), "y": (3, 1)}),
])
def test_inferred_shapes(source, variables, shapes):
    t = run(source, variables)
    got = {name: t.node(t.variables[name]).value.shape for name in shapes}
    assert got == shapes


EXPRESSIONS = [
    (LECTURE, None),
    ("(x + y) * z", None),
    (SIGMOID_NEURON, None),
    ("h1 = f(W1 x + b1)\nh2 = f(W2 h1 + b2)\ns = uᵀ h2", None),
    ("x = [x_museums; x_in; x_Paris; x_are; x_amazing]\ns = uᵀ f(Wx + b)", None),
    ("s = sum(softmax(W x) * y)", None),
    ("z = x * y\ns = sum(z + z * x)", None),              # fan-out at z and x
    ("s = sum(W X + b)", {"W": {"shape": [3, 4]}, "X": {"shape": [4, 5]},
                          "b": {"shape": [3, 1]}}),      # bias repeated over a mini-batch
    ("s = mean(max(x, 0.5) - min(x, y) / 2 + x ** 2 - sqrt(abs(x)) + sin(x) cos(x))", None),
    ("s = max(relu(x)) + min(exp(-x)) + sum(log(x * x + 1))", None),
    ("s = sum([a, b; c, d] ^ 3)", None),
    ("s = -xᵀ (2 A) x'", None),
]


@pytest.mark.parametrize("source, variables", EXPRESSIONS)
def test_downstream_is_upstream_times_local(source, variables):
    t = run(source, variables, seed=1)
    backward = [s for s in t.steps if isinstance(s, BackwardStep)]
    assert backward and backward[0].node == t.output
    np.testing.assert_array_equal(t.node(backward[0].node).grad, [[1.0]])
    for step in backward:
        for edge in step.inputs:
            assert edge.local is not None
            np.testing.assert_allclose(edge.downstream.ravel(),
                                       t.node(step.node).grad.ravel() @ edge.local, atol=1e-12)
            assert edge.downstream.shape == t.node(edge.node).value.shape
            assert edge.local_formula
        # fan-out: a node's upstream is the sum of what its consumers sent back
        if step.node != t.output:
            parts = [t.edge_grads[(step.node, n, p)] for n, p in step.contributions]
            np.testing.assert_allclose(t.node(step.node).grad, sum(parts), atol=1e-12)


@pytest.mark.parametrize("source, variables", EXPRESSIONS)
def test_gradients_match_central_differences(source, variables):
    """Each variable's gradient against (s(v + h) − s(v − h)) / 2h, element by element."""
    t = run(source, variables, seed=2)
    given = {name: {"value": t.node(n).value.tolist()} for name, n in t.variables.items()}
    h = 1e-6
    for name, node in t.variables.items():
        base = t.node(node).value
        for idx in np.ndindex(base.shape):
            plus, minus = base.copy(), base.copy()
            plus[idx] += h
            minus[idx] -= h
            s_plus = run(source, {**given, name: {"value": plus.tolist()}}).value
            s_minus = run(source, {**given, name: {"value": minus.tolist()}}).value
            assert t.gradient(name)[idx] == pytest.approx((s_plus - s_minus) / (2 * h),
                                                          rel=1e-5, abs=1e-6), (name, idx)


def test_steps_forward_then_backward():
    t = run(LECTURE)
    phases = [type(s) for s in t.steps]
    n_forward = phases.count(ForwardStep)
    assert n_forward == len(t.nodes)
    assert all(p is BackwardStep for p in phases[n_forward:])
    forward_nodes = [s.node for s in t.steps[:n_forward]]
    assert forward_nodes == [n.id for n in t.nodes]
    formulas = {s.formula for s in t.steps[:n_forward]}
    assert "s = uᵀ · tanh(W · x + b)" in formulas


def test_fan_out_sums_contributions():
    t = run("s = x * x", {"x": val(3)})
    step = next(s for s in t.steps if isinstance(s, BackwardStep) and s.node == "n0")
    assert len(step.contributions) == 2
    assert t.gradient("x").item() == 6


def test_broadcast_makes_a_repeat_node():
    t = run("s = sum(W X + b)", {"W": {"shape": [3, 4]}, "X": {"shape": [4, 5]},
                                 "b": {"shape": [3, 1]}})
    ops = [n.op for n in t.nodes]
    assert ops.count("repeat") == 1
    b = t.node(t.variables["b"]).value
    assert t.gradient("b").shape == b.shape
    np.testing.assert_allclose(t.gradient("b"), np.ones((3, 5)).sum(axis=1, keepdims=True))


@pytest.mark.parametrize("variables, repeated", [
    ({"b": {"shape": [3, 1]}}, "b"),
    ({"b": {"shape": [3, 1]}, "W": {"shape": [3, 4]}, "X": {"shape": [4, 5]}}, "b"),
])
def test_a_declared_bias_column_keeps_the_batch_and_shows_a_repeat(variables, repeated):
    t = run("S = sum(f(W X + b))", variables)
    repeats = [n for n in t.nodes if n.op == "repeat"]
    assert len(repeats) == 1
    assert repeats[0].inputs == (t.variables[repeated],)
    assert repeats[0].shape[1] == t.node(t.variables["X"]).shape[1] > 1


def test_scalar_times_matrix_is_scaling_with_a_repeat_for_elementwise():
    t = run("s = sum(2 x + 1)", {"x": {"shape": [2, 3]}})
    ops = [n.op for n in t.nodes]
    assert "scale" in ops and "matmul" not in ops and ops.count("repeat") == 1
    np.testing.assert_allclose(t.gradient("x"), np.full((2, 3), 2.0))


def test_same_request_same_trace_and_ids():
    a = trace_json(LECTURE, seed=7)
    b = trace_json(LECTURE, seed=7)
    assert a == b
    assert [n["id"] for n in a["nodes"]] == [f"n{i}" for i in range(len(a["nodes"]))]
    assert trace_json(LECTURE, seed=8)["variables"] != a["variables"]


def test_trace_json_has_every_api_field():
    t = trace_json(LECTURE)
    assert set(t) >= {"expression", "parsed", "output", "value", "variables", "gradients",
                      "nodes", "edges", "steps"}
    assert t["parsed"] == "s = uᵀ · f(W · x + b)"
    assert t["output"] == "s"
    for node in t["nodes"]:
        assert set(node) >= {"id", "label", "kind", "op", "shape", "value", "grad"}
    labels = {n["label"] for n in t["nodes"]}
    assert {"W", "x", "b", "u", "s"} <= labels
    json.dumps(t, allow_nan=False)


def test_constants_get_no_gradient():
    t = trace_json("s = 2 * x + 3", {"x": val(1.5)})
    constants = [n for n in t["nodes"] if n["kind"] == "constant"]
    assert len(constants) == 2 and all(n["grad"] is None for n in constants)
    backward_nodes = {s["node"] for s in t["steps"] if s["phase"] == "backward"}
    assert not backward_nodes & {n["id"] for n in constants}


def test_non_finite_values_are_encoded_and_warned():
    t = trace_json("s = sum(log(x))", {"x": val([-1, 2])})
    assert t["value"] == "NaN"
    assert t["warnings"] and "not finite" in t["warnings"][0]
    json.dumps(t, allow_nan=False)


def test_unused_variable_is_a_warning():
    t = trace_json("s = x * y", {"q": val(1)})
    assert any("q" in w for w in t["warnings"])


@pytest.mark.parametrize("source, variables, fragment, position", [
    ("s = W x", {"W": {"shape": [3, 4]}}, "the output s is 3×1, not a scalar: try sum(s) or uᵀs",
     0),
    ("s = sum(W x)", {"W": {"shape": [3, 4]}, "x": val([1, 2, 3, 4, 5])},
     "inner dimensions 4 ≠ 5", 10),
    ("s = sum(x + y)", {"x": {"shape": [3, 1]}, "y": {"shape": [4, 1]}},
     "x is 3×1 but y is 4×1", 10),
    ("s = sum([a; b])", {"a": {"shape": [2, 1]}, "b": {"shape": [2, 3]}}, "a is 2×1 but b is 2×3",
     8),
    # [a, b] of columns, where one column is needed, suggests [a; b]
    ("s = uᵀ [a, b]", {"a": {"shape": [3, 1]}, "b": {"shape": [3, 1]}},
     "[a, b]: its parts add up to 2 but 1 are needed: to stack them vertically, write [a; b]", 7),
    ("s = sum(W [a, b])", {"a": {"shape": [3, 1]}, "b": {"shape": [4, 1]}},
     "[a, b]: a is 3×1 but b is 4×1: to stack them vertically, write [a; b]", 10),
    ("s = sum([A; B])", {"A": {"shape": [2, 2]}, "B": {"shape": [2, 3]}},
     "A is 2×2 but B is 2×3: to stack them side by side, write [A, B]", 8),
    # w · x of two equal columns suggests wᵀx
    ("s = w · x", {"w": {"shape": [3, 1]}, "x": {"shape": [4, 1]}},
     "w · x: w is 3×1 but x is 4×1 (inner dimensions 1 ≠ 4)", 6),
    ("s = sum(repeat(b, 3, axis=0))", {"b": {"shape": [2, 3]}},
     "b is 2×3, but repeat copies a single row (axis=0)", 8),
    # found by fuzzing: two shapes not both known once failed with a TypeError
    ("z = dot(repeat(x, 2, axis=1), sum(y, axis=0))", None, "inner dimensions 2 ≠ 1", 4),
    ("s = x", {"x": val([[1, 2], [3]])}, "ragged", None),
    ("s = x", {"x": val([1, "a"])}, "is not a number", None),
    ("s = x", {"x": {"shape": [0, 3]}}, "at least 1×1", None),
    ("s = x", {"x": {"shape": [3]}}, "two whole numbers", None),
    ("s = x", {"x": {"shape": [2, 2], "value": [1, 2]}}, "shape says 2×2", None),
    ("s = x", {"x": {"size": 3}}, "unknown field 'size'", None),
    ("s = x", {"<b>": val(1)}, "is not a variable name", None),
    ("z = x\ns = z", {"z": val(1)}, "z is assigned by the expression", 0),
    ("c = 1; c = c + x; s = c", {"c": val(1)}, "c is assigned by the expression", 7),
    ("s = sum(x)", {"x": {"shape": [100000, 1]}}, "larger than the limit", None),
    ("s = sum(A B)", {"A": {"shape": [5000, 5000]}}, "more than the limit", None),
])
def test_errors(source, variables, fragment, position):
    with pytest.raises(BackpropError) as e:
        run(source, variables)
    assert fragment in e.value.message
    assert e.value.position == position


@pytest.mark.parametrize("kwargs, fragment", [
    ({"f": "softplus"}, "f must be one of"),
    ({"seed": -1}, "seed must be"),
    ({"seed": True}, "seed must be"),
    ({"variables": [1, 2]}, "variables must be an object"),
])
def test_request_errors(kwargs, fragment):
    with pytest.raises(BackpropError, match=fragment):
        run("s = x", **kwargs)


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.id)
def test_the_closed_forms_reuse_only_rules_they_would_write_again(preset):
    """closed_forms takes an edge's rule from its form where the upstream is the name that form
    wrote (deltas.Backward.written); written afresh from every consumer's closed form, each
    variable's closed form and each δ's definition come out the same."""
    req = inputs.read(preset.expression, preset.variables, preset.f, preset.seed)
    pipeline = inputs.build(req)
    gr, leaves = pipeline.leaves(pipeline.start(), "vector")
    values = engine.forward(gr, leaves)
    with np.errstate(all="ignore"):
        _, numbered, _, said = engine._backward(gr, values)
        _, composed = engine._words(gr, numbered, said)
    assert any(b.written for b in composed)
    reused = deltas.closed_forms(composed, gr.output, gr.output_name, gr.variables)
    afresh = deltas.closed_forms([replace(b, written=()) for b in composed], gr.output,
                                 gr.output_name, gr.variables)
    assert reused == afresh
