"""Aggregation: the numba pass equals a slow pandas oracle; totals are conserved."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fairshare as fs
from fairshare.data.source import InMemoryTasks
from fairshare.errors import ConfigError
from fairshare.features import PREFILL_WEIGHT, SMALL_TASK_TOKENS, stake_path
from tests.builders import market_frame, nodes_frame, task_logs, tasks_frame

SUMMED = ["requests", "input_tokens", "output_tokens", "busy_seconds", "fee_usd", "upstream_cost_usd"]


def oracle(history: fs.History, prefill=PREFILL_WEIGHT, small=SMALL_TASK_TOKENS) -> dict[str, np.ndarray]:
    """Per (epoch, node) sums computed the obvious way with pandas."""
    t = history.tasks.copy()
    params = dict(zip(history.model_names, history.model_params_b))
    t["work"] = (prefill * t.input_tokens + t.output_tokens) * t.model.map(params) / 8.0
    t["rows"] = 1.0
    small_row = (t.input_tokens + t.output_tokens) / t.requests <= small
    t["small"] = np.where(small_row, t.work, 0.0)
    t["large"] = np.where(small_row, 0.0, t.work)
    for mode in ("vanilla", "tee", "zkml"):
        t[f"work_{mode}"] = np.where(t.verification == mode, t.work, 0.0)
    cols = SUMMED + ["rows", "work", "small", "large", "work_vanilla", "work_tee", "work_zkml"]
    g = t.groupby(["epoch", "node_id"])[cols].sum()
    full = pd.MultiIndex.from_product([history.epochs, history.node_ids], names=["epoch", "node_id"])
    g = g.reindex(full, fill_value=0.0)
    shape = (history.n_epochs, history.n_nodes)
    return {c: g[c].to_numpy(dtype=float).reshape(shape) for c in cols}


def assert_matches_oracle(h, f, **kw):
    o = oracle(h, **kw)
    pairs = {"requests": "requests", "task_rows": "rows", "input_tokens": "input_tokens",
             "output_tokens": "output_tokens", "busy_seconds": "busy_seconds", "fees_usd": "fee_usd",
             "upstream_cost_usd": "upstream_cost_usd", "work_units": "work", "small_task_work": "small",
             "large_task_work": "large", "work_vanilla": "work_vanilla", "work_tee": "work_tee",
             "work_zkml": "work_zkml"}
    for mine, theirs in pairs.items():
        np.testing.assert_allclose(getattr(f, mine), o[theirs], rtol=1e-12, atol=1e-9, err_msg=mine)


@settings(max_examples=60)
@given(task_logs())
def test_aggregate_equals_pandas_oracle(frames):
    h = fs.History.from_frames(*frames)
    assert_matches_oracle(h, fs.aggregate(h))


@settings(max_examples=30)
@given(task_logs(max_rows=60))
def test_chunked_equals_in_memory_bit_for_bit(frames):
    h = fs.History.from_frames(*frames)
    whole = fs.aggregate(h)
    for size in (1, 3, 7):
        chunked = replace(h, tasks_source=InMemoryTasks(h.tasks_source.data, chunk_rows=size))
        f = fs.aggregate(chunked)
        for q in fs.features.QUANTITIES:
            assert getattr(f, q).tobytes() == getattr(whole, q).tobytes(), q


@settings(max_examples=30)
@given(task_logs())
def test_totals_are_conserved(frames):
    nodes, tasks, market = frames
    h = fs.History.from_frames(nodes, tasks, market)
    f = fs.aggregate(h)
    assert f.requests.sum() == tasks.requests.sum()
    assert f.task_rows.sum() == len(tasks)
    np.testing.assert_allclose(f.input_tokens.sum(), tasks.input_tokens.sum(), rtol=1e-12)
    np.testing.assert_allclose(f.output_tokens.sum(), tasks.output_tokens.sum(), rtol=1e-12)
    np.testing.assert_allclose(f.fees_usd.sum(), tasks.fee_usd.sum(), rtol=1e-12)
    np.testing.assert_allclose(f.busy_seconds.sum(), tasks.busy_seconds.sum(), rtol=1e-12)
    np.testing.assert_allclose(f.small_task_work + f.large_task_work, f.work_units, rtol=1e-12)
    np.testing.assert_allclose(f.work_vanilla + f.work_tee + f.work_zkml, f.work_units, rtol=1e-12)
    op = f.by_operator()
    for q in fs.features.QUANTITIES[:-1]:
        np.testing.assert_allclose(getattr(op, q).sum(), getattr(f, q).sum(), rtol=1e-12, err_msg=q)


def test_parameters_change_work_as_defined():
    h = fs.History.from_frames(nodes_frame(), tasks_frame(), market_frame())
    f = fs.aggregate(h, prefill_weight=0.5, small_task_tokens=2_000.0)
    assert_matches_oracle(h, f, prefill=0.5, small=2_000.0)
    # row 0: 1,020 prompt + 129 output tokens of an 8B model, one request
    assert f.work_units[0, 0] == 0.5 * 1020 + 129
    assert f.work_units[2, 0] == pytest.approx((0.5 * 700 + 150) * 7 / 8, rel=1e-15)
    assert fs.aggregate(h).work_units[1, 2] == pytest.approx((PREFILL_WEIGHT * 90_000 + 9_000) * 70 / 8)


def test_energy_online_and_active():
    nodes = nodes_frame(joined=[0, 0, 1])
    h = fs.History.from_frames(nodes, tasks_frame(), market_frame())
    f = fs.aggregate(h)
    np.testing.assert_array_equal(f.active[:, 2], [0.0, 1.0, 1.0])
    np.testing.assert_array_equal(f.online_seconds[:, 2], [0.0, 86_400.0, 86_400.0])
    busy = f.busy_seconds[1, 2]
    expected = (nodes.power_w[2] * busy + nodes.idle_power_w[2] * (86_400 - busy)) * nodes.pue[2] / 3.6e6
    assert f.energy_kwh[1, 2] == pytest.approx(expected, rel=1e-15)
    assert f.energy_kwh[0, 2] == 0.0


def test_uptime_sets_online_seconds():
    uptime = pd.DataFrame({"epoch": [1], "node_id": ["n1"], "online_seconds": [3_600.0]})
    h = fs.History.from_frames(nodes_frame(), tasks_frame(), market_frame(), uptime=uptime)
    f = fs.aggregate(h)
    assert f.online_seconds[1, 1] == 3_600.0 and f.online_seconds[0, 1] == 86_400.0


def test_stake_path_carries_values_forward():
    stake = pd.DataFrame({"epoch": [1, 2, 2], "node_id": ["n0", "n0", "n1"], "stake_tokens": [5.0, 7.0, 0.0]})
    h = fs.History.from_frames(nodes_frame(left=[None, None, 1]), tasks_frame().iloc[[0, 1, 2, 4]],
                               market_frame(), stake=stake)
    np.testing.assert_array_equal(stake_path(h), [[10, 20, 30], [5, 20, 30], [7, 0, 30]])
    f = fs.aggregate(h)
    np.testing.assert_array_equal(f.stake_tokens[:, 2], [30.0, 30.0, 0.0])  # left after epoch 1


def test_by_operator_and_frame():
    h = fs.History.from_frames(nodes_frame(4), tasks_frame(), market_frame())
    op = fs.aggregate(h).by_operator()
    assert op.level == "operator" and list(op.entity_ids) == ["op0", "op1"]
    np.testing.assert_array_equal(op.node_count, [2, 2])
    frame = op.to_frame()
    assert list(frame.columns[:2]) == ["epoch", "operator_id"] and len(frame) == 6
    assert op.by_operator() is op


def test_bad_parameters():
    h = fs.History.from_frames(nodes_frame(), tasks_frame(), market_frame())
    with pytest.raises(ConfigError, match=r"prefill_weight must be a finite number >= 0, got -1"):
        fs.aggregate(h, prefill_weight=-1)
    with pytest.raises(ConfigError, match=r"size_reference_params_b must be a finite number > 0, got 0"):
        fs.aggregate(h, size_reference_params_b=0)


def test_aggregate_does_not_mutate_history():
    h = fs.History.from_frames(nodes_frame(), tasks_frame(), market_frame())
    before = h.tasks.copy()
    fs.aggregate(h)
    pd.testing.assert_frame_equal(before, h.tasks)


@settings(max_examples=30)
@given(task_logs(max_rows=60), st.booleans())
def test_kernel_is_independent_of_the_number_of_parts(frames, chronological):
    from fairshare._kernels.aggregate import accumulate_tasks, new_accumulator, plan_parts

    nodes, tasks, market = frames
    if chronological:
        tasks = tasks.sort_values("epoch", kind="stable", ignore_index=True)
    h = fs.History.from_frames(nodes, tasks, market)
    c = h.tasks_source.data
    results = []
    for n_parts in (1, 2, 3, 5):
        parts = plan_parts(c.epoch, h.n_nodes, n_parts)
        acc = new_accumulator(h.n_epochs, h.n_nodes)
        accumulate_tasks(acc, c.epoch, c.node, c.model, c.requests, c.input_tokens, c.output_tokens,
                         c.busy_seconds, c.verification, c.fee_usd, c.upstream_cost_usd,
                         h.model_params_b / 8.0, PREFILL_WEIGHT, SMALL_TASK_TOKENS, parts)
        results.append(acc.tobytes())
    assert len(set(results)) == 1


@settings(max_examples=30)
@given(task_logs(max_rows=60))
def test_cells_are_summed_in_log_order_whatever_the_row_order(frames):
    """Whatever the row order, each (epoch, node) cell adds its rows in log order (exact, repeatable)."""
    h = fs.History.from_frames(*frames)
    f = fs.aggregate(h)
    c = h.tasks_source.data
    for quantity, column in (("busy_seconds", c.busy_seconds), ("fees_usd", c.fee_usd),
                             ("input_tokens", c.input_tokens)):
        expected = np.zeros((h.n_epochs, h.n_nodes))
        np.add.at(expected, (c.epoch, c.node), column)  # unbuffered: row by row, in log order
        assert getattr(f, quantity).tobytes() == expected.tobytes(), quantity


def test_features_carry_the_input_hashes_of_their_history(tmp_path):
    h = fs.History.from_frames(nodes_frame(), tasks_frame(), market_frame())
    assert fs.aggregate(h).input_sha256 is None  # built in memory: no files to name
    h.write(tmp_path / "h")
    read = fs.History.read(tmp_path / "h")
    f = fs.aggregate(read)
    assert f.input_sha256 == read.provenance["input_sha256"] and "tasks.parquet" in f.input_sha256
    assert f.by_operator().input_sha256 == f.input_sha256
    streamed = fs.aggregate(fs.History.read(tmp_path / "h", stream=True))
    assert streamed.input_sha256 == f.input_sha256


@pytest.mark.parametrize("value", ["0.1", None, True, float("nan"), -1.0, [0.1]])
def test_aggregate_parameters_must_be_numbers(value):
    h = fs.History.from_frames(nodes_frame(), tasks_frame(), market_frame())
    with pytest.raises(ConfigError, match="prefill_weight must be a finite number >= 0"):
        fs.aggregate(h, prefill_weight=value)
