"""What a request will cost, estimated from the built graph before any number is computed, and
refused past a named budget (limits.py) with a 400 that names the limit and the value.

The estimate counts what the answer carries: nodes and edges, the numbers of every array
(each node's value and gradient, the variables' again, the downstreams of fan-outs), the local
Jacobians' numbers, the text the steps write (each node's label is written again by every
edge it meets), and the ranks `dot` crosses to lay it out. An every-step PDF adds pages × nodes
and its time, estimated from the same counts.

Measured here (2 cores, `tools/bench.py`'s machine) to set the constants below: the answer is
about 56 bytes a number (the lecture with W 512×512: 265,729 numbers, 14.4 MB), about 1.5 kB an
edge or node besides, and 11–28 bytes a character of text (a stack of 600 parts: 1.08 million
characters, 11.7 MB; softmax nested 199 deep five times: 2.7 million, 77 MB in 30 s). So the
answer's estimate is within 0.8–3× of the answer (tests/test_limits.py holds it there over
graphs of every shape): a bound on work, not an exact size; the answer itself is measured
again before it is sent.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from . import graph as graph_mod
from . import layout
from .errors import BackpropError
from .limits import (
    LAYOUT_SPAN_LABELLED,
    LAYOUT_SPAN_MAX,
    MAX_ANSWER_BYTES,
    MAX_EDGES,
    MAX_EXPORT_NODE_PAGES,
    MAX_EXPORT_SECONDS,
    MAX_JACOBIAN_NUMBERS,
    MAX_TEXT_CHARS,
)

BYTES_PER_NUMBER = 56     # value and gradient, each written twice for a variable
BYTES_PER_JACOBIAN_NUMBER = 22
BYTES_PER_PART = 1_500    # a node or an edge: its ids, step, forms, LaTeX, its part of the SVG
BYTES_PER_TEXT_CHAR = 32  # the worst measured (nested softmax), rounded up
# An every-step PDF's page: its DOT source and its own `dot` process (20 ms, two at a time), then
# merging it into the file (8 ms, one at a time), and its layout, whose cost `dot` spends mostly
# on nodes and edges and on the ranks the edges cross, far more with edge labels: measured
# here, a 14-layer net's page (147 nodes and edges, 120 ranks, labelled) 18 ms; a 56-node
# chain's (160, 1,484 ranks, labelled) 2.0 s; without labels 10,000 ranks 0.4–2 s.
PAGE_SECONDS = 0.020
MERGE_SECONDS = 0.008
# ...and typesetting the page's equations (pdfmath.py), one page at a time, in this process:
# measured on a quiet 2-core host, 10 ms a page on the lecture (19 nodes and edges) to 19 ms on
# a 14-layer net (164), merging included; what is past MERGE_SECONDS grows by about this much
# per node or edge. Without it the estimate was 10–25 % under the wall time.
TYPESET_SECONDS = 7e-5
PART_SECONDS = 1e-4                 # a node or an edge
RANK_SECONDS = {True: 1e-6, False: 2e-8}   # × ranks², labelled or not
# A PNG's cost is its rasterising, which edges drawn side by side between one pair of nodes
# drive (x in [x; x; …]): measured here, 300 such edges 0.56 s, 1,000 2.7 s; a 100-layer net
# (1,500 edges, none side by side) 0.27 s.
RASTER_SECONDS = 2.7e-3             # an edge beside others between the same two nodes


@dataclass(frozen=True)
class Cost:
    """A graph's cost, counted from its structure and shapes."""

    nodes: int
    edges: int
    numbers: int            # entries of every node's array
    jacobian_numbers: int   # entries of the local Jacobians sent (each ≤ MAX_JACOBIAN_NUMBERS)
    text_chars: int         # label characters × (1 + the edges the node meets)
    ranks: int              # ranks `dot` crosses, in all (render.layout_span)
    parallel: int = 1       # the most edges between one pair of nodes

    @property
    def answer_bytes(self) -> int:
        return (BYTES_PER_NUMBER * self.numbers
                + BYTES_PER_JACOBIAN_NUMBER * self.jacobian_numbers
                + BYTES_PER_PART * (self.nodes + self.edges)
                + BYTES_PER_TEXT_CHAR * self.text_chars)


def span(inputs: Mapping[str, Sequence[str]]) -> int:
    """How many ranks the edges cross in all, ranks as `dot` assigns them, for nodes given in
    topological order with their inputs by port. A node is ranked by its longest path from a
    source, except a source itself (W_i, b_i), which `dot` places just before its first
    consumer."""
    rank = layout.levels(inputs)
    return sum(rank[node] - rank[s] for node, sources in inputs.items() for s in sources)


def estimate(gr: graph_mod.Graph) -> Cost:
    """The graph's cost, from its structure and shapes alone: nothing is computed."""
    g = gr.g
    size = {node: g.nodes[node]["shape"][0] * g.nodes[node]["shape"][1] for node in gr.order}
    inputs = {node: gr.inputs(node) for node in gr.order}
    jacobian = sum(size[node] * size[s] for node, sources in inputs.items() for s in sources
                   if size[node] * size[s] <= MAX_JACOBIAN_NUMBERS)
    text = sum(len(gr.label(node)) * (1 + g.in_degree(node) + g.out_degree(node))
               for node in gr.order)
    pairs: dict[tuple[str, str], int] = {}
    for node, sources in inputs.items():
        for s in sources:
            pairs[s, node] = pairs.get((s, node), 0) + 1
    return Cost(nodes=len(gr.order), edges=g.number_of_edges(), numbers=sum(size.values()),
                jacobian_numbers=jacobian, text_chars=text, ranks=span(inputs),
                parallel=max(pairs.values(), default=1))


_drawn: ContextVar[bool] = ContextVar("drawn", default=False)


@contextmanager
def answering_trace() -> Iterator[None]:
    """Within this, the request answers the trace itself and its drawing (/api/trace, an export):
    `check` holds the graph to the answer's bytes and the layout's ranks too. Training and
    practice answer a few numbers and draw nothing."""
    token = _drawn.set(True)
    try:
        yield
    finally:
        _drawn.reset(token)


def check(gr: graph_mod.Graph) -> Cost:
    """Refuse a graph whose pass would write too much text, or, answering the trace, whose answer
    would be too large or whose layout too slow; its cost else."""
    cost = estimate(gr)
    if cost.edges > MAX_EDGES:
        raise BackpropError("error.limit.edges", edges=cost.edges, limit=MAX_EDGES)
    if cost.text_chars > MAX_TEXT_CHARS:
        raise BackpropError("error.limit.text_chars", chars=cost.text_chars,
                            limit=MAX_TEXT_CHARS)
    if not _drawn.get():
        return cost
    if cost.answer_bytes > MAX_ANSWER_BYTES:
        raise BackpropError("error.limit.answer_estimate", size=cost.answer_bytes,
                            numbers=cost.numbers, nodes=cost.nodes, limit=MAX_ANSWER_BYTES)
    if cost.ranks > LAYOUT_SPAN_MAX:
        raise tangled(cost.ranks)
    return cost


def tangled(ranks: int) -> BackpropError:
    return BackpropError("error.limit.tangled", ranks=ranks, limit=LAYOUT_SPAN_MAX)


def check_raster(parallel: int) -> None:
    """A PNG of a graph with `parallel` edges between one pair of nodes: refused past
    MAX_EXPORT_SECONDS, as estimated above (SVG, PDF and DOT draw them cheaply)."""
    seconds = RASTER_SECONDS * parallel
    if parallel > 1 and seconds > MAX_EXPORT_SECONDS:
        raise BackpropError("error.export.png_seconds", seconds=f"{seconds:.1f}",
                            parallel=parallel, limit=MAX_EXPORT_SECONDS)


def layout_seconds(nodes: int, edges: int, ranks: int) -> float:
    """What laying one page of this graph out costs `dot`, as estimated above."""
    return PART_SECONDS * (nodes + edges) + RANK_SECONDS[ranks <= LAYOUT_SPAN_LABELLED] * ranks**2


def check_export(nodes: int, edges: int, ranks: int, pages: int, workers: int) -> None:
    """An every-step PDF lays out `pages` pages of the graph, `workers` at a time."""
    if pages * nodes > MAX_EXPORT_NODE_PAGES:
        raise BackpropError("error.export.node_pages", pages=pages, nodes=nodes,
                            total=pages * nodes, limit=MAX_EXPORT_NODE_PAGES)
    layout = layout_seconds(nodes, edges, ranks)
    seconds = pages * ((layout + PAGE_SECONDS) / workers + MERGE_SECONDS
                       + TYPESET_SECONDS * (nodes + edges))
    if seconds > MAX_EXPORT_SECONDS:
        raise BackpropError("error.export.seconds", seconds=f"{seconds:.1f}", pages=pages,
                            layout=f"{layout:.2f}", limit=f"{MAX_EXPORT_SECONDS:g}")
