"""Every step of a trace in one file: a PDF with a page per step k = 0…N (the diagram at step k
and that step's equations), or the standalone HTML page that steps through offline.

Imported only when something is exported (Trace.export imports it inside the method), so the
engine never loads Graphviz or the renderer. The equations are read from the typed trace, as
the page's panel reads them; nothing is recomputed here.
"""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from pypdf import PdfReader, PdfWriter

from . import numbers, render, standalone
from .errors import BackpropError
from .limits import MAX_EXPORT_PAGES
from .tracedata import ForwardStep, Trace

TYPES = {"pdf": "application/pdf", "html": "text/html; charset=utf-8"}
SHOWN = 6           # a matrix larger than this (rows or columns) is summarised, as the panel does
DOT_WORKERS = 2     # `dot`s laying pages out at once


def matrix_lines(a: np.ndarray) -> list[str]:
    """An array as text, one line per row ("[0.21, −0.5]"); rows and columns past SHOWN cut to
    the first three and the last two, as the panel shows them."""
    def shown(n: int) -> list[int | None]:
        return list(range(n)) if n <= SHOWN else [0, 1, 2, None, n - 2, n - 1]

    cols = shown(a.shape[1])
    rows = [("⋮" if i is None else
             ", ".join("…" if j is None else numbers.number(float(a[i, j])) for j in cols))
            for i in shown(a.shape[0])]
    if a.size == 1:
        return rows
    return [f"[{row}]" for row in rows] + [f"({numbers.shape(a.shape)})"]


def _equation(lhs: str, a: np.ndarray) -> list[str]:
    first, *rest = matrix_lines(a)
    pad = " " * (len(lhs) + 1)
    return [f"{lhs} {first}", *(pad + line for line in rest)]


def _ratio(a: str, b: str) -> str:
    def wrap(label: str) -> str:
        return f"({label})" if " " in label else label

    return f"∂{wrap(a)}/∂{wrap(b)}"


def step_lines(trace: Trace, k: int) -> list[str]:
    """Step k's equations as text lines: the forward formula and value, or the upstream
    gradient, then each input's local rule and downstream gradient."""
    n = len(trace.steps)
    if k == 0:
        return [f"step 0 of {n}: nothing computed yet",
                f"the forward pass runs node by node, then the backward pass from "
                f"{trace.output_name} back to every variable"]
    step = trace.steps[k - 1]
    node = trace.node(step.node)
    if isinstance(step, ForwardStep):
        return [f"forward step {k} of {n}: {node.label}", step.formula,
                *_equation(f"{node.label} =", node.value)]
    out = trace.output_name
    lines = [f"backward step {k} of {n}: {node.label}",
             *_equation(f"upstream {_ratio(out, node.label)} =", node.grad)]
    if len(step.contributions) > 1:
        lines.append(f"  (the sum of what its {len(step.contributions)} consumers send back)")
    for edge in step.inputs:
        source = trace.node(edge.node)
        lines += [f"input {edge.port + 1}: {source.label}",
                  f"  rule (shape convention) {edge.shape_form.equation.text}",
                  f"  local {_ratio(node.label, source.label)} = {edge.local_formula}",
                  *_equation(f"  downstream {_ratio(out, source.label)} =", edge.downstream)]
    return lines


def pdf(trace: Trace) -> bytes:
    """One page per step k = 0…N, each laid out by `dot`, merged with pypdf."""
    pages = len(trace.steps) + 1
    if pages > MAX_EXPORT_PAGES:
        raise BackpropError(f"an every-step PDF of this graph would have {pages} pages; the "
                            f"limit is {MAX_EXPORT_PAGES}: export single steps instead")
    with ThreadPoolExecutor(DOT_WORKERS) as pool:
        done = pool.map(lambda k: render.export(trace, "pdf", k, step_lines(trace, k)),
                        range(pages))
        writer = PdfWriter()
        for page in done:
            writer.append(PdfReader(io.BytesIO(page)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def export(trace: Trace, fmt: str, start: int = 0) -> bytes:
    """Every step as `fmt`: pdf, or html opening at step `start`."""
    if fmt == "pdf":
        return pdf(trace)
    if fmt == "html":
        return standalone.html(trace, start).encode()
    raise BackpropError(f"an every-step export is one of {', '.join(TYPES)}, not {fmt!r}")


def write(trace: Trace, path: str | Path) -> Path:
    """Write `trace` to `path`, in the format its suffix names: every step as .pdf or .html,
    the finished diagram as .svg, .png or .dot."""
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt in TYPES:
        path.write_bytes(export(trace, fmt))
    elif fmt in render.EXPORT_TYPES:
        path.write_bytes(render.export(trace, fmt, len(trace.steps)))
    else:
        raise BackpropError(f"the file must end in one of "
                            f"{', '.join('.' + t for t in (*TYPES, *render.EXPORT_TYPES))}")
    return path
