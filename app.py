"""The Flask application: `flask --app app run`, or gunicorn `app:app`. It is built in the
package (backprop_viz/server.py), so that an installed copy has it too."""

from __future__ import annotations

from backprop_viz.server import create_app

__all__ = ["app", "create_app"]

app = create_app()
