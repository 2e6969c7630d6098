"""What a shared link and an export keep: the URL restores the zoom and pan the user chose, and
a one-step PNG or SVG comes in the page's theme on an opaque background."""

from __future__ import annotations

import re

import pytest
from pages import LECTURE, open_page

pytestmark = pytest.mark.browser


def _zoom(page) -> str:
    return page.inner_text("#zoom-level")


def test_the_shared_url_restores_zoom_and_pan(page, live_server):
    open_page(page, live_server, LECTURE, step=3)
    for _ in range(3):
        page.click("#zoom-in")
    box = page.locator("#graph").bounding_box()
    page.mouse.move(box["x"] + 200, box["y"] + 200)
    page.mouse.down()
    page.mouse.move(box["x"] + 260, box["y"] + 230)
    page.mouse.up()
    page.wait_for_function("() => location.search.includes('zoom=')")
    chosen = _zoom(page)
    view = page.get_attribute("#graph svg", "viewBox")
    url = page.url
    assert re.search(r"zoom=\d", url) and "cx=" in url and "cy=" in url
    other = page.context.new_page()
    other.set_viewport_size({"width": 1400, "height": 900})
    other.goto(url)
    other.wait_for_selector("#graph svg g.node")
    other.wait_for_function("(z) => document.getElementById('zoom-level').textContent === z",
                            arg=chosen)
    got = [float(x) for x in other.get_attribute("#graph svg", "viewBox").split()]
    want = [float(x) for x in view.split()]
    assert all(abs(a - b) < 0.5 for a, b in zip(got, want, strict=True)), (got, want)
    other.click("#zoom-fit")                  # Fit: the view is the graph's own again
    other.wait_for_function("() => !location.search.includes('zoom=')")
    other.close()


@pytest.mark.parametrize("scheme, bg", [("dark", "#17181a"), ("light", "#ffffff")])
def test_a_one_step_export_comes_in_the_page_theme(browser, live_server, scheme, bg):
    context = browser.new_context(viewport={"width": 1400, "height": 900},
                                  color_scheme=scheme, accept_downloads=True)
    page = context.new_page()
    try:
        open_page(page, live_server, LECTURE, step=14)
        with page.expect_download() as got:
            page.click('.exports button[data-format="svg"]')
        svg = open(got.value.path(), encoding="utf-8").read()
        with page.expect_download() as png:
            page.click('.exports button[data-format="png"]')
        assert open(png.value.path(), "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    finally:
        context.close()
    ground = re.search(r'<polygon fill="([^"]+)"', svg).group(1)
    assert ground == bg
