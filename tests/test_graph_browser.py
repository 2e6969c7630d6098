"""The graph as a user meets it in Chromium: fitted on a laptop, zoom and pan, one number
format everywhere, colours under colour-vision deficiencies, dark mode, cheap steps."""

from __future__ import annotations

import random

import numpy as np
import pytest
from checks import tanh_net as net
from pages import LECTURE, open_page

from backprop_viz import heat, numbers, render, trace

pytestmark = pytest.mark.browser

XYZ_VARS = {"x": {"value": -2}, "y": {"value": 5}, "z": {"value": -4}}
# Graphs of up to about 15 nodes, as a class meets them
SMALL = [
    (LECTURE, None),
    ("z = Wx + b\nh = f(z)\ns = uᵀh", None),
    ("(x + y) * z", XYZ_VARS),
    ("1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))", None),
    ("x = [x_museums; x_in; x_Paris; x_are; x_amazing]\ns = uᵀ f(Wx + b)", None),
    ("s = sum(f(W X + b))", {"W": {"shape": [3, 4]}, "X": {"shape": [4, 5]},
                            "b": {"shape": [3, 1]}}),
    ("h1 = f(W1 x + b1)\nh2 = f(W2 h1 + b2)\ns = uᵀ h2", None),
]


SIZES = {"laptop": (1280, 720), "full-hd": (1920, 1080)}
SMALLEST_TEXT = """() => {
  const box = document.getElementById('graph').getBoundingClientRect();
  const svg = document.querySelector('#graph svg');
  const scale = svg.getScreenCTM().a;   // SVG units → CSS px
  const texts = [...document.querySelectorAll('#graph g.node text')];
  const inside = (r) => r.left >= box.left - 0.5 && r.right <= box.right + 0.5
      && r.top >= box.top - 0.5 && r.bottom <= box.bottom + 0.5;
  return {
    texts: texts.length,
    inside: texts.filter((t) => inside(t.getBoundingClientRect())).length,
    px: Math.min(...texts.map((t) => parseFloat(getComputedStyle(t).fontSize) * scale)),
  };
}"""


def _presets(base: str) -> list[dict]:
    import json
    from urllib.request import urlopen
    with urlopen(base + "/api/presets") as r:
        return json.load(r)


def _preset_cases():
    from backprop_viz.presets import PRESETS
    for p in PRESETS:
        for size in SIZES:
            for view in ("vector", "scalar"):
                yield pytest.param(p.id, size, view, id=f"{p.id}-{size}-{view}")


@pytest.mark.parametrize("preset_id, size, view", list(_preset_cases()))
def test_every_preset_opens_whole_and_readable(browser, live_server, preset_id, size, view):
    """All its nodes' texts in the box and the smallest ≥ 12 CSS px (font size × the SVG's
    scale), at the opening view; the scalar view after Fit, where it has up to 30 nodes."""
    preset = next(p for p in _presets(live_server) if p["id"] == preset_id)
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        params = {"f": preset["f"], "seed": preset["seed"]}
        if view == "scalar":
            from backprop_viz import trace
            t = trace(preset["expression"], preset["variables"], preset["f"], preset["seed"])
            if t.scalar_nodes is None or t.scalar_nodes > 30:
                pytest.skip("a scalar view of more than 30 nodes")
            params["view"] = "scalar"
        open_page(page, live_server, preset["expression"], preset["variables"], **params)
        if view == "scalar":
            page.click("#zoom-fit")
        got = page.evaluate(SMALLEST_TEXT)
        assert got["inside"] == got["texts"] and got["px"] >= 12 - 1e-6, got
    finally:
        context.close()


EDGE_TEXT_OVER_NODES = """() => {
  const nodes = [...document.querySelectorAll('#graph g.node')]
    .map((g) => [g.id, g.querySelector(':scope > path, :scope > polygon').getBBox()]);
  const over = [];
  for (const t of document.querySelectorAll('#graph g.edge text')) {
    if (!t.textContent) continue;
    const a = t.getBBox();
    for (const [id, n] of nodes) {
      if (a.x < n.x + n.width && a.x + a.width > n.x && a.y < n.y + n.height
          && a.y + a.height > n.y) over.push([t.closest('g.edge').id, t.textContent, id]);
    }
  }
  return over;
}"""


@pytest.mark.parametrize("preset_id", ["sigmoid-neuron", "cs231n-add-mul", "gates"])
def test_no_edge_label_runs_into_a_node(laptop, live_server, preset_id):
    """At the last step every scalar edge shows its value and its gradient ("∇ −0.5898"): each
    fits its label's cell, left of the next node (it was placed for a "?" in the cell's middle,
    and the number ran into the node on its right)."""
    preset = next(p for p in _presets(live_server) if p["id"] == preset_id)
    last = len(trace(preset["expression"], preset["variables"], preset["f"],
                     preset["seed"]).steps)
    gradients = """() => [...document.querySelectorAll('#graph g.edge text')]
        .filter((t) => t.textContent.startsWith('∇')).length"""
    open_page(laptop, live_server, preset["expression"], preset["variables"], f=preset["f"],
              seed=preset["seed"], step=last, until=f"() => ({gradients})() > 0")
    assert laptop.inner_text("#counter").startswith(f"step {last} of {last}")
    assert laptop.evaluate(EDGE_TEXT_OVER_NODES) == []


HEAT = """(id) => [...document.getElementById(id).querySelectorAll('.heat rect')]
    .map((r) => getComputedStyle(r).fill)"""


def test_heat_maps_colour_values_then_gradients(laptop, live_server):
    """W's cells: pending at step 0, its values' colours once W is computed, and its gradient
    map coloured at the backward step that computes it; the legend states both scales."""
    t = trace(LECTURE)
    w = t.variables["W"]
    fwd = next(k for k, s in enumerate(t.steps, 1) if s.node == w)
    back = next(k for k, s in enumerate(t.steps, 1) if s.node == w and k > fwd)
    open_page(laptop, live_server, LECTURE)
    start = laptop.evaluate(HEAT, w)
    assert len(start) == 2 * 12 and len(set(start)) == 1        # a value map, a gradient map
    open_page(laptop, live_server, LECTURE, step=fwd)
    forward = laptop.evaluate(HEAT, w)
    assert len(set(forward[:12])) > 3 and forward[12:] == start[12:]
    open_page(laptop, live_server, LECTURE, step=back)
    backward = laptop.evaluate(HEAT, w)
    assert backward[:12] == forward[:12] and len(set(backward[12:])) > 2
    scale = heat.scales(t)        # the largest |value|, |gradient| over the arrays
    assert f"{numbers.number(scale.value)} (values), −/+ {numbers.number(scale.grad)}" in \
        laptop.inner_text("#heat-scale")


def test_edge_widths_follow_the_gradient_they_carry(laptop, live_server):
    """Before the backward pass every edge has the default width; at the end the edges carry
    gradients of different sizes, and their widths differ and grow with them."""
    open_page(laptop, live_server, LECTURE)
    widths = """() => [...document.querySelectorAll('#graph g.edge')].map((g) => [g.id,
        parseFloat(getComputedStyle(g.querySelector('path')).strokeWidth)])"""
    start = dict(laptop.evaluate(widths))
    assert len(set(start.values())) == 1
    t = trace(LECTURE)
    open_page(laptop, live_server, LECTURE, step=len(t.steps))
    end = dict(laptop.evaluate(widths))
    assert len(set(end.values())) >= 3, end
    norms = {e.id: float(np.linalg.norm(t.edge_grads.get((e.source, e.target, e.port),
                                                         t.node(e.source).grad)))
             for e in t.edges if t.node(e.source).grad is not None}
    ids = sorted(norms, key=norms.get)
    assert end[ids[-1]] > end[ids[0]], (norms, end)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_legend_explains_styles_heat_and_widths(browser, live_server, scheme):
    context = browser.new_context(viewport={"width": 1280, "height": 720}, color_scheme=scheme)
    page = context.new_page()
    try:
        open_page(page, live_server, LECTURE)
        legend = page.locator("#legend")
        assert legend.is_visible()
        text = legend.inner_text()
        for words in ("value", "gradient", "current step", "constant", "heat maps",
                      "edge width"):
            assert words in text
        bar = page.evaluate("() => getComputedStyle(document.querySelector('.heat-bar'))"
                            ".backgroundImage")
        assert bar.startswith("linear-gradient")
    finally:
        context.close()


@pytest.fixture
def laptop(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    yield page
    context.close()




FITS = """() => {
  const box = document.getElementById('graph').getBoundingClientRect();
  const inside = (r) => r.left >= box.left - 0.5 && r.right <= box.right + 0.5
      && r.top >= box.top - 0.5 && r.bottom <= box.bottom + 0.5;
  const nodes = [...document.querySelectorAll('#graph g.node')];
  return {
    all: nodes.length,
    inside: nodes.filter((g) => inside(g.getBoundingClientRect())).length,
    boxInWindow: box.bottom <= window.innerHeight && box.right <= window.innerWidth,
    scrolled: window.scrollY,
    fontPx: Math.min(...nodes.map((g) => g.querySelector('text').getBoundingClientRect().height)),
  };
}"""


@pytest.mark.parametrize("expression, variables", SMALL)
def test_small_graphs_fit_a_laptop_screen(laptop, live_server, expression, variables):
    open_page(laptop, live_server, expression, variables)
    fit = laptop.evaluate(FITS)
    assert fit["inside"] == fit["all"] and fit["boxInWindow"] and fit["scrolled"] == 0, fit


def test_node_text_is_at_least_12_px_at_100_percent_and_the_lecture_opens_near_it(
        laptop, live_server):
    open_page(laptop, live_server, LECTURE)
    sizes = laptop.evaluate("""() => [...document.querySelectorAll('#graph text')]
        .map((t) => parseFloat(getComputedStyle(t).fontSize))""")
    assert min(sizes) >= 12          # SVG units, drawn 1:1 as CSS px at 100 %
    assert int(laptop.inner_text("#zoom-level")[:-1]) >= 90


def test_zoom_and_pan_never_move_the_nodes(laptop, live_server):
    open_page(laptop, live_server, LECTURE)
    layout = ("() => [...document.querySelectorAll('#graph g.node > path')]"
              ".map(p => p.getAttribute('d'))")
    before, level = laptop.evaluate(layout), laptop.inner_text("#zoom-level")
    laptop.click("#zoom-in")
    assert int(laptop.inner_text("#zoom-level")[:-1]) > int(level[:-1])
    laptop.keyboard.press("-")
    laptop.keyboard.press("-")
    assert int(laptop.inner_text("#zoom-level")[:-1]) < int(level[:-1])
    laptop.mouse.move(400, 450)
    laptop.mouse.wheel(0, -300)       # the wheel zooms in about the pointer
    box = laptop.locator("#graph").bounding_box()
    laptop.mouse.move(box["x"] + 200, box["y"] + 200)
    laptop.mouse.down()
    laptop.mouse.move(box["x"] + 260, box["y"] + 230)
    laptop.mouse.up()
    assert laptop.evaluate(layout) == before
    laptop.click("#zoom-fit")
    assert laptop.inner_text("#zoom-level") == level
    fit = laptop.evaluate(FITS)
    assert fit["inside"] == fit["all"]


def test_stepping_keeps_the_current_node_in_view(laptop, live_server):
    expression, variables = net(20)
    open_page(laptop, live_server, expression, variables)
    for _ in range(4):
        laptop.click("#zoom-in")
    for _ in range(60):
        laptop.keyboard.press("ArrowRight")
        inside = laptop.evaluate("""() => {
          const box = document.getElementById('graph').getBoundingClientRect();
          const r = document.querySelector('#graph g.node.current').getBoundingClientRect();
          return r.left >= box.left && r.right <= box.right && r.top >= box.top
              && r.bottom <= box.bottom;
        }""")
        assert inside


def test_one_number_format_in_graph_header_panel_and_export(laptop, live_server):
    """s's value, read where a user sees it, is the same text everywhere."""
    t = trace(LECTURE)
    expected = numbers.number(t.value)
    n = len(t.steps)
    open_page(laptop, live_server, LECTURE, step=n)
    graph = laptop.evaluate(
        f"() => document.getElementById('{t.output}').querySelector('text.val').textContent")
    header = laptop.inner_text("#parsed .output-value")
    exported = render.export(t, "svg", n).decode()
    forward_s = next(k for k, s in enumerate(t.steps, 1) if s.node == t.output)
    open_page(laptop, live_server, LECTURE, step=forward_s)
    # the panel's last equation, as KaTeX typeset it: "s = 0.2129"
    panel = laptop.evaluate("""() => [...document.querySelectorAll('#panel .eq .katex-html')]
        .at(-1).textContent""")
    assert graph == header == panel.split("=")[-1] == expected == "0.2129"
    assert f">{expected}<" in exported


def test_javascript_and_python_format_numbers_alike(laptop, live_server):
    open_page(laptop, live_server, "s = x")
    rng = random.Random(7)
    values = [0.125, 2.5, -0.0005, 0.00099996, 9999.5, 9999.4, 1e4, 123456.0, 5e-324, 1.7e308,
              -1.2345e-5, 0.21291110397314691, -0.71734, 1 / 3, 2 / 3, 1234.5, 0.001, 1e-3 / 2]
    values += [rng.uniform(-1, 1) * 10 ** rng.randint(-12, 12) for _ in range(400)]
    values += [round(rng.uniform(-10, 10), rng.randint(0, 4)) for _ in range(200)]
    got = laptop.evaluate("""async (values) => {
      const { fmt } = await import('/static/js/format.js');
      return values.map(fmt);
    }""", values)
    assert got == [numbers.number(v) for v in values]


def _rgb(png: bytes) -> tuple[float, float, float]:
    """The mean colour of a screenshot (PNG, 8-bit RGB or RGBA)."""
    import struct
    import zlib
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, width, height, kind = 8, b"", 0, 0, 0
    while pos < len(png):
        size, tag = struct.unpack(">I4s", png[pos:pos + 8])
        data = png[pos + 8:pos + 8 + size]
        if tag == b"IHDR":
            width, height, _, kind = struct.unpack(">IIBB", data[:10])
        elif tag == b"IDAT":
            chunks += data
        pos += size + 12
    channels = {2: 3, 6: 4}[kind]
    raw = zlib.decompress(chunks)
    stride = width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        f, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b, c = prev[i], prev[i - channels] if i >= channels else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    px = [(r[i], r[i + 1], r[i + 2]) for r in rows for i in range(0, stride, channels)]
    return tuple(sum(p[k] for p in px) / len(px) / 255 for k in range(3))


def _luminance(rgb: tuple[float, float, float]) -> float:
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("deficiency", ["none", "deuteranopia", "protanopia", "achromatopsia"])
def test_values_and_gradients_differ_in_luminance_for_everyone(browser, live_server, scheme,
                                                                deficiency):
    """Chromium's own vision-deficiency emulation; achromatopsia is greyscale."""
    context = browser.new_context(viewport={"width": 1280, "height": 720}, color_scheme=scheme)
    page = context.new_page()
    try:
        open_page(page, live_server, LECTURE)
        cdp = context.new_cdp_session(page)
        cdp.send("Emulation.setEmulatedVisionDeficiency", {"type": deficiency})
        value = _luminance(_rgb(_swatch(page, ".key.val")))
        grad = _luminance(_rgb(_swatch(page, ".key.grad")))
        ratio = (max(value, grad) + 0.05) / (min(value, grad) + 0.05)
        assert ratio >= 1.5, (value, grad)
    finally:
        context.close()


def _swatch(page, selector: str) -> bytes:
    """The middle of a legend key's colour square (its ::before, 0.8em at the line's start)."""
    box = page.locator(selector).bounding_box()
    return page.screenshot(clip={"x": box["x"] + 3, "y": box["y"] + box["height"] / 2 - 1,
                                 "width": 4, "height": 3})


def test_gradients_have_a_cue_that_is_not_colour(laptop, live_server):
    open_page(laptop, live_server, "(x + y) * z", XYZ_VARS, step=10)
    cues = laptop.evaluate("""() => [...document.querySelectorAll('#graph g.node')].map((g) => ({
        grad: g.querySelector('text.grad').textContent,
        dash: getComputedStyle(g.querySelector('path')).strokeDasharray,
        current: g.classList.contains('current')}))""")
    for cue in cues:
        assert cue["grad"].startswith("∇ ")
        assert cue["current"] or cue["dash"] not in ("none", ""), cue


def test_dark_mode_follows_the_system(browser, live_server):
    colours = {}
    for scheme in ("light", "dark"):
        context = browser.new_context(viewport={"width": 1280, "height": 720},
                                      color_scheme=scheme)
        page = context.new_page()
        open_page(page, live_server, LECTURE, step=3)
        colours[scheme] = page.evaluate("""() => ({
          bg: getComputedStyle(document.body).backgroundColor,
          text: getComputedStyle(document.querySelector('#graph text.title')).fill,
          node: getComputedStyle(document.querySelector('#graph g.node.fwd-done > path')).fill,
        })""")
        context.close()
    assert colours["light"]["bg"] == "rgb(255, 255, 255)"
    dark = colours["dark"]
    assert dark["bg"] != colours["light"]["bg"] and dark["text"] != colours["light"]["text"]
    to_rgb = lambda css: tuple(int(x) / 255 for x in css[4:-1].split(","))  # noqa: E731
    assert _luminance(to_rgb(dark["bg"])) < 0.05 < 0.5 < _luminance(to_rgb(dark["text"]))
    assert _luminance(to_rgb(dark["node"])) < 0.1


def test_a_step_touches_only_what_changed(laptop, live_server):
    """The number of DOM changes a step makes does not grow with the graph."""
    counts = {}
    for layers in (1, 50):
        expression, variables = net(layers)
        open_page(laptop, live_server, expression, variables, step=3 * layers + 3)
        counts[layers] = laptop.evaluate("""() => new Promise((done) => {
          let n = 0;
          const seen = new MutationObserver((records) => { n += records.length; });
          seen.observe(document.getElementById('graph'),
                       { subtree: true, attributes: true, childList: true, characterData: true });
          for (const key of ['ArrowRight', 'ArrowRight', 'ArrowLeft']) {
            document.body.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true }));
          }
          setTimeout(() => { seen.disconnect(); done(n); }, 50);
        })""")
    assert 0 < counts[50] <= counts[1] + 6, counts


def test_a_step_taken_while_the_box_is_laid_out_again_is_kept(laptop, live_server):
    """The window changes shape, so the graph is laid out again for its box; the user presses
    End before that layout comes. The new drawing shows the last step, not the one the relayout
    was asked at."""
    open_page(laptop, live_server, LECTURE)
    # hold every /api/trace answer a second, and count those that came back
    laptop.evaluate("""() => { const real = window.fetch; window.answered = 0;
      window.fetch = async (...args) => { const r = await real(...args);
        if (String(args[0]).includes('/api/trace')) {
          await new Promise((done) => setTimeout(done, 1000)); window.answered++; }
        return r; }; }""")
    laptop.set_viewport_size({"width": 800, "height": 900})   # a box of another shape
    laptop.wait_for_timeout(500)                               # the relayout has been asked
    laptop.keyboard.press("End")
    assert laptop.inner_text("#counter").startswith("step 18 of 18")
    laptop.wait_for_function("() => window.answered > 0")
    laptop.wait_for_timeout(200)
    assert laptop.inner_text("#counter").startswith("step 18 of 18")
    assert laptop.locator("#graph g.node.current").count() == 1


SLOTS_PAST_THE_TEXTS = """() => {
  const out = [];
  for (const g of document.querySelectorAll('#graph g.node')) {
    const cells = [...g.querySelectorAll('.heat rect')].map((r) => r.getBoundingClientRect());
    if (!cells.length) continue;
    const maps = Math.min(...cells.map((r) => r.left));
    for (const t of g.querySelectorAll('text')) {
      const r = t.getBoundingClientRect();
      if (t.textContent && r.right > maps + 0.5) out.push([g.id, t.textContent, r.right, maps]);
    }
  }
  return out;
}"""


WIDEST_GRADIENT = ("s = uᵀ(W x + b)", {"u": {"value": [[-1.234e-5], [1], [1]]}})


@pytest.mark.parametrize("preset_id", ["spiral", "two-layer-softmax", "ner-window", "widest"])
def test_every_number_fits_left_of_its_heat_maps(laptop, live_server, preset_id):
    """At the last step every box shows its value and its gradient, and every text ends before
    the heat maps' cells begin. In `s = uᵀ(W x + b)` the gradient δ = u, whose first entry is
    the widest common number (∇ δ = [−1.23e−5; …]): drawn bold, it ran into the maps."""
    if preset_id == "widest":
        expression, variables, params = *WIDEST_GRADIENT, {}
    else:
        preset = next(p for p in _presets(live_server) if p["id"] == preset_id)
        expression, variables = preset["expression"], preset["variables"]
        params = {"f": preset["f"], "seed": preset["seed"]}
    last = len(trace(expression, variables, **params).steps)
    open_page(laptop, live_server, expression, variables, step=last, **params)
    laptop.wait_for_function("() => document.querySelectorAll('#graph g.node.grad-done').length"
                             " > 0")
    assert laptop.inner_text("#counter").startswith(f"step {last} of {last}")
    if preset_id == "widest":
        assert "∇ δ = [−1.23e−5; …]" in laptop.inner_text("#graph")
    assert laptop.evaluate(SLOTS_PAST_THE_TEXTS) == []
