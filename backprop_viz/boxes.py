"""A node's box, from the structure alone: its title, its heat-map cells, its size in points.

A box is a Graphviz HTML-like table of four texts (title and shape on one line, then the value
slot and the gradient slot) and, for an array, two heat maps to their right (its values, then
its gradient): cells of fixed size, a cell an entry, at most HEAT_ROWS × HEAT_COLS of them (the
array's top-left corner), so a box is three lines tall whatever it holds. The page colours the
cells from the numbers (static/js/heat.js); an export fills the same cells here. Nothing here
depends on a number.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from . import numbers
from .tracedata import ForwardStep, Node, Trace

FONT_SIZE = 12                 # points; the page draws 1 point as 1 CSS px at 100 %
CHAR_WIDTH = 0.57              # of the font size: Helvetica's digits are 0.556, − 0.584
BOLD = 1.12                    # a bold title's width over the regular's
LINE_HEIGHT = 1.22             # of the font size
LINE = 14                      # points, a text line's cell
NAME_CHARS = 18                # a longer title is cut in its middle; the panel has it whole
ENTRIES = 1                    # the entries a slot shows of an array: the heat map has the rest
GRAD_MARK = "∇ "               # the non-colour cue of a gradient line
HEAT_CELL = 7                  # points, a heat-map cell's side
HEAT_ROWS, HEAT_COLS = 6, 6    # the most cells a heat map shows of an array
HEAT_GAP = 4                   # points between the texts and a map, and between the maps
PAD = 6                        # points around the table inside the box
# The placeholder fills of the reserved cells, one per map: the page finds them by these
# (static/js/heat.js) and an export replaces them; no style of the page uses them.
HEAT_VALUE_FILL = "#fdfdfe"
HEAT_GRAD_FILL = "#fdfefd"


def points(chars: int, size: int = FONT_SIZE) -> float:
    return chars * size * CHAR_WIDTH


def cut(text: str, limit: int = NAME_CHARS) -> str:
    """A title that fits: cut in its middle, so the ends that tell two labels apart both show
    ("w0 ∘ x0 + …1 + w2", never "w0 ∘ x0 + w1 ∘ …" for two nodes)."""
    if len(text) <= limit:
        return text
    head = (limit - 1) * 3 // 5
    return text[:head] + "…" + text[len(text) - (limit - 1 - head):]


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


def slot_chars(node: Node, delta: str) -> int:
    """The widest text a node's slots hold: `∇ δ = [0.21; …]`."""
    named = f"{delta} = " if delta else ""
    return numbers.brief_chars(node.shape, ENTRIES) + len(GRAD_MARK) + len(named)


def box(node: Node, title: str, delta: str = "") -> Box:
    rows, cols = heat_cells(node.shape)
    grad_map = node.grad is not None
    line = LINE_HEIGHT * FONT_SIZE
    head = points(len(title)) * BOLD + points(1 + len(numbers.shape(node.shape)))
    maps = (cols * HEAT_CELL + HEAT_GAP) * (2 if grad_map else 1) if rows else 0
    text = math.ceil(max(head, points(slot_chars(node, delta)), points(4)))
    height = max(3 * line, rows * HEAT_CELL) + PAD
    return Box(title, rows, cols, grad_map, round(text + maps + 2 * PAD, 1), round(height, 1),
               text)


def boxes(trace: Trace) -> dict[str, Box]:
    names = titles(trace)
    return {n.id: box(n, names[n.id], trace.delta_names.get(n.id, "")) for n in trace.nodes}
