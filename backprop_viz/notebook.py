"""The notebook's trace: the engine's Trace with the conveniences a notebook calls on it, a
façade above the renderer and the exporters, so that the engine never imports them.

    t = trace("s = uᵀ f(Wx + b)")
    t                     # Jupyter shows the stepper inline
    t.export("s.pdf")     # every step, a page each
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from . import inputs
from .tracedata import Trace


@dataclasses.dataclass(frozen=True)
class NotebookTrace(Trace):
    """A Trace that exports itself and shows itself in Jupyter."""

    def export(self, path: str | Path) -> Path:
        """Write the trace to `path` by its suffix: every step as .pdf (a page per step) or
        .html (steps through offline); the finished diagram as .svg, .png or .dot. Loaded on
        first use (a floor below this one), so a trace alone never loads Graphviz's side."""
        from .exports import write
        return write(self, path)

    def _repr_html_(self) -> str:
        """Jupyter shows the stepper inline: the standalone page in a sandboxed iframe."""
        from .standalone import html, iframe
        return iframe(html(self))


def wrap(t: Trace) -> NotebookTrace:
    """The same trace, with the notebook's methods (no array is copied)."""
    return NotebookTrace(**{f.name: getattr(t, f.name) for f in dataclasses.fields(t)})


def trace(expression: Any, variables: Any = None, f: Any = "tanh", seed: Any = 0,
          view: Any = "vector", **values: Any) -> NotebookTrace:
    """`inputs.trace`, for a notebook: see its docstring."""
    return wrap(inputs.trace(expression, variables, f, seed, view, **values))


trace.__doc__ = inputs.trace.__doc__
