"""A call's arguments bound to its function (arrays first, then options, each checked), and
what to suggest for an unknown function. No numpy."""

from __future__ import annotations

import difflib

from .errors import BackpropError
from .lexer import Token
from .syntax import (
    ALIASES,
    CONSTANTS,
    FUNCTIONS,
    KEYWORD_ALIASES,
    OPTIONS,
    REQUIRED_OPTIONS,
    SUGGESTIONS,
    Call,
    Expr,
    Name,
    Num,
    Unary,
)


def bind(func: str, where: Token, args: list[Expr], keywords: list[tuple[Token, Expr]]) -> Call:
    """Match a call's arguments to its function: the leading ones are its arrays (as many as
    it can take: `max(a, 0)` is the elementwise max), any further ones and the named ones its
    op's OPTIONS, each a constant."""
    arities = FUNCTIONS[func]
    arrays, extra = args[:max(arities)], args[max(arities):]
    names = OPTIONS.get(arities.get(len(arrays), ""), ())
    if len(arrays) not in arities or len(extra) > len(names):
        takes = " or ".join(map(str, arities))
        plural = "" if tuple(arities) == (1,) else "s"
        raise BackpropError(f"{where.text} takes {takes} argument{plural}, got {len(args)}",
                            where.pos)
    given = {name: (expr.pos, expr) for name, expr in zip(names, extra, strict=False)}
    for keyword, expr in keywords:
        name = KEYWORD_ALIASES.get(keyword.text, keyword.text)
        if name not in names:
            known = f": it takes {', '.join(names)}" if names else ""
            raise BackpropError(f"{where.text}(...) has no option '{keyword.text}'{known}",
                                keyword.pos)
        if name in given:
            raise BackpropError(f"{name} is given twice", keyword.pos)
        given[name] = (expr.pos, expr)
    missing = [name for name in REQUIRED_OPTIONS.get(func, ()) if name not in given]
    if missing:
        raise BackpropError(f"{where.text} needs {missing[0]}=..., as in repeat(b, 10, axis=0)",
                            where.pos)
    options = tuple((name, value) for name, (pos, expr) in given.items()
                    if (value := _option(name, expr, pos)) is not None)
    return Call(func, tuple(arrays), where.pos, options)


def _option(name: str, expr: Expr, pos: int) -> int | None:
    """An option's value, checked: `axis` 0 or 1 (−1 and −2 as numpy counts them, None for the
    whole array), `repeats` a whole number from 1, `keepdims` True (and then dropped)."""
    match expr:
        case Num(value=value) | Unary(op="neg", operand=Num(value=value)) if value.is_integer():
            number: int | bool | None = int(-value if isinstance(expr, Unary) else value)
        case Name(name=word) if word in CONSTANTS:
            number = CONSTANTS[word]
        case _:
            number = "?"
    if name == "axis" and (number is None or number in (0, 1, -1, -2)):
        return None if number is None else number % 2
    if name == "repeats" and isinstance(number, int) and not isinstance(number, bool) \
            and number >= 1:
        return number
    if name == "keepdims" and number is True:
        return None
    expected = {"axis": "0 or 1", "repeats": "a whole number from 1",
                "keepdims": "True (every array is 2-D, so the dimensions are always kept)"}
    raise BackpropError(f"{name} must be {expected[name]}", pos)


def suggest(name: str) -> str:
    """What to write instead of an unknown function: a table's advice, the nearest function's
    name, or for a single letter, the product that `g(x)` is not."""
    if name in SUGGESTIONS:
        return f" (write {SUGGESTIONS[name]})"
    close = difflib.get_close_matches(name.lower(), [*FUNCTIONS, *ALIASES], n=1)
    if close and len(name) > 1:
        return f" (did you mean {close[0]}?)"
    return f": for a product write {name} · (...)" if len(name) == 1 else ""
