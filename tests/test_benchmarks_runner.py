"""The benchmark runner (benchmarks/run.py) and the conventions of the benchmark scripts.

No real benchmark runs here: the report is rendered from fabricated results, and the
process handling (JSON read back, crash, budget kill) is exercised on tiny scripts in tmp_path.
"""

import importlib.util
import json
import runpy
import sys
import textwrap
import time
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name):
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


runner = _load("run")
common = _load("benchkit")


def _outcome(name, rows=None, status="ok", **kw):
    result = None if rows is None else {"benchmark": name, "config": {"quick": True, "rows": 1_000_000},
                                        "rows": rows}
    kw = {"command": [sys.executable, str(BENCH / f"bench_{name}.py"), "--quick", "--json", "/tmp/x.json"],
          "budget_s": 300.0, "wall_s": 12.5, "peak_rss_mib": 512.0, "returncode": 0, **kw}
    return runner.Outcome(name, status, result=result, **kw)


def _row(*args, **kw):
    from dataclasses import asdict
    return asdict(getattr(common.Row, args[0])(*args[1:], **kw))


def test_report_renders_every_verdict():
    outcomes = [
        _outcome("aggregate", [_row("check", "speed-up vs pandas, chronological", 14.2, "x", ">=", 10),
                               _row("check", "time / numpy read floor, shuffled", 3.6, "x", "<=", 3),
                               _row("missing", "speed-up vs DuckDB, chronological", "x", "duckdb is not installed",
                                    ">=", 3),
                               _row("info", "fs.aggregate, chronological", 0.41, "s", "1.2 GB/s")]),
        _outcome("demo", [_row("check", "demo, cold", 31.0, "s", "<", 90, "--scale small", judged=False)]),
        _outcome("simulate", status="over budget", wall_s=360.2, budget_s=360.0),
        _outcome("optimize", status="crashed", returncode=1, error="exit status 1: ValueError: bad | input"),
    ]
    info = runner.RunInfo(command="python benchmarks/run.py --quick", date="2026-01-01 00:00 UTC",
                          commit="abc1234+dirty", quick=True, machine={"CPU": "Test CPU", "logical cores": "2"})
    text = runner.render(outcomes, info)
    lines = text.splitlines()
    assert text.startswith("# fairshare benchmarks")
    assert "`python benchmarks/run.py --quick`" in text and "abc1234+dirty" in text and "Quick run" in text
    assert "| CPU | Test CPU |" in text
    header = lines.index("| benchmark | measure | measured | target | met |")
    table = lines[header:lines.index("", header)]

    def row_of(fragment):
        [hit] = [ln for ln in table if fragment in ln]
        return [c.strip() for c in hit.strip("|").split(" | ")]

    assert row_of("vs pandas") == ["aggregate", "speed-up vs pandas, chronological", "14.2x", ">= 10x", "met"]
    assert row_of("read floor")[2:] == ["3.60x", "<= 3x", "NOT MET"]
    duck = row_of("DuckDB")
    assert duck[2:] == ["—", ">= 3x", "not measured"] and "duckdb is not installed" in duck[1]
    assert row_of("fs.aggregate")[2:] == ["0.41 s", "", ""]
    assert row_of("demo, cold")[2:] == ["31.0 s", "< 90 s", "not judged"]
    assert row_of("simulate")[-1] == "not finished within budget 360 s"
    crash = row_of("optimize")[-1]
    assert crash.startswith("crashed: exit status 1") and "bad \\| input" in crash  # pipe escaped
    assert "Targets: 1 met, 1 NOT MET, 1 not measured, 1 not judged" in text
    timing = lines[lines.index("| benchmark | status | wall time | peak memory | budget |"):]
    assert any(ln.startswith("| simulate | not finished within budget") for ln in timing)
    assert any(ln.startswith("| aggregate | finished | 12.5 s | 512 MiB |") for ln in timing)
    assert "### aggregate" in text and "| rows | 1,000,000 |" in text
    assert "`python benchmarks/bench_aggregate.py --quick --json FILE`" in text
    assert "No configuration recorded" in text  # the over-budget and crashed ones


def test_row_verdicts_come_from_the_values():
    Row = common.Row
    assert Row.check("a", 10.0, "x", ">=", 10).met is True
    assert Row.check("a", 9.99, "x", ">=", 10).met is False
    assert Row.check("a", 30.0, "s", "<", 30).met is False
    assert Row.check("a", 29.0, "s", "<", 30, judged=False).met is None
    nan = Row.check("a", float("nan"), "x", ">=", 10)
    assert nan.value is None and nan.met is None and "nan" in nan.note
    missing = Row.missing("a", "x", "radCAD is not installed", ">=", 100)
    assert (missing.value, missing.met, missing.target) == (None, None, ">= 100x")


def test_options_quick_defaults_and_json(tmp_path):
    cli = common.Options("fake", "a fake benchmark")
    cli.add_sized("--rows", full=1000, quick=10, type=int)
    cli.add_sized("--sizes", full=[1, 2, 3], quick=[1], type=int, nargs="+")
    assert cli.parse([]).rows == 1000
    assert cli.parse(["--quick", "--rows", "5"]).rows == 5  # given on the command line wins
    args = cli.parse(["--quick", "--json", str(tmp_path / "r.json")])
    assert (args.rows, args.sizes) == (10, [1])
    cli.save(args, [common.Row.check("speed-up", 12.0, "x", ">=", 10)], cpu_count=2)
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc == {"benchmark": "fake", "config": {"quick": True, "rows": 10, "sizes": [1], "cpu_count": 2},
                   "rows": [{"measure": "speed-up", "value": 12.0, "unit": "x", "target": ">= 10x", "met": True,
                             "note": ""}]}


def test_discovery_order(tmp_path):
    for name in ("zeta", "demo", "alpha", "aggregate", "simulate"):
        (tmp_path / f"bench_{name}.py").write_text("")
    (tmp_path / "helper.py").write_text("")
    assert list(runner.discover(tmp_path)) == ["aggregate", "simulate", "demo", "alpha", "zeta"]
    real = list(runner.discover())
    assert real[:7] == [n for n in runner.ORDER if n in real][:7] and "metrics" in real


@pytest.mark.parametrize("script", sorted(p.name for p in BENCH.glob("bench_*.py")))
def test_every_script_accepts_quick_and_json(script, monkeypatch, capsys):
    monkeypatch.syspath_prepend(str(BENCH))
    monkeypatch.setattr(sys, "argv", [str(BENCH / script), "--help"])
    with pytest.raises(SystemExit) as stop:
        runpy.run_path(str(BENCH / script), run_name="__main__")
    assert stop.value.code == 0
    usage = capsys.readouterr().out
    assert "--quick" in usage and "--json" in usage


def _script(tmp_path, name, body):
    path = tmp_path / f"bench_{name}.py"
    path.write_text(textwrap.dedent(body))
    return path


def test_budget_kills_a_script_that_runs_too_long(tmp_path):
    script = _script(tmp_path, "slow", """
        import subprocess, sys, time
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])  # a child of its own, killed too
        time.sleep(60)
    """)
    began = time.perf_counter()
    o = runner.run_benchmark("slow", script, quick=True, budget_s=1.0, python=sys.executable, workdir=tmp_path)
    assert time.perf_counter() - began < 10
    assert o.status == "over budget" and o.result is None and o.rows == []
    assert 1.0 <= o.wall_s < 10 and o.peak_rss_mib > 0
    assert o.command[-3:] == ["--quick", "--json", str(tmp_path / "slow.json")]


def test_results_are_read_back_and_crashes_reported(tmp_path):
    good = _script(tmp_path, "good", """
        import json, sys
        assert sys.argv[1:3] == ["--json", sys.argv[2]]
        json.dump({"benchmark": "good", "config": {"quick": False},
                   "rows": [{"measure": "m", "value": 2.0, "unit": "x", "target": ">= 1x", "met": True, "note": ""}]},
                  open(sys.argv[2], "w"))
    """)
    bad = _script(tmp_path, "bad", "raise ValueError('no data')\n")
    silent = _script(tmp_path, "silent", "pass\n")
    kw = dict(quick=False, budget_s=60.0, python=sys.executable, workdir=tmp_path)
    ok = runner.run_benchmark("good", good, **kw)
    assert ok.status == "ok" and ok.rows[0]["met"] is True and ok.returncode == 0
    crashed = runner.run_benchmark("bad", bad, **kw)
    assert crashed.status == "crashed" and crashed.error == "exit status 1: ValueError: no data"
    assert runner.run_benchmark("silent", silent, **kw).error == "exited without writing its JSON result"


def test_main_writes_the_report_and_fails_on_a_crash(tmp_path, monkeypatch):
    _script(tmp_path, "good", """
        import json, sys
        json.dump({"benchmark": "good", "config": {"quick": "--quick" in sys.argv},
                   "rows": [{"measure": "m", "value": 0.5, "unit": "x", "target": ">= 1x", "met": False, "note": ""}]},
                  open(sys.argv[-1], "w"))
    """)
    _script(tmp_path, "bad", "raise SystemExit('trajectories differ')\n")
    monkeypatch.setattr(runner, "BENCH_DIR", tmp_path)
    out = tmp_path / "B.md"
    assert runner.main(["--quick", "--only", "good", "--out", str(out)]) == 0  # a missed target is no failure
    assert "| good | m | 0.50x | >= 1x | NOT MET |" in out.read_text()
    assert runner.main(["--quick", "--out", str(out)]) == 1
    text = out.read_text()
    assert "| bad | — | — | — | crashed: exit status 1: trajectories differ |" in text
    assert not list(tmp_path.glob(".B.md.*"))  # the temporary file was renamed
    with pytest.raises(SystemExit):
        runner.main(["--only", "nonexistent", "--out", str(out)])


def test_ingest_benchmark_checks_the_sums_it_compares(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    ingest = _load("bench_ingest")
    directory = tmp_path / "history"
    ingest.write_history(directory, n_rows=3000, n_files=3, n_nodes=40)
    assert ingest.run_floor(sorted((directory / "tasks").glob("*.parquet"))) == 3000
    peer = ingest.run_pandas(directory)
    for stream in (False, True):
        ingest.check_same(ingest.run_fairshare(directory, stream=stream), peer, "pandas")
    mine = ingest.run_fairshare(directory, stream=False)
    # a check that cannot fail is no check: one count off by one, one float off by 1e-9, one cell left out
    with pytest.raises(AssertionError, match="requests differs"):
        ingest.check_same(mine, peer.assign(requests=peer["requests"] + (peer.index == 0)), "pandas")
    with pytest.raises(AssertionError, match="energy_kwh"):
        ingest.check_same(mine, peer.assign(energy_kwh=peer["energy_kwh"] * (1 + 1e-9 * (peer.index == 7))), "pandas")
    with pytest.raises(AssertionError, match="missing from the peer"):
        ingest.check_same(mine, peer.iloc[1:], "pandas")
