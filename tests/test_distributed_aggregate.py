"""Aggregation of logs read in place (Parquet, dask DataFrames) and over a dask cluster.

Every path must give the single-machine, in-memory features: bit for bit when
no (epoch, node) cell is split across parts, to 1e-12 relative otherwise.
"""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import fairshare as fs
from fairshare.data.source import InMemoryTasks
from fairshare.errors import AlignmentError, ConfigError, RangeError
from fairshare.features import QUANTITIES

dd = pytest.importorskip("dask.dataframe")  # in the test extra: present wherever the suite runs


@pytest.fixture(scope="module")
def small():
    return fs.datasets.open_inference_network(seed=0, scale="small")


def assert_same(a, b, exact=True):
    for q in QUANTITIES:
        x, y = getattr(a, q), getattr(b, q)
        if exact:
            assert x.tobytes() == y.tobytes(), q
        else:
            np.testing.assert_allclose(x, y, rtol=1e-12, atol=0, err_msg=q)


def write_partitioned(h, directory, n_parts, by="epoch"):
    h.write(directory)
    (directory / "tasks.parquet").unlink()
    (directory / "tasks").mkdir()
    tasks = h.tasks
    if by == "rows":
        tasks = tasks.sample(frac=1.0, random_state=1).reset_index(drop=True)
    cuts = np.linspace(0, len(tasks), n_parts + 1).astype(int)
    if by == "epoch":  # a part per range of days, as logs partitioned by date are
        epoch = tasks.epoch.to_numpy()
        cuts = np.searchsorted(epoch, epoch[cuts[:-1]], side="left").tolist() + [len(tasks)]
    for i, (lo, hi) in enumerate(zip(cuts[:-1], cuts[1:])):
        tasks.iloc[lo:hi].to_parquet(directory / "tasks" / f"part-{i:03d}.parquet", index=False,
                                     row_group_size=max((hi - lo) // 3, 1))
    return tasks


def test_dask_frame_history_equals_the_in_memory_one(small):
    tasks = small.tasks
    ddf = dd.from_pandas(tasks, npartitions=4, sort=False)
    h = fs.History.from_frames(small.nodes, ddf, small.market, models=small.models, epoch_origin=small.epoch_origin)
    assert h.n_tasks == small.n_tasks and len(h.tasks_source.parts()) == 4
    assert h.equals(small)
    assert_same(fs.aggregate(h), fs.aggregate(small))


def test_partitioned_parquet_over_the_cluster_is_bit_identical(small, tmp_path, dask_client):
    write_partitioned(small, tmp_path / "h", n_parts=5)  # chronological log: parts own disjoint cells
    reference = fs.aggregate(small)
    assert_same(fs.aggregate(fs.History.read(tmp_path / "h", stream=True)), reference)
    # a fresh history: a log read in place keeps its sums, so the same one would not be read again
    assert_same(fs.aggregate(fs.History.read(tmp_path / "h", stream=True), client=dask_client), reference)


def test_shuffled_parts_over_the_cluster_agree_to_1e12(small, tmp_path, dask_client):
    tasks = write_partitioned(small, tmp_path / "h", n_parts=4, by="rows")
    local = fs.History.from_frames(small.nodes, tasks, small.market, models=small.models)
    assert_same(fs.aggregate(fs.History.read(tmp_path / "h", stream=True)), fs.aggregate(local))  # log order: exact
    distributed = fs.aggregate(fs.History.read(tmp_path / "h", stream=True), client=dask_client)
    assert_same(distributed, fs.aggregate(local), exact=False)
    again = fs.aggregate(fs.History.read(tmp_path / "h", stream=True), client=dask_client)
    assert_same(distributed, again)  # repeatable


def test_dask_frame_and_in_memory_chunks_over_the_cluster(small, dask_client):
    ddf = dd.from_pandas(small.tasks, npartitions=3, sort=False)
    h = fs.History.from_frames(small.nodes, ddf, small.market, models=small.models)
    reference = fs.aggregate(small)
    spread = fs.aggregate(h, client=dask_client)
    assert_same(spread, reference, exact=False)  # partitions split days
    assert_same(spread.by_operator(), reference.by_operator(), exact=False)
    chunked = replace(small, tasks_source=InMemoryTasks(small.tasks_source.data, chunk_rows=1000))
    assert len(chunked.tasks_source.parts()) == 5
    assert_same(fs.aggregate(chunked, client=dask_client), reference)  # sorted log: parts cut at epochs


def test_errors_from_workers_keep_their_type_and_name_whole_log_rows(small, dask_client):
    tasks = small.tasks
    tasks.loc[3000, "node_id"] = "ghost"
    ddf = dd.from_pandas(tasks, npartitions=3, sort=False)
    h = fs.History.from_frames(small.nodes, ddf, small.market, models=small.models)  # read in place: no pass yet
    for check in (lambda: fs.aggregate(h), lambda: fs.aggregate(h, client=dask_client),
                  lambda: h.validate(client=dask_client), h.validate):
        with pytest.raises(AlignmentError, match=r"tasks\.node_id: 1 row \(row 3000\)"):
            check()


def test_busy_time_check_runs_over_the_cluster(small, dask_client):
    tasks = small.tasks
    first = tasks.iloc[0]
    extra = pd.DataFrame([first] * 2).assign(busy_seconds=small.epoch_seconds * 0.6)
    ddf = dd.from_pandas(pd.concat([tasks, extra], ignore_index=True), npartitions=2, sort=False)
    h = fs.History.from_frames(small.nodes, ddf, small.market, models=small.models)
    with pytest.raises(RangeError, match=r"busy time of 1 \(epoch, node\) pair"):
        fs.aggregate(h, client=dask_client)
    with pytest.raises(RangeError, match=r"busy time of 1 \(epoch, node\) pair"):
        h.validate(client=dask_client)


def test_client_must_be_a_distributed_client(small):
    with pytest.raises(ConfigError, match=r"client= must be a dask\.distributed\.Client"):
        fs.aggregate(small, client="tcp://localhost:8786")


def test_empty_dask_partitions_are_skipped_and_empty_logs_refused(small):
    tasks = small.tasks
    ddf = dd.from_pandas(tasks, npartitions=3, sort=False)
    filtered = ddf[ddf.epoch >= int(tasks.epoch.iloc[len(tasks) // 2])]  # the first partition is now empty
    h = fs.History.from_frames(small.nodes, filtered, small.market, models=small.models)
    kept = tasks[tasks.epoch >= int(tasks.epoch.iloc[len(tasks) // 2])]
    assert_same(fs.aggregate(h), fs.aggregate(fs.History.from_frames(small.nodes, kept, small.market,
                                                                     models=small.models)))
    with pytest.raises(fs.errors.SchemaError, match="no rows"):
        fs.History.from_frames(small.nodes, ddf[ddf.epoch < -1], small.market, models=small.models)


def test_dask_read_parquet_log_is_read_by_the_workers(small, tmp_path, dask_client):
    write_partitioned(small, tmp_path / "h", n_parts=4)
    ddf = dd.read_parquet(str(tmp_path / "h" / "tasks"))
    h = fs.History.from_frames(small.nodes, ddf, small.market, models=small.models)
    assert h.n_tasks == small.n_tasks
    reference = fs.aggregate(small)
    assert_same(fs.aggregate(h, client=dask_client), reference)
    assert_same(fs.aggregate(h), reference)


def test_a_log_read_in_place_is_read_once_per_parameters(small, tmp_path, monkeypatch):
    from fairshare.data.partitioned import ParquetTasks

    write_partitioned(small, tmp_path / "h", n_parts=3)
    streamed = fs.History.read(tmp_path / "h", stream=True)
    reads = []
    chunks = ParquetTasks.chunks
    monkeypatch.setattr(ParquetTasks, "chunks", lambda self: (reads.append(1), (yield from chunks(self)))[1])
    first = fs.aggregate(streamed)
    n = len(reads)
    again = fs.aggregate(streamed)
    assert len(reads) == n and again.work_units is not first.work_units  # remembered, handed out as a copy
    again.work_units[0, 0] += 1.0
    assert_same(fs.aggregate(streamed), first)
    fs.aggregate(streamed, prefill_weight=0.5)  # other parameters: read again
    assert len(reads) == 2 * n


def test_empty_first_pieces_over_the_cluster(small, tmp_path, dask_client):
    import pyarrow as pa
    import pyarrow.parquet as pq

    tasks = small.tasks
    cut = int(tasks.epoch.iloc[len(tasks) // 2])
    ddf = dd.from_pandas(tasks, npartitions=3, sort=False)
    h = fs.History.from_frames(small.nodes, ddf[ddf.epoch >= cut], small.market, models=small.models)
    assert h.tasks_source.lengths[0] == 0
    kept = fs.History.from_frames(small.nodes, tasks[tasks.epoch >= cut], small.market, models=small.models)
    assert_same(fs.aggregate(h, client=dask_client), fs.aggregate(kept), exact=False)  # parts split days
    h.validate(client=dask_client)
    small.write(tmp_path / "h")
    table = pa.Table.from_pandas(tasks, preserve_index=False)
    with pq.ParquetWriter(tmp_path / "h" / "tasks.parquet", table.schema) as writer:
        writer.write_table(table.slice(0, 0))  # an empty first row group
        writer.write_table(table, row_group_size=2000)
    streamed = fs.History.read(tmp_path / "h", stream=True)
    assert streamed.tasks_source.pieces[0][2] == 0
    assert_same(fs.aggregate(streamed, client=dask_client), fs.aggregate(small), exact=False)


def test_persisted_dask_log(small, dask_client):
    ddf = dd.from_pandas(small.tasks, npartitions=3, sort=False).persist()
    h = fs.History.from_frames(small.nodes, ddf, small.market, models=small.models)
    reference = fs.aggregate(small)
    assert_same(fs.aggregate(h, client=dask_client), reference, exact=False)
    assert_same(fs.aggregate(h), reference, exact=False)


def test_streamed_paths_do_not_depend_on_the_working_directory(small, tmp_path, monkeypatch):
    small.write(tmp_path / "h")
    monkeypatch.chdir(tmp_path)
    streamed = fs.History.read("h", stream=True)
    monkeypatch.chdir("/")
    assert_same(fs.aggregate(streamed), fs.aggregate(small))


def test_files_of_one_log_need_the_same_columns(small, tmp_path):
    write_partitioned(small, tmp_path / "h", n_parts=2)
    second = sorted((tmp_path / "h" / "tasks").iterdir())[1]
    pd.read_parquet(second).drop(columns="upstream_cost_usd").to_parquet(second, index=False)
    with pytest.raises(fs.errors.SchemaError, match=r"part-001\.parquet has columns .* Every file of a task log"):
        fs.History.read(tmp_path / "h", stream=True)
