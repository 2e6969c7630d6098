"""The package as a user installs it: the wheel built from this clone and installed with the
runtime lock into a new venv outside the repository carries the page and KaTeX, serves them
with `backprop-viz serve`, and shows the stepper in a notebook run on that venv's Python, which
steps in Chromium with no network; no test or dev package comes with it.

Slow (about a minute): pip builds the wheel with the pinned setuptools and installs the locks,
from PyPI or its cache.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager

from backprop_viz import __version__, assets, web
from tests.test_cli import check_page_served, get, serving
from tests.test_notebook import (
    check_kernel,
    check_stepper_shown,
    check_steps_offline,
    run_notebook,
)

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==\S+$")


def name(text: str) -> str:
    """A distribution's name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", text).lower()


def lock(path: Path) -> set[str]:
    """The names a lock file pins, with those of the locks it includes (`-r`)."""
    names: set[str] = set()
    for line in path.read_text().splitlines():
        if line.startswith("-r "):
            names |= lock(path.parent / line.removeprefix("-r ").strip())
        elif m := PIN.match(line.strip()):
            names.add(name(m[1]))
    return names


RUNTIME = lock(ROOT / "requirements.txt")
TEST_AND_DEV = lock(ROOT / "requirements-test.txt") - RUNTIME


def run(*argv: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run([str(a) for a in argv], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, f"{argv}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@dataclass(frozen=True)
class Installed:
    wheel: Path
    home: Path              # the venv
    work: Path              # a folder outside the repository, where the user works
    distributions: frozenset[str]   # what the venv held right after installing the wheel

    @property
    def python(self) -> Path:
        return self.home / "bin" / "python"

    def pip(self, *argv: str | Path) -> str:
        """This Python's pip, installing into the venv (which has no pip of its own)."""
        return run(sys.executable, "-m", "pip", "--python", self.python, *argv)


def distributions(python: Path) -> frozenset[str]:
    code = ("import importlib.metadata as m, json; "
            "print(json.dumps([d.metadata['Name'] for d in m.distributions()]))")
    return frozenset(name(n) for n in json.loads(run(python, "-I", "-c", code)))


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    """The wheel, built as `pip install <clone>` builds it, installed with --no-deps and the
    runtime lock into a venv created with nothing in it, not even pip; then pip check."""
    dist = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", dist, ROOT)
    (wheel,) = dist.glob("backprop_viz-*.whl")
    home = tmp_path_factory.mktemp("venv")
    run(sys.executable, "-m", "venv", "--without-pip", home)
    venv = Installed(wheel, home, tmp_path_factory.mktemp("work"), frozenset())
    venv.pip("install", "--quiet", "--no-deps", "-r", ROOT / "requirements.txt", wheel)
    venv.pip("check")
    return Installed(wheel, home, venv.work, distributions(venv.python))


def test_the_wheel_brings_the_runtime_lock_and_no_test_package(installed):
    assert installed.distributions == RUNTIME | {"backprop-viz"}
    assert not installed.distributions & TEST_AND_DEV
    with zipfile.ZipFile(installed.wheel) as whl:
        metadata = whl.read(f"backprop_viz-{__version__}.dist-info/METADATA").decode()
    requires = re.findall(r"^Requires-Dist: ([A-Za-z0-9_.-]+)(.*)$", metadata, re.M)
    assert {name(n) for n, rest in requires if "extra ==" not in rest} <= RUNTIME
    assert {name(n) for n, rest in requires if "extra ==" in rest} <= TEST_AND_DEV


def test_pip_resolving_the_wheel_itself_picks_no_test_package(installed):
    """What a plain `pip install` of the wheel would fetch, dependencies resolved by pip."""
    report = json.loads(installed.pip("install", "--dry-run", "--ignore-installed", "--quiet",
                                      "--report", "-", installed.wheel))
    picked = {name(item["metadata"]["name"]) for item in report["install"]}
    assert "backprop-viz" in picked and not picked & TEST_AND_DEV, picked


def test_the_wheel_carries_the_package_the_page_and_katex(installed):
    with zipfile.ZipFile(installed.wheel) as whl:
        files = {n for n in whl.namelist() if not n.startswith("backprop_viz-")}
    page = f"backprop_viz/{assets.INSTALLED}/"
    modules = {f"backprop_viz/{p.relative_to(ROOT / 'backprop_viz')}"
               for p in (ROOT / "backprop_viz").rglob("*")
               if p.is_file() and "__pycache__" not in p.parts}
    assert {f for f in files if not f.startswith(page)} == modules
    copied = {str(p.relative_to(ROOT)) for pattern in assets.MANIFEST
              for p in ROOT.glob(pattern) if p.is_file()}
    assert {f.removeprefix(page) for f in files if f.startswith(page)} == copied
    katex = ROOT / assets.KATEX     # exactly what the app serves from node_modules, and its licence
    served = {f"{assets.KATEX}/{p.relative_to(katex)}" for p in katex.rglob("*")
              if web.KATEX_FILES.fullmatch(str(p.relative_to(katex)))}
    assert {f for f in copied if f.startswith("node_modules/")} == {
        *served, "node_modules/katex/LICENSE"}


def test_the_command_runs_from_the_venv_with_its_own_copy(installed):
    command = installed.home / "bin" / "backprop-viz"
    assert run(command, "--version", cwd=installed.work) == f"backprop-viz {__version__}\n"
    out = run(command, "trace", "(x + y) * z", "--var", "x=-2", "--var", "y=5", "--var", "z=-4",
              cwd=installed.work)
    assert "out = -12" in out
    where = run(installed.python, "-c", "from backprop_viz import assets; print(assets.root())",
                cwd=installed.work)
    assert Path(where.strip()).is_relative_to(installed.home)


def test_backprop_viz_serve_serves_the_page_and_katex_from_the_wheel(installed):
    argv = [installed.home / "bin" / "backprop-viz", "serve", "--port", "0", "--workers", "1"]
    with serving([str(a) for a in argv], installed.work / "serve.log", cwd=installed.work) as url:
        check_page_served(url)
        _, _, katex = get(url + "/vendor/katex/katex.mjs")
    assert katex == (ROOT / assets.KATEX / "katex.mjs").read_bytes()
    assert "Starting gunicorn" in (installed.work / "serve.log").read_text()


@pytest.fixture(scope="module")
def outputs(installed) -> list[list[dict]]:
    """The notebook, run from the work folder on a kernel that is the venv's Python. The kernel
    needs ipykernel, added (at the test lock's pins) only after the venv's contents were read."""
    installed.pip("install", "--quiet", "-c", ROOT / "requirements-test.txt", "ipykernel")
    kernels = installed.work / "kernels"
    (kernels / "installed").mkdir(parents=True)
    (kernels / "installed" / "kernel.json").write_text(json.dumps({
        "argv": [str(installed.python), "-I", "-m", "ipykernel_launcher", "-f",
                 "{connection_file}"],
        "display_name": "backprop-viz, installed", "language": "python"}))
    km = KernelManager(kernel_name="installed",
                       kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels)]))
    return run_notebook(installed.work, km)


def test_the_installed_notebook_shows_the_stepper(installed, outputs):
    check_stepper_shown(outputs)
    site = run(installed.python, "-I", "-c", "import backprop_viz; print(backprop_viz.__file__)")
    check_kernel(outputs, str(installed.python), Path(site.strip()).parent)


@pytest.mark.browser
def test_the_installed_notebook_output_steps_offline(browser, outputs, tmp_path):
    check_steps_offline(browser, outputs, tmp_path)
