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


def _shown(page) -> tuple[str, str]:
    return page.inner_text(".output-value"), page.inner_text("#vars-table tbody")


def test_the_cold_page_is_the_lecture_chip_numbers_included(page, live_server):
    lecture = PRESETS[0]
    result = trace(lecture.expression, lecture.variables, lecture.f, lecture.seed)
    page.goto(live_server + "/")
    page.wait_for_function("(v) => document.querySelector('#parsed .output-value')"
                           "?.textContent === v", arg=numbers.number(result.value))
    chip = f'#presets button[data-preset="{lecture.id}"]'
    assert page.get_attribute(chip, "aria-pressed") == "true"
    cold = _shown(page)
    page.click('#presets button[data-preset="gates"]')
    page.wait_for_function(f"() => document.querySelector('{chip}')"
                           ".getAttribute('aria-pressed') === 'false'")
    page.click(chip)
    page.wait_for_function(f"() => document.querySelector('{chip}')"
                           ".getAttribute('aria-pressed') === 'true'")
    assert _shown(page) == cold


def test_a_chip_is_marked_only_while_the_page_shows_its_numbers(page, live_server):
    page.goto(live_server + "/")
    chip = '#presets button[data-preset="lecture"]'
    page.wait_for_function(f"() => document.querySelector('{chip}')"
                           "?.getAttribute('aria-pressed') === 'true'")
    page.fill('#vars-table textarea[aria-label^="value of u,"]', "2\n2\n2")
    page.wait_for_function(f"() => document.querySelector('{chip}')"
                           ".getAttribute('aria-pressed') === 'false'")
    assert page.locator("#preset-caption").is_hidden()
    # the seed's numbers on the lecture's expression are not the preset either
    page.goto(live_server + "/?" + "expr=" + "s%20%3D%20u%E1%B5%80%20f(Wx%20%2B%20b)")
    page.wait_for_selector("#graph svg g.node")
    page.wait_for_selector("#presets button")
    assert page.get_attribute(chip, "aria-pressed") == "false"
