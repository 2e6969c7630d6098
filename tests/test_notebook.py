"""backprop_viz in a notebook: a small notebook run headless by nbclient, on a kernel that is this
Python, shows the stepper inline; the output then steps in Chromium with no network.
tests/test_wheel.py runs the same notebook, with the same checks, on an installed copy."""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import NATIVE_KERNEL_NAME
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from playwright.sync_api import Browser, expect

from tests.test_exports import open_offline

ROOT = Path(__file__).resolve().parent.parent
CELLS = [
    "import numpy as np\n"
    "from backprop_viz import trace\n"
    't = trace("s = uᵀ f(Wx + b)", W=np.arange(12.0).reshape(3, 4) / 10, f="relu")\n'
    "t",
    "import sys, backprop_viz\n"
    "print(sys.executable, backprop_viz.__file__, type(t.value).__name__, "
    't.gradients["W"].shape, len(t.steps))',
]


def run_notebook(cwd: Path, km: KernelManager | None = None) -> list[list[dict]]:
    """Each cell's outputs, the notebook run from `cwd` by `km`'s kernel (by default
    ipykernel's own kernel spec, which starts sys.executable), with no server."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    client = NotebookClient(notebook, km=km, kernel_name=NATIVE_KERNEL_NAME, timeout=120,
                            resources={"metadata": {"path": str(cwd)}})
    client.execute()
    return [cell.outputs for cell in notebook.cells]


def check_stepper_shown(outputs: list[list[dict]]) -> None:
    """The trace displays as the standalone page in a sandboxed iframe, KaTeX inlined."""
    (shown,) = outputs[0]
    assert shown.output_type == "execute_result"
    view = shown.data["text/html"]
    m = re.fullmatch(r'<iframe sandbox="allow-scripts" [^>]*srcdoc="([^"]*)"></iframe>', view)
    assert m, view[:200]
    page = html.unescape(m[1])
    assert '<script type="importmap">' in page and '"bpv/static/js/standalone.js"' in page
    assert '"bpv/vendor/katex/katex.mjs"' in page
    assert '<script id="trace" type="application/json">' in page
    assert '"expression":"s = uᵀ f(Wx + b)"' in page and '"f":"relu"' in page


def check_kernel(outputs: list[list[dict]], python: str, package: Path) -> None:
    (printed,) = outputs[1]
    assert printed.text == f"{python} {package / '__init__.py'} float (3, 4) 18\n"


def check_steps_offline(browser: Browser, outputs: list[list[dict]], folder: Path) -> None:
    """The output, in a page of its own, steps in Chromium with every request but file: and
    data: refused; the panel's math is typeset by the inlined KaTeX."""
    host = folder / "notebook.html"
    host.write_text("<!doctype html><meta charset=utf-8><title>out</title>"
                    + outputs[0][0].data["text/html"], encoding="utf-8")
    context, page, errors, seen = open_offline(browser, host.as_uri())
    try:
        frame = page.frame_locator("iframe")
        expect(frame.locator("#counter")).to_have_text("step 0 of 18 · forward")
        frame.locator("#next").click()
        assert frame.locator("#counter").inner_text() == "step 1 of 18 · forward"
        expect(frame.locator("#panel .katex").first).to_be_visible()
        assert errors == []
        assert all(u.startswith(("file:", "data:", "about:")) for u in seen), seen
    finally:
        context.close()


@pytest.fixture(scope="module")
def outputs() -> list[list[dict]]:
    return run_notebook(ROOT)


def test_displaying_a_trace_shows_the_stepper_inline(outputs):
    check_stepper_shown(outputs)


def test_the_kernel_is_this_python_and_the_trace_is_typed(outputs):
    check_kernel(outputs, sys.executable, ROOT / "backprop_viz")


@pytest.mark.browser
def test_the_notebook_output_steps_offline(browser, outputs, tmp_path):
    check_steps_offline(browser, outputs, tmp_path)
