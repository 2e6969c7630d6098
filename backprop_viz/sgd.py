"""Mini-batch SGD on a data set, as the notes' loop writes it: draw B rows, forward, backward,
θ ← θ − η ∂L/∂θ for every parameter, repeat; the train accuracy and the decision boundary.

The data set binds the expression's inputs X (samples as rows, h = XW + b) and targets Y
(one-hot rows). The expression is parsed once, and built once per row count it runs at (the
batch's B, and E rows for evaluating the whole set and the boundary grid, in chunks); each step
is the engine's forward pass and the op table's VJPs, without the text a trace writes for the
page (`step through this batch` asks /api/trace for that, at the values this answer gives).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from . import datasets, engine
from . import graph as graph_mod
from .errors import BackpropError, Said, coded, msg
from .inputs import VARIABLES_SPEC, Pipeline, check_sizes, read
from .jsonio import array, dumps, number
from .limits import (
    BOUNDARY_GRID,
    MAX_SGD_EVAL_ROWS,
    MAX_SGD_WORK,
    MAX_TRAIN_STEPS,
    SGD_NODE_WORK,
)
from .ops import get_op
from .parser import parse
from .printing import unparse
from .training import check_eta, check_steps, choose_parameters, problem

INIT_RULE = ("a parameter the request gives a value keeps it; any other starts as CS231n's "
             "net does, but scaled for ReLU (He): a bias (a single row, as samples are rows) "
             "at 0, a weight W (fan-in × fan-out) at N(0, 2 / fan-in), drawn from the seed")
BATCH_RULE = ("epoch e shuffles the rows by a permutation drawn from (seed, e) and cuts it into "
              "⌊N / B⌋ mini-batches of B rows (the rest wait for the next epoch); step k takes "
              "batch k mod ⌊N / B⌋ of epoch ⌊k / ⌊N / B⌋⌋")


@dataclass(frozen=True)
class Fit:
    """Steps `start` … `start + steps − 1` of mini-batch SGD: each step's mini-batch loss, the
    train accuracy after it, the parameters after the last, and the boundary they draw."""

    losses: tuple[float, ...]          # the loss of step k's mini-batch, before its update (and
                                       # of the step that could not be taken, if one was not)
    accuracies: tuple[float, ...]      # the whole set's train accuracy after step k's update
    values: Mapping[str, np.ndarray]   # the parameters after the last step
    parameters: tuple[str, ...]
    eta: float
    l2: float
    batch_size: int
    start: int
    data: datasets.Dataset
    batch: Mapping[str, np.ndarray]    # the next step's mini-batch: X and Y, by their names
    batch_rows: np.ndarray             # … and which rows of the data set it holds
    boundary: Mapping[str, Any] | None  # the class predicted over a grid of the input plane
    warnings: tuple[str, ...] = ()

    @property
    def steps(self) -> int:
        return len(self.accuracies)

    @property
    def accuracy(self) -> float:
        return self.accuracies[-1] if self.accuracies else math.nan

    def to_dict(self) -> dict[str, Any]:
        """The answer of POST /api/train with a dataset (docs/API.md)."""
        return {
            "losses": [number(v) for v in self.losses],
            "accuracies": list(self.accuracies), "accuracy": number(self.accuracy),
            "variables": {name: {"shape": list(v.shape), "value": array(v)}
                          for name, v in self.values.items()},
            "parameters": list(self.parameters), "eta": self.eta, "l2": self.l2,
            "batch_size": self.batch_size, "start": self.start, "steps": self.steps,
            "epochs": (self.start + self.steps) / (self.data.rows // self.batch_size),
            "init": INIT_RULE, "batches": BATCH_RULE,
            "batch": {"step": self.start + self.steps, "rows": self.batch_rows.tolist(),
                      "variables": {name: {"value": array(v)} for name, v in self.batch.items()}},
            "dataset": self.data.to_dict(), "boundary": self.boundary,
            "warnings": list(self.warnings), "warning_codes": coded(self.warnings),
        }

    def to_json(self) -> bytes:
        return dumps(self.to_dict())


@dataclass(frozen=True)
class Net:
    """The expression built at one row count, with what a pass needs precomputed."""

    graph: graph_mod.Graph
    live: frozenset[str]    # nodes on a path from a parameter to the output: they get gradients
    scores: str             # the node whose row-wise argmax is the predicted class

    def forward(self, leaves: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        return engine.forward(self.graph, leaves)

    def gradients(self, values: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The backward pass: reverse topological order from ∂L/∂L = 1, each edge's VJP from
        the op table, a node's gradient the sum of what its consumers send back."""
        gr, g = self.graph, self.graph.g
        grads = {gr.output: np.ones((1, 1))}
        with np.errstate(all="ignore"):
            for node in reversed(gr.order):
                upstream = grads.get(node)
                attrs = g.nodes[node]
                if upstream is None or attrs["kind"] != "op":
                    continue
                op, args = get_op(attrs["op"]), gr.inputs(node)
                ins = tuple(values[i] for i in args)
                for port, src in enumerate(args):
                    if src in self.live:
                        down = op.vjp(upstream, port, ins, values[node], attrs["params"])
                        grads[src] = grads[src] + down if src in grads else down
        return grads


def fit(expression: Any, variables: Any = None, f: Any = "tanh", seed: Any = 0, *,
        dataset: Any, batch_size: Any = None, eta: Any = 0.1, steps: Any = None,
        epochs: Any = None, l2: Any = 0.0, start: Any = 0, parameters: Any = None,
        inputs: Any = "X", targets: Any = "Y", scores: Any = None) -> Fit:
    """`steps` (or `epochs` × ⌊N / B⌋) steps of mini-batch SGD on `dataset`, from step `start`
    of the batch schedule (the page trains in chunks: each continues where the last stopped)."""
    data = datasets.read(dataset)
    eta, l2 = check_eta(eta), _l2(l2)
    names = _names(inputs, targets)
    b = _batch_size(batch_size, data.rows)
    per_epoch = data.rows // b
    k0 = _whole("start", start, 0, 10**12)
    steps = _count(steps, epochs, per_epoch)
    req = read(expression, _bound(variables, names, data, b), f, seed)
    program = parse(req.expression, frozenset(req.names))
    train_net = _net(program, req, names, data, b, scores)
    pipeline = Pipeline(req, train_net.graph, unparse(program), (), 0)
    chosen = choose_parameters(pipeline, parameters)
    if set(names) & set(chosen):
        raise BackpropError("error.train.parameter_is_data",
                            names=", ".join(sorted(set(names) & set(chosen))))
    eval_net = _eval_net(program, req, names, data, train_net, scores)
    _check_work(train_net, eval_net, steps, data.rows)
    values = {name: req.values[name] if name in req.values else initial(
        name, pipeline.graph.g.nodes[pipeline.graph.variables[name]]["shape"], req.seed)
        for name in chosen}
    fixed = {name: v for name, v in pipeline.start().items() if name not in (*names, *chosen)}
    losses: list[float] = []
    accuracies: list[float] = []
    warnings: list[Said] = []
    for k in range(k0, k0 + steps):
        batch = schedule(req.seed, data.rows, b, k)
        leaves = _leaves(train_net, {**fixed, **values, **_data(names, data, batch)})
        forward = train_net.forward(leaves)
        grads = train_net.gradients(forward)
        loss = float(forward[train_net.graph.output][0, 0]) + _penalty(values, l2)
        losses.append(loss)
        with np.errstate(over="ignore", invalid="ignore"):
            new = {name: v - eta * (_grad(train_net, grads, name) + _decay(v, l2))
                   for name, v in values.items()}
        why = _problem(train_net, grads, loss, chosen, new)
        if why:   # the loss is reported; the step is not taken
            warnings.append(Said("warning.training_stopped", done=k - k0, steps=steps,
                                 problem=why))
            break
        values = new
        accuracies.append(_accuracy(eval_net, {**fixed, **values}, names, data))
    following = schedule(req.seed, data.rows, b, k0 + len(accuracies))
    return Fit(tuple(losses), tuple(accuracies), values, chosen, eta, l2, b, k0, data,
               _data(names, data, following), following,
               _boundary(eval_net, {**fixed, **values}, names, data), tuple(warnings))


# ---------------------------------------------------------------- the request

def _whole(name: str, v: Any, lo: int, hi: int) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise BackpropError("error.train.whole", field=name, low=lo, high=hi, got=repr(v))
    return v


def _l2(l2: Any) -> float:
    if isinstance(l2, bool) or not isinstance(l2, int | float) or not 0 <= l2 < math.inf:
        raise BackpropError("error.train.l2", got=repr(l2))
    return float(l2)


def _names(inputs: Any, targets: Any) -> tuple[str, str]:
    if not isinstance(inputs, str) or not isinstance(targets, str) or inputs == targets:
        raise BackpropError("error.train.inputs_targets")
    return inputs, targets


def _batch_size(b: Any, rows: int) -> int:
    return rows if b is None else _whole("batch_size", b, 1, rows)


def _count(steps: Any, epochs: Any, per_epoch: int) -> int:
    """The steps to take: `steps`, or `epochs` × the batches in an epoch (not both)."""
    if steps is not None and epochs is not None:
        raise BackpropError("error.train.steps_and_epochs")
    if epochs is None:
        return check_steps(1 if steps is None else steps)
    epochs = _whole("epochs", epochs, 1, MAX_TRAIN_STEPS)
    return check_steps(epochs * per_epoch)


def _bound(variables: Any, names: tuple[str, str], data: datasets.Dataset, b: int) -> dict:
    """The request's variables with the inputs and targets shaped as one mini-batch."""
    if variables is not None and not isinstance(variables, Mapping):
        raise BackpropError("error.request.variables_type", **VARIABLES_SPEC)
    given = dict(variables or {})
    given[names[0]] = {"shape": [b, data.features.shape[1]]}
    given[names[1]] = {"shape": [b, data.classes]}
    return given


def _net(program: Any, req: Any, names: tuple[str, str], data: datasets.Dataset, rows: int,
         scores: Any) -> Net:
    shapes = {**req.shapes, names[0]: (rows, data.features.shape[1]),
              names[1]: (rows, data.classes)}
    gr = graph_mod.build(program, req.f, shapes)
    check_sizes(gr)
    for name in names:
        if name not in gr.variables:
            raise BackpropError("error.train.unbound", inputs=names[0], targets=names[1],
                                name=name)
    g = gr.g
    params = [n for name, n in gr.variables.items() if name not in names]
    reach = set().union(*(nx.descendants(g, n) | {n} for n in params)) if params else set()
    live = frozenset(reach & (nx.ancestors(g, gr.output) | {gr.output}))
    return Net(gr, live, _scores(gr, names, rows, data.classes, scores))


def _eval_net(program: Any, req: Any, names: tuple[str, str], data: datasets.Dataset,
              train_net: Net, scores: Any) -> Net:
    """The net that evaluates the whole set and the grid: E = min(N, MAX_SGD_EVAL_ROWS) rows
    at a time, or the batch's B where E rows would pass the size limits."""
    rows = max(_rows(train_net), min(data.rows, MAX_SGD_EVAL_ROWS))
    if rows == _rows(train_net):
        return train_net
    try:
        return _net(program, req, names, data, rows, scores)
    except BackpropError:
        return train_net


def _scores(gr: graph_mod.Graph, names: tuple[str, str], rows: int, classes: int,
            scores: Any) -> str:
    """The request's `scores` (a named node), else the last node computed from the inputs but
    not the targets with one row per sample and one column per class: the logits or their
    softmax, whose row-wise argmax is the prediction."""
    g = gr.g
    from_y = nx.descendants(g, gr.variables[names[1]]) | {gr.variables[names[1]]}
    from_x = nx.descendants(g, gr.variables[names[0]])
    if scores is not None:
        found = [n for n in gr.order if g.nodes[n].get("name") == scores]
        if not isinstance(scores, str) or not found:
            raise BackpropError("error.train.scores_unknown", scores=repr(scores))
        if tuple(g.nodes[found[-1]]["shape"]) != (rows, classes):
            raise BackpropError("error.train.scores_shape", scores=scores,
                                shape=f"{rows}×{classes}")
        return found[-1]
    fit_ = [n for n in gr.order if n in from_x and n not in from_y
            and tuple(g.nodes[n]["shape"]) == (rows, classes)]
    if not fit_:
        raise BackpropError("error.train.no_scores", classes=classes, inputs=names[0],
                            shape=f"{rows}×{classes}")
    return fit_[-1]


def _check_work(train_net: Net, eval_net: Net, steps: int, rows: int) -> None:
    """A step is a forward and backward pass at B rows and ⌈N / E⌉ forward passes at E rows
    (the accuracy); their numbers, and a node's overhead, are capped in all (limits.py)."""
    def work(net: Net) -> int:
        g = net.graph.g
        return sum(r * c + SGD_NODE_WORK for r, c in (g.nodes[n]["shape"] for n in g))
    per_step = 3 * work(train_net) + -(-rows // _rows(eval_net)) * work(eval_net)
    grid = -(-BOUNDARY_GRID ** 2 // _rows(eval_net)) * work(eval_net)   # once, at the end
    if steps * per_step + grid > MAX_SGD_WORK:
        raise BackpropError("error.limit.sgd_work", steps=steps, size=per_step, grid=grid,
                            limit=MAX_SGD_WORK, most=max((MAX_SGD_WORK - grid) // per_step, 0))


def _rows(net: Net) -> int:
    return int(net.graph.g.nodes[net.scores]["shape"][0])


# ---------------------------------------------------------------- the loop

def schedule(seed: int, rows: int, b: int, k: int) -> np.ndarray:
    """Step k's mini-batch (BATCH_RULE): the same rows for the same seed and step."""
    epoch, i = divmod(k, rows // b)
    order = np.random.default_rng([seed, 17, epoch]).permutation(rows)
    return order[i * b:(i + 1) * b]


def _data(names: tuple[str, str], data: datasets.Dataset, rows: np.ndarray
          ) -> dict[str, np.ndarray]:
    return {names[0]: data.features[rows], names[1]: data.one_hot(rows)}


def _leaves(net: Net, values: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {node: values[name] for name, node in net.graph.variables.items()}


def _grad(net: Net, grads: Mapping[str, np.ndarray], name: str) -> np.ndarray:
    node = net.graph.variables[name]
    return grads[node] if node in grads else np.zeros(net.graph.g.nodes[node]["shape"])


def _is_bias(v: np.ndarray) -> bool:
    return v.shape[0] == 1


def _decay(v: np.ndarray, l2: float) -> np.ndarray | float:
    """∂/∂W of the L2 term λ/2 ‖W‖²: λW for a weight, nothing for a bias."""
    return 0.0 if l2 == 0 or _is_bias(v) else l2 * v


def _penalty(values: Mapping[str, np.ndarray], l2: float) -> float:
    if l2 == 0:
        return 0.0
    return 0.5 * l2 * sum(float(np.sum(v * v)) for v in values.values() if not _is_bias(v))


def initial(name: str, shape: tuple[int, int], seed: int) -> np.ndarray:
    """INIT_RULE for a value not given: 0 for a bias, N(0, 2 / fan-in) for a weight."""
    if shape[0] == 1:
        return np.zeros(shape)
    rng = np.random.default_rng([seed, *name.encode()])
    return rng.standard_normal(shape) * math.sqrt(2.0 / shape[0])


def _problem(net: Net, grads: Mapping[str, np.ndarray], loss: float, names: tuple[str, ...],
             new: Mapping[str, np.ndarray]) -> dict | None:
    out = net.graph.output_name
    if not math.isfinite(loss):
        return msg("warning.loss_not_finite", loss=out, value=number(loss))
    return problem(out, {name: _grad(net, grads, name) for name in names}, new)


def _predict(net: Net, values: Mapping[str, np.ndarray], names: tuple[str, str],
             x: np.ndarray) -> np.ndarray:
    """The predicted class of each row of x, E rows at a time (the last chunk padded)."""
    e = _rows(net)
    out = []
    zeros = np.zeros(net.graph.g.nodes[net.graph.variables[names[1]]]["shape"])
    for lo in range(0, len(x), e):
        chunk = x[lo:lo + e]
        padded = np.vstack([chunk, np.repeat(chunk[-1:], e - len(chunk), axis=0)])
        forward = net.forward(_leaves(net, {**values, names[0]: padded, names[1]: zeros}))
        out.append(forward[net.scores][:len(chunk)].argmax(axis=1))
    return np.concatenate(out)


def _accuracy(net: Net, values: Mapping[str, np.ndarray], names: tuple[str, str],
              data: datasets.Dataset) -> float:
    return float(np.mean(_predict(net, values, names, data.features) == data.labels))


def _boundary(net: Net, values: Mapping[str, np.ndarray], names: tuple[str, str],
              data: datasets.Dataset) -> dict[str, Any] | None:
    """The class predicted at each point of a BOUNDARY_GRID² grid over the 2-D input plane
    (the data's range and a tenth more each way); None for other than two features."""
    if data.features.shape[1] != 2:
        return None
    lo, hi = data.features.min(axis=0), data.features.max(axis=0)
    pad = np.maximum((hi - lo) * 0.1, 1e-3)
    xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], BOUNDARY_GRID)
    ys = np.linspace(lo[1] - pad[1], hi[1] + pad[1], BOUNDARY_GRID)
    grid = np.array([[x, y] for y in ys for x in xs])
    classes = _predict(net, values, names, grid).reshape(BOUNDARY_GRID, BOUNDARY_GRID)
    return {"x": xs.tolist(), "y": ys.tolist(), "classes": classes.tolist()}
