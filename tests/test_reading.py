"""Pasted code and slides read as their authors meant (issue 15): every example of the issue,
each new form against float64 numbers, each error with its message and position.

The expected numbers of the attention, var, the staged neuron and llm.c's layernorm are
PyTorch's: torch 2.13.0 (CPU) float64 in a throwaway venv, once, on 2026-12-02 (torch.softmax
with dim=-1, torch.var with correction, torch.sigmoid, the layernorm as llm.c writes it); the
others are exact small numbers written out by hand.
"""

from __future__ import annotations

import numpy as np
import pytest

from backprop_viz import trace
from backprop_viz.errors import BackpropError
from backprop_viz.parser import parse
from backprop_viz.printing import to_sexpr


def val(x: object) -> dict:
    return {"value": x}


# ----- never split a name silently -----

@pytest.mark.parametrize("source, sexpr", [
    ("scores - correct + 1", "(add (sub scores correct) 1)"),      # CS231n's SVM loss
    ("손실 = sum(가중치 x)", "(= 손실 (sum (matmul 가중치 x)))"),     # a word of another script
    ("dD = np.tanh(D) @ dD2", "(= dD (matmul (tanh D) dD2))"),     # a line of numpy code
    ("dD = D.sum() + dD2", "(= dD (add (sum D) dD2))"),            # a method call: code
    ("y = xy ** 2", "(= y (pow xy 2))"),                           # `**`: code
    ("Wxb", "(matmul (matmul W x) b)"),                            # three with a capital
    ("xyz", "xyz"),                                                # a word of three letters
    ("Loss", "Loss"),                                              # four letters: a word
    ("Wx", "(matmul W x)"),                                        # the lecture's style
    ("σ(δx)", "(sigmoid (matmul δ x))"),                           # Greek letters are letters
])
def test_names_stay_whole_unless_the_lectures_style_is_clear(source: str, sexpr: str) -> None:
    assert to_sexpr(parse(source)) == sexpr


@pytest.mark.parametrize("source, declared, notes", [
    ("uT f(Wx + b)", frozenset(), (
        "uT is read as u · T, a product: to keep it one name, declare uT as a variable; for a "
        "transpose write ᵀ",
        "Wx is read as W · x, a product: to keep it one name, declare Wx as a variable")),
    ("s = uᵀ f(Wx + b)", frozenset({"W", "x", "b", "u"}), ()),     # declared: said by the request
    ("Wxy", frozenset({"Wx"}), ("Wxy is read as Wx · y, a product: to keep it one name, "
                                "declare Wxy as a variable",)),
    ("scores - correct", frozenset(), ()),
])
def test_every_guessed_split_is_announced(source: str, declared: frozenset, notes: tuple) -> None:
    assert parse(source, declared).notes == notes


def test_a_run_as_long_as_the_limit_allows_is_one_name() -> None:
    """Splitting tries only the lengths of known names and single letters (it once tried every
    slice of a run, which took minutes for 10 000 letters)."""
    assert to_sexpr(parse("a" * 9000)) == "a" * 9000
    assert to_sexpr(parse("w0x0" * 3, frozenset({"w0", "x0"}))).count("matmul") == 5


def test_a_split_reaches_the_answers_warnings() -> None:
    t = trace("s = sum(Wx)")
    assert t.warnings[0].startswith("Wx is read as W · x")
    assert trace("s = sum(Wx)", {"Wx": {"shape": [3, 1]}}).warnings == ()


# ----- numpy's and PyTorch's meaning for their own spellings -----

X = [[1.0, 5.0, 2.0], [4.0, 0.0, 3.0]]
ROW_MAX = [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]


@pytest.mark.parametrize("source", [
    "s = sum(np.max(X, 1))", "s = sum(np.amax(X, 1))", "s = sum(X.max(1))",
    "s = sum(torch.max(X, 1))", "s = X.max(dim=1, keepdim=True).values.sum()",
    "s = sum(np.max(X, axis=-1))",
])
def test_a_second_positional_argument_of_numpys_max_is_an_axis(source: str) -> None:
    t = trace(source, {"X": val(X)})
    assert t.value == 9.0
    np.testing.assert_array_equal(t.gradient("X"), ROW_MAX)


def test_the_lectures_max_of_two_stays_elementwise() -> None:
    assert to_sexpr(parse("max(z, 0)")) == "(max z 0)"
    assert to_sexpr(parse("np.maximum(z, 1)")) == "(max z 1)"


A = [[1.0, 2.0], [3.0, 6.0]]


@pytest.mark.parametrize("source, value, grad", [
    ("s = np.var(A)", 3.5, [[-1.0, -0.5], [0.0, 1.5]]),
    ("s = A.var(ddof=0)", 3.5, [[-1.0, -0.5], [0.0, 1.5]]),
    ("s = np.var(A, ddof=1)", 14 / 3, [[-4 / 3, -2 / 3], [0.0, 2.0]]),
    ("s = torch.var(A)", 14 / 3, [[-4 / 3, -2 / 3], [0.0, 2.0]]),       # PyTorch: n − 1
    ("s = A.var(correction=1)", 14 / 3, [[-4 / 3, -2 / 3], [0.0, 2.0]]),
    ("s = sum(np.var(A, axis=0, ddof=1))", 10.0, [[-2.0, -4.0], [2.0, 4.0]]),
])
def test_var(source: str, value: float, grad: list) -> None:
    t = trace(source, {"A": val(A)})
    assert t.value == pytest.approx(value, rel=1e-15)
    np.testing.assert_allclose(t.gradient("A"), grad, rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize("source", [
    "s = sum(np.square(x))", "s = sum(x.pow(2))", "s = sum(torch.pow(x, 2))",
    "s = sum(np.power(x, 2))", "s = x.pow(exponent=2).sum()", "s = sum(x²)",
])
def test_squares(source: str) -> None:
    t = trace(source, {"x": val([4.0, 9.0])})
    assert t.value == 97.0
    np.testing.assert_array_equal(t.gradient("x"), [[8.0], [18.0]])


@pytest.mark.parametrize("source", ["s = sum(x^(1/2))", "s = sum(x**(1/2))", "s = sum(√x)",
                                    "s = sum(x.pow(0.5))"])
def test_a_constant_fraction_as_exponent_is_a_power(source: str) -> None:
    t = trace(source, {"x": val([4.0, 9.0])})
    assert t.value == 5.0
    np.testing.assert_allclose(t.gradient("x"), [[0.25], [1 / 6]], rtol=1e-15)


@pytest.mark.parametrize("source", ["s = sum(Q @ key.transpose(-2, -1))",
                                    "s = sum(Q @ key.transpose(0, 1))", "s = sum(Q @ key.t())",
                                    "s = sum(Q @ np.transpose(key))", "s = sum(Q keyᵀ)"])
def test_transposes_as_pytorch_writes_them(source: str) -> None:
    q, key = [[1.0, 2.0]], [[3.0, 4.0], [5.0, -6.0]]
    t = trace(source, {"Q": val(q), "key": val(key)})
    assert t.value == 11.0 - 7.0
    np.testing.assert_array_equal(t.gradient("key"), [[1.0, 2.0], [1.0, 2.0]])


def test_detach_stops_the_gradient_in_a_step_of_its_own() -> None:
    """d2l's `(x.detach() * x).sum()`: PyTorch gives x's gradient as x.detach() alone."""
    t = trace("s = sum(x.detach() * x)", {"x": val([1.0, 2.0, 3.0])})
    assert t.value == 14.0
    np.testing.assert_array_equal(t.gradient("x"), [[1.0], [2.0], [3.0]])
    assert [n.op for n in t.nodes if n.op == "detach"] == ["detach"]


@pytest.mark.parametrize("spelling, op", [("ReLU", "relu"), ("Sigmoid", "sigmoid"),
                                          ("Tanh", "tanh"), ("torch.nn.functional.relu", "relu"),
                                          ("nn.functional.softmax", "softmax")])
def test_the_handouts_and_torchs_spellings(spelling: str, op: str) -> None:
    assert to_sexpr(parse(f"{spelling}(z)")) == f"({op} z)"


# The Annotated Transformer's attention, softmax(Q Kᵀ / √d) V, summed: Q, K 3×2, V 3×2, d = 2.
Q = [[0.1, 0.5], [-0.3, 0.8], [0.6, -0.2]]
K = [[0.4, -0.1], [0.2, 0.3], [-0.5, 0.7]]
V = [[1.0, -1.0], [0.5, 2.0], [-0.5, 0.3]]
ATTENTION = {"Q": val(Q), "K": val(K), "V": val(V), "d": val(2.0)}
D_Q = [[0.1440741930709857, -0.036542767725523076], [0.17518796205383524, -0.06718566760993344],
       [0.07784504288299335, 0.022927848836486884]]
D_K = [[-0.12301957768460761, -0.12511770819090481], [0.17039382333841543, 0.4417491356768239],
       [-0.04737424565380792, -0.31663142748591905]]


@pytest.mark.parametrize("source", ["s = sum(softmax(Q Kᵀ / √d) V)",
                                    "s = sum(torch.softmax(Q @ K.T / d**0.5, dim=-1) @ V)",
                                    "s = (Q @ K.transpose(-2, -1) / np.sqrt(d)).softmax(-1)"
                                    ".matmul(V).sum()"])
def test_a_matrix_softmax_follows_the_rows_as_in_attention(source: str) -> None:
    t = trace(source, ATTENTION)
    assert t.value == pytest.approx(2.2791631357089646, rel=1e-13)
    np.testing.assert_allclose(t.gradient("Q"), D_Q, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(t.gradient("K"), D_K, rtol=1e-13, atol=1e-15)


def test_softmax_with_no_axis_says_it_takes_rows() -> None:
    t = trace("s = sum(softmax(Q Kᵀ / √d) V)", ATTENTION)
    assert "softmax(Q · Kᵀ / sqrt(d), axis=1)" in t.parsed
    assert t.warnings == ("softmax(Q · Kᵀ / sqrt(d)) of a 3×3 matrix is taken along each row "
                          "(PyTorch's dim=-1, the attention paper's softmax): write axis=0 for "
                          "each column",)
    column = trace("J = -yᵀ log(softmax(z))", {"y": val([0, 1, 0]), "z": val([1.0, 2.0, 0.5])})
    assert column.warnings == () and column.parsed == "J = -yᵀ · log(softmax(z))"


# ----- the lecture's and the textbooks' notation -----

@pytest.mark.parametrize("source, sexpr", [
    ("x = [x_museums x_in x_Paris x_are x_amazing]",
     "(= x (hstack x_museums x_in x_Paris x_are x_amazing))"),
    ("[a b; c d]", "(vstack (hstack a b) (hstack c d))"),
    ("σ(wᵀ[x; 1])", "(sigmoid (matmul (T w) (vstack x 1)))"),
    ("W[x; 1]", "(matmul W (vstack x 1))"),
    ("x = 1.\ny = 2. * x", "(= x 1.) (= y (mul 2. x))"),
    ("s = x # the input\n# a whole line\nt = s", "(= s x) (= t s)"),
    ("u^\\top h", "(matmul (T u) h)"), ("u^{\\top} h", "(matmul (T u) h)"),
    ("u’ h", "(matmul (T u) h)"),                               # a curly apostrophe
    ("（x ＋ y）", "(add x y)"),                                   # full-width
    ("ｓ = tanh（ｚ）", "(= s (tanh z))"),
    ("f′(z) ∘ u", "(mul (f′ z) u)"),                              # the prime is kept
    ("x² + x₁", "(add (pow x 2) x₁)"),                            # superscripts, subscripts
])
def test_notation(source: str, sexpr: str) -> None:
    assert to_sexpr(parse(source)) == sexpr


def test_spaced_names_inside_brackets_are_said_to_be_side_by_side() -> None:
    assert parse("[a b c]").notes == (
        "[a b c] is read side by side, as [a, b, c] (spaces between names inside brackets, as "
        "in MATLAB): to stack them in a column, write [a; b; c]",)
    assert parse("[W x + b]").notes == ()          # an expression stays an expression


def test_the_cs231n_neuron_with_a_bias_row_in_brackets() -> None:
    t = trace("f = σ(wᵀ[x; 1])", {"w": val([1.0, -2.0, 0.5]), "x": val([0.3, 0.7])})
    assert t.value == pytest.approx(0.3543436937742046, rel=1e-15)
    np.testing.assert_allclose(t.gradient("w").ravel(),
                               [0.06863527213699719, 0.1601489683196601, 0.22878424045665732],
                               rtol=1e-14)
    np.testing.assert_allclose(t.gradient("x").ravel(),
                               [0.22878424045665732, -0.45756848091331465], rtol=1e-14)


@pytest.mark.parametrize("source", ["s = w · x", "s = np.dot(w, x)", "s = w ⋅ x"])
def test_the_dot_of_two_columns_is_wtx_and_parsed_says_so(source: str) -> None:
    t = trace(source, {"w": val([1.0, 2.0, 3.0]), "x": val([4.0, 5.0, 6.0])})
    assert t.value == 32.0
    np.testing.assert_array_equal(t.gradient("w"), [[4.0], [5.0], [6.0]])
    np.testing.assert_array_equal(t.gradient("x"), [[1.0], [2.0], [3.0]])
    assert t.parsed == "s = wᵀ · x"
    assert t.warnings == ("w · x of two 3×1 columns is read as the dot product wᵀx",)


NEURON = {name: val(v) for name, v in {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0,
                                       "w2": -3.0}.items()}


@pytest.mark.parametrize("source", [
    "dot = w0*x0 + w1*x1 + w2\nf = 1.0 / (1 + np.exp(-dot))",   # CS231n's staged neuron
    "dot = w0*x0 + w1*x1 + w2\nf = sigmoid(dot)",
    "sum = w0*x0 + w1*x1 + w2\nf = σ(sum)",
])
def test_an_assigned_name_shadows_a_function_in_what_follows(source: str) -> None:
    t = trace(source, NEURON)
    assert t.value == 0.7310585786300049
    expected = {"w0": -0.19661193324148185, "x0": 0.3932238664829637,
                "w1": -0.3932238664829637, "x1": -0.5898357997244456, "w2": 0.19661193324148185}
    for name, grad in expected.items():
        assert t.gradient(name).item() == pytest.approx(grad, rel=1e-14)


def test_llm_c_layernorm_with_mean_var_and_norm_as_names() -> None:
    source = ("mean = x.mean(1, keepdim=True)\nxshift = x - mean\n"
              "var = (xshift**2).mean(1, keepdim=True)\nrstd = (var + 1e-5) ** -0.5\n"
              "norm = xshift * rstd\nout = sum(norm * w)")
    x = [[0.2, -1.0, 0.5, 1.5], [2.0, 0.1, -0.4, 0.3]]
    w = [[1.0, 0.5, -1.0, 2.0], [0.3, -0.7, 1.2, 0.4]]
    t = trace(source, {"x": val(x), "w": val(w)})
    assert t.value == pytest.approx(1.1499219941289778, rel=1e-13)
    np.testing.assert_allclose(t.gradient("x"), [
        [0.4717151045174741, 0.5246100861629366, -1.9247753067336877, 0.928450116053277],
        [0.21915698499772157, -1.1661326182815195, 0.8654274890552816, 0.08154814422851653]],
        rtol=1e-13)


# ----- what students paste, as a whole -----

@pytest.mark.parametrize("source, variables", [
    # CS231n's two-layer net, as its assignment writes it
    ("h = np.maximum(0, X.dot(W1) + b1)\nscores = h.dot(W2) + b2\nexp_scores = np.exp(scores)\n"
     "probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)\n"
     "loss = -np.sum(Y * np.log(probs)) / 5",
     {"X": {"shape": [5, 3]}, "W1": {"shape": [3, 4]}, "b1": {"shape": [1, 4]},
      "W2": {"shape": [4, 2]}, "b2": {"shape": [1, 2]}, "Y": {"shape": [5, 2]}}),
    # makemore's bigram loss
    ("counts = logits.exp()\nprobs = counts / counts.sum(1, keepdims=True)\n"
     "loss = -(Y * probs.log()).sum(1).mean()",
     {"logits": {"shape": [4, 5]}, "Y": {"shape": [4, 5]}}),
    # nanoGPT's attention, summed
    ("att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(d))\natt = torch.softmax(att, dim=-1)"
     "\ny = (att @ v).sum()", {"q": {"shape": [3, 2]}, "k": {"shape": [3, 2]},
                               "v": {"shape": [3, 2]}, "d": val(2.0)}),
    # d2l's first autograd example
    ("y = 2 * torch.dot(x, x)", {"x": {"shape": [4, 1]}}),
])
def test_pasted_sources_trace(source: str, variables: dict) -> None:
    t = trace(source, variables)
    assert t.gradient_check.max_rel_error < 1e-7


def test_d2l_dot_of_x_with_itself() -> None:
    """torch.dot takes two vectors: it is their dot product whatever shapes are declared."""
    for variables in ({"x": val([0.0, 1.0, 2.0, 3.0])}, None):
        t = trace("y = 2 * torch.dot(x, x)", variables)
        assert t.parsed == "y = 2 * (xᵀ · x)" and t.warnings == ()
    t = trace("y = 2 * torch.dot(x, x)", {"x": val([0.0, 1.0, 2.0, 3.0])})
    assert t.value == 28.0
    np.testing.assert_array_equal(t.gradient("x"), [[0.0], [4.0], [8.0], [12.0]])


def test_micrograd_readme_numbers() -> None:
    """micrograd's README, with Value(…) and .backward() taken away; relu′(0) = 0, as its."""
    t = trace("c = a * b\nd = c + b**3\ne = d.relu()\ng = e + (b - a).relu()",
              {"a": val(-4.0), "b": val(2.0)})
    assert t.value == 6.0            # relu(-8 + 8) + relu(6)
    assert t.gradient("a").item() == -1.0 and t.gradient("b").item() == 1.0


# ----- outputs are what they say, and errors say what to do -----

def test_the_scalar_output_never_makes_a_matrix_a_row() -> None:
    """The lecture's W stays 3×4 and x a column; a lowercase w left of `·` may be a row, and an
    expression of scalars stays one of 1×1 variables."""
    shapes = {n.label: n.shape for n in trace("s = uᵀ f(Wx + b)").nodes if n.kind == "variable"}
    assert shapes == {"u": (3, 1), "W": (3, 4), "x": (4, 1), "b": (3, 1)}
    shapes = {n.label: n.shape for n in trace("s = w · x").nodes if n.kind == "variable"}
    assert shapes == {"w": (1, 3), "x": (3, 1)}
    assert {n.shape for n in trace("f = σ(w0*x0 + w1*x1 + w2)").nodes} == {(1, 1)}


@pytest.mark.parametrize("source, variables, message, position", [
    ("h = f(Wx + b)", None, "the output h is 3×1, not a scalar: try sum(h) or uᵀh", 0),
    ("s = W x", {"W": {"shape": [3, 4]}}, "the output s is 3×1, not a scalar: try sum(s) or uᵀs",
     0),
    ("s = A + 1", {"A": {"shape": [2, 3]}}, "the output s is 2×3, not a scalar: try sum(s)", 0),
    ("a = Value(-4.0)", None, "unknown function 'Value' (write the number itself, as in "
                              "a = -4.0)", 4),
    ("s = F.relu(x)", None, "F.relu(...) is torch.nn.functional's relu: write relu(...), as F "
                            "is read as a variable", 4),
    ("s = sum(torch.nn.functional.gelu(x))", None,
     "unknown function 'torch.nn.functional.gelu'", 8),
    ("s = sum(w[0])", None, "indexing, as in w[0], is not supported ('[' at column 10): for one "
                            "number, make it a variable of its own (w0); for one row, multiply "
                            "by a one-hot column e given as a value: eᵀw", 9),
    ("s = uᵀ [a, b]", {"u": {"shape": [6, 1]}, "a": {"shape": [3, 1]}, "b": {"shape": [3, 1]}},
     "uᵀ · [a, b]: uᵀ is 1×6 but [a, b] is 3×? (inner dimensions 6 ≠ 3): to stack them in a "
     "column, write [a; b]", 7),
    ("h = [a, b]\ns = uᵀ h", {"a": {"shape": [3, 1]}, "b": {"shape": [3, 1]}},
     "[a, b]: its parts add up to 2 but 1 are needed: to stack them vertically, write [a; b]", 4),
    ("s = x.var()", None, ".var() is numpy's variance over n but PyTorch's over n − 1: write "
                          ".var(ddof=0) or .var(ddof=1)", 5),
    ("s = sum(x.max(dim=1).indices)", None, ".indices of a max are whole numbers, with no "
                                            "gradient: use .values", 20),
    ("s = sum(x.values)", None, ".values follows a max or min along an axis", 9),
    ("s = sum(x.transpose(1, 1))", None, "transpose swaps two different axes", 23),
    ("s = sum(x.t(0))", None, ".t() takes no arguments", 9),
    ("s = sum(x^(1/y))", None, "the exponent must be a number constant", 10),
    ("mean = sum(x) / 3; s = mean(mean)", None, "mean is assigned a value, so mean(...) is not "
                                                "the function: for a product write mean · (...)",
     23),
    ("s = sum(var(x, ddof=2))", None, "ddof must be 0 or 1", 20),
    ("s = sum(x, keepdims=False)", None, "keepdims must be True: every array is 2-D here", 20),
    # the slide's window written with spaces, in the lecture's formula: it must be a column
    ("s = uᵀ f(W [x_museums x_in x_Paris x_are x_amazing] + b)", None,
     "[x_museums, x_in, x_Paris, x_are, x_amazing]: it must have 1 rows/columns, which its parts "
     "cannot make: to stack them vertically, write [x_museums; x_in; x_Paris; x_are; x_amazing]",
     12),
    ("s = x.sum(dim=(0, 1))", None, "dim=(...) names several axes: every array is 2-D, so "
                                    "leave dim out to reduce over both", 14),
    ("s = (x ** 2).sum().item()", None, "unknown method '.item': leave .item() out", 18),
    ("s = sum(x.data)", None, "unknown method '.data': leave micrograd's .data out", 9),
    ("s = sum(x.view(-1))", None, "unknown method '.view': every array is 2-D here", 9),
])
def test_errors_say_what_to_do(source: str, variables: dict | None, message: str,
                               position: int) -> None:
    with pytest.raises(BackpropError) as error:
        trace(source, variables)
    assert message in error.value.message
    assert error.value.position == position
