"""The Flask app and its servers: `create_app()` for tests, `flask` and gunicorn `app:app`;
`serve()` for `backprop-viz serve`, gunicorn where it is installed, else Flask's own server."""

from __future__ import annotations

import gc
import logging
import sys

from flask import Flask

from . import assets
from .limits import MAX_BODY_BYTES
from .web import bp

# How often the interpreter lets another thread run: a new structure's layout thread wakes when
# `dot` answers, but waits for the request thread (writing the words, CPU-bound) to give up the
# lock, up to Python's default 5 ms at every wake-up. At 1 ms, `dot`'s answer on a 50-layer net,
# read while another thread computes, took 11 ms instead of 20 (alone: 11 ms).
SWITCH_SECONDS = 0.001
# A request allocates hundreds of thousands of small objects (a 100-layer net's forms, its
# JSON), and Python's collector ran its youngest generation every 700 of them. None of it is
# cyclic garbage worth finding that often: at 10,000 a new structure took 4 % less CPU at 20 and
# 50 layers and 5–13 % less at 100 (median of 10, interleaved, 2026-12-03).
GC_THRESHOLD = (10_000, 10, 10)


def create_app(test_config: dict | None = None) -> Flask:
    """An app per call, so tests can build their own with their own config."""
    page = assets.root()
    app = Flask(__name__, template_folder=page / "templates", static_folder=page / "static")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    sys.setswitchinterval(SWITCH_SECONDS)
    gc.set_threshold(*GC_THRESHOLD)
    if not logging.getLogger("backprop_viz").handlers:  # one line per request, to stderr
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logging.getLogger("backprop_viz").addHandler(handler)
        logging.getLogger("backprop_viz").setLevel(logging.INFO)
    if test_config:
        app.config.update(test_config)
    app.register_blueprint(bp)
    return app


def serve(host: str, port: int, workers: int | None) -> int:
    """gunicorn, in this process, with gunicorn.conf.py's settings and the address and workers
    given; where it cannot be imported (it needs fcntl, so not on Windows), Flask's server."""
    try:
        from gunicorn.app.base import Application
    except ImportError:
        print("warning: gunicorn is not installed here (it does not run on Windows), so this is "
              "Flask's development server: one process, not for a class"
              + (f"; --workers {workers} is ignored" if workers is not None else ""),
              file=sys.stderr)
        create_app().run(host=host, port=port)
        return 0

    class Gunicorn(Application):
        def load_config(self) -> None:      # the settings file, not gunicorn's command line
            self.load_config_from_file(str(assets.root() / "gunicorn.conf.py"))
            self.cfg.set("bind", [f"{host}:{port}"])
            if workers is not None:
                self.cfg.set("workers", workers)

        def load(self) -> Flask:
            return create_app()

    Gunicorn().run()
    return 0
