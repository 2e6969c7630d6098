"""Trace → Graphviz. The layout depends on the graph's structure alone, so it is laid out once
per structure and remembered; the numbers go into fixed-size slots afterwards.

The page's SVG (`svg`) comes from a DOT source that holds no number: every node is a box of a
fixed size with four lines (title, shape, value slot, gradient slot), written into the laid-out
SVG by drawn.py (dot lays out empty boxes: its HTML-like labels were half its time), and
every edge that carries a scalar a label of a fixed size with two (value slot above, gradient
slot below), as CS231n draws them. An edge carrying an array has no label: its source node
shows the array. The page fills the slots from the trace at each step. Exports (`export`) fill
the same slots here, from the same trace and the same number format, in a DOT whose boxes and
labels have the same sizes, so `dot` places everything where the page has it. No arithmetic on
values happens here.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from . import boxes, budget, drawn, heat, layout, numbers
from .dot import DotProcess, run_dot
from .errors import BackpropError
from .limits import (
    LAYOUT_CACHE_BYTES,
    LAYOUT_SPAN_LABELLED,
    LAYOUT_SPAN_MAX,
)
from .tracedata import BackwardStep, Edge, Node, State, Trace

# ---------------------------------------------------------------- colours, fonts, sizes

FONT = "Helvetica,Arial,sans-serif"
# Light theme; the page's CSS has the same roles (and a dark theme) in static/app.css. Values
# and gradients differ in luminance and in a cue that is not colour: a gradient line starts
# with ∇, and a node whose gradient is known has a dashed, thicker border.
PALETTE = {
    "value": "#0a3069",        # forward values: dark blue, relative luminance 0.03
    "grad": "#b04a00",         # gradients: orange, 5.2:1 on the panel (WCAG AA), luminance 0.14
    "muted": "#6b6b6b",        # shapes, "?"
    "ink": "#1f1f1f",
    "pending_fill": "#f3f3f3",
    "pending_line": "#b5b5b5",
    "fill": "#ffffff",
    "variable_fill": "#eef4ff",
    "constant_fill": "#f7f7f7",
    "current_fill": "#fff3c4",
    "current_line": "#e08a00",
    "bg": "#ffffff",           # an export's background: opaque, so a slide's own never shows
}
# The page's dark theme (static/app.css's prefers-color-scheme: dark), for exports on a dark
# slide: light values, orange gradients, dark fills.
DARK = {
    "value": "#b8e0ff", "grad": "#f07800", "muted": "#a3a3a3", "ink": "#ececec",
    "pending_fill": "#1f2023", "pending_line": "#5b5d62", "fill": "#222428",
    "variable_fill": "#1d2a3d", "constant_fill": "#26272b", "current_fill": "#4a3b0c",
    "current_line": "#ffb020", "bg": "#17181a",
}
THEMES = {"light": PALETTE, "dark": DARK}


def fills(palette: dict[str, str]) -> dict[str, str]:
    return {"variable": palette["variable_fill"], "constant": palette["constant_fill"],
            "op": palette["fill"]}


FILL = fills(PALETTE)
FONT_SIZE = boxes.FONT_SIZE
EDGE_FONT_SIZE = 12
PENDING = "?"                  # a slot whose number is not computed yet
GRAD_MARK = boxes.GRAD_MARK
EXPORT_TYPES = {
    "svg": "image/svg+xml",
    "png": "image/png",
    "pdf": "application/pdf",
    "dot": "text/vnd.graphviz; charset=utf-8",
}


def escape(text: str) -> str:
    """Text for a DOT string or a Graphviz HTML-like label: markup stays text."""
    return html.escape(text, quote=True)


# ---------------------------------------------------------------- slots

@dataclass(frozen=True)
class Slots:
    """The texts step k shows in a node's or an edge's two slots."""

    value: str
    grad: str


def named(delta: str) -> str:
    """What a gradient slot says before the numbers when the gradient is a named δ."""
    return f"{delta} = " if delta else ""


def node_slots(node: Node, state: State, delta: str = "") -> Slots:
    """The slots' texts; `delta` names the gradient where it is a δ ("∇ δ = [0.12; …]")."""
    n = boxes.ENTRIES
    value = numbers.brief(node.value, n) if node.id in state.forward else PENDING
    if node.grad is None:
        grad = ""
    elif node.id in state.backward:
        grad = GRAD_MARK + named(delta) + numbers.brief(node.grad, n)
    else:
        grad = GRAD_MARK + PENDING
    return Slots(value, grad)


def labelled(trace: Trace) -> frozenset[str]:
    """The edges that have a label: in a circuit of scalars (every node 1×1, as CS231n draws
    one), the numbers on its wires. In a graph of arrays an edge carrying a scalar has none: its
    source's box shows the same numbers, and one label anywhere makes `dot` give every edge a
    rank of its own (the spiral's single one, mean → L, made its graph 949 points wide, not 863)."""
    if any(node.shape != (1, 1) for node in trace.nodes):
        return frozenset()
    return frozenset(e.id for e in trace.edges)


def _shown(trace: Trace, labels: bool) -> frozenset[str]:
    """The edges drawn with a label: `labelled`, where the graph's span allows labels at all."""
    return labelled(trace) if labels else frozenset()


def edge_slots(trace: Trace, edge: Edge, state: State) -> Slots:
    grad = trace.edge_grads.get((edge.source, edge.target, edge.port))
    source = trace.node(edge.source)
    value = numbers.number(float(source.value[0, 0])) if edge.source in state.forward else ""
    shown = grad is not None and edge.target in state.backward
    return Slots(value, GRAD_MARK + numbers.number(float(grad[0, 0])) if shown else "")


EDGE_LABEL_SIZE = (round(boxes.points(numbers.WIDEST + len(GRAD_MARK), EDGE_FONT_SIZE)),
                   round(2 * boxes.LINE_HEIGHT * EDGE_FONT_SIZE))


# ---------------------------------------------------------------- the DOT source

def layout_span(trace: Trace) -> int:
    """How many ranks the edges cross in all, ranks as `dot` assigns them: the measure of what
    laying the graph out will cost (budget.span)."""
    return budget.span({node.id: node.inputs for node in trace.nodes})


def _check_span(trace: Trace) -> bool:
    """Whether edge labels are drawn; refuses a graph that would take too long to lay out."""
    span = layout_span(trace)
    if span > LAYOUT_SPAN_MAX:
        raise budget.tangled(span)
    return span <= LAYOUT_SPAN_LABELLED


def _head(labels: bool, plan: layout.Layout, palette: dict[str, str] = PALETTE,
          bg: str = "transparent", wired: bool = False) -> list[str]:
    """The graph's defaults: the page's is transparent (its CSS themes it); an export's
    background is its theme's, opaque. `wired`: some edge has a label."""
    loose = "" if labels else " nslimit=0.2 mclimit=0.1"   # bounded work for huge graphs
    # An edge label is a rank of its own between two nodes, so a labelled graph's two nodes are
    # two separations and a label apart: 0.15 in each (the sigmoid neuron then fits a laptop's
    # graph box with the panel beside it). Without labels two ranks are one separation apart,
    # 0.12 in (8.6 points: an arrowhead and a stub), as the spiral's five columns need to fit
    # a laptop's graph box at 12 px.
    sep = 0.15 if wired else 0.12
    ground = "bgcolor=transparent" if bg == "transparent" else \
        f'bgcolor="{bg}" fontcolor="{palette["ink"]}"'
    return [
        "digraph backprop {",
        f'graph [id="graph-layout" rankdir={plan.direction} {ground} nodesep=0.18 '
        f'ranksep={sep} ordering=in fontname="{FONT}"{loose}]',
        f'node [shape=box style="rounded,filled" fixedsize=true margin=0 fontname="{FONT}" '
        f'fontsize={FONT_SIZE} color="{palette["ink"]}" penwidth=1.2]',
        f'edge [fontname="{FONT}" fontsize={EDGE_FONT_SIZE} color="{palette["ink"]}" '
        f'arrowsize=0.7]',
    ]


def _node_attrs(trace: Trace, node: Node, b: boxes.Box, fill: dict[str, str] = FILL) -> str:
    """A constant has square corners (a style means one thing: dashes are gradients')."""
    cls = f"kind-{node.kind}" + (" output" if node.id == trace.output else "")
    extra = ' peripheries=2' if node.id == trace.output else ""
    if node.kind == "constant":
        extra += ' style="filled"'
    return (f'id="{node.id}" class="{cls}" width={b.width / 72:.3f} '
            f'height={b.height / 72:.3f} fillcolor="{fill[node.kind]}"{extra}')


MEASURED_NODES = 40   # a graph this small is laid out each way for its box, the best kept


def plan_for(trace: Trace, aspect: float | None,
             sized: dict[str, boxes.Box] | None = None) -> layout.Layout:
    """The layout for a box of this aspect (layout.choose); a small graph's from the sizes
    `dot` lays each candidate out at (remembered in LAYOUTS): the boxes' estimate missed by
    up to a third (the two-layer softmax's four folds came out 1.6 times as tall)."""
    sized = sized or boxes.boxes(trace)
    labels = _check_span(trace)
    label = EDGE_LABEL_SIZE if _shown(trace, labels) else None
    measure = None
    if aspect is not None and len(trace.nodes) <= MEASURED_NODES:
        def measure(plans: Sequence[layout.Layout]) -> list[tuple[float, ...]]:
            # two `dot`s at once: every other candidate laid out by the second one
            sources = [_page_source(trace, plan, sized, labels)[0] for plan in plans]
            distinct = list(dict.fromkeys(sources))   # two folds of a short chain can be alike
            other = _MEASURING.submit(lambda: [LAYOUTS.get(s, MEASURE_DOT)[0]
                                               for s in distinct[1::2]])
            svgs = {s: LAYOUTS.get(s)[0] for s in distinct[0::2]}
            svgs |= dict(zip(distinct[1::2], other.result(), strict=True))
            return [_view_box(svgs[s]) for s in sources]
    return layout.choose({n.id: n.inputs for n in trace.nodes},
                         {k: (b.width, b.height) for k, b in sized.items()}, aspect, label,
                         measure)


def _view_box(svg: str) -> tuple[float, ...]:
    """An SVG's width and height in points, from its viewBox."""
    return tuple(float(v) for v in re.search(r'viewBox="([^"]+)"', svg)[1].split()[2:])


def _body(trace: Trace, plan: layout.Layout, nodes: dict[str, str], edges: dict[str, str]
          ) -> list[str]:
    """The nodes and the edges; a folded chain's folds in order. An edge between two folds does
    not rank its ends (each fold starts again at the first rank); each rank is pinned, and
    invisible edges inside it keep fold f before fold f + 1 (above it in LR, left of it in TB:
    dot keeps a flat edge's tail first)."""
    out = list(nodes.values())
    if plan.folds == 1:
        return out + list(edges.values())
    fold, level = layout.segments({n.id: n.inputs for n in trace.nodes}, plan.folds)
    for e in trace.edges:   # an edge between folds has no label: its ends show its numbers
        line = edges[e.id]
        if fold[e.source] != fold[e.target]:
            line = re.sub(r" label=<<TABLE.*</TABLE>>", "", line)[:-1] + " constraint=false]"
        out.append(line)
    for r in sorted(set(level.values())):
        at = [n for n in nodes if level[n] == r]
        out.append("{rank=same; " + "; ".join(at) + "}")
        by_fold: dict[int, list[str]] = {}
        for n in at:
            by_fold.setdefault(fold[n], []).append(n)
        order = sorted(by_fold)
        out += [f"{a} -> {b} [style=invis]" for f, g in itertools.pairwise(order)
                for a in by_fold[f] for b in by_fold[g]]
    return out


def structure(trace: Trace, aspect: float | None = None) -> str:
    """The page's DOT: the graph's structure, boxes of fixed sizes with empty labels (drawn.py
    writes their texts and heat-map cells into the SVG), edge labels with slot placeholders,
    no number; laid out for a box of this aspect."""
    return _page(trace, aspect)[0]


def _page(trace: Trace, aspect: float | None) -> tuple[str, dict[str, drawn.Label]]:
    """The page's DOT and the labels drawn into its SVG."""
    labels = _check_span(trace)
    sized = boxes.boxes(trace)
    return _page_source(trace, plan_for(trace, aspect, sized), sized, labels)


def _page_source(trace: Trace, plan: layout.Layout, sized: dict[str, boxes.Box],
                 labels: bool) -> tuple[str, dict[str, drawn.Label]]:
    shown = _shown(trace, labels)
    out = _head(labels, plan, wired=bool(shown))
    nodes, texts = {}, {}
    for node in trace.nodes:
        b = sized[node.id]
        texts[node.id] = drawn.Label(b, (b.title, numbers.shape(node.shape), PENDING, PENDING))
        nodes[node.id] = f'{node.id} [{_node_attrs(trace, node, b)} label=""]'
    edges = {}
    for e in trace.edges:
        label = f" label={_edge_label([PENDING, PENDING], plan.direction)}" \
            if e.id in shown else ""
        edges[e.id] = f'{e.source} -> {e.target} [id="{e.id}"{label}]'
    out += _body(trace, plan, nodes, edges)
    out.append("}")
    return "\n".join(out), texts


def _edge_label(lines: list[str], direction: str = "LR") -> str:
    """A label of a fixed size whatever its text, so the layout never depends on a number: its
    value above its gradient where the ranks run across (LR), beside it where they run down
    (TB), so that it adds the least to the rank's depth."""
    width, height = EDGE_LABEL_SIZE
    # its lines start at the cell's left: centred, `dot` placed the page's "?" in the middle of
    # the cell, and the number the page writes there later ran out of it into the next node
    cell = 'FIXEDSIZE="TRUE" ALIGN="LEFT" BALIGN="LEFT"'
    if direction == "LR":
        return (f"<{drawn.TABLE}><TR>"
                f'<TD {cell} WIDTH="{width}" HEIGHT="{height}">{"<BR/>".join(lines)}'
                f"</TD></TR></TABLE>>")
    cells = "".join(f'<TD {cell} WIDTH="{width}" HEIGHT="{height // 2}">{text}</TD>'
                    for text in lines)
    return f"<{drawn.TABLE}><TR>{cells}</TR></TABLE>>"


def _font(text: str, color: str) -> str:
    return f'<FONT COLOR="{color}">{escape(text) or " "}</FONT>'


def export_source(trace: Trace, step: int, theme: str = "light",
                  aspect: float | None = None) -> str:
    """The DOT of step k: the page's boxes and labels, sizes unchanged, slots filled and
    coloured in the theme's palette on its opaque background, heat maps filled, and step k's
    states drawn as the page's CSS draws them."""
    if theme not in THEMES:
        raise BackpropError("error.request.one_of", field="theme", choices=", ".join(THEMES),
                            got=repr(theme))
    pal = THEMES[theme]
    labels = _check_span(trace)
    state = trace.state_at(step)
    current = state.current.node if state.current else None
    sized = boxes.boxes(trace)
    plan = plan_for(trace, aspect, sized)
    shown = _shown(trace, labels)
    out = _head(labels, plan, pal, pal["bg"], wired=bool(shown))
    scale = heat.scales(trace)
    nodes = {}
    for node in trace.nodes:
        b = sized[node.id]
        slots = node_slots(node, state, trace.delta_names.get(node.id, ""))
        muted = pal["muted"]
        lines = [
            _font(b.title, pal["ink"] if node.id in state.forward else muted),
            _font(numbers.shape(node.shape), muted),
            _font(slots.value, pal["value"] if node.id in state.forward else muted),
            _font(slots.grad, pal["grad"] if node.id in state.backward else muted),
        ]
        maps = (heat.colours(node.value, b.rows, b.cols, scale.value, theme)
                if node.id in state.forward else heat.blank(b.rows, b.cols, theme),
                heat.colours(node.grad, b.rows, b.cols, scale.grad, theme)
                if node.id in state.backward and node.grad is not None
                else heat.blank(b.rows, b.cols, theme))
        style = _node_state(node, state, current, pal)
        nodes[node.id] = (f"{node.id} [{_node_attrs(trace, node, b, fills(pal))} "
                          f"label={drawn.table(b, lines, maps)}{style}]")
    edges = {}
    for e in trace.edges:
        slots = edge_slots(trace, e, state)
        label = ""
        if e.id in shown:
            lines = [_font(slots.value, pal["value"]), _font(slots.grad, pal["grad"])]
            label = f" label={_edge_label(lines, plan.direction)}"
        edges[e.id] = (f'{e.source} -> {e.target} [id="{e.id}"{label}'
                       f'{_edge_state(e, state, pal)}]')
    out += _body(trace, plan, nodes, edges)
    out.append("}")
    return "\n".join(out)


def _node_state(node: Node, state: State, current: str | None, pal: dict[str, str]) -> str:
    nid = node.id
    corners = "filled" if node.kind == "constant" else "rounded,filled"
    if nid == current:
        return (f' fillcolor="{pal["current_fill"]}" color="{pal["current_line"]}" '
                f"penwidth=3")
    if nid in state.backward:
        return f' color="{pal["grad"]}" penwidth=2.2 style="{corners},dashed"'
    if nid in state.forward:
        return f' color="{pal["value"]}" penwidth=1.4'
    return f' fillcolor="{pal["pending_fill"]}" color="{pal["pending_line"]}"'


def _edge_state(edge: Edge, state: State, pal: dict[str, str]) -> str:
    current = state.current
    if current is not None and edge.target == current.node:
        return f' color="{pal["current_line"]}" penwidth=2.2'
    if (current is not None and isinstance(current, BackwardStep)
            and edge.source == current.node):
        return f' color="{pal["current_line"]}" penwidth=2.2 style=dashed'
    if edge.source in state.forward:
        return ""
    return f' color="{pal["pending_line"]}"'


# ---------------------------------------------------------------- outputs

class LayoutCache:
    """SVG layouts by the SHA-256 of their DOT source, least recently used first out, bounded
    in bytes: a class opening one preset with new seeds asks for the same structure again.
    Each is kept as UTF-8, and counted as the bytes it holds: a str with one astral letter
    (𝑥) would hold 4 bytes a character, where UTF-8 holds about 1."""

    ENTRY_BYTES = 200   # what an entry costs besides its SVG: its key, the dict's slot

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._entries: OrderedDict[bytes, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, source: str, dot: DotProcess | None = None) -> tuple[str, bool]:
        """The SVG of `source`, laid out now (by `dot`, else DOT) or remembered, and whether
        it was remembered."""
        key = hashlib.sha256(source.encode()).digest()
        with self._lock:
            svg = self._entries.get(key)
            if svg is not None:
                self._entries.move_to_end(key)
                return svg.decode(), True
        text = _svg_only((dot or DOT).svg(source))
        svg = text.encode()
        with self._lock:
            if key not in self._entries and self.cost(svg) <= self.max_bytes:
                self._entries[key] = svg
                self.size += self.cost(svg)
                while self.size > self.max_bytes:
                    _, old = self._entries.popitem(last=False)
                    self.size -= self.cost(old)
        return text, False

    def cost(self, svg: bytes) -> int:
        return len(svg) + self.ENTRY_BYTES

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.size = 0


DOT = DotProcess()
MEASURE_DOT = DotProcess()   # the second of the two a small graph's candidates are laid out by
# its thread: a pool of its own, so that measuring never waits behind the layouts it serves
_MEASURING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="measure")
LAYOUTS = LayoutCache(LAYOUT_CACHE_BYTES)


def render_svg(trace: Trace, aspect: float | None = None) -> str:
    """The page's SVG: laid out once per structure and box aspect. Each node's `<g>` has the
    node's id and four `<text>` (title, shape, value slot, gradient slot); each edge's `<g>`
    has the edge's id and, when labelled, two (value slot, gradient slot)."""
    source, labels = _page(trace, aspect)
    return drawn.draw(LAYOUTS.get(source)[0], labels)


# `dot` runs in a process of its own: a request lays its graph out in this pool while its own
# thread goes on with the work that does not need the drawing (the gradient check, the JSON).
_LAYING_OUT = ThreadPoolExecutor(max_workers=2, thread_name_prefix="layout")


def svg_soon(trace: Trace, aspect: float | None = None) -> Future[str]:
    """`render_svg(trace)`, laid out meanwhile: its DOT text is written here, the layout (a
    cache hit, or `dot`) runs in the pool; `.result()` gives the SVG or raises what it raised."""
    source, labels = _page(trace, aspect)
    return _LAYING_OUT.submit(lambda: drawn.draw(LAYOUTS.get(source)[0], labels))


def _svg_only(svg: str) -> str:
    """The SVG from its `<svg` tag on (the XML prolog and doctype are of no use in a page),
    less what the page's CSS sets (fonts), what nobody reads (comments) and the number a
    long-running `dot` gives each graph it lays out ("page3,1_"): a third of its bytes. Plain
    string operations: a regular expression took 30 ms over a 200-layer net's 1.2 MB."""
    svg = svg[svg.index("<svg"):]
    for size in (FONT_SIZE, EDGE_FONT_SIZE):
        svg = svg.replace(f' font-family="{FONT}" font-size="{size:.2f}"', "")
        # a title: bold for dot's measure, and in the page's CSS (text.title)
        svg = svg.replace(f' font-family="{FONT}" font-weight="bold" font-size="{size:.2f}"', "")
    lines = svg.split("\n")
    lines[:4] = [_PAGE_NUMBER.sub("", line) for line in lines[:4]]   # <g id="page3,1_graph-…
    return "\n".join(line for line in lines if not line.startswith("<!--"))


_PAGE_NUMBER = re.compile(r"(?<=<g id=\")page\d+,\d+_")


def export(trace: Trace, fmt: str, step: int, caption: str = "", theme: str = "light") -> bytes:
    """The diagram at step k as a file: svg, png, pdf, or the DOT source, in the `theme`'s
    colours (light or dark, on an opaque background); `caption`, graph attributes that label
    it, goes above the diagram (an every-step PDF sets each step's equations there: pdfmath)."""
    source = export_source(trace, step, theme)
    if caption:
        source = source.replace("graph [", f"graph [{caption} ", 1)
    if fmt == "dot":
        return source.encode()
    if fmt == "png":   # twice the default resolution: sharp on a slide or a high-density screen
        budget.check_raster(max(Counter((e.source, e.target) for e in trace.edges).values(),
                                default=1))
        source = source.replace("graph [", "graph [dpi=144 ", 1)
    return run_dot(source, fmt)
