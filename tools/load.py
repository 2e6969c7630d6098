"""Load: drive gunicorn with wrk and tools/load.lua from 32 clients, on loopback only.

    python3 tools/load.py [--seconds 30] [--clients 32] [--workers N] [--warmup 5]
    python3 tools/load.py --mix expensive [--seconds 30] [--hogs 4]

Starts the server as `make serve` does (gunicorn.conf.py, sync workers, worker recycling off so
that memory is measured on the same processes) on a free 127.0.0.1 port, warms it up, drives it
for a bounded time, stops it, and prints: requests/s; latency percentiles as the clients saw them
(wrk, queueing included) and as the workers spent them (gunicorn's access log); answers by status
class, counted by the Lua script and again from the access log; wrk's socket errors; each
worker's resident memory before and after. Exits 1 on any 5xx or socket error.

`--mix expensive` asks whether one client can starve the others: `--hogs` clients (4) send the
most expensive requests the budgets accept, back to back, while one client sends the lecture's
cheap request, one at a time, and its latency is measured. Prints both kinds' latencies and
statuses; exits 1 on any 5xx or if the cheap request's p99 is 1 s or more.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import runpy
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.serving import Gunicorn, rss_kib  # noqa: E402

SCRIPT = ROOT / "tools" / "load.lua"
ACCESS_LINE = re.compile(r'" (\d{3}) \d+ (\d+)ms$', re.M)
MEMORY_TARGET = 0.20   # a worker's RSS after the run within 20% of before
FAIR_P99_SECONDS = 1.0  # the cheap request's p99 while the hogs run


def _net(layers: int) -> dict:
    """h_i = tanh(W_i h_{i−1} + b_i), s = uᵀ h_L, 4×4 weights (issue 7's workload)."""
    lines = ["h0 = x", *(f"h{i} = tanh(W{i} h{i - 1} + b{i})" for i in range(1, layers + 1))]
    variables = {"x": {"shape": [4, 1]}}
    for i in range(1, layers + 1):
        variables |= {f"W{i}": {"shape": [4, 4]}, f"b{i}": {"shape": [4, 1]}}
    return {"expression": "\n".join([*lines, f"s = uᵀ h{layers}"]), "variables": variables}


CHEAP = ("/api/trace", {"expression": "s = uᵀ f(Wx + b)"})
# The most expensive requests each budget still accepts (README, Reliability).
EXPENSIVE = [
    ("/api/export?format=pdf&steps=all", _net(5)),                        # 59 pages
    ("/api/trace", {"expression": "s = sum(" + "tanh(" * 199 + "x" + ")" * 200}),
    ("/api/trace", {"expression": "s = uᵀ f(Wx + b)", "variables": {"W": {"shape": [512, 512]}}}),
    ("/api/trace", {"expression": "s = sum([" + "; ".join(["x"] * 1000) + "])"}),
    ("/api/train", {"expression": "s = uᵀ f(Wx + b)", "steps": 1000}),
    ("/api/trace", _net(200)),
]


def drive(wrk: str, url: str, seconds: int, clients: int, threads: int) -> tuple[dict, str]:
    """One wrk run; returns the script's LOAD_RESULT and wrk's own report."""
    command = [wrk, "--threads", str(threads), "--connections", str(clients),
               "--duration", f"{seconds}s", "--timeout", "10s", "--latency",
               "--script", str(SCRIPT), url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60,
                          check=True)
    report, found, result = done.stdout.partition("LOAD_RESULT ")
    if not found:   # wrk runs even when the script fails to load; its error is on stderr
        raise RuntimeError(f"wrk gave no result:\n{done.stderr}{done.stdout}")
    return json.loads(result), report


def settle(log: Path) -> None:
    """Wait until the access log stops growing: the requests wrk left in flight are done."""
    size = -1
    while size != (size := log.stat().st_size):
        time.sleep(1)


def percentiles(values: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=30, help="how long to drive (30)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent connections (32)")
    parser.add_argument("--threads", type=int, default=1,
                        help="wrk threads (1: the load generator shares the server's cores)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (gunicorn.conf.py's)")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of warm-up, not counted")
    parser.add_argument("--mix", choices=("class", "expensive"), default="class",
                        help="class: wrk and load.lua (default); expensive: hogs and one cheap "
                             "client")
    parser.add_argument("--hogs", type=int, default=4, help="expensive clients (4)")
    args = parser.parse_args(argv)
    if args.mix == "expensive":
        return expensive(args)
    wrk = shutil.which("wrk")
    if wrk is None:
        print("wrk is not installed: `make load` installs it (Debian: apt-get install wrk)",
              file=sys.stderr)
        return 2
    workers = args.workers or runpy.run_path(str(ROOT / "gunicorn.conf.py"))["workers"]

    with tempfile.TemporaryDirectory() as logs, \
            Gunicorn(Path(logs), workers, env={"MAX_REQUESTS": "0"}) as server:
        print(f"gunicorn: {workers} sync workers at {server.url} on {os.cpu_count()} cores; "
              f"wrk: {args.clients} connections, {args.threads} thread(s), {SCRIPT.name}")
        pids = server.worker_pids()
        fresh = {pid: rss_kib(pid) for pid in pids}
        print(f"warm-up: {args.warmup} s, not counted")
        drive(wrk, server.url, args.warmup, args.clients, args.threads)
        settle(server.access_log)
        before = {pid: rss_kib(pid) for pid in pids}
        start = server.access_log.stat().st_size
        print(f"run: {args.seconds} s")
        result, report = drive(wrk, server.url, args.seconds, args.clients, args.threads)
        settle(server.access_log)
        alive = set(server.worker_pids())
        after = {pid: rss_kib(pid) for pid in pids if pid in alive}
        stopped = server.stop()
        with open(server.access_log, "rb") as log:
            log.seek(start)
            access = ACCESS_LINE.findall(log.read().decode())
        error_log = server.error_log.read_text()

    print("\nwrk's report:\n" + report.rstrip())
    failures = print_traffic(result, access)
    grown = print_memory(pids, fresh, before, after)
    print(f"worker timeouts in gunicorn's error log: {error_log.count('WORKER TIMEOUT')}; "
          f"gunicorn exited with status {stopped}")
    print(f"\n{'FAIL' if failures else 'PASS'}: {failures} 5xx answers or socket errors; "
          f"every worker's memory within {MEMORY_TARGET:.0%} of before: "
          f"{'no' if grown else 'yes'}")
    return 1 if failures else 0


def print_traffic(result: dict, access: list[tuple[str, str]]) -> int:
    """Throughput, latency, statuses and socket errors; returns the count of 5xx and errors."""
    seconds = result["duration_us"] / 1e6
    latency = {k: v / 1000 for k, v in result["latency_us"].items()}
    errors = result["errors"]
    socket_errors = sum(errors[k] for k in ("connect", "read", "write", "timeout"))
    statuses, sent = result["statuses"], result["sent"]
    logged = Counter(f"{status[0]}xx" for status, _ in access)
    served = percentiles([float(ms) for _, ms in access]) if len(access) > 1 else (0, 0, 0)
    print(f"\nrequests       {result['requests']} in {seconds:.1f} s = "
          f"{result['requests'] / seconds:.1f} requests/s")
    print(f"latency        p50 {latency['p50']:.0f} ms, p95 {latency['p95']:.0f} ms, "
          f"p99 {latency['p99']:.0f} ms, max {latency['max']:.0f} ms "
          "(wrk: at the client, queueing included)")
    print(f"in the worker  p50 {served[0]:.0f} ms, p95 {served[1]:.0f} ms, p99 {served[2]:.0f} "
          "ms (gunicorn's access log)")
    print(f"answers        2xx {statuses['2xx']}, 4xx {statuses['4xx']}, 5xx {statuses['5xx']}, "
          f"other {statuses['other']} (sent: {sent['expecting 200']} expecting 200, "
          f"{sent['expecting 400']} expecting 400)")
    print(f"access log     {len(access)} requests: 2xx {logged['2xx']}, 4xx {logged['4xx']}, "
          f"5xx {logged['5xx']} (with those still in flight when wrk stopped)")
    print(f"socket errors  connect {errors['connect']}, read {errors['read']}, write "
          f"{errors['write']}, timeout {errors['timeout']}")
    return statuses["5xx"] + logged["5xx"] + socket_errors


def print_memory(pids: list[int], fresh: dict[int, int], before: dict[int, int],
                 after: dict[int, int]) -> list[int]:
    """Each worker's RSS: fresh, after the warm-up (before), after the run; returns the workers
    that grew past the target or are gone."""
    print("\nworker memory (RSS, MiB)   fresh   before   after   change")
    grown = []
    for pid in pids:
        line = f"  pid {pid:<8}            {fresh[pid] / 1024:7.1f}  {before[pid] / 1024:7.1f}"
        if pid not in after:
            print(f"{line}   gone (killed or restarted)")
            grown.append(pid)
            continue
        change = after[pid] / before[pid] - 1
        print(f"{line}  {after[pid] / 1024:6.1f}   {change:+.1%}")
        if change > MEMORY_TARGET:
            grown.append(pid)
    return grown


def send(url: str, path: str, body: dict) -> tuple[int, float]:
    """One POST; its status and seconds."""
    request = urllib.request.Request(url + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as err:
        err.read()
        status = err.code
    return status, time.monotonic() - started


def expensive(args: argparse.Namespace) -> int:
    """`--hogs` clients loop over EXPENSIVE while one client sends CHEAP, for `--seconds`."""
    workers = args.workers or runpy.run_path(str(ROOT / "gunicorn.conf.py"))["workers"]
    results: dict[str, list[tuple[int, float]]] = {"cheap": [], "expensive": []}
    by_request: dict[int, list[tuple[int, float]]] = {k: [] for k in range(len(EXPENSIVE))}
    with tempfile.TemporaryDirectory() as logs, \
            Gunicorn(Path(logs), workers, env={"MAX_REQUESTS": "0"}) as server:
        print(f"gunicorn: {workers} sync workers at {server.url} on {os.cpu_count()} cores; "
              f"{args.hogs} clients sending the most expensive accepted requests, 1 the lecture")
        for path, body in EXPENSIVE:   # every worker may lay these out: warm none, time all
            print(f"  {path} {json.dumps(body)[:60]}…: {send(server.url, path, body)[0]}")
        stop = time.monotonic() + args.seconds

        def hog(first: int) -> None:
            k = first
            while time.monotonic() < stop:
                path, body = EXPENSIVE[k % len(EXPENSIVE)]
                answer = send(server.url, path, body)
                results["expensive"].append(answer)
                by_request[k % len(EXPENSIVE)].append(answer)
                k += 1

        hogs = [threading.Thread(target=hog, args=(i,)) for i in range(args.hogs)]
        for thread in hogs:
            thread.start()
        time.sleep(1)   # the hogs hold their workers
        while time.monotonic() < stop:
            results["cheap"].append(send(server.url, *CHEAP))
            time.sleep(0.05)
        for thread in hogs:
            thread.join()
        server.stop()
    failures = 0
    for kind, done in results.items():
        seconds = [t * 1000 for _, t in done]
        p50, p95, p99 = percentiles(seconds) if len(seconds) > 1 else (0, 0, 0)
        statuses = Counter(f"{status // 100}xx" for status, _ in done)
        failures += statuses["5xx"]
        print(f"{kind:9}  {len(done)} requests: p50 {p50:.0f} ms, p95 {p95:.0f} ms, p99 "
              f"{p99:.0f} ms, max {max(seconds, default=0):.0f} ms; "
              f"{', '.join(f'{k} {v}' for k, v in sorted(statuses.items()))}")
    for k, done in by_request.items():
        path, body = EXPENSIVE[k]
        print(f"  {path} {json.dumps(body, ensure_ascii=False)[:50]}…: "
              f"{', '.join(f'{status} in {t:.1f} s' for status, t in done)}")
    cheap_p99 = percentiles([t for _, t in results["cheap"]])[2]
    fair = cheap_p99 < FAIR_P99_SECONDS
    print(f"\n{'PASS' if fair and not failures else 'FAIL'}: {failures} 5xx answers; the cheap "
          f"request's p99 {cheap_p99 * 1000:.0f} ms (target under {FAIR_P99_SECONDS:g} s)")
    return 0 if fair and not failures else 1


if __name__ == "__main__":
    sys.exit(main())
