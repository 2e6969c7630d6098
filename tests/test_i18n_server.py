"""The server's words in English and Korean (issue 18, item 5): every error and warning has a
stable code and its parameters, the catalogs hold each code in both languages with the same
placeholders, English is said from the catalog word for word, and presets and exports answer in
the language asked for."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from app import create_app
from backprop_viz import compiled, i18n, inputs
from backprop_viz.calls import SUGGESTIONS
from backprop_viz.errors import BackpropError
from backprop_viz.lexer import CHARACTER_HINTS
from backprop_viz.presets import PRESETS
from backprop_viz.syntax import METHOD_HINTS, OPTIONS

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [*sorted((ROOT / "backprop_viz").glob("*.py")), ROOT / "gunicorn.conf.py"]
OWNED = ("error.", "warning.", "preset.", "export.", "rule.", "jacobian.", "delta.")
# The codes the source builds from a table: the f-string's text, and what fills its hole.
BUILT = {
    "error.call.option.{}": {n for names in OPTIONS.values() for n in names},
    "error.hint.char.{}": set(CHARACTER_HINTS.values()),
    "error.hint.method.{}": set(METHOD_HINTS.values()),
    "error.hint.suggest.{}": set(SUGGESTIONS.values()),
    "error.limit.train_{}": {"node_steps", "number_steps", "scalar_steps"},
    "warning.non_finite_{}": {"value", "gradient"},
    "error.http.{}": {"404", "405", "500"},
    # pdfmath.Typesetter.word: the every-step PDF's words
    "export.pdf.{}": {"start", "start_more", "forward", "backward", "upstream", "consumers",
                      "input", "local", "summary", "names", "check", "check_how",
                      "check_head.variable", "check_head.checked", "check_head.error", "all",
                      "subset", "direction", "joint", "unchecked"},
    "preset.{}.title": {p.id for p in PRESETS},
    "preset.{}.caption": {p.id for p in PRESETS},
    # the op table's notes (ops.py): a gate's, a stack's
    "rule.{}": {"maximum", "minimum"},
    "rule.stack.{}": {"rows", "columns"},
    "delta.given.{}": {"whole", "column", "row"},   # deltas.py: what ŷ − y takes for granted
}


def _codes_in_source() -> tuple[set[str], set[str]]:
    """Every code the source names: string constants that look like one, and the f-strings
    of BUILT expanded; plus the f-string patterns found (to check BUILT covers them)."""
    codes, patterns = set(), set()
    code = re.compile(r"(?:error|warning|export|preset|rule|jacobian|delta)\.[a-z0-9_.-]+")
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        parts = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and code.fullmatch(node.value) and id(node) not in parts:
                codes.add(node.value)
            elif isinstance(node, ast.JoinedStr):
                text = "".join(v.value if isinstance(v, ast.Constant) else "{}"
                               for v in node.values)
                if text.startswith(OWNED) and text.count("{}") == 1 and " " not in text:
                    patterns.add(text)
    return codes, patterns


CODES, PATTERNS = _codes_in_source()
USED = CODES | {p.format(v) for p, values in BUILT.items() for v in values}


def test_every_code_the_source_builds_from_a_table_is_known_here():
    assert PATTERNS == set(BUILT)


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_every_code_used_is_in_both_catalogs(lang):
    assert sorted(USED - set(i18n.catalog(lang))) == []


def test_every_server_key_is_used_and_both_catalogs_have_the_same_ones():
    en = {k for k in i18n.catalog("en") if k.startswith(OWNED)}
    ko = {k for k in i18n.catalog("ko") if k.startswith(OWNED)}
    assert en == ko
    assert sorted(en - USED) == []


def test_both_catalogs_have_the_same_keys_and_placeholders():
    en, ko = i18n.catalog("en"), i18n.catalog("ko")
    assert set(en) == set(ko)
    assert [k for k in en if i18n.placeholders(en[k]) != i18n.placeholders(ko[k])] == []


def test_the_korean_catalog_is_korean():
    """Every server entry of ko.json has Hangul in it, but those that are only math, names
    and numbers; and it says the lecture's terms."""
    ko = i18n.catalog("ko")
    english = {k: v for k, v in ko.items() if k.startswith(OWNED)
               and not re.search("[가-힣]", v) and re.search("[a-z]{4,}", re.sub(
                   r"\{\w+\}|[A-Za-z_]+\(|MAX_\w+|axis=\d", "", v))}
    assert english == {}
    words = " ".join(ko.values())
    for term in ("순전파", "역전파", "기울기", "국소적 미분", "상류 기울기", "하류 기울기",
                 "미니배치", "형태"):
        assert term in words, term


def test_the_catalogs_are_flat_json_of_strings():
    for lang in i18n.LANGS:
        raw = json.loads((ROOT / "backprop_viz" / "i18n" / f"{lang}.json").read_text("utf-8"))
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items())


# ----- errors: code, params, English from the catalog

BAD = [
    ("s = (x", None, "error.parse.never_closed"),
    ("s = x:y", None, "error.parse.unexpected_character"),
    ("s = W x.data", None, "error.parse.unknown_method"),
    ("s = tanhh(x)", None, "error.parse.unknown_function"),
    ("s = sum(W x)", {"W": {"shape": [3, 4]}, "x": {"shape": [3, 1]}}, "error.shape.mismatch"),
    ("s = x", {"x": {"shape": [3, 1]}}, "error.shape.not_scalar"),
    ("s = sum(x)", {"x": {"value": [[1, 2], [3]]}}, "error.variable.ragged"),
    ("s = sum(x, axis=3)", None, "error.call.option.axis"),
    ("s = max(x, y, z)", None, "error.call.arguments_either"),
    ("s = x[0]", None, "error.parse.indexing"),
    ("s = uᵀ [a, b]", None, "error.shape.stack_cannot_make"),
]


@pytest.mark.parametrize(("expression", "variables", "code"), BAD)
def test_an_error_is_said_from_its_code_in_each_language(expression, variables, code):
    with pytest.raises(BackpropError) as e:
        inputs.trace(expression, variables)
    err = e.value
    assert err.code == code
    assert err.message == i18n.say(code, "en", **err.params) == str(err)
    korean = err.said("ko")
    assert re.search("[가-힣]", korean) and korean != err.message
    assert not i18n.PLACEHOLDER.search(korean.replace("{name: ", "")), korean
    assert json.loads(json.dumps(err.to_json())) == {
        "error": err.message, "code": code, "params": err.params, "position": err.position}


def test_a_shape_error_in_korean_says_the_shapes_do_not_match():
    with pytest.raises(BackpropError) as e:
        inputs.trace("s = sum(W x)", {"W": {"shape": [3, 4]}, "x": {"shape": [3, 1]}})
    assert e.value.message == "W · x: W is 3×4 but x is 3×1 (inner dimensions 4 ≠ 3)"
    assert e.value.said("ko") == ("W · x: 형태가 맞지 않습니다: W의 형태는 3×4, "
                                  "x의 형태는 3×1입니다 (안쪽 차원 4 ≠ 3)")


def test_a_hint_is_a_message_of_its_own_in_the_params():
    with pytest.raises(BackpropError) as e:
        inputs.trace("s = W x.item()")
    assert e.value.params["hint"] == {"code": "error.hint.method.item", "params": {}}
    assert e.value.message.endswith(": leave .item() out: the output is a number")
    assert "출력은 숫자 하나입니다" in e.value.said("ko")


@pytest.fixture
def client():
    return create_app().test_client()


@pytest.mark.parametrize(("method", "path", "kwargs", "status", "code"), [
    ("post", "/api/trace", {"json": {"expression": ""}}, 400, "error.request.expression_empty"),
    ("post", "/api/trace", {"json": {"expression": "s = x", "nope": 1}}, 400,
     "error.request.unknown_field"),
    ("post", "/api/trace", {"data": "{", "content_type": "application/json"}, 400,
     "error.request.bad_json"),
    ("post", "/api/trace", {"data": "x", "content_type": "text/plain"}, 415,
     "error.http.not_json"),
    ("get", "/nowhere", {}, 404, "error.http.404"),
    ("get", "/api/trace", {}, 405, "error.http.405"),
    ("get", "/api/structure/" + "0" * 64, {}, 404, "error.http.structure_not_found"),
    ("post", "/api/export?format=html&lang=fr", {"json": {"expression": "s = x"}}, 400,
     "error.request.one_of"),
    ("get", "/api/presets?lang=fr", {}, 400, "error.request.one_of"),
])
def test_the_web_layers_own_errors_carry_a_code(client, method, path, kwargs, status, code):
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code == status
    body = response.get_json()
    assert set(body) == {"error", "code", "params", "position"}
    assert body["code"] == code
    assert body["error"] == i18n.say(code, "en", **body["params"])


# ----- warnings

def test_a_warning_carries_its_code_beside_the_english_text(client):
    body = client.post("/api/trace", json={"expression": "s = uᵀ f(Wx + b)"}).get_json()
    assert body["warnings"] == [w["text"] for w in body["warning_codes"]]
    (warning,) = body["warning_codes"]
    assert warning == {"code": "warning.run_as_product", "params": {"name": "Wx",
                                                                     "product": "W · x"},
                       "text": body["warnings"][0]}
    assert i18n.say(warning["code"], "ko", **warning["params"]).startswith(
        "Wx은(는) 곱 W · x(으)로 읽습니다")


def test_training_that_stops_says_why_with_a_nested_message(client):
    body = client.post("/api/train", json={"expression": "s = sum(exp(w))", "eta": 1e300,
                                           "steps": 3, "variables": {"w": {"value": 700}}})
    answer = body.get_json()
    (warning,) = answer["warning_codes"]
    assert warning["code"] == "warning.training_stopped"
    assert warning["params"]["problem"]["code"].startswith("warning.")
    assert "학습이 멈췄습니다" in i18n.say(warning["code"], "ko", **warning["params"])


# ----- presets and exports

@pytest.mark.parametrize(("query", "header", "lang"), [
    ("", None, "en"), ("", "ko-KR,ko;q=0.9,en;q=0.8", "ko"), ("", "en-US,ko;q=0.5", "en"),
    ("?lang=ko", "en", "ko"), ("?lang=en", "ko", "en"), ("", "fr, de;q=0.5", "en"),
])
def test_presets_answer_in_the_language_asked_for_with_their_keys(client, query, header, lang):
    headers = {"Accept-Language": header} if header else {}
    answer = client.get("/api/presets" + query, headers=headers).get_json()
    assert [p["id"] for p in answer] == [p.id for p in PRESETS]
    for item in answer:
        assert item["title_key"] == f"preset.{item['id']}.title"
        assert item["caption_key"] == f"preset.{item['id']}.caption"
        assert item["title"] == i18n.say(item["title_key"], lang)
        assert item["caption"] == i18n.say(item["caption_key"], lang)
    assert answer[0]["title"] == {"en": "Lecture 3", "ko": "3강"}[lang]


@pytest.mark.parametrize(("header", "lang"), [
    (None, "en"), ("ko", "ko"), ("ko-KR", "ko"), ("en-GB,en;q=0.9", "en"),
    ("de;q=1, ko;q=0.3, en;q=0.2", "ko"), ("ko;q=bad, en", "en"), ("*", "en"), ("", "en"),
])
def test_pick_follows_accept_language(header, lang):
    assert i18n.pick(header) == lang


def test_the_every_step_pdfs_words_follow_lang():
    from backprop_viz import pdfmath, render
    t = compiled.trace("s = uᵀ f(Wx + b)")[1]   # with its gradient check
    first_backward = len(t.nodes) + 1
    en, ko = (pdfmath.Typesetter(t, render.THEMES["light"], lang) for lang in ("en", "ko"))
    assert "backward step" in en.page(first_backward)[0]
    assert "역전파" in ko.page(first_backward)[0] and "상류 기울기" in ko.page(first_backward)[1]
    assert "순전파" in ko.page(0)[1]
    # the op table's rule in the PDF's language too (s = uᵀ h: a matrix product)
    assert "matrix product: the gradient of h" in " ".join(en.page(first_backward))
    said = " ".join(ko.page(first_backward))
    assert "행렬곱: h의 기울기는" in said and "matrix product" not in said
    last = " ".join(ko.page(len(t.steps)))
    assert "기울기 검사" in last and "최대 상대 오차" in last and "Gradient check" not in last


def test_the_standalone_page_gets_its_words_in_lang(monkeypatch):
    from backprop_viz import standalone
    seen = {}

    class Template:
        def render(self, **context):
            seen.update(context)
            return ""

    monkeypatch.setattr(standalone._templates, "get_template", lambda _name: Template())
    standalone.html(inputs.trace("s = sum(x)"), lang="ko")
    assert seen["lang"] == "ko"
    assert seen["t"]("ui.title_standalone", parsed="s = sum(x)") == "역전파, 한 단계씩: s = sum(x)"
    assert seen["t"]("export.notebook.iframe_title") == "backprop_viz 단계별 보기"


def test_the_command_line_says_errors_and_export_words_in_lang(capsys, tmp_path):
    from backprop_viz.__main__ import main
    assert main(["s = uᵀ tanhh(Wx + b)", "--lang", "ko"]) == 2
    assert capsys.readouterr().err.startswith("error: 'tanhh'은(는) 알 수 없는 함수입니다")
    assert main(["s = uᵀ tanhh(Wx + b)"]) == 2
    assert capsys.readouterr().err.startswith("error: unknown function 'tanhh'")
    assert main(["s = sum(x)", "--lang", "ko", "--export", str(tmp_path / "s.html")]) == 0
    assert (tmp_path / "s.html").read_text(encoding="utf-8").startswith("<!doctype html>")


def test_a_warning_given_as_plain_text_is_coded_as_text():
    from dataclasses import replace
    t = replace(inputs.trace("s = sum(x)"), warnings=("as written",))
    assert t.to_dict()["warning_codes"] == [
        {"code": "warning.text", "params": {"text": "as written"}, "text": "as written"}]


@pytest.mark.parametrize(("query", "cookie", "accept", "lang"), [
    ("", None, "ko-KR,ko;q=0.9", "ko"),
    ("", "en", "ko-KR,ko;q=0.9", "en"),        # the switch's choice, kept, wins
    ("", "ko", "en-US", "ko"),
    ("?lang=en", "ko", "ko-KR", "en"),           # the URL wins over everything
    ("", "xx", "ko-KR", "ko"),                   # a cookie naming no language means nothing
])
def test_the_page_opens_in_the_language_chosen_before(client, query, cookie, accept, lang):
    """The page reads no storage as it opens (static/js/i18n.js): the server picks the language
    the switch kept in its cookie, and inlines that catalog."""
    if cookie is not None:
        client.set_cookie("backprop-viz-lang", cookie)
    page = client.get("/" + query, headers={"Accept-Language": accept}).get_data(as_text=True)
    assert f'<html lang="{lang}">' in page
