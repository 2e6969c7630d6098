"""A time limit per request, inside the app and below gunicorn's worker timeout, and the one
answer for work the server could not finish: 503 `{"error", "code", "params", "position": null}`.

`within(seconds)` arms SIGALRM when it runs in the main thread (a gunicorn sync worker, a test,
the command line): at the deadline Python code anywhere stops at its next bytecode, and every
`dot` is killed on the way out (render.py), so the worker answers and takes the next request.
In another thread (Flask's threaded development server) no signal can reach it: there only the
layouts stop, since each `dot` waits at most `remaining()`. Threads a request starts (an
every-step PDF lays two pages out at once) see the main thread's deadline too.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from . import i18n


class Unavailable(RuntimeError):
    """The server failed, not the request: a deadline passed or Graphviz died; HTTP 503."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code, self.params = code, params
        self.message = i18n.say(code, "en", **params)
        super().__init__(self.message)

    def to_json(self) -> dict:
        return {"error": self.message, "code": self.code, "params": self.params,
                "position": None}


class _Expired(BaseException):
    """Raised by SIGALRM inside whatever was running; a BaseException, so that no `except
    Exception` on the way swallows it. `within` turns it into Unavailable."""


_local = threading.local()
_main_ends: float | None = None    # the main thread's deadline, for the threads it starts
_main_seconds = 0.0


def remaining() -> float | None:
    """Seconds left before this request's deadline (≤ 0 once past), or None outside one."""
    ends = getattr(_local, "ends", None)
    if ends is None:
        ends = _main_ends
    return None if ends is None else ends - time.monotonic()


def check() -> None:
    """Stop here if the deadline has passed (the cooperative half, for threads)."""
    left = remaining()
    if left is not None and left <= 0:
        raise passed()


def passed() -> Unavailable:
    """This request's deadline, said as its own: the limit it was given, not what was left."""
    return expired(getattr(_local, "seconds", None) or _main_seconds)


def expired(seconds: float) -> Unavailable:
    return Unavailable("error.unavailable.deadline", seconds=f"{seconds:g}")


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """Run the block under a deadline `seconds` from now; past it, Unavailable."""
    global _main_ends, _main_seconds
    main = threading.current_thread() is threading.main_thread()
    _local.ends, _local.seconds = time.monotonic() + seconds, seconds
    previous = None
    if main:
        _main_ends, _main_seconds = _local.ends, seconds
        previous = signal.signal(signal.SIGALRM, _alarm) or signal.SIG_DFL  # None: set in C
        signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        try:
            yield
        finally:
            _disarm(main, previous)
    except _Expired:   # in the block, or in _disarm before it stopped the timer
        _disarm(main, previous)
        raise expired(seconds) from None


def _disarm(main: bool, previous: object) -> None:
    """Stop the timer first, then put back what was there; safe to run twice."""
    global _main_ends
    if main:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        _main_ends = None
    _local.ends = None


def _alarm(_signum: int, _frame: FrameType | None) -> None:
    raise _Expired
