"""The page in Korean and English: a Korean browser gets the Korean page, the switch turns it
to English and back at the same step without drawing the graph again, `?lang=` wins, and the
Korean page has no English interface word left: not in its own words, nor in what the server
says by key (the presets, the op table's rules, warnings, errors, the data sets), at every step
of every preset, in practice and in training."""

from __future__ import annotations

import re

import pytest

from backprop_viz import trace
from backprop_viz.presets import PRESETS
from tests.pages import LECTURE, open_page

pytestmark = pytest.mark.browser

# Names, not words: math, file formats, keys, libraries, ops and the lecture's own names (a
# word with a digit in it is a name too: CS224N, float64, w0x0).
ALLOWED = {
    "KaTeX", "LaTeX", "SVG", "PNG", "PDF", "DOT", "HTML", "JSON", "CSV",
    "tanh", "softmax", "sigmoid", "relu", "ReLU", "micrograd", "Ctrl", "Enter", "Home", "End",
    "Space", "XOR", "diag", "exp", "log", "sum", "norm", "sqrt", "NaN", "Infinity", "repeat",
    "fan", "English", "max", "out", "node", "mean", "SGD", "NER", "axis",
}
# Every word a reader meets outside math, code and the graph's drawing: visible text, and the
# labels and titles a screen reader or a pointer shows.
WORDS = """() => {
  const skip = 'script, style, .math, .katex, code, kbd, pre, textarea, input, svg text, '
    + 'svg title';
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
    if (!seen(e) && !e.closest('svg')) continue;
    for (const a of ['aria-label', 'title', 'placeholder']) {
      if (e.hasAttribute(a)) out.push(e.getAttribute(a));
    }
  }
  out.push(document.title);
  return out;
}"""
COUNTER = "() => document.getElementById('counter').textContent"


def english_words(page, names=()) -> list[str]:
    """The words the page shows that are not Korean, but the names in ALLOWED and the
    expression's `names` (x_Paris: also its pieces, as its subscript is said, xParis)."""
    named = {*ALLOWED, *names, *(n.replace("_", "") for n in names),
             *(piece for n in names for piece in n.split("_"))}
    found = []
    for text in page.evaluate(WORDS):
        found += [w for w in re.findall(r"[A-Za-z][A-Za-z0-9]{2,}", text)
                  if w not in named and not re.search(r"\d", w)]
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


def step_to(page, k: int, n: int) -> None:
    page.wait_for_function("(s) => document.getElementById('counter').textContent"
                           ".startsWith(s)", arg=f"{n}단계 중 {k}단계")


@pytest.mark.parametrize("preset", PRESETS, ids=[p.id for p in PRESETS])
def test_every_step_of_every_preset_is_korean(korean, live_server, preset):
    """Its chip, title and caption, then every step with the keyboard, each backward step's
    rules in the shape convention, and back over them in the Jacobian form, with its reshape."""
    t = trace(preset.expression, preset.variables, preset.f, preset.seed)
    n, names = len(t.steps), tuple(t.variables)
    open_page(korean, live_server, LECTURE, step=0)
    korean.click(f'#presets button[data-preset="{preset.id}"]')
    korean.wait_for_function("(v) => document.getElementById('expr').value === v",
                             arg=preset.expression)
    step_to(korean, 0, n)
    # the box settled, the graph laid out again for it if it asked (a step it sets is the one
    # it was asked at): then the steps, one key each
    korean.wait_for_load_state("networkidle")
    found = set(english_words(korean, names))
    rules = []
    korean.focus("#next")
    for k in range(1, n + 1):
        korean.keyboard.press("ArrowRight")
        step_to(korean, k, n)
        found |= set(english_words(korean, names))
        rules += korean.locator("#panel p.rule").all_inner_texts()
    # back over the backward steps in the Jacobian form: each reshape said in Korean
    korean.check('input[name="form"][value="jacobian"]')
    korean.wait_for_function("() => new URLSearchParams(location.search).get('form') === "
                             "'jacobian'")
    found |= set(english_words(korean, names))
    reshapes = []
    korean.focus("#prev")
    for k in range(n - 1, len(t.nodes), -1):
        korean.keyboard.press("ArrowLeft")
        step_to(korean, k, n)
        found |= set(english_words(korean, names))
        reshapes += korean.locator("#panel p.rule").all_inner_texts()
    assert sorted(found) == []
    for said in (rules, reshapes):   # the notes and reshapes are said, in Korean
        assert said and all(re.search("[가-힣]", r) for r in said)
    assert "상류 기울기" in " ".join(rules) and "기울기" in " ".join(reshapes)


def test_practice_says_its_feedback_again_when_the_language_changes(korean, live_server):
    open_page(korean, live_server, LECTURE, step=14)
    korean.click("#practice")
    w, x = (korean.locator("#panel section.input .ask").nth(i) for i in (0, 1))
    w.locator("input.answer").fill("[1; 2")
    w.locator("input.answer").press("Enter")
    x.locator("input.answer").fill("[1; 2; 3]")
    x.locator("button.check").click()
    assert "'['을 닫는 ']'가 필요합니다" in w.locator(".error-msg").inner_text()
    assert x.locator(".ask-feedback.wrong").inner_text().startswith("오답")
    assert english_words(korean) == []

    korean.click('#lang-switch [data-lang="en"]')
    korean.wait_for_function("() => document.documentElement.lang === 'en'")
    w, x = (korean.locator("#panel section.input .ask").nth(i) for i in (0, 1))
    assert w.locator(".error-msg").inner_text() == "expected ']' to close the '[' at column 6"
    assert x.locator(".ask-feedback.wrong").inner_text() == \
        "Wrong: your answer is 3×1 but the gradient is 4×1"
    # what was typed stays in its field, to be corrected
    assert [w.locator("input.answer").input_value(), x.locator("input.answer").input_value()] \
        == ["[1; 2", "[1; 2; 3]"]

    korean.click('#lang-switch [data-lang="ko"]')
    korean.wait_for_function("() => document.documentElement.lang === 'ko'")
    x = korean.locator("#panel section.input .ask").nth(1)
    x.locator("button.show").click()
    assert "답을 봤으므로 점수에 넣지 않습니다" in x.inner_text()
    assert english_words(korean) == []


def test_training_on_a_data_set_is_korean(korean, live_server):
    """The boundary's caption names the data set in Korean; a data set the net cannot take
    (XOR's two classes for the spiral's three) is a Korean error."""
    open_page(korean, live_server, LECTURE)
    korean.click('#presets button[data-preset="spiral"]')
    korean.wait_for_selector("#train-data:not([hidden])")
    korean.wait_for_load_state("networkidle")   # the preset drawn, laid out for its box
    korean.fill("#train-k", "3")
    for name, said in [("spiral", "나선"), ("blobs", "덩어리")]:
        korean.select_option("#data-name", name)
        korean.click("#train-data-run")
        korean.wait_for_function("(s) => document.querySelector('#boundary-figure figcaption')"
                                 "?.textContent.includes(s)", arg=f"{said} 데이터셋의 점")
        assert english_words(korean, ("W1", "W2", "b1", "b2")) == [], name
    korean.click('#lang-switch [data-lang="en"]')
    korean.wait_for_function("() => document.documentElement.lang === 'en'")
    assert "the points of the blobs data set" in korean.inner_text("#boundary-figure figcaption")
    korean.click('#lang-switch [data-lang="ko"]')
    korean.wait_for_function("() => document.documentElement.lang === 'ko'")
    korean.select_option("#data-name", "xor")
    korean.click("#train-data-run")
    korean.wait_for_selector("#train-error:not([hidden]) .error-msg")
    assert "형태가 맞지 않습니다" in korean.inner_text("#train-error")
    assert english_words(korean) == []
    korean.click('#lang-switch [data-lang="en"]')   # the error said again, in English
    korean.wait_for_function("() => document.documentElement.lang === 'en'")
    assert "Y is 30×2 but log(softmax(S, axis=1)) is 30×3" in korean.inner_text("#train-error")


@pytest.mark.parametrize(("expression", "variables", "where", "said"), [
    (LECTURE, {}, "#warnings", "Wx은(는) 곱 W · x(으)로 읽습니다"),
    ("s = sum(log(x))", {"x": {"value": [[-1], [2]]}}, "#warnings", "유한하지 않습니다"),
    ("s = sum(W x)", {"W": {"shape": [3, 4]}, "x": {"shape": [3, 1]}}, "#expr-error",
     "형태가 맞지 않습니다"),
])
def test_a_warning_and_an_error_are_korean(korean, live_server, expression, variables, where,
                                           said):
    open_page(korean, live_server, expression, variables,
              until=f"() => !document.querySelector('{where}').hidden")
    assert said in korean.inner_text(where)
    assert english_words(korean) == []


def test_an_error_typed_is_korean(korean, live_server):
    open_page(korean, live_server, LECTURE)
    korean.fill("#expr", "s = (x +")
    korean.click("#render")
    korean.wait_for_selector("#expr-error .error-msg")
    assert "5번째 열의 '('이(가) 닫히지 않았습니다" in korean.inner_text("#expr-error")
    assert english_words(korean) == []
    korean.click('#lang-switch [data-lang="en"]')   # the error said again, in English
    korean.wait_for_function("() => document.documentElement.lang === 'en'")
    assert "'(' at column 5 is never closed" in korean.inner_text("#expr-error")


def test_an_error_beside_a_variable_is_said_again_at_a_new_language(english, live_server):
    open_page(english, live_server, LECTURE)
    field = english.locator('#vars-table input[aria-label="shape of x"]')
    field.fill("4")                                         # the page's own error
    english.wait_for_selector("#var-error")
    assert "rows×columns" in english.inner_text("#var-error")
    english.click('#lang-switch [data-lang="ko"]')
    english.wait_for_function("() => /행×열/.test(document.getElementById('var-error')"
                              "?.textContent)")
    assert "rows" not in english.inner_text("#var-error")
    # the graph's out-of-date notice too ("…: the graph shows the last values that did")
    assert english.is_visible("#stale") and "마지막으로" in english.inner_text("#stale")
    assert "graph" not in english.inner_text("#stale")
    english.click('#lang-switch [data-lang="en"]')
    english.wait_for_function("() => document.documentElement.lang === 'en'")
    assert "the graph shows the last values" in english.inner_text("#stale")
    field = english.locator('#vars-table input[aria-label="shape of x"]')
    field.fill("4×2")                                       # the server's error
    english.wait_for_function("() => document.getElementById('var-error') !== null"
                              " && !/rows×columns/.test(document.getElementById("
                              "'var-error').textContent)")
    assert "not a scalar" in english.inner_text("#var-error")
    english.click('#lang-switch [data-lang="ko"]')
    english.wait_for_function("() => document.documentElement.lang === 'ko'")
    english.wait_for_function("() => /스칼라/.test(document.getElementById('var-error')"
                              "?.textContent)")
    assert "scalar" not in english.inner_text("#var-error")
