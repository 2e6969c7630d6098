"""The app as `make serve` runs it: gunicorn with gunicorn.conf.py, on loopback."""

from __future__ import annotations

import json
import re
import runpy
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from checks import check_error, check_trace, strict_json

from tools.serving import ROOT, Gunicorn

LECTURE = "s = uᵀ f(Wx + b)"
# One line per request: client, request line, status, bytes, duration
ACCESS_LINE = re.compile(r'^127\.0\.0\.1 "POST /api/trace HTTP/1\.1" (\d{3}) \d+ \d+ms$', re.M)


def post(url: str, body: dict) -> tuple[int, str]:
    request = urllib.request.Request(f"{url}/api/trace", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def wait_for(pattern: re.Pattern, path: Path, count: int) -> list[str]:
    """The log's matches once there are `count` of them; a log line is written just after the
    answer is sent, so it may lag the response by a moment."""
    deadline = time.monotonic() + 10
    while len(found := pattern.findall(path.read_text())) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def test_gunicorn_serves_traces_logs_them_and_stops_cleanly(tmp_path):
    with Gunicorn(tmp_path, workers=2) as server:
        workers = server.worker_pids()
        assert len(workers) == 2

        status, text = post(server.url, {"expression": LECTURE})
        assert status == 200
        check_trace(strict_json(text), LECTURE, svg=True)
        status, text = post(server.url, {"expression": "s = uᵀ f(Wx + b"})
        assert status == 400
        check_error(strict_json(text), "s = uᵀ f(Wx + b")
        assert wait_for(ACCESS_LINE, server.access_log, 2) == ["200", "400"]
        assert "POST /api/trace" not in server.error_log.read_text()   # one line, not two

        assert server.stop() == 0
        assert "Shutting down: Master" in server.error_log.read_text()
        assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()], "orphaned workers"


CONFIG = str(ROOT / "gunicorn.conf.py")


@pytest.mark.parametrize("env, bind, workers", [
    ({}, "127.0.0.1:8000", None),
    ({"HOST": "", "PORT": "", "WORKERS": ""}, "127.0.0.1:8000", None),   # `make serve`'s blanks
    ({"PORT": "8123", "WORKERS": "3"}, "127.0.0.1:8123", 3),
])
def test_config_listens_on_loopback_unless_told(monkeypatch, env, bind, workers):
    for name in ("HOST", "PORT", "WORKERS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    config = runpy.run_path(CONFIG)
    assert config["bind"] == bind
    if workers is None:   # by default 2 × cores + 1, capped
        assert 3 <= config["workers"] <= 9
    else:
        assert config["workers"] == workers
    assert config["accesslog"] == "-" and "%(s)s" in config["access_log_format"]
