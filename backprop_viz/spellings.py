"""How each op of the table is written: the function names that call it, its name in LaTeX and
the options after its arrays. No numpy: the parser reads this, and `ops.OPS` attaches each entry
to its op (`Op.surface`), failing at import when an op has none or a surface has no op.

Example: `np.amax(h, 1)`, `h.max(dim=1, keepdim=True)` and `max(h, axis=1)` all reach the op
`max` through its spellings ("max", "amax") and its options ("axis", "keepdims").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Surface:
    """An op as the user writes it. `spellings`: the function names that call it with `arity`
    arrays, the canonical one first (empty for an op written only by an operator, `+`, `ᵀ`);
    `latex`: the LaTeX of the name its text is written with (None: it has none, `a + b`);
    `options`: the params after its arrays, by position or keyword, `required` among them;
    `implied`: params a spelling fixes, `square` is pow with k = 2."""

    op: str
    arity: int
    spellings: tuple[str, ...] = ()
    latex: str | None = None
    options: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    implied: tuple[tuple[str, tuple[tuple[str, float], ...]], ...] = ()


def _name(word: str) -> str:
    return rf"\operatorname{{{word}}}"


_AXIS = ("axis", "keepdims")

SURFACES: tuple[Surface, ...] = (
    # ----- elementwise, two inputs: the operators, and the max gate
    Surface("add", 2), Surface("sub", 2), Surface("mul", 2), Surface("div", 2),
    Surface("maximum", 2, ("max", "maximum"), r"\max"),
    Surface("minimum", 2, ("min", "minimum"), r"\min"),
    # ----- elementwise, one input
    Surface("neg", 1),
    Surface("pow", 1, ("pow", "power", "square"), None, ("k",), ("k",),
            implied=(("square", (("k", 2.0),)),)),
    Surface("tanh", 1, ("tanh", "Tanh"), r"\tanh"),
    Surface("sigmoid", 1, ("sigmoid", "σ", "Sigmoid"), r"\sigma"),
    Surface("relu", 1, ("relu", "ReLU", "Relu"), _name("relu")),
    Surface("dtanh", 1, ("tanh′",), r"\tanh"),
    Surface("dsigmoid", 1, ("sigmoid′",), r"\sigma"),
    Surface("drelu", 1, ("relu′",), _name("relu")),
    Surface("exp", 1, ("exp",), r"\exp"),
    Surface("log", 1, ("log", "ln"), r"\log"),
    Surface("sqrt", 1, ("sqrt",), _name("sqrt")),
    Surface("abs", 1, ("abs",), _name("abs")),
    Surface("sin", 1, ("sin",), r"\sin"),
    Surface("cos", 1, ("cos",), r"\cos"),
    # d2l's x.detach(), JAX's stop_gradient: the value passes, the gradient stops
    Surface("detach", 1, ("detach", "stop_gradient"), _name("detach")),
    # ----- products and transpose
    Surface("matmul", 2, ("dot", "matmul", "mm"), None),
    Surface("dot", 2),        # w · x of two columns of one size, read as wᵀx (shapes.py)
    Surface("scale", 2),
    # torch's x.transpose(-2, -1) names the two axes it swaps; with two, they are these
    Surface("transpose", 1, ("transpose",), None, ("dim0", "dim1")),
    # ----- reductions and softmax
    Surface("sum", 1, ("sum",), _name("sum"), _AXIS),
    Surface("mean", 1, ("mean",), _name("mean"), _AXIS),
    Surface("max", 1, ("max", "amax"), r"\max", _AXIS),
    Surface("min", 1, ("min", "amin"), r"\min", _AXIS),
    Surface("norm", 1, ("norm",), _name("norm"), _AXIS),
    Surface("var", 1, ("var",), _name("var"), ("axis", "ddof", "keepdims")),
    Surface("softmax", 1, ("softmax", "Softmax"), _name("softmax"), ("axis",)),
    # ----- shape plumbing
    Surface("repeat", 1, ("repeat",), _name("repeat"), ("repeats", "axis"), ("repeats", "axis")),
    Surface("stack", -1),
)

BY_OP: dict[str, Surface] = {s.op: s for s in SURFACES}
