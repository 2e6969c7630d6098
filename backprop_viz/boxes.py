"""A node's box, from the structure alone: its title, its heat-map cells, its size in points.

A box is a Graphviz HTML-like table of four texts on three lines (the title, the value slot, the
gradient slot; the shape after the title or before the value, where it takes less room) and, for
an array, two heat maps to their right, its values' above its gradient's: cells of fixed size, a
cell an entry, at most HEAT_ROWS × HEAT_COLS of them (the array's top-left corner), so a box is
three lines tall whatever it holds. Widths are DejaVu Sans's, the widest font the page may get.
The page colours the cells from the numbers (static/js/heat.js); an export fills the same cells
here. Nothing here depends on a number.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass

from . import numbers
from .tracedata import ForwardStep, Node, Trace

FONT_SIZE = 12                 # points; the page draws 1 point as 1 CSS px at 100 %
CHAR_WIDTH = 0.57              # of the font size: Helvetica's digits are 0.556, − 0.584
BOLD = 1.12                    # a bold title's width over the table's: at most 1.114
#                                measured (Chromium, DejaVu Sans 12 px) over every preset's titles
LINE_HEIGHT = 1.22             # of the font size
LINE = 14                      # points, a text line's cell
NAME_CHARS = 16                # a longer title is cut (`cut`); the panel has it whole
ENTRIES = 1                    # the entries a slot shows of an array: the heat map has the rest
GRAD_MARK = "∇ "               # the non-colour cue of a gradient line
HEAT_CELL = 4                  # points, a heat-map cell's side (4 CSS px at 100 %)
HEAT_ROWS, HEAT_COLS = 4, 4    # the most cells a heat map shows of an array: two fit
#                                the box's three lines, one above the other
HEAT_GAP = 3                   # points before, above, between and below the maps: two 4-row
#                                maps fit 3 lines (after them, the box's PAD)
PAD = 4                        # points around the table inside the box
SHAPE_GAP = 5                  # points between a title and its shape (render._label)
SLACK = 3                      # points a slot keeps free for a number wider than the common
# The placeholder fills of the reserved cells, one per map: the page finds them by these
# (static/js/heat.js) and an export replaces them; no style of the page uses them.
HEAT_VALUE_FILL = "#fdfdfe"
HEAT_GRAD_FILL = "#fdfefd"


def points(chars: int, size: int = FONT_SIZE) -> float:
    return chars * size * CHAR_WIDTH


# Advance widths (of the font size) in DejaVu Sans, the widest of the fonts the page names or
# falls back to (Linux's sans-serif; Helvetica and Arial are narrower, so a text has room to
# spare there), by groups; any other character is DEFAULT_WIDTH. A bold title is BOLD wider.
WIDTHS = {**dict.fromkeys(" ',.·ijlIJ", 0.32), **dict.fromkeys("/:;|-f()[]tᵀr!", 0.41),
          **dict.fromkeys("₀₁₂₃₄₅₆₇₈₉²\"", 0.41), **dict.fromkeys("*_szcL?", 0.56),
          **dict.fromkeys("mwMW%@…", 1.0), **dict.fromkeys("+−=×<>#^~&", 0.84),
          **dict.fromkeys("ABCDGHKNOQRUVXZ", 0.79)}
DEFAULT_WIDTH = 0.65


@functools.lru_cache(maxsize=8192)
def width(text: str, size: int = FONT_SIZE) -> float:
    """The points `text` takes in the graph's font: a graph's shapes and slots repeat, so most
    texts are measured once."""
    return size * sum(WIDTHS.get(c, DEFAULT_WIDTH) for c in text)


OPEN, CLOSE = "([", ")]"
ELLIPSIS = "…"
# the operators a title is cut beside, loosest first: "+ −" before "· ∘ /" ("=" never: the
# name before it always shows)
LEVELS = ({"+", "−", "-"}, {"·", "∘", "/", "*"})


@functools.lru_cache(maxsize=4096)
def cut(text: str, limit: int = NAME_CHARS) -> str:
    """A title that fits, cut at whole operands, never inside a name: the innermost bracket's
    contents first become … ("s = uᵀ · tanh(…)", "f = 1 / (1 + exp(…))"), then whole operands
    after a loosest operator ("w0 · x0 + … + w2"), so both ends still tell two labels apart."""
    while len(text) > limit:
        inner = _innermost(text)
        if inner is None:
            break
        text = text[:inner[0] + 1] + ELLIPSIS + text[inner[1]:]
    if len(text) <= limit:
        return text
    return _operands(text, limit) or _middle(text, limit)


def _innermost(text: str) -> tuple[int, int] | None:
    """The (open, close) indices of the deepest bracket pair not yet …, the first of those."""
    stack: list[int] = []
    best: tuple[int, int, int] | None = None      # (depth, open, close)
    for i, c in enumerate(text):
        if c in OPEN:
            stack.append(i)
        elif c in CLOSE and stack:
            start = stack.pop()
            if text[start + 1:i] != ELLIPSIS and (best is None or len(stack) > best[0] or
                                                   (len(stack) == best[0] and start < best[1])):
                best = (len(stack), start, i)
    return None if best is None else best[1:]


def _operands(text: str, limit: int) -> str | None:
    """`text` less a run of whole operands between two of its loosest operators outside any
    bracket (or after the last), as long as fits; None where no such cut fits."""
    words = text.split(" ")
    depth, outside, ends = 0, [], []    # ends[i]: the length of words[:i + 1] joined
    for word in words:
        outside.append(depth == 0)
        depth += sum(c in OPEN for c in word) - sum(c in CLOSE for c in word)
        ends.append((ends[-1] + 1 if ends else 0) + len(word))
    for level in LEVELS:
        at = [i for i, w in enumerate(words) if outside[i] and w in level]
        best: tuple[int, int, int] | None = None
        for a in at:
            for b in [*(b for b in at if b > a + 1), len(words)]:
                tail = ends[-1] - ends[b - 1] if b < len(words) else 0   # " " + words[b:]
                size = ends[a] + 2 + tail
                if size <= limit and (best is None or size > best[0]):
                    best = (size, a, b)
        if best is not None:
            return " ".join([*words[:best[1] + 1], ELLIPSIS, *words[best[2]:]])
    return None


def _middle(text: str, limit: int) -> str:
    """A single long name: cut in its middle."""
    head = (limit - 1) * 3 // 5
    return text[:head] + ELLIPSIS + text[len(text) - (limit - 1 - head):]


def heat_cells(shape: tuple[int, int]) -> tuple[int, int]:
    """Rows and columns of an array's heat map; (0, 0) for a scalar, which has none."""
    if shape == (1, 1):
        return 0, 0
    return min(shape[0], HEAT_ROWS), min(shape[1], HEAT_COLS)


def _scalar_product(trace: Trace, node: Node) -> bool:
    """A product of two scalars, drawn · (the lecture's), not ∘."""
    return node.op == "mul" and all(trace.node(i).shape == (1, 1) for i in node.inputs)


def titles(trace: Trace) -> dict[str, str]:
    """Each node's title: a variable's or constant's name; an op's label, which shows its op
    (`W · x + b`, `uᵀ`), or for a named op its name and its formula (`s = uᵀ · h`), so no
    symbol is ever said twice. Products of scalars are ·. Two different labels never get the
    same title: where cutting makes them alike, the longer keeps more of its end."""
    formulas = {s.node: s.formula for s in trace.steps if isinstance(s, ForwardStep)}
    out: dict[str, str] = {}
    for node in trace.nodes:
        text = formulas.get(node.id, node.label) if node.kind == "op" else node.label
        if node.kind == "op" and _all_scalar_products(trace, node, formulas):
            text = text.replace(" ∘ ", " · ")
        out[node.id] = text
    return _distinct(out)


def _all_scalar_products(trace: Trace, node: Node, formulas: Mapping[str, str]) -> bool:
    """Whether every ∘ the node's text writes is a product of scalars: the node and the
    unnamed ops its label is written from (a named input is only its name there)."""
    seen, todo = set(), [node]
    while todo:
        n = todo.pop()
        if n.id in seen:
            continue
        seen.add(n.id)
        if n.symbol == "∘" and not _scalar_product(trace, n):
            return False
        todo += [trace.node(i) for i in n.inputs
                 if trace.node(i).kind == "op" and formulas.get(i) == trace.node(i).label]
    return True


def _distinct(full: dict[str, str]) -> dict[str, str]:
    """Cut every title; where two different texts come out alike, both are cut longer."""
    limit = {k: NAME_CHARS for k in full}
    while True:
        shown = {k: cut(v, limit[k]) for k, v in full.items()}
        by_title: dict[str, set[str]] = {}
        for k, t in shown.items():
            by_title.setdefault(t, set()).add(full[k])
        clash = [k for k, t in shown.items() if len(by_title[t]) > 1]
        if not clash:
            return shown
        for k in clash:
            limit[k] += 2


@dataclass(frozen=True)
class Box:
    """A node's box: its title, its heat map's rows and columns (0 for a scalar), whether it
    has a gradient map, and its size in points. Texts start at their cell's left edge (an
    SVG text is anchored at its start): the page's numbers, wider than the "?" laid out, grow
    to the right inside the column, never over the heat maps."""

    title: str
    rows: int
    cols: int
    grad_map: bool
    width: float
    height: float
    text: int           # points: the texts' column, each line left-aligned in it
    shape: int = 0      # points: the shape's cell, after the title or before the value slot
    shape_line: int = 0  # the shape's line: 0 after the title, 1 before the value slot


WIDE_NUMBER = "−1.23e−5"       # numbers.WIDEST's: the widest common number


def slot_text(node: Node, delta: str) -> str:
    """The widest text a node's slots hold, with the widest common number: `∇ δ = [0.21; …]`
    (numbers.brief's notation, its first entry)."""
    named = f"{delta} = " if delta else ""
    if node.shape == (1, 1):
        shown = WIDE_NUMBER
    else:
        sep = "; " if node.shape[1] == 1 else ", "
        shown = "[" + WIDE_NUMBER + (sep + "…" if ENTRIES < node.shape[0] * node.shape[1]
                                     else "") + "]"
    return GRAD_MARK + named + shown


def box(node: Node, title: str, delta: str = "") -> Box:
    rows, cols = heat_cells(node.shape)
    grad_map = node.grad is not None
    line = LINE_HEIGHT * FONT_SIZE
    shape = math.ceil(width(numbers.shape(node.shape)) + SHAPE_GAP)
    maps = cols * HEAT_CELL + HEAT_GAP if rows else 0   # a gap after the texts: PAD after
    grad, value = slot_text(node, delta), slot_text(node, "")[len(GRAD_MARK):]
    head, rest = width(title) * BOLD, width(grad) + SLACK
    # the shape goes on the line where it widens the column least, the title's where even
    text, line_of_shape = min((math.ceil(max(head + shape, width(value) + SLACK, rest)), 0),
                              (math.ceil(max(head, shape + width(value) + SLACK, rest)), 1))
    text = max(text, math.ceil(points(4)))
    stacked = (rows * HEAT_CELL + HEAT_GAP) * (2 if grad_map else 1) + HEAT_GAP
    height = max(3 * line, stacked) + PAD
    return Box(title, rows, cols, grad_map, round(text + maps + 2 * PAD, 1), round(height, 1),
               text, shape, line_of_shape)


def boxes(trace: Trace) -> dict[str, Box]:
    names = titles(trace)
    return {n.id: box(n, names[n.id], trace.delta_names.get(n.id, "")) for n in trace.nodes}
