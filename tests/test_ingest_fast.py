"""A Parquet task log is checked, coded and summed in one pass per piece: the same history, sums and errors as the
column-by-column route."""

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fairshare as fs
from fairshare.data import io
from fairshare.data.partitioned import ParquetTasks
from fairshare.data.source import _CHUNK_ARRAYS
from fairshare.errors import DataError
from fairshare.features import QUANTITIES
from tests.test_distributed_aggregate import write_partitioned


@pytest.fixture(scope="module")
def small():
    return fs.datasets.open_inference_network(seed=0, scale="small")


def same_features(a, b):
    for q in QUANTITIES:
        assert getattr(a, q).tobytes() == getattr(b, q).tobytes(), q


def same_log(a, b):
    for k in _CHUNK_ARRAYS:
        x, y = getattr(a.tasks_source.data, k), getattr(b.tasks_source.data, k)
        assert x.dtype == y.dtype and np.array_equal(x, y), k


def column_by_column(monkeypatch):
    """Read histories the column-by-column way only (the one-pass route declines every log)."""
    monkeypatch.setattr(io, "_read_coded", lambda *args: None)


def test_the_one_pass_read_gives_the_column_by_column_history_and_sums(small, tmp_path, monkeypatch):
    write_partitioned(small, tmp_path / "h", n_parts=3)
    fast = fs.History.read(tmp_path / "h")
    assert fast.tasks_source.kept, "the usual layout takes the one-pass route and keeps its sums"
    with monkeypatch.context() as m:
        column_by_column(m)
        slow = fs.History.read(tmp_path / "h")
    assert not slow.tasks_source.kept
    same_log(fast, slow)
    assert fast.equals(slow) and fast.provenance == slow.provenance
    first = fs.aggregate(fast)  # the sums made while reading, handed over
    assert not fast.tasks_source.kept
    same_features(first, fs.aggregate(slow))
    same_features(fs.aggregate(fast), first)  # summed again from the coded log: the same bits
    other = fs.aggregate(fast, prefill_weight=0.5)  # other parameters: summed from the log
    same_features(other, fs.aggregate(slow, prefill_weight=0.5))


def test_a_streamed_log_sums_in_one_pass_to_the_same_bits(small, tmp_path, monkeypatch):
    write_partitioned(small, tmp_path / "h", n_parts=3)
    reference = fs.aggregate(fs.History.read(tmp_path / "h"))
    passes = []
    one_pass = ParquetTasks.sum_into
    monkeypatch.setattr(ParquetTasks, "sum_into", lambda self, *a: passes.append(one_pass(self, *a)) or passes[-1])
    same_features(fs.aggregate(fs.History.read(tmp_path / "h", stream=True)), reference)
    assert passes == [True]


def test_a_file_in_another_layout_is_coded_column_by_column_in_both_routes(small, tmp_path):
    tasks = write_partitioned(small, tmp_path / "h", n_parts=3)
    part = tmp_path / "h" / "tasks" / "part-001.parquet"
    table = pq.read_table(part)
    # float requests (whole numbers): not the usual layout, accepted by the column-by-column checks
    table = table.set_column(table.column_names.index("requests"), "requests",
                             pa.array(table.column("requests").to_numpy().astype(np.float64)))
    pq.write_table(table, part, row_group_size=max(table.num_rows // 2, 1))
    memory = fs.History.read(tmp_path / "h")
    assert not memory.tasks_source.kept  # the whole log went the column-by-column way
    reference = fs.aggregate(memory)
    same_features(fs.aggregate(fs.History.read(tmp_path / "h", stream=True)), reference)
    assert memory.n_tasks == len(tasks)


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("spoil", ["NaN fee", "unknown node", "busy over the epoch", "epoch outside the market"])
def test_a_bad_row_in_a_later_file_gives_the_column_by_column_error(small, tmp_path, monkeypatch, spoil, stream):
    write_partitioned(small, tmp_path / "h", n_parts=3)
    part = tmp_path / "h" / "tasks" / "part-002.parquet"
    frame = pq.read_table(part).to_pandas()
    row = len(frame) // 2
    if spoil == "NaN fee":
        frame.loc[row, "fee_usd"] = np.nan
    elif spoil == "unknown node":
        frame.loc[row, "node_id"] = "no-such-node"
    elif spoil == "busy over the epoch":
        frame.loc[row, "busy_seconds"] = small.epoch_seconds * 2
    else:
        frame.loc[row, "epoch"] = int(small.epochs[-1]) + 5
    frame.to_parquet(part, index=False)

    def error(read):
        with pytest.raises(DataError) as caught:
            fs.aggregate(read())
        return type(caught.value), str(caught.value)

    got = error(lambda: fs.History.read(tmp_path / "h", stream=stream))
    with monkeypatch.context() as m:
        column_by_column(m)
        monkeypatch.setattr(ParquetTasks, "sum_into", lambda self, *a: False)
        assert got == error(lambda: fs.History.read(tmp_path / "h", stream=stream))


def test_a_file_without_an_optional_column_is_read_as_the_column_by_column_route_reads_it(small, tmp_path,
                                                                                         monkeypatch):
    write_partitioned(small, tmp_path / "h", n_parts=3)
    part = tmp_path / "h" / "tasks" / "part-001.parquet"
    pq.write_table(pq.read_table(part).drop_columns(["upstream_cost_usd"]), part)

    def error():
        with pytest.raises(DataError) as caught:
            fs.History.read(tmp_path / "h")
        return type(caught.value), str(caught.value)

    got = error()  # the other files' upstream costs and none here: missing values, named
    with monkeypatch.context() as m:
        column_by_column(m)
        assert got == error()
