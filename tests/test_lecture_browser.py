"""The lecture on screen, as a student uses it: both forms, δ, typeset math with copy LaTeX, the
gradient check, the summary, a page that stays put, and linked views."""

from __future__ import annotations

import json

import pytest
from pages import LECTURE, open_page

from backprop_viz import numbers, trace
from backprop_viz.latex import to_latex

pytestmark = pytest.mark.browser

CS231N = {"expr": "(x + y) * z",
          "vars": json.dumps({"x": {"value": -2}, "y": {"value": 5}, "z": {"value": -4}})}




def step_of(t, node_id: str, phase: str = "backward") -> int:
    """The 1-based step k at which `node_id` takes its `phase` step."""
    kind = "BackwardStep" if phase == "backward" else "ForwardStep"
    return next(k for k, s in enumerate(t.steps, 1)
                if s.node == node_id and type(s).__name__ == kind)


def matmul_step(t) -> int:
    wx = next(n for n in t.nodes if n.op == "matmul" and t.node(n.inputs[0]).label == "W")
    return step_of(t, wx.id)


def test_the_toggle_switches_the_panel_between_the_two_forms(page, live_server):
    t = trace(LECTURE)
    open_page(page, live_server, step=matmul_step(t))
    rule = page.locator("#panel .input").first.inner_text()
    assert "matrix product" in rule and "copy LaTeX" in rule
    shape_tex = page.locator("#panel .input .eq").first.get_attribute("data-latex")
    assert r"\underset{3{\times}4}" in shape_tex and r"\delta" in shape_tex
    page.check('input[name="form"][value="jacobian"]')
    jac_tex = page.locator("#panel .input .eq").first.get_attribute("data-latex")
    assert jac_tex != shape_tex and r"\underset{3\times 12}" in jac_tex
    assert "read row by row" in page.locator("#panel .input").first.inner_text() or \
        "row" in page.locator("#panel .input .rule").last.inner_text()
    page.locator("#panel").focus()               # the radios take the arrows themselves
    page.keyboard.press("ArrowRight")            # the choice stays as the student steps
    assert page.is_checked('input[name="form"][value="jacobian"]')
    assert "form=jacobian" in page.url or page.wait_for_url("**form=jacobian**") is None


def test_a_backward_step_is_typeset(page, live_server):
    t = trace(LECTURE)
    open_page(page, live_server, step=matmul_step(t))
    assert page.locator("#panel .katex").count() > 3
    assert page.locator("#panel math").count() > 3          # MathML beside KaTeX's HTML
    assert page.locator("#panel .math-text").count() == 0   # nothing fell back to plain text


def test_copy_latex_puts_the_equation_on_the_clipboard(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page = context.new_page()
    try:
        t = trace(LECTURE)
        open_page(page, live_server, step=matmul_step(t))
        eq = page.locator("#panel .input .eq").first
        eq.locator(".copy-tex").click()
        copied = page.evaluate("() => navigator.clipboard.readText()")
        assert copied == eq.get_attribute("data-latex")
        assert r"\htmlData" not in copied and r"\htmlClass" not in copied
        assert copied.replace("{{", "{").replace("}}", "}").startswith(
            r"\underset{3{\times}4}{\frac{\partial s}{\partial W}}")
    finally:
        context.close()


def test_delta_is_named_in_the_panel_and_on_the_graph_and_reuse_points_back(page, live_server):
    t = trace(LECTURE)
    z_step = next(s for s in t.steps if getattr(s, "delta", None) and s.delta.defines)
    k = matmul_step(t)
    open_page(page, live_server, step=k)
    z = z_step.node
    assert page.locator(f'#graph g.node[id="{z}"] text.grad').text_content().startswith("∇ δ = ")
    note = page.locator("#panel .delta-note").inner_text()
    assert "reuses" in note and f"step {z_step.delta.step}" in note
    assert page.locator(f'#graph g.node[id="{z}"]').get_attribute("class").count("delta-source")


def test_the_gradient_check_badge_and_the_summary_at_the_last_step(page, live_server):
    t = trace(LECTURE)
    open_page(page, live_server, LECTURE)   # the seed's numbers (the cold page is the preset's)
    badge = page.locator("#gradcheck")
    assert badge.inner_text() == ("gradient check: max rel. error "
                                  f"{numbers.number(t.gradient_check.max_rel_error)}")
    badge.click()
    assert page.inner_text("#counter").startswith(f"step {len(t.steps)} of {len(t.steps)}")
    summary = page.locator("#panel .eq").evaluate_all("(es) => es.map(e => e.dataset.latex)")
    joined = "\n".join(summary)
    for name in ("W", "b", "x", "u"):
        assert t.closed_forms[name].latex in joined, name
    assert page.locator("#panel .check-table tbody tr").count() == len(t.variables)


def test_stepping_never_moves_the_page(page, live_server):
    open_page(page, live_server)
    # KaTeX comes after the first graph: let it land (math.js applies its style sheet then)
    page.wait_for_function("() => document.getElementById('katex-css').media === 'all'")
    page.set_viewport_size({"width": 1280, "height": 600})
    page.evaluate("() => window.scrollTo(0, 120)")
    settled = """() => new Promise((done) => {   // the resize has been laid out: two quiet frames
      let last = null;
      const look = () => {
        const now = `${window.scrollY} ${document.getElementById('panel').offsetHeight}`;
        if (now === last) done(true); else { last = now; setTimeout(look, 150); }
      };
      look();
    })"""
    page.evaluate(settled)
    before = page.evaluate("() => [window.scrollY, document.getElementById('panel').offsetHeight]")
    n = len(trace(LECTURE).steps)
    for _ in range(n):
        page.keyboard.press("ArrowRight")
        now = page.evaluate(
            "() => [window.scrollY, document.getElementById('panel').offsetHeight]")
        assert now == before


def test_space_plays_and_pauses_and_backward_jumps_to_the_backward_pass(page, live_server):
    t = trace(LECTURE)
    open_page(page, live_server)
    page.select_option("#speed", "4")
    page.keyboard.press(" ")
    assert page.get_attribute("#play", "aria-pressed") == "true"
    page.wait_for_function("() => !document.getElementById('first').disabled")
    page.keyboard.press(" ")
    assert page.get_attribute("#play", "aria-pressed") == "false"
    page.click("#to-backward")
    first_backward = sum(type(s).__name__ == "ForwardStep" for s in t.steps) + 1
    assert page.inner_text("#counter") == f"step {first_backward} of {len(t.steps)} · backward"


def test_f_and_the_seed_re_render_by_themselves(page, live_server):
    open_page(page, live_server, LECTURE)   # the seed's numbers (the cold page is the preset's)
    before = page.inner_text("#parsed .output-value")
    page.fill("#seed", "7")
    page.wait_for_function("(v) => document.querySelector('#parsed .output-value')"
                           ".textContent !== v", arg=before)
    assert page.inner_text("#parsed .output-value") == numbers.number(trace(LECTURE, seed=7).value)
    page.select_option("#f", "relu")
    page.wait_for_function("() => new URL(location).searchParams.get('f') === 'relu'")
    assert page.inner_text("#parsed .output-value") == numbers.number(
        trace(LECTURE, f="relu", seed=7).value)


def test_editing_the_expression_keeps_the_values_the_user_typed(page, live_server):
    open_page(page, live_server, **CS231N)
    assert page.inner_text("#parsed .output-value") == "−12"
    page.fill("#expr", "(x + y) * z + x")
    page.click("#render")
    page.wait_for_function("() => document.querySelector('#parsed code').textContent"
                           ".endsWith('+ x')")
    # x, y, z keep −2, 5, −4: (−2 + 5)(−4) + (−2) = −14
    assert page.inner_text("#parsed .output-value") == "−14"


def test_a_changed_expression_is_marked_out_of_date_until_rendered(page, live_server):
    open_page(page, live_server)
    page.fill("#expr", "s = uᵀ relu(Wx + b)")
    assert page.is_visible("#stale") and "Render" in page.inner_text("#stale")
    page.click("#render")
    page.wait_for_selector("#stale", state="hidden")


def test_linked_views_light_up_both_ways_and_by_keyboard(page, live_server):
    t = trace(LECTURE)
    w = t.variables["W"]
    open_page(page, live_server, step=matmul_step(t))
    terms = f'#panel [data-node="{w}"]'
    assert page.locator(terms).count() >= 2
    page.hover(f'#graph g.node[id="{w}"]')
    assert page.locator(f"{terms}.linked").count() == page.locator(terms).count()
    page.hover("#panel h2")
    assert page.locator(f"{terms}.linked").count() == 0
    page.locator(terms).first.hover()
    assert "linked" in page.get_attribute(f'#graph g.node[id="{w}"]', "class")
    page.mouse.move(5, 5)
    page.locator(terms).first.focus()                     # Tab reaches it: tabindex 0
    assert "linked" in page.get_attribute(f'#graph g.node[id="{w}"]', "class")
    edges = [f"e-{e.source}-{e.target}-{e.port}" for e in t.edges if w in (e.source, e.target)]
    assert all("linked" in page.get_attribute(f'[id="{e}"]', "class") for e in edges)
    page.locator(f'#graph g.node[id="{w}"]').focus()
    assert page.locator(f"{terms}.linked").count() == page.locator(terms).count()


def test_a_label_in_the_panel_is_its_latex(page, live_server):
    """The panel's heading typesets the node's own LaTeX from the trace (latex.py)."""
    t = trace(LECTURE)
    open_page(page, live_server, step=matmul_step(t))
    wx = t.steps[matmul_step(t) - 1].node
    assert page.locator("#panel h2 annotation").text_content().endswith(
        f"{{{to_latex(t.node(wx).label)}}}")


def test_new_numbers_on_the_same_structure_come_as_numbers_only(page, live_server):
    """A new seed keeps the structure: the server sends numbers only, and the page shows what a
    whole trace of that seed says, in the graph, the header and the last step's summary."""
    open_page(page, live_server, LECTURE)   # the seed's numbers (the cold page is the preset's)
    answers = []
    page.on("response", lambda r: r.url.endswith("/api/trace") and answers.append(r))
    t = trace(LECTURE, seed=5)
    page.fill("#seed", "5")
    page.wait_for_function(
        "(v) => document.querySelector('#parsed .output-value')?.textContent === v",
        arg=numbers.number(t.value))
    assert set(answers[-1].json()) == {"structure", "numbers"}
    badge = page.inner_text("#gradcheck")
    assert badge.endswith(numbers.number(t.gradient_check.max_rel_error))
    shown = []
    for p in (page, page.context.new_page()):
        if p is not page:   # the same seed opened cold: a whole answer
            open_page(p, live_server, LECTURE, seed=5)
        p.evaluate("() => document.activeElement?.blur()")   # the keys go to the player
        for key in ("End", "Home", "ArrowRight", "ArrowRight", "ArrowRight"):
            p.keyboard.press(key)
        p.keyboard.press("End")
        shown.append((p.inner_text("#graph"), p.locator("#panel .eq").evaluate_all(
            "(es) => es.map(e => e.dataset.latex)")))
    assert shown[0] == shown[1]
