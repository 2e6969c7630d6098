"""The page in Korean and English: a Korean browser gets the Korean page, the switch turns it
to English and back at the same step without drawing the graph again, `?lang=` wins, and the
Korean page has no English interface word left."""

from __future__ import annotations

import re

import pytest

from tests.pages import LECTURE, open_page

pytestmark = pytest.mark.browser

# Names, not words: math, file formats, keys, libraries and the lecture's own names.
ALLOWED = {
    "KaTeX", "LaTeX", "SVG", "PNG", "PDF", "DOT", "HTML", "JSON", "CSV", "CS224N", "CS231n",
    "tanh", "softmax", "sigmoid", "relu", "ReLU", "micrograd", "Ctrl", "Enter", "Home", "End",
    "Space", "XOR", "float64", "diag", "exp", "log", "sum", "norm", "sqrt", "NaN", "Infinity",
    "fan", "English", "max", "out", "node", "mean", "SGD",
}
# What the server says (presets' titles and captions, the rules' notes, warnings, errors): the
# server's catalog keys (preset.*, warning.*, error.*) put those in Korean, not the page's.
SERVER = ".preset, #preset-caption, #panel p.rule, #warnings, .error-msg, .train-warning"
# Every word a reader meets outside math, code and the graph's drawing: visible text, and the
# labels and titles a screen reader or a pointer shows.
WORDS = """(server) => {
  const skip = 'script, style, .math, .katex, code, kbd, pre, textarea, input, svg text, '
    + 'svg title, ' + server;
  const out = [];
  // a spare panel (visibility: hidden, laid out for the next step) is not seen
  const seen = (x) => x.checkVisibility({ visibilityProperty: true });
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const e = n.parentElement;
    if (!n.textContent.trim() || e.closest(skip)) continue;
    if (e.closest('option') ? !seen(e.closest('select')) : !seen(e)) {
      continue;
    }
    out.push(n.textContent);
  }
  for (const e of document.querySelectorAll('[aria-label], [title], [placeholder]')) {
    if (e.closest(server) || (!seen(e) && !e.closest('svg'))) continue;
    for (const a of ['aria-label', 'title', 'placeholder']) {
      if (e.hasAttribute(a)) out.push(e.getAttribute(a));
    }
  }
  out.push(document.title);
  return out;
}"""
COUNTER = "() => document.getElementById('counter').textContent"


def english_words(page) -> list[str]:
    found = []
    for text in page.evaluate(WORDS, SERVER):
        found += [w for w in re.findall(r"[A-Za-z][A-Za-z0-9]{2,}", text) if w not in ALLOWED]
    return sorted(set(found))


@pytest.fixture
def korean(browser):
    context = browser.new_context(locale="ko-KR", viewport={"width": 1400, "height": 900})
    yield context.new_page()
    context.close()


@pytest.fixture
def english(browser):
    context = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 900})
    yield context.new_page()
    context.close()


def test_a_korean_browser_gets_the_korean_page(korean, live_server):
    open_page(korean, live_server, LECTURE, step=3)
    assert korean.evaluate("() => document.documentElement.lang") == "ko"
    assert korean.inner_text("h1") == "역전파, 한 단계씩"
    assert korean.evaluate(COUNTER).startswith("18단계 중 3단계 · 순전파")
    assert korean.get_attribute('#lang-switch [data-lang="ko"]', "aria-pressed") == "true"
    korean.keyboard.press("End")
    assert "요약" in korean.inner_text("#panel") and "기울기 검사" in korean.inner_text("#panel")


def test_an_english_browser_gets_the_english_page(english, live_server):
    open_page(english, live_server, LECTURE, step=3)
    assert english.evaluate("() => document.documentElement.lang") == "en"
    assert english.inner_text("h1") == "Backprop, step by step"
    assert english.evaluate(COUNTER) == "step 3 of 18 · forward"
    assert len(english_words(english)) > 100   # the walk below reads the page's words


def test_the_switch_turns_the_page_to_english_and_back_at_the_same_step(korean, live_server):
    open_page(korean, live_server, LECTURE, step=14)
    # the graph on screen is marked: switching must keep it, not draw it again
    korean.evaluate("() => { document.querySelector('#graph svg').dataset.kept = 'yes'; }")
    korean.focus('#lang-switch [data-lang="en"]')   # a real control, reached from the keyboard
    korean.keyboard.press("Enter")
    korean.wait_for_function("() => document.documentElement.lang === 'en'")
    assert korean.evaluate(COUNTER) == "step 14 of 18 · backward"
    assert korean.inner_text("h1") == "Backprop, step by step"
    assert "Upstream gradient" in korean.inner_text("#panel")
    assert korean.get_attribute('#lang-switch [data-lang="en"]', "aria-pressed") == "true"
    korean.wait_for_function("() => !location.search.includes('lang=ko')")
    korean.click('#lang-switch [data-lang="ko"]')
    korean.wait_for_function("() => document.documentElement.lang === 'ko'")
    assert korean.evaluate(COUNTER) == "18단계 중 14단계 · 역전파"
    assert "상류 기울기" in korean.inner_text("#panel")
    korean.wait_for_function("() => new URLSearchParams(location.search).get('lang') === 'ko'")
    assert "step=14" in korean.url
    assert korean.evaluate("() => document.querySelector('#graph svg').dataset.kept") == "yes"
    # the choice is kept: the page opened again without lang= is still Korean
    korean.goto(live_server + "/")
    korean.wait_for_selector("#graph svg g.node")
    assert korean.evaluate("() => document.documentElement.lang") == "ko"


def test_lang_in_the_url_wins_over_the_browser(english, live_server):
    open_page(english, live_server, LECTURE, step=2, lang="ko")
    assert english.evaluate("() => document.documentElement.lang") == "ko"
    assert english.evaluate(COUNTER).startswith("18단계 중 2단계")
    assert english.inner_text("#vars-title") == "변수"


def test_the_english_switch_in_an_english_page_fetches_korean_once(english, live_server):
    fetched = []
    english.on("request", lambda r: fetched.append(r.url) if "/i18n/" in r.url else None)
    open_page(english, live_server, LECTURE, step=5)
    assert fetched == []   # its own catalog came in the page
    english.click('#lang-switch [data-lang="ko"]')
    english.wait_for_function("() => document.documentElement.lang === 'ko'")
    english.click('#lang-switch [data-lang="en"]')
    english.click('#lang-switch [data-lang="ko"]')
    english.wait_for_function("() => document.documentElement.lang === 'ko'")
    assert [u.rsplit("/", 1)[1] for u in fetched] == ["ko.json"]
    # the choice is kept for the server: the page opened again comes in Korean, its catalog
    # inlined, though the browser asks for English
    english.goto(live_server + "/")
    english.wait_for_selector("#graph svg g.node")
    assert english.evaluate("() => document.documentElement.lang") == "ko"
    assert english.inner_text("#vars-title") == "변수"
    assert [u.rsplit("/", 1)[1] for u in fetched] == ["ko.json"]


@pytest.mark.parametrize(("step", "params"), [
    (0, {}), (3, {}), (14, {}), (18, {}), (14, {"form": "jacobian"}), (16, {"practice": "1"}),
])
def test_the_korean_page_has_no_english_interface_words(korean, live_server, step, params):
    open_page(korean, live_server, LECTURE, step=step, **params)
    assert english_words(korean) == []


def test_the_korean_page_trained_has_no_english_interface_words(korean, live_server):
    open_page(korean, live_server, LECTURE)
    korean.fill("#train-k", "5")
    korean.click("#train")
    korean.wait_for_selector("#loss-figure:not([hidden]) svg")
    assert english_words(korean) == []
    assert "5단계 후" in korean.inner_text("#train-result")


def test_the_exported_page_speaks_the_readers_language_offline(korean, tmp_path):
    from backprop_viz import standalone, trace

    path = tmp_path / "steps.html"
    path.write_text(standalone.html(trace(LECTURE), start=14), encoding="utf-8")
    korean.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:")
                 else r.abort())
    korean.goto(path.as_uri())
    korean.wait_for_function("() => document.getElementById('counter').textContent"
                             ".includes('14')")
    assert korean.evaluate(COUNTER) == "18단계 중 14단계 · 역전파"
    assert korean.inner_text("#play") == "재생"
    assert english_words(korean) == []
    korean.click('#lang-switch [data-lang="en"]')   # both catalogs are in the file
    korean.wait_for_function("() => document.documentElement.lang === 'en'")
    assert korean.evaluate(COUNTER) == "step 14 of 18 · backward"
    assert korean.inner_text("#play") == "Play"
