"""The Flask app and its servers: `create_app()` for tests, `flask` and gunicorn; `serve()` for
`backprop-viz serve`, gunicorn where it is installed, else Flask's own server."""

from __future__ import annotations

import importlib
import logging
import os
import sys

from flask import Flask

from . import assets
from .limits import MAX_BODY_BYTES
from .web import bp

# The app for gunicorn's command line: a factory, so nothing is built before gunicorn forks
# (gunicorn.conf.py preloads it once in the master).
APP_SPEC = "backprop_viz.server:create_app()"


def create_app(test_config: dict | None = None) -> Flask:
    """An app per call, so tests can build their own with their own config."""
    page = assets.root()
    app = Flask(__name__, template_folder=page / "templates", static_folder=page / "static")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    if not logging.getLogger("backprop_viz").handlers:  # one line per request, to stderr
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logging.getLogger("backprop_viz").addHandler(handler)
        logging.getLogger("backprop_viz").setLevel(logging.INFO)
    if test_config:
        app.config.update(test_config)
    app.register_blueprint(bp)
    return app


def has_gunicorn() -> bool:
    """gunicorn installed and able to run here (it needs fcntl, so not on Windows)."""
    try:
        importlib.import_module("gunicorn.app.wsgiapp")
    except ImportError:
        return False
    return True


def serve(host: str, port: int, workers: int | None) -> int:
    """gunicorn with gunicorn.conf.py's settings, which take HOST, PORT and WORKERS from the
    environment; this process becomes gunicorn's master, so signals reach it directly."""
    if has_gunicorn():
        env = {**os.environ, "HOST": host, "PORT": str(port)}
        if workers is not None:
            env["WORKERS"] = str(workers)
        argv = [sys.executable, "-m", "gunicorn", "-c", str(assets.root() / "gunicorn.conf.py"),
                "--pythonpath", str(assets.PACKAGE.parent), APP_SPEC]
        os.execve(sys.executable, argv, env)
    print("warning: gunicorn is not installed here (it does not run on Windows), so this is "
          "Flask's development server: one process, not for a class"
          + (f"; --workers {workers} is ignored" if workers is not None else ""),
          file=sys.stderr)
    create_app().run(host=host, port=port)
    return 0
