"""Directories written whole or not at all, CSV round trips, interrupts (issue 20, item 4).

The fault-injection tests run a writer in a child process and kill it with SIGKILL at every
step of the write in turn (after each file, at every rename, exchange, removal); after each
kill the target must hold the complete old contents or the complete new ones, and the next
write must remove what the killed one left. The child loads :mod:`fairshare._atomic` without
the package's heavy imports, so each run costs a Python start-up only.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fairshare as fs
from fairshare import cli
from fairshare._atomic import MARKER_SUFFIX, TMP_TAG, atomic_directory, clean_stale
from fairshare.errors import ConfigError
from tests.builders import market_frame, nodes_frame, tasks_frame

ROOT = Path(__file__).resolve().parents[1]
posix_only = pytest.mark.skipif(os.name != "posix", reason="SIGKILL and SIGINT semantics")

#: The child: writes FILES files of version VERSION into TARGET (overwrite), killing itself with SIGKILL
#: just before the KILL_AT-th step (a file written, or a call of os.rename / os.replace / the exchange /
#: shutil.rmtree / Path.unlink made by the writer); exits 0 when it gets through.
CHILD = textwrap.dedent("""
    import os, signal, sys, types
    from pathlib import Path
    package = types.ModuleType("fairshare"); package.__path__ = [sys.argv[1]]
    sys.modules["fairshare"] = package
    import shutil
    import fairshare._atomic as atomic

    target, version, kill_at = Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    steps = [0]

    def step():
        steps[0] += 1
        if steps[0] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    def watched(owner, name):
        original = getattr(owner, name)
        def wrapper(*args, **kwargs):
            step()
            return original(*args, **kwargs)
        setattr(owner, name, wrapper)

    for owner, name in ((os, "rename"), (os, "replace"), (shutil, "rmtree"), (atomic, "_exchange"),
                        (Path, "unlink")):
        watched(owner, name)
    with atomic.atomic_directory(target, overwrite=True) as tmp:
        for i in range(4):
            step()
            (tmp / f"part{i}.txt").write_text(f"{version} {i}")
        step()
        (tmp / "complete.txt").write_text(version)
""")


def run_child(target: Path, version: str, kill_at: int) -> int:
    return subprocess.run([sys.executable, "-c", CHILD, str(ROOT / "fairshare"), str(target), version,
                           str(kill_at)], capture_output=True, timeout=60).returncode


def version_of(target: Path) -> str:
    """The complete version held at ``target``; fails on a missing, mixed or partial directory."""
    assert target.is_dir(), f"nothing at {target}"
    version = (target / "complete.txt").read_text()
    assert sorted(p.name for p in target.iterdir()) == ["complete.txt"] + [f"part{i}.txt" for i in range(4)]
    assert all((target / f"part{i}.txt").read_text() == f"{version} {i}" for i in range(4))
    return version


def leftovers(parent: Path, target: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p != target)


@posix_only
def test_a_kill_at_any_step_leaves_the_old_or_the_new_directory(tmp_path):
    target = tmp_path / "report"
    assert run_child(target, "v1", 0) == 0 and version_of(target) == "v1"
    seen, kill_at = [], 1
    while True:
        code = run_child(target, "v2", kill_at)
        if code == 0:
            break
        assert code == -signal.SIGKILL
        held = version_of(target)  # old or new, whole
        seen.append(held)
        assert run_child(target, "v1", 0) == 0  # the next write cleans up after the killed one ...
        assert version_of(target) == "v1" and leftovers(tmp_path, target) == []  # ... and leaves nothing
        kill_at += 1
    assert version_of(target) == "v2" and leftovers(tmp_path, target) == []
    assert kill_at >= 8 and "v1" in seen  # the kills covered the writing and the swap


@posix_only
def test_a_kill_of_the_first_write_leaves_nothing_that_looks_complete(tmp_path):
    target = tmp_path / "fresh"
    for kill_at in range(1, 7):
        assert run_child(target, "v1", kill_at) == -signal.SIGKILL
        assert not target.exists()
        assert all(TMP_TAG in name for name in leftovers(tmp_path, target))
    removed = clean_stale(tmp_path)
    assert removed and leftovers(tmp_path, target) == []


@posix_only
def test_stale_directories_of_running_or_foreign_writers_are_kept(tmp_path):
    mine = tmp_path / f".x{TMP_TAG}aaaa"
    mine.mkdir()
    (tmp_path / (mine.name + MARKER_SUFFIX)).write_text(json.dumps(
        {"kind": "fairshare-partial-directory", "pid": os.getpid(), "host": os.uname().nodename, "target": "x"}))
    foreign = tmp_path / f".y{TMP_TAG}bbbb"
    foreign.mkdir()
    (tmp_path / (foreign.name + MARKER_SUFFIX)).write_text(json.dumps(
        {"kind": "fairshare-partial-directory", "pid": 2**22 + 7, "host": "another-host", "target": "y"}))
    unmarked = tmp_path / f".z{TMP_TAG}cccc"
    unmarked.mkdir()
    (tmp_path / (unmarked.name + MARKER_SUFFIX)).write_text("not ours")
    assert clean_stale(tmp_path) == []
    assert mine.is_dir() and foreign.is_dir() and unmarked.is_dir()


def test_an_overwrite_swaps_in_one_step(tmp_path, monkeypatch):
    """An existing target is exchanged with the new directory, never renamed aside first."""
    from fairshare import _atomic

    target = tmp_path / "out"
    with atomic_directory(target) as tmp:
        (tmp / "a").write_text("old")
    renames = []
    monkeypatch.setattr(_atomic.os, "rename", lambda *a: renames.append(a))
    monkeypatch.setattr(_atomic.os, "replace", lambda *a: renames.append(a))
    with atomic_directory(target, overwrite=True) as tmp:
        (tmp / "a").write_text("new")
    assert renames == [] and (target / "a").read_text() == "new"
    assert leftovers(tmp_path, target) == []


def test_an_error_or_interrupt_inside_leaves_the_old_directory(tmp_path):
    target = tmp_path / "out"
    with atomic_directory(target) as tmp:
        (tmp / "a").write_text("old")
    for error in (OSError("disk full"), KeyboardInterrupt()):
        with pytest.raises(type(error)), atomic_directory(target, overwrite=True) as tmp:
            (tmp / "a").write_text("new")
            raise error
        assert (target / "a").read_text() == "old" and leftovers(tmp_path, target) == []


# --------------------------------------------------------------------------- typed errors for bad targets


def small_history(**kw):
    return fs.History.from_frames(nodes_frame(), tasks_frame(), market_frame(), **kw)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_history_write_to_a_file_path_is_a_config_error(tmp_path, fmt):
    existing = tmp_path / "a_file"
    existing.write_text("keep me")
    for target in (existing, existing / "below"):
        with pytest.raises(ConfigError, match="is a file"):
            small_history().write(target, format=fmt)
    assert existing.read_text() == "keep me" and [p.name for p in tmp_path.iterdir()] == ["a_file"]


def test_cli_out_naming_an_existing_file_exits_4_with_one_line(tmp_path, capsys):
    existing = tmp_path / "report.txt"
    existing.write_text("keep me")
    assert cli.main(["report", "--results", str(tmp_path / "none"), "--out", str(existing)]) == 4
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is a file, not a directory" in err
    assert existing.read_text() == "keep me"


# --------------------------------------------------------------------------- CSV round trips

TRICKY = ["NA", "null", "None", "01", "1", "nan", "N/A", "NaN", "#N/A", "<NA>", "TRUE", "-0", "1e3", " x ",
          "a,b", 'say "hi"', "naïve", "NULL"]


def test_csv_round_trip_keeps_every_label_as_text(tmp_path):
    n = len(TRICKY)
    nodes = nodes_frame(n).assign(node_id=TRICKY, operator_id=TRICKY[::-1], region=TRICKY)
    tasks = tasks_frame().assign(node_id=TRICKY[:5], model=["NA", "None", "1", "NA", "01"])
    models = pd.DataFrame({"model": ["NA", "None", "1", "01"], "active_params_b": [8.0, 70.0, 7.3, 1.0]})
    h = fs.History.from_frames(nodes, tasks, market_frame(), models=models)
    h.write(tmp_path / "h", format="csv")
    back = fs.History.read(tmp_path / "h")
    assert back.equals(h)
    assert list(back.node_ids) == list(h.node_ids) and all(isinstance(v, str) for v in back.node_ids)
    assert back.nodes["region"].tolist() == h.nodes["region"].tolist()


@settings(max_examples=20)
@given(st.lists(st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=6)
                .filter(lambda s: s.strip() == s and s.strip()), min_size=3, max_size=3, unique=True))
def test_csv_round_trip_of_any_text_labels(tmp_path_factory, labels):
    nodes = nodes_frame().assign(node_id=labels, region=labels[::-1])
    tasks = tasks_frame().assign(node_id=[labels[i] for i in (0, 1, 2, 2, 0)])
    h = fs.History.from_frames(nodes, tasks, market_frame())
    target = tmp_path_factory.mktemp("csv") / "h"
    h.write(target, format="csv")
    back = fs.History.read(target)
    assert back.equals(h) and back.nodes["region"].tolist() == labels[::-1]


def test_only_an_empty_field_is_a_missing_label(tmp_path):
    h = small_history()
    h.write(tmp_path / "h", format="csv")
    nodes = tmp_path / "h" / "nodes.csv"
    frame = pd.read_csv(nodes, dtype=str, keep_default_na=False)
    frame.loc[1, "node_id"] = ""
    frame.to_csv(nodes, index=False)
    with pytest.raises(fs.errors.DataError, match="node_id"):
        fs.History.read(tmp_path / "h")


def test_numeric_missing_spellings_still_read_as_missing(tmp_path):
    nodes = nodes_frame(left=[None, 2, None])
    small = fs.History.from_frames(nodes, tasks_frame(), market_frame())
    small.write(tmp_path / "h", format="csv")
    path = tmp_path / "h" / "nodes.csv"
    path.write_text(path.read_text().replace(",,", ",NA,", 1))
    back = fs.History.read(tmp_path / "h")
    assert back.equals(small)


# --------------------------------------------------------------------------- SIGINT

SIGINT_CHILD = textwrap.dedent("""
    import sys, time
    import fairshare.cli as cli
    from fairshare._atomic import atomic_directory

    def slow_run(args):
        with atomic_directory(args.out, overwrite=args.overwrite) as tmp:
            (tmp / "half.txt").write_text("half")
            print("writing", flush=True)
            time.sleep(120)
        return 0

    cli.run_demo = slow_run
    sys.exit(cli.main(sys.argv[1:]))
""")


@posix_only
@pytest.mark.parametrize("existing", [False, True])
def test_sigint_prints_one_line_exits_130_and_keeps_the_old_report(tmp_path, existing):
    out = tmp_path / "report"
    if existing:
        out.mkdir()
        (out / "old.txt").write_text("old")
    argv = ["demo", "--out", str(out)] + (["--overwrite"] if existing else [])
    child = subprocess.Popen([sys.executable, "-c", SIGINT_CHILD, *argv], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == "writing\n"
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=60)
    finally:
        child.kill()
    assert child.returncode == 130
    assert err.count("\n") == 1 and err.startswith("fairshare: interrupted") and "Traceback" not in err
    assert leftovers(tmp_path, out) == []
    if existing:
        assert [p.name for p in out.iterdir()] == ["old.txt"]
    else:
        assert not out.exists()


@posix_only
def test_history_write_killed_mid_table_leaves_nothing_that_looks_complete(tmp_path):
    code = textwrap.dedent("""
        import os, signal, sys
        import pandas as pd
        import fairshare as fs
        from tests.builders import market_frame, nodes_frame, tasks_frame
        h = fs.History.from_frames(nodes_frame(), tasks_frame(), market_frame())
        h.write(sys.argv[1] + "/old", format="csv")
        original = pd.DataFrame.to_csv
        def killing(self, path, *a, **k):
            if str(path).endswith("market.csv"):
                os.kill(os.getpid(), signal.SIGKILL)
            return original(self, path, *a, **k)
        pd.DataFrame.to_csv = killing
        h.write(sys.argv[1] + "/old", format="csv", overwrite=True)
    """)
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=ROOT, capture_output=True, timeout=120)
    assert done.returncode == -signal.SIGKILL
    before = {p.name: p.read_bytes() for p in (tmp_path / "old").iterdir()}
    assert sorted(before) == ["history.json", "market.csv", "nodes.csv", "tasks.csv"]
    assert fs.History.read(tmp_path / "old").equals(small_history())
    assert any(TMP_TAG in p.name for p in tmp_path.iterdir())
    small_history().write(tmp_path / "new")  # a later write in the same place cleans up
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new", "old"]


def test_a_concurrent_reader_always_finds_a_whole_directory(tmp_path):
    """A reader polling the target while it is replaced 40 times never finds it missing or partial."""
    target = tmp_path / "out"
    with atomic_directory(target) as tmp:
        for i in range(4):
            (tmp / f"part{i}.txt").write_text(f"v0 {i}")
        (tmp / "complete.txt").write_text("v0")
    writer = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import sys, types
        from pathlib import Path
        package = types.ModuleType("fairshare"); package.__path__ = [sys.argv[1]]
        sys.modules["fairshare"] = package
        import fairshare._atomic as atomic
        for v in range(1, 41):
            with atomic.atomic_directory(Path(sys.argv[2]), overwrite=True) as tmp:
                for i in range(4):
                    (tmp / f"part{i}.txt").write_text(f"v{v} {i}")
                (tmp / "complete.txt").write_text(f"v{v}")
    """), str(ROOT / "fairshare"), str(target)])
    checks = 0
    deadline = time.monotonic() + 60
    while writer.poll() is None and time.monotonic() < deadline:
        directory = os.open(target, os.O_RDONLY)  # one directory, whatever is swapped in after
        try:
            names = sorted(os.listdir(directory))
            texts = {}
            for name in names:
                handle = os.open(name, os.O_RDONLY, dir_fd=directory)
                with os.fdopen(handle) as file:
                    texts[name] = file.read()
            still_there = os.stat(target).st_ino == os.fstat(directory).st_ino
        except FileNotFoundError:  # the old directory was being removed after its swap: read again
            continue
        finally:
            os.close(directory)
        if not still_there:  # swapped out while being read (then removed): read the new one
            continue
        version = texts["complete.txt"]
        assert names == ["complete.txt"] + [f"part{i}.txt" for i in range(4)]
        assert all(texts[f"part{i}.txt"] == f"{version} {i}" for i in range(4))
        checks += 1
    assert writer.wait(timeout=60) == 0 and checks > 0
    assert version_of(target) == "v40" and leftovers(tmp_path, target) == []


def test_results_and_reports_use_the_one_helper():
    """Every writer of directories goes through fairshare._atomic (one place to get it right)."""
    for module in ("fairshare/data/io.py", "fairshare/report/build.py", "fairshare/results_io/store.py"):
        text = (ROOT / module).read_text()
        assert "atomic_directory" in text and "os.replace" not in text and "mkdtemp" not in text


@pytest.mark.parametrize("damage", ["truncate", "csv_named_parquet", "empty"])
def test_a_damaged_parquet_table_is_a_schema_error_naming_the_file(tmp_path, damage):
    small_history().write(tmp_path / "h")
    market = tmp_path / "h" / "market.parquet"
    if damage == "truncate":
        market.write_bytes(market.read_bytes()[: market.stat().st_size // 2])
    elif damage == "csv_named_parquet":
        market.write_text("epoch,emission_tokens,token_price_usd\n0,1.0,0.1\n")
    else:
        market.write_bytes(b"")
    with pytest.raises(fs.errors.SchemaError, match=r"market\.parquet: could not read as Parquet"):
        fs.History.read(tmp_path / "h")
