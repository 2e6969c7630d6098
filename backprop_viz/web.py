"""The HTTP layer: JSON in, JSON out; it only translates between HTTP and the package.

Every error a caller can cause is a BackpropError, answered as 400 `{"error", "position"}`; the
engine checks `f`, `seed` and `variables`, this layer the body and the export's query. A POST
must say `Content-Type: application/json` (415 otherwise: a page on another site cannot send
one without a CORS preflight). Every API request runs under a deadline (REQUEST_SECONDS); work
the server could not finish, in time or at all, is a 503 in the same JSON.
"""

from __future__ import annotations

import functools
import logging
import re
import time
from collections.abc import Callable
from functools import wraps

from flask import (
    Blueprint,
    Response,
    abort,
    g,
    jsonify,
    render_template,
    request,
    send_from_directory,
)
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge, UnsupportedMediaType

from . import assets, budget, compiled, deadline, exports, jsonio, practice, render, sgd, training
from .deadline import Unavailable
from .errors import BackpropError
from .limits import (
    MAX_ANSWER_BYTES,
    MAX_BODY_BYTES,
    MAX_SCALAR_NODES,
    MAX_TRAIN_STEPS,
    REQUEST_SECONDS,
)
from .presets import PRESETS
from .syntax import F_CHOICES
from .tracedata import Trace

bp = Blueprint("web", __name__)
log = logging.getLogger("backprop_viz.web")

REQUEST_FIELDS = ("expression", "variables", "f", "seed", "view")
TRACE_FIELDS = (*REQUEST_FIELDS, "structure", "aspect")
TRAIN_FIELDS = ("expression", "variables", "f", "seed", "eta", "steps", "parameters")
# Training on a data set (sgd.py) takes these too; without a dataset they mean nothing.
DATASET_FIELDS = ("dataset", "batch_size", "epochs", "l2", "start", "inputs", "targets", "scores")
CHECK_FIELDS = (*REQUEST_FIELDS, "formula", "step", "port")
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
# KaTeX as npm installed it (`make assets`, from package-lock.json): served by the app, no CDN.
KATEX_DIST = assets.root() / assets.KATEX
KATEX_FILES = re.compile(r"(katex\.mjs|katex\.min\.css|fonts/KaTeX_[A-Za-z0-9_-]+\.woff2)")


@bp.get("/")
def index() -> str:
    """The step-through page; it asks /api/trace for the graph itself."""
    return render_template("index.html", expression=DEFAULT_EXPRESSION, f_choices=F_CHOICES,
                           inputs_and_targets=training.INPUTS_AND_TARGETS,
                           max_scalar_nodes=MAX_SCALAR_NODES, max_train_steps=MAX_TRAIN_STEPS,
                           modules=_page_modules())


@functools.cache
def _page_modules() -> tuple[str, ...]:
    """The page's script modules (static/js, but the standalone export's entry), preloaded."""
    folder = assets.root() / "static" / "js"
    return tuple(f"js/{p.name}" for p in sorted(folder.glob("*.js")) if p.name != "standalone.js")


@bp.get("/api/presets")
def presets() -> Response:
    """The examples of presets.py, in order: each a request for /api/trace, titled and captioned."""
    return Response(jsonio.dumps([p.to_dict() for p in PRESETS]), mimetype="application/json")


@bp.get("/vendor/katex/<path:filename>")
def katex(filename: str) -> Response:
    """KaTeX's module, style sheet and woff2 fonts; nothing else from node_modules."""
    if not KATEX_FILES.fullmatch(filename):
        abort(404)
    return send_from_directory(KATEX_DIST, filename, max_age=86400)


def bounded(view: Callable[[], Response]) -> Callable[[], Response]:
    """The view under the request's deadline (deadline.py), its answer under MAX_ANSWER_BYTES."""
    @wraps(view)
    def run() -> Response:
        with deadline.within(REQUEST_SECONDS):
            response = view()
        size = response.content_length or 0
        if size > MAX_ANSWER_BYTES:
            raise BackpropError(f"the answer would be {size} bytes, more than the limit "
                                f"{MAX_ANSWER_BYTES} (MAX_ANSWER_BYTES): try smaller arrays or "
                                f"a smaller graph", None)
        return response

    return run


@bp.post("/api/trace")
@bounded
def trace() -> Response:
    """The trace of docs/API.md, with the SVG laid out once per structure, naming its structure;
    numbers only where the request names the structure it already holds."""
    body = _body(TRACE_FIELDS)
    held = body.get("structure")
    if held is not None and not isinstance(held, str):
        raise BackpropError("structure must be the string an earlier answer named")
    found, result = _compiled(body, check=False, aspect=body.get("aspect"))
    if held == found.key:
        answer = {"structure": found.key, "numbers": compiled.checked(found, result)
                  .numbers_dict()}
    else:   # the layout runs while the gradient check and the JSON are worked out
        svg = render.svg_soon(result, found.aspect)
        answer = compiled.checked(found, result).to_dict() | {"structure": found.key,
                                                               "aspect": found.aspect}
        answer["svg"] = svg.result()
    return Response(jsonio.dumps(answer), mimetype="application/json")


@bp.get("/api/structure/<key>")
def structure(key: str) -> Response:
    """A structure this worker has compiled, by its key: the trace it was compiled with and its
    SVG. It never changes, so it is cached for good; a key not held here is a 404 (POST the
    request to /api/trace, which compiles it again)."""
    found = compiled.CACHE.get(key) if re.fullmatch(r"[0-9a-f]{64}", key) else None
    if found is None:
        abort(404, description=f"no structure {key[:64]!r} here: POST the request to /api/trace")
    etag = f'"{found.key}"'
    if etag in request.headers.get("If-None-Match", ""):
        return Response(status=304, headers={"ETag": etag})
    answer = found.template.to_dict() | {"structure": found.key,
                                         "svg": render.render_svg(found.template,
                                                                  found.aspect)}
    return Response(jsonio.dumps(answer), mimetype="application/json", headers={
        "ETag": etag, "Cache-Control": "public, max-age=31536000, immutable"})


@bp.post("/api/train")
@bounded
def train() -> Response:
    """K steps of gradient descent (K = 1: "update"): the losses and the new values; with a
    dataset, K steps of mini-batch SGD on it: losses, accuracies and the decision boundary."""
    body = _body((*TRAIN_FIELDS, *DATASET_FIELDS))
    if "dataset" in body:
        options = {k: body[k] for k in ("eta", "steps", "parameters", *DATASET_FIELDS)
                   if k in body}
        fitted = sgd.fit(body["expression"], body.get("variables"), body.get("f", "tanh"),
                         body.get("seed", 0), **options)
        return Response(fitted.to_json(), mimetype="application/json")
    extra = [k for k in DATASET_FIELDS if k in body]
    if extra:
        raise BackpropError(f"{extra[0]} is for training on a data set: give dataset too")
    result = training.train(body["expression"], body.get("variables"), body.get("f", "tanh"),
                            body.get("seed", 0), eta=body.get("eta", 0.1),
                            steps=body.get("steps", 1), parameters=body.get("parameters"))
    return Response(result.to_json(), mimetype="application/json")


@bp.post("/api/check")
@bounded
def check() -> Response:
    """Practice mode's "check my formula": the formula evaluated on the trace's numbers and
    compared with the gradient backward step `step` asks for (its upstream, or input `port`'s)."""
    body = _body(CHECK_FIELDS)
    result = practice.check(body["expression"], body.get("variables"), body.get("f", "tanh"),
                            body.get("seed", 0), body.get("view", "vector"),
                            formula=body.get("formula"), step=body.get("step"),
                            port=body.get("port"))
    return Response(jsonio.dumps(result.to_dict()), mimetype="application/json")


@bp.post("/api/export")
@bounded
def export() -> Response:
    """The diagram at step k as a download: svg, png, pdf or dot; or every step at once: a
    PDF with a page per step (`steps=all`), or the standalone HTML page (format=html)."""
    fmt = request.args.get("format", "")
    every = fmt == "html" or "steps" in request.args
    if every:
        _every_step(fmt, request.args.get("steps", "all"))
    elif fmt not in render.EXPORT_TYPES:
        raise BackpropError(f"format must be one of {', '.join(render.EXPORT_TYPES)}, html, "
                            f"not {fmt!r}")
    result = _trace()
    name = result.output_name if re.fullmatch(r"[A-Za-z0-9_]+", result.output_name) else "graph"
    if every and fmt == "pdf":
        budget.check_export(len(result.nodes), len(result.edges), render.layout_span(result),
                            len(result.steps) + 1, exports.DOT_WORKERS)
    if every:
        start = _step(request.args.get("step", "0"), len(result.steps))
        body, kind, which = exports.export(result, fmt, start), exports.TYPES[fmt], "steps"
    else:
        step = _step(request.args.get("step"), len(result.steps))
        theme = request.args.get("theme", "light")
        body, kind, which = (render.export(result, fmt, step, theme=theme),
                             render.EXPORT_TYPES[fmt], f"step{step}")
    return Response(body, content_type=kind, headers={
        "Content-Disposition": f'attachment; filename="backprop-{name}-{which}.{fmt}"'})


@bp.errorhandler(BackpropError)
def user_error(err: BackpropError) -> tuple[Response, int]:
    return jsonify(err.to_json()), 400


@bp.app_errorhandler(Unavailable)
def unavailable(err: Unavailable) -> tuple[Response, int]:
    """The server could not finish (its deadline, or Graphviz failed): said as such, a 503."""
    log.warning("503: %s", err.message)
    return jsonify(err.to_json()), 503


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


@bp.before_app_request
def _json_only() -> None:
    """A POST is JSON or nothing: refused with 415 before its body is read."""
    if request.method == "POST" and request.mimetype != "application/json":
        said = request.mimetype or "missing"
        raise UnsupportedMediaType(f"the request body must be JSON, sent with Content-Type: "
                                   f"application/json (its Content-Type is {said})")


@bp.after_app_request
def _headers_and_log(response: Response) -> Response:
    """Security headers on every answer, and one log line per request: status and duration."""
    response.headers.update(SECURITY_HEADERS)
    ms = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
    log.info("%s %s %d %.1fms", request.method, request.full_path.rstrip("?"),
             response.status_code, ms)
    return response


def _trace() -> Trace:
    return _compiled(_body(REQUEST_FIELDS))[1]


def _compiled(body: dict, *, check: bool = True, aspect: object = None
              ) -> tuple[compiled.Compiled, Trace]:
    with budget.answering_trace():
        return compiled.trace(body["expression"], body.get("variables"), body.get("f", "tanh"),
                              body.get("seed", 0), body.get("view", "vector"), check=check,
                              aspect=aspect)


def _body(fields: tuple[str, ...]) -> dict:
    """The request's JSON object: only `fields`, and a non-empty expression."""
    try:
        raw = request.get_data(cache=False)
    except OSError:   # the client went silent mid-body (gunicorn.conf.py's idle limit)
        raise BackpropError("the request body stopped arriving before its end", None) from None
    body = jsonio.loads(raw)
    if not isinstance(body, dict):
        raise BackpropError('the request body must be a JSON object: {"expression": "..."}')
    unknown = sorted(set(body) - set(fields))
    if unknown:
        raise BackpropError(f"unknown field {unknown[0]!r}: a request takes "
                            f"{', '.join(fields)}")
    expression = body.get("expression")
    if expression is None:
        raise BackpropError("expression is required")
    if not isinstance(expression, str):
        raise BackpropError("expression must be a string")
    if not expression.strip():
        raise BackpropError("expression is empty: type one, e.g. s = uᵀ f(Wx + b)")
    return body


def _every_step(fmt: str, steps: str) -> None:
    """An every-step export is a pdf (steps=all) or the html page, which opens at `step`."""
    if steps != "all":
        raise BackpropError(f"steps must be all, not {steps!r}")
    if fmt not in exports.TYPES:
        raise BackpropError(f"steps=all exports one of {', '.join(exports.TYPES)}, not {fmt!r}")
    if fmt == "pdf" and "step" in request.args:
        raise BackpropError("give step=K for one step or steps=all for every step, not both")


def _step(raw: str | None, n: int) -> int:
    """The export's step k, 0 ≤ k ≤ N; absent means N (everything computed)."""
    if raw is None:
        return n
    if not re.fullmatch(r"\d+", raw) or int(raw) > n:
        raise BackpropError(f"step must be a whole number from 0 to {n}, not {raw!r}")
    return int(raw)
