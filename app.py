"""The Flask application: `flask --app app run`, or gunicorn `app:app`."""

from __future__ import annotations

from flask import Flask

from backprop_viz.web import bp


def create_app(test_config: dict | None = None) -> Flask:
    """An app per call, so tests can build their own with their own config."""
    app = Flask(__name__)
    if test_config:
        app.config.update(test_config)
    app.register_blueprint(bp)
    return app


app = create_app()
