"""Hostile input through the HTTP API: nothing a user types is run, evaluated as a template,
leaks the config, or reaches a diagram as markup. The page's own browser-side half is in
test_xss_browser.py."""

from __future__ import annotations

import ast
import json
import re
import tempfile
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from app import create_app
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
        assert set(error) == {"error", "position"} and error["error"]
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
    """The standalone page has only its own three scripts, the names only inside the escaped
    JSON; the PDF's pages hold them as text."""
    page = send(client, "export", {"format": "html"}, body)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    scripts = re.findall(r"<script\b[^>]*>", text)
    assert scripts == ['<script type="importmap">', re.search(r'<script type="module" '
                       r'src="data:text/javascript;base64,[A-Za-z0-9+/=]+">', text)[0],
                       '<script id="trace" type="application/json">']
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
