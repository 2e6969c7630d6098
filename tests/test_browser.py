"""The page in headless Chromium: stepping, re-rendering, errors, permalinks, exports."""

from __future__ import annotations

import json
import urllib.request

import pytest
from pages import LECTURE, current_id, open_page

pytestmark = pytest.mark.browser



def api_trace(base: str, expression: str) -> dict:
    """The trace the page will get, fetched straight from the API."""
    request = urllib.request.Request(
        base + "/api/trace", data=json.dumps({"expression": expression}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)






def test_page_opens_on_the_lecture_graph(page, live_server):
    trace = api_trace(live_server, LECTURE)
    open_page(page, live_server)
    assert page.input_value("#expr") == LECTURE
    assert page.locator("#graph g.node").count() == len(trace["nodes"])
    assert page.locator("#counter").inner_text() == f"step 0 of {len(trace['steps'])} · forward"
    assert current_id(page) is None


def test_the_page_from_its_modules_draws_and_steps_as_the_bundle_does(page, live_server,
                                                                    monkeypatch):
    """Where the bundle is not of static/js as it is, the page runs from the modules themselves
    (web._page_script): the same graph and the same steps as from the bundle."""
    from backprop_viz import web
    trace = api_trace(live_server, LECTURE)
    monkeypatch.setattr(web, "_page_script",
                        lambda: {"bundle": None, "modules": web._page_modules()})
    open_page(page, live_server)
    assert page.locator("script[type=module]").get_attribute("src") == "/static/js/main.js"
    assert page.locator("link[rel=modulepreload]").count() == len(web._page_modules())
    assert page.locator("#graph g.node").count() == len(trace["nodes"])
    page.keyboard.press("End")
    assert current_id(page) == trace["steps"][-1]["node"]
    assert page.locator("#panel .katex").count() > 0


def test_right_arrow_walks_every_step_without_a_request(page, live_server):
    trace = api_trace(live_server, LECTURE)
    open_page(page, live_server)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    n = len(trace["steps"])
    for k, step in enumerate(trace["steps"], start=1):
        page.keyboard.press("ArrowRight")
        assert current_id(page) == step["node"], k
        assert page.locator("#counter").inner_text() == f"step {k} of {n} · {step['phase']}"
        assert page.locator(f'#graph g.node[id="{step["node"]}"]').get_attribute(
            "class").split().count("current") == 1
        assert page.locator("#graph g.node.current").count() == 1
    page.keyboard.press("ArrowRight")  # past the end: stays
    assert current_id(page) == trace["steps"][-1]["node"]
    page.keyboard.press("Home")
    assert current_id(page) is None
    page.keyboard.press("End")
    assert current_id(page) == trace["steps"][-1]["node"]
    page.keyboard.press("ArrowLeft")
    assert current_id(page) == trace["steps"][-2]["node"]
    assert not [url for url in requests if "/api/" in url], requests


def test_gradients_show_only_once_the_backward_pass_reaches_a_node(page, live_server):
    trace = api_trace(live_server, LECTURE)
    first_backward = next(k for k, s in enumerate(trace["steps"], 1) if s["phase"] == "backward")
    open_page(page, live_server, expr=LECTURE, step=first_backward)
    output = trace["steps"][first_backward - 1]["node"]
    shown = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll(
        '#graph g.node')].map(g => [g.id, [g.querySelector('text.val').textContent,
        g.querySelector('text.grad').textContent]]))""")
    for node_id, (value, grad) in shown.items():
        assert value != "?", node_id            # the forward pass is complete
        assert grad == ("∇ 1" if node_id == output else "∇ ?"), (node_id, grad)


def test_buttons_and_slider_step_too(page, live_server):
    trace = api_trace(live_server, LECTURE)
    open_page(page, live_server)
    page.click("#next")
    page.click("#next")
    assert current_id(page) == trace["steps"][1]["node"]
    page.click("#prev")
    assert current_id(page) == trace["steps"][0]["node"]
    page.click("#last")
    assert current_id(page) == trace["steps"][-1]["node"]
    page.locator("#timeline").fill("3")
    assert current_id(page) == trace["steps"][2]["node"]
    page.click("#first")
    assert current_id(page) is None


def test_arrow_keys_do_not_hijack_typing(page, live_server):
    open_page(page, live_server)
    page.click("#expr")
    page.keyboard.press("End")
    page.keyboard.press("ArrowLeft")
    assert current_id(page) is None
    assert page.locator("#counter").inner_text().startswith("step 0 ")


def test_pasting_an_expression_renders_it(page, live_server):
    expression = "out = (x + y) * z"
    trace = api_trace(live_server, expression)
    open_page(page, live_server)
    page.fill("#expr", expression)
    page.press("#expr", "Control+Enter")
    page.wait_for_function(
        "n => document.querySelectorAll('#graph g.node').length === n", arg=len(trace["nodes"]))
    assert page.locator("#graph svg").count() == 1
    page.wait_for_function("() => location.search.includes(\"expr=out\")")


def test_a_bad_expression_shows_an_error_with_a_caret(page, live_server):
    open_page(page, live_server)
    nodes = page.locator("#graph g.node").count()
    page.fill("#expr", "s = uᵀ tanhh(Wx + b)")
    page.click("#render")
    error = page.locator("#expr-error")
    error.wait_for(state="visible")
    assert "tanhh" in error.inner_text()
    line, caret = page.locator("#expr-error pre").inner_text().split("\n")
    assert line == "s = uᵀ tanhh(Wx + b)"
    assert caret.strip() == "^"
    # the ^ stands under the 't' of tanhh (position 7), whatever the widths of ᵀ and its font
    under, at = page.evaluate("""() => {
      const pre = document.querySelector('#expr-error pre');
      const range = document.createRange();
      range.setStart(pre.firstChild, 7); range.setEnd(pre.firstChild, 8);
      const letter = range.getBoundingClientRect();
      range.setStart(pre.lastChild, 0); range.setEnd(pre.lastChild, 1);
      return [letter.left, range.getBoundingClientRect().left];
    }""")
    assert abs(under - at) < 1
    assert page.locator("#graph g.node").count() == nodes  # the last good diagram stays


def test_a_permalink_reload_lands_on_the_same_step(page, live_server):
    trace = api_trace(live_server, LECTURE)
    open_page(page, live_server)
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("() => location.search.includes(\"step=5\")")
    page.reload()
    page.wait_for_selector("#graph g.node.current")
    assert current_id(page) == trace["steps"][4]["node"]
    assert page.locator("#counter").inner_text().startswith("step 5 of")
    shared = api_trace(live_server, "h = tanh(x); s = sum(h * h)")
    open_page(page, live_server, expr="h = tanh(x); s = sum(h * h)", f="tanh", seed=0, step=7)
    assert page.input_value("#expr") == "h = tanh(x); s = sum(h * h)"
    assert current_id(page) == shared["steps"][6]["node"]


@pytest.mark.parametrize("fmt", ["svg", "png", "pdf", "dot"])
def test_each_export_button_downloads_a_file(page, live_server, fmt):
    open_page(page, live_server, expr=LECTURE, step=4)
    with page.expect_download() as download:
        page.click(f'.exports button[data-format="{fmt}"]')
    path = download.value.path()
    assert download.value.suggested_filename == f"backprop-s-step4.{fmt}"
    assert path.stat().st_size > 0


def test_every_control_is_labelled(page, live_server):
    open_page(page, live_server)
    unlabelled = page.evaluate("""() => [...document.querySelectorAll(
        'button, input, select, textarea')].filter(e => !(e.labels?.length
        || e.getAttribute('aria-label') || e.textContent.trim())).map(e => e.outerHTML)""")
    assert unlabelled == []
    # the step is announced in a short summary, not the whole panel (test_a11y_browser.py)
    assert page.get_attribute("#panel", "aria-live") is None
    assert page.get_attribute("#step-status", "aria-live") == "polite"


def test_play_steps_on_its_own_and_pauses(page, live_server):
    open_page(page, live_server)
    page.click("#play")
    assert page.get_attribute("#play", "aria-pressed") == "true"
    page.wait_for_function("() => document.querySelector('#timeline').value >= 2")
    page.click("#play")
    assert page.get_attribute("#play", "aria-pressed") == "false"
    k = page.input_value("#timeline")
    page.wait_for_timeout(1200)
    assert page.input_value("#timeline") == k


def test_edited_variables_are_sent_and_kept_in_the_url(page, live_server):
    open_page(page, live_server, expr="out = (x + y) * z")
    for name, value in (("x", "-2"), ("y", "5"), ("z", "-4")):
        page.fill(f'#vars-table textarea[aria-label^="value of {name},"]', value)
    page.click("#render")
    page.wait_for_function("() => document.querySelector('#parsed').textContent.includes('−12')")
    page.wait_for_function("() => location.search.includes(\"vars=\")")
    page.reload()
    page.wait_for_function("() => document.querySelector('#parsed').textContent.includes('−12')")
    assert page.input_value('#vars-table textarea[aria-label^="value of x,"]') == "-2"


def test_the_page_keeps_to_a_strict_content_security_policy(page, live_server):
    page.add_init_script("""window.__violations = [];
        document.addEventListener('securitypolicyviolation',
            e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));""")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    open_page(page, live_server)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("End")
    with page.expect_download():
        page.click('.exports button[data-format="png"]')
    assert page.evaluate("() => window.__violations") == []
    assert errors == []


def test_a_large_graph_scrolls_inside_its_box_to_the_current_node(page, live_server):
    """A graph taller and wider than the window: each step brings its node into the box."""
    lines = ["a0 = x"] + [f"a{i} = tanh(a{i - 1}) * x{i % 7}" for i in range(1, 60)]
    expression = "\n".join([*lines, "s = sum(a59)"])
    n = len(api_trace(live_server, expression)["steps"])
    open_page(page, live_server, expr=expression, step=n // 2)
    for _ in range(3):
        inside = page.evaluate("""() => {
          const box = document.getElementById('graph').getBoundingClientRect();
          const node = document.querySelector('#graph g.node.current').getBoundingClientRect();
          return node.left >= box.left && node.right <= box.right
              && node.top >= box.top && node.bottom <= box.bottom
              && box.height <= window.innerHeight;
        }""")
        assert inside
        page.keyboard.press("ArrowRight")


def test_editing_one_shape_keeps_the_others(page, live_server):
    """The notes' mini-batch: declaring b 3×1 keeps X's batch of 5 and shows the repeat node."""
    open_page(page, live_server, expr="S = sum(f(W X + b))")
    assert page.input_value('#vars-table input[aria-label="shape of X"]') == "4×5"
    repeats = page.locator("#graph g.node text.title", has_text="repeat")
    assert repeats.count() == 0
    page.fill('#vars-table input[aria-label="shape of b"]', "3×1")   # re-renders by itself
    repeats.first.wait_for()       # the field shows 3×1 at once: wait for the new graph
    assert page.input_value('#vars-table input[aria-label="shape of b"]') == "3×1"
    assert page.input_value('#vars-table input[aria-label="shape of X"]') == "4×5"


def test_an_edit_that_needs_other_shapes_to_change_still_renders(page, live_server):
    open_page(page, live_server, expr=LECTURE)
    page.fill('#vars-table input[aria-label="shape of W"]', "5×4")
    page.click("#render")
    page.wait_for_function(
        "() => document.querySelector('#vars-table input[aria-label=\"shape of b\"]')"
        ".value === '5×1'")
    assert page.locator("#expr-error").is_hidden()


def test_a_split_run_is_read_as_one_name_in_one_click(page, live_server):
    open_page(page, live_server, expr="s = sum(Wx)")
    button = page.locator("#warnings button", has_text="read Wx as one name")
    assert "Wx is read as W · x" in page.inner_text("#warnings")
    button.click()
    page.wait_for_function("() => document.querySelector('#parsed code')?.textContent"
                           " === 's = sum(Wx)'")
    assert page.locator("#warnings button").count() == 0
    assert page.locator("#vars-table", has_text="Wx").count() == 1
