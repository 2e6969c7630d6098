"""The presets: each traces cleanly and passes the gradient check, the CS231n ones give the
numbers CS231n gives, the softmax net shows ŷ − y, and /api/presets hands them out as they are."""

from __future__ import annotations

import numpy as np
import pytest
from checks import check_trace, strict_json

from backprop_viz import trace
from backprop_viz.presets import BY_ID, PRESETS

IDS = [p.id for p in PRESETS]


def run(preset_id: str):
    p = BY_ID[preset_id]
    return trace(p.expression, p.variables, p.f, p.seed)


def test_there_are_the_nine_of_issue_8_and_the_spiral_of_issue_17_with_distinct_ids():
    assert len(PRESETS) == 10 == len(BY_ID)
    for p in PRESETS:
        assert p.title and p.caption and "\n" not in p.caption


@pytest.mark.parametrize("preset_id", IDS)
def test_every_preset_traces_with_no_warning_and_passes_the_gradient_check(preset_id):
    p = BY_ID[preset_id]
    result = run(preset_id)
    assert result.warnings == ()
    assert set(result.variables) == set(p.variables), "every value given is used"
    check = result.gradient_check
    if p.training is None:
        assert check.method == "entries" and check.checked == check.total
    else:   # the spiral's W1 (100 entries) and W2 (150) are checked on a subset of 64
        assert check.method == "subset" and check.checked < check.total
    assert check.max_rel_error < 1e-7
    check_trace(strict_json(result.to_json()), p.expression, svg=False)


@pytest.mark.parametrize("preset_id, value, gradients", [
    ("cs231n-add-mul", -12.0, {"x": -4.0, "y": -4.0, "z": 3.0}),
    ("gates", -14.0, {"x": -6.0, "y": 6.0, "z": 2.0, "w": 0.0}),
])
def test_the_circuits_give_their_exact_numbers(preset_id, value, gradients):
    result = run(preset_id)
    assert result.value == value
    assert {name: result.gradient(name).item() for name in gradients} == gradients


def test_the_sigmoid_neuron_gives_cs231n_numbers():
    result = run("sigmoid-neuron")
    assert result.value == pytest.approx(0.7311, abs=1e-4)
    grad = {name: result.gradient(name).item() for name in result.variables}
    np.testing.assert_allclose([grad["w0"], grad["w1"], grad["w2"]], [-0.1966, -0.3932, 0.1966],
                               atol=1e-4)
    np.testing.assert_allclose([grad["x0"], grad["x1"]], [0.3932, -0.5898], atol=1e-4)


def test_the_two_layer_net_has_y_hat_minus_y_at_the_logits():
    result = run("two-layer-softmax")
    by_label = {n.label: n for n in result.nodes}
    y = np.array(BY_ID["two-layer-softmax"].variables["y"]["value"], dtype=float).reshape(-1, 1)
    np.testing.assert_allclose(by_label["θ"].grad, by_label["ŷ"].value - y, atol=1e-15)
    assert (by_label["h"].value > 0).all(), "no relu unit off: every weight gets a gradient"


def test_the_mini_batch_shows_the_repeat_node():
    result = run("mini-batch")
    (repeat,) = [n for n in result.nodes if n.op == "repeat"]
    assert result.node(repeat.inputs[0]).label == "b" and repeat.shape == (3, 3)
    np.testing.assert_allclose(result.gradient("b"), repeat.grad.sum(axis=1, keepdims=True))


def test_the_lecture_presets_agree_on_the_lecture_numbers():
    lecture, steps, logistic = run("lecture"), run("lecture-steps"), run("logistic")
    assert lecture.value == steps.value
    for name in lecture.variables:
        np.testing.assert_array_equal(lecture.gradient(name), steps.gradient(name))
    sigma = 1 / (1 + np.exp(-lecture.value))
    assert logistic.value == pytest.approx(sigma, rel=1e-15)
    np.testing.assert_allclose(logistic.gradient("W"),
                               sigma * (1 - sigma) * lecture.gradient("W"), rtol=1e-12)


def test_api_presets_round_trips(client):
    response = client.get("/api/presets")
    assert response.status_code == 200 and response.is_json
    data = response.get_json()
    assert [p["id"] for p in data] == IDS
    for item, preset in zip(data, PRESETS, strict=True):
        assert set(item) == {"id", "title", "caption", "title_key", "caption_key", "expression",
                             "variables", "f", "seed", "training"}
        answer = client.post("/api/trace", json={k: item[k] for k in
                                                 ("expression", "variables", "f", "seed")})
        assert answer.status_code == 200
        assert answer.get_json()["value"] == run(preset.id).value
