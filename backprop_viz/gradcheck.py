"""The gradient check: every variable's gradient by central differences in float64, next to
backprop's, with the relative error. It runs the forward pass only (`engine.forward`), once per
perturbed point, recomputing just the nodes between the perturbed variable and the output.

The step. A fourth-order central difference,

    f′(x) ≈ [8 (f(x+h) − f(x−h)) − (f(x+2h) − f(x−2h))] / 12h,

has truncation error h⁴ f⁽⁵⁾/30 and rounding error about ε |f| / h (ε = 2.2e-16); the two
balance near h ≈ ε^(1/5) ≈ 1e-3, where both are near 1e-13 for the lecture's numbers. The
classic two-point (f(x+h) − f(x−h)) / 2h is at best about 1e-10 (at h ≈ ε^(1/3)): 1e-7
relative on a saturated tanh unit's gradient of 1e-3, no better than what a check must show.
So h = 1e-3 · max(1, |x|), relative for large entries so that x ± 2h keeps its digits: four
forward passes per entry. Where the result disagrees with backprop it is run again at h/10
(four passes more): a smooth f's truncation error falls 10⁴-fold, a wrong gradient stays wrong,
and a kink that was inside the stencil may now be outside it.

The relative error of numeric a against backprop b is |a − b| / max(|a|, |b|, floor), with
floor = 1e-5 × max(1, the largest |entry| of any variable's gradient): an entry far below the
gradients' scale is compared absolutely, so an exact 0 against 1e-13 of rounding reads 1e-8,
not 1, while an error of 1e-11 or more still exceeds the tolerance of 1e-6.

Kinks (relu at 0, a max tie, |x| at 0) and NaN/∞ never stop the check. Inside a stencil that
straddles a kink the third differences Δ³f are of order h·(the jump in f′), where a smooth f
gives h³ f‴; an error above the tolerance that they account for (|a − b| ≤ 2 max |Δ³f| / h) is
reported as a kink, not counted in the maximum. An entry whose numbers are not finite is
reported as non-finite.

Bounds (limits.py): a variable with at most GRADCHECK_ENTRIES entries has each one checked, a
larger one a random subset of that many (seeded by the request's seed); the forward passes'
work in all is capped, and past the cap the subsets shrink, then each variable is checked along
one random ±1 direction (the directional derivative against ⟨∇, v⟩), then all variables along
one direction together. The second run at h/10 can at most double the work.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from . import engine
from . import graph as graph_mod
from .checks import STEP, TOLERANCE, Entry, GradientCheck, VariableCheck
from .limits import GRADCHECK_ENTRIES, GRADCHECK_MAX_WORK, GRADCHECK_NODE_WORK
from .tracedata import Trace

FLOOR = 1e-5         # the relative error's floor, times max(1, the largest gradient entry)
PASSES = 4           # forward passes per checked entry or direction: x ± h, x ± 2h
REFINE = 10          # where the stencil disagrees with backprop, it is run again at h/REFINE


# ---------------------------------------------------------------- checking

def check(gr: graph_mod.Graph, trace: Trace) -> GradientCheck:
    """The check of `trace`, the engine's answer on `gr`, within the bounds of limits.py."""
    names = list(trace.variables)
    grads = {name: trace.gradient(name) for name in names}
    scale = max((float(np.abs(g[np.isfinite(g)]).max(initial=0.0)) for g in grads.values()),
                default=0.0)
    floor = FLOOR * max(1.0, scale)
    run = _Runner(gr, {n.id: n.value for n in trace.nodes}, trace.seed, floor)
    counts = run.plan(names)
    if counts is None:
        variables = {name: VariableCheck("joint", grads[name].size, None, None, None, None, ())
                     for name in names}
        return GradientCheck("joint", variables, run.direction(names, grads), run.passes,
                             floor)
    variables = {name: run.direction([name], grads) if counts[name] == 0
                 else run.entries(name, grads[name], counts[name]) for name in names}
    methods = {v.method for v in variables.values()}
    method = next((m for m in ("direction", "subset") if m in methods), "entries")
    return GradientCheck(method, variables, None, run.passes, floor)


class _Runner:
    """Forward passes from the trace's values, recomputing only what a perturbation reaches."""

    def __init__(self, gr: graph_mod.Graph, base: dict[str, np.ndarray], seed: int,
                 floor: float) -> None:
        self.gr, self.base, self.seed, self.floor = gr, base, seed, floor
        self.passes = 0
        self.f0 = float(base[gr.output][0, 0])
        # Each node that feeds the output, with the variables it depends on as a bit mask:
        # one sweep in topological order, instead of a search from every variable.
        feeds = gr.feeds
        bits = {node: 1 << i for i, node in enumerate(gr.variables.values())}
        masks: dict[str, int] = {}
        for node in gr.order:
            masks[node] = bits.get(node, 0)
            for i in gr.inputs(node):
                masks[node] |= masks[i]
        self.relevant = [(n, masks[n]) for n in gr.order if n in feeds]
        self.bit = dict(zip(gr.variables, bits.values(), strict=True))

    def _work(self, node: str) -> int:
        """A node's share of a pass: its numbers in and out, and its overhead."""
        if self.gr.g.nodes[node]["kind"] != "op":
            return 0
        return GRADCHECK_NODE_WORK + self.base[node].size + sum(
            self.base[i].size for i in self.gr.inputs(node))

    def plan(self, names: list[str]) -> dict[str, int] | None:
        """Entries to check per variable (0: one direction instead), or None: one direction
        for all together. Each variable gets an equal share of GRADCHECK_MAX_WORK, and
        min(its size, GRADCHECK_ENTRIES) entries if they fit in it."""
        work = {n: self._work(n) for n, _ in self.relevant}
        together = sum(w * mask.bit_count() for (_, mask), w in zip(self.relevant, work.values(),
                                                                    strict=True))
        if not names or PASSES * together > GRADCHECK_MAX_WORK:
            return None if names else {}
        self.reach: dict[str, list[str]] = {name: [] for name in names}
        index = {self.bit[name]: name for name in names}
        for node, mask in self.relevant:
            while mask:
                low = mask & -mask
                self.reach[index[low]].append(node)
                mask ^= low
        share = GRADCHECK_MAX_WORK // len(names)
        counts = {}
        for name in names:
            size = self.base[self.gr.variables[name]].size
            per_check = PASSES * sum(work[n] for n in self.reach[name])
            counts[name] = min(size, GRADCHECK_ENTRIES, share // max(per_check, 1))
        return counts

    def _evaluator(self, names: list[str]) -> Callable[[dict[str, np.ndarray]], float] | None:
        """f at the given variable values; None when the output does not depend on them."""
        if len(names) == 1:
            nodes = self.reach[names[0]]
        else:
            bits = sum(self.bit[name] for name in names)
            nodes = [n for n, mask in self.relevant if mask & bits]
        if self.gr.output not in nodes:
            return None
        leaves = {self.gr.variables[n]: self.base[self.gr.variables[n]] for n in names}

        def f(values: dict[str, np.ndarray]) -> float:
            self.passes += 1
            out = engine.forward(self.gr, leaves | values, self.base, nodes)[self.gr.output]
            return float(out[0, 0])
        return f

    def _stencil(self, f: Callable[[float], float], h: float) -> tuple[float, float]:
        """The fourth-order central difference along t, and max |Δ³f| / h (see above)."""
        f_2, f_1, f1, f2 = (f(t * h) for t in (-2, -1, 1, 2))
        with np.errstate(all="ignore"):
            numeric = (8 * (f1 - f_1) - (f2 - f_2)) / (12 * h)
            thirds = max(abs(f1 - 3 * self.f0 + 3 * f_1 - f_2),
                         abs(f2 - 3 * f1 + 3 * self.f0 - f_1)) / h
        return numeric, thirds

    def _derivative(self, f: Callable[[float], float], h: float,
                    backprop: float) -> tuple[float, float]:
        """The stencil at h; where it disagrees with backprop, again at h/REFINE, which a
        smooth f's truncation error (∝ h⁴) cannot survive and a kink beside x may not reach."""
        numeric, thirds = self._stencil(f, h)
        if self._rel(numeric, backprop) > TOLERANCE:
            numeric, thirds = self._stencil(f, h / REFINE)
        return numeric, thirds

    def _rel(self, a: Any, b: Any) -> Any:
        """|a − b| / max(|a|, |b|, floor), entry by entry."""
        with np.errstate(all="ignore"):
            return np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), self.floor)

    def _compare(self, numeric: np.ndarray, backprop: np.ndarray, thirds: np.ndarray,
                 entries: list[Entry | None]) -> tuple[np.ndarray, tuple]:
        """Relative errors, NaN where skipped, and the skipped entries with the reason."""
        err = np.abs(numeric - backprop)
        rel = self._rel(numeric, backprop)
        finite = np.isfinite(numeric) & np.isfinite(backprop) & np.isfinite(thirds)
        if not math.isfinite(self.f0):
            finite[...] = False
        kink = finite & (rel > TOLERANCE) & (err <= 2 * thirds)
        skipped = tuple((e, "non-finite" if not ok else "kink")
                        for e, ok, k in zip(entries, finite.ravel(), kink.ravel(), strict=True)
                        if not ok or k)
        return np.where(finite & ~kink, rel, np.nan), skipped

    def entries(self, name: str, grad: np.ndarray, k: int) -> VariableCheck:
        """Every entry (k = size), or k of them drawn from the seed, one at a time."""
        node = self.gr.variables[name]
        x = self.base[node]
        if k == x.size:
            picked, method = range(x.size), "entries"
        else:
            picked, method = sorted(self._rng(name).choice(x.size, k, replace=False)), "subset"
        where = [divmod(int(i), x.shape[1]) for i in picked]
        numeric, thirds = np.zeros(len(where)), np.zeros(len(where))
        backprop = np.array([grad[e] for e in where])
        f = self._evaluator([name])
        if f is not None:
            work = x.copy()
            for j, (r, c) in enumerate(where):
                def at(t: float, r: int = r, c: int = c) -> float:
                    work[r, c] = x[r, c] + t
                    return f({node: work})
                numeric[j], thirds[j] = self._derivative(at, STEP * max(1.0, abs(x[r, c])),
                                                         backprop[j])
                work[r, c] = x[r, c]
        rel, skipped = self._compare(numeric, backprop, thirds, where)
        if method == "entries":
            return VariableCheck(method, x.size, None, numeric.reshape(x.shape),
                                 backprop.reshape(x.shape), rel.reshape(x.shape), skipped)
        return VariableCheck(method, x.size, tuple(where), numeric, backprop, rel, skipped)

    def direction(self, names: list[str], grads: Mapping[str, np.ndarray]) -> VariableCheck:
        """One random ±1 direction v over these variables: ∂f/∂v against Σ ⟨∇, v⟩."""
        nodes = [self.gr.variables[n] for n in names]
        xs = [self.base[n] for n in nodes]
        rng = self._rng(names[0] if len(names) == 1 else " joint")
        vs = [rng.integers(0, 2, x.shape) * 2.0 - 1.0 for x in xs]
        with np.errstate(all="ignore"):
            backprop = float(sum(np.sum(grads[n] * v) for n, v in zip(names, vs, strict=True)))
        total = sum(x.size for x in xs)
        # A step t along v moves each of the n entries by t, x by t√n in all: t = h/√n moves
        # it by h, as for one entry. (At t = h a 200-layer net's fifth derivative along v
        # left an error of 1e-5.)
        h = STEP * max(1.0, *(float(np.abs(x).max()) for x in xs)) / math.sqrt(total)
        f = self._evaluator(names)
        numeric, thirds = 0.0, 0.0
        if f is not None:
            numeric, thirds = self._derivative(
                lambda t: f({n: x + t * v for n, x, v in zip(nodes, xs, vs, strict=True)}),
                h, backprop)
        rel, skipped = self._compare(np.array([numeric]), np.array([backprop]),
                                     np.array([thirds]), [None])
        return VariableCheck("direction", total, None, np.array([numeric]),
                             np.array([backprop]), rel, skipped)

    def _rng(self, name: str) -> np.random.Generator:
        """The request's seed and the name: the same request checks the same entries."""
        return np.random.default_rng([self.seed, zlib.crc32(b"gradcheck " + name.encode())])
