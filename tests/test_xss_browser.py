"""Hostile text in every input of the page, in headless Chromium: it shows as text, never runs.

The live server sends a strict CSP, which would block an injected inline handler on its own; so
besides "no alert ran" every test also checks the DOM itself (no handler attribute, no foreign
element), the CSP violation reports and the requests made (an injected `<img src=x>` fetches /x).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pages import open_page

pytestmark = pytest.mark.browser

PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "</textarea><script>alert(1)</script>",
    "javascript:alert(1)",
    "{{7*7}}",
]
HOOKS = """
window.__xss = 0;
window.alert = window.confirm = window.prompt = () => { window.__xss++; };
window.__violations = [];
document.addEventListener('securitypolicyviolation',
    e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
"""
# Everything on the page that could carry injected markup or code, as a list of findings.
FOREIGN = """() => {
    const found = [];
    for (const e of document.querySelectorAll('*')) {
        const tag = e.localName;
        if (['img', 'iframe', 'object', 'embed', 'foreignObject', 'image'].includes(tag)) {
            found.push('<' + tag + '>');
        }
        // the page's words: the one catalog the server inlined, JSON that never runs
        const words = e.id === 'catalog' && e.type === 'application/json'
            && e === document.querySelectorAll('script#catalog')[0]
            && document.querySelectorAll('script#catalog').length === 1;
        if (tag === 'script' && !words && !(e.getAttribute('src') || '').startsWith('/static/')) {
            found.push('script ' + e.outerHTML.slice(0, 80));
        }
        // the graph's, and KaTeX's own (a tall bracket, in a panel or a spare laid out for the
        // next step): KaTeX draws it from the LaTeX the page writes, never from a user's text
        const katex = e.closest('.panel-stack .katex') && e.namespaceURI.endsWith('/svg');
        if (tag === 'svg' && !katex && !e.parentElement.closest('#graph')
            && e.parentElement.id !== 'graph') {
            found.push('svg outside #graph');
        }
        for (const a of e.attributes) {
            if (/^on/i.test(a.name)) found.push(tag + ' ' + a.name + '=' + a.value);
            if (/href|src|action/i.test(a.name) && /^\\s*javascript:/i.test(a.value)) {
                found.push(tag + ' ' + a.name + '=' + a.value);
            }
        }
    }
    return found;
}"""
ANSWERED = """() => !document.getElementById('expr-error').hidden
    || document.getElementById('var-error') !== null
    || document.querySelector('#graph svg') !== null"""
STATIC = Path(__file__).parent.parent / "static"
ALLOWED_PATHS = {"/", "/page.css", "/static/app.css", "/static/favicon.svg", "/api/trace",
                 "/api/presets", "/vendor/katex/katex.mjs", "/vendor/katex/katex.min.css",
                 "/static/build/page.js"} | {
    f"/static/{p.relative_to(STATIC).as_posix()}"
    for p in [*STATIC.glob("js/*.js"), *STATIC.glob("css/*.css")]}
KATEX_FONTS = "/vendor/katex/fonts/"


@dataclass
class Watch:
    """What the page did besides drawing: dialogs, script errors, console errors, requests."""

    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


@pytest.fixture
def watch(page) -> Watch:
    seen = Watch()
    page.add_init_script(HOOKS)

    def on_dialog(dialog) -> None:
        seen.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda e: seen.errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and seen.console.append(m.text))
    page.on("request", lambda r: seen.requests.append(r.url))
    return seen




def answer(page, act) -> str:
    """Clear the graph and the error box, `act`, and wait until the page shows its answer."""
    page.evaluate("""() => { document.getElementById('graph').replaceChildren();
                             document.getElementById('expr-error').hidden = true;
                             document.getElementById('var-error')?.remove(); }""")
    act()
    page.wait_for_function(ANSWERED)
    shown = page.is_visible("#expr-error") or page.locator("#var-error").count() > 0
    return "error" if shown else "graph"


def assert_nothing_ran(page, watch: Watch, base: str, where: str) -> None:
    assert watch.dialogs == [], where
    assert page.evaluate("() => window.__xss") == 0, where
    assert page.evaluate("() => window.__violations") == [], where
    assert page.evaluate(FOREIGN) == [], where
    assert watch.errors == [], where
    # A 400 answer is logged as a failed resource; anything else (a CSP refusal) is not expected.
    assert [m for m in watch.console if not m.startswith("Failed to load resource")] == [], where
    for url in watch.requests:
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == base and (
            parts.path in ALLOWED_PATHS or parts.path.startswith(KATEX_FONTS)), (where, url)


def assert_shown_as_text(page, payload: str, where: str = "#expr-error") -> None:
    """The error box quotes the payload as text: only the app's own elements in it."""
    box = page.locator(where)
    assert payload in box.inner_text()
    tags = page.evaluate("""(where) => [...document.querySelectorAll(where + ' *')]
        .map(e => e.localName)""", where)
    assert set(tags) <= {"p", "figure", "pre", "span", "figcaption"}, tags   # span: caret pad
    if "7*7" in payload:
        assert "49" not in box.inner_text()


# ---------------------------------------------------------------- the form

@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_payload_typed_as_the_expression_is_quoted_in_the_error(page, live_server, watch,
                                                                   payload):
    open_page(page, live_server, until=ANSWERED)
    for expression in (payload, f"z = sum(x)\ns = z + 1 {payload}"):
        page.fill("#expr", expression)
        assert answer(page, lambda: page.press("#expr", "Control+Enter")) == "error"
        assert_shown_as_text(page, payload)
        assert_nothing_ran(page, watch, live_server, f"expression {expression!r}")
    assert page.input_value("#expr") == f"z = sum(x)\ns = z + 1 {payload}"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_payload_typed_into_the_seed_field_is_harmless(page, live_server, watch, payload):
    open_page(page, live_server, until=ANSWERED, expr="s = sum(x)")
    page.fill("#seed", "")
    page.locator("#seed").press_sequentially(payload)   # a number field keeps what it accepts
    answer(page, lambda: page.click("#render"))
    assert_nothing_ran(page, watch, live_server, f"seed {payload!r}")


@pytest.mark.parametrize("cell", ["shape", "value"])
@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_payload_in_a_variable_cell_is_harmless(page, live_server, watch, cell, payload):
    """The name cells are headers, not inputs: a name only comes in through ?vars (below)."""
    open_page(page, live_server, until=ANSWERED, expr="s = sum(x)")
    selector = ('#vars-table input[aria-label="shape of x"]' if cell == "shape"
                else '#vars-table textarea[aria-label^="value of x,"]')
    page.fill(selector, payload)
    assert answer(page, lambda: page.click("#render")) == "error"
    if cell == "value":   # beside the cell the user edited
        assert_shown_as_text(page, payload, "#var-error")   # "x: '<payload>' is not a number"
    assert page.input_value(selector) == payload
    assert_nothing_ran(page, watch, live_server, f"{cell} of x = {payload!r}")


# ---------------------------------------------------------------- the URL

@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_payload_in_every_url_parameter_is_harmless(page, live_server, watch, payload):
    open_page(page, live_server, until=ANSWERED, expr=payload, f=payload, seed=payload,
              step=payload, vars=payload)
    assert page.is_visible("#expr-error")   # f is checked first: "f must be one of …"
    assert page.input_value("#expr") == payload
    assert_nothing_ran(page, watch, live_server, f"every parameter {payload!r}")
    open_page(page, live_server, until=ANSWERED, expr=payload, seed=payload, step=payload,
              vars=payload)
    assert_shown_as_text(page, payload)   # the expression's own error, with its caret line
    assert_nothing_ran(page, watch, live_server, f"expr, seed, step, vars {payload!r}")


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("where", ["name", "value"])
def test_a_payload_in_the_url_variables_is_quoted_in_the_error(page, live_server, watch,
                                                                where, payload):
    overrides = {payload: {"value": 1}} if where == "name" else {"x": {"value": payload}}
    open_page(page, live_server, until=ANSWERED, expr="s = sum(x)", vars=json.dumps(overrides))
    assert page.is_visible("#expr-error")
    assert_shown_as_text(page, payload)
    assert_nothing_ran(page, watch, live_server, f"vars {where} {payload!r}")


def test_names_that_are_markup_words_are_drawn_as_text(page, live_server, watch):
    names = ("script", "onerror", "img", "svg")
    declared = {name: {"shape": [2, 1]} for name in names}
    open_page(page, live_server, until=ANSWERED, expr="s = sum(script * onerror + img - svg)",
              vars=json.dumps(declared))
    assert page.locator("#graph g.node").count() > 0
    drawn = page.locator("#graph svg").text_content()
    assert all(name in drawn for name in names)
    rows = page.locator("#vars-table tbody th").all_inner_texts()
    assert sorted(rows) == sorted(names)
    page.click("#last")
    assert_nothing_ran(page, watch, live_server, "markup-word names")


# ---------------------------------------------------------------- a NaN on the page

def test_a_nan_is_warned_about_and_the_page_keeps_working(page, live_server, watch):
    open_page(page, live_server, until=ANSWERED, expr="s = sum(log(x))")
    page.fill('#vars-table textarea[aria-label^="value of x,"]', "-1\n2")
    page.click("#render")
    warnings = page.locator("#warnings")
    warnings.wait_for(state="visible")
    assert "not finite" in warnings.inner_text()
    assert "log(x)" in warnings.inner_text()
    page.click("#last")   # every panel, the backward pass through NaN included
    n = int(page.input_value("#timeline"))
    for _ in range(n):
        page.click("#prev")
    assert page.locator("#counter").inner_text().startswith("step 0 ")
    page.click("#last")
    assert "NaN" in page.locator("#graph svg").text_content()
    page.reload()   # the edited value is in the URL: the warning comes back with it
    page.locator("#warnings").wait_for(state="visible")
    assert "not finite" in page.locator("#warnings").inner_text()
    assert_nothing_ran(page, watch, live_server, "NaN warning")


# ---------------------------------------------------------------- every-step exports, offline

PWN = ('</script><script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
       "<!--")


def hostile_trace():
    """A real trace whose texts are then replaced by markup: the parser refuses such names, so
    this is the worst an export could ever be handed."""
    from dataclasses import replace

    from backprop_viz import trace

    t = trace("s = sum(script * onerror + img)",
              {name: {"shape": [2, 1]} for name in ("script", "onerror", "img")})
    return replace(t, expression=PWN, parsed=PWN, output_name=PWN,
                   nodes=tuple(replace(n, label=f"{n.label}{PWN}") for n in t.nodes),
                   warnings=(PWN,))


def test_a_standalone_page_and_a_notebook_view_run_no_script_of_the_trace(browser, tmp_path):
    from backprop_viz.latex import to_latex
    from tests.test_exports import open_offline, pdf_pages

    t = hostile_trace()
    page_file = t.export(tmp_path / "steps.html")
    view_file = tmp_path / "notebook.html"
    view_file.write_text("<!doctype html><meta charset=utf-8><title>n</title>"
                         + t._repr_html_(), encoding="utf-8")
    for path, framed in ((page_file, False), (view_file, True)):
        context, page, errors, seen = open_offline(browser, path.as_uri())
        try:
            doc = page.frame_locator("iframe").locator(":root") if framed else page.locator(
                ":root")
            doc.locator("#graph svg").wait_for()
            doc.locator("#last").click()
            assert PWN in doc.locator("#parsed").inner_text()
            assert PWN in doc.locator("#warnings").inner_text()
            # the panel typesets labels: the markup is there as KaTeX's source text, escaped
            sources = doc.locator("#panel annotation").all_text_contents()
            assert any(to_latex(PWN) in tex for tex in sources), sources
            frame = page.frames[-1]
            assert frame.evaluate("() => window.__pwned") is None
            assert frame.evaluate(FOREIGN) == [f"script {s}" for s in frame.evaluate(
                "() => [...document.scripts].filter(e => e.id !== 'catalog')"
                ".map(e => e.outerHTML.slice(0, 80))")]
            assert frame.evaluate("() => document.scripts.length") == 4   # and the words
            assert errors == [] and all(u.startswith(("file:", "data:", "about:"))
                                        for u in seen), (errors, seen)
        finally:
            context.close()
    assert PWN in "".join(pdf_pages(t.export(tmp_path / "steps.pdf").read_bytes()))
