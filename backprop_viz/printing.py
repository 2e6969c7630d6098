"""The AST's two printed forms: S-expressions for tests, and `unparse` for the answer's `parsed`
field, with explicit operators and only the parentheses precedence needs. No numpy."""

from __future__ import annotations

from .grammar import ATOM, LEVEL_OF_OP, POSTFIX, POWER, PREFIX_LEVEL
from .syntax import (
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
            return LEVEL_OF_OP[op]
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
            level = LEVEL_OF_OP[op]
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
