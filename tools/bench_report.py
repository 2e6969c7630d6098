"""The report of `make bench` (tools/bench.py): the targets of issue 14, the tables and the
verdicts, from the figures the bench measured; nothing is measured here."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from pathlib import Path

import numpy as np

FIT_LAYERS = (5, 20, 50, 100, 200)   # L = 1 is start-up cost more than growth
BIG = "W 512×512"
TARGET_LAYERS = (1, 20, 50, 100)
KNOWN_RATIO, NEW_RATIO = 0.25, 0.8     # ours / torchviz, issue 14
TARGET_200_MS, TARGET_BIG_MS = 300.0, 100.0
TARGET_BYTES_PER_NODE = 600            # the numbers-only answer, on the 4×4 net
TARGET_LOAD_MS, TARGET_STEP_MS = 250.0, 4.0


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def load_average() -> str:
    """Other work on the machine, which every figure here includes."""
    if not hasattr(os, "getloadavg"):
        return "load average unknown"
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor() or model
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        dot = subprocess.run(["dot", "-V"], capture_output=True, text=True).stderr.strip()
    except OSError:
        dot = "dot missing"
    now = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    return (f"{now} · nproc {cpus} · {model} · Python {platform.python_version()} · "
            f"numpy {np.__version__} · {dot}")


def table(head: list[str], rows: list[list[str]]) -> None:
    """Plain columns: the first left-aligned, the rest right-aligned."""
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, *rows]:
        cells = [r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:],
                                                                          strict=True)]
        print("  ".join(cells).rstrip())


def fit_exponent(results: list[tuple[str, dict, dict]], key: str) -> float:
    """k in log(ms) = a + k·log(nodes), over FIT_LAYERS."""
    points = [(sizes["nodes"], m[key]) for label, m, sizes in results
              if label in {f"L={n}" for n in FIT_LAYERS}]
    nodes, ms = zip(*points, strict=True)
    return float(np.polyfit(np.log(nodes), np.log(ms), 1)[0])


def ratio(ms: float, ref: float | None, limit: float, layers: int | None) -> str:
    """ours / torchviz, marked against the target where issue 7 sets one."""
    if ref is None:
        return "–"
    mark = "" if layers not in TARGET_LAYERS else (" ok" if ms / ref <= limit else " !!")
    return f"{ms / ref:.2f}{mark}"


def report(results: list[tuple[str, dict, dict]]) -> None:
    by_label = {label: (m, sizes) for label, m, sizes in results}
    print("\nStages, median ms. front = read + parse + graph; engine = trace() − front (values "
          "drawn,\nforward, backward); layout = a layout cache miss (hash + dot via the persistent "
          "process +\ntrimming the SVG); cached = a cache hit; ours = front + engine + to_dict + "
          "encode + DOT text\n(no dot); dot alone on the same DOT: persist = the persistent "
          "process, 1-shot = `dot -Tsvg`\nas a new process (start-up included).")
    table(["workload", "runs", "nodes", "front", "engine", "to_dict", "encode", "DOT text",
           "layout", "cached", "ours", "dot persist", "dot 1-shot"],
          [[label, str(s["repeat"]), str(s["nodes"])]
           + [f"{m[k]:.2f}" for k in ("front", "engine", "to_dict", "encode", "dot_text",
                                      "layout", "cached", "ours", "persistent",
                                      "one_shot")]
           for label, m, s in results])

    print("\nWhole POST /api/trace through the test client, median ms, each with a fresh seed: "
          "known = new\nnumbers on a cached structure the page holds (numbers only); whole = the "
          "same, but the page\nholds none (everything sent); new = a structure never seen (the "
          "structure and layout caches\nand the caches of texts' widths and LaTeX cleared first); "
          "each sends the page's aspect (a "
          "laptop's graph box). torchviz = build + backward + "
          "make_dot(show_attrs, show_saved) + SVG, timed\nin the same repeat loop, right after "
          f"ours. Targets: known ≤ {KNOWN_RATIO}×, new ≤ {NEW_RATIO}× torchviz at\n"
          f"L = {', '.join(map(str, TARGET_LAYERS))}.")
    have_tv = any(np.isfinite(m["torchviz"]) for _, m, _ in results)
    rows = []
    for label, m, _ in results:
        layers = int(label[2:]) if label.startswith("L=") else None
        tv = m["torchviz"] if np.isfinite(m["torchviz"]) else None
        rows.append([label, f"{m['known']:.2f}", f"{m['whole']:.2f}", f"{m['new']:.2f}",
                     f"{tv:.1f}" if tv else "–", ratio(m["known"], tv, KNOWN_RATIO, layers),
                     ratio(m["new"], tv, NEW_RATIO, layers)])
    table(["workload", "known", "whole", "new", "torchviz", "known ×tv", "new ×tv"], rows)
    if not have_tv:
        print("(no torchviz figures: TORCHVIZ_PYTHON names no Python with torch and torchviz)")
    else:
        print("(ok / !! = within / past the target)")

    print("\nAnswer size, bytes: JSON = the trace without svg; answer = JSON with svg, as sent "
          "to a page\nwithout the structure; numbers = the numbers-only answer to a page that "
          "holds it.")
    table(["workload", "nodes", "JSON", "svg", "answer", "numbers", "answer/node",
           "numbers/node"],
          [[label, str(s["nodes"]), f"{s['json']:,}", f"{s['svg']:,}", f"{s['answer']:,}",
            f"{s['numbers']:,}", f"{s['answer'] / s['nodes']:,.0f}",
            f"{s['numbers'] / s['nodes']:,.0f}"] for label, _, s in results])

    print(f"\nGrowth with the node count, L = {FIT_LAYERS[0]}…{FIT_LAYERS[-1]} "
          "(log ms = a + k·log nodes; k = 1 is linear):")
    print(f"  our own stages (ours): k = {fit_exponent(results, 'ours'):.2f}")
    print(f"  layout cache miss (layout): k = {fit_exponent(results, 'layout'):.2f}")
    print(f"  dot, persistent process: k = {fit_exponent(results, 'persistent'):.2f}")
    print(f"  dot, one-shot: k = {fit_exponent(results, 'one_shot'):.2f}")

    print("\nTargets:")
    for layers in TARGET_LAYERS:
        m, _ = by_label[f"L={layers}"]
        for kind, limit in (("known", KNOWN_RATIO), ("new", NEW_RATIO)):
            if not np.isfinite(m["torchviz"]):
                print(f"  L={layers:<3} {kind:5} ≤ {limit}× torchviz: no torchviz figure")
                continue
            r = m[kind] / m["torchviz"]
            print(f"  L={layers:<3} {kind:5} ≤ {limit}× torchviz: {r:.2f}× "
                  f"({m[kind]:.1f} / {m['torchviz']:.1f} ms) {verdict(r <= limit)}")
    for label, limit in (("L=200", TARGET_200_MS), (BIG, TARGET_BIG_MS)):
        m, _ = by_label[label]
        print(f"  {label}, known structure, under {limit:.0f} ms: {m['known']:.1f} ms "
              f"{verdict(m['known'] < limit)} (new: {m['new']:.1f} ms)")
    nets = [(label, s) for label, _, s in results if label.startswith("L=")]
    per_node, label = max((s["numbers"] / s["nodes"], label) for label, s in nets)
    print(f"  numbers only ≤ {TARGET_BYTES_PER_NODE} B/node (4×4 net): worst {per_node:,.0f} "
          f"B/node at {label} {verdict(per_node <= TARGET_BYTES_PER_NODE)}")


