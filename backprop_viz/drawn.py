"""The page's node labels, drawn into the laid-out SVG here rather than by `dot`.

A page node is a box of a fixed size (boxes.py), so its label cannot move anything: `dot`
lays out the boxes with empty labels, and this module writes each box's four texts (title,
shape, value slot, gradient slot) and its reserved heat-map cells into the SVG, at the places
the box's table puts them. Graphviz's HTML-like labels were half of `dot`'s time on a
new structure (a 50-layer net: 32 of 14 ms of CPU without them), the layout is the same to
the hundredth of a point, and the layout cache now holds one drawing for every structure of
the same geometry. An export keeps `dot`'s own labels (render.export_source): it is a file
`dot` writes whole, in PNG and PDF too.

The SVG elements are the ones `dot` wrote for those labels: `<text text-anchor="start">` at
their cells' left edges, and for each heat map a `<polygon>` with its placeholder fill
(static/js/heat.js finds the cells by it).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from . import boxes

BASELINE = boxes.LINE / 2 + 0.26 * boxes.FONT_SIZE   # a line's baseline below its cell's top
INSET = 0.5                                          # dot's cell inset, kept for alike boxes
_SEPARATORS = str.maketrans(",MCLZ", "     ")         # a path's commands, its points' commas


# ---------------------------------------------------------------- the export's table

TABLE = '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0"'


def _cell(width: int, height: int, inner: str, fill: str) -> str:
    return (f'<TD FIXEDSIZE="TRUE" WIDTH="{width}" HEIGHT="{height}" BGCOLOR="{fill}">'
            f"{inner}</TD>")


def _heat_map(b: boxes.Box, fill: str, colours: Sequence[Sequence[str]] | None) -> str:
    """A heat map's reserved cell; an export's holds a cell per entry, in its colour."""
    c = boxes.HEAT_CELL
    inner = ""
    if colours is not None:
        rows = "".join("<TR>" + "".join(_cell(c, c, "", col) for col in row) + "</TR>"
                       for row in colours)
        inner = f"{TABLE}>{rows}</TABLE>"
    return _cell(b.cols * c, b.rows * c, inner, fill)


def table(b: boxes.Box, lines: Sequence[str], maps: Sequence[Sequence[Sequence[str]] | None]
          = (None, None)) -> str:
    """A node's HTML-like label as an export has it (`elements` draws the page's alike): the
    title, the value slot and the gradient slot on three lines, the shape after the title or
    before the value (four texts, in the order title, shape, value, gradient: docs/API.md),
    and an array's heat maps to their right, the values' above the gradient's."""
    title, shape, value, grad = lines   # the title is bold, as the page's CSS draws it
    line = f'HEIGHT="{boxes.LINE}" ALIGN="LEFT"'
    wide = f'<TD COLSPAN="2" WIDTH="{b.text}" {line}>'
    first, second = f"<B>{title}</B>", value
    if b.shape_line:
        second = f'{shape}</TD><TD WIDTH="{b.text - b.shape}" {line}>{value}'
        head = f"<TR>{wide}{first}</TD></TR><TR><TD WIDTH=\"{b.shape}\" {line}>{second}</TD></TR>"
    else:
        first += f'</TD><TD WIDTH="{b.shape}" {line}>{shape}'
        head = (f'<TR><TD WIDTH="{b.text - b.shape}" {line}>{first}</TD></TR>'
                f"<TR>{wide}{second}</TD></TR>")
    texts = f"{TABLE}>{head}<TR>{wide}{grad}</TD></TR></TABLE>"
    cells = f"<TD>{texts}</TD>"
    if b.rows:   # HEAT_GAP after the texts, above, between and below the maps (the box's
        # PAD after them), in a cell of their own size, centred
        gap, width = boxes.HEAT_GAP, b.cols * boxes.HEAT_CELL
        space = f'<TR><TD WIDTH="{gap}" HEIGHT="{gap}"></TD><TD WIDTH="{width}"></TD></TR>'
        shown = [(boxes.HEAT_VALUE_FILL, maps[0])]
        if b.grad_map:
            shown.append((boxes.HEAT_GRAD_FILL, maps[1]))
        stack = space + "".join(f'<TR><TD WIDTH="{gap}"></TD>{_heat_map(b, fill, colours)}</TR>'
                                f"{space}" for fill, colours in shown)
        cells += (f'<TD FIXEDSIZE="TRUE" WIDTH="{width + gap}" '
                  f'HEIGHT="{len(shown) * (b.rows * boxes.HEAT_CELL + gap) + gap}">'
                  f"{TABLE}>{stack}</TABLE></TD>")
    return f"<{TABLE}><TR>{cells}</TR></TABLE>>"


# ---------------------------------------------------------------- the page's drawing


@dataclass(frozen=True)
class Label:
    """What a node's box shows before any number: its texts, and its box (boxes.Box)."""

    box: boxes.Box
    texts: tuple[str, str, str, str]     # title, shape, value slot, gradient slot


def _text(x: float, y: float, text: str, anchor: str = "start") -> str:
    return (f'<text text-anchor="{anchor}" x="{x:.2f}" y="{y:.2f}">'
            f"{html.escape(text, quote=False)}</text>")


def _cells(x: float, y: float, width: float, height: float, fill: str) -> str:
    x2, y2 = x + width, y + height
    return (f'<polygon fill="{fill}" stroke="transparent" points="{x:.2f},{y2:.2f} '
            f'{x:.2f},{y:.2f} {x2:.2f},{y:.2f} {x2:.2f},{y2:.2f} {x:.2f},{y2:.2f}"/>')


def _centre(line: str) -> tuple[float, float]:
    """The centre of a node's shape (`<path d=…>` or `<polygon points=…>`) from its points."""
    attr = 'd="' if "<path" in line else 'points="'
    start = line.index(attr) + len(attr)
    values = line[start:line.index('"', start)].translate(_SEPARATORS).split()
    xs, ys = [float(v) for v in values[0::2]], [float(v) for v in values[1::2]]
    return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2


def elements(label: Label, cx: float, cy: float) -> list[str]:
    """The label's SVG elements for a box centred at (cx, cy), as its table places them
    (`table`): the title, the value slot and the gradient slot on three lines, the shape
    in its cell at the title line's end or before the value slot; the heat maps right of the
    texts, the value map above the gradient map, the two centred on the box."""
    b = label.box
    left = cx - b.width / 2 + boxes.PAD + INSET
    top = cy - 3 * boxes.LINE / 2
    title, shape, value, grad = label.texts
    second = top + boxes.LINE + BASELINE
    shape_at = (left, second) if b.shape_line else (left + b.text - b.shape, top + BASELINE)
    out = [_text(left, top + BASELINE, title), _text(*shape_at, shape),
           _text(left + (b.shape if b.shape_line else 0), second, value),
           _text(left, top + 2 * boxes.LINE + BASELINE, grad)]
    if b.rows:
        width, height = b.cols * boxes.HEAT_CELL, b.rows * boxes.HEAT_CELL
        fills = (boxes.HEAT_VALUE_FILL, boxes.HEAT_GRAD_FILL) if b.grad_map else \
            (boxes.HEAT_VALUE_FILL,)
        x = left + b.text + boxes.HEAT_GAP
        y = cy - (len(fills) * (height + boxes.HEAT_GAP) - boxes.HEAT_GAP) / 2
        for fill in fills:
            out.append(_cells(x, y, width, height, fill))
            y += height + boxes.HEAT_GAP
    return out


def draw(svg: str, labels: Mapping[str, Label]) -> str:
    """`dot`'s SVG of empty boxes with each node's label written into its `<g>`, after its
    shapes (two for the output's double border): the elements `dot` itself would write."""
    out: list[str] = []
    node: str | None = None
    centre: tuple[float, float] | None = None
    for line in svg.split("\n"):
        if node is not None:
            if centre is None and line.startswith(("<path", "<polygon")):
                centre = _centre(line)
            elif line == "</g>":
                if centre is not None:
                    out += elements(labels[node], *centre)
                node = centre = None
        elif line.startswith('<g id="') and ' class="node' in line:
            node = line[7:line.index('"', 7)]
            centre = None
        out.append(line)
    return "\n".join(out)
