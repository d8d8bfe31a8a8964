"""Property tests of the simulator (hypothesis): monotone responses and accounting identities.

Each example compares two simulations that share their random draws (same seed), so a
difference comes from the changed setting alone.
"""

import functools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fairshare as fs
from fairshare import formulas as F
from fairshare.economics import Vesting
from fairshare.simulation import MEASURES, Capital, Churn, Price, Scenario, Supply, simulate

pytestmark = pytest.mark.property

SCENARIO = Scenario.default(seed=0, scale="small")
_POPULATION = fs.datasets.build_parts(0, fs.datasets.network_config("small")).population
REPUTATION = pd.Series(_POPULATION.reputation, index=_POPULATION.node_ids)
RULES = {"status_quo": F.Linear({"stake": 0.5, "work": 0.5}), "work": F.Linear({"work": 1.0}),
         "floor": F.FloorPlusProportional(0.3), "stake_heavy": F.Linear({"stake": 0.8, "fees": 0.2})}


def column(sim, name):
    return sim.values[:, :, MEASURES.index(name)]


def patience(days: float, others: float = 75.0):
    return (("retail", days), ("home", days), ("colocation", others), ("datacenter", others), ("proxy", others))


@functools.lru_cache(maxsize=None)
def one_retail_scenario(which: int) -> Scenario:
    """The small network with a single retail operator (the ``which``-th present at the start) and no others."""
    h = SCENARIO.history
    classes = fs.economics.operator_classes(h)
    nodes = h.nodes
    present = set(nodes.loc[nodes.joined_epoch == 0, "operator_id"])
    retail = [op for op in classes.index if classes[op] == "retail" and op in present]
    dropped = set(classes.index[classes == "retail"]) - {retail[which]}
    kept = nodes[~nodes.operator_id.isin(dropped)]
    tasks = h.tasks[h.tasks.node_id.isin(kept.node_id)]
    one = fs.History.from_frames(kept, tasks, h.market, models=h.models, epoch_seconds=h.epoch_seconds)
    return Scenario.from_history(one, reputation=REPUTATION, supply=Supply())  # the OPG schedule past the table


@given(pair=st.lists(st.integers(1, 90), min_size=2, max_size=2).map(sorted), which=st.integers(0, 7),
       price=st.floats(0.01, 1.0), rule=st.sampled_from(sorted(RULES)), seed=st.integers(0, 2**16))
def test_more_patience_never_lowers_retail_survival(pair, which, price, rule, seed):
    """A theorem of the model for one retail operator: both worlds are the same until it leaves under the
    lower patience, and then it is still there under the higher one.

    With several retail operators it is not a theorem: see
    :func:`test_more_patient_competitors_can_crowd_out_a_marginal_operator`.
    """
    def survival(days):
        sc = one_retail_scenario(which).replace(churn=Churn(patience_days=patience(float(days))),
                                                price=Price(start_usd=price))
        return column(simulate(sc, RULES[rule], epochs=60, runs=2, seed=seed), "retail_survival")

    less, more = survival(pair[0]), survival(pair[1])
    assert (more >= less).all()


def test_more_patient_competitors_can_crowd_out_a_marginal_operator():
    """Aggregate retail survival is not monotone in patience (found by hypothesis): with a patience of 2 days
    instead of 1, two loss-making retail operators stay one epoch longer, and their competition pushes a
    marginal operator out that survives when they leave at once."""
    def survival(days):
        sc = SCENARIO.replace(churn=Churn(patience_days=patience(days)), price=Price(start_usd=0.03125))
        return column(simulate(sc, RULES["floor"], epochs=60, runs=2, seed=0), "retail_survival")

    less, more = survival(1.0), survival(2.0)
    assert (more < less).any() and (more > less).any()


@given(pair=st.lists(st.floats(0.0, 1.5), min_size=2, max_size=2).map(sorted),
       stake_weight=st.floats(0.2, 1.0), required=st.floats(0.02, 0.5), price=st.floats(0.01, 1.0),
       seed=st.integers(0, 2**16), churn=st.booleans())
def test_higher_elasticity_never_lowers_the_capital_share_under_a_stake_weighted_rule(
        pair, stake_weight, required, price, seed, churn):
    rule = F.StakeWeighted() if stake_weight == 1.0 else F.Linear({"stake": stake_weight, "work": 1 - stake_weight})

    def share(elasticity):
        sc = SCENARIO.replace(capital=Capital(elasticity=elasticity, required_yield=required),
                              churn=Churn(enabled=churn), price=Price(start_usd=price))
        return column(simulate(sc, rule, epochs=60, runs=2, seed=seed), "capital_share")

    low, high = share(pair[0]), share(pair[1])
    assert (high >= low - 1e-12).all()
    if pair[1] > pair[0] + 0.01:  # the first flow is k (S* - S), below the supply cap: strictly more capital
        assert (high[:, 1] > low[:, 1]).all()


@given(cliff=st.integers(0, 20), linear=st.integers(0, 40), immediate=st.floats(0.0, 1.0),
       impact=st.booleans(), schedule=st.sampled_from(["linear", "exponential", "halving"]),
       rule=st.sampled_from(sorted(RULES)), seed=st.integers(0, 2**16))
def test_supply_balances_whatever_the_vesting_schedule_and_price(
        cliff, linear, immediate, impact, schedule, rule, seed):
    sc = SCENARIO.replace(supply=Supply(schedule=schedule, reward_vesting=Vesting(cliff, linear, immediate)),
                          price=Price(impact=impact))
    sim = simulate(sc, RULES[rule], epochs=40, runs=2, seed=seed)
    total = (column(sim, "circulating_tokens") + column(sim, "locked_tokens") + column(sim, "pool_tokens")
             + column(sim, "unallocated_total_tokens"))
    np.testing.assert_allclose(total, 1e9, rtol=1e-12)
    assert (column(sim, "sell_pressure_tokens") >= 0).all() and (column(sim, "price_usd") > 0).all()
    shares = column(sim, "retail_share")
    assert np.all((shares[np.isfinite(shares)] >= 0) & (shares[np.isfinite(shares)] <= 1 + 1e-12))
