"""One compile per structure: a request's structure (parse, graph, shapes, labels, both forms'
words and LaTeX, δ names, closed forms) is worked out once and kept, keyed by a hash of what
determines it; a request for new numbers on a known structure runs only the numeric passes
(`engine.refill`) and the gradient check.

The key is the SHA-256 of everything the structure depends on: the expression, every declared
shape (a given value declares its shape), the variables the request names, f and the view. The
numbers (the seed, given values) are not in it. The server never trusts a key it is sent: the
page's key only decides whether the answer leaves the structure out (web.py), and a key that is
not cached is compiled again from the request itself.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import orjson

from . import engine, gradcheck, inputs, layout
from . import graph as graph_mod
from .errors import BackpropError
from .limits import STRUCTURE_CACHE_BYTES
from .tracedata import BackwardStep, ForwardStep, Trace

FORMAT = 2   # bumped whenever what a compiled structure holds changes


@dataclass(frozen=True)
class Compiled:
    key: str
    pipeline: inputs.Pipeline
    view: str
    graph: graph_mod.Graph       # the graph of the view: the scalar expansion for "scalar"
    plan: engine.Plan
    template: Trace              # the structure's words, with the numbers it was compiled with
    nbytes: int                  # an estimate of what it holds, for the cache's bound
    aspect: float | None = None  # the graph box's aspect bucket the SVG is laid out for


def key(req: inputs.Inputs, view: str, aspect: float | None = None) -> str:
    """The structure's key: a hex SHA-256 over what determines it, in a canonical form; the
    box's aspect bucket too, as the SVG is laid out for it (layout.py)."""
    shapes = sorted((name, list(shape)) for name, shape in req.shapes.items())
    text = orjson.dumps([FORMAT, req.expression, req.f, view, shapes, list(req.names), aspect])
    return hashlib.sha256(text).hexdigest()


class Cache:
    """Least recently used compiled structures, bounded by their estimated bytes; one per
    worker, shared by its threads."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[str, Compiled] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, k: str) -> Compiled | None:
        with self._lock:
            found = self._entries.get(k)
            if found is not None:
                self._entries.move_to_end(k)
            return found

    def put(self, c: Compiled) -> None:
        if c.nbytes > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(c.key, None)
            self.bytes -= old.nbytes if old else 0
            self._entries[c.key] = c
            self.bytes += c.nbytes
            while self.bytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self.bytes -= dropped.nbytes

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.bytes = 0

    def __len__(self) -> int:
        return len(self._entries)


CACHE = Cache(STRUCTURE_CACHE_BYTES)


def trace(expression: Any, variables: Any = None, f: Any = "tanh", seed: Any = 0,
          view: Any = "vector", *, check: bool = True, aspect: Any = None,
          on_structure: Callable[[Trace, float | None], Any] | None = None
          ) -> tuple[Compiled, Trace]:
    """`inputs.trace` through the cache: the compiled structure and the trace of this request's
    numbers on it (with the gradient check unless `check` is False); `aspect`, the graph box's
    width / height, chooses the layout (layout.py). When the structure is compiled here,
    `on_structure` is called with its first trace, as engine.compile_run says, and the aspect
    bucket (the web layer starts the layout there); on a cache hit it is not called."""
    req = inputs.read(expression, variables, f, seed)
    if view not in inputs.VIEWS:
        raise BackpropError("error.request.one_of", field="view",
                            choices=", ".join(inputs.VIEWS), got=repr(view))
    box = layout.bucket(aspect)
    k = key(req, view, box)
    found = CACHE.get(k)
    if found is None:
        pipeline = inputs.build(req)
        gr, leaves = pipeline.leaves(pipeline.start(), view)

        def viewed(t: Trace) -> Trace:
            return replace(t, view=view, scalar_nodes=pipeline.scalar_nodes,
                           splits=pipeline.splits)
        result, plan = engine.compile_run(
            gr, leaves, expression=req.expression, parsed=pipeline.parsed, f=req.f,
            seed=req.seed, warnings=pipeline.warnings,
            on_structure=on_structure and (lambda first: on_structure(viewed(first), box)))
        result = viewed(result)
        found = Compiled(k, pipeline, view, gr, plan, result, _nbytes(result), box)
        CACHE.put(found)
    else:
        pipeline = replace(found.pipeline, inputs=req)
        _, leaves = pipeline.leaves(pipeline.start(), view)
        result = engine.refill(found.graph, found.plan, found.template, leaves, req.seed)
    return found, checked(found, result) if check else result


def checked(found: Compiled, result: Trace) -> Trace:
    """The trace with its gradient check, by central differences on the structure's graph."""
    return replace(result, gradient_check=gradcheck.check(found.graph, result))


def _nbytes(t: Trace) -> int:
    """What a compiled structure holds, estimated: its arrays' bytes and its words' characters
    at up to 4 bytes each (Python keeps a string of astral letters at 4 a character), plus a
    per-object overhead, so that the bound holds for any alphabet."""
    words = 0
    arrays = 0
    for n in t.nodes:
        words += len(n.label) + len(n.id)
        arrays += n.value.nbytes + (n.grad.nbytes if n.grad is not None else 0)
    for s in t.steps:
        if isinstance(s, ForwardStep):
            words += len(s.formula) * 3
        elif isinstance(s, BackwardStep):
            for e in s.inputs:
                form, jac = e.shape_form, e.jacobian_form
                words += (len(e.local_formula) * 3 + len(form.equation.text)
                          + len(form.equation.latex) + len(form.note) + len(jac.equation.text)
                          + len(jac.equation.latex) + len(jac.reshape))
                words += sum(len(f.math.text) + len(f.math.latex) for f in form.factors)
                arrays += sum(x.nbytes for x in (e.local, e.downstream)
                              if isinstance(x, np.ndarray))
    # per node and per entry: the graph's networkx dicts, the program, the dataclasses (measured
    # here: 200 lecture-sized entries grew RSS 12 MB, 60 kB each)
    return 4 * words + arrays + 4_000 * len(t.nodes) + 20_000
