"""Fake demand has one definition: evaluate's replay and the optimiser's closed form agree on it."""

import numpy as np
import pytest

import fairshare as fs
from fairshare.economics.fake_demand import GROWN, fake_demand_purchase
from fairshare.errors import ConfigError
from fairshare.evaluation.gaming import fake_demand_gain
from fairshare.formulas import COMPONENTS, Linear
from fairshare.optimization._basis_build import fake_demand, window_features, window_mask

FRACTION = 0.1
MIXED = {"status_quo": {"stake": 0.5, "work": 0.5},
         "verified": {"verified_work_tee": 0.4, "verified_work_zkml": 0.3, "identity_floor": 0.3},
         "fee_linked": {"fees": 0.5, "tasks": 0.2, "small_task_work": 0.2, "availability": 0.1}}


@pytest.fixture(scope="module")
def network():
    h = fs.datasets.open_inference_network(seed=0, scale="small")
    return h, fs.aggregate(h)


def closed_form_gain(f, history, weights):
    tokens, spend = fake_demand(f, tuple(COMPONENTS), history, FRACTION)
    theta = np.array([weights.get(name, 0.0) for name in COMPONENTS])
    return (tokens * f.token_price_usd[:, None]).sum(axis=0) @ theta / spend


@pytest.mark.parametrize("window", ["all", 10])
@pytest.mark.parametrize("weights", [{name: 1.0} for name in COMPONENTS] + list(MIXED.values()),
                         ids=[*COMPONENTS, *MIXED])
def test_closed_form_equals_the_replay(network, weights, window):
    h, f = network
    fw = window_features(f, window_mask(f.epochs, window))
    replayed = fake_demand_gain(Linear(weights), fw, h, FRACTION)
    assert closed_form_gain(fw, h, weights) == pytest.approx(replayed, rel=1e-9, abs=1e-12)


def test_the_purchase_changes_the_median_node_only(network):
    h, f = network
    p = fake_demand_purchase(f, h, FRACTION)
    work = f.work_units.sum(axis=0)
    assert np.sum(work[work > 0] < work[p.node]) == np.count_nonzero(work > 0) // 2
    others = np.arange(f.shape[1]) != p.node
    growth = np.where(f.work_units[:, p.node] > 0, 1 + FRACTION, 1.0)  # nothing is bought in an idle epoch
    for q in fs.features.QUANTITIES:
        before, after = getattr(f, q), getattr(p.bought, q)
        np.testing.assert_array_equal(after[:, others], before[:, others])
        expected = before[:, p.node] * growth if q in GROWN else before[:, p.node]
        if q == "fees_usd":
            expected = before[:, p.node] + p.fees_usd
        np.testing.assert_allclose(after[:, p.node], expected, rtol=1e-12)
    mean_fee = f.fees_usd.sum() / f.work_units.sum()
    np.testing.assert_allclose(p.fees_usd, FRACTION * f.work_units[:, p.node] * mean_fee, rtol=1e-12)
    assert (p.energy_usd > 0).all() and p.spend_usd == pytest.approx((p.fees_usd + p.energy_usd).sum())


def test_bad_fraction_or_level_is_refused(network):
    h, f = network
    for bad in (0.0, -0.1, float("nan"), float("inf")):
        with pytest.raises(ConfigError, match="fake_fraction"):
            fake_demand_purchase(f, h, bad)
    with pytest.raises(ConfigError, match="node-level"):
        fake_demand_purchase(f.by_operator(), h, FRACTION)
