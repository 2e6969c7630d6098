"""δ, computed once and reused; fan-out written as its sum; the closed forms of the gradients.

The lecture names δ = ∂s/∂z = u ∘ f′(z) because two computations use it (∂s/∂W = δ xᵀ and
∂s/∂b = δ). So: the upstream of a backward step that has two or more input edges to send back
along is named δ, δ₂, δ₃, … in backward order (the output's seed 1 never is). A later node
whose every contribution came from steps whose upstream is one δ "comes from" it (W: δ xᵀ);
if its gradient is that very array by the structure (one edge whose rule passes the upstream
on as it is, same shape: ∂s/∂(Wx) = δ after the add), it is "the same δ". Looking only at the
steps a gradient came from keeps this linear in the graph's size, and deciding by the structure
never names a gradient after a δ its numbers merely happen to equal, so a structure's words
are the same for every set of numbers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import notation as nt
from .errors import Said, msg
from .forms import Math, Step, gradient_name, join, without_seed
from .numbers import number
from .op import Op
from .reductions import softmax_axis
from .rule import Names, Rule

SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
COUNTS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight",
          9: "nine", 10: "ten"}
CLOSED_CHARS = 40       # a closed form longer than this is given up (None)


@dataclass(frozen=True)
class Delta:
    """The δ a backward step's upstream is (`equal`) or was computed from (not `equal`): its
    name, the 1-based step (as the page counts: step k is steps[k − 1]) where it was first
    computed, and whether this is that step."""

    name: str
    latex: str
    step: int
    node: str
    defines: bool
    equal: bool


@dataclass(frozen=True)
class Given:
    """What a closed form takes for granted of a node's numbers: that its entries sum to 1
    along `axis` (0: each column, 1: each row), as a one-hot label's do (ŷ − y). `text` says it
    with its reason, `condition` alone (delta.given.*: keys, said in each reader's language)."""

    node: str
    axis: int
    text: Said
    condition: Said


@dataclass(frozen=True)
class Definition:
    """A δ with its closed form: δ = u ∘ f′(z); `given`, what the form assumes of the numbers."""

    delta: Delta
    math: Math
    given: Given | None = None


class Namer:
    """Names δs as the backward pass reaches them (in backward order)."""

    def __init__(self) -> None:
        self._shapes: dict[str, tuple[int, ...]] = {}   # δ's name → its shape
        self.at: dict[str, Delta | None] = {}

    def name(self, node: str, grad: np.ndarray, *, fans: bool, step: int,
             consumers: Sequence[str], same: bool) -> Delta | None:
        """The δ of `node`'s step; `fans`: the step sends its upstream along two or more
        edges and is not the output's; `consumers`: the steps its gradient came from; `same`:
        it came from one edge whose rule passes the upstream on as it is (add's), so it is
        its consumer's gradient by the structure alone, whatever the numbers."""
        above = {self.at.get(c) for c in consumers}
        source = above.pop() if len(above) == 1 else None
        found = None
        if source is not None and source.equal:
            shape = self._shapes[source.name]
            found = Delta(source.name, source.latex, source.step, source.node, False,
                          same and shape == grad.shape)
        if (found is None or not found.equal) and fans:
            k = len(self._shapes) + 1
            found = Delta("δ" + ("" if k == 1 else str(k).translate(SUBSCRIPT)),
                          r"\delta" + ("" if k == 1 else f"_{{{k}}}"), step, node, True, True)
            self._shapes[found.name] = grad.shape
        self.at[node] = found
        return found


def fan_out(output: str, label: str, parts: Sequence[tuple[str, np.ndarray]]) -> Math | None:
    """∂s/∂x = 3 + 1 (from its two uses): scalars with their numbers, arrays by their uses."""
    if len(parts) < 2:
        return None
    lhs = gradient_name(output, label)
    if all(a.size == 1 for _, a in parts):
        terms = [number(float(a[0, 0])) for _, a in parts]
        terms = terms[:1] + [f"({t})" if t.startswith("−") else t for t in terms[1:]]
        count = COUNTS.get(len(parts), str(len(parts)))
        text = f"{lhs} = {' + '.join(terms)} (from its {count} uses)"
        tex = (Math.of(f"{lhs} = {' + '.join(terms)}").latex
               + rf"\quad\text{{(from its {count} uses)}}")
        return Math(text, tex)
    texts = [f"(from {nt.bare(c)})" for c, _ in parts]
    tex = Math.of(lhs).latex + " = " + " + ".join(
        rf"\text{{(from }}{Math.of(nt.bare(c)).latex}\text{{)}}" for c, _ in parts)
    return Math(f"{lhs} = {' + '.join(texts)}", tex)


# ---------------------------------------------------------------- closed forms

@dataclass(frozen=True)
class Backward:
    """What composing needs of one backward step: its op and names (None for a leaf), where
    its gradient came from, and its δ."""

    node: str
    label: str
    rule: tuple[Op, Step] | None
    contributions: tuple[tuple[str, int], ...]
    delta: Delta | None
    shape: tuple[int, int] = (0, 0)   # the node's, so its gradient's
    written: tuple[Rule | None, ...] = ()
    # by port: the rule its form was written from (forms.written_rule), None for an input
    # that needs no gradient; where the closed form's upstream is the name that form wrote,
    # it is that rule, not written again


def closed_forms(steps: Sequence[Backward], output: str, output_name: str,
                 variables: Mapping[str, str]
                 ) -> tuple[dict[str, Math | None], tuple[Definition, ...]]:
    """Each variable's gradient composed back from the output through the ops' rules, with δ
    names where named, factors 1 dropped and a factor −1 written as a minus sign; softmax
    under cross-entropy as the textbook prints it (ŷ − y); None past CLOSED_CHARS."""
    by_node = {s.node: s for s in steps}
    scalars = frozenset(s.delta.name for s in steps
                        if s.delta is not None and s.delta.defines and s.shape == (1, 1))
    closed: dict[str, str | None] = {}
    defined: list[Definition] = []
    for step in steps:
        fused = _cross_entropy(step, by_node, closed)
        text: str | None = ("1" if step.node == output else fused[0] if fused else _sum(
            [_through(by_node[c].rule, port, closed[c], scalars, by_node[c].written)
             for c, port in step.contributions]))
        if text is not None and len(text) > CLOSED_CHARS:
            text = None
        if step.delta is not None and step.delta.equal:
            if step.delta.defines:
                said = text or gradient_name(output_name, step.label)
                defined.append(Definition(step.delta, Math.of(f"{step.delta.name} = {said}"),
                                          fused[1] if fused else None))
            text = step.delta.name
        closed[step.node] = text
    forms = {name: (Math.of(nt.bare(closed[n])) if closed.get(n) is not None else
                    Math.of("0") if n not in closed else None)
             for name, n in variables.items()}
    return forms, tuple(defined)


# The chains from the logits θ up to the output of J = −sum(y ∘ log(softmax(θ))) and of a
# batch's L = −mean(sum(Y ∘ log(softmax(S, axis=1)), axis=1)): each node's one consumer, its
# op and the port it feeds (None: either, the other is y); "along": a sum along the softmax.
CROSS_ENTROPY = ((("softmax", 0), ("log", 0), ("mul", None), ("sum", 0), ("neg", 0)),
                 (("softmax", 0), ("log", 0), ("mul", None), ("along", 0), ("mean", 0),
                  ("neg", 0)))


def _cross_entropy(step: Backward, by_node: Mapping[str, Backward],
                   closed: Mapping[str, str | None]) -> tuple[str, Given] | None:
    """ŷ − y at the logits (or (Ŷ − Y) / N, the mean over a batch of N), where the step's
    gradient comes through softmax, log, ∘ y, a sum and a minus sign from an upstream of 1:
    what the rules compose to when y sums to 1 along the softmax (the Given the page checks)."""
    for chain in CROSS_ENTROPY:
        found = _chain(step, by_node, chain)
        if found is None or closed.get(found[0]) != "1":
            continue
        _, hat, logits, axis, (y, label, shape) = found
        hat = nt.bare(hat)
        if shape != logits:
            continue
        lines = logits[1 - axis]
        where = "whole" if 1 in shape else ("column", "row")[axis]
        condition = Said(f"delta.given.{where}", label=label)
        text = f"{hat} − {label}" if chain is CROSS_ENTROPY[0] else f"({hat} − {label}) / {lines}"
        reason = Said("delta.given.one_hot", label=label,
                      condition=msg(condition.code, **condition.params))
        return text, Given(y, axis, reason, condition)
    return None


def _chain(step: Backward, by_node: Mapping[str, Backward], chain: tuple[tuple[str, Any], ...]
           ) -> tuple[str, str, tuple[int, int], int, tuple[str, str, tuple[int, int]]] | None:
    """Where the chain ends (the top node), ŷ, the logits' shape, the softmax's axis and y."""
    node, other, hat, logits, axis = step, None, "", (0, 0), 0
    for op_name, port in chain:
        if len(node.contributions) != 1:
            return None
        consumer, at = node.contributions[0]
        above = by_node.get(consumer)
        want = "sum" if op_name == "along" else op_name
        if above is None or above.rule is None or above.rule[0].name != want:
            return None
        _, written = above.rule
        params = written.names.params
        if port is None:
            other = (written.inputs[1 - at], written.names.labels[1 - at],
                     written.names.shapes[1 - at])
        elif at != port:
            return None
        if op_name == "softmax":
            hat, logits = written.label, written.names.shapes[0]
            axis = softmax_axis(logits, params)
        if (op_name in ("sum", "mean") and params.get("axis") is not None
                or op_name == "along" and params.get("axis") != axis):
            return None
        node = above
    return None if other is None else (node.node, hat, logits, axis, other)


def _through(rule: tuple[Op, Step] | None, port: int, up: str | None,
             scalars: frozenset[str] = frozenset(),
             written: tuple[Rule | None, ...] = ()) -> str | None:
    """One edge's rule with the consumer's closed form as its upstream; an upstream of −1 is
    the rule of 1 with a minus sign (−𝟏, not 𝟏 −1); a product transposed back is written as a
    textbook does ((δ hᵀ)ᵀ = δ h for a scalar δ)."""
    if rule is None or up is None:
        return None
    if up == "−1":
        plain = _through(rule, port, "1", scalars)
        return None if plain is None else "−" + nt.operand(plain)
    op, step = rule
    if op.name == "transpose" and (swapped := _transposed(up, scalars)) is not None:
        return swapped
    n = step.names
    upstream = nt.operand(up)
    rule_of = written[port] if port < len(written) and upstream == n.up else None
    if rule_of is None:
        names = Names(upstream, n.labels, n.shapes, n.out_label, n.out, n.params, n.via)
        rule_of = without_seed(op.shape_form(port, names))
    return join([t.text for t in rule_of.terms], rule_of.operators, product=" ")


FACTOR = re.compile(r"[^\s()\[\]+−∘·/]+")


def _transposed(product: str, scalars: frozenset[str]) -> str | None:
    """(A B)ᵀ = Bᵀ Aᵀ for a product of two plain factors, with a scalar δ's ᵀ dropped and the
    scalar written first: (δ hᵀ)ᵀ = δ h, (δ hᵀ)ᵀ = h δᵀ for a row δ; None for anything else."""
    factors = product.split(" ")
    if len(factors) != 2 or not all(FACTOR.fullmatch(f) for f in factors):
        return None
    a, b = factors
    if a in scalars:
        return f"{a} {nt.transposed_label(b)}"
    return f"{nt.transposed_label(b)} {nt.transposed_label(a)}"


def _sum(parts: list[str | None]) -> str | None:
    if not parts or any(p is None for p in parts):
        return None
    return "".join([parts[0]] + [f" − {p[1:]}" if p.startswith("−") else f" + {p}"
                                 for p in parts[1:]])
