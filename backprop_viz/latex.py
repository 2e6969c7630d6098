"""The notation's plain text (`notation`, the op table's rules) → LaTeX that KaTeX typesets.

One writer for every formula, so that the text and the LaTeX of an equation never disagree:
`∂s/∂W = δ · xᵀ` → `\\frac{\\partial s}{\\partial W} = \\delta\\, x^{\\top}`. Names are the
language's (letters, digits, `_`); `W1` is W₁, `x_Paris` is x with the subscript Paris, a
longer name is set in italic as a word.
"""

from __future__ import annotations

SYMBOLS = {
    "·": r"\,", "∘": r"\circ", "−": "-", "⊗": r"\otimes", "×": r"\times", "…": r"\dots",
    "𝟏": r"\mathbf{1}", "𝟙": r"\mathbb{1}", "½": r"\tfrac{1}{2}", "∇": r"\nabla",
    "∞": r"\infty", "‖": r"\|", "≥": r"\ge", "≤": r"\le", "′": "'", "″": "''", "–": "\\text{–}",
    "%": r"\%", "&": r"\&", "#": r"\#", "$": r"\$", "{": r"\{", "}": r"\}", "~": r"\sim",
    "\\": r"\backslash",
}
GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "varepsilon", "η": "eta",
    "θ": "theta", "λ": "lambda", "μ": "mu", "π": "pi", "ρ": "rho", "σ": "sigma", "τ": "tau",
    "φ": "varphi", "ψ": "psi", "ω": "omega", "Σ": "Sigma", "Δ": "Delta",
}
FUNCTIONS = {"tanh", "exp", "log", "sin", "cos", "max", "min", "ln"}   # LaTeX's own \tanh …
OPERATORS = {"diag", "vec", "sign", "argmax", "argmin", "softmax", "relu", "ReLU", "sum",
             "mean", "norm", "repeat", "abs", "sigmoid", "tr", "rows", "of", "axis"}
SUPERSCRIPTS = dict(zip("ᵀ⁰¹²³⁴⁵⁶⁷⁸⁹⁻", [r"\top ", *"0123456789", "-"], strict=True))
SUBSCRIPTS = dict(zip("₀₁₂₃₄₅₆₇₈₉ₖᵢⱼ", [*"0123456789", "k", "i", "j"], strict=True))


def _name_char(c: str) -> bool:
    """A letter, digit or _ of a name (ᵀ, ₖ and 𝟏 are letters or digits to Python, not here)."""
    if c.isascii():
        return c.isalnum() or c == "_"
    return c.isalpha() and c not in SUPERSCRIPTS and c not in SUBSCRIPTS


def name(word: str) -> str:
    """One name as LaTeX: x, W_{1}, x_{\\mathrm{Paris}}, \\delta, \\tanh, \\mathit{out}."""
    if word in FUNCTIONS:
        return "\\" + word + " "
    if word in OPERATORS:
        return rf"\operatorname{{{word}}}"
    base, _, sub = word.partition("_")
    if not sub:
        stem = base.rstrip("0123456789")
        base, sub = (stem, base[len(stem):]) if stem else (base, "")
    if len(base) == 1:
        head = ("\\" + GREEK[base] + " ") if base in GREEK else (base if base.isascii()
                                                                   else rf"\text{{{base}}}")
    else:
        head = rf"\mathit{{{base}}}" if base.isascii() else rf"\text{{{base}}}"
    if not sub:
        return head
    return f"{head}_{{{sub}}}" if sub.isdigit() else rf"{head}_{{\mathrm{{{sub}}}}}" \
        if sub.isascii() else rf"{head}_{{\text{{{sub}}}}}"


def _atom_end(text: str, i: int) -> int:
    """Where the operand starting at i ends: a name, a number, or a bracketed group, with any
    marks after it."""
    if i < len(text) and text[i] in "([":
        close = {"(": ")", "[": "]"}[text[i]]
        depth = 0
        for j in range(i, len(text)):
            depth += (text[j] == text[i]) - (text[j] == close)
            if depth == 0:
                i = j + 1
                break
        else:
            return len(text)
    else:
        while i < len(text) and _name_char(text[i]):
            i += 1
    while i < len(text) and (text[i] in SUPERSCRIPTS or text[i] in SUBSCRIPTS or text[i] == "′"):
        i += 1
    return i


def _ends_operand(c: str) -> bool:
    return bool(c) and (_name_char(c) or c in ")]′‖𝟏𝟙" or c in SUPERSCRIPTS or c in SUBSCRIPTS)


def _starts_operand(c: str) -> bool:
    """Two operands side by side are a product: `δ xᵀ` → `\\delta\\, x^{\\top}`."""
    return bool(c) and (_name_char(c) or c in "([𝟏𝟙√∂")


def latex(text: str) -> str:
    """The text as LaTeX: ∂a/∂b as a fraction, √a as a root, marks as super- and subscripts."""
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "∂":
            num_end = _atom_end(text, i + 1)
            if text[num_end:num_end + 2] == "/∂":
                den_end = _atom_end(text, num_end + 2)
                out.append(rf"\frac{{\partial {latex(text[i + 1:num_end])}}}"
                           rf"{{\partial {latex(text[num_end + 2:den_end])}}}")
                i = den_end
                continue
            out.append(r"\partial ")
            i += 1
        elif c == "√":
            end = _atom_end(text, i + 1)
            inner = text[i + 1:end]
            inner = inner[1:-1] if inner.startswith("(") and inner.endswith(")") else inner
            out.append(rf"\sqrt{{{latex(inner)}}}")
            i = end
        elif c in SUPERSCRIPTS:
            j = i
            while j < len(text) and text[j] in SUPERSCRIPTS:
                j += 1
            out.append("^{" + "".join(SUPERSCRIPTS[m] for m in text[i:j]).strip() + "}")
            i = j
        elif c in SUBSCRIPTS:
            j = i
            while j < len(text) and text[j] in SUBSCRIPTS:
                j += 1
            out.append("_{" + "".join(SUBSCRIPTS[m] for m in text[i:j]) + "}")
            i = j
        elif c == " ":
            before, after = text[i - 1] if i else "", text[i + 1:i + 2]
            out.append(r"\, " if _ends_operand(before) and _starts_operand(after) else " ")
            i += 1
        elif c in SYMBOLS:
            out.append(SYMBOLS[c] + (" " if SYMBOLS[c][-1].isalpha() else ""))
            i += 1
        elif c == "^" and text[i + 1:i + 2] == "(":      # x^(−0.5)
            end = _atom_end(text, i + 1)
            out.append("^{" + latex(text[i + 2:end - 1]) + "}")
            i = end
        elif c.isascii() and c.isdigit():
            j = i
            while j < len(text) and (text[j].isascii() and text[j].isdigit() or text[j] == "."):
                j += 1
            out.append(text[i:j])
            i = j
        elif _name_char(c):
            j = i
            while j < len(text) and _name_char(text[j]):
                j += 1
            out.append(name(text[i:j]))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out).strip()
