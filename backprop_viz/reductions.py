"""The op table's reductions (to 1×1, or along an axis keeping both dimensions) and softmax."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import expansions as ex
from . import notation as nt
from .errors import Said
from .op import Arrays, Op, Params, Shape
from .rule import Derived, Names, Output, Rule, Term, ones, up

# ----- reductions: to 1×1, or along an axis keeping both dimensions (the notes' Sum node) -----
#
# params["axis"]: None reduces every entry to 1×1; 0 reduces each column (m×n → 1×n), 1 each row
# (m×n → m×1). Each entry of the input feeds one output entry, with a weight (1 for sum, 1/m
# for mean, its share of a tie for max): the VJP is g, spread back, times the weights, and the
# Jacobian is the 0/1 matrix of who feeds whom times the weights.

def _axis(p: Params) -> int | None:
    return p.get("axis")


def _fed(shape: Shape, axis: int | None) -> np.ndarray:
    """The output entry (row-major) that each input entry feeds."""
    rows, cols = np.indices(shape)
    return {None: np.zeros(rows.size, dtype=int), 0: cols.ravel(), 1: rows.ravel()}[axis]


def _count(x: np.ndarray, axis: int | None) -> int:
    return x.size if axis is None else x.shape[axis]


def _ties(x: np.ndarray, out: np.ndarray, axis: int | None) -> np.ndarray:
    """Each entry's share of the gradient of max/min: the entries that attain it split it evenly
    (as PyTorch does)."""
    hit = (x == out).astype(float)
    return hit / hit.sum(axis=axis, keepdims=True)


def _unit(x: np.ndarray, out: np.ndarray, axis: int | None) -> np.ndarray:
    """x/‖x‖, and 0 where ‖x‖ = 0, as PyTorch has it: the norm has no derivative there."""
    return np.divide(x, out, out=np.zeros_like(x), where=out != 0)


def _axis_text(p: Params) -> str:
    ddof = f", ddof={p['ddof']}" if p.get("ddof") else ""
    return ("" if _axis(p) is None else f", axis={_axis(p)}") + ddof


def _reduce_formula(whole: str) -> Callable[..., str]:
    """𝟏ᵀ for the whole array; a column sum (m×n → 1×n) in row-major order is 𝟏ᵀ ⊗ I, a row
    sum I ⊗ 𝟏ᵀ. `whole` is the 1×N row with the label in {x}, and {n} the count reduced."""
    def formula(port: int, labels: tuple[str, ...], shapes: tuple[Shape, ...], out: Shape,
                p: Params) -> str:
        axis, (rows, cols) = _axis(p), shapes[0]
        n = {None: rows * cols, 0: rows, 1: cols}[axis]
        if n == 1:
            return nt.eye(shapes[0])
        row = whole.format(x=nt.bare(labels[0]), n=n)
        if axis is None or out == (1, 1):
            return row
        return f"{row} ⊗ I" if axis == 0 else f"I ⊗ {row}"
    return formula


def _spread(n: Names) -> tuple[Term, ...]:
    """The upstream sent back to every entry it sums: 𝟏 g 𝟏ᵀ for the whole array (g 1×1), 𝟏 g
    for column sums (g 1×n), g 𝟏ᵀ for row sums (g m×1); a side of length 1 is left out."""
    axis, (rows, cols) = _axis(n.params), n.shapes[0]
    left = (Term("𝟏", ones(rows, 1)),) if axis in (None, 0) and rows > 1 else ()
    right = (Term("𝟏ᵀ", ones(1, cols)),) if axis in (None, 1) and cols > 1 else ()
    return (*left, up(n), *right)


def _reduce_rule(note: Said,
                 factor: Callable[[Names], Term | None]) -> Callable[[int, Names], Rule]:
    """The upstream spread back (_spread), then scaled (mean: 1/n first) or masked (max: ∘ M)."""
    def rule(port: int, n: Names) -> Rule:
        terms, extra = _spread(n), factor(n)
        ops = ("·",) * (len(terms) - 1)
        if extra is None:
            return Rule(terms, ops, note)
        if extra.text.startswith("1/"):
            return Rule((extra, *terms), ("·", *ops), note)
        return Rule((*terms, extra), (*ops, "∘"), note)
    return rule


def _mean_factor(n: Names) -> Term:
    axis, (rows, cols) = _axis(n.params), n.shapes[0]
    count = {None: rows * cols, 0: rows, 1: cols}[axis]
    return Term(f"1/{count}", Derived(lambda g, xs, out, p: np.full((1, 1), 1 / count)))


def _weights(weights: Callable[[np.ndarray, np.ndarray, int | None], np.ndarray],
             text: Callable[[str, str], str]) -> Callable[[Names], Term]:
    return lambda n: Term(text(n.labels[0], n.out_label), Derived(
        lambda g, xs, out, p: weights(xs[0], out, _axis(p))))


def _reduction(name: str, symbol: str, fn: Callable[[np.ndarray, int | None], np.ndarray],
               weights: Callable[[np.ndarray, np.ndarray, int | None], np.ndarray],
               local_formula: Callable[..., str], shape_form: Callable[[int, Names], Rule],
               scalar: ex.Expansion,
               text: Callable[[tuple[str, ...], Params], str] | None = None) -> Op:
    return Op(
        name, symbol, 1, "reduce", 100,
        forward=lambda xs, p: fn(xs[0], _axis(p)),
        vjp=lambda g, port, xs, out, p: g * weights(xs[0], out, _axis(p)),
        jacobian=lambda port, xs, out, p: (
            (np.arange(out.size).reshape(-1, 1) == _fed(xs[0].shape, _axis(p)))
            * weights(xs[0], out, _axis(p)).reshape(1, -1)),
        text=text or (lambda labels, p: f"{name}({nt.bare(labels[0])}{_axis_text(p)})"),
        local_formula=local_formula, shape_form=shape_form, scalar=scalar,
    )


def _norm_formula(port: int, labels: tuple[str, ...], shapes: tuple[Shape, ...], out: Shape,
                  p: Params) -> str:
    """xᵀ/‖x‖ for a column, x/‖x‖ for a row, vec(X)ᵀ/‖X‖ for a matrix, sign(x) for a 1×1."""
    x, (rows, cols) = nt.bare(labels[0]), shapes[0]
    if _axis(p) is not None:
        return f"vᵀ/‖v‖ for each {('column', 'row')[_axis(p)]} v of {x}"
    if rows == cols == 1:
        return f"sign({x})"
    if cols == 1:
        return f"{nt.t(labels[0], shapes[0])}/‖{x}‖"
    return f"{labels[0]}/‖{x}‖" if rows == 1 else f"vec({x})ᵀ/‖{x}‖"


REDUCTIONS = (
    _reduction("sum", "Σ", lambda x, axis: np.sum(x, axis=axis, keepdims=True),
               lambda x, out, axis: np.ones_like(x), _reduce_formula("𝟏ᵀ"),
               _reduce_rule(Said("rule.sum"), lambda n: None),
               ex.reduction(lambda b, e, p: ex.fold(b, "add", e), lambda n, p: n - 1)),
    _reduction("mean", "mean", lambda x, axis: np.mean(x, axis=axis, keepdims=True),
               lambda x, out, axis: np.full_like(x, 1 / _count(x, axis)),
               _reduce_formula("𝟏ᵀ/{n}"),
               _reduce_rule(Said("rule.mean"), _mean_factor),
               ex.reduction(ex.mean, lambda n, p: n + 1 if n > 1 else 0)),
    _reduction("max", "max", lambda x, axis: np.max(x, axis=axis, keepdims=True), _ties,
               _reduce_formula("eₖᵀ, k = argmax({x})"),
               _reduce_rule(Said("rule.max"),
                            _weights(_ties, lambda x, m: f"𝟙[{x} = {nt.bare(m)}]")),
               # A chain of max gates: where several entries tie for the max, each gate splits
               # its gradient ½, ½, where the vector view gives every tied entry an equal share.
               ex.reduction(lambda b, e, p: ex.fold(b, "maximum", e), lambda n, p: n - 1)),
    _reduction("min", "min", lambda x, axis: np.min(x, axis=axis, keepdims=True), _ties,
               _reduce_formula("eₖᵀ, k = argmin({x})"),
               _reduce_rule(Said("rule.min"),
                            _weights(_ties, lambda x, m: f"𝟙[{x} = {nt.bare(m)}]")),
               ex.reduction(lambda b, e, p: ex.fold(b, "minimum", e), lambda n, p: n - 1)),
    _reduction("norm", "‖·‖", lambda x, axis: np.linalg.norm(x, axis=axis, keepdims=True), _unit,
               _norm_formula,
               _reduce_rule(Said("rule.norm"),
                            _weights(_unit, lambda x, m: f"{x}/{nt.operand(m)}")),
               ex.reduction(ex.norm, lambda n, p: 2 * n if n > 1 else 1),
               text=lambda labels, p: (
                   f"‖{nt.bare(labels[0])}‖" if _axis(p) is None else
                   f"norm({nt.bare(labels[0])}{_axis_text(p)})")),
)


# ----- numpy's var: Σ (x − x̄)² / (n − ddof), ddof = 0 unless given (PyTorch's correction=1) -----

def _var_weights(x: np.ndarray, p: Params) -> np.ndarray:
    """∂var/∂xᵢ = 2 (xᵢ − x̄) / (n − ddof), for the group xᵢ is in."""
    axis = _axis(p)
    centred = x - np.mean(x, axis=axis, keepdims=True)
    return 2 * centred / (_count(x, axis) - p.get("ddof", 0))


def _var_formula(port: int, labels: tuple[str, ...], shapes: tuple[Shape, ...], out: Shape,
                 p: Params) -> str:
    x, axis, (rows, cols) = nt.bare(labels[0]), _axis(p), shapes[0]
    n = {None: rows * cols, 0: rows, 1: cols}[axis] - p.get("ddof", 0)
    if axis is not None:
        return f"2(v − mean(v))ᵀ/{n} for each {('column', 'row')[axis]} v of {x}"
    return f"2({x} − mean({x}))ᵀ/{n}" if cols == 1 else f"2 vec({x} − mean({x}))ᵀ/{n}"


def _var_factor(n: Names) -> Term:
    axis, (rows, cols) = _axis(n.params), n.shapes[0]
    count = {None: rows * cols, 0: rows, 1: cols}[axis] - n.params.get("ddof", 0)
    x = nt.bare(n.labels[0])
    return Term(f"2({x} − mean({x}{_axis_text({'axis': axis})}))/{count}",
                Derived(lambda g, xs, out, p: _var_weights(xs[0], p)))


VAR = Op(
    "var", "var", 1, "reduce", 100,
    # by its formula, not np.var, whose n − ddof = 0 is a Python warning beyond np.errstate
    forward=lambda xs, p: np.sum((xs[0] - np.mean(xs[0], axis=_axis(p), keepdims=True)) ** 2,
                                 axis=_axis(p), keepdims=True)
    / (_count(xs[0], _axis(p)) - p.get("ddof", 0)),
    vjp=lambda g, port, xs, out, p: g * _var_weights(xs[0], p),
    jacobian=lambda port, xs, out, p: (
        (np.arange(out.size).reshape(-1, 1) == _fed(xs[0].shape, _axis(p)))
        * _var_weights(xs[0], p).reshape(1, -1)),
    text=lambda labels, p: f"var({nt.bare(labels[0])}{_axis_text(p)})",
    local_formula=_var_formula,
    shape_form=_reduce_rule(Said("rule.var"), _var_factor),
    scalar=ex.reduction(ex.variance, ex.variance_nodes),
)



# ----- softmax along an axis: of each column (axis 0), of each row (axis 1) -----
#
# With no axis given, softmax normalises a column (n×1) down the column, and anything wider
# along its rows, as PyTorch's dim=-1 and the attention paper's softmax(Q Kᵀ/√d) V do: a
# matrix of scores holds one query per row.

def softmax_axis(shape: Shape, p: Params) -> int:
    axis = _axis(p)
    return (0 if shape[1] == 1 else 1) if axis is None else axis


def _softmax(xs: Arrays, p: Params) -> np.ndarray:
    axis = softmax_axis(xs[0].shape, p)
    e = np.exp(xs[0] - xs[0].max(axis=axis, keepdims=True))   # shifted: exp never overflows
    return e / e.sum(axis=axis, keepdims=True)


def _softmax_vjp(g: np.ndarray, port: int, xs: Arrays, out: np.ndarray, p: Params) -> np.ndarray:
    return out * (g - np.sum(g * out, axis=softmax_axis(xs[0].shape, p), keepdims=True))


def _softmax_jacobian(port: int, xs: Arrays, out: np.ndarray, p: Params) -> np.ndarray:
    """Block diag(p) − p pᵀ for each normalised column (or row) p, at its entries' row-major
    places (a column's entries interleave with the others')."""
    places = np.arange(out.size).reshape(out.shape)
    if softmax_axis(xs[0].shape, p) == 1:
        out, places = out.T, places.T
    jac = np.zeros((out.size, out.size))
    for q, idx in zip(out.T, places.T, strict=True):
        jac[np.ix_(idx, idx)] = np.diag(q) - np.outer(q, q)
    return jac


def _softmax_formula(port: int, labels: tuple[str, ...], shapes: tuple[Shape, ...],
                     out: Shape, p: Params) -> str:
    z, axis = nt.bare(labels[0]), softmax_axis(shapes[0], p)
    along, across = shapes[0][axis], shapes[0][1 - axis]
    if along == 1:
        return "0"                                # a softmax over one entry is always 1
    if across == 1:
        return f"diag(p) − p pᵀ, p = softmax({z})"
    return f"diag(p) − p pᵀ for each {('column', 'row')[axis]} p of softmax({z})"


def _softmax_rule(port: int, n: Names) -> Rule:
    """p ∘ g − p (pᵀg) for a column p; for a matrix, each column's (row's) pᵀg as a row c:
    P ∘ G − 𝟏 c ∘ P (of rows: P ∘ G − c 𝟏ᵀ ∘ P)."""
    axis, (rows, cols) = softmax_axis(n.shapes[0], n.params), n.shapes[0]
    p, g = nt.operand(n.out_label), nt.operand(n.up)
    note = Said("rule.softmax")
    if (rows, cols)[axis] == 1:
        zero = Term("0", Derived(lambda g, xs, out, p: np.zeros((1, 1))))
        return Rule((zero, up(n)), ("·",), Said("rule.softmax_one"))
    weighted = Derived(lambda g, xs, out, q: np.sum(g * out, axis=axis, keepdims=True))
    head = (Term(p, Output()), up(n))
    if (cols, rows)[axis] == 1:       # one column (axis 0) or one row (axis 1)
        c = Term(f"({nt.transposed_label(p)} {g})" if axis == 0 else f"({g} {p}ᵀ)", weighted)
        tail = (Term(p, Output()), c) if axis == 0 else (c, Term(p, Output()))
        return Rule((*head, *tail), ("∘", "−", "·"), note)
    if axis == 0:
        tail = (Term("𝟏", ones(rows, 1)), Term(f"𝟏ᵀ({p} ∘ {g})", weighted))
    else:
        tail = (Term(f"({p} ∘ {g})𝟏", weighted), Term("𝟏ᵀ", ones(1, cols)))
    return Rule((*head, *tail, Term(p, Output())), ("∘", "−", "·", "∘"), note)


SOFTMAX = Op("softmax", "softmax", 1, "along_axis", 100, forward=_softmax, vjp=_softmax_vjp,
              jacobian=_softmax_jacobian,
              text=lambda labels, p: f"softmax({nt.bare(labels[0])}{_axis_text(p)})",
              local_formula=_softmax_formula, shape_form=_softmax_rule,
              scalar=ex.softmax(softmax_axis))
