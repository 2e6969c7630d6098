"""Training as the notes' SGD loop: θ ← θ − η ∂s/∂θ, the loss curve, its limits and its API."""

from __future__ import annotations

import json

import numpy as np
import pytest
from checks import check_error, strict_json, tanh_net

from backprop_viz import limits, trace
from backprop_viz.__main__ import main
from backprop_viz.inputs import prepare
from backprop_viz.training import INPUTS_AND_TARGETS, is_parameter, train, update

LECTURE = "s = uᵀ f(Wx + b)"
NET = "h = relu(W1 x + b1); z = W2 h + b2; J = -yᵀ log(softmax(z))"
NET_VARIABLES = {"W1": {"shape": [4, 3]}, "W2": {"shape": [3, 4]}, "y": {"value": [0, 1, 0]}}


def random_expression(seed: int) -> tuple[str, dict]:
    """A smooth expression of random functions, shapes and (through the seed) values."""
    rng = np.random.default_rng(seed)
    m, n, p = (int(d) for d in rng.integers(1, 5, 3))
    f, g = rng.choice(["tanh", "σ", "sin", "cos"], 2)
    return (f"s = sum({f}(A {g}(B) + c) * D)",
            {"A": {"shape": [m, n]}, "B": {"shape": [n, p]}, "D": {"shape": [m, p]}})


# ---------------------------------------------------------------- the update

def first_order_error(expression: str, variables: dict | None, eta: float, seed: int) -> float:
    """|Δs − (−η‖g‖²)| / η‖g‖²: s(θ − ηg) − s(θ) = −η‖g‖² + O(η²)."""
    before = trace(expression, variables, seed=seed)
    norm2 = sum(float(np.sum(before.gradient(n) ** 2)) for n in before.variables
                if is_parameter(n))
    step = update(expression, variables, seed=seed, eta=eta)
    assert step.before == before.value
    return abs((step.after - step.before) + eta * norm2) / (eta * norm2)


@pytest.mark.parametrize("expression, variables, seed", [
    (LECTURE, None, 0), (LECTURE, None, 1), (*random_expression(0), 0),
    (*random_expression(1), 1), (*random_expression(2), 2)])
def test_the_loss_changes_as_eta_g_predicts_to_first_order(expression, variables, seed):
    errors = [first_order_error(expression, variables, eta, seed) for eta in (1e-3, 1e-4, 1e-5)]
    assert all(e < 5 * eta for e, eta in zip(errors, (1e-3, 1e-4, 1e-5), strict=True)), errors
    assert 5 < errors[1] / errors[2] < 20, errors   # the error shrinks as η: O(η)


def test_update_moves_parameters_by_eta_times_the_gradient_and_nothing_else():
    before = trace(NET, NET_VARIABLES, seed=2)
    step = update(NET, NET_VARIABLES, seed=2, eta=0.25)
    assert step.parameters == ("W1", "b1", "W2", "b2") and step.steps == 1
    for name, node in before.variables.items():
        value = before.node(node).value
        expected = value - 0.25 * before.gradient(name) if is_parameter(name) else value
        assert np.array_equal(step.values[name], expected), name
    assert step.trace.value == step.after == step.losses[1]


def test_the_loss_falls_on_a_two_layer_softmax_net():
    result = train(NET, NET_VARIABLES, seed=0, eta=0.1, steps=100)
    losses = np.array(result.losses)
    assert len(losses) == 101 and not result.warnings
    assert (np.diff(losses) <= 0).all()
    assert losses[-1] < losses[0] / 10


# ---------------------------------------------------------------- which variables are parameters

def test_the_default_rule_spares_inputs_and_targets():
    assert INPUTS_AND_TARGETS == ("x", "X", "y", "Y", "t", "T")
    assert [n for n in ("W", "b", "u", "x", "X", "y", "Y", "t", "T", "x2", "w") if
            is_parameter(n)] == ["W", "b", "u", "x2", "w"]
    assert update(LECTURE, eta=0.1).parameters == ("u", "W", "b")


def test_an_explicit_list_overrides_the_rule():
    before = trace(LECTURE)
    step = update(LECTURE, eta=0.1, parameters=["x"])
    assert step.parameters == ("x",)
    assert np.array_equal(step.values["x"], before.node(before.variables["x"]).value
                          - 0.1 * before.gradient("x"))
    assert np.array_equal(step.values["W"], before.node(before.variables["W"]).value)


@pytest.mark.parametrize("request_, fragment", [
    ({"parameters": ["z"]}, "parameters: z is not a variable of the expression "
                            "(its variables: u, W, x, b)"),
    ({"parameters": []}, "parameters is empty"),
    ({"parameters": "W"}, "parameters must be a list of variable names"),
    ({"expression": "s = sum(x * y)"}, "no variable is a parameter by default (x, y are inputs "
                                       "or targets): name some in parameters"),
    ({"eta": 0}, "eta must be a positive finite number, not 0"),
    ({"eta": "0.1"}, "eta must be a positive finite number, not '0.1'"),
    ({"steps": 0}, "steps must be a whole number from 1 to 1000, not 0"),
    ({"steps": 2.5}, "steps must be a whole number from 1 to 1000, not 2.5"),
])
def test_bad_requests_are_400_saying_what_is_wrong(client, request_, fragment):
    r = client.post("/api/train", json={"expression": LECTURE, **request_})
    assert r.status_code == 400
    check_error(r.get_json(), request_.get("expression", LECTURE))
    assert fragment in r.get_json()["error"]


# ---------------------------------------------------------------- limits

@pytest.mark.parametrize("body, fragment", [
    ({"expression": LECTURE, "steps": 1001},
     "steps is 1001, more than the limit 1000 (MAX_TRAIN_STEPS)"),
    ({"expression": tanh_net(30)[0], "variables": tanh_net(30)[1], "steps": 200},
     "200 steps × 154 nodes = 30800 is more than the limit 20000 (MAX_TRAIN_NODE_STEPS): "
     "take at most 129 steps"),
    ({"expression": LECTURE, "variables": {"W": {"shape": [512, 512]}}, "steps": 100},
     "100 steps × 265729 numbers = 26572900 is more than the limit 20000000 "
     "(MAX_TRAIN_NUMBER_STEPS): take at most 75 steps"),
    ({"expression": "s = sum(A B)", "variables": {"A": {"shape": [500, 500]},
                                                  "B": {"shape": [500, 500]}}, "steps": 10},
     "10 steps × 250499999 scalar operations = 2504999990 is more than the limit 2000000000 "
     "(MAX_TRAIN_SCALAR_STEPS): take at most 7 steps"),
])
def test_training_limits_are_refused_naming_the_limit(client, body, fragment):
    r = client.post("/api/train", json=body)
    assert r.status_code == 400
    assert fragment in r.get_json()["error"]


def test_every_graph_the_limits_allow_can_take_one_step():
    assert limits.MAX_TRAIN_NODE_STEPS >= limits.MAX_NODES
    assert limits.MAX_TRAIN_NUMBER_STEPS >= limits.MAX_ELEMENTS_TOTAL
    # the most scalar operations the element limit allows: one product of the largest squares
    square = {"shape": [591, 591]}
    largest = prepare("s = sum(A B)", {"A": square, "B": square})
    assert largest.scalar_nodes <= limits.MAX_TRAIN_SCALAR_STEPS


# ---------------------------------------------------------------- API and CLI

def test_api_round_trip_the_new_values_give_the_new_loss_exactly(client):
    body = {"expression": NET, "variables": NET_VARIABLES, "seed": 1}
    r = client.post("/api/train", json={**body, "eta": 0.1, "steps": 5})
    assert r.status_code == 200
    data = strict_json(r.data)
    assert set(data) == {"losses", "variables", "parameters", "eta", "before", "after",
                         "steps", "warnings"}
    assert (data["eta"], data["steps"], len(data["losses"])) == (0.1, 5, 6)
    assert data["parameters"] == ["W1", "b1", "W2", "b2"]
    assert (data["before"], data["after"]) == (data["losses"][0], data["losses"][-1])
    assert data["losses"] == list(train(**body, eta=0.1, steps=5).losses)
    again = client.post("/api/trace", json={**body, "variables": data["variables"]}).get_json()
    assert again["value"] == data["after"]
    assert {k: {"shape": v["shape"], "value": v["value"]}
            for k, v in again["variables"].items()} == data["variables"]


def test_api_steps_one_is_update_and_defaults(client):
    r = client.post("/api/train", json={"expression": LECTURE}).get_json()
    assert (r["eta"], r["steps"]) == (0.1, 1)
    assert r["after"] == update(LECTURE, eta=0.1).after


def test_a_loss_that_is_not_finite_is_reported_and_stops_training(client):
    body = {"expression": "s = log(x - w)", "variables": {"x": {"value": 1}, "w": {"value": 0.5}},
            "eta": 1, "steps": 5}
    r = client.post("/api/train", json=body)
    assert r.status_code == 200
    data = strict_json(r.data)
    assert data["losses"] == [-0.6931471805599453, "NaN"] and data["after"] == "NaN"
    assert data["warnings"] == ["training stopped after 1 of 5 steps: the loss s is NaN"]
    assert data["variables"]["w"]["value"] == [[2.5]]     # 0.5 − 1 · (−1 / 0.5)


def test_cli_prints_the_losses(capsys):
    assert main([LECTURE, "--train", "3", "--eta", "0.1"]) == 0
    out = capsys.readouterr().out.splitlines()
    expected = train(LECTURE, eta=0.1, steps=3).losses
    assert out[0] == "training u, W, b with η = 0.1"
    assert out[1:] == [f"step {k}: s = {loss:.6g}" for k, loss in enumerate(expected)]
    assert main([LECTURE, "--train", "2", "--param", "W", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["parameters"] == ["W"] and data["steps"] == 2
    assert main([LECTURE, "--train", "5000"]) == 2
    assert "more than the limit 1000 (MAX_TRAIN_STEPS)" in capsys.readouterr().err
