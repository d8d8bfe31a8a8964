"""Every validation error of History.from_frames: its class and its message."""

import numpy as np
import pandas as pd
import pytest

import fairshare as fs
from fairshare.errors import AlignmentError, ConfigError, DataError, NaNError, RangeError, SchemaError
from tests.builders import market_frame, nodes_frame, tasks_frame


def build(nodes=None, tasks=None, market=None, **kw):
    return fs.History.from_frames(
        nodes if nodes is not None else nodes_frame(),
        tasks if tasks is not None else tasks_frame(),
        market if market is not None else market_frame(),
        **kw,
    )


def test_valid_tables_build_and_inputs_are_untouched():
    nodes, tasks, market = nodes_frame(), tasks_frame(), market_frame()
    copies = [nodes.copy(), tasks.copy(), market.copy()]
    h = build(nodes, tasks, market)
    assert (h.n_nodes, h.n_operators, h.n_tasks, h.n_epochs) == (3, 2, 5, 3)
    for before, after in zip(copies, (nodes, tasks, market)):
        pd.testing.assert_frame_equal(before, after)


def test_history_arrays_are_frozen():
    h = build()
    with pytest.raises(ValueError, match="read-only"):
        h.emission_tokens[0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        h.node_values["power_w"][0] = 1.0


def test_error_classes_are_value_errors():
    assert issubclass(SchemaError, DataError) and issubclass(DataError, ValueError)
    assert issubclass(ConfigError, ValueError)


def test_missing_column():
    with pytest.raises(SchemaError, match=r"nodes: missing required column\(s\) power_w\. The nodes table needs"):
        build(nodes=nodes_frame().drop(columns="power_w"))


def test_unknown_column():
    with pytest.raises(SchemaError, match=r"tasks: unknown column\(s\) colour\. Allowed columns: epoch"):
        build(tasks=tasks_frame().assign(colour="red"))


def test_wrong_dtype():
    tasks = tasks_frame().assign(fee_usd=["x"] * 5)
    with pytest.raises(SchemaError, match=r"tasks\.fee_usd: expected numbers \(USD\), got dtype .*pd\.to_numeric"):
        build(tasks=tasks)


def test_mixed_label_types():
    nodes = nodes_frame()
    nodes["operator_id"] = pd.Series(["a", 2, "c"], dtype=object)
    with pytest.raises(SchemaError, match=r"nodes\.operator_id: labels must be all strings or all integers"):
        build(nodes=nodes)


def test_non_integer_counts():
    tasks = tasks_frame().assign(requests=[1.0, 2.5, 1.0, 1.0, 1.0])
    with pytest.raises(SchemaError, match=r"tasks\.requests: 1 row \(row 1\) are not whole numbers"):
        build(tasks=tasks)


def test_nan_and_inf():
    tasks = tasks_frame()
    tasks.loc[[1, 3], "busy_seconds"] = np.nan
    with pytest.raises(NaNError, match=r"tasks\.busy_seconds: 2 rows \(rows 1, 3\) are NaN or missing\. Fill"):
        build(tasks=tasks)
    market = market_frame()
    market.loc[2, "token_price_usd"] = np.inf
    with pytest.raises(NaNError, match=r"market\.token_price_usd: 1 row \(row 2\) are infinite"):
        build(market=market)


def test_missing_label():
    tasks = tasks_frame()
    tasks.loc[0, "node_id"] = None
    with pytest.raises(NaNError, match=r"tasks\.node_id: 1 row \(row 0\) are missing\. Every row needs a node_id"):
        build(tasks=tasks)


def test_negative_quantities():
    tasks = tasks_frame().assign(fee_usd=[0.1, -1.0, 0.1, -2.0, -3.0])
    with pytest.raises(RangeError, match=r"tasks\.fee_usd: 3 rows \(rows 1, 3, 4\) are out of range \(must be >= 0\)"):
        build(tasks=tasks)


def test_bounds_on_nodes():
    with pytest.raises(RangeError, match=r"nodes\.pue: 1 row \(row 0\) are out of range \(must be >= 1\)"):
        build(nodes=nodes_frame().assign(pue=[0.9, 1.0, 1.2]))
    with pytest.raises(RangeError, match=r"nodes\.residual_fraction: .* \(must be <= 1\)"):
        build(nodes=nodes_frame().assign(residual_fraction=[0.1, 1.5, 0.2]))
    with pytest.raises(RangeError, match=r"nodes\.lifetime_days: .* \(must be > 0\)"):
        build(nodes=nodes_frame().assign(lifetime_days=[0.0, 10.0, 10.0]))


def test_duplicate_node_ids():
    nodes = nodes_frame().assign(node_id=["n0", "n1", "n0"])
    with pytest.raises(SchemaError, match=r"nodes\.node_id: 2 rows \(rows 0, 2\) repeat a key \('n0'\)"):
        build(nodes=nodes)


def test_unknown_node_in_tasks():
    tasks = tasks_frame()
    tasks.loc[4, "node_id"] = "ghost"
    with pytest.raises(AlignmentError, match=r"tasks\.node_id: 1 row \(row 4\) name node_id values missing from "
                                             r"the nodes table \('ghost'\)\. Add them to the nodes table"):
        build(tasks=tasks)


def test_unknown_model_needs_models_table():
    tasks = tasks_frame()
    tasks.loc[0, "model"] = "my-model"
    with pytest.raises(AlignmentError, match=r"tasks\.model: 1 row \(row 0\) name model values missing from the "
                                             r"models table \('my-model'\)"):
        build(tasks=tasks)
    models = pd.DataFrame({"model": ["my-model", "llama-3.1-8b", "llama-3.1-70b", "mistral-7b"],
                           "active_params_b": [3.0, 8.0, 70.0, 7.0]})
    assert build(tasks=tasks, models=models).models_given


def test_unknown_verification_mode():
    tasks = tasks_frame().assign(verification=["vanilla", "tee", "magic", "zkml", "vanilla"])
    with pytest.raises(SchemaError, match=r"tasks\.verification: 1 row \(row 2\) hold unknown modes \('magic'\)\. "
                                          r"Allowed: vanilla, tee, zkml"):
        build(tasks=tasks)


def test_unknown_hardware_without_tier():
    nodes = nodes_frame().assign(hardware=["rtx4090", "tpu_v9", "h100_sxm_x8"])
    with pytest.raises(SchemaError, match=r"nodes\.hardware: 1 row \(row 1\) name hardware without a known tier "
                                          r"\('tpu_v9'\)\. Add a tier column"):
        build(nodes=nodes)
    ok = build(nodes=nodes.assign(tier=["home", "datacenter", "datacenter"]))
    assert list(ok.tier_labels) == ["home", "datacenter", "datacenter"]
    with pytest.raises(SchemaError, match=r"nodes\.tier: 1 row \(row 0\) hold unknown tiers \('garage'\)"):
        build(nodes=nodes.assign(tier=["garage", "home", "home"]))


def test_task_outside_active_window():
    nodes = nodes_frame(joined=[1, 0, 0])
    with pytest.raises(RangeError, match=r"tasks\.epoch: 1 row \(row 0\) fall outside their node's active window"):
        build(nodes=nodes)
    nodes = nodes_frame(left=[None, None, 1])
    with pytest.raises(RangeError, match=r"tasks\.epoch: 1 row \(row 3\) fall outside"):
        build(nodes=nodes)


def test_left_before_joined():
    with pytest.raises(RangeError, match=r"nodes\.left_epoch: 1 row \(row 2\) are before joined_epoch"):
        build(nodes=nodes_frame(joined=[0, 0, 2], left=[None, None, 1]))


def test_epochs_missing_from_market():
    with pytest.raises(AlignmentError, match=r"tasks\.epoch: 2 rows \(rows 3, 4\) have epochs missing from the "
                                             r"market table \(it covers 0\.\.1\)"):
        build(market=market_frame(2))
    market = market_frame(5).drop(index=[1, 2])
    with pytest.raises(AlignmentError, match=r"market\.epoch: 2 epoch\(s\) between 0 and 4 are missing \(1, 2\)"):
        build(market=market)


def test_busy_over_epoch_length():
    tasks = tasks_frame().assign(busy_seconds=[90_000.0, 1.0, 1.0, 1.0, 1.0])
    with pytest.raises(RangeError, match=r"tasks\.busy_seconds: 1 row \(row 0\) exceed the epoch length"):
        build(tasks=tasks)
    tasks = pd.concat([tasks_frame()] + [tasks_frame().iloc[[2]].assign(busy_seconds=30_000.0)] * 3,
                      ignore_index=True)
    with pytest.raises(RangeError, match=r"busy time of 1 \(epoch, node\) pair\(s\) exceeds the epoch length "
                                         r"\(86400 s\): \(epoch 1, node 'n2': 90060 s\)"):
        build(tasks=tasks)


def test_busy_over_online_time():
    uptime = pd.DataFrame({"epoch": [1], "node_id": ["n2"], "online_seconds": [30.0]})
    with pytest.raises(RangeError, match=r"exceeds its online_seconds \(uptime table\): \(epoch 1, node 'n2': 60 s\)"):
        build(uptime=uptime)


def test_uptime_checks():
    over = pd.DataFrame({"epoch": [0], "node_id": ["n0"], "online_seconds": [90_000.0]})
    with pytest.raises(RangeError, match=r"uptime\.online_seconds: 1 row \(row 0\) exceed the epoch length"):
        build(uptime=over)
    inactive = pd.DataFrame({"epoch": [0], "node_id": ["n2"], "online_seconds": [10.0]})
    with pytest.raises(RangeError, match=r"outside the node's active window"):
        build(nodes=nodes_frame(joined=[0, 0, 1]), tasks=tasks_frame().iloc[[0, 1, 2, 3]], uptime=inactive)
    dup = pd.DataFrame({"epoch": [0, 0], "node_id": ["n0", "n0"], "online_seconds": [1.0, 2.0]})
    with pytest.raises(SchemaError, match=r"uptime\.epoch: 2 rows \(rows 0, 1\) repeat an \(epoch, node_id\) pair"):
        build(uptime=dup)


def test_stake_table_checks():
    stake = pd.DataFrame({"epoch": [7], "node_id": ["n0"], "stake_tokens": [5.0]})
    with pytest.raises(AlignmentError, match=r"stake\.epoch: 1 row \(row 0\) are outside the market epochs 0\.\.2"):
        build(stake=stake)


def test_empty_tables():
    with pytest.raises(SchemaError, match=r"tasks: the table is empty\. A history needs at least one row in tasks"):
        build(tasks=tasks_frame().iloc[:0])
    with pytest.raises(SchemaError, match=r"nodes: the table is empty"):
        build(nodes=nodes_frame().iloc[:0])


def test_not_a_dataframe():
    with pytest.raises(SchemaError, match=r"market: expected a pandas DataFrame, got dict"):
        build(market={"epoch": [0]})


def test_bad_epoch_seconds():
    with pytest.raises(ConfigError, match=r"epoch_seconds must be a positive number of seconds, got -5"):
        build(epoch_seconds=-5)


def test_timestamps_map_to_epochs():
    tasks = tasks_frame().drop(columns="epoch")
    tasks["timestamp"] = pd.to_datetime(["2026-04-21T01:00:00", "2026-04-21T23:59:59", "2026-04-22T00:00:00",
                                         "2026-04-23T12:00:00", "2026-04-23T00:00:01"], utc=True)
    with pytest.raises(SchemaError, match=r"a timestamp column needs an explicit epoch origin"):
        build(tasks=tasks)
    h = build(tasks=tasks, epoch_origin="2026-04-21")
    assert list(h.tasks["epoch"]) == [0, 0, 1, 2, 2]
    assert str(h.epoch_origin) == "2026-04-21 00:00:00+00:00"
    early = tasks.assign(timestamp=pd.to_datetime(["2026-04-20T23:00"] * 5, utc=True))
    with pytest.raises(AlignmentError, match=r"epochs missing from the market table"):
        build(tasks=early, epoch_origin="2026-04-21")


def test_requests_and_upstream_default():
    h = build(tasks=tasks_frame().drop(columns="requests"))
    assert h.tasks["requests"].tolist() == [1] * 5
    assert h.tasks["upstream_cost_usd"].tolist() == [0.0] * 5


def test_integer_labels_allowed():
    nodes = nodes_frame().assign(node_id=[10, 11, 12])
    tasks = tasks_frame().assign(node_id=[10, 11, 12, 12, 10])
    h = build(nodes=nodes, tasks=tasks)
    assert list(h.node_ids) == [10, 11, 12]
