"""The command line: `backprop-viz trace EXPR …`, `backprop-viz serve`, `backprop-viz --version`.

`python -m backprop_viz` is the same command; and, as before it had commands, a first argument
that names none (`python -m backprop_viz "s = uᵀ f(Wx + b)" --json`) is `trace`'s.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import __version__, exports, i18n, render, sgd, training
from .errors import BackpropError, show_position
from .inputs import trace as run_trace
from .syntax import F_CHOICES

DOT_MISSING = """\
Graphviz's `dot` is not installed, or not on PATH: backprop-viz lays out every graph with it.
Install Graphviz, then run this again:
  Debian/Ubuntu:  sudo apt-get install graphviz
  macOS:          brew install graphviz
  Windows:        winget install Graphviz.Graphviz (or the installer from
                  https://graphviz.org/download/), then put its bin folder
                  (C:\\Program Files\\Graphviz\\bin) on PATH and open a new terminal"""

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


def trace_arguments(p: argparse.ArgumentParser) -> None:
    """`trace`'s arguments: the expression, its values, and what to print or write."""
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
    p.add_argument("--lang", default="en", choices=i18n.LANGS,
                   help="the language of errors and of an every-step export's words (default en)")
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


def trace_command(args: argparse.Namespace, p: argparse.ArgumentParser) -> int:
    """The trace printed (or as JSON), exported, or trained; a bad expression exits 2."""
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
    if fmt not in (None, "dot") and dot_missing():     # a .dot export is only its source
        return 1
    try:
        if args.train is not None:
            return _train(args)
        trace = run_trace(args.expression, dict(args.var), args.f, args.seed,
                          "scalar" if args.scalar else "vector")
        if args.export and fmt in exports.TYPES and args.step is None:
            args.export.write_bytes(exports.export(trace, fmt, lang=args.lang))
        elif args.export:
            n = len(trace.steps)
            step = n if args.step is None else args.step
            if not 0 <= step <= n:
                p.error(f"--step must be from 0 to {n}")
            args.export.write_bytes(render.export(trace, fmt, step))
    except BackpropError as e:
        print(f"error: {e.said(args.lang)}", file=sys.stderr)
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
        raise BackpropError("error.dataset.unreadable", path=str(path), reason=str(e)) from None
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


def serve_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1",
                   help="the address to listen on (default 127.0.0.1: behind a proxy, see README)")
    p.add_argument("--port", type=port, default=8000, help="the port (default 8000; 0: any free)")
    p.add_argument("--workers", type=workers, metavar="N",
                   help="gunicorn's processes (default 2 × cores + 1, at most 9)")


def serve_command(args: argparse.Namespace, _p: argparse.ArgumentParser) -> int:
    """The app: gunicorn where it is installed, else Flask's development server."""
    if dot_missing():
        return 1
    from .server import serve  # Flask and the web layer, only for this command

    return serve(args.host, args.port, args.workers)


def port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0 to 65535)")
    return int(text)


def workers(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of workers (1 or more)")
    return int(text)


def dot_missing() -> bool:
    """True, having said what to install, when Graphviz's dot is not on PATH."""
    if shutil.which("dot"):
        return False
    print(f"error: {DOT_MISSING}", file=sys.stderr)
    return True


@dataclass(frozen=True)
class Command:
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, argparse.ArgumentParser], int]


COMMANDS = {
    "trace": Command("forward and backward pass of an expression, step by step",
                     trace_arguments, trace_command),
    "serve": Command("serve the page (gunicorn, or Flask's server where gunicorn cannot run)",
                     serve_arguments, serve_command),
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] not in {*COMMANDS, "-h", "--help", "--version"}:
        argv = ["trace", *argv]     # the command line from before there were commands
    module = Path(sys.argv[0]).resolve() == Path(__file__).resolve()   # python -m backprop_viz
    p = argparse.ArgumentParser(prog="python -m backprop_viz" if module else "backprop-viz",
                                description="Step through backpropagation on an expression.")
    p.add_argument("--version", action="version", version=f"backprop-viz {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar=f"{{{','.join(COMMANDS)}}}")
    parsers = {}
    for name, command in COMMANDS.items():
        parsers[name] = sub.add_parser(name, help=command.help, description=command.help)
        command.arguments(parsers[name])
    args = p.parse_args(argv)
    return COMMANDS[args.command].run(args, parsers[args.command])


if __name__ == "__main__":
    sys.exit(main())
