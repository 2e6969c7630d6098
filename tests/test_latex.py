"""The plain-text notation → LaTeX, and every formula the engine writes parses in KaTeX."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from backprop_viz import trace
from backprop_viz.latex import _read, to_latex
from backprop_viz.tracedata import BackwardStep

KATEX = Path(__file__).resolve().parent.parent / "node_modules" / "katex" / "dist" / "katex.mjs"


@pytest.mark.parametrize(("text", "latex"), [
    ("z = W · x + b", r"z = W \, x + b"),
    ("∂s/∂W = δ · xᵀ", r"\frac{\partial s}{\partial W} = \delta \, x^{\top}"),
    ("∂s/∂(W · x + b)", r"\frac{\partial s}{\partial (W \, x + b)}"),
    ("∂s/∂x = 3 + 1 (from its two uses)",
     r"\frac{\partial s}{\partial x} = 3 + 1 \text{(from its two uses)}"),
    ("u ∘ f′(z)", r"u \circ f'(z)"),
    ("diag(1 − tanh²(z))", r"\operatorname{diag}(1 - \tanh^{2}(z))"),
    ("I ⊗ xᵀ", r"I \otimes x^{\top}"),
    ("(W · x + b)ᵀ", r"(W \, x + b)^{\top}"),
    ("uᵀ ∘ h", r"u^{\top} \circ h"),
    ("W1 · x", r"W_{1} \, x"),
    ("x_Paris", r"x_{\text{Paris}}"),
    ("c₂", "c_{2}"),
    ("W1₁₂", "{W_{1}}_{12}"),             # the scalar view's entries
    ("W₃,₁₂", "W_{3,12}"),
    ("(W1 · x)₁", r"(W_{1} \, x)_{1}"),
    ("δ₂", r"\delta_{2}"),
    ("σ′(z)", r"\sigma'(z)"),
    ("x^(−0.5)", "x^{-0.5}"),
    ("x^−1", "x^{-1}"),
    ("−x⁻²", "-x^{-2}"),
    ("1/(2√x)", r"1/(2\sqrt{x})"),
    ("vec(x)ᵀ/‖x‖", r"\operatorname{vec}(x)^{\top}/\lVert x \rVert"),
    ("[0; I; 0]", r"\begin{bmatrix}0 \\ I \\ 0\end{bmatrix}"),
    ("diag(𝟙[z > 0])", r"\operatorname{diag}(\mathbf{1}[z > 0])"),
    ("𝟙[a > b] + ½𝟙[a = b]", r"\mathbf{1}[a > b] + \tfrac{1}{2}\mathbf{1}[a = b]"),
    ("out", r"\mathit{out}"),
    # a wrapped text, X converted on its own (latex._wrapped), and the look-alikes it leaves
    ("(∂s/∂h)ᵀ", r"(\frac{\partial s}{\partial h})^{\top}"),
    ("vec(∂s/∂W)ᵀ", r"\operatorname{vec}(\frac{\partial s}{\partial W})^{\top}"),
    ("(1 − tanh²(z))", r"(1 - \tanh^{2}(z))"),
    ("(a)(b)ᵀ", r"(a)(b)^{\top}"),
    ("(from its two uses)", r"\text{(from its two uses)}"),
    ("(‖x‖)ᵀ", r"(\lVert x \rVert)^{\top}"),
    ("((a)ᵀ", r"((a)^{\top}"),
    ("∂(W · h)ᵀ/∂h50", r"\frac{\partial (W \, h)^{\top}}{\partial h_{50}}"),
    ("∂s/∂x = 3", r"\frac{\partial s}{\partial x} = 3"),
])
def test_notation_becomes_latex(text: str, latex: str) -> None:
    assert to_latex(text) == latex


PIECES = ["W", "x", "h50", "uᵀ", "δ₂", "(", ")", " · ", " + ", "ᵀ", "²", "1", "2.5", "x_Paris",
          "∂", "/", "/∂", "tanh", "(a)(b)", "‖", "[", "]", "; ", " ", "′", "c₂,₁", "vec",
          "(from its two uses)"]


@settings(max_examples=3000, deadline=None)
@example(["(", "(a)(b)"], ["x"])           # ∂((a)(b)/∂x: the last ")" closes no group's "("
@example(["(", "x", ")", "(a)(b)"], ["("])
@given(st.lists(st.sampled_from(PIECES), max_size=6), st.lists(st.sampled_from(PIECES),
                                                               max_size=6))
def test_the_short_cuts_write_what_reading_every_token_writes(a, b) -> None:
    """A name with its marks, (X), (X)ᵀ, vec(X)ᵀ and ∂a/∂b are converted from their parts'
    conversions; the result is the text the tokenizer writes for the whole."""
    a, b = "".join(a), "".join(b)
    for text in (f"∂{a}/∂{b}", f"({a})ᵀ", f"vec({b})ᵀ", f"({a})", a + b, a):
        assert to_latex(text) == _read(text), text


def test_characters_outside_the_notation_are_escaped_text() -> None:
    """No backslash command, brace or dollar a user could type reaches KaTeX unescaped; a `<`
    is the less-than sign (KaTeX writes it as text, never as markup)."""
    assert to_latex("\\href{x}") == r"\text{\textbackslash{}}\mathit{href}\text{\{}x\text{\}}"
    assert to_latex("$ & # %") == r"\text{\$} \text{\&} \text{\#} \text{\%}"
    assert to_latex("<script>") == r"<\mathit{script}>"


CORPUS = [
    "s = uᵀ f(Wx + b)", "(x + y) * z", "f = 1/(1 + exp(-(w0*x0 + w1*x1 + w2)))",
    "J = -yᵀ log(softmax(W2 relu(W1 x + b1) + b2))",
    "x = [x_museums; x_in; x_Paris; x_are; x_amazing]; s = uᵀ f(Wx + b)",
    "s = sum(max(x, y) * z)", "s = mean(X @ w - t)**2", "s = sqrt(x) + x**0.5 + x**-1 + abs(x)",
    "s = norm(x)", "s = sum(σ(x) / tanh(y) - relu(z))", "s = sum(ln(x) + e^x + exp(x)**2)",
    "s = sum(tanh′(x) + σ′(y))", "Z = W X + b; s = sum(Z)", "c = a + b; c = c * a; s = c",
]
SCALAR = ["h = relu(W1 x + b1); s = sum(h)", "s = uᵀ f(Wx + b)"]


def _formulas() -> list[str]:
    out: list[str] = []
    for expression, view in [*((e, "vector") for e in CORPUS), *((e, "scalar") for e in SCALAR)]:
        t = trace(expression, view=view)
        out += [n.latex for n in t.nodes]
        out += [s.latex if not isinstance(s, BackwardStep) else "" for s in t.steps]
        out += [i.local_latex for s in t.steps if isinstance(s, BackwardStep) for i in s.inputs]
    return sorted({f for f in out if f})


@pytest.mark.skipif(shutil.which("node") is None or not KATEX.exists(),
                    reason="needs node and KaTeX (make assets)")
def test_every_formula_the_engine_writes_typesets_in_katex_strict_mode() -> None:
    script = (f"import katex from {json.dumps(KATEX.as_uri())};"
              "import fs from 'fs';"
              "const bad = [];"
              "for (const tex of JSON.parse(fs.readFileSync(0, 'utf8'))) {"
              "  try { katex.renderToString(tex, {throwOnError: true, strict: 'error'}); }"
              "  catch (e) { bad.push([tex, e.message]); } }"
              "console.log(JSON.stringify(bad));")
    formulas = _formulas()
    assert len(formulas) > 100
    run = subprocess.run(["node", "--input-type=module", "-e", script], input=json.dumps(formulas),
                         capture_output=True, text=True, check=True, timeout=60)
    assert json.loads(run.stdout) == []
