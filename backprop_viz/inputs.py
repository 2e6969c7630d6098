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
from .errors import BackpropError
from .limits import MAX_DIM, MAX_ELEMENTS_PER_ARRAY, MAX_ELEMENTS_TOTAL, MAX_EXPRESSION_CHARS
from .parser import parse
from .readings import read_back
from .syntax import F_CHOICES

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
        raise BackpropError("expression must be a string", None)
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise BackpropError(f"the expression is {len(expression)} characters long; the limit is "
                            f"{MAX_EXPRESSION_CHARS}", MAX_EXPRESSION_CHARS)
    if f not in F_CHOICES:
        raise BackpropError(f"f must be one of {', '.join(F_CHOICES)}, not {f!r}", None)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise BackpropError(f"seed must be a whole number from 0 to 2⁶³−1, not {seed!r}", None)
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
            raise BackpropError(f"view must be one of {', '.join(VIEWS)}, not {view!r}", None)
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
    warnings = (*program.notes, *readings, *(f"variable {name} is not in the expression; it was "
                                             "ignored" for name in req.names
                                             if name not in gr.variables))
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

def _spec_error(name: str, detail: str) -> BackpropError:
    return BackpropError(f"variable {name}: {detail}", None)


def _as_array(name: str, value: Any) -> np.ndarray:
    """A number is 1×1, a flat list a column vector, a list of lists a matrix row by row."""
    def number(v: Any) -> float:
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise _spec_error(name, f"{v!r} is not a number")
        try:
            if math.isfinite(v):
                return float(v)
        except OverflowError:   # an integer beyond float's range, e.g. 10**400
            pass
        raise _spec_error(name, f"values must be finite numbers within ±{sys.float_info.max:.3g}")

    if not isinstance(value, list):
        return np.array([[number(value)]])
    if not value:
        raise _spec_error(name, "the value is an empty list")
    if all(not isinstance(v, list) for v in value):
        _check_size(name, (len(value), 1))
        return np.array([[number(v)] for v in value])
    if not all(isinstance(row, list) for row in value):
        raise _spec_error(name, "mixes numbers and lists: give a flat list or a list of rows")
    width = len(value[0])
    if width == 0 or any(len(row) != width for row in value):
        raise _spec_error(name, "rows must all have the same, non-zero length "
                                "(the value is ragged)")
    _check_size(name, (len(value), width))
    return np.array([[number(v) for v in row] for row in value])


def _check_size(name: str, shape: tuple[int, int]) -> None:
    for d in shape:
        if d > MAX_DIM:
            raise _spec_error(name, f"dimension {d} is larger than the limit {MAX_DIM}")
    if shape[0] * shape[1] > MAX_ELEMENTS_PER_ARRAY:
        raise _spec_error(name, f"{shape[0]}×{shape[1]} = {shape[0] * shape[1]} numbers is "
                                f"more than the limit {MAX_ELEMENTS_PER_ARRAY} for one array")


def _read_variables(variables: Any) -> tuple[dict[str, tuple[int, int]], dict[str, np.ndarray]]:
    if variables is None:
        return {}, {}
    if not isinstance(variables, Mapping):
        raise BackpropError("variables must be an object: {name: {shape} or {value}}", None)
    shapes, values = {}, {}
    for name, spec in variables.items():
        if not isinstance(name, str) or not NAME.match(name) or "ᵀ" in name:
            raise BackpropError(f"{name!r} is not a variable name", None)
        if not isinstance(spec, Mapping):
            raise _spec_error(name, 'give {"shape": [rows, columns]} or {"value": ...}')
        unknown = set(spec) - {"shape", "value"}
        if unknown:
            raise _spec_error(name, f"unknown field {sorted(unknown)[0]!r} (use shape or value)")
        shape = None
        if "shape" in spec:
            shape = spec["shape"]
            if (not isinstance(shape, list) or len(shape) != 2
                    or not all(isinstance(d, int) and not isinstance(d, bool) for d in shape)):
                raise _spec_error(name, "shape must be two whole numbers [rows, columns]")
            if min(shape) < 1:
                raise _spec_error(name, f"shape {shape[0]}×{shape[1]} must be at least 1×1")
            _check_size(name, tuple(shape))
            shape = (shape[0], shape[1])
        if "value" in spec:
            values[name] = _as_array(name, spec["value"])
            if shape and shape != values[name].shape:
                raise _spec_error(name, f"the value is {values[name].shape[0]}×"
                                        f"{values[name].shape[1]} but the shape says "
                                        f"{shape[0]}×{shape[1]}")
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
            raise BackpropError(f"{gr.label(node)} would be {r}×{c}: dimension {max(r, c)} is "
                                f"larger than the limit {MAX_DIM}", where)
        if r * c > MAX_ELEMENTS_PER_ARRAY:
            raise BackpropError(f"{gr.label(node)} would be {r}×{c} = {r * c} numbers, more than "
                                f"the limit {MAX_ELEMENTS_PER_ARRAY} for one array", where)
        total += r * c
    if total > MAX_ELEMENTS_TOTAL:
        raise BackpropError(f"the graph would hold {total} numbers in all, more than the limit "
                            f"{MAX_ELEMENTS_TOTAL}", None)


def _draw(name: str, shape: tuple[int, int], seed: int) -> np.ndarray:
    """Uniform in [−1, 1], rounded to 2 decimals so they read like the lecture's. (Standard
    normal values saturated 37–51 % of the tanh units of the lecture's presets over 30 seeds,
    so most gradients shown were near 0; uniform ones saturate 2–16 %.) One stream per name,
    so changing one variable's shape leaves the others' numbers alone."""
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
    return rng.uniform(-1.0, 1.0, shape).round(2)
