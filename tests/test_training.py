"""Training as the notes' SGD loop: θ ← θ − η ∂s/∂θ, the loss curve, its limits and its API."""

from __future__ import annotations

import json

import numpy as np
import pytest
from checks import check_error, strict_json, tanh_net

from backprop_viz import datasets, limits, sgd, trace
from backprop_viz.__main__ import main
from backprop_viz.inputs import prepare
from backprop_viz.presets import BY_ID
from backprop_viz.sgd import fit
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
    ({"expression": tanh_net(60)[0], "variables": tanh_net(60)[1], "steps": 200},
     "200 steps × 607 nodes and edges = 121400 is more than the limit 40000 "
     "(MAX_TRAIN_NODE_STEPS): take at most 65 steps"),
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
    assert limits.MAX_TRAIN_NODE_STEPS >= limits.MAX_NODES + limits.MAX_EDGES
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
                         "steps", "warnings", "warning_codes"}
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


# ---------------------------------------------------------------- on a data set (issue 17)

SPIRAL = BY_ID["spiral"]
SPIRAL_BODY = {"expression": SPIRAL.expression, "f": SPIRAL.f, "seed": SPIRAL.seed,
               "variables": {name: {"shape": list(np.shape(SPIRAL.variables[name]["value"]))}
                             for name in ("W1", "b1", "W2", "b2")}}


def spiral_fit(**options):
    body = {"expression": SPIRAL.expression, "variables": SPIRAL_BODY["variables"],
            "f": SPIRAL.f, "seed": SPIRAL.seed, **SPIRAL.training, **options}
    return fit(**body)


def test_the_cs231n_net_learns_the_spiral_within_the_limits():
    result = spiral_fit()
    assert (result.steps, result.batch_size, result.data.rows) == (300, 30, 300)
    assert result.parameters == ("W1", "b1", "W2", "b2") and not result.warnings
    assert result.values["W1"].shape == (2, 50), "hidden 50, as CS231n's"
    assert result.accuracy >= 0.9, result.accuracy
    assert result.accuracies[0] < 0.7 < result.accuracies[-1]
    first, last = np.mean(result.losses[:10]), np.mean(result.losses[-10:])
    assert last <= first / 3, (first, last)


def test_the_same_seed_gives_the_same_curve_and_chunks_continue_it():
    whole = spiral_fit(steps=60)
    assert spiral_fit(steps=60).losses == whole.losses
    assert spiral_fit(steps=60, seed=1).losses != whole.losses
    head = spiral_fit(steps=25)
    given = {name: {"value": v.tolist()} for name, v in head.values.items()}
    tail = spiral_fit(steps=35, start=25, variables=given)
    np.testing.assert_allclose(head.losses + tail.losses, whole.losses, rtol=1e-12)
    np.testing.assert_allclose(head.accuracies + tail.accuracies, whole.accuracies)
    assert tail.batch_rows.tolist() == whole.batch_rows.tolist()


def test_the_preset_opens_at_step_0_of_training():
    """The preset's X and Y are the first mini-batch, its parameters INIT_RULE's: its trace's
    loss is the first step's, and one step moves each parameter by η times its gradient."""
    start = trace(SPIRAL.expression, SPIRAL.variables, SPIRAL.f, SPIRAL.seed)
    one = spiral_fit(steps=1)
    assert one.losses[0] == pytest.approx(start.value, rel=1e-14)
    for name in one.parameters:
        before = start.node(start.variables[name]).value
        np.testing.assert_allclose(one.values[name], before - 0.5 * start.gradient(name),
                                   rtol=1e-12, atol=1e-15)
    (repeat, *_) = [n for n in start.nodes if n.op == "repeat"]
    assert repeat.shape == (30, 50), "b1's row is repeated over the batch's 30 rows"


def test_one_step_changes_the_batch_loss_as_eta_g_predicts_to_first_order():
    """With B = N every step's batch is the whole set: L(θ − ηg) − L(θ) = −η‖g‖² + O(η²)."""
    start = spiral_fit(steps=1, batch_size=300, eta=1e-9)  # θ₀ and the loss at it
    data = start.data
    at = {name: {"value": v} for name, v in start.batch.items()}
    init = trace(SPIRAL.expression, {**SPIRAL_BODY["variables"], **{
        n: {"value": sgd.initial(n, tuple(s["shape"]), 0).tolist()}
        for n, s in SPIRAL_BODY["variables"].items()}, **{
        k: {"value": v["value"].tolist()} for k, v in at.items()}}, SPIRAL.f, 0)
    norm2 = sum(float(np.sum(init.gradient(n) ** 2)) for n in start.parameters)
    errors = []
    for eta in (1e-3, 1e-4):
        one = spiral_fit(steps=1, batch_size=300, eta=eta)
        given = {name: {"value": v.tolist()} for name, v in one.values.items()}
        after = spiral_fit(steps=1, batch_size=300, eta=1e-9, start=1, variables=given)
        change = after.losses[0] - one.losses[0]
        errors.append(abs(change + eta * norm2) / (eta * norm2))
    assert data.rows == 300 and errors[0] < 0.05 and errors[1] < errors[0] / 5, errors


def test_l2_adds_its_term_to_the_loss_and_decays_the_weights_not_the_biases():
    plain, decayed = spiral_fit(steps=1), spiral_fit(steps=1, l2=0.01)
    w = {n: sgd.initial(n, v.shape, 0) for n, v in plain.values.items()}
    penalty = 0.5 * 0.01 * (np.sum(w["W1"] ** 2) + np.sum(w["W2"] ** 2))
    assert decayed.losses[0] == pytest.approx(plain.losses[0] + penalty, rel=1e-14)
    for name in ("W1", "W2"):
        np.testing.assert_allclose(decayed.values[name],
                                   plain.values[name] - 0.5 * 0.01 * w[name], rtol=1e-12)
    for name in ("b1", "b2"):
        np.testing.assert_array_equal(decayed.values[name], plain.values[name])


def test_an_update_that_overflows_stops_training_and_says_so(client):
    r = client.post("/api/train", json={**SPIRAL_BODY, **SPIRAL.training, "eta": 1e306})
    assert r.status_code == 200
    answer = strict_json(r.data)
    assert answer["steps"] == len(answer["accuracies"]) == len(answer["losses"]) - 1
    assert answer["warnings"][0].startswith(f"training stopped after {answer['steps']} of 300 "
                                            f"steps: ")
    assert answer["batch"]["step"] == answer["steps"]


def test_the_boundary_is_the_predicted_class_over_the_input_plane():
    result = spiral_fit()
    grid = result.boundary
    assert len(grid["x"]) == len(grid["y"]) == limits.BOUNDARY_GRID
    classes = np.array(grid["classes"])
    assert classes.shape == (limits.BOUNDARY_GRID,) * 2 and set(classes.ravel()) == {0, 1, 2}
    x, y = result.data.features.T
    assert grid["x"][0] < x.min() and grid["x"][-1] > x.max()
    assert grid["y"][0] < y.min() and grid["y"][-1] > y.max()


@pytest.mark.parametrize("name, classes", [("spiral", 4), ("xor", 2), ("moons", 2),
                                           ("blobs", 3)])
def test_built_in_data_sets_are_drawn_from_their_seed(name, classes):
    spec = {"name": name, "points_per_class": 20, "seed": 3}
    if name in ("spiral", "blobs"):
        spec["classes"] = classes
    a, b = datasets.read(spec), datasets.read(spec)
    assert a.features.shape == (20 * classes, 2) and a.classes == classes
    np.testing.assert_array_equal(a.features, b.features)
    assert not np.array_equal(a.features, datasets.read({**spec, "seed": 4}).features)
    assert np.bincount(a.labels).tolist() == [20] * classes
    y = a.one_hot()
    assert y.shape == (20 * classes, classes) and (y.sum(axis=1) == 1).all()
    assert (y.argmax(axis=1) == a.labels).all()
    s = datasets.read({**spec, "standardise": True}).features
    np.testing.assert_allclose(s.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(s.std(axis=0), 1)


def test_the_spiral_is_cs231ns():
    """Class j: radius r from 0 to 1, angle 4j … 4(j + 1) plus N(0, 0.2²) noise (noise 0 here)."""
    d = datasets.read({"name": "spiral", "classes": 3, "points_per_class": 5, "noise": 0})
    r = np.linspace(0, 1, 5)
    for j in range(3):
        t = np.linspace(4 * j, 4 * (j + 1), 5)
        np.testing.assert_allclose(d.features[5 * j:5 * (j + 1)],
                                   np.column_stack([r * np.sin(t), r * np.cos(t)]), atol=1e-15)


CSV = "x1,x2,label\n0.1,0.2,cat\n-1,0.5,dog\n0.3,-0.2,cat\n2,1,dog\n"


def test_a_csv_trains_with_its_labels_in_sorted_order(client):
    data = datasets.read({"csv": CSV})
    assert data.class_names == ("cat", "dog") and data.labels.tolist() == [0, 1, 0, 1]
    assert data.feature_names == ("x1", "x2")
    numeric = datasets.read({"csv": "a,b,y\n1,1,10\n2,2,2\n3,3,10\n", "label": "y"})
    assert numeric.class_names == ("2", "10") and numeric.labels.tolist() == [1, 0, 1]
    body = {"expression": "L = -mean(sum(Y ∘ log(softmax(X W + b, axis=1)), axis=1))",
            "variables": {"W": {"shape": [2, 2]}, "b": {"shape": [1, 2]}},
            "dataset": {"csv": CSV, "standardise": True}, "batch_size": 2, "eta": 0.5,
            "steps": 20}
    r = client.post("/api/train", json=body)
    assert r.status_code == 200, r.get_json()
    answer = strict_json(r.data)
    assert len(answer["losses"]) == len(answer["accuracies"]) == 20
    assert answer["dataset"]["class_names"] == ["cat", "dog"]
    assert answer["accuracy"] == 1.0


@pytest.mark.parametrize("text, fragment", [
    ("x1,x2,label\n1,2,a\n1,2\n3,4,b\n",
     "the CSV has 1 bad row: line 3: 2 fields, but the header has 3"),
    ("x1,x2,label\n1,two,a\n3,4,b\n", "line 2: x2 is 'two', not a finite number"),
    ("x1,x2,label\n1,2,a\n1,2,3,4\nnan,1,b\n,1,a\n",
     "the CSV has 3 bad rows: line 3: 4 fields, but the header has 3; line 4: x1 is 'nan', "
     "not a finite number; line 5: x1 is '', not a finite number"),
    ("x1,x2,y\n1,2,a\n", "the CSV has no column 'label' for the labels (its columns: x1, x2, "
                         "y); name it with label"),
    ("x1,x2,label\n" + "1,2,a\n" * (limits.MAX_DATASET_ROWS + 1),
     f"the CSV has {limits.MAX_DATASET_ROWS + 1} rows, more than the limit "
     f"{limits.MAX_DATASET_ROWS} (MAX_DATASET_ROWS)"),
    ("x1,x2,label\n1,2,a\n3,4,a\n", "the label column has 1 classes; it needs 2 to 20"),
    ("x1,label\n1,\n2,b\n", "line 2: the label (label) is empty"),
    ("", "the CSV is empty"),
    ("x1,x2,label\n" + "".join(f"{k},x,a\n" for k in range(8)),
     "the CSV has 8 bad rows: line 2: x2 is 'x', not a finite number; line 3: "),
])
def test_a_bad_csv_is_a_400_naming_each_bad_row(client, text, fragment):
    body = {**SPIRAL_BODY, "dataset": {"csv": text}, "steps": 1}
    r = client.post("/api/train", json=body)
    assert r.status_code == 400
    check_error(r.get_json(), SPIRAL.expression)
    assert fragment in r.get_json()["error"]
    if "8 bad rows" in fragment:
        assert r.get_json()["error"].endswith("; and 3 more")


@pytest.mark.parametrize("change, fragment", [
    ({"dataset": {"name": "circles"}}, "dataset: name must be one of spiral, xor, moons, blobs"),
    ({"dataset": {"name": "xor", "classes": 3}}, "dataset: xor has 2 classes, not 3"),
    ({"dataset": {"name": "spiral", "points": 3}}, "dataset: unknown field 'points'"),
    ({"dataset": {"name": "spiral", "points_per_class": 3000}},
     "dataset: points_per_class must be a whole number from 1 to 1666, not 3000"),
    ({"dataset": "spiral"}, "dataset must be an object"),
    ({"batch_size": 301}, "batch_size must be a whole number from 1 to 300, not 301"),
    ({"steps": 10, "epochs": 1}, "give steps or epochs, not both"),
    ({"l2": -1}, "l2 must be a finite number, 0 or more, not -1"),
    ({"parameters": ["W1", "X"]}, "parameters: X holds the data set, it cannot be trained"),
    ({"inputs": "Z"}, "the expression has no Z: name yours with inputs and targets"),
    ({"scores": "H"}, "scores: H must have a row per sample and a column per class (30×3)"),
    ({"dataset": {"name": "spiral", "points_per_class": 1000}, "batch_size": 1000,
      "steps": 1000},
     "is more than the limit 600000000 (MAX_SGD_WORK): take at most"),
])
def test_bad_training_on_a_data_set_is_a_400(client, change, fragment):
    body = {**SPIRAL_BODY, **SPIRAL.training, **change}
    r = client.post("/api/train", json=body)
    assert r.status_code == 400
    check_error(r.get_json(), SPIRAL.expression)
    assert fragment in r.get_json()["error"]


def test_data_set_fields_need_a_dataset(client):
    r = client.post("/api/train", json={"expression": LECTURE, "batch_size": 3})
    assert r.status_code == 400
    assert r.get_json()["error"] == "batch_size is for training on a data set: give dataset too"


def test_api_cli_and_python_agree_on_the_spiral(client, capsys, tmp_path):
    r = client.post("/api/train", json={**SPIRAL_BODY, **SPIRAL.training, "steps": 40})
    assert r.status_code == 200
    answer = strict_json(r.data)
    assert {"losses", "accuracies", "accuracy", "variables", "boundary", "batch", "dataset",
            "init", "parameters", "batch_size", "eta", "steps", "start"} <= set(answer)
    python = spiral_fit(steps=40)
    assert answer["losses"] == list(python.losses) and answer["accuracy"] == python.accuracy
    assert answer["batch"]["step"] == 40 and len(answer["batch"]["rows"]) == 30
    assert np.shape(answer["batch"]["variables"]["X"]["value"]) == (30, 2)
    args = [SPIRAL.expression, "--train", "40", "--dataset", "spiral", "--batch-size", "30",
            "--eta", "0.5", *(f"--var={n}={s['shape'][0]}x{s['shape'][1]}"
                              for n, s in SPIRAL_BODY["variables"].items())]
    assert main(args) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == ("training W1, b1, W2, b2 on spiral (300 rows) with η = 0.5, B = 30")
    assert out[1] == f"step 1: loss {python.losses[0]:.6g}, train accuracy " \
                     f"{python.accuracies[0]:.4f}"
    assert len(out) == 41
    assert main([*args, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["losses"] == answer["losses"]
    csv = tmp_path / "two.csv"
    csv.write_text(CSV)
    assert main(["L = -mean(sum(Y ∘ log(softmax(X W + b, axis=1)), axis=1))", "--var=b=1x2",
                 "--train", "3", "--dataset", str(csv)]) == 0
    assert "on csv (4 rows)" in capsys.readouterr().out
    assert main([*args[:3], "--dataset", str(tmp_path / "none.csv")]) == 2
    assert "--dataset: cannot read" in capsys.readouterr().err


def test_a_notebook_trace_trains_on_a_data_set_and_on_its_own_values():
    """`trace(...).train(dataset=...)` is sgd.fit on the trace's expression; without a data set,
    gradient descent from the trace's own values."""
    expression = SPIRAL.expression
    t = trace(expression, SPIRAL.variables, SPIRAL.f, seed=0)
    options = {"steps": 20, "batch_size": 30, "eta": 0.5}
    fitted = t.train(dataset={"name": "spiral", "seed": 0}, **options)
    shapes = {name: {"shape": list(t.node(n).shape)} for name, n in t.variables.items()
               if name not in ("X", "Y")}
    direct = sgd.fit(expression, shapes, SPIRAL.f, 0, dataset={"name": "spiral", "seed": 0},
                     **options)
    assert fitted.losses == direct.losses and fitted.accuracy == direct.accuracy
    lecture = trace(LECTURE)
    stepped = lecture.train(steps=3, eta=0.1)
    assert stepped.losses[0] == lecture.value and len(stepped.losses) == 4


def test_training_writes_the_words_once_and_only_numbers_per_step(monkeypatch):
    """Issue 19: training skips the text it never shows. The forms are written for the first
    pass alone; each step after it is the numeric passes (engine.refill), and lands where a
    whole run from the same values does."""
    from backprop_viz import forms, training

    calls = []
    written = forms.shape_form
    monkeypatch.setattr(forms, "shape_form", lambda *a: calls.append(1) or written(*a))
    once = training.train(LECTURE, steps=1)
    first = len(calls)
    many = training.train(LECTURE, steps=20)
    assert len(calls) - first == first   # 20 steps wrote what 1 did: one pass's words
    whole = trace(LECTURE, {name: {"value": v.tolist()} for name, v in many.values.items()})
    assert many.losses[-1] == whole.value and once.losses[0] == many.losses[0]
