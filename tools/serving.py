"""Gunicorn with the repository's gunicorn.conf.py on a free loopback port, as a context manager:
shared by tests/test_serve.py and tools/load.py, so the load numbers are for the server the test
checks. Linux only: workers and their memory are read from /proc."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parent.parent
LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")


class Gunicorn:
    """`python -m gunicorn -c gunicorn.conf.py app:app` bound to 127.0.0.1 port 0, so the kernel
    picks a free port and nothing races for it; the port is read back from the error log.

    The access log (stdout) and the error log (stderr) go to files in `logs`. The server runs in
    its own process group: whatever happens, leaving the `with` block leaves no process behind.
    """

    def __init__(self, logs: Path, workers: int, env: dict[str, str] | None = None,
                 start_timeout: float = 60) -> None:
        self.access_log = logs / "access.log"
        self.error_log = logs / "error.log"
        self.workers = workers
        self.env = {**os.environ, **(env or {}), "HOST": "127.0.0.1", "PORT": "0",
                    "WORKERS": str(workers)}
        self.start_timeout = start_timeout
        self.process: subprocess.Popen | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Gunicorn:
        with open(self.access_log, "wb") as out, open(self.error_log, "wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:app"],
                cwd=ROOT, env=self.env, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                start_new_session=True)
        deadline = time.monotonic() + self.start_timeout
        while not (self.port and len(self.worker_pids()) == self.workers):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__(None, None, None)
                raise RuntimeError(f"gunicorn did not start:\n{self.error_log.read_text()}")
            if match := LISTENING.search(self.error_log.read_text()):
                self.port = int(match.group(1))
            time.sleep(0.05)
        return self

    def worker_pids(self) -> list[int]:
        """The master's children: its workers (their own children, `dot`, are not counted)."""
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:         # it exited while we looked
                    continue
                # the command name, in parentheses, may hold spaces: fields follow the last ')'
                if int(stat[stat.rindex(")") + 2:].split()[1]) == self.process.pid:
                    pids.append(int(entry.name))
        return sorted(pids)

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM, as a process manager stops it: requests in flight finish, then it exits.
        Returns the master's exit status."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:   # the whole group: the master if still there, any worker, any `dot` they started
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:   # stopped cleanly: nothing left
            pass
        self.process.wait()


def rss_kib(pid: int) -> int:
    """Resident memory of a process, in KiB, as /proc/PID/status reports it (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise ValueError(f"no VmRSS for pid {pid}")
