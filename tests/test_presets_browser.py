"""The page's examples: one click each opens its preset, drawn whole, with its caption, its value
and no error."""

from __future__ import annotations

import pytest

from backprop_viz import numbers, trace
from backprop_viz.presets import PRESETS

pytestmark = pytest.mark.browser


def test_every_example_opens_its_preset_with_its_caption(page, live_server):
    page.goto(live_server + "/")
    page.wait_for_selector("#graph svg g.node")
    for preset in PRESETS:
        result = trace(preset.expression, preset.variables, preset.f, preset.seed)
        page.click(f'#presets button[data-preset="{preset.id}"]')
        page.wait_for_function(
            """([parsed, n, value]) =>
                 document.querySelector('#parsed code')?.textContent === parsed
                 && document.querySelectorAll('#graph svg g.node').length === n
                 && document.querySelector('#parsed .output-value')?.textContent === value""",
            arg=[result.parsed, len(result.nodes), numbers.number(result.value)])
        assert page.input_value("#expr") == preset.expression
        assert page.input_value("#f") == preset.f
        assert page.locator(".output-value").inner_text() == numbers.number(result.value)
        assert page.locator("#expr-error").is_hidden() and page.locator("#warnings").is_hidden()
        assert page.locator("#vars-table tbody tr").count() == len(preset.variables), preset.id
        assert page.inner_text("#preset-caption") == preset.caption
        assert page.get_attribute(f'#presets button[data-preset="{preset.id}"]',
                                  "aria-pressed") == "true"
