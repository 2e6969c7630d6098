"""A request's inputs — expression, variables, f, seed — read and checked, and the variables'
values given or drawn; `trace` runs the whole pipeline: parse → graph → values → engine."""

from __future__ import annotations

import math
import re
import sys
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from . import budget, engine, gradcheck, scalar, tracedata
from . import graph as graph_mod
from .errors import BackpropError, Said
from .limits import MAX_DIM, MAX_ELEMENTS_PER_ARRAY, MAX_ELEMENTS_TOTAL, MAX_EXPRESSION_CHARS
from .parser import parse
from .readings import read_back
from .syntax import F_CHOICES

# error.request.variables_type writes `{name: {shape} or {value}}`: its braces are these.
VARIABLES_SPEC = {"shape": "{shape}", "value": "{value}"}

NAME = re.compile(r"^[^\W\d_][\w]*$")
VIEWS = ("vector", "scalar")   # the graph as built; every entry its own node (`scalar`)


@dataclass(frozen=True)
class Inputs:
    expression: str
    f: str
    seed: int
    shapes: dict[str, tuple[int, int]]      # declared shapes, by variable name
    values: dict[str, np.ndarray]           # given values, by variable name
    names: tuple[str, ...]                  # every variable the request names, in order


def read(expression: Any, variables: Any = None, f: Any = "tanh", seed: Any = 0) -> Inputs:
    """Check a request's fields; every mistake is a BackpropError naming it."""
    if not isinstance(expression, str):
        raise BackpropError("error.request.expression_type")
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise BackpropError("error.limit.expression_chars", MAX_EXPRESSION_CHARS,
                            chars=len(expression), limit=MAX_EXPRESSION_CHARS)
    if f not in F_CHOICES:
        raise BackpropError("error.request.one_of", field="f", choices=", ".join(F_CHOICES),
                            got=repr(f))
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise BackpropError("error.request.seed", got=repr(seed))
    shapes, values = _read_variables(variables)
    return Inputs(expression, f, seed, shapes, values, tuple(variables or ()))


@dataclass(frozen=True)
class Pipeline:
    """A request parsed, built and checked once; `run` passes it through the engine with any
    variable values, so training's K steps never parse again."""

    inputs: Inputs
    graph: graph_mod.Graph
    parsed: str
    warnings: tuple[str, ...]
    scalar_nodes: int               # nodes of the scalar view (`scalar.count`), not built
    splits: tuple[str, ...] = ()    # runs read as products (Wx → W · x), announced in warnings

    def start(self) -> dict[str, np.ndarray]:
        """Every variable's value by name: given, written in the expression, or drawn."""
        return {name: _leaf(self.inputs, name, self.graph.g.nodes[node])
                for name, node in self.graph.variables.items()}

    def leaves(self, values: Mapping[str, np.ndarray], view: Any = "vector"
               ) -> tuple[graph_mod.Graph, dict[str, np.ndarray]]:
        """The view's graph (the scalar expansion for "scalar") and its variable nodes' values."""
        if view not in VIEWS:
            raise BackpropError("error.request.one_of", field="view", choices=", ".join(VIEWS),
                                got=repr(view))
        if view == "scalar":
            return scalar.expand(self.graph, values)
        return self.graph, {node: values[name] for name, node in self.graph.variables.items()}

    def compiled(self, values: Mapping[str, np.ndarray]
                 ) -> tuple[tracedata.Trace, Callable[[Mapping[str, np.ndarray]], tracedata.Trace]]:
        """The trace at `values`, and how to get the trace at other values of the same structure
        by the numeric passes alone (engine.refill): training's steps write no word again."""
        gr, leaves = self.leaves(values)
        first, plan = engine.compile_run(gr, leaves, expression=self.inputs.expression,
                                         parsed=self.parsed, f=self.inputs.f,
                                         seed=self.inputs.seed, warnings=self.warnings)
        first = replace(first, scalar_nodes=self.scalar_nodes, splits=self.splits)

        def again(new: Mapping[str, np.ndarray]) -> tracedata.Trace:
            return engine.refill(gr, plan, first, self.leaves(new)[1], self.inputs.seed)
        return first, again

    def run(self, values: Mapping[str, np.ndarray], view: Any = "vector", *,
            check: bool = False) -> tracedata.Trace:
        """Forward and backward with these values, on the graph or on its scalar expansion;
        with `check`, the gradients are checked by central differences too."""
        gr, leaves = self.leaves(values, view)
        result = engine.run(gr, leaves, expression=self.inputs.expression, parsed=self.parsed,
                            f=self.inputs.f, seed=self.inputs.seed, warnings=self.warnings)
        return replace(result, view=view, scalar_nodes=self.scalar_nodes, splits=self.splits,
                       gradient_check=gradcheck.check(gr, result) if check else None)


def prepare(expression: Any, variables: Any = None, f: Any = "tanh", seed: Any = 0) -> Pipeline:
    """Read, parse, build and check a request: everything but the values and the passes."""
    return build(read(expression, variables, f, seed))


def build(req: Inputs) -> Pipeline:
    """Parse, build and check a request already read."""
    program = parse(req.expression, frozenset(req.names))
    gr = graph_mod.build(program, req.f, req.shapes)
    parsed, readings = read_back(program, gr)
    warnings = (*program.notes, *readings, *(Said("warning.unused_variable", name=name)
                                             for name in req.names if name not in gr.variables))
    check_sizes(gr)
    budget.check(gr)
    return Pipeline(req, gr, parsed, warnings, scalar.count(gr), program.splits)


def trace(expression: Any, variables: Any = None, f: Any = "tanh", seed: Any = 0,
          view: Any = "vector", **values: Any) -> tracedata.Trace:
    """Parse, build, give every variable its value, run forward and backward, check the
    gradients by central differences; `view="scalar"` runs the scalar expansion (every node 1×1,
    micrograd's view) instead of the graph. A notebook may give values as keywords:
    `trace("s = uᵀ f(Wx + b)", W=np.eye(3, 4), x=[1, 2, 3, 4])` (a 1-D array is a column)."""
    if values:
        given = dict(variables or {})
        for name, value in values.items():
            given[name] = {"value": np.asarray(value, dtype=float).tolist()}
        variables = given
    pipeline = prepare(expression, variables, f, seed)
    return pipeline.run(pipeline.start(), view, check=True)


def _leaf(req: Inputs, name: str, attrs: dict) -> np.ndarray:
    """A variable's value: given, else the number its first assignment wrote (`c = 2`), else
    drawn from the seed."""
    if name in req.values:
        return req.values[name]
    if "fill" in attrs:
        return np.full(attrs["shape"], attrs["fill"])
    return _draw(name, attrs["shape"], req.seed)


# ---------------------------------------------------------------- variables

def _spec_error(name: str, code: str, **params: Any) -> BackpropError:
    """`variable W: …`, the detail said by `code` (error.variable.*)."""
    return BackpropError(code, None, name=name, **params)


def _as_array(name: str, value: Any) -> np.ndarray:
    """A number is 1×1, a flat list a column vector, a list of lists a matrix row by row."""
    def number(v: Any) -> float:
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise _spec_error(name, "error.variable.not_a_number", got=repr(v))
        try:
            if math.isfinite(v):
                return float(v)
        except OverflowError:   # an integer beyond float's range, e.g. 10**400
            pass
        raise _spec_error(name, "error.variable.not_finite", limit=f"{sys.float_info.max:.3g}")

    if not isinstance(value, list):
        return np.array([[number(value)]])
    if not value:
        raise _spec_error(name, "error.variable.empty")
    if all(not isinstance(v, list) for v in value):
        _check_size(name, (len(value), 1))
        return np.array([[number(v)] for v in value])
    if not all(isinstance(row, list) for row in value):
        raise _spec_error(name, "error.variable.mixed")
    width = len(value[0])
    if width == 0 or any(len(row) != width for row in value):
        raise _spec_error(name, "error.variable.ragged")
    _check_size(name, (len(value), width))
    return np.array([[number(v) for v in row] for row in value])


def _check_size(name: str, shape: tuple[int, int]) -> None:
    for d in shape:
        if d > MAX_DIM:
            raise _spec_error(name, "error.variable.dimension", dim=d, limit=MAX_DIM)
    if shape[0] * shape[1] > MAX_ELEMENTS_PER_ARRAY:
        raise _spec_error(name, "error.variable.elements", shape=f"{shape[0]}×{shape[1]}",
                          numbers=shape[0] * shape[1], limit=MAX_ELEMENTS_PER_ARRAY)


def _read_variables(variables: Any) -> tuple[dict[str, tuple[int, int]], dict[str, np.ndarray]]:
    if variables is None:
        return {}, {}
    if not isinstance(variables, Mapping):
        raise BackpropError("error.request.variables_type", **VARIABLES_SPEC)
    shapes, values = {}, {}
    for name, spec in variables.items():
        if not isinstance(name, str) or not NAME.match(name) or "ᵀ" in name:
            raise BackpropError("error.variable.bad_name", got=repr(name))
        if not isinstance(spec, Mapping):
            raise _spec_error(name, "error.variable.spec_type", shape='{"shape": [rows, columns]}',
                              value='{"value": ...}')
        unknown = set(spec) - {"shape", "value"}
        if unknown:
            raise _spec_error(name, "error.variable.unknown_field", field=repr(sorted(unknown)[0]))
        shape = None
        if "shape" in spec:
            shape = spec["shape"]
            if (not isinstance(shape, list) or len(shape) != 2
                    or not all(isinstance(d, int) and not isinstance(d, bool) for d in shape)):
                raise _spec_error(name, "error.variable.shape_type")
            if min(shape) < 1:
                raise _spec_error(name, "error.variable.shape_small",
                                  shape=f"{shape[0]}×{shape[1]}")
            _check_size(name, tuple(shape))
            shape = (shape[0], shape[1])
        if "value" in spec:
            values[name] = _as_array(name, spec["value"])
            if shape and shape != values[name].shape:
                raise _spec_error(name, "error.variable.value_shape",
                                  value=f"{values[name].shape[0]}×{values[name].shape[1]}",
                                  shape=f"{shape[0]}×{shape[1]}")
            shape = values[name].shape
        if shape:
            shapes[name] = shape
    return shapes, values


def check_sizes(gr: graph_mod.Graph) -> None:
    """Refuse a graph too large to hold before allocating any array."""
    total = 0
    for node in gr.order:
        r, c = gr.g.nodes[node]["shape"]
        where = gr.g.nodes[node].get("pos")
        if max(r, c) > MAX_DIM:
            raise BackpropError("error.limit.dimension", where, node=gr.label(node),
                                shape=f"{r}×{c}", dim=max(r, c), limit=MAX_DIM)
        if r * c > MAX_ELEMENTS_PER_ARRAY:
            raise BackpropError("error.limit.array_elements", where, node=gr.label(node),
                                shape=f"{r}×{c}", numbers=r * c, limit=MAX_ELEMENTS_PER_ARRAY)
        total += r * c
    if total > MAX_ELEMENTS_TOTAL:
        raise BackpropError("error.limit.total_elements", numbers=total, limit=MAX_ELEMENTS_TOTAL)


def _draw(name: str, shape: tuple[int, int], seed: int) -> np.ndarray:
    """Uniform in [−1, 1], rounded to 2 decimals so they read like the lecture's. (Standard
    normal values saturated 37–51 % of the tanh units of the lecture's presets over 30 seeds,
    so most gradients shown were near 0; uniform ones saturate 2–16 %.) One stream per name,
    so changing one variable's shape leaves the others' numbers alone."""
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
    return rng.uniform(-1.0, 1.0, shape).round(2)
