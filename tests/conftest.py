"""Shared fixtures: the app and its client, a live server, a headless Chromium, a small trace."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from app import create_app

BROWSER_PATH = os.environ.get("BROWSER_PATH", "/usr/bin/chromium")
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync"]


@pytest.fixture
def app():
    return create_app({"TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    """The app served from a thread on a free port (under the app's own strict CSP)."""
    app = create_app({"TESTING": True})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright; never downloads a browser."""
    if not os.path.exists(BROWSER_PATH):
        pytest.skip(f"no browser at {BROWSER_PATH} (set BROWSER_PATH)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=BROWSER_PATH, headless=True,
                                     args=BROWSER_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def xyz_trace() -> dict:
    """CS231n's first example, out = (x + y) * z at x=−2, y=5, z=−4, written out by hand:
    out = −12; ∂out/∂x = ∂out/∂y = z = −4; ∂out/∂z = x + y = 3."""
    def var(nid: str, name: str, v: float, g: float) -> dict:
        return {"id": nid, "label": name, "kind": "variable", "op": None, "symbol": None,
                "shape": [1, 1], "value": [[v]], "grad": [[g]]}

    return {
        "expression": "out = (x + y) * z", "parsed": "out = (x + y) ∘ z", "output": "out",
        "value": -12.0, "f": "tanh", "seed": 0,
        "variables": {"x": {"shape": [1, 1], "value": [[-2.0]]},
                      "y": {"shape": [1, 1], "value": [[5.0]]},
                      "z": {"shape": [1, 1], "value": [[-4.0]]}},
        "gradients": {"x": [[-4.0]], "y": [[-4.0]], "z": [[3.0]]},
        "nodes": [
            var("n0", "x", -2.0, -4.0),
            var("n1", "y", 5.0, -4.0),
            {"id": "n2", "label": "x + y", "kind": "op", "op": "add", "symbol": "+",
             "shape": [1, 1], "value": [[3.0]], "grad": [[-4.0]]},
            var("n3", "z", -4.0, 3.0),
            {"id": "n4", "label": "out", "kind": "op", "op": "mul", "symbol": "∘",
             "shape": [1, 1], "value": [[-12.0]], "grad": [[1.0]]},
        ],
        "edges": [{"source": "n0", "target": "n2", "port": 0},
                  {"source": "n1", "target": "n2", "port": 1},
                  {"source": "n2", "target": "n4", "port": 0},
                  {"source": "n3", "target": "n4", "port": 1}],
        "steps": [
            {"phase": "forward", "node": "n0", "formula": "x", "value": [[-2.0]]},
            {"phase": "forward", "node": "n1", "formula": "y", "value": [[5.0]]},
            {"phase": "forward", "node": "n2", "formula": "x + y", "value": [[3.0]]},
            {"phase": "forward", "node": "n3", "formula": "z", "value": [[-4.0]]},
            {"phase": "forward", "node": "n4", "formula": "out = (x + y) ∘ z",
             "value": [[-12.0]]},
            {"phase": "backward", "node": "n4", "upstream": [[1.0]], "contributions": [],
             "inputs": [{"node": "n2", "port": 0, "local": [[-4.0]], "local_formula": "diag(z)",
                         "downstream": [[-4.0]]},
                        {"node": "n3", "port": 1, "local": [[3.0]],
                         "local_formula": "diag(x + y)", "downstream": [[3.0]]}]},
            {"phase": "backward", "node": "n3", "upstream": [[3.0]], "inputs": [],
             "contributions": [{"node": "n4", "downstream": [[3.0]]}]},
            {"phase": "backward", "node": "n2", "upstream": [[-4.0]],
             "contributions": [{"node": "n4", "downstream": [[-4.0]]}],
             "inputs": [{"node": "n0", "port": 0, "local": [[1.0]], "local_formula": "I",
                         "downstream": [[-4.0]]},
                        {"node": "n1", "port": 1, "local": [[1.0]], "local_formula": "I",
                         "downstream": [[-4.0]]}]},
            {"phase": "backward", "node": "n1", "upstream": [[-4.0]], "inputs": [],
             "contributions": [{"node": "n2", "downstream": [[-4.0]]}]},
            {"phase": "backward", "node": "n0", "upstream": [[-4.0]], "inputs": [],
             "contributions": [{"node": "n2", "downstream": [[-4.0]]}]},
        ],
        "warnings": [],
    }
