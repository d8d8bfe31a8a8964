"""Routing as a policy lever: a per-node cap, a cold start for new nodes and a minimum pay per dispatch,
as scenario settings (Python and ``[scenario.routing]``) and as arms of the same A/B as emission rules.

The kernel's placement under every lever is checked against the oracle in ``tests/test_kernels_sim.py``
(``test_features_under_each_routing_lever``); these tests check what a user sees.
"""

import numpy as np
import pytest

import fairshare as fs
from fairshare._kernels.sim import state as k
from fairshare.errors import ConfigError
from fairshare.simulation import Churn, Demand, FakeDemand, Routing, Scenario, Variant, simulate
from fairshare.simulation.engine import scenario_settings
from fairshare.simulation.inputs import kernel_inputs

STATUS_QUO = fs.simulation.STATUS_QUO


@pytest.fixture(scope="module")
def small():
    return fs.datasets.open_inference_network(seed=0, scale="small")


@pytest.fixture(scope="module")
def fixed(small):
    """The small network as recorded (no churn), no fake demand: served plus unserved work is the demand."""
    return Scenario.from_history(small, churn=Churn(enabled=False), fake_demand=FakeDemand(enabled=False))


def test_no_node_takes_more_than_its_cap_of_the_demand(fixed):
    cap = 0.1
    capped = Variant(STATUS_QUO, routing=Routing(node_cap=cap))
    sim = simulate(fixed, rules={"status_quo": STATUS_QUO, "capped": capped}, runs=2, epochs=12, seed=5,
                   keep_state=True)
    for name, binds in (("capped", False), ("status_quo", True)):
        arm = sim.rule(name)
        work = arm.state["work"]  # (runs, epochs, nodes)
        served = arm.measure("work_units").to_numpy().T
        demanded = served / (1.0 - arm.measure("unserved_work_share").to_numpy().T)
        over = (work > cap * demanded[..., None] * (1 + 1e-9)).any()
        assert over == binds, name  # without the cap some node takes more than 10% of the demand
    diff = sim.difference("capped", "status_quo")
    assert diff.loc["reward_hhi", "difference"] < 0  # the cap spreads the work


def test_a_new_node_starts_at_the_newcomers_standing(small):
    sc = Scenario.from_history(small, churn=Churn(clones=2, hurdle=-0.5), fake_demand=FakeDemand(enabled=False))
    cold = Routing(newcomer_reputation="poor", ramp_days=20.0)  # below every class's floor when it joins
    sim = simulate(sc, rules={"status_quo": STATUS_QUO, "cold": Variant(STATUS_QUO, routing=cold)}, runs=2,
                   epochs=12, seed=1, keep_state=True)
    for name, first_epoch_work in (("status_quo", True), ("cold", False)):
        state = sim.rule(name).state
        joins = (state["active"][:, 1:] > 0) & (state["active"][:, :-1] == 0)
        assert joins.sum() > 10
        assert (state["work"][:, 1:][joins] > 0).any() == first_epoch_work, name
    ramp0 = simulate(sc.replace(routing=Routing(newcomer_reputation="poor", ramp_days=0.0)), STATUS_QUO, runs=2,
                     epochs=12, seed=1)
    np.testing.assert_array_equal(ramp0.values, sim.rule("status_quo").values)  # no ramp: no cold start


def test_minimum_pay_consolidates_units_into_bundles_small_nodes_cannot_take(fixed):
    fees = fixed.router.unit[k.F_FEES]
    bundles = Routing(min_pay_usd=10.0).bundles(fees)
    np.testing.assert_array_equal(bundles, np.maximum(np.ceil(10.0 / fees), 1.0))
    assert Routing().bundles(fees).tolist() == [0.0] * fees.size  # no floor
    assert Routing(min_pay_usd=1.0).bundles(np.array([2.0, 0.0])).tolist() == [1.0, np.inf]
    sc = fixed.replace(demand=Demand(noise=False))
    inp = kernel_inputs(sc, 10)
    too_big = bundles[:, None] * fixed.router.mean_busy > fixed.history.epoch_seconds  # (C, nodes)
    excluded = too_big.all(axis=1)
    assert excluded.any() and not excluded.all()  # a class no node can take a whole bundle of
    demand_work = inp.demand_mean * fixed.router.unit[k.F_WORK]
    share = demand_work[:, excluded].sum(axis=1) / demand_work.sum(axis=1)
    floor = Variant(STATUS_QUO, routing=Routing(min_pay_usd=10.0))
    sim = simulate(sc, rules={"status_quo": STATUS_QUO, "min_pay": floor}, runs=1, epochs=10, seed=0)
    unserved = sim.measure("unserved_work_share", rule="min_pay").to_numpy()[:, 0]
    assert np.all(unserved >= share * (1 - 1e-9))
    assert np.all(sim.measure("unserved_work_share", rule="status_quo").to_numpy() < 1e-9)


def test_no_lever_on_is_the_router_as_before(fixed):
    base = simulate(fixed, STATUS_QUO, runs=2, epochs=8, seed=2)
    same = simulate(fixed.replace(routing=Routing(ramp_days=5.0)), STATUS_QUO, runs=2, epochs=8, seed=2)
    np.testing.assert_array_equal(base.values, same.values)
    arm = Variant(STATUS_QUO, routing=Routing(node_cap=0.2))
    ab = simulate(fixed, rules={"status_quo": STATUS_QUO, "capped": arm}, runs=2, epochs=8, seed=2)
    alone = simulate(fixed.replace(routing=Routing(node_cap=0.2)), STATUS_QUO, runs=2, epochs=8, seed=2)
    np.testing.assert_array_equal(ab.rule("capped").values, alone.values)
    assert "Routing(node_cap=0.2" in ab.rule("capped").provenance["scenario"]["routing"]


@pytest.mark.parametrize("bad, message", [
    ({"node_cap": 0.0}, "Routing node_cap must be a finite number > 0 and <= 1, got 0.0."),
    ({"node_cap": 1.5}, "Routing node_cap"),
    ({"newcomer_reputation": "gold"}, "Routing newcomer_reputation must be one of 'poor', 'fair'"),
    ({"newcomer_reputation": 12_000.0}, "Routing newcomer_reputation must be a finite number >= 0 and <= 10000"),
    ({"ramp_days": -1.0}, "Routing ramp_days"),
    ({"min_pay_usd": 0.0}, "Routing min_pay_usd must be a finite number > 0"),
])
def test_bad_levers_are_config_errors_naming_the_parameter(small, bad, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Scenario.from_history(small, routing=Routing(**bad))


def test_scenario_file_sets_the_routing_levers():
    got = scenario_settings({"routing": {"node_cap": 0.1, "newcomer_reputation": "fair", "ramp_days": 30,
                                         "min_pay_usd": 0.5}})
    assert got["routing"] == Routing(node_cap=0.1, newcomer_reputation="fair", ramp_days=30, min_pay_usd=0.5)
    assert got["routing"].newcomer_score == 4000.0
    with pytest.raises(ConfigError, match=r"\[scenario.routing\] has unknown key\(s\) cap; allowed: node_cap"):
        scenario_settings({"routing": {"cap": 0.1}})


def test_routing_levers_are_bit_identical_for_any_thread_count(small):
    import numba

    sc = Scenario.from_history(small, churn=Churn(clones=1, hurdle=-0.5))
    levers = Routing(node_cap=0.2, newcomer_reputation="fair", ramp_days=10.0, min_pay_usd=0.5)
    rules = {"status_quo": STATUS_QUO, "levers": Variant(STATUS_QUO, routing=levers)}
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = simulate(sc, rules=rules, runs=5, epochs=15, seed=3)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = simulate(sc, rules=rules, runs=5, epochs=15, seed=3, chunk_runs=2)
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(one.rule("levers").values, two.rule("levers").values)
    assert not np.array_equal(one.rule("levers").values, one.rule("status_quo").values)
