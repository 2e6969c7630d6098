"""The step panel's spares: the steps either side of the one shown are laid out beforehand in
hidden panels, and a step onto one shows it, with the panel's id, focus and words, and nothing
of a spare is seen, focused or read meanwhile."""

from __future__ import annotations

import pytest

from tests.pages import LECTURE, open_page

pytestmark = pytest.mark.browser

STACK = """() => [...document.querySelectorAll('.panel-stack > .panel')].map((p) => ({
  id: p.id, step: p.dataset.step ?? '', spare: p.classList.contains('spare'),
  // not seen: transparent, under the shown box; not reached: nothing in it Tab stops at
  hidden: getComputedStyle(p).opacity === '0'
    && Number(getComputedStyle(p).zIndex) < Number(getComputedStyle(
      document.getElementById('panel')).zIndex),
  reached: [p, ...p.querySelectorAll('*')].filter((e) => e.tabIndex >= 0).length,
  ariaHidden: p.getAttribute('aria-hidden'), mark: p.dataset.testMark ?? '',
  heading: p.querySelector('h2')?.textContent ?? '',
}))"""


def spare_for(page, k: int) -> None:
    """Wait until a spare holds step k (built in idle time)."""
    page.wait_for_function(f"""() => [...document.querySelectorAll('.panel-stack > .spare')]
        .some((p) => p.dataset.step === '{k}' && p.querySelector('h2'))""")


def test_a_step_onto_a_spare_shows_that_panel(page, live_server):
    page.set_viewport_size({"width": 1280, "height": 720})   # panels that scroll: Tab stops
    open_page(page, live_server, LECTURE, step=5)
    spare_for(page, 6)
    spare_for(page, 4)
    boxes = page.evaluate(STACK)
    assert [b["id"] for b in boxes].count("panel") == 1 and len(boxes) == 3
    for b in boxes:
        if b["id"] != "panel":   # a spare: laid out, but not seen, reached or read
            assert b["spare"] and b["hidden"] and b["reached"] == 0 and b["ariaHidden"] == "true"
        else:
            assert not b["spare"] and not b["hidden"] and b["reached"] > 0 and not b["ariaHidden"]
    # mark the spare of step 6: the key press shows that very element, laid out beforehand
    page.evaluate("""() => { for (const p of document.querySelectorAll('.panel-stack > .spare'))
        if (p.dataset.step === '6') p.dataset.testMark = 'six'; }""")
    page.keyboard.press("ArrowRight")
    shown = next(b for b in page.evaluate(STACK) if b["id"] == "panel")
    assert shown["mark"] == "six" and "step 6 of 18" in shown["heading"]
    assert page.inner_text("#counter") == "step 6 of 18 · forward"
    assert "step 6 of 18" in page.inner_text("#panel h2")
    # the panel it replaced is now the spare of step 5, for a step back, out of reach
    after = page.evaluate(STACK)
    assert any(b["spare"] and b["step"] == "5" for b in after)
    for b in after:
        assert b["hidden"] == b["spare"] and (b["reached"] == 0) == b["spare"]
    # what the pointer is over is the shown panel, never a spare under it
    assert page.evaluate("""() => { const r = document.getElementById('panel')
        .getBoundingClientRect(); const at = document.elementFromPoint(r.x + r.width / 2,
        r.y + r.height / 2); return document.getElementById('panel').contains(at); }""")
    # Tab from the panel walks its own terms, never into a spare
    page.focus("#panel")
    for _ in range(12):
        page.keyboard.press("Tab")
        assert not page.evaluate("""() => document.activeElement.closest('.spare')
            && document.activeElement.outerHTML.slice(0, 120)""")
    page.keyboard.press("ArrowLeft")
    assert "step 5 of 18" in page.inner_text("#panel h2")
    # no id is held twice, spares included
    assert page.evaluate("""() => { const ids = [...document.querySelectorAll('[id]')]
        .map((e) => e.id); return ids.length === new Set(ids).size; }""")


def test_the_focus_stays_on_the_panel_across_a_swap(page, live_server):
    open_page(page, live_server, LECTURE, step=3)
    spare_for(page, 4)
    page.focus("#panel")
    page.keyboard.press("ArrowRight")
    assert "step 4 of 18" in page.inner_text("#panel h2")
    assert page.evaluate("() => document.activeElement.id") == "panel"
    spare_for(page, 5)
    page.keyboard.press("ArrowRight")
    assert page.evaluate("() => document.activeElement.id") == "panel"
    assert "step 5 of 18" in page.inner_text("#panel h2")


def test_a_spare_of_another_language_is_never_shown(page, live_server):
    """The switch re-says the panel: a spare laid out in English is stale, rebuilt in Korean."""
    open_page(page, live_server, LECTURE, step=14)
    spare_for(page, 15)
    page.click('#lang-switch [data-lang="ko"]')
    page.wait_for_function("() => document.documentElement.lang === 'ko'")
    page.keyboard.press("ArrowRight")
    assert "18단계 중 15단계" in page.inner_text("#panel h2")
    assert "상류 기울기" in page.inner_text("#panel")


def test_practice_never_shows_a_spare(page, live_server):
    """Practice's panels change as the user answers: a step there is built when shown."""
    open_page(page, live_server, LECTURE, step=13, practice="1")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('#panel h2')?.textContent"
                           ".includes('step 14 of 18')")
    assert page.locator("#panel input.answer").count() > 0


def test_every_step_opens_at_the_top_of_its_panel(page, live_server):
    """The user scrolls a long panel down; the next step, a spare's or drawn anew, and the same
    step come back to, each opens at its top."""
    page.set_viewport_size({"width": 1280, "height": 720})
    open_page(page, live_server, LECTURE, step=16)
    top = "() => document.getElementById('panel').scrollTop"

    def scroll_down():
        box = page.locator("#panel").bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.wheel(0, 400)
        page.wait_for_function(f"() => ({top})() > 0")

    scroll_down()
    spare_for(page, 17)
    page.keyboard.press("ArrowRight")
    assert "step 17 of 18" in page.inner_text("#panel h2") and page.evaluate(top) == 0
    page.keyboard.press("ArrowLeft")   # step 16's own panel again, scrolled when it was left
    assert "step 16 of 18" in page.inner_text("#panel h2") and page.evaluate(top) == 0
    scroll_down()
    page.keyboard.press("Home")        # a step no spare holds: drawn in the shown panel
    assert page.evaluate(top) == 0
