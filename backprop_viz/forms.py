"""An edge's backward step written the lecture's two ways, from its op's table entry.

The shape convention (`Form`): ∂s/∂W = δ · xᵀ, each factor with its shape (3×1 · 1×4 = 3×4) and
a reference to where its numbers are (`Ref`), so that the page shows them without deriving
anything. The Jacobian form (`JacobianForm`): the upstream as a 1×n row times the local Jacobian
(n×m) is a 1×m row, reshaped into the input's shape, saying where each transpose comes from.
Both are text and LaTeX (`latex`), written from the same text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import notation as nt
from .errors import Said
from .latex import to_latex as latex
from .op import Op
from .rule import Derived, Input, Names, Output, Rule, Term, Upstream

NAME = re.compile(r"[^\W_][\w]*[ᵀ′₀-₉]*")   # a name with its marks: W, uᵀ, x_Paris, c₂
SEED = "1"              # the output's upstream: ∂s/∂s
PRODUCTS = {"·", "∘"}   # the operators a factor 1 can be dropped from
LATEX_OPERATORS = {"·": r"\,", "∘": r"\circ", "/": "/", "+": "+", "−": "-"}


@dataclass(frozen=True)
class Math:
    """One piece of notation, written both ways."""

    text: str
    latex: str

    @classmethod
    def of(cls, text: str) -> Math:
        return cls(text, latex(text))


@dataclass(frozen=True)
class NodeRef:
    """A node's value or gradient, transposed and/or negated as the factor writes it."""

    node: str
    of: str                 # "value" | "grad"
    transpose: bool = False
    negate: bool = False


@dataclass(frozen=True)
class UpstreamRef:
    """The step's upstream gradient (its node's grad), or one block of it: rows (axis 0) or
    columns (axis 1) start to stop − 1."""

    transpose: bool = False
    negate: bool = False
    block: tuple[int, int, int] | None = None


@dataclass(frozen=True)
class ValueRef:
    """An array no node holds, computed for this factor: f′(z), 𝟏, a mask."""

    value: np.ndarray


Ref = NodeRef | UpstreamRef | ValueRef


@dataclass(frozen=True)
class Factor:
    math: Math
    shape: tuple[int, int]
    ref: Ref


@dataclass(frozen=True)
class Form:
    """The shape convention: lhs = factors[0] operators[0] factors[1] …"""

    equation: Math
    lhs: Math
    lhs_shape: tuple[int, int]
    factors: tuple[Factor, ...]
    operators: tuple[str, ...]
    note: Said          # the op's rule in words (rule.py): a catalog key and its names

    @property
    def rhs(self) -> str:
        return join([f.math.text for f in self.factors], self.operators)


@dataclass(frozen=True)
class JacobianForm:
    """upstream row · local Jacobian = the gradient as a row, and how it is reshaped."""

    equation: Math
    upstream_shape: tuple[int, int]
    local_shape: tuple[int, int]
    product_shape: tuple[int, int]
    reshape: Said       # how the row becomes the gradient (jacobian.reshape.*)


@dataclass(frozen=True)
class Named:
    """A name the forms use that the expression never wrote, defined once: z = W · x + b."""

    node: str
    name: str
    definition: Math


@dataclass(frozen=True)
class Step:
    """What a step's forms may refer to: the output's name, the node, its inputs (by port)."""

    output: str
    node: str
    label: str
    inputs: tuple[str, ...]
    names: Names


# ----------------------------------------------------------------- writing

def join(texts: list[str], operators: tuple[str, ...], product: str = " · ") -> str:
    parts = [texts[0]]
    for op, text in zip(operators, texts[1:], strict=True):
        parts.append((product if op == "·" else f" {op} ") + text)
    return "".join(parts)


def join_latex(texts: list[str], operators: tuple[str, ...]) -> str:
    parts = [texts[0]]
    for op, text in zip(operators, texts[1:], strict=True):
        parts.append(f" {LATEX_OPERATORS[op]} {text}")
    return "".join(parts)


def gradient_name(output: str, label: str) -> str:
    """∂s/∂W, ∂s/∂uᵀ, ∂s/∂(W · x), ∂s/∂(tanh(z))."""
    return f"∂{output}/∂{label if NAME.fullmatch(label) else nt.atom(label)}"


def without_seed(rule: Rule) -> Rule:
    """The rule with a factor 1 left out where a product holds it (1 · X = X, 1 ∘ X = X): the
    output's seed, or an upstream whose closed form is 1."""
    terms, ops = list(rule.terms), list(rule.operators)
    for i, term in enumerate(terms):
        if term.text != SEED or len(terms) == 1:
            continue
        joined = ops[i - 1] if i else ops[0]
        if joined in PRODUCTS:
            del terms[i]
            del ops[i - 1 if i else 0]
            return without_seed(Rule(tuple(terms), tuple(ops), rule.note, rule.entry))
    return rule


# ----------------------------------------------------------------- the two forms

def shape_form(op: Op, port: int, step: Step, xs: tuple[np.ndarray, ...], out: np.ndarray,
               upstream: np.ndarray) -> tuple[Form, Rule]:
    """The shape convention for input `port` of the step, and the op's rule it was written from."""
    rule = written_rule(op, port, step)
    return written(rule, port, step, xs, out, upstream), rule


def written_rule(op: Op, port: int, step: Step) -> Rule:
    """The op's rule for input `port` as this step writes it (a seed 1 left out)."""
    return without_seed(op.shape_form(port, step.names))


def written(rule: Rule, port: int, step: Step, xs: tuple[np.ndarray, ...], out: np.ndarray,
            upstream: np.ndarray) -> Form:
    """The shape convention written from `rule`: its factors, their shapes and references."""
    names = step.names
    factors = tuple(_factor(t, step, xs, out, upstream, names.params) for t in rule.terms)
    lhs = Math.of(gradient_name(step.output, names.labels[port]))
    text = f"{lhs.text} = {join([f.math.text for f in factors], rule.operators)}"
    tex = f"{lhs.latex} = {join_latex([f.math.latex for f in factors], rule.operators)}"
    return Form(Math(text, tex), lhs, xs[port].shape, factors, rule.operators, rule.note)


def _factor(term: Term, step: Step, xs: tuple[np.ndarray, ...], out: np.ndarray,
            upstream: np.ndarray, params: Mapping[str, Any]) -> Factor:
    src = term.source
    if isinstance(src, Input):
        ref: Ref = NodeRef(step.inputs[src.port], "value", src.transpose)
        shape = xs[src.port].T.shape if src.transpose else xs[src.port].shape
    elif isinstance(src, Output):
        ref, shape = NodeRef(step.node, "value"), out.shape
    elif isinstance(src, Upstream):
        ref = UpstreamRef(src.transpose, src.negate, src.block)
        shape = resolve(ref, {}, upstream).shape
    else:
        assert isinstance(src, Derived)
        value = np.asarray(src.compute(upstream, xs, out, params), dtype=np.float64)
        ref, shape = ValueRef(value), value.shape
    return Factor(Math.of(term.text), shape, ref)


def jacobian_form(form: Form, step: Step, port: int, upstream_shape: tuple[int, int],
                  entry: str) -> JacobianForm:
    """upstream row (1×n) · local Jacobian (n×m) = the gradient as a row (1×m), then reshaped."""
    n = upstream_shape[0] * upstream_shape[1]
    rows, cols = form.lhs_shape
    m = rows * cols
    up_row = _row(step.names.up, upstream_shape)
    local = gradient_name(step.label, step.names.labels[port])
    lhs_row = _row(form.lhs.text, form.lhs_shape)
    # as its LaTeX: how the row becomes the gradient is the reshape's words, in each language
    text = f"{lhs_row} (1×{m}) = {up_row} (1×{n}) · {local} ({n}×{m})"
    tex = (rf"\underset{{1\times {m}}}{{{latex(lhs_row)}}} = "
           rf"\underset{{1\times {n}}}{{{latex(up_row)}}}\,"
           rf"\underset{{{n}\times {m}}}{{{latex(local)}}}")
    return JacobianForm(Math(text, tex), (1, n), (n, m), (1, m), _reshape(form, m, entry))


def _row(name: str, shape: tuple[int, int]) -> str:
    """An array written as the 1×n row the Jacobian form multiplies: a column's transpose, a
    matrix's entries row by row (vec(·)ᵀ)."""
    if shape[1] == 1 and shape[0] > 1:
        return nt.transposed_label(nt.operand(name))
    if shape[0] > 1:
        return f"vec({name})ᵀ"
    return name


def _reshape(form: Form, m: int, entry: str) -> Said:
    rows, cols = form.lhs_shape
    rhs = form.rhs
    if rows == cols == 1:
        return Said("jacobian.reshape.scalar", rhs=rhs)
    if rows == 1:
        return Said("jacobian.reshape.row", m=m, rhs=rhs)
    if cols == 1:
        if all(op == "·" for op in form.operators):
            row = " ".join(nt.transposed_label(f.math.text) for f in reversed(form.factors))
        else:
            row = nt.transposed_label(nt.operand(rhs))
        return Said("jacobian.reshape.column", m=m, row=row, rhs=rhs)
    if entry:
        return Said("jacobian.reshape.entry", m=m, rows=rows, cols=cols, entry=entry, rhs=rhs)
    return Said("jacobian.reshape.matrix", m=m, rows=rows, cols=cols, rhs=rhs)


# ----------------------------------------------------------------- numbers

def resolve(ref: Ref, nodes: Mapping[str, tuple[np.ndarray, np.ndarray | None]],
            upstream: np.ndarray) -> np.ndarray:
    """A factor's numbers from where its ref points: nodes maps id → (value, grad)."""
    if isinstance(ref, ValueRef):
        return ref.value
    if isinstance(ref, NodeRef):
        value, grad = nodes[ref.node]
        array = value if ref.of == "value" else grad
    else:
        array = upstream
        if ref.block is not None:
            axis, start, stop = ref.block
            array = array[start:stop] if axis == 0 else array[:, start:stop]
    array = array.T if ref.transpose else array
    return -array if ref.negate else array


def evaluate(arrays: list[np.ndarray], operators: tuple[str, ...]) -> np.ndarray:
    """The factors combined as rule.py says: · ∘ / left to right, then + and −."""
    total: np.ndarray | None = None
    sign, product = "+", arrays[0]
    for op, a in zip(operators, arrays[1:], strict=True):
        if op in ("+", "−"):
            total = product if total is None else _add(total, product, sign)
            sign, product = op, a
        elif op == "·":
            product = product * a if 1 in (product.size, a.size) else product @ a
        elif op == "∘":
            product = product * a
        else:
            product = product / a
    return product if total is None else _add(total, product, sign)


def _add(a: np.ndarray, b: np.ndarray, sign: str) -> np.ndarray:
    return a + b if sign == "+" else a - b
