"""The op table: every primitive, one entry each, grouped by family; `get_op` names a missing
one loudly. What an entry holds is `op.Op`; the lecture's notation is `notation`; reductions and
softmax are in `reductions`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from . import expansions as ex
from . import notation as nt
from .errors import Said
from .op import Arrays, Op, Params, Shape, quiet, selection, unbroadcast
from .reductions import REDUCTIONS, SOFTMAX, VAR
from .rule import Derived, Input, Names, Output, Rule, Term, Upstream, ones, through, times, up
from .spellings import BY_OP


def get_op(name: str) -> Op:
    """The op called `name`; a missing rule fails loudly and names the op."""
    try:
        return OPS[name]
    except KeyError:
        raise KeyError(f"no op named {name!r}") from None



# ----- construction: the families share one shape of entry -----

def _chain(deriv: Callable[[np.ndarray, np.ndarray, Params], np.ndarray],
           deriv_formula: Callable[[str, Params], str]) -> Callable[[int, Names], Rule]:
    """The lecture's ∂s/∂z = ∂s/∂h ∘ f′(z), with f′(z) as written: f′ for the placeholder f."""
    def rule(port: int, n: Names) -> Rule:
        z = n.labels[0]
        d = f"{n.via}′({nt.bare(z)})" if n.via else deriv_formula(z, n.params)
        return times(n, Term(nt.operand(d), Derived(lambda g, xs, out, p: deriv(xs[0], out, p))),
                     Said("rule.elementwise"))
    return rule


def elementwise(name: str, symbol: str, fn: Callable[[np.ndarray, Params], np.ndarray],
                 deriv: Callable[[np.ndarray, np.ndarray, Params], np.ndarray],
                 deriv_formula: Callable[[str, Params], str], *, text: Callable | None = None,
                 shape_rule: str = "elementwise", precedence: int = 100,
                 form: Callable[[int, Names], Rule] | None = None,
                 stops_gradient: bool = False) -> Op:
    """A unary op applied entry by entry: its Jacobian is diag(f′(x)), its VJP g ∘ f′(x); its
    shape form upstream ∘ f′(x) unless `form` writes it more plainly (g / z for log); its
    scalar form the same op on every entry."""
    return Op(
        name, symbol, 1, shape_rule, precedence,
        forward=lambda xs, p: fn(xs[0], p),
        vjp=lambda g, port, xs, out, p: g * deriv(xs[0], out, p),
        jacobian=lambda port, xs, out, p: np.diag(deriv(xs[0], out, p).ravel()),
        text=text or nt.call(name),
        local_formula=lambda port, labels, shapes, out, p: nt.diag(deriv_formula(labels[0], p),
                                                                 shapes[0]),
        shape_form=form or _chain(deriv, deriv_formula),
        scalar=ex.entrywise(name), stops_gradient=stops_gradient,
    )


def binary(name: str, symbol: str, fn: Callable[[np.ndarray, np.ndarray], np.ndarray],
            partial: Callable[[int, np.ndarray, np.ndarray], np.ndarray],
            partial_formula: Callable[[int, str, str], str],
            text: Callable[[tuple[str, ...], Params], str], precedence: int,
            form: Callable[[int, Names], Rule]) -> Op:
    """An elementwise op of two same-shape inputs (the graph makes broadcasts explicit repeats)."""
    return Op(
        name, symbol, 2, "broadcast", precedence,
        forward=lambda xs, p: fn(xs[0], xs[1]),
        vjp=lambda g, port, xs, out, p: g * partial(port, xs[0], xs[1]),
        jacobian=lambda port, xs, out, p: np.diag(partial(port, xs[0], xs[1]).ravel()),
        text=text,
        local_formula=lambda port, labels, shapes, out, p: nt.diag(
            partial_formula(port, labels[0], labels[1]), shapes[port]),
        shape_form=form, scalar=ex.entrywise(name),
    )


# ----- elementwise, two inputs -----

def _gate(win: np.ndarray, lose: np.ndarray) -> np.ndarray:
    """1 where `win` is the larger, ½ where the two tie, else 0."""
    return (win > lose) + 0.5 * (win == lose)


def _gate_formula(a: str, b: str, wins: str) -> str:
    return f"𝟙[{a} {wins} {b}] + ½𝟙[{a} = {b}]"


def _gate_rule(wins: str) -> Callable[[int, Names], Rule]:
    """max (min) routes the upstream to the input that wins; a tie splits it ½, ½."""
    def rule(port: int, n: Names) -> Rule:
        a, b = n.labels if port == 0 else n.labels[::-1]
        win = (lambda x, y: _gate(x, y)) if wins == ">" else (lambda x, y: _gate(y, x))
        mask = Derived(lambda g, xs, out, p: win(xs[port], xs[1 - port]))
        return times(n, Term(f"({_gate_formula(a, b, wins)})", mask),
                     Said(f"rule.{('minimum', 'maximum')[wins == '>']}"))
    return rule


def _div_rule(port: int, n: Names) -> Rule:
    """∂s/∂a = g / b; ∂s/∂b = −g ∘ a / b²."""
    a, b = n.labels
    if port == 0:
        return Rule((up(n), Term(b, Input(1))), ("/",),
                    Said("rule.div.numerator", den=nt.bare(b)))
    square = Term(nt.power(b, 2), Derived(lambda g, xs, out, p: xs[1] ** 2))
    return Rule((up(n, negate=True), Term(a, Input(0)), square), ("∘", "/"),
                Said("rule.div.denominator", num=nt.bare(a), den=nt.bare(b),
                     square=nt.power(b, 2)))


_BINARY = (
    binary("add", "+", np.add, lambda port, a, b: np.ones_like(a),
           lambda port, a, b: "1", nt.infix("+"), 50,
           lambda port, n: through(n, Said("rule.add"))),
    binary("sub", "−", np.subtract, lambda port, a, b: np.full_like(a, 1.0 - 2 * port),
           lambda port, a, b: ("1", "−1")[port], nt.infix("−"), 50,
           lambda port, n: Rule((up(n, negate=port == 1),), (),
                                Said("rule.sub", first=nt.bare(n.labels[0]),
                                     second=nt.bare(n.labels[1])))),
    binary("mul", "∘", np.multiply, lambda port, a, b: (b, a)[port],
           lambda port, a, b: (b, a)[port], nt.infix("∘"), 60,
           lambda port, n: times(n, Term(n.labels[1 - port], Input(1 - port)),
                                 Said("rule.mul"))),
    binary("div", "/", np.divide, lambda port, a, b: 1 / b if port == 0 else -a / b**2,
           lambda port, a, b: (f"1/{nt.atom(b)}", f"−{a}/{nt.power(b, 2)}")[port],
           nt.infix("/"), 60, _div_rule),
    # The max gate routes the gradient to the larger input; a tie splits it ½, ½ (as PyTorch).
    binary("maximum", "max", np.maximum,
           lambda port, a, b: _gate(a, b) if port == 0 else _gate(b, a),
           lambda port, a, b: _gate_formula(*((a, b), (b, a))[port], ">"), nt.call("max"), 100,
           _gate_rule(">")),
    binary("minimum", "min", np.minimum,
           lambda port, a, b: _gate(b, a) if port == 0 else _gate(a, b),
           lambda port, a, b: _gate_formula(*((a, b), (b, a))[port], "<"), nt.call("min"), 100,
           _gate_rule("<")),
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
        return nt.num(k)
    return ("−" if k == -1 else nt.num(k)) + nt.power(z, k - 1)


_UNARY = (
    elementwise("neg", "−", lambda x, p: -x, lambda x, out, p: np.full_like(x, -1.0),
                lambda z, p: "−1", text=lambda labels, p: f"−{labels[0]}", precedence=70,
                form=lambda port, n: Rule((up(n, negate=True),), (),
                                          Said("rule.neg"))),
    elementwise("pow", "^", lambda x, p: np.power(x, float(p["k"])), _pow_deriv, _pow_formula,
                text=lambda labels, p: f"{labels[0]}^{nt.num(float(p['k']))}",
                shape_rule="power", precedence=80),
    elementwise("tanh", "tanh", lambda x, p: np.tanh(x), lambda x, out, p: 1 - out**2,
                lambda z, p: f"1 − tanh²({nt.bare(z)})"),
    elementwise("sigmoid", "σ", lambda x, p: _sigmoid(x), lambda x, out, p: out * (1 - out),
                lambda z, p: f"σ({nt.bare(z)})(1 − σ({nt.bare(z)}))", text=nt.call("σ")),
    elementwise("relu", "ReLU", lambda x, p: np.maximum(x, 0.0),
                lambda x, out, p: (x > 0).astype(float), lambda z, p: f"𝟙[{nt.bare(z)} > 0]"),
    # The lecture's f′(z), as ops of their own: their backward uses the second derivative.
    elementwise("dtanh", "tanh′", lambda x, p: 1 - np.tanh(x) ** 2,
                lambda x, out, p: -2 * np.tanh(x) * out,
                lambda z, p: f"−2 tanh({nt.bare(z)})(1 − tanh²({nt.bare(z)}))",
                text=nt.call("tanh′")),
    elementwise("dsigmoid", "σ′", lambda x, p: _sigmoid(x) * (1 - _sigmoid(x)),
                lambda x, out, p: out * (1 - 2 * _sigmoid(x)),
                lambda z, p: f"σ′({nt.bare(z)})(1 − 2σ({nt.bare(z)}))", text=nt.call("σ′")),
    elementwise("drelu", "relu′", lambda x, p: (x > 0).astype(float),
                lambda x, out, p: np.zeros_like(x), lambda z, p: "0", text=nt.call("relu′")),
    elementwise("exp", "exp", lambda x, p: np.exp(x), lambda x, out, p: out,
                lambda z, p: f"exp({nt.bare(z)})",
                form=lambda port, n: times(n, Term(nt.operand(n.out_label), Output()),
                                           Said("rule.exp"))),
    elementwise("log", "log", lambda x, p: np.log(x), lambda x, out, p: 1 / x,
                lambda z, p: f"1/{nt.atom(z)}",
                form=lambda port, n: Rule((up(n), Term(n.labels[0], Input(0))), ("/",),
                                          Said("rule.log"))),
    elementwise("sqrt", "√", lambda x, p: np.sqrt(x), lambda x, out, p: 0.5 / out,
                lambda z, p: f"1/(2√{nt.atom(z)})",
                form=lambda port, n: times(
                    n, Term(f"(2√{nt.atom(n.labels[0])})", Derived(lambda g, xs, out, p: 2 * out)),
                    Said("rule.sqrt"), operator="/")),
    elementwise("abs", "abs", lambda x, p: np.abs(x), lambda x, out, p: np.sign(x),
                lambda z, p: f"sign({nt.bare(z)})"),
    elementwise("sin", "sin", lambda x, p: np.sin(x), lambda x, out, p: np.cos(x),
                lambda z, p: f"cos({nt.bare(z)})"),
    elementwise("cos", "cos", lambda x, p: np.cos(x), lambda x, out, p: -np.sin(x),
                lambda z, p: f"−sin({nt.bare(z)})",
                form=lambda port, n: times(
                    n, Term(f"sin({nt.bare(n.labels[0])})",
                            Derived(lambda g, xs, out, p: np.sin(xs[0]))),
                    Said("rule.cos"), negate=True)),
    # d2l's x.detach(): the value passes unchanged, the gradient stops here (its VJP is 0 by
    # definition, not the derivative of the identity).
    elementwise("detach", "detach", lambda x, p: x.copy(),
                lambda x, out, p: np.zeros_like(x), lambda z, p: "0",
                form=lambda port, n: Rule((Term("0", Derived(
                    lambda g, xs, out, p: np.zeros_like(xs[0]))),), (),
                    Said("rule.detach")),
                stops_gradient=True),
)


# ----- products and transpose: the linear maps -----

def _matmul_formula(port: int, labels: tuple[str, ...], shapes: tuple[Shape, ...],
                    out: Shape, p: Params) -> str:
    """For A (m×n) · B (n×p), row-major: ∂/∂A = I ⊗ Bᵀ and ∂/∂B = A ⊗ I, dropping I₁."""
    (m, _), (_, cols) = shapes
    if port == 0:
        bt = nt.t(labels[1], shapes[1])
        return bt if m == 1 else f"I ⊗ {bt}"
    return labels[0] if cols == 1 else f"{nt.atom(labels[0])} ⊗ I"


def _matmul_rule(port: int, n: Names) -> Rule:
    """The lecture's ∂s/∂W = δ xᵀ (3×1 · 1×4) and ∂s/∂x = Wᵀ δ (4×3 · 3×1)."""
    (a, b), (sa, sb) = n.labels, n.shapes
    if port == 1:
        return Rule((Term(nt.t(a, sa), Input(0, True)), up(n)), ("·",),
                    Said("rule.matmul.right", input=nt.bare(b), factor=nt.t(a, sa)))
    entry = f"{nt.atom(n.up)}ᵢ {nt.atom(b)}ⱼ" if sb[1] == 1 and n.out[1] == 1 else ""
    return Rule((up(n), Term(nt.t(b, sb), Input(1, True))), ("·",),
                Said("rule.matmul.left", input=nt.bare(a), factor=nt.t(b, sb)), entry)


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
    return nt.t(a, shapes[1 - s]) if rows == 1 else f"vec({nt.bare(a)})"


def _scale_rule(port: int, n: Names) -> Rule:
    """s A: ∂/∂A = s g; ∂/∂s = aᵀg for a column a, g aᵀ for a row, 𝟏ᵀ(G ∘ A)𝟏 for a matrix."""
    s = _scalar_port(n.shapes)
    if port != s:
        return Rule((Term(n.labels[s], Input(s)), up(n)), ("·",),
                    Said("rule.scale.array"))
    o, (rows, cols) = 1 - s, n.shapes[1 - s]
    a, note = n.labels[o], Said("rule.scale.scalar")
    if cols == 1:
        return Rule((Term(nt.t(a, n.shapes[o]), Input(o, True)), up(n)), ("·",), note)
    if rows == 1:
        return Rule((up(n), Term(nt.t(a, n.shapes[o]), Input(o, True))), ("·",), note)
    both = Term(f"({nt.operand(n.up)} ∘ {a})", Derived(lambda g, xs, out, p: g * xs[o]))
    return Rule((Term("𝟏ᵀ", ones(1, rows)), both, Term("𝟏", ones(cols, 1))), ("·", "·"), note)


def eye_kron(n: int, b: np.ndarray) -> np.ndarray:
    """I_n ⊗ b, written into place (np.kron multiplies every block, zeros too)."""
    p, q = b.shape
    out = np.zeros((n, p, n, q))
    idx = np.arange(n)
    out[idx, :, idx, :] = b
    return out.reshape(n * p, n * q)


def kron_eye(a: np.ndarray, m: int) -> np.ndarray:
    """a ⊗ I_m, written into place."""
    n, k = a.shape
    out = np.zeros((n, m, k, m))
    idx = np.arange(m)
    out[:, idx, :, idx] = a
    return out.reshape(n * m, k * m)


def _transpose_jacobian(port: int, xs: Arrays, out: np.ndarray, p: Params) -> np.ndarray:
    x = xs[0]
    return selection(np.arange(x.size).reshape(x.shape).T.ravel(), x.size)


_LINEAR = (
    Op("matmul", "·", 2, "matmul", 60,
       forward=lambda xs, p: xs[0] @ xs[1],
       vjp=lambda g, port, xs, out, p: g @ xs[1].T if port == 0 else xs[0].T @ g,
       jacobian=lambda port, xs, out, p: (eye_kron(xs[0].shape[0], xs[1].T) if port == 0
                                          else kron_eye(xs[0], xs[1].shape[1])),
       text=nt.infix("·"), local_formula=_matmul_formula, shape_form=_matmul_rule,
       scalar=ex.MATMUL),
    # `w · x` of two columns of one size, read as the dot product wᵀx (shapes.py decides)
    Op("dot", "·", 2, "dot", 60,
       forward=lambda xs, p: xs[0].T @ xs[1],
       vjp=lambda g, port, xs, out, p: g * xs[1 - port],
       jacobian=lambda port, xs, out, p: xs[1 - port].T.copy(),
       text=lambda labels, p: f"{nt.transposed_label(labels[0])} · {labels[1]}",
       local_formula=lambda port, labels, shapes, out, p: nt.transposed_label(
           labels[1 - port]),
       shape_form=lambda port, n: Rule((Term(n.labels[1 - port], Input(1 - port)), up(n)),
                                       ("·",), Said("rule.dot")),
       scalar=ex.DOT),
    Op("scale", "·", 2, "scale", 60,
       forward=lambda xs, p: xs[0] * xs[1], vjp=_scale_vjp, jacobian=_scale_jacobian,
       text=nt.infix("·"), local_formula=_scale_formula, shape_form=_scale_rule,
       scalar=ex.entrywise("mul")),
    # A vector's transpose keeps its entries in order (J = I); a matrix's permutes them (J = K).
    Op("transpose", "ᵀ", 1, "transpose", 90,
       forward=lambda xs, p: xs[0].T.copy(), vjp=lambda g, port, xs, out, p: g.T.copy(),
       jacobian=_transpose_jacobian, text=lambda labels, p: f"{labels[0]}ᵀ",
       local_formula=lambda port, labels, shapes, out, p: (
           nt.eye(shapes[0]) if 1 in shapes[0] else "K (commutation)"),
       shape_form=lambda port, n: Rule((up(n, transpose=True),), (),
                                       Said("rule.transpose")),
       scalar=ex.rewire(lambda args, p, out: args[0].T)),
)


# ----- shape plumbing: repeat (explicit broadcasting) and stack -----

def _repeat_jacobian(port: int, xs: Arrays, out: np.ndarray, p: Params) -> np.ndarray:
    """Row i picks the input entry that numpy broadcasting copies into output entry i."""
    x = xs[0]
    return selection(np.broadcast_to(np.arange(x.size).reshape(x.shape), out.shape).ravel(),
                      x.size)


def _repeat_formula(port: int, labels: tuple[str, ...], shapes: tuple[Shape, ...],
                    out: Shape, p: Params) -> str:
    """1×1 → 𝟏; a row repeated down (1×n → m×n) is 𝟏 ⊗ I; a column across (m×1 → m×n), I ⊗ 𝟏."""
    (rows, cols) = shapes[0]
    if shapes[0] == out:
        return nt.eye(out)
    if rows == cols == 1:
        return "𝟏"
    return "𝟏 ⊗ I" if rows == 1 else "I ⊗ 𝟏"


def _repeat_rule(port: int, n: Names) -> Rule:
    """Repeat sums the copies back: 𝟏ᵀ g down the rows, g 𝟏 across the columns."""
    (rows, cols), (m, k) = n.shapes[0], n.out
    left = (Term("𝟏ᵀ", ones(1, m)),) if rows == 1 and m > 1 else ()
    right = (Term("𝟏", ones(k, 1)),) if cols == 1 and k > 1 else ()
    terms = (*left, up(n), *right)
    return Rule(terms, ("·",) * (len(terms) - 1),
                Said("rule.repeat"))


def _stack_rule(port: int, n: Names) -> Rule:
    """Each part of a stack takes its own block of the upstream (rows 1-based, inclusive)."""
    axis = n.params["axis"]
    start = sum(shape[axis] for shape in n.shapes[:port])
    stop = start + n.shapes[port][axis]
    span = str(stop) if stop == start + 1 else f"{start + 1}:{stop}"
    where = f"[{span}, :]" if axis == 0 else f"[:, {span}]"
    return Rule((Term(nt.atom(n.up) + where, Upstream(block=(axis, start, stop))),), (),
                Said(f"rule.stack.{('rows', 'columns')[axis]}", part=nt.bare(n.labels[port])))


def _stack_vjp(g: np.ndarray, port: int, xs: Arrays, out: np.ndarray, p: Params) -> np.ndarray:
    axis = p["axis"]
    start = sum(x.shape[axis] for x in xs[:port])
    return np.take(g, range(start, start + xs[port].shape[axis]), axis=axis)


def _stack_jacobian(port: int, xs: Arrays, out: np.ndarray, p: Params) -> np.ndarray:
    """Stack index maps (the port's entries numbered, the others −1) and read off who went where."""
    parts = [np.arange(x.size).reshape(x.shape) if k == port else np.full(x.shape, -1)
             for k, x in enumerate(xs)]
    return selection(np.concatenate(parts, axis=p["axis"]).ravel(), xs[port].size)


def _stack_formula(port: int, labels: tuple[str, ...], shapes: tuple[Shape, ...],
                   out: Shape, p: Params) -> str:
    """[a; b] puts the part's block in its rows; [a, b] does so within every row: I ⊗ [0; I; 0]."""
    if p["axis"] == 0:
        return nt.stacked(len(shapes), port, nt.eye(shapes[port]))
    block = nt.stacked(len(shapes), port, "1" if shapes[port][1] == 1 else "I")
    return block if out[0] == 1 else f"I ⊗ {block}"


_PLUMBING = (
    Op("repeat", "repeat", 1, "repeat", 100,
       forward=lambda xs, p: np.broadcast_to(xs[0], tuple(p["shape"])).copy(),
       vjp=lambda g, port, xs, out, p: unbroadcast(g, xs[0].shape),
       jacobian=_repeat_jacobian, text=nt.call("repeat"), local_formula=_repeat_formula,
       shape_form=_repeat_rule,
       scalar=ex.rewire(lambda args, p, out: np.broadcast_to(args[0], out))),
    Op("stack", "stack", -1, "stack", 100,
       forward=lambda xs, p: np.concatenate(xs, axis=p["axis"]),
       vjp=_stack_vjp, jacobian=_stack_jacobian,
       text=lambda labels, p: nt.parts(labels, ("; ", ", ")[p["axis"]]),
       local_formula=_stack_formula, shape_form=_stack_rule,
       scalar=ex.rewire(lambda args, p, out: np.concatenate(args, axis=p["axis"]))),
)


def _written(op: Op) -> Op:
    """The op with its surface (spellings, LaTeX, options) attached; an op without one, or with
    another arity than its surface says, fails here, at import."""
    surface = BY_OP.get(op.name)
    if surface is None or surface.arity != op.arity:
        raise KeyError(f"op {op.name!r} has no surface of arity {op.arity} in spellings.py")
    return replace(op, surface=surface)


OPS: dict[str, Op] = {op.name: quiet(_written(op)) for op in (
    *_BINARY, *_UNARY, *_LINEAR, *REDUCTIONS, VAR, SOFTMAX, *_PLUMBING)}
if set(BY_OP) != set(OPS):
    raise KeyError(f"surfaces without an op: {sorted(set(BY_OP) - set(OPS))}")
