"""Command line: `python -m backprop_viz "s = uᵀ f(Wx + b)" --json`."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np

from . import exports, render, sgd, training
from .errors import BackpropError, show_position
from .inputs import trace as run_trace
from .syntax import F_CHOICES

SHAPE = re.compile(r"^\s*(\d+)\s*[x×]\s*(\d+)\s*$")


def parse_var(text: str) -> tuple[str, dict]:
    """`W=3x4` is a shape; `x=1,2,3` a column vector; `A=1,2;3,4` a matrix; `y=-2` a scalar."""
    name, sep, spec = text.partition("=")
    if not sep or not name.strip() or not spec.strip():
        raise argparse.ArgumentTypeError(f"--var {text!r}: write NAME=3x4 or NAME=1,2,3")
    m = SHAPE.match(spec)
    if m:
        return name.strip(), {"shape": [int(m[1]), int(m[2])]}
    try:
        rows = [[float(v) for v in row.split(",")] for row in spec.split(";")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--var {text!r}: values must be numbers, e.g. x=1,2,3 or A=1,2;3,4") from None
    if len(rows) == 1:
        value = rows[0][0] if len(rows[0]) == 1 else rows[0]
    else:
        value = rows
    return name.strip(), {"value": value}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m backprop_viz",
                                description="Forward and backward pass of an expression, "
                                            "step by step.")
    p.add_argument("expression", help='e.g. "s = uᵀ f(Wx + b)"')
    p.add_argument("--f", default="tanh", choices=F_CHOICES, help="the nonlinearity f")
    p.add_argument("--seed", type=int, default=0, help="seed for values not given (default 0)")
    p.add_argument("--var", action="append", type=parse_var, default=[], metavar="NAME=SPEC",
                   help="a shape (W=3x4) or a value (x=1,2,3,4; A=1,2;3,4; y=-2)")
    p.add_argument("--json", action="store_true", help="print the whole trace as JSON")
    p.add_argument("--scalar", action="store_true",
                   help="the scalar view: every entry its own node, as micrograd draws it")
    p.add_argument("--export", type=Path, metavar="FILE",
                   help="write the diagram to FILE (.svg, .png, .pdf or .dot); every step: "
                        ".html (steps through offline) or .pdf without --step (a page per step)")
    p.add_argument("--step", type=int, metavar="K",
                   help="with --export: draw the diagram after K steps (default: all)")
    p.add_argument("--train", type=int, metavar="K",
                   help="take K steps of gradient descent and print the loss after each")
    p.add_argument("--eta", type=float, default=0.1, help="with --train: the learning rate η")
    p.add_argument("--param", action="append", metavar="NAME",
                   help="with --train: a parameter to update (default: every variable but "
                        f"{', '.join(training.INPUTS_AND_TARGETS)})")
    p.add_argument("--dataset", metavar="NAME|FILE.csv",
                   help="with --train: mini-batch SGD on a built-in data set (spiral, xor, moons, "
                        "blobs) or a CSV file with a label column, bound to X and Y")
    p.add_argument("--batch-size", type=int, metavar="B",
                   help="with --dataset: rows in a mini-batch (default: every row)")
    args = p.parse_args(argv)
    if args.dataset is not None and args.train is None:
        p.error("--dataset trains: give --train K too")
    if args.train is not None and (args.export or args.scalar):
        p.error("--train prints losses: it does not take --export or --scalar")
    fmt = args.export.suffix.lstrip(".").lower() if args.export else None
    if args.export and fmt not in {*render.EXPORT_TYPES, *exports.TYPES}:
        p.error(f"--export: the file must end in one of "
                f"{', '.join('.' + t for t in {**render.EXPORT_TYPES, **exports.TYPES})}")
    if fmt == "html" and args.step is not None:
        p.error("--step: an .html export holds every step; leave --step out")
    try:
        if args.train is not None:
            return _train(args)
        trace = run_trace(args.expression, dict(args.var), args.f, args.seed,
                          "scalar" if args.scalar else "vector")
        if args.export and fmt in exports.TYPES and args.step is None:
            args.export.write_bytes(exports.export(trace, fmt))
        elif args.export:
            n = len(trace.steps)
            step = n if args.step is None else args.step
            if not 0 <= step <= n:
                p.error(f"--step must be from 0 to {n}")
            args.export.write_bytes(render.export(trace, fmt, step))
    except BackpropError as e:
        print(f"error: {e.message}", file=sys.stderr)
        if e.position is not None:
            print(show_position(args.expression, e.position), file=sys.stderr)
        return 2
    if args.json:   # the answer of POST /api/trace, without the SVG
        sys.stdout.buffer.write(trace.to_json() + b"\n")
        return 0
    out = trace.output_name
    print(trace.parsed)
    print(f"{out} = {trace.value:.6g}")
    with np.printoptions(precision=4, suppress=True):
        for name in trace.variables:
            print(f"∂{out}/∂{name} =\n{trace.gradient(name)}")
    for w in trace.warnings:
        print(f"warning: {w}", file=sys.stderr)
    return 0


def _fit(args: argparse.Namespace) -> int:
    """Each step's mini-batch loss and the train accuracy after it, one a line (or, with
    --json, the answer of POST /api/train with a dataset)."""
    path = Path(args.dataset)
    try:
        dataset = ({"csv": path.read_text(encoding="utf-8")} if path.suffix.lower() == ".csv"
                   else {"name": args.dataset})
    except (OSError, UnicodeDecodeError) as e:
        raise BackpropError(f"--dataset: cannot read {path} ({e})", None) from None
    result = sgd.fit(args.expression, dict(args.var), args.f, args.seed, dataset=dataset,
                     batch_size=args.batch_size, eta=args.eta, steps=args.train,
                     parameters=args.param)
    if args.json:
        sys.stdout.buffer.write(result.to_json() + b"\n")
        return 0
    print(f"training {', '.join(result.parameters)} on {result.data.name} "
          f"({result.data.rows} rows) with η = {result.eta:g}, B = {result.batch_size}")
    for k, (loss, accuracy) in enumerate(zip(result.losses, result.accuracies, strict=False)):
        print(f"step {k + 1}: loss {loss:.6g}, train accuracy {accuracy:.4f}")
    for w in result.warnings:
        print(f"warning: {w}", file=sys.stderr)
    return 0


def _train(args: argparse.Namespace) -> int:
    """The losses s₀ … s_K, one a line (or, with --json, the answer of POST /api/train)."""
    if args.dataset is not None:
        return _fit(args)
    result = training.train(args.expression, dict(args.var), args.f, args.seed, eta=args.eta,
                            steps=args.train, parameters=args.param)
    if args.json:
        sys.stdout.buffer.write(result.to_json() + b"\n")
        return 0
    out = result.trace.output_name
    print(f"training {', '.join(result.parameters)} with η = {result.eta:g}")
    for k, loss in enumerate(result.losses):
        print(f"step {k}: {out} = {loss:.6g}")
    for w in (*result.trace.warnings, *result.warnings):
        print(f"warning: {w}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
