"""A call's arguments bound to its function (arrays first, then options, each checked), and
what to suggest for an unknown function. No numpy."""

from __future__ import annotations

import difflib
from collections.abc import Callable

from .errors import BackpropError, msg
from .lexer import Token
from .syntax import (
    ALIASES,
    CONSTANTS,
    FUNCTIONS,
    IMPLIED,
    KEYWORD_ALIASES,
    OPTIONS,
    REQUIRED_OPTIONS,
    SUGGESTIONS,
    Binary,
    Call,
    Expr,
    Name,
    Num,
    Power,
    Transpose,
    Unary,
)

# numpy's and PyTorch's reductions whose second positional argument is an axis: np.max(x, 1),
# x.max(1), np.amax(x, 1). Written plainly, max(z, 0) is the elementwise max, as in the lecture.
AXIS_SECOND = frozenset({"max", "min", "amax", "amin"})
EXAMPLES: dict[str, str] = {"repeat": "repeat(b, 10, axis=0)", "pow": "x.pow(2)"}


def bind(func: str, where: Token, args: list[Expr], keywords: list[tuple[Token, Expr]]
         ) -> Expr:
    """Match a call's arguments to its function: the leading ones are its arrays (as many as
    it can take: `max(a, 0)` is the elementwise max), any further ones and the named ones its
    op's OPTIONS, each a constant. `np.max(x, 1)` and `x.max(1)` take an axis second, as numpy
    does. A power (`x.pow(2)`, `square(x)`) is a Power, a transpose (`x.transpose(-2, -1)`) a
    Transpose, and `torch.dot(w, x)` is wᵀ · x, as if written with **, ᵀ and · (WRITTEN_AS)."""
    arities = FUNCTIONS[func]
    module, _, spelling = where.text.lstrip(".").rpartition(".")
    code = bool(module) or where.text.startswith(".") or spelling in ("amax", "amin")
    split = max(arities)
    if (code and spelling in AXIS_SECOND and len(args) == 2 and _constant(args[1])
            and 1 in arities):
        split = 1
    arrays, extra = args[:split], args[split:]
    op = arities.get(len(arrays), "")
    if len(arrays) not in arities or len(extra) > len(OPTIONS.get(op, ())):
        takes = sorted(arities)
        code = ("error.call.arguments_one" if takes == [1] else "error.call.arguments"
                if len(takes) == 1 else "error.call.arguments_either")
        raise BackpropError(code, where.pos, function=where.text, takes=takes[0],
                            other=takes[-1], got=len(args))
    given = _given(op, where, module, spelling, extra, keywords)
    options = tuple((name, value) for name, (pos, expr) in given.items()
                    if (value := _option(name, expr, pos)) is not None)
    rewrite = WRITTEN_AS.get((op, spelling if module.startswith("torch") else ""),
                             WRITTEN_AS.get((op, "")))
    if rewrite is not None:
        return rewrite(arrays, dict(options), given, where.pos)
    return Call(func, tuple(arrays), where.pos, options)


def _given(op: str, where: Token, module: str, spelling: str, extra: list[Expr],
           keywords: list[tuple[Token, Expr]]) -> dict[str, tuple[int, Expr | float]]:
    """The op's options as written, by name: those the spelling implies (`square`: k = 2),
    those after the arrays in order, the named ones; each with its position."""
    names = OPTIONS.get(op, ())
    given: dict[str, tuple[int, Expr | float]] = {
        name: (where.pos, value) for name, value in IMPLIED.get(spelling, ())}
    given |= {name: (expr.pos, expr) for name, expr in zip(names, extra, strict=False)}
    for keyword, expr in keywords:
        name = KEYWORD_ALIASES.get(keyword.text, keyword.text)
        if name not in names:
            known = msg("error.hint.takes_options", options=", ".join(names)) if names else ""
            raise BackpropError("error.call.unknown_option", keyword.pos, function=where.text,
                                option=keyword.text, hint=known)
        if name in given:
            raise BackpropError("error.call.given_twice", keyword.pos, name=name)
        given[name] = (expr.pos, expr)
    if op == "var" and "ddof" not in given:
        _default_ddof(module, where, given)
    missing = [name for name in REQUIRED_OPTIONS.get(op, ()) if name not in given]
    if missing:
        example = msg("error.hint.as_in", example=EXAMPLES[op]) if op in EXAMPLES else ""
        raise BackpropError("error.call.needs_option", where.pos, function=where.text,
                            option=missing[0], hint=example)
    return given


def _default_ddof(module: str, where: Token, given: dict) -> None:
    """numpy's var divides by n (ddof=0), PyTorch's by n − 1 (correction=1); a method call
    could be either, so it must say which."""
    if where.text.startswith("."):
        raise BackpropError("error.call.var_ddof", where.pos, method=where.text)
    if module.startswith("torch"):
        given["ddof"] = (where.pos, 1.0)


def _constant(expr: Expr) -> bool:
    return isinstance(expr, Num) or (isinstance(expr, Unary) and isinstance(expr.operand, Num))


def _number(expr: Expr | float) -> float | bool | None | str:
    """The constant an option is written as: a number, True/False/None, or "?" for anything
    else."""
    match expr:
        case float() | int():
            return float(expr)
        case Num(value=value):
            return value
        case Unary(op="neg", operand=Num(value=value)):
            return -value
        case Name(name=word) if word in CONSTANTS:
            return CONSTANTS[word]
    return "?"


_AXES = (0, 1, -1, -2)


def _option(name: str, expr: Expr | float, pos: int) -> int | float | None:
    """An option's value, checked: `axis` 0 or 1 (−1 and −2 as numpy counts them, None for the
    whole array), `repeats` a whole number from 1, `keepdims` True (and then dropped), `k` any
    number, `ddof` 0 or 1, `dim0`/`dim1` an axis (checked by _check_swap, then dropped)."""
    number = _number(expr)
    whole = isinstance(number, float) and number.is_integer()
    if name == "axis" and (number is None or (whole and number in _AXES)):
        return None if number is None else int(number) % 2
    if name == "repeats" and whole and number >= 1:
        return int(number)
    if name == "keepdims" and number is True:
        return None
    if name == "k" and isinstance(number, float) and not isinstance(number, bool):
        return number
    if name == "ddof" and whole and number in (0, 1):
        return int(number)
    if name in ("dim0", "dim1") and whole and number in _AXES:
        return None
    raise BackpropError(f"error.call.option.{name}", pos)


def _check_swap(given: dict) -> None:
    """`x.transpose(0, 1)`, `.transpose(-2, -1)`: two different axes; a 2-D array has no other
    pair to swap."""
    axes = [int(_number(expr)) % 2 for _, (pos, expr) in sorted(given.items())]
    if len(axes) == 2 and axes[0] == axes[1]:
        raise BackpropError("error.call.same_axes", given["dim1"][0])


def _power(arrays: list[Expr], options: dict, given: dict, pos: int) -> Expr:
    return Power(arrays[0], options["k"], number_text(options["k"]), pos)


def _transpose(arrays: list[Expr], options: dict, given: dict, pos: int) -> Expr:
    _check_swap(given)
    return Transpose(arrays[0], pos)


def _inner(arrays: list[Expr], options: dict, given: dict, pos: int) -> Expr:
    """torch.dot takes two vectors, and is their dot product whatever their shapes say."""
    return Binary("matmul", Transpose(arrays[0], pos), arrays[1], pos, "·")


# Calls that are another node of the tree: (op, PyTorch's spelling or "") → how to write it.
WRITTEN_AS: dict[tuple[str, str], Callable[[list[Expr], dict, dict, int], Expr]] = {
    ("pow", ""): _power, ("transpose", ""): _transpose, ("matmul", "dot"): _inner,
}


def number_text(value: float) -> str:
    """A computed number as it reads back: 8 for 2**3, 1.4142135623730951 for 2**0.5."""
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def suggest(name: str) -> dict | str:
    """What to write instead of an unknown function, as a message: a table's advice, the
    nearest function's name, or for a single letter, the product that `g(x)` is not."""
    plain = name.rpartition(".")[2]
    if plain in SUGGESTIONS:
        return msg(f"error.hint.suggest.{SUGGESTIONS[plain]}")
    if plain != name and (plain in FUNCTIONS or plain in ALIASES):
        return msg("error.hint.write_call", function=plain)
    close = difflib.get_close_matches(plain.lower(), [*FUNCTIONS, *ALIASES], n=1)
    if close and len(plain) > 1:
        return msg("error.hint.did_you_mean", function=close[0])
    return msg("error.hint.product", name=name) if len(name) == 1 else ""
