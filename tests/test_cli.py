"""The command line: report directories, JSON, quiet mode, scenario files, one-line errors with exit codes."""

import json
import subprocess
import sys

import pytest

import fairshare as fs
from fairshare import cli, errors


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "fairshare", *args], capture_output=True, text=True, cwd=cwd)


def test_demo_writes_the_report_and_says_where(tmp_path):
    out = run("demo", "--scale", "small", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    report = tmp_path / "fairshare-report"
    assert (report / "report.md").exists() and (report / "manifest.json").exists()
    assert f"Report: {report.resolve() / 'report.md'}" in out.stdout
    assert "median_retail_coverage" in out.stdout
    again = run("demo", "--scale", "small", cwd=tmp_path)  # the demo refreshes its own report
    assert again.returncode == 0, again.stderr


def test_demo_json_and_quiet(tmp_path, capsys):
    assert cli.main(["demo", "--scale", "small", "--json", "--out", str(tmp_path / "j")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["scoreboard"][0]["rule"] == "status_quo" and data["report"].endswith("j")
    assert cli.main(["demo", "--scale", "small", "--quiet", "--out", str(tmp_path / "q")]) == 0
    assert capsys.readouterr().out == ""


def test_evaluate_a_history_directory_with_a_scenario(tmp_path, capsys):
    fs.datasets.open_inference_network(seed=1, scale="small").write(tmp_path / "h")
    scenario = tmp_path / "rules.toml"
    scenario.write_text('[rules.sq]\nname = "linear"\nparams = { weights = { stake = 0.5, work = 0.5 } }\n'
                        '[rules.capped]\nname = "capped"\nparams = { share_cap = 0.05 }\n')
    code = cli.main(["evaluate", "--data", str(tmp_path / "h"), "--scenario", str(scenario), "--out",
                     str(tmp_path / "r"), "--json"])
    assert code == 0
    assert [row["rule"] for row in json.loads(capsys.readouterr().out)["scoreboard"]] == ["sq", "capped"]
    code = cli.main(["report", "--results", str(tmp_path / "r" / "results" / "evaluation"), "--data",
                     str(tmp_path / "h"), "--out", str(tmp_path / "rebuilt"), "--quiet"])
    assert code == 0
    assert (tmp_path / "rebuilt" / "report.md").read_text() == (tmp_path / "r" / "report.md").read_text()


def test_scenario_errors(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[rules.x]\nname = "capped"\nparams = { share_capp = 0.05 }\n')
    assert cli.main(["evaluate", "--scale", "small", "--scenario", str(bad), "--out", str(tmp_path / "o")]) == 4
    assert "[rules.x] params: unknown parameter of 'capped' 'share_capp'" in capsys.readouterr().err
    empty = tmp_path / "empty.toml"
    empty.write_text("title = 'nothing'\n")
    assert cli.main(["evaluate", "--scale", "small", "--scenario", str(empty), "--out", str(tmp_path / "o")]) == 4
    assert "unknown table or key 'title'" in capsys.readouterr().err


def test_refuses_to_clobber(tmp_path, capsys):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    assert cli.main(["evaluate", "--scale", "small", "--out", str(tmp_path / "taken")]) == 4
    assert "exists and is not empty. Choose another --out or pass --overwrite" in capsys.readouterr().err
    assert (tmp_path / "taken" / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("error,code", [(errors.SchemaError("bad column"), 3), (errors.ConfigError("bad option"), 4),
                                        (errors.FormulaError("bad rule"), 5), (errors.InfeasibleError("no way"), 6),
                                        (errors.SolverFailedError("solver died"), 7)])
def test_user_errors_are_one_line_with_their_exit_code(monkeypatch, capsys, error, code):
    def fail(args):
        raise error

    monkeypatch.setattr(cli, "run_demo", fail)
    assert cli.main(["demo"]) == code
    assert capsys.readouterr().err == f"fairshare: error: {error}\n"


def test_bugs_keep_their_traceback(monkeypatch):
    def bug(args):
        raise KeyError("internal")

    monkeypatch.setattr(cli, "run_demo", bug)
    with pytest.raises(KeyError):
        cli.main(["demo"])


def test_missing_directory_exit_code(tmp_path):
    out = run("demo", "--data", "/definitely/not/here", "--out", str(tmp_path / "o"))
    assert out.returncode == 3
    assert out.stderr.strip().count("\n") == 0 and "not a directory" in out.stderr


def test_help_and_version():
    out = run("--help")
    assert out.returncode == 0 and "examples:" in out.stdout and "[rules.status_quo]" in out.stdout
    assert run("--version").stdout.startswith("fairshare ")


def test_optimize_command_says_why_no_rule_survives_and_shows_the_labelled_fallback(tmp_path, capsys):
    """On the built-in network nothing is stated about what attacks cost, and no rule meets the default problem:
    the report says what would have to change and carries the labelled fallback, never a silent re-solve."""
    assert cli.main(["optimize", "--scale", "small", "--out", str(tmp_path / "o"), "--quiet"]) == 0
    md = (tmp_path / "o" / "report.md").read_text()
    assert "no rule of the family meets the default problem" in md and "solve_s" not in md
    assert cli.FALLBACK_NAME in md and "Proposed rule" not in md
    assert "each constraint dropped in turn" in md
    assert not (tmp_path / "o" / "results" / "optimization").exists()


def test_optimize_command_writes_a_proposal_where_one_exists(tmp_path, capsys, monkeypatch):
    """Where the default problem can be had (here: a lighter default problem, patched in) the report carries the
    proposal, its frontiers and the saved result."""
    from fairshare.optimization import Coverage, NoAttackPays, solve

    def lighter(attack_costs=None, **_):
        return [Coverage(who="retail", cost="energy"), NoAttackPays(attack_costs)]

    monkeypatch.setattr(solve, "default_constraints", lighter)
    assert cli.main(["optimize", "--scale", "small", "--out", str(tmp_path / "o"), "--quiet", "--budget", "1000",
                     "--identity-cost", "1e6", "--take-rate", "1.0", "--no-price-band"]) == 0
    md = (tmp_path / "o" / "report.md").read_text()
    assert "Proposed rule: emission split" in md and "solve_s" not in md
    for over in ("price", "budget", "electricity usd per kwh", "depreciation life years", "identity cost usd"):
        assert f"**The optimum over {over}**" in md
    assert "identity cost $1,000,000.00 per key per epoch (stated by the caller)" in md
    reloaded = fs.results_io.load(tmp_path / "o" / "results" / "optimization")
    assert abs(sum(reloaded.formula.weights.values()) - 1) < 1e-9


def test_simulate_command_and_saved_simulation(tmp_path):
    import numpy as np

    assert cli.main(["simulate", "--scale", "small", "--runs", "4", "--out", str(tmp_path / "s"), "--quiet"]) == 0
    md = (tmp_path / "s" / "report.md").read_text()
    assert "4 runs of 30 epochs" in md and "figures/fan_retail_survival.png" in md
    sim = fs.results_io.load(tmp_path / "s" / "results" / "simulation")
    again = fs.simulate(fs.Scenario.from_history(fs.datasets.open_inference_network(seed=0, scale="small")),
                        fs.formulas.STATUS_QUO, runs=4, seed=0)
    np.testing.assert_array_equal(sim.values, again.values)
    assert sim.measures == again.measures


def test_two_demo_runs_write_identical_files_but_the_timestamp(tmp_path):
    for name in ("a", "b"):
        assert cli.main(["demo", "--scale", "small", "--runs", "3", "--out", str(tmp_path / name), "--quiet"]) == 0
    a, b = (json.loads((tmp_path / n / "manifest.json").read_text()) for n in ("a", "b"))
    a.pop("created"), b.pop("created")
    for name, manifest in (("a", a), ("b", b)):  # the reproduce command names its own --out
        assert manifest.pop("command") == f"fairshare demo --scale small --runs 3 --out {tmp_path / name} --quiet"
    assert a.keys() == b.keys() and a["files"].keys() == b["files"].keys()
    assert any(name.startswith("results/simulation") for name in a["files"])
    for rel in a["files"]:  # byte for byte, once the reproduce command's own --out is named alike
        one, two = ((tmp_path / n / rel).read_bytes().replace(str(tmp_path / n).encode(), b"OUT") for n in "ab")
        if rel == "results/appendix/manifest.json":  # it hashes the saved command's file, compared above
            one, two = (json.loads(x) for x in (one, two))
            one["files"].pop("meta.json"), two["files"].pop("meta.json")
        assert one == two, rel


def test_stream_and_scheduler_give_the_same_report(tmp_path, capsys, dask_client):
    fs.datasets.open_inference_network(seed=1, scale="small").write(tmp_path / "h")
    base = ["evaluate", "--data", str(tmp_path / "h"), "--json"]
    assert cli.main([*base, "--out", str(tmp_path / "plain")]) == 0
    plain = json.loads(capsys.readouterr().out)["scoreboard"]
    address = dask_client.scheduler.address
    assert cli.main([*base, "--stream", "--scheduler", address, "--out", str(tmp_path / "spread")]) == 0
    assert json.loads(capsys.readouterr().out)["scoreboard"] == plain

    def text(name):  # all but the reproduce command, which names the options that differ
        lines = (tmp_path / name / "report.md").read_text().splitlines()
        return [line for line in lines if not line.startswith("Reproduce with: ")]

    assert text("spread") == text("plain")


def test_stream_needs_data_and_scheduler_must_answer(tmp_path, capsys):
    assert cli.main(["evaluate", "--scale", "small", "--stream", "--out", str(tmp_path / "o")]) == 4
    assert "--stream reads the task log of --data in place" in capsys.readouterr().err
    assert cli.main(["evaluate", "--scale", "small", "--scheduler", "tcp://127.0.0.1:9", "--out",
                     str(tmp_path / "o")]) == 4
    assert "--scheduler tcp://127.0.0.1:9: cannot reach a dask scheduler there" in capsys.readouterr().err


def test_report_refuses_data_other_than_the_results_were_computed_on(tmp_path):
    from tests.test_evaluate import toy_history

    a = fs.datasets.open_inference_network(seed=0, scale="small").write(tmp_path / "a")
    b = fs.datasets.open_inference_network(seed=1, scale="small").write(tmp_path / "b")
    assert cli.main(["evaluate", "--data", str(a), "--out", str(tmp_path / "ev"), "--quiet"]) == 0
    results = str(tmp_path / "ev" / "results" / "evaluation")
    assert cli.main(["report", "--results", results, "--data", str(b), "--out", str(tmp_path / "r1"), "--quiet"]) == 3
    assert not (tmp_path / "r1").exists()
    assert cli.main(["report", "--results", results, "--data", str(a), "--out", str(tmp_path / "r2"), "--quiet"]) == 0
    user = toy_history().write(tmp_path / "user")
    assert cli.main(["evaluate", "--data", str(user), "--out", str(tmp_path / "ev2"), "--quiet"]) == 0
    assert cli.main(["report", "--results", str(tmp_path / "ev2" / "results" / "evaluation"),
                     "--out", str(tmp_path / "r3"), "--quiet"]) == 0  # the recorded directory, its hashes checked
    assert (tmp_path / "r3" / "report.md").read_text() == (tmp_path / "ev2" / "report.md").read_text()
    (tmp_path / "user").rename(tmp_path / "gone")
    assert cli.main(["report", "--results", str(tmp_path / "ev2" / "results"), "--out", str(tmp_path / "r4"),
                     "--quiet"]) == 4  # the recorded directory is gone: --data needed


@pytest.mark.parametrize("price", ["nan", "-1", "0"])
def test_a_bad_price_is_a_configuration_error(tmp_path, price, capsys):
    assert cli.main(["optimize", "--scale", "small", f"--price={price}", "--out", str(tmp_path / "o"), "--quiet"]) == 4
    assert "--price must be a finite token price" in capsys.readouterr().err
