"""The command line, as a user runs it."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from backprop_viz import __version__
from backprop_viz.__main__ import main

ROOT = Path(__file__).resolve().parent.parent


def test_json_trace_for_the_lecture_expression(capsys):
    assert main(["s = uᵀ f(Wx + b)", "--json"]) == 0
    trace = json.loads(capsys.readouterr().out)
    assert trace["output"] == "s"
    assert trace["variables"]["W"]["shape"] == [3, 4]
    assert set(trace["gradients"]) == {"W", "x", "b", "u"}


def test_vars_seed_and_f(capsys):
    argv = ["(x + y) * z", "--var", "x=-2", "--var", "y=5", "--var", "z=-4", "--json"]
    assert main(argv) == 0
    trace = json.loads(capsys.readouterr().out)
    assert trace["value"] == -12
    assert trace["gradients"] == {"x": [[-4.0]], "y": [[-4.0]], "z": [[3.0]]}
    assert main(["s = uᵀ f(Wx + b)", "--f", "relu", "--seed", "4", "--var", "W=2x3",
                 "--var", "A=1,2;3,4", "--json"]) == 0
    trace = json.loads(capsys.readouterr().out)
    assert (trace["f"], trace["seed"]) == ("relu", 4)
    assert trace["variables"]["W"]["shape"] == [2, 3]


def test_human_readable_output(capsys):
    assert main(["(x + y) * z", "--var", "x=-2", "--var", "y=5", "--var", "z=-4"]) == 0
    out = capsys.readouterr().out
    assert "out = -12" in out and "∂out/∂z =\n[[3.]]" in out


def test_bad_expression_prints_a_caret_and_exits_2(capsys):
    assert main(["s = (x + y))"]) == 2
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert lines[0].startswith("error: unexpected ')'")
    assert lines[1] == "  s = (x + y))"
    assert lines[2] == "  " + " " * 11 + "^"


def test_bad_var_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as e:
        main(["x", "--var", "x=abc"])
    assert e.value.code == 2
    assert "values must be numbers" in capsys.readouterr().err


def test_runs_as_a_module():
    done = subprocess.run([sys.executable, "-m", "backprop_viz", "s = uᵀ f(Wx + b)", "--json"],
                          capture_output=True, text=True, check=True)
    assert json.loads(done.stdout)["parsed"] == "s = uᵀ · f(W · x + b)"
    bad = subprocess.run([sys.executable, "-m", "backprop_viz", "s = tanhh(x)"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "did you mean tanh" in bad.stderr


@pytest.mark.parametrize("suffix, magic", [("svg", b"<svg"), ("png", b"\x89PNG"),
                                           ("pdf", b"%PDF"), ("dot", b"digraph")])
def test_export_writes_the_diagram(tmp_path, suffix, magic):
    out = tmp_path / f"graph.{suffix}"
    assert main(["(x + y) * z", "--export", str(out), "--step", "3"]) == 0
    assert magic in out.read_bytes()[:400]


def test_export_refuses_a_bad_suffix_or_step(tmp_path, capsys):
    for argv in (["x", "--export", str(tmp_path / "g.gif")],
                 ["x", "--export", str(tmp_path / "g.svg"), "--step", "99"]):
        with pytest.raises(SystemExit) as e:
            main(argv)
        assert e.value.code == 2
    err = capsys.readouterr().err
    assert "must end in one of .svg, .png, .pdf, .dot" in err and "--step must be from 0 to" in err


# ---------------------------------------------------------------- commands, serve, dot

LISTENING = re.compile(r"(?:Listening at: |Running on )http://127\.0\.0\.1:(\d+)")


@contextmanager
def serving(argv: list[str], log: Path, cwd: Path = ROOT) -> Iterator[str]:
    """`argv` (a serve command on port 0) running until the block ends: its URL, read back from
    its log (stdout and stderr). Its process group is stopped on the way out."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not (m := LISTENING.search(log.read_text())):
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        yield f"http://127.0.0.1:{m[1]}"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def get(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=30) as answer:
        return answer.status, answer.headers["Content-Type"], answer.read()


def check_page_served(url: str) -> None:
    """The page, its own files and KaTeX's, as the browser asks for them."""
    status, _, page = get(url + "/")
    assert status == 200 and b'src="/static/build/page.js"' in page   # the bundle, fresh
    for path, kind in (("/static/app.css", "text/css"), ("/static/js/graph.js", "text/javascript"),
                       ("/static/build/page.js", "text/javascript"),
                       ("/vendor/katex/katex.mjs", "text/javascript"),
                       ("/vendor/katex/katex.min.css", "text/css"),
                       ("/vendor/katex/fonts/KaTeX_Main-Regular.woff2", "font/woff2")):
        status, served, body = get(url + path)
        assert (status, served.split(";")[0]) == (200, kind) and body, path


def test_version(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out == f"backprop-viz {__version__}\n"


def test_trace_is_a_command_and_the_command_line_before_commands_still_works(capsys):
    argv = ["(x + y) * z", "--var", "x=-2", "--json"]
    assert main(["trace", *argv]) == 0
    as_command = capsys.readouterr().out
    assert main(argv) == 0
    assert capsys.readouterr().out == as_command
    assert json.loads(as_command)["variables"]["x"]["value"] == [[-2.0]]


def test_no_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as e:
        main([])
    assert e.value.code == 2
    assert "{trace,serve}" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["serve"], ["trace", "x", "--export", "g.svg"],
                                  ["x", "--export", "steps.html"]])
def test_without_dot_the_error_says_how_to_install_graphviz(argv, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))     # a PATH with no dot on it
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: Graphviz's `dot` is not installed")
    for how in ("sudo apt-get install graphviz", "brew install graphviz",
                "winget install Graphviz.Graphviz", "https://graphviz.org/download/"):
        assert how in err
    assert list(tmp_path.iterdir()) == []


def test_a_dot_source_export_needs_no_dot(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["(x + y) * z", "--export", str(tmp_path / "g.dot")]) == 0
    assert (tmp_path / "g.dot").read_text().startswith("digraph")


@pytest.mark.parametrize("argv", [["serve", "--port", "70000"], ["serve", "--workers", "0"]])
def test_serve_refuses_a_bad_port_or_worker_count(argv, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "'70000' is not a port" in err or "'0' is not a number of workers" in err


def test_serve_runs_gunicorn_with_its_settings(tmp_path):
    argv = [sys.executable, "-m", "backprop_viz", "serve", "--port", "0", "--workers", "1"]
    with serving(argv, tmp_path / "log") as url:
        check_page_served(url)
    log = (tmp_path / "log").read_text()
    assert "Starting gunicorn" in log and log.count("Booting worker") == 1
    assert '"GET /vendor/katex/katex.mjs HTTP/1.1" 200' in log     # gunicorn.conf.py's access log


def test_serve_without_gunicorn_is_flasks_server_with_a_warning(tmp_path):
    code = ("import sys; sys.modules['gunicorn'] = None; from backprop_viz.__main__ import main; "
            "sys.exit(main(['serve', '--port', '0', '--workers', '3']))")
    with serving([sys.executable, "-c", code], tmp_path / "log") as url:
        check_page_served(url)
    log = (tmp_path / "log").read_text()
    assert log.startswith("warning: gunicorn is not installed here")
    assert "Flask's development server" in log and "--workers 3 is ignored" in log
