"""Training, as the notes' SGD loop does it: θ ← θ − η ∂s/∂θ for every parameter θ, K times.

The request is read, parsed and built once (`inputs.prepare`); each step is one engine pass
with the new values, so a step costs what a trace costs. K is capped by `limits.py`, alone and
times the graph's size.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import tracedata
from .errors import BackpropError, Said, coded, msg
from .inputs import Pipeline, prepare
from .jsonio import array, dumps, number
from .limits import (
    MAX_TRAIN_NODE_STEPS,
    MAX_TRAIN_NUMBER_STEPS,
    MAX_TRAIN_SCALAR_STEPS,
    MAX_TRAIN_STEPS,
)

INPUTS_AND_TARGETS = ("x", "X", "y", "Y", "t", "T")
"""The names that are data, not parameters, unless a request says otherwise: the notes' input
x and targets y and t, and their capitals for a mini-batch (the notes' X; Y and T alike)."""


def is_parameter(name: str) -> bool:
    """The default rule, as the page states it: every variable is a parameter except the inputs
    and targets named x, X, y, Y, t, T."""
    return name not in INPUTS_AND_TARGETS


@dataclass(frozen=True)
class Training:
    """K steps of gradient descent: the loss before and after each, and where they ended."""

    losses: tuple[float, ...]          # s₀ (before any step), s₁, …, one more than the steps
    values: Mapping[str, np.ndarray]   # every variable by name after the last step
    parameters: tuple[str, ...]        # the variables updated, in order of first use
    eta: float
    trace: tracedata.Trace                # the trace at `values`: s = `after`, with its gradients
    warnings: tuple[str, ...] = ()     # why training stopped early, if it did

    @property
    def before(self) -> float:
        return self.losses[0]

    @property
    def after(self) -> float:
        return self.losses[-1]

    @property
    def steps(self) -> int:
        return len(self.losses) - 1

    def to_dict(self) -> dict[str, Any]:
        """The answer of POST /api/train (docs/API.md), ready for `jsonio.dumps`."""
        return {
            "losses": [number(s) for s in self.losses],
            "variables": {name: {"shape": list(v.shape), "value": array(v)}
                          for name, v in self.values.items()},
            "parameters": list(self.parameters), "eta": self.eta,
            "before": number(self.before), "after": number(self.after),
            "steps": self.steps, "warnings": list(self.warnings),
            "warning_codes": coded(self.warnings),
        }

    def to_json(self) -> bytes:
        return dumps(self.to_dict())


def update(expression: Any, variables: Any = None, f: Any = "tanh", seed: Any = 0, *,
           eta: Any = 0.1, parameters: Any = None) -> Training:
    """One step, the page's "update": θ − η ∂s/∂θ for every parameter, the others unchanged."""
    return train(expression, variables, f, seed, eta=eta, steps=1, parameters=parameters)


def train(expression: Any, variables: Any = None, f: Any = "tanh", seed: Any = 0, *,
          eta: Any = 0.1, steps: Any = 1, parameters: Any = None) -> Training:
    """`steps` steps of gradient descent from the request's values, with learning rate `eta`.

    A loss or a gradient that is not finite stops training where it is (the loss is reported,
    and the values stay those that gave it); so does a step whose values would overflow."""
    eta, steps = check_eta(eta), check_steps(steps)
    pipeline = prepare(expression, variables, f, seed)
    names = choose_parameters(pipeline, parameters)
    _check_work(pipeline, steps)
    values = pipeline.start()
    result, again = pipeline.compiled(values)   # the words once; each step its numbers only
    losses = [result.value]
    warnings: list[Said] = []
    for k in range(steps):
        with np.errstate(over="ignore", invalid="ignore"):   # an overflow is said below
            new = {name: v - eta * result.gradient(name) if name in names else v
                   for name, v in values.items()}
        problem = _problem(result, names, new)
        if problem:
            warnings.append(Said("warning.training_stopped", done=k, steps=steps,
                                 problem=problem))
            break
        values = new
        result = again(values)
        losses.append(result.value)
    return Training(tuple(losses), values, names, eta, result, tuple(warnings))


def _problem(result: tracedata.Trace, names: tuple[str, ...], new: Mapping[str, np.ndarray]
             ) -> dict | None:
    """Why the next step cannot be taken (a message): a loss or gradient that is not finite,
    or an update that overflows."""
    out = result.output_name
    if not math.isfinite(result.value):
        return msg("warning.loss_not_finite", loss=out, value=number(result.value))
    return problem(out, {name: result.gradient(name) for name in names}, new)


def problem(out: str, grads: Mapping[str, np.ndarray], new: Mapping[str, np.ndarray]
            ) -> dict | None:
    """A parameter's gradient that is not finite, or an update of it that overflows."""
    for name, grad in grads.items():
        if not np.isfinite(grad).all():
            return msg("warning.gradient_not_finite", gradient=f"∂{out}/∂{name}")
        if not np.isfinite(new[name]).all():
            return msg("warning.update_overflows", update=f"{name} − η ∂{out}/∂{name}")
    return None


def check_eta(eta: Any) -> float:
    if (isinstance(eta, bool) or not isinstance(eta, int | float) or not math.isfinite(eta)
            or eta <= 0):
        raise BackpropError("error.train.eta", got=repr(eta))
    return float(eta)


def check_steps(steps: Any) -> int:
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise BackpropError("error.train.whole", field="steps", low=1, high=MAX_TRAIN_STEPS,
                            got=repr(steps))
    if steps > MAX_TRAIN_STEPS:
        raise BackpropError("error.limit.train_steps", steps=steps, limit=MAX_TRAIN_STEPS)
    return steps


def choose_parameters(pipeline: Pipeline, parameters: Any) -> tuple[str, ...]:
    """The request's list, else the default rule; in the order the expression uses them."""
    known = pipeline.graph.variables
    if parameters is None:
        chosen = {name for name in known if is_parameter(name)}
        if not chosen:
            raise BackpropError("error.train.no_default_parameter", names=", ".join(known))
    else:
        if not isinstance(parameters, list) or not all(isinstance(p, str) for p in parameters):
            raise BackpropError("error.train.parameters_type")
        unknown = [p for p in parameters if p not in known]
        if unknown:
            raise BackpropError("error.train.unknown_parameter", name=unknown[0],
                                names=", ".join(known))
        if not parameters:
            raise BackpropError("error.train.parameters_empty")
        chosen = set(parameters)
    return tuple(name for name in known if name in chosen)


def _check_work(pipeline: Pipeline, steps: int) -> None:
    """Each step is a forward and backward pass, whose cost grows with the nodes (each op's
    bookkeeping), the numbers (elementwise arithmetic) and the scalar operations (a matrix
    product's m·n·p multiplies): K times each is capped (limits.py has the measurements)."""
    g = pipeline.graph.g
    numbers = sum(r * c for r, c in (g.nodes[n]["shape"] for n in g))
    for size, code, limit in (
            (len(g) + g.number_of_edges(), "node_steps", MAX_TRAIN_NODE_STEPS),
            (numbers, "number_steps", MAX_TRAIN_NUMBER_STEPS),
            (pipeline.scalar_nodes or 0, "scalar_steps", MAX_TRAIN_SCALAR_STEPS)):
        if steps * size > limit:
            raise BackpropError(f"error.limit.train_{code}", steps=steps, size=size,
                                total=steps * size, limit=limit, most=limit // size)
