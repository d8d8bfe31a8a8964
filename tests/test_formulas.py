"""Invariants of every registered reward formula (DESIGN.md "Invariants"), plus known answers."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fairshare as fs
from fairshare import formulas as F
from fairshare.errors import FormulaError
from fairshare.evaluation.gaming import _columns, merge_pair, merge_rewards, split_rewards
from tests.builders import market_frame, nodes_frame, task_logs, tasks_frame

pytestmark = pytest.mark.property

COMPONENT = st.sampled_from(sorted(F.COMPONENTS))


def floats(low, high):
    """Parameters in [low, high]; no subnormals (they underflow to zero, as no token amount does)."""
    return st.floats(low, high, allow_nan=False, allow_subnormal=False)


EXPONENT = floats(0.0, 2.0)
SHARE = floats(0.05, 1.0)


def _linear_weights():
    return st.dictionaries(COMPONENT, floats(0.01, 1.0), min_size=1, max_size=4).map(
        lambda w: {c: v / sum(w.values()) for c, v in w.items()})


BASES = st.one_of(st.builds(F.Proportional, on=COMPONENT), st.builds(F.Power, exponent=EXPONENT),
                  st.builds(F.Linear, weights=_linear_weights()))

#: One strategy per registered rule; test_every_rule_has_a_strategy keeps this complete.
RULES = {
    "proportional": st.builds(F.Proportional, on=COMPONENT),
    "per_task": st.just(F.PerTask()),
    "stake_weighted": st.just(F.StakeWeighted()),
    "cobb_douglas": st.builds(F.CobbDouglas, work_exponent=EXPONENT, stake_exponent=EXPONENT),
    "power": st.builds(F.Power, exponent=EXPONENT, on=COMPONENT),
    "verification_weighted": st.builds(F.VerificationWeighted, multipliers=st.fixed_dictionaries(
        {m: floats(0, 5) for m in ("vanilla", "tee", "zkml")})),
    "small_task_bonus": st.builds(F.SmallTaskBonus, bonus=floats(0, 5)),
    "linear": st.builds(F.Linear, weights=_linear_weights()),
    "floor_plus_proportional": st.builds(F.FloorPlusProportional, floor_share=floats(0, 1), on=COMPONENT),
    "capped": st.builds(F.Capped, share_cap=SHARE, base=BASES),
    "fee_linked_cap": st.builds(F.FeeLinkedCap, k=floats(0, 1e6), base=BASES, redistribute=st.booleans()),
    # Protocol presets (fairshare/presets): extra inputs are keyed by the test histories' node ids n0..n5.
    "yuma_consensus": st.builds(
        fs.presets.YumaConsensus,
        weights=st.one_of(
            st.none(),
            st.fixed_dictionaries({v: st.fixed_dictionaries({f"n{i}": floats(0, 1) for i in range(6)})
                                   for v in ("v0", "v1", "v2")}).map(lambda d: pd.DataFrame.from_dict(d, "index")),
            st.lists(st.tuples(st.sampled_from(["v0", "v1", "v2"]), st.sampled_from([f"n{i}" for i in range(6)]),
                               floats(0, 1), st.integers(-3, 6)), max_size=12).map(
                lambda rows: pd.DataFrame([("v0", "n0", 1.0, -3), *rows],
                                          columns=["validator", "node_id", "weight", "epoch"]).drop_duplicates(
                    ["epoch", "validator", "node_id"]))),
        validator_stake=st.one_of(st.none(), st.fixed_dictionaries(
            {v: floats(0, 100) for v in ("v0", "v1", "v2")}).map(pd.Series)),
        kappa=floats(0, 1), alpha=floats(0, 1), bonds_penalty=floats(0, 1), validator_share=floats(0, 1),
        owner_share=floats(0, 1)),
    "livepeer_stake": st.builds(fs.presets.LivepeerStake, random_share=floats(0, 1),
                                active_set_size=st.one_of(st.none(), st.integers(1, 6))),
    "render_availability": st.builds(
        fs.presets.RenderAvailability, work_share=floats(0, 1), work_on=COMPONENT, free_nodes=st.integers(0, 3),
        decay_rate=floats(0, 3), decay=st.sampled_from(["additional", "all"]),
        quality=st.one_of(st.none(), st.fixed_dictionaries({f"n{i}": floats(0, 5) for i in range(6)}).map(pd.Series))),
    "helium_density": st.one_of(
        st.builds(fs.presets.HeliumDensity,
                  regions=st.fixed_dictionaries({f"n{i}": st.sampled_from("abc") for i in range(6)}).map(pd.Series),
                  on=COMPONENT, density_tgt=st.sampled_from([0.5, 1.0, 2.0]), density_max=st.sampled_from([2.0, 4.0]),
                  n_siblings=st.integers(0, 3)),
        st.builds(fs.presets.HeliumDensity,
                  regions=st.fixed_dictionaries({f"n{i}": st.sampled_from(["a1", "a2", "b1"]) for i in range(6)}).map(
                      lambda d: pd.DataFrame({"city": pd.Series(d), "country": pd.Series(d).str[0]})),
                  density_tgt=st.sampled_from([1.0, (1.0, 2.0)]), density_max=st.just(4.0))),
    "cardano_saturation": st.builds(
        fs.presets.CardanoSaturation, k=st.integers(1, 8), a0=floats(0, 2),
        pledge=st.one_of(st.none(), st.fixed_dictionaries({f"n{i}": floats(0, 40) for i in range(6)}).map(pd.Series))),
    "atomone_nakamoto_bonus": st.builds(fs.presets.AtomOneNakamotoBonus, eta=floats(0, 1),
                                        adjust_every=st.one_of(st.none(), st.integers(1, 3)), eta_step=floats(0, 1)),
    "opengradient_staking": st.builds(fs.presets.OpenGradientStaking, share_cap=floats(0.01, 1),
                                      raise_to_equal_share=st.booleans()),
    "render_compute_rnp019": st.builds(
        fs.presets.RenderComputeRewards, job_tokens=floats(0, 1e5), availability_tokens=floats(0, 1e5),
        multiplier=st.one_of(st.none(),
                             st.fixed_dictionaries({f"n{i}": floats(0, 3) for i in range(6)}).map(pd.Series))),
    "gonka_compute_weighted": st.builds(
        fs.presets.GonkaComputeWeighted, max_missed=floats(0, 1),
        poc_weight=st.one_of(st.none(),
                             st.fixed_dictionaries({f"n{i}": floats(0, 500) for i in range(6)}).map(pd.Series)),
        missed=st.one_of(st.none(), st.fixed_dictionaries({f"n{i}": floats(0, 1) for i in range(6)}).map(pd.Series))),
}
ANY_RULE = st.sampled_from(sorted(RULES)).flatmap(lambda name: RULES[name])


@st.composite
def features(draw):
    return fs.aggregate(fs.History.from_frames(*draw(task_logs(max_nodes=6, max_epochs=4, max_rows=25))))


def test_every_rule_has_a_strategy():
    assert set(F.REGISTRY) <= set(RULES), f"add strategies for {sorted(set(F.REGISTRY) - set(RULES))}"


@settings(max_examples=80)
@given(ANY_RULE, features())
def test_budget_and_integer_payouts(rule, f):
    a = rule(f)
    assert a.rewards.shape == f.shape and np.isfinite(a.rewards).all() and (a.rewards >= 0).all()
    assert (a.unallocated >= -1e-9 * f.emission_tokens).all()
    np.testing.assert_allclose(a.rewards.sum(axis=1) + a.unallocated, f.emission_tokens, rtol=1e-9)
    units = a.base_units(6)
    np.testing.assert_array_equal(units.sum(axis=1), np.rint(a.allocated * 1e6))
    assert (units >= 0).all()


@settings(max_examples=15)
@given(ANY_RULE, features())
def test_integer_payouts_at_18_decimals_are_exact(rule, f):
    a = rule(f)
    units = a.base_units(18)
    from fractions import Fraction
    for e in range(f.shape[0]):
        assert sum(units[e]) == round(Fraction(float(a.allocated[e])) * 10**18)


@settings(max_examples=50)
@given(ANY_RULE, features(), st.randoms(use_true_random=False))
def test_anonymity(rule, f, rnd):
    perm = np.arange(f.shape[1])
    rnd.shuffle(perm)
    a, b = rule(f), rule(_columns(f, perm))
    np.testing.assert_allclose(b.rewards, a.rewards[:, perm], rtol=1e-12, atol=1e-9)


@settings(max_examples=50)
@given(ANY_RULE, features(), st.integers(0, 5), floats(0.01, 3.0))
def test_monotone_in_verified_work(rule, f, node, bump):
    if not rule.monotone:
        return
    node = node % f.shape[1]
    more = {q: np.array(getattr(f, q)) for q in ("work_units", "work_vanilla", "work_tee", "work_zkml",
                                                  "small_task_work", "large_task_work")}
    for a in more.values():
        a[:, node] *= 1.0 + bump
    from dataclasses import replace
    before, after = rule(f).rewards[:, node], rule(replace(f, **more)).rewards[:, node]
    assert (after >= before - 1e-9 * np.maximum(f.emission_tokens, 1.0)).all()


@settings(max_examples=60)
@given(ANY_RULE, features(), st.sampled_from([2, 3, 10]))
def test_declared_sybil_and_merge_behaviour(rule, f, k):
    """Neutral: equal to 1e-9 relative plus 1e-12 of the emission (caps subtract from the epoch budget)."""
    slack = 1e-12 * f.emission_tokens.sum()
    for op in np.unique(f.entity_operator):
        before, after = split_rewards(rule, f, k, op)
        check(rule.sybil(), before, after, slack)
    pair = merge_pair(f)
    if pair is not None:
        before, after = merge_rewards(rule, f, pair)
        check(rule.merging(), before, after, slack)


def check(declared: str, before: float, after: float, slack: float) -> None:
    if declared == "neutral":
        assert abs(after - before) <= 1e-9 * before + slack
    elif declared == "rewarded":
        assert after >= before * (1 - 1e-9) - slack
    elif declared == "penalised":
        assert after <= before * (1 + 1e-9) + slack


@settings(max_examples=40)
@given(floats(0, 100), features(), BASES, st.booleans())
def test_fee_linked_cap_bounds_emission_per_fee_dollar(k, f, base, redistribute):
    a = F.FeeLinkedCap(k, base=base, redistribute=redistribute)(f)
    value = a.rewards * f.token_price_usd[:, None]
    assert (value <= k * f.fees_usd * (1 + 1e-9) + 1e-12).all()


def test_fee_linked_cap_at_a_zero_price_pays_finite_rewards_by_the_base_rule():
    # At price 0 every fee cap is infinite: the base rule pays as it would alone (the fill once paid NaN here).
    market = market_frame()
    market["token_price_usd"] = 0.0
    f = fs.aggregate(fs.History.from_frames(nodes_frame(4), tasks_frame(), market))
    a = F.FeeLinkedCap(1.0, base=F.Proportional(), redistribute=True)(f)
    base = F.Proportional()(f)
    assert np.isfinite(a.rewards).all()
    np.testing.assert_allclose(a.rewards, base.rewards, rtol=1e-12)
    np.testing.assert_allclose(a.rewards.sum(axis=1) + a.unallocated, f.emission_tokens, rtol=1e-12)


def small_features():
    return fs.aggregate(fs.History.from_frames(nodes_frame(4), tasks_frame(), market_frame()))


def test_known_answers():
    f = small_features()
    work = f.work_units
    a = F.Proportional()(f)
    np.testing.assert_allclose(a.rewards, work / work.sum(1, keepdims=True) * f.emission_tokens[:, None])
    capped = F.Capped(0.3)(f)
    # epoch 0: node 1 holds 74.7% of the work, so it is capped at 30%; node 0 (25.3%) is capped too;
    # 40% of the emission cannot be placed with only two working nodes.
    np.testing.assert_allclose(capped.rewards[0], [0.3 * 34_246, 0.3 * 34_246, 0, 0])
    assert capped.unallocated[0] == pytest.approx(0.4 * 34_246)
    floor = F.FloorPlusProportional(0.2)(f)
    np.testing.assert_allclose(floor.rewards[0], (0.1 * 34_246 + 0.8 * a.rewards[0]) * (work[0] > 0))
    linear = F.Linear({"work": 0.6, "verified_work_zkml": 0.4})(f)
    assert linear.unallocated[0] == pytest.approx(0.4 * 34_246)  # no zkml work in epoch 0
    assert linear.unallocated[2] == 0.0


def test_capped_redistributes_exactly():
    from fairshare._kernels.waterfill import capped_proportional

    rewards, left = capped_proportional(np.array([[10.0, 20.0, 30.0, 40.0]]), np.full((1, 4), 30.0),
                                        np.array([100.0]))
    # 40 is capped at 30; 70 left over scores 10:20:30 would give the third 35 > 30, so it is capped
    # too, and the last 40 goes 1:2 to the first two.
    np.testing.assert_allclose(rewards[0], [40 / 3, 80 / 3, 30.0, 30.0])
    assert left[0] == 0.0


def test_formula_errors():
    with pytest.raises(FormulaError, match=r"Linear weights must sum to 1 \(the whole emission\), got 0\.5"):
        F.Linear({"work": 0.5})
    with pytest.raises(FormulaError, match=r"unknown component 'gpu'; the components are: work, verified_work_tee"):
        F.Proportional(on="gpu")
    with pytest.raises(FormulaError, match=r"Capped share_cap must be in \(0, 1\], got 0"):
        F.Capped(0.0)
    with pytest.raises(FormulaError, match=r"Power exponent must be a finite number >= 0, got -1"):
        F.Power(-1)
    with pytest.raises(FormulaError, match=r"pays nodes: pass node-level features"):
        F.Proportional()(small_features().by_operator())


def test_user_rules_register_by_subclassing():
    from dataclasses import dataclass
    from typing import ClassVar

    @dataclass(frozen=True)
    class SquareRootOfRequests(F.ScoreFormula):
        name: ClassVar[str] = "test_sqrt_requests"

        def scores(self, features):
            return np.sqrt(features.requests)

    try:
        assert F.REGISTRY["test_sqrt_requests"] is SquareRootOfRequests
        a = SquareRootOfRequests()(small_features())
        np.testing.assert_allclose(a.rewards.sum(1), 34_246.0)
    finally:
        del F.REGISTRY["test_sqrt_requests"]


def test_base_units_known_example():
    rewards = np.array([[1 / 3, 1 / 3, 1 / 3], [0.5, 0.25, 0.25]])
    units = F.to_base_units(rewards, np.array([1.0, 1.0]), decimals=0)
    np.testing.assert_array_equal(units, [[1, 0, 0], [1, 0, 0]])
    units = F.to_base_units(rewards, np.array([1.0, 1.0]), decimals=1)
    np.testing.assert_array_equal(units, [[4, 3, 3], [5, 3, 2]])
    assert pd.Series(units.sum(1)).tolist() == [10, 10]


# --------------------------------------------------------------------------- rules from plain tables (TOML)


def test_rules_from_tables_nest_and_check_every_key():
    from fairshare.errors import ConfigError
    from fairshare.formulas.base import formula_from_spec

    status_quo = {"name": "linear", "params": {"weights": {"stake": 0.5, "work": 0.5}}}
    rule = formula_from_spec({"name": "capped", "params": {"share_cap": 0.02, "base": status_quo}})
    assert isinstance(rule, F.Capped) and rule.share_cap == 0.02 and rule.base.weights == {"stake": 0.5, "work": 0.5}
    tagged = formula_from_spec({"name": "capped", "params": {"base": {"__formula__": status_quo}}})
    assert tagged.base.weights == rule.base.weights  # the form saved results use also loads
    assert formula_from_spec({"name": "proportional"}) == F.Proportional()
    f = small_features()
    np.testing.assert_array_equal(rule(f).rewards, F.Capped(0.02, base=F.STATUS_QUO)(f).rewards)
    cases = [({"name": "capped", "param": {}},
              "x: unknown key 'param' \\(did you mean 'params'\\?\\); allowed: name, params"),
             ({"name": "capped", "params": 5}, "x: params must be a table .* got 5 \\(a int\\)"),
             ({"params": {}}, "x: needs a name"),
             ({"name": "caped"}, "x: name 'caped' is not a rule .* \\(did you mean 'capped'\\?\\)"),
             ({"name": "capped", "params": {"share_cop": 0.1}},
              "x params: unknown parameter of 'capped' 'share_cop' \\(did you mean 'share_cap'\\?\\)"),
             ({"name": "capped", "params": {"base": {"name": "linear", "parms": {}}}},
              "x params.base: unknown key 'parms' \\(did you mean 'params'\\?\\)"),
             ("capped", "x: a rule is a table with name and params")]
    for spec, match in cases:
        with pytest.raises(ConfigError, match=match):
            formula_from_spec(spec, "x")
    with pytest.raises(FormulaError, match="^x: Linear weights must be a mapping"):
        formula_from_spec({"name": "linear", "params": {"weights": "abc"}}, "x")
    with pytest.raises(FormulaError, match="^x params.base: Capped share_cap must be a finite number"):
        formula_from_spec({"name": "capped", "params": {"base": {"name": "capped", "params": {"share_cap": "1"}}}},
                          "x")
