"""Practice mode's "check my formula": POST /api/check and backprop_viz.practice."""

from __future__ import annotations

import numpy as np
import pytest

from backprop_viz import practice, trace, tracedata
from backprop_viz.errors import BackpropError
from backprop_viz.limits import MAX_EXPRESSION_CHARS

LECTURE = "s = uᵀ f(Wx + b)"
STEPS = "z = Wx + b\nh = f(z)\ns = uᵀh"


def step_of(expression: str, label: str) -> int:
    """The 1-based backward step of the node labelled `label`."""
    t = trace(expression)
    return next(k for k, s in enumerate(t.steps, 1)
                if isinstance(s, tracedata.BackwardStep) and t.node(s.node).label == label)


def check(client, formula: str, step: int, port: int | None, **body):
    return client.post("/api/check", json={"expression": LECTURE, "formula": formula,
                                           "step": step, "port": port, **body})


W_STEP = step_of(LECTURE, "W · x")            # inputs: W (port 0), x (port 1)
TANH_STEP = step_of(LECTURE, "tanh(W · x + b)")   # input: z (port 0)


@pytest.mark.parametrize(("formula", "port"), [
    ("δ xᵀ", 0), ("δxᵀ", 0), ("delta x^T", 0), ("δ · x.T", 0),
    ("Wᵀ δ", 1), ("W^T delta", 1), ("W' δ", 1),
])
def test_the_lectures_formulas_are_right_at_ws_step(client, formula, port):
    response = check(client, formula, W_STEP, port)
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    assert data["correct"] is True
    assert data["shape"] == data["expected_shape"] == ([3, 4] if port == 0 else [4, 1])
    assert data["max_abs_error"] < 1e-12
    expected = trace(LECTURE).gradient("W" if port == 0 else "x")
    assert np.allclose(data["value"], expected, rtol=1e-12, atol=0)


def test_a_formula_of_the_wrong_shape_is_wrong_and_says_both_shapes(client):
    data = check(client, "x δᵀ", W_STEP, 0).get_json()
    assert data["correct"] is False
    assert data["shape"] == [4, 3] and data["expected_shape"] == [3, 4]
    assert data["max_abs_error"] is None


def test_a_formula_with_wrong_values_is_wrong_with_its_error(client):
    data = check(client, "2 δ xᵀ", W_STEP, 0).get_json()
    assert data["correct"] is False and data["shape"] == [3, 4]
    assert data["max_abs_error"] == pytest.approx(np.abs(trace(LECTURE).gradient("W")).max())


@pytest.mark.parametrize("formula", ["u ∘ f′(z)", "u * tanh'(z)", "u ∘ (1 − h²)",
                                     "u * (1 - tanh(z)^2)"])
@pytest.mark.parametrize("expression", [LECTURE, STEPS])
def test_at_z_u_times_f_prime_of_z_is_right_with_f_tanh(expression, formula):
    step = step_of(expression, "h" if expression == STEPS else "tanh(W · x + b)")
    result = practice.check(expression, f="tanh", formula=formula, step=step, port=0)
    assert result.correct, (formula, result.max_abs_error)


def test_f_is_the_requests_f(client):
    data = check(client, "u ∘ f′(z)", TANH_STEP, 0, f="sigmoid").get_json()
    assert data["correct"] is True
    data = check(client, "u ∘ tanh′(z)", TANH_STEP, 0, f="sigmoid").get_json()
    assert data["correct"] is False


def test_port_null_asks_for_the_steps_upstream(client):
    data = check(client, "δ", step_of(LECTURE, "W · x + b"), None).get_json()
    assert data["correct"] is True and data["shape"] == [3, 1]
    data = check(client, "u", TANH_STEP, None).get_json()
    assert data["correct"] is True


def test_every_delta_is_bound_and_spelt_in_ascii_too():
    expression = "z = Wx + b\nh = tanh(z)\ny = Vh + c\ns = uᵀ tanh(y)"
    t = trace(expression)
    names = practice.bindings(t)
    assert [d.delta.name for d in t.deltas] == ["δ", "δ₂"]
    for k, d in enumerate(t.deltas, 1):
        grad = t.node(d.delta.node).grad
        assert names[d.delta.name] is grad
        assert names["delta" + ("" if k == 1 else str(k))] is grad
    v_step = step_of(expression, "V · h")
    assert practice.check(expression, formula="δ hᵀ", step=v_step, port=0).correct
    w_step = step_of(expression, "W · x")
    assert practice.check(expression, formula="δ₂ xᵀ", step=w_step, port=0).correct
    assert practice.check(expression, formula="delta2 x^T", step=w_step, port=0).correct


@pytest.mark.parametrize(("formula", "message", "position"), [
    ("δ qᵀ", "unknown name q at column 3", 2),
    ("δ x", "δ is 3×1 but x is 4×1", 2),
    ("δ = u ∘ f′(z)", "unexpected '=' at column 3", 2),
    ("δ xᵀ +", "expected an operand after '+' at column 6", 6),
    ("", "the formula is empty", 0),
])
def test_a_bad_formula_is_a_400_with_its_position(client, formula, message, position):
    response = check(client, formula, W_STEP, 0)
    assert response.status_code == 400
    data = response.get_json()
    assert message in data["error"], data
    assert data["position"] == position


def test_a_formula_longer_than_the_expression_limit_is_refused(client):
    response = check(client, "x" * (MAX_EXPRESSION_CHARS + 1), W_STEP, 0)
    assert response.status_code == 400
    assert str(MAX_EXPRESSION_CHARS) in response.get_json()["error"]


@pytest.mark.parametrize(("step", "port", "message"), [
    (1, 0, "step 1 is a forward step"),
    (0, 0, "step must be a whole number from 1 to 18"),
    (W_STEP, 5, "ports are 0, 1"),
    (W_STEP, True, "ports are 0, 1"),
])
def test_the_step_and_port_must_name_a_backward_gradient(client, step, port, message):
    response = check(client, "δ", step, port)
    assert response.status_code == 400
    assert message in response.get_json()["error"]


def test_the_formula_never_reaches_eval():
    with pytest.raises(BackpropError, match="unexpected"):
        practice.evaluate("__import__('os').system('true')", {"x": np.zeros((1, 1))}, "tanh")


def test_unknown_body_fields_are_refused(client):
    response = client.post("/api/check", json={"expression": LECTURE, "formula": "δ",
                                               "step": W_STEP, "answer": 1})
    assert response.status_code == 400 and "unknown field 'answer'" in response.get_json()["error"]
