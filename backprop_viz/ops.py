"""The op table: each primitive's forward rule, VJP, local Jacobian and notation in one entry.

Every array is 2-D float64 (a scalar is 1×1, a vector n×1). A local Jacobian is row-major:
J[i, j] = ∂out.flat[i] / ∂in.flat[j] in numpy's C order, so that for every input port
`vjp(g, port, …).ravel() == g.ravel() @ jacobian(port, …)`. The engine computes with `vjp`, which
never builds a matrix; `jacobian` and `local_formula` exist to be shown to the student.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

Params = Mapping[str, Any]
Arrays = tuple[np.ndarray, ...]
Shape = tuple[int, int]


@dataclass(frozen=True)
class Op:
    """One primitive: how to compute it, differentiate it and write it down."""

    name: str
    symbol: str
    arity: int          # -1: variadic
    shape_rule: str
    precedence: int     # 100 atom/call, 90 ᵀ, 80 power, 70 unary minus, 60 product, 50 sum
    forward: Callable[[Arrays, Params], np.ndarray]
    vjp: Callable[[np.ndarray, int, Arrays, np.ndarray, Params], np.ndarray]
    jacobian: Callable[[int, Arrays, np.ndarray, Params], np.ndarray]
    text: Callable[[tuple[str, ...], Params], str]
    local_formula: Callable[[int, tuple[str, ...], tuple[Shape, ...], Shape, Params], str]


def get_op(name: str) -> Op:
    """The op called `name`; a missing rule fails loudly and names the op."""
    try:
        return OPS[name]
    except KeyError:
        raise KeyError(f"no op named {name!r}") from None


def unbroadcast(g: np.ndarray, shape: Shape) -> np.ndarray:
    """Undo numpy broadcasting: sum g over every axis that was stretched from length 1.

    Example: b (1×3) broadcast to 4×3 gets g (4×3) summed over axis 0 → 1×3, one sum per column.
    """
    pairs = enumerate(zip(shape, g.shape, strict=True))
    axes = tuple(ax for ax, (n, m) in pairs if n == 1 and m != 1)
    return g.sum(axis=axes, keepdims=True)


# ----- notation: how the lecture writes labels, transposes and diagonals -----

_MARKS = "ᵀ⁰¹²³⁴⁵⁶⁷⁸⁹⁻"
_SUPERSCRIPT = str.maketrans("0123456789−", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def _num(x: float) -> str:
    return f"{x:g}".replace("-", "−")


def _bare(label: str) -> str:
    """Drop parentheses that enclose the whole label, for use inside f(…) or [ … ]."""
    if not (label.startswith("(") and label.endswith(")")):
        return label
    depth = 0
    for i, c in enumerate(label):
        depth += (c == "(") - (c == ")")
        if depth == 0 and i < len(label) - 1:
            return label       # "(a)(b)": the first ')' closes before the end
    return label[1:-1]


def _atom(label: str) -> str:
    """The label as the operand of a postfix mark or a divisor: a plain name, or parenthesised."""
    plain = all((c.isalnum() or c in "_.") and c not in _MARKS for c in label)
    return label if plain or _bare(label) != label else f"({label})"


def _t(label: str, shape: Shape) -> str:
    """The label transposed: a 1×1 stays as it is and uᵀ becomes u."""
    return label if shape == (1, 1) else transposed_label(label)


def transposed_label(label: str) -> str:
    """The label of an array's transpose: uᵀ, (a + b)ᵀ, and u for uᵀ."""
    if label.endswith("ᵀ") and _atom(label[:-1]) == label[:-1]:
        return label[:-1]
    return f"{_atom(label)}ᵀ"


def _power(label: str, e: float) -> str:
    if e == 1:
        return label
    if e == int(e):
        return _atom(label) + _num(e).translate(_SUPERSCRIPT)
    return f"{_atom(label)}^({_num(e)})"


def _eye(shape: Shape) -> str:
    return "1" if shape == (1, 1) else "I"


def _diag(d: str, shape: Shape) -> str:
    """diag(d) as the lecture writes it: d itself for 1×1, diag(1) = I, diag(0) = 0, −diag(…)."""
    if d.startswith("−"):
        return "−" + _diag(d[1:], shape)
    if shape == (1, 1) or d == "0":
        return d
    return "I" if d == "1" else f"diag({_bare(d)})"


def _stacked(blocks: int, port: int, block: str) -> str:
    """A column of blocks, all zero except the port's: [0; I; 0]."""
    return "[" + "; ".join(block if k == port else "0" for k in range(blocks)) + "]"


def _infix(sym: str) -> Callable[[tuple[str, ...], Params], str]:
    return lambda labels, params: f" {sym} ".join(labels)


def _call(fn: str) -> Callable[[tuple[str, ...], Params], str]:
    return lambda labels, params: f"{fn}({', '.join(_bare(x) for x in labels)})"


# ----- construction: the families share one shape of entry -----

def _selection(idx: np.ndarray, n: int) -> np.ndarray:
    """The 0/1 matrix whose row i picks input element idx[i]; an index of -1 gives a zero row."""
    return (idx.reshape(-1, 1) == np.arange(n)).astype(float)


def _elementwise(name: str, symbol: str, fn: Callable[[np.ndarray, Params], np.ndarray],
                 deriv: Callable[[np.ndarray, np.ndarray, Params], np.ndarray],
                 deriv_formula: Callable[[str, Params], str], *, text: Callable | None = None,
                 shape_rule: str = "elementwise", precedence: int = 100) -> Op:
    """A unary op applied entry by entry: its Jacobian is diag(f′(x)), its VJP g ∘ f′(x)."""
    return Op(
        name, symbol, 1, shape_rule, precedence,
        forward=lambda xs, p: fn(xs[0], p),
        vjp=lambda g, port, xs, out, p: g * deriv(xs[0], out, p),
        jacobian=lambda port, xs, out, p: np.diag(deriv(xs[0], out, p).ravel()),
        text=text or _call(name),
        local_formula=lambda port, labels, shapes, out, p: _diag(deriv_formula(labels[0], p),
                                                                 shapes[0]),
    )


def _binary(name: str, symbol: str, fn: Callable[[np.ndarray, np.ndarray], np.ndarray],
            partial: Callable[[int, np.ndarray, np.ndarray], np.ndarray],
            partial_formula: Callable[[int, str, str], str],
            text: Callable[[tuple[str, ...], Params], str], precedence: int) -> Op:
    """An elementwise op of two same-shape inputs (the graph makes broadcasts explicit repeats)."""
    return Op(
        name, symbol, 2, "broadcast", precedence,
        forward=lambda xs, p: fn(xs[0], xs[1]),
        vjp=lambda g, port, xs, out, p: g * partial(port, xs[0], xs[1]),
        jacobian=lambda port, xs, out, p: np.diag(partial(port, xs[0], xs[1]).ravel()),
        text=text,
        local_formula=lambda port, labels, shapes, out, p: _diag(
            partial_formula(port, labels[0], labels[1]), shapes[port]),
    )


def _quiet(op: Op) -> Op:
    """The op with its numerics under np.errstate(all="ignore"): log(−1) is nan, not a warning."""
    def silenced(f: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
        @functools.wraps(f)
        def run(*args: Any) -> np.ndarray:
            with np.errstate(all="ignore"):
                return f(*args)
        return run
    return replace(op, forward=silenced(op.forward), vjp=silenced(op.vjp),
                   jacobian=silenced(op.jacobian))


# ----- elementwise, two inputs -----

def _gate(win: np.ndarray, lose: np.ndarray) -> np.ndarray:
    """1 where `win` is the larger, ½ where the two tie, else 0."""
    return (win > lose) + 0.5 * (win == lose)


def _gate_formula(a: str, b: str, wins: str) -> str:
    return f"𝟙[{a} {wins} {b}] + ½𝟙[{a} = {b}]"


_BINARY = (
    _binary("add", "+", np.add, lambda port, a, b: np.ones_like(a),
            lambda port, a, b: "1", _infix("+"), 50),
    _binary("sub", "−", np.subtract, lambda port, a, b: np.full_like(a, 1.0 - 2 * port),
            lambda port, a, b: ("1", "−1")[port], _infix("−"), 50),
    _binary("mul", "∘", np.multiply, lambda port, a, b: (b, a)[port],
            lambda port, a, b: (b, a)[port], _infix("∘"), 60),
    _binary("div", "/", np.divide, lambda port, a, b: 1 / b if port == 0 else -a / b**2,
            lambda port, a, b: (f"1/{_atom(b)}", f"−{a}/{_power(b, 2)}")[port], _infix("/"), 60),
    # The max gate routes the gradient to the larger input; a tie splits it ½, ½ (as PyTorch).
    _binary("maximum", "max", np.maximum,
            lambda port, a, b: _gate(a, b) if port == 0 else _gate(b, a),
            lambda port, a, b: _gate_formula(*((a, b), (b, a))[port], ">"), _call("max"), 100),
    _binary("minimum", "min", np.minimum,
            lambda port, a, b: _gate(b, a) if port == 0 else _gate(a, b),
            lambda port, a, b: _gate_formula(*((a, b), (b, a))[port], "<"), _call("min"), 100),
)


# ----- elementwise, one input -----

def _sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) from exp(−|z|), which never overflows: σ(1000) = 1 and σ(−1000) = 0 exactly."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _pow_deriv(x: np.ndarray, out: np.ndarray, p: Params) -> np.ndarray:
    """k x^(k−1), and 0 for k = 0 (not 0 · 0⁻¹ = NaN at x = 0), as PyTorch has it."""
    k = float(p["k"])
    return k * np.power(x, k - 1) if k else np.zeros_like(x)


def _pow_formula(z: str, p: Params) -> str:
    """k z^(k−1): 2z for k = 2, −z⁻² for k = −1, 0.5z^(−0.5) for k = 0.5."""
    k = float(p["k"])
    if k in (0, 1):
        return _num(k)
    return ("−" if k == -1 else _num(k)) + _power(z, k - 1)


_UNARY = (
    _elementwise("neg", "−", lambda x, p: -x, lambda x, out, p: np.full_like(x, -1.0),
                 lambda z, p: "−1", text=lambda labels, p: f"−{labels[0]}", precedence=70),
    _elementwise("pow", "^", lambda x, p: np.power(x, float(p["k"])), _pow_deriv, _pow_formula,
                 text=lambda labels, p: f"{labels[0]}^{_num(float(p['k']))}",
                 shape_rule="power", precedence=80),
    _elementwise("tanh", "tanh", lambda x, p: np.tanh(x), lambda x, out, p: 1 - out**2,
                 lambda z, p: f"1 − tanh²({_bare(z)})"),
    _elementwise("sigmoid", "σ", lambda x, p: _sigmoid(x), lambda x, out, p: out * (1 - out),
                 lambda z, p: f"σ({_bare(z)})(1 − σ({_bare(z)}))", text=_call("σ")),
    _elementwise("relu", "ReLU", lambda x, p: np.maximum(x, 0.0),
                 lambda x, out, p: (x > 0).astype(float), lambda z, p: f"𝟙[{_bare(z)} > 0]"),
    # The lecture's f′(z), as ops of their own: their backward uses the second derivative.
    _elementwise("dtanh", "tanh′", lambda x, p: 1 - np.tanh(x) ** 2,
                 lambda x, out, p: -2 * np.tanh(x) * out,
                 lambda z, p: f"−2 tanh({_bare(z)})(1 − tanh²({_bare(z)}))", text=_call("tanh′")),
    _elementwise("dsigmoid", "σ′", lambda x, p: _sigmoid(x) * (1 - _sigmoid(x)),
                 lambda x, out, p: out * (1 - 2 * _sigmoid(x)),
                 lambda z, p: f"σ′({_bare(z)})(1 − 2σ({_bare(z)}))", text=_call("σ′")),
    _elementwise("drelu", "relu′", lambda x, p: (x > 0).astype(float),
                 lambda x, out, p: np.zeros_like(x), lambda z, p: "0", text=_call("relu′")),
    _elementwise("exp", "exp", lambda x, p: np.exp(x), lambda x, out, p: out,
                 lambda z, p: f"exp({_bare(z)})"),
    _elementwise("log", "log", lambda x, p: np.log(x), lambda x, out, p: 1 / x,
                 lambda z, p: f"1/{_atom(z)}"),
    _elementwise("sqrt", "√", lambda x, p: np.sqrt(x), lambda x, out, p: 0.5 / out,
                 lambda z, p: f"1/(2√{_atom(z)})"),
    _elementwise("abs", "abs", lambda x, p: np.abs(x), lambda x, out, p: np.sign(x),
                 lambda z, p: f"sign({_bare(z)})"),
    _elementwise("sin", "sin", lambda x, p: np.sin(x), lambda x, out, p: np.cos(x),
                 lambda z, p: f"cos({_bare(z)})"),
    _elementwise("cos", "cos", lambda x, p: np.cos(x), lambda x, out, p: -np.sin(x),
                 lambda z, p: f"−sin({_bare(z)})"),
)


# ----- products and transpose: the linear maps -----

def _matmul_formula(port: int, labels: tuple[str, ...], shapes: tuple[Shape, ...],
                    out: Shape, p: Params) -> str:
    """For A (m×n) · B (n×p), row-major: ∂/∂A = I ⊗ Bᵀ and ∂/∂B = A ⊗ I, dropping I₁."""
    (m, _), (_, cols) = shapes
    if port == 0:
        bt = _t(labels[1], shapes[1])
        return bt if m == 1 else f"I ⊗ {bt}"
    return labels[0] if cols == 1 else f"{_atom(labels[0])} ⊗ I"


def _scalar_port(shapes: tuple[Shape, ...]) -> int:
    """Which input of a scale is the 1×1 factor (port 0 when both are)."""
    return 0 if shapes[0] == (1, 1) else 1


def _scale_vjp(g: np.ndarray, port: int, xs: Arrays, out: np.ndarray, p: Params) -> np.ndarray:
    s = _scalar_port(tuple(x.shape for x in xs))
    return np.sum(g * xs[1 - s], keepdims=True) if port == s else g * xs[s]


def _scale_jacobian(port: int, xs: Arrays, out: np.ndarray, p: Params) -> np.ndarray:
    s = _scalar_port(tuple(x.shape for x in xs))
    return xs[1 - s].reshape(-1, 1) if port == s else xs[s].item() * np.eye(xs[port].size)


def _scale_formula(port: int, labels: tuple[str, ...], shapes: tuple[Shape, ...],
                   out: Shape, p: Params) -> str:
    """∂(sA)/∂s is A's entries as a column (a column vector a is itself); ∂(sA)/∂A = s I."""
    s = _scalar_port(shapes)
    if port != s:
        return labels[s] if out == (1, 1) else f"{labels[s]} I"
    a, (rows, cols) = labels[1 - s], shapes[1 - s]
    if cols == 1:
        return a
    return _t(a, shapes[1 - s]) if rows == 1 else f"vec({_bare(a)})"


def _transpose_jacobian(port: int, xs: Arrays, out: np.ndarray, p: Params) -> np.ndarray:
    x = xs[0]
    return _selection(np.arange(x.size).reshape(x.shape).T.ravel(), x.size)


_LINEAR = (
    Op("matmul", "·", 2, "matmul", 60,
       forward=lambda xs, p: xs[0] @ xs[1],
       vjp=lambda g, port, xs, out, p: g @ xs[1].T if port == 0 else xs[0].T @ g,
       jacobian=lambda port, xs, out, p: (np.kron(np.eye(xs[0].shape[0]), xs[1].T) if port == 0
                                          else np.kron(xs[0], np.eye(xs[1].shape[1]))),
       text=_infix("·"), local_formula=_matmul_formula),
    Op("scale", "·", 2, "scale", 60,
       forward=lambda xs, p: xs[0] * xs[1], vjp=_scale_vjp, jacobian=_scale_jacobian,
       text=_infix("·"), local_formula=_scale_formula),
    # A vector's transpose keeps its entries in order (J = I); a matrix's permutes them (J = K).
    Op("transpose", "ᵀ", 1, "transpose", 90,
       forward=lambda xs, p: xs[0].T.copy(), vjp=lambda g, port, xs, out, p: g.T.copy(),
       jacobian=_transpose_jacobian, text=lambda labels, p: f"{labels[0]}ᵀ",
       local_formula=lambda port, labels, shapes, out, p: (
           _eye(shapes[0]) if 1 in shapes[0] else "K (commutation)")),
)


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
    return "" if _axis(p) is None else f", axis={_axis(p)}"


def _reduce_formula(whole: str) -> Callable[..., str]:
    """𝟏ᵀ for the whole array; a column sum (m×n → 1×n) in row-major order is 𝟏ᵀ ⊗ I, a row
    sum I ⊗ 𝟏ᵀ. `whole` is the 1×N row with the label in {x}, and {n} the count reduced."""
    def formula(port: int, labels: tuple[str, ...], shapes: tuple[Shape, ...], out: Shape,
                p: Params) -> str:
        axis, (rows, cols) = _axis(p), shapes[0]
        n = {None: rows * cols, 0: rows, 1: cols}[axis]
        if n == 1:
            return _eye(shapes[0])
        row = whole.format(x=_bare(labels[0]), n=n)
        if axis is None or out == (1, 1):
            return row
        return f"{row} ⊗ I" if axis == 0 else f"I ⊗ {row}"
    return formula


def _reduction(name: str, symbol: str, fn: Callable[[np.ndarray, int | None], np.ndarray],
               weights: Callable[[np.ndarray, np.ndarray, int | None], np.ndarray],
               local_formula: Callable[..., str],
               text: Callable[[tuple[str, ...], Params], str] | None = None) -> Op:
    return Op(
        name, symbol, 1, "reduce", 100,
        forward=lambda xs, p: fn(xs[0], _axis(p)),
        vjp=lambda g, port, xs, out, p: g * weights(xs[0], out, _axis(p)),
        jacobian=lambda port, xs, out, p: (
            (np.arange(out.size).reshape(-1, 1) == _fed(xs[0].shape, _axis(p)))
            * weights(xs[0], out, _axis(p)).reshape(1, -1)),
        text=text or (lambda labels, p: f"{name}({_bare(labels[0])}{_axis_text(p)})"),
        local_formula=local_formula,
    )


def _norm_formula(port: int, labels: tuple[str, ...], shapes: tuple[Shape, ...], out: Shape,
                  p: Params) -> str:
    """xᵀ/‖x‖ for a column, x/‖x‖ for a row, vec(X)ᵀ/‖X‖ for a matrix, sign(x) for a 1×1."""
    x, (rows, cols) = _bare(labels[0]), shapes[0]
    if _axis(p) is not None:
        return f"vᵀ/‖v‖ for each {('column', 'row')[_axis(p)]} v of {x}"
    if rows == cols == 1:
        return f"sign({x})"
    if cols == 1:
        return f"{_t(labels[0], shapes[0])}/‖{x}‖"
    return f"{labels[0]}/‖{x}‖" if rows == 1 else f"vec({x})ᵀ/‖{x}‖"


_REDUCTIONS = (
    _reduction("sum", "Σ", lambda x, axis: np.sum(x, axis=axis, keepdims=True),
               lambda x, out, axis: np.ones_like(x), _reduce_formula("𝟏ᵀ")),
    _reduction("mean", "mean", lambda x, axis: np.mean(x, axis=axis, keepdims=True),
               lambda x, out, axis: np.full_like(x, 1 / _count(x, axis)),
               _reduce_formula("𝟏ᵀ/{n}")),
    _reduction("max", "max", lambda x, axis: np.max(x, axis=axis, keepdims=True), _ties,
               _reduce_formula("eₖᵀ, k = argmax({x})")),
    _reduction("min", "min", lambda x, axis: np.min(x, axis=axis, keepdims=True), _ties,
               _reduce_formula("eₖᵀ, k = argmin({x})")),
    _reduction("norm", "‖·‖", lambda x, axis: np.linalg.norm(x, axis=axis, keepdims=True), _unit,
               _norm_formula, text=lambda labels, p: (
                   f"‖{_bare(labels[0])}‖" if _axis(p) is None else
                   f"norm({_bare(labels[0])}{_axis_text(p)})")),
)


# ----- softmax along an axis: of each column (axis 0), of each row (axis 1) -----
#
# With no axis given, softmax normalises each column, except of a single row (1×n), which it
# normalises along the row: a column of one entry would always give 1.

def _softmax_axis(shape: Shape, p: Params) -> int:
    axis = _axis(p)
    return (1 if shape[0] == 1 else 0) if axis is None else axis


def _softmax(xs: Arrays, p: Params) -> np.ndarray:
    axis = _softmax_axis(xs[0].shape, p)
    e = np.exp(xs[0] - xs[0].max(axis=axis, keepdims=True))   # shifted: exp never overflows
    return e / e.sum(axis=axis, keepdims=True)


def _softmax_vjp(g: np.ndarray, port: int, xs: Arrays, out: np.ndarray, p: Params) -> np.ndarray:
    return out * (g - np.sum(g * out, axis=_softmax_axis(xs[0].shape, p), keepdims=True))


def _softmax_jacobian(port: int, xs: Arrays, out: np.ndarray, p: Params) -> np.ndarray:
    """Block diag(p) − p pᵀ for each normalised column (or row) p, at its entries' row-major
    places (a column's entries interleave with the others')."""
    places = np.arange(out.size).reshape(out.shape)
    if _softmax_axis(xs[0].shape, p) == 1:
        out, places = out.T, places.T
    jac = np.zeros((out.size, out.size))
    for q, idx in zip(out.T, places.T, strict=True):
        jac[np.ix_(idx, idx)] = np.diag(q) - np.outer(q, q)
    return jac


def _softmax_formula(port: int, labels: tuple[str, ...], shapes: tuple[Shape, ...],
                     out: Shape, p: Params) -> str:
    z, axis = _bare(labels[0]), _softmax_axis(shapes[0], p)
    along, across = shapes[0][axis], shapes[0][1 - axis]
    if along == 1:
        return "0"                                # a softmax over one entry is always 1
    if across == 1:
        return f"diag(p) − p pᵀ, p = softmax({z})"
    return f"diag(p) − p pᵀ for each {('column', 'row')[axis]} p of softmax({z})"


_SOFTMAX = Op("softmax", "softmax", 1, "along_axis", 100, forward=_softmax, vjp=_softmax_vjp,
              jacobian=_softmax_jacobian,
              text=lambda labels, p: f"softmax({_bare(labels[0])}{_axis_text(p)})",
              local_formula=_softmax_formula)


# ----- shape plumbing: repeat (explicit broadcasting) and stack -----

def _repeat_jacobian(port: int, xs: Arrays, out: np.ndarray, p: Params) -> np.ndarray:
    """Row i picks the input entry that numpy broadcasting copies into output entry i."""
    x = xs[0]
    return _selection(np.broadcast_to(np.arange(x.size).reshape(x.shape), out.shape).ravel(),
                      x.size)


def _repeat_formula(port: int, labels: tuple[str, ...], shapes: tuple[Shape, ...],
                    out: Shape, p: Params) -> str:
    """1×1 → 𝟏; a row repeated down (1×n → m×n) is 𝟏 ⊗ I; a column across (m×1 → m×n), I ⊗ 𝟏."""
    (rows, cols) = shapes[0]
    if shapes[0] == out:
        return _eye(out)
    if rows == cols == 1:
        return "𝟏"
    return "𝟏 ⊗ I" if rows == 1 else "I ⊗ 𝟏"


def _stack_vjp(g: np.ndarray, port: int, xs: Arrays, out: np.ndarray, p: Params) -> np.ndarray:
    axis = p["axis"]
    start = sum(x.shape[axis] for x in xs[:port])
    return np.take(g, range(start, start + xs[port].shape[axis]), axis=axis)


def _stack_jacobian(port: int, xs: Arrays, out: np.ndarray, p: Params) -> np.ndarray:
    """Stack index maps (the port's entries numbered, the others −1) and read off who went where."""
    parts = [np.arange(x.size).reshape(x.shape) if k == port else np.full(x.shape, -1)
             for k, x in enumerate(xs)]
    return _selection(np.concatenate(parts, axis=p["axis"]).ravel(), xs[port].size)


def _stack_formula(port: int, labels: tuple[str, ...], shapes: tuple[Shape, ...],
                   out: Shape, p: Params) -> str:
    """[a; b] puts the part's block in its rows; [a, b] does so within every row: I ⊗ [0; I; 0]."""
    if p["axis"] == 0:
        return _stacked(len(shapes), port, _eye(shapes[port]))
    block = _stacked(len(shapes), port, "1" if shapes[port][1] == 1 else "I")
    return block if out[0] == 1 else f"I ⊗ {block}"


_PLUMBING = (
    Op("repeat", "repeat", 1, "repeat", 100,
       forward=lambda xs, p: np.broadcast_to(xs[0], tuple(p["shape"])).copy(),
       vjp=lambda g, port, xs, out, p: unbroadcast(g, xs[0].shape),
       jacobian=_repeat_jacobian, text=_call("repeat"), local_formula=_repeat_formula),
    Op("stack", "stack", -1, "stack", 100,
       forward=lambda xs, p: np.concatenate(xs, axis=p["axis"]),
       vjp=_stack_vjp, jacobian=_stack_jacobian,
       text=lambda labels, p: "[" + ("; ", ", ")[p["axis"]].join(map(_bare, labels)) + "]",
       local_formula=_stack_formula),
)


OPS: dict[str, Op] = {op.name: _quiet(op) for op in (
    *_BINARY, *_UNARY, *_LINEAR, *_REDUCTIONS, _SOFTMAX, *_PLUMBING)}

