"""The page on a tablet and a phone, as a finger meets it in Chromium: the graph and the panel
both on the screen while stepping, nothing wider than the screen, every control at least 44 px,
the step buttons in a bar that stays at the bottom, and a pinch that zooms the graph."""

from __future__ import annotations

import pytest
from pages import LECTURE, open_page

pytestmark = pytest.mark.browser

TABLET = {"width": 820, "height": 1180}
TABLET_LANDSCAPE = {"width": 1180, "height": 820}
PHONE = {"width": 390, "height": 844}
FINGER = 44   # px: the smallest target a finger hits (WCAG 2.5.5)
FIRST_BACKWARD = 10   # the lecture's 9 forward steps, then the backward pass


@pytest.fixture(params=["light", "dark"])
def scheme(request) -> str:
    return request.param


def device(browser, viewport: dict, scheme: str = "light", *, mobile: bool = False):
    context = browser.new_context(viewport=viewport, color_scheme=scheme, has_touch=True,
                                  is_mobile=mobile)
    return context, context.new_page()


@pytest.fixture
def tablet(browser, scheme):
    context, page = device(browser, TABLET, scheme)
    yield page
    context.close()


@pytest.fixture
def phone(browser, scheme):
    context, page = device(browser, PHONE, scheme, mobile=True)
    yield page
    context.close()


def box(page, selector: str) -> dict:
    return page.locator(selector).bounding_box()


def bar_top(page) -> float:
    return box(page, ".stepbar")["y"]


def counter(page) -> str:
    return page.inner_text("#counter")


# ---------------------------------------------------------------- tablet


def test_the_tablet_shows_the_graph_and_the_panel_while_stepping(tablet, live_server):
    open_page(tablet, live_server, LECTURE, step=FIRST_BACKWARD - 1)
    for k in range(FIRST_BACKWARD, FIRST_BACKWARD + 4):
        tablet.click("#next")
        assert counter(tablet).startswith(f"step {k} of ")
        graph, panel, top = box(tablet, "#graph"), box(tablet, "#panel"), bar_top(tablet)
        assert graph["y"] >= 0 and graph["y"] + graph["height"] <= top, (graph, top)
        assert graph["height"] >= 0.3 * TABLET["height"]
        # the panel's top, its heading and the first equation, above the bar
        assert panel["y"] + 250 <= top, (panel, top)
        assert tablet.evaluate("scrollY") == 0          # stepping never moves the page
    # scrolled to, the graph, the panel and the bar share the screen: the whole panel shows
    tablet.evaluate("document.querySelector('.workspace').scrollIntoView()")
    panel = box(tablet, "#panel")
    assert panel["y"] > 0 and panel["y"] + panel["height"] <= bar_top(tablet) + 1
    assert box(tablet, "#graph")["y"] >= 0


def test_the_panel_scrolls_inside_itself_on_the_tablet(tablet, live_server):
    open_page(tablet, live_server, LECTURE, step=FIRST_BACKWARD + 4, form="jacobian")
    sizes = tablet.evaluate("(() => { const p = document.getElementById('panel');"
                            " return [p.scrollHeight, p.clientHeight,"
                            " getComputedStyle(p).overflowY]; })()")
    assert sizes[0] > sizes[1] and sizes[2] == "auto"


def test_the_landscape_tablet_has_the_graph_and_the_panel_side_by_side(browser, live_server):
    context, page = device(browser, TABLET_LANDSCAPE)
    try:
        open_page(page, live_server, LECTURE, step=FIRST_BACKWARD)
        graph, panel = box(page, "#graph"), box(page, "#panel")
        assert panel["x"] >= graph["x"] + graph["width"]
        for b in (graph, panel):
            assert b["y"] >= 0 and b["y"] + b["height"] <= TABLET_LANDSCAPE["height"]
        page.click("#next")
        assert counter(page).startswith(f"step {FIRST_BACKWARD + 1} of ")
    finally:
        context.close()


# ---------------------------------------------------------------- phone

WIDEST = "() => [document.scrollingElement.scrollWidth, innerWidth]"

# Visible controls smaller than a finger: a checkbox or radio is hit through its label; terms
# of an equation that light their node are inline, in the line of the math (WCAG's exception).
SMALL_CONTROLS = """(finger) => {
  const controls = document.querySelectorAll(
    'button, select, textarea, input, a[href], summary, [role="button"]:not([data-node])');
  const small = [];
  for (const c of controls) {
    const target = c.matches('input[type="checkbox"], input[type="radio"]')
      ? c.closest('label') ?? c : c;
    const r = target.getBoundingClientRect();
    if (!r.width || !r.height || getComputedStyle(target).visibility === 'hidden') continue;
    if (r.width < finger - 0.5 || r.height < finger - 0.5) {
      small.push(`${c.id || c.textContent.trim().slice(0, 20) || c.tagName}:` +
                 `${Math.round(r.width)}×${Math.round(r.height)}`);
    }
  }
  return small;
}"""

# Buttons and labels whose text is cut off: wider than their own box, or past the screen's edge
# (inside a row that scrolls sideways by design, the examples, a chip may be off to the side).
CLIPPED = """() => [...document.querySelectorAll('button, label, .counter')].filter((e) => {
  const r = e.getBoundingClientRect();
  if (!r.width || e.closest('.presets')) return false;
  return e.scrollWidth > e.clientWidth + 1 || r.right > innerWidth + 0.5 || r.left < -0.5;
}).map((e) => e.textContent.trim())"""


def test_the_phone_page_never_scrolls_sideways(phone, live_server):
    open_page(phone, live_server, LECTURE, step=FIRST_BACKWARD + 4)
    widest, screen = phone.evaluate(WIDEST)
    assert widest <= screen == PHONE["width"]
    phone.check('input[name="form"][value="jacobian"]')   # wide matrices scroll in their row
    phone.click("#to-backward")
    widest, screen = phone.evaluate(WIDEST)
    assert widest <= screen
    assert phone.evaluate(CLIPPED) == []
    export_html = box(phone, '.exports button[data-format="html"]')
    assert export_html["x"] + export_html["width"] <= screen
    assert phone.inner_text('.exports button[data-format="html"]') == "HTML"


def test_every_control_on_the_phone_takes_a_finger(phone, live_server):
    open_page(phone, live_server, LECTURE, step=FIRST_BACKWARD + 4)
    assert phone.evaluate(SMALL_CONTROLS, FINGER) == []
    phone.check("#practice")       # practice's own fields and buttons, too
    phone.wait_for_selector("#panel .ask-form")
    assert phone.evaluate(SMALL_CONTROLS, FINGER) == []


def test_the_graph_is_near_the_top_of_the_phone(phone, live_server):
    open_page(phone, live_server, LECTURE)
    graph = box(phone, "#graph")
    assert graph["y"] < 0.55 * PHONE["height"]
    assert graph["y"] + graph["height"] <= bar_top(phone)


NODES_IN_BOX = """() => {
  const box = document.getElementById('graph').getBoundingClientRect();
  const nodes = [...document.querySelectorAll('#graph g.node')];
  return [nodes.length, nodes.filter((g) => {
    const r = g.getBoundingClientRect();
    return r.left >= box.left - 0.5 && r.right <= box.right + 0.5 && r.top >= box.top - 0.5
        && r.bottom <= box.bottom + 0.5;
  }).length];
}"""


@pytest.mark.parametrize("scheme", ["light"], indirect=True)
@pytest.mark.parametrize("preset_id", ["lecture", "spiral"])
def test_the_phone_graph_opens_whole_in_its_box(phone, live_server, preset_id):
    """Fitted to its box, however small that makes it (a pinch reads it), never at 100 % with
    nodes out of view; the spiral's 19 array nodes too."""
    from backprop_viz.presets import PRESETS
    p = next(p for p in PRESETS if p.id == preset_id)
    open_page(phone, live_server, p.expression, {k: dict(v) for k, v in p.variables.items()},
              f=p.f, seed=p.seed)
    total, inside = phone.evaluate(NODES_IN_BOX)
    assert total > 5 and inside == total
    assert zoom_level(phone) < 100


def test_the_step_bar_stays_reachable_and_steps(phone, live_server):
    open_page(phone, live_server, LECTURE, step=3)
    phone.evaluate("window.scrollTo(0, document.scrollingElement.scrollHeight)")
    phone.wait_for_function("() => scrollY > 0")
    for selector in ("#prev", "#play", "#next", "#to-backward"):
        b = box(phone, selector)
        assert 0 <= b["y"] and b["y"] + b["height"] <= PHONE["height"], selector
        hit = phone.evaluate("([x, y]) => document.elementFromPoint(x, y)?.closest('button')?.id",
                             [b["x"] + b["width"] / 2, b["y"] + b["height"] / 2])
        assert hit == selector[1:]               # nothing covers it
    phone.tap("#next")
    assert counter(phone).startswith("step 4 of ")
    phone.tap("#prev")
    phone.tap("#prev")
    assert counter(phone).startswith("step 2 of ")
    phone.tap("#to-backward")
    assert counter(phone) == f"step {FIRST_BACKWARD} of 18 · backward"
    # the end of the page is not under the bar: the last control can be reached
    last = box(phone, "#reset-vars")
    assert last["y"] + last["height"] <= bar_top(phone)


def test_the_bar_is_the_players_row_on_a_laptop(browser, live_server):
    """A wide screen keeps its layout: the step buttons in the player, the panel beside the
    graph, no bar over the page."""
    context, page = device(browser, {"width": 1280, "height": 720})
    try:
        open_page(page, live_server, LECTURE)
        player, prev = box(page, ".player"), box(page, "#prev")
        assert player["y"] <= prev["y"] and prev["y"] + prev["height"] <= player["y"] + \
            player["height"]
        assert page.evaluate("getComputedStyle(document.querySelector('.stepbar')).display") \
            == "contents"
        assert box(page, "#panel")["x"] > box(page, "#graph")["x"] + box(page, "#graph")["width"]
    finally:
        context.close()



@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)], ids=["laptop", "full-hd"])
def test_the_panel_starts_right_under_the_player_on_a_wide_screen(browser, live_server, size):
    """The graph box spans the player's grid row and the panel's: its height goes to the
    panel's row, never to the player's (that left a 43 px band above the panel at 1920×1080),
    and the panel ends level with the graph's tools."""
    context, page = device(browser, {"width": size[0], "height": size[1]})
    try:
        open_page(page, live_server, LECTURE)
        player, column = box(page, ".player"), box(page, ".panel-col")
        gap = column["y"] - (player["y"] + player["height"])
        assert 0 <= gap <= 10, (player, column)    # the column's 0.5rem margin
        panel, tools = box(page, "#panel"), box(page, ".graph-tools")
        assert abs(panel["y"] + panel["height"] - (tools["y"] + tools["height"])) <= 8, \
            (panel, tools)
    finally:
        context.close()

# ---------------------------------------------------------------- keyboard

# Controls Tab reaches, in the order a narrow screen shows them: the form, the graph's zoom,
# the panel, the step bar along the bottom, the player's other controls, the variables.
TAB_ORDER = ["expr", "render", "zoom-out", "zoom-fit", "panel", "next", "to-backward", "speed",
             "timeline", "practice", "reset-vars"]
FOCUSED = """() => {
  const e = document.activeElement;
  const bar = e.closest('.stepbar');
  const r = e.getBoundingClientRect();
  return { id: e.id, top: r.top + scrollY, bottom: r.bottom + scrollY,
           fixed: !!bar && getComputedStyle(bar).position === 'fixed',
           inPanel: e.id !== 'panel' && !!e.closest('#panel') };
}"""


@pytest.mark.parametrize("viewport", [TABLET, PHONE], ids=["tablet", "phone"])
def test_tab_walks_the_controls_in_the_order_they_are_seen(browser, live_server, viewport):
    """Pressing Tab from the top: the landmarks in the order seen, every control in the page's
    flow beside or below the one before, never back up a row, and the fixed bar's step buttons
    right after the panel they drive."""
    context, page = device(browser, viewport, mobile=viewport is PHONE)
    try:
        open_page(page, live_server, LECTURE)
        page.evaluate("() => document.activeElement.blur()")
        seen: list[dict] = []
        while not seen or seen[-1]["id"] != "reset-vars":
            page.keyboard.press("Tab")
            seen.append(page.evaluate(FOCUSED))
            assert len(seen) < 150, [s["id"] for s in seen]
        ids = [s["id"] for s in seen]
        assert [i for i in ids if i in TAB_ORDER] == TAB_ORDER, ids
        flow = [s for s in seen if not s["fixed"] and not s["inPanel"]]
        for a, b in zip(flow, flow[1:], strict=False):   # on the same row or below it
            assert b["bottom"] > a["top"], (a, b)
        after = seen[ids.index("panel") + 1]
        assert after["fixed"] and after["id"] in ("first", "prev", "play"), after
    finally:
        context.close()


# ---------------------------------------------------------------- pinch


def pinch(page, start: float, end: float, moves: int = 8) -> None:
    """Two fingers on the graph's centre, `start` px apart, moved to `end` px apart."""
    cdp = page.context.new_cdp_session(page)
    g = box(page, "#graph")
    cx, cy = g["x"] + g["width"] / 2, g["y"] + g["height"] / 2

    def fingers(spread: float) -> list[dict]:
        return [{"x": cx - spread / 2, "y": cy, "id": 0}, {"x": cx + spread / 2, "y": cy, "id": 1}]

    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": fingers(start)})
    for i in range(1, moves + 1):
        cdp.send("Input.dispatchTouchEvent",
                 {"type": "touchMove", "touchPoints": fingers(start + (end - start) * i / moves)})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def zoom_level(page) -> int:
    return int(page.inner_text("#zoom-level").rstrip("%"))


@pytest.mark.parametrize("scheme", ["light"], indirect=True)
def test_a_pinch_zooms_the_graph(phone, live_server):
    open_page(phone, live_server, LECTURE, step=FIRST_BACKWARD)
    assert phone.evaluate("getComputedStyle(document.getElementById('graph')).touchAction") \
        == "none"
    before = zoom_level(phone)
    view = phone.get_attribute("#graph svg", "viewBox")
    pinch(phone, 60, 180)                       # fingers apart: three times closer
    wider = zoom_level(phone)
    assert wider > 2.5 * before, (before, wider)
    assert phone.get_attribute("#graph svg", "viewBox") != view
    assert phone.evaluate("scrollY") == 0       # the page stays where it was
    pinch(phone, 200, 100)                      # together: half as close
    assert zoom_level(phone) < 0.6 * wider
    phone.wait_for_function("() => location.search.includes('zoom=')")   # and it is shared


# ---------------------------------------------------------------- a shared view


@pytest.mark.parametrize("viewport", [PHONE, TABLET, TABLET_LANDSCAPE,
                                      {"width": 1280, "height": 720},
                                      {"width": 1920, "height": 1080}],
                         ids=["phone", "tablet", "tablet-landscape", "laptop", "full-hd"])
def test_the_cold_page_asks_for_one_layout(browser, live_server, viewport):
    """The box is the same shape before the first answer as after it (the parsed line's room
    is kept, a preset's caption is in place before its request), so the layout asked for it is
    the one shown, never a second one asked for once the caption came (a second layout of a
    new shape: 160 ms more). So too for an expression of one's own by URL, which has no
    caption, and for a chip clicked after it, whose caption comes with the click."""
    context, page = device(browser, viewport)
    asked: list[float] = []
    page.on("request", lambda r: asked.append(r.post_data_json["aspect"])
            if r.url.endswith("/api/trace") else None)
    try:
        open_page(page, live_server)
        page.wait_for_timeout(300)     # past the box's resize check, which asks at once
        assert len(asked) == 1, asked
        assert page.inner_text("#preset-caption") != ""
        asked.clear()
        open_page(page, live_server, "(x + y) * z")
        page.wait_for_timeout(300)
        assert len(asked) == 1, asked
        assert page.is_hidden("#preset-caption")
        asked.clear()
        page.click('.preset[data-preset="cs231n-add-mul"]')
        page.wait_for_selector('.preset[data-preset="cs231n-add-mul"][aria-pressed="true"]')
        page.wait_for_timeout(300)
        assert len(asked) == 1, asked
        assert page.inner_text("#preset-caption") != ""
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1280, "height": 720}],
                         ids=["phone", "laptop"])
def test_a_shared_zoom_opens_exactly_as_it_was_chosen(browser, live_server, viewport):
    """142 % stays 142 %, and the centre stays where it was, on any screen the link opens on."""
    context, page = device(browser, viewport)
    try:
        open_page(page, live_server, LECTURE, step=5, zoom="1.42", cx="120.5", cy="-80.0")
        # the view waits for the layout made for this screen's box: a phone's, once the line
        # saying how Wx was read has moved the box down, is the page's second
        page.wait_for_function("() => document.getElementById('zoom-level').textContent"
                               " === '142%'")
        x, y, w, h = (float(v) for v in page.get_attribute("#graph svg", "viewBox").split())
        assert abs(x + w / 2 - 120.5) < 0.05 and abs(y + h / 2 + 80.0) < 0.05
        page.wait_for_function("() => location.search.includes('zoom=1.420')")
        page.click("#next")                      # stepping keeps the view the link chose
        assert page.inner_text("#zoom-level") == "142%"
    finally:
        context.close()
