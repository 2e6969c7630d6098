"""The HTTP layer: JSON in, JSON out; it only translates between HTTP and the package.

Every error a caller can cause is a BackpropError, answered as 400 `{"error", "code", "params",
"position"}` (docs/API.md); the
engine checks `f`, `seed` and `variables`, this layer the body and the export's query. A POST
must say `Content-Type: application/json` (415 otherwise: a page on another site cannot send
one without a CORS preflight). Every API request runs under a deadline (REQUEST_SECONDS); work
the server could not finish, in time or at all, is a 503 in the same JSON.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import time
from collections.abc import Callable
from concurrent.futures import Future
from functools import wraps
from typing import Any

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
from markupsafe import Markup
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from . import (
    assets,
    budget,
    compiled,
    deadline,
    exports,
    i18n,
    jsonio,
    practice,
    render,
    sgd,
    training,
)
from .deadline import Unavailable
from .errors import BackpropError, HttpError
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
LANG_COOKIE = "backprop-viz-lang"   # the language the page's switch chose (static/js/i18n.js)
# KaTeX as npm installed it (`make assets`, from package-lock.json): served by the app, no CDN.
KATEX_DIST = assets.root() / assets.KATEX
KATEX_FILES = re.compile(r"(katex\.mjs|katex\.min\.css|fonts/KaTeX_[A-Za-z0-9_-]+\.woff2)")


@bp.get("/")
def index() -> str:
    """The step-through page, in the language of `?lang=`, else of the choice its switch kept
    (the cookie LANG_COOKIE), else of Accept-Language, its catalog inlined; it asks /api/trace
    for the graph itself."""
    asked = request.args.get("lang", "")
    kept = request.cookies.get(LANG_COOKIE, "")
    lang = asked if asked in i18n.LANGS else kept if kept in i18n.LANGS else \
        i18n.pick(request.headers.get("Accept-Language", ""))
    return render_template("index.html", expression=DEFAULT_EXPRESSION, f_choices=F_CHOICES,
                           inputs_and_targets=training.INPUTS_AND_TARGETS,
                           max_scalar_nodes=MAX_SCALAR_NODES, max_train_steps=MAX_TRAIN_STEPS,
                           script=_page_script(), lang=lang,
                           t=functools.partial(_word, lang),
                           tm=functools.partial(_marked, lang), catalog=Markup(i18n.inline(lang)))


def _word(lang: str, key: str, **params: object) -> str:
    return i18n.say(key, lang, **params)


def _marked(lang: str, key: str, **parts: Markup) -> Markup:
    return i18n.markup(key, lang, **parts)


@bp.get("/i18n/<lang>.json")
def catalog(lang: str) -> Response:
    """A language's catalog (i18n.py): the page fetches the other one when the switch asks."""
    if lang not in i18n.LANGS:
        abort(404, description=f"no catalog {lang[:16]!r}: the languages are "
                               f"{', '.join(i18n.LANGS)}")
    etag = i18n.etag(lang)
    headers = {"ETag": etag, "Cache-Control": "public, max-age=3600, must-revalidate"}
    if etag in request.headers.get("If-None-Match", ""):
        return Response(status=304, headers=headers)
    return Response(i18n.raw(lang), mimetype="application/json", headers=headers)


@bp.get("/page.css")
def page_css() -> Response:
    """The app's style sheets (assets.STYLES) as one, in cascade order. Read again when one of
    them changed on disk, so an edit shows on reload with no restart."""
    paths = [assets.root() / sheet for sheet in assets.STYLES]
    stamp = tuple(p.stat().st_mtime_ns for p in paths)
    if _styles[0] != stamp:  # one tuple, swapped whole: a thread never reads half of two
        body = "".join(f"/* {sheet} */\n{p.read_text(encoding='utf-8')}\n"
                       for sheet, p in zip(assets.STYLES, paths, strict=True)).encode()
        _styles[:] = [stamp, body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"']
    _, body, etag = list(_styles)
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if etag in request.headers.get("If-None-Match", ""):
        return Response(status=304, headers=headers)
    return Response(body, mimetype="text/css", headers=headers)


_styles: list[Any] = [None, b"", ""]


@functools.cache
def _page_modules() -> tuple[str, ...]:
    """The page's script modules (static/js, but the standalone export's entry), preloaded."""
    folder = assets.root() / "static" / "js"
    return tuple(f"js/{p.name}" for p in sorted(folder.glob("*.js")) if p.name != "standalone.js")


def _page_script() -> dict[str, Any]:
    """What the page loads: assets.BUNDLE where it was built from static/js as it is now (one
    request), else the modules, each preloaded. Rechecked when a source's size or time changes,
    so an edited module is served at once, and the bundle again once rebuilt."""
    base = assets.root()
    files = assets.page_sources(base)
    bundle = base / assets.BUNDLE
    stamp = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in [*files, bundle]
                  if p.exists())
    if _script[0] != stamp:
        fresh = False
        if bundle.exists():
            with bundle.open("rb") as f:
                first = f.readline().decode(errors="replace").rstrip("\n")
            fresh = first == assets.BUNDLE_BANNER + assets.sources_digest(files)
        _script[:] = [stamp, {"bundle": assets.BUNDLE.removeprefix("static/") if fresh else None,
                              "modules": () if fresh else _page_modules()}]
    return _script[1]


_script: list[Any] = [None, None]


@bp.get("/api/presets")
def presets() -> Response:
    """The examples of presets.py, in order: each a request for /api/trace, titled and captioned
    in the language `lang` names, else the one Accept-Language prefers."""
    lang = _lang(i18n.pick(request.headers.get("Accept-Language")))
    return Response(jsonio.dumps([p.to_dict(lang) for p in PRESETS]),
                    mimetype="application/json", headers={"Vary": "Accept-Language"})


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
            raise BackpropError("error.limit.answer_bytes", size=size, limit=MAX_ANSWER_BYTES)
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
        raise BackpropError("error.request.structure_type")
    laid: list[Future[str]] = []   # a new structure's layout, started before its words
    found, result = _compiled(body, check=False, aspect=body.get("aspect"),
                              on_structure=None if held else (
                                  lambda first, box: laid.append(render.svg_soon(first, box))))
    if held == found.key:
        answer = {"structure": found.key, "numbers": compiled.checked(found, result)
                  .numbers_dict()}
    else:   # the layout runs while the words, the gradient check and the JSON are worked out
        svg = laid[0] if laid else render.svg_soon(result, found.aspect)
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
        raise HttpError(404, "error.http.structure_not_found", key=repr(key[:64]))
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
        raise BackpropError("error.train.needs_dataset", field=extra[0])
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
    PDF with a page per step (`steps=all`), or the standalone HTML page (format=html), whose
    words are in `lang` (default en)."""
    fmt = request.args.get("format", "")
    lang = _lang("en")
    every = fmt == "html" or "steps" in request.args
    if every:
        _every_step(fmt, request.args.get("steps", "all"))
    elif fmt not in render.EXPORT_TYPES:
        raise BackpropError("error.request.one_of", field="format",
                            choices=", ".join((*render.EXPORT_TYPES, "html")), got=repr(fmt))
    result = _trace()
    name = result.output_name if re.fullmatch(r"[A-Za-z0-9_]+", result.output_name) else "graph"
    if every and fmt == "pdf":
        budget.check_export(len(result.nodes), len(result.edges), render.layout_span(result),
                            len(result.steps) + 1, exports.DOT_WORKERS)
    if every:
        start = _step(request.args.get("step", "0"), len(result.steps))
        body, kind, which = (exports.export(result, fmt, start, lang), exports.TYPES[fmt],
                             "steps")
    else:
        step = _step(request.args.get("step"), len(result.steps))
        theme = request.args.get("theme", "light")
        body, kind, which = (render.export(result, fmt, step, theme=theme),
                             render.EXPORT_TYPES[fmt], f"step{step}")
    return Response(body, content_type=kind, headers={
        "Content-Disposition": f'attachment; filename="backprop-{name}-{which}.{fmt}"'})


@bp.app_errorhandler(BackpropError)
def user_error(err: BackpropError) -> tuple[Response, int]:
    """The caller's mistake: 400 (or an HttpError's own status) with its code and params."""
    return jsonify(err.to_json()), getattr(err, "status", 400)


@bp.app_errorhandler(Unavailable)
def unavailable(err: Unavailable) -> tuple[Response, int]:
    """The server could not finish (its deadline, or Graphviz failed): said as such, a 503."""
    log.warning("503: %s", err.message)
    return jsonify(err.to_json()), 503


@bp.app_errorhandler(RequestEntityTooLarge)
def too_large(_err: RequestEntityTooLarge) -> tuple[Response, int]:
    size = request.content_length
    err = (BackpropError("error.limit.body_bytes", size=size, limit=MAX_BODY_BYTES)
           if size is not None else BackpropError("error.limit.body_unsized", limit=MAX_BODY_BYTES))
    return jsonify(err.to_json()), 400


@bp.app_errorhandler(HTTPException)
def http_error(err: HTTPException) -> tuple[Response, int]:
    """404, 405 …: JSON like every other answer, with the status Werkzeug chose; a status the
    catalogs have no words for keeps Werkzeug's description."""
    status = err.code or 500
    code = f"error.http.{status}"
    if code not in i18n.catalog("en"):
        return jsonify({"error": err.description, "code": "error.http.other",
                        "params": {"status": status}, "position": None}), status
    return jsonify(BackpropError(code).to_json()), status


@bp.app_errorhandler(500)
def server_error(_err: Exception) -> tuple[Response, int]:
    """A fault of ours (Flask has logged its traceback): said plainly, with no traceback."""
    return jsonify(BackpropError("error.http.500").to_json()), 500


@bp.before_app_request
def _start_clock() -> None:
    g.started = time.perf_counter()


@bp.before_app_request
def _json_only() -> None:
    """A POST is JSON or nothing: refused with 415 before its body is read."""
    if request.method == "POST" and request.mimetype != "application/json":
        if request.mimetype:
            raise HttpError(415, "error.http.not_json", content_type=request.mimetype)
        raise HttpError(415, "error.http.not_json_missing")


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


def _compiled(body: dict, *, check: bool = True, aspect: object = None,
              on_structure: Callable[[Trace, float | None], Any] | None = None
              ) -> tuple[compiled.Compiled, Trace]:
    with budget.answering_trace():
        return compiled.trace(body["expression"], body.get("variables"), body.get("f", "tanh"),
                              body.get("seed", 0), body.get("view", "vector"), check=check,
                              aspect=aspect, on_structure=on_structure)


def _body(fields: tuple[str, ...]) -> dict:
    """The request's JSON object: only `fields`, and a non-empty expression."""
    try:
        raw = request.get_data(cache=False)
    except OSError:   # the client went silent mid-body (gunicorn.conf.py's idle limit)
        raise BackpropError("error.request.body_cut") from None
    body = jsonio.loads(raw)
    if not isinstance(body, dict):
        raise BackpropError("error.request.body_type", example='{"expression": "..."}')
    unknown = sorted(set(body) - set(fields))
    if unknown:
        raise BackpropError("error.request.unknown_field", field=repr(unknown[0]),
                            fields=", ".join(fields))
    expression = body.get("expression")
    if expression is None:
        raise BackpropError("error.request.expression_required")
    if not isinstance(expression, str):
        raise BackpropError("error.request.expression_type")
    if not expression.strip():
        raise BackpropError("error.request.expression_empty")
    return body


def _every_step(fmt: str, steps: str) -> None:
    """An every-step export is a pdf (steps=all) or the html page, which opens at `step`."""
    if steps != "all":
        raise BackpropError("error.export.steps_all", got=repr(steps))
    if fmt not in exports.TYPES:
        raise BackpropError("error.export.every_step_format", choices=", ".join(exports.TYPES),
                            got=repr(fmt))
    if fmt == "pdf" and "step" in request.args:
        raise BackpropError("error.export.step_and_steps")


def _lang(default: str) -> str:
    """The query's `lang` (en or ko), else `default`."""
    lang = request.args.get("lang", default)
    if lang not in i18n.LANGS:
        raise BackpropError("error.request.one_of", field="lang", choices=", ".join(i18n.LANGS),
                            got=repr(lang))
    return lang


def _step(raw: str | None, n: int) -> int:
    """The export's step k, 0 ≤ k ≤ N; absent means N (everything computed)."""
    if raw is None:
        return n
    if not re.fullmatch(r"\d+", raw) or int(raw) > n:
        raise BackpropError("error.request.step", low=0, high=n, got=repr(raw))
    return int(raw)
