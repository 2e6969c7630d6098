"""One self-contained HTML file that steps through a trace with no server and no network: the
page's own script modules, style sheets and math assets, as they are on disk when it is
written, inlined as data: URLs, and the trace (with its SVG) embedded as JSON. Its CSP runs only
those scripts, each by its hash.

Modules are inlined through an import map: each module under a bare name (`bpv/static/js/
graph.js`), its own import specifiers rewritten to those names, since a data: URL has no
directory to resolve `./graph.js` against. The modules run unchanged, with no bundler to keep
in step with them; the page's entry, static/js/standalone.js, wires what works offline.
"""

from __future__ import annotations

import base64
import hashlib
import html as html_mod
import posixpath
import re
from pathlib import Path
from typing import Any

import jinja2
import orjson
from markupsafe import Markup

from . import assets, i18n, render
from .tracedata import Trace

ROOT = assets.root()
# URL prefix → the folder the app serves it from (web.py): the page's files and npm's KaTeX.
SERVED = {"/static/": ROOT / "static", "/vendor/katex/": ROOT / assets.KATEX}
ENTRY = "/static/js/standalone.js"
TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css",
         ".woff2": "font/woff2"}
# A module specifier in `import … from "…"`, `export … from "…"`, `import "…"` or `import("…")`
# that names one of our files (relative or under the site's root).
SPECIFIER = re.compile(r"""(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])"""
                       r"""((?:\.{1,2}/|/)[\w./-]+\.m?js)\2""")
# KaTeX's fonts: woff2 inlined, the woff and ttf fallbacks dropped (every browser reads woff2).
FONT_FALLBACK = re.compile(r""",\s*url\([^)]*\.(?:woff|ttf)\)\s*format\(["'][^"']*["']\)""")
CSS_URL = re.compile(r"""url\((["']?)([^)"']+\.woff2)\1\)""")
# What the file may run: its own inline import map and its own modules, each by its SHA-256 (the
# import map's `integrity` gives each module's, so the browser checks a module's bytes against
# the policy before it runs); no data: script, so markup that got in could run nothing. Styles,
# fonts and images load from data: URLs, nothing from anywhere else.
CSP = ("default-src 'none'; script-src {script}; style-src data:; font-src data:; "
       "img-src data:; base-uri 'none'; form-action 'none'")

_templates = jinja2.Environment(loader=jinja2.FileSystemLoader(ROOT / "templates"),
                                autoescape=True, undefined=jinja2.StrictUndefined)


def page_styles() -> list[str]:
    """The style sheets the page loads, as URLs: the app's, and KaTeX's once npm installed it.
    A test holds this list to what the served page links (the app's sheets as /page.css)."""
    katex = "/vendor/katex/katex.min.css"
    installed = [katex] if _file(katex).exists() else []
    # in the page's order: the app's rules come last, then the concerns' own sheets
    return [*installed, *(f"/{sheet}" for sheet in assets.STYLES)]


def _file(url: str) -> Path:
    for prefix, folder in SERVED.items():
        if url.startswith(prefix):
            return folder / url.removeprefix(prefix)
    raise ValueError(f"{url} is not one of the app's files")


def data_url(path: Path, content: bytes | None = None) -> str:
    body = path.read_bytes() if content is None else content
    return f"data:{TYPES[path.suffix]};base64,{base64.b64encode(body).decode()}"


def modules(entry: str = ENTRY) -> dict[str, str]:
    """Bare name → data: URL of every module `entry` imports, directly or not (a dynamic import
    of a file that is not installed is left as it is: the module's own fallback handles it)."""
    out: dict[str, str] = {}
    todo = [entry]
    while todo:
        url = todo.pop()
        name = "bpv" + url
        if name in out:
            continue

        def bare(m: re.Match, base: str = url) -> str:
            target = posixpath.normpath(posixpath.join(posixpath.dirname(base), m[3]))
            if not _file(target).exists():
                return m[0]
            todo.append(target)
            return f"{m[1]}{m[2]}bpv{target}{m[2]}"

        source = SPECIFIER.sub(bare, _file(url).read_text(encoding="utf-8"))
        out[name] = data_url(_file(url), source.encode())
    return dict(sorted(out.items()))


def stylesheet(url: str) -> str:
    """A style sheet as a data: URL, its woff2 fonts inlined and other font formats dropped."""
    path = _file(url)
    css = FONT_FALLBACK.sub("", path.read_text(encoding="utf-8"))
    css = CSS_URL.sub(lambda m: f"url({data_url(path.parent / m[2])})", css)
    return data_url(path, css.encode())


def script_json(obj: Any) -> Markup:
    """JSON safe inside a <script> element: `<`, `>`, `&`, `'` and U+2028/9 written as \\u
    escapes (Jinja's rule for `tojson`, with orjson for numpy arrays), so no text in it can
    close the element or be read as markup."""
    def dumps(value: Any, **_: Any) -> str:
        text = orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY).decode()
        return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")

    return jinja2.utils.htmlsafe_json_dumps(obj, dumps=dumps)


def sha256(data: bytes) -> str:
    """A hash source, as CSP and subresource integrity write it."""
    return f"sha256-{base64.b64encode(hashlib.sha256(data).digest()).decode()}"


def integrity(imports: dict[str, str]) -> dict[str, str]:
    """Each module's data: URL → the hash of the script it holds."""
    return {url: sha256(base64.b64decode(url.split(",", 1)[1])) for url in imports.values()}


def _csp(inline: str, hashes: list[str]) -> str:
    sources = [sha256(inline.encode()), *sorted(set(hashes))]
    return CSP.format(script=" ".join(f"'{h}'" for h in sources))


def page_data(trace: Trace) -> dict[str, Any]:
    """What the page's /api/trace answers: the trace and its SVG."""
    body = trace.to_dict()
    body["svg"] = render.render_svg(trace)
    return body


def html(trace: Trace, start: int = 0, lang: str = "en") -> str:
    """The standalone page of `trace`, opening at step `start`, its words in `lang` (and the
    other languages' catalogs, for its switch): open it from a file, a course site or an
    e-mail. The template gets `lang`, `t` (a catalog entry in `lang`) and `tm` (one as markup)."""
    imports = modules()
    hashes = integrity(imports)
    importmap = script_json({"imports": imports, "integrity": hashes})
    return _templates.get_template("standalone.html").render(
        trace=trace, data=script_json(page_data(trace)), importmap=importmap,
        entry=imports["bpv" + ENTRY], styles=[stylesheet(u) for u in page_styles()],
        csp=_csp(str(importmap), list(hashes.values())), start=start, offline=True,
        lang=lang, t=lambda key, **params: i18n.say(key, lang, **params),
        tm=lambda key, **parts: i18n.markup(key, lang, **parts),
        catalog=Markup(i18n.inline(lang, *i18n.LANGS)))   # all: the switch works offline


def iframe(page: str, height: int = 720, lang: str = "en") -> str:
    """`page` in a sandboxed iframe: its scripts run, but with no access to the host page,
    so in a notebook Jupyter's CSS and JS and ours never meet. The attribute is escaped as
    HTML escapes any attribute, so the page arrives in `srcdoc` exactly as written."""
    title = i18n.say("export.notebook.iframe_title", lang)
    return (f'<iframe sandbox="allow-scripts" width="100%" height="{height}" '
            f'title="{html_mod.escape(title, quote=True)}" '
            f'srcdoc="{html_mod.escape(page, quote=True)}"></iframe>')
