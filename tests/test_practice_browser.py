"""Practice mode in headless Chromium: answers of numbers checked with no request, a formula
checked by /api/check, "show answer", the graph's hidden gradients and the score at the end."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from backprop_viz import trace, tracedata

pytestmark = pytest.mark.browser

LECTURE = "s = uᵀ f(Wx + b)"


def written(a) -> str:
    """An array as a student types it: `[1, 2; 3, 4]`."""
    return "[" + "; ".join(", ".join(repr(float(v)) for v in row) for row in a) + "]"


def backward_step(t: tracedata.Trace, label: str) -> int:
    return next(k for k, s in enumerate(t.steps, 1)
                if isinstance(s, tracedata.BackwardStep) and t.node(s.node).label == label)


def question(page, node_id: str):
    """The question block of the current step for the input `node_id`."""
    return page.locator(f'#panel section.input[data-node="{node_id}"] .ask')


def grad_slot(page, node_id: str) -> str:
    return page.locator(f'#graph g.node[id="{node_id}"] text.grad').text_content()


def test_practice_asks_checks_reveals_and_scores(page, live_server):
    t = trace(LECTURE)
    w, x = t.variables["W"], t.variables["x"]
    k = backward_step(t, "W · x")
    page.goto(f"{live_server}/?{urlencode({'expr': LECTURE, 'step': k})}")
    page.wait_for_selector("#graph svg g.node")
    page.wait_for_function("() => document.getElementById('katex-css')?.media === 'all'")
    assert grad_slot(page, w) == "∇ ?"
    assert not page.locator("#panel .ask").count()
    page.click("#practice")

    # the step asks instead of telling, and the graph hides what it has not been told
    assert question(page, w).locator("input.answer").count() == 1
    assert question(page, x).locator("input.answer").count() == 1
    step_node = t.steps[k - 1].node
    assert grad_slot(page, step_node) == "∇ δ = ?"
    assert grad_slot(page, t.output) == "∇ 1"

    # a right answer of numbers: checked in the page, with no request to the server
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/api/" in r.url else None)
    question(page, w).locator("input.answer").fill(written(t.gradient("W")))
    question(page, w).locator("input.answer").press("Enter")
    assert question(page, w).locator(".ask-feedback.right").inner_text().startswith("Right")
    assert requests == []
    assert question(page, w).locator(".eq").count() >= 2   # the step's equations, revealed

    # a wrong one says why; the field stays for another try
    field = question(page, x).locator("input.answer")
    field.fill(written(t.gradient("x").T))
    field.press("Enter")
    wrong = question(page, x).locator(".ask-feedback.wrong").inner_text()
    assert wrong.startswith("Wrong") and "1×4" in wrong and "4×1" in wrong, wrong
    field.fill(written(t.gradient("x") + 1))
    field.press("Enter")
    assert "4 of 4 entries are off" in question(page, x).locator(".ask-feedback.wrong").inner_text(
    )
    assert requests == []

    # a right formula, evaluated by the server on the same numbers
    field.fill("Wᵀ δ")
    with page.expect_response("**/api/check") as answer:
        question(page, x).locator("button.formula").click()
    assert answer.value.ok
    assert question(page, x).locator(".ask-feedback.right").inner_text().startswith("Right")

    # a formula the parser refuses: its message and a caret, not a wrong answer
    z_step = backward_step(t, "tanh(W · x + b)")
    page.evaluate("document.activeElement.blur()")
    for _ in range(k - z_step):
        page.keyboard.press("ArrowLeft")      # arrows still step when no field has the focus
    assert page.locator("#counter").inner_text().startswith(f"step {z_step} of")
    z = t.steps[z_step - 1].inputs[0].node
    field = question(page, z).locator("input.answer")
    field.fill("u ∘ f′(q)")
    field.press("Enter")
    status = question(page, z).locator(".ask-status")
    expect(status).to_contain_text("unknown name q at column 8")
    assert status.locator("pre.caret").count() == 1
    field.press("ArrowRight")                  # typing in the field never steps
    assert page.locator("#counter").inner_text().startswith(f"step {z_step} of")

    # show answer: revealed, and not scored
    question(page, z).locator("button.show").click()
    assert question(page, z).locator(".ask-feedback.shown").count() == 1
    assert question(page, z).locator(".eq").count() >= 2

    # the score at the end; answered gradients are on the graph, the others still hidden
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("End")
    total = sum(len(s.inputs) + (len(s.contributions) > 1) for s in t.steps
                if isinstance(s, tracedata.BackwardStep))
    assert page.locator("#practice-score").inner_text().endswith(
        f"1 of {total} right first time, 1 right after a wrong try, 1 shown, "
        f"{total - 3} not answered.")
    assert grad_slot(page, w) != "∇ ?" and grad_slot(page, x) != "∇ ?"
    assert grad_slot(page, t.variables["u"]) == "∇ ?"

    # practice off: every gradient shows again; a new trace starts the score again
    page.click("#practice")
    assert grad_slot(page, t.variables["u"]) != "∇ ?"
    page.click("#practice")
    with page.expect_response("**/api/trace"):
        page.fill("#seed", "1")
    # a function, not a string: polling a string evaluates it, which the page's CSP refuses
    page.wait_for_function("(score) => document.querySelector('#practice-score')?.textContent"
                           ".includes(score)", arg=f"0 of {total} right first time")


ANSWERS = [   # (typed, rows or the error's start)
    ("-0.5", [[-0.5]]), ("−0.5", [[-0.5]]), ("1e-3", [[0.001]]), ("2.5E+2", [[250]]),
    ("[1; -2]", [[1], [-2]]), ("[1, 2; 3, 4]", [[1, 2], [3, 4]]), ("[1 2; 3 4]", [[1, 2], [3, 4]]),
    ("1, 2\n3, 4", [[1, 2], [3, 4]]), ("[1; 2;]", [[1], [2]]), (" − 2 ", [[-2]]),
    ("[1, 2", "expected ']' to close the '[' at column 6"),
    ("[1, 2; 3]", "row 2 has 1 entry but row 1 has 2"),
    ("[[1]]", "expected a number, not '[' at column 2"),
    ("1 +", "expected a number at column 4"), ("", "expected a number at column 1"),
]


def test_answers_are_read_in_the_languages_notation(page, live_server):
    page.goto(live_server + "/")
    page.wait_for_selector("#graph svg g.node")
    got = page.evaluate("""async (cases) => {
        await (await import('/static/js/i18n.js')).initI18n();   // as below: its own i18n.js
        const { parseAnswer } = await import('/static/js/answer.js');
        return cases.map((text) => {
            try { return parseAnswer(text); } catch (e) { return e.message; }
        });
    }""", [text for text, _ in ANSWERS])
    for (text, want), answer in zip(ANSWERS, got, strict=True):
        if isinstance(want, str):
            assert isinstance(answer, str) and answer.startswith(want), (text, answer)
        else:
            assert answer == want, text


@pytest.mark.parametrize(("answer", "expected", "why"), [
    ([[1.0004, 2]], [[1, 2]], ""),                          # within 0.001 relative
    ([[1000.9]], [[1000]], ""),
    ([[0.0009]], [[0]], ""),                                # within 0.001 absolute near 0
    ([[1.002]], [[1]], "the number is off"),
    ([[1], [2]], [[1, 2]], "your answer is 2×1 but the gradient is 1×2: these are its numbers, "
                           "transposed"),
    ([[1, 5]], [[1, 2]], "1 of 2 entries is off: (1, 2)"),
    ([[0]], [["NaN"]], "the number is off"),
])
def test_answers_are_compared_with_a_tolerance_and_say_why(page, live_server, answer, expected,
                                                           why):
    page.goto(live_server + "/")   # its words come from the page's catalog
    page.wait_for_selector("#graph svg g.node")
    # the module as it is served on its own (the page runs the bundle): its own instance of
    # i18n.js, given the page's inlined catalog as the page's own is
    result = page.evaluate("""async ([answer, expected]) => {
        await (await import('/static/js/i18n.js')).initI18n();
        const { compareAnswer } = await import('/static/js/answer.js');
        return compareAnswer(answer, expected);
    }""", [answer, expected])
    assert result == {"right": why == "", "why": why}


def _formula_held(page, live_server) -> tuple[str, list]:
    """The lecture's W · x step in practice, "Wᵀ δ" sent to be checked for x, and its
    /api/check request held: x's node id and the held route, to be let go."""
    t = trace(LECTURE)
    x = t.variables["x"]
    k = backward_step(t, "W · x")
    page.goto(f"{live_server}/?{urlencode({'expr': LECTURE, 'step': k})}")
    page.wait_for_selector("#graph svg g.node")
    page.click("#practice")
    held = []
    page.route("**/api/check", lambda route: held.append(route))
    question(page, x).locator("input.answer").fill("Wᵀ δ")
    question(page, x).locator("button.formula").click()
    while not held:
        page.wait_for_timeout(20)
    return x, held


def test_a_formulas_answer_after_a_switch_is_told_in_the_panel_shown_now(page, live_server):
    x, held = _formula_held(page, live_server)
    page.click('#lang-switch [data-lang="ko"]')        # the panel is drawn again meanwhile
    page.wait_for_function("() => document.documentElement.lang === 'ko'")
    held.pop().continue_()
    expect(question(page, x).locator(".ask-feedback.right")).to_contain_text("정답")


def test_a_formulas_answer_for_a_trace_no_longer_shown_is_dropped(page, live_server):
    """The numbers change (a new seed) while /api/check is out: its answer was about the old
    numbers, so the new trace's question says nothing of it, and it counts for nothing."""
    x, held = _formula_held(page, live_server)
    before = page.inner_text(".output-value")
    page.fill("#seed", "7")
    with page.expect_response("**/api/trace"):
        page.click("#render")
    page.wait_for_function(f"() => document.querySelector('.output-value')?.textContent"
                           f" !== {before!r}")
    ask = question(page, x)
    expect(ask.locator("input.answer")).to_have_value("")
    with page.expect_response("**/api/check"):
        held.pop().continue_()
    page.wait_for_timeout(200)          # past the answer's handling, were it not dropped
    assert ask.locator(".ask-feedback").count() == 0
    assert ask.locator(".ask-status").inner_text().strip() == ""
