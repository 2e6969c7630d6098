"""backprop_viz in a notebook: a small notebook run headless by nbclient, on a kernel that is this
Python, shows the stepper inline; the output then steps in Chromium with no network."""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import NATIVE_KERNEL_NAME
from nbclient import NotebookClient
from playwright.sync_api import expect

from tests.test_exports import open_offline

ROOT = Path(__file__).resolve().parent.parent
CELLS = [
    "import numpy as np\n"
    "from backprop_viz import trace\n"
    't = trace("s = uᵀ f(Wx + b)", W=np.arange(12.0).reshape(3, 4) / 10, f="relu")\n'
    "t",
    "import sys\n"
    'print(sys.executable, type(t.value).__name__, t.gradients["W"].shape, len(t.steps))',
]


@pytest.fixture(scope="module")
def outputs() -> list[list[dict]]:
    """Each cell's outputs, the notebook run by the kernel of this very Python (ipykernel's
    own kernel spec starts sys.executable), from the repository root, with no server."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    client = NotebookClient(notebook, kernel_name=NATIVE_KERNEL_NAME, timeout=120,
                            resources={"metadata": {"path": str(ROOT)}})
    client.execute()
    return [cell.outputs for cell in notebook.cells]


def test_displaying_a_trace_shows_the_stepper_inline(outputs):
    (shown,) = outputs[0]
    assert shown.output_type == "execute_result"
    view = shown.data["text/html"]
    m = re.fullmatch(r'<iframe sandbox="allow-scripts" [^>]*srcdoc="([^"]*)"></iframe>', view)
    assert m, view[:200]
    page = html.unescape(m[1])
    assert '<script type="importmap">' in page and '"bpv/static/js/standalone.js"' in page
    assert '<script id="trace" type="application/json">' in page
    assert '"expression":"s = uᵀ f(Wx + b)"' in page and '"f":"relu"' in page


def test_the_kernel_is_this_python_and_the_trace_is_typed(outputs):
    (printed,) = outputs[1]
    assert printed.text == f"{sys.executable} float (3, 4) 18\n"


@pytest.mark.browser
def test_the_notebook_output_steps_offline(browser, outputs, tmp_path):
    host = tmp_path / "notebook.html"
    host.write_text("<!doctype html><meta charset=utf-8><title>out</title>"
                    + outputs[0][0].data["text/html"], encoding="utf-8")
    context, page, errors, seen = open_offline(browser, host.as_uri())
    try:
        frame = page.frame_locator("iframe")
        expect(frame.locator("#counter")).to_have_text("step 0 of 18 · forward")
        frame.locator("#next").click()
        assert frame.locator("#counter").inner_text() == "step 1 of 18 · forward"
        assert errors == []
        assert all(u.startswith(("file:", "data:", "about:")) for u in seen), seen
    finally:
        context.close()
