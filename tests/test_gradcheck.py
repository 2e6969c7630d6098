"""The gradient check: central differences agree with backprop where backprop is right, catch it
where it is wrong, stay within limits.py's bounds on large graphs, and never crash on a kink."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from checks import strict_json, tanh_net
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_viz import gradcheck, inputs, trace, tracedata
from backprop_viz import graph as graph_mod
from backprop_viz.__main__ import main
from backprop_viz.limits import GRADCHECK_ENTRIES
from backprop_viz.parser import parse

LECTURE = "s = uᵀ f(Wx + b)"


def graph_and_trace(expression: str, variables: dict | None = None,
                    seed: int = 0) -> tuple[graph_mod.Graph, tracedata.Trace]:
    """What inputs.trace builds, kept apart so the checker can be called on a changed trace."""
    result = trace(expression, variables, "tanh", seed)
    req = inputs.read(expression, variables, "tanh", seed)
    gr = graph_mod.build(parse(req.expression, frozenset(req.names)), req.f, req.shapes)
    return gr, result


# The fourth-order stencil is exact for polynomials of degree ≤ 4: only rounding is left.
@pytest.mark.parametrize("expression", [
    "s = sum(x**2)",
    "s = sum(x**3 * y) + sum(x ∘ y)",
    "s = xᵀ A x",
    "s = (a + b) * c - a**4",
])
def test_exact_on_polynomials(expression):
    result = trace(expression, seed=3)
    check = result.gradient_check
    assert check.method == "entries" and check.checked == check.total > 0
    assert check.max_rel_error < 1e-10


def test_the_lecture_is_checked_entry_by_entry():
    check = trace(LECTURE).gradient_check
    assert (check.method, check.checked, check.total) == ("entries", 22, 22)
    assert check.ok and check.max_rel_error < 1e-9
    w = check.variables["W"]
    assert w.numeric.shape == (3, 4) and w.entries is None
    np.testing.assert_allclose(w.numeric, trace(LECTURE).gradient("W"), rtol=1e-9)


# Random smooth expressions over x, y (3×1) and W (3×3), summed to a scalar.
LEAVES = st.sampled_from(["x", "y", "(W x)", "(Wᵀ y)", "0.5"])
UNARY = ("tanh({})", "σ({})", "sin({})", "cos({})", "({})**2", "exp(-({})**2)")
BINARY = ("({} + {})", "({} - {})", "({} ∘ {})")
smooth = st.recursive(
    LEAVES,
    lambda inner: st.one_of(
        st.tuples(st.sampled_from(UNARY), inner).map(lambda t: t[0].format(t[1])),
        st.tuples(st.sampled_from(BINARY), inner, inner).map(lambda t: t[0].format(t[1], t[2]))),
    max_leaves=6)


@settings(max_examples=40, deadline=None)
@given(body=smooth, seed=st.integers(0, 2**32))
def test_agrees_with_backprop_on_random_expressions(body, seed):
    variables = {"x": {"shape": [3, 1]}, "y": {"shape": [3, 1]}, "W": {"shape": [3, 3]}}
    result = trace(f"s = sum({body})", variables, "tanh", seed)
    check = result.gradient_check
    assert check.ok or (check.total == 0 and check.ok is None), (body, check.max_rel_error)


def test_a_wrong_gradient_is_caught():
    gr, result = graph_and_trace(LECTURE)
    w = result.variables["W"]
    nodes = tuple(replace(n, grad=n.grad * (1 + 1e-4)) if n.id == w else n for n in result.nodes)
    check = gradcheck.check(gr, replace(result, nodes=nodes))
    assert check.ok is False
    assert 5e-5 < check.variables["W"].max_rel_error < 2e-4
    assert check.variables["u"].max_rel_error < 1e-9      # the others still agree


def test_a_big_w_is_checked_on_a_bounded_seeded_subset():
    variables = {"W": {"shape": [512, 512]}}
    first = trace(LECTURE, variables, "tanh", 7).gradient_check
    again = trace(LECTURE, variables, "tanh", 7).gradient_check
    other = trace(LECTURE, variables, "tanh", 8).gradient_check
    w = first.variables["W"]
    assert first.method == "subset" and w.method == "subset"
    assert 1 <= w.checked == len(w.entries) <= GRADCHECK_ENTRIES and w.total == 512 * 512
    assert first.passes <= gradcheck.PASSES * GRADCHECK_ENTRIES * 4
    assert w.entries == again.variables["W"].entries != other.variables["W"].entries
    assert first.ok
    layout = first.to_dict()["variables"]["W"]
    assert len(layout["numeric"]) == len(layout["entries"]) == len(layout["rel_error"])


def test_a_200_layer_net_falls_back_to_one_direction_in_all():
    expression, variables = tanh_net(200)
    check = trace(expression, variables).gradient_check
    assert check.method == "joint" and check.passes == gradcheck.PASSES
    assert check.ok and check.checked == 1 and check.total == 200 * 20 + 4 + 4
    assert all(v.method == "joint" and v.max_rel_error is None
               for v in check.variables.values())


def test_a_middle_size_mixes_directions_subsets_and_entries_within_the_cap():
    """A 14-layer net: the first layers' passes are too dear for one entry each, so they get a
    direction; the last layers' are cheap, so every entry."""
    expression, variables = tanh_net(14)
    check = trace(expression, variables).gradient_check
    methods = {name: v.method for name, v in check.variables.items()}
    assert check.method == "direction" and check.ok
    assert methods["x"] == methods["W1"] == "direction" and methods["u"] == "entries"
    w1 = check.to_dict()["variables"]["W1"]
    assert isinstance(w1["numeric"], float) and w1["entries"] is None and w1["checked"] == 1


@pytest.mark.parametrize("expression, variables, reason", [
    ("s = sum(relu(x))", {"x": {"value": [0.0, 1.0, -1.0]}}, "kink"),
    ("s = relu(a - 1) + a", {"a": {"value": 1.0}}, "kink"),
    ("s = log(x)", {"x": {"value": -1.0}}, "non-finite"),
    ("s = sqrt(x)", {"x": {"value": 0.0}}, "non-finite"),
])
def test_kinks_and_non_finite_numbers_are_skipped_and_said(expression, variables, reason):
    check = trace(expression, variables).gradient_check
    (name,) = variables
    skipped = check.variables[name].skipped
    assert skipped and {why for _, why in skipped} == {reason}
    data = strict_json(trace(expression, variables).to_json())["gradient_check"]
    assert data["variables"][name]["skipped"][0]["reason"] == reason


def test_a_max_tie_abs_and_the_norm_at_zero_do_not_crash():
    for expression, variables in [("s = max(a, b)", {"a": {"value": 1}, "b": {"value": 1}}),
                                  ("s = abs(a)", {"a": {"value": 0}}),
                                  ("s = norm(x)", {"x": {"value": [0, 0]}}),
                                  ("s = max(x)", {"x": {"value": [2, 2, 1]}})]:
        data = strict_json(trace(expression, variables).to_json())["gradient_check"]
        assert data["total"] == sum(v["total"] for v in data["variables"].values())


def test_a_variable_the_output_ignores_costs_no_pass():
    check = trace("q = 2 y\ns = sum(x)", {"x": {"shape": [3, 1]}}).gradient_check
    y = check.variables["y"]
    assert y.method == "entries" and not y.numeric.any() and not y.backprop.any()
    assert check.passes == gradcheck.PASSES * 3 and check.ok


def test_the_json_is_documented_layout():
    data = strict_json(trace(LECTURE).to_json())["gradient_check"]
    assert {"method", "max_rel_error", "ok", "tolerance", "checked", "total", "passes", "step",
            "floor", "joint", "variables"} == set(data)
    w = data["variables"]["W"]
    assert {"method", "checked", "total", "max_rel_error", "entries", "numeric", "backprop",
            "rel_error", "skipped"} == set(w)
    assert len(w["numeric"]) == 3 and len(w["numeric"][0]) == 4
    assert w["backprop"] == trace(LECTURE).to_dict()["gradients"]["W"].tolist()


def test_the_api_the_cli_and_python_carry_the_same_check(client, capsys):
    python = strict_json(trace(LECTURE).to_json())["gradient_check"]
    assert main([LECTURE, "--json"]) == 0
    assert strict_json(capsys.readouterr().out)["gradient_check"] == python
    assert client.post("/api/trace", json={"expression": LECTURE}).get_json()[
        "gradient_check"] == python
