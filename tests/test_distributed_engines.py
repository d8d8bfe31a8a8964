"""Engines on a dask cluster: ``simulate``, ``frontier`` and ``evaluate`` with ``client=`` equal their serial runs.

The session fixture ``dask_client`` (tests/conftest.py) is a LocalCluster of two worker
processes. Simulations split runs into blocks (5 runs on 2 workers: blocks of 1, 1, 1, 2
runs), so a block boundary falls inside the runs; every run draws from its own stream, so
the numbers must be bit-identical. Frontiers split values into one block per worker;
evaluations split rules into blocks (batched Linear rules and replayed ones alike).
"""

import numpy as np
import pandas as pd
import pytest

import fairshare as fs
from fairshare import formulas as F
from fairshare.errors import ConfigError
from fairshare.optimization import Basis, ContributionFloor, Coverage

RETAIL = [Coverage(who="retail"), Coverage(who="non_retail", cost="energy", mode="cvar", level=0.8),
          ContributionFloor(0.2)]
TIMES = ["solve_s", "compile_s"]


@pytest.fixture(scope="module")
def scenario():
    return fs.Scenario.default(seed=0, scale="small")


@pytest.fixture(scope="module")
def basis():
    return Basis.from_history(fs.datasets.open_inference_network(seed=0, scale="small"))


@pytest.mark.parametrize("rule,path", [(F.Linear({"stake": 0.5, "work": 0.5}), "fast"),
                                       (F.Capped(0.1, F.Proportional()), "general")], ids=["fast", "general"])
def test_simulate_with_a_client_is_bit_identical(scenario, dask_client, rule, path):
    serial = fs.simulate(scenario, rule, runs=5, epochs=8, seed=3, keep_state=True)
    calls = []
    spread = fs.simulate(scenario, rule, runs=5, epochs=8, seed=3, keep_state=True, client=dask_client,
                         progress=lambda done, total: calls.append((done, total)))
    assert serial.path == spread.path == path
    np.testing.assert_array_equal(spread.values, serial.values)
    np.testing.assert_array_equal(spread.bands().to_numpy(), serial.bands().to_numpy())
    assert spread.state.keys() == serial.state.keys()
    for name in serial.state:
        np.testing.assert_array_equal(spread.state[name], serial.state[name], err_msg=name)
    assert calls == [(8, 40), (16, 40), (24, 40), (40, 40)]  # one call per block of runs (1, 1, 1, 2)


def test_simulate_with_more_workers_than_runs(scenario, dask_client):
    serial = fs.simulate(scenario, runs=1, epochs=5, seed=9)
    spread = fs.simulate(scenario, runs=1, epochs=5, seed=9, client=dask_client)
    np.testing.assert_array_equal(spread.values, serial.values)


@pytest.mark.parametrize("rebuild", [False, True], ids=["one_problem", "rebuild"])
def test_frontier_with_a_client_equals_the_serial_sweep(basis, dask_client, rebuild):
    values = [200.0, 2_000.0, 20_000.0, 60_000.0, 90_000.0]
    serial = fs.frontier(basis, over="budget", values=values, constraints=RETAIL, rebuild=rebuild)
    spread = fs.frontier(basis, over="budget", values=values, constraints=RETAIL, rebuild=rebuild,
                         client=dask_client)
    assert spread.rebuilt == rebuild and spread.table.index.tolist() == values
    a, b = serial.table.drop(columns=TIMES), spread.table.drop(columns=TIMES)
    assert list(a.columns) == list(b.columns) and (a["status"] == b["status"]).all()
    assert (a["status"] == "infeasible").any() and (a["status"] != "infeasible").any()
    assert (a["binding"].fillna("") == b["binding"].fillna("")).all()
    numbers = a.columns.drop(["status", "binding"])
    np.testing.assert_allclose(b[numbers].to_numpy(float), a[numbers].to_numpy(float), rtol=1e-12, atol=0)
    assert spread.provenance == serial.provenance


def test_frontier_errors_from_a_worker_keep_their_type(basis, dask_client):
    with pytest.raises(ConfigError, match="cannot sweep 'temperature'"):
        fs.frontier(basis, over="temperature", values=[1.0, 2.0], constraints=[], client=dask_client)


@pytest.mark.parametrize("engine", ["simulate", "frontier", "evaluate"])
def test_a_client_that_is_not_a_dask_client_is_refused(scenario, basis, engine):
    with pytest.raises(ConfigError, match=r"client= must be a dask.distributed.Client \(got str\)"):
        if engine == "simulate":
            fs.simulate(scenario, runs=1, epochs=2, client="tcp://scheduler:8786")
        elif engine == "evaluate":
            fs.evaluate(scenario.history, F.STATUS_QUO, client="tcp://scheduler:8786")
        else:
            fs.frontier(basis, over="budget", values=[1_000.0], client="tcp://scheduler:8786")


def test_evaluate_with_a_client_is_identical(dask_client):
    h = fs.datasets.open_inference_network(seed=0, scale="small")
    rules = {"status_quo": F.STATUS_QUO, "capped": F.Capped(0.05),
             **{f"work_{w}": F.Linear({"work": w / 10, "stake": 1 - w / 10}) for w in range(1, 6)},
             "floor": F.FloorPlusProportional(0.2)}
    serial = fs.evaluate(h, rules, keep_detail=3, trend_resamples=50)
    spread = fs.evaluate(h, rules, keep_detail=3, trend_resamples=50, client=dask_client)
    pd.testing.assert_frame_equal(spread.scoreboard, serial.scoreboard, check_exact=True)
    pd.testing.assert_frame_equal(spread.trend, serial.trend, check_exact=True)
    assert list(spread.detail) == list(serial.detail) == ["status_quo", "capped", "work_1"]
    for name in serial.detail:
        pd.testing.assert_frame_equal(spread.detail[name], serial.detail[name], check_exact=True)
    for name in rules:
        pd.testing.assert_frame_equal(spread.trajectories[name], serial.trajectories[name], check_exact=True)
