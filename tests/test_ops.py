"""The op table as a spec: every entry's VJP equals gᵀJ and agrees with central differences,
and its notation reads as the lecture writes it."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from backprop_viz.expansions import Expansion
from backprop_viz.grammar import BINARY, JUXTAPOSITION
from backprop_viz.latex import to_latex
from backprop_viz.ops import OPS, Op, get_op, unbroadcast
from backprop_viz.parser import parse
from backprop_viz.shapes import RULES
from backprop_viz.syntax import F_CHOICES, FUNCTIONS, IMPLIED, PLACEHOLDERS, Power, Transpose

Shape = tuple[int, int]
Case = tuple[tuple[Shape, ...], dict, Shape]   # input shapes, params, expected output shape
dims = st.integers(1, 4)


# ----- random cases: shapes by shape rule, values by op (away from kinks, inside domains) -----

@st.composite
def _stack_case(draw: st.DrawFn, m: int, n: int) -> Case:
    axis = draw(st.sampled_from([0, 1]))
    sizes = draw(st.lists(dims, min_size=1, max_size=3))
    if axis == 0:
        return tuple((k, n) for k in sizes), {"axis": 0}, (sum(sizes), n)
    return tuple((m, k) for k in sizes), {"axis": 1}, (m, sum(sizes))


@st.composite
def _scale_case(draw: st.DrawFn, m: int, n: int) -> Case:
    scalar_port = draw(st.sampled_from([0, 1]))
    shapes = [(m, n), (m, n)]
    shapes[scalar_port] = (1, 1)
    return tuple(shapes), {}, (m, n)


SHAPE_RULES: dict[str, Callable[[int, int], st.SearchStrategy[Case]]] = {
    "elementwise": lambda m, n: st.just((((m, n),), {}, (m, n))),
    "along_axis": lambda m, n: st.sampled_from([{}, {"axis": 0}, {"axis": 1}]).map(
        lambda p: (((m, n),), p, (m, n))),
    "power": lambda m, n: st.sampled_from([2.0, 3.0, -1.0, 0.5, -1.5, 1.0, 0.0]).map(
        lambda k: (((m, n),), {"k": k}, (m, n))),
    "broadcast": lambda m, n: st.just((((m, n), (m, n)), {}, (m, n))),
    "matmul": lambda m, n: dims.map(lambda p: (((m, n), (n, p)), {}, (m, p))),
    "scale": _scale_case,
    "transpose": lambda m, n: st.just((((m, n),), {}, (n, m))),
    "reduce": lambda m, n: st.sampled_from([({}, (1, 1)), ({"axis": 0}, (1, n)),
                                            ({"axis": 1}, (m, 1))]).map(
        lambda case: (((m, n),), *case)),
    "repeat": lambda m, n: st.sampled_from([(1, 1), (1, n), (m, 1), (m, n)]).map(
        lambda src: ((src,), {"shape": (m, n)}, (m, n))),
    "stack": _stack_case,
    "dot": lambda m, n: st.just((((m, 1), (m, 1)), {}, (1, 1))),
}


def _array(draw: st.DrawFn, shape: Shape, lo: float = -2.0, hi: float = 2.0) -> np.ndarray:
    return draw(arrays(np.float64, shape, elements=st.floats(lo, hi)))


def _nonzero(draw: st.DrawFn, shape: Shape, lo: float = 0.1) -> np.ndarray:
    sign = draw(arrays(np.float64, shape, elements=st.sampled_from([-1.0, 1.0])))
    return sign * _array(draw, shape, lo, 2.0)


def _distinct(draw: st.DrawFn, shape: Shape) -> np.ndarray:
    """Entries at least 0.3 apart, so a small step never changes which one is the max/min."""
    order = np.array(draw(st.permutations(range(shape[0] * shape[1]))), dtype=float)
    return order.reshape(shape) * 0.5 + _array(draw, shape, 0.0, 0.2)


def _apart(draw: st.DrawFn, shapes: tuple[Shape, ...]) -> tuple[np.ndarray, ...]:
    a = _array(draw, shapes[0])
    return a, a + _nonzero(draw, shapes[1])


DOMAINS: dict[str, Callable[[st.DrawFn, tuple[Shape, ...]], tuple[np.ndarray, ...]]] = {
    "log": lambda draw, shapes: (_array(draw, shapes[0], 0.2, 3.0),),
    "sqrt": lambda draw, shapes: (_array(draw, shapes[0], 0.2, 3.0),),
    "pow": lambda draw, shapes: (_array(draw, shapes[0], 0.5, 2.0),),
    "relu": lambda draw, shapes: (_nonzero(draw, shapes[0]),),
    "drelu": lambda draw, shapes: (_nonzero(draw, shapes[0]),),
    "abs": lambda draw, shapes: (_nonzero(draw, shapes[0]),),
    "div": lambda draw, shapes: (_array(draw, shapes[0]), _nonzero(draw, shapes[1], 0.5)),
    "maximum": _apart,
    "minimum": _apart,
    "max": lambda draw, shapes: (_distinct(draw, shapes[0]),),
    "norm": lambda draw, shapes: (_nonzero(draw, shapes[0]),),
    "min": lambda draw, shapes: (_distinct(draw, shapes[0]),),
}


def _inputs(draw: st.DrawFn, op: Op, shapes: tuple[Shape, ...]) -> tuple[np.ndarray, ...]:
    if op.name in DOMAINS:
        return DOMAINS[op.name](draw, shapes)
    return tuple(_array(draw, s) for s in shapes)


def _forward_moved(op: Op, inputs: tuple[np.ndarray, ...], params: dict, port: int,
                   dx: np.ndarray) -> np.ndarray:
    moved = list(inputs)
    moved[port] = inputs[port] + dx
    return op.forward(tuple(moved), params)


def draw_case(data: st.DataObject, op: Op
              ) -> tuple[tuple[np.ndarray, ...], dict, np.ndarray, np.ndarray]:
    """A random case of the op: inputs (shapes by its shape rule, values inside its domain),
    params, output and an upstream gradient."""
    m, n = data.draw(dims), data.draw(dims)
    shapes, params, out_shape = data.draw(SHAPE_RULES[op.shape_rule](m, n))
    inputs = _inputs(data.draw, op, shapes)
    out = op.forward(inputs, params)
    assert out.shape == out_shape and out.dtype == np.float64
    g = data.draw(arrays(np.float64, out.shape, elements=st.floats(-2.0, 2.0)))
    return inputs, params, out, g


@pytest.mark.parametrize("op", OPS.values(), ids=list(OPS))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_vjp_equals_jacobian_and_central_differences(op: Op, data: st.DataObject) -> None:
    inputs, params, out, g = draw_case(data, op)
    shapes = tuple(x.shape for x in inputs)
    out_shape = out.shape
    labels = tuple("abc"[k % 3] for k in range(len(inputs)))
    assert op.text(labels, params)

    for port, x in enumerate(inputs):
        vjp = op.vjp(g, port, inputs, out, params)
        jac = op.jacobian(port, inputs, out, params)
        assert vjp.shape == x.shape
        assert jac.shape == (out.size, x.size)
        np.testing.assert_allclose(vjp.ravel(), g.ravel() @ jac, rtol=1e-10, atol=1e-10)

        # Dot-product test: <g, (f(x + hv) − f(x − hv)) / 2h> = <vjp, v> along a random v.
        # A stop-gradient's VJP is 0 by definition, whatever its forward's derivative.
        v = data.draw(arrays(np.float64, x.shape, elements=st.floats(-1.0, 1.0)))
        h = 1e-6
        ahead, behind = (_forward_moved(op, inputs, params, port, t * v) for t in (h, -h))
        numeric = 0.0 if op.stops_gradient else np.sum(g * (ahead - behind)) / (2 * h)
        assert numeric == pytest.approx(np.sum(vjp * v), rel=1e-6, abs=1e-6)

        formula = op.local_formula(port, labels, shapes, out_shape, params)
        assert isinstance(formula, str) and formula


# ----- known values -----

@pytest.mark.parametrize("name, inputs, params, expected", [
    ("sigmoid", ([[0.0]],), {}, [[0.5]]),
    ("sigmoid", ([[-1000.0, 1000.0]],), {}, [[0.0, 1.0]]),
    ("relu", ([[-1.0], [2.0]],), {}, [[0.0], [2.0]]),
    ("softmax", ([[0.0, 1000.0], [0.0, 1000.0]],), {"axis": 0}, [[0.5, 0.5], [0.5, 0.5]]),
    ("softmax", ([[0.0, 0.0], [1000.0, 1000.0]],), {}, [[0.5, 0.5], [0.5, 0.5]]),
    ("var", ([[1.0, 2.0], [3.0, 6.0]],), {}, [[3.5]]),
    ("var", ([[1.0, 2.0], [3.0, 6.0]],), {"axis": 0, "ddof": 1}, [[2.0, 8.0]]),
    ("detach", ([[1.0, -2.0]],), {}, [[1.0, -2.0]]),
    ("dot", ([[1.0], [2.0]], [[3.0], [4.0]]), {}, [[11.0]]),
    ("pow", ([[4.0, 9.0]],), {"k": 0.5}, [[2.0, 3.0]]),
    ("pow", ([[2.0]],), {"k": -1.0}, [[0.5]]),
    ("matmul", ([[1.0, 2.0]], [[3.0], [4.0]]), {}, [[11.0]]),
    ("scale", ([[1.0], [2.0]], [[3.0]]), {}, [[3.0], [6.0]]),
    ("transpose", ([[1.0, 2.0, 3.0]],), {}, [[1.0], [2.0], [3.0]]),
    ("max", ([[1.0, 3.0], [3.0, 0.0]],), {}, [[3.0]]),
    ("mean", ([[1.0, 2.0], [3.0, 6.0]],), {}, [[3.0]]),
    ("norm", ([[3.0], [4.0]],), {}, [[5.0]]),
    ("norm", ([[1.0, 2.0], [2.0, 4.0]],), {}, [[5.0]]),
    ("maximum", ([[1.0, 5.0]], [[2.0, 4.0]]), {}, [[2.0, 5.0]]),
    ("repeat", ([[1.0, 2.0]],), {"shape": (2, 2)}, [[1.0, 2.0], [1.0, 2.0]]),
    ("repeat", ([[7.0]],), {"shape": [2, 1]}, [[7.0], [7.0]]),
    ("stack", ([[1.0], [2.0]], [[3.0]]), {"axis": 0}, [[1.0], [2.0], [3.0]]),
    ("stack", ([[1.0], [2.0]], [[3.0], [4.0]]), {"axis": 1}, [[1.0, 3.0], [2.0, 4.0]]),
])
def test_forward_values(name: str, inputs: tuple, params: dict, expected: list) -> None:
    args = tuple(np.array(x, dtype=float) for x in inputs)
    np.testing.assert_allclose(OPS[name].forward(args, params), expected)


def test_softmax_of_a_matrix_sums_to_one_along_each_row() -> None:
    z = np.random.default_rng(0).normal(size=(4, 3)) * 50
    np.testing.assert_allclose(OPS["softmax"].forward((z,), {}).sum(axis=1), np.ones(4))
    np.testing.assert_allclose(OPS["softmax"].forward((z,), {"axis": 0}).sum(axis=0), np.ones(3))


@pytest.mark.parametrize("name, inputs, params, port, g, expected", [
    # The max gate sends the gradient to the entry that attains the max; tied entries split it
    # evenly, as PyTorch does (torch.max, torch.maximum; the numbers are PyTorch's).
    ("max", ([[1.0, 3.0], [3.0, 0.0], [3.0, -1.0]],), {}, 0, [[2.0]],
     [[0.0, 2 / 3], [2 / 3, 0.0], [2 / 3, 0.0]]),
    ("max", ([[1.0, 3.0], [2.0, 0.0]],), {}, 0, [[2.0]], [[0.0, 2.0], [0.0, 0.0]]),
    ("min", ([[1.0, 0.0], [3.0, 0.0]],), {}, 0, [[1.0]], [[0.0, 0.5], [0.0, 0.5]]),
    ("maximum", ([[1.0, 2.0, 3.0]], [[1.0, 5.0, 3.0]]), {}, 0, [[2.0, 3.0, 4.0]],
     [[1.0, 0.0, 2.0]]),
    ("maximum", ([[1.0, 2.0, 3.0]], [[1.0, 5.0, 3.0]]), {}, 1, [[2.0, 3.0, 4.0]],
     [[1.0, 3.0, 2.0]]),
    ("minimum", ([[1.0, 2.0, 3.0]], [[1.0, 5.0, 3.0]]), {}, 0, [[2.0, 3.0, 4.0]],
     [[1.0, 3.0, 2.0]]),
    ("minimum", ([[1.0, 2.0, 3.0]], [[1.0, 5.0, 3.0]]), {}, 1, [[2.0, 3.0, 4.0]],
     [[1.0, 0.0, 2.0]]),
    ("minimum", ([[1.0, 2.0]], [[3.0, 0.0]]), {}, 1, [[5.0, 6.0]], [[0.0, 6.0]]),
    # The power rule is finite at 0: d(x⁰)/dx = 0 and d(x³)/dx = 0 there (PyTorch: the same).
    ("pow", ([[0.0, 2.0]],), {"k": 0.0}, 0, [[1.0, 1.0]], [[0.0, 0.0]]),
    ("pow", ([[0.0, 2.0]],), {"k": 3.0}, 0, [[1.0, 1.0]], [[0.0, 12.0]]),
    ("pow", ([[0.0, 2.0]],), {"k": 1.0}, 0, [[1.0, 1.0]], [[1.0, 1.0]]),
    ("pow", ([[0.0, 2.0]],), {"k": 2.0}, 0, [[1.0, 1.0]], [[0.0, 4.0]]),
    # Repeat's backward step sums the copies back.
    ("repeat", ([[1.0, 2.0, 3.0]],), {"shape": (2, 3)}, 0, [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]],
     [[3.0, 5.0, 7.0]]),
    ("stack", ([[1.0], [2.0]], [[3.0]]), {"axis": 0}, 1, [[4.0], [5.0], [6.0]], [[6.0]]),
    ("stack", ([[1.0], [2.0]], [[3.0], [4.0]]), {"axis": 1}, 1, [[4.0, 5.0], [6.0, 7.0]],
     [[5.0], [7.0]]),
    ("scale", ([[2.0]], [[1.0], [3.0]]), {}, 0, [[1.0], [1.0]], [[4.0]]),
    ("scale", ([[1.0], [3.0]], [[2.0]]), {}, 0, [[1.0], [1.0]], [[2.0], [2.0]]),
    ("sigmoid", ([[-1000.0, 1000.0]],), {}, 0, [[1.0, 1.0]], [[0.0, 0.0]]),
    ("norm", ([[3.0], [4.0]],), {}, 0, [[10.0]], [[6.0], [8.0]]),
    ("norm", ([[0.0], [0.0]],), {}, 0, [[1.0]], [[0.0], [0.0]]),     # PyTorch: 0 at x = 0
])
def test_vjp_values(name: str, inputs: tuple, params: dict, port: int, g: list,
                    expected: list) -> None:
    args = tuple(np.array(x, dtype=float) for x in inputs)
    op = OPS[name]
    out = op.forward(args, params)
    np.testing.assert_array_equal(op.vjp(np.array(g), port, args, out, params), expected)


@pytest.mark.parametrize("shape, expected", [
    ((2, 3), np.ones((2, 3))),
    ((1, 3), [[2.0, 2.0, 2.0]]),
    ((2, 1), [[3.0], [3.0]]),
    ((1, 1), [[6.0]]),
])
def test_unbroadcast_sums_stretched_axes(shape: Shape, expected: object) -> None:
    np.testing.assert_array_equal(unbroadcast(np.ones((2, 3)), shape), expected)


# ----- notation -----

@pytest.mark.parametrize("name, port, labels, shapes, out, params, expected", [
    # The lecture's s = uᵀ f(Wx + b): W 3×4, x 4×1, u 3×1.
    ("matmul", 0, ("W", "x"), ((3, 4), (4, 1)), (3, 1), {}, "I ⊗ xᵀ"),
    ("matmul", 1, ("W", "x"), ((3, 4), (4, 1)), (3, 1), {}, "W"),
    ("matmul", 0, ("uᵀ", "h"), ((1, 3), (3, 1)), (1, 1), {}, "hᵀ"),
    ("matmul", 1, ("uᵀ", "h"), ((1, 3), (3, 1)), (1, 1), {}, "uᵀ"),
    ("matmul", 0, ("A", "B"), ((2, 3), (3, 4)), (2, 4), {}, "I ⊗ Bᵀ"),
    ("matmul", 1, ("A", "B"), ((2, 3), (3, 4)), (2, 4), {}, "A ⊗ I"),
    ("matmul", 0, ("x", "uᵀ"), ((3, 1), (1, 3)), (3, 3), {}, "I ⊗ u"),
    ("matmul", 0, ("W", "(a + b)"), ((3, 4), (4, 1)), (3, 1), {}, "I ⊗ (a + b)ᵀ"),
    ("add", 0, ("a", "b"), ((3, 1), (3, 1)), (3, 1), {}, "I"),
    ("add", 1, ("a", "b"), ((1, 1), (1, 1)), (1, 1), {}, "1"),
    ("sub", 0, ("a", "b"), ((3, 1), (3, 1)), (3, 1), {}, "I"),
    ("sub", 1, ("a", "b"), ((3, 1), (3, 1)), (3, 1), {}, "−I"),
    ("mul", 0, ("a", "b"), ((3, 1), (3, 1)), (3, 1), {}, "diag(b)"),
    ("mul", 1, ("a", "b"), ((3, 1), (3, 1)), (3, 1), {}, "diag(a)"),
    ("div", 0, ("a", "b"), ((3, 1), (3, 1)), (3, 1), {}, "diag(1/b)"),
    ("div", 1, ("a", "b"), ((3, 1), (3, 1)), (3, 1), {}, "−diag(a/b²)"),
    ("div", 1, ("a", "(x + y)"), ((1, 1), (1, 1)), (1, 1), {}, "−a/(x + y)²"),
    ("maximum", 0, ("a", "b"), ((3, 1), (3, 1)), (3, 1), {}, "diag(𝟙[a > b] + ½𝟙[a = b])"),
    ("maximum", 1, ("a", "b"), ((1, 1), (1, 1)), (1, 1), {}, "𝟙[b > a] + ½𝟙[b = a]"),
    ("minimum", 0, ("a", "b"), ((3, 1), (3, 1)), (3, 1), {}, "diag(𝟙[a < b] + ½𝟙[a = b])"),
    ("pow", 0, ("x",), ((3, 1),), (3, 1), {"k": 0.0}, "0"),
    ("neg", 0, ("a",), ((3, 1),), (3, 1), {}, "−I"),
    ("tanh", 0, ("z",), ((3, 1),), (3, 1), {}, "diag(1 − tanh²(z))"),
    ("tanh", 0, ("(W · x + b)",), ((3, 1),), (3, 1), {}, "diag(1 − tanh²(W · x + b))"),
    ("tanh", 0, ("z",), ((1, 1),), (1, 1), {}, "1 − tanh²(z)"),
    ("sigmoid", 0, ("z",), ((3, 1),), (3, 1), {}, "diag(σ(z)(1 − σ(z)))"),
    ("relu", 0, ("z",), ((3, 1),), (3, 1), {}, "diag(𝟙[z > 0])"),
    ("dtanh", 0, ("z",), ((3, 1),), (3, 1), {}, "−diag(2 tanh(z)(1 − tanh²(z)))"),
    ("dsigmoid", 0, ("z",), ((1, 1),), (1, 1), {}, "σ′(z)(1 − 2σ(z))"),
    ("drelu", 0, ("z",), ((3, 1),), (3, 1), {}, "0"),
    ("exp", 0, ("z",), ((3, 1),), (3, 1), {}, "diag(exp(z))"),
    ("log", 0, ("z",), ((3, 1),), (3, 1), {}, "diag(1/z)"),
    ("sqrt", 0, ("z",), ((3, 1),), (3, 1), {}, "diag(1/(2√z))"),
    ("cos", 0, ("z",), ((3, 1),), (3, 1), {}, "−diag(sin(z))"),
    ("pow", 0, ("x",), ((3, 1),), (3, 1), {"k": 2.0}, "diag(2x)"),
    ("pow", 0, ("x",), ((3, 1),), (3, 1), {"k": 3.0}, "diag(3x²)"),
    ("pow", 0, ("x",), ((3, 1),), (3, 1), {"k": -1.0}, "−diag(x⁻²)"),
    ("pow", 0, ("x",), ((3, 1),), (3, 1), {"k": 0.5}, "diag(0.5x^(−0.5))"),
    ("pow", 0, ("x",), ((3, 1),), (3, 1), {"k": 1.0}, "I"),
    ("scale", 0, ("c", "x"), ((1, 1), (3, 1)), (3, 1), {}, "x"),
    ("scale", 1, ("c", "x"), ((1, 1), (3, 1)), (3, 1), {}, "c I"),
    ("scale", 1, ("W", "2"), ((2, 3), (1, 1)), (2, 3), {}, "vec(W)"),
    ("sum", 0, ("z",), ((3, 1),), (1, 1), {}, "𝟏ᵀ"),
    ("mean", 0, ("Z",), ((3, 4),), (1, 1), {}, "𝟏ᵀ/12"),
    ("max", 0, ("z",), ((3, 1),), (1, 1), {}, "eₖᵀ, k = argmax(z)"),
    ("norm", 0, ("x",), ((3, 1),), (1, 1), {}, "xᵀ/‖x‖"),
    ("norm", 0, ("X",), ((2, 3),), (1, 1), {}, "vec(X)ᵀ/‖X‖"),
    ("transpose", 0, ("u",), ((3, 1),), (1, 3), {}, "I"),
    ("transpose", 0, ("A",), ((2, 3),), (3, 2), {}, "K (commutation)"),
    ("softmax", 0, ("z",), ((3, 1),), (3, 1), {}, "diag(p) − p pᵀ, p = softmax(z)"),
    ("repeat", 0, ("b",), ((1, 1),), (3, 1), {"shape": (3, 1)}, "𝟏"),
    ("repeat", 0, ("b",), ((1, 3),), (2, 3), {"shape": (2, 3)}, "𝟏 ⊗ I"),
    ("repeat", 0, ("b",), ((2, 1),), (2, 3), {"shape": (2, 3)}, "I ⊗ 𝟏"),
    ("stack", 1, ("a", "b", "c"), ((2, 1), (3, 1), (1, 1)), (6, 1), {"axis": 0}, "[0; I; 0]"),
    ("stack", 0, ("a", "b"), ((2, 1), (2, 1)), (2, 2), {"axis": 1}, "I ⊗ [1; 0]"),
])
def test_local_formula(name: str, port: int, labels: tuple, shapes: tuple, out: Shape,
                       params: dict, expected: str) -> None:
    assert OPS[name].local_formula(port, labels, shapes, out, params) == expected


@pytest.mark.parametrize("name, labels, params, expected", [
    ("matmul", ("W", "x"), {}, "W · x"),
    ("add", ("(W · x)", "b"), {}, "(W · x) + b"),
    ("sub", ("a", "b"), {}, "a − b"),
    ("neg", ("a",), {}, "−a"),
    ("tanh", ("z",), {}, "tanh(z)"),
    ("tanh", ("(W · x + b)",), {}, "tanh(W · x + b)"),
    ("sigmoid", ("z",), {}, "σ(z)"),
    ("dtanh", ("z",), {}, "tanh′(z)"),
    ("dsigmoid", ("z",), {}, "σ′(z)"),
    ("transpose", ("u",), {}, "uᵀ"),
    ("pow", ("x",), {"k": 2.0}, "x^2"),
    ("maximum", ("a", "b"), {}, "max(a, b)"),
    ("repeat", ("b",), {"shape": (3, 1)}, "repeat(b)"),
    ("stack", ("a", "b"), {"axis": 0}, "[a; b]"),
    ("stack", ("a", "b"), {"axis": 1}, "[a, b]"),
])
def test_text(name: str, labels: tuple, params: dict, expected: str) -> None:
    assert OPS[name].text(labels, params) == expected


# ----- the table's contract with the parser and the engine -----

def test_every_name_in_the_syntax_tables_is_an_op() -> None:
    called = {op for arities in FUNCTIONS.values() for op in arities.values()}
    bound = {op for choices in PLACEHOLDERS.values() for op in choices.values()}
    written = {op for _, op, _ in [*BINARY.values(), JUXTAPOSITION]} | {"neg", "pow",
                                                                         "transpose", "stack"}
    assert (called - set(PLACEHOLDERS)) | bound | written <= set(OPS)
    assert set(PLACEHOLDERS) <= called
    assert all(set(choices) == set(F_CHOICES) for choices in PLACEHOLDERS.values())
    assert all(OPS[name].shape_rule == "elementwise" for name in bound)


def test_ops_are_keyed_by_name() -> None:
    assert all(op.name == name for name, op in OPS.items())


def test_missing_op_names_itself() -> None:
    with pytest.raises(KeyError, match="no op named 'nope'"):
        get_op("nope")


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("name, inputs, params, expected", [
    ("log", ([[-1.0, 0.0]],), {}, [[np.nan, -np.inf]]),
    ("sqrt", ([[-1.0]],), {}, [[np.nan]]),
    ("exp", ([[1000.0]],), {}, [[np.inf]]),
    ("div", ([[1.0, 0.0]], [[0.0, 0.0]]), {}, [[np.inf, np.nan]]),
    ("pow", ([[0.0, -1.0]],), {"k": -0.5}, [[np.inf, np.nan]]),
    ("var", ([[2.0]],), {"ddof": 1}, [[np.nan]]),
])
def test_bad_numbers_are_nan_or_inf_without_warnings(name: str, inputs: tuple, params: dict,
                                                     expected: list) -> None:
    op = OPS[name]
    args = tuple(np.array(x, dtype=float) for x in inputs)
    out = op.forward(args, params)
    np.testing.assert_array_equal(out, expected)
    for port in range(len(args)):
        op.vjp(np.ones_like(out), port, args, out, params)
        op.jacobian(port, args, out, params)


# ----- one op, one entry: every op carries every part -----

TEXT_PARAMS: dict[str, dict] = {"pow": {"k": 2.0}, "stack": {"axis": 0},
                                "repeat": {"shape": (2, 2)}}


@pytest.mark.parametrize("op", OPS.values(), ids=list(OPS))
def test_every_op_has_every_part(op: Op) -> None:
    """Its surface (spellings, LaTeX, options), its scalar form or the reason it has none, a
    shape rule that shapes.py knows, and a text that LaTeX writes with its own name: cos(z) is
    \\cos(z), never \\mathit{cos}(z)."""
    assert op.surface is not None and op.surface.op == op.name
    assert op.surface.arity == op.arity
    assert isinstance(op.scalar, Expansion) or (isinstance(op.scalar, str) and op.scalar)
    assert op.shape_rule in RULES
    labels = ("z", "y")[:op.arity] if op.arity > 0 else ("z", "y")
    written = to_latex(op.text(labels, TEXT_PARAMS.get(op.name, {})))
    assert r"\mathit" not in written
    assert set(op.surface.required) <= set(op.surface.options)


@pytest.mark.parametrize("op, spelling", [(op, spelling) for op in OPS.values()
                                          for spelling in op.surface.spellings],
                         ids=lambda v: v if isinstance(v, str) else v.name)
def test_every_spelling_of_an_op_calls_it(op: Op, spelling: str) -> None:
    """`spelling(a, …)` (with the required options) builds exactly this op."""
    args = ", ".join("ab"[:op.arity])
    needed = {"repeat": ", 2, axis=0", "pow": ", 3"}.get(op.name, "")
    implied = spelling in IMPLIED
    call = parse(f"s = {spelling}({args}{'' if implied else needed})").statements[0].expr
    if op.name == "pow":
        assert isinstance(call, Power) and call.exponent == (2.0 if implied else 3.0)
    elif op.name == "transpose":
        assert isinstance(call, Transpose)
    else:
        assert FUNCTIONS[call.func][len(call.args)] == op.name


def test_cos_is_written_as_latex_cos() -> None:
    assert to_latex("cos(z)") == r"\cos(z)"
    assert to_latex("ReLU(z)") == r"\operatorname{relu}(z)"
