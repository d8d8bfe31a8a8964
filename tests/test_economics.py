"""Operator economics reconcile with direct computation; vesting has its closed form."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fairshare as fs
from fairshare import economics as econ
from fairshare.errors import AlignmentError, ConfigError
from tests.builders import market_frame, nodes_frame, task_logs, tasks_frame


def history(n_epochs=3, **kw):
    return fs.History.from_frames(nodes_frame(4, **kw), tasks_frame(), market_frame(n_epochs))


@settings(max_examples=30)
@given(task_logs())
def test_costs_reconcile_with_direct_computation(frames):
    nodes, tasks, market = frames
    h = fs.History.from_frames(nodes, tasks, market)
    f = fs.aggregate(h)
    c = econ.node_costs(h, f)
    np.testing.assert_allclose(c.energy_usd.sum(), (f.energy_kwh * nodes.electricity_usd_per_kwh.to_numpy()).sum(),
                               rtol=1e-12)
    daily = (nodes.capex_usd * (1 - nodes.residual_fraction) / nodes.lifetime_days).to_numpy()
    active_days = f.active.sum(axis=0)  # epochs of one day, lives of >= 1,095 days
    np.testing.assert_allclose(c.depreciation_usd.sum(axis=0), daily * active_days, rtol=1e-12)
    op = c.by_operator()
    np.testing.assert_allclose(op.total_usd.sum(), c.total_usd.sum(), rtol=1e-12)


@pytest.mark.parametrize("method", econ.DEPRECIATION_METHODS)
def test_depreciation_over_a_whole_life_is_capex_less_residual(method):
    nodes = nodes_frame(2, joined=[0, 0]).assign(lifetime_days=[10.0, 4.5], capex_usd=[1000.0, 500.0],
                                                 residual_fraction=[0.3, 0.0])
    tasks = tasks_frame().iloc[[0, 1]]
    h = fs.History.from_frames(nodes, tasks, market_frame(12))
    c = econ.node_costs(h, fs.aggregate(h), depreciation=method)
    np.testing.assert_allclose(c.depreciation_usd.sum(axis=0), [700.0, 500.0], rtol=1e-12)
    assert (c.depreciation_usd[10:, 0] == 0).all() and (c.depreciation_usd[5:, 1] == 0).all()
    assert c.depreciation_usd[4, 1] == pytest.approx(c.depreciation_usd[0, 1] / 2 if method == "straight_line"
                                                     else c.depreciation_usd[4, 1])


def test_declining_balance_front_loads():
    h = history(12)
    f = fs.aggregate(h)
    sl = econ.node_costs(h, f).depreciation_usd[:, 0]
    db = econ.node_costs(h, f, depreciation="declining_balance").depreciation_usd[:, 0]
    assert db[0] > sl[0] and (np.diff(db) < 0).all()


def test_pnl_definitions():
    h = history()
    f = fs.aggregate(h)
    c = econ.node_costs(h, f)
    rewards = np.full(f.shape, 100.0)
    p = econ.pnl(c, rewards)
    earned = rewards * f.token_price_usd[:, None] + f.fees_usd - f.upstream_cost_usd
    np.testing.assert_allclose(p.earned_usd, earned)
    np.testing.assert_allclose(p.coverage_ratio(), earned.sum(0) / c.total_usd.sum(0))
    np.testing.assert_allclose(p.coverage_ratio(energy_only=True), earned.sum(0) / c.energy_usd.sum(0))
    assert p.covers(margin=0.0).tolist() == (earned.sum(0) >= c.total_usd.sum(0)).tolist()
    price = p.break_even_price_usd()
    at_break_even = 300.0 * price + f.fees_usd.sum(0) - f.upstream_cost_usd.sum(0)
    np.testing.assert_allclose(at_break_even, c.total_usd.sum(0), rtol=1e-12)
    with pytest.raises(ConfigError, match=r"margin must be a finite number > -1"):
        p.covers(margin=-2)


def test_streaks_payback_and_selling():
    h = history(6)
    f = fs.aggregate(h)
    c = econ.node_costs(h, f)
    rewards = np.zeros(f.shape)
    rewards[2, 0] = 1e6  # one good epoch for node 0 in six
    p = econ.pnl(c, rewards)
    assert p.longest_loss_streak()[0] == 3 and p.longest_loss_streak()[1] == 6
    assert np.isinf(p.payback_epochs(np.full(4, 1000.0))[1])
    assert p.must_sell().all()  # fees never pay the electricity in this toy network
    assert p.funding_gap_usd()[1] == pytest.approx(c.energy_usd[:, 1].sum() - f.fees_usd[:, 1].sum())


def test_operator_classes():
    nodes = nodes_frame(6).assign(operator_id=["a", "b", "b", "b", "b", "c"],
                                  hardware=["rtx4090", "rtx4090", "rtx3090", "mac_m2_ultra", "rtx4090", "h100_sxm_x8"])
    h = fs.History.from_frames(nodes, tasks_frame(), market_frame())
    classes = econ.operator_classes(h)
    assert classes.to_dict() == {"a": "retail", "b": "home", "c": "datacenter"}
    assert econ.operator_classes(h, max_retail_nodes=4)["b"] == "retail"
    with pytest.raises(ConfigError, match=r"retail_tiers must be among home, colocation"):
        econ.operator_classes(h, retail_tiers=("garage",))


def test_shape_and_value_errors():
    h = history()
    f = fs.aggregate(h)
    c = econ.node_costs(h, f)
    with pytest.raises(AlignmentError, match=r"reward_tokens has shape \(2, 2\); the costs are \(3, 4\)"):
        econ.pnl(c, np.zeros((2, 2)))
    with pytest.raises(ConfigError, match=r"depreciation must be one of straight_line, declining_balance"):
        econ.node_costs(h, f, depreciation="sum_of_years")


# ---------------------------------------------------------------- vesting
@settings(max_examples=60)
@given(st.integers(0, 30), st.integers(0, 40), st.floats(0, 1), st.integers(1, 60))
def test_vesting_conserves_and_matches_closed_form(cliff, linear, immediate, n):
    v = econ.Vesting(cliff, linear, immediate)
    grants = np.zeros(n)
    grants[0] = 1000.0
    released = v.released(grants)
    np.testing.assert_allclose(np.cumsum(released), 1000.0 * v.unlocked_fraction(np.arange(n)), atol=1e-9)
    rng = np.random.default_rng(cliff + linear + n)
    many = rng.uniform(0, 100, size=(n, 3))
    rel = v.released(many)
    assert (rel >= -1e-12).all()
    np.testing.assert_allclose(rel.sum(0) + v.locked(many)[-1], many.sum(0), rtol=1e-12)


def test_opg_staking_bucket_is_linear():
    # [sources: opg-tokenomics]: staking rewards 100M OPG linear over 96 months, about 1.04M per month
    v = econ.Vesting(linear_epochs=96)
    grants = np.zeros(100)
    grants[0] = 100e6
    monthly = v.released(grants)
    assert monthly[0] == 0 and monthly[1:97] == pytest.approx(100e6 / 96) and monthly[97:].sum() == 0
    assert 100e6 / 96 == pytest.approx(1.04e6, rel=0.002)


def test_vesting_errors():
    with pytest.raises(ConfigError, match=r"cliff_epochs must be a whole number >= 0, got -1"):
        econ.Vesting(cliff_epochs=-1)
    with pytest.raises(ConfigError, match=r"immediate must be a fraction in \[0, 1\], got 1.5"):
        econ.Vesting(immediate=1.5)


def test_liquid_value_uses_vesting():
    h = history(3)
    f = fs.aggregate(h)
    c = econ.node_costs(h, f)
    rewards = np.full(f.shape, 10.0)
    locked = econ.pnl(c, rewards, econ.Vesting(cliff_epochs=5))
    free = econ.pnl(c, rewards)
    np.testing.assert_allclose(locked.liquid_usd, f.fees_usd - f.upstream_cost_usd)
    np.testing.assert_allclose(free.liquid_usd, free.earned_usd)
    assert (locked.funding_gap_usd() >= free.funding_gap_usd()).all()
    assert isinstance(econ.operator_classes(h), pd.Series)
