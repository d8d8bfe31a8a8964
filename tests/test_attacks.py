"""The attack library: closed forms equal replays, cost models, and the scoreboard's columns."""

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst

import fairshare as fs
from fairshare import attacks as at
from fairshare.errors import ConfigError
from fairshare.formulas import Linear, component

RTOL = 1e-9
COSTS = at.AttackCosts(identity_cost_usd=0.5, take_rate=0.05, gas_usd_per_request=1e-4, cost_of_capital=0.08)


@pytest.fixture(scope="module")
def small():
    h = fs.datasets.open_inference_network(seed=0, scale="small")
    return h, at.Target.build(h, COSTS)


def _closed(effect, attack, target, code):
    """The closed-form net gain of operator ``code`` (or the outsider) in ``effect``'s rows."""
    if effect.outsider:
        return 0
    if attack.attack == "merge":
        rows = np.flatnonzero(attack.pairs(target)[:, 0] == code)
    else:
        rows = np.flatnonzero(attack.attackers(target) == code)
    return int(rows[0]) if rows.size else None


def _check_rule(rule, target):
    theta = at.theta_of(rule)
    checked = 0
    for attack in at.standard_attacks(target.costs.split_k):
        effect = attack.effect(target)
        gains = effect.net_gains(theta)
        for code in ([-1] if effect.outsider else at.attacker_sample(target)):
            row = _closed(effect, attack, target, code)
            if row is None:
                continue
            replayed = at.replay_gain(rule, target, attack, int(code))
            closed = gains[row]
            if np.isnan(closed):
                assert np.isnan(replayed), (attack.label, code)
                continue
            assert replayed == pytest.approx(closed, rel=RTOL, abs=1e-12), (attack.label, code)
            checked += 1
    return checked


@pytest.mark.parametrize("weights", [{"stake": 0.5, "work": 0.5}, {"tasks": 0.9, "work": 0.1},
                                     {"availability": 0.3, "identity_floor": 0.1, "fees": 0.2, "tasks": 0.1,
                                      "verified_work_tee": 0.1, "stake": 0.2},
                                     {"small_task_work": 0.6, "verified_work_zkml": 0.4}])
def test_every_closed_form_equals_its_replay(small, weights):
    _, target = small
    assert _check_rule(Linear(weights), target) > 50


@settings(max_examples=8, deadline=None)
@given(hst.lists(hst.floats(0.0, 1.0), min_size=9, max_size=9).filter(lambda w: sum(w) > 0.1))
def test_closed_forms_equal_replays_for_random_weights(small, raw):
    _, target = small
    total = sum(raw)
    rule = Linear({c: w / total for c, w in zip(at.NAMES, raw) if w > 0})
    assert _check_rule(rule, target) > 0


def test_scoreboard_columns_equal_explicit_replays_for_every_reference_rule(small):
    """For every rule of the demo, the scoreboard's net gains are the largest explicit replay."""
    from fairshare.cli import FALLBACK_NAME, fallback_rule

    h, target = small
    rules = {**fs.formulas.reference_rules(), FALLBACK_NAME: fallback_rule()}  # the demo's rules
    board = fs.evaluate(h, rules, attack_costs=COSTS).scoreboard
    codes = at.attacker_sample(target)
    for name, rule in rules.items():
        linear = rule if isinstance(rule, Linear) else getattr(rule, "as_linear", lambda: None)()
        for family in at.FAMILIES:
            attacks = [a for a in at.standard_attacks(COSTS.split_k) if a.attack == family]
            if linear is not None:  # every working operator attacks a Linear rule
                effect_best = max(np.nanmax(np.r_[-np.inf, a.effect(target).net_gains(at.theta_of(linear))])
                                  for a in attacks)
                expected = effect_best if np.isfinite(effect_best) or effect_best == np.inf else np.nan
            else:
                gains = []
                for a in attacks:
                    for code in ([-1] if a.attackers(target).tolist() == [-1] else codes):
                        if a.attack == "merge" and not len(a.pairs(target, np.array([code]))):
                            continue
                        gains.append(at.replay_gain(rule, target, a, int(code)))
                gains = np.array(gains)
                expected = np.nanmax(gains) if np.isfinite(gains).any() or np.isinf(gains).any() else np.nan
            got = board.loc[name, f"net_gain_{family}"]
            if np.isnan(expected):
                assert np.isnan(got), (name, family)
            else:
                assert got == pytest.approx(expected, rel=RTOL), (name, family)
        best = board.loc[name, [f"net_gain_{f}" for f in at.FAMILIES]].astype(float)
        assert board.loc[name, "best_attack_net_gain"] == pytest.approx(best.max(), rel=RTOL)
        assert board.loc[name, "best_attack"].split(" ")[0] == best.idxmax().removeprefix("net_gain_")


def test_batched_scoring_gives_the_same_columns(small):
    h, _ = small
    rules = {"a": Linear({"stake": 0.5, "work": 0.5}), "b": Linear({"tasks": 0.7, "fees": 0.3}),
             "c": fs.formulas.FloorPlusProportional(0.2)}
    one = fs.evaluate(h, rules, attack_costs=COSTS, batch_linear=False).scoreboard
    batch = fs.evaluate(h, rules, attack_costs=COSTS, batch_linear=True).scoreboard
    cols = [c for c in one.columns if c.startswith("net_gain_")] + ["best_attack_net_gain"]
    np.testing.assert_allclose(one[cols].astype(float), batch[cols].astype(float), rtol=1e-12)
    assert (one["best_attack"] == batch["best_attack"]).all()


def test_proportional_rules_are_split_and_merge_neutral_at_zero_identity_cost(small):
    h, _ = small
    target = at.Target.build(h)
    for c in ("work", "stake", "tasks", "fees", "verified_work_tee"):
        cols = at.LinearAttacks(target).columns(at.theta_of(Linear({c: 1.0})))
        assert cols["net_gain_split"] == pytest.approx(1.0, rel=1e-12), c
        assert cols["net_gain_merge"] == pytest.approx(1.0, rel=1e-12), c


def test_per_key_pay_is_split_bait_until_keys_cost_enough(small):
    h, _ = small
    rule = Linear({"availability": 0.5, "work": 0.5})
    gains = [at.LinearAttacks(at.Target.build(h, at.AttackCosts(identity_cost_usd=c))).columns(at.theta_of(rule))
             for c in (0.0, 1.0, 1e4)]
    assert gains[0]["net_gain_split"] > 2.0
    assert gains[0]["net_gain_split"] > gains[1]["net_gain_split"] > gains[2]["net_gain_split"]
    assert gains[2]["net_gain_split"] < 1.0 and gains[2]["net_gain_idle_key"] < 1.0
    # with simultaneous capacity proofs the keys of one device share its time: availability stops multiplying
    shared = at.Target.build(h, at.AttackCosts(capacity_proofs="simultaneous"))
    assert at.LinearAttacks(shared).columns(at.theta_of(rule))["net_gain_split"] == pytest.approx(1.0, rel=1e-12)


def test_tiny_requests_pay_against_a_rule_paid_by_tasks(small):
    h, target = small
    board = fs.evaluate(h, {"tasks": Linear({"tasks": 0.9, "work": 0.1}), "work": Linear({"work": 1.0})},
                        attack_costs=COSTS).scoreboard
    assert board.loc["tasks", "net_gain_tiny_requests"] > 10.0
    assert board.loc["work", "net_gain_tiny_requests"] < board.loc["tasks", "net_gain_tiny_requests"] / 5


def test_tiny_requests_have_the_smallest_size_that_counts(small):
    _, target = small
    deltas, cost = at.TinyRequests().deltas(target)
    n = deltas["requests"]
    assert (n >= 0).all() and n.sum() > 0
    np.testing.assert_allclose(deltas["input_tokens"], n * COSTS.tiny_request_tokens[0])
    np.testing.assert_allclose(deltas["output_tokens"], n * COSTS.tiny_request_tokens[1])
    # it fits in the attacker's idle time
    assert (deltas["busy_seconds"] <= target.idle_seconds * (1 + 1e-12) + 1e-9).all()
    # and costs the take of its fee (which comes back), gas and electricity, nothing else
    fee = deltas["fees_usd"]
    energy = deltas["busy_seconds"] * target.busy_second_usd[None, :]
    np.testing.assert_allclose(cost, COSTS.take_rate * fee + COSTS.gas_usd_per_request * n + energy, rtol=1e-12)


def test_self_paid_fees_cost_only_take_and_gas(small):
    h, target = small
    deltas, cost = at.SelfPaidFees().deltas(target)
    np.testing.assert_allclose(cost, COSTS.take_rate * deltas["fees_usd"] + COSTS.gas_usd_per_request
                               * deltas["requests"], rtol=1e-12)
    rule = at.theta_of(Linear({"fees": 0.2, "work": 0.8}))
    free = at.LinearAttacks(at.Target.build(h)).columns(rule)  # no take, no gas: a fee paid to oneself is free
    taxed = at.LinearAttacks(at.Target.build(h, at.AttackCosts(take_rate=0.5))).columns(rule)
    assert free["net_gain_self_paid_fees"] > taxed["net_gain_self_paid_fees"] and free["net_gain_self_paid_fees"] > 1


def test_merged_key_keeps_its_devices_and_no_more(small):
    h, target = small
    attack = at.Merge()
    a, b = attack.pairs(target)[len(attack.pairs(target)) // 2]
    played = attack.replay(target, int(a))
    f, g = target.features, played.features
    members = np.isin(f.entity_operator, (a, b))
    merged = g.online_seconds[:, played.after][:, 0]
    np.testing.assert_allclose(merged, f.online_seconds[:, members].sum(axis=1))
    assert (merged <= g.node_count[played.after][0] * h.epoch_seconds + 1e-6).all()
    assert g.node_count[played.after][0] == f.node_count[members].sum()


def test_fees_pay_on_margin_not_on_pass_through(small):
    h, _ = small
    f = fs.aggregate(h)
    margin = component(f, "fees")
    np.testing.assert_array_equal(margin, np.maximum(f.fees_usd - f.upstream_cost_usd, 0.0))
    proxies = h.tier_labels == "proxy"
    assert proxies.any() and margin[:, proxies].sum() < f.fees_usd[:, proxies].sum()


def test_model_misreport_leaves_verified_work_alone(small):
    _, target = small
    deltas, cost = at.ModelMisreport().deltas(target)
    assert not cost.any() and "work_tee" not in deltas and "work_zkml" not in deltas
    assert (deltas["work_units"] >= 0).all() and deltas["work_units"].sum() > 0
    cols = at.LinearAttacks(target).columns(at.theta_of(Linear({"verified_work_tee": 1.0})))
    assert cols["net_gain_model_misreport"] == pytest.approx(1.0, rel=1e-12)


def test_custom_attacks_are_replayed_and_named(small):
    h, target = small

    def double_stake(features, attacker):
        mine = features.entity_operator == attacker
        stake = features.stake_tokens.copy()
        stake[:, mine] *= 2
        return replace(features, stake_tokens=stake), mine

    custom = at.CustomAttack("double_stake", double_stake, cost_usd=1.0)
    cols = at.attack_columns(Linear({"stake": 1.0}), target, [*at.standard_attacks(), custom])
    assert cols["net_gain_double_stake"] > 1.0
    with pytest.raises(ConfigError, match="identifier"):
        at.CustomAttack("two words", double_stake)


@pytest.mark.parametrize("bad, match", [(dict(identity_cost_usd=-1), "identity_cost_usd"),
                                        (dict(take_rate=1.5), "take_rate"),
                                        (dict(identity_cost_usd="5"), "must be a number"),
                                        (dict(capacity_proofs="none"), "capacity_proofs"),
                                        (dict(split_k=(1,)), "split_k"),
                                        (dict(tiny_request_tokens=(0, 0)), "tiny_request_tokens"),
                                        (dict(fake_share=0.0), "fake_share")])
def test_attack_costs_are_checked(bad, match):
    with pytest.raises(ConfigError, match=match):
        at.AttackCosts(**bad)


def test_no_attack_rows_agree_with_the_scoreboard(small):
    """A weight vector meets every row exactly when its best attack nets at most its cost."""
    _, target = small
    rng = np.random.default_rng(0)
    thetas = rng.dirichlet(np.ones(len(at.NAMES)) * 0.3, size=300) * (rng.random((300, len(at.NAMES))) < 0.4)
    thetas = thetas[thetas.sum(axis=1) > 0]
    thetas /= thetas.sum(axis=1, keepdims=True)
    seen = np.zeros(2, dtype=bool)
    for scale in (1.0, 1e-3, 1e-5):  # smaller emissions make more rules attack-proof
        small_target = at.Target(replace(target.features, emission_tokens=target.features.emission_tokens * scale),
                                 target.history, target.costs)
        rows = at.attack_rows(small_target)
        scored = at.LinearAttacks(small_target)
        cost = rows.cost(COSTS.identity_cost_usd, COSTS.take_rate)[:, None]
        meets = (rows.gain @ thetas.T <= cost * (1 + 1e-12) + 1e-12).all(axis=0)
        best = scored.batch(thetas)
        assert (best[meets] <= 1.0 + 1e-9).all()
        assert (best[~meets] > 1.0 - 1e-9).all()
        seen |= [meets.any(), (~meets).any()]
    assert seen.all()


def test_targets_need_node_level_features(small):
    h, target = small
    with pytest.raises(ConfigError, match="node-level"):
        at.Target(target.features.by_operator(), h, COSTS)


def test_on_a_users_history_the_proposal_survives_or_says_what_would_have_to_change():
    """A user's own history (no identity cost stated): the default problem either gives a proposal whose best
    attack nets at most its cost, or an InfeasibleError naming the identity cost, take or budget that would do."""
    from tests.test_evaluate import toy_history

    h = toy_history()
    try:
        res = fs.optimize(h, oracle=False)
    except fs.errors.InfeasibleError as err:
        text = str(err)
        assert "identity cost" in text and ("fee" in text or "budget" in text)
        assert hasattr(err, "min_identity_cost_usd") and hasattr(err, "min_take_rate")
    else:
        board = fs.evaluate(h, {"proposal": res.formula}).scoreboard
        assert board.loc["proposal", "best_attack_net_gain"] <= 1.0 + 1e-6
    # where attacks are dear enough (keys priced out, the protocol keeping every fee) a proposal exists and survives
    costs = at.AttackCosts(identity_cost_usd=1e6, take_rate=1.0)
    budget = 0.05 * float(h.emission_tokens.mean())
    res = fs.optimize(h, attack_costs=costs, budget=budget, oracle=False, constraints=[
        fs.optimization.NoAttackPays(costs), fs.optimization.Coverage(who="retail", cost="energy")])
    scaled = replace(h, emission_tokens=h.emission_tokens * (budget / float(h.emission_tokens.mean())))
    board = fs.evaluate(scaled, {"proposal": res.formula}, attack_costs=costs).scoreboard
    assert board.loc["proposal", "best_attack_net_gain"] <= 1.0 + 1e-6


def test_custom_unit_costs_become_optimiser_rows(small):
    """A custom attack with unit costs bounds the optimiser: the proposal pays at most a unit's cost per unit."""
    h, target = small

    def more_stake(features, attacker):
        return features, features.entity_operator == attacker

    custom = at.CustomAttack("cheap_stake", more_stake, unit_costs={"stake": 1e-9})
    base = fs.optimization.NoAttackPays(at.AttackCosts(identity_cost_usd=1e6, take_rate=1.0))
    bound = fs.optimization.NoAttackPays(at.AttackCosts(identity_cost_usd=1e6, take_rate=1.0), custom=(custom,))
    budget = 0.01 * float(h.emission_tokens.mean())
    kw = dict(budget=budget, objective=fs.optimization.objectives.DistanceFromProportional(to="stake"), oracle=False,
              components=["stake", "verified_work_tee"],
              status_quo={"stake": 0.5, "verified_work_tee": 0.5})
    free = fs.optimize(h, constraints=[base], **kw)
    held = fs.optimize(h, constraints=[bound], **kw)
    assert free.formula.weights.get("stake", 0.0) > 0.1  # as much stake as stake timing allows
    assert held.formula.weights.get("stake", 0.0) < 1e-4  # zero to solver tolerance
    scored = fs.optimization.NoAttackPays(custom=(at.CustomAttack("replayed", more_stake),))
    assert "replayed scored only" in scored.describe()


def test_presolved_attack_rows_give_the_same_optimum(small):
    """Dropping implied attack rows and merging the free ones changes no optimum."""
    from fairshare.optimization import EmissionProblem, NoAttackPays
    from fairshare.optimization.solve import problem_spec

    h, _ = small
    cons = [NoAttackPays(at.AttackCosts(identity_cost_usd=1e6, take_rate=0.5))]
    spec = problem_spec(h, constraints=cons, budget=0.05 * float(h.emission_tokens.mean()))
    kw = dict(allowed=spec["allowed"], status_quo=spec["status_quo"], budget_multiplier=spec["budget_multiplier"])
    fast = EmissionProblem(spec["bases"], "hhi", spec["constraints"], **kw)
    full = EmissionProblem(spec["bases"], "hhi", spec["constraints"], presolve=False, **kw)
    kept, every = (sum(len(b.data["rows"].labels) for b in p.built if "rows" in b.data) for p in (fast, full))
    assert kept < every / 5
    a, b = fast.solve(), full.solve()
    assert a.status == b.status == "optimal"
    assert a.objective == pytest.approx(b.objective, rel=1e-6, abs=1e-9)
    with pytest.raises(ConfigError, match="presolved"):
        fast.set(identity_cost_usd=1.0)


def test_every_output_says_where_the_identity_cost_comes_from(small):
    from tests.test_evaluate import toy_history

    h, _ = small
    rule = {"w": Linear({"work": 1.0})}
    assert "stated by the open_inference_network dataset" in fs.evaluate(h, rule).provenance["attack_costs"]
    assert "$2.00 per key per epoch (stated by the caller)" in fs.evaluate(
        h, rule, identity_cost_usd=2.0).provenance["attack_costs"]
    assert "not stated (0)" in fs.evaluate(toy_history(), rule).provenance["attack_costs"]


def test_a_proposal_is_scored_at_both_ends_of_its_price_band(small):
    h, _ = small
    costs = at.AttackCosts(identity_cost_usd=1e6, take_rate=1.0)
    res = fs.optimize(h, constraints=[fs.optimization.NoAttackPays(costs)], budget=20.0, price_band=(0.5, 2.0),
                      oracle=False, evaluator=lambda hh, rules: fs.evaluate(hh, rules, attack_costs=costs))
    board = res.scoreboard
    assert list(board.index) == ["status_quo", "optimum", "optimum at 0.5x the history's prices",
                                 "optimum at 2x the history's prices"]
    scaled = replace(h, emission_tokens=h.emission_tokens * (20.0 / float(h.emission_tokens.mean())))
    worst = fs.evaluate(replace(scaled, token_price_usd=scaled.token_price_usd * 2.0), {"p": res.formula},
                        attack_costs=costs).scoreboard.loc["p", "best_attack_net_gain"]
    assert worst <= 1.0 + 1e-6  # attack-proof at the band's dearest price too


def test_replayed_attack_columns_are_the_same_at_any_thread_count(small):
    from fairshare._jit import threads_limited

    h, target = small
    rule = fs.formulas.Capped(0.05)
    with threads_limited(1):
        one = at.attack_columns(rule, target)
    with threads_limited(2):
        two = at.attack_columns(rule, target)
    assert one == two
