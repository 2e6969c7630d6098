"""Load: drive gunicorn with wrk and tools/load.lua from 32 clients, on loopback only.

    python3 tools/load.py [--seconds 30] [--clients 32] [--workers N] [--warmup 5]

Starts the server as `make serve` does (gunicorn.conf.py, sync workers, worker recycling off so
that memory is measured on the same processes) on a free 127.0.0.1 port, warms it up, drives it
for a bounded time, stops it, and prints: requests/s; latency percentiles as the clients saw them
(wrk, queueing included) and as the workers spent them (gunicorn's access log); answers by status
class, counted by the Lua script and again from the access log; wrk's socket errors; each
worker's resident memory before and after. Exits 1 on any 5xx or socket error.
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
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.serving import Gunicorn, rss_kib  # noqa: E402

SCRIPT = ROOT / "tools" / "load.lua"
ACCESS_LINE = re.compile(r'" (\d{3}) \d+ (\d+)ms$', re.M)
MEMORY_TARGET = 0.20   # a worker's RSS after the run within 20% of before


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
    args = parser.parse_args(argv)
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


if __name__ == "__main__":
    sys.exit(main())
