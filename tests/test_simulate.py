"""The simulator: conservation, determinism, limiting cases with known answers, oracles, errors.

Known answers: with no churn, no capital flow, constant price and the history's work replayed,
the simulation replays the rule on the history's network and equals ``fs.evaluate`` on it; a
pure linear vesting schedule gives a closed-form circulating supply; the kernel's features equal
the built-in router's fluid allocation (``datasets.traffic.expected_busy``).
"""

import re

import numba
import numpy as np
import pandas as pd
import pytest

import fairshare as fs
from fairshare import formulas as F
from fairshare.datasets import build_parts, network_config, traffic
from fairshare.economics import Vesting
from fairshare.errors import ConfigError
from fairshare.simulation import (
    MEASURES,
    Bucket,
    Capital,
    Churn,
    Demand,
    FakeDemand,
    Price,
    RuleChange,
    Scenario,
    Supply,
    simulate,
)
from tests.test_evaluate import toy_history

STATUS_QUO = F.Linear({"stake": 0.5, "work": 0.5})


@pytest.fixture(scope="module")
def small():
    return fs.datasets.open_inference_network(seed=0, scale="small")


@pytest.fixture(scope="module")
def scenario(small):
    return Scenario.from_history(small)


def fixed_network(history, **changes):
    """The limiting case: the history's own network and work, no capital flow, the history's prices and emission."""
    settings = dict(supply=Supply(schedule="history"), price=Price(model="history"), churn=Churn(enabled=False),
                    capital=Capital(elasticity=0.0), demand=Demand(mode="replay"),
                    fake_demand=FakeDemand(enabled=False))
    settings.update(changes)
    return Scenario.from_history(history, **settings)


def column(sim, name):
    return sim.values[:, :, MEASURES.index(name)]


def assert_close(actual, expected, rtol):
    """Equal to ``rtol`` of each measure's largest magnitude, at least 1 (shares near 0 carry rounding)."""
    scale = np.maximum(np.nanmax(np.abs(expected), axis=(0, 1)), 1.0)
    assert np.array_equal(np.isnan(actual), np.isnan(expected))
    gap = np.nan_to_num(np.abs(actual - expected)) - rtol * scale
    worst = np.unravel_index(np.argmax(gap), gap.shape)
    assert gap.max() <= 0, f"{MEASURES[worst[2]]} differs at run {worst[0]}, epoch {worst[1]}"


# ------------------------------------------------------------------ limiting cases


@pytest.mark.parametrize("rule", [F.Linear({"stake": 0.3, "work": 0.5, "identity_floor": 0.2}),
                                  F.Capped(0.1, F.Proportional())], ids=["linear_fast", "capped_general"])
def test_fixed_network_equals_evaluate(rule):
    h = fs.datasets.open_inference_network(seed=0, scale="small", price_log_sd=0.0)  # constant price
    sim = simulate(fixed_network(h), rule, runs=2, seed=5, keep_state=True)
    assert sim.path == ("fast" if isinstance(rule, F.Linear) else "general")
    ev = fs.evaluate(h, {"rule": rule})
    path = ev.trajectories["rule"]
    for measure, col in (("reward_hhi", "hhi"), ("reward_nakamoto", "nakamoto_1/3"),
                         ("retail_share", "retail_share")):  # zeros of exited operators change neither
        for run in range(2):
            np.testing.assert_allclose(column(sim, measure)[run], path[col].to_numpy(), rtol=1e-12, atol=0,
                                       equal_nan=True, err_msg=measure)
    slots = sim.node_ids.get_indexer(h.node_ids)
    direct = rule(fs.aggregate(h)).rewards
    # Gini survivorship-free: every operator live in some epoch so far, at 0 when not live now
    owner = pd.factorize(h.nodes.set_index("node_id").loc[list(h.node_ids), "operator_id"])[0]
    live = np.zeros((h.n_epochs, owner.max() + 1), dtype=bool)
    tok = np.zeros(live.shape)
    for j in range(owner.max() + 1):
        live[:, j] = h.active[:, owner == j].any(axis=1)
        tok[:, j] = direct[:, owner == j].sum(axis=1)
    ever = np.logical_or.accumulate(live, axis=0)
    expected = [fs.gini(np.where(live[t], tok[t], 0.0)[ever[t]]) for t in range(h.n_epochs)]
    for run in range(2):
        np.testing.assert_allclose(column(sim, "reward_gini")[run], expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(sim.state["rewards"][1][:, slots], direct, rtol=1e-12, atol=1e-9)
    totals = sim.operator_rewards()[0].reindex(ev.detail["rule"].index)
    np.testing.assert_allclose(totals.to_numpy(), ev.detail["rule"]["reward_tokens"].to_numpy(), rtol=1e-12)


def test_linear_vesting_gives_closed_form_circulating_supply(small):
    total = 1e9
    supply = Supply(total_tokens=total, buckets=(Bucket("team", 0.6, cliff_months=2.0, linear_months=6.0),
                                                 Bucket("pool", 0.4, sell_share=0.0)), funding="pool", schedule=0.0)
    sim = simulate(fixed_network(small, supply=supply), STATUS_QUO, runs=1, epochs=30)
    cliff, linear = round(2 * 365.25 / 12), round(6 * 365.25 / 12)
    sim_long = simulate(Scenario.from_history(small, supply=supply, churn=Churn(enabled=False)), STATUS_QUO, runs=1,
                        epochs=300)
    t = np.arange(300)
    expected = 0.6 * total * np.clip((t - cliff) / linear, 0.0, 1.0)
    np.testing.assert_allclose(column(sim_long, "circulating_tokens")[0], expected, rtol=1e-12, atol=1e-3)
    np.testing.assert_allclose(column(sim, "circulating_tokens")[0], expected[:30], atol=1e-3)
    assert column(sim_long, "emission_tokens").sum() == 0.0


def test_opg_calendar_matches_the_derived_unlock_schedule(scenario):
    """190M circulate at TGE and about 300M (299.5M) after 12 months, with the staking pool's emission.

    [sources: opg-tokenomics]
    """
    sim = simulate(scenario.replace(churn=Churn(enabled=False)), STATUS_QUO, runs=1, epochs=370, seed=0)
    circ = column(sim, "circulating_tokens")[0]
    assert circ[0] == pytest.approx(190e6 + 1e8 / 2922, rel=1e-12)
    assert circ[365] == pytest.approx(299.5e6, rel=2e-3)
    events = sim.unlock_events()
    starts = dict(zip(events.bucket, events.epoch))
    assert starts["contributors"] == starts["investors"] == round(12 * 365.25 / 12) + 1
    assert events.set_index("bucket").loc["airdrop", "tokens"] == pytest.approx(40e6)


# ------------------------------------------------------------------ oracles


def test_features_equal_the_routers_fluid_allocation(small):
    cfg = network_config("small")
    parts = build_parts(0, cfg)
    pop = parts.population
    active = pop.active(cfg.n_epochs)[:1]
    busy, _ = traffic.expected_busy(cfg.traffic, parts.demand_means[:1], pop.archetype, pop.reputation,
                                    pop.stake_tokens, active)
    sc = Scenario.from_history(small, churn=Churn(enabled=False), capital=Capital(elasticity=0.0),
                               fake_demand=FakeDemand(enabled=False), demand=Demand(noise=False, growth_per_year=0.0))
    sim = simulate(sc, STATUS_QUO, runs=1, epochs=1, keep_state=True)
    slots = sim.node_ids.get_indexer(small.node_ids)
    np.testing.assert_allclose(sim.state["busy"][0, 0][slots], busy.sum(axis=0), rtol=1e-9, atol=1e-6)
    assert busy.sum() > 0


@pytest.mark.parametrize("routing", ["reputation", "stake", "uniform", "latency"])
def test_fast_and_general_paths_agree(scenario, routing):
    sc = scenario.replace(demand=Demand(routing=routing), price=Price(impact=True),
                          supply=Supply(reward_vesting=Vesting(cliff_epochs=3, linear_epochs=10)))
    rule = RuleChange(STATUS_QUO, F.Linear({"work": 0.6, "identity_floor": 0.4}), at=8, over=6)
    fast = simulate(sc, rule, runs=3, epochs=25, seed=2)
    general = simulate(sc, rule, runs=3, epochs=25, seed=2, path="general")
    assert (fast.path, general.path) == ("fast", "general")
    assert_close(general.values, fast.values, rtol=1e-9)


def test_transition_pays_the_old_rule_before_and_the_new_after(scenario):
    new = F.Linear({"work": 1.0})
    switched = simulate(scenario, RuleChange(STATUS_QUO, new, at=10), runs=2, epochs=20, seed=4)
    old_only = simulate(scenario, STATUS_QUO, runs=2, epochs=20, seed=4)
    assert np.array_equal(switched.values[:, :10], old_only.values[:, :10], equal_nan=True)
    assert not np.allclose(switched.values[:, 10:], old_only.values[:, 10:], equal_nan=True)
    np.testing.assert_allclose(RuleChange(STATUS_QUO, new, at=2, over=4).blend(8), [0, 0, .25, .5, .75, 1, 1, 1])


# ------------------------------------------------------------------ conservation


@pytest.mark.parametrize("rule", [STATUS_QUO, F.FeeLinkedCap(k=0.01, base=F.Proportional(), redistribute=False)],
                         ids=["fast", "general"])
def test_tokens_and_stake_balance_every_epoch(scenario, rule):
    sc = scenario.replace(supply=Supply(reward_vesting=Vesting(cliff_epochs=5, linear_epochs=20, immediate=0.1)),
                          price=Price(impact=True))
    sim = simulate(sc, rule, runs=3, epochs=40, seed=7, keep_state=True)
    get = lambda m: column(sim, m)  # noqa: E731
    total = 1e9
    # supply: circulating + locked (buckets and rewards) + pool + unallocated = total supply
    np.testing.assert_allclose(get("circulating_tokens") + get("locked_tokens") + get("pool_tokens")
                               + get("unallocated_total_tokens"), total, rtol=1e-12)
    # emission: emitted = unlocked (released rewards) + locked rewards + unallocated, cumulatively
    emitted = np.cumsum(get("emission_tokens"), axis=1)
    np.testing.assert_allclose(np.cumsum(get("released_reward_tokens"), axis=1) + get("locked_reward_tokens")
                               + get("unallocated_total_tokens"), emitted, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(get("paid_tokens") + get("unallocated_tokens"), get("emission_tokens"), rtol=1e-12)
    np.testing.assert_allclose(sim.state["rewards"].sum(axis=2), get("paid_tokens"), rtol=1e-9)
    # stake: the bonded total is the sum over active nodes, never above circulating, delegation >= 0
    np.testing.assert_allclose((sim.state["stake"] * sim.state["active"]).sum(axis=2), get("staked_tokens"), rtol=1e-12)
    assert (get("delegated_tokens") >= -1e-6).all()
    assert (get("staked_tokens") <= get("circulating_tokens")).all()
    assert (get("unallocated_tokens") > 0).any() == (not isinstance(rule, F.Linear))
    # capital's tokens are part of the stake-driven ones
    assert (get("capital_share") <= get("stake_driven_share") + 1e-12).all()


# ------------------------------------------------------------------ determinism


def test_bit_identical_for_any_thread_count_chunking_and_number_of_runs(scenario):
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = simulate(scenario, runs=6, epochs=20, seed=11)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = simulate(scenario, runs=6, epochs=20, seed=11, chunk_runs=4)
        general_one = simulate(scenario, F.Capped(0.2), runs=3, epochs=10, seed=11)
        numba.set_num_threads(1)
        general_two = simulate(scenario, F.Capped(0.2), runs=3, epochs=10, seed=11)
    finally:
        numba.set_num_threads(before)
    assert one.values.tobytes() == two.values.tobytes()
    assert general_one.values.tobytes() == general_two.values.tobytes()
    fewer = simulate(scenario, runs=2, epochs=20, seed=11, chunk_runs=1)
    assert fewer.values.tobytes() == one.values[:2].tobytes()
    assert not np.array_equal(simulate(scenario, runs=2, epochs=20, seed=12).values, fewer.values, equal_nan=True)


# ------------------------------------------------------------------ mechanisms


def test_fake_demand_bought_only_when_the_rule_pays_for_it(scenario):
    sc = scenario.replace(fake_demand=FakeDemand(operator_share=0.5))
    by_work = simulate(sc, F.Linear({"work": 1.0}), runs=2, epochs=10, seed=1)
    by_stake = simulate(sc, F.Linear({"stake": 1.0}), runs=2, epochs=10, seed=1)
    assert column(by_work, "fake_work_units").min() > 0
    assert column(by_stake, "fake_work_units").max() == 0.0
    assert np.nanmax(column(by_work, "fake_work_share")) <= 0.1 / 1.1 + 1e-12  # at most 10% more work


def test_loss_makers_leave_after_their_patience_and_entrants_arrive(scenario):
    sc = scenario.replace(price=Price(model="constant", start_usd=0.01), capital=Capital(elasticity=0.0),
                          churn=Churn(exit_hazard_30d=(("home", 0.0), ("other", 0.0))))
    sim = simulate(sc, STATUS_QUO, runs=1, epochs=40, seed=0)
    survival = column(sim, "retail_survival")[0]
    assert survival[29] == 1.0 and survival[31] < 1.0  # 30 days of losses, then the exit counts next epoch
    rich = simulate(scenario.replace(price=Price(model="constant", start_usd=50.0), churn=Churn(clones=1)),
                    STATUS_QUO, runs=1, epochs=30, seed=0)
    entries = column(rich, "entries")[0]
    assert entries[6] == 0 and entries[7] > 0  # clones decide at epoch 0, join after the 7-day lag


def test_capital_flows_in_when_the_yield_beats_the_required_one(scenario):
    rule = F.StakeWeighted()
    none = simulate(scenario.replace(capital=Capital(elasticity=0.0)), rule, runs=1, epochs=20)
    some = simulate(scenario, rule, runs=1, epochs=20)
    assert column(none, "capital_share").max() == 0.0
    assert column(some, "capital_share")[0, -1] > 0.5
    assert column(some, "staking_yield")[0, -1] < column(some, "staking_yield")[0, 0]


# ------------------------------------------------------------------ result object


def test_result_tables_and_progress(scenario):
    calls = []
    sim = simulate(scenario, runs=5, epochs=12, seed=3, chunk_runs=2, progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (60, 60) and [d for d, _ in calls] == sorted(d for d, _ in calls)
    tidy = sim.to_frame()
    assert tidy.shape == (60, 2 + len(MEASURES)) and list(tidy.columns[:2]) == ["run", "epoch"]
    bands = sim.bands(["price_usd", "retail_share"])
    assert bands.shape == (12, 6)
    assert (bands[("price_usd", 0.05)] <= bands[("price_usd", 0.95)]).all()
    assert sim.state is None and "retail_survival" in sim.summary()
    assert sim.final().shape == (5, len(MEASURES))


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize("make, message", [
    (lambda h: Scenario.from_history(h, capital=Capital(elasticity=-1.0)),
     "Capital elasticity must be a finite number >= 0, got -1.0."),
    (lambda h: Scenario.from_history(h, demand=Demand(mode="replay")),
     "Demand(mode='replay') replays each node's recorded work, so it needs the history's own network: "
     "Churn(enabled=False); got churn enabled."),
    (lambda h: Scenario.from_history(h, supply=Supply(buckets=(Bucket("a", 0.5), Bucket("staking", 0.4)))),
     "Supply bucket shares must sum to 1, got 0.9 (a, staking)."),
    (lambda h: Scenario.from_history(h, price=Price(model="walk")),
     "Price model must be one of 'constant', 'gbm', 'history', got 'walk'."),
    (lambda h: Scenario.from_history(h, colour="red"), "Scenario: unknown settings ['colour']"),
    (lambda h: RuleChange(STATUS_QUO, F.Proportional(), at=-1), "RuleChange at must be a whole number >= 0, got -1."),
    (lambda h: simulate(Scenario.from_history(h), STATUS_QUO, runs=0), "runs must be a whole number >= 1, got 0."),
    (lambda h: simulate(Scenario.from_history(h), STATUS_QUO, epochs=10**12),  # refused before any allocation
     "epochs must be at most 36,525 (100 years of this history's 86400-second epochs), got 1,000,000,000,000."),
    (lambda h: simulate(Scenario.from_history(h), STATUS_QUO, epochs=36_525, runs=10**5),
     "runs x epochs = 100,000 x 36,525 keeps"),
    (lambda h: simulate(fixed_network(h), STATUS_QUO, epochs=31),
     "epochs must be <= 30 (the history's epochs from the start) with Demand(mode='replay'), "
     "Price(model='history'), Supply(schedule='history') without after=, got 31;"),
    (lambda h: simulate(Scenario.from_history(h), F.Capped(0.1), path="fast", epochs=2),
     "path='fast' runs Linear-type rules only"),
    (lambda h: Scenario.from_history(h, capital=Capital(elasticity=60.0)).capital.speed(1.0),
     "Capital elasticity x epoch / adjustment_days must be <= 1 (no overshoot), got 60.0 x 1 / 30.0 = 2."),
])
def test_errors_name_the_parameter_the_value_and_what_is_allowed(small, make, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        make(small)


def test_router_scores_every_node_alike_outside_the_builtin_network():
    toy = toy_history(8)
    uniform = simulate(Scenario.from_history(toy), STATUS_QUO, runs=1, epochs=2)
    assert "uniform 10,000" in uniform.provenance["data"]
    stated = simulate(Scenario.from_history(toy, reputation=10_000.0), STATUS_QUO, runs=1, epochs=2)
    np.testing.assert_array_equal(uniform.values, stated.values)


def test_rules_that_carry_state_across_epochs_are_refused(scenario):
    class Memory(F.Formula):
        name = ""

        def allocate(self, features):
            score = np.cumsum(features.work_units, axis=0)  # depends on the rows before
            return F.proportional(score * (features.active > 0), features.emission_tokens)

    with pytest.raises(ConfigError, match="depend on the epochs before it"):
        simulate(scenario, Memory(), runs=3, epochs=2)


def test_forcing_the_smallest_operators_out_does_not_lower_the_reward_gini():
    """Survivorship-free concentration: the smallest operators leave at epoch 15 and the survivors' work
    (so their shares among themselves, under proportional-to-work) is unchanged; the Gini must not fall."""
    h = fs.datasets.open_inference_network(seed=0, scale="small", price_log_sd=0.0)
    f = fs.aggregate(h)
    work = pd.Series(f.by_operator().work_units.sum(axis=0), index=f.by_operator().entity_ids)
    nodes = h.nodes
    whole = nodes.groupby("operator_id").joined_epoch.max().eq(0) & nodes.groupby("operator_id").left_epoch.apply(
        lambda s: s.isna().all())
    gone = work[whole.reindex(work.index, fill_value=False) & (work > 0)].nsmallest(3).index
    cut = nodes.copy()
    cut.loc[cut.operator_id.isin(gone), "left_epoch"] = 14
    owner = nodes.set_index("node_id").operator_id
    tasks = h.tasks[~(h.tasks.node_id.map(owner).isin(gone) & (h.tasks.epoch > 14))]
    forced = fs.History.from_frames(cut, tasks, h.market, models=h.models, epoch_seconds=h.epoch_seconds)
    rule = F.Linear({"work": 1.0})
    before = column(simulate(fixed_network(h), rule, runs=1, seed=0), "reward_gini")[0]
    after = column(simulate(fixed_network(forced), rule, runs=1, seed=0), "reward_gini")[0]
    np.testing.assert_allclose(after[:15], before[:15], rtol=1e-12)
    assert (after[15:] >= before[15:] - 1e-12).all() and (after[15:] > before[15:]).any()
