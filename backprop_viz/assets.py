"""Where the page's own files are: one rule for a clone and for an installed wheel.

Both hold the same tree under one root: templates/, static/, KaTeX's files at
node_modules/katex/dist/ (as npm installed them from package-lock.json) and gunicorn.conf.py.
In a clone the root is the repository. A wheel carries a copy of MANIFEST under
backprop_viz/_page/ (setup.py's build step makes it), which a clone never has. A leaf module:
paths only, so that the build can read MANIFEST without importing the package.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
INSTALLED = "_page"
KATEX = "node_modules/katex/dist"
# What a wheel carries, as globs under the root: the page, gunicorn's settings, and of KaTeX what
# the page and the standalone export load (its module, style sheet and woff2 fonts: web.py
# serves nothing else from node_modules), with its licence.
MANIFEST = ("templates/*.html", "static/**/*.*", "gunicorn.conf.py", f"{KATEX}/katex.mjs",
            f"{KATEX}/katex.min.css", f"{KATEX}/fonts/KaTeX_*.woff2", "node_modules/katex/LICENSE")

# The app's style sheets, in cascade order: app.css first, then the concerns' own sheets. The
# page gets them as one response (web.py's /page.css: one request instead of five, while five
# held five of the browser's six connections as the page opened); the standalone export inlines
# each.
STYLES = ("static/app.css", "static/css/training.css", "static/css/graph.css",
          "static/css/narrow.css", "static/css/i18n.css")


# The page's script as one file: static/js's modules bundled by esbuild (tools/bundle.py, run by
# `make assets` and the wheel's build). Twenty-eight modules cost a cold page about 90 ms more
# than one file (new browser context, the lecture, 2 cores), most of it in the browser. The
# bundle's first line names the digest of the sources it was built from; web.py serves it only
# while that is the digest of static/js as it is now, and else the modules themselves.
BUNDLE = "static/build/page.js"
BUNDLE_ENTRY = "static/js/main.js"
BUNDLE_BANNER = "// backprop_viz page bundle of static/js, sources sha256:"


def page_sources(base: Path) -> list[Path]:
    """The page's modules, sorted: what the bundle is built from and checked against."""
    return sorted((base / "static" / "js").glob("*.js"))


def sources_digest(files: list[Path]) -> str:
    """sha256 over each file's name and bytes, in order."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def root() -> Path:
    """The folder holding templates/, static/ and node_modules/katex/dist/: the installed
    copy's, or else the clone's."""
    installed = PACKAGE / INSTALLED
    return installed if installed.is_dir() else PACKAGE.parent
