"""Graphviz's `dot`, run by the renderer: one process kept running for the page's layouts, or one
per export; each under a time limit, its failures the server's (Unavailable, a 503), never the
user's."""

from __future__ import annotations

import fcntl
import os
import selectors
import subprocess
import threading
import time

from . import deadline
from .deadline import Unavailable
from .limits import DOT_TIMEOUT_SECONDS


class DotProcess:
    """One `dot -Tsvg` kept running, fed one graph after another on its standard input: it
    reads and lays out each graph as it comes, and starting it (process, plugins, fonts) is
    about 12 ms of the 13 ms a small graph costs (`make bench`). One per process (a gunicorn
    worker forks after import); a layout that fails or passes its time limit (DOT_TIMEOUT_SECONDS,
    or what is left of the request's deadline) kills it, and the next starts anew. Either is the
    server's failure, never the user's: Unavailable, a 503."""

    END = b"</svg>\n"

    def __init__(self) -> None:
        self._proc: subprocess.Popen | None = None
        self._owner = 0
        self._lock = threading.Lock()

    def svg(self, source: str) -> str:
        with self._lock:
            try:
                proc = self._process()
            except OSError as err:   # not installed, or no process could be started
                raise Unavailable("error.unavailable.dot_not_started",
                                  reason=err.strerror) from None
            try:
                proc.stdin.write(source.encode() + b"\n")
                proc.stdin.flush()
                return self._read(proc).decode()
            except OSError as err:   # its pipe broke: it died while being fed
                self._stop()
                raise Unavailable("error.unavailable.dot_stopped", reason=err.strerror) from None
            except BaseException:
                self._stop()
                raise

    def _process(self) -> subprocess.Popen:
        if self._proc is None or self._owner != os.getpid() or self._proc.poll() is not None:
            self._proc = subprocess.Popen(["dot", "-Tsvg"], stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            self._owner = os.getpid()
            _widen(self._proc.stdout)
            _widen(self._proc.stdin)
        return self._proc

    def _read(self, proc: subprocess.Popen) -> bytes:
        limit, timeout = dot_timeout()
        deadline_at = time.monotonic() + timeout
        out, err = bytearray(), bytearray()
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ, out)
            sel.register(proc.stderr, selectors.EVENT_READ, err)
            while not out.endswith(self.END):
                left = deadline_at - time.monotonic()
                ready = sel.select(left) if left > 0 else []
                if not ready:
                    raise stalled(limit, timeout)
                for key, _ in ready:
                    chunk = os.read(key.fd, 1 << 16)
                    if not chunk:
                        raise Unavailable("error.unavailable.dot_stopped", reason=_tail(err))
                    key.data.extend(chunk)
                if b"Error" in err:
                    raise Unavailable("error.unavailable.dot_refused", reason=_tail(err))
        return bytes(out)

    def _stop(self) -> None:
        """Kill and reap the process, so no `dot` outlives a failed layout."""
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            for pipe in (self._proc.stdin, self._proc.stdout, self._proc.stderr):
                pipe.close()
            self._proc = None


def _widen(pipe: object) -> None:
    """A pipe as large as the system allows (Linux: 1 MiB by default, against 64 KiB): `dot`
    writes a 100-layer net's SVG at once and our reader wakes once, instead of once per 64 KiB.
    Each wake-up waits for the interpreter's lock, held meanwhile by the request thread writing
    the words, up to its switch interval (5 ms) each time: 20 ms of a 50-layer net's request."""
    if not hasattr(fcntl, "F_SETPIPE_SZ"):   # macOS: the pipe stays as it is
        return
    try:
        with open("/proc/sys/fs/pipe-max-size") as f:
            size = int(f.read())
        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, size)
    except (OSError, ValueError):    # a smaller limit, or no /proc: the default pipe works
        pass


def dot_timeout() -> tuple[str, float]:
    """How long the next `dot` may run, and which limit that is: DOT_TIMEOUT_SECONDS, or less
    where the request's deadline comes first (past it, Unavailable at once)."""
    deadline.check()
    left = deadline.remaining()
    if left is not None and left < DOT_TIMEOUT_SECONDS:
        return "request", left
    return "own", DOT_TIMEOUT_SECONDS


def stalled(limit: str, seconds: float) -> Unavailable:
    """`dot` ran past `limit`: its own (error.unavailable.dot_stalled_own), or the request's,
    which is the request's deadline and is said as one, with the request's whole limit: the
    user hit REQUEST_SECONDS, not the fraction of it that was left for the layout."""
    if limit == "request":
        return deadline.passed()
    return Unavailable("error.unavailable.dot_stalled_own", seconds=f"{seconds:.3g}")


def _tail(err: bytes | bytearray) -> str | dict:
    """The end of dot's standard error, for the message: what went wrong, not a page of it."""
    text = bytes(err).decode(errors="replace").strip()
    return text[-200:] if text else {"code": "error.unavailable.no_message", "params": {}}


def run_dot(source: str, fmt: str) -> bytes:
    """Graphviz's `dot` under a time limit (the graphviz package's pipe has none): past it, or
    on any way out, subprocess.run kills and reaps the process; a failure is Unavailable."""
    limit, timeout = dot_timeout()
    try:
        done = subprocess.run(["dot", f"-T{fmt}"], input=source.encode(), capture_output=True,
                              timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        raise stalled(limit, timeout) from None
    except subprocess.CalledProcessError as err:
        raise Unavailable("error.unavailable.dot_exit", status=err.returncode,
                          reason=_tail(err.stderr)) from None
    except OSError as err:   # not installed, or no process could be started
        raise Unavailable("error.unavailable.dot_not_started", reason=err.strerror) from None
    return done.stdout
