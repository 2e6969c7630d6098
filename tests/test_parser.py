"""The expression language as a spec: source → S-expression, source → `parsed`, and bad input →
error message and position."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_viz.errors import BackpropError
from backprop_viz.parser import MAX_DEPTH, parse
from backprop_viz.printing import to_sexpr, unparse
from backprop_viz.syntax import Binary, Name, Num, Stack, Statement

# ----- source → S-expression -----

OPERATORS = [
    # transpose, every spelling; postfix, so it binds tighter than anything around it
    ("xᵀ", "(T x)"),
    ("x^T", "(T x)"),
    ("x.T", "(T x)"),
    ("x'", "(T x)"),
    ("xᵀᵀ", "(T (T x))"),
    ("x.T'", "(T (T x))"),
    ("(a + b)ᵀ", "(T (add a b))"),
    ("u^Th", "(matmul (T u) h)"),
    ("u.Th", "(matmul (T u) h)"),
    ("u'h", "(matmul (T u) h)"),
    # power, both spellings, by a number constant with an optional sign; right of transpose
    ("x^2", "(pow x 2)"),
    ("x**2", "(pow x 2)"),
    ("x ** 0.5", "(pow x 0.5)"),
    ("x^-1", "(pow x -1)"),
    ("x**−1", "(pow x -1)"),
    ("x^+2", "(pow x 2)"),
    ("x^(-1)", "(pow x -1)"),
    ("2^-1", "(pow 2 -1)"),
    ("xᵀ^2", "(pow (T x) 2)"),
    ("x^2ᵀ", "(T (pow x 2))"),
    ("(x^2)^3", "(pow (pow x 2) 3)"),
    ("x^2 y", "(matmul (pow x 2) y)"),
    # unary minus and plus, looser than power, tighter than any binary operator
    ("-x", "(neg x)"),
    ("−x", "(neg x)"),
    ("+x", "x"),
    ("--x", "(neg (neg x))"),
    ("-x^2", "(neg (pow x 2))"),
    ("-a b", "(matmul (neg a) b)"),
    ("a * -b", "(mul a (neg b))"),
    ("a -b", "(sub a b)"),
    ("-2", "(neg 2)"),
    # juxtaposition: a matrix product
    ("Wx", "(matmul W x)"),
    ("uᵀh", "(matmul (T u) h)"),
    ("2x", "(matmul 2 x)"),
    ("2 x", "(matmul 2 x)"),
    ("W (x+b)", "(matmul W (add x b))"),
    ("(a)(b)", "(matmul a b)"),
    ("Wxᵀ", "(matmul W (T x))"),
    ("xᵀ A x", "(matmul (matmul (T x) A) x)"),
    ("2e", "(matmul 2 e)"),
    ("2 tanh(x)", "(matmul 2 (tanh x))"),
    # the binary operators
    ("a @ b", "(matmul a b)"),
    ("a · b", "(matmul a b)"),
    ("a * b", "(mul a b)"),
    ("a ⊙ b", "(mul a b)"),
    ("a ∘ b", "(mul a b)"),
    ("a / b", "(div a b)"),
    ("a + b", "(add a b)"),
    ("a - b", "(sub a b)"),
    ("a − b", "(sub a b)"),
    # one product level and one sum level, both left-associative
    ("a + b * c", "(add a (mul b c))"),
    ("a * b + c", "(add (mul a b) c)"),
    ("a - b - c", "(sub (sub a b) c)"),
    ("a / b * c", "(mul (div a b) c)"),
    ("a @ b * c", "(mul (matmul a b) c)"),
    ("a * b c", "(matmul (mul a b) c)"),
    ("a b / c", "(div (matmul a b) c)"),
    ("a + b c * d", "(add a (mul (matmul b c) d))"),
    # numbers, printed as written
    ("0.5", "0.5"),
    (".5", ".5"),
    ("1e-3", "1e-3"),
    ("2E+4", "2E+4"),
    ("2e3x", "(matmul 2e3 x)"),
    # stacking
    ("[a; b; c]", "(vstack a b c)"),
    ("[a, b]", "(hstack a b)"),
    ("[a, b; c, d]", "(vstack (hstack a b) (hstack c d))"),
    ("[a]", "a"),
    ("[[a; b], c]", "(hstack (vstack a b) c)"),
    ("[a;\n b;\n c]", "(vstack a b c)"),
    ("W [x; 1]", "(matmul W (vstack x 1))"),
]

FUNCTIONS = [
    ("tanh(z)", "(tanh z)"),
    ("sigmoid(z)", "(sigmoid z)"),
    ("σ(z)", "(sigmoid z)"),
    ("relu(z)", "(relu z)"),
    ("exp(z)", "(exp z)"),
    ("log(z)", "(log z)"),
    ("sqrt(z)", "(sqrt z)"),
    ("abs(z)", "(abs z)"),
    ("sin(z)", "(sin z)"),
    ("cos(z)", "(cos z)"),
    ("f(z)", "(f z)"),
    ("sum(z)", "(sum z)"),
    ("mean(z)", "(mean z)"),
    ("softmax(z)", "(softmax z)"),
    ("max(z)", "(max z)"),
    ("max(a, b)", "(max a b)"),
    ("min(z)", "(min z)"),
    ("min(a, b)", "(min a b)"),
    ("tanh (z)", "(tanh z)"),
    ("exp(-x)", "(exp (neg x))"),
    ("f(Wx + b)", "(f (add (matmul W x) b))"),
    ("σ(z)ᵀ", "(T (sigmoid z))"),
]

SPLITTING = [
    ("ab", "(matmul a b)"),
    ("xyz", "xyz"),                      # three letters: one name (LANGUAGE.md)
    ("xy z", "(matmul (matmul x y) z)"),
    ("αβ", "(matmul α β)"),
    ("W1 x", "(matmul W1 x)"),
    ("W1x", "W1x"),
    ("h = Wx; s = uᵀh_2 + h2u", "(= h (matmul W x)) (= s (add (matmul (T u) h_2) h2u))"),
    ("h_2 = Wx; s = uᵀh_2u", "(= h_2 (matmul W x)) (= s (matmul (matmul (T u) h_2) u))"),
    ("x_in", "x_in"),
    ("h_2", "h_2"),
    ("exp(x)", "(exp x)"),
    ("expx", "expx"),
    ("xy = a + b; 2 xy", "(= xy (add a b)) (matmul 2 xy)"),
    ("hid = Wx\nuᵀhid", "(= hid (matmul W x)) (matmul (T u) hid)"),
]

NOTATION = [
    # superscript powers
    ("x²", "(pow x 2)"),
    ("x³", "(pow x 3)"),
    ("x⁻¹", "(pow x -1)"),
    ("x¹⁰", "(pow x 10)"),
    ("xᵀ²", "(pow (T x) 2)"),
    ("x²ᵀ", "(T (pow x 2))"),
    ("-x²", "(neg (pow x 2))"),
    ("2x² y", "(matmul (matmul 2 (pow x 2)) y)"),
    ("(a + b)²", "(pow (add a b) 2)"),
    # powers of powers are right-associative, as documented: x ** 2 ** 3 is x⁸
    ("x ** 2 ** 3", "(pow x 8)"),
    ("x^2^3", "(pow x 8)"),
    ("x ** 2 ** -1", "(pow x 0.5)"),
    ("x ** (-2) ** 2", "(pow x 4)"),
    ("x ** 2 ** 0.5", "(pow x 1.4142135623730951)"),
    # ⊤ (d2l) and ᵀ are transpose; ⋅ (LaTeX's \cdot) is ·
    ("u⊤h", "(matmul (T u) h)"),
    ("w ⋅ x", "(matmul w x)"),
    ("w⋅x", "(matmul w x)"),
    # ln is log; √ is sqrt of the operand after it
    ("ln(x)", "(log x)"),
    ("√x", "(sqrt x)"),
    ("√(a + b)", "(sqrt (add a b))"),
    ("√x²", "(sqrt (pow x 2))"),
    ("2√x y", "(matmul (matmul 2 (sqrt x)) y)"),
    ("1/√x", "(div 1 (sqrt x))"),
    # e^… is exp, where e is not a variable
    ("e^x", "(exp x)"),
    ("e^(-x)", "(exp (neg x))"),
    ("e**(-x)", "(exp (neg x))"),
    ("e^-x", "(exp (neg x))"),
    ("e^x²", "(exp (pow x 2))"),
    ("e²", "(exp 2)"),
    ("1 / (1 + e^(-z))", "(div 1 (add 1 (exp (neg z))))"),
    ("2e^x", "(matmul 2 (exp x))"),
    ("e x", "(matmul e x)"),
    ("e = 2; e^3", "(= e 2) (pow e 3)"),
    # norms
    ("norm(x)", "(norm x)"),
    ("‖x‖", "(norm x)"),
    ("‖W x - y‖²", "(pow (norm (sub (matmul W x) y)) 2)"),
    ("‖a‖‖b‖", "(matmul (norm a) (norm b))"),
    ("‖x + ‖y‖ z‖", "(norm (add x (matmul (norm y) z)))"),
    ("2 ‖x‖", "(matmul 2 (norm x))"),
]

AXES = [
    ("sum(a, axis=0)", "(sum a :axis 0)"),
    ("sum(a, 0)", "(sum a :axis 0)"),
    ("sum(a, axis=1)", "(sum a :axis 1)"),
    ("sum(a, axis=-1)", "(sum a :axis 1)"),
    ("sum(a, axis=-2)", "(sum a :axis 0)"),
    ("sum(a, axis=None)", "(sum a)"),
    ("sum(a, dim=0)", "(sum a :axis 0)"),
    ("sum(a, axis=0, keepdims=True)", "(sum a :axis 0)"),
    ("sum(a, keepdims=True)", "(sum a)"),
    ("sum(a, 1, True)", "(sum a :axis 1)"),
    ("mean(a, axis=1)", "(mean a :axis 1)"),
    ("mean(a, 0)", "(mean a :axis 0)"),
    ("max(a, axis=0)", "(max a :axis 0)"),
    ("max(a, 0)", "(max a 0)"),                      # two arrays: the elementwise max
    ("min(a, axis=1, keepdims=True)", "(min a :axis 1)"),
    ("softmax(a, axis=1)", "(softmax a :axis 1)"),
    ("softmax(a, 0)", "(softmax a :axis 0)"),
    ("softmax(xW + b, dim=1)", "(softmax (add (matmul x W) b) :axis 1)"),
    ("repeat(b, 10, axis=0)", "(repeat b :repeats 10 :axis 0)"),
    ("repeat(b, axis=1, repeats=3)", "(repeat b :axis 1 :repeats 3)"),
    ("norm(a, axis=0)", "(norm a :axis 0)"),
    ("sum(a,)", "(sum a)"),
]

NUMPY = [
    # method calls on any operand
    ("x.sum()", "(sum x)"),
    ("x.mean()", "(mean x)"),
    ("z.relu()", "(relu z)"),
    ("(z * z).relu()", "(relu (mul z z))"),
    ("x.tanh().sum()", "(sum (tanh x))"),
    ("x.exp()", "(exp x)"),
    ("x.log()", "(log x)"),
    ("x.sigmoid()", "(sigmoid x)"),
    ("x.T.dot(y)", "(dot (T x) y)"),
    ("X.dot(W)", "(dot X W)"),
    ("a.sum(axis=0)", "(sum a :axis 0)"),
    ("h.softmax(dim=1)", "(softmax h :axis 1)"),
    ("x.max()", "(max x)"),
    ("x.norm()", "(norm x)"),
    ("x.transpose()", "(T x)"),
    ("2x.sum()", "(matmul 2 (sum x))"),
    ("u.Th", "(matmul (T u) h)"),             # .T stays transpose, whatever follows
    # module prefixes on known functions
    ("np.tanh(x)", "(tanh x)"),
    ("numpy.exp(x)", "(exp x)"),
    ("torch.sigmoid(x)", "(sigmoid x)"),
    ("math.sqrt(x)", "(sqrt x)"),
    ("np.sum(a, axis=0)", "(sum a :axis 0)"),
    ("torch.softmax(h, dim=1)", "(softmax h :axis 1)"),
    ("np.log(np.exp(x))", "(log (exp x))"),
    # np.dot and np.matmul are @; np.maximum and np.minimum are max and min
    ("np.dot(a, b)", "(dot a b)"),
    ("np.matmul(a, b)", "(dot a b)"),
    ("np.maximum(0, z)", "(max 0 z)"),
    ("np.minimum(a, b)", "(min a b)"),
    ("np.max(a, axis=1)", "(max a :axis 1)"),
    ("dot(a, b)", "(dot a b)"),
    ("np.transpose(x)", "(T x)"),
    ("np.linalg.norm(x)", "(norm x)"),
    ("torch.linalg.norm(W, axis=0)", "(norm W :axis 0)"),
]

DERIVATIVES = [
    ("f′(z)", "(f′ z)"),
    ("f'(z)", "(f′ z)"),
    ("tanh′(z)", "(tanh′ z)"),
    ("σ′(z)", "(sigmoid′ z)"),
    ("σ'(z)", "(sigmoid′ z)"),
    ("sigmoid′(z)", "(sigmoid′ z)"),
    ("relu′(z)", "(relu′ z)"),
    ("np.tanh′(z)", "(tanh′ z)"),
    ("f′(z)ᵀ", "(T (f′ z))"),
    ("f'(z)'", "(T (f′ z))"),
    ("f′ (z)", "(f′ z)"),
    ("z = Wx + b; δ = u ∘ f′(z); s = sum(δ)",
     "(= z (add (matmul W x) b)) (= δ (mul u (f′ z))) (= s (sum δ))"),
]

LECTURE = [
    ("s = uᵀ f(Wx + b)", "(= s (matmul (T u) (f (add (matmul W x) b))))"),
    ("s = u.T @ tanh(W @ x + b)", "(= s (matmul (T u) (tanh (add (matmul W x) b))))"),
    ("z = Wx + b\nh = f(z)\ns = uᵀh",
     "(= z (add (matmul W x) b)) (= h (f z)) (= s (matmul (T u) h))"),
    ("(x + y) * z", "(mul (add x y) z)"),
    ("1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))",
     "(div 1 (add 1 (exp (neg (add (add (mul w0 x0) (mul w1 x1)) w2)))))"),
    ("x = [x_museums; x_in; x_Paris; x_are; x_amazing]",
     "(= x (vstack x_museums x_in x_Paris x_are x_amazing))"),
]

PROGRAMS = [
    ("z = Wx + b; h = f(z); s = uᵀh",
     "(= z (add (matmul W x) b)) (= h (f z)) (= s (matmul (T u) h))"),
    ("a = x; b = a * 2;", "(= a x) (= b (mul a 2))"),
    ("\n\nz = x + 1\n\n;; z * 2\n", "(= z (add x 1)) (mul z 2)"),
    ("z = x\r\nz + 1", "(= z x) (add z 1)"),
    ("x = [a;\n     b]\ny = x + 1", "(= x (vstack a b)) (= y (add x 1))"),
    ("z = (a +\n b)\nz", "(= z (add a b)) z"),
    ("a = x\nb = a + a\nc = a b", "(= a x) (= b (add a a)) (= c (matmul a b))"),
    # a name may be assigned again; later uses read the newest value
    ("z = x; z = y", "(= z x) (= z y)"),
    ("c = a + b; c = c + 1", "(= c (add a b)) (= c (add c 1))"),
    # augmented assignment: c += e is c = c + (e)
    ("c = a + b; c += c + 1", "(= c (add a b)) (= c (add c (add c 1)))"),
    ("c = x; c -= 1; c −= 2", "(= c x) (= c (sub c 1)) (= c (sub c 2))"),
    ("c = x; c *= a + b; c /= 2", "(= c x) (= c (mul c (add a b))) (= c (div c 2))"),
    ("g = x\ng += 10.0 / f(x)", "(= g x) (= g (add g (div 10.0 (f x))))"),
    # f may name a value once assigned (CS231n's f = q * z); unassigned, f(…) is the nonlinearity
    ("q = x + y; f = q * z", "(= q (add x y)) (= f (mul q z))"),
    ("f = 2; s = f x + f (y)", "(= f 2) (= s (add (matmul f x) (matmul f y)))"),
    ("a = -4.0; b = 2.0", "(= a (neg 4.0)) (= b 2.0)"),
]

ALL_VALID = (OPERATORS + FUNCTIONS + SPLITTING + NOTATION + AXES + NUMPY + DERIVATIVES + LECTURE
             + PROGRAMS)


@pytest.mark.parametrize(("source", "expected"), ALL_VALID)
def test_source_to_sexpr(source: str, expected: str) -> None:
    assert to_sexpr(parse(source)) == expected


@pytest.mark.parametrize(("source", "declared", "expected"), [
    ("Wx", {"Wx"}, "Wx"),
    ("Wx + b", {"W", "x"}, "(add (matmul W x) b)"),
    ("xy z", {"xy"}, "(matmul xy z)"),
    ("ab(c)", {"ab"}, "(matmul ab c)"),
    ("e^2", {"e"}, "(pow e 2)"),             # e declared is a variable, not exp
    # run-together names use declared names, as single letters are split
    ("σ(w0x0 + w1x1 + w2)", {"w0", "x0", "w1", "x1", "w2"},
     "(sigmoid (add (add (matmul w0 x0) (matmul w1 x1)) w2))"),
    ("W1x + b1", {"W1"}, "(add (matmul W1 x) b1)"),
    ("Wxy", {"Wx"}, "(matmul Wx y)"),
    ("abc", {"ab", "bc"}, "(matmul ab c)"),
    ("x_inW", {"x_in"}, "(matmul x_in W)"),
    ("w0x0", {"w0"}, "w0x0"),                 # x0 is not declared: no piece covers its digit
    # a variable directly followed by '(' is a product, as in the lecture's W(x + b)
    ("W(x+b)", {"W"}, "(matmul W (add x b))"),
    ("h = x; s = h(x)", set(), "(= h x) (= s (matmul h x))"),
])
def test_declared_names_are_never_split(source: str, declared: set[str], expected: str) -> None:
    assert to_sexpr(parse(source, frozenset(declared))) == expected


def test_nodes_carry_values_and_positions() -> None:
    """Each split letter keeps its own offset; juxtaposition sits at its right operand."""
    program = parse("h = 0.5Wx")
    assert program.source == "h = 0.5Wx"
    assert program.statements == (Statement("h", Binary(
        "matmul", Binary("matmul", Num(0.5, "0.5", 4), Name("W", 7), 7, "·"),
        Name("x", 8), 8, "·"), 0),)
    assert parse("x = 1\n  [a, b; c, d]").statements[1] == Statement(None, Stack((
        Stack((Name("a", 9), Name("b", 12)), 1, 9),
        Stack((Name("c", 15), Name("d", 18)), 1, 15)), 0, 8), 8)
    assert parse("1e-3").statements[0].expr.value == 0.001


# ----- source → `parsed` -----

@pytest.mark.parametrize(("source", "parsed"), [
    ("s = uᵀ f(Wx + b)", "s = uᵀ · f(W · x + b)"),
    ("z = Wx + b\nh = f(z)\ns = uᵀh", "z = W · x + b; h = f(z); s = uᵀ · h"),
    ("(x + y) * z", "(x + y) * z"),
    ("x*y+z", "x * y + z"),
    ("a - (b - c)", "a - (b - c)"),
    ("(a - b) - c", "a - b - c"),
    ("a / (b * c)", "a / (b * c)"),
    ("(a * b) / c", "a * b / c"),
    ("a − b", "a - b"),
    ("−x", "-x"),
    ("-(a + b)", "-(a + b)"),
    ("a * -b", "a * -b"),
    ("a @ b", "a · b"),
    ("a ⊙ b ∘ c", "a ⊙ b ∘ c"),
    ("2x", "2 · x"),
    (".5x", ".5 · x"),
    ("x^2", "x**2"),
    ("x^-1", "x**-1"),
    ("(-x)^2", "(-x)**2"),
    ("-x^2", "-x**2"),
    ("x^2ᵀ", "(x**2)ᵀ"),
    ("x²", "x**2"),
    ("x⁻¹", "x**-1"),
    ("x ** 2 ** 3", "x**8"),
    ("e^(-x)", "exp(-x)"),
    ("√x", "sqrt(x)"),
    ("‖x‖", "norm(x)"),
    ("ln(x)", "log(x)"),
    ("X.dot(W)", "dot(X, W)"),
    ("np.maximum(0, z)", "max(0, z)"),
    ("(b + a).relu()", "relu(b + a)"),
    ("x.T.sum(axis=1)", "sum(xᵀ, axis=1)"),
    ("sum(a, 0, keepdims=True)", "sum(a, axis=0)"),
    ("repeat(b, 10, axis=0)", "repeat(b, repeats=10, axis=0)"),
    ("u⊤h", "uᵀ · h"),
    ("(xy)ᵀ", "(x · y)ᵀ"),
    ("x.T", "xᵀ"),
    ("x'", "xᵀ"),
    ("σ(z)", "sigmoid(z)"),
    ("max(a,b)", "max(a, b)"),
    ("[a;b]", "[a; b]"),
    ("[a,b;c,d]", "[a, b; c, d]"),
    ("[[a; b], c]", "[[a; b], c]"),
    ("c = x; c += 1", "c = x; c = c + 1"),
    ("c = x; c *= a + b", "c = x; c = c * (a + b)"),
    ("c = x; c -= a - b", "c = x; c = c - (a - b)"),
    ("1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))", "1 / (1 + exp(-(w0 * x0 + w1 * x1 + w2)))"),
])
def test_unparse(source: str, parsed: str) -> None:
    assert unparse(parse(source)) == parsed


@pytest.mark.parametrize(("source", "expected"), ALL_VALID)
def test_parsed_reads_back_as_the_same_tree(source: str, expected: str) -> None:
    assert to_sexpr(parse(unparse(parse(source)))) == expected


# ----- bad input → error and position -----

@pytest.mark.parametrize(("source", "message", "position"), [
    ("", "the expression is empty", 0),
    (" \n ;; \n", "the expression is empty", 0),
    ("x + $", "unexpected character '$' at column 5", 4),
    ("x\u200b", "unexpected character U+200B at column 2", 1),
    ("x.y", "unknown method '.y'", 1),
    ("x′", "′ marks a derivative, as in f′(z), tanh′(z), σ′(z), relu′(z); for a transpose "
           "write ᵀ", 1),
    ("exp′(x)", "exp′ is not a derivative the language knows (tanh′, sigmoid′, relu′, f′)", 3),
    ("f = 2; f′(z)", "′ marks a derivative", 8),
    ("f′", "f′ needs parentheses: f′(...)", 0),
    ("x.data", "unknown method '.data'", 1),
    ("x.squre()", "unknown method '.squre' (did you mean square?)", 1),
    ("x.sum", ".sum needs parentheses: .sum(...)", 1),
    ("np.foo(x)", "unknown function 'np.foo'", 0),
    ("np.linalg.foo(x)", "unknown function 'np.linalg.foo'", 0),
    ("np.random.randn(3)", "unknown function 'np.random'", 0),
    ("s = np.pi", "unknown function 'np.pi'", 4),
    ("x.", "unexpected character '.' at column 2", 1),
    ("s = (a + b))", "unexpected ')' at column 12", 11),
    ("a, b", "unexpected ',' at column 2", 1),
    ("ᵀx", "unexpected 'ᵀ' at column 1", 0),
    ("(a]", "unexpected ']' at column 3: '(' at column 1 must be closed with ')'", 2),
    ("(a; b)", "unexpected ';' at column 3", 2),
    ("s = (a + b", "'(' at column 5 is never closed", 4),
    ("[a; b", "'[' at column 1 is never closed", 0),
    ("f((x)", "'(' at column 2 is never closed", 1),
    ("x +", "expected an operand after '+' at column 3", 3),
    ("x + * y", "expected an operand after '+' at column 3", 4),
    ("x +\ny", "expected an operand after '+' at line 1, column 3", 3),
    ("x =", "expected an operand after '=' at column 3", 3),
    ("x = ; y = 1", "expected an operand after '=' at column 3", 4),
    ("x + 1 = y", "unexpected '=' at column 7: only a single name may stand left of '='", 6),
    ("x = y = 1", "unexpected '=' at column 7: a statement assigns one name", 6),
    ("= x", "unexpected '=' at column 1", 0),
    ("tanh z", "tanh needs parentheses: tanh(...)", 0),
    ("f z", "f needs parentheses: f(...)", 0),
    ("y = σ x", "σ needs parentheses: σ(...)", 4),
    ("tanhh(z)", "unknown function 'tanhh' (did you mean tanh?)", 0),
    ("x + W1(z)", "unknown function 'W1'", 4),
    # any unknown name called is an error, never a silent product
    ("g(x)", "unknown function 'g': for a product write g · (...)", 0),
    ("W(x + b)", "unknown function 'W': for a product write W · (...)", 0),
    # indexing and slicing are not part of the language
    ("sum(x[0])", "indexing, as in x[0], is not supported ('[' at column 6): for one number, "
                  "make it a variable of its own (x0); for one row, multiply by a one-hot "
                  "column e given as a value: eᵀx; to multiply by a stack, write x [a; b], with "
                  "a space", 5),
    ("f(x)[1]", "indexing, as in x[0], is not supported", 4),
    ("xᵀ[0]", "indexing, as in x[0], is not supported", 2),
    ("W[0]", "indexing, as in W[0], is not supported", 1),
    ("x[:, 0]", "unexpected character ':' at column 3: slicing is not supported", 2),
    ("|x|", "unexpected character '|' at column 1: write abs(x), or ‖x‖ for a norm", 0),
    ("∑x", "unexpected character '∑' at column 1: write sum(...)", 0),
    ("max(a, b, c)", "max takes 1 or 2 arguments, got 3", 0),
    ("tanh(a, b)", "tanh takes 1 argument, got 2", 0),
    ("sum()", "sum takes 1 argument, got 0", 0),
    ("sum(a, 0, True, 1)", "sum takes 1 argument, got 4", 0),
    ("sum(a, axis=2)", "axis must be 0 or 1", 12),
    ("sum(a, b)", "axis must be 0 or 1", 7),
    ("sum(a, 0.5)", "axis must be 0 or 1", 7),
    ("sum(a, keepdims=False)", "keepdims must be True: every array is 2-D here", 16),
    ("sum(a, axis=0, axis=1)", "axis is given twice", 15),
    ("sum(a, 0, axis=1)", "axis is given twice", 10),
    ("sum(a, axes=0)", "sum(...) has no option 'axes': it takes axis, keepdims", 7),
    ("tanh(a, axis=0)", "tanh(...) has no option 'axis'", 8),
    ("max(a, b, axis=0)", "max(...) has no option 'axis'", 10),
    ("sum(axis=0, a)", "an argument without a name cannot follow a named one", 12),
    ("repeat(b, 3)", "repeat needs axis=..., as in repeat(b, 10, axis=0)", 0),
    ("repeat(b, 0, axis=0)", "repeats must be a whole number from 1", 10),
    ("x^y", "the exponent must be a number constant", 2),
    ("x ^ T", "the exponent must be a number constant", 4),
    ("x**(1/y)", "the exponent must be a number constant", 3),
    ("x**(1/0)", "the exponent divides by 0", 3),
    ("x^", "the exponent must be a number constant", 2),
    ("x²^2", "the exponent must be a number constant: write a power of a power", 2),
    ("x^2²", "the exponent must be a number constant: write a power of a power", 3),
    ("x ** 2 ** y", "the exponent must be a number constant", 10),
    ("e = 2; e^x", "the exponent must be a number constant", 9),
    ("x ** 10 ** 400", "the exponent 10**400 is not a finite real number", 5),
    ("x ** (-2) ** 0.5", "the exponent -2**0.5 is not a finite real number", 5),
    ("x ** 0 ** -1", "the exponent 0**-1 is not a finite real number", 5),
    ("x⁻", "unexpected character '⁻' at column 2", 1),
    ("√", "expected an operand after '√' at column 1", 1),
    ("‖x", "'‖' at column 1 is never closed", 0),
    ("‖x + ‖", "'‖' at column 6 is never closed", 5),
    ("[]", "[] is empty", 0),
    ("x = 1e999", "the number at column 5 is too large", 4),
    ("c += 1", "c is used before it is assigned", 0),
    ("s = x; c *= s", "c is used before it is assigned", 7),
    ("c = x; c += ", "expected an operand after '+=' at column 10", 12),
    ("c = x; c + = 1", "expected an operand after '+' at column 10", 11),
    ("c = x; c += 1 += 2", "unexpected '+=' at column 15: a statement assigns one name", 14),
    ("f = x; h = f(x)", "f is assigned a value, so f(...) is not the nonlinearity: for a "
                        "product write f · (...)", 11),
    ("z = h + 1; h = x", "h is used before it is assigned", 4),
    ("x = x + 1", "x is used before it is assigned", 4),
    ("x + 1; y = x", "only the last statement may be a bare expression", 0),
    ("(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1), "nesting deeper than 200 levels",
     MAX_DEPTH),
    ("+".join(["x"] * (MAX_DEPTH + 2)), "nesting deeper than 200 levels: split", 2 * MAX_DEPTH + 1),
])
def test_bad_input(source: str, message: str, position: int) -> None:
    with pytest.raises(BackpropError) as error:
        parse(source)
    assert message in error.value.message
    assert error.value.position == position


def test_unknown_function_without_a_close_name_has_no_suggestion() -> None:
    with pytest.raises(BackpropError) as error:
        parse("xy(z)")
    assert error.value.message == "unknown function 'xy'"


def test_a_declared_variable_may_be_given_the_number_its_statement_assigns() -> None:
    assert to_sexpr(parse("a = -4.0; s = a a", frozenset({"a"}))) == (
        "(= a (neg 4.0)) (= s (matmul a a))")
    with pytest.raises(BackpropError, match="a is assigned by the expression"):
        parse("a = 1; a = 2", frozenset({"a"}))


def test_a_declared_variable_cannot_be_assigned() -> None:
    with pytest.raises(BackpropError) as error:
        parse("y = 2\nx = y", frozenset({"x"}))
    assert error.value.message == ("x is assigned by the expression, so it cannot be given a "
                                   "value or shape")
    assert error.value.position == 6


# ----- robustness -----

@pytest.mark.parametrize("source", [
    "(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH,
    "f(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH,
    "[x, " * MAX_DEPTH + "x" + "]" * MAX_DEPTH,
    "+".join(["x"] * (MAX_DEPTH + 1)),
])
def test_the_deepest_allowed_nesting_parses_and_prints(source: str) -> None:
    program = parse(source)
    assert to_sexpr(parse(unparse(program))) == to_sexpr(program)


@pytest.mark.parametrize("source", ["(" * 10_000, "(" * 10_000 + "x" + ")" * 10_000,
                                    "-" * 10_000 + "x", "x" + "ᵀ" * 10_000])
def test_deep_input_is_an_error_not_a_recursion_error(source: str) -> None:
    with pytest.raises(BackpropError, match="nesting deeper than 200 levels"):
        parse(source)


# Pieces of the language, mixed with any character at all.
LANGUAGE_TEXT = st.lists(st.one_of(
    st.sampled_from([*"xyWbuhσαz012.eE_ ᵀT'^*@·⊙∘/+-−()[],;=\n", "tanh", "max", "f", "sum",
                     "**", "^T", ".T", "x_in", "1e-3"]),
    st.characters(),
)).map("".join)


@settings(max_examples=500, deadline=None)
@given(LANGUAGE_TEXT)
def test_any_text_is_a_program_or_a_backprop_error(source: str) -> None:
    try:
        program = parse(source)
    except BackpropError as error:
        assert error.position is None or 0 <= error.position <= len(source)
    else:
        # `parsed` is read beside the request's variables: a name the source kept whole (`xx`
        # in a line of code, `xx@x`) is one name when the printed form is read back
        names = frozenset(_names(program))
        assert to_sexpr(parse(unparse(program), names)) == to_sexpr(program)


def _names(node) -> list[str]:
    """Every Name in a program's tree."""
    if isinstance(node, Name):
        return [node.name]
    if isinstance(node, tuple | list):
        return [n for x in node for n in _names(x)]
    if dataclasses.is_dataclass(node):
        return [n for f in dataclasses.fields(node) for n in _names(getattr(node, f.name))]
    return []


def test_the_parser_does_not_import_numpy() -> None:
    code = "import sys, backprop_viz.parser; assert 'numpy' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])
