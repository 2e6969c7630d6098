"""Bundle the page's modules into one script: `python3 tools/bundle.py`, run by `make assets`.

esbuild (pinned in package.json, installed by `npm ci`) follows static/js/main.js's imports and
writes them as one ES module at assets.BUNDLE, KaTeX's module (/vendor/katex/, loaded on demand)
left outside. Its first line is assets.BUNDLE_BANNER and the digest of static/js's sources, which
web.py compares before it serves the bundle: a module edited since falls back to the modules.
The file is written beside its place and renamed, so a server never reads half of one.
"""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSETS = runpy.run_path(str(ROOT / "backprop_viz" / "assets.py"))


def build(root: Path = ROOT) -> Path:
    esbuild = root / "node_modules" / ".bin" / "esbuild"
    if not esbuild.exists():
        raise SystemExit(f"{esbuild} is missing: run `make assets` (npm ci) first")
    digest = ASSETS["sources_digest"](ASSETS["page_sources"](root))
    target = root / ASSETS["BUNDLE"]
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial.js")
    subprocess.run([str(esbuild), str(root / ASSETS["BUNDLE_ENTRY"]), "--bundle", "--format=esm",
                    "--external:/vendor/*", "--log-level=warning", "--charset=utf8",
                    f"--banner:js={ASSETS['BUNDLE_BANNER']}{digest}", f"--outfile={partial}"],
                   check=True)
    os.replace(partial, target)
    return target


if __name__ == "__main__":
    print(f"bundled static/js into {build().relative_to(ROOT)}", file=sys.stderr)
