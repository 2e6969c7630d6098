"""Headless screenshots of the page, for looking at it and for the README.

    python3 tools/screenshots.py [OUT_DIR]      # default /tmp/shots

Serves the app from a thread, opens it in Debian's Chromium (BROWSER_PATH) at 1280×720 and
1920×1080, light and dark, and saves: a forward step; the lecture preset's backward steps on the
tanh node and on W · x, each in the shape convention and in the Jacobian form; the gates and
mini-batch presets; an error with its caret; a 20-layer net fitted; and the scalar view with a
loss curve; and the page in Korean (lang=ko) on those two backward steps. Also writes
docs/screenshot.png (the backward step on W · x at 1280×720, light), docs/screenshot-ko.png (the
same in Korean) and docs/training.png (the 2-layer softmax in the scalar view after 50 training
steps) for the README.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from itertools import product
from pathlib import Path
from urllib.parse import urlencode

from playwright.sync_api import Page, sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from backprop_viz import trace  # noqa: E402
from backprop_viz.presets import BY_ID  # noqa: E402
from backprop_viz.tracedata import ForwardStep  # noqa: E402

EXPRESSION = "s = uᵀ f(Wx + b)"
SIZES = {"laptop": (1280, 720), "full-hd": (1920, 1080)}
NET = "\n".join(["h0 = x"] + [f"h{i} = tanh(W{i} h{i - 1} + b{i})" for i in range(1, 21)]
                + ["s = uᵀ h20"])
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync"]


def steps_to_show() -> dict[str, int]:
    """k for each shot: the forward step on z = Wx + b, the backward step on tanh."""
    t = trace(EXPRESSION)
    k_forward = next(k for k, s in enumerate(t.steps, 1)
                     if isinstance(s, ForwardStep) and t.node(s.node).op == "add")
    k_backward = next(k for k, s in enumerate(t.steps, 1)
                      if not isinstance(s, ForwardStep) and t.node(s.node).op == "tanh")
    return {"forward": k_forward, "backward": k_backward}


def preset_url(base: str, preset_id: str, **params: object) -> str:
    p = BY_ID[preset_id]
    return base + "?" + urlencode({"expr": p.expression, "f": p.f, "seed": p.seed,
                                   "vars": json.dumps(p.variables), **params})


def lecture_steps() -> dict[str, int]:
    """k of the lecture preset's backward steps on tanh and on W · x."""
    p = BY_ID["lecture"]
    t = trace(p.expression, p.variables, p.f, p.seed)
    def k_of(test) -> int:
        return next(k for k, s in enumerate(t.steps, 1)
                    if not isinstance(s, ForwardStep) and test(t.node(s.node)))
    return {"tanh": k_of(lambda n: n.op == "tanh"),
            "W": k_of(lambda n: n.op == "matmul" and t.node(n.inputs[0]).label == "W")}


def shoot(page: Page, url: str, path: Path) -> None:
    page.goto(url)
    page.wait_for_selector("#graph svg g.node")
    page.screenshot(path=str(path))


def train_shot(page: Page, base: str, path: Path) -> None:
    """The 2-layer softmax in the scalar view, backward on θ₃, after Train 50 steps: the graph's
    bottom, the panel, and the training section with its loss curve."""
    net = BY_ID["two-layer-softmax"]
    t = trace(net.expression, net.variables, net.f, net.seed, view="scalar")
    k = next(k for k, s in enumerate(t.steps, 1)
             if not isinstance(s, ForwardStep) and t.node(s.node).label == "θ₃")
    page.goto(base + "?" + urlencode({"expr": net.expression, "vars": json.dumps(net.variables),
                                      "f": net.f, "seed": net.seed, "view": "scalar", "step": k}))
    page.wait_for_selector("#graph svg g.node")
    page.fill("#train-k", "50")
    page.click("#train")
    page.wait_for_selector("#loss-figure:not([hidden]) svg polyline")
    page.wait_for_function("() => document.querySelector('#train-result').textContent"
                           ".includes('→')")
    page.evaluate("() => document.getElementById('training').scrollIntoView({block: 'end'})")
    page.screenshot(path=str(path))


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    server = make_server("127.0.0.1", 0, create_app(), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}/"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=os.environ.get("BROWSER_PATH", "/usr/bin/chromium"),
            headless=True, args=BROWSER_ARGS)
        for (size, (width, height)), scheme in product(SIZES.items(), ("light", "dark")):
            page = browser.new_page(viewport={"width": width, "height": height},
                                    color_scheme=scheme)
            for name, k in steps_to_show().items():
                shoot(page, base + "?" + urlencode({"expr": EXPRESSION, "step": k}),
                      out / f"{name}-{size}-{scheme}.png")
            for (at, k), form in product(lecture_steps().items(), ("shape", "jacobian")):
                shoot(page, preset_url(base, "lecture", step=k, form=form),
                      out / f"lecture-{at}-{form}-{size}-{scheme}.png")
            for at, k in lecture_steps().items():
                shoot(page, preset_url(base, "lecture", step=k, lang="ko"),
                      out / f"lecture-{at}-ko-{size}-{scheme}.png")
            for preset in ("gates", "mini-batch"):
                shoot(page, preset_url(base, preset, step=100),
                      out / f"{preset}-{size}-{scheme}.png")
            page.fill("#expr", "s = uᵀ tanhh(Wx + b)")
            page.press("#expr", "Control+Enter")
            page.wait_for_selector("#expr-error:not([hidden])")
            page.screenshot(path=str(out / f"error-{size}-{scheme}.png"))
            shoot(page, base + "?" + urlencode({"expr": NET, "step": 100}),
                  out / f"net20-{size}-{scheme}.png")
            page.click("#zoom-fit")
            page.screenshot(path=str(out / f"net20-fitted-{size}-{scheme}.png"))
            train_shot(page, base, out / f"training-{size}-{scheme}.png")
            page.close()
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        shoot(page, preset_url(base, "lecture", step=lecture_steps()["W"]),
              ROOT / "docs" / "screenshot.png")
        shoot(page, preset_url(base, "lecture", step=lecture_steps()["W"], lang="ko"),
              ROOT / "docs" / "screenshot-ko.png")
        train_shot(page, base, ROOT / "docs" / "training.png")
        browser.close()
    server.shutdown()
    docs = ROOT / "docs"
    print(f"saved to {out}, {docs / 'screenshot.png'}, {docs / 'screenshot-ko.png'} and "
          f"{docs / 'training.png'}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/shots"))
