"""The renderer: a layout per structure with no number in it, slots filled per step, exports."""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from checks import tanh_net as net

from backprop_viz import numbers, render, trace

SVG = "http://www.w3.org/2000/svg"
NS = {"svg": SVG}
XYZ = ("out = (x + y) * z", {"x": {"value": -2}, "y": {"value": 5}, "z": {"value": -4}})
LECTURE = "s = uᵀ f(Wx + b)"


@pytest.fixture
def xyz():
    """CS231n's first example at x=−2, y=5, z=−4: out = −12, gradients −4, −4, 3."""
    return trace(*XYZ)


def groups(svg: str | bytes) -> dict[str, ET.Element]:
    root = ET.fromstring(svg)
    return {g.get("id"): g for g in root.iter(f"{{{SVG}}}g") if g.get("id")}


def texts(group: ET.Element) -> list[str]:
    """Each line's text, white space folded (Graphviz writes "a  b" as "a \xa0b")."""
    return [" ".join((t.text or "").split()) for t in group.findall("svg:text", NS)]


# ---------------------------------------------------------------- numbers → text

@pytest.mark.parametrize("value, text", [
    (-2.0, "−2"), (0.21291110397314691, "0.2129"), (-0.71734, "−0.7173"), (-0.0, "0"),
    (12.345, "12.35"), (9999.4, "9999"), (9999.5, "1e4"), (1234.5, "1235"),
    (123456.0, "1.23e5"), (1.2345e-5, "1.23e−5"), (0.00099996, "0.001"), (5e-324, "4.94e−324"),
    (0.125, "0.125"), (2.5e-5, "2.5e−5"), ("NaN", "NaN"), ("Infinity", "∞"), ("-Infinity", "−∞"),
    (float("nan"), "NaN"), (float("-inf"), "−∞"),
])
def test_one_number_format(value, text):
    assert numbers.number(value) == text


@pytest.mark.parametrize("array, text", [
    ([[3.0]], "3"),
    ([[1.0], [2.0]], "[1; 2]"),
    ([[1.0], [2.0], [3.0]], "[1; 2; …]"),
    ([[1.0, -2.0, 3.0]], "[1, −2, …]"),
    ([[0.5, 1.5], [2.5, 3.5]], "[0.5, 1.5, …]"),
])
def test_a_slot_shows_an_array_briefly(array, text):
    assert numbers.brief(np.array(array), numbers.NODE_ENTRIES) == text


def test_long_unnamed_labels_are_cut():
    assert render.short_label("tanh(W · x + b) + c") == "tanh(W · x + b)…"
    assert render.short_label("h") == "h"


# ---------------------------------------------------------------- the layout: structure only

def test_the_page_dot_holds_no_number():
    """Values are drawn from the seed: no digit of any value may reach the layout's source."""
    a, b = trace(LECTURE, seed=1), trace(LECTURE, seed=2)
    assert render.structure(a) == render.structure(b)
    for node in a.nodes:
        for v in node.value.ravel():
            assert numbers.number(float(v)) not in render.structure(a).replace("3×4", "")


def test_every_node_and_edge_has_its_id_and_slots(xyz):
    found = groups(render.render_svg(xyz))
    for node in xyz.nodes:
        g = found[node.id]
        assert "node" in g.get("class").split()
        title = " ".join(render.title(node).split())
        assert texts(g) == [title, numbers.shape(node.shape), "?", "?"]
    for edge in xyz.edges:   # scalars: every edge has a value slot and a gradient slot
        assert texts(found[edge.id]) == ["?", "?"]


def test_only_scalar_edges_are_labelled():
    t = trace(LECTURE)
    found = groups(render.render_svg(t))
    for edge in t.edges:
        scalar = t.node(edge.source).shape == (1, 1)
        assert len(texts(found[edge.id])) == (2 if scalar else 0), edge


def test_kinds_and_output_are_classes(xyz):
    found = groups(render.render_svg(xyz))
    assert "kind-variable" in found["n0"].get("class")
    assert found[xyz.output].get("class").split() == ["node", "kind-op", "output"]


def test_the_svg_is_not_rewritten_but_trimmed(xyz):
    svg = render.render_svg(xyz)
    assert svg.startswith("<svg") and "<!--" not in svg and "font-family" not in svg


def test_markup_in_a_label_stays_text():
    t = trace("s = sum(x)", {"x": {"value": [1, 2]}})
    node = t.node(t.output)
    evil = dataclasses.replace(node, label="<b>&</b>", symbol="<i>")
    t = dataclasses.replace(t, nodes=tuple(evil if n.id == node.id else n for n in t.nodes))
    svg = render.render_svg(t)
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in svg and "&lt;i&gt;" in svg
    root = ET.fromstring(svg)
    assert not [e for e in root.iter() if e.tag.split("}")[-1] in ("b", "i", "script")]
    assert texts(groups(svg)[node.id])[0] == "<i> <b>&</b>"
    dot = render.export(t, "dot", 0).decode()
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in dot and "<b>&" not in dot


# ---------------------------------------------------------------- the layout cache

def test_a_layout_is_reused_across_seeds_and_values(monkeypatch):
    render.LAYOUTS.clear()
    runs = []
    real = render.DOT.svg
    monkeypatch.setattr(render.DOT, "svg", lambda source: runs.append(source) or real(source))
    first = render.render_svg(trace(LECTURE, seed=1))
    assert render.render_svg(trace(LECTURE, seed=2)) == first
    assert render.render_svg(trace(LECTURE, {"x": {"value": [1, 2, 3, 4]}})) == first
    assert len(runs) == 1


def test_different_structures_never_share_a_layout(monkeypatch):
    """Same node count, same shapes: only the op or a name differs, and so does the layout."""
    render.LAYOUTS.clear()
    variants = ["s = sum(tanh(x))", "s = sum(relu(x))", "s = sum(tanh(y))", "t = sum(tanh(x))",
                "s = sum(tanh(x))\n"]
    svgs = [render.render_svg(trace(v, {"x": {"shape": [2, 1]}, "y": {"shape": [2, 1]}}))
            for v in variants]
    assert svgs[0] == svgs[4]                    # the same structure, written differently
    assert len({svgs[i] for i in range(4)}) == 4
    assert "relu" in svgs[1] and "tanh" not in svgs[1]
    assert ">y</text>" in svgs[2] and "&#160;t</text>" in svgs[3]


def test_the_cache_is_bounded_in_bytes():
    cache = render.LayoutCache(max_bytes=40_000)
    sizes = []
    for layers in range(1, 8):
        svg, hit = cache.get(render.structure(trace(*net(layers))))
        assert not hit
        sizes.append(len(svg))
        assert cache.size <= cache.max_bytes
    assert cache.get(render.structure(trace(*net(7))))[1]       # the newest is kept
    assert not cache.get(render.structure(trace(*net(1))))[1]   # the oldest went first


# ---------------------------------------------------------------- the span estimate

def test_leaves_count_where_dot_puts_them():
    """A 100-layer net's weights sit next to their matmul: a short span, drawn with labels."""
    t = trace(*net(100))
    assert render.layout_span(t) <= 2 * len(t.edges)
    assert render.structure(t).count("label=<<TABLE") == 0   # 4×1 edges: no labels needed
    one = {"shape": [1, 1]}
    scalar = trace(net(100)[0], {name: one for name in net(100)[1]} | {"u": one})
    assert render.layout_span(scalar) <= render.LAYOUT_SPAN_LABELLED
    assert render.structure(scalar).count("label=<<TABLE") == len(scalar.edges)


# ---------------------------------------------------------------- step k, exported

def test_state_at(xyz):
    assert xyz.state_at(0) == render.State(frozenset(), frozenset(), None)
    mid = xyz.state_at(6)
    assert mid.forward == {n.id for n in xyz.nodes}
    assert mid.backward == {xyz.output} and mid.current.node == xyz.output


def test_export_fills_the_slots_as_the_page_does(xyz):
    n = len(xyz.steps)
    at = {k: groups(render.export(xyz, "svg", k)) for k in (0, 5, 8, n)}
    x, s = "n0", xyz.output
    assert texts(at[0][x]) == ["x", "1×1", "?", "∇ ?"]
    assert texts(at[5][x]) == ["x", "1×1", "−2", "∇ ?"]
    # x + y got its gradient at step 8; it feeds two edges back, so it is named δ, and x's
    # gradient is that same δ
    assert texts(at[8]["n2"])[-1] == "∇ δ = −4"
    assert texts(at[8][x])[-1] == "∇ ?"           # x not yet
    assert texts(at[n][x]) == ["x", "1×1", "−2", "∇ δ = −4"]
    assert texts(at[n][s])[2:] == ["−12", "∇ 1"]
    edge = f"e-n2-{s}-0"
    assert [t for t in texts(at[5][edge]) if t] == ["3"]
    assert [t for t in texts(at[n][edge]) if t] == ["3", "∇ −4"]


def test_export_keeps_the_page_layout(xyz):
    """Same boxes, same places: the export is the page's layout with its slots filled."""
    def boxes(svg: str | bytes) -> dict[str, str]:
        return {gid: g.find("svg:path", NS).get("d") for gid, g in groups(svg).items()
                if gid.startswith("n")}

    page = boxes(render.render_svg(xyz))
    for k in (0, 4, len(xyz.steps)):
        assert boxes(render.export(xyz, "svg", k)) == page


def test_current_node_is_drawn_as_such(xyz):
    dot = render.export(xyz, "dot", 3).decode()
    line = next(x for x in dot.splitlines() if x.startswith("n2 "))
    assert render.PALETTE["current_line"] in line and "penwidth=3" in line


@pytest.mark.parametrize("fmt, magic", [
    ("svg", b"<svg"), ("png", b"\x89PNG"), ("pdf", b"%PDF"), ("dot", b"digraph"),
])
def test_export_formats(xyz, fmt, magic):
    data = render.export(xyz, fmt, 4)
    assert magic in data[:400] if fmt == "svg" else data.startswith(magic)


@pytest.mark.parametrize("theme, bg, grad", [("light", "#ffffff", "#b04a00"),
                                              ("dark", "#17181a", "#f07800")])
def test_an_export_has_its_theme_on_an_opaque_background(xyz, theme, bg, grad):
    """A dark slide keeps its numbers: the dark theme is the page's dark mode, and neither
    theme is transparent."""
    svg = render.export(xyz, "svg", len(xyz.steps), theme=theme).decode()
    root = ET.fromstring(svg)
    ground = root.find("svg:g/svg:polygon", NS)        # Graphviz's background, drawn first
    assert ground.get("fill") == bg and "fill=\"transparent\"" not in svg
    assert grad in svg and render.THEMES[theme]["value"] in svg
    other = render.THEMES["dark" if theme == "light" else "light"]
    assert other["bg"] not in svg and other["grad"] not in svg


def test_the_page_layout_stays_transparent(xyz):
    assert "bgcolor=transparent" in render.structure(xyz)


def test_an_unknown_theme_is_refused(xyz):
    with pytest.raises(render.BackpropError, match="theme must be one of light, dark"):
        render.export(xyz, "png", 1, theme="sepia")


def test_the_export_route_takes_a_theme(client):
    body = {"expression": XYZ[0], "variables": XYZ[1]}
    dark = client.post("/api/export?format=svg&step=3&theme=dark", json=body)
    assert dark.status_code == 200 and b"#17181a" in dark.data
    light = client.post("/api/export?format=svg&step=3", json=body)
    assert b"#ffffff" in light.data and b"#17181a" not in light.data
    bad = client.post("/api/export?format=svg&theme=blue", json=body)
    assert bad.status_code == 400 and "theme" in bad.get_json()["error"]


# ---------------------------------------------------------------- real traces

@pytest.mark.parametrize("expression", [
    "s = uᵀ f(Wx + b)",
    "z = Wx + b\nh = f(z)\ns = uᵀh",
    "h = tanh(x); s = sum(h * h)",       # fan-out: two edges from h to one node
    "s = sum(2 * x)",                    # a constant and a repeat node
    "s = sum(log(x - 10))",              # NaN values
    "s = 2 * 3",                         # no variable, no backward pass
])
def test_engine_traces_render(expression):
    t = trace(expression)
    found = groups(render.render_svg(t))
    assert {n.id for n in t.nodes} <= set(found)
    assert {e.id for e in t.edges} <= set(found)
    for node in t.nodes:
        assert len(texts(found[node.id])) == 4
    for k in range(len(t.steps) + 1):
        assert groups(render.export(t, "svg", k)).keys() >= {n.id for n in t.nodes}


def test_the_persistent_dot_survives_a_refused_graph():
    with pytest.raises(RuntimeError, match="dot"):
        render.DOT.svg("digraph { a -> }")
    assert "<svg" in render.DOT.svg("digraph { a -> b }")


def test_dot_output_has_no_process_numbering():
    """Graphviz numbers the graphs one process lays out; the SVG must not depend on that."""
    render.LAYOUTS.clear()
    one = render.render_svg(trace("s = sum(x)"))
    render.LAYOUTS.clear()
    assert render.render_svg(trace("s = sum(x)")) == one
    assert re.search(r'id="[^"]*page\d', one) is None


def test_an_export_names_delta_in_its_gradient_slots():
    t = trace(LECTURE, {"W": {"shape": [3, 4]}})
    end = t.state_at(len(t.steps))
    source = render.export_source(t, len(t.steps))
    for node in t.nodes:
        slots = render.node_slots(node, end, t.delta_names.get(node.id, ""))
        assert slots.grad.startswith("∇ δ = ") == (node.id in t.delta_names), node.label
        assert render.escape(slots.grad) in source
    assert len(t.delta_names) == 3          # z, W · x and b
