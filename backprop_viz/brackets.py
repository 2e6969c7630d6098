"""What a '[' holds, read ahead over the tokens before the parser reads it: a stack of rows
(`W[x; 1]` is a product, not indexing) or names side by side (`[x_museums x_in]`). No numpy."""

from __future__ import annotations

from .lexer import Token


def inside(tokens: list[Token], i: int) -> list[Token]:
    """The tokens inside the '[' at tokens[i], up to its matching ']'."""
    depth, j = 0, i
    while j < len(tokens) and tokens[j].kind != "end":
        depth += (tokens[j].kind in "([") - (tokens[j].kind in ")]")
        if depth == 0:
            return tokens[i + 1:j]
        j += 1
    return tokens[i + 1:j]


def _holds(tokens: list[Token], i: int, kind: str) -> bool:
    """Is there a `kind` token at the bracket's own depth, inside the bracket at tokens[i]?"""
    depth = 0
    for tok in inside(tokens, i):
        depth += (tok.kind in "([") - (tok.kind in ")]")
        if depth == 0 and tok.kind == kind:
            return True
    return False


def holds_rows(tokens: list[Token], i: int) -> bool:
    """Does the bracket at tokens[i] stack rows (a ';' at its own depth)?"""
    return _holds(tokens, i, ";")


def holds_tuple(tokens: list[Token], i: int) -> bool:
    """Is the '(' at tokens[i] a tuple, `(0, 1)` (a ',' at its own depth)?"""
    return _holds(tokens, i, ",")


def spaced_names(tokens: list[Token], i: int) -> list[list[Token]] | None:
    """`[x_museums x_in x_Paris]`: names with spaces between them inside brackets, as the slide
    and MATLAB write them side by side; the rows of such names, or None."""
    rows: list[list[Token]] = [[]]
    for tok in inside(tokens, i):
        if tok.kind == ";":
            rows.append([])
        elif tok.kind == "name" and (not rows[-1] or rows[-1][-1].pos
                                     + len(rows[-1][-1].text) < tok.pos):
            rows[-1].append(tok)
        else:
            return None
    return rows if all(rows) and max(map(len, rows)) > 1 else None
