"""Where a request's time goes on issue 7's workload, measured in one run: `make bench`.

    python tools/bench.py [--quick] [--no-browser]
    TORCHVIZ_PYTHON=/tmp/tv/bin/python python tools/bench.py    # with torchviz, interleaved

The workload is an L-layer tanh net with 4×4 weights (L = 1 … 200) and the lecture's
expression with W 512×512. For each, the medians over a few repeats of every stage of
POST /api/trace, of `dot` alone, and of the whole request through Flask's test client; the
answer's size; ratios against torchviz; how our stages and `dot` grow with the node count; peak
memory; and, when Chromium and Playwright are there, page load and one step in the browser.

torchviz is timed only when TORCHVIZ_PYTHON names a Python with torch and torchviz (a throwaway
venv: it is never our dependency), by tools/torchviz_worker.py in that Python, once per repeat
right after our own requests on the same net, so that both meet the same noise. Without it the
report says it has no torchviz figures; it never divides by numbers from another day.

Every measurement of a workload happens in the same repeat loop, one after the other, so the
machine's noise hits them alike. Times are wall-clock on a shared machine: only ratios within
one run mean much. This tool reports; it checks no time and never fails on one.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_report import (  # noqa: E402
    BIG,
    TARGET_LOAD_MS,
    TARGET_STEP_MS,
    load_average,
    machine,
    report,
    verdict,
)

from app import create_app  # noqa: E402
from backprop_viz import boxes, compiled, gradcheck, inputs, jsonio, latex, render  # noqa: E402
from backprop_viz import graph as graph_mod  # noqa: E402
from backprop_viz.dot import run_dot  # noqa: E402
from backprop_viz.parser import parse  # noqa: E402

LAYERS = (1, 5, 20, 50, 100, 200)
LECTURE = "s = uᵀ f(Wx + b)"

# The graph box's width / height that the page sends, as on a 1280×720 laptop (844×445 px): a
# small graph's new structure then lays out its candidate layouts, as the page's does
PAGE_ASPECT = 1.9
STEP_NETS = (None, 100)                # the lecture, and the 100-layer net

BROWSER_PATH = os.environ.get("BROWSER_PATH", "/usr/bin/chromium")
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync"]

STAGES = ("front", "engine", "to_dict", "encode", "dot_text", "layout", "cached", "persistent",
          "one_shot", "known", "whole", "new", "torchviz")
SEEDS = itertools.count(1)   # every request gets a seed no earlier one had


# ---------------------------------------------------------------- workloads

def net(layers: int) -> tuple[str, dict]:
    """Issue 7's net: h_i = tanh(W_i h_(i−1) + b_i), 4×4 weights, s = uᵀ h_L."""
    lines = ["h0 = x"]
    lines += [f"h{i} = tanh(W{i} h{i - 1} + b{i})" for i in range(1, layers + 1)]
    lines.append(f"s = uᵀ h{layers}")
    variables: dict[str, dict] = {"x": {"shape": [4, 1]}}
    for i in range(1, layers + 1):
        variables[f"W{i}"] = {"shape": [4, 4]}
        variables[f"b{i}"] = {"shape": [4, 1]}
    return "\n".join(lines), variables


class Torchviz:
    """tools/torchviz_worker.py in TORCHVIZ_PYTHON, asked for one timing at a time."""

    def __init__(self, python: str) -> None:
        worker = Path(__file__).resolve().parent / "torchviz_worker.py"
        self.proc = subprocess.Popen([python, str(worker)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.versions = self._ask("versions")

    def _ask(self, line: str) -> str:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline()
        if not answer:
            raise RuntimeError(f"tools/torchviz_worker.py stopped (exit {self.proc.poll()})")
        return answer.strip()

    def time(self, layers: int) -> float:
        return float(self._ask(str(layers)))

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=10)


def start_torchviz() -> Torchviz | None:
    python = os.environ.get("TORCHVIZ_PYTHON")
    return Torchviz(python) if python else None


def workloads() -> list[tuple[str, str, dict]]:
    nets = [(f"L={layers}", *net(layers)) for layers in LAYERS]
    return [*nets, (BIG, LECTURE, {"W": {"shape": [512, 512]}})]


# ---------------------------------------------------------------- measuring

def clock(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Milliseconds one call takes, and what it returned."""
    started = time.perf_counter()
    result = fn()
    return (time.perf_counter() - started) * 1000, result


def front(expression: str, variables: dict | None) -> graph_mod.Graph:
    """The stages of inputs.trace before any value exists: read, parse, graph."""
    req = inputs.read(expression, variables)
    program = parse(req.expression, frozenset(req.names))
    return graph_mod.build(program, req.f, req.shapes)


def forget() -> None:
    """Nothing this process has worked out before is kept: not the structure, not its layout,
    and not any text it has measured or converted to LaTeX (a new expression's labels are new
    strings; the same expression again would find them all cached, 36 % of a new L = 50
    structure's instructions)."""
    render.LAYOUTS.clear()
    compiled.CACHE.clear()
    for cached in (latex.to_latex, latex.name, boxes.width, boxes.cut):
        cached.cache_clear()


def one_repeat(client: Any, expression: str, variables: dict, tv: Torchviz | None,
               layers: int | None) -> tuple[dict, dict]:
    """Every figure of one workload once, back to back; returns times (ms) and sizes."""
    ms: dict[str, float] = {}
    ms["front"], _ = clock(lambda: front(expression, variables))
    whole, trace = clock(lambda: inputs.trace(expression, variables))
    ms["engine"] = whole - ms["front"]          # values drawn + forward + backward
    ms["to_dict"], body = clock(trace.to_dict)
    ms["dot_text"], source = clock(lambda: render.structure(trace))
    render.LAYOUTS.clear()
    ms["layout"], (svg, _) = clock(lambda: render.LAYOUTS.get(source))
    ms["cached"], _ = clock(lambda: render.LAYOUTS.get(source))
    ms["encode"], answer = clock(lambda: jsonio.dumps({**body, "svg": svg}))
    ms["persistent"], _ = clock(lambda: render.DOT.svg(source))     # dot alone, no trimming
    ms["one_shot"], _ = clock(lambda: run_dot(source, "svg"))

    def post(structure: str | None = None) -> bytes:
        request = {"expression": expression, "variables": variables, "seed": next(SEEDS),
                   "aspect": PAGE_ASPECT}
        if structure:
            request["structure"] = structure
        response = client.post("/api/trace", json=request)
        if response.status_code != 200:
            raise RuntimeError(f"/api/trace answered {response.status_code}: "
                               f"{response.get_data(as_text=True)[:300]}")
        return response.data

    forget()
    ms["new"], full = clock(post)     # a structure never seen: nothing cached
    key = orjson.loads(full)["structure"]
    ms["whole"], _ = clock(post)      # structure cached, but the page holds none: all sent
    ms["known"], numbers = clock(lambda: post(key))   # the page holds it: numbers only
    ms["torchviz"] = tv.time(layers) if tv and layers else float("nan")
    sizes = {"nodes": len(trace.nodes), "json": len(jsonio.dumps(body)),
             "svg": len(svg.encode()), "answer": len(answer), "numbers": len(numbers)}
    return ms, sizes


def measure(repeat: int, big_repeat: int, tv: Torchviz | None) -> list[tuple[str, dict, dict]]:
    """Per workload: the median of each figure, and the answer's sizes."""
    client = create_app({"TESTING": True}).test_client()
    results = []
    for label, expression, variables in workloads():
        n = big_repeat if label in ("L=200", BIG) else repeat
        layers = int(label[2:]) if label.startswith("L=") else None
        one_repeat(client, expression, variables, tv, layers)   # warm-up, not counted
        runs = [one_repeat(client, expression, variables, tv, layers) for _ in range(n)]
        medians = {k: statistics.median(ms[k] for ms, _ in runs) for k in STAGES}
        medians["ours"] = statistics.median(
            sum(ms[k] for k in ("front", "engine", "to_dict", "encode", "dot_text"))
            for ms, _ in runs)
        results.append((label, medians, runs[-1][1] | {"repeat": n}))
    return results


def check_cost(repeat: int) -> list[str]:
    """What the gradient check adds to a request: gradcheck.check alone, against the whole
    POST /api/trace (which includes it; layout cached, fresh seed), at the lecture's size, with
    W 512×512 and at L = 200."""
    client = create_app({"TESTING": True}).test_client()
    cases = [("lecture", LECTURE, None), *(w for w in workloads() if w[0] in (BIG, "L=200"))]
    lines = []
    for label, expression, variables in cases:
        gr = front(expression, variables)
        request = {"expression": expression, "variables": variables}
        client.post("/api/trace", json=request)                 # warm-up: layout cached
        whole, alone = [], []
        for _ in range(repeat):
            body = request | {"seed": next(SEEDS)}
            ms, _ = clock(lambda body=body: client.post("/api/trace", json=body))
            whole.append(ms)
            trace = inputs.trace(expression, variables, "tanh", body["seed"])
            ms, check = clock(lambda gr=gr, trace=trace: gradcheck.check(gr, trace))
            alone.append(ms)
        w, c = statistics.median(whole), statistics.median(alone)
        worst = "none counted" if check.max_rel_error is None else f"{check.max_rel_error:.1e}"
        lines.append(f"{label}: check {c:.2f} ms of a {w:.2f} ms request ({100 * c / w:.0f} %; "
                     f"without it {w - c:.2f} ms); method {check.method}, {check.passes} "
                     f"forward passes, {check.checked} of {check.total} entries or directions, "
                     f"max rel. error {worst}")
    return lines


# ---------------------------------------------------------------- the browser

def browser_figures(loads: int, steps: int) -> list[str]:
    """Page load to graph shown, and one step, in headless Chromium against a live server."""
    if not os.path.exists(BROWSER_PATH):
        return [f"skipped: no browser at {BROWSER_PATH} (set BROWSER_PATH)"]
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:
        return [f"skipped: playwright does not import ({err})"]
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, create_app({"TESTING": True}), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}/"
    lines = []
    try:
        with sync_playwright() as p:
            chromium = p.chromium.launch(executable_path=BROWSER_PATH, headless=True,
                                         args=BROWSER_ARGS)
            try:
                lines += page_load(chromium, base, loads)
                for layers in STEP_NETS:
                    lines.append(one_step(chromium, base, layers, steps))
            finally:
                chromium.close()
    finally:
        server.shutdown()
        thread.join()
    return lines


# Milestones of a page load, ms since navigation start: where the time to the graph goes.
MILESTONES_JS = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const api = performance.getEntriesByType("resource").filter(
    (e) => e.name.endsWith("/api/trace")).pop();
  return {
    page: nav.responseEnd, ready: nav.domContentLoadedEventEnd,
    asked: api ? api.startTime : NaN, answered: api ? api.responseEnd : NaN,
    shown: performance.getEntriesByName("graph-shown")[0].startTime,
  };
}"""


def shown(page: Any, url: str) -> dict[str, float]:
    """Open `url`, wait for controls.js's performance.mark("graph-shown"); the milestones."""
    page.goto(url)
    page.wait_for_function("() => performance.getEntriesByName('graph-shown').length > 0",
                           timeout=60_000)
    return page.evaluate(MILESTONES_JS)


def page_load(chromium: Any, base: str, loads: int) -> list[str]:
    """Fresh context each time (empty browser cache); the server's layout cache is warm from
    the second load on, as it is for a class opening the same page."""
    url = base + "?" + urlencode({"expr": LECTURE})
    runs = []
    for _ in range(loads):
        context = chromium.new_context(viewport={"width": 1400, "height": 900})
        runs.append(shown(context.new_page(), url))
        context.close()
    times = [r["shown"] for r in runs]
    median = statistics.median(times)
    at = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    return [f"page load → graph shown, {LECTURE}: median {median:.0f} ms of {loads} loads "
            f"(each: {', '.join(f'{t:.0f}' for t in times)}); target ≤ {TARGET_LOAD_MS:.0f} ms: "
            f"{verdict(median <= TARGET_LOAD_MS)}",
            f"  median milestones, ms from navigation: HTML in {at['page']:.0f}, DOM ready "
            f"{at['ready']:.0f}, /api/trace asked {at['asked']:.0f}, answered "
            f"{at['answered']:.0f}, graph shown {at['shown']:.0f}"]


# A key press as the page gets it, timed around the synchronous dispatch and the style and
# layout it leaves to do: the handler moves the graph's classes and slots and puts the panel in
# place before dispatchEvent returns, and reading a box then lays the page out (all but the
# paint). The event goes to document.body, the target a real key press has when nothing is
# focused. Between presses the page gets the pause a reader takes (GAP_MS), in which it may
# prepare the next panel, as it does for a person stepping; `steps` presses forward, then as
# many back.
STEP_JS = """async ([steps, gap]) => {
  const counter = document.getElementById("counter");
  const run = async (key) => {
    const times = [];
    let moved = 0;
    for (let i = 0; i < steps; i++) {
      const before = counter.textContent;
      const event = new KeyboardEvent("keydown", {key, bubbles: true, cancelable: true});
      const t0 = performance.now();
      document.body.dispatchEvent(event);
      document.body.getBoundingClientRect();   // style and layout as well: drawn, not only set
      times.push(performance.now() - t0);
      if (counter.textContent !== before) moved++;
      await new Promise((done) => setTimeout(done, gap));
    }
    return {times, moved};
  };
  return {forward: await run("ArrowRight"), back: await run("ArrowLeft")};
}"""
GAP_MS = 120


def one_step(chromium: Any, base: str, layers: int | None, steps: int) -> str:
    """Key press to graph and panel drawn, forward then back, from the middle of the trace of
    the lecture (layers None) or the L-layer net."""
    expression, variables = (LECTURE, None) if layers is None else net(layers)
    total = len(inputs.trace(expression, variables).steps)
    steps = min(steps, total // 2)
    start = max(0, total // 2 - steps // 2)
    query = {"expr": expression, "step": start}
    if variables:
        query["vars"] = json.dumps(variables)
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        shown(page, base + "?" + urlencode(query))
        page.wait_for_function("() => document.querySelector('#panel .katex') !== null")
        result = page.evaluate(STEP_JS, [steps, GAP_MS])
    finally:
        context.close()
    name = "the lecture" if layers is None else f"L={layers}"
    parts = []
    for way in ("forward", "back"):
        r = result[way]
        median = statistics.median(r["times"])
        moved = "" if r["moved"] == steps else f", only {r['moved']} moved the step"
        parts.append(f"{way} median {median:.2f} ms (max {max(r['times']):.2f}{moved}) "
                     f"{verdict(median <= TARGET_STEP_MS)}")
    return (f"one step, {name}, {steps} presses each way, {GAP_MS} ms apart: "
            f"{'; '.join(parts)}; target ≤ {TARGET_STEP_MS:g} ms")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer repeats: a smoke run")
    p.add_argument("--no-browser", action="store_true", help="skip the Chromium figures")
    args = p.parse_args()
    repeat, big_repeat, loads, steps = (3, 2, 3, 20) if args.quick else (7, 5, 7, 40)

    # One log line per request, as served, but written nowhere: the report stays readable.
    # (Importing app made the app's module-level instance, which set the handler up.)
    devnull = open(os.devnull, "w")
    for handler in logging.getLogger("backprop_viz").handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(devnull)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    print(f"make bench: {machine()}")
    print(f"Times are wall-clock medians on a shared machine ({load_average()} at the start): "
          "only ratios\nwithin one run mean much.")
    started = time.perf_counter()
    tv = start_torchviz()
    print(f"torchviz: {tv.versions} ({os.environ['TORCHVIZ_PYTHON']}), timed in the same run"
          if tv else "torchviz: none (set TORCHVIZ_PYTHON to a Python with torch and torchviz)")
    try:
        results = measure(repeat, big_repeat, tv)
    finally:
        if tv:
            tv.close()
    report(results)
    print("\nThe gradient check (gradcheck.py), median of "
          f"{repeat} requests each; layout cached, fresh seeds:")
    for line in check_cost(repeat):
        print(f"  {line}")
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kib //= 1024 if sys.platform == "darwin" else 1     # macOS reports bytes
    print(f"\nPeak RSS of the bench process (ru_maxrss): {kib:,} KiB ({kib / 1024:,.0f} MiB)")

    if not args.no_browser:
        print("\nBrowser (headless Chromium, live server on 127.0.0.1):")
        for line in browser_figures(loads, steps):
            print(f"  {line}")
    print(f"\nbench took {time.perf_counter() - started:.0f} s, {load_average()} at the end "
          f"({'quick' if args.quick else 'full'}: {repeat} repeats, {big_repeat} for L=200 "
          f"and {BIG})")


if __name__ == "__main__":
    main()
