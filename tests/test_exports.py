"""Every step exported: the multi-page PDF, the standalone HTML page (offline, in Chromium), and
the ways to ask for them: the API, the CLI and Trace.export."""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from backprop_viz import exports, standalone, trace
from backprop_viz.__main__ import main
from tests.checks import tanh_net

LECTURE = "s = uᵀ f(Wx + b)"
XYZ = {"expression": "out = (x + y) * z",
       "variables": {"x": {"value": -2}, "y": {"value": 5}, "z": {"value": -4}}}


def pdf_pages(data: bytes) -> list[str]:
    """The text of each page, as a PDF reader extracts it."""
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


class Scripts(HTMLParser):
    """The <script> elements of a page: their attributes and their text."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.found: list[tuple[dict, str]] = []
        self._open: dict | None = None
        self.csp = None
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attrs = dict(attrs)
        if tag == "script":
            self._open = attrs
            self.found.append((attrs, ""))
        if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy":
            self.csp = attrs["content"]

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            attrs, text = self.found[-1]
            self.found[-1] = (attrs, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._open = None


# ---------------------------------------------------------------- the PDF

def test_the_pdf_has_a_page_per_step_with_its_equations():
    t = trace(LECTURE)
    pages = pdf_pages(exports.pdf(t))
    n = len(t.steps)
    assert len(pages) == n + 1
    assert pages[0].startswith(f"step 0 of {n}")
    for k in range(1, n + 1):
        phase = "forward" if k <= len(t.nodes) else "backward"
        assert pages[k].startswith(f"{phase} step {k} of {n}: "), pages[k][:80]
    w_step = next(k for k, s in enumerate(t.steps, 1)
                  if s.node == t.node(t.variables["W"]).id and k > len(t.nodes))
    assert "upstream ∂s/∂W =" in pages[w_step]
    assert "local ∂(W · x)/∂W = I ⊗ xᵀ" in "".join(pages)


def test_step_lines_read_the_trace():
    t = trace(**{"expression": XYZ["expression"], "variables": XYZ["variables"]})
    lines = exports.step_lines(t, len(t.nodes) + 1)   # the first backward step: out
    assert lines[:2] == [f"backward step {len(t.nodes) + 1} of {len(t.steps)}: out",
                         "upstream ∂out/∂out = 1"]
    local = t.steps[len(t.nodes)].inputs[0].local_formula   # z, or its lecture form
    assert any(line.startswith("  local ∂out/∂(x + y) = ") and local in line for line in lines)
    assert "  downstream ∂out/∂(x + y) = −4" in lines
    assert "  downstream ∂out/∂z = 3" in lines


def test_a_matrix_is_summarised_as_the_panel_does():
    t = trace("s = sum(W)", {"W": {"shape": [8, 9]}})
    rows = exports.matrix_lines(t.node(t.variables["W"]).value)
    assert len(rows) == 7 and rows[3] == "[⋮]" and rows[-1] == "(8×9)"
    assert rows[0].count(",") == 5 and ", …, " in rows[0]


def test_too_many_pages_are_refused_naming_the_limit(monkeypatch):
    monkeypatch.setattr(exports, "MAX_EXPORT_PAGES", 10)
    with pytest.raises(exports.BackpropError, match="would have 19 pages; the limit is 10"):
        exports.pdf(trace(LECTURE))


def test_the_default_limit_takes_a_ten_layer_net():
    t = trace(*tanh_net(10))
    assert len(t.steps) + 1 <= exports.MAX_EXPORT_PAGES


# ---------------------------------------------------------------- the standalone page

def test_the_page_embeds_the_trace_and_the_page_modules():
    t = trace(LECTURE)
    page = standalone.html(t)
    scripts = Scripts(page)
    kinds = [a.get("type") for a, _ in scripts.found]
    assert kinds == ["importmap", "module", "application/json", "application/json"]   # trace, words
    imports = json.loads(scripts.found[0][1])["imports"]
    assert set(imports) >= {f"bpv/static/js/{f}" for f in
                            ("standalone.js", "graph.js", "panel.js", "state.js", "format.js")}
    assert "bpv/static/js/controls.js" not in imports   # the form and requests stay behind
    assert scripts.found[1][0]["src"] == imports["bpv/static/js/standalone.js"]
    data = json.loads(scripts.found[2][1])
    assert data == json.loads(json.dumps(standalone.page_data(t), default=lambda a: a.tolist()))
    assert "<svg" in data["svg"]


def test_every_inlined_module_imports_only_by_bare_names():
    for name, url in standalone.modules().items():
        source = base64.b64decode(url.split(",", 1)[1]).decode()
        specifiers = re.findall(r"""^(?:import|export)\b[^"';]*?\bfrom\s*["']([^"']+)["']"""
                                r"""|\bimport\(\s*["']([^"']+)["']""", source, re.M)
        named = [s for pair in specifiers for s in pair if s]
        if name.endswith("standalone.js"):
            assert {"bpv/static/js/player.js", "bpv/static/js/math.js"} <= set(named), named
        assert all(s.startswith("bpv/") for s in named), (name, named)


def test_the_csp_runs_only_the_import_map_and_the_pages_own_modules_by_hash():
    page = standalone.html(trace(LECTURE))
    scripts = Scripts(page)
    importmap = scripts.found[0][1]

    def digest(data: bytes) -> str:
        return "sha256-" + base64.b64encode(hashlib.sha256(data).digest()).decode()

    imports = json.loads(importmap)
    modules = {digest(base64.b64decode(url.split(",", 1)[1])) for url in imports["imports"]
               .values()}
    assert set(imports["integrity"]) == set(imports["imports"].values())
    assert set(imports["integrity"].values()) == modules
    sources = " ".join(f"'{h}'" for h in [digest(importmap.encode()), *sorted(modules)])
    assert scripts.csp == (f"default-src 'none'; script-src {sources}; "
                           "style-src data:; font-src data:; img-src data:; base-uri 'none'; "
                           "form-action 'none'")
    assert "data:" not in scripts.csp.split("script-src", 1)[1].split(";")[0]
    assert not re.search(r"(src|href)=\"(?!data:)", page)   # nothing to fetch


def test_the_page_inlines_every_style_sheet_the_served_page_links(client):
    served = client.get("/").get_data(as_text=True)
    links = re.findall(r'<link rel="stylesheet"[^>]*?\shref="([^"]+)"', served)
    assert sorted(links) == sorted(standalone.page_styles())


@pytest.mark.parametrize("text", ["</script><script>alert(1)</script>", "<!-- x", "a & b",
                                  "it's", "line\u2028sep\u2029x"])
def test_script_json_never_closes_its_element(text):
    out = str(standalone.script_json({"t": text}))
    assert not re.search(r"[<>&'\u2028\u2029]", out)
    assert json.loads(out) == {"t": text}


def test_the_notebook_view_is_the_page_in_a_sandboxed_iframe():
    t = trace(LECTURE)
    view = t._repr_html_()
    m = re.fullmatch(r'<iframe sandbox="allow-scripts" width="100%" height="720" '
                     r'title="backprop_viz stepper" srcdoc="([^"]*)"></iframe>', view)
    assert m
    assert html.unescape(m[1]) == standalone.html(t)


# ---------------------------------------------------------------- API, CLI, Python

def test_the_api_answers_every_step_as_a_pdf(client):
    response = client.post("/api/export?format=pdf&steps=all", json=XYZ)
    assert response.status_code == 200
    assert response.content_type == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="backprop-out-steps.pdf"')
    assert len(pdf_pages(response.data)) == 11   # 5 forward steps, 5 backward, and step 0


def test_the_api_answers_the_standalone_page(client):
    response = client.post("/api/export?format=html&step=3", json=XYZ)
    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="backprop-out-steps.html"')
    page = response.get_data(as_text=True)
    assert 'data-step="3"' in page
    assert json.loads(Scripts(page).found[2][1])["expression"] == XYZ["expression"]


def test_one_step_exports_are_unchanged(client):
    response = client.post("/api/export?format=pdf&step=2", json=XYZ)
    assert response.status_code == 200
    assert len(pdf_pages(response.data)) == 1
    assert 'filename="backprop-out-step2.pdf"' in response.headers["Content-Disposition"]


@pytest.mark.parametrize("query, message", [
    ("format=pdf&steps=some", "steps must be all, not 'some'"),
    ("format=svg&steps=all", "steps=all exports one of pdf, html, not 'svg'"),
    ("format=pdf&steps=all&step=2", "give step=K for one step or steps=all"),
    ("format=html&step=99", "step must be a whole number from 0 to 10, not '99'"),
    ("format=gif", "format must be one of svg, png, pdf, dot, html, not 'gif'"),
])
def test_bad_every_step_queries_are_400(client, query, message):
    response = client.post(f"/api/export?{query}", json=XYZ)
    assert response.status_code == 400
    assert message in response.get_json()["error"]


def test_the_api_refuses_a_pdf_past_the_page_limit(client, monkeypatch):
    monkeypatch.setattr(exports, "MAX_EXPORT_PAGES", 5)
    response = client.post("/api/export?format=pdf&steps=all", json=XYZ)
    assert response.status_code == 400
    assert response.get_json()["error"].startswith(
        "an every-step PDF of this graph would have 11 pages; the limit is 5")


def test_the_cli_exports_every_step(tmp_path, capsys):
    pdf, page = tmp_path / "steps.pdf", tmp_path / "steps.html"
    assert main(["(x + y) * z", "--export", str(pdf)]) == 0
    assert len(pdf_pages(pdf.read_bytes())) == 11
    assert main(["(x + y) * z", "--export", str(page)]) == 0
    assert Scripts(page.read_text(encoding="utf-8")).found[1][0]["type"] == "module"
    with pytest.raises(SystemExit):
        main(["(x + y) * z", "--export", str(page), "--step", "2"])
    assert "an .html export holds every step" in capsys.readouterr().err


@pytest.mark.parametrize("suffix, magic", [("pdf", b"%PDF"), ("html", b"<!doctype html>"),
                                           ("svg", b"<svg"), ("dot", b"digraph")])
def test_trace_export_writes_by_suffix(tmp_path, suffix, magic):
    t = trace(LECTURE)
    out = t.export(tmp_path / f"out.{suffix}")
    assert magic in out.read_bytes()[:400]
    if suffix == "pdf":
        assert len(pdf_pages(out.read_bytes())) == len(t.steps) + 1


def test_trace_export_refuses_an_unknown_suffix(tmp_path):
    with pytest.raises(exports.BackpropError, match=r"must end in one of \.pdf, \.html, \.svg"):
        trace(LECTURE).export(tmp_path / "out.gif")


def test_a_notebook_gives_values_as_keywords():
    """trace("…", W=np.array(…), f="relu"): arrays and numbers as keywords, 1-D as a column."""
    w = np.arange(12.0).reshape(3, 4) / 10
    t = trace(LECTURE, {"b": {"value": [1, 2, 3]}}, f="relu", W=w, x=np.array([1.0, 0, 2, -1]))
    assert (t.node(t.variables["W"]).value == w).all()
    assert t.node(t.variables["x"]).shape == (4, 1)
    assert t.node(t.variables["b"]).value.ravel().tolist() == [1, 2, 3]
    assert trace("(x + y) * z", x=-2, y=5, z=-4).value == -12


def test_gradients_is_a_read_only_mapping():
    t = trace(LECTURE)
    assert list(t.gradients) == list(t.variables)
    assert (t.gradients["W"] == t.gradient("W")).all() and t.gradients["W"].shape == (3, 4)
    with pytest.raises(TypeError):
        t.gradients["W"] = 0
    with pytest.raises(ValueError):
        t.gradients["W"][0, 0] = 1.0


def test_the_engine_never_loads_the_renderer():
    code = ("import sys; from backprop_viz import trace; t = trace('s = sum(x)'); "
            "t.gradients; t.to_json(); "
            "print(sorted(m for m in sys.modules if m.startswith('backprop_viz.')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=Path(__file__).parent.parent)
    loaded = done.stdout
    assert "backprop_viz.engine" in loaded
    assert not re.search(r"render|exports|standalone|graphviz", loaded), loaded


# ---------------------------------------------------------------- in Chromium, offline

def open_offline(browser, url: str):
    """A page with no network: only file: and data: URLs load, and every request is noted."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, offline=True)
    seen: list[str] = []

    def route(r) -> None:
        seen.append(r.request.url)
        if r.request.url.startswith(("file:", "data:")):
            r.continue_()
        else:
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type in ("error", "warning") and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    return context, page, errors, seen


@pytest.mark.browser
def test_the_standalone_page_steps_offline_from_a_file(browser, tmp_path):
    path = trace(LECTURE).export(tmp_path / "steps.html")
    context, page, errors, seen = open_offline(browser, path.as_uri())
    try:
        expect(page.locator("#counter")).to_have_text("step 0 of 18 · forward")
        before = page.inner_text("#panel")
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        assert page.inner_text("#counter") == "step 3 of 18 · forward"
        assert page.inner_text("#panel") != before
        assert "W" in page.inner_text("#panel h2")
        filled = page.eval_on_selector_all("#graph text.val",
                                           "ts => ts.map(t => t.textContent)")
        assert sum(text != "?" for text in filled) == 3
        page.keyboard.press("End")
        assert page.inner_text("#counter") == "step 18 of 18 · backward"
        page.click("#first")
        assert page.inner_text("#counter") == "step 0 of 18 · forward"
        assert errors == []
        assert all(u.startswith(("file:", "data:")) for u in seen), seen
    finally:
        context.close()
