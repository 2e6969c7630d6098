"""Practice mode's "check my formula": a formula the student types (`δ xᵀ`, `u ∘ f′(z)`,
`W^T delta`) evaluated as a second program on the trace's own numbers, and compared with the
gradient a backward step asks for.

The formula goes through the project's parser and graph builder (never `eval`), under the same
limits as any expression. Its names are bound to the trace's arrays: every named node (the
variables, named intermediates such as z and h, the output) to its value, and every δ (also
spelled `delta`, `delta2`, …) to its gradient.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import engine, inputs, tracedata
from . import graph as graph_mod
from .errors import BackpropError, msg
from .grammar import ASSIGNMENTS
from .jsonio import array
from .lexer import TRANSPOSE_MARK, location, tokenize
from .limits import MAX_EXPRESSION_CHARS
from .parser import parse
from .syntax import Call, Name, Program, Statement

RTOL = 1e-9     # a formula is the same computation as the trace's: equal to rounding
ATOL = 1e-12    # …and an entry that should be 0 may come out as rounding
NAME = re.compile(r"[^\W\d_]\w*")
ASCII_DELTA = "delta"


@dataclass(frozen=True)
class Check:
    """A formula's value next to the gradient asked for."""

    value: np.ndarray
    expected: np.ndarray

    @property
    def same_shape(self) -> bool:
        return self.value.shape == self.expected.shape

    @property
    def max_abs_error(self) -> float | None:
        if not self.same_shape:
            return None
        return float(np.max(np.abs(self.value - self.expected)))

    @property
    def correct(self) -> bool:
        return self.same_shape and bool(np.allclose(self.value, self.expected, rtol=RTOL,
                                                    atol=ATOL, equal_nan=True))

    def to_dict(self) -> dict[str, Any]:
        error = self.max_abs_error
        return {"correct": self.correct, "value": array(self.value),
                "shape": list(self.value.shape), "expected_shape": list(self.expected.shape),
                "max_abs_error": None if error is None or not np.isfinite(error) else error}


def check(expression: Any, variables: Any = None, f: Any = "tanh", seed: Any = 0,
          view: Any = "vector", *, formula: Any, step: Any, port: Any = None) -> Check:
    """Trace the request, then evaluate `formula` on its numbers and compare it with what
    backward step `step` (1-based, as the page counts) asks: its upstream gradient (`port`
    None), or the gradient it sends back to its input at `port`."""
    pipeline = inputs.prepare(expression, variables, f, seed)
    result = pipeline.run(pipeline.start(), view)
    expected = asked(result, step, port)
    labels = engine.lecture_labels(pipeline.graph) if view == "vector" else {}
    return Check(evaluate(formula, bindings(result, labels), result.f), expected)


def asked(trace: tracedata.Trace, step: Any, port: Any) -> np.ndarray:
    """The gradient a backward step asks for: its node's (port None) or an input edge's."""
    n = len(trace.steps)
    if isinstance(step, bool) or not isinstance(step, int) or not 1 <= step <= n:
        raise BackpropError("error.request.step", low=1, high=n, got=repr(step))
    at = trace.steps[step - 1]
    if not isinstance(at, tracedata.BackwardStep):
        raise BackpropError("error.practice.forward_step", step=step)
    if port is None:
        return trace.node(at.node).grad
    ports = [e.port for e in at.inputs]
    edge = next((e for e in at.inputs if e.port == port and not isinstance(port, bool)), None)
    if edge is None:
        if not ports:
            raise BackpropError("error.practice.no_ports", step=step, port=repr(port))
        raise BackpropError("error.practice.no_port", step=step, port=repr(port),
                            ports=", ".join(map(str, ports)))
    return edge.downstream


def bindings(trace: tracedata.Trace, labels: Mapping[str, str] | None = None
             ) -> dict[str, np.ndarray]:
    """Every name a formula may use: named nodes by their label or lecture label (z, h) to
    their values, then each δ (δ, δ₂; delta, delta2) to its gradient, unless a node has the
    name."""
    names: dict[str, np.ndarray] = {}
    for node in trace.nodes:
        for said in (node.label, (labels or {}).get(node.id)):
            if said and NAME.fullmatch(said) and TRANSPOSE_MARK not in said:
                names.setdefault(said, node.value)
    for k, d in enumerate(trace.deltas, start=1):
        grad = trace.node(d.delta.node).grad
        for name in (d.delta.name, ASCII_DELTA + ("" if k == 1 else str(k))):
            names.setdefault(name, grad)
    return names


def evaluate(formula: Any, names: Mapping[str, np.ndarray], f: str) -> np.ndarray:
    """A formula's value: parsed and built like an expression whose variables are `names`
    (never eval). Refused: text over the expression's limit, an assignment or several
    statements, a name not in `names`; and whatever the parser and builder refuse."""
    if not isinstance(formula, str):
        raise BackpropError("error.practice.formula_type")
    if len(formula) > MAX_EXPRESSION_CHARS:
        raise BackpropError("error.limit.formula_chars", MAX_EXPRESSION_CHARS,
                            chars=len(formula), limit=MAX_EXPRESSION_CHARS)
    if not formula.strip():
        raise BackpropError("error.practice.formula_empty", 0)
    for tok in tokenize(formula):
        if tok.kind in ASSIGNMENTS or tok.kind == "sep":
            written = tok.text.strip()
            raise BackpropError("error.practice.not_one_expression", tok.pos,
                                token=f"'{written}'" if written else
                                msg("error.token.line_break"), at=location(formula, tok.pos))
    program = parse(formula, frozenset(names))
    expr = program.statements[0].expr
    for used in _names(expr):
        if used.name not in names:
            known = ", ".join(sorted(names))
            raise BackpropError("error.practice.unknown_name", used.pos, name=used.name,
                                at=location(formula, used.pos), names=known)
    # The builder wants a scalar output, as every expression has: sum the formula, and read
    # the value of what was summed.
    summed = Program((Statement(None, Call("sum", (expr,), 0), 0),), formula)
    used = {n.name for n in _names(expr)}
    gr = graph_mod.build(summed, f, {name: names[name].shape for name in used})
    inputs.check_sizes(gr)
    values = engine.forward(gr, {node: names[name] for name, node in gr.variables.items()})
    return values[gr.inputs(gr.output)[0]]


def _names(expr: Any) -> Iterator[Name]:
    """Every Name in an AST, in source order."""
    if isinstance(expr, Name):
        yield expr
    elif isinstance(expr, tuple):
        for item in expr:
            yield from _names(item)
    elif dataclasses.is_dataclass(expr):
        for field in dataclasses.fields(expr):
            yield from _names(getattr(expr, field.name))
