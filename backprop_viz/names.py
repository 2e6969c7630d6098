"""How a name is read before parsing: a function (`σ`, `np.maximum`), or a run of letters that
is a product of known names (`Wx` → W · x, `w0x0` → w0 · x0 with w0 and x0 declared). No numpy."""

from __future__ import annotations

from itertools import pairwise

from .errors import Said
from .grammar import ASSIGNMENTS
from .lexer import MODULES, Token
from .syntax import ALIASES, CONSTANTS, FUNCTIONS


def assigned_names(tokens: list[Token]) -> frozenset[str]:
    """Names written as `name =` (or `name +=`) at a statement's start: known before parsing, so
    that a run-together name assigned in a later statement is not split in an earlier one."""
    starts = [0] + [i + 1 for i, tok in enumerate(tokens) if tok.kind == "sep"]
    return frozenset(tokens[i].text for i in starts
                     if tokens[i].kind == "name" and tokens[i + 1].kind in ASSIGNMENTS)


GREEK = frozenset("αβγδεζηθικλμνξοπρστυφχψωΓΔΘΛΞΠΣΦΨΩ")


def _letter(piece: str) -> bool:
    """A piece that may stand alone in a split: one Latin or Greek letter (`W`, `x`, `δ`)."""
    return len(piece) == 1 and ((piece.isascii() and piece.isalpha()) or piece in GREEK)


def _pieces(name: str, keep: frozenset[str]) -> list[str] | None:
    """How a run-together name splits into a product, or None when it stays one name.

    A run is split when it is not itself known (a function, a declared or assigned name, True)
    and it can be written as known names and single letters, with as few pieces as possible
    (on a tie, the longer piece first: `abc` with ab and bc known is ab · c). With w0 and x0
    declared, `w0x0` is w0 · x0; `Wx` is W · x; `W1x` (nothing declared) stays W1x, since no
    piece covers its digit. A word of three letters or more (`scores`, `xyz`, `Loss`) splits only
    where at most one piece is a letter that nothing declares or assigns (`Wxy` with Wx
    declared); three letters with a capital among them (`Wxb`) are the lecture's style, not a
    word. A letter of another script (`가중치`) is never a piece of its own.
    """
    if len(name) < 2 or function_of(name) or name in keep or name in CONSTANTS or "." in name:
        return None
    # Pieces are known names and single letters only, so only their lengths need trying, and
    # each prefix keeps its count of pieces and where its last piece starts: a 10 000-letter run
    # costs 10 000 steps per length.
    sizes = sorted({len(k) for k in keep if k in name} | {1}, reverse=True)
    count: list[int | None] = [0] + [None] * len(name)   # count[i]: fewest pieces of name[:i]
    last: list[int] = [0] * (len(name) + 1)                # where that split's last piece starts
    for end in range(1, len(name) + 1):
        for start in (end - size for size in sizes if size <= end):
            piece, before = name[start:end], count[start]
            usable = piece in keep or _letter(piece)
            if usable and before is not None and (count[end] is None
                                                  or before + 1 <= count[end]):
                count[end], last[end] = before + 1, start
    if count[-1] is None:
        return None
    pieces, end = [], len(name)
    while end:
        pieces.append(name[last[end]:end])
        end = last[end]
    pieces.reverse()
    if len(pieces) < 2:
        return None
    letters = sum(c.isalpha() for c in name)
    math_style = letters == 3 and any(c.isupper() for c in name)      # Wxb, xWb: not a word
    if letters >= 3 and not math_style and sum(piece not in keep for piece in pieces) > 1:
        return None
    return pieces


def directly_called(token: Token, after: Token) -> bool:
    return after.kind == "(" and after.pos == token.pos + len(token.text)


# A statement with one of these reads as pasted code, where every run is one name (`dD`).
CODE_MARKS = frozenset({"method", "@"})


def _code_statements(tokens: list[Token]) -> set[int]:
    """The indices of the tokens in statements that read as numpy or PyTorch code: a line
    using `np.` (any module prefix), a method call, `@` or `**`."""
    code: set[int] = set()
    start = 0
    for end, tok in enumerate(tokens):
        if tok.kind in ("sep", "end"):
            line = tokens[start:end]
            if any(t.kind in CODE_MARKS or t.text == "**" or (t.kind == "name" and "." in t.text)
                   for t in line):
                code.update(range(start, end))
            start = end + 1
    return code


def split_runs(tokens: list[Token], keep: frozenset[str]
               ) -> tuple[list[Token], dict[str, str]]:
    """`Wx` → `W` `x`, each piece at its own offset, and a note of every split for the answer's
    `warnings` by the run split (the page offers to read it as one name), but for a split into
    names the request declares or the program assigns, which
    say what they are (`Wx` with W and x given values, `w0x0` with w0 and x0). A run directly
    followed by `(` stays whole: it is a misspelt function (`tanhh(z)`), which the parser
    reports; so does a run followed by `=`, a name being assigned or an option (`axis=0`), and
    every run of a statement that reads as code."""
    out: list[Token] = []
    notes: dict[str, Said] = {}
    code = _code_statements(tokens)
    for i, (tok, after) in enumerate(pairwise(tokens)):
        pieces = None
        if (tok.kind == "name" and i not in code and not directly_called(tok, after)
                and after.kind != "="):
            pieces = _pieces(tok.text, keep)
        if pieces is None:
            out.append(tok)
            continue
        if not set(pieces) <= keep:
            notes[tok.text] = Said("warning.run_as_product" if pieces[-1] != "T" else
                                   "warning.run_as_product_t", name=tok.text,
                                   product=" · ".join(pieces))
        start = tok.pos
        for piece in pieces:
            out.append(Token("name", piece, start))
            start += len(piece)
    out.append(tokens[-1])
    return out, notes


def function_tokens(tokens: list[Token]) -> list[Token]:
    """Mark the names that are functions here (kind "function"). An assigned name shadows a
    function of the same name in the statements after it, as in Python: after `mean = sum(x)
    / 3`, `mean` is that value; the statement that assigns it still calls the function."""
    shadowed: set[str] = set()
    pending: set[str] = set()
    out: list[Token] = []
    start = True
    for tok, after in pairwise([*tokens, tokens[-1]]):
        target = start and tok.kind == "name" and after.kind in ASSIGNMENTS
        if tok.kind == "sep":
            shadowed |= pending
        elif target:
            pending.add(tok.text)
        elif tok.kind == "name" and function_of(tok.text) and tok.text not in shadowed:
            tok = Token("function", tok.text, tok.pos)
        start = tok.kind == "sep"
        out.append(tok)
    return out


def function_of(name: str) -> str | None:
    """The canonical function a name stands for (`σ` → sigmoid, `np.maximum` → max), or None."""
    module, dot, rest = name.rpartition(".")
    name = rest if dot and module in MODULES else name
    name = ALIASES.get(name, name)
    return name if name in FUNCTIONS else None
