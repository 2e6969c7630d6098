"""The build step of the wheel; everything else about the package is in pyproject.toml.

A wheel carries the page as package data: what backprop_viz/assets.py's MANIFEST names (the
templates, static/, gunicorn.conf.py and KaTeX's files from node_modules), copied to
backprop_viz/_page/ in the build directory only, so that nothing of KaTeX is ever committed and
an installed copy finds its files by the same rule as a clone. KaTeX must be the version
package-lock.json pins: when node_modules lacks it, the build runs `npm ci`, or stops and says so.
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


def katex_version(package_json: Path) -> str | None:
    return json.loads(package_json.read_text())["version"] if package_json.exists() else None


def install_katex() -> None:
    """node_modules as package-lock.json records it, as `make assets` installs it."""
    pinned = json.loads((HERE / "package-lock.json").read_text())["packages"]
    wanted = pinned["node_modules/katex"]["version"]
    if katex_version(HERE / "node_modules" / "katex" / "package.json") == wanted:
        return
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit(f"KaTeX {wanted} is not in node_modules and npm is missing: install "
                         "Node.js with npm, run `make assets` (npm ci), then build again.")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=HERE,
                   check=True)
    if katex_version(HERE / "node_modules" / "katex" / "package.json") != wanted:
        raise SystemExit(f"npm ci did not install KaTeX {wanted} (see package-lock.json)")


class BuildPy(build_py):
    """The package's modules, then the page under backprop_viz/_page/, both from scratch so
    that no file left over from an earlier build gets into the wheel."""

    def run(self) -> None:
        package = Path(self.build_lib) / "backprop_viz"
        shutil.rmtree(package, ignore_errors=True)
        super().run()
        if self.editable_mode:      # an editable install runs from the clone, which has it all
            return
        install_katex()
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
