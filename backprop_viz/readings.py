"""What the shapes decided about how a program reads, for the answer's `parsed` and `warnings`:
`w · x` of two columns of one size is the dot product wᵀx, and a matrix's softmax with no axis
runs along its rows (PyTorch's dim=-1). No numpy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, replace

from .errors import Said
from .graph import Graph
from .printing import unparse
from .syntax import Binary, Call, Expr, Program, Statement, Transpose


def read_back(program: Program, gr: Graph) -> tuple[str, tuple[str, ...]]:
    """`parsed` as the graph computes it, and the notes of the readings the shapes chose."""
    dots: set[int] = set()
    rows: dict[int, tuple[int, int]] = {}
    notes: list[Said] = []
    for node in gr.order:
        attrs = gr.g.nodes[node]
        if attrs["op"] == "dot":
            dots.add(attrs["pos"])
            a, b = (gr.label(i) for i in gr.inputs(node))
            (n, _), = {gr.g.nodes[i]["shape"] for i in gr.inputs(node)}
            notes.append(Said("warning.dot_product", a=a, b=b, shape=f"{n}×1"))
        elif attrs["op"] == "softmax" and attrs["params"].get("axis") is None:
            shape = gr.g.nodes[gr.inputs(node)[0]]["shape"]
            if min(shape) > 1:
                rows[attrs["pos"]] = shape

    if not dots and not rows:   # nothing read otherwise: the program prints as it parsed
        return unparse(program), tuple(notes)

    def read(expr: Expr) -> Expr:
        match expr:
            case Binary(op="matmul", pos=pos) if pos in dots:
                return replace(expr, left=Transpose(read(expr.left), pos),
                               right=read(expr.right))
            case Call(func="dot", args=(a, b), pos=pos) if pos in dots:
                return Binary("matmul", Transpose(read(a), pos), read(b), pos, "·")
            case Call(func="softmax", pos=pos) if pos in rows and not expr.options:
                (m, n), written = rows[pos], _text(expr)
                notes.append(Said("warning.softmax_rows", softmax=written, shape=f"{m}×{n}"))
                return replace(expr, args=tuple(map(read, expr.args)), options=(("axis", 1),))
        return _map(expr, read)

    statements = tuple(replace(st, expr=read(st.expr)) for st in program.statements)
    return unparse(replace(program, statements=statements)), tuple(notes)


def _text(expr: Expr) -> str:
    return unparse(Program((Statement(None, expr, expr.pos),), ""))


def _map(expr: Expr, read: Callable[[Expr], Expr]) -> Expr:
    """The node with `read` applied to each of its children."""
    changes = {}
    for field in fields(expr):
        value = getattr(expr, field.name)
        if isinstance(value, tuple) and value and not isinstance(value[0], tuple):
            changes[field.name] = tuple(map(read, value))
        elif hasattr(value, "pos") and field.name != "pos":
            changes[field.name] = read(value)
    return replace(expr, **changes) if changes else expr
