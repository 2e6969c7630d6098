"""One compile per structure: the cache's key, its bound, the numeric pass against a whole run,
and the HTTP protocol that sends a structure once (docs/API.md)."""

from __future__ import annotations

import numpy as np
import orjson
import pytest

from backprop_viz import compiled, inputs, jsonio, render
from backprop_viz.presets import PRESETS
from backprop_viz.tracedata import local_json

LECTURE = "s = uᵀ f(Wx + b)"


def key_of(expression, variables=None, f="tanh", view="vector"):
    return compiled.key(inputs.read(expression, variables, f, 0), view)


@pytest.mark.parametrize("a, b", [
    ((LECTURE, None, "tanh", "vector"), (LECTURE, {"W": {"shape": [5, 4]}}, "tanh", "vector")),
    ((LECTURE, {"W": {"shape": [3, 4]}}, "tanh", "vector"),
     (LECTURE, {"W": {"shape": [4, 3]}}, "tanh", "vector")),
    ((LECTURE, None, "tanh", "vector"), (LECTURE, None, "relu", "vector")),
    ((LECTURE, None, "tanh", "vector"), (LECTURE, None, "tanh", "scalar")),
    ((LECTURE, None, "tanh", "vector"), ("s = uᵀ f(Wx  + b)", None, "tanh", "vector")),
    # a given value declares its shape; a value of another shape is another structure
    ((LECTURE, {"x": {"value": [1, 2, 3, 4]}}, "tanh", "vector"),
     (LECTURE, {"x": {"value": [1, 2, 3]}}, "tanh", "vector")),
])
def test_structures_that_differ_never_share_a_key(a, b):
    assert key_of(*a) != key_of(*b)


def test_numbers_are_not_in_the_key():
    assert key_of(LECTURE, {"x": {"value": [1, 2, 3, 4]}}) == key_of(
        LECTURE, {"x": {"value": [4, 3, 2, 1]}})
    one = compiled.key(inputs.read(LECTURE, None, "tanh", 1), "vector")
    assert one == compiled.key(inputs.read(LECTURE, None, "tanh", 2), "vector")


def test_two_structures_differing_in_shape_f_or_view_are_two_entries():
    compiled.CACHE.clear()
    seen = [compiled.trace(LECTURE, v, f, 0, view)[0]
            for v, f, view in [(None, "tanh", "vector"), ({"W": {"shape": [5, 4]}}, "tanh",
                                                         "vector"),
                               (None, "relu", "vector"), (None, "tanh", "scalar")]]
    assert len({c.key for c in seen}) == len(compiled.CACHE) == 4
    assert [c.template.node(c.template.variables["W"]).shape for c in seen[:2]] == [(3, 4),
                                                                                  (5, 4)]


PRESET_BODIES = [(p.expression, p.variables, p.f) for p in PRESETS]


@pytest.mark.parametrize("expression, variables, f", PRESET_BODIES)
@pytest.mark.parametrize("view", ["vector", "scalar"])
def test_new_numbers_on_a_known_structure_are_a_whole_run_s(expression, variables, f, view):
    """The numeric pass on a cached structure answers exactly what the whole pipeline does."""
    try:
        compiled.trace(expression, variables, f, 0, view)
    except Exception as err:   # a preset too large for the scalar view is refused as a whole
        with pytest.raises(type(err)):
            inputs.trace(expression, variables, f, 0, view)
        return
    for seed in (3, 11):
        _, refilled = compiled.trace(expression, variables, f, seed, view)
        whole = inputs.trace(expression, variables, f, seed, view)
        assert jsonio.dumps(refilled.to_dict()) == jsonio.dumps(whole.to_dict())


@pytest.mark.parametrize("expression, variables, f", PRESET_BODIES)
@pytest.mark.parametrize("view", ["vector", "scalar"])
def test_the_first_trace_draws_what_the_final_one_does(expression, variables, f, view):
    """The layout of a new structure starts from the trace handed to `on_structure`, before the
    forms are written: its drawing is the final trace's, byte for byte, and it comes once."""
    compiled.CACHE.clear()
    first = []
    try:
        found, final = compiled.trace(expression, variables, f, 5, view, aspect=1.6,
                                      on_structure=lambda t, box: first.append((t, box)))
    except Exception:   # a preset too large for the scalar view (the test above covers it)
        return
    assert len(first) == 1
    (t, box), = first
    assert box == found.aspect
    assert render.structure(t, box) == render.structure(final, box)
    assert t.delta_names == final.delta_names
    again = []
    compiled.trace(expression, variables, f, 6, view, aspect=1.6,
                   on_structure=lambda t, box: again.append(t))
    assert again == []   # a known structure is laid out already


def test_the_cache_is_bounded_in_bytes_and_drops_the_oldest():
    one = compiled.trace(LECTURE)[0]
    cache = compiled.Cache(max_bytes=int(one.nbytes * 2.5))
    entries = [compiled.trace(LECTURE, {"W": {"shape": [n, 4]}})[0] for n in (2, 3, 4)]
    for c in entries:
        cache.put(c)
    assert cache.bytes <= cache.max_bytes
    assert cache.get(entries[0].key) is None and cache.get(entries[2].key) is entries[2]
    huge = compiled.Cache(max_bytes=10)
    huge.put(one)
    assert len(huge) == 0 and huge.bytes == 0


def test_an_astral_name_counts_four_bytes_a_character():
    plain = compiled.trace("s = sum(x * x)")[0]
    astral = compiled.trace("s = sum(𐐀 * 𐐀)")[0]   # astral, and kept by NFKC
    assert astral.nbytes >= plain.nbytes


@pytest.mark.parametrize("j, sent", [
    (np.eye(3), {"identity": 3}),
    (np.diag([1.0, 2.0, 3.0]), {"diagonal": [1.0, 2.0, 3.0]}),
    (np.kron(np.eye(2), [[1.0, 2.0, 3.0]]), {"kron": [[1.0, 2.0, 3.0]], "n": 2}),
    (np.kron(np.eye(3), [[1.0, 2.0], [3.0, 4.0]]), {"kron": [[1.0, 2.0], [3.0, 4.0]], "n": 3}),
    (np.kron(np.eye(2), np.kron(np.eye(2), [[5.0, 6.0]])), {"kron": [[5.0, 6.0]], "n": 4}),
    (np.array([[1.0, 2.0], [3.0, 4.0]]), [[1.0, 2.0], [3.0, 4.0]]),
    (np.array([[5.0]]), [[5.0]]),
    (np.array([[np.nan, 0.0], [0.0, 1.0]]), [["NaN", 0.0], [0.0, 1.0]]),
    (np.array([[1.0, 0.0], [np.nan, 1.0]]), [[1.0, 0.0], ["NaN", 1.0]]),
    (np.diag([2.0, 0.0, 3.0]), {"diagonal": [2.0, 0.0, 3.0]}),
    (np.kron(np.eye(2), [[0.0, 2.0]]), {"kron": [[0.0, 2.0]], "n": 2}),
    (np.array([[np.nan, 2.0, 0.0, 0.0], [0.0, 0.0, np.nan, 2.0]]),
     [["NaN", 2.0, 0.0, 0.0], [0.0, 0.0, "NaN", 2.0]]),
    (np.array([[1.0, 2.0, 0.0, 0.0], [0.0, 0.0, 1.0, 3.0]]),
     [[1.0, 2.0, 0.0, 0.0], [0.0, 0.0, 1.0, 3.0]]),
])
def test_structured_jacobians_are_sent_by_their_structure(j, sent):
    assert orjson.loads(jsonio.dumps(local_json(j))) == sent


# ---------------------------------------------------------------- over HTTP

def post(client, body):
    response = client.post("/api/trace", json=body)
    assert response.is_json, response.data[:200]
    return response.status_code, response.get_json()


def test_the_answer_names_its_structure_and_a_holder_gets_numbers_only(client):
    status, full = post(client, {"expression": LECTURE, "seed": 1})
    assert status == 200 and len(full["structure"]) == 64
    status, part = post(client, {"expression": LECTURE, "seed": 2,
                                 "structure": full["structure"]})
    assert status == 200 and set(part) == {"structure", "numbers"}
    assert part["structure"] == full["structure"]
    numbers = part["numbers"]
    assert {"svg", "steps", "edges", "parsed", "closed_forms", "deltas"}.isdisjoint(numbers)
    status, whole = post(client, {"expression": LECTURE, "seed": 2})
    assert numbers["value"] == whole["value"] and numbers["seed"] == 2
    check = whole["gradient_check"]
    for name, v in check["variables"].items():   # backprop's side is the gradient: not sent
        sent = numbers["gradient_check"]["variables"][name]
        assert sent["backprop"] is None and v["backprop"] == whole["gradients"][name]
        sent["backprop"] = v["backprop"]
    assert numbers["gradient_check"] == check
    assert numbers["nodes"] == [[n["value"], n["grad"]] for n in whole["nodes"]]
    backward = [s for s in whole["steps"] if s["phase"] == "backward"]
    assert len(numbers["backward"]) == len(backward)
    for sent, step in zip(numbers["backward"], backward, strict=True):
        assert sent["fan_out"] == step["fan_out"]
        for edge, full_edge in zip(sent["inputs"], step["inputs"], strict=True):
            assert edge["local"] == full_edge["local"]
            assert edge["downstream"] == full_edge["downstream"]
            assert edge["factors"] == [f["ref"]["value"] for f in
                                       full_edge["shape_form"]["factors"]
                                       if "value" in f["ref"]]


def test_a_hash_that_does_not_match_the_request_is_never_trusted(client):
    _, lecture = post(client, {"expression": LECTURE})
    compiled.CACHE.clear()   # another worker: nothing cached
    status, other = post(client, {"expression": "s = sum(x * y)",
                                  "structure": lecture["structure"]})
    assert status == 200 and other["structure"] != lecture["structure"]
    assert "svg" in other and other["expression"] == "s = sum(x * y)"
    status, again = post(client, {"expression": LECTURE, "seed": 5,
                                  "structure": lecture["structure"]})
    assert status == 200 and set(again) == {"structure", "numbers"}   # recompiled on a miss
    for bad in (7, ["x"], {"a": 1}):
        status, err = post(client, {"expression": LECTURE, "structure": bad})
        assert status == 400 and "structure" in err["error"]
    status, made_up = post(client, {"expression": LECTURE, "structure": "0" * 64})
    assert status == 200 and "svg" in made_up


def test_a_structure_is_served_by_its_key_for_good(client):
    _, full = post(client, {"expression": LECTURE})
    url = f"/api/structure/{full['structure']}"
    response = client.get(url)
    assert response.status_code == 200 and response.is_json
    assert response.headers["ETag"] == f'"{full["structure"]}"'
    assert "immutable" in response.headers["Cache-Control"]
    body = response.get_json()
    assert body["svg"] == full["svg"] and body["steps"][-1]["inputs"] is not None
    assert body["parsed"] == full["parsed"]
    again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    for unknown in ("0" * 64, "not-a-key"):
        missing = client.get(f"/api/structure/{unknown}")
        assert missing.status_code == 404 and missing.is_json
        assert "POST" in missing.get_json()["error"]
