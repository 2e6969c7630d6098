"""The renderer: a layout per structure with no number in it, slots filled per step, exports."""

from __future__ import annotations

import dataclasses
import itertools
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from checks import tanh_net as net

from backprop_viz import boxes, compiled, heat, layout, numbers, render, trace
from backprop_viz.presets import BY_ID, PRESETS

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


@pytest.mark.parametrize("label, title", [
    ("h", "h"),
    # the innermost bracket's contents go first, then the next one out
    ("tanh(W · x + b) + c + d", "tanh(…) + c + d"),
    ("s = uᵀ · tanh(W · x + b)", "s = uᵀ · tanh(…)"),
    ("f = 1 / (1 + exp(−(w0 · x0 + w1 · x1 + w2)))", "f = 1 / (…)"),
    ("x = [x_museums; x_in; x_Paris]", "x = […]"),
    # then whole operands after a loosest operator, never a part of a name
    ("w0 · x0 + w1 · x1 + w2", "w0 · x0 + … + w2"),
    ("X · W1 + repeat(b1)", "X · W1 + …"),
    # a single long name: its middle
    ("x_a_very_long_variable_name", "x_a_very_…e_name"),
])
def test_long_titles_are_cut_at_whole_operands(label, title):
    assert boxes.cut(label) == title
    assert len(title) <= boxes.NAME_CHARS


def _titles(expression: str, variables: dict | None = None) -> dict[str, str]:
    t = trace(expression, variables)
    names = boxes.titles(t)
    return {t.node(k).label: v for k, v in names.items()}


@pytest.mark.parametrize("expression, variables, expected", [
    # an op's label shows its op; a named op shows its formula: no symbol said twice
    (LECTURE, None, {"uᵀ": "uᵀ", "W · x": "W · x", "s": "s = uᵀ · tanh(…)"}),
    ("z = Wx + b\nh = f(z)\ns = uᵀh", None, {"s": "s = uᵀ · h", "h": "h = tanh(z)"}),
    # scalar products are ·; a product with an array stays ∘
    ("q = x + y\nf = q * z", None, {"f": "f = q · z"}),
    ("f = 2 * (x*y + max(z, w) + x)", None, {"x ∘ y": "x · y"}),
    ("s = sum(u * v)", {"u": {"shape": [3, 1]}, "v": {"shape": [3, 1]}},
     {"u ∘ v": "u ∘ v"}),
])
def test_titles_say_each_op_once(expression, variables, expected):
    got = _titles(expression, variables)
    for label, title in expected.items():
        assert got[label] == title, got
    for title in got.values():
        assert not re.match(r"^(ᵀ|·|∘|\+|Σ|−|/) ", title), title


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.id)
def test_two_labels_never_share_a_title(preset):
    """"w0 ∘ x0 + w1 ∘ …" twice is two nodes that look alike: cutting keeps them apart."""
    t = trace(preset.expression, preset.variables, preset.f, preset.seed)
    names = boxes.titles(t)
    by_title: dict[str, set[str]] = {}
    for node in t.nodes:
        by_title.setdefault(names[node.id], set()).add(node.label)
        assert len(names[node.id]) <= boxes.NAME_CHARS + 6
    assert all(len(labels) == 1 for labels in by_title.values()), by_title


def test_constants_are_not_dashed():
    """Dashes are the gradients' (the legend says so): a constant has square corners."""
    t = trace("f = 1 / (1 + exp(-x))")
    page = render.structure(t)
    consts = [line for line in page.splitlines() if 'class="kind-constant' in line]
    assert consts and all("dashed" not in c and 'style="filled"' in c for c in consts)
    for k in (0, len(t.steps)):
        dot = render.export(t, "dot", k).decode()
        for line in dot.splitlines():
            if 'class="kind-constant' in line:
                assert "dashed" not in line, line


# ---------------------------------------------------------------- the layout: structure only

def edge_labels(dot: str) -> int:
    return sum(" -> " in line and "label=<<TABLE" in line for line in dot.splitlines())


def test_the_page_dot_holds_no_number():
    """Values are drawn from the seed: no digit of any value may reach the layout's source
    (the boxes' sizes aside: they are numbers of the structure)."""
    a, b = trace(LECTURE, seed=1), trace(LECTURE, seed=2)
    assert render.structure(a) == render.structure(b)
    words = re.sub(r'(width|height|WIDTH|HEIGHT)="?[\d.]+"?', "", render.structure(a))
    for node in a.nodes:
        for v in node.value.ravel():
            assert numbers.number(float(v)) not in words.replace("3×4", "")


def test_every_node_and_edge_has_its_id_and_slots(xyz):
    found = groups(render.render_svg(xyz))
    for node in xyz.nodes:
        g = found[node.id]
        assert "node" in g.get("class").split()
        title = " ".join(boxes.titles(xyz)[node.id].split())
        assert texts(g) == [title, numbers.shape(node.shape), "?", "?"]
    for edge in xyz.edges:   # scalars: every edge has a value slot and a gradient slot
        assert texts(found[edge.id]) == ["?", "?"]


def test_only_a_circuit_of_scalars_has_edge_labels(xyz):
    """(x + y) z is drawn as CS231n draws it, numbers on every wire; a graph of arrays has no
    edge label, not even on the edge that carries a scalar (s → J = σ(s)): its source's box
    shows the same numbers, and one label would give every edge a rank of its own."""
    found = groups(render.render_svg(xyz))
    assert all(len(texts(found[e.id])) == 2 for e in xyz.edges)
    p = BY_ID["logistic"]
    t = trace(p.expression, p.variables, p.f, p.seed)
    found = groups(render.render_svg(t))
    carries_a_scalar = [e for e in t.edges if t.node(e.source).shape == (1, 1)]
    assert carries_a_scalar and all(texts(found[e.id]) == [] for e in t.edges)
    assert render.structure(t).count("label=<") == 0


def test_kinds_and_output_are_classes(xyz):
    found = groups(render.render_svg(xyz))
    assert "kind-variable" in found["n0"].get("class")
    assert found[xyz.output].get("class").split() == ["node", "kind-op", "output"]


def test_the_svg_is_not_rewritten_but_trimmed(xyz):
    svg = render.render_svg(xyz)
    assert svg.startswith("<svg") and "<!--" not in svg and "font-family" not in svg


def test_markup_in_a_label_stays_text():
    t = trace("s = sum(x)", {"x": {"value": [1, 2]}})
    node = t.node(t.variables["x"])
    evil = dataclasses.replace(node, label="<b>&</b>")
    t = dataclasses.replace(t, nodes=tuple(evil if n.id == node.id else n for n in t.nodes))
    svg = render.render_svg(t)
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in svg
    root = ET.fromstring(svg)
    assert not [e for e in root.iter() if e.tag.split("}")[-1] in ("b", "i", "script")]
    assert texts(groups(svg)[node.id])[0] == "<b>&</b>"
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
    assert ">y</text>" in svgs[2] and ">t = sum(tanh(x))</text>" in svgs[3]


def test_the_cache_is_bounded_in_bytes():
    cache = render.LayoutCache(max_bytes=80_000)
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
    assert edge_labels(render.structure(t)) == 0   # 4×1 edges: no labels needed
    one = {"shape": [1, 1]}
    scalar = trace(net(100)[0], {name: one for name in net(100)[1]} | {"u": one})
    assert render.layout_span(scalar) <= render.LAYOUT_SPAN_LABELLED
    assert edge_labels(render.structure(scalar)) == len(scalar.edges)


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


@pytest.mark.parametrize("preset", ["lecture", "mini-batch", "gates"])
def test_the_page_draws_each_label_where_dot_draws_the_export(preset):
    """drawn.py writes the page's labels into dot's empty boxes: the value and gradient slots
    start where dot puts them in the export's table, and the reserved heat maps cover the
    cells dot draws there (an export's map is a cell per entry)."""
    p = BY_ID[preset]
    t = trace(p.expression, p.variables, p.f, p.seed)

    def at(g: ET.Element) -> list[tuple[float, float]]:
        return [(float(e.get("x")), float(e.get("y"))) for e in g.findall("svg:text", NS)]

    def spans(g: ET.Element, fills: set[str]) -> list[tuple[float, ...]]:
        out = []
        for poly in g.iter(f"{{{SVG}}}polygon"):
            if poly.get("fill") in fills:
                xy = [float(v) for v in re.split(r"[ ,]", poly.get("points"))]
                out.append((min(xy[0::2]), min(xy[1::2]), max(xy[0::2]), max(xy[1::2])))
        return out

    page, export = groups(render.render_svg(t)), groups(render.export(t, "svg", 0))
    blank = {heat.blank(1, 1, "light")[0][0]}
    for node in t.nodes:
        mine, dots = at(page[node.id]), at(export[node.id])
        for (x, y), (x2, y2) in zip(mine[2:], dots[2:], strict=True):
            assert abs(x - x2) < 0.6 and abs(y - y2) < 0.6, node
        reserved = spans(page[node.id], {boxes.HEAT_VALUE_FILL, boxes.HEAT_GRAD_FILL})
        cells = spans(export[node.id], blank)
        for x0, y0, x1, y1 in reserved:
            inside = [c for c in cells if x0 - 0.6 <= c[0] and c[2] <= x1 + 0.6
                      and y0 - 0.6 <= c[1] and c[3] <= y1 + 0.6]
            b = boxes.boxes(t)[node.id]
            assert len(inside) == b.rows * b.cols, node


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


# ---------------------------------------------------------------- the layout chosen for the box

def counted_dot_runs(monkeypatch) -> list[str]:
    """Every DOT source laid out from now on, by either of render's two `dot`s (a small graph's
    candidates are laid out by both at once)."""
    runs: list[str] = []
    for dot in (render.DOT, render.MEASURE_DOT):
        monkeypatch.setattr(dot, "svg", lambda source, real=dot.svg: runs.append(source)
                            or real(source))
    return runs


def test_two_aspects_never_share_a_structure_or_a_layout(client, monkeypatch):
    """A wide box and a tall one: two structures, two layouts (each chosen from the layouts
    `dot` made of the candidates); a second request in the same bucket, or for new numbers,
    lays nothing out again."""
    render.LAYOUTS.clear()
    compiled.CACHE.clear()
    runs = counted_dot_runs(monkeypatch)
    body = {"expression": "z = Wx + b\nh = f(z)\ns = uᵀh"}
    wide = client.post("/api/trace", json=body | {"aspect": 3.0}).get_json()
    tall = client.post("/api/trace", json=body | {"aspect": 0.4}).get_json()
    assert wide["structure"] != tall["structure"] and wide["svg"] != tall["svg"]
    laid = len(runs)
    assert laid >= 2 and len(set(runs)) == laid      # no layout was made twice
    near = client.post("/api/trace", json=body | {"aspect": 3.05, "seed": 4}).get_json()
    assert near["structure"] == wide["structure"] and near["svg"] == wide["svg"]
    numbers_only = client.post("/api/trace", json=body | {
        "aspect": 3.0, "seed": 5, "structure": wide["structure"]}).get_json()
    assert set(numbers_only) == {"structure", "numbers"}
    assert len(runs) == laid


@pytest.mark.parametrize("aspect", [0, -1, "wide", True, [2], {}])
def test_a_bad_aspect_is_a_400(client, aspect):
    r = client.post("/api/trace", json={"expression": LECTURE, "aspect": aspect})
    assert r.status_code == 400 and "aspect" in r.get_json()["error"]


@pytest.mark.parametrize("aspect, direction", [(2.0, "LR"), (3.0, "TB")])
def test_a_long_chain_folds_in_reading_order(aspect, direction):
    """The sigmoid neuron's chain is cut into folds, laid out one after the other (rows in LR,
    columns in TB), fold k before fold k + 1."""
    p = BY_ID["sigmoid-neuron"]
    t = trace(p.expression, p.variables, p.f, p.seed)
    plan = render.plan_for(t, aspect)
    assert plan.direction == direction and plan.folds >= 2
    fold, _ = layout.segments({n.id: n.inputs for n in t.nodes}, plan.folds)
    found = groups(render.render_svg(t, aspect))
    axis = 1 if direction == "LR" else 0
    def place(nid: str) -> float:   # the title's place: y grows up in dot's SVG (negative)
        text = found[nid].find("svg:text", NS)
        return -float(text.get("y")) if axis else float(text.get("x"))
    spans = [[place(n) for n in fold if fold[n] == f] for f in range(plan.folds)]
    for a, b in itertools.pairwise(spans):
        assert (min(a) > max(b)) if axis else (max(a) < min(b)), spans


def test_the_page_reserves_the_heat_map_cells():
    """An array's box holds a value map and (where it has a gradient) a gradient map, sized by
    its shape and capped; a scalar has none. The cells are placeholders: no number."""
    t = trace(LECTURE)
    found = groups(render.render_svg(t))
    for node in t.nodes:
        fills = [p.get("fill") for p in found[node.id].findall("svg:polygon", NS)]
        maps = [f for f in fills if f in (boxes.HEAT_VALUE_FILL, boxes.HEAT_GRAD_FILL)]
        if node.shape == (1, 1):
            assert maps == [], node.label
        else:
            assert maps == [boxes.HEAT_VALUE_FILL, boxes.HEAT_GRAD_FILL], node.label
    assert boxes.heat_cells((30, 50)) == (boxes.HEAT_ROWS, boxes.HEAT_COLS)
    assert boxes.heat_cells((3, 1)) == (3, 1)


def test_the_heat_maps_keep_the_margin_the_texts_keep():
    """An array's box: its texts start PAD in from its left edge and its heat maps end PAD in
    from its right edge, give or take dot's half-point inset of the table (the maps were
    HEAT_GAP + PAD in: every array's box was 3 points wider than its contents need)."""
    t = trace(LECTURE)
    found = groups(render.render_svg(t))
    for node in t.nodes:
        if node.shape == (1, 1):
            continue
        g = found[node.id]
        shape = next(e for e in g if e.tag.split("}")[1] in ("path", "polygon"))
        xs = [float(v) for v in re.split(r"[ ,MCLZ]+", shape.get("d") or shape.get("points"))
              if v][0::2]
        maps = [float(v) for poly in g.findall("svg:polygon", NS)
                if poly.get("fill") in (boxes.HEAT_VALUE_FILL, boxes.HEAT_GRAD_FILL)
                for v in re.split(r"[ ,]", poly.get("points"))[0::2]]
        left = min(float(e.get("x")) for e in g.findall("svg:text", NS))
        assert left - min(xs) == pytest.approx(boxes.PAD + 0.5, abs=0.05), node.label
        assert max(xs) - max(maps) == pytest.approx(boxes.PAD - 0.5, abs=0.05), node.label


def test_an_export_fills_the_heat_maps():
    """Step 0: every cell neutral; the end: W's value cells in the diverging palette, its
    gradient cells too, on the scale of the largest |entry|."""
    t = trace(LECTURE)
    w = t.node(t.variables["W"])
    scale = heat.scales(t)
    start = render.export_source(t, 0)
    end = render.export_source(t, len(t.steps))
    for row in heat.colours(w.value, 3, 4, scale.value):
        for c in row:
            assert c in end and (c not in start or c == heat.PALETTES["light"][1])
    assert heat.colour(scale.value, scale.value) == heat.PALETTES["light"][2]
    assert heat.colour(-scale.grad, scale.grad) == heat.PALETTES["light"][0]
    assert heat.colour(0.0, 1.0, "dark") == heat.PALETTES["dark"][1]


@pytest.mark.parametrize("preset", ["two-layer-softmax", "sigmoid-neuron", "gates", "ner-window"])
def test_only_candidates_the_estimate_leaves_a_chance_are_laid_out(preset, monkeypatch):
    """A small graph's layout is chosen from dot's own sizes (render.plan_for), but a candidate
    whose estimate is worse than the best by more than the estimate's error is not laid out:
    the choice is the one laying out every candidate gives, for fewer dot runs."""
    p = BY_ID[preset]
    t = trace(p.expression, p.variables, p.f, p.seed)
    runs = counted_dot_runs(monkeypatch)

    def laid(aspect: float, error: float) -> tuple[layout.Layout, int]:
        monkeypatch.setattr(layout, "ESTIMATE_ERROR", error)
        render.LAYOUTS.clear()
        runs.clear()
        return render.plan_for(t, aspect), len(runs)

    default = layout.ESTIMATE_ERROR
    for aspect in (0.707, 1.414, 2.0, 2.828):
        chosen, pruned = laid(aspect, default)
        every, all_runs = laid(aspect, 1e9)
        assert chosen == every and pruned <= all_runs, aspect
