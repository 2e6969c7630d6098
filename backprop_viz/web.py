"""The HTTP layer: JSON in, JSON out; it only translates between HTTP and the package.

Every error a caller can cause is a BackpropError, answered as 400 `{"error", "position"}`; the
engine checks `f`, `seed` and `variables`, this layer the body and the export's query.
"""

from __future__ import annotations

import logging
import re
import time

from flask import Blueprint, Response, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from . import jsonio, render
from .engine import Trace
from .errors import BackpropError
from .inputs import trace as run_trace
from .limits import MAX_BODY_BYTES
from .presets import PRESETS
from .syntax import F_CHOICES

bp = Blueprint("web", __name__)
log = logging.getLogger("backprop_viz.web")

REQUEST_FIELDS = ("expression", "variables", "f", "seed")
# Only the app's own files: no inline script or style, no CDN, never inside a frame.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

DEFAULT_EXPRESSION = "s = uᵀ f(Wx + b)"


@bp.get("/")
def index() -> str:
    """The step-through page; it asks /api/trace for the graph itself."""
    return render_template("index.html", expression=DEFAULT_EXPRESSION, f_choices=F_CHOICES,
                           presets=PRESETS)


@bp.get("/api/presets")
def presets() -> Response:
    """The examples of presets.py, in order: each a request for /api/trace, titled and captioned."""
    return Response(jsonio.dumps([p.to_dict() for p in PRESETS]), mimetype="application/json")


@bp.post("/api/trace")
def trace() -> Response:
    """The trace of docs/API.md, with the SVG laid out once per structure."""
    result = _trace()
    body = result.to_dict()
    body["svg"] = render.render_svg(result)
    return Response(jsonio.dumps(body), mimetype="application/json")


@bp.post("/api/export")
def export() -> Response:
    """The diagram at step k as a download: svg, png, pdf or dot."""
    fmt = request.args.get("format", "")
    if fmt not in render.EXPORT_TYPES:
        raise BackpropError(f"format must be one of {', '.join(render.EXPORT_TYPES)}, "
                            f"not {fmt!r}")
    result = _trace()
    n = len(result.steps)
    step = _step(request.args.get("step"), n)
    name = result.output_name if re.fullmatch(r"[A-Za-z0-9_]+", result.output_name) else "graph"
    return Response(
        render.export(result, fmt, step), content_type=render.EXPORT_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="backprop-{name}-step{step}.{fmt}"'},
    )


@bp.errorhandler(BackpropError)
def user_error(err: BackpropError) -> tuple[Response, int]:
    return jsonify(err.to_json()), 400


@bp.app_errorhandler(RequestEntityTooLarge)
def too_large(_err: RequestEntityTooLarge) -> tuple[Response, int]:
    size = request.content_length
    said = f"{size} bytes" if size is not None else "larger than that"
    return jsonify({"error": f"the request body is {said}; the limit is {MAX_BODY_BYTES} bytes",
                    "position": None}), 400


@bp.app_errorhandler(HTTPException)
def http_error(err: HTTPException) -> tuple[Response, int]:
    """404, 405 …: JSON like every other answer, with the status Werkzeug chose."""
    return jsonify({"error": err.description, "position": None}), err.code or 500


@bp.app_errorhandler(500)
def server_error(_err: Exception) -> tuple[Response, int]:
    """A fault of ours (Flask has logged its traceback): said plainly, with no traceback."""
    return jsonify({"error": "internal server error", "position": None}), 500


@bp.before_app_request
def _start_clock() -> None:
    g.started = time.perf_counter()


@bp.after_app_request
def _headers_and_log(response: Response) -> Response:
    """Security headers on every answer, and one log line per request: status and duration."""
    response.headers.update(SECURITY_HEADERS)
    ms = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
    log.info("%s %s %d %.1fms", request.method, request.full_path.rstrip("?"),
             response.status_code, ms)
    return response


def _trace() -> Trace:
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise BackpropError('the request body must be a JSON object: {"expression": "..."}')
    unknown = sorted(set(body) - set(REQUEST_FIELDS))
    if unknown:
        raise BackpropError(f"unknown field {unknown[0]!r}: a request takes "
                            f"{', '.join(REQUEST_FIELDS)}")
    expression = body.get("expression")
    if expression is None:
        raise BackpropError("expression is required")
    if not isinstance(expression, str):
        raise BackpropError("expression must be a string")
    if not expression.strip():
        raise BackpropError("expression is empty: type one, e.g. s = uᵀ f(Wx + b)")
    return run_trace(expression, body.get("variables"), body.get("f", "tanh"),
                     body.get("seed", 0))


def _step(raw: str | None, n: int) -> int:
    """The export's step k, 0 ≤ k ≤ N; absent means N (everything computed)."""
    if raw is None:
        return n
    if not re.fullmatch(r"\d+", raw) or int(raw) > n:
        raise BackpropError(f"step must be a whole number from 0 to {n}, not {raw!r}")
    return int(raw)
