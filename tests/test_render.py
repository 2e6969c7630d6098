"""The renderer: ids on every node and edge, escaped labels, and what each step shows."""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET

import pytest

from backprop_viz import render
from backprop_viz.engine import trace_json

NS = {"svg": render.SVG_NS}


def groups(svg: str | bytes) -> dict[str, ET.Element]:
    root = ET.fromstring(svg)
    return {g.get("id"): g for g in root.iter(f"{{{render.SVG_NS}}}g") if g.get("id")}


def texts(group: ET.Element) -> list[str]:
    return [t.text for t in group.findall("svg:text", NS)]


def classed(group: ET.Element, cls: str) -> list[ET.Element]:
    return [t for t in group.findall("svg:text", NS) if t.get("class") == cls]


# ---------------------------------------------------------------- text

@pytest.mark.parametrize("raw, escaped", [
    ("<b>", "&lt;b&gt;"),
    ("a & b", "a &amp; b"),
    ('say "hi"', "say &quot;hi&quot;"),
    ("W · x", "W · x"),
])
def test_escape(raw, escaped):
    assert render.escape(raw) == escaped


@pytest.mark.parametrize("value, text", [
    (-2.0, "−2"), (0.7310586, "0.731"), (-0.0, "0"), (1234.5, "1.23e+03"),
    ("NaN", "NaN"), ("Infinity", "∞"), ("-Infinity", "−∞"),
])
def test_fmt_number(value, text):
    assert render.fmt_number(value) == text


@pytest.mark.parametrize("array, lines", [
    ([[3.0]], ["3"]),
    ([[1.0], [2.0], [3.0]], ["[1]", "[2]", "[3]"]),
    ([[1.0, 2.0], [3.0, 4.0]], ["[1, 2]", "[3, 4]"]),
    ([[float(i + 5 * r) for i in range(5)] for r in range(5)], ["[0, 1, 2, …]"]),
])
def test_value_lines_small_in_full_large_summarised(array, lines):
    assert render.value_lines(array) == lines


def test_edge_text_is_short():
    assert render.edge_text([[-4.0]]) == "−4"
    assert render.edge_text([[0.5], [1.5], [2.5]]) == "[0.5, …]"


# ---------------------------------------------------------------- the page's SVG

def test_every_node_and_edge_has_its_id(xyz_trace):
    found = groups(render.render_svg(xyz_trace))
    for node in xyz_trace["nodes"]:
        assert "node" in found[node["id"]].get("class").split()
    for edge in xyz_trace["edges"]:
        group = found[render.edge_id(edge)]
        assert (group.get("data-source"), group.get("data-target"), group.get("data-port")) == (
            edge["source"], edge["target"], str(edge["port"]))


def test_page_svg_holds_every_text_with_its_role(xyz_trace):
    """Values, gradients and the "not yet computed" lines are all laid out from the start."""
    x = groups(render.render_svg(xyz_trace))["n0"]
    assert [t.get("class") for t in x.findall("svg:text", NS)] == [
        "name", "shape", "val-label", "val", "val-pending", "grad-label", "grad", "grad-pending"]
    assert texts(x) == ["x", "1×1", "value", "−2", render.PENDING, "grad", "−4", render.PENDING]
    assert all(t.get("visibility") == "hidden" for t in classed(x, "grad-pending"))
    edge = groups(render.render_svg(xyz_trace))["edge-n2-n4-0"]
    assert [(t.get("class"), t.text) for t in edge.findall("svg:text", NS)] == [
        ("edge-val", "3"), ("edge-grad", "−4")]


def test_kinds_and_output_are_classes(xyz_trace):
    found = groups(render.render_svg(xyz_trace))
    assert "kind-variable" in found["n0"].get("class")
    assert found["n4"].get("class").split() == ["node", "kind-op", "output"]


def test_markup_in_a_label_stays_text(xyz_trace):
    trace = copy.deepcopy(xyz_trace)
    trace["nodes"][2]["label"] = "<b>&</b>"
    trace["nodes"][2]["symbol"] = "<i>"
    svg = render.render_svg(trace)
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in svg and "&lt;i&gt;" in svg
    root = ET.fromstring(svg)
    assert not [e for e in root.iter() if e.tag.split("}")[-1] in ("b", "i", "script")]
    assert texts(groups(svg)["n2"])[:2] == ["<i>", "<b>&</b>"]
    dot = render.export(trace, "dot", 0).decode()
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in dot and "<b>&" not in dot


def test_long_unnamed_labels_are_cut():
    assert render.short_label("tanh(W · x + b) + c") == "tanh(W · x + b)…"
    assert render.short_label("h") == "h"


# ---------------------------------------------------------------- step k, baked

def test_state_at(xyz_trace):
    assert render.state_at(xyz_trace, 0) == render.State(frozenset(), frozenset(), None)
    mid = render.state_at(xyz_trace, 6)
    assert mid.forward == {"n0", "n1", "n2", "n3", "n4"}
    assert mid.backward == {"n4"} and mid.current == "n4"


def test_gradient_reads_not_yet_computed_until_the_backward_pass_reaches_it(xyz_trace):
    n = len(xyz_trace["steps"])
    at = {k: groups(render.export(xyz_trace, "svg", k)) for k in (0, 5, 8, n)}
    assert texts(at[0]["n0"]) == ["x", "1×1", "value", render.PENDING, "grad", render.PENDING]
    assert texts(at[5]["n0"]) == ["x", "1×1", "value", "−2", "grad", render.PENDING]
    assert texts(at[8]["n2"])[-1] == "−4"          # x + y got its gradient at step 8
    assert texts(at[8]["n0"])[-1] == render.PENDING  # x not yet
    assert texts(at[n]["n0"]) == ["x", "1×1", "value", "−2", "grad", "−4"]
    for k, found in at.items():
        assert "0" not in [t for g in found.values() for t in texts(g)], k


def test_edges_carry_value_then_gradient(xyz_trace):
    def edge(k: int) -> list[str]:
        return texts(groups(render.export(xyz_trace, "svg", k))["edge-n2-n4-0"])

    assert edge(2) == []            # x + y not computed yet
    assert edge(3) == ["3"]         # its value flows forward
    assert edge(6) == ["3", "−4"]   # out's backward step sent −4 back along it


def test_current_node_is_drawn_as_such(xyz_trace):
    dot = render.build(xyz_trace, 3)[0].source
    line = next(x for x in dot.splitlines() if x.strip().startswith("n2 "))
    assert render.PALETTE["current_line"] in line and "penwidth=3" in line


@pytest.mark.parametrize("fmt, magic", [
    ("svg", b"<svg"), ("png", b"\x89PNG"), ("pdf", b"%PDF"), ("dot", b"digraph"),
])
def test_export_formats(xyz_trace, fmt, magic):
    data = render.export(xyz_trace, fmt, 4)
    assert magic in data[:400] if fmt == "svg" else data.startswith(magic)


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
    trace = trace_json(expression)
    found = groups(render.render_svg(trace))
    assert {n["id"] for n in trace["nodes"]} <= set(found)
    assert {render.edge_id(e) for e in trace["edges"]} <= set(found)
    for node in trace["nodes"]:
        roles = {t.get("class") for t in found[node["id"]].findall("svg:text", NS)}
        assert {"name", "shape", "val", "val-pending"} <= roles
        assert ({"grad", "grad-pending"} <= roles) == (node["grad"] is not None)


def test_hover_titles_name_the_node_not_its_id(xyz_trace):
    found = groups(render.render_svg(xyz_trace))
    assert found["n2"].find("svg:title", NS).text == "x + y"
    assert found["edge-n2-n4-0"].find("svg:title", NS).text == "x + y → out"


def test_the_page_layout_is_remembered_per_graph(monkeypatch):
    """The same graph twice runs `dot` once; another graph runs it again."""
    calls = []
    real_run = render.subprocess.run

    def counting_run(*args, **kwargs):
        calls.append(args[0])
        return real_run(*args, **kwargs)

    render._layout.cache_clear()
    monkeypatch.setattr(render.subprocess, "run", counting_run)
    lecture, other = trace_json("s = uᵀ f(Wx + b)"), trace_json("(x + y) * z")
    first = render.render_svg(lecture)
    assert render.render_svg(lecture) == first
    assert len(calls) == 1
    render.render_svg(other)
    assert len(calls) == 2
