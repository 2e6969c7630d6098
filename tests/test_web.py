"""The HTTP API of API.md through Flask's test client."""

from __future__ import annotations

import re
import signal
import xml.etree.ElementTree as ET

import pytest

from app import create_app
from backprop_viz import deadline
from backprop_viz.deadline import Unavailable

LECTURE = "s = uᵀ f(Wx + b)"
XYZ = {"expression": "out = (x + y) * z",
       "variables": {"x": {"value": -2}, "y": {"value": 5}, "z": {"value": -4}}}


def trace(client, body):
    return client.post("/api/trace", json=body)


# ---------------------------------------------------------------- the page

def test_page_is_served_with_its_own_assets_only(client):
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="expr"' in html and LECTURE in html
    assert 'src="/static/build/page.js"' in html and 'href="/page.css"' in html
    # data, not code: the catalog of the page's words (a JSON block never runs)
    assert not re.search(r"<script(?![^>]*\b(src=|type=\"application/json\"))", html), \
        "no inline script"
    assert not re.search(r"\son[a-z]+\s*=", html), "no inline event handler"
    assert not re.search(r"\sstyle\s*=|<style", html), "no inline style"
    assert not re.search(r"(src|href)=\"(https?:)?//", html), "no CDN"
    for asset in ("/static/build/page.js", "/static/js/main.js", "/static/js/graph.js",
                  "/static/app.css", "/page.css"):
        assert client.get(asset).status_code == 200


def test_the_bundle_served_is_built_from_static_js_as_it_is(client):
    """`make assets` bundles static/js (tools/bundle.py): the page loads that one file, with no
    module preloaded, and its first line names the digest of the modules as they are now."""
    from backprop_viz import assets
    html = client.get("/").get_data(as_text=True)
    assert 'src="/static/build/page.js"' in html and "modulepreload" not in html
    first = client.get("/static/build/page.js").get_data(as_text=True).split("\n", 1)[0]
    root = assets.root()
    assert first == assets.BUNDLE_BANNER + assets.sources_digest(assets.page_sources(root))


def test_a_module_edited_since_the_bundle_is_served_as_modules(client, tmp_path, monkeypatch):
    """A bundle that is not of static/js as it is (a module edited, the bundle not rebuilt yet)
    is never served: the page loads its modules, each preloaded, until it is rebuilt."""
    import shutil

    from backprop_viz import assets
    shutil.copytree(assets.root() / "static" / "js", tmp_path / "static" / "js")
    (tmp_path / "static" / "build").mkdir()
    bundle = tmp_path / assets.BUNDLE
    monkeypatch.setattr(assets, "root", lambda: tmp_path)

    def served() -> tuple[str, int]:
        html = client.get("/").get_data(as_text=True)
        script = re.search(r'<script type="module" src="([^"]+)"', html).group(1)
        return script, html.count('rel="modulepreload"')

    modules = len(assets.page_sources(tmp_path)) - 1      # all but the export's entry
    assert served() == ("/static/js/main.js", modules)    # no bundle at all
    bundle.write_text(assets.BUNDLE_BANNER + assets.sources_digest(assets.page_sources(tmp_path))
                      + "\nexport {};\n")
    assert served() == ("/static/build/page.js", 0)
    dom = tmp_path / "static" / "js" / "dom.js"
    dom.write_text(dom.read_text() + "\n// edited\n")
    assert served() == ("/static/js/main.js", modules)    # stale: the modules
    bundle.write_text(assets.BUNDLE_BANNER + assets.sources_digest(assets.page_sources(tmp_path))
                      + "\nexport {};\n")
    assert served() == ("/static/build/page.js", 0)       # rebuilt


def test_page_css_is_the_app_sheets_in_cascade_order_and_revalidates(client):
    from backprop_viz import assets
    answer = client.get("/page.css")
    assert answer.status_code == 200 and answer.mimetype == "text/css"
    body = answer.get_data(as_text=True)
    at = [body.index(client.get(f"/{sheet}").get_data(as_text=True)) for sheet in assets.STYLES]
    assert at == sorted(at), "each sheet whole, in cascade order"
    assert answer.headers["Cache-Control"] == "no-cache"
    again = client.get("/page.css", headers={"If-None-Match": answer.headers["ETag"]})
    assert again.status_code == 304 and not again.data


# ---------------------------------------------------------------- /api/trace

def test_trace_has_every_field_of_the_api(client):
    response = trace(client, {"expression": LECTURE})
    assert response.status_code == 200 and response.is_json
    data = response.get_json()
    assert {"expression", "parsed", "output", "output_id", "value", "variables", "gradients",
            "nodes", "edges", "steps", "svg", "f", "seed", "warnings", "warning_codes", "view",
            "scalar_nodes", "closed_forms", "deltas", "names", "gradient_check",
            "structure", "splits", "aspect"} == set(data)
    assert data["expression"] == LECTURE and data["output"] == "s"
    assert data["parsed"] == "s = uᵀ · f(W · x + b)"
    assert isinstance(data["value"], float)
    assert set(data["variables"]) == set(data["gradients"]) == {"u", "W", "x", "b"}
    assert data["variables"]["W"]["shape"] == [3, 4]
    nodes = {n["id"]: n for n in data["nodes"]}
    for node in data["nodes"]:
        assert {"id", "label", "latex", "kind", "op", "symbol", "shape", "inputs", "value",
                "grad"} == set(node)
    for edge in data["edges"]:
        assert set(edge) == {"source", "target", "port"}
    forward = [s for s in data["steps"] if s["phase"] == "forward"]
    backward = [s for s in data["steps"] if s["phase"] == "backward"]
    assert data["steps"] == forward + backward
    assert set(forward[0]) == {"phase", "node", "formula", "latex"}
    assert backward[0]["node"] == data["output_id"]
    assert nodes[data["output_id"]]["grad"] == [[1.0]]
    for step in backward:
        assert set(step) == {"phase", "node", "inputs", "contributions", "delta", "fan_out"}
        for edge in step["inputs"]:
            assert {"node", "port", "local", "local_formula", "local_latex", "downstream",
                    "shape_form", "jacobian_form"} == set(edge)
    # W feeds only W · x: its gradient is that edge's downstream, sent once, as W's grad
    w = data["variables"]["W"]
    w_id = next(n["id"] for n in data["nodes"] if n["label"] == "W")
    into = next(i for s in backward for i in s["inputs"] if i["node"] == w_id)
    assert into["downstream"] is None and nodes[w_id]["grad"] == data["gradients"]["W"]
    assert nodes[w_id]["value"] == w["value"]


def test_trace_svg_has_an_element_per_node_id(client):
    data = trace(client, {"expression": LECTURE}).get_json()
    root = ET.fromstring(data["svg"])
    ids = {e.get("id") for e in root.iter()}
    assert {n["id"] for n in data["nodes"]} <= ids


def test_trace_uses_the_given_values(client):
    data = trace(client, XYZ).get_json()
    assert data["value"] == -12.0
    assert data["gradients"] == {"x": [[-4.0]], "y": [[-4.0]], "z": [[3.0]]}


def test_trace_honours_f_and_seed(client):
    tanh = trace(client, {"expression": LECTURE, "seed": 3}).get_json()
    relu = trace(client, {"expression": LECTURE, "seed": 3, "f": "relu"}).get_json()
    assert tanh["seed"] == 3 and relu["f"] == "relu"
    assert tanh["variables"] == relu["variables"]
    assert trace(client, {"expression": LECTURE, "seed": 3}).get_json() == tanh


# ---------------------------------------------------------------- /api/export

@pytest.mark.parametrize("fmt, magic", [
    ("svg", b"<svg"), ("png", b"\x89PNG"), ("pdf", b"%PDF"), ("dot", b"digraph"),
])
@pytest.mark.parametrize("step", [None, "0", "5"])
def test_export_answers_a_file(client, fmt, magic, step):
    query = f"?format={fmt}" + (f"&step={step}" if step is not None else "")
    response = client.post("/api/export" + query, json=XYZ)
    assert response.status_code == 200
    data = response.data
    if fmt == "svg":
        data = re.sub(rb"^(<\?xml[^>]*>|<!--.*?-->|<!DOCTYPE[^>]*>|\s)*", b"", data, flags=re.S)
    assert data.startswith(magic)
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(rf'attachment; filename="[\w.-]+\.{fmt}"', disposition)
    assert f"step{step or 10}." in disposition


def test_export_bakes_the_step_in(client):
    early = client.post("/api/export?format=dot&step=0", json=XYZ).get_data(as_text=True)
    final = client.post("/api/export?format=dot", json=XYZ).get_data(as_text=True)
    assert "∇ ?" in early and "−12" not in early
    assert "∇ ?" not in final and "−12" in final and "∇ −4" in final


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("body, content_type", [
    (b"not json", "application/json"),
    (b"", "application/json"),
    (b"[1, 2]", "application/json"),
    (b'"s = x"', "application/json"),
    (b"{}", "application/json"),
    (b'{"expression": 42}', "application/json"),
    (b'{"expression": "   "}', "application/json"),
    (b'{"expression": "s = sum(x)", "seed": "1"}', "application/json"),
    (b'{"expression": "s = sum(x)", "seed": -1}', "application/json"),
    (b'{"expression": "s = sum(x)", "seed": true}', "application/json"),
    (b'{"expression": "s = sum(x)", "f": "softplus"}', "application/json"),
    (b'{"expression": "s = sum(x)", "variables": [1]}', "application/json"),
    (b'{"expression": "s = sum(x)", "variables": {"x": 3}}', "application/json"),
    (b'{"expression": "s = sum(x)", "variables": {"x": {"value": [[1, 2], [3]]}}}',
     "application/json"),
    (b'{"expression": "s = sum(x)", "variables": {"x": {"shape": [2]}}}', "application/json"),
])
@pytest.mark.parametrize("url", ["/api/trace", "/api/export?format=svg"])
def test_bad_requests_are_400_with_an_error(client, url, body, content_type):
    response = client.post(url, data=body, content_type=content_type)
    assert response.status_code == 400
    error = response.get_json()
    assert set(error) == {"error", "code", "params", "position"} and error["error"]


def test_an_error_in_the_expression_has_its_position(client):
    response = trace(client, {"expression": "s = uᵀ tanhh(Wx + b)"})
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "unknown function 'tanhh' (did you mean tanh?)",
        "code": "error.parse.unknown_function",
        "params": {"function": "tanhh",
                   "hint": {"code": "error.hint.did_you_mean", "params": {"function": "tanh"}}},
        "position": 7}


@pytest.mark.parametrize("query", [
    "", "?format=gif", "?format=SVG", "?format=svg&step=-1", "?format=svg&step=11",
    "?format=svg&step=abc", "?format=svg&step=1.5", "?format=svg&step=",
])
def test_bad_export_queries_are_400(client, query):
    response = client.post("/api/export" + query, json=XYZ)
    assert response.status_code == 400
    assert response.get_json()["error"]


def test_a_fault_of_ours_is_a_500_without_traceback(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("backprop_viz.compiled.trace", broken)
    response = create_app().test_client().post("/api/trace", json={"expression": "s = x"})
    assert response.status_code == 500
    assert response.get_json() == {"error": "internal server error", "code": "error.http.500",
                                   "params": {}, "position": None}
    assert b"secret" not in response.data and b"Traceback" not in response.data


# ---------------------------------------------------------------- JSON only, and honest 503s

@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8",
                                          "Application/JSON"])
def test_json_is_accepted_with_or_without_a_charset(client, content_type):
    response = client.post("/api/trace", data=b'{"expression": "s = x"}',
                           content_type=content_type)
    assert response.status_code == 200 and response.get_json()["output"] == "s"


def test_a_get_needs_no_content_type(client):
    assert client.get("/api/presets").status_code == 200


def test_a_server_failure_is_a_503_in_the_apis_json(monkeypatch):
    def failed(*_args, **_kwargs):
        raise Unavailable("error.unavailable.dot_stopped", reason="Broken pipe")

    monkeypatch.setattr("backprop_viz.compiled.trace", failed)
    response = create_app().test_client().post("/api/trace", json={"expression": "s = x"})
    assert response.status_code == 503
    assert response.get_json() == {"error": "the server failed to lay out the graph: "
                                            "Graphviz's dot stopped (Broken pipe)",
                                   "code": "error.unavailable.dot_stopped",
                                   "params": {"reason": "Broken pipe"}, "position": None}
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_deadline_is_lifted_after_each_request(client):
    """No alarm outlives its request: a later pause in the same thread runs to its end."""
    assert client.post("/api/trace", json={"expression": "s = x"}).status_code == 200
    assert deadline.remaining() is None
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_a_run_read_as_a_product_is_named_and_declaring_it_reads_it_whole(client):
    """`splits[i]` is announced by `warnings[i]`; declaring the run (no shape or value needed)
    makes it one name, as the page's "read Wx as one name" does."""
    data = trace(client, {"expression": "s = sum(Wx + ab)"}).get_json()
    assert data["splits"] == ["Wx", "ab"]
    assert data["warnings"][0].startswith("Wx is read as W · x")
    assert data["warnings"][1].startswith("ab is read as a · b")
    whole = trace(client, {"expression": "s = sum(Wx + ab)", "variables": {"Wx": {}}}).get_json()
    assert whole["splits"] == ["ab"] and "Wx" in whole["variables"]
    assert whole["parsed"] == "s = sum(Wx + a · b)"
