"""A Parquet task log is checked on its pyarrow buffers: the same numbers, errors and messages as its pandas form."""

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings

import fairshare as fs
from fairshare.data import build
from fairshare.data.onepass import FastCoder
from fairshare.data.schema import TASK_LABELS, table_columns
from fairshare.data.source import _CHUNK_ARRAYS, encode_tasks
from fairshare.data.validate import Labels, check_table, column_values, without_index_columns
from fairshare.errors import DataError
from tests.builders import market_frame, nodes_frame, task_logs, tasks_frame


def _outcome(run):
    try:
        chunk = run()
    except DataError as err:
        return type(err), str(err)
    return {k: getattr(chunk, k) for k in _CHUNK_ARRAYS}


def _same(a, b):
    if isinstance(a, tuple) or isinstance(b, tuple):
        assert a == b
        return
    for k in _CHUNK_ARRAYS:
        assert a[k].dtype == b[k].dtype and np.array_equal(a[k], b[k]), k


MUTATIONS = {
    "valid": lambda t: t,
    "NaN fee": lambda t: t.assign(fee_usd=[0.1, np.nan, 0.2, 0.3, 0.4]),
    "inf busy": lambda t: t.assign(busy_seconds=[1.0, np.inf, 1.0, 1.0, 1.0]),
    "negative tokens": lambda t: t.assign(input_tokens=[1.0, -2.0, 3.0, 4.0, -5.0]),
    "busy over the epoch": lambda t: t.assign(busy_seconds=[1.0, 90_000.0, 1.0, 1.0, 1.0]),
    "no requests": lambda t: t.assign(requests=[1, 0, 2, 0, 1]),
    "requests as floats": lambda t: t.assign(requests=[1.0, 2.0, 3.5, 1.0, 1.0]),
    "missing requests": lambda t: t.assign(requests=[1.0, np.nan, 3.0, 1.0, 1.0]),
    "int64 maximum requests": lambda t: t.assign(requests=[1, 2**63 - 1, 3, 1, 1]),
    "integer tokens": lambda t: t.assign(output_tokens=[1, 2, 3, 4, 5]),
    "unknown node": lambda t: t.assign(node_id=["n0", "zz", "n2", "yy", "zz"]),
    "missing node": lambda t: t.assign(node_id=["n0", None, "n2", "n2", "n0"]),
    "integer nodes": lambda t: t.assign(node_id=[0, 1, 2, 2, 0]),
    "float nodes": lambda t: t.assign(node_id=[0.5, 1.0, 2.0, 2.0, 0.0]),
    "unknown model": lambda t: t.assign(model=["gpt-x", "llama-3.1-8b", "gpt-y", "gpt-x", "mistral-7b"]),
    "unknown mode": lambda t: t.assign(verification=["vanilla", "fast", "tee", "fast", "zkml"]),
    "boolean mode": lambda t: t.assign(verification=[True, False, True, True, False]),
    "epoch outside the market": lambda t: t.assign(epoch=[0, 7, 1, 2, -1]),
    "fractional epoch": lambda t: t.assign(epoch=[0.0, 0.5, 1.0, 2.0, 2.0]),
    "text fees": lambda t: t.assign(fee_usd=["a", "b", "c", "d", "e"]),
    "unknown column": lambda t: t.assign(colour="red"),
    "missing column": lambda t: t.drop(columns="busy_seconds"),
    "upstream cost": lambda t: t.assign(upstream_cost_usd=[0.0, 0.1, 0.0, 0.0, 0.2]),
    "timestamps": lambda t: t.drop(columns="epoch").assign(
        timestamp=["2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z", "2026-01-02T00:00:00Z",
                   "2026-01-03T00:00:00Z", "2026-01-03T05:00:00Z"]),
    "categorical labels with an unused unknown one": lambda t: t.assign(
        node_id=pd.Categorical(t["node_id"], categories=["ghost", "n2", "n1", "n0"])),
    "categorical labels, unknown ones in another order": lambda t: t.assign(
        node_id=pd.Categorical(["n0", "zz", "n2", "yy", "zz"], categories=["yy", "zz", "n0", "n1", "n2"]),
        verification=pd.Categorical(["vanilla", "slow", "tee", "fast", "zkml"],
                                    categories=["fast", "slow", "vanilla", "tee", "zkml"])),
    "stored index": lambda t: t.set_index(pd.Index([10, 11, 12, 13, 14], name="row")),
}


@pytest.mark.parametrize("name", list(MUTATIONS))
@pytest.mark.parametrize("joined", [[0, 0, 0], [0, 1, 0]], ids=["all active", "n1 joins at epoch 1"])
def test_arrow_table_checks_like_the_pandas_frame(name, joined, tmp_path, monkeypatch):
    nodes, market = nodes_frame(joined=joined), market_frame()
    origin = build.normalise_epochs(86_400.0, "2026-01-01")[1] if name == "timestamps" else None
    coder = build.coder_for(build.build_parts(nodes, market, None), 86_400.0, origin)
    path = tmp_path / "tasks.parquet"
    MUTATIONS[name](tasks_frame()).to_parquet(path)
    expected = _outcome(lambda: encode_tasks(pd.read_parquet(path), coder, row0=100))
    for table in (pq.read_table(path), pq.read_table(path, read_dictionary=list(TASK_LABELS))):
        _same(_outcome(lambda: encode_tasks(without_index_columns(table), coder, row0=100)), expected)
        fast = FastCoder(coder).code(without_index_columns(table), row0=100)  # None: the column-by-column route
        if fast is not None:
            _same(_outcome(lambda: fast), expected)
    # a whole log read from Parquet is coded in pieces (here of 2 rows): same arrays, same whole-log errors
    whole = _outcome(lambda: encode_tasks(pd.read_parquet(path), coder))
    monkeypatch.setattr(build, "_PIECE_ROWS", 2)
    table = without_index_columns(pq.read_table(path, read_dictionary=list(TASK_LABELS)))
    _same(_outcome(lambda: build.encode_frame(table, coder).data), whole)
    if name in ("valid", "integer tokens", "timestamps") and joined == [0, 0, 0]:
        assert not isinstance(expected, tuple)
    if name in ("unknown node", "NaN fee", "busy over the epoch", "integer nodes"):
        assert isinstance(expected, tuple) and "101" in expected[1]  # rows named by their place in the whole log


def test_labels_of_rows_come_in_order_of_first_appearance():
    import pyarrow as pa

    plain = pa.table({"node_id": ["b", "a", "c", "b"]})
    encoded = pa.table({"node_id": pa.chunked_array([pa.array(["x", "b", "a"]).dictionary_encode().slice(1),
                                                     pa.array(["c", "b"]).dictionary_encode()])})
    spec = table_columns("stake")["node_id"]
    for table in (plain, encoded):
        labels = column_values(table["node_id"], "stake", spec)
        assert isinstance(labels, Labels)
        assert list(labels.values) == ["b", "a", "c", "b"]
        assert list(labels.used(np.ones(4, dtype=bool))) == ["b", "a", "c"]
        assert list(labels.used(np.array([False, False, True, True]))) == ["c", "b"]
    assert list(column_values(plain["node_id"], "stake", spec).uniques) == ["b", "a", "c"]  # as pandas.factorize


@settings(max_examples=15, deadline=None)
@given(task_logs())
def test_parquet_log_reads_like_its_frames(log):
    nodes, tasks, market = log
    expected = fs.History.from_frames(nodes, tasks, market)
    f0 = fs.aggregate(expected)
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "h"
        (directory / "tasks").mkdir(parents=True)
        nodes.to_parquet(directory / "nodes.parquet")
        market.to_parquet(directory / "market.parquet")
        half = len(tasks) // 2
        tasks.iloc[:half].to_parquet(directory / "tasks" / "part-0.parquet")
        tasks.iloc[half:].to_parquet(directory / "tasks" / "part-1.parquet")
        for stream in (False, True):
            h = fs.History.read(directory, stream=stream)
            f = fs.aggregate(h)
            for name in ("work_units", "requests", "busy_seconds", "fees_usd", "energy_kwh", "task_rows"):
                assert np.array_equal(getattr(f, name), getattr(f0, name)), name
            if not stream:
                pd.testing.assert_frame_equal(h.tasks, expected.tasks)


def test_files_with_different_column_types_read_as_pandas_concatenates_them(tmp_path):
    """A log whose files store a column with different types: pandas' widening decides, as before."""
    directory = tmp_path / "h"
    (directory / "tasks").mkdir(parents=True)
    nodes_frame().to_parquet(directory / "nodes.parquet")
    market_frame().to_parquet(directory / "market.parquet")
    tasks = tasks_frame()
    tasks.iloc[:2].to_parquet(directory / "tasks" / "part-0.parquet")
    tasks.iloc[2:].assign(requests=tasks["requests"].iloc[2:].astype(float)).to_parquet(
        directory / "tasks" / "part-1.parquet")
    h = fs.History.read(directory)
    assert np.array_equal(h.tasks_source.data.requests, tasks["requests"].to_numpy())
    empty = tmp_path / "empty.parquet"
    tasks.iloc[:0].to_parquet(empty)
    assert check_table(pq.read_table(empty), "tasks", allow_empty=True)["requests"].size == 0


def test_a_dictionary_repeating_a_label_takes_the_pandas_route():
    """Codes over a dictionary that repeats a label would hide a duplicate key: such a column is left to pandas."""
    import pyarrow as pa

    from fairshare.data.validate import _arrow_labels

    repeated = pa.DictionaryArray.from_arrays(pa.array([0, 1], pa.int32()), pa.array(["a", "a"]))
    assert _arrow_labels(pa.chunked_array([repeated])) is None
    fine = pa.DictionaryArray.from_arrays(pa.array([0, 1, 0], pa.int32()), pa.array(["a", "b"]))
    assert _arrow_labels(pa.chunked_array([fine])).uniques.tolist() == ["a", "b"]
