"""The command line, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from backprop_viz.__main__ import main


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
