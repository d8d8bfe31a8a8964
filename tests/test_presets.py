"""Protocol presets against worked examples from their own public sources.

Each test names its source. Property tests over every preset (budget, integer
payouts, anonymity, monotonicity, declared Sybil behaviour) run in
tests/test_formulas.py through the ``RULES`` strategies.
"""

import importlib.util
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fairshare as fs
from fairshare import presets as P
from fairshare.errors import FormulaError
from tests.builders import market_frame, nodes_frame, tasks_frame

E = 34_246.0  # emission per epoch of tests.builders.market_frame

REPO = Path(__file__).resolve().parents[1]
REAL = Path(__file__).resolve().parent / "data" / "real"  # provenance and licences: data/real/README.md


def small_features(n=4):
    return fs.aggregate(fs.History.from_frames(nodes_frame(n), tasks_frame(), market_frame()))


# ---------------------------------------------------------------------------------------------------------------
# Bittensor Yuma consensus


def test_stake_weighted_median_matches_subtensor_math_tests():
    # opentensor/subtensor pallets/subtensor/src/tests/math.rs, test_math_weighted_median_col.
    W = np.array([[0, 0.1, 0], [0, 0.2, 0.4], [0, 0.3, 0.1], [0, 0.4, 0.5]])
    S = np.array([0, 0.75, 0.25, 0])
    np.testing.assert_allclose(P.stake_weighted_median(S, W, 0.24), [0, 0.3, 0.4])
    np.testing.assert_allclose(P.stake_weighted_median(S, W, 0.26), [0, 0.2, 0.4])
    np.testing.assert_allclose(P.stake_weighted_median(S, W, 0.76), [0, 0.2, 0.1])
    W = np.array([[0, 0.1, 0], [0, 0.2, 0.4], [0, 0.3, 0.1], [0, 0, 0.5]])
    np.testing.assert_allclose(P.stake_weighted_median([0, 0.3, 0.2, 0.5], W, 0.51), [0, 0, 0.4])
    np.testing.assert_array_equal(P.stake_weighted_median([0, 0], np.zeros((2, 2)), 0.5), [0, 0])


# opentensor/subtensor pallets/subtensor/tests/epoch.rs, test_bonds, commit 028566f2ce15090b98289c88ae19b152fc04b938:
# validators 1-4 with stake 1, 2, 3, 4 set u16 weights (16383, 32767, 49149, 65535) on servers 1-4; the chain prints
# every intermediate of each epoch. The chain stores bonds as u16 between epochs, so agreement is to about 2e-5.
U16 = np.array([16383, 32767, 49149, 65535.0])
STAKE = np.array([1.0, 2, 3, 4])
TOL = dict(rtol=0, atol=5e-5)


def _bonds_sequence():
    W = np.tile(U16, (4, 1))
    first = P.yuma_epoch(STAKE, W)
    outs, B = [first], first["B"]
    for silent in (1, 2, 3):  # validators 1..silent set only a self-weight, which the diagonal mask removes
        W = np.tile(U16, (4, 1))
        W[:silent] = 0
        outs.append(P.yuma_epoch(STAKE, W, B))
        B = outs[-1]["B"]
    W = np.tile(U16, (4, 1))
    W[:2] = 0
    W[2] = [0, 0, 0, 65535]  # validator 3 puts all weight on server 4
    for _ in range(4):
        outs.append(P.yuma_epoch(STAKE, W, B))
        B = outs[-1]["B"]
    return outs


def test_yuma_epoch_reproduces_subtensor_test_bonds():
    o = _bonds_sequence()
    consensus = [0.0999975584, 0.2000012207, 0.2999926754, 0.400008545]
    np.testing.assert_allclose(o[0]["consensus"], consensus, **TOL)
    np.testing.assert_allclose(o[0]["I"], [0.0999975582, 0.2000012207, 0.2999926752, 0.4000085455], **TOL)
    np.testing.assert_allclose(o[0]["B"][:, 0], [0.1, 0.2, 0.3, 0.4], **TOL)
    np.testing.assert_allclose(o[0]["E_validator"], [0.0499999989, 0.0999999992, 0.1500000006, 0.2000000011], **TOL)
    np.testing.assert_allclose(o[0]["E_miner"], [0.049998779, 0.1000006103, 0.1499963375, 0.2000042726], **TOL)
    np.testing.assert_allclose(o[1]["R"], [0.0899978022, 0.1800010982, 0.2699934072, 0.36000769], **TOL)
    np.testing.assert_allclose(o[1]["D"], [0.0899967032, 0.2022211233, 0.303334432, 0.404447741], **TOL)
    np.testing.assert_allclose(o[2]["D"], [0.0809936118, 0.1819995677, 0.3158592721, 0.421147548], **TOL)
    # Only validator 4 (40% of stake) still weights servers: nothing reaches kappa, no incentive, and the whole
    # emission goes to validators by stake; bonds carry over unchanged.
    np.testing.assert_array_equal(o[3]["consensus"], 0.0)
    np.testing.assert_array_equal(o[3]["I"], 0.0)
    np.testing.assert_allclose(o[3]["E_validator"], [0.1, 0.2, 0.3, 0.4], **TOL)
    np.testing.assert_allclose(o[3]["B"][:, 0], [0.0809909385, 0.1819998713, 0.3158601632, 0.4211490266], **TOL)
    # Validator 3's full weight on server 4 is clipped to the stake-supported 0.4 (docs: "cabal sets high weight").
    np.testing.assert_allclose(o[4]["consensus"], [0, 0, 0, 0.400008545], **TOL)
    np.testing.assert_allclose(o[4]["W_clipped"][2], [0, 0, 0, 0.400008545], **TOL)
    np.testing.assert_allclose(o[4]["R"], [0, 0, 0, 0.2800059812], **TOL)
    np.testing.assert_allclose(o[4]["T"], [0, 0, 0, 0.6087041323], **TOL)
    np.testing.assert_allclose(o[4]["validator_trust"], [0, 0, 0.400008545, 0.400008545], **TOL)
    np.testing.assert_allclose(o[4]["I"], [0, 0, 0, 1], **TOL)
    np.testing.assert_allclose(o[4]["D"], [0.0728874663, 0.1637972582, 0.3271309866, 0.4361842885], **TOL)
    np.testing.assert_allclose(o[5]["D"], [0.0655988548, 0.1474132247, 0.3372762585, 0.4497116616], **TOL)
    np.testing.assert_allclose(o[6]["D"], [0.0590361361, 0.1326722752, 0.3464062694, 0.4618853189], **TOL)
    np.testing.assert_allclose(o[7]["D"], [0.053130352, 0.1194037423, 0.3546237142, 0.472842191], **TOL)
    np.testing.assert_allclose(o[7]["E_miner"], [0, 0, 0, 0.5])


def test_yuma_epoch_bonds_penalty_and_alpha_follow_the_docs():
    # docs/consensus.md eq. (4)-(6): Wb = (1 - beta) W + beta min(W, C); dB column-normalised S * Wb; EMA with alpha.
    S = np.array([0.6, 0.4])
    W = np.array([[0.5, 0.5], [1.0, 0.0]])  # validator 2 puts all its weight on miner 1, above the 0.5 consensus
    o = P.yuma_epoch(S, W, bonds_penalty=0.0)
    np.testing.assert_allclose(o["consensus"], [0.5, 0.5])
    np.testing.assert_allclose(o["W_clipped"], [[0.5, 0.5], [0.5, 0.0]])
    np.testing.assert_allclose(o["bonds_delta"][:, 0], [0.3 / 0.7, 0.4 / 0.7])  # raw weights, beta = 0
    o = P.yuma_epoch(S, W, bonds_penalty=1.0)
    np.testing.assert_allclose(o["bonds_delta"][:, 0], [0.6, 0.4])  # clipped weights
    np.testing.assert_allclose(o["T"], [0.5 / 0.7, 1.0])
    prev = np.array([[1.0, 1.0], [0.0, 0.0]])
    o = P.yuma_epoch(S, W, prev, alpha=0.25)
    np.testing.assert_allclose(o["B"][:, 0], [0.25 * 0.6 + 0.75, 0.25 * 0.4])


def test_yuma_epoch_errors():
    with pytest.raises(FormulaError, match=r"kappa must be a finite number in \[0, 1\], got 1\.5"):
        P.yuma_epoch([1.0], [[1.0]], kappa=1.5)
    with pytest.raises(FormulaError, match=r"needs S of shape \(V,\) and W of shape \(V, M\); got \(2,\) and \(1, 2\)"):
        P.yuma_epoch([1.0, 1.0], [[1.0, 0.0]])
    with pytest.raises(FormulaError, match=r"bonds_prev must be finite, >= 0 and of shape \(1, 1\)"):
        P.yuma_epoch([1.0], [[1.0]], np.zeros((2, 2)))


def _weights_table():
    rows = [(f"v{v}", f"n{j}", float(U16[j])) for v in range(4) for j in range(4)]
    return pd.DataFrame(rows, columns=["validator", "node_id", "weight"])


def test_yuma_rule_pays_nodes_the_miner_part_and_reports_the_rest():
    f = small_features(4)
    stake = pd.Series(STAKE, index=[f"v{i}" for i in range(4)])
    rule = P.YumaConsensus(weights=_weights_table(), validator_stake=stake)
    a = rule(f)
    expected = P.yuma_epoch(STAKE, np.tile(U16, (4, 1)))
    np.testing.assert_allclose(a.rewards, E * 0.82 * np.tile(expected["E_miner"], (3, 1)), rtol=1e-12)
    split = rule.split(f)
    np.testing.assert_allclose(split.sum(axis=1), E, rtol=1e-12)
    np.testing.assert_allclose(split["owner"], 0.18 * E)
    np.testing.assert_allclose(split["validators"], 0.41 * E, rtol=1e-9)
    np.testing.assert_allclose(a.unallocated, E - a.rewards.sum(axis=1), rtol=1e-12)
    dividends = rule.validator_rewards(f)
    assert list(dividends.columns) == ["v0", "v1", "v2", "v3"]
    np.testing.assert_allclose(dividends.iloc[0], 0.41 * E * np.array([0.1, 0.2, 0.3, 0.4]), rtol=1e-6)


def test_yuma_rule_weights_persist_carry_bonds_and_mask_missing_nodes():
    f = small_features(4)
    table = pd.DataFrame({"epoch": [0, 0, 1], "validator": ["a", "b", "b"], "node_id": ["n0", "n1", "n2"],
                          "weight": [1.0, 1.0, 1.0]})
    rule = P.YumaConsensus(weights=table, validator_stake=pd.Series({"a": 3.0, "b": 1.0}), owner_share=0.0)
    a = rule(f)
    # Epoch 0: a (75%) backs n0, b backs n1; n1's support (25%) is below kappa, so only n0 has incentive.
    np.testing.assert_allclose(a.rewards[0], [0.5 * E, 0, 0, 0])
    # Epoch 2: a's weights from epoch 0 are still in force; b's epoch-1 weights replaced its epoch-0 ones.
    np.testing.assert_allclose(a.rewards[2], [0.5 * E, 0, 0, 0])
    # n3 is in no validator's weights: never paid. Validator a holds all bonds on n0, so all dividends.
    assert a.rewards[:, 3].sum() == 0
    np.testing.assert_allclose(rule.validator_rewards(f)["a"], 0.5 * E)


def test_yuma_rule_with_work_weights_pays_the_work_share():
    f = small_features(4)
    a = P.YumaConsensus()(f)
    work = f.work_units
    np.testing.assert_allclose(a.rewards, 0.41 * E * work / work.sum(axis=1, keepdims=True), rtol=1e-12)


def test_yuma_rule_errors():
    f = small_features(4)
    with pytest.raises(FormulaError, match=r"YumaConsensus weights names none of this history's nodes"):
        P.YumaConsensus(weights=pd.DataFrame({"validator": ["v"], "node_id": [7], "weight": [1.0]}))(f)
    stake = pd.DataFrame({"v": [1.0]}, index=[0])
    with pytest.raises(FormulaError, match=r"validator_stake has no row for epoch 1"):
        P.YumaConsensus(weights=pd.DataFrame({"n0": [1.0]}, index=["v"]), validator_stake=stake)(f)
    with pytest.raises(FormulaError, match=r"YumaConsensus owner_share must be a finite number in \[0, 1\], got 2"):
        P.YumaConsensus(owner_share=2)
    with pytest.raises(FormulaError, match=r"repeated \(validator, node_id\) rows"):
        P.YumaConsensus(weights=pd.DataFrame({"validator": ["v", "v"], "node_id": ["n0", "n0"], "weight": [1, 2]}))


def test_example_replays_the_real_subnet_snapshot(capsys):
    spec = importlib.util.spec_from_file_location("yuma_example", REPO / "examples" / "yuma_bittensor_snapshot.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    r = example.main([str(REAL)])
    printed = capsys.readouterr().out
    assert "20 validators, 256 uids" in printed and "gini" in printed
    out = r["out"]
    assert out["I"].sum() == pytest.approx(1.0) and out["D"].sum() == pytest.approx(1.0)
    assert (out["W_clipped"] <= out["W"] + 1e-15).all()
    np.testing.assert_allclose(r["split"][["nodes", "validators", "owner"]], [0.41, 0.41, 0.18], rtol=1e-12)
    # First epoch from no bonds: dividends are the stake-weighted clipped-weight shares, so they track stake.
    assert r["dividends"].idxmax() == r["stake"].idxmax()
    # Consensus against the definition of docs/consensus.md eq. (3), evaluated directly on every miner column:
    # the largest weight level w with sum_i S_i [W_ij >= w] >= kappa (slow oracle, exact equality).
    S, W = out["S"], out["W"]
    oracle = [max(w for w in np.r_[0.0, W[:, j]] if S[W[:, j] >= w].sum() >= 0.5 * S.sum()) for j in range(W.shape[1])]
    np.testing.assert_array_equal(out["consensus"], oracle)
    assert (out["consensus"] > 0).sum() == (r["miners"] > 0).sum()


# ---------------------------------------------------------------------------------------------------------------
# Livepeer


def test_selection_probability_matches_go_livepeer():
    # livepeer/go-livepeer server/selection_algorithm_test.go, TestCalculateProbabilities ("Stake selection",
    # "Random selection").
    np.testing.assert_allclose(P.selection_probability([100, 100, 800]), [[0.1, 0.1, 0.8]])
    np.testing.assert_allclose(P.selection_probability([100, 100000, 300], 1.0), [[1 / 3] * 3])
    # calculateProbabilities with StakeWeight 0.7, RandWeight 0.3 (the forum's "30% random"): 0.7 s/S + 0.3/n.
    np.testing.assert_allclose(P.selection_probability([100, 100, 800], 0.3), [[0.17, 0.17, 0.66]])


def test_livepeer_pays_pro_rata_to_active_stake():
    # livepeer/protocol BondingManager reward: mintedTokens * orchestratorStake / totalActiveStake
    # [sources: livepeer-protocol].
    f = small_features(4)
    a = P.LivepeerStake()(f)
    np.testing.assert_allclose(a.rewards[0], E * np.array([10, 20, 30, 40]) / 100)
    a = P.LivepeerStake(random_share=0.3, active_set_size=2)(f)
    np.testing.assert_allclose(a.rewards[0], E * np.array([0, 0, 0.7 * 3 / 7 + 0.15, 0.7 * 4 / 7 + 0.15]))
    stake = replace(f, stake_tokens=np.tile([10.0, 30, 30, 40], (3, 1)))  # tie at the cut-off: both admitted
    assert P.LivepeerStake(active_set_size=2).candidates(stake)[0].tolist() == [False, True, True, True]
    with pytest.raises(FormulaError, match=r"active_set_size must be a whole number >= 1 or None, got 0"):
        P.LivepeerStake(active_set_size=0)


# ---------------------------------------------------------------------------------------------------------------
# Render


def test_wallet_decay_matches_rnp015():
    # rendernetwork/RNPs RNP-015.md (commit 4b8973dc6b286697d3aff2e54968b15b16cc1fc4), high_node_penalty.
    np.testing.assert_allclose(P.wallet_decay([1, 2, 3, 4, 5, 10]),
                               [1, 1, 1, math.exp(-0.65), math.exp(-1.3), math.exp(-0.65 * 7)])


def test_render_decay_forms_on_one_wallet():
    f = small_features(4)
    one_wallet = replace(f, entity_operator=np.zeros(4, dtype=np.int64), busy_seconds=np.zeros((3, 4)))
    ranked = P.RenderAvailability(work_share=0.0, free_nodes=2).availability_points(one_wallet)
    # Equal idle time: the four nodes tie, so each gets the mean decay of ranks 1-4.
    mean = (1 + 1 + math.exp(-0.65) + math.exp(-1.3)) / 4
    np.testing.assert_allclose(ranked[0], 86_400 * mean)
    literal = P.RenderAvailability(work_share=0.0, free_nodes=2, decay="all").availability_points(one_wallet)
    np.testing.assert_allclose(literal[0], 86_400 * math.exp(-1.3))
    busy = replace(one_wallet, busy_seconds=np.tile([0.0, 400, 300, 200], (3, 1)))
    ranked = P.RenderAvailability(free_nodes=2).availability_points(busy)[0]
    np.testing.assert_allclose(ranked, [86_400, 86_000 * math.exp(-1.3), 86_100 * math.exp(-0.65), 86_200])


def test_render_work_value_share_follows_rnp001():
    # RNP-001: an operator that did 1/10 of a job's value is attributed 1/10 of it.
    f = small_features(4)
    fees = replace(f, fees_usd=np.tile([10.0, 90, 0, 0], (3, 1)))
    a = P.RenderAvailability(work_share=0.9)(fees)
    avail = 0.1 * E * (86_400 - f.busy_seconds[0]) / (4 * 86_400 - f.busy_seconds[0].sum())
    np.testing.assert_allclose(a.rewards[0], 0.9 * E * np.array([0.1, 0.9, 0, 0]) + avail)
    quality = P.RenderAvailability(work_share=0.0, quality=pd.Series({"n0": 2.0, "n1": 1.0}))(f)
    assert quality.rewards[0, 2:].sum() == 0 and quality.rewards[0, 0] > quality.rewards[0, 1]
    with pytest.raises(FormulaError, match=r"decay must be 'additional' or 'all', got 'wallet'"):
        P.RenderAvailability(decay="wallet")


# ---------------------------------------------------------------------------------------------------------------
# Helium HIP-17 (helium/HIP 0017-hex-density-based-transmit-reward-scaling.md)


def test_density_limit_table_of_hip17():
    # "Example thresholds for N=2, Density_tgt = 1": limit 100% 100% 100% 200% 300% 400% 400% 400% for n = 0..7.
    np.testing.assert_array_equal(P.density_limit(np.arange(8), 1, 4, 2), [1, 1, 1, 2, 3, 4, 4, 4])


def _hexes(counts):
    """One-level hierarchy: ``counts[h]`` counted nodes in hex h, all hexes siblings under one parent."""
    codes = np.repeat(np.arange(len(counts)), counts)
    return [codes], [np.zeros(len(counts), dtype=np.int64)], np.ones(codes.size, dtype=bool)


@pytest.mark.parametrize("counts,parent", [([5], 1), ([5, 1], 2), ([5, 4, 1], 5), ([5, 1, 4, 1, 2, 2, 2], 16)])
def test_hip17_example_topologies(counts, parent):
    # HIP-17 examples 1-4 (figures example_1/2/3/7_hex.svg): R=8, N=2, Density_tgt=1, Density_max=4; the parent's
    # density is the sum of its children's clipped densities (example 3: 5 and 4 clip to 2, so 2 + 2 + 1 = 5;
    # example 4: 7 occupied hexes, limit 4, so 4+1+4+1+2+2+2 = 16).
    codes, parents, counted = _hexes(counts)
    scale = P.density_scale(codes, parents, counted, (1.0,), (4.0,), (2,))
    clipped = np.bincount(codes[0], weights=scale)  # each node's scale is clipped/unclipped of its hex
    assert clipped.sum() == pytest.approx(parent)


def test_hip17_worked_hotspot_scale():
    # HIP-17: "8828361563fffff h3res:8 has density clipped/unclipped of 4/61" then "872836156ffffff h3res:7 ... 27/27",
    # then res 6 "49/106": scale 1.000 -> 0.066 -> 0.066 -> 0.030. Our res-8 hexes: the hotspot's (61 nodes) and six
    # siblings (5, 5, 5, 5, 5, 3 nodes) under one res-7 hex; seven occupied, so the limit is min(4, 6) = 4 and the
    # res-7 density is 4 * 6 + 3 = 27, unclipped at res 7 (target 30).
    counts = [61, 5, 5, 5, 5, 5, 3]
    fine = np.repeat(np.arange(7), counts)
    scale = P.density_scale([fine, np.zeros_like(fine)], [np.zeros(7, dtype=np.int64), np.zeros(1, dtype=np.int64)],
                            np.ones(fine.size, dtype=bool), (1.0, 30.0), (4.0, 100.0), (2, 2))
    assert scale[0] == pytest.approx(4 / 61) and round(scale[0], 3) == 0.066
    assert round(4 / 61 * 27 / 27 * 49 / 106, 3) == 0.030


def test_helium_rule_scales_crowded_regions_and_skips_unknown_nodes():
    f = replace(small_features(4), work_units=np.ones((3, 4)))
    regions = pd.Series({"n0": "sf", "n1": "sf", "n2": "sf", "n3": "modesto"})
    a = P.HeliumDensity(regions)(f)
    # Two occupied regions (n = 2 = N): limit 1 each, so each sf node scales 1/3 and the modesto node 1.
    np.testing.assert_allclose(a.rewards[0], E * np.array([1, 1, 1, 3]) / 6)
    b = P.HeliumDensity(regions.drop("n3"))(f)
    np.testing.assert_allclose(b.rewards[0], E * np.array([1, 1, 1, 0]) / 3)
    with pytest.raises(FormulaError, match=r"region 'sf' at level 0 lies in more than one region"):
        P.HeliumDensity(pd.DataFrame({"city": ["sf", "sf"], "country": ["us", "mx"]}, index=["n0", "n1"]))
    with pytest.raises(FormulaError, match=r"needs 0 < density_tgt <= density_max at every level"):
        P.HeliumDensity(regions, density_tgt=5.0, density_max=4.0)


# ---------------------------------------------------------------------------------------------------------------
# Cardano (docs.cardano.org "Pledging and rewards"; forum.cardano.org threads cited per test)


def test_pool_reward_matches_cardano_worked_figures():
    k, z0 = 500, 1 / 500
    # forum.cardano.org/t/stake-rewards-formula/49473: with a0 = 0.3 a pool without pledge earns 1/1.3 = 76.92% of
    # the per-stake maximum, which only a saturated private pool (pledge = stake = z0) reaches.
    assert P.pool_reward(z0, z0, k, 0.3) == pytest.approx(z0)
    assert P.pool_reward(z0, 0.0, k, 0.3) / z0 == pytest.approx(1 / 1.3) == pytest.approx(0.7692, abs=1e-4)
    # Cardano forum "Understanding Shelley reward formula" (2020): with a0 = 5 a saturated private pool earns 6
    # times more per staked ADA than a small private pool.
    small = 1e-7 * z0
    ratio = (P.pool_reward(z0, z0, k, 5.0) / z0) / (P.pool_reward(small, small, k, 5.0) / small)
    assert ratio == pytest.approx(6.0, rel=1e-6)
    # Saturation: a pool at 125% of saturation earns what a saturated one does, so per ADA 1/1.25 as much.
    assert P.pool_reward(1.25 * z0, 0.0, k, 0.0) / (1.25 * z0) == pytest.approx(1 / 1.25)


def test_cardano_rule_returns_saturated_stake_to_the_reserve():
    f = small_features(4)  # stakes 10, 20, 30, 40
    a = P.CardanoSaturation(k=4)(f)  # z0 = 25%: nodes 2 and 3 are over-saturated
    np.testing.assert_allclose(a.rewards[0], E * np.array([0.1, 0.2, 0.25, 0.25]))
    np.testing.assert_allclose(a.unallocated[0], 0.2 * E)
    pledged = P.CardanoSaturation(k=4, a0=0.3, pledge=pd.Series({"n0": 10.0, "n1": 25.0}))(f)
    assert pledged.rewards[0, 1] == 0  # pledge 25 above stake 20: not honoured, no rewards
    np.testing.assert_allclose(pledged.rewards[0, 0], P.pool_reward(0.1, 0.1, 4, 0.3) * E)
    with pytest.raises(FormulaError, match=r"CardanoSaturation k must be a whole number >= 1, got 0"):
        P.CardanoSaturation(k=0)


# ---------------------------------------------------------------------------------------------------------------
# AtomOne (atomone-hub/atomone ADR-004, commit 4a932014498d00ff6ec474444986a573c9763448; keeper/eta.go)


def test_nakamoto_bonus_formula_of_adr004():
    f = replace(small_features(3), stake_tokens=np.tile([60.0, 30, 10], (3, 1)))
    a = P.AtomOneNakamotoBonus(eta=0.03)(f)
    # r_j = x_j / S * PR + NB / N with NB = 0.03 R, PR = 0.97 R.
    np.testing.assert_allclose(a.rewards[0], E * (0.97 * np.array([0.6, 0.3, 0.1]) + 0.01))
    rps = a.rewards[0] / np.array([60.0, 30, 10])
    assert rps[0] < rps[1] < rps[2]  # "reduce RPS in validators having higher stake"
    # ADR-004 "Sybil attack": y instances keep the proportional part and earn y bonuses (N held fixed there).
    split = replace(f, stake_tokens=np.tile([30.0, 30, 30, 10], (3, 1)), active=np.ones((3, 4)),
                    entity_ids=pd.Index(["a", "a2", "b", "c"]), entity_operator=np.array([0, 0, 1, 2]),
                    node_count=np.ones(4, dtype=np.int64),
                    **{q: np.zeros((3, 4)) for q in ("work_units", "online_seconds", "fees_usd", "busy_seconds")})
    b = P.AtomOneNakamotoBonus(eta=0.03)(split)
    np.testing.assert_allclose(b.rewards[0, :2].sum(), E * (0.97 * 0.6 + 2 * 0.03 / 4))


def test_adjust_eta_matches_atomone_eta_tests():
    # x/distribution/keeper/eta_test.go (commit 553168a6a6579e1eecc7a6b10b94c101873e6b84).
    assert P.adjust_eta(0.03, [100, 100, 10]) == pytest.approx(0.06)  # TestAdjustEta_Increase: 100 / 10 >= 3
    assert P.adjust_eta(0.03, [20, 20, 10]) == 0.0  # TestAdjustEta_Decrease: 20 / 10 < 3
    assert P.adjust_eta(0.0, [20, 20, 10]) == 0.0  # TestAdjustEta_ClampZero
    assert P.adjust_eta(1.0, [100, 100, 10]) == 1.0  # TestAdjustEta_ClampOne
    assert P.adjust_eta(0.03, [10, 10]) == 0.03  # TestAdjustEta_NotEnoughValidators
    assert P.adjust_eta(0.5, [5.0] * 99 + [1.0]) == pytest.approx(0.47)  # 99 validators: thirds of 33 each


def test_eta_path_updates_on_multiples_of_the_interval():
    f = replace(small_features(3), stake_tokens=np.tile([100.0, 100, 10], (3, 1)))
    path = P.AtomOneNakamotoBonus(eta=0.03, adjust_every=2).eta_path(f)
    np.testing.assert_allclose(path.to_numpy(), [0.06, 0.06, 0.09])  # epochs 0 and 2 update
    with pytest.raises(FormulaError, match=r"adjust_every must be a whole number >= 1 or None, got 0"):
        P.AtomOneNakamotoBonus(adjust_every=0)


# ---------------------------------------------------------------------------------------------------------------
# OpenGradient (OpenGradient/og-evm contracts/solidity/StakedBondVault.sol,
# commit 0a9706d3f4ac29f7f6e95f4d3fe9140b97e91405)


def test_vault_cap_matches_stakedbondvault():
    # capBps = max(ceil(10000 / numSelected), MAX_DELEGATION_BPS_PER_VALIDATOR = 3300).
    assert [P.vault_cap(n) for n in (1, 2, 3, 4, 32)] == [1.0, 0.5, 0.3334, 0.33, 0.33]


def test_opengradient_caps_one_node_and_keeps_fees_out_of_emission():
    f = replace(small_features(4), stake_tokens=np.tile([5.0, 5, 10, 80], (3, 1)))
    a = P.OpenGradientStaking(share_cap=0.33)(f)  # a what-if cap (the contracts pay uncapped)
    # n3 is capped at 33%; 67% pro rata to 5 : 5 : 10 would give n2 33.5%, so it is capped too; 34% goes 1 : 1.
    np.testing.assert_allclose(a.rewards[0], E * np.array([0.17, 0.17, 0.33, 0.33]))
    strict = P.OpenGradientStaking(share_cap=0.2, raise_to_equal_share=False)(f)
    np.testing.assert_allclose(strict.unallocated[0], 0.2 * E)  # four nodes at 20% each: 20% cannot be placed
    income = P.OpenGradientStaking(share_cap=0.33).income_usd(f)
    np.testing.assert_allclose(income, a.rewards * f.token_price_usd[:, None] + f.fees_usd)
    no_fees = P.OpenGradientStaking(share_cap=0.33)(replace(f, fees_usd=np.zeros((3, 4))))
    np.testing.assert_array_equal(no_fees.rewards, a.rewards)


def test_presets_are_registered_and_deterministic():
    names = {"yuma_consensus", "livepeer_stake", "render_availability", "helium_density", "cardano_saturation",
             "atomone_nakamoto_bonus", "opengradient_staking"}
    assert names <= set(fs.formulas.REGISTRY)
    f = small_features(4)
    stake = pd.Series(STAKE, index=[f"v{i}" for i in range(4)])
    rule = P.YumaConsensus(weights=_weights_table(), validator_stake=stake)
    np.testing.assert_array_equal(rule(f).rewards, rule(f).rewards)


# ---------------------------------------------------------------------------------------------------------------
# Yuma as the chain runs it, through the rule (the chain's own cases: tests/test_yuma_chain.py)


def test_yuma_rule_runs_the_chain_epoch_in_both_variants_and_modes():
    f = small_features(4)
    stake = pd.Series([1, 2, 3, 4], index=[f"v{i}" for i in range(4)])
    W = np.tile(U16, (4, 1))
    for variant in ("original", "yuma3"):
        for mode in ("float", "exact"):
            rule = P.YumaConsensus(weights=_weights_table(), validator_stake=stake, mode=mode, variant=variant,
                                   liquid_alpha=variant == "yuma3")
            a = rule(f)
            first = P.yuma_chain_epoch(stake.to_numpy(), P.weights_to_u16(W), variant=variant, mode=mode,
                                       bonds_moving_average=900_000, liquid_alpha=variant == "yuma3")
            np.testing.assert_allclose(a.rewards[0], 0.82 * E * first["E_server"], rtol=1e-12)
            split = rule.split(f)
            np.testing.assert_allclose(split.sum(axis=1), E, rtol=1e-12)
            assert (split["unplaced"] >= 0).all() and (split["unplaced"] < 1e-6 * E).all()
    with pytest.raises(FormulaError, match=r"mode 'docs' is original Yuma without liquid alpha"):
        P.YumaConsensus(variant="yuma3")
    with pytest.raises(FormulaError, match=r"liquid_alpha applies to variant='yuma3' only"):
        P.YumaConsensus(mode="float", liquid_alpha=True)
    with pytest.raises(FormulaError, match=r"mode 'exact' needs validator_stake in whole base units"):
        P.YumaConsensus(weights=_weights_table(), validator_stake=stake * 0.5, mode="exact")(f)


# ---------------------------------------------------------------------------------------------------------------
# Render Compute Network, RNP-019 (rendernetwork/RNPs RNP-019.md, Appendix 3 and 4)


def test_rnp019_spec_multiplier_reproduces_the_worked_examples():
    # Example 1, baseline: the RNP prints CM = 0.97 ("~1.0"): its six weights sum to 0.97, not the 1.0 it states.
    assert P.spec_multiplier() == pytest.approx(0.97, abs=1e-12)
    # Example 2, mixed upgraded: RTX 5090 1.7, 32 GB 1.33, 1600/1200 Mbps 4, 2.5/2.8 GHz 1.12, 1800 MB/s 1.28,
    # 16 cores 1.5.
    assert P.spec_multiplier(gpu=P.render.RNP019_GPU_SCORES["RTX 5090"], vram=1.33, network=4, clock=1.12,
                             memory_bandwidth=1.28, cpu=1.5) == pytest.approx(1.8098, abs=1e-12)
    # Example 3, mixed lower: network 0.25, clock 0.68, memory bandwidth 0.66.
    assert P.spec_multiplier(network=0.25, clock=0.68, memory_bandwidth=0.66) == pytest.approx(0.8047, abs=1e-12)


def test_rnp019_rewards_reproduce_the_worked_examples():
    # "10 RENDER x Multiplier x (Hours Worked / 168)", 100 hours; the RNP rounds CM to 1.0, 1.81 and 0.80 first.
    job, avail = P.rnp019_rewards([1.0, 1.81, 0.80], [100, 100, 100], [0.5, 1.0, 0.0])
    np.testing.assert_allclose(np.round(job, 2), [5.95, 10.77, 4.76])
    np.testing.assert_allclose(avail, [1.0, 2.0, 0.0])  # "2 RENDER/epoch per node, prorated by uptime (50% = 1)"
    job, _ = P.rnp019_rewards([1.8098], [100], [1.0])
    assert round(float(job[0]), 2) == 10.77  # the RNP's "10 x 1.8098 x (100/168) = 10.77" with the unrounded CM


def test_render_compute_rule_pays_the_rnp_amounts_within_the_emission():
    f = small_features(4)
    rule = P.RenderComputeRewards(multiplier=pd.Series({"n0": 1.8098, "n1": 1.0, "n2": 0.8047, "n3": 0.97}))
    amounts = rule.amounts(f)
    week = 168 * 3600.0
    cm = np.array([1.8098, 1.0, 0.8047, 0.97])
    expected = (10 * cm * f.busy_seconds / 3600 / 168 + 2 * np.minimum(f.online_seconds / week, 1)) * (f.active > 0)
    np.testing.assert_allclose(amounts, expected, rtol=1e-12)
    a = rule(f)
    np.testing.assert_allclose(a.rewards, amounts, rtol=1e-12)  # far below the emission: paid in full
    np.testing.assert_allclose(a.rewards.sum(axis=1) + a.unallocated, E, rtol=1e-12)
    small = replace(f, emission_tokens=np.full(3, 0.1))
    scaled = rule(small)  # above the emission: scaled down pro rata, nothing unallocated
    np.testing.assert_allclose(scaled.rewards.sum(axis=1), 0.1, rtol=1e-12)
    with pytest.raises(FormulaError, match=r"RNP-019 amounts exceed the emission in 3 epoch"):
        P.RenderComputeRewards(scale_to_emission=False)(small)


# ---------------------------------------------------------------------------------------------------------------
# Gonka (gonka-ai/gonka-docs docs/host/rewards.md): the hand-computed cases of GonkaComputeWeighted's docstring


def _gonka_features(online=(86_400.0, 86_400.0, 86_400.0)):
    f = small_features(3)
    return replace(f, emission_tokens=np.full(3, 323_000.0), active=np.ones((3, 3)),
                   online_seconds=np.tile(np.asarray(online), (3, 1)))


def test_gonka_hand_computed_cases():
    weights = pd.Series({"n0": 400.0, "n1": 100.0, "n2": 500.0})
    a = P.GonkaComputeWeighted(poc_weight=weights)(_gonka_features())
    np.testing.assert_allclose(a.rewards[0], [129_200, 32_300, 161_500])
    missed = P.GonkaComputeWeighted(poc_weight=weights, missed=pd.Series({"n2": 0.12}))(_gonka_features())
    np.testing.assert_allclose(missed.rewards[0], [258_400, 64_600, 0])
    at_limit = P.GonkaComputeWeighted(poc_weight=weights, missed=pd.Series({"n2": 0.10}))(_gonka_features())
    np.testing.assert_allclose(at_limit.rewards[0], [129_200, 32_300, 161_500])  # 10% keeps the reward
    half = P.GonkaComputeWeighted(poc_weight=weights)(_gonka_features((86_400.0, 43_200.0, 86_400.0)))
    np.testing.assert_allclose(half.rewards[0], [136_000, 17_000, 170_000])
    assert round(float(P.gonka_epoch_reward(1460))) == 161_443  # 323,000 x exp(-0.000475 x 1460): about half


def test_svip_validator_rewards_reuse_the_one_schedule():
    from fairshare.economics import svip_emission

    vp = pd.Series({"a": 3.0, "b": 1.0})
    out = P.svip_validator_rewards(vp, 5, activation_epoch=2)
    np.testing.assert_allclose(out.sum(axis=1), svip_emission(5, activation_epoch=2), rtol=1e-12)
    np.testing.assert_allclose(out["a"], 3 * out["b"], rtol=1e-12)
    assert out.iloc[:2].to_numpy().sum() == 0  # dormant before activation
    with pytest.raises(FormulaError, match=r"voting_power has 2 rows; give one per epoch \(5\)"):
        P.svip_validator_rewards(pd.DataFrame({"a": [1.0, 2.0]}), 5)
