"""Trace → Graphviz: the graph is laid out once, and every step is only a change of classes.

The page's SVG (`svg`) holds every text a node or edge can ever show — name, symbol, shape, value
lines, gradient lines, and a "not yet computed" line over each — each `<text>` tagged with a class
(its role), so the page's CSS shows what step k knows without laying anything out again. Exports
(`export`) bake step k into the DOT attributes instead, because no CSS reaches a PNG or a PDF.
No arithmetic on values happens here: every number comes from the trace.
"""

from __future__ import annotations

import functools
import html
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import graphviz

from .errors import BackpropError
from .limits import (
    DOT_TIMEOUT_SECONDS,
    LAYOUT_CACHE_ENTRIES,
    LAYOUT_CACHE_SOURCE_CHARS,
    LAYOUT_SPAN_LABELLED,
    LAYOUT_SPAN_MAX,
)

# ---------------------------------------------------------------- colours, fonts, shapes

FONT = "Helvetica,Arial,sans-serif"
PALETTE = {
    "value": "#1a7f37",        # forward values, green as CS231n draws them
    "grad": "#c62828",         # gradients, red
    "muted": "#6b6b6b",        # shapes, row labels, "not yet computed"
    "ink": "#1f1f1f",          # names, symbols, finished edges
    "pending_fill": "#f3f3f3",
    "pending_line": "#b5b5b5",
    "fill": "#ffffff",
    "variable_fill": "#eef4ff",
    "constant_fill": "#f7f7f7",
    "current_fill": "#fff3c4",
    "current_line": "#e08a00",
}
FILL = {"variable": PALETTE["variable_fill"], "constant": PALETTE["constant_fill"],
        "op": PALETTE["fill"]}
PENDING = "not yet computed"
SVG_NS = "http://www.w3.org/2000/svg"
EXPORT_TYPES = {
    "svg": "image/svg+xml",
    "png": "image/png",
    "pdf": "application/pdf",
    "dot": "text/vnd.graphviz; charset=utf-8",
}

ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")


def escape(text: str) -> str:
    """Text for a Graphviz HTML-like label: markup in a name or number stays text."""
    return html.escape(text, quote=True)


# ---------------------------------------------------------------- numbers → text

MINUS = "\u2212"
NON_FINITE = {"NaN": "NaN", "Infinity": "∞", "-Infinity": f"{MINUS}∞"}


def fmt_number(v: float | str) -> str:
    """Three significant digits, a true minus sign; the engine's "NaN"/"±Infinity" as symbols."""
    if isinstance(v, str):
        return NON_FINITE.get(v, v)
    text = f"{v:.3g}"
    return "0" if text == "-0" else text.replace("-", MINUS)


def fmt_shape(shape: list[int]) -> str:
    return f"{shape[0]}×{shape[1]}"


def _row(values: list) -> str:
    return "[" + ", ".join(fmt_number(v) for v in values) + "]"


def value_lines(a: list[list]) -> list[str]:
    """Up to 4×4 in full, one line per row (a column stays a column); larger ones summarised
    as their first entries, the shape being on the line above."""
    rows, cols = len(a), len(a[0])
    if rows * cols == 1:
        return [fmt_number(a[0][0])]
    if rows <= 4 and cols <= 4:
        return [_row(r) for r in a]
    flat = [v for r in a[:2] for v in r][:3]
    return ["[" + ", ".join(fmt_number(v) for v in flat) + ", …]"]


def edge_text(a: list[list]) -> str:
    """What an edge carries, kept short (edge labels widen the layout): a scalar in full, an
    array as its first entry and an ellipsis."""
    if len(a) * len(a[0]) == 1:
        return fmt_number(a[0][0])
    return f"[{fmt_number(a[0][0])}, …]"


def short_label(label: str, limit: int = 16) -> str:
    """A node's name as drawn: an unnamed node's long expression text is cut, the panel has it."""
    return label if len(label) <= limit else label[:limit - 1] + "…"


# ---------------------------------------------------------------- step k → state

@dataclass(frozen=True)
class State:
    """What step k knows: nodes with a value, nodes with a gradient, the current node."""

    forward: frozenset[str]
    backward: frozenset[str]
    current: str | None


def state_at(trace: dict, k: int) -> State:
    """k steps applied (0 ≤ k ≤ N); the page computes the same in static/app.js."""
    done = trace["steps"][:k]
    return State(
        forward=frozenset(s["node"] for s in done if s["phase"] == "forward"),
        backward=frozenset(s["node"] for s in done if s["phase"] == "backward"),
        current=done[-1]["node"] if done else None,
    )


def _edge_grads(trace: dict) -> dict[tuple[str, str, int], list[list]]:
    """(source, target, port) → the gradient that edge carries back (the target's downstream)."""
    return {(i["node"], s["node"], i["port"]): i["downstream"]
            for s in trace["steps"] if s["phase"] == "backward" for i in s["inputs"]}


def edge_id(edge: dict) -> str:
    return f"edge-{edge['source']}-{edge['target']}-{edge['port']}"


# ---------------------------------------------------------------- labels

@dataclass(frozen=True)
class Line:
    """One `<text>` of a label: its role (the class the page styles) and its content."""

    role: str
    text: str
    color: str
    size: int = 10
    bold: bool = False
    italic: bool = False

    def html(self) -> str:
        body = escape(self.text)
        if self.bold:
            body = f"<B>{body}</B>"
        if self.italic:
            body = f"<I>{body}</I>"
        return f'<FONT COLOR="{self.color}" POINT-SIZE="{self.size}">{body}</FONT>'


SPAN2 = ' COLSPAN="2"'
MIN_WIDTH = ' WIDTH="78"'   # room for "not yet computed" where the page shows it


def _cell(line: Line, extra: str = "") -> str:
    return f'<TD ALIGN="LEFT"{extra}>{line.html()}</TD>'


def _array_rows(tag: str, lines: list[Line]) -> tuple[list[str], list[str]]:
    """A row label ("value"/"grad") spanning its lines; the first line reserves room for
    "not yet computed" so the page can show it in that line's place."""
    label = Line(f"{tag}-label", "value" if tag == "val" else "grad", PALETTE["muted"], 8)
    rows = [f'<TR><TD ALIGN="LEFT" VALIGN="TOP" ROWSPAN="{len(lines)}">{label.html()}</TD>'
            f"{_cell(lines[0], MIN_WIDTH)}</TR>"]
    rows += [f"<TR>{_cell(line)}</TR>" for line in lines[1:]]
    return rows, [label.role] + [line.role for line in lines]


def _node_label(node: dict, show_value: bool | None, show_grad: bool | None,
                ) -> tuple[str, list[str]]:
    """The HTML-like label and the role of each `<text>` Graphviz will draw from it, in order.
    show_* None: every text, for the page; True/False: baked for an export at some step."""
    ink = PALETTE["ink"]
    name = Line("name", short_label(node["label"]), ink, 11, bold=True)
    if node["kind"] == "op":
        symbol = Line("symbol", node["symbol"] or node["op"], ink, 13, bold=True)
        rows = [f"<TR>{_cell(symbol)}{_cell(name)}</TR>"]
        roles = ["symbol", "name"]
    else:
        rows = [f"<TR>{_cell(name, SPAN2)}</TR>"]
        roles = ["name"]
    shape = Line("shape", fmt_shape(node["shape"]), PALETTE["muted"], 8)
    rows.append(f"<TR>{_cell(shape, SPAN2)}</TR>")
    roles.append("shape")
    arrays = [("val", node["value"], PALETTE["value"], show_value)]
    if node["grad"] is not None:
        arrays.append(("grad", node["grad"], PALETTE["grad"], show_grad))
    for tag, array, color, shown in arrays:
        if shown is False:
            lines = [Line(f"{tag}-pending", PENDING, PALETTE["muted"], 9, italic=True)]
        else:
            lines = [Line(tag, text, color) for text in value_lines(array)]
        more_rows, more_roles = _array_rows(tag, lines)
        rows += more_rows
        roles += more_roles
    table = ('<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">'
             + "".join(rows) + "</TABLE>>")
    return table, roles


def _edge_label(lines: list[Line]) -> tuple[str, list[str]]:
    if not lines:
        return "", []
    rows = "".join(f"<TR>{_cell(line)}</TR>" for line in lines)
    table = f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0">{rows}</TABLE>>'
    return table, [line.role for line in lines]


# ---------------------------------------------------------------- the DOT graph

def layout_span(trace: dict) -> int:
    """How many ranks the edges cross in all, ranks by longest path as `dot` assigns them:
    the measure of what laying the graph out will cost."""
    preds: dict[str, list[str]] = {n["id"]: [] for n in trace["nodes"]}
    for e in trace["edges"]:
        preds[e["target"]].append(e["source"])
    rank: dict[str, int] = {}
    for node in trace["nodes"]:            # the trace lists nodes in topological order
        rank[node["id"]] = max((rank[p] + 1 for p in preds[node["id"]]), default=0)
    return sum(rank[e["target"]] - rank[e["source"]] for e in trace["edges"])


def _digraph(summarised: bool) -> graphviz.Digraph:
    g = graphviz.Digraph("backprop", engine="dot")
    g.attr(rankdir="LR", bgcolor="transparent", nodesep="0.3", ranksep="0.35",
           fontname=FONT, ordering="in")
    if summarised:  # bound network simplex and mincross: a slightly looser layout, in time
        g.attr(nslimit="0.2", mclimit="0.1")
    g.attr("node", shape="box", style="rounded,filled", fontname=FONT, margin="0.06,0.04",
           color=PALETTE["ink"], penwidth="1.2")
    g.attr("edge", fontname=FONT, color=PALETTE["ink"], arrowsize="0.7")
    return g


def build(trace: dict, step: int | None = None) -> tuple[graphviz.Digraph, dict[str, list[str]]]:
    """The DOT graph and each element's text roles. step None: every text, states left to the
    page's classes; step k: what step k knows, with its colours, baked in."""
    span = layout_span(trace)
    if span > LAYOUT_SPAN_MAX:
        raise BackpropError(f"the graph is too tangled to draw: its edges cross {span} ranks in "
                            f"all, the limit is {LAYOUT_SPAN_MAX}; split it into smaller "
                            f"expressions or reuse fewer names far apart")
    summarised = span > LAYOUT_SPAN_LABELLED
    state = None if step is None else state_at(trace, step)
    grads = _edge_grads(trace)
    nodes = {n["id"]: n for n in trace["nodes"]}
    output = _output_node(trace)
    g = _digraph(summarised)
    roles: dict[str, list[str]] = {}
    for node in trace["nodes"]:
        nid = node["id"]
        attrs = {"id": nid, "class": f"kind-{node['kind']}", "fillcolor": FILL[node["kind"]]}
        if nid == output:
            attrs["class"] += " output"
            attrs["peripheries"] = "2"
        if node["kind"] == "constant":
            attrs["style"] = "rounded,filled,dashed"
        if state is None:
            label, roles[nid] = _node_label(node, None, None)
        else:
            label, roles[nid] = _node_label(node, nid in state.forward, nid in state.backward)
            attrs.update(_baked_node(nid, state))
        g.node(nid, label=label, **attrs)
    for edge in trace["edges"]:
        src, eid = edge["source"], edge_id(edge)
        key = (src, edge["target"], edge["port"])
        lines = [Line("edge-val", edge_text(nodes[src]["value"]), PALETTE["value"], 9)]
        if key in grads and nodes[src]["kind"] != "constant":
            lines.append(Line("edge-grad", edge_text(grads[key]), PALETTE["grad"], 9))
        attrs = {"id": eid}
        if state is not None:
            lines = [line for line in lines if
                     (line.role == "edge-val" and src in state.forward)
                     or (line.role == "edge-grad" and edge["target"] in state.backward)]
            attrs.update(_baked_edge(edge, state))
        label, roles[eid] = _edge_label([] if summarised else lines)
        if label:
            attrs["label"] = label
        g.edge(src, edge["target"], **attrs)
    return g, roles


def _output_node(trace: dict) -> str:
    """The output node's id: the first node of the backward pass, else the last one forward."""
    backward = [s for s in trace["steps"] if s["phase"] == "backward"]
    return backward[0]["node"] if backward else trace["steps"][-1]["node"]


def _baked_node(nid: str, state: State) -> dict[str, str]:
    if nid == state.current:
        return {"fillcolor": PALETTE["current_fill"], "color": PALETTE["current_line"],
                "penwidth": "3"}
    if nid in state.backward:
        return {"color": PALETTE["grad"], "penwidth": "1.6"}
    if nid in state.forward:
        return {"color": PALETTE["value"], "penwidth": "1.4"}
    return {"fillcolor": PALETTE["pending_fill"], "color": PALETTE["pending_line"]}


def _baked_edge(edge: dict, state: State) -> dict[str, str]:
    if edge["target"] == state.current:
        return {"color": PALETTE["current_line"], "penwidth": "2.2"}
    if edge["source"] in state.forward:
        return {}
    return {"color": PALETTE["pending_line"]}


# ---------------------------------------------------------------- outputs

def render_svg(trace: dict) -> str:
    """The page's SVG: laid out once; every `<text>` classed by role; node and edge groups
    carry the trace's ids (edges also data-source/-target/-port) for the page to class."""
    g, roles = build(trace)
    source = g.source
    raw = _layout(source) if len(source) <= LAYOUT_CACHE_SOURCE_CHARS else _run_dot(source, "svg")
    root = ET.fromstring(raw)
    edges = {edge_id(e): e for e in trace["edges"]}
    labels = {n["id"]: n["label"] for n in trace["nodes"]}
    for group in root.iter(f"{{{SVG_NS}}}g"):
        gid = group.get("id")
        if gid not in roles:
            continue
        title = group.find(f"{{{SVG_NS}}}title")   # the hover text: the full name, not "n3"
        title.text = labels[gid] if gid in labels else (
            f"{labels[edges[gid]['source']]} → {labels[edges[gid]['target']]}")
        texts = group.findall(f"{{{SVG_NS}}}text")
        if len(texts) != len(roles[gid]):
            raise RuntimeError(f"{gid}: Graphviz drew {len(texts)} texts, expected "
                               f"{len(roles[gid])}")
        for i, (text, role) in enumerate(zip(texts, roles[gid], strict=True)):
            text.set("class", role)
            if role in ("val", "grad") and roles[gid].index(role) == i:
                _add_pending(group, text, f"{role}-pending")
        if gid in edges:
            for attr in ("source", "target", "port"):
                group.set(f"data-{attr}", str(edges[gid][attr]))
    return ET.tostring(root, encoding="unicode")


def _add_pending(group: ET.Element, line: ET.Element, role: str) -> None:
    """A "not yet computed" text over the first value/gradient line; hidden unless the page's
    CSS shows it, so the SVG on its own reads as the finished pass."""
    pending = ET.Element(f"{{{SVG_NS}}}text", {
        "class": role, "text-anchor": "start", "x": line.get("x", "0"), "y": line.get("y", "0"),
        "font-family": FONT, "font-size": "9.00", "font-style": "italic",
        "fill": PALETTE["muted"], "visibility": "hidden",
    })
    pending.text = PENDING
    pending.tail = line.tail
    group.insert(list(group).index(line) + 1, pending)


def export(trace: dict, fmt: str, step: int) -> bytes:
    """The diagram at step k as a file: svg, png, pdf, or the DOT source."""
    g, _ = build(trace, step)
    if fmt == "dot":
        return g.source.encode()
    if fmt == "png":
        g.attr(dpi="144")   # twice the default: sharp on a slide or a high-density screen
    return _run_dot(g.source, fmt)


@functools.lru_cache(maxsize=LAYOUT_CACHE_ENTRIES)
def _layout(source: str) -> bytes:
    """The page's layout, remembered: a class opening the same preset asks for the same graph
    again and again, and `dot` is nearly all of such a request's time (`make bench`)."""
    return _run_dot(source, "svg")


def _run_dot(source: str, fmt: str) -> bytes:
    """Graphviz's `dot` under a time limit (the graphviz package's pipe has none): past it the
    process is killed and reaped by subprocess.run, and the caller gets a clear error."""
    try:
        done = subprocess.run(["dot", f"-T{fmt}"], input=source.encode(), capture_output=True,
                              timeout=DOT_TIMEOUT_SECONDS, check=True)
    except subprocess.TimeoutExpired:
        raise BackpropError(f"laying out the graph took longer than the limit of "
                            f"{DOT_TIMEOUT_SECONDS:g} s: try a smaller expression") from None
    return done.stdout
