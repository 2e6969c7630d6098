"""Gunicorn's settings for `make serve`: `gunicorn -c gunicorn.conf.py app:app`.

Every request is CPU-bound (numpy, then a Graphviz layout in a subprocess) and the app keeps no
state between requests, so it scales by processes: sync workers, one request each at a time.
HOST, PORT and WORKERS come from the environment; MAX_REQUESTS=0 turns worker recycling off.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import timedelta

import orjson
from gunicorn import util
from gunicorn.http.wsgi import Response, default_environ
from gunicorn.workers.sync import SyncWorker

from backprop_viz import i18n
from backprop_viz.web import SECURITY_HEADERS


def _workers() -> int:
    """2 × cores + 1, gunicorn's rule of thumb, capped: past that, more workers only queue for
    the same cores while each holds its own copy of numpy."""
    return min(2 * (os.cpu_count() or 1) + 1, 9)


# Loopback unless told otherwise: a public server sits behind a reverse proxy (see README).
# Seconds a client may go silent mid-request; nginx in front (README) bounds a whole request.
CLIENT_IDLE_SECONDS = float(os.environ.get("CLIENT_IDLE_SECONDS") or 10)


def json_error(sock: object, status: int, reason: str, message: str,
               code: str = "error.http.other", params: dict | None = None) -> None:
    """gunicorn's own error pages (414 for a request line over 4,094 bytes, 400 for a malformed
    request, 500 for a worker that died mid-request) as the app answers errors: JSON, with the
    app's security headers. It replaces gunicorn.util.write_error, which writes HTML. gunicorn's
    words are its own: their code is error.http.other, with the status."""
    body = orjson.dumps({"error": message or reason.lower(), "code": code,
                         "params": {"status": status} if params is None else params,
                         "position": None})
    head = [f"HTTP/1.1 {status} {reason}", "Connection: close",
            "Content-Type: application/json", f"Content-Length: {len(body)}",
            *(f"{name}: {value}" for name, value in SECURITY_HEADERS.items())]
    util.write_nonblock(sock, ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)


util.write_error = json_error


class Worker(SyncWorker):
    """gunicorn's sync worker, but a request it must abort at its timeout (the app's own
    deadline, REQUEST_SECONDS, comes first) is answered JSON 503 and logged as such, and a
    client silent for CLIENT_IDLE_SECONDS while it sends (slowloris) or reads is dropped, so
    it holds the worker that long at most, not until gunicorn's timeout."""

    def handle(self, listener: object, client: socket.socket, addr: object) -> None:
        client.settimeout(CLIENT_IDLE_SECONDS)
        super().handle(listener, client, addr)

    def handle_error(self, req: object, client: object, addr: object, exc: BaseException
                     ) -> None:
        if not (isinstance(exc, SystemExit) and not self.alive and req is not None):
            super().handle_error(req, client, addr, exc)
            return
        params = {"seconds": self.cfg.timeout}
        message = i18n.say("error.unavailable.worker_timeout", "en", **params)
        self.log.error("timed out, answered 503: %s %s", req.method, req.uri)
        response = Response(req, client, self.cfg)
        response.status = "503 Service Unavailable"
        response.response_length = len(message)
        environ = default_environ(req, client, self.cfg)
        environ["REMOTE_ADDR"], environ["REMOTE_PORT"] = (addr or ("", -1))[0], "0"
        self.log.access(response, req, environ, timedelta(seconds=self.cfg.timeout))
        json_error(client, 503, "Service Unavailable", message,
                   "error.unavailable.worker_timeout", params)


bind = f"{os.environ.get('HOST') or '127.0.0.1'}:{os.environ.get('PORT') or '8000'}"
workers = int(os.environ.get("WORKERS") or _workers())
worker_class = Worker

# Imported once in the master, then forked: workers start fast and share numpy's pages.
preload_app = True

# A worker silent for 30 s is killed and replaced: its request is answered JSON 503 (Worker,
# above) and logged with that status. The app's own deadline (REQUEST_SECONDS, 10 s) stops any
# request first, so this is the last resort. On SIGTERM, requests in flight get 30 s to finish.
timeout = int(os.environ.get("WORKER_TIMEOUT") or 30)   # a test sets it low
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
