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
import zlib
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from backprop_viz import exports, numbers, pdfmath, render, standalone, trace
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

def flat(text: str) -> str:
    """A page's text without its line breaks and runs of spaces: a fraction's ∂s over ∂W and
    a matrix's rows come out of the PDF a line each."""
    return re.sub(r"\s+", " ", text)


@pytest.fixture(scope="module")
def lecture_pdf() -> tuple:
    t = trace(LECTURE)
    return t, exports.pdf(t)


def test_the_pdf_has_a_page_per_step_with_its_equations(lecture_pdf):
    t, data = lecture_pdf
    pages = pdf_pages(data)
    n = len(t.steps)
    assert len(pages) == n + 1
    assert pages[0].startswith(f"step 0 of {n}")
    for k in range(1, n + 1):
        phase = "forward" if k <= len(t.nodes) else "backward"
        assert pages[k].startswith(f"{phase} step {k} of {n}: "), pages[k][:80]
    w_step = next(k for k, s in enumerate(t.steps, 1)
                  if s.node == t.node(t.variables["W"]).id and k > len(t.nodes))
    assert flat(pages[w_step]).startswith(f"backward step {w_step} of {n}: W upstream gradient "
                                          "∂s ∂W = ")
    product = next(k for k, s in enumerate(t.steps, 1) if k > len(t.nodes)
                   and t.node(s.node).label == "W · x")
    page = flat(pages[product])
    # ∂s/∂W = δ xᵀ, each factor over its shape, = δ's numbers, xᵀ's, = the gradient
    assert "input 1: W matrix product: the gradient of W is the upstream times xᵀ ∂s ∂W = " \
        "δ 3×1 xT 1×4 = −0.7 0.3251 −0.7173 0.6 0.69 0.91 0.94 = −0.42 −0.483" in page
    assert "local Jacobian: ∂(W x) ∂W = I ⊗ xT" in page


def test_the_pdf_typesets_in_the_math_fonts_not_monospace(lecture_pdf):
    _, data = lecture_pdf
    reader = PdfReader(io.BytesIO(data))
    for page in reader.pages[1:]:
        fonts = {f.get_object()["/BaseFont"].split("+")[-1]
                 for f in page["/Resources"]["/Font"].values()}
        assert {"DejaVuSerif", "DejaVuSerif-Italic"} <= fonts, fonts
        assert not any("Mono" in f for f in fonts), fonts


def test_its_last_page_carries_the_summary_closed_forms_deltas_and_check(lecture_pdf):
    t, data = lecture_pdf
    last = flat(pdf_pages(data)[-1])
    summary = last[last.index("Summary: every gradient, in its variable's shape"):]
    assert summary.startswith("Summary: every gradient, in its variable's shape "
                              "z = W x + b, h = f(z) (as the lecture writes it) "
                              "δ = u ∘ f′(z) = −0.7 0.3251 −0.7173 ")
    for closed in ("∂s ∂u = h = ", "∂s ∂W = δ xT = −0.42 −0.483", "∂s ∂x = WT δ = 0.0571",
                   "∂s ∂b = δ = −0.7 0.3251 −0.7173"):
        assert closed in summary, closed
    assert "Gradient check each gradient again by central differences" in summary.replace(
        "ﬀ", "ff")
    check = summary[summary.index("variable checked max rel. error"):]
    for name in t.variables:
        c = t.gradient_check.variables[name]
        assert f" {name} all {c.total} entries {numbers.number(c.max_rel_error)}" in check


def test_a_backward_step_is_laid_out_as_fractions_superscripts_and_matrices():
    t = trace(LECTURE)
    k = next(k for k, s in enumerate(t.steps, 1) if k > len(t.nodes)
             and t.node(s.node).label == "W · x")
    label = pdfmath.caption(pdfmath.Typesetter(t, render.THEMES["light"]).page(k))
    assert label.count('SIDES="T"') >= 3                   # ∂s/∂(W x), ∂s/∂W, ∂s/∂x, locals
    assert label.count('SIDES="LTB"') == label.count('SIDES="RTB"') >= 6   # brackets in pairs
    assert "<I>x</I><SUP>T</SUP>" in label and "<I>δ</I>" in label
    assert render.THEMES["light"]["grad"] in label and render.THEMES["light"]["value"] in label


@pytest.mark.parametrize("text, pieces", [
    ("∂s/∂W = δ · xᵀ", ["∂<I>s</I> | ∂<I>W</I>", " = <I>δ</I> <I>x</I><SUP>T</SUP>"]),
    ("∂s/∂(W · x)", ["∂<I>s</I> | ∂(<I>W</I> <I>x</I>)"]),
    ("δ₂ = u ∘ f′(z)", ["<I>δ</I><SUB>2</SUB> = <I>u</I> ∘ <I>f</I>′(<I>z</I>)"]),
    ("uᵀ tanh(x_Paris)", ["<I>u</I><SUP>T</SUP> tanh(<I>x</I><SUB>Paris</SUB>)"]),
    ("W1ᵀ δ₃ + h20", ["<I>W</I><SUB>1</SUB><SUP>T</SUP> <I>δ</I><SUB>3</SUB> + "
                      "<I>h</I><SUB>20</SUB>"]),
])
def test_math_text_is_typeset(text, pieces):
    def read(piece: str) -> str:   # a fraction's two lines, joined by |
        cells = re.findall(r'POINT-SIZE="\d+">(.*?)</FONT>', piece)
        return " | ".join(cells)

    assert [read(p) for p in pdfmath.math(text)] == pieces


def test_a_matrix_is_abbreviated_as_the_panel_does():
    a = np.arange(72.0).reshape(8, 9)
    m = pdfmath.matrix(a, "#000000", "#777777")
    entries = re.findall(r'POINT-SIZE="14"[^>]*>([^<]*)</FONT>', m)
    assert len(entries) == 6 * 5 and entries.count("⋮") == 4 and entries.count("⋯") == 5
    assert entries[:5] == ["0", "1", "⋯", "7", "8"] and "⋱" in entries
    assert "8×9" in m
    assert pdfmath.matrix(np.array([[2.5]]), "#000000", "#777777").endswith(">2.5</FONT>")


def test_the_first_backward_page_reads_the_trace():
    t = trace(**{"expression": XYZ["expression"], "variables": XYZ["variables"]})
    k = len(t.nodes) + 1    # the first backward step: out
    page = flat(pdf_pages(render.export(t, "pdf", k, pdfmath.caption(
        pdfmath.Typesetter(t, render.THEMES["light"]).page(k))))[0])
    assert page.startswith(f"backward step {k} of {len(t.steps)}: out upstream gradient "
                           "∂out ∂out = 1 input 1: x + y")
    assert "∂out ∂(x + y) = " in page and "= −4 " in page
    assert "input 2: z" in page and "∂out ∂z = " in page


def test_too_many_pages_are_refused_naming_the_limit(monkeypatch):
    monkeypatch.setattr(exports, "MAX_EXPORT_PAGES", 10)
    with pytest.raises(exports.BackpropError, match="would have 19 pages; the limit is 10"):
        exports.pdf(trace(LECTURE))


def test_the_default_limit_takes_a_ten_layer_net():
    t = trace(*tanh_net(10))
    assert len(t.steps) + 1 <= exports.MAX_EXPORT_PAGES


# ---------------------------------------------------------------- one step, for a slide

def png_corner(data: bytes) -> tuple[int, ...]:
    """The top-left pixel of a PNG, as (r, g, b[, a]): the first row's first pixel is stored
    as it is under every filter, so the first IDAT bytes hold it."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = {}, 8
    while at < len(data):
        size = int.from_bytes(data[at:at + 4], "big")
        kind = data[at + 4:at + 8]
        chunks[kind] = chunks.get(kind, b"") + data[at + 8:at + 8 + size]
        at += size + 12
    depth, colour = chunks[b"IHDR"][8], chunks[b"IHDR"][9]
    assert depth == 8 and colour in (2, 6)
    channels = 4 if colour == 6 else 3
    return tuple(zlib.decompress(chunks[b"IDAT"])[1:1 + channels])


@pytest.mark.parametrize("theme, ground", [("dark", (0x17, 0x18, 0x1A)),
                                           ("light", (0xFF, 0xFF, 0xFF)),
                                           (None, (0xFF, 0xFF, 0xFF))])
def test_a_png_for_a_slide_has_its_theme_on_an_opaque_background(client, theme, ground):
    query = "format=png&step=6" + (f"&theme={theme}" if theme else "")
    response = client.post(f"/api/export?{query}", json=XYZ)
    assert response.status_code == 200 and response.content_type == "image/png"
    pixel = png_corner(response.data)
    assert pixel[:3] == ground and pixel[3:] in ((), (255,))     # opaque, never transparent


def test_an_svg_for_a_dark_slide_is_dark_and_opaque(client):
    svg = client.post("/api/export?format=svg&step=6&theme=dark", json=XYZ).get_data(
        as_text=True)
    assert re.search(r'<polygon fill="#17181a"', svg) and 'fill="transparent"' not in svg
    assert render.THEMES["dark"]["value"] in svg


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
    sheets = [url for url in standalone.page_styles() if url.startswith("/static/")]
    # the served page gets the app's sheets as one (/page.css), the export inlines each
    assert sorted(links) == sorted(["/page.css", *(set(standalone.page_styles()) - set(sheets))])
    combined = client.get("/page.css").get_data(as_text=True)
    assert all(client.get(url).get_data(as_text=True) in combined for url in sheets)


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
