"""Hostile input through the HTTP API: nothing a user types is run, evaluated as a template,
leaks the config, or reaches a diagram as markup. The page's own browser-side half is in
test_xss_browser.py."""

from __future__ import annotations

import ast
import json
import os
import re
import tempfile
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from checks import tanh_net

from app import create_app
from backprop_viz import limits, render, web
from backprop_viz import trace as trace_of
from backprop_viz.web import SECURITY_HEADERS
from tests.test_exports import pdf_pages

ROOT = Path(__file__).resolve().parent.parent
TMP = Path(tempfile.gettempdir())
RUN = uuid.uuid4().hex            # every marker file this run could create is named after it
MARK = f"PWNED_{RUN}"
CANARY = TMP / f"backprop_canary_{RUN}"   # a shell payload would delete it
SECRET = f"secret-{RUN}"

# A protocol-0 pickle that runs `os.system(...)` when loaded: what unpickling user data costs.
PICKLE = f"cos\nsystem\n(S'touch {TMP}/{MARK}_pickle'\ntR.".encode()

PYTHON = [
    f"__import__('os').system('touch {TMP}/{MARK}_import')",
    "open('/etc/passwd').read()",
    'eval("1")',
    f"exec(\"import os; os.system('touch {TMP}/{MARK}_exec')\")",
    "lambda: 0",
    "().__class__.__bases__[0].__subclasses__()",
    PICKLE.decode("latin-1"),
]
# `; rm -f CANARY` stands for `; rm -rf /`: the same shell injection, but one that a regression
# would reveal (the canary is gone) without taking the machine down with it.
SHELL = [
    f"$(touch {TMP}/{MARK}_dollar)",
    f"`touch {TMP}/{MARK}_backtick`",
    f"; rm -f {CANARY}",
    f"&& rm -f {CANARY}",
    "| cat /etc/passwd",
]
TEMPLATE = ["{{7*7}}", "{{config}}", "${7*7}", "#{7*7}", "{% debug %}", "%s%s%s%n",
            "{0.__class__}", "{{ self.__init__.__globals__ }}"]
MARKUP = ["<img src=x onerror=alert(1)>", '"><script>alert(1)</script>', "</svg><script>",
          "<![CDATA[<script>]]>"]
PAYLOADS = PYTHON + SHELL + TEMPLATE + MARKUP

# Where a payload can go in a request: (endpoint, query, body).
FIELDS = {
    "expression": lambda p: ("trace", {}, {"expression": p}),
    "statement": lambda p: ("trace", {}, {"expression": f"z = sum(x)\ns = z + {p}"}),
    "name": lambda p: ("trace", {}, {"expression": "s = sum(x)", "variables": {p: {"value": 1}}}),
    "value": lambda p: ("trace", {}, {"expression": "s = sum(x)",
                                      "variables": {"x": {"value": p}}}),
    "value-entry": lambda p: ("trace", {}, {"expression": "s = sum(x)",
                                            "variables": {"x": {"value": [[1], [p]]}}}),
    "shape": lambda p: ("trace", {}, {"expression": "s = sum(x)",
                                      "variables": {"x": {"shape": p}}}),
    "f": lambda p: ("trace", {}, {"expression": "s = sum(f(x))", "f": p}),
    "seed": lambda p: ("trace", {}, {"expression": "s = sum(x)", "seed": p}),
    "format": lambda p: ("export", {"format": p}, {"expression": "s = sum(x)"}),
    "step": lambda p: ("export", {"format": "svg", "step": p}, {"expression": "s = sum(x)"}),
}
# The fields whose error message quotes what was sent (as Python's repr).
ECHOED = {"name", "value", "value-entry", "f", "seed", "format", "step"}

BAD_ELEMENTS = {"script", "img", "image", "foreignobject", "iframe", "object", "embed",
                "animate", "set", "handler"}


@pytest.fixture
def app():
    """The app with a secret of its own, so a leak of the config would show it."""
    return create_app({"TESTING": True, "SECRET_KEY": SECRET})


@pytest.fixture(autouse=True)
def nothing_ran():
    """After every test: no marker file was made, the canary is still there."""
    CANARY.touch()
    yield
    made = sorted(p.name for p in TMP.glob(f"{MARK}*"))
    assert made == [], f"a payload was executed: {made}"
    assert CANARY.exists(), "a shell payload deleted the canary"
    CANARY.unlink()


def send(client, endpoint: str, query: dict, body):
    kwargs = {"json": body} if not isinstance(body, bytes) else {"data": body}
    return client.post(f"/api/{endpoint}", query_string=query, **kwargs)


def assert_harmless(response, body=None) -> None:
    """A 200 or a 400 in JSON, with nothing of the server's own in it."""
    assert response.status_code in (200, 400, 415), (response.status_code, response.data[:300])
    text = response.get_data(as_text=True)
    for leak in ("SECRET_KEY", SECRET, "root:x:0:0", "Traceback", "<Config", "__globals__'"):
        assert leak not in text, f"{leak!r} leaked: {text[:300]}"
    if response.status_code != 200:
        assert response.mimetype == "application/json"   # never text/html: no reflected markup
        error = response.get_json()
        assert set(error) == {"error", "code", "params", "position"} and error["error"]
        expression = body.get("expression") if isinstance(body, dict) else None
        if error["position"] is not None:
            assert isinstance(expression, str)
            assert 0 <= error["position"] <= len(expression)


# ---------------------------------------------------------------- nothing is executed

@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_payload_in_any_field_is_only_data(client, field, payload):
    endpoint, query, body = FIELDS[field](payload)
    response = send(client, endpoint, query, body)
    assert_harmless(response, body)
    if response.status_code == 200:
        data = response.get_json() if endpoint == "trace" else None
        if data is not None:
            assert data["expression"] == body["expression"]   # echoed as given
        return
    error = response.get_json()["error"]
    if payload in TEMPLATE:
        assert "49" not in response.get_data(as_text=True), error
        if field in ECHOED:
            assert payload in error   # quoted back verbatim, not evaluated


@pytest.mark.parametrize("content_type", ["application/json", "application/octet-stream",
                                          "application/python-pickle"])
@pytest.mark.parametrize("endpoint, query", [("trace", {}), ("export", {"format": "svg"})])
def test_a_pickle_body_is_never_unpickled(client, content_type, endpoint, query):
    response = client.post(f"/api/{endpoint}", query_string=query, data=PICKLE,
                           content_type=content_type)
    assert_harmless(response)
    assert response.status_code == (400 if content_type == "application/json" else 415)


@pytest.mark.parametrize("fmt", ["svg", "dot"])
@pytest.mark.parametrize("field", ["expression", "statement", "name", "value"])
@pytest.mark.parametrize("payload", PAYLOADS)
def test_an_export_never_carries_a_payload_as_markup(client, fmt, field, payload):
    _, _, body = FIELDS[field](payload)
    response = send(client, "export", {"format": fmt}, body)
    assert_harmless(response, body)
    if response.status_code == 200:
        assert_inert_export(fmt, response.get_data(as_text=True))


@pytest.mark.parametrize("payload", TEMPLATE + MARKUP + SHELL)
def test_the_page_reflects_nothing_from_its_query(client, payload):
    """The page's state is in its URL, but only app.js reads it: the server echoes none of it."""
    baseline = client.get("/").get_data(as_text=True)
    query = {key: payload for key in ("expr", "f", "seed", "step", "vars")}
    response = client.get("/", query_string=query)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count("49") == baseline.count("49")
    if re.search(r"[<>\"]", payload):
        assert payload not in html
    assert SECRET not in html and "SECRET_KEY" not in html


# ---------------------------------------------------------------- markup reaches the SVG escaped

@pytest.mark.parametrize("name", ["<img src=x onerror=alert(1)>", '"><script>alert(1)</script>',
                                  "</svg><script>", "x onload=alert(1)", "x&lt;", "x\"y"])
def test_a_markup_variable_name_is_refused(client, name):
    body = {"expression": "s = x", "variables": {name: {"value": 1}}}
    response = send(client, "trace", {}, body)
    assert_harmless(response, body)
    assert response.status_code == 400
    error = response.get_json()
    assert error["error"] == f"{name!r} is not a variable name"   # quoted, in JSON: inert
    assert error["position"] is None


@pytest.mark.parametrize("expression, culprit", [
    ("s = x <img src=x onerror=alert(1)>", "<"),
    ('s = x"><script>alert(1)</script>', '"'),
    ("s = x\n</svg><script>alert(1)</script>", "<"),
    ("s = sum(x) & alert(1)", "&"),
    ("s = x {{7*7}}", "{"),
])
def test_markup_in_the_expression_is_an_error_at_its_first_character(client, expression,
                                                                      culprit):
    body = {"expression": expression}
    response = send(client, "trace", {}, body)
    assert_harmless(response, body)
    assert response.status_code == 400
    error = response.get_json()
    assert error["position"] == expression.index(culprit)
    assert error["error"].startswith(f"unexpected character {culprit!r}")
    assert "49" not in error["error"]


def declared(*names: str) -> dict:
    """Declared, so that a run of letters is read as one name, not split into a product."""
    return {name: {"shape": [2, 1]} for name in names}


# Inputs whose text legitimately reaches the diagram: names that are markup words, Greek and
# underscores, long unnamed sub-expressions (cut with "…"), NaN and ∞, an ignored variable.
NAN = {"expression": "s = sum(log(x))", "variables": {"x": {"value": [-1, 2]}}}
DRAWN = [
    {"expression": "s = sum(script * onerror + img)",
     "variables": declared("script", "onerror", "img")},
    {"expression": "svg = sum(foreignObject + style * href)",
     "variables": declared("foreignObject", "style", "href")},
    {"expression": "s = sum(x_in * ψ_2 + σ(W1 x_in))"},
    {"expression": "s = sum(exp(x) + log(lt * gt * amp * quot))",
     "variables": declared("lt", "gt", "amp", "quot", "x")},
    NAN,
    {"expression": "s = sum(exp(x))", "variables": {"x": {"value": [1000, -1e300]}}},
    {"expression": "s = sum(x)", "variables": {"x": {"value": 1}, "script": {"value": 2}}},
]


@pytest.mark.parametrize("body", DRAWN, ids=lambda b: b["expression"])
def test_text_that_reaches_the_svg_stays_text(client, body):
    response = send(client, "trace", {}, body)
    assert response.status_code == 200
    data = response.get_json()
    root = assert_inert_svg(data["svg"])
    drawn = "".join(root.itertext())
    for variable in data["variables"]:
        assert variable in drawn   # the names are there, as text
    for fmt in ("svg", "dot"):
        export = send(client, "export", {"format": fmt}, body)
        assert export.status_code == 200
        assert_inert_export(fmt, export.get_data(as_text=True))
        disposition = export.headers["Content-Disposition"]
        assert re.fullmatch(rf'attachment; filename="backprop-\w+-step\d+\.{fmt}"', disposition,
                            re.ASCII)


def test_a_non_finite_value_is_warned_about_as_text(client):
    data = send(client, "trace", {}, NAN).get_json()
    assert any("not finite" in w for w in data["warnings"])
    assert_inert_svg(data["svg"])
    assert "NaN" in json.dumps(data, allow_nan=False)   # NaN travels as "NaN", valid JSON
    dot = send(client, "export", {"format": "dot"}, NAN).get_data(as_text=True)
    assert ">NaN<" in dot


def assert_inert_svg(svg: str) -> ET.Element:
    """Parses as XML; no element that runs or loads anything, no event handler attribute."""
    root = ET.fromstring(svg)
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1].lower()
        assert tag not in BAD_ELEMENTS, f"<{tag}> in the SVG"
        for attr, value in element.attrib.items():
            local = attr.rsplit("}", 1)[-1].lower()
            assert not local.startswith("on"), f"{tag} has {attr}={value!r}"
            if local == "href":
                assert not value.strip().lower().startswith("javascript:"), value
    return root


def assert_inert_export(fmt: str, text: str) -> None:
    if fmt == "svg":
        assert_inert_svg(text)
    else:
        assert text.startswith("digraph")
        assert not re.search(r"<\s*/?\s*(script|img|svg|iframe|foreignObject)\b", text, re.I)
        assert not re.search(r"\son\w+\s*=", text, re.I)


# ---------------------------------------------------------------- the code itself

BANNED_CALLS = {"eval", "exec", "compile", "__import__", "render_template_string"}
BANNED_MODULES = {"pickle", "_pickle", "cPickle", "marshal", "shelve", "dill", "cloudpickle"}
BANNED_OS = re.compile(r"^(system|popen|exec\w*|spawn\w*)$")


def dangerous(source: str) -> list[str]:
    """Every call that could run text as code or a shell command, by line."""
    found = []
    for node in ast.walk(ast.parse(source)):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Import | ast.ImportFrom):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [
                node.module or ""]
            for module in modules:
                if module.split(".")[0] in BANNED_MODULES:
                    found.append(f"{line}: import {module}")
            if isinstance(node, ast.ImportFrom) and node.module == "os":
                found += [f"{line}: from os import {a.name}" for a in node.names
                          if BANNED_OS.match(a.name)]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == "os" and BANNED_OS.match(node.attr):
                found.append(f"{line}: os.{node.attr}")
            elif node.value.id in BANNED_MODULES:
                found.append(f"{line}: {node.value.id}.{node.attr}")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else (
                func.attr if isinstance(func, ast.Attribute) and func.attr != "compile" else None)
            if name in BANNED_CALLS:
                found.append(f"{line}: {name}()")
            for keyword in node.keywords:
                if keyword.arg == "shell" and not (isinstance(keyword.value, ast.Constant)
                                                   and keyword.value.value is False):
                    found.append(f"{line}: shell=...")
    return found


@pytest.mark.parametrize("snippet", [
    "eval(text)", "exec(text)", "compile(text, '<user>', 'eval')", "__import__(name)",
    "import pickle", "from pickle import loads", "import marshal", "pickle.loads(data)",
    "os.system(cmd)", "os.popen(cmd)", "from os import system", "os.execvp('sh', args)",
    "subprocess.run(cmd, shell=True)", "subprocess.Popen(cmd, shell=flag)",
    "builtins.eval(text)", "flask.render_template_string(text)",
])
def test_the_scan_catches_what_it_looks_for(snippet):
    assert dangerous(snippet), snippet


@pytest.mark.parametrize("snippet", [
    "re.compile(r'x')", "subprocess.run(['dot', '-Tsvg'], shell=False)", "os.path.join(a, b)",
    "evaluate(x)", "graph.pipe(format='svg')",
])
def test_the_scan_leaves_ordinary_code_alone(snippet):
    assert dangerous(snippet) == []


def test_the_code_never_evaluates_or_shells_out():
    sources = sorted((ROOT / "backprop_viz").glob("*.py")) + [ROOT / "app.py"]
    assert {"web.py", "engine.py", "parser.py", "render.py", "app.py"} <= {p.name for p in sources}
    found = {str(p.relative_to(ROOT)): hits for p in sources
             if (hits := dangerous(p.read_text(encoding="utf-8")))}
    assert found == {}


def test_the_templates_never_mark_text_safe():
    """Jinja escapes everything unless told not to; nothing tells it not to."""
    templates = sorted((ROOT / "templates").glob("*.html"))
    assert templates
    for path in templates:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\|\s*safe\b|autoescape\s+false|Markup", text), path.name


def test_the_page_script_never_turns_text_into_markup_or_code():
    """The page builds its DOM from text nodes; only the server's SVG is parsed, as XML."""
    scripts = sorted((ROOT / "static").glob("**/*.js"))
    assert scripts
    sinks = re.compile(r"\.(innerHTML|outerHTML)\s*\+?=|insertAdjacentHTML|document\.write|"
                       r"\beval\s*\(|new\s+Function\b|set(Timeout|Interval)\s*\(\s*[\"'`]|"
                       r"createContextualFragment|srcdoc")
    for path in scripts:
        hits = [m.group() for m in sinks.finditer(path.read_text(encoding="utf-8"))]
        assert hits == [], path.name


# ---------------------------------------------------------------- every-step exports

@pytest.mark.parametrize("body", DRAWN, ids=lambda b: b["expression"])
def test_every_step_exports_carry_names_as_text(client, body):
    """The standalone page has only its own three scripts and its words' JSON, the names only
    inside the escaped JSON; the PDF's pages hold them as text."""
    page = send(client, "export", {"format": "html"}, body)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    scripts = re.findall(r"<script\b[^>]*>", text)
    assert scripts == ['<script type="importmap">', re.search(r'<script type="module" '
                       r'src="data:text/javascript;base64,[A-Za-z0-9+/=]+">', text)[0],
                       '<script id="trace" type="application/json">',
                       '<script id="catalog" type="application/json">']   # the page's words
    data = text.split('<script id="trace" type="application/json">', 1)[1].split("</script>")[0]
    assert not re.search(r"[<>&']", data)
    assert json.loads(data)["variables"].keys() == send(client, "trace", {}, body).get_json()[
        "variables"].keys()
    assert not re.search(r"\son\w+\s*=", text.replace(data, ""), re.I)
    pdf = send(client, "export", {"format": "pdf", "steps": "all"}, body)
    assert pdf.status_code == 200
    pages = "".join(pdf_pages(pdf.data))
    for name in json.loads(data)["variables"]:
        assert name in pages


# ---------------------------------------------------------------- bounded: every request answers
# within its budget, as JSON, and never with a 500 (issue 19). Each test times the request and
# holds it to the deadline plus a generous margin: never tighter than the deadline itself.

MARGIN = 5.0                       # seconds on top of the deadline, for a loaded machine
ENDPOINTS = ["trace", "train", "check", "export?format=svg", "export?format=png",
             "export?format=pdf", "export?format=dot", "export?format=pdf&steps=all",
             "export?format=html"]


def timed(client, path: str, body, **kwargs):
    """POST `body` to /api/`path`; the answer and its time, held to the deadline."""
    started = time.monotonic()
    response = client.post(f"/api/{path}", **({"json": body} if body is not None else {}),
                           **kwargs)
    seconds = time.monotonic() - started
    assert seconds < limits.REQUEST_SECONDS + MARGIN, (path, seconds)
    assert response.mimetype == "application/json" or response.status_code == 200
    return response, seconds


def refused(response, *fragments: str) -> dict:
    """A 400 in the API's JSON, its message naming each of `fragments`."""
    assert response.status_code == 400, response.data[:300]
    error = response.get_json()
    assert set(error) == {"error", "code", "params", "position"}
    for fragment in fragments:
        assert fragment in error["error"], error["error"]
    return error


def request_for(path: str, body: dict) -> dict:
    """The body as `path` takes it: /api/check needs a formula and a step."""
    return {**body, "formula": "1", "step": 1} if path == "check" else body


DEEP = 100_000
DEEP_BODIES = {
    "arrays": b"[" * DEEP + b"]" * DEEP,
    "objects": b'{"a":' * DEEP + b"1" + b"}" * DEEP,
    "in a value": (b'{"expression": "s = sum(x)", "variables": {"x": {"value": '
                   + b"[" * DEEP + b"1" + b"]" * DEEP + b"}}}"),
    "past our limit": (b'{"expression": "s = sum(x)", "variables": {"x": {"value": '
                       + b"[" * 40 + b"1" + b"]" * 40 + b"}}}"),
}


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("kind", DEEP_BODIES)
def test_deep_json_is_a_400_on_every_endpoint(client, path, kind):
    response, _ = timed(client, path, None, data=DEEP_BODIES[kind],
                        content_type="application/json")
    error = refused(response, "nests", f"the limit is {limits.MAX_JSON_DEPTH}")
    assert error["position"] is None


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_body_that_is_not_json_is_a_400_saying_where(client, path):
    response, _ = timed(client, path, None, data=b'{"expression": "s = x",}',
                        content_type="application/json")
    assert refused(response, "not valid JSON", "at byte 22")["position"] is None


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", None])
@pytest.mark.parametrize("path", ["trace", "train", "check", "export?format=svg"])
def test_a_body_that_is_not_sent_as_json_is_a_415(client, path, content_type):
    """A page on another site can post these types without a CORS preflight: never accepted."""
    kwargs = {"content_type": content_type} if content_type else {}
    response, _ = timed(client, path, None, data=b'{"expression": "s = uT f(Wx + b)"}', **kwargs)
    assert response.status_code == 415
    error = response.get_json()
    assert error["position"] is None and "Content-Type: application/json" in error["error"]
    assert response.headers["Content-Security-Policy"] == SECURITY_HEADERS[
        "Content-Security-Policy"]


def stack(parts: int, sep: str = "; ") -> str:
    return "s = sum([" + sep.join(["x"] * parts) + "])"


STACKS = {
    "1,000 parts": {"expression": stack(1000)},
    "5,000 parts of a 1×1": {"expression": stack(4990, ";"),
                             "variables": {"x": {"shape": [1, 1]}}},
}


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_stack_of_1000_parts_answers_fast_or_is_refused_at_once(client, path):
    """It once answered 30 MB in 3 s: its texts are now linear in its parts (each edge's local
    formula says its block, not every zero), so it answers, summarised; what would still be
    slow (a PNG of 1,000 edges side by side, its every-step PDF) is refused from the estimate."""
    response, seconds = timed(client, path, request_for(path, STACKS["1,000 parts"]))
    assert response.is_json or response.status_code == 200
    if path == "trace":
        assert response.status_code == 200 and len(response.data) < limits.MAX_ANSWER_BYTES
    if path in ("export?format=png", "export?format=pdf&steps=all"):
        refused(response, "MAX_EXPORT_SECONDS")
    assert response.status_code in (200, 400)
    assert seconds < limits.REQUEST_SECONDS


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_stack_of_5000_parts_is_refused_at_once_on_every_endpoint(client, path):
    """It held a worker past gunicorn's 30 s: refused from the graph, before any work."""
    response, seconds = timed(client, path, request_for(path, STACKS["5,000 parts of a 1×1"]))
    refused(response, "edges", f"the limit {limits.MAX_EDGES}", "MAX_EDGES")
    assert seconds < limits.REQUEST_SECONDS


def nest(depth: int, op: str = "tanh", leaf: str = "x") -> str:
    return f"sum({op}(" * 1 + f"{op}(" * (depth - 1) + leaf + ")" * depth + ")"


def chain(n: int) -> str:
    """c_i = c_{i−1} ∘ x: x feeds every node, so its edges span 1, 2, …, n ranks."""
    lines = ["c0 = x", *(f"c{i} = c{i - 1} * x" for i in range(1, n + 1))]
    return "\n".join([*lines, f"s = c{n}"])


# The requests of issue 19's report that held a worker, each now refused by a named budget.
ISSUE_REQUESTS = {
    "five softmax nests of 199": ("trace", {"expression": "\n".join(
        f"a{i} = " + nest(199, "softmax", f"x{i}") for i in range(5)) + "\ns = a0 + a1"},
        "MAX_ANSWER_BYTES"),
    "the norm of a 1000×1000 as HTML": (
        "export?format=html", {"expression": "s = norm(x)",
                               "variables": {"x": {"shape": [1000, 1000]}}}, "MAX_ANSWER_BYTES"),
    "training a stack of 400 for 1,000 steps": (
        "train", {"expression": "s = sum([" + ";".join(["w"] * 400) + "])", "steps": 1000},
        "MAX_TRAIN_NODE_STEPS"),
    "the every-step PDF of a 56-node chain": (
        "export?format=pdf&steps=all", {"expression": chain(53)}, "MAX_EXPORT_SECONDS"),
    "the every-step PDF of a 10-layer net (109 pages)": (
        "export?format=pdf&steps=all",
        dict(zip(("expression", "variables"), tanh_net(10), strict=True)), "MAX_EXPORT_SECONDS"),
    "a chain whose edges span thousands of ranks": (
        "trace", {"expression": chain(150)}, "too tangled to draw"),
    "the scalar view at its cap, every step": (
        "export?format=pdf&steps=all", {"expression": "s = uᵀ f(Wx + b)", "view": "scalar",
                                        "variables": {"W": {"shape": [9, 9]}}}, "pages"),
}


@pytest.mark.parametrize("name", ISSUE_REQUESTS)
def test_the_issues_expensive_requests_are_refused_by_a_named_budget(client, name):
    path, body, limit = ISSUE_REQUESTS[name]
    response, _ = timed(client, path, body)
    refused(response, limit)


# The most expensive requests still accepted: each answers within the deadline.
ACCEPTED = {
    "the lecture with W 512×512": ("trace", {"expression": "s = uᵀ f(Wx + b)",
                                             "variables": {"W": {"shape": [512, 512]}}}),
    "a stack of 200 parts": ("trace", {"expression": stack(200)}),
    "tanh nested 100 deep": ("trace", {"expression": "s = " + nest(100)}),
    "tanh nested 199 deep (8–10 s once: its texts grew as its depth squared)": (
        "trace", {"expression": "s = " + nest(199)}),
    "a stack of 1,000 parts": ("trace", {"expression": stack(1000)}),
    "training the lecture at its cap of steps": (
        "train", {"expression": "s = uᵀ f(Wx + b)", "steps": limits.MAX_TRAIN_STEPS}),
    "the scalar view's every-step PDF": (
        "export?format=pdf&steps=all", {"expression": "s = uᵀ f(Wx + b)", "view": "scalar",
                                        "variables": {"W": {"shape": [1, 3]}}}),
    "a 5-layer net's every-step PDF (59 pages)": (
        "export?format=pdf&steps=all",
        dict(zip(("expression", "variables"), tanh_net(5), strict=True))),
    "a chain under the span limit": ("trace", {"expression": chain(53)}),
}


@pytest.mark.parametrize("name", ACCEPTED)
def test_the_most_expensive_accepted_requests_answer_within_the_deadline(client, name):
    path, body = ACCEPTED[name]
    response, _ = timed(client, path, body)
    assert response.status_code == 200, response.data[:300]
    assert len(response.data) <= limits.MAX_ANSWER_BYTES


def test_an_answer_over_its_limit_is_refused_naming_it(client, monkeypatch):
    """The estimate refuses first; the measured answer is held to the same limit after."""
    monkeypatch.setattr(web, "MAX_ANSWER_BYTES", 1000)
    response, _ = timed(client, "trace", {"expression": "s = uᵀ f(Wx + b)"})
    refused(response, "the answer would be", "more than the limit 1000", "MAX_ANSWER_BYTES")


def test_work_past_the_deadline_stops_with_a_503_and_the_next_request_works(client,
                                                                            monkeypatch):
    monkeypatch.setattr(web, "REQUEST_SECONDS", 0.05)
    render.LAYOUTS.clear()
    response, seconds = timed(client, "export?format=pdf&steps=all",
                              {"expression": "s = uᵀ f(Wx + b)"})
    assert response.status_code == 503
    assert response.get_json() == {"error": "the request took longer than 0.05 s, the "
                                            "server's limit for one request (REQUEST_SECONDS), "
                                            "and was stopped: try a smaller expression or graph",
                                   "code": "error.unavailable.deadline",
                                   "params": {"seconds": "0.05"}, "position": None}
    assert seconds < 2
    assert stray_dots() == []
    monkeypatch.setattr(web, "REQUEST_SECONDS", limits.REQUEST_SECONDS)
    assert timed(client, "trace", {"expression": "s = uᵀ f(Wx + b)"})[0].status_code == 200


def test_a_dot_killed_mid_layout_is_a_503_and_the_next_request_works(client, monkeypatch):
    """As if the OOM killer took the worker's `dot`: the server's failure, said as such."""
    real = render.DOT._read

    def killed(proc):
        proc.kill()
        return real(proc)

    render.LAYOUTS.clear()
    monkeypatch.setattr(render.DOT, "_read", killed)
    response, _ = timed(client, "trace", {"expression": chain(53)})   # 2 s of layout
    assert response.status_code == 503
    assert response.get_json()["error"].startswith("the server failed to lay out the graph: "
                                                   "Graphviz's dot stopped")
    monkeypatch.setattr(render.DOT, "_read", real)
    assert timed(client, "trace", {"expression": "s = uᵀ f(Wx + b)"})[0].status_code == 200
    assert stray_dots() == []


@pytest.mark.parametrize("letter", ["x", "𐐀"])   # Deseret 𐐀: astral, and kept by NFKC
def test_the_layout_cache_counts_the_bytes_it_holds(letter):
    """One astral letter made every cached SVG take 4 bytes a character as a str; the cache
    holds UTF-8 and counts exactly that."""
    cache = render.LayoutCache(max_bytes=10_000_000)
    source = f'digraph {{ a [label="W{letter}"]; a -> b }}'   # the page's titles are drawn in
    svg, hit = cache.get(source)                            # later (drawn.py), an edge's kept
    assert not hit and letter in svg
    assert cache.size == len(svg.encode()) + cache.ENTRY_BYTES
    assert cache.get(source) == (svg, True)
    assert letter in render.render_svg(trace_of(f"s = sum(tanh(W{letter} + b))"))


def stray_dots() -> list[int]:
    """Processes named dot whose parent is this process, but for the two render keeps
    (render.DOT, and render.MEASURE_DOT for a small graph's candidate layouts)."""
    kept = {d._proc.pid for d in (render.DOT, render.MEASURE_DOT) if d._proc is not None}
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        name, fields = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:]
        if name == "dot" and int(fields.split()[1]) == os.getpid() and int(pid) not in kept:
            found.append(int(pid))
    return found
