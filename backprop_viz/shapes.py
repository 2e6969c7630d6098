"""Shape inference by unification: every dimension is a variable, every op a set of equations.

Worked example, `s = uᵀ f(Wx + b)` with nothing declared (dims written d1, d2, …):
    u: d1×d2        uᵀ: d2×d1
    W: d3×d4        x: d5×d6       W·x: d4 = d5 → d3×d6
    b: d7×d8        W·x + b: d3 = d7, d6 = d8   f(·): d3×d6
    uᵀ·h: d1 = d3 → s: d2×d6;  the output is 1×1 → d2 = 1, d6 = 1
Free classes, in order of first appearance, get 3, 4, … in turn (limits.DEFAULT_DIMS):
{d1, d3, d7} = 3, {d4, d5} = 4, so W is 3×4, x 4×1, b 3×1, u 3×1.

The scalar output fixes a free dimension to 1 only where that keeps every matrix a matrix:
never the rows of a capital's variable written left of a matrix product (W in W x; a lowercase
w in `s = w · x` may still be a row). So `h = f(Wx + b)` alone gives W 3×4 and h 3×1, and the
error says so, where fixing d3 = 1 would make W a row.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NoReturn

import networkx as nx

from .arrays import Params, Shape
from .errors import BackpropError, msg
from .limits import DEFAULT_DIMS
from .ops import OPS, get_op


class _Dims:
    """Union-find over dimension variables; a class may be bound to a number."""

    def __init__(self) -> None:
        self.parent: list[int] = []
        self.value: list[int | None] = []

    def new(self, value: int | None = None) -> int:
        self.parent.append(len(self.parent))
        self.value.append(value)
        return len(self.parent) - 1

    def find(self, d: int) -> int:
        while self.parent[d] != d:
            self.parent[d] = self.parent[self.parent[d]]
            d = self.parent[d]
        return d

    def get(self, d: int) -> int | None:
        return self.value[self.find(d)]

    def unify(self, a: int, b: int) -> bool:
        """Merge two classes; False when both are bound to different numbers."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        va, vb = self.value[ra], self.value[rb]
        if va is not None and vb is not None and va != vb:
            return False
        # the older class stays the root, so "first appearance" is the root's index
        ra, rb = min(ra, rb), max(ra, rb)
        self.parent[rb] = ra
        self.value[ra] = va if va is not None else vb
        return True

    def bind(self, d: int, value: int) -> bool:
        return self.unify(d, self.new(value))



@dataclass(frozen=True)
class Inference:
    shapes: dict[str, Shape]
    # product nodes read as another op: "scale" where one side is 1×1, "dot" for w · x of two
    # columns of one size (wᵀx)
    renamed: dict[str, str]


@dataclass
class _Sum:
    """A stacked dimension: total = sum(parts)."""

    total: int
    parts: list[int]
    pos: int | None
    text: str
    hint: dict      # the other way of stacking the same parts, suggested when this one fails


def infer(
    graph: nx.MultiDiGraph,
    order: Sequence[str],
    inputs: Callable[[str], list[str]],
    output: str,
    output_name: str,
    output_pos: int | None,
) -> Inference:
    """Give every node a concrete 2-D shape, or raise a BackpropError naming the conflict."""
    inf = _Inferrer(graph)
    for node in order:
        attrs = graph.nodes[node]
        if attrs["kind"] == "constant":
            inf.shape[node] = (inf.dims.new(1), inf.dims.new(1))
        elif attrs["kind"] == "variable":
            declared = attrs.get("declared_shape") or (None, None)
            inf.shape[node] = (inf.dims.new(declared[0]), inf.dims.new(declared[1]))
        else:
            rule = get_op(attrs["op"]).shape_rule
            inf.shape[node] = RULES[rule](inf, node, inputs(node), attrs["params"])

    dims, shape = inf.dims, inf.shape
    matrices = {dims.find(d) for d in inf.matrix_rows}
    for d in shape[output]:
        if dims.find(d) not in matrices and dims.get(d) is None:
            dims.bind(d, 1)
    _settle(order, shape, dims, inf.sums)
    if inf.show(output) != "1×1":
        raise BackpropError("error.shape.not_scalar", output_pos, name=output_name,
                            shape=inf.show(output), suggestion=_to_scalar(inf, output, output_name))
    return Inference({n: (dims.get(r), dims.get(c)) for n, (r, c) in shape.items()},
                     dict(inf.renamed))


def _to_scalar(inf: _Inferrer, output: str, name: str) -> str | dict:
    """What makes the output a scalar: its sum, or for a column uᵀ times it (a free letter)."""
    label = name if name != "out" else inf.label(output)
    used = {attrs.get("name") for _, attrs in inf.graph.nodes(data=True)}
    u = next(c for c in "uvwpq" + "abcdefghijklmnorstxyz" if c not in used)
    total = f"sum({label})"
    rows, cols = (inf.dims.get(d) for d in inf.shape[output])
    return (msg("error.hint.either", a=total, b=f"{u}ᵀ{label}") if cols == 1 and " " not in label
            else total)


DimPair = tuple[int, int]   # two dimension variables: rows, columns


class _Inferrer:
    """The state of one inference: dimension classes, each node's pair of them, stacked sums and
    the products found to be scalings. The shape rules below read and extend it."""

    def __init__(self, graph: nx.MultiDiGraph) -> None:
        self.graph = graph
        self.dims = _Dims()
        self.shape: dict[str, DimPair] = {}
        self.sums: list[_Sum] = []
        self.renamed: dict[str, str] = {}
        self.matrix_rows: set[int] = set()   # rows of a matrix left of a matrix product

    def known(self, node: str) -> Shape | None:
        r, c = (self.dims.get(d) for d in self.shape[node])
        return (r, c) if r is not None and c is not None else None

    def show(self, node: str) -> str:
        return "×".join(str(self.dims.get(d) or "?") for d in self.shape[node])

    def label(self, node: str) -> str:
        return self.graph.nodes[node]["text"]

    def fail(self, node: str, code: str, **params: object) -> NoReturn:
        attrs = self.graph.nodes[node]
        raise BackpropError(code, attrs.get("pos"), node=attrs["text"], **params)

    def conflict(self, node: str, a: str, b: str, hint: str | dict = "") -> NoReturn:
        self.fail(node, "error.shape.mismatch", a=self.label(a), a_shape=self.show(a),
                  b=self.label(b), b_shape=self.show(b), hint=hint)

    def same(self, node: str, a: str, b: str) -> None:
        if not all(self.dims.unify(x, y) for x, y in zip(self.shape[a], self.shape[b],
                                                          strict=True)):
            self.conflict(node, a, b)


# ----- the shape rules: op.shape_rule → (inferrer, node, inputs, params) → the node's dims -----

def _same_shape(inf: _Inferrer, node: str, args: list[str], params: Params) -> DimPair:
    return inf.shape[args[0]]


def _transposed(inf: _Inferrer, node: str, args: list[str], params: Params) -> DimPair:
    r, c = inf.shape[args[0]]
    return c, r


def _reduced(inf: _Inferrer, node: str, args: list[str], params: Params) -> DimPair:
    """To 1×1, or along an axis keeping both dimensions: axis 0 gives 1×n, axis 1 m×1."""
    out = list(inf.shape[args[0]])
    for axis in (0, 1) if params.get("axis") is None else (params["axis"],):
        out[axis] = inf.dims.new(1)
    return out[0], out[1]


def _repeated(inf: _Inferrer, node: str, args: list[str], params: Params) -> DimPair:
    """`repeat(a, n, axis=0)`, the notes' Repeat node: a single row copied n times (or a single
    column, for axis=1)."""
    axis = params["axis"]
    out = list(inf.shape[args[0]])
    if not inf.dims.bind(out[axis], 1):
        inf.fail(node, ("error.shape.repeat_row", "error.shape.repeat_column")[axis],
                 a=inf.label(args[0]), a_shape=inf.show(args[0]), axis=axis)
    out[axis] = inf.dims.new(params["repeats"])
    return out[0], out[1]


def _broadcast(inf: _Inferrer, node: str, args: list[str], params: Params) -> DimPair:
    """`+ - * /`: numpy broadcasting, axis by axis. A dimension already known to be 1 (declared,
    given, a constant's or a reduction's) stretches to the other side's, and never pins it to 1;
    any other pair of dimensions must be equal.

    Example, `W X + b` with b declared 3×1 and W, X free: W X is d1×d3. Rows: b's 3 makes
    d1 = 3. Columns: b's 1 stretches over d3, which stays free (the batch keeps its default
    size), and the graph puts a repeat node between b and the sum.
    """
    a, b = args
    out = []
    for da, db in zip(inf.shape[a], inf.shape[b], strict=True):
        if inf.dims.get(da) == 1:
            out.append(db)
        elif inf.dims.get(db) == 1:
            out.append(da)
        elif inf.dims.unify(da, db):
            out.append(da)
        else:
            inf.conflict(node, a, b)
    return out[0], out[1]


def _product(inf: _Inferrer, node: str, args: list[str], params: Params) -> DimPair:
    """A matrix product makes the inner dimensions equal; with a 1×1 side it is a scaling."""
    a, b = args
    if inf.known(a) == (1, 1) or inf.known(b) == (1, 1):
        inf.renamed[node] = "scale"
        return inf.shape[b] if inf.known(a) == (1, 1) else inf.shape[a]
    if inf.known(a) is not None and inf.known(a) == inf.known(b) and inf.known(a)[1] == 1:
        inf.renamed[node] = "dot"        # w · x of two columns: the dot product wᵀx
        return inf.dims.new(1), inf.dims.new(1)
    if not inf.dims.unify(inf.shape[a][1], inf.shape[b][0]):
        inner = f"{inf.dims.get(inf.shape[a][1])} ≠ {inf.dims.get(inf.shape[b][0])}"
        inf.conflict(node, a, b, msg("error.hint.inner_dimensions", inner=inner,
                                     hint=_column_hint(inf, b)))
    if inf.graph.nodes[a]["kind"] == "variable" and inf.label(a)[:1].isupper():
        inf.matrix_rows.add(inf.shape[a][0])   # W in W x: a capital is a matrix
    return inf.shape[a][0], inf.shape[b][1]


def _column_hint(inf: _Inferrer, node: str) -> str | dict:
    """`uᵀ [a, b]` where a column is needed: say how to write the column."""
    attrs = inf.graph.nodes[node]
    if attrs["op"] != "stack" or attrs["params"]["axis"] != 1:
        return ""
    parts = tuple(inf.label(i) for i, _, _ in sorted(inf.graph.in_edges(node, keys=True),
                                                    key=lambda e: e[2]))
    return msg("error.hint.stack_column", written=get_op("stack").text(parts, {"axis": 0}))


def _dot(inf: _Inferrer, node: str, args: list[str], params: Params) -> DimPair:
    """aᵀb of two columns of one size."""
    a, b = args
    inf.same(node, a, b)
    if not inf.dims.bind(inf.shape[a][1], 1):
        inf.fail(node, "error.shape.dot_columns", a=inf.label(a), a_shape=inf.show(a))
    return inf.dims.new(1), inf.dims.new(1)


def _stack(inf: _Inferrer, node: str, args: list[str], params: Params) -> DimPair:
    """`[a; b]` adds rows and keeps columns (axis 0); `[a, b]` the other way round.

    Parts whose stacked dimension nothing fixes yet are taken to be the same size, as the
    word vectors of the lecture's window `[x_museums; x_in; x_Paris; x_are; x_amazing]` are.
    """
    dims, shape = inf.dims, inf.shape
    attrs = inf.graph.nodes[node]
    axis = params["axis"]
    keep, grow = 1 - axis, axis
    other_way = get_op("stack").text(tuple(map(inf.label, args)), {"axis": 1 - axis})
    hint = msg(("error.hint.stack_side_by_side", "error.hint.stack_vertically")[axis],
               written=other_way)
    for other in args[1:]:
        if not dims.unify(shape[args[0]][keep], shape[other][keep]):
            inf.conflict(node, args[0], other, hint)
    parts = [shape[a][grow] for a in args]
    if all(dims.get(p) is None for p in parts):
        for p in parts[1:]:
            dims.unify(parts[0], p)
    total = dims.new()
    inf.sums.append(_Sum(total, parts, attrs.get("pos"), attrs["text"], hint))
    out = [0, 0]
    out[keep], out[grow] = shape[args[0]][keep], total
    return out[0], out[1]


RULES: dict[str, Callable[[_Inferrer, str, list[str], Params], DimPair]] = {  # op.shape_rule
    "elementwise": _same_shape,
    "along_axis": _same_shape,
    "power": _same_shape,
    "transpose": _transposed,
    "reduce": _reduced,
    "broadcast": _broadcast,
    "matmul": _product,
    "scale": _product,
    "dot": _dot,
    "stack": _stack,
    "repeat": _repeated,
}

if _untaught := {op.shape_rule for op in OPS.values()} - set(RULES):
    raise NotImplementedError(f"no shape rule for {sorted(_untaught)}: teach shapes.RULES")


def _settle(order, shape, dims: _Dims, sums: list[_Sum]) -> None:
    """Solve stacked sums, then give each free class the next default, oldest first."""
    defaults = itertools.cycle(DEFAULT_DIMS)

    def solve() -> None:
        changed = True
        while changed:
            changed = False
            for s in sums:
                values = [dims.get(p) for p in s.parts]
                total = dims.get(s.total)
                if None not in values:
                    if not dims.bind(s.total, sum(values)):
                        raise BackpropError("error.shape.stack_parts", s.pos, node=s.text,
                                            parts=sum(values), total=total, hint=s.hint)
                    changed |= total is None
                elif total is not None and len({dims.find(p) for p in s.parts
                                                if dims.get(p) is None}) == 1:
                    # the unknown parts are one class, taken m times: m · part = total − known
                    unknown = [p for p, v in zip(s.parts, values, strict=True) if v is None]
                    rest = total - sum(v for v in values if v is not None)
                    if rest < len(unknown) or rest % len(unknown):
                        raise BackpropError("error.shape.stack_cannot_make", s.pos,
                                            node=s.text, total=total, hint=s.hint)
                    dims.bind(unknown[0], rest // len(unknown))
                    changed = True

    pending = {dims.find(s.total) for s in sums}
    solve()
    for node in order:
        for d in shape[node]:
            root = dims.find(d)
            if dims.get(root) is None and root not in pending:
                dims.bind(root, next(defaults))
                solve()
    for node in order:  # totals whose parts were free are now solved; anything left gets one
        for d in shape[node]:
            if dims.get(d) is None:
                dims.bind(d, next(defaults))
                solve()
