"""Gunicorn's settings for `make serve`: `gunicorn -c gunicorn.conf.py app:app`.

Every request is CPU-bound (numpy, then a Graphviz layout in a subprocess) and the app keeps no
state between requests, so it scales by processes: sync workers, one request each at a time.
HOST, PORT and WORKERS come from the environment; MAX_REQUESTS=0 turns worker recycling off.
"""

from __future__ import annotations

import logging
import os


def _workers() -> int:
    """2 × cores + 1, gunicorn's rule of thumb, capped: past that, more workers only queue for
    the same cores while each holds its own copy of numpy."""
    return min(2 * (os.cpu_count() or 1) + 1, 9)


# Loopback unless told otherwise: a public server sits behind a reverse proxy (see README).
bind = f"{os.environ.get('HOST') or '127.0.0.1'}:{os.environ.get('PORT') or '8000'}"
workers = int(os.environ.get("WORKERS") or _workers())
worker_class = "sync"

# Imported once in the master, then forked: workers start fast and share numpy's pages.
preload_app = True

# A worker silent for 30 s is killed and replaced; the limits in backprop_viz/limits.py keep
# every legitimate request far below that. On SIGTERM, requests in flight get 30 s to finish.
timeout = 30
graceful_timeout = 30
# Recycle each worker after about this many requests, so that heap fragmentation from large
# answers cannot build up forever; the jitter keeps workers from restarting all at once.
max_requests = int(os.environ.get("MAX_REQUESTS") or 2000)
max_requests_jitter = max_requests // 10

# One line per request on stdout: client, request line, status, bytes, and duration in ms.
# (The app's own per-request line, for `make run`, is silenced in each worker: see post_fork.)
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = "info"

# No control socket: its default path in $HOME is one per user, so two servers (make serve and
# the tests, say) would fight over it.
control_socket_disable = True


def post_fork(_server: object, _worker: object) -> None:
    """Under gunicorn its access line is the one line per request; the app's own is for servers
    that have none. Tracebacks of faults still reach the error log."""
    logging.getLogger("backprop_viz.web").setLevel(logging.WARNING)
