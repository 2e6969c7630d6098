"""The build step of the wheel; everything else about the package is in pyproject.toml.

A wheel carries the page as package data: what backprop_viz/assets.py's MANIFEST names (the
templates, static/, gunicorn.conf.py and KaTeX's files from node_modules), copied to
backprop_viz/_page/ in the build directory only, so that nothing of KaTeX is ever committed and
an installed copy finds its files by the same rule as a clone. KaTeX must be the version
package-lock.json pins: when node_modules lacks it, the build runs `npm ci`, or stops and says so.
The page's modules are bundled afresh (tools/bundle.py), so the wheel's bundle is its own page's.
"""

from __future__ import annotations

import json
import runpy
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
ASSETS = runpy.run_path(str(HERE / "backprop_viz" / "assets.py"))


def installed_version(package: str) -> str | None:
    package_json = HERE / "node_modules" / package / "package.json"
    return json.loads(package_json.read_text())["version"] if package_json.exists() else None


def install_npm_packages() -> None:
    """node_modules as package-lock.json records it, as `make assets` installs it: KaTeX for the
    page, esbuild to bundle the page's modules."""
    pinned = json.loads((HERE / "package-lock.json").read_text())["packages"]
    wanted = {name: pinned[f"node_modules/{name}"]["version"] for name in ("katex", "esbuild")}
    if all(installed_version(name) == version for name, version in wanted.items()):
        return
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit(f"{wanted} are not all in node_modules and npm is missing: install "
                         "Node.js with npm, run `make assets` (npm ci), then build again.")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=HERE,
                   check=True)
    if any(installed_version(name) != version for name, version in wanted.items()):
        raise SystemExit(f"npm ci did not install {wanted} (see package-lock.json)")


class BuildPy(build_py):
    """The package's modules, then the page under backprop_viz/_page/, both from scratch so
    that no file left over from an earlier build gets into the wheel."""

    def run(self) -> None:
        package = Path(self.build_lib) / "backprop_viz"
        shutil.rmtree(package, ignore_errors=True)
        super().run()
        if self.editable_mode:      # an editable install runs from the clone, which has it all
            return
        install_npm_packages()
        runpy.run_path(str(HERE / "tools" / "bundle.py"))["build"]()   # static/build/page.js
        for pattern in ASSETS["MANIFEST"]:
            files = [f for f in sorted(HERE.glob(pattern)) if f.is_file()]
            if not files:
                raise SystemExit(f"the wheel needs {pattern}, and there is no such file")
            for source in files:
                target = package / ASSETS["INSTALLED"] / source.relative_to(HERE)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)


# The build's metadata in build/, not beside the package: a backprop_viz.egg-info in the
# repository's root would look installed to any Python started there (`python -m pip list`).
(HERE / "build").mkdir(exist_ok=True)
setup(cmdclass={"build_py": BuildPy}, options={"egg_info": {"egg_base": "build"}})
