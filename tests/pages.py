"""What the browser tests share: the lecture's expression, opening the page on a query, and
reading which node is the current step's."""

from __future__ import annotations

import json
from urllib.parse import urlencode

LECTURE = "s = uᵀ f(Wx + b)"


def open_page(page, base: str, expression: str | None = None, variables: dict | None = None,
              *, until: str | None = None, **params) -> None:
    """Open the page on `expression` (its `expr`) and `variables` (its `vars`), plus any other
    query parameters, and wait until it shows its graph, its examples and typeset math, or until
    `until` (a JS function) is true."""
    query = dict(params)
    if expression is not None:
        query["expr"] = expression
    if variables:
        query["vars"] = json.dumps(variables)
    page.goto(base + "/" + ("?" + urlencode(query) if query else ""))
    if until is not None:
        page.wait_for_function(until)
        return
    page.wait_for_selector("#graph svg g.node")
    page.wait_for_selector("#presets button")
    # KaTeX comes after the first graph; the panel is typeset once it lands (math.js applies its
    # style sheet then): wait for it, as a reader does before reading the formulas
    page.wait_for_function("() => document.getElementById('katex-css')?.media === 'all'")


def current_id(page) -> str | None:
    return page.evaluate("() => document.querySelector('#graph g.node.current')?.id ?? null")
