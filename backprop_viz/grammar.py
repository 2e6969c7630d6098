"""The one precedence table, shared by the parser and the printer. No numpy."""

from __future__ import annotations

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
LEVEL_OF_OP = {op: level for level, op, _ in BINARY.values()}
