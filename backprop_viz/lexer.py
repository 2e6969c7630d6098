"""Text → tokens. Knows the characters of the language, nothing of its grammar."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

from .errors import BackpropError, msg

TRANSPOSE_MARK = "ᵀ"  # U+1D40: str.isalpha() says it is a letter, but it is never part of a name

# Symbols and their token kinds, two-character spellings first so that they win.
# `^T` and `.T` are always transpose, whatever follows: `u^Th` is uᵀ h.
SYMBOLS: tuple[tuple[str, str], ...] = (
    ("+=", "+="), ("-=", "-="), ("−=", "-="), ("*=", "*="), ("/=", "/="),
    ("^{\\top}", "transpose"), ("^\\top", "transpose"), ("^{T}", "transpose"),
    ("**", "power"), ("^T", "transpose"), (".T", "transpose"), ("^", "power"),
    (TRANSPOSE_MARK, "transpose"), ("⊤", "transpose"), ("'", "transpose"),
    ("+", "+"), ("-", "-"), ("−", "−"), ("@", "@"), ("·", "·"), ("⋅", "·"), ("*", "*"),
    ("⊙", "⊙"), ("∘", "∘"), ("/", "/"), ("(", "("), (")", ")"), ("[", "["), ("]", "]"),
    (",", ","), ("=", "="), ("√", "√"), ("‖", "‖"), ("′", "′"),
)
# SYMBOLS by their first character, each list in SYMBOLS' order (the longest spelling first)
_BY_FIRST: dict[str, tuple[tuple[str, str], ...]] = {
    c: tuple(sym for sym in SYMBOLS if sym[0][0] == c) for c in {t[0] for t, _ in SYMBOLS}}
OPENERS, CLOSERS = frozenset("(["), frozenset(")]")
# Characters the language does not use, but code pasted from numpy does: what to say about them
# (the catalogs' error.hint.char.* entries).
CHARACTER_HINTS: dict[str, str] = {":": "slicing", "|": "abs", "∑": "sum"}
NEWLINES = "\n\r"
COMMENT = "#"   # to the end of the line, as in Python
# NFKC folds full-width brackets and letters to ASCII (`（x）` is `(x)`), but would also fold
# the marks the language reads: these are kept as they are.
KEEP = frozenset("ᵀ′⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺₀₁₂₃₄₅₆₇₈₉")
# Quotes that NFKC leaves alone but a slide's or a word processor's u’ means: the prime.
QUOTES = str.maketrans("’‘ʹ", "'''")
_NAME_REST = frozenset("0123456789_₀₁₂₃₄₅₆₇₈₉")  # after the first letter: `W1`, `x_in`, `δ₂`
# Module prefixes of code pasted from numpy, PyTorch or Python: `np.tanh` is one name token,
# which the parser reads as `tanh`.
MODULES = frozenset({"np", "numpy", "torch", "math", "np.linalg", "numpy.linalg",
                     "torch.linalg", "torch.nn", "torch.nn.functional", "nn", "nn.functional",
                     "jax", "jax.numpy", "jnp", "jax.lax", "lax"})

# An exponent part only when digits follow it: `2e` is 2 times e, `2x` is 2 times x.
# `1.` and `2.` are numbers too, as in Python, unless a name follows the dot (`2.T`, `1.sum`).
_NUMBER = re.compile(r"(?:[0-9]+(?:\.[0-9]+|\.(?![A-Za-z_]))?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# A superscript exponent, `x²`, `x⁻¹`: its token's text is the exponent in plain digits.
_SUPERSCRIPT = re.compile(r"[⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+")
_PLAIN = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")


@dataclass(frozen=True)
class Token:
    kind: str   # "number" | "name" | "transpose" | "power" | "superscript" | "sep" | "end" |
                # the symbol itself
    text: str   # as written; a superscript's in plain digits (`x⁻¹`: "-1")
    pos: int    # 0-based offset in the source


def tokenize(source: str) -> list[Token]:
    """Split the source into tokens, ending with an "end" token at len(source).

    A newline or `;` outside brackets separates statements (kind "sep"); inside brackets a
    newline is whitespace and `;` is the stack's row separator (kind ";"), so a stack or a
    parenthesised sum can span lines.
    """
    source = normalise(source)
    tokens: list[Token] = []
    depth = 0
    i = 0
    while i < len(source):
        ch = source[i]
        if ch == COMMENT:
            while i < len(source) and source[i] not in NEWLINES:
                i += 1
        elif ch in NEWLINES or ch == ";":
            if depth == 0:
                tokens.append(Token("sep", ch, i))
            elif ch == ";":
                tokens.append(Token(";", ch, i))
            i += 1
        elif ch.isspace():
            i += 1
        elif number := _NUMBER.match(source, i):
            if not math.isfinite(float(number.group())):
                raise BackpropError("error.parse.number_too_large", i, at=location(source, i))
            tokens.append(Token("number", number.group(), i))
            i = number.end()
        elif superscript := _SUPERSCRIPT.match(source, i):
            tokens.append(Token("superscript", superscript.group().translate(_PLAIN), i))
            i = superscript.end()
        elif is_letter(ch):
            end = _name_end(source, i)
            while (source[i:end] in MODULES and source.startswith(".", end)
                   and _letter_at(source, end + 1)):
                end = _name_end(source, end + 1)
            tokens.append(Token("name", source[i:end], i))
            i = end
        elif ch == "." and _letter_at(source, i + 1) and not source.startswith(".T", i):
            end = _name_end(source, i + 1)     # a method: `.sum`, `.relu`, `.dot`
            tokens.append(Token("method", source[i:end], i))
            i = end
        else:
            symbol = next(((t, k) for t, k in _BY_FIRST.get(ch, ())
                           if source.startswith(t, i)), None)
            if symbol is None:
                hint = CHARACTER_HINTS.get(ch)
                raise BackpropError("error.parse.unexpected_character", i, character=_show(ch),
                                    at=location(source, i),
                                    hint=msg(f"error.hint.char.{hint}") if hint else "")
            text, kind = symbol
            depth += (kind in OPENERS) - (kind in CLOSERS and depth > 0)
            tokens.append(Token(kind, text, i))
            i += len(text)
    tokens.append(Token("end", "", len(source)))
    return tokens


def normalise(source: str) -> str:
    """NFKC, character by character so that every offset stays where it was: full-width
    `（ ）` and `ｘ` read as `( )` and `x`, a curly `’` as the prime; ᵀ, ′, superscript and
    subscript digits stay as written."""
    def one(ch: str) -> str:
        if ch.isascii() or ch in KEEP:
            return ch
        folded = unicodedata.normalize("NFKC", ch)
        return folded if len(folded) == 1 else ch
    return "".join(map(one, source)).translate(QUOTES)


def _name_end(source: str, start: int) -> int:
    end = start + 1
    while end < len(source) and (is_letter(source[end]) or source[end] in _NAME_REST):
        end += 1
    return end


def _letter_at(source: str, i: int) -> bool:
    return i < len(source) and is_letter(source[i])


def is_letter(ch: str) -> bool:
    """A letter that can start or continue a name (Greek included, the transpose mark not)."""
    return ch.isalpha() and ch != TRANSPOSE_MARK


def location(source: str, pos: int) -> dict:
    """Where `pos` is, in the user's terms, as a message: "column 5", or "line 2, column 3" in
    a program of several lines. Columns are 1-based."""
    breaks = list(_LINE_BREAK.finditer(source, 0, pos))
    if not breaks and not _LINE_BREAK.search(source):
        return msg("error.at.column", column=pos + 1)
    return msg("error.at.line", line=len(breaks) + 1,
               column=pos - (breaks[-1].end() if breaks else 0) + 1)


def describe(token: Token) -> str | dict:
    """A token as an error message names it: `')'`, or the message `end of line`, `end of
    input`."""
    if token.kind == "end":
        return msg("error.token.end_of_input")
    if token.kind == "sep" and token.text in NEWLINES:
        return msg("error.token.end_of_line")
    return _show(token.text)


def _show(text: str) -> str:
    """Quote what the user wrote; name invisible characters by code point."""
    if len(text) == 1 and not text.isprintable():
        return f"U+{ord(text):04X}"
    return f'"{text}"' if "'" in text else f"'{text}'"
