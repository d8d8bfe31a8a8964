"""Every exit code the command line documents, and every user-error path it has.

A user error ends with one line on stderr (``fairshare: error: ...``) and the code of its class
(``fairshare.cli`` docstring): never exit 0, never a traceback, and nothing written to ``--out``.
The commands run in process (``cli.main``) on a three-node history, so the whole module takes a
few seconds.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import fairshare as fs
from fairshare import cli, errors
from tests.builders import market_frame, nodes_frame, tasks_frame

NESTED_RULES = """
[rules.status_quo]
name = "linear"
params = { weights = { stake = 0.5, work = 0.5 } }

[rules.capped_status_quo]
name = "capped"
params = { share_cap = 0.5, base = { name = "linear", params = { weights = { stake = 0.5, work = 0.5 } } } }
"""

SCENARIOS = {
    "unreadable": "[rules.a\nname =",
    "binary": b"\xff\xfe\x00rules",
    "rule_not_rules": '[rule.a]\nname = "capped"\n',
    "param_not_params": '[rules.a]\nname = "capped"\nparam = { share_cap = 0.02 }\n',
    "params_not_a_table": '[rules.a]\nname = "capped"\nparams = 5\n',
    "no_name": '[rules.a]\nparams = { share_cap = 0.02 }\n',
    "unknown_rule": '[rules.a]\nname = "caped"\n',
    "unknown_parameter": '[rules.a]\nname = "capped"\nparams = { share_cop = 0.02 }\n',
    "nested_typo": '[rules.a]\nname = "capped"\nparams = { base = { name = "linear", parms = {} } }\n',
    "weights_text": '[rules.a]\nname = "linear"\nparams = { weights = "abc" }\n',
    "cap_text": '[rules.a]\nname = "capped"\nparams = { share_cap = "0.02" }\n',
    "negative_weight": '[rules.a]\nname = "linear"\nparams = { weights = { work = 1.5, stake = -0.5 } }\n',
    "nested": NESTED_RULES,
}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A three-node history, scenario files, a ledger and a saved evaluation (the exit-0 run)."""
    root = tmp_path_factory.mktemp("cli")
    fs.History.from_frames(nodes_frame(), tasks_frame(), market_frame()).write(root / "history", format="csv")
    (root / "a_file").write_text("not a directory")
    (root / "taken").mkdir()
    (root / "taken" / "notes.txt").write_text("mine")
    for name, text in SCENARIOS.items():
        path = root / f"{name}.toml"
        path.write_bytes(text) if isinstance(text, bytes) else path.write_text(text)
    rows = [(e, f"a{i}", 10 + 7 * i + e) for e in range(12) for i in range(4)]
    pd.DataFrame(rows, columns=["epoch", "addr", "amt"]).to_csv(root / "ledger.csv", index=False)
    code = cli.main(["evaluate", "--data", str(root / "history"), "--scenario", str(root / "nested.toml"),
                     "--out", str(root / "evaluated"), "--quiet"])
    assert code == 0
    return root


def documented_codes() -> set[int]:
    """The exit codes of the table in ``fairshare.cli``'s docstring."""
    return {int(m) for m in re.findall(r"^(\d+)\s{3,}", cli.__doc__, flags=re.MULTILINE)}


def test_every_documented_code_is_tested():
    tested = {0, 2, 130} | {code for _, code, _ in USER_ERRORS} | {6, 7}
    assert documented_codes() == {0, 2, 3, 4, 5, 6, 7}
    assert documented_codes() | {cli.INTERRUPTED} <= tested
    assert {code for _, code in cli.EXIT_CODES} == {3, 4, 5, 6, 7}


# --------------------------------------------------------------------------- 0: success


def test_exit_0_writes_the_report_with_nested_rules(files, capsys):
    """The fixture's evaluate run exited 0; its scenario nests a rule in a rule's ``base``."""
    assert "capped_status_quo" in (files / "evaluated" / "report.md").read_text()
    rule = cli.load_rules(files / "nested.toml")["capped_status_quo"]
    assert isinstance(rule, fs.formulas.Capped) and rule.share_cap == 0.5
    assert rule.base.weights == {"stake": 0.5, "work": 0.5}
    out = files / "rebuilt"
    assert cli.main(["report", "--results", str(files / "evaluated" / "results" / "evaluation"), "--out", str(out),
                     "--quiet"]) == 0  # without --data: the directory the results recorded, its files checked
    assert (out / "report.md").read_text() == (files / "evaluated" / "report.md").read_text()
    assert capsys.readouterr().err == ""


# --------------------------------------------------------------------------- 2: usage (argparse)


@pytest.mark.parametrize("argv", [[], ["frobnicate"], ["simulate", "--runs", "abc"], ["optimize", "--price", "x"],
                                  ["report"], ["converge", "ledger.csv"], ["evaluate", "--no-such-option"]])
def test_exit_2_on_bad_usage(argv, capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(argv)
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err


# --------------------------------------------------------------------------- 3, 4, 5: user errors


def _args(files, *argv):
    return [a.format(root=files) for a in argv]


CONVERGE = ("converge", "{root}/ledger.csv", "--time", "epoch", "--address", "addr", "--amount", "amt")
DATA = ("--data", "{root}/history")

#: (argv, exit code, a fragment of the one-line message); ``{root}`` is the fixture's directory.
USER_ERRORS = [
    # 3: bad input data
    (("evaluate", "--data", "{root}/missing", "--out", "{root}/o"), 3, "not a directory"),
    (("evaluate", "--data", "{root}/a_file", "--out", "{root}/o"), 3, "not a directory"),
    (("evaluate", "--data", "{root}/broken_json", "--out", "{root}/o"), 3, "history.json: not valid JSON"),
    (("evaluate", "--data", "{root}/bad_column", "--out", "{root}/o"), 3, "nodes.gpu_count"),
    (("evaluate", "--data", "{root}/overflow", "--out", "{root}/o"), 3, "tasks.input_tokens: input_tokens: its total"),
    (("report", "--results", "{root}/history", "--out", "{root}/o"), 3, "is not a saved fairshare result"),
    (("report", "--results", "{root}/evaluated/results/evaluation", "--data", "{root}/other", "--out", "{root}/o"), 3,
     "differ from the files the saved results were computed on"),
    ((*CONVERGE[:1], "{root}/missing.csv", *CONVERGE[2:], "--epoch", "1d", "--out", "{root}/o"), 3, "no such file"),
    ((*CONVERGE, "--epoch", "1d", "--labels", "{root}/missing.csv", "--out", "{root}/o"), 3, "--labels"),
    ((*CONVERGE, "--epoch", "1d", "--decimals", "-1", "--out", "{root}/o"), 3, "decimals=-1"),
    (("converge", "{root}/ledger.csv", "--time", "nope", "--address", "addr", "--amount", "amt", "--epoch", "1d",
      "--out", "{root}/o"), 3, "missing column"),
    # 4: bad option or scenario
    (("evaluate", *DATA, "--out", "{root}/a_file"), 4, "is a file, not a directory"),
    (("evaluate", *DATA, "--out", "{root}/taken"), 4, "exists and is not empty"),
    (("evaluate", "--stream", "--out", "{root}/o"), 4, "--stream reads the task log of --data"),
    (("evaluate", *DATA, "--scheduler", "not-an-address", "--out", "{root}/o"), 4, "--scheduler not-an-address"),
    (("evaluate", *DATA, "--identity-cost", "-1", "--out", "{root}/o"), 4, "identity_cost_usd"),
    (("evaluate", *DATA, "--take-rate", "2", "--out", "{root}/o"), 4, "take_rate"),
    (("evaluate", "--scale", "huge", "--out", "{root}/o"), 4, "scale must be one of"),
    (("evaluate", "--seed", "-1", "--out", "{root}/o"), 4, "--seed must be a whole number >= 0"),
    (("optimize", *DATA, "--price", "nan", "--out", "{root}/o"), 4, "--price must be a finite token price"),
    (("optimize", *DATA, "--budget", "-1", "--out", "{root}/o"), 4, "budget"),
    (("simulate", *DATA, "--runs", "-5", "--out", "{root}/o"), 4, "--runs must be a whole number >= 1"),
    (("demo", *DATA, "--runs", "0", "--out", "{root}/o"), 4, "--runs must be a whole number >= 1"),
    (("report", "--results", "{root}/missing", "--out", "{root}/o"), 3, "not a directory"),
    (("evaluate", *DATA, "--scenario", "{root}/missing.toml", "--out", "{root}/o"), 4, "cannot read the scenario"),
    (("evaluate", *DATA, "--scenario", "{root}/unreadable.toml", "--out", "{root}/o"), 4, "cannot read the scenario"),
    (("evaluate", *DATA, "--scenario", "{root}/binary.toml", "--out", "{root}/o"), 4, "cannot read the scenario"),
    (("evaluate", *DATA, "--scenario", "{root}/rule_not_rules.toml", "--out", "{root}/o"), 4,
     "unknown table or key 'rule' (did you mean [rules.NAME]?)"),
    (("evaluate", *DATA, "--scenario", "{root}/param_not_params.toml", "--out", "{root}/o"), 4,
     "[rules.a]: unknown key 'param' (did you mean 'params'?)"),
    (("evaluate", *DATA, "--scenario", "{root}/params_not_a_table.toml", "--out", "{root}/o"), 4,
     "[rules.a]: params must be a table of the rule's parameters (params = { ... }), got 5 (a int)"),
    (("evaluate", *DATA, "--scenario", "{root}/no_name.toml", "--out", "{root}/o"), 4, "[rules.a]: needs a name"),
    (("evaluate", *DATA, "--scenario", "{root}/unknown_rule.toml", "--out", "{root}/o"), 4,
     "name 'caped' is not a rule of fairshare.formulas.REGISTRY (did you mean 'capped'?)"),
    (("evaluate", *DATA, "--scenario", "{root}/unknown_parameter.toml", "--out", "{root}/o"), 4,
     "unknown parameter of 'capped' 'share_cop' (did you mean 'share_cap'?)"),
    (("evaluate", *DATA, "--scenario", "{root}/nested_typo.toml", "--out", "{root}/o"), 4,
     "[rules.a] params.base: unknown key 'parms' (did you mean 'params'?)"),
    ((*CONVERGE, "--out", "{root}/o"), 4, "give their length with --epoch"),
    ((*CONVERGE, "--epoch", "banana", "--out", "{root}/o"), 4, "epoch length 'banana'"),
    ((*CONVERGE, "--epoch", "1d", "--window", "0", "--out", "{root}/o"), 4, "window=0"),
    ((*CONVERGE, "--epoch", "1d", "--resamples", "0", "--out", "{root}/o"), 4, "resamples=0"),
    ((*CONVERGE, "--epoch", "1d", "--small", "-1", "--out", "{root}/o"), 4, "small_threshold=-1.0"),
    ((*CONVERGE, "--epoch", "1d", "--breaks", "x", "--out", "{root}/o"), 4, "--breaks takes comma-separated"),
    ((*CONVERGE, "--epoch", "1d", "--seed", "-1", "--out", "{root}/o"), 4, "--seed must be a whole number >= 0"),
    ((*CONVERGE, "--epoch", "1d", "--time-kind", "block", "--out", "{root}/o"), 4, "needs block_times"),
    ((*CONVERGE, "--epoch", "1d", "--out", "{root}/a_file"), 4, "is a file, not a directory"),
    # 5: a rule that cannot be applied as configured
    (("evaluate", *DATA, "--scenario", "{root}/weights_text.toml", "--out", "{root}/o"), 5,
     "[rules.a]: Linear weights must be a mapping of component name to weight"),
    (("evaluate", *DATA, "--scenario", "{root}/cap_text.toml", "--out", "{root}/o"), 5,
     "[rules.a]: Capped share_cap must be a finite number in [0, 1], got '0.02'"),
    (("evaluate", *DATA, "--scenario", "{root}/negative_weight.toml", "--out", "{root}/o"), 5,
     "Linear weight on stake must be a finite number >= 0"),
]


@pytest.fixture(scope="module")
def bad_inputs(files):
    """History directories that are wrong in one way each, and another valid history."""
    tables = {"nodes": nodes_frame(), "tasks": tasks_frame(), "market": market_frame()}
    fs.History.from_frames(*tables.values()).write(files / "broken_json", format="csv")
    (files / "broken_json" / "history.json").write_text("{ not json")
    fs.History.from_frames(*tables.values()).write(files / "bad_column", format="csv")
    nodes = pd.read_csv(files / "bad_column" / "nodes.csv")
    nodes["gpu_count"] = nodes["gpu_count"].astype(float) + 0.5
    nodes.to_csv(files / "bad_column" / "nodes.csv", index=False)
    fs.History.from_frames(*tables.values()).write(files / "overflow", format="csv")
    tasks = pd.read_csv(files / "overflow" / "tasks.csv")
    tasks["input_tokens"] = 1e308
    tasks.to_csv(files / "overflow" / "tasks.csv", index=False)
    other = dict(tables, market=market_frame().assign(token_price_usd=np.linspace(0.2, 0.3, 3)))
    fs.History.from_frames(*other.values()).write(files / "other", format="csv")
    return files


@pytest.mark.parametrize(("argv", "code", "fragment"), USER_ERRORS,
                         ids=[f"{code}-{' '.join(a)[:60]}" for a, code, _ in USER_ERRORS])
def test_user_errors_exit_with_their_code_and_one_line(bad_inputs, capsys, argv, code, fragment):
    out = bad_inputs / "o"
    assert cli.main(_args(bad_inputs, *argv)) == code
    err = capsys.readouterr().err
    assert err.startswith("fairshare: error: ") and err.count("\n") == 1, err
    assert fragment in err, err
    assert not out.exists()  # nothing written
    assert (bad_inputs / "taken" / "notes.txt").read_text() == "mine"


def test_exit_3_when_the_recorded_history_changed(files, capsys, tmp_path):
    """``report`` without ``--data`` reads the directory the results recorded and checks its files."""
    fs.History.from_frames(nodes_frame(), tasks_frame(), market_frame()).write(tmp_path / "h", format="csv")
    assert cli.main(["evaluate", "--data", str(tmp_path / "h"), "--out", str(tmp_path / "ev"), "--quiet"]) == 0
    market = tmp_path / "h" / "market.csv"
    market.write_text(market.read_text().replace("34246.0", "34247.0", 1))
    results = str(tmp_path / "ev" / "results" / "evaluation")
    capsys.readouterr()
    assert cli.main(["report", "--results", results, "--out", str(tmp_path / "r"), "--quiet"]) == 3
    err = capsys.readouterr().err
    assert "market.csv differ from the files the saved results were computed on" in err and err.count("\n") == 1
    (tmp_path / "h").rename(tmp_path / "moved")
    assert cli.main(["report", "--results", results, "--out", str(tmp_path / "r"), "--quiet"]) == 4
    assert "which is not there: give that history with --data DIRECTORY" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


# --------------------------------------------------------------------------- 6, 7: optimisation


def test_exit_6_on_an_infeasible_problem(monkeypatch, capsys):
    """The commands turn an infeasible default problem into a labelled fallback (exit 0, tested in
    test_cli); an infeasible problem that reaches ``main`` exits 6 with the solver's diagnosis."""
    from fairshare.optimization import MinWeight

    history = fs.History.from_frames(nodes_frame(), tasks_frame(), market_frame())

    def solve(args):
        fs.optimize(history, constraints=[MinWeight(0.8, ("work",)), MinWeight(0.8, ("stake",))])
        return 0

    monkeypatch.setattr(cli, "run_optimize", solve)
    assert cli.main(["optimize"]) == 6
    err = capsys.readouterr().err
    assert err.startswith("fairshare: error: No emission weights satisfy the constraints") and err.count("\n") == 1


@pytest.mark.parametrize("error", [errors.SolverFailedError("the solver stopped; try another"),
                                   errors.UnboundedError("no finite optimum")])
def test_exit_7_on_another_optimisation_failure(monkeypatch, capsys, error):
    def fail(args):
        raise error

    monkeypatch.setattr(cli, "run_optimize", fail)
    assert cli.main(["optimize"]) == 7
    assert capsys.readouterr().err == f"fairshare: error: {error}\n"


# --------------------------------------------------------------------------- 130: interrupted


def test_exit_130_on_an_interrupt(monkeypatch, capsys):
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "run_evaluate", interrupted)
    assert cli.main(["evaluate"]) == cli.INTERRUPTED == 130
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "interrupted" in err and "Traceback" not in err
