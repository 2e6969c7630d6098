"""The lecture's words on the page, panel by panel: nothing said twice (no ∂s/∂b = δ = δ),
every name a panel uses defined on it (z, h), and ŷ − y at the logits."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from backprop_viz import compiled
from backprop_viz.presets import BY_ID, PRESETS

pytestmark = pytest.mark.browser

# Every equation's LaTeX, split at its top-level "=" (the sides of a matrix never hold one).
SIDES = """() => [...document.querySelectorAll('#panel .eq')].map((e) => e.dataset.latex
  .split(' = ').map((s) => s.trim()))"""


def _open(page, base: str, pid: str, step: int) -> None:
    p = BY_ID[pid]
    page.goto(base + "/?" + urlencode({"expr": p.expression, "f": p.f, "seed": p.seed,
                                       "vars": json.dumps(p.variables), "step": step}))
    page.wait_for_function(f"() => document.querySelector('#panel h2')?.textContent"
                           f".includes('step {step} of')")
    page.wait_for_function("() => document.querySelector('#panel .katex') !== null")


def _panels(page, first: int, last: int):
    """Each backward panel from step `first` to `last`: (k, equations' sides, panel text)."""
    for k in range(first, last + 1):
        if k > first:
            page.keyboard.press("ArrowRight")
            page.wait_for_function(f"() => document.querySelector('#panel h2')?.textContent"
                                   f".includes('step {k} of')")
        yield k, page.evaluate(SIDES), page.inner_text("#panel")


@pytest.mark.parametrize("pid", [p.id for p in PRESETS if p.id != "spiral"])
def test_no_panel_says_a_thing_twice_and_each_defines_its_names(page, live_server, pid):
    p = BY_ID[pid]
    _, t = compiled.trace(p.expression, dict(p.variables), p.f, p.seed)
    first = len(t.nodes) + 1
    _open(page, live_server, pid, first)
    page.locator("#panel").focus()
    page.evaluate("() => document.activeElement.blur()")
    names = {n.name: n for n in t.names}
    for k, equations, text in _panels(page, first, len(t.steps)):
        for sides in equations:
            assert all(a != b for a, b in zip(sides, sides[1:], strict=False)), (k, sides)
        step = t.steps[k - 1]
        words = " ".join(e.shape_form.equation.text for e in step.inputs)
        for name, named in names.items():
            if f"∂{name}" in words or f"({name})" in words or f" {name}" in words:
                assert "As the lecture writes it" in text, (k, name)
                assert text.count("As the lecture writes it") == 1, k
                assert named.definition.text.split(" = ")[0] in text


def test_the_logits_step_says_y_hat_minus_y(page, live_server):
    p = BY_ID["two-layer-softmax"]
    _, t = compiled.trace(p.expression, dict(p.variables), p.f, p.seed)
    k = next(k for k, s in enumerate(t.steps, 1)
             if hasattr(s, "inputs") and t.node(s.node).label == "θ")
    _open(page, live_server, "two-layer-softmax", k)
    latex = page.evaluate("() => [...document.querySelectorAll('#panel .eq')]"
                          ".map((e) => e.dataset.latex)")
    assert any(r"\delta_{2} = \text{ŷ} - y = " in x for x in latex), latex
    assert "because y sums to 1" in page.inner_text("#panel")


def test_a_y_that_does_not_sum_to_one_drops_the_textbook_formula(page, live_server):
    p = BY_ID["two-layer-softmax"]
    variables = {**p.variables, "y": {"value": [0.5, 1, 0]}}
    _, t = compiled.trace(p.expression, variables, p.f, p.seed)
    k = next(k for k, s in enumerate(t.steps, 1)
             if hasattr(s, "inputs") and t.node(s.node).label == "θ")
    page.goto(live_server + "/?" + urlencode({"expr": p.expression, "f": p.f,
                                              "vars": json.dumps(variables), "step": k}))
    page.wait_for_function("() => document.querySelector('#panel .katex') !== null")
    latex = " ".join(page.evaluate("() => [...document.querySelectorAll('#panel .eq')]"
                                   ".map((e) => e.dataset.latex)"))
    assert r"\text{ŷ} - y" not in latex
    assert "here it does not" in page.inner_text("#panel")
