"""The Flask application: `flask --app app run`, or gunicorn `app:app`."""

from __future__ import annotations

import logging

from flask import Flask

from backprop_viz.limits import MAX_BODY_BYTES
from backprop_viz.web import bp


def create_app(test_config: dict | None = None) -> Flask:
    """An app per call, so tests can build their own with their own config."""
    app = Flask(__name__)
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


app = create_app()
