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

from . import i18n, numbers, render, standalone
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


def step_lines(trace: Trace, k: int, lang: str = "en") -> list[str]:
    """Step k's equations as text lines, their words in `lang`: the forward formula and value,
    or the upstream gradient, then each input's local rule and downstream gradient."""
    n = len(trace.steps)
    if k == 0:
        return [i18n.say("export.step.start", lang, n=n),
                i18n.say("export.step.start_note", lang, output=trace.output_name)]
    step = trace.steps[k - 1]
    node = trace.node(step.node)
    if isinstance(step, ForwardStep):
        return [i18n.say("export.step.forward", lang, k=k, n=n, label=node.label), step.formula,
                *_equation(f"{node.label} =", node.value)]
    out = trace.output_name
    lines = [i18n.say("export.step.backward", lang, k=k, n=n, label=node.label),
             *_equation(i18n.say("export.step.upstream", lang, ratio=_ratio(out, node.label)),
                        node.grad)]
    if len(step.contributions) > 1:
        lines.append("  " + i18n.say("export.step.sum", lang, count=len(step.contributions)))
    for edge in step.inputs:
        source = trace.node(edge.node)
        lines += [i18n.say("export.step.input", lang, port=edge.port + 1, label=source.label),
                  "  " + i18n.say("export.step.rule", lang,
                                  equation=edge.shape_form.equation.text),
                  "  " + i18n.say("export.step.local", lang,
                                  ratio=_ratio(node.label, source.label),
                                  formula=edge.local_formula),
                  *_equation("  " + i18n.say("export.step.downstream", lang,
                                             ratio=_ratio(out, source.label)), edge.downstream)]
    return lines


def pdf(trace: Trace, lang: str = "en") -> bytes:
    """One page per step k = 0…N, each laid out by `dot`, merged with pypdf; words in `lang`."""
    pages = len(trace.steps) + 1
    if pages > MAX_EXPORT_PAGES:
        raise BackpropError("error.export.pages", pages=pages, limit=MAX_EXPORT_PAGES)
    with ThreadPoolExecutor(DOT_WORKERS) as pool:
        done = pool.map(
            lambda k: render.export(trace, "pdf", k, step_lines(trace, k, lang)), range(pages))
        writer = PdfWriter()
        for page in done:
            writer.append(PdfReader(io.BytesIO(page)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def export(trace: Trace, fmt: str, start: int = 0, lang: str = "en") -> bytes:
    """Every step as `fmt`: pdf, or html opening at step `start`; words in `lang`."""
    if fmt == "pdf":
        return pdf(trace, lang)
    if fmt == "html":
        return standalone.html(trace, start, lang).encode()
    raise BackpropError("error.export.every_step_type", choices=", ".join(TYPES), got=repr(fmt))


def write(trace: Trace, path: str | Path, lang: str = "en") -> Path:
    """Write `trace` to `path`, in the format its suffix names: every step as .pdf or .html
    (its words in `lang`), the finished diagram as .svg, .png or .dot."""
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt in TYPES:
        path.write_bytes(export(trace, fmt, lang=lang))
    elif fmt in render.EXPORT_TYPES:
        path.write_bytes(render.export(trace, fmt, len(trace.steps)))
    else:
        raise BackpropError("error.export.suffix",
                            suffixes=", ".join("." + t for t in (*TYPES, *render.EXPORT_TYPES)))
    return path
