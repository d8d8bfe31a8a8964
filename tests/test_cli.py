"""The command line: demo output, JSON, quiet mode, one-line errors with their exit codes."""

import json
import subprocess
import sys

import pytest

from fairshare import cli, errors


def run(*args):
    return subprocess.run([sys.executable, "-m", "fairshare", *args], capture_output=True, text=True)


def test_demo_json_on_the_small_network():
    out = run("demo", "--scale", "small", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    rules = [row["rule"] for row in data["scoreboard"]]
    assert rules[0] == "status_quo" and len(rules) >= 7
    assert {row["tier"] for row in data["summary"]} >= {"home", "datacenter", "all"}


def test_demo_quiet_and_table(capsys):
    assert cli.main(["demo", "--scale", "small", "--quiet"]) == 0
    assert capsys.readouterr().out == ""
    assert cli.main(["demo", "--scale", "small"]) == 0
    text = capsys.readouterr().out
    assert "median_retail_coverage" in text and "Under the status quo the median retail operator covers" in text


def test_demo_on_a_history_directory(tmp_path, capsys):
    import fairshare as fs

    fs.datasets.default_network(seed=1, scale="small").write(tmp_path / "h")
    assert cli.main(["demo", "--data", str(tmp_path / "h"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["history"].startswith("History(80 nodes")


@pytest.mark.parametrize("error,code", [(errors.SchemaError("bad column"), 3), (errors.ConfigError("bad option"), 4),
                                        (errors.FormulaError("bad rule"), 5), (errors.InfeasibleError("no way"), 6),
                                        (errors.SolverFailedError("solver died"), 7)])
def test_user_errors_are_one_line_with_their_exit_code(monkeypatch, capsys, error, code):
    def fail(args):
        raise error

    monkeypatch.setattr(cli, "run_demo", fail)
    assert cli.main(["demo"]) == code
    err = capsys.readouterr().err
    assert err == f"fairshare: error: {error}\n"


def test_bugs_keep_their_traceback(monkeypatch):
    def bug(args):
        raise KeyError("internal")

    monkeypatch.setattr(cli, "run_demo", bug)
    with pytest.raises(KeyError):
        cli.main(["demo"])


def test_missing_directory_exit_code():
    out = run("demo", "--data", "/definitely/not/here")
    assert out.returncode == 3
    assert out.stderr.strip().count("\n") == 0 and "not a directory" in out.stderr


def test_help_and_version():
    out = run("--help")
    assert out.returncode == 0 and "examples:" in out.stdout
    assert run("--version").stdout.startswith("fairshare ")
