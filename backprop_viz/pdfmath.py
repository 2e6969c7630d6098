"""An every-step PDF's equations typeset as the page's panel sets them: ∂s/∂W as a fraction,
xᵀ and δ₂ raised and lowered, names in italic, matrices in brackets with the panel's ⋮ and ⋯,
each factor's shape under it, values blue and gradients orange.

Written as Graphviz HTML-like labels (a table a line, tables inside it for fractions and
matrices), from the trace's structured forms: the numbers are read from the trace, where its
references point (forms.resolve); nothing here computes a gradient.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from html import escape

import numpy as np

from . import forms, i18n, numbers
from .checks import VariableCheck
from .errors import Said
from .latex import FUNCTIONS
from .tracedata import BackwardStep, ForwardStep, Trace

FACE = "DejaVu Serif,Times,serif"         # the math, as KaTeX's serif on the page
TEXT_FACE = "DejaVu Sans,Helvetica,sans-serif"   # the words around it
SIZE = 14                                 # points: a line of math
SMALL = 10                                # a shape under a factor
ROWS, COLUMNS = 6, 5    # a matrix past these is abbreviated, as static/js/tex.js does
# The words the PDF says, in one place (a catalog takes them from here).
OPERATORS = {"·": " ", "∘": " ∘ ", "/": " / ", "+": " + ", "−": " − "}
RAISED = str.maketrans("ᵀ′", "T′")
LOWERED = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
MARKS = "ᵀ₀₁₂₃₄₅₆₇₈₉"    # \w takes them for letters and digits: a name stops before them
TOKEN = re.compile(rf"(?P<name>[^\W\d_{MARKS}][^\W{MARKS}]*)(?P<marks>[{MARKS}]*)"
                   rf"|(?P<sup>ᵀ+)|(?P<sub>[₀-₉]+)|(?P<other>[^\w{MARKS}]+|\d[\d.]*)")
PARTIAL = "∂"


# ---------------------------------------------------------------- pieces of a line

def font(html: str, color: str | None = None, size: int = SIZE, face: str = FACE) -> str:
    colour = f' COLOR="{color}"' if color else ""
    return f'<FONT FACE="{face}" POINT-SIZE="{size}"{colour}>{html}</FONT>'


def words(text: str, color: str | None = None, size: int = SIZE - 2, bold: bool = False) -> str:
    html = escape(text) or " "
    return font(f"<B>{html}</B>" if bold else html, color, size, TEXT_FACE)


def _marks(marks: str) -> str:
    sup = "".join(c.translate(RAISED) for c in marks if c == "ᵀ")
    sub = "".join(c.translate(LOWERED) for c in marks if c != "ᵀ")
    return (f"<SUB>{sub}</SUB>" if sub else "") + (f"<SUP>{sup}</SUP>" if sup else "")


def inline(text: str) -> str:
    """Math text as runs: a name in italic (a function's upright), ᵀ raised, ₂, a name's
    trailing digits and its _part lowered."""
    out = []
    for m in TOKEN.finditer(text):
        if m["name"]:
            # W1 and x_Paris as latex.py writes them: W with 1 under it, x with Paris
            name, _, sub = m["name"].partition("_")
            if not sub and name not in FUNCTIONS:
                name, sub = re.fullmatch(r"(.*?)(\d*)", name).groups()
            body = escape(name) if name in FUNCTIONS else f"<I>{escape(name)}</I>"
            out.append(body + (f"<SUB>{escape(sub)}</SUB>" if sub else "") + _marks(m["marks"]))
        elif m["sup"] or m["sub"]:
            out.append(_marks(m[0]))
        else:   # the matrix product is juxtaposition, as the lecture and the page write it
            out.append(escape(m[0].replace(" · ", " ")))
    return "".join(out)


def table(rows: Iterable[Iterable[str]], padding: int = 0, spacing: int = 0,
          align: str = "CENTER") -> str:
    """Cells (already TD elements) in rows: a table with no border of its own, at its own
    size. Graphviz stretches a table to the cell it is in (a short line to the widest, a
    column vector to a matrix's height beside it) unless it is FIXEDSIZE; one with no WIDTH
    and HEIGHT keeps the size its content needs (dot warns on its standard error, which
    dot.run_dot drops when the layout succeeds)."""
    body = "".join(f"<TR>{''.join(row)}</TR>" for row in rows)
    return (f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="{spacing}" CELLPADDING="{padding}" '
            f'FIXEDSIZE="TRUE" ALIGN="{align}">{body}</TABLE>')


def cell(html: str, **attrs: str) -> str:
    extra = "".join(f' {k.upper()}="{v}"' for k, v in attrs.items())
    return f"<TD{extra}>{html or ' '}</TD>"


def line(*pieces: str) -> str:
    """Pieces side by side on one line, each centred on the line's middle."""
    return table([[cell(p) for p in pieces]], padding=1, align="LEFT")


def fraction(top: str, bottom: str) -> str:
    """top over bottom, with the bar between them."""
    return table([[cell(top)], [cell(bottom, border="1", sides="T")]], padding=1)


def shaped(html: str, shape: tuple[int, int], muted: str) -> str:
    """x with its shape under it, as the page's \\underset: the shapes of a product multiply."""
    return table([[cell(html)], [cell(font(numbers.shape(shape), muted, SMALL))]])


def _shown(n: int, most: int) -> list[int | None]:
    if n <= most:
        return list(range(n))
    return [0, 1, 2, None, n - 2, n - 1] if most == ROWS else [0, 1, None, n - 2, n - 1]


def matrix(a: np.ndarray, color: str, muted: str) -> str:
    """A scalar as its number; a matrix in brackets, abbreviated past 6 rows or 5 columns with
    ⋮ and ⋯ and its shape under it, as the panel writes it."""
    a = np.asarray(a, dtype=np.float64).reshape(a.shape if np.ndim(a) == 2 else (1, -1))
    if a.size == 1:
        return font(escape(numbers.number(float(a[0, 0]))), color)
    rows, cols = _shown(a.shape[0], ROWS), _shown(a.shape[1], COLUMNS)

    def entry(i: int | None, j: int | None) -> str:
        if i is None:
            return "⋱" if j is None else "⋮"
        return "⋯" if j is None else numbers.number(float(a[i, j]))

    n = str(len(rows))
    bracket = {"border": "1", "width": "3", "rowspan": n}
    grid = [[cell(font(escape(entry(i, j)), color), align="RIGHT" if i is not None else "CENTER")
             for j in cols] for i in rows]
    grid[0] = [cell("", sides="LTB", **bracket), *grid[0], cell("", sides="RTB", **bracket)]
    body = table(grid, padding=3)
    abbreviated = len(rows) < a.shape[0] or len(cols) < a.shape[1]
    return shaped(body, a.shape, muted) if abbreviated else body


# ---------------------------------------------------------------- math text

def _group_end(text: str, start: int) -> int:
    """The end of ∂'s operand at `start`: a parenthesised group, or a name with its marks."""
    if text[start:start + 1] == "(":
        depth = 0
        for i in range(start, len(text)):
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            if depth == 0:
                return i + 1
        return len(text)
    m = forms.NAME.match(text, start)
    return m.end() if m else start


def _operand(text: str) -> str:
    return text[1:-1] if text.startswith("(") and text.endswith(")") and " " in text else text


def math(text: str, color: str | None = None) -> list[str]:
    """Math text as pieces of a line: every ∂a/∂b a fraction, the rest inline runs."""
    pieces: list[str] = []
    rest, i = 0, text.find(PARTIAL)
    while i >= 0:
        top_end = _group_end(text, i + 1)
        if top_end < len(text) - 1 and text[top_end:top_end + 2] == "/∂":
            bottom_end = _group_end(text, top_end + 2)
            top, bottom = text[i + 1:top_end], text[top_end + 2:bottom_end]
            if text[rest:i].strip():
                pieces.append(font(inline(text[rest:i]), color))
            pieces.append(fraction(font(PARTIAL + inline(top), color),
                                   font(PARTIAL + inline(bottom), color)))
            rest = bottom_end
        i = text.find(PARTIAL, max(i + 1, rest))
    if text[rest:].strip():
        pieces.append(font(inline(text[rest:]), color))
    return pieces


def ratio(a: str, b: str) -> str:
    return f"∂{_wrap(a)}/∂{_wrap(b)}"


def _wrap(label: str) -> str:
    return label if forms.NAME.fullmatch(label) else f"({_operand(label)})"


# ---------------------------------------------------------------- a step's lines

class Typesetter:
    """The lines of every page of one trace, in one palette (render.THEMES's)."""

    def __init__(self, trace: Trace, palette: Mapping[str, str], lang: str = "en") -> None:
        self.trace = trace
        self.pal = palette
        self.lang = lang
        self.arrays = {n.id: (n.value, n.grad) for n in trace.nodes}

    def word(self, key: str, **params: object) -> str:
        """One of the page's words in its language (the catalogs' export.pdf.*)."""
        return i18n.say(f"export.pdf.{key}", self.lang, **params)

    def said(self, message: Said) -> str:
        """Words the trace carries by key (an op's rule, a δ's condition), in the PDF's language."""
        return i18n.say(message.code, self.lang, **message.params)

    def eq(self, *pieces: str) -> str:
        return line(*pieces)

    def sign(self, text: str = "=") -> str:
        return font(f" {escape(text)} ", self.pal["ink"])

    def says(self, text: str, bold: bool = False) -> str:
        return words(text, self.pal["ink"] if bold else self.pal["muted"], bold=bold)

    def value(self, a: np.ndarray) -> str:
        return matrix(a, self.pal["value"], self.pal["muted"])

    def grad(self, a: np.ndarray) -> str:
        return matrix(a, self.pal["grad"], self.pal["muted"])

    def page(self, k: int) -> list[str]:
        """Step k's lines; the last step's end with the summary."""
        t, n = self.trace, len(self.trace.steps)
        if k == 0:
            return [self.says(self.word("start", n=n), bold=True),
                    self.says(self.word("start_more", out=t.output_name))]
        step = t.steps[k - 1]
        lines = (self.forward(k, step) if isinstance(step, ForwardStep)
                 else self.backward(k, step))
        return lines + self.summary() if k == n else lines

    def forward(self, k: int, step: ForwardStep) -> list[str]:
        node = self.trace.node(step.node)
        head = self.word("forward", k=k, n=len(self.trace.steps), label=node.label)
        lhs = math(step.formula if step.formula == node.label or "=" in step.formula
                   else f"{node.label} = {step.formula}")
        return [self.says(head, bold=True),
                self.eq(*lhs, self.sign(), self.value(node.value))]

    def backward(self, k: int, step: BackwardStep) -> list[str]:
        t = self.trace
        node = t.node(step.node)
        out = t.output_name
        head = self.word("backward", k=k, n=len(t.steps), label=node.label)
        upstream = math(ratio(out, node.label))
        if step.delta is not None and step.delta.equal:
            upstream += [self.sign(), font(inline(step.delta.name), self.pal["grad"])]
        lines = [self.says(head, bold=True), self.says(self.word("upstream")),
                 self.eq(*upstream, self.sign(), self.grad(node.grad))]
        if len(step.contributions) > 1:
            lines.append(self.says(self.word("consumers", count=len(step.contributions))))
            if step.fan_out is not None:
                lines.append(self.eq(*math(step.fan_out.text)))
        for edge in step.inputs:
            source = t.node(edge.node)
            form = edge.shape_form
            lines += [self.says(self.word("input", port=edge.port + 1, label=source.label),
                                bold=True),
                      self.says(self.said(form.note)),
                      self.eq(*self.shape_form(form, node.grad), self.sign(),
                              self.grad(edge.downstream)),
                      self.eq(self.says(self.word("local") + ": "),
                              *math(f"{ratio(node.label, source.label)} = "
                                    f"{edge.local_formula}"))]
        return lines

    def shape_form(self, form: forms.Form, upstream: np.ndarray) -> list[str]:
        """∂s/∂W = δ xᵀ = [δ's numbers] [xᵀ's]: each factor with its shape, then its numbers."""
        muted = self.pal["muted"]
        names: list[str] = []
        arrays: list[str] = []
        for i, f in enumerate(form.factors):
            if i:
                op = OPERATORS[form.operators[i - 1]]
                names.append(font(escape(op), self.pal["ink"]))
                arrays.append(font(escape(op), self.pal["ink"]))
            names.append(shaped(font(inline(f.math.text)), f.shape, muted))
            shown = forms.resolve(f.ref, self.arrays, upstream)
            gradient = isinstance(f.ref, forms.UpstreamRef) or (
                isinstance(f.ref, forms.NodeRef) and f.ref.of == "grad")
            arrays.append((self.grad if gradient else self.value)(shown))
        return [*math(form.lhs.text), self.sign(), *names, self.sign(), *arrays]

    # ------------------------------------------------------------ the last page's summary

    def summary(self) -> list[str]:
        t = self.trace
        lines = [self.says(self.word("summary"), bold=True)]
        if t.names:
            defs = ", ".join(n.definition.text for n in t.names)
            lines.append(self.eq(*math(defs), self.says(f" ({self.word('names')})")))
        for d in t.deltas:
            lines.append(self.eq(*math(d.math.text), self.sign(),
                                 self.grad(t.node(d.delta.node).grad)))
            if d.given is not None:
                lines.append(self.says(self.said(d.given.text)))
        for name in t.variables:
            closed = t.closed_forms.get(name)
            lhs = ratio(t.output_name, name) + (f" = {closed.text}" if closed else "")
            lines.append(self.eq(*math(lhs), self.sign(), self.grad(t.gradient(name))))
        return lines + self.check()

    def check(self) -> list[str]:
        check = self.trace.gradient_check
        if check is None:
            return []
        head = [cell(self.says(self.word(f"check_head.{h}"), bold=True), align="LEFT")
                for h in ("variable", "checked", "error")]
        rows = [[cell(font(inline(name)), align="LEFT"),
                 cell(self.says(self._method(c)), align="LEFT"),
                 cell(font(escape(self._error(c.max_rel_error))), align="RIGHT")]
                for name, c in check.variables.items()]
        return [self.says(self.word("check"), bold=True), self.says(self.word("check_how")),
                table([head, *rows], padding=3, align="LEFT")]

    def _method(self, c: VariableCheck) -> str:
        key = {"entries": "all"}.get(c.method, c.method)
        return self.word(key, total=c.total, checked=c.checked)

    def _error(self, e: float | None) -> str:
        return self.word("unchecked") if e is None else numbers.number(e)


def caption(lines: Iterable[str]) -> str:
    """The graph attributes that set `lines` above the diagram, left-aligned."""
    rows = "".join(f'<TR><TD ALIGN="LEFT">{x}</TD></TR>' for x in lines)
    return (f'label=<<TABLE BORDER="0" CELLSPACING="2" CELLPADDING="1">{rows}</TABLE>> '
            "labelloc=t labeljust=l")
