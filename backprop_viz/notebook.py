"""The notebook's trace: the engine's Trace with the conveniences a notebook calls on it, a
façade above the renderer and the exporters, so that the engine never imports them.

    t = trace("s = uᵀ f(Wx + b)")
    t                     # Jupyter shows the stepper inline
    t.export("s.pdf")     # every step, a page each
    t.train(dataset={"name": "spiral"}, steps=300, batch_size=30, eta=0.5)
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

    def export(self, path: str | Path, lang: str = "en") -> Path:
        """Write the trace to `path` by its suffix: every step as .pdf (a page per step) or
        .html (steps through offline), its words in `lang` (en or ko); the finished diagram as
        .svg, .png or .dot. Loaded on first use (a floor below this one), so a trace alone
        never loads Graphviz's side."""
        from .exports import write
        return write(self, path, lang)

    def train(self, *, dataset: Any = None, steps: int = 1, eta: float = 0.1,
              **options: Any) -> Any:
        """Train this trace's expression: mini-batch SGD on `dataset` (sgd.fit: a built-in data
        set by name or CSV text, bound to X and Y; `options` as POST /api/train takes them),
        else `steps` steps of gradient descent from this trace's own values (training.train)."""
        if dataset is not None:
            from .sgd import fit
            data = {options.get("inputs", "X"), options.get("targets", "Y")}
            shapes = {name: {"shape": list(self.node(n).shape)}
                      for name, n in self.variables.items() if name not in data}
            return fit(self.expression, shapes, self.f, self.seed, dataset=dataset, steps=steps,
                       eta=eta, **options)
        from .training import train
        values = {name: {"value": self.node(n).value.tolist()} for name, n in
                  self.variables.items()}
        return train(self.expression, values, self.f, self.seed, eta=eta, steps=steps,
                     **options)

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
