"""How a name is read before parsing: a function (`σ`, `np.maximum`), or a run of letters that
is a product of known names (`Wx` → W · x, `w0x0` → w0 · x0 with w0 and x0 declared). No numpy."""

from __future__ import annotations

from itertools import pairwise

from .grammar import ASSIGNMENTS
from .lexer import MODULES, Token
from .syntax import ALIASES, CONSTANTS, FUNCTIONS


def assigned_names(tokens: list[Token]) -> frozenset[str]:
    """Names written as `name =` (or `name +=`) at a statement's start: known before parsing, so
    that a run-together name assigned in a later statement is not split in an earlier one."""
    starts = [0] + [i + 1 for i, tok in enumerate(tokens) if tok.kind == "sep"]
    return frozenset(tokens[i].text for i in starts
                     if tokens[i].kind == "name" and tokens[i + 1].kind in ASSIGNMENTS)


def _pieces(name: str, keep: frozenset[str]) -> list[str] | None:
    """How a run-together name splits into a product, or None when it stays one name.

    A run is split when it is not itself known (a function, a declared or assigned name, True)
    and it can be written as known names and single letters, with as few pieces as possible
    (on a tie, the longer piece first: `abc` with ab and bc known is ab · c). With w0 and x0
    declared, `w0x0` is w0 · x0; `Wx` is W · x; `W1x` (nothing declared) stays
    W1x, since no piece covers its digit.
    """
    if len(name) < 2 or function_of(name) or name in keep or name in CONSTANTS or "." in name:
        return None
    best: list[list[str] | None] = [[]] + [None] * len(name)   # best[i]: pieces of name[:i]
    for end in range(1, len(name) + 1):
        for start in range(end):
            piece, before = name[start:end], best[start]
            usable = piece in keep or (len(piece) == 1 and piece.isalpha())
            if usable and before is not None and (
                    best[end] is None or len(before) + 1 <= len(best[end])):
                best[end] = [*before, piece]
    pieces = best[-1]
    return pieces if pieces and len(pieces) > 1 else None


def directly_called(token: Token, after: Token) -> bool:
    return after.kind == "(" and after.pos == token.pos + len(token.text)


def split_runs(tokens: list[Token], keep: frozenset[str]) -> list[Token]:
    """`Wx` → `W` `x`, each piece at its own offset. A run directly followed by `(` stays whole:
    it is a misspelt function (`tanhh(z)`), which the parser reports; so does a run followed by
    `=`, a name being assigned or an option (`axis=0`)."""
    out: list[Token] = []
    for tok, after in pairwise(tokens):
        pieces = None
        if tok.kind == "name" and not directly_called(tok, after) and after.kind != "=":
            pieces = _pieces(tok.text, keep)
        if pieces is None:
            out.append(tok)
            continue
        start = tok.pos
        for piece in pieces:
            out.append(Token("name", piece, start))
            start += len(piece)
    out.append(tokens[-1])
    return out


def function_of(name: str) -> str | None:
    """The canonical function a name stands for (`σ` → sigmoid, `np.maximum` → max), or None."""
    module, dot, rest = name.rpartition(".")
    name = rest if dot and module in MODULES else name
    name = ALIASES.get(name, name)
    return name if name in FUNCTIONS else None
