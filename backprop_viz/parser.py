"""Tokens → AST: a small Pratt parser over the one precedence table of `grammar`. How a name is
read (a function, a run-together product) is in `names`; the AST's printed forms in `printing`.
No numpy, no eval."""

from __future__ import annotations

import math
from collections.abc import Callable

from .brackets import holds_rows, holds_tuple, spaced_names
from .calls import bind, number_text, suggest
from .errors import BackpropError, Said, msg
from .grammar import (
    ASSIGNMENTS,
    AUGMENTED,
    BINARY,
    JUXTAPOSITION,
    PREFIX_LEVEL,
)
from .lexer import Token, describe, location, tokenize
from .names import assigned_names, directly_called, function_of, function_tokens, split_runs
from .syntax import (
    DERIVATIVES,
    METHOD_HINTS,
    PLACEHOLDERS,
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
    check_height,
    literal,
)

MAX_DEPTH = 200  # deepest bracket nesting, and tallest expression tree, a statement may have

POWERS = frozenset({"power", "superscript"})
PRIMES = frozenset({"′", "'"})   # after a function name, `f′(z)`, `f'(z)`: its derivative
# Tokens after which a '[' written without a space is numpy's indexing, `x[0]`, `f(x)[1]`.
INDEXABLE = frozenset({"name", ")", "]", "transpose"})
SIGNS = frozenset({"+", "-", "−"})


def parse(source: str, declared: frozenset[str] = frozenset()) -> Program:
    """Parse a program; `declared` names (the request's variables) are never split into letters.

    Raises BackpropError, and nothing else, for any input a user can type.
    """
    tokens = tokenize(source)
    assigned = assigned_names(tokens)
    tokens, notes = split_runs(tokens, declared | assigned)
    parser = _Parser(source, function_tokens(tokens), declared, assigned)
    try:
        statements = parser.program()
        return Program(statements, source, (*notes.values(), *parser.notes), tuple(notes))
    except RecursionError:  # a safety net: MAX_DEPTH is meant to stop well before this
        where = parser.open[-1].pos if parser.open else 0
        raise BackpropError("error.parse.too_deep", where, limit=MAX_DEPTH) from None


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
        self.notes: list[Said] = []           # readings to announce in `warnings`

    # ----- tokens -----

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        tok = self.peek()
        self.i += 1
        return tok

    def at(self, pos: int) -> str:
        return location(self.source, pos)

    def error(self, tok: Token, code: str, **params: object) -> BackpropError:
        """The error for finding `tok`; running out of input inside brackets blames the bracket."""
        if tok.kind == "end" and self.open:
            bracket = self.open[-1]
            return BackpropError("error.parse.never_closed", bracket.pos, bracket=bracket.text,
                                 at=self.at(bracket.pos))
        return BackpropError(code, tok.pos, **params)

    def unexpected(self, tok: Token, hint: str | dict = "") -> BackpropError:
        return self.error(tok, "error.parse.unexpected", token=describe(tok),
                          at=self.at(tok.pos), hint=hint)

    def open_bracket(self) -> Token:
        bracket = self.advance()
        self.open.append(bracket)
        if len(self.open) > MAX_DEPTH:
            raise BackpropError("error.parse.too_deep", bracket.pos, limit=MAX_DEPTH)
        return bracket

    def close_bracket(self, closer: str) -> None:
        tok = self.peek()
        if tok.kind != closer:
            bracket = self.open[-1]
            hint = (msg("error.hint.close_with", bracket=bracket.text, at=self.at(bracket.pos),
                        closer=closer) if tok.kind in (")", "]") else "")
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
                raise BackpropError("error.parse.bare_not_last", statements[-1].pos)
            statements.append(self.statement())
            check_height(statements[-1].expr, MAX_DEPTH)
        if not statements:
            raise BackpropError("error.parse.empty", 0)
        return tuple(statements)

    def statement(self) -> Statement:
        """`name = e`, `name += e` (which is `name = name + (e)`), or a bare expression. A name
        may be assigned again: later statements read its newest value."""
        first = self.peek()
        name = None
        assign = self.peek(1)
        if first.kind in ("name", "function") and assign.kind in ASSIGNMENTS:
            name = first.text
            self.advance()
            self.advance()
        expr = self.expr(0)
        after = self.peek()
        if after.kind in ASSIGNMENTS:
            raise self.unexpected(after, msg("error.hint.one_name" if name else
                                             "error.hint.single_name_left"))
        if after.kind not in ("sep", "end"):
            raise self.unexpected(after)
        if name is not None and assign.kind in AUGMENTED:
            if name not in self.assigned:
                raise BackpropError("error.parse.used_before_assigned", first.pos, name=name)
            _, op, sym = BINARY[AUGMENTED[assign.kind]]
            expr = Binary(op, Name(name, first.pos), expr, assign.pos, sym)
        if name is not None and name in self.declared and not (
                name not in self.assigned and literal(expr) is not None):
            raise BackpropError("error.parse.assigned_and_given", first.pos, name=name)
        if name is not None:
            self.assigned.add(name)
        return Statement(name, expr, first.pos)

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
        """`x[0]` is numpy's indexing, refused; `W[x; 1]`, a stack of rows right after a name,
        is the notes' product W · [x; 1]."""
        before = self.tokens[self.i - 1]
        if (tok.kind == "[" and before.kind in INDEXABLE
                and before.pos + len(before.text) == tok.pos
                and not holds_rows(self.tokens, self.i)):
            x = before.text if before.kind == "name" and len(before.text) < 20 else "x"
            raise BackpropError("error.parse.indexing", tok.pos, x=x, at=self.at(tok.pos))

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
                raise BackpropError("error.parse.power_of_power", self.peek().pos)
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
        return self.error(tok, "error.parse.missing_operand", token=describe(before),
                          at=self.at(before.pos))

    def postfix(self, node: Expr) -> Expr:
        """Transposes, and method calls as numpy and PyTorch write them: `a.sum(axis=0)` is
        sum(a, axis=0), `X.dot(W)` is dot(X, W), `(b + a).relu()` is relu(b + a)."""
        while self.peek().kind in ("transpose", "method", "′"):
            tok = self.peek()
            if tok.kind == "′":
                raise BackpropError("error.parse.prime_alone", tok.pos)
            if tok.kind == "transpose":
                node = Transpose(node, self.advance().pos)
            elif tok.text in METHODS:
                node = METHODS[tok.text](self, node)
            elif function_of(tok.text[1:]):
                if (isinstance(node, Name) and node.name == "F"
                        and node.name not in self.declared | self.will_assign):
                    raise BackpropError("error.parse.functional_f", node.pos,
                                        function=tok.text[1:])
                node = self.call(receiver=node)
            else:
                hint = METHOD_HINTS.get(tok.text[1:])
                raise BackpropError("error.parse.unknown_method", tok.pos, method=tok.text,
                                    hint=msg(f"error.hint.method.{hint}") if hint
                                    else suggest(tok.text[1:]))
        return node

    def method_t(self, node: Expr) -> Expr:
        """PyTorch's `W.t()`: the transpose."""
        tok = self.advance()
        if self.peek().kind != "(" or self.peek(1).kind != ")":
            raise BackpropError("error.parse.t_arguments", tok.pos)
        self.advance()
        self.advance()
        return Transpose(node, tok.pos)

    def method_values(self, node: Expr) -> Expr:
        """PyTorch's `x.max(dim=1, keepdim=True).values`: the maxima themselves."""
        tok = self.advance()
        if isinstance(node, Call) and node.func in ("max", "min") and len(node.args) == 1:
            return node
        raise BackpropError("error.parse.values_alone", tok.pos)

    def method_indices(self, node: Expr) -> Expr:
        raise BackpropError("error.parse.indices", self.peek().pos)

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
        value, text = self.signed_number(start)
        if parenthesised and self.peek().kind == "/":     # x^(1/2): a constant fraction
            self.advance()
            below, under = self.signed_number(start)
            if below == 0:
                raise BackpropError("error.parse.exponent_divides_by_zero", start.pos)
            value, text = value / below, f"({text}/{under})"
        if parenthesised:
            if self.peek().kind != ")":
                raise self.error(start, "error.parse.exponent_fraction")
            self.close_bracket(")")
        if self.peek().kind != "power":
            return value, text
        outer = self.advance()
        higher, _ = self.exponent(outer)
        try:
            value = value ** higher
        except (OverflowError, ZeroDivisionError):
            value = math.nan
        if not isinstance(value, float) or not math.isfinite(value):
            raise BackpropError("error.parse.exponent_not_finite", start.pos,
                                exponent=f"{text}**{number_text(higher)}")
        return value, number_text(value)

    def signed_number(self, start: Token) -> tuple[float, str]:
        """A number constant with an optional sign, and its text: `-0.5`."""
        sign = self.advance() if self.peek().kind in SIGNS else None
        negative = sign is not None and sign.kind != "+"
        number = self.peek()
        if number.kind != "number":
            raise self.error(start, "error.parse.exponent_constant")
        self.advance()
        value = float(number.text)
        return (-value, "-" + number.text) if negative else (value, number.text)

    def variable(self) -> Name:
        """A variable, or the node of a name assigned by an earlier statement."""
        tok = self.advance()
        known = tok.text in self.declared or tok.text in self.will_assign
        if not known and (directly_called(tok, self.peek()) or "." in tok.text):
            raise BackpropError("error.parse.unknown_function", tok.pos, function=tok.text,
                                hint=suggest(tok.text))
        self.check_name(tok)
        if function_of(tok.text) and directly_called(tok, self.peek()):
            code = ("error.parse.assigned_nonlinearity" if tok.text in PLACEHOLDERS
                    else "error.parse.assigned_function")
            raise BackpropError(code, tok.pos, name=tok.text)
        return Name(tok.text, tok.pos)

    def check_name(self, tok: Token) -> None:
        if tok.text in self.will_assign and tok.text not in self.assigned:
            raise BackpropError("error.parse.used_before_assigned", tok.pos, name=tok.text)

    def call(self, receiver: Expr | None = None) -> Expr:
        """`g(a, b, axis=0)`, or with a receiver the method call `a.g(b)`, which is `g(a, b)`.
        Arguments are read here, not in a function of their own, to keep each bracket level to
        three Python frames (see expr)."""
        func_token = self.advance()
        func = function_of(func_token.text.lstrip("."))
        prime = self.peek()
        if prime.text in PRIMES and prime.pos == func_token.pos + len(func_token.text):
            if func not in DERIVATIVES:
                known = ", ".join(f"{name}′" for name in DERIVATIVES)
                raise BackpropError("error.parse.unknown_derivative", prime.pos,
                                    function=func_token.text, known=known)
            self.advance()
            func = DERIVATIVES[func]
            func_token = Token(func_token.kind, func_token.text + "′", func_token.pos)
        if self.peek().kind != "(":
            raise BackpropError("error.parse.needs_parentheses", func_token.pos,
                                function=func_token.text)
        self.open_bracket()
        args: list[Expr] = [] if receiver is None else [receiver]
        keywords: list[tuple[Token, Expr]] = []
        while self.peek().kind != ")":
            if self.peek().kind == "name" and self.peek(1).kind == "=":
                keyword = self.advance()
                self.advance()
                if self.peek().kind == "(" and holds_tuple(self.tokens, self.i):
                    raise BackpropError("error.parse.several_axes", self.peek().pos,
                                        keyword=keyword.text)
                keywords.append((keyword, self.expr(0)))
            elif keywords:
                raise BackpropError("error.parse.positional_after_keyword", self.peek().pos)
            else:
                args.append(self.expr(0))
            if self.peek().kind != ",":
                break
            self.advance()
        self.close_bracket(")")
        return bind(func, func_token, args, keywords)

    def side_by_side(self, bracket: Token, rows: list[list[Token]]) -> Expr:
        """`[a b c]` is [a, b, c] (and `[a b; c d]` is [a, b; c, d]), announced in `warnings`."""
        self.i += sum(map(len, rows)) + len(rows) - 1
        self.close_bracket("]")
        items = [_side_by_side([Name(t.text, t.pos) for t in row], row[0].pos) for row in rows]
        stack = items[0] if len(items) == 1 else Stack(tuple(items), 0, bracket.pos)
        written = "; ".join(" ".join(t.text for t in row) for row in rows)
        commas = "; ".join(", ".join(t.text for t in row) for row in rows)
        self.notes.append(Said("warning.side_by_side", written=written, commas=commas,
                               column="; ".join(t.text for row in rows for t in row)))
        for row in rows:
            for tok in row:
                self.check_name(tok)
        return stack

    def stack(self) -> Expr:
        """`[a; b]` stacks rows, `[a, b]` puts side by side, `[a, b; c, d]` does both; `[a]` is
        a. A row of a several-row stack is at the position of its first item."""
        spaced = spaced_names(self.tokens, self.i)
        bracket = self.open_bracket()
        if self.peek().kind == "]":
            raise BackpropError("error.parse.empty_stack", bracket.pos)
        if spaced is not None:
            return self.side_by_side(bracket, spaced)
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


# Methods that are no function of the table: PyTorch's `.t()` and `.values`.
METHODS: dict[str, Callable[[_Parser, Expr], Expr]] = {
    ".t": _Parser.method_t, ".values": _Parser.method_values, ".indices": _Parser.method_indices}

# The Pratt parser's prefix table: the token that starts an operand → how to read it.
PREFIX: dict[str, Callable[[_Parser], Expr]] = {
    "number": _Parser.number, "name": _Parser.name, "function": _Parser.call,
    "(": _Parser.group, "[": _Parser.stack,
    "√": _Parser.root, "‖": _Parser.norm,
}


def _side_by_side(items: list[Expr], pos: int) -> Expr:
    return items[0] if len(items) == 1 else Stack(tuple(items), 1, pos)
