"""A/B simulations on common random numbers, scenarios from any history, and the simulate command's errors."""

import numba
import numpy as np
import pytest

import fairshare as fs
from fairshare import cli
from fairshare import formulas as F
from fairshare.errors import ConfigError
from fairshare.simulation import MEASURES, Price, Scenario, Supply, simulate

STATUS_QUO = F.Linear({"stake": 0.5, "work": 0.5})
WORK = F.Linear({"work": 1.0})


@pytest.fixture(scope="module")
def small():
    return fs.datasets.open_inference_network(seed=0, scale="small")


@pytest.fixture(scope="module")
def users(small):
    """The small network as a user's history would arrive: no provenance, 35,000 tokens per epoch."""
    market = small.market.copy()
    market["emission_tokens"] = 35_000.0
    return fs.History.from_frames(nodes=small.nodes, tasks=small.tasks, market=market)


@pytest.fixture(scope="module")
def ab(small):
    return simulate(Scenario.from_history(small), rules={"status_quo": STATUS_QUO, "work": WORK}, runs=6, seed=3)


def test_each_rule_of_an_ab_equals_its_own_simulation_on_the_same_draws(small, ab):
    alone = simulate(Scenario.from_history(small), WORK, runs=6, seed=3)
    np.testing.assert_array_equal(ab.rule("work").values, alone.values)
    np.testing.assert_array_equal(ab.values, ab.rule("status_quo").values)  # the first rule is the result's own
    assert ab.rules == ("status_quo", "work")
    assert ab.measure("reward_gini", rule="work").equals(alone.measure("reward_gini"))


def test_difference_pairs_runs_and_states_what_has_no_interval(ab):
    diff = ab.difference("work", "status_quo")
    assert list(diff.index) == list(MEASURES)
    gini = diff.loc["reward_gini"]
    e = len(ab.epochs)
    per_run = (ab.rule("work").values - ab.rule("status_quo").values)[:, e - e // 4:, MEASURES.index(
        "reward_gini")].mean(axis=1)
    assert gini["difference"] == pytest.approx(per_run.mean(), rel=1e-12)
    assert gini["low"] < gini["difference"] < gini["high"] and gini["kind"] == "outcome"
    price = diff.loc["price_usd"]  # no price impact: the price path is an input, the same under both rules
    assert price["kind"] == "unchanged" and price["difference"] == 0 and np.isnan(price["low"])
    same = ab.difference("work", "work")
    assert (same["kind"] == "unchanged").all() and (same["difference"].fillna(0) == 0).all()
    assert "common random numbers" in diff.attrs["statement"]


def test_ab_is_bit_identical_for_any_thread_count(small):
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = simulate(Scenario.from_history(small), rules={"a": STATUS_QUO, "b": WORK}, runs=5, epochs=20, seed=1)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = simulate(Scenario.from_history(small), rules={"a": STATUS_QUO, "b": WORK}, runs=5, epochs=20, seed=1)
    finally:
        numba.set_num_threads(before)
    for name in ("a", "b"):
        np.testing.assert_array_equal(one.rule(name).values, two.rule(name).values)
    a, b = one.difference("b", "a"), two.difference("b", "a")
    assert a.equals(b)


@pytest.mark.parametrize("call, message", [
    (lambda sc: simulate(sc, STATUS_QUO, rules={"a": WORK}, runs=1, epochs=2), "pass rule= .one rule. or rules="),
    (lambda sc: simulate(sc, rules={}, runs=1, epochs=2), "rules must be a non-empty dict"),
    (lambda sc: simulate(sc, rules={"a": WORK}, runs=2, epochs=3).difference("a", "b"), "rule 'b' was not simulated"),
    (lambda sc: simulate(sc, rules={"a": WORK}, runs=2, epochs=3).difference("a", "a", window="x"), "window must be"),
])
def test_ab_errors_name_the_parameter(small, call, message):
    with pytest.raises(ConfigError, match=message):
        call(Scenario.from_history(small))


def test_any_history_simulates_at_its_own_emission_with_uniform_reputation(users):
    sc = Scenario.from_history(users)
    sim = simulate(sc, STATUS_QUO, runs=2, seed=0)
    assert np.all(sim.measure("emission_tokens").to_numpy() == 35_000.0)
    assert "uniform 10,000" in sim.provenance["data"] and "price an input" in sim.provenance["data"]
    assert "an input" in sim.summary()
    with pytest.raises(ConfigError, match="after='linear'"):
        simulate(sc, STATUS_QUO, runs=1, epochs=len(users.epochs) + 5)
    longer = Scenario.from_history(users, supply=Supply(schedule="history", after="halving"))
    assert np.isfinite(simulate(longer, STATUS_QUO, runs=1, epochs=len(users.epochs) + 5).values[..., 0]).all()


def test_the_builtin_network_keeps_its_schedule_past_the_table(small):
    sim = simulate(Scenario.from_history(small), STATUS_QUO, runs=1, epochs=len(small.epochs) + 10)
    emitted = sim.measure("emission_tokens").to_numpy()[:, 0]
    np.testing.assert_allclose(emitted, small.emission_tokens[0], rtol=1e-12)


def test_scenario_file_tables_set_every_mechanism():
    settings = fs.simulation.engine.scenario_settings(
        {"price": {"impact": True, "depth_usd": 5e6}, "churn": {"clones": 2},
         "supply": {"schedule": "history", "after": "linear"}, "options": {"reputation": 7000.0}})
    assert settings["price"] == Price(impact=True, depth_usd=5e6) and settings["reputation"] == 7000.0
    with pytest.raises(ConfigError, match=r"\[scenario.price\] has unknown key\(s\) impactt"):
        fs.simulation.engine.scenario_settings({"price": {"impactt": True}})
    with pytest.raises(ConfigError, match=r"unknown table\(s\) \[scenario.prices\]"):
        fs.simulation.engine.scenario_settings({"prices": {}})


def test_simulate_command_runs_on_a_users_directory(users, tmp_path):
    users.write(tmp_path / "user")
    out = tmp_path / "o"
    assert cli.main(["simulate", "--data", str(tmp_path / "user"), "--runs", "3", "--out", str(out), "--quiet"]) == 0
    md = (out / "report.md").read_text()
    assert "fallback_proportional_to_work minus status_quo" in md and "uniform 10,000" in md


@pytest.mark.parametrize("extra, toml, message", [
    (["--runs", "-5"], None, "--runs must be a whole number >= 1, got -5."),
    (["--runs", "2"], "[scenario.price]\nimpactt = true\n", "has unknown key(s) impactt"),
    (["--runs", "2"], "[rules.a\n", "cannot read the scenario file"),
    (["--runs", "2"], "[scenario.churn]\nclones = -1\n", "clones"),
])
def test_simulate_configuration_errors_exit_4_with_one_line(tmp_path, capsys, extra, toml, message):
    argv = ["simulate", "--scale", "small", "--out", str(tmp_path / "o"), "--quiet", *extra]
    if toml is not None:
        (tmp_path / "s.toml").write_text(toml)
        argv += ["--scenario", str(tmp_path / "s.toml")]
    assert cli.main(argv) == 4
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and not (tmp_path / "o").exists()


def test_fates_count_incumbents_and_entrants_apart(small):
    from fairshare.simulation import Churn

    sc = Scenario.from_history(small, churn=Churn(clones=2))
    sim = simulate(sc, rules={"a": STATUS_QUO, "b": WORK}, runs=2, epochs=20, seed=0, keep_state=True)
    fates = sim.rule("b").fates()
    net = sc.network
    assert (fates["incumbents"] == int(net.initial_ops.sum())).all()
    last_ops = sim.rule("b").values[:, -1, MEASURES.index("operators")]
    np.testing.assert_array_equal(fates["incumbents_active"] + fates["entrants_active"], last_ops)
    assert (fates["entrants"] <= sim.rule("b").values[:, -1, MEASURES.index("entries")]).all()
    with pytest.raises(ConfigError, match="keep_state=True"):
        simulate(sc, STATUS_QUO, runs=1, epochs=2).fates()


def test_a_routing_policy_is_an_arm_of_the_same_ab(small):
    from fairshare.simulation import Demand, Variant

    sc = Scenario.from_history(small)
    open_routing = Variant(STATUS_QUO, demand=Demand(random_share=1.0, min_tier="poor"))
    sim = simulate(sc, rules={"status_quo": STATUS_QUO, "work": WORK, "open_routing": open_routing}, runs=3,
                   epochs=15, seed=2)
    alone = simulate(sc.replace(demand=Demand(random_share=1.0, min_tier="poor")), STATUS_QUO, runs=3, epochs=15,
                     seed=2)
    np.testing.assert_array_equal(sim.rule("open_routing").values, alone.values)
    assert not np.array_equal(sim.rule("open_routing").values, sim.rule("status_quo").values)
    assert sc.router.random_share.tolist() != [1.0] * len(sc.router.random_share)  # the network's: 0.3 for large
    assert sc.replace(demand=Demand(random_share=1.0)).router.random_share.tolist() == [1.0] * len(
        sc.router.random_share)
    assert "open_routing" in sim.provenance["rules"]
    for bad, message in (({"random_share": 1.5}, "Demand random_share"), ({"min_tier": "gold"}, "Demand min_tier")):
        with pytest.raises(ConfigError, match=message):
            Scenario.from_history(small, demand=Demand(**bad))


def test_stress_triplet_states_its_drivers_and_orders_them(small):
    from fairshare.simulation import stress_scenarios

    sc = Scenario.from_history(small)
    cases, drivers = stress_scenarios(sc, lookback_epochs=20)
    assert list(cases) == ["pessimistic", "base", "optimistic"] == list(drivers.index)
    for col in ("price_log_drift_per_year", "demand_growth_per_year"):
        assert drivers[col].is_monotonic_increasing
    assert drivers.loc["pessimistic", "clones"] == 5 and drivers.loc["optimistic", "clones"] == 0
    assert (drivers["lookback_epochs"] == 20).all() and "last 20 epochs" in drivers.attrs["statement"]
    first, last = int(small.epochs[-20]), int(small.epochs[-1])
    assert (drivers["lookback_first_epoch"] == first).all() and (drivers["lookback_last_epoch"] == last).all()
    assert f"(epochs {first}-{last})" in drivers.attrs["statement"]
    assert cases["base"].price.log_drift_per_year == drivers.loc["base", "price_log_drift_per_year"]
    with pytest.raises(ConfigError, match="lookback_epochs must be a whole number in"):
        stress_scenarios(sc, lookback_epochs=1)


def test_difference_grid_runs_each_cell_on_the_same_seed(small):
    from fairshare.simulation import Churn, difference_grid

    sc = Scenario.from_history(small)
    rules = {"status_quo": STATUS_QUO, "work": WORK}
    grid = difference_grid(sc, rules, "work", "status_quo", depth_usd=(None, 1e6), clones=(0, 2),
                           measures=["reward_gini", "price_usd"], epochs=10, runs=2, seed=4)
    assert grid.index.names == ["depth_usd", "clones", "measure"] and len(grid) == 8
    one = simulate(sc.replace(churn=Churn(clones=2)), rules=rules, epochs=10, runs=2, seed=4).difference(
        "work", "status_quo", ["reward_gini", "price_usd"])
    np.testing.assert_array_equal(grid.loc[(np.nan, 2)]["difference"].to_numpy(), one["difference"].to_numpy())
    assert grid.loc[(np.nan, 0, "price_usd"), "kind"] == "unchanged"


def test_a_users_history_takes_its_own_buckets_and_vesting(users):
    from fairshare.economics import Vesting
    from fairshare.simulation import Bucket
    from fairshare.simulation.engine import scenario_settings

    team = {"name": "team", "share": 0.8, "cliff_months": 0.5, "linear_months": 2.0, "sell_share": 0.5}
    table = {"supply": {"schedule": "history", "funding": "rewards", "total_tokens": 1e8,
                        "buckets": [{"name": "rewards", "share": 0.2, "sell_share": 0.0}, team],
                        "reward_vesting": {"linear_epochs": 10}}}
    sc = Scenario.from_history(users, **scenario_settings(table))
    sim = simulate(sc, STATUS_QUO, runs=1, seed=0)
    assert np.all(sim.measure("emission_tokens").to_numpy() == 35_000.0)  # the history's own emission
    grants = np.zeros(len(users.epochs))
    grants[0] = 0.8e8
    expected = Bucket(**team).vesting(users.epoch_seconds / 86_400.0).released(grants)
    assert expected[0] == 0 and expected[-1] > 0  # the cliff ends inside the table
    np.testing.assert_allclose(sim.measure("unlocked_tokens").to_numpy()[:, 0], expected, rtol=1e-12, atol=1e-6)
    np.testing.assert_allclose(sim.measure("unlock_sold_tokens").to_numpy()[:, 0], 0.5 * expected, rtol=1e-12,
                               atol=1e-6)
    assert sim.measure("locked_reward_tokens").to_numpy()[-1, 0] > 0  # rewards vest over 10 epochs
    assert sc.supply.reward_vesting == Vesting(linear_epochs=10)

    own = Supply.for_history(users, buckets=(Bucket("staking", 0.5, immediate=0.2), Bucket("team", 0.5)))
    assert own.schedule == "history" and own.funding == "staking"
    pool = own.total_tokens * 0.5 * 0.8  # the least supply whose pool holds the table's emission
    assert pool == pytest.approx(35_000.0 * len(users.epochs), rel=1e-6)
    np.testing.assert_array_equal(simulate(Scenario.from_history(users, supply=own), STATUS_QUO, runs=1).measure(
        "emission_tokens").to_numpy(), 35_000.0)
    small_pool = Scenario.from_history(users, supply=replace_total(own, 1e5))
    with pytest.raises(ConfigError, match="holds 40,000 tokens after its TGE part, less than the 1,050,000"):
        simulate(small_pool, STATUS_QUO, runs=1)
    with pytest.raises(ConfigError, match="funding must name one of the buckets"):
        Supply.for_history(users, buckets=(Bucket("a", 1.0),), funding="b")


def replace_total(supply, total):
    from dataclasses import replace

    return replace(supply, total_tokens=total)


def test_price_impact_trades_against_pools_and_order_books_and_the_price_is_labelled(small, ab):
    sc = Scenario.from_history(small)
    assert not sc.price.impact  # the what-if network has no calibrated depth: the price stays an input
    diff = ab.difference("work", "status_quo")
    assert diff.attrs["price_is_input"] and "the price is an input" in diff.attrs["statement"]
    split = simulate(sc.replace(price=Price(impact=True, depth_usd=3e5, book_depth_usd=5e5, buy_usd_per_epoch=2e3)),
                     STATUS_QUO, runs=2, epochs=20, seed=1)
    whole = simulate(sc.replace(price=Price(impact=True, depth_usd=8e5, buy_usd_per_epoch=2e3)), STATUS_QUO, runs=2,
                     epochs=20, seed=1)
    np.testing.assert_array_equal(split.values, whole.values)  # the depth is the total of both
    assert "pools $300,000 + order books $500,000; outside buying $2,000 per epoch" in split.provenance["data"]
    bought = simulate(sc.replace(price=Price(impact=True, depth_usd=8e5)), STATUS_QUO, runs=2, epochs=20, seed=1)
    assert (whole.measure("price_usd").to_numpy()[1:] > bought.measure("price_usd").to_numpy()[1:]).all()
    with pytest.raises(ConfigError, match="Price book_depth_usd must be a finite number >= 0"):
        Scenario.from_history(small, price=Price(book_depth_usd=-1.0))
