"""No clipped equation: every equation of every preset's panels, in both forms, fits the panel
at 1280×720 and 1920×1080 (broken after = and between factors, long matrices abbreviated with
⋯ and their shape), or is marked as scrolling sideways and reachable with Tab; "show all" opens
every entry of an abbreviated matrix in a scrollable view; no control covers math."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from backprop_viz import compiled
from backprop_viz.presets import BY_ID, PRESETS

pytestmark = pytest.mark.browser

MEASURE = """() => [...document.querySelectorAll('#panel .eq > .math')].map((m) => {
  const r = m.getBoundingClientRect();
  const covered = [...m.closest('.eq').querySelectorAll('button')].some((b) => {
    const q = b.getBoundingClientRect();
    return q.left < r.right - 1 && q.right > r.left + 1 && q.top < r.bottom - 1
      && q.bottom > r.top + 1;
  });
  return {clipped: m.scrollWidth > m.clientWidth + 1, marked: m.classList.contains('scrolls')
    && m.tabIndex === 0, covered, latex: m.closest('.eq').dataset.latex.slice(0, 80)};
})"""


def _open(page, base, preset, form, step=1):
    page.goto(base + "/?" + urlencode({"expr": preset.expression, "f": preset.f,
                                       "vars": json.dumps(preset.variables), "step": step,
                                       "form": form}))
    page.wait_for_function("() => document.querySelector('#panel .katex') !== null")


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)], ids=["laptop", "full-hd"])
@pytest.mark.parametrize("form", ["shape", "jacobian"])
def test_no_equation_is_clipped_or_covered(browser, live_server, size, form):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    marked = []
    try:
        for preset in PRESETS:
            if preset.id == "spiral":        # 30-row batches: the same code, 60 s of steps
                continue
            _, t = compiled.trace(preset.expression, dict(preset.variables), preset.f)
            _open(page, live_server, preset, form)
            page.locator("#panel").focus()
            for k in range(1, len(t.steps) + 1):
                if k > 1:
                    page.keyboard.press("ArrowRight")
                    page.wait_for_function(f"() => document.querySelector('#panel h2')"
                                           f"?.textContent.includes('step {k} of')")
                for eq in page.evaluate(MEASURE):
                    where = (preset.id, k, eq["latex"])
                    assert not eq["covered"], where
                    assert not eq["clipped"] or eq["marked"], where
                    if eq["marked"]:
                        marked.append(where)
    finally:
        context.close()
    # only a label too long for any panel scrolls (the sigmoid neuron's, in a fraction)
    assert {pid for pid, _, _ in marked} <= {"sigmoid-neuron"}, marked


def test_a_long_matrix_is_abbreviated_with_its_shape_and_shows_all(page, live_server):
    preset = BY_ID["ner-window"]
    _, t = compiled.trace(preset.expression, dict(preset.variables), preset.f)
    k = next(k for k, s in enumerate(t.steps, 1)
             if not hasattr(s, "inputs") and t.node(s.node).label == "W")
    _open(page, live_server, preset, "shape", k)
    eq = page.locator("#panel .eq").first
    latex = eq.get_attribute("data-latex")
    assert r"\cdots" in latex and r"\underset{3{\times}10}" in latex
    eq.locator("button.show-all").click()
    view = page.locator("#panel .full-matrix .scroll")
    assert view.get_attribute("tabindex") == "0" and view.get_attribute("role") == "region"
    cells = view.locator("tr").first.locator("td").all_inner_texts()
    assert cells == ["0.1", "0.2", "0", "−0.1", "0.5", "0.3", "0", "0.1", "−0.2", "0.1"]
    assert view.locator("tr").count() == 3
    assert "every entry" in page.inner_text("#panel .full-matrix figcaption")
    eq.locator("button.show-all").click()                  # and closes again
    assert page.locator("#panel .full-matrix").count() == 0
