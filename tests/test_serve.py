"""The app as `make serve` runs it: gunicorn with gunicorn.conf.py, on loopback."""

from __future__ import annotations

import json
import os
import re
import runpy
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from checks import check_error, check_trace, strict_json

from backprop_viz.web import SECURITY_HEADERS
from tools.serving import ROOT, Gunicorn

LECTURE = "s = uᵀ f(Wx + b)"
# One line per request: client, request line, status, bytes, duration
ACCESS_LINE = re.compile(r'^127\.0\.0\.1 "POST /api/trace HTTP/1\.1" (\d{3}) \d+ \d+ms$', re.M)


def post(url: str, body: dict, path: str = "/api/trace") -> tuple[int, str]:
    request = urllib.request.Request(f"{url}{path}", data=json.dumps(body).encode(),
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


# ---------------------------------------------------------------- faults (issue 19)

TIMED = re.compile(r'"(?:GET|POST) (\S+) HTTP/1\.1" (\d{3}) \d+ (\d+)ms$', re.M)


def chain(n: int) -> str:
    """x feeds every node: a layout of about 2 s here, long enough to act during it."""
    return "\n".join(["c0 = x", *(f"c{i} = c{i - 1} * x" for i in range(1, n + 1)), f"s = c{n}"])


def in_background(url: str, body: dict) -> tuple[threading.Thread, dict]:
    answer: dict = {}

    def run() -> None:
        answer["status"], answer["text"] = post(url, body)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, answer


def children(pid: int, name: str) -> list[int]:
    """Processes called `name` whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if stat[stat.index("(") + 1:stat.rindex(")")] == name and int(
                stat[stat.rindex(")") + 2:].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def wait_until(condition, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while not (done := condition()) and time.monotonic() < deadline:
        time.sleep(0.02)
    return bool(done)


def test_faults_a_killed_dot_a_killed_worker_and_sigterm_lose_nothing(tmp_path):
    with Gunicorn(tmp_path, workers=1) as server:
        # a worker's dot killed mid-layout: a JSON 503, and the next request works
        [worker] = server.worker_pids()
        assert post(server.url, {"expression": LECTURE})[0] == 200   # its dot is running
        thread, answer = in_background(server.url, {"expression": chain(120)})
        assert wait_until(lambda: children(worker, "dot"))
        time.sleep(0.3)   # the chain is being laid out
        for pid in children(worker, "dot"):
            os.kill(pid, signal.SIGKILL)
        thread.join(30)
        assert answer["status"] == 503
        error = strict_json(answer["text"])
        assert error["position"] is None
        assert error["error"].startswith("the server failed to lay out the graph")
        assert post(server.url, {"expression": LECTURE})[0] == 200

        # a worker killed: the master starts another, and requests go on
        os.kill(worker, signal.SIGKILL)
        assert wait_until(lambda: server.worker_pids() not in ([], [worker]))
        status, text = post(server.url, {"expression": LECTURE})
        assert status == 200
        check_trace(strict_json(text), LECTURE, svg=True)

        # SIGTERM while a request is in flight: it finishes, then the server stops
        thread, answer = in_background(server.url, {"expression": chain(52)})
        assert wait_until(lambda: any(children(w, "dot") for w in server.worker_pids()))
        assert server.stop() == 0
        thread.join(30)
        assert answer["status"] == 200
        assert strict_json(answer["text"])["output"] == "s"


def test_gunicorns_own_errors_are_json_with_the_security_headers(tmp_path):
    """Its worker timeout (set to 1 s here, below the app's deadline) and its 414. The request
    is a 120-link chain's PNG, well over a second (its trace alone, about 1 s, can end before
    gunicorn's arbiter looks, which it does about once a second)."""
    with Gunicorn(tmp_path, workers=1, env={"WORKER_TIMEOUT": "1"}) as server:
        started = time.monotonic()
        status, text = post(server.url, {"expression": chain(120)}, "/api/export?format=png")
        assert status == 503 and time.monotonic() - started < 15
        assert strict_json(text) == {
            "error": "the request took longer than 1 s, the worker's timeout, and its worker "
                     "was replaced", "code": "error.unavailable.worker_timeout",
            "params": {"seconds": 1}, "position": None}
        assert wait_until(lambda: ("/api/export?format=png", "503") in [
            m[:2] for m in TIMED.findall(server.access_log.read_text())])

        request = urllib.request.Request(f"{server.url}/?{'a' * 5000}")
        try:
            urllib.request.urlopen(request, timeout=30)
            raise AssertionError("a 5,000-byte request line was accepted")
        except urllib.error.HTTPError as err:
            assert err.code == 414
            assert strict_json(err.read().decode())["position"] is None
            for name, value in SECURITY_HEADERS.items():
                assert err.headers[name] == value


# A worker's life in one process: 2,000 requests of distinct structures, each name holding an
# astral letter (𐐀, Deseret, which NFKC keeps: 4 bytes a character in a str), with the bounds
# of the layout cache and the structure cache lowered so that the structures fill them a few
# times over; prints both caches' sizes and entries and the RSS, in KiB, after the first 200
# requests and after all.
WORKER_LIFE = """
import json, resource, sys
from app import create_app
from backprop_viz import compiled, render
from tools.serving import rss_kib
import os
render.LAYOUTS.max_bytes = int(sys.argv[1])
compiled.CACHE.max_bytes = int(sys.argv[1])
client = create_app({"TESTING": True}).test_client()
seen = []
for i in range(int(sys.argv[2])):
    body = {"expression": f"h = tanh(W 𐐀{i} + b)\\ns = uᵀ h"}
    assert client.post("/api/trace", json=body).status_code == 200
    if i + 1 in (200, int(sys.argv[2])):
        seen.append(rss_kib(os.getpid()))
print(json.dumps({"rss": seen, "size": render.LAYOUTS.size, "entries": len(render.LAYOUTS),
                  "bound": render.LAYOUTS.max_bytes, "structures": len(compiled.CACHE),
                  "structure_bytes": compiled.CACHE.bytes}))
"""


def test_a_worker_serving_2000_distinct_structures_keeps_its_memory_bounded():
    bound = 2 * 1024 * 1024
    done = subprocess.run([sys.executable, "-c", WORKER_LIFE, str(bound), "2000"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600, check=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    life = json.loads(done.stdout.strip().splitlines()[-1])
    assert life["size"] <= life["bound"] == bound
    assert life["structure_bytes"] <= bound
    assert 10 < life["structures"] < 2000   # it filled, and evicted
    # the boxes differ only in their titles, which are drawn into the layout (drawn.py): the
    # 2,000 structures share the few layouts of their few box sizes
    assert 1 <= life["entries"] < 10
    early, late = life["rss"]
    assert late - early < 2 * bound // 1024 + 20 * 1024, life   # KiB: the bound, and slack


def test_a_slow_client_holds_a_worker_only_while_it_keeps_sending(tmp_path):
    """Slowloris: a request line and half the headers, then silence. With one worker, a
    request behind it waits for the idle limit (1 s here), not for gunicorn's 30 s timeout."""
    with Gunicorn(tmp_path, workers=1, env={"CLIENT_IDLE_SECONDS": "1"}) as server:
        with socket.create_connection(("127.0.0.1", server.port)) as slow:
            slow.sendall(b"POST /api/trace HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            time.sleep(0.2)   # the worker is reading it
            started = time.monotonic()
            status, text = post(server.url, {"expression": LECTURE})
            waited = time.monotonic() - started
        assert status == 200 and strict_json(text)["output"] == "s"
        assert waited < 10, waited

        with socket.create_connection(("127.0.0.1", server.port), timeout=20) as cut:
            cut.sendall(b"POST /api/trace HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                        b"application/json\r\nContent-Length: 100\r\n\r\n{\"expression\"")
            answer = b""
            while chunk := cut.recv(65536):
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400"), head
        assert strict_json(body.decode())["position"] is None
