"""The lecture's plain-text notation (what `notation` and the op table write) → LaTeX for KaTeX.

One tokenizer over a small vocabulary: names (W1 → W_{1}, x_Paris → x_{\\text{Paris}}), the
functions the op table names, ᵀ and superscript digits, `^` exponents, ∘ · ⊗ − ½ √ ‖ ‖ 𝟙 𝟏 ∂,
and `[a; b; c]`, a column of blocks. A character outside it is written as \\text{…}, escaped, so
no input can reach KaTeX as a command.

Example: "diag(1 − tanh²(W · x + b))" → r"\\operatorname{diag}(1 - \\tanh^{2}(W \\cdot x + b))".
"""

from __future__ import annotations

import functools
import re

from .notation import first_group_end
from .spellings import SURFACES

# A function's name → its LaTeX: every spelling of every op, from its entry (`spellings.py`),
# and the names the notation writes that are no op (sign(z), diag(d), vec(X), argmax).
FUNCTIONS = {
    **{spelling: s.latex for s in SURFACES if s.latex for spelling in s.spellings},
    "ln": r"\ln",
    **{word: rf"\operatorname{{{word}}}" for word in (
        "sign", "diag", "vec", "vstack", "hstack", "concat", "det", "std", "logsumexp", "square",
        "argmax", "argmin")},
}
SYMBOLS = {
    "∘": r"\circ", "⊗": r"\otimes", "−": "-", "-": "-", "+": "+", "×": r"\times",
    "=": "=", ">": ">", "<": "<", "≥": r"\geq", "≤": r"\leq", ",": ",\\,", "/": "/",
    "·": r"\,",     # the matrix product is juxtaposition in the lecture: W x, δ xᵀ
    "½": r"\tfrac{1}{2}", "𝟙": r"\mathbf{1}", "𝟏": r"\mathbf{1}", "∂": r"\partial",
    "∇": r"\nabla", "(": "(", ")": ")", "′": "'", "…": r"\ldots", "⋯": r"\cdots",
    "≈": r"\approx",
}
GREEK = {
    "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "δ": r"\delta", "ε": r"\varepsilon",
    "η": r"\eta", "θ": r"\theta", "λ": r"\lambda", "μ": r"\mu", "σ": r"\sigma", "τ": r"\tau",
    "φ": r"\varphi", "ω": r"\omega", "Δ": r"\Delta", "Σ": r"\Sigma",
}
SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")   # and "," stays: W₃,₁₂
TEXT_ESCAPES = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&",
                "#": r"\#", "%": r"\%", "_": r"\_", "^": r"\textasciicircum{}",
                "~": r"\textasciitilde{}"}

GREEK_CHARS = "".join(GREEK)
NAME = rf"[A-Za-z{GREEK_CHARS}][A-Za-z0-9_{GREEK_CHARS}]*(?:[₀-₉]+(?:,[₀-₉]+)?)?"   # W1, δ₂, W₃,₁₂
MARKS = "[ᵀ⁰¹²³⁴⁵⁶⁷⁸⁹⁻]"
NUMBER = r"[0-9]+(?:\.[0-9]+)?(?:e[−-]?[0-9]+)?"
TOKEN = re.compile(rf"""
    (?P<space>\s+)
  | (?P<number>{NUMBER})
  | (?P<name>{NAME})
  | (?P<sup>{MARKS}+)
  | (?P<sub>[₀-₉]+(?:,[₀-₉]+)?)
  | (?P<caret>\^)
  | (?P<sqrt>√)
  | (?P<norm>‖)
  | (?P<open>\[)
  | (?P<close>\])
  | (?P<semi>;)
  | (?P<char>.)
""", re.VERBOSE)


def text(s: str) -> str:
    """`s` inside \\text{…}, every special character escaped."""
    return r"\text{" + "".join(TEXT_ESCAPES.get(c, c) for c in s) + "}"


ENTRY = re.compile(r"(.*?[^₀-₉,])([₀-₉]+(?:,[₀-₉]+)?)")   # W1₁₂: an entry of W1
DIGIT_OR_UNDERSCORE = re.compile(r"[0-9_]")
UNDERSCORED = re.compile(r"(.+?)_(.+)")                     # x_Paris
NUMBERED = re.compile(r"(.*?[^0-9₀-₉])([0-9₀-₉]+)")         # W1, c₂
MARK_RUNS = re.compile(r"ᵀ|[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+")


@functools.lru_cache(maxsize=4096)
def name(s: str) -> str:
    """A name: one letter in italics, trailing digits and `_word` as subscripts, Greek as is.
    An entry of the scalar view keeps its name's own subscript apart: W1₁₂ → {W_{1}}_{12}."""
    entry = ENTRY.fullmatch(s)
    if entry:
        base = name(entry.group(1))
        if DIGIT_OR_UNDERSCORE.search(entry.group(1)):
            base = "{" + base + "}"
        return base + "_{" + entry.group(2).translate(SUBSCRIPTS) + "}"
    head, sub = s, ""
    m = UNDERSCORED.fullmatch(s) or NUMBERED.fullmatch(s)
    if m:
        head, sub = m.group(1), m.group(2).translate(SUBSCRIPTS)
    if head in FUNCTIONS:
        out = FUNCTIONS[head]
    else:
        out = "".join(GREEK.get(c, c) for c in head)
        if len(head) > 1 and not all(c in GREEK for c in head):
            out = rf"\mathit{{{out}}}"
    if sub:
        out += "_{" + (sub if sub.isdigit() else text(sub)) + "}"
    return out


@functools.lru_cache(maxsize=8192)
def to_latex(s: str) -> str:
    """The plain-text formula `s` as LaTeX (see the module's docstring). Cached: a structure's
    texts repeat from step to step and from request to request, only their numbers change."""
    single = NAME_WITH_MARKS.fullmatch(s)
    if single:       # W50, h49ᵀ, δ₂: one name, and its superscripts
        return name(single[1]) + (_superscript(single[2]) if single[2] else "")
    wrapped = _wrapped(s) if s[:1] in "(v" else _fraction_of_atoms(s) if s[:1] == "∂" else None
    return _read(s) if wrapped is None else wrapped


def _read(s: str) -> str:
    """`to_latex` token by token, without its short cuts (a lone name, _wrapped,
    _fraction_of_atoms), which give the same text (test_latex checks it on random texts)."""
    out: list[str] = []
    stack: list[bool] = []       # per open bracket: does it hold a column of blocks ("; ")?
    tokens = [(m.lastgroup, m.group()) for m in TOKEN.finditer(s)]   # (kind, text) each
    i = 0
    while i < len(tokens):
        kind, value = tokens[i]
        if kind == "space":
            out.append(" ")
        elif kind == "number":
            out.append(value.replace("−", "-"))
        elif kind == "name":
            out.append(name(value))
        elif kind == "sup":
            out.append(_superscript(value))
        elif kind == "sub":        # an entry of an unnamed array: (W · x)₁₂
            out.append("_{" + value.translate(SUBSCRIPTS) + "}")
        elif kind == "caret":
            exponent, i = _exponent(tokens, i + 1)
            out.append("^{" + exponent + "}")
            continue
        elif kind == "sqrt":
            operand, i = _operand(tokens, i + 1)
            out.append(r"\sqrt{" + operand + "}")
            continue
        elif value == "(" and (words := _prose(tokens, i)):
            out.append(text(words[0]))
            i = words[1]
            continue
        elif value == "∂" and (fraction := _fraction(tokens, i)):
            out.append(fraction[0])
            i = fraction[1]
            continue
        elif kind == "norm":
            out.append(r"\lVert " if _opens_norm(out) else r" \rVert")
        elif kind == "open":
            column = _is_column(tokens, i)
            stack.append(column)
            out.append(r"\begin{bmatrix}" if column else "[")
        elif kind == "close":
            column = stack.pop() if stack else False
            out.append(r"\end{bmatrix}" if column else "]")
        elif kind == "semi":
            out.append(r" \\ " if stack and stack[-1] else ";")
            if i + 1 < len(tokens) and tokens[i + 1][0] == "space":
                i += 1
        else:
            out.append(SYMBOLS.get(value) or GREEK.get(value) or text(value))
        i += 1
    return "".join(out).strip()


def _wrapped(s: str) -> str | None:
    """(X), (X)ᵀ and vec(X)ᵀ with X converted on its own, as it is in place, where nothing
    outside X reaches into it (no ‖, X not prose, its parentheses the whole group): a form
    writes X's label and then wraps it, so X is mostly converted already. None otherwise."""
    head = "vec" if s.startswith("vec(") else ""
    tail = "ᵀ" if s.endswith(")ᵀ") else ""
    body = s[len(head):len(s) - len(tail)]
    if len(body) < 3 or "‖" in body or not _one_group(body):
        return None
    inner = body[1:-1]
    if inner != inner.strip() or PROSE.fullmatch(inner):
        return None
    return ((FUNCTIONS["vec"] if head else "") + "(" + to_latex(inner) + ")"
            + (r"^{\top}" if tail else ""))


ATOM_TEXT = re.compile(rf"(?:{NAME}|{NUMBER}|(?P<group>\(.*\))){MARKS}*")
NAME_WITH_MARKS = re.compile(rf"({NAME})({MARKS}*)")


def _atom_text(s: str) -> bool:
    """Is `s` one atom as `_atom` reads it: a name, a number or one parenthesised group, and
    the superscripts after it?"""
    m = ATOM_TEXT.fullmatch(s)
    if m is None:
        return False
    group = m.group("group")
    return group is None or _one_group(group)


def _one_group(s: str) -> bool:
    """Is `s` one parenthesised group, its first "(" closed by its last ")"? Not (a)(b), whose
    first group closes before the end, nor ((a), whose last ")" closes no group's "("."""
    return s.startswith("(") and first_group_end(s) == len(s) - 1


def _fraction_of_atoms(s: str) -> str | None:
    """∂a/∂b, the whole text, with a and b atoms: a gradient's name, as `_fraction` writes it,
    from a's and b's own (cached) conversions. None otherwise."""
    k = s.find("/∂")
    if k < 2 or not (_atom_text(s[1:k]) and _atom_text(s[k + 2:])):
        return None
    return rf"\frac{{\partial {to_latex(s[1:k])}}}{{\partial {to_latex(s[k + 2:])}}}"


@functools.lru_cache(maxsize=256)
def _superscript(value: str) -> str:
    """ᵀ → ^{\\top}; ² → ^{2}; ⁻² → ^{-2}; ᵀ² (rare) → ^{\\top}^{2} written as one group."""
    parts = []
    for run in MARK_RUNS.findall(value):
        parts.append(r"\top" if run == "ᵀ" else run.translate(SUPERSCRIPTS))
    return "^{" + " ".join(parts) + "}"


Tokens = list[tuple[str, str]]   # (kind: the TOKEN group, text), as to_latex reads them
_DEPTH = {"(": 1, ")": -1}


def _group_end(tokens: Tokens, i: int) -> int:
    """The index just past the parenthesised group that starts at tokens[i] == '('."""
    depth = 0
    for j in range(i, len(tokens)):
        depth += _DEPTH.get(tokens[j][1], 0)
        if depth == 0:
            return j + 1
    return len(tokens)


def _joined(tokens: Tokens) -> str:
    return "".join(text for _, text in tokens)


def _exponent(tokens: Tokens, i: int) -> tuple[str, int]:
    """After '^': a number (with its sign), a name, or a parenthesised group without its parens."""
    if i < len(tokens) and tokens[i][1] == "(":
        end = _group_end(tokens, i)
        return to_latex(_joined(tokens[i + 1:end - 1])), end
    sign = ""
    if i < len(tokens) and tokens[i][1] in "−-":
        sign, i = "-", i + 1
    if i < len(tokens):
        return sign + to_latex(tokens[i][1]), i + 1
    return sign, i


def _operand(tokens: Tokens, i: int) -> tuple[str, int]:
    """After '√': a parenthesised group (its parens dropped) or one name or number."""
    if i < len(tokens) and tokens[i][1] == "(":
        end = _group_end(tokens, i)
        return to_latex(_joined(tokens[i + 1:end - 1])), end
    if i < len(tokens):
        return to_latex(tokens[i][1]), i + 1
    return "", i


PROSE = re.compile(r"[A-Za-z]+(?: [A-Za-z]+)+")


def _prose(tokens: Tokens, i: int) -> tuple[str, int] | None:
    """A parenthesised remark in words, "(from its two uses)", to be set as text."""
    end = _group_end(tokens, i)
    inner = _joined(tokens[i + 1:end - 1])
    if PROSE.fullmatch(inner):
        return f"({inner})", end
    return None


def _atom(tokens: Tokens, i: int) -> int | None:
    """The end of the atom at tokens[i] (a name or a number, or a parenthesised group, and any
    superscript after it), or None where no atom starts."""
    if i >= len(tokens):
        return None
    if tokens[i][1] == "(":
        end = _group_end(tokens, i)
    elif tokens[i][0] in ("name", "number"):
        end = i + 1
    else:
        return None
    return end + 1 if end < len(tokens) and tokens[end][0] == "sup" else end


def _fraction(tokens: Tokens, i: int) -> tuple[str, int] | None:
    """∂a/∂b at tokens[i] as \frac{\\partial a}{\\partial b}, and where it ends."""
    top = _atom(tokens, i + 1)
    if top is None or top + 1 >= len(tokens) or tokens[top][1] != "/" \
            or tokens[top + 1][1] != "∂":
        return None
    bottom = _atom(tokens, top + 2)
    if bottom is None:
        return None
    def part(a: int, b: int) -> str:
        return to_latex(_joined(tokens[a:b]))
    return (rf"\frac{{\partial {part(i + 1, top)}}}{{\partial {part(top + 2, bottom)}}}",
            bottom)


def _is_column(tokens: Tokens, i: int) -> bool:
    """Does the bracket opened at tokens[i] hold '; '-separated blocks at its own depth?"""
    depth = 0
    for kind, _ in tokens[i:]:
        depth += (kind == "open") - (kind == "close")
        if depth == 0:
            return False
        if depth == 1 and kind == "semi":
            return True
    return False


def _opens_norm(out: list[str]) -> bool:
    """A ‖ opens a norm unless one is already open."""
    opened = sum(part == r"\lVert " for part in out) - sum(part == r" \rVert" for part in out)
    return opened == 0
