"""Headless screenshots of the page, for looking at it and for the README.

    python3 tools/screenshots.py [OUT_DIR]      # default /tmp/shots

Serves the app from a thread, opens it in Debian's Chromium (BROWSER_PATH) at 1400×900 and
800×900, and saves: a forward step, the backward step on the tanh node, and an error with its
caret. Also writes docs/screenshot.png (the backward step, wide, cropped) for the README.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from urllib.parse import urlencode

from playwright.sync_api import Page, sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from backprop_viz.engine import trace_json  # noqa: E402

EXPRESSION = "s = uᵀ f(Wx + b)"
SIZES = {"wide": (1400, 900), "narrow": (800, 900)}
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync"]


def steps_to_show() -> dict[str, int]:
    """k for each shot: the forward step on z = Wx + b, the backward step on tanh."""
    trace = trace_json(EXPRESSION)
    ops = {n["id"]: n["op"] for n in trace["nodes"]}
    k_forward = next(k for k, s in enumerate(trace["steps"], 1)
                     if s["phase"] == "forward" and ops[s["node"]] == "add")
    k_backward = next(k for k, s in enumerate(trace["steps"], 1)
                      if s["phase"] == "backward" and ops[s["node"]] == "tanh")
    return {"forward": k_forward, "backward": k_backward}


def shoot(page: Page, url: str, path: Path, crop: bool = False) -> None:
    """The viewport; cropped: from the expression box to the bottom of graph and panel."""
    page.goto(url)
    page.wait_for_selector("#graph svg g.node")
    if not crop:
        page.screenshot(path=str(path))
        return
    top = page.locator("#expr-form").bounding_box()["y"]
    bottom = max(page.locator(sel).bounding_box()["y"] + page.locator(sel).bounding_box()["height"]
                 for sel in (".graph-wrap", "#panel"))
    page.screenshot(path=str(path), clip={"x": 0, "y": top - 8, "width": 1400,
                                          "height": bottom - top + 16})


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    server = make_server("127.0.0.1", 0, create_app(), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}/"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=os.environ.get("BROWSER_PATH", "/usr/bin/chromium"),
            headless=True, args=BROWSER_ARGS)
        for size, (width, height) in SIZES.items():
            page = browser.new_page(viewport={"width": width, "height": height})
            for name, k in steps_to_show().items():
                shoot(page, base + "?" + urlencode({"expr": EXPRESSION, "step": k}),
                      out / f"{name}-{size}.png")
            page.fill("#expr", "s = uᵀ tanhh(Wx + b)")
            page.press("#expr", "Control+Enter")
            page.wait_for_selector("#expr-error:not([hidden])")
            page.screenshot(path=str(out / f"error-{size}.png"))
            page.close()
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        shoot(page, base + "?" + urlencode({"expr": EXPRESSION,
                                            "step": steps_to_show()["backward"]}),
              ROOT / "docs" / "screenshot.png", crop=True)
        browser.close()
    server.shutdown()
    print(f"saved to {out} and {ROOT / 'docs' / 'screenshot.png'}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/shots"))
