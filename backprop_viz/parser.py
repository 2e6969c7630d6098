"""Tokens → AST: a small Pratt parser with one precedence table, plus the AST's two printed forms
(S-expressions for tests, `unparse` for the response's `parsed` field). No numpy, no eval."""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable
from itertools import pairwise

from .errors import BackpropError
from .lexer import MODULES, Token, describe, location, tokenize
from .syntax import (
    ALIASES,
    CONSTANTS,
    DERIVATIVES,
    FUNCTIONS,
    KEYWORD_ALIASES,
    OPTIONS,
    PLACEHOLDERS,
    REQUIRED_OPTIONS,
    SUGGESTIONS,
    Binary,
    Call,
    Expr,
    Name,
    Num,
    Power,
    Program,
    Stack,
    Statement,
    Transpose,
    Unary,
)

MAX_DEPTH = 200  # deepest bracket nesting, and tallest expression tree, a statement may have

# Precedence levels, loosest first. Calls, transposes and powers bind tighter than unary signs,
# which bind tighter than any binary operator: `-x^2` is -(x^2), `-a b` is (-a) b.
SUM, PRODUCT, PREFIX_LEVEL, POWER, POSTFIX, ATOM = range(1, 7)

# The binary operators: token kind → (level, op, sym). All associate to the left.
BINARY: dict[str, tuple[int, str, str]] = {
    "+": (SUM, "add", "+"), "-": (SUM, "sub", "-"), "−": (SUM, "sub", "-"),
    "@": (PRODUCT, "matmul", "·"), "·": (PRODUCT, "matmul", "·"),
    "*": (PRODUCT, "mul", "*"), "⊙": (PRODUCT, "mul", "⊙"), "∘": (PRODUCT, "mul", "∘"),
    "/": (PRODUCT, "div", "/"),
}
# Two operands side by side (`Wx`, `2 x`, `W(x + b)`) are a product at the same level.
JUXTAPOSITION: tuple[int, str, str] = (PRODUCT, "matmul", "·")
# `c += e` is `c = c + (e)`: the augmented assignment's token kind → its binary operator.
AUGMENTED: dict[str, str] = {"+=": "+", "-=": "-", "*=": "*", "/=": "/"}
ASSIGNMENTS = frozenset({"=", *AUGMENTED})
POWERS = frozenset({"power", "superscript"})
PRIMES = frozenset({"′", "'"})   # after a function name, `f′(z)`, `f'(z)`: its derivative
# Tokens after which a '[' written without a space is numpy's indexing, `x[0]`, `f(x)[1]`.
INDEXABLE = frozenset({"name", ")", "]", "transpose"})
SIGNS = frozenset({"+", "-", "−"})
_LEVEL_OF_OP = {op: level for level, op, _ in BINARY.values()}


def parse(source: str, declared: frozenset[str] = frozenset()) -> Program:
    """Parse a program; `declared` names (the request's variables) are never split into letters.

    Raises BackpropError, and nothing else, for any input a user can type.
    """
    tokens = tokenize(source)
    assigned = _assigned_names(tokens)
    tokens = [Token("function", tok.text, tok.pos)
              if tok.kind == "name" and _function(tok.text) and tok.text not in assigned else tok
              for tok in _split_runs(tokens, declared | assigned)]
    parser = _Parser(source, tokens, declared, assigned)
    try:
        return Program(parser.program(), source)
    except RecursionError:  # a safety net: MAX_DEPTH is meant to stop well before this
        where = parser.open[-1].pos if parser.open else 0
        raise BackpropError(f"nesting deeper than {MAX_DEPTH} levels", where) from None


def _assigned_names(tokens: list[Token]) -> frozenset[str]:
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
    if len(name) < 2 or _function(name) or name in keep or name in CONSTANTS or "." in name:
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


def _directly_called(token: Token, after: Token) -> bool:
    return after.kind == "(" and after.pos == token.pos + len(token.text)


def _split_runs(tokens: list[Token], keep: frozenset[str]) -> list[Token]:
    """`Wx` → `W` `x`, each piece at its own offset. A run directly followed by `(` stays whole:
    it is a misspelt function (`tanhh(z)`), which the parser reports; so does a run followed by
    `=`, a name being assigned or an option (`axis=0`)."""
    out: list[Token] = []
    for tok, after in pairwise(tokens):
        pieces = None
        if tok.kind == "name" and not _directly_called(tok, after) and after.kind != "=":
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


def _function(name: str) -> str | None:
    """The canonical function a name stands for (`σ` → sigmoid, `np.maximum` → max), or None."""
    module, dot, rest = name.rpartition(".")
    name = rest if dot and module in MODULES else name
    name = ALIASES.get(name, name)
    return name if name in FUNCTIONS else None


class _Parser:
    """One pass over the tokens. Names are resolved as they are met, statement by statement,
    so that errors come in the order of the source."""

    def __init__(self, source: str, tokens: list[Token], declared: frozenset[str],
                 assigned: frozenset[str]) -> None:
        self.source = source
        self.tokens = tokens
        self.i = 0
        self.declared = declared
        self.will_assign = assigned           # assigned by some statement of the program
        self.assigned: set[str] = set()       # assigned by the statements parsed so far
        self.open: list[Token] = []           # brackets not closed yet, innermost last

    # ----- tokens -----

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        tok = self.peek()
        self.i += 1
        return tok

    def at(self, pos: int) -> str:
        return location(self.source, pos)

    def error(self, tok: Token, message: str) -> BackpropError:
        """The error for finding `tok`; running out of input inside brackets blames the bracket."""
        if tok.kind == "end" and self.open:
            bracket = self.open[-1]
            return BackpropError(f"'{bracket.text}' at {self.at(bracket.pos)} is never closed",
                                 bracket.pos)
        return BackpropError(message, tok.pos)

    def unexpected(self, tok: Token, hint: str = "") -> BackpropError:
        return self.error(tok, f"unexpected {describe(tok)} at {self.at(tok.pos)}{hint}")

    def open_bracket(self) -> Token:
        bracket = self.advance()
        self.open.append(bracket)
        if len(self.open) > MAX_DEPTH:
            raise BackpropError(f"nesting deeper than {MAX_DEPTH} levels", bracket.pos)
        return bracket

    def close_bracket(self, closer: str) -> None:
        tok = self.peek()
        if tok.kind != closer:
            bracket = self.open[-1]
            hint = (f": '{bracket.text}' at {self.at(bracket.pos)} must be closed with '{closer}'"
                    if tok.kind in (")", "]") else "")
            raise self.unexpected(tok, hint)
        self.advance()
        self.open.pop()

    # ----- statements -----

    def program(self) -> tuple[Statement, ...]:
        statements: list[Statement] = []
        while True:
            while self.peek().kind == "sep":
                self.advance()
            if self.peek().kind == "end":
                break
            if statements and statements[-1].name is None:
                raise BackpropError("only the last statement may be a bare expression: "
                                    "name it, as in z = ...", statements[-1].pos)
            statements.append(self.statement())
            _check_height(statements[-1].expr)
        if not statements:
            raise BackpropError("the expression is empty", 0)
        return tuple(statements)

    def statement(self) -> Statement:
        """`name = e`, `name += e` (which is `name = name + (e)`), or a bare expression. A name
        may be assigned again: later statements read its newest value."""
        first = self.peek()
        name = None
        assign = self.peek(1)
        if first.kind in ("name", "function") and assign.kind in ASSIGNMENTS:
            name = first.text
            self.check_target(first)
            self.advance()
            self.advance()
        expr = self.expr(0)
        after = self.peek()
        if after.kind in ASSIGNMENTS:
            raise self.unexpected(after, ": a statement assigns one name" if name else
                                  ": only a single name may stand left of '='")
        if after.kind not in ("sep", "end"):
            raise self.unexpected(after)
        if name is not None and assign.kind in AUGMENTED:
            if name not in self.assigned:
                raise BackpropError(f"{name} is used before it is assigned", first.pos)
            _, op, sym = BINARY[AUGMENTED[assign.kind]]
            expr = Binary(op, Name(name, first.pos), expr, assign.pos, sym)
        if name is not None and name in self.declared and not (
                name not in self.assigned and literal(expr) is not None):
            raise BackpropError(f"{name} is assigned by the expression, so it cannot be given "
                                "a value or shape", first.pos)
        if name is not None:
            self.assigned.add(name)
        return Statement(name, expr, first.pos)

    def check_target(self, target: Token) -> None:
        if _function(target.text) and target.text not in PLACEHOLDERS:
            raise BackpropError(f"{target.text} is a function and cannot be assigned", target.pos)

    # ----- expressions -----

    def expr(self, min_level: int) -> Expr:
        """The Pratt loop: an operand, then binary operators that bind tighter than `min_level`.

        Worked example, `a + b c * d` from expr(0): the operand is a; '+' (SUM) binds tighter
        than 0, so its right side is expr(SUM): operand b, then c starts an operand with no
        operator between (juxtaposition, PRODUCT > SUM), so the right side of that is
        expr(PRODUCT): operand c, and '*' (PRODUCT) does not bind tighter than PRODUCT, so c is
        returned; b c becomes (matmul b c); '*' binds tighter than SUM, giving
        (mul (matmul b c) d); end of input returns it as the right side of '+':
        (add a (mul (matmul b c) d)). Left associativity falls out of the strict `>`.

        Leading signs are taken here, not in a function of their own, to keep each bracket
        level to three Python frames (expr → operand → call or stack): MAX_DEPTH levels must
        fit well inside Python's recursion limit.
        """
        signs: list[Token] = []
        while self.peek().kind in SIGNS:
            signs.append(self.advance())
        left = self.operand()
        for sign in reversed(signs):
            if sign.kind != "+":
                left = Unary("neg", left, sign.pos)
        while True:
            tok = self.peek()
            if tok.kind in BINARY:
                level, op, sym = BINARY[tok.kind]
            elif tok.kind in PREFIX and not self.closes_a_norm(tok):
                level, op, sym = JUXTAPOSITION
                self.check_not_indexing(tok)
            else:
                return left
            if level <= min_level:
                return left
            if tok.kind in BINARY:
                self.advance()
            left = Binary(op, left, self.expr(level), tok.pos, sym)

    def check_not_indexing(self, tok: Token) -> None:
        before = self.tokens[self.i - 1]
        if (tok.kind == "[" and before.kind in INDEXABLE
                and before.pos + len(before.text) == tok.pos):
            raise BackpropError(f"indexing, as in x[0], is not supported ('[' at "
                                f"{self.at(tok.pos)}): to multiply by a stack, put a space "
                                "before the '['", tok.pos)

    def operand(self) -> Expr:
        """A number, name, call, (group), [stack], √x or ‖x‖, with its postfix transposes and at
        most one power: `xᵀ^2` is (xᵀ)^2. A transpose mark after an exponent applies to the
        whole power, since the exponent is a bare number: `x^2ᵀ` is (x^2)ᵀ."""
        tok = self.peek()
        if tok.kind not in PREFIX:
            raise self.missing_operand(tok)
        node = self.postfix(PREFIX[tok.kind](self))
        power = self.peek()
        if power.kind in POWERS:
            self.advance()
            exponent, text = self.exponent(power)
            node = self.postfix(Power(node, exponent, text, power.pos))
            if self.peek().kind in POWERS:
                raise BackpropError("the exponent must be a number constant: write a power of "
                                    "a power with parentheses, (a^2)^3", self.peek().pos)
        return node

    def number(self) -> Expr:
        tok = self.advance()
        return Num(float(tok.text), tok.text, tok.pos)

    def name(self) -> Expr:
        """A call, `e^x` (exp, where e is not a variable of the request or the program), or a
        variable."""
        tok = self.peek()
        free = tok.text not in self.declared and tok.text not in self.will_assign
        if tok.text == "e" and free and self.peek(1).kind in POWERS:
            self.advance()
            power = self.advance()
            exponent = (Num(float(power.text), power.text, power.pos)
                        if power.kind == "superscript" else self.expr(PREFIX_LEVEL))
            return Call("exp", (exponent,), tok.pos)
        return self.variable()

    def group(self) -> Expr:
        self.open_bracket()
        node = self.expr(0)
        self.close_bracket(")")
        return node

    def root(self) -> Expr:
        """`√x`, `√(a + b)`, `√x²`: the square root of the operand that follows."""
        tok = self.advance()
        return Call("sqrt", (self.operand(),), tok.pos)

    def norm(self) -> Expr:
        """`‖x‖`: the L2 norm (Frobenius for a matrix). A '‖' inside closes the innermost."""
        bar = self.open_bracket()
        node = self.expr(0)
        self.close_bracket("‖")
        return Call("norm", (node,), bar.pos)

    def closes_a_norm(self, tok: Token) -> bool:
        return tok.kind == "‖" and bool(self.open) and self.open[-1].kind == "‖"

    def missing_operand(self, tok: Token) -> BackpropError:
        before = self.tokens[self.i - 1] if self.i > 0 else None
        if before is None or before.kind == "sep":
            return self.unexpected(tok)
        return self.error(tok, f"expected an operand after {describe(before)} at "
                               f"{self.at(before.pos)}")

    def postfix(self, node: Expr) -> Expr:
        """Transposes, and method calls as numpy and PyTorch write them: `a.sum(axis=0)` is
        sum(a, axis=0), `X.dot(W)` is dot(X, W), `(b + a).relu()` is relu(b + a)."""
        while self.peek().kind in ("transpose", "method", "′"):
            tok = self.peek()
            if tok.kind == "′":
                raise BackpropError("′ marks a derivative, as in f′(z), tanh′(z), σ′(z), "
                                    "relu′(z); for a transpose write ᵀ", tok.pos)
            if tok.kind == "transpose":
                node = Transpose(node, self.advance().pos)
            elif _function(tok.text[1:]):
                node = self.call(receiver=node)
            else:
                raise BackpropError(f"unknown method '{tok.text}'{_suggest(tok.text[1:])}",
                                    tok.pos)
        return node

    def exponent(self, power: Token) -> tuple[float, str]:
        """After `^` or `**`: a number constant with an optional sign, optionally in parentheses
        (`2`, `-1`, `(-0.5)`), and right-associative: `x ** 2 ** 3` is x^(2^3) = x⁸. After a
        superscript, its own digits. Anything else is an error at the exponent."""
        if power.kind == "superscript":
            return float(power.text), power.text
        start = self.peek()
        parenthesised = start.kind == "("
        if parenthesised:
            self.open_bracket()
        sign = self.advance() if self.peek().kind in SIGNS else None
        negative = sign is not None and sign.kind != "+"
        number = self.peek()
        if number.kind != "number" or (parenthesised and self.peek(1).kind != ")"):
            raise self.error(start, "the exponent must be a number constant")
        self.advance()
        if parenthesised:
            self.close_bracket(")")
        text = "-" + number.text if negative else number.text
        value = -float(number.text) if negative else float(number.text)
        if self.peek().kind != "power":
            return value, text
        outer = self.advance()
        higher, _ = self.exponent(outer)
        try:
            value = value ** higher
        except (OverflowError, ZeroDivisionError):
            value = math.nan
        if not isinstance(value, float) or not math.isfinite(value):
            raise BackpropError(f"the exponent {text}**{_number_text(higher)} is not a finite "
                                "real number", start.pos)
        return value, _number_text(value)

    def variable(self) -> Name:
        """A variable, or the node of a name assigned by an earlier statement."""
        tok = self.advance()
        known = tok.text in self.declared or tok.text in self.will_assign
        if not known and (_directly_called(tok, self.peek()) or "." in tok.text):
            raise BackpropError(f"unknown function '{tok.text}'{_suggest(tok.text)}", tok.pos)
        if tok.text in self.will_assign and tok.text not in self.assigned:
            raise BackpropError(f"{tok.text} is used before it is assigned", tok.pos)
        if tok.text in PLACEHOLDERS and _directly_called(tok, self.peek()):
            raise BackpropError(f"{tok.text} is assigned a value, so {tok.text}(...) is not the "
                                f"nonlinearity: for a product write {tok.text} · (...)", tok.pos)
        return Name(tok.text, tok.pos)

    def call(self, receiver: Expr | None = None) -> Call:
        """`g(a, b, axis=0)`, or with a receiver the method call `a.g(b)`, which is `g(a, b)`.
        Arguments are read here, not in a function of their own, to keep each bracket level to
        three Python frames (see expr)."""
        func_token = self.advance()
        func = _function(func_token.text.lstrip("."))
        prime = self.peek()
        if prime.text in PRIMES and prime.pos == func_token.pos + len(func_token.text):
            if func not in DERIVATIVES:
                known = ", ".join(f"{name}′" for name in DERIVATIVES)
                raise BackpropError(f"{func_token.text}′ is not a derivative the language knows"
                                    f" ({known})", prime.pos)
            self.advance()
            func = DERIVATIVES[func]
            func_token = Token(func_token.kind, func_token.text + "′", func_token.pos)
        if self.peek().kind != "(":
            raise BackpropError(f"{func_token.text} needs parentheses: {func_token.text}(...)",
                                func_token.pos)
        self.open_bracket()
        args: list[Expr] = [] if receiver is None else [receiver]
        keywords: list[tuple[Token, Expr]] = []
        while self.peek().kind != ")":
            if self.peek().kind == "name" and self.peek(1).kind == "=":
                keyword = self.advance()
                self.advance()
                keywords.append((keyword, self.expr(0)))
            elif keywords:
                raise BackpropError("an argument without a name cannot follow a named one, as "
                                    "in Python", self.peek().pos)
            else:
                args.append(self.expr(0))
            if self.peek().kind != ",":
                break
            self.advance()
        self.close_bracket(")")
        return _bind(func, func_token, args, keywords)

    def stack(self) -> Expr:
        """`[a; b]` stacks rows, `[a, b]` puts side by side, `[a, b; c, d]` does both; `[a]` is
        a. A row of a several-row stack is at the position of its first item."""
        bracket = self.open_bracket()
        if self.peek().kind == "]":
            raise BackpropError("[] is empty: a stack needs at least one item", bracket.pos)
        rows: list[tuple[int, list[Expr]]] = []
        while True:
            start = self.peek().pos
            items = [self.expr(0)]
            while self.peek().kind == ",":
                self.advance()
                items.append(self.expr(0))
            rows.append((start, items))
            if self.peek().kind != ";":
                break
            self.advance()
        self.close_bracket("]")
        if len(rows) == 1:
            return _side_by_side(rows[0][1], bracket.pos)
        return Stack(tuple(_side_by_side(items, start) for start, items in rows), 0, bracket.pos)


def _bind(func: str, where: Token, args: list[Expr], keywords: list[tuple[Token, Expr]]) -> Call:
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


def _number_text(value: float) -> str:
    """A computed exponent as it reads back: 8 for 2**3, 1.4142135623730951 for 2**0.5."""
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _suggest(name: str) -> str:
    """What to write instead of an unknown function: a table's advice, the nearest function's
    name, or for a single letter, the product that `g(x)` is not."""
    if name in SUGGESTIONS:
        return f" (write {SUGGESTIONS[name]})"
    close = difflib.get_close_matches(name.lower(), [*FUNCTIONS, *ALIASES], n=1)
    if close and len(name) > 1:
        return f" (did you mean {close[0]}?)"
    return f": for a product write {name} · (...)" if len(name) == 1 else ""


def literal(expr: Expr) -> float | None:
    """The number a statement `a = -4.0` assigns, or None: such a first assignment makes `a` a
    variable with that value, as micrograd's `a = Value(-4.0)` does."""
    match expr:
        case Num(value=value):
            return value
        case Unary(op="neg", operand=Num(value=value)):
            return -value
    return None


# The Pratt parser's prefix table: the token that starts an operand → how to read it.
PREFIX: dict[str, Callable[[_Parser], Expr]] = {
    "number": _Parser.number, "name": _Parser.name, "function": _Parser.call,
    "(": _Parser.group, "[": _Parser.stack,
    "√": _Parser.root, "‖": _Parser.norm,
}


def _side_by_side(items: list[Expr], pos: int) -> Expr:
    return items[0] if len(items) == 1 else Stack(tuple(items), 1, pos)


def _children(expr: Expr) -> tuple[Expr, ...]:
    match expr:
        case Binary(left=left, right=right):
            return (left, right)
        case Unary(operand=child) | Transpose(operand=child) | Power(base=child):
            return (child,)
        case Call(args=children) | Stack(items=children):
            return children
    return ()


def _check_height(expr: Expr) -> None:
    """Reject a tree taller than MAX_DEPTH, so that everything after the parser may recurse.

    Chains such as `x + x + … + x` or `----x` are parsed by loops, not recursion, but make trees
    as tall as they are long. The tree is walked bottom-up with an explicit stack; the first
    node found too tall (the 201st '+' of a long sum) is where the error points.
    """
    heights: dict[int, int] = {}
    todo: list[tuple[Expr, bool]] = [(expr, False)]
    while todo:
        node, children_done = todo.pop()
        children = _children(node)
        if not children_done:
            todo.append((node, True))
            todo.extend((child, False) for child in reversed(children))
            continue
        height = 1 + max((heights[id(child)] for child in children), default=-1)
        if height > MAX_DEPTH:
            raise BackpropError(f"nesting deeper than {MAX_DEPTH} levels: split the expression "
                                "into several statements", node.pos)
        heights[id(node)] = height


# ----- printing -----

def to_sexpr(node: Expr | Statement | Program) -> str:
    """The tree as an S-expression, for tests: `s = uᵀh` → `(= s (matmul (T u) h))`."""
    match node:
        case Program(statements=statements):
            return " ".join(map(to_sexpr, statements))
        case Statement(name=None, expr=expr):
            return to_sexpr(expr)
        case Statement(name=name, expr=expr):
            return f"(= {name} {to_sexpr(expr)})"
        case Num(text=text):
            return text
        case Name(name=name):
            return name
        case Call(func=func, args=args, options=options):
            named = "".join(f" :{name} {value}" for name, value in options)
            return f"({func} {' '.join(map(to_sexpr, args))}{named})"
        case Unary(op=op, operand=operand):
            return f"({op} {to_sexpr(operand)})"
        case Binary(op=op, left=left, right=right):
            return f"({op} {to_sexpr(left)} {to_sexpr(right)})"
        case Transpose(operand=operand):
            return f"(T {to_sexpr(operand)})"
        case Power(base=base, exponent_text=text):
            return f"(pow {to_sexpr(base)} {text})"
        case Stack(items=items, axis=axis):
            return f"({('vstack', 'hstack')[axis]} {' '.join(map(to_sexpr, items))})"
    raise TypeError(f"not a syntax node: {node!r}")


def unparse(program: Program) -> str:
    """The program as it was read, with explicit operators and only the parentheses precedence
    needs: `s = uᵀ f(Wx + b)` → `s = uᵀ · f(W · x + b)`."""
    return "; ".join(f"{st.name} = {_unparse(st.expr)}" if st.name else _unparse(st.expr)
                     for st in program.statements)


def _level(expr: Expr) -> int:
    match expr:
        case Binary(op=op):
            return _LEVEL_OF_OP[op]
        case Unary():
            return PREFIX_LEVEL
        case Power():
            return POWER
        case Transpose():
            return POSTFIX
    return ATOM


def _wrap(expr: Expr, min_level: int) -> str:
    text = _unparse(expr)
    return f"({text})" if _level(expr) < min_level else text


def _unparse(expr: Expr) -> str:
    match expr:
        case Num(text=text):
            return text
        case Name(name=name):
            return name
        case Call(func=func, args=args, options=options):
            named = [f"{name}={value}" for name, value in options]
            return f"{func}({', '.join([*map(_unparse, args), *named])})"
        case Unary(operand=operand):
            return "-" + _wrap(operand, PREFIX_LEVEL)
        case Binary(op=op, left=left, right=right, sym=sym):
            level = _LEVEL_OF_OP[op]
            return f"{_wrap(left, level)} {sym} {_wrap(right, level + 1)}"
        case Transpose(operand=operand):
            return _wrap(operand, POSTFIX) + "ᵀ"
        case Power(base=base, exponent_text=text):
            return f"{_wrap(base, POSTFIX)}**{text}"
        case Stack(items=items, axis=1):
            return f"[{', '.join(map(_unparse, items))}]"
        case Stack(items=rows):
            return "[" + "; ".join(
                ", ".join(map(_unparse, row.items)) if isinstance(row, Stack) and row.axis == 1
                else _unparse(row) for row in rows) + "]"
    raise TypeError(f"not an expression: {expr!r}")
