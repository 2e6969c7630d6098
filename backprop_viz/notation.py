"""Notation: how the lecture writes labels, transposes, powers, identities and diagonals, for
the op table's texts and local formulas."""

from __future__ import annotations

import re
from collections.abc import Callable

from .arrays import Params, Shape

MARKS = "ᵀ⁰¹²³⁴⁵⁶⁷⁸⁹⁻"
SUPERSCRIPT = str.maketrans("0123456789−", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def num(x: float) -> str:
    return f"{x:g}".replace("-", "−")


def bare(label: str) -> str:
    """Drop parentheses that enclose the whole label, for use inside f(…) or [ … ]."""
    if not (label.startswith("(") and label.endswith(")")):
        return label
    closes = first_group_end(label)
    if closes is not None and closes < len(label) - 1:
        return label           # "(a)(b)": the first ')' closes before the end
    return label[1:-1]


_PARENTHESIS = re.compile(r"[()]")


def first_group_end(text: str) -> int | None:
    """The index of the ')' that closes the group `text` starts with, None where none does;
    the scan jumps from parenthesis to parenthesis (a new structure asks thousands of times)."""
    depth = 0
    for m in _PARENTHESIS.finditer(text):
        depth += 1 if m.group() == "(" else -1
        if depth == 0:
            return m.start()
    return None
_DEPTH_OR_SPACE = re.compile(r"[()\[\] ]")


# A plain name: letters and digits (\w is str.isalnum, and "_"), "_" and ".", none of MARKS.
PLAIN = re.compile(rf"(?:(?![{MARKS}])[\w.])*")


def atom(label: str) -> str:
    """The label as the operand of a postfix mark or a divisor: a plain name, or parenthesised."""
    plain = PLAIN.fullmatch(label) is not None
    return label if plain or bare(label) != label else f"({label})"


def t(label: str, shape: Shape) -> str:
    """The label transposed: a 1×1 stays as it is and uᵀ becomes u."""
    return label if shape == (1, 1) else transposed_label(label)


def transposed_label(label: str) -> str:
    """The label of an array's transpose: uᵀ, (a + b)ᵀ, and u for uᵀ."""
    if label.endswith("ᵀ") and atom(label[:-1]) == label[:-1]:
        return label[:-1]
    return f"{atom(label)}ᵀ"


def power(label: str, e: float) -> str:
    if e == 1:
        return label
    if e == int(e):
        return atom(label) + num(e).translate(SUPERSCRIPT)
    return f"{atom(label)}^({num(e)})"


def eye(shape: Shape) -> str:
    return "1" if shape == (1, 1) else "I"


def diag(d: str, shape: Shape) -> str:
    """diag(d) as the lecture writes it: d itself for 1×1, diag(1) = I, diag(0) = 0, −diag(…)."""
    if d.startswith("−"):
        return "−" + diag(d[1:], shape)
    if shape == (1, 1) or d == "0":
        return d
    return "I" if d == "1" else f"diag({bare(d)})"


SHOWN_PARTS = 6   # a stack of more parts is written with … for the middle ones


def stacked(blocks: int, port: int, block: str) -> str:
    """A column of blocks, all zero except the port's: [0; I; 0]; past SHOWN_PARTS blocks, the
    zeros on either side are one 0 and …, and the port's place is said (so that a stack's N
    edges write O(N) text in all, not O(N²))."""
    if blocks <= SHOWN_PARTS:
        return "[" + "; ".join(block if k == port else "0" for k in range(blocks)) + "]"
    before = ["0", "…"] if port > 1 else ["0"] * port
    after = ["…", "0"] if blocks - port > 2 else ["0"] * (blocks - port - 1)
    return f"[{'; '.join([*before, block, *after])}] (block {port + 1} of {blocks})"


def parts(labels: tuple[str, ...], sep: str) -> str:
    """A stack's parts as its label writes them: past SHOWN_PARTS, the first three, …, the last
    two (the parts are their own nodes, each with its whole label)."""
    shown = list(labels) if len(labels) <= SHOWN_PARTS else [*labels[:3], "…", *labels[-2:]]
    return "[" + sep.join(map(bare, shown)) + "]"


def infix(sym: str) -> Callable[[tuple[str, ...], Params], str]:
    return lambda labels, params: f" {sym} ".join(labels)


def call(fn: str) -> Callable[[tuple[str, ...], Params], str]:
    return lambda labels, params: f"{fn}({', '.join(bare(x) for x in labels)})"


def operand(text: str) -> str:
    """The text as a factor of a product: parenthesised when it has a space outside brackets
    (`1 − tanh²(z)` → `(1 − tanh²(z))`; `f′(W · x + b)` stays as it is)."""
    depth = 0
    for m in _DEPTH_OR_SPACE.finditer(text):
        c = m.group()
        if c == " ":
            if depth == 0:
                return f"({text})"
        else:
            depth += 1 if c in "([" else -1
    return text
