"""torchviz timed on the bench's nets, in the Python `make bench` is given as TORCHVIZ_PYTHON
(a throwaway venv with torch and torchviz; never a dependency of ours).

Reads one number of layers L per line on stdin; for each, builds the L-layer 4×4 tanh net in
float64, runs backward, draws it with make_dot(show_attrs=True, show_saved=True) and lays it out
as SVG with `dot`, and prints the milliseconds that took. Interleaved with our own requests by
tools/bench.py, so the machine's noise hits both alike. "versions" prints what it runs.
"""

import sys
import time

import torch
import torchviz


def once(layers: int) -> float:
    started = time.perf_counter()
    g = torch.Generator().manual_seed(layers)
    h = x = torch.rand(4, 1, dtype=torch.float64, generator=g, requires_grad=True)
    params = [x]
    for _ in range(layers):
        w = torch.rand(4, 4, dtype=torch.float64, generator=g, requires_grad=True)
        b = torch.rand(4, 1, dtype=torch.float64, generator=g, requires_grad=True)
        params += [w, b]
        h = torch.tanh(w @ h + b)
    u = torch.rand(4, 1, dtype=torch.float64, generator=g, requires_grad=True)
    s = (u.T @ h).sum()
    s.backward(retain_graph=True)   # show_saved reads the saved tensors after backward
    dot = torchviz.make_dot(s, params={f"p{i}": p for i, p in enumerate([*params, u])},
                            show_attrs=True, show_saved=True)
    dot.pipe(format="svg")
    return (time.perf_counter() - started) * 1000


def main() -> None:
    for line in sys.stdin:
        word = line.strip()
        if word == "versions":
            print(f"torch {torch.__version__}, torchviz {getattr(torchviz, '__version__', '?')}",
                  flush=True)
        elif word:
            print(f"{once(int(word)):.3f}", flush=True)


if __name__ == "__main__":
    main()
