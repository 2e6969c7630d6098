"""The abstract syntax tree: frozen dataclasses, no numpy. Positions are 0-based offsets."""

from __future__ import annotations

from dataclasses import dataclass

# The functions the language knows: name → number of arguments → the op a call builds.
# Adding a function, or a spelling of one, is an entry here (and its op in ops.OPS).
FUNCTIONS: dict[str, dict[int, str]] = {
    **{name: {1: name} for name in ("tanh", "sigmoid", "relu", "exp", "log", "sqrt", "abs",
                                    "sin", "cos", "sum", "mean", "softmax", "norm")},
    "max": {1: "max", 2: "maximum"},
    "min": {1: "min", 2: "minimum"},
    "repeat": {1: "repeat"},
    "dot": {2: "matmul"},
    "transpose": {1: "transpose"},
    "f": {1: "f"},
    # the lecture's derivatives, f′(z), tanh′(z), σ′(z), relu′(z): elementwise ops of their own
    "tanh′": {1: "dtanh"}, "sigmoid′": {1: "dsigmoid"}, "relu′": {1: "drelu"}, "f′": {1: "f′"},
}
# A function followed by a prime, `f′` or `f'`, is its derivative: function → derivative.
DERIVATIVES: dict[str, str] = {name: f"{name}′" for name in ("tanh", "sigmoid", "relu", "f")}
# The options an op takes after its arrays, positionally in this order or as keywords:
# `sum(a, 0)`, `sum(a, axis=0)`. `keepdims` is accepted and changes nothing (every array is 2-D).
OPTIONS: dict[str, tuple[str, ...]] = {
    "sum": ("axis", "keepdims"), "mean": ("axis", "keepdims"), "max": ("axis", "keepdims"),
    "min": ("axis", "keepdims"), "norm": ("axis", "keepdims"), "softmax": ("axis",),
    "repeat": ("repeats", "axis"),
}
REQUIRED_OPTIONS: dict[str, tuple[str, ...]] = {"repeat": ("repeats", "axis")}
# Other spellings of option names (PyTorch's).
KEYWORD_ALIASES: dict[str, str] = {"dim": "axis", "keepdim": "keepdims"}
# Python's constants, as option values: never split into letters.
CONSTANTS: dict[str, bool | None] = {"True": True, "False": False, "None": None}
# Other spellings of those functions.
ALIASES: dict[str, str] = {
    "σ": "sigmoid", "ln": "log", "maximum": "max", "minimum": "min", "matmul": "dot",
    "amax": "max", "amin": "min",
}
# Names that are not functions, but that a user may call: what to write instead.
SUGGESTIONS: dict[str, str] = {
    "square": "x² or x**2", "pow": "x**k", "power": "x**k", "cube": "x³ or x**3",
}
# Nonlinearities the request's `f` may name.
F_CHOICES: tuple[str, ...] = ("tanh", "sigmoid", "relu")
# Ops that stand for the request's choice of `f`: placeholder → choice → op.
PLACEHOLDERS: dict[str, dict[str, str]] = {
    "f": {choice: choice for choice in F_CHOICES},
    "f′": {choice: f"d{choice}" for choice in F_CHOICES},
}

@dataclass(frozen=True)
class Num:
    value: float
    text: str          # as written: "0.5", "1e-3"
    pos: int


@dataclass(frozen=True)
class Name:
    name: str
    pos: int


@dataclass(frozen=True)
class Call:
    func: str          # canonical name from FUNCTIONS ("sigmoid" for σ)
    args: tuple[Expr, ...]
    pos: int           # position of the function name
    options: tuple[tuple[str, int], ...] = ()   # (("axis", 0),): the op's params, from OPTIONS


@dataclass(frozen=True)
class Unary:
    op: str            # the op: "neg" (unary plus is dropped by the parser)
    operand: Expr
    pos: int


@dataclass(frozen=True)
class Binary:
    op: str            # the op: "matmul" | "mul" | "div" | "add" | "sub"
    left: Expr
    right: Expr
    pos: int           # position of the operator (of the right operand for juxtaposition)
    sym: str           # as displayed in `parsed`: "·" for juxtaposition/@/·, else as written


@dataclass(frozen=True)
class Transpose:
    operand: Expr
    pos: int           # position of the transpose mark


@dataclass(frozen=True)
class Power:
    base: Expr
    exponent: float
    exponent_text: str  # "2", "-1", "0.5"
    pos: int           # position of the operator


@dataclass(frozen=True)
class Stack:
    items: tuple[Expr, ...]
    axis: int          # 0: [a; b] stacks rows (vertical); 1: [a, b] side by side
    pos: int           # position of the '['


Expr = Num | Name | Call | Unary | Binary | Transpose | Power | Stack


@dataclass(frozen=True)
class Statement:
    name: str | None   # None for a bare last expression (labelled `out`)
    expr: Expr
    pos: int           # position of the statement's first character


@dataclass(frozen=True)
class Program:
    statements: tuple[Statement, ...]
    source: str


def literal(expr: Expr) -> float | None:
    """The number a statement `a = -4.0` assigns, or None: such a first assignment makes `a` a
    variable with that value, as micrograd's `a = Value(-4.0)` does."""
    match expr:
        case Num(value=value):
            return value
        case Unary(op="neg", operand=Num(value=value)):
            return -value
    return None
