"""The layout chosen for the graph's box: the rank direction (LR or TB) and how many times a
long chain folds, from the box's aspect ratio (width / height) and the boxes' sizes.

The page sends its graph box's aspect; it is rounded to one of a few buckets (a quarter of an
octave apart), which are part of the structure's key (compiled.py): the same structure in a
box of another shape is another layout, one `dot` run each, and never one per step or per new
numbers. The choice estimates each candidate's size as `dot` will rank it (a node by its
longest path from a source, a source just before its first consumer, an edge label a rank of
its own) and keeps the one that fits the box at the largest scale.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from .errors import BackpropError

DIRECTIONS = ("LR", "TB")
ASPECT_MIN, ASPECT_MAX = 0.2, 5.0
MAX_FOLDS = 4
FOLD_NODES = 60       # a larger graph never folds: its order is pinned by edges per rank pair
NODESEP = 13.0        # points between neighbours in a rank (dot's nodesep=0.18 in)
RANKSEP = 22.0        # points between ranks
FOLD_GAP = 30.0       # points between two folds of a chain


@dataclass(frozen=True)
class Layout:
    """`direction`: dot's rankdir; `folds`: the chain is cut into this many rows (LR) or
    columns (TB), each a cluster, laid one under (beside) the other."""

    direction: str = "LR"
    folds: int = 1


DEFAULT = Layout()


def bucket(aspect: object) -> float | None:
    """The request's aspect rounded to its bucket (None: no aspect, the default layout)."""
    if aspect is None:
        return None
    if isinstance(aspect, bool) or not isinstance(aspect, (int, float)) or not \
            math.isfinite(aspect) or aspect <= 0:
        raise BackpropError("error.request.aspect", got=repr(aspect))
    clamped = min(max(float(aspect), ASPECT_MIN), ASPECT_MAX)
    return round(2 ** (round(4 * math.log2(clamped)) / 4), 3)


def levels(inputs: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Each node's rank as dot assigns it, nodes in topological order (budget.span's rule)."""
    rank: dict[str, int] = {}
    consumers: dict[str, list[str]] = {}
    for node, sources in inputs.items():
        rank[node] = max((rank[s] + 1 for s in sources), default=0)
        for s in sources:
            consumers.setdefault(s, []).append(node)
    for node, sources in inputs.items():
        if not sources and node in consumers:
            rank[node] = min(rank[t] for t in consumers[node]) - 1
    low = min(rank.values(), default=0)
    return {node: r - low for node, r in rank.items()}


def segments(inputs: Mapping[str, Sequence[str]], folds: int,
             ranks: Mapping[str, int] | None = None) -> tuple[dict[str, int], dict[str, int]]:
    """Which fold each node is drawn in, and its rank there: the ranks cut into `folds` runs
    of equal length, a source (W, b) in its first consumer's fold, each fold's ranks starting
    again at 0. `ranks` are `levels(inputs)` where the caller has them already."""
    level = levels(inputs) if ranks is None else dict(ranks)
    depth = max(level.values(), default=0) + 1
    per = math.ceil(depth / folds)
    fold = {node: r // per for node, r in level.items()}
    for node in reversed(list(inputs)):
        for s in inputs[node]:
            if not inputs[s]:
                fold[s] = fold[node]
    for f in range(folds):
        low = min((r for n, r in level.items() if fold[n] == f), default=0)
        level.update({n: r - low for n, r in level.items() if fold[n] == f})
    return fold, level


def _size(inputs: Mapping[str, Sequence[str]], sizes: Mapping[str, tuple[float, float]],
          layout: Layout, label: tuple[float, float] | None,
          ranks: Mapping[str, int]) -> tuple[float, float]:
    """The estimated (width, height) in points of the graph drawn with `layout`; `ranks` are
    `levels(inputs)`, the same for every candidate."""
    seg, level = segments(inputs, layout.folds, ranks)
    along = 0 if layout.direction == "LR" else 1      # the axis the ranks run along
    spans: list[tuple[float, float]] = []
    for s in range(layout.folds):
        ranks: dict[int, list[tuple[float, float]]] = {}
        for node, r in level.items():
            if seg[node] == s:
                ranks.setdefault(r, []).append(sizes[node])
        if not ranks:
            continue
        length = sum(max(b[along] for b in boxes) for boxes in ranks.values())
        length += RANKSEP * (len(ranks) - 1)
        if label is not None:
            length += (label[along] + RANKSEP / 2) * (len(ranks) - 1)
        across = max(sum(b[1 - along] for b in boxes) + NODESEP * (len(boxes) - 1)
                     for boxes in ranks.values())
        spans.append((length, across))
    length = max(a for a, _ in spans)
    across = sum(b for _, b in spans) + FOLD_GAP * (len(spans) - 1)
    return (length, across) if along == 0 else (across, length)


ESTIMATE_ERROR = 1.7   # the estimate's scale is off by up to this factor (1.6 seen): a candidate
                       # estimated smaller than the best by more cannot win, and is not laid out
TANGLED_RANKS = 400     # edges crossing more ranks than this, in all, are laid out folded
TANGLED_ASPECT = 1.6    # the box a tangled graph without one is laid out for


def choose(inputs: Mapping[str, Sequence[str]], sizes: Mapping[str, tuple[float, float]],
           aspect: float | None, label: tuple[float, float] | None = None,
           measure: Callable[[Sequence[Layout]], Sequence[tuple[float, float]]] | None = None
           ) -> Layout:
    """The layout that shows the graph largest in a box of this aspect (DEFAULT without one);
    fewer folds where two come within 5 %. The candidates' sizes are `measure`'s (the layouts
    `dot` made of them, all asked at once) where given, else estimated (`_size`)."""
    if not inputs:
        return DEFAULT
    level = levels(inputs)
    if aspect is None:
        # no box: the default layout, but a tangled graph (edges crossing many ranks) is folded
        # as for a landscape box, which dot lays out in a fraction of the time (a 53-link
        # chain fed by one x: 8.4 s unfolded, 0.2 s folded)
        ranks = sum(level[n] - level[s] for n, sources in inputs.items() for s in sources)
        if ranks <= TANGLED_RANKS:
            return DEFAULT
        aspect = TANGLED_ASPECT
    depth = max(level.values()) + 1
    most = min(MAX_FOLDS, depth) if len(inputs) <= FOLD_NODES else 1
    candidates = [Layout(d, folds) for d in DIRECTIONS for folds in range(1, most + 1)]

    def scale(size: tuple[float, float]) -> float:
        return min(aspect / size[0], 1 / size[1])

    estimated = {c: scale(_size(inputs, sizes, c, label, level)) for c in candidates}
    if measure is not None:
        # each is a `dot` run of its own: only those the estimate leaves a chance
        top = max(estimated.values())
        candidates = [c for c in candidates if estimated[c] * ESTIMATE_ERROR >= top]
    got = ({c: scale(size) for c, size in zip(candidates, measure(candidates), strict=True)}
           if measure is not None else estimated)
    best, best_scale = DEFAULT, 0.0
    for layout in candidates:
        if got[layout] > best_scale * 1.05:
            best, best_scale = layout, got[layout]
    return best
