"""Keyboard and screen reader: Space and Enter press the focused control, B and Shift+B jump to
the backward pass, an error shows beside the field edited, aria-live says a short summary of
the step, matrices are read by rows, the graph's nodes are a list, and axe-core (a pinned npm
dev dependency, injected here, never served) finds no WCAG 2 A/AA violation."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

import pytest
from pages import LECTURE, open_page

from backprop_viz import trace
from backprop_viz.presets import BY_ID

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _lecture_url(base: str, **params) -> str:
    p = BY_ID["lecture"]
    return base + "/?" + urlencode({"expr": p.expression, "f": p.f,
                                    "vars": json.dumps(p.variables), **params})


def _step_of(t, label: str) -> int:
    return next(k for k, s in enumerate(t.steps, 1)
                if hasattr(s, "inputs") and t.node(s.node).label == label)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("where", ["start", "backward", "practice"])
def test_axe_finds_no_wcag_violation(browser, live_server, scheme, where):
    if not AXE.exists():
        pytest.skip("axe-core is not installed (npm ci)")
    t = trace(LECTURE)
    step = 0 if where == "start" else _step_of(t, "W · x")
    extra = {"practice": "1"} if where == "practice" else {}
    # the page's CSP allows only its own scripts: axe is injected past it, in the test alone
    context = browser.new_context(viewport={"width": 1280, "height": 720},
                                  color_scheme=scheme, bypass_csp=True)
    page = context.new_page()
    try:
        page.goto(_lecture_url(live_server, step=step, **extra))
        page.wait_for_selector("#graph svg g.node")
        page.wait_for_function("() => document.querySelector('#panel h2') !== null")
        page.wait_for_function("() => document.getElementById('katex-css')?.media === 'all'")
        if step:
            page.wait_for_function("() => document.querySelector('#panel .katex') !== null")
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate("""async (tags) => (await axe.run(document,
            {runOnly: {type: 'tag', values: tags}})).violations.map((v) =>
            [v.id, v.nodes.length, v.nodes[0].target.join(' ')])""", WCAG)
    finally:
        context.close()
    assert violations == []


def test_axe_is_never_served(client):
    for path in ("/vendor/axe-core/axe.min.js", "/vendor/katex/../axe-core/axe.min.js",
                 "/node_modules/axe-core/axe.min.js", "/static/axe.min.js"):
        assert client.get(path).status_code == 404, path


# ---------------------------------------------------------------- keys

BUTTONS = {
    "a chip": '#presets button[data-preset="gates"]',
    "zoom": "#zoom-in",
    "the view toggle": '#view-toggle button[data-view="scalar"]',
    "the form's radio": 'input[name="form"][value="jacobian"]',
    "the practice box": "#practice",
    "a copy button": "#panel .copy-tex",
}


@pytest.mark.parametrize("what", list(BUTTONS))
@pytest.mark.parametrize("key", [" ", "Enter"])
def test_space_and_enter_press_the_focused_control_and_never_play(page, live_server, what, key):
    t = trace(LECTURE)
    open_page(page, live_server, LECTURE, step=_step_of(t, "W · x"))
    page.wait_for_function("() => document.querySelector('#panel .katex') !== null")
    before = page.evaluate("""(sel) => { const e = document.querySelector(sel);
        return [e.getAttribute('aria-pressed'), e.checked, document.getElementById('zoom-level')
        .textContent] }""", BUTTONS[what])
    page.focus(BUTTONS[what])
    page.keyboard.press(key)
    page.wait_for_timeout(150)
    assert page.inner_text("#play") == "Play", what     # Space did not start playing
    if what == "the form's radio":
        return   # a radio is chosen by the arrows; Space on a checked one leaves it checked
    if what == "a chip":
        page.wait_for_function("() => document.querySelector("
                               "'#presets button[data-preset=\"gates\"]')"
                               ".getAttribute('aria-pressed') === 'true'")
    elif what == "zoom":
        assert page.inner_text("#zoom-level") != before[2]
    elif what == "the view toggle":
        page.wait_for_function("() => document.querySelector('#view-toggle "
                               "button[data-view=\"scalar\"]').getAttribute('aria-pressed')"
                               " === 'true'")
    elif what == "the practice box":
        if key == " ":
            assert page.is_checked("#practice") != before[1]
    else:
        page.wait_for_function("() => /copied|copy failed/.test(document.querySelector("
                               "'#panel .copy-tex').textContent)")


def test_space_plays_when_no_control_has_the_focus(page, live_server):
    open_page(page, live_server, LECTURE)
    page.locator("#panel").focus()
    page.keyboard.press(" ")
    assert page.inner_text("#play") == "Pause"
    page.keyboard.press(" ")
    assert page.inner_text("#play") == "Play"


@pytest.mark.parametrize("key", ["b", "Shift+B"])
def test_b_and_shift_b_jump_to_the_backward_pass(page, live_server, key):
    t = trace(LECTURE)
    first = len(t.nodes) + 1
    open_page(page, live_server, LECTURE, step=2)
    page.locator("#panel").focus()
    page.keyboard.press(key)
    assert page.inner_text("#counter") == f"step {first} of {len(t.steps)} · backward"


def test_the_arrows_belong_to_the_radios_when_one_has_the_focus(page, live_server):
    open_page(page, live_server, LECTURE, step=3)
    page.focus('input[name="form"][value="shape"]')
    page.keyboard.press("ArrowRight")
    assert page.inner_text("#counter").startswith("step 3 of")
    assert page.is_checked('input[name="form"][value="jacobian"]')


# ---------------------------------------------------------------- errors where they are made

def test_a_variable_error_shows_beside_the_field_edited(page, live_server):
    open_page(page, live_server, LECTURE)
    field = page.locator('#vars-table input[aria-label="shape of x"]')
    field.fill("4")                                         # not rows×columns yet
    page.wait_for_selector("#var-error")
    assert "rows×columns" in page.inner_text("#var-error")
    assert field.get_attribute("aria-describedby") == "var-error"
    field.fill("4×2")                                       # reads, but W · x cannot take it
    page.wait_for_function("() => document.getElementById('var-error') !== null"
                           " && !/rows×columns/.test(document.getElementById("
                           "'var-error').textContent)")           # the server's error
    assert page.locator("#expr-error").is_hidden()
    row = page.locator('#vars-table tr:has(input[aria-label="shape of x"])')
    assert row.locator("#var-error").count() == 1
    field.fill("4×1")                                       # fixed: the error goes
    page.wait_for_function("() => document.getElementById('var-error') === null")


# ---------------------------------------------------------------- what a screen reader hears

def test_aria_live_says_a_short_step_summary_not_the_panel(page, live_server):
    t = trace(LECTURE)
    k = _step_of(t, "W · x")
    open_page(page, live_server, LECTURE, step=k)
    assert page.get_attribute("#panel", "aria-live") is None
    said = page.inner_text("#step-status")
    assert said == (f"Backward step {k} of {len(t.steps)}: W · x. Upstream δ, 3×1. "
                    "Sends δ · xᵀ to W; Wᵀ · δ to x.")
    page.locator("#panel").focus()
    page.keyboard.press("ArrowLeft")
    assert page.inner_text("#step-status").startswith(f"Backward step {k - 1} of")
    assert len(page.inner_text("#step-status")) < 200


def test_matrices_are_read_by_rows(page, live_server):
    t = trace(LECTURE)
    open_page(page, live_server, LECTURE, step=_step_of(t, "W · x"))
    page.wait_for_function("() => document.querySelector('#panel .katex') !== null")
    said = page.evaluate("() => [...document.querySelectorAll('#panel .math > .visually-hidden')]"
                         ".map((s) => s.textContent)")
    assert any("3 by 4 matrix, row 1:" in s and "row 3:" in s for s in said), said
    assert any("column of 3:" in s for s in said)
    assert any("∂ s over ∂ W" in s or "∂s over ∂W" in s for s in said)
    hidden = page.evaluate("() => [...document.querySelectorAll('#panel .katex-mathml')]"
                           ".every((m) => m.getAttribute('aria-hidden') === 'true')")
    assert hidden


def test_the_graph_is_a_list_of_nodes_with_their_state(page, live_server):
    t = trace(LECTURE)
    open_page(page, live_server, LECTURE, step=0)
    assert page.get_attribute("#graph svg", "role") == "list"
    items = page.locator('#graph svg [role="listitem"]')
    assert items.count() == len(t.nodes)
    w = t.variables["W"]
    label = page.get_attribute(f'#graph g.node[id="{w}"]', "aria-label")
    assert label == "W, 3×4 variable: value not computed yet, gradient not computed yet"
    open_page(page, live_server, LECTURE, step=len(t.steps))
    label = page.get_attribute(f'#graph g.node[id="{w}"]', "aria-label")
    assert label.startswith("W, 3×4 variable: value [") and "gradient [" in label
    last = t.node(t.steps[-1].node)
    label = page.get_attribute(f'#graph g.node[id="{last.id}"]', "aria-label")
    assert label.startswith(f"{last.label}, 3×1 variable: current step; value [")
    assert page.locator("#graph g.edge[aria-hidden='true']").count() == len(t.edges)
