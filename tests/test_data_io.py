"""History round trips through CSV and Parquet, atomic writes, streamed reading."""

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings

import fairshare as fs
from fairshare.errors import ConfigError, RangeError, SchemaError
from tests.builders import market_frame, nodes_frame, task_logs, tasks_frame


def full_history(**kw):
    stake = pd.DataFrame({"epoch": [1, 2], "node_id": ["n0", "n2"], "stake_tokens": [55.0, 0.0]})
    uptime = pd.DataFrame({"epoch": [0, 2], "node_id": ["n1", "n0"], "online_seconds": [43_200.0, 80_000.0]})
    models = pd.DataFrame({"model": ["llama-3.1-8b", "llama-3.1-70b", "mistral-7b"],
                           "active_params_b": [8.0, 70.0, 7.3]})
    return fs.History.from_frames(nodes_frame(left=[None, 2, None]), tasks_frame(), market_frame(), stake=stake,
                                  uptime=uptime, models=models, epoch_seconds=86_400.0,
                                  epoch_origin="2026-04-21", **kw)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_round_trip_exact(tmp_path, fmt):
    h = full_history()
    h.write(tmp_path / "h", format=fmt)
    back = fs.History.read(tmp_path / "h")
    assert back.equals(h)
    assert back.models_given and back.uptime_given
    np.testing.assert_array_equal(back.online_seconds, h.online_seconds)
    meta = json.loads((tmp_path / "h" / "history.json").read_text())
    assert meta["format"] == fmt and meta["epoch_origin"].startswith("2026-04-21")


@settings(max_examples=25)
@given(task_logs())
def test_round_trip_random_logs(tmp_path_factory, frames):
    h = fs.History.from_frames(*frames)
    for fmt in ("csv", "parquet"):
        target = tmp_path_factory.mktemp(fmt) / "h"
        h.write(target, format=fmt)
        assert fs.History.read(target).equals(h)


def test_csv_floats_survive_bit_for_bit(tmp_path):
    tasks = tasks_frame().assign(fee_usd=[0.1 + 0.2, 1 / 3, 2.0 ** -40, 1e300, 123456.789e-7])
    h = fs.History.from_frames(nodes_frame(), tasks, market_frame())
    h.write(tmp_path / "h", format="csv")
    back = fs.History.read(tmp_path / "h").tasks["fee_usd"].to_numpy()
    assert back.tobytes() == tasks["fee_usd"].to_numpy().tobytes()


def test_labels_that_look_numeric_stay_strings(tmp_path):
    nodes = nodes_frame().assign(node_id=["007", "1e3", "12"])
    tasks = tasks_frame().assign(node_id=["007", "1e3", "12", "12", "007"])
    h = fs.History.from_frames(nodes, tasks, market_frame())
    h.write(tmp_path / "h", format="csv")
    assert list(fs.History.read(tmp_path / "h").node_ids) == ["007", "1e3", "12"]


def test_write_is_atomic_and_refuses_to_clobber(tmp_path):
    h = full_history()
    target = tmp_path / "h"
    h.write(target)
    before = sorted(p.name for p in target.iterdir())
    with pytest.raises(ConfigError, match=r"exists and is not empty\. Choose another directory or pass overwrite=True"):
        h.write(target, format="csv")
    assert sorted(p.name for p in target.iterdir()) == before
    h.write(target, format="csv", overwrite=True)
    assert (target / "tasks.csv").exists() and not (target / "tasks.parquet").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["h"]  # no temporary directories left


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    h = full_history()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", boom)
    with pytest.raises(OSError, match="disk full"):
        h.write(tmp_path / "h")
    assert list(tmp_path.iterdir()) == []


def test_reading_does_not_modify_inputs(tmp_path):
    full_history().write(tmp_path / "h", format="csv")
    stamps = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in (tmp_path / "h").iterdir()}
    fs.History.read(tmp_path / "h")
    assert stamps == {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in (tmp_path / "h").iterdir()}


def test_partitioned_parquet_and_streaming(tmp_path):
    h = full_history()
    h.write(tmp_path / "h")
    part_dir = tmp_path / "h" / "tasks"
    part_dir.mkdir()
    tasks = h.tasks
    (tmp_path / "h" / "tasks.parquet").unlink()
    for i, (lo, hi) in enumerate([(0, 2), (2, 3), (3, 5)]):
        tasks.iloc[lo:hi].to_parquet(part_dir / f"part-{i}.parquet", index=False, row_group_size=1)
    eager = fs.History.read(tmp_path / "h")
    streamed = fs.History.read(tmp_path / "h", stream=True)
    assert eager.equals(h) and streamed.equals(h)
    assert sum(1 for _ in streamed.tasks_source.chunks()) == 5  # one chunk per row group


def test_streaming_validates_every_row_group(tmp_path):
    h = full_history()
    h.write(tmp_path / "h")
    bad = h.tasks
    bad.loc[4, "node_id"] = "ghost"
    bad.to_parquet(tmp_path / "h" / "tasks.parquet", index=False, row_group_size=2)
    streamed = fs.History.read(tmp_path / "h", stream=True)  # opening reads footers only
    for check in (streamed.validate, lambda: fs.aggregate(streamed)):
        with pytest.raises(fs.errors.AlignmentError, match=r"tasks\.node_id: 1 row \(row 4\) name node_id values"):
            check()


def test_read_errors(tmp_path):
    with pytest.raises(SchemaError, match="not a directory"):
        fs.History.read(tmp_path / "missing")
    full_history().write(tmp_path / "h", format="csv")
    (tmp_path / "h" / "market.csv").unlink()
    with pytest.raises(SchemaError, match=r"no market\.csv or market\.parquet"):
        fs.History.read(tmp_path / "h")
    full_history().write(tmp_path / "c", format="csv")
    with pytest.raises(ConfigError, match=r"stream=True needs Parquet tasks"):
        fs.History.read(tmp_path / "c", stream=True)
    with pytest.raises(ConfigError, match=r"format must be one of csv, parquet, got 'xlsx'"):
        full_history().write(tmp_path / "x", format="xlsx")


def test_read_plain_directory_without_metadata(tmp_path):
    d = tmp_path / "plain"
    d.mkdir()
    nodes_frame().to_csv(d / "nodes.csv", index=False)
    tasks_frame().to_csv(d / "tasks.csv", index=False)
    market_frame().to_csv(d / "market.csv", index=False)
    h = fs.History.read(d, epoch_seconds=3600.0)
    assert h.epoch_seconds == 3600.0 and h.n_tasks == 5


def test_streamed_errors_name_rows_of_the_whole_log(tmp_path):
    h = full_history()
    h.write(tmp_path / "h")
    bad = h.tasks
    bad.loc[3, "fee_usd"] = np.nan
    bad.to_parquet(tmp_path / "h" / "tasks.parquet", index=False, row_group_size=2)
    with pytest.raises(fs.errors.NaNError, match=r"tasks\.fee_usd: 1 row \(row 3\) are NaN or missing"):
        fs.History.read(tmp_path / "h", stream=True).validate()


def test_streamed_busy_time_is_checked_by_the_pass_that_reads_it(tmp_path):
    h = full_history()
    h.write(tmp_path / "h")
    bad = h.tasks
    bad.loc[[0, 1], ["epoch", "node_id"]] = bad.loc[0, ["epoch", "node_id"]].to_numpy()
    bad.loc[[0, 1], "busy_seconds"] = h.epoch_seconds * 0.6  # each row fits, the pair does not
    bad.to_parquet(tmp_path / "h" / "tasks.parquet", index=False, row_group_size=1)
    with pytest.raises(RangeError, match=r"busy time of 1 \(epoch, node\) pair"):
        fs.History.from_frames(h.nodes, bad, h.market, models=h.models)
    streamed = fs.History.read(tmp_path / "h", stream=True)
    for check in (streamed.validate, lambda: fs.aggregate(streamed), lambda: streamed.tasks,
                  lambda: streamed.write(tmp_path / "copy")):
        with pytest.raises(RangeError, match=r"busy time of 1 \(epoch, node\) pair"):
            check()
    assert not (tmp_path / "copy").exists()


def test_streamed_wrong_columns_fail_at_open(tmp_path):
    h = full_history()
    h.write(tmp_path / "h")
    h.tasks.rename(columns={"fee_usd": "fee"}).to_parquet(tmp_path / "h" / "tasks.parquet", index=False)
    with pytest.raises(SchemaError, match=r"tasks: missing required column\(s\) fee_usd"):
        fs.History.read(tmp_path / "h", stream=True)


@settings(max_examples=15)
@given(task_logs(max_rows=40))
def test_streamed_parquet_aggregates_bit_for_bit(tmp_path_factory, frames):
    h = fs.History.from_frames(*frames)
    target = tmp_path_factory.mktemp("stream") / "h"
    h.write(target)
    h.tasks.to_parquet(target / "tasks.parquet", index=False, row_group_size=3)
    streamed = fs.History.read(target, stream=True)
    a, b = fs.aggregate(h), fs.aggregate(streamed)
    for q in fs.features.QUANTITIES:
        assert getattr(a, q).tobytes() == getattr(b, q).tobytes(), q


def test_read_records_input_hashes(tmp_path):
    import hashlib

    full_history().write(tmp_path / "h", format="csv")
    h = fs.History.read(tmp_path / "h")
    hashes = h.provenance["input_sha256"]
    assert set(hashes) >= {"nodes.csv", "tasks.csv", "market.csv", "history.json"}
    assert hashes["tasks.csv"] == hashlib.sha256((tmp_path / "h" / "tasks.csv").read_bytes()).hexdigest()


def test_streamed_timestamp_errors_name_rows_of_the_whole_log(tmp_path):
    h = full_history()
    h.write(tmp_path / "h")
    stamped = h.tasks.drop(columns="epoch").assign(
        timestamp=(pd.Timestamp("2026-04-21", tz="UTC") + pd.to_timedelta(h.tasks.epoch, unit="D")).astype(str))
    stamped.loc[3, "timestamp"] = "not a time"
    stamped.to_parquet(tmp_path / "h" / "tasks.parquet", index=False, row_group_size=2)
    with pytest.raises(SchemaError, match=r"tasks\.timestamp: 1 row \(row 3\) are missing or not parseable"):
        fs.History.read(tmp_path / "h", stream=True).validate()


def test_a_history_without_its_task_log_says_so():
    light = full_history().without_tasks()
    assert light.n_tasks == 5 and light.n_nodes == 3
    with pytest.raises(ConfigError, match="sent without its task log"):
        fs.aggregate(light)


def test_epoch_length_zero_and_a_broken_history_json_are_errors(tmp_path):
    """An explicit epoch length of 0 is refused, never replaced by the default; a broken history.json is named."""
    import fairshare as fs
    from fairshare.errors import ConfigError, SchemaError

    path = fs.datasets.open_inference_network(seed=0, scale="small").write(tmp_path / "h")
    with pytest.raises(ConfigError, match="epoch_seconds"):
        fs.History.read(path, epoch_seconds=0)
    meta = path / "history.json"
    text = meta.read_text()
    meta.write_text("{not json")
    with pytest.raises(SchemaError, match="history.json: not valid JSON"):
        fs.History.read(path)
    meta.write_text("[1, 2]")
    with pytest.raises(SchemaError, match="JSON object"):
        fs.History.read(path)
    meta.write_text(text)
    assert fs.History.read(path).n_nodes == 80
