"""backprop_viz: an expression → its computation graph, forward and backward, step by step.

`from backprop_viz import trace` is the whole pipeline; it is imported on first use, so that
importing a part (the parser, which must not touch numpy) does not import everything.
"""

from __future__ import annotations

from typing import Any

__all__ = ["__version__", "trace"]

# The package's version (pyproject.toml reads it from here; `backprop-viz --version` prints it).
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name == "trace":
        from .notebook import trace
        return trace
    raise AttributeError(f"module 'backprop_viz' has no attribute {name!r}")
