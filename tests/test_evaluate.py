"""The evaluation engine: scoreboard numbers agree with the detail and with direct computation."""

import numpy as np
import pandas as pd
import pytest

import fairshare as fs
from fairshare import formulas as F
from fairshare.errors import ConfigError
from fairshare.evaluation import evaluate
from tests.builders import market_frame, nodes_frame


def toy_history(n_epochs: int = 64) -> fs.History:
    """Eight nodes of five operators over two months; retail nodes serve small tasks, the others large."""
    rng = np.random.default_rng(7)
    nodes = nodes_frame(8).assign(operator_id=["r1", "r2", "r3", "big", "big", "big", "dc", "r4"],
                                  hardware=["rtx4090", "rtx3090", "mac_m2_ultra", "a100_80gb", "a100_80gb",
                                            "h100_sxm_x8", "h100_sxm_x8", "rtx4090"])
    rows = []
    for e in range(n_epochs):
        for n in range(8):
            large = n in (3, 4, 5, 6)
            requests = int(rng.integers(1, 30))
            size = 60_000 if large else 900
            rows.append({"epoch": e, "node_id": f"n{n}", "model": "llama-3.1-70b" if large else "llama-3.1-8b",
                         "requests": requests, "input_tokens": float(size * requests),
                         "output_tokens": float(150 * requests), "busy_seconds": 2.0 * requests,
                         "verification": "tee" if n % 2 else "vanilla",
                         "fee_usd": 1e-4 * requests * (20 if large else 1)})
    return fs.History.from_frames(nodes, pd.DataFrame(rows), market_frame(n_epochs))


RULES = {"work": F.Proportional(), "stake": F.StakeWeighted(), "floor": F.FloorPlusProportional(0.3),
         "capped": F.Capped(0.25), "sqrt": F.Power(0.5)}


@pytest.fixture(scope="module")
def ev():
    return evaluate(toy_history(), RULES, trend_resamples=200)


def test_scoreboard_shape_and_columns(ev):
    assert list(ev.scoreboard.index) == list(RULES)
    for col in ("gini", "theil", "hhi", "nakamoto_1/3", "nakamoto_1/2", "top_1pct_share", "top_10pct_share",
                "palma", "coverage_share", "coverage_share_retail", "median_retail_coverage",
                "monthly_usd_per_node_home", "reward_stability_cv", "staker_yield", "stake_driven_share",
                "compute_driven_share", "sybil_gain_k2", "sybil_gain_k10", "merge_gain", "fake_demand_gain",
                "winners_share", "largest_loss_pct", "unallocated_share"):
        assert col in ev.scoreboard.columns, col


def test_concentration_matches_detail(ev):
    for name in RULES:
        d = ev.detail[name]
        assert ev.scoreboard.loc[name, "gini"] == pytest.approx(fs.gini(d["reward_tokens"].to_numpy()), rel=1e-12)
        assert ev.scoreboard.loc[name, "hhi"] == pytest.approx(fs.hhi(d["reward_tokens"].to_numpy()), rel=1e-12)
        active = d["active"]
        assert ev.scoreboard.loc[name, "coverage_share"] == pytest.approx(d.loc[active, "covers"].mean())


def test_rewards_add_up_per_operator(ev):
    h = toy_history()
    f = fs.aggregate(h)
    node_rewards = F.Proportional()(f).rewards.sum(0)
    by_operator = pd.Series(node_rewards, index=h.nodes.operator_id).groupby(level=0).sum()
    d = ev.detail["work"]["reward_tokens"]
    np.testing.assert_allclose(d.sort_index().to_numpy(), by_operator.sort_index().to_numpy(), rtol=1e-12)


def test_gaming_measures(ev):
    sb = ev.scoreboard
    assert sb.loc["work", "sybil_gain_k2"] == pytest.approx(1.0, rel=1e-12)
    assert sb.loc["work", "merge_gain"] == pytest.approx(1.0, rel=1e-12)
    assert sb.loc["floor", "sybil_gain_k10"] > sb.loc["floor", "sybil_gain_k2"] > 1.0
    assert sb.loc["sqrt", "sybil_gain_k2"] > 1.0 and sb.loc["sqrt", "merge_gain"] < 1.0
    assert sb.loc["work", "stake_driven_share"] == 0.0 and sb.loc["work", "compute_driven_share"] == 1.0
    assert sb.loc["stake", "stake_driven_share"] == 1.0
    # emission is worth far more than fees here: a work rule pays for fake demand, stake does not
    assert sb.loc["work", "fake_demand_gain"] > 1.0 and sb.loc["stake", "fake_demand_gain"] == 0.0


def test_winners_against_the_baseline(ev):
    assert ev.baseline == "work"
    assert ev.scoreboard.loc["work", "winners_share"] == 0.0
    assert ev.scoreboard.loc["work", "largest_loss_pct"] == 0.0
    d = ev.detail["capped"]
    assert ev.scoreboard.loc["capped", "largest_loss_pct"] == pytest.approx(-d["change_vs_baseline_pct"].min())


def test_trend_is_seeded_and_stated(ev):
    again = evaluate(toy_history(), {"work": RULES["work"]}, trend_resamples=200)
    assert again.trend.loc["work"].to_dict() == ev.trend.loc["work"].to_dict()
    assert ev.trend.loc["work", "statement"].startswith("The retail share of rewards")
    assert ev.trajectories["work"].shape == (64, 4)


def test_node_level_and_detail_limit():
    ev = evaluate(toy_history(), RULES, level="node", keep_detail=1, trend_resamples=50)
    assert list(ev.detail) == ["work"] and ev.detail["work"].index.name == "node_id"
    assert len(ev.detail["work"]) == 8


def test_summary_text(ev):
    text = ev.summary()
    assert text.count("\n") == len(RULES) - 1 and "best attack nets" in text


def test_errors():
    h = toy_history(8)
    with pytest.raises(ConfigError, match=r"level must be one of operator, node, got 'key'"):
        evaluate(h, RULES, level="key")
    with pytest.raises(ConfigError, match=r"baseline 'nope' is not one of the rules: work, stake"):
        evaluate(h, RULES, baseline="nope")
    with pytest.raises(ConfigError, match=r"evaluate needs at least one rule"):
        evaluate(h, {})
    with pytest.raises(ConfigError, match=r"not fairshare formulas: x"):
        evaluate(h, {"x": lambda f: f})
    with pytest.raises(ConfigError, match=r"sybil_k must be whole numbers >= 2"):
        evaluate(h, RULES, sybil_k=(1,))


def test_list_of_rules_gets_names():
    ev = evaluate(toy_history(8), [F.Proportional(), F.Proportional(on="tasks")], trend_resamples=20)
    assert list(ev.scoreboard.index) == ["proportional", "proportional_1"]


def test_batched_linear_equals_replaying_each_rule():
    rng = np.random.default_rng(3)
    names = ["work", "stake", "identity_floor", "availability", "small_task_work", "fees", "verified_work_tee"]
    rules = {}
    for i in range(6):
        w = rng.dirichlet(np.ones(len(names)) * 0.7)
        rules[f"r{i}"] = F.Linear(dict(zip(names, w / w.sum())))
    rules["floor"] = F.FloorPlusProportional(0.25)
    h = toy_history(40)
    fast = evaluate(h, rules, batch_linear=True, keep_detail=2, trend_resamples=100)
    slow = evaluate(h, rules, batch_linear=False, trend_resamples=100)
    pd.testing.assert_frame_equal(fast.scoreboard, slow.scoreboard, check_exact=False, rtol=1e-9, atol=1e-12)
    for name in rules:
        for col in ("hhi", "retail_share"):
            np.testing.assert_allclose(fast.trajectories[name][col], slow.trajectories[name][col], rtol=1e-9)
    pd.testing.assert_frame_equal(fast.trend, slow.trend, check_exact=False, rtol=1e-9)
    assert list(fast.detail) == ["r0", "r1"]
    assert fast.trajectories["r5"]["gini"].isna().all() and fast.trajectories["r0"]["gini"].notna().any()


@pytest.mark.parametrize("name", sorted(F.COMPONENTS))
def test_closed_form_split_and_merge_equal_replays(name):
    from fairshare.evaluation.gaming import merge_pair, merge_rewards, split_rewards
    from fairshare.evaluation.linear import single_component_merge, single_component_split

    f = fs.aggregate(toy_history(20))
    rule = F.Linear({name: 1.0})
    for op in range(len(f.operator_ids)):
        for k in (2, 10):
            np.testing.assert_allclose(single_component_split(f, name, k, op), split_rewards(rule, f, k, op),
                                       rtol=1e-12)
    pair = merge_pair(f)
    np.testing.assert_allclose(single_component_merge(f, name, pair), merge_rewards(rule, f, pair), rtol=1e-12)


def test_features_of_another_history_are_refused():
    """Features carry their history's epochs, nodes, emission and prices, and its nodes' request counts."""
    from dataclasses import replace

    a = fs.datasets.open_inference_network(seed=0, scale="small")
    b = fs.datasets.open_inference_network(seed=1, scale="small")
    fa = fs.aggregate(a)
    rules = {"w": F.Linear({"work": 1.0})}
    with pytest.raises(ConfigError, match="token prices differ"):
        evaluate(b, rules, features=fa)
    same_market = replace(b, token_price_usd=a.token_price_usd, emission_tokens=a.emission_tokens)
    assert same_market.node_ids.equals(a.node_ids)
    with pytest.raises(ConfigError, match="request counts differ"):
        evaluate(same_market, rules, features=fa)
    assert evaluate(a, rules, features=fa).scoreboard.loc["w", "gini"] == evaluate(a, rules).scoreboard.loc["w", "gini"]


def test_features_of_other_input_files_are_refused_naming_them(tmp_path):
    """Features carry their history's input hashes: read from other files (even a streamed log, whose request
    counts are not re-read), they are a DataError naming the files that differ."""
    from fairshare.errors import DataError

    a = fs.datasets.open_inference_network(seed=0, scale="small")
    a.write(tmp_path / "a")
    changed = a.tasks.copy()
    changed.loc[changed.index[0], "output_tokens"] += 1
    fs.History.from_frames(nodes=a.nodes, tasks=changed, market=a.market).write(tmp_path / "b")
    fa = fs.aggregate(fs.History.read(tmp_path / "a"))
    with pytest.raises(DataError, match=r"other input files.*tasks"):
        evaluate(fs.History.read(tmp_path / "b", stream=True), {"w": F.Linear({"work": 1.0})}, features=fa)


@pytest.mark.parametrize("kwargs, match", [(dict(sybil_sample=0), "sybil_sample"), (dict(sybil_k=(2, 2.5)), "sybil_k"),
                                           (dict(identity_cost_usd=-1.0), "identity_cost_usd"),
                                           (dict(attack_costs="cheap"), "AttackCosts"),
                                           (dict(trend_resamples=0), "trend_resamples"),
                                           (dict(trend_resamples=True), "trend_resamples")])
def test_evaluation_settings_are_checked(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        evaluate(toy_history(8), F.STATUS_QUO, **kwargs)


def test_swapped_or_string_arguments_are_typed_errors():
    from fairshare.errors import FormulaError
    from fairshare.optimization import MinWeight

    with pytest.raises(FormulaError, match="share_cap"):
        F.Capped("0.02")
    with pytest.raises(ConfigError, match="wrong order"):
        MinWeight("work", 0.8)
