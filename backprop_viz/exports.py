"""Every step of a trace in one file: a PDF with a page per step k = 0…N (the diagram at step k
and that step's equations, typeset by pdfmath; the last page adds the summary), or the
standalone HTML page that steps through offline.

Imported only when something is exported (Trace.export imports it inside the method), so the
engine never loads Graphviz or the renderer. The equations are read from the typed trace, as
the page's panel reads them; nothing is recomputed here.
"""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from . import pdfmath, render, standalone
from .errors import BackpropError
from .limits import MAX_EXPORT_PAGES
from .tracedata import Trace

TYPES = {"pdf": "application/pdf", "html": "text/html; charset=utf-8"}
DOT_WORKERS = 2     # `dot`s laying pages out at once


def pdf(trace: Trace, lang: str = "en") -> bytes:
    """One page per step k = 0…N, each laid out by `dot` with its equations typeset above the
    diagram, merged with pypdf; the last step's page ends with the summary; words in `lang`."""
    pages = len(trace.steps) + 1
    if pages > MAX_EXPORT_PAGES:
        raise BackpropError("error.export.pages", pages=pages, limit=MAX_EXPORT_PAGES)
    setter = pdfmath.Typesetter(trace, render.THEMES["light"], lang)
    with ThreadPoolExecutor(DOT_WORKERS) as pool:
        done = pool.map(lambda k: render.export(trace, "pdf", k, pdfmath.caption(setter.page(k))),
                        range(pages))
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
