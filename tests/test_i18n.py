"""The catalogs of the page's words (backprop_viz/i18n/*.json): the same keys and placeholders in
both languages, every key the page's sources name present, the route that serves them and the
language the page is served in."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from backprop_viz import datasets, i18n

ROOT = Path(__file__).resolve().parent.parent
# The page's modules, and the package (the notebook view's frame is titled in Python).
SOURCES = sorted((ROOT / "static" / "js").glob("*.js")) + sorted(
    (ROOT / "backprop_viz").glob("*.py"))
TEMPLATES = sorted((ROOT / "templates").glob("*.html"))
# The page's own concerns (the server's error.*, warning.*, preset.*, export.* are its own).
PAGE_PREFIXES = ("ui.", "panel.", "legend.", "practice.", "training.", "speech.", "summary.",
                 "notebook.")
# A key as the sources name it: in the modules (and the package) any string of a page concern
# (t("ui.play"), t(on ? "ui.pause" : "ui.play")); in the templates t('…'), tm('…'), w("…")
# and the data-i18n attributes.
CONCERN = "|".join(re.escape(p) for p in PAGE_PREFIXES)
IN_JS = re.compile(rf"""["']((?:{CONCERN})[\w.]+)["']""")
IN_TEMPLATES = re.compile(r"""\b(?:t|tm|w)\(\s*["']([a-z][\w.]*)["']|data-i18n(?:-[a-z-]+)?="""
                          r""""([a-z][\w.]*)\"""")
# Keys the modules build from a value (t(`ui.phase.${phase}`)): each family with its values.
BUILT = {
    "ui.phase": ("forward", "backward"),
    "ui.node": ("variable", "constant", "op"),
    "practice": ("right", "wrong", "shown"),
    "speech.op": ("equals", "plus", "minus", "elementwise", "times", "by", "divided",
                  "kronecker"),
    "speech.mark": ("transpose", "prime"),
    "training.dataset": (*datasets.BUILT_IN, "csv"),   # the boundary caption's names
}


def used_keys() -> set[str]:
    keys = {k for path in SOURCES for k in IN_JS.findall(path.read_text(encoding="utf-8"))}
    for path in TEMPLATES:
        for pair in IN_TEMPLATES.findall(path.read_text(encoding="utf-8")):
            keys.update(k for k in pair if k)
    keys.update(f"{family}.{v}" for family, values in BUILT.items() for v in values)
    return keys


def test_both_catalogs_have_exactly_the_same_keys():
    en, ko = i18n.catalog("en"), i18n.catalog("ko")
    assert sorted(set(en) - set(ko)) == [] and sorted(set(ko) - set(en)) == []


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_every_key_the_page_names_is_in_the_catalog(lang):
    words = i18n.catalog(lang)
    assert sorted(used_keys() - set(words)) == []


def test_the_sources_name_keys_and_the_page_uses_its_own_keys():
    used = used_keys()
    assert len(used) > 200
    page = {k for k in i18n.catalog("en") if k.startswith(PAGE_PREFIXES)}
    assert sorted(page - used) == [], "a catalog entry no source says"


@pytest.mark.parametrize("key", sorted(i18n.catalog("en")))
def test_placeholders_match_between_english_and_korean(key):
    assert i18n.placeholders(i18n.catalog("en")[key]) == \
        i18n.placeholders(i18n.catalog("ko")[key])


def test_each_entry_is_a_non_empty_string_with_no_markup():
    for lang in i18n.LANGS:
        for key, words in i18n.catalog(lang).items():
            assert isinstance(words, str) and words.strip(), (lang, key)
            assert not re.search(r"<[a-z/]", words), (lang, key)   # a part is a {name}


def test_korean_uses_the_lecture_notes_terms():
    ko = i18n.catalog("ko")
    for key, term in [("ui.phase.forward", "순전파"), ("ui.phase.backward", "역전파"),
                      ("panel.upstream_title", "상류 기울기"), ("ui.form.jacobian", "야코비안"),
                      ("ui.form.shape", "형태 규칙"), ("panel.what.local", "국소 야코비안"),
                      ("panel.product_text", "하류 기울기")]:
        assert term in ko[key], key
    assert "미니배치" in ko["training.data.help"]


def test_the_op_tables_korean_notes_name_only_ops():
    """A rule's note (rule.*) and a reshape (jacobian.*) in Korean: the house terms, and no
    Latin word but an op's name (the names of the step come in as parameters)."""
    from backprop_viz.ops import OPS

    ko = i18n.catalog("ko")
    notes = {k: v for k, v in ko.items() if k.startswith(("rule.", "jacobian."))}
    assert len(notes) > 30
    for key, words in notes.items():
        latin = set(re.findall(r"[A-Za-z]{2,}", i18n.PLACEHOLDER.sub("", words)))
        assert latin <= set(OPS), (key, latin - set(OPS))
    assert "상류 기울기" in ko["rule.elementwise"] and "도함수" in ko["rule.elementwise"]


@pytest.mark.parametrize(("header", "lang"), [
    ("ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7", "ko"), ("ko", "ko"), ("en-US,en;q=0.9", "en"),
    ("en-GB,ko;q=0.5", "en"), ("fr-FR,ko;q=0.3", "ko"), ("", "en"), (None, "en"),
    ("de, fr;q=0.5", "en"), ("ko;q=bad, en;q=0.1", "en"), ("KO-kr", "ko"), ("*", "en"),
])
def test_pick_prefers_korean_only_when_the_browser_does(header, lang):
    assert i18n.pick(header) == lang


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_the_route_serves_each_catalog_with_an_etag_and_caching(client, lang):
    got = client.get(f"/i18n/{lang}.json")
    assert got.status_code == 200 and got.mimetype == "application/json"
    assert got.get_json() == i18n.catalog(lang)
    etag = got.headers["ETag"]
    assert etag == i18n.etag(lang) and "max-age" in got.headers["Cache-Control"]
    again = client.get(f"/i18n/{lang}.json", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""


@pytest.mark.parametrize("path", ["/i18n/fr.json", "/i18n/EN.json", "/i18n/en", "/i18n/..json",
                                  "/i18n/en.json.bak"])
def test_another_language_is_a_404_in_json(client, path):
    got = client.get(path)
    assert got.status_code == 404 and got.is_json


def inlined(html: str) -> dict:
    found = re.search(r'<script id="catalog" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(found[1])


@pytest.mark.parametrize(("query", "header", "lang"), [
    ("", "ko-KR,ko;q=0.9", "ko"), ("", "en-US", "en"), ("", None, "en"),
    ("?lang=ko", "en-US", "ko"), ("?lang=en", "ko-KR", "en"), ("?lang=xx", "ko-KR", "ko"),
])
def test_the_page_is_served_in_the_asked_language_with_its_catalog(client, query, header, lang):
    headers = {"Accept-Language": header} if header else {}
    html = client.get("/" + query, headers=headers).get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    data = inlined(html)
    assert data["lang"] == lang and data["catalogs"][lang] == i18n.catalog(lang)
    assert "en" in data["catalogs"]   # the fallback
    assert f"<title>{i18n.catalog(lang)['ui.title']}</title>" in html
    assert 'aria-pressed="true">' + ("한국어" if lang == "ko" else "English") in html


def test_markup_escapes_the_words_and_keeps_the_parts():
    from markupsafe import Markup

    got = i18n.markup("ui.vars.help", "ko", shape=Markup('<code data-part="shape">3×4</code>'))
    assert got.startswith('형태(<code data-part="shape">3×4</code>)')
    assert "{" not in got


def test_the_inlined_catalog_cannot_close_its_element():
    text = i18n.inline("ko")
    assert not re.search(r"[<>&]", text)
    assert json.loads(text)["catalogs"]["ko"] == i18n.catalog("ko")


def test_the_wheel_ships_the_catalogs():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "i18n/*.json" in config["tool"]["setuptools"]["package-data"]["backprop_viz"]
