"""The page's and the server's words in each language: one flat JSON catalog per language
(i18n/en.json, i18n/ko.json), dotted keys → strings with `{name}` placeholders.

Math, names and numbers are never in a catalog: they arrive as parameters. A parameter that is
itself a message, `{"code": key, "params": {...}}`, is said in the same language first (an
error's hint, a shape conflict's detail), so no parameter carries English prose; a list is said
item by item, joined by "; " (a CSV's bad rows). The web layer serves the catalogs
(GET /i18n/<lang>.json) and inlines the page's in it; static/js/i18n.js says them on the page.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

LANGS = ("en", "ko")
HERE = Path(__file__).with_name("i18n")
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@cache
def raw(lang: str) -> bytes:
    """The catalog of `lang` as its file holds it: what GET /i18n/<lang>.json sends."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
    return (HERE / f"{lang}.json").read_bytes()


@cache
def catalog(lang: str) -> dict[str, str]:
    """The catalog of `lang` (one of LANGS), read once from the package's data."""
    return json.loads(raw(lang).decode("utf-8"))


@cache
def etag(lang: str) -> str:
    """The catalog's ETag: its bytes' hash, so it changes exactly when they do."""
    return f'"{hashlib.sha256(raw(lang)).hexdigest()[:32]}"'


def pick(accept_language: str | None) -> str:
    """The language an Accept-Language header prefers among LANGS (by q), else English:
    `ko-KR,ko;q=0.9,en;q=0.8` → ko."""
    best, best_q = "en", 0.0
    for part in (accept_language or "").split(","):
        tag, _, rest = part.strip().partition(";")
        q = 1.0
        if rest.strip().startswith("q="):
            try:
                q = float(rest.strip()[2:])
            except ValueError:
                continue
        lang = tag.strip().lower().split("-")[0]
        if lang in LANGS and q > best_q:
            best, best_q = lang, q
    return best


def placeholders(text: str) -> set[str]:
    """The `{name}`s of a catalog entry."""
    return set(PLACEHOLDER.findall(text))


def say(key: str, lang: str, /, **params: Any) -> str:
    """The entry `key` of `lang`'s catalog (English where `lang` lacks it), its placeholders
    filled from `params`; a parameter that is a message is said in `lang` first."""
    said = {name: _said(value, lang) for name, value in params.items()}
    return "".join(part if name is None else said.get(name, part)
                   for part, name in _template(key, lang))


@cache
def _template(key: str, lang: str) -> tuple[tuple[str, str | None], ...]:
    """The entry split once into its text and its placeholders: (text, None) and ("{name}",
    name) in turn. A request says thousands of notes; a regular expression each was 10 % of
    writing a new structure's words."""
    template = catalog(lang).get(key)
    if template is None:
        template = catalog("en")[key]
    out: list[tuple[str, str | None]] = []
    last = 0
    for m in PLACEHOLDER.finditer(template):
        out += [(template[last:m.start()], None), (m[0], m[1])]
        last = m.end()
    out.append((template[last:], None))
    return tuple(out)


def _said(value: Any, lang: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and "code" in value:
        return say(value["code"], lang, **value.get("params", {}))
    if isinstance(value, list | tuple):
        return "; ".join(_said(v, lang) for v in value)
    return str(value)


def markup(key: str, lang: str, **parts: Markup) -> Markup:
    """The entry `key` as markup for a template: its words escaped, each `{name}` the part given
    (a `<code data-part="name">`, which static/js/i18n.js keeps when it says the words again)."""
    template = catalog(lang).get(key) or catalog("en")[key]
    out: list[str] = []
    last = 0
    for m in PLACEHOLDER.finditer(template):
        out += [escape(template[last:m.start()]), parts.get(m[1], escape(m[0]))]
        last = m.end()
    out.append(escape(template[last:]))
    return Markup("").join(out)


def inline(lang: str, *others: str) -> str:
    """The catalogs of `lang`, `others` and English (the fallback) as JSON for the page's
    <script type="application/json" id="catalog">: {"lang": lang, "catalogs": {…}}, with `<`,
    `>` and `&` escaped so that no text in it can close the element."""
    langs = dict.fromkeys((lang, *others, "en"))
    body = json.dumps({"lang": lang, "catalogs": {x: catalog(x) for x in langs}},
                      ensure_ascii=False, separators=(",", ":"))
    return body.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
