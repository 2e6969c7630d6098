"""Forward and backward passes over the graph → one typed Trace (tracedata.py); knows ops only
via the table."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from . import deltas as delta_mod
from . import forms
from . import graph as graph_mod
from .errors import Said
from .limits import MAX_JACOBIAN_NUMBERS
from .op import Op
from .ops import get_op
from .rule import Derived, Names, Rule, Term, Upstream
from .tracedata import BackwardStep, Edge, EdgeGrad, ForwardStep, Node, Step, Trace

# ---------------------------------------------------------------- the passes

def forward(gr: graph_mod.Graph, leaves: Mapping[str, np.ndarray],
            reuse: Mapping[str, np.ndarray] | None = None,
            nodes: Iterable[str] | None = None) -> dict[str, np.ndarray]:
    """Every node's value, in topological order. Given an earlier pass's values in `reuse`,
    only `nodes` (in topological order) are computed again: the gradient check recomputes
    just what a perturbed variable reaches."""
    plan = gr.plan
    values: dict[str, np.ndarray] = dict(reuse or {})
    with np.errstate(all="ignore"):
        for node in gr.order if nodes is None else nodes:
            kind, op, args, params, constant = plan[node]
            if kind == "variable":
                values[node] = leaves[node]
            elif kind == "constant":
                values[node] = np.full((1, 1), constant)
            else:
                values[node] = _raw(get_op(op).forward)(tuple(values[i] for i in args), params)
    return values


@dataclass(frozen=True)
class EdgePlan:
    """What the numeric pass redoes for one input edge: its VJP and local Jacobian, and the
    factors of its shape form whose numbers are computed (f′(z), a mask): (index, compute)."""

    src: str
    port: int
    jacobian: bool
    derived: tuple[tuple[int, Callable[..., np.ndarray]], ...]


@dataclass(frozen=True)
class StepPlan:
    node: str
    op: Op | None
    args: tuple[str, ...]
    params: Mapping[str, Any]
    edges: tuple[EdgePlan, ...]


@dataclass(frozen=True)
class Plan:
    """A structure's backward pass with its words taken out: what `refill` computes per
    request. The words (forms, δ names, closed forms) stay in the template trace."""

    steps: tuple[StepPlan, ...]            # in backward order
    said: Mapping[str, str]                # lecture_labels: fan-out sums name their parts
    warnings: tuple[str, ...]              # the structure's own warnings (not the numbers')


def _raw(rule: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """An op's rule without its own np.errstate (op.quiet): the passes run under one of theirs."""
    return getattr(rule, "__wrapped__", rule)


def run(gr: graph_mod.Graph, leaves: Mapping[str, np.ndarray], *, expression: str, parsed: str,
        f: str, seed: int, warnings: tuple[str, ...] = ()) -> Trace:
    """Forward then backward over `gr`; `leaves` holds every variable node's value."""
    return compile_run(gr, leaves, expression=expression, parsed=parsed, f=f, seed=seed,
                       warnings=warnings)[0]


def compile_run(gr: graph_mod.Graph, leaves: Mapping[str, np.ndarray], *, expression: str,
                parsed: str, f: str, seed: int, warnings: tuple[str, ...] = (),
                on_structure: Callable[[Trace], Any] | None = None) -> tuple[Trace, Plan]:
    """`run`, and the plan that lets `refill` give the same structure new numbers without
    writing any of its words again. `on_structure`, if given, is called with a first trace
    once the numbers and the δ names are known, before any word of the forms is written: its
    nodes, edges and δs are the final trace's (what a drawing needs), its steps have no forms
    yet. A layout started there runs while the words are written."""
    g = gr.g
    values = forward(gr, leaves)
    steps: list[Step] = [ForwardStep(node, _formula(g.nodes[node])) for node in gr.order]
    with np.errstate(all="ignore"):
        grads, numbered, plans, said = _backward(gr, values)
    nodes = tuple(_node(gr, n, values[n], grads.get(n)) for n in gr.order)
    edges = tuple(Edge(s, t, p) for s, t, p in
                  sorted(g.edges(keys=True), key=lambda e: (int(e[1][1:]), e[2])))
    if on_structure is not None:
        on_structure(Trace(expression, parsed, f, seed, gr.output, gr.output_name, nodes, edges,
                           (*steps, *(BackwardStep(n.node, (), n.contributions, n.delta)
                                      for n in numbered)), dict(gr.variables)))
    with np.errstate(all="ignore"):
        backward, composed = _words(gr, numbered, said)
    steps.extend(backward)
    notes = (*warnings, *_non_finite(gr, values, "value"), *_non_finite(gr, grads, "gradient"))
    closed, defined = delta_mod.closed_forms(composed, gr.output, gr.output_name, gr.variables)
    trace = Trace(expression, parsed, f, seed, gr.output, gr.output_name, nodes, edges,
                  tuple(steps), dict(gr.variables), notes, closed_forms=closed, deltas=defined,
                  names=lecture_names(gr, said))
    return trace, Plan(tuple(plans), said, tuple(warnings))


def refill(gr: graph_mod.Graph, plan: Plan, template: Trace, leaves: Mapping[str, np.ndarray],
           seed: int) -> Trace:
    """The template's structure with these leaves' numbers: values, gradients, local Jacobians,
    downstream gradients, the computed factors, the fan-out sums and the non-finite warnings.
    Every word is the template's; the arrays are new, so the template is never changed."""
    values = forward(gr, leaves)
    forward_steps = template.steps[:len(gr.order)]
    parts: dict[str, list[tuple[str, int, np.ndarray]]] = {n.node: [] for n in plan.steps}
    grads: dict[str, np.ndarray] = {}
    steps: list[Step] = list(forward_steps)
    with np.errstate(all="ignore"):
        for sp, ts in zip(plan.steps, template.steps[len(gr.order):], strict=True):
            node = sp.node
            upstream = grads[node] = _upstream(gr, node, values, parts)
            edges = []
            if sp.op is not None:
                ins = tuple(values[i] for i in sp.args)
                out = values[node]
                vjp, jacobian = _raw(sp.op.vjp), _raw(sp.op.jacobian)
                for ep, te in zip(sp.edges, ts.inputs, strict=True):
                    down = vjp(upstream, ep.port, ins, out, sp.params)
                    local = jacobian(ep.port, ins, out, sp.params) if ep.jacobian else None
                    form = te.shape_form
                    if ep.derived:
                        factors = list(form.factors)
                        for i, compute in ep.derived:
                            value = np.asarray(compute(upstream, ins, out, sp.params),
                                               dtype=np.float64)
                            f = factors[i]
                            factors[i] = forms.Factor(f.math, f.shape, forms.ValueRef(value))
                        form = forms.Form(form.equation, form.lhs, form.lhs_shape,
                                          tuple(factors), form.operators, form.note)
                    # the constructors, not dataclasses.replace: this is the hot loop
                    edges.append(EdgeGrad(te.node, te.port, local, te.local_formula, down, form,
                                          te.jacobian_form))
                    parts[ep.src].append((node, ep.port, down))
            fan = ts.fan_out
            if fan is not None:
                fan = delta_mod.fan_out(gr.output_name, plan.said[node],
                                        [(plan.said[n], d) for n, _, d in parts[node]])
            steps.append(BackwardStep(ts.node, tuple(edges), ts.contributions, ts.delta, fan))
    nodes = tuple(Node(n.id, n.label, n.kind, n.op, n.symbol, n.shape, n.inputs, values[n.id],
                       grads.get(n.id)) for n in template.nodes)
    notes = (*plan.warnings, *_non_finite(gr, values, "value"),
             *_non_finite(gr, grads, "gradient"))
    return replace(template, seed=seed, nodes=nodes, steps=tuple(steps), warnings=notes,
                   gradient_check=None)


def _formula(attrs: Mapping[str, Any]) -> str:
    """A forward step's formula: the variable's name, the constant as written, `z = W · x`."""
    if attrs["kind"] == "variable":
        return attrs["name"]
    if attrs["kind"] == "constant":
        return attrs["text"]
    return f"{attrs['name']} = {attrs['text']}" if attrs["name"] else attrs["text"]


def _node(gr: graph_mod.Graph, nid: str, value: np.ndarray, grad: np.ndarray | None) -> Node:
    attrs = gr.g.nodes[nid]
    op = attrs["op"]
    return Node(nid, gr.label(nid), attrs["kind"], op, get_op(op).symbol if op else None,
                tuple(attrs["shape"]), tuple(gr.inputs(nid)), value, grad)


def _needs_grad(gr: graph_mod.Graph) -> set[str]:
    """Nodes that depend on some variable: only they get a gradient (as in PyTorch)."""
    out: set[str] = set()
    for node in gr.order:
        if gr.g.nodes[node]["kind"] == "variable" or any(i in out for i in gr.inputs(node)):
            out.add(node)
    return out


@dataclass(frozen=True)
class _Numbered:
    """One backward step with its numbers worked out and its words still to write."""

    node: str
    delta: delta_mod.Delta | None
    contributions: tuple[tuple[str, int], ...]
    parts: tuple[tuple[str, np.ndarray], ...]     # (consumer, downstream): for the fan-out sum
    rule: tuple[Op, forms.Step] | None
    edges: tuple[tuple[int, str, np.ndarray | None, np.ndarray, Any], ...]
    # per live input: (port, source, local Jacobian or None, downstream, its written rule)
    ins: tuple[np.ndarray, ...]
    out: np.ndarray
    upstream: np.ndarray


def _backward(gr: graph_mod.Graph, values: dict[str, np.ndarray]
              ) -> tuple[dict[str, np.ndarray], list[_Numbered], list[StepPlan], dict[str, str]]:
    """Reverse topological order from the output with upstream 1; fan-out sums contributions.
    Each step names its δ and takes its op's rule for each edge (which says whether it passes
    the upstream on as it is); `_words` writes the forms from them."""
    g = gr.g
    live = _needs_grad(gr) & gr.feeds
    parts: dict[str, list[tuple[str, int, np.ndarray]]] = {n: [] for n in live}
    grads: dict[str, np.ndarray] = {}
    numbered: list[_Numbered] = []
    plans: list[StepPlan] = []
    passes: dict[tuple[str, str, int], bool] = {}   # (src, consumer, port): upstream as it is
    namer = delta_mod.Namer()
    said = lecture_labels(gr)
    for node in reversed(gr.order):
        if node not in live:
            continue
        upstream = grads[node] = _upstream(gr, node, values, parts)
        attrs = g.nodes[node]
        args = gr.inputs(node) if attrs["kind"] == "op" else []
        delta = namer.name(node, upstream, step=len(gr.order) + len(numbered) + 1,
                           fans=node != gr.output and sum(a in live for a in args) >= 2,
                           consumers=[c for c, _, _ in parts[node]],
                           same=len(parts[node]) == 1
                           and passes[(node, parts[node][0][0], parts[node][0][1])])
        edges = []
        edge_plans: list[EdgePlan] = []
        rule = None
        op = None
        ins: tuple[np.ndarray, ...] = ()
        out = values[node]
        if attrs["kind"] == "op":
            op = get_op(attrs["op"])
            ins = tuple(values[i] for i in args)
            up = (delta.name if delta is not None and delta.equal else "1" if node == gr.output
                  else forms.gradient_name(gr.output_name, said[node]))
            step = forms.Step(gr.output_name, node, _parenthesised(said[node]), tuple(args),
                              Names(up, tuple(_parenthesised(said[i]) for i in args),
                                    tuple(v.shape for v in ins), _parenthesised(said[node]),
                                    out.shape, attrs["params"], attrs.get("via")))
            rule = (op, step)
            vjp, jacobian = _raw(op.vjp), _raw(op.jacobian)   # under the errstate above
            for port, src in enumerate(args):
                if src not in live:
                    continue
                down = vjp(upstream, port, ins, out, attrs["params"])
                shown = out.size * ins[port].size <= MAX_JACOBIAN_NUMBERS
                local = jacobian(port, ins, out, attrs["params"]) if shown else None
                written = forms.written_rule(op, port, step)
                edges.append((port, src, local, down, written))
                parts[src].append((node, port, down))
                passes[(src, node, port)] = written.terms == (Term(written.terms[0].text,
                                                                   Upstream()),)
                edge_plans.append(EdgePlan(src, port, shown, tuple(
                    (i, t.source.compute) for i, t in enumerate(written.terms)
                    if isinstance(t.source, Derived))))
        numbered.append(_Numbered(node, delta, tuple((n, p) for n, p, _ in parts[node]),
                                  tuple((n, d) for n, _, d in parts[node]), rule,
                                  tuple(edges), ins, out, upstream))
        plans.append(StepPlan(node, op, tuple(args), attrs["params"], tuple(edge_plans)))
    return grads, numbered, plans, said


def _words(gr: graph_mod.Graph, numbered: list[_Numbered], said: Mapping[str, str]
           ) -> tuple[list[BackwardStep], list[delta_mod.Backward]]:
    """Each numbered step written the lecture's two ways (forms), with its fan-out sum, and
    what the closed forms are composed from (deltas)."""
    steps: list[BackwardStep] = []
    composed: list[delta_mod.Backward] = []
    for n in numbered:
        edges = []
        if n.rule is not None:
            op, step = n.rule
            params = step.names.params
            labels = tuple(_child_label(gr, i) for i in step.inputs)
            shapes = step.names.shapes
            for port, src, local, down, rule in n.edges:
                formula = op.local_formula(port, labels, shapes, n.out.shape, params)
                form = forms.written(rule, port, step, n.ins, n.out, n.upstream)
                jac = forms.jacobian_form(form, step, port, n.upstream.shape, rule.entry)
                edges.append(EdgeGrad(src, port, local, formula, down, form, jac))
        fan = delta_mod.fan_out(gr.output_name, said[n.node],
                                [(said[c], d) for c, d in n.parts])
        steps.append(BackwardStep(n.node, tuple(edges), n.contributions, n.delta, fan))
        written: list[Rule | None] = [None] * len(n.ins)
        for port, _, _, _, rule in n.edges:
            written[port] = rule
        composed.append(delta_mod.Backward(n.node, said[n.node], n.rule, n.contributions,
                                           n.delta, n.upstream.shape, tuple(written)))
    return steps, composed


def _upstream(gr: graph_mod.Graph, node: str, values: Mapping[str, np.ndarray],
              parts: Mapping[str, list[tuple[str, int, np.ndarray]]]) -> np.ndarray:
    """∂out/∂node: 1 at the output, else the sum of what each consumer sent back (fan-out)."""
    if node == gr.output:
        return np.ones_like(values[node])
    first, *rest = (d for _, _, d in parts[node])
    return sum(rest, start=first)


def _child_label(gr: graph_mod.Graph, node: str) -> str:
    return _parenthesised(gr.label(node))


def _parenthesised(label: str) -> str:
    return f"({label})" if " " in label else label


def lecture_labels(gr: graph_mod.Graph) -> dict[str, str]:
    """Each node's label in the lecture's forms: its own, except that where the placeholder f
    is written once and neither its argument nor its value has a name, they are z and h, as
    the lecture writes s = uᵀ f(Wx + b) out (z = Wx + b, h = f(z)). Where the expression names
    one of them (h = f(W1 x + b1)), the other keeps its own label: no name is invented beside
    the user's."""
    said = {n: gr.label(n) for n in gr.order}
    named = {a["name"] for _, a in gr.g.nodes(data=True) if a["name"]}
    applied = [n for n in gr.order if gr.g.nodes[n].get("via") == "f"]
    if len(applied) == 1 and not named & {"z", "h"}:
        h = applied[0]
        pair = ((gr.inputs(h)[0], "z"), (h, "h"))
        if all(gr.g.nodes[n]["kind"] == "op" and not gr.g.nodes[n]["name"] for n, _ in pair):
            said.update(pair)
    return said


def lecture_names(gr: graph_mod.Graph, said: Mapping[str, str]) -> tuple[forms.Named, ...]:
    """The names `lecture_labels` gave, each defined once as the panel says it: z = W · x + b,
    then h = f(z), its argument by its new name."""
    out = []
    for node in gr.order:
        if said[node] == gr.label(node):
            continue
        via = gr.g.nodes[node].get("via")
        text = f"{via}({said[gr.inputs(node)[0]]})" if via else gr.label(node)
        out.append(forms.Named(node, said[node], forms.Math.of(f"{said[node]} = {text}")))
    return tuple(out)


def _non_finite(gr: graph_mod.Graph, arrays: dict[str, np.ndarray], what: str) -> list[Said]:
    """One warning naming the first node (in forward order) whose array is not all finite;
    `what` is "value" or "gradient" (warning.non_finite_*)."""
    for node in gr.order:
        if node in arrays and not np.isfinite(arrays[node]).all():
            return [Said(f"warning.non_finite_{what}", label=gr.label(node), node=node)]
    return []
