"""The abstract syntax tree: frozen dataclasses, no numpy. Positions are 0-based offsets."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import BackpropError
from .spellings import SURFACES

# The functions the language knows, derived from the op table's spellings (`spellings.py`):
# canonical name → number of arrays → the op a call builds; every other spelling → its
# canonical name. `f` and `f′` are the request's nonlinearity, not ops of their own.
FUNCTIONS: dict[str, dict[int, str]] = {"f": {1: "f"}, "f′": {1: "f′"}}
ALIASES: dict[str, str] = {}
for _surface in SURFACES:
    if _surface.spellings:
        _canonical, *_others = _surface.spellings
        FUNCTIONS.setdefault(_canonical, {})[_surface.arity] = _surface.op
        ALIASES.update({other: _canonical for other in _others})
# A function followed by a prime, `f′` or `f'`, is its derivative: function → derivative.
DERIVATIVES: dict[str, str] = {name: f"{name}′" for name in ("tanh", "sigmoid", "relu", "f")}
# The options an op takes after its arrays, positionally in this order or as keywords:
# `sum(a, 0)`, `sum(a, axis=0)`. `keepdims` is accepted and changes nothing (every array is 2-D).
OPTIONS: dict[str, tuple[str, ...]] = {s.op: s.options for s in SURFACES if s.options}
REQUIRED_OPTIONS: dict[str, tuple[str, ...]] = {s.op: s.required for s in SURFACES if s.required}
# Params that a spelling fixes: `square(x)` is x**2.
IMPLIED: dict[str, tuple[tuple[str, float], ...]] = {
    spelling: params for s in SURFACES for spelling, params in s.implied}
# Other spellings of option names (PyTorch's).
KEYWORD_ALIASES: dict[str, str] = {"dim": "axis", "keepdim": "keepdims", "correction": "ddof",
                                   "exponent": "k"}
# Python's constants, as option values: never split into letters.
CONSTANTS: dict[str, bool | None] = {"True": True, "False": False, "None": None}
# Names that are not functions, but that a user may call: what to write instead (the
# catalogs' error.hint.suggest.* entries).
SUGGESTIONS: dict[str, str] = {"cube": "cube", "Value": "value", "tensor": "variable",
                               "array": "variable"}
# Methods of pasted code that are no value's method here: what to do instead (the catalogs'
# error.hint.method.* entries).
METHOD_HINTS: dict[str, str] = {
    "data": "data", "item": "item", "backward": "backward", "grad": "grad",
    "zero_grad": "zero_grad", "requires_grad_": "requires_grad",
    **dict.fromkeys(("view", "reshape", "flatten", "squeeze", "unsqueeze"), "two_d"),
    "size": "shapes", "shape": "shapes", "float": "float", "double": "double",
    "clone": "clone", "numpy": "leave_out", "argmax": "argmax",
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
    notes: tuple[str, ...] = ()   # how the parser read what could be read two ways (`warnings`)
    splits: tuple[str, ...] = ()  # the runs it read as products of one-letter names (Wx)


def literal(expr: Expr) -> float | None:
    """The number a statement `a = -4.0` assigns, or None: such a first assignment makes `a` a
    variable with that value, as micrograd's `a = Value(-4.0)` does."""
    match expr:
        case Num(value=value):
            return value
        case Unary(op="neg", operand=Num(value=value)):
            return -value
    return None


def _children(expr: Expr) -> tuple[Expr, ...]:
    match expr:
        case Binary(left=left, right=right):
            return (left, right)
        case Unary(operand=child) | Transpose(operand=child) | Power(base=child):
            return (child,)
        case Call(args=children) | Stack(items=children):
            return children
    return ()


def check_height(expr: Expr, limit: int) -> None:
    """Reject a tree taller than `limit`, so that everything after the parser may recurse.

    Chains such as `x + x + … + x` or `----x` are parsed by loops, not recursion, but make trees
    as tall as they are long. The tree is walked bottom-up with an explicit stack; the first
    node found too tall (the 201st '+' of a long sum) is where the error points.
    """
    heights: dict[int, int] = {}
    todo: list[tuple[Expr, bool]] = [(expr, False)]
    while todo:
        node, children_done = todo.pop()
        children = _children(node)
        if not children_done:
            todo.append((node, True))
            todo.extend((child, False) for child in reversed(children))
            continue
        height = 1 + max((heights[id(child)] for child in children), default=-1)
        if height > limit:
            raise BackpropError("error.parse.too_tall", node.pos, limit=limit)
        heights[id(node)] = height
