"""A public server's limits: each a fast, clear 400 naming the limit and the value."""

from __future__ import annotations

import logging
import os
import re
import threading

import pytest
from checks import tanh_net, trace_json

from app import create_app
from backprop_viz import budget, deadline, dot, limits, render, trace
from backprop_viz.deadline import Unavailable
from backprop_viz.errors import BackpropError
from backprop_viz.inputs import prepare
from backprop_viz.web import SECURITY_HEADERS


def chain(n: int) -> str:
    """A long chain reusing a few names far apart: the shape `dot` finds hardest."""
    lines = ["a0 = x"] + [f"a{i} = tanh(a{i - 1}) * x{i % 7}" for i in range(1, n)]
    return "\n".join([*lines, f"s = sum(a{n - 1})"])


def error_of(client, body, path="/api/trace"):
    r = client.post(path, json=body)
    assert r.status_code == 400, r.data[:300]
    return r.get_json()


@pytest.mark.parametrize("body, fragment", [
    ({"expression": "s = x + " + "x + " * 2600}, "the limit is 10000"),
    ({"expression": "s = " + "(" * 3000 + "x" + ")" * 3000}, "nesting deeper than 200"),
    ({"expression": "s = sum(x)", "variables": {"x": {"shape": [20000, 1]}}},
     "dimension 20000 is larger than the limit 10000"),
    ({"expression": "s = sum(x)", "variables": {"x": {"shape": [1100, 1000]}}},
     "1100×1000 = 1100000 numbers is more than the limit 1048576"),
    ({"expression": "s = sum(A B)", "variables": {"A": {"shape": [600, 600]},
                                                   "B": {"shape": [600, 600]}}},
     "the graph would hold 1080001 numbers in all, more than the limit 1048576"),
    ({"expression": ";".join(f"a{i}=x{i}+1" for i in range(700)) + ";s=a0"},
     "more than 2000 nodes"),
    ({"expression": "s = x", "seed": 1, "extra": True}, "unknown field 'extra'"),
    ({"expression": chain(150)}, "too tangled to draw"),
])
def test_limits_answer_400_naming_the_limit(client, body, fragment):
    assert fragment in error_of(client, body)["error"]


def test_body_size_is_refused_before_it_is_read(client):
    r = client.post("/api/trace", data=b"x" * (limits.MAX_BODY_BYTES + 1),
                    content_type="application/json")
    assert r.status_code == 400
    assert r.get_json()["error"] == (f"the request body is {limits.MAX_BODY_BYTES + 1} bytes; "
                                     f"the limit is {limits.MAX_BODY_BYTES} bytes")


def test_many_free_dimensions_stay_small():
    t = trace_json("\n".join(f"a{i} = sum(x{i})" for i in range(40)) + "\ns = a0")
    assert max(max(v["shape"]) for v in t["variables"].values()) <= max(limits.DEFAULT_DIMS)


def test_a_tangled_graph_is_drawn_without_edge_labels(client):
    """Past LAYOUT_SPAN_LABELLED the graph is summarised, not refused: values stay in nodes."""
    scalars = {name: {"shape": [1, 1]} for name in "Wxbu"}   # a circuit of scalars: labelled
    small, big = trace("s = uᵀ f(Wx + b)", scalars), trace(chain(60))
    assert render.layout_span(small) <= limits.LAYOUT_SPAN_LABELLED < render.layout_span(big)
    assert re.search(r'class="edge">(?:(?!</g>).)*<text', render.render_svg(small), re.S)
    svg = render.render_svg(big)
    assert not re.search(r'class="edge">(?:(?!</g>).)*<text', svg, re.S)
    assert svg.count("<text") == 4 * len(big.nodes)
    assert client.post("/api/trace", json={"expression": chain(60)}).status_code == 200


def _dot_children() -> list[int]:
    """Processes named dot whose parent is this process (alive or zombie)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/comm") as f:
                name = f.read().strip()
        except OSError:
            continue
        if name == "dot" and int(fields[1]) == os.getpid():
            found.append(int(pid))
    return found


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc to look for children")
def test_graphviz_past_its_time_limit_is_the_servers_503_and_leaves_no_process(client,
                                                                                monkeypatch):
    """A stalled `dot` is the server's failure, never the user's: a 503, not a 400."""
    monkeypatch.setattr("backprop_viz.dot.DOT_TIMEOUT_SECONDS", 0.001)
    render.LAYOUTS.clear()
    for path in ("/api/trace", "/api/export?format=png"):
        r = client.post(path, json={"expression": chain(40)})
        assert r.status_code == 503
        assert r.get_json() == {"error": "the server failed to lay out the graph: Graphviz's "
                                         "dot ran past its time limit (0.001 s) and was stopped",
                                "code": "error.unavailable.dot_stalled_own",
                                "params": {"seconds": "0.001"}, "position": None}
    # the one left is the second dot a small graph's candidates are laid out by, idle
    kept = render.MEASURE_DOT._proc.pid if render.MEASURE_DOT._proc is not None else None
    assert [pid for pid in _dot_children() if pid != kept] == []


@pytest.mark.parametrize("run", ["pipe", "process"])
def test_graphviz_stopped_by_the_requests_deadline_says_the_requests_limit(run):
    """The layout gets what is left of the request (here a little under 0.05 s); when `dot`
    is stopped there, the user hit REQUEST_SECONDS and is told so, with that whole limit,
    never the remainder the layout happened to be given."""
    source = "digraph { " + " ".join(f"n{i} -> n{i + 1}; n{i} -> n{(i * 7) % 3000};"
                                     for i in range(3000)) + " }"
    caught: list[BaseException] = []

    def request() -> None:      # another thread: no SIGALRM, only dot's own wait stops it
        try:
            with deadline.within(0.05):
                if run == "pipe":
                    dot.run_dot(source, "svg")
                else:
                    dot.DotProcess().svg(source)
        except BaseException as err:   # noqa: BLE001 -- handed to the test's thread
            caught.append(err)

    worker = threading.Thread(target=request)
    worker.start()
    worker.join(10)
    assert len(caught) == 1 and isinstance(caught[0], Unavailable)
    assert caught[0].to_json() == {
        "error": "the request took longer than 0.05 s, the server's limit for one request "
                 "(REQUEST_SECONDS), and was stopped: try a smaller expression or graph",
        "code": "error.unavailable.deadline", "params": {"seconds": "0.05"}, "position": None}


def test_every_answer_has_the_security_headers(client):
    for r in (client.get("/"), client.post("/api/trace", json={"expression": "s = x"}),
              client.post("/api/trace", data="nope"), client.get("/static/js/main.js"),
              client.get("/no-such-page")):
        for name, value in SECURITY_HEADERS.items():
            assert r.headers[name] == value
    csp = SECURITY_HEADERS["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp


def test_one_log_line_per_request_with_status_and_duration(client, caplog):
    with caplog.at_level(logging.INFO, logger="backprop_viz.web"):
        client.post("/api/trace", json={"expression": "s = (x"})
    lines = [r.getMessage() for r in caplog.records if r.name == "backprop_viz.web"]
    assert len(lines) == 1
    method, path, status, duration = lines[0].split()
    assert (method, path, status) == ("POST", "/api/trace", "400")
    assert duration.endswith("ms") and float(duration[:-2]) >= 0


def test_a_server_fault_logs_its_traceback_and_answers_generic_json(caplog, monkeypatch):
    def broken(*_args, **_kwargs):
        raise ZeroDivisionError("a bug of ours")

    monkeypatch.setattr("backprop_viz.compiled.trace", broken)
    with caplog.at_level(logging.ERROR):
        app = create_app({"PROPAGATE_EXCEPTIONS": False})   # as in production
        r = app.test_client().post("/api/trace", json={"expression": "s = x"})
    assert r.status_code == 500
    assert r.get_json() == {"error": "internal server error", "code": "error.http.500",
                            "params": {}, "position": None}
    assert b"ZeroDivisionError" not in r.data and b"Traceback" not in r.data
    assert any(rec.exc_info and rec.exc_info[0] is ZeroDivisionError for rec in caplog.records)


def test_unknown_pages_answer_json(client):
    assert client.get("/nope").status_code == 404
    assert client.get("/api/trace").status_code == 405
    assert client.get("/api/trace").get_json()["position"] is None


def test_a_200_layer_net_and_the_lecture_with_w_512_by_512_answer(client):
    """Issue 7's large cases: 1,004 nodes drawn whole, and 262,144 numbers in W."""
    expression, variables = tanh_net(200)
    r = client.post("/api/trace", json={"expression": expression, "variables": variables})
    assert r.status_code == 200
    data = r.get_json()
    assert len(data["nodes"]) == 1004 and data["svg"].count('class="node') == 1004
    r = client.post("/api/trace", json={"expression": "s = uᵀ f(Wx + b)",
                                        "variables": {"W": {"shape": [512, 512]}}})
    assert r.status_code == 200
    w = r.get_json()["gradients"]["W"]
    assert len(w) == 512 and len(w[0]) == 512


def stacked(parts: int) -> str:
    return "s = sum([" + "; ".join(["x"] * parts) + "])"


def nested(depth: int) -> str:
    return "s = sum(" + "tanh(" * depth + "x" + ")" * (depth + 1)


# Graphs of each shape the estimate must cover: many numbers, many nodes, a wide stack, a deep
# nest, fan-out, reductions and softmax.
ESTIMATED = {
    "the lecture": ("s = uᵀ f(Wx + b)", None),
    "the lecture, W 512×512": ("s = uᵀ f(Wx + b)", {"W": {"shape": [512, 512]}}),
    "a 200-layer net": tanh_net(200),
    "a stack of 200": (stacked(200), None),
    "tanh nested 100 deep": (nested(100), None),
    "softmax nested 40 deep": ("s = sum(" + "softmax(" * 40 + "x" + ")" * 41, None),
    "a product of 100 uses": ("s = sum(" + " * ".join(["x"] * 100) + ")", None),
    "a norm and a mean": ("s = norm(W x) + mean(x)", {"W": {"shape": [30, 40]}}),
}


@pytest.mark.parametrize("name", ESTIMATED)
def test_the_estimate_of_the_answer_is_within_its_stated_range(client, name):
    """budget.py refuses past MAX_ANSWER_BYTES from its estimate: it must not fall far short of
    the answer (the answer is measured again before it is sent), nor refuse graphs far smaller
    than the limit."""
    expression, variables = ESTIMATED[name]
    estimate = budget.estimate(prepare(expression, variables).graph).answer_bytes
    r = client.post("/api/trace", json={"expression": expression, "variables": variables})
    assert r.status_code == 200
    assert 0.8 * len(r.data) <= estimate <= 3 * len(r.data), (len(r.data), estimate)


def test_the_budgets_refuse_before_the_engine_runs(monkeypatch):
    def never(*_args, **_kwargs):
        raise AssertionError("the engine ran")

    monkeypatch.setattr("backprop_viz.inputs.engine.run", never)
    with pytest.raises(BackpropError, match="MAX_EDGES"):
        trace("s = sum([" + ";".join(["x"] * 4990) + "])", {"x": {"shape": [1, 1]}})
    with budget.answering_trace(), pytest.raises(BackpropError, match="MAX_ANSWER_BYTES"):
        trace("s = norm(x)", {"x": {"shape": [1000, 1000]}})
    with pytest.raises(AssertionError, match="the engine ran"):   # no answer to bound here
        trace("s = norm(x)", {"x": {"shape": [1000, 1000]}})
