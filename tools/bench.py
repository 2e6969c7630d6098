"""Where a request's time goes, measured in one run: `make bench`.

For each lecture preset, the median over a few repeats of each stage of POST /api/trace:
parse + shapes + forward/backward (engine), JSON-ready trace, Graphviz layout (render, its
layout cache cleared first), and the JSON encoding of the answer; then each stage as a share of
the whole, and the same layout again from the cache (a class opening the same preset). Times
are wall-clock on a shared machine, so only the ratios within one run mean much.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backprop_viz import render  # noqa: E402
from backprop_viz.engine import run  # noqa: E402

PRESETS = {
    "CS231n (x + y) * z": ("(x + y) * z", {"x": {"value": -2}, "y": {"value": 5},
                                           "z": {"value": -4}}),
    "sigmoid neuron": ("1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))", None),
    "s = uᵀ f(Wx + b)": ("s = uᵀ f(Wx + b)", None),
    "two-layer net": ("h1 = f(W1 x + b1)\nh2 = f(W2 h1 + b2)\ns = uᵀ h2", None),
    "NER window": ("x = [x_museums; x_in; x_Paris; x_are; x_amazing]\ns = uᵀ f(Wx + b)", None),
    "batch 64×100": ("s = sum(f(W X + b))", {"W": {"shape": [64, 100]},
                                             "X": {"shape": [100, 32]},
                                             "b": {"shape": [64, 1]}}),
}


def median_ms(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def uncached_svg(trace: dict) -> str:
    render._layout.cache_clear()
    return render.render_svg(trace)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=7)
    args = p.parse_args()
    print(f"median of {args.repeat} runs, ms (share of the request)")
    print(f"{'preset':22} {'engine':>14} {'to JSON form':>14} {'Graphviz':>14} "
          f"{'encode':>14} {'total':>8} {'cached layout':>14}")
    for name, (expression, variables) in PRESETS.items():
        engine, trace = median_ms(lambda e=expression, v=variables: run(e, v), args.repeat)
        to_json, data = median_ms(trace.to_json, args.repeat)
        layout, svg = median_ms(lambda d=data: uncached_svg(d), args.repeat)
        cached, _ = median_ms(lambda d=data: render.render_svg(d), args.repeat)
        encode, _ = median_ms(lambda d=data, s=svg: json.dumps({**d, "svg": s}), args.repeat)
        total = engine + to_json + layout + encode
        cells = " ".join(f"{ms:7.2f} ({ms / total:4.0%})" for ms in (engine, to_json, layout,
                                                                     encode))
        print(f"{name:22} {cells} {total:8.2f} {cached:14.2f}")


if __name__ == "__main__":
    main()
