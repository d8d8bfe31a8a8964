"""OpenGradient as deployed: the generator, its calibration, the SVIP schedule, the funding pool, the preset."""

from math import log

import numpy as np
import pytest

import fairshare as fs
from fairshare.economics import svip_emission, svip_rate_per_day
from fairshare.errors import ConfigError


@pytest.fixture(scope="module")
def dormant():
    return fs.datasets.opengradient_2026(seed=0, scale="small")


@pytest.fixture(scope="module")
def active():
    return fs.datasets.opengradient_2026(seed=0, scale="small", svip_activation_epoch=0)


def test_svip_schedule_is_the_code_s():
    # R0 = ln 2 / half-life x pool: 12,652 OPG a day at 15 years; year 1 = pool x (1 - 2^(-1/15)) = 4.52M
    assert svip_rate_per_day() == pytest.approx(1e8 * log(2) / (15 * 365.25))
    assert round(svip_rate_per_day()) == 12_652
    year = svip_emission(365, activation_epoch=0).sum()
    assert year == pytest.approx(1e8 * (1 - 2 ** (-365 / (15 * 365.25))), rel=1e-12)
    assert svip_emission(10).sum() == 0.0                              # dormant: nothing, as at genesis
    late = svip_emission(10, activation_epoch=4)
    assert (late[:4] == 0).all() and late[4] == svip_emission(1, activation_epoch=0)[0]
    assert svip_emission(100_000, activation_epoch=0).sum() == pytest.approx(1e8, rel=1e-5)  # the whole pool
    with pytest.raises(ConfigError, match=r"half_life_days must be at least 365.25"):
        svip_emission(3, half_life_days=100.0)
    with pytest.raises(ConfigError, match=r"activation_epoch must be None \(dormant\) or an epoch >= 0"):
        svip_emission(3, activation_epoch=-1)


def test_the_network_as_coded(dormant, active):
    roles = dormant.role_labels
    assert (roles == "validator").sum() == 4 and (roles == "gateway").sum() == 3
    assert dormant.pools.to_dict("list") == {"pool": ["svip"], "pays": ["validator"]}
    assert dormant.emission_tokens.sum() == 0.0
    np.testing.assert_array_equal(active.emission_tokens, svip_emission(30, activation_epoch=0))
    f = fs.aggregate(dormant)
    assert f.work_units.sum() == 0.0                                   # relayed closed models do no work
    np.testing.assert_array_equal(f.fees_usd, f.upstream_cost_usd)     # list prices passed upstream
    assert set(dormant.tasks["model"]) <= set(fs.datasets.opengradient.GATEWAY_MODELS)
    np.testing.assert_allclose(dormant.node_values["rent_usd_per_day"], 0.192 * 24)
    assert dormant.metadata.synthetic and dormant.metadata.baseline == "SVIP_BY_VOTING_POWER"
    assert "dormant" in dormant.metadata.description and "activated" in active.metadata.description


def test_baseline_pays_validators_by_voting_power_and_gateways_fees_only(active):
    f = fs.aggregate(active)
    paid = active.baseline(f).rewards
    roles = active.role_labels
    assert paid[:, roles == "gateway"].sum() == 0.0
    np.testing.assert_allclose(paid[:, roles == "validator"].sum(axis=1), active.emission_tokens)
    v = paid[:, roles == "validator"]
    np.testing.assert_allclose(v, np.repeat(v[:, :1], v.shape[1], axis=1))  # equal voting power


def test_cold_start_newcomers_are_never_routed_by_reputation():
    h = fs.datasets.opengradient_2026(seed=3, scale="medium", sdk_default_share=0.0)
    joined = h.nodes.set_index("node_id")["joined_epoch"]
    served = h.tasks.groupby("node_id")["requests"].sum()
    late = joined[(joined > 0) & joined.index.str.startswith("gateway")].index
    assert len(late) and served.reindex(late).fillna(0).sum() == 0
    assert h.provenance["requests_to_later_gateways"] == 0
    open_door = fs.datasets.opengradient_2026(seed=3, scale="medium", sdk_default_share=0.0, min_tier="fair")
    assert open_door.provenance["requests_to_later_gateways"] > 0   # a Fair floor admits the neutral 5,000


def test_deterministic_and_validated(dormant, tmp_path):
    again = fs.datasets.opengradient_2026(seed=0, scale="small")
    assert again.equals(dormant)
    assert not fs.datasets.opengradient_2026(seed=1, scale="small").equals(dormant)
    back = fs.History.read(dormant.write(tmp_path / "og", format="csv"))
    assert back.equals(dormant) and back.metadata == dormant.metadata
    assert list(back.role_labels) == list(dormant.role_labels)
    with pytest.raises(ConfigError, match=r"unknown option\(s\) nodes"):
        fs.datasets.opengradient_2026(seed=0, scale="small", nodes=3)
    with pytest.raises(ConfigError, match=r"validators must be 'poa' or 'permissionless'"):
        fs.datasets.opengradient_2026(seed=0, scale="small", validators="pos")


def test_permissionless_option():
    h = fs.datasets.opengradient_2026(seed=0, scale="small", validators="permissionless", svip_activation_epoch=0)
    stake = h.nodes.set_index("node_id")["stake_tokens"]
    validators = stake[stake.index.str.startswith("validator")]
    assert len(validators) == 20 and validators.sum() == pytest.approx(19e6)
    assert validators.max() > 2 * validators.median()                 # rank-size stake, not equal power


def test_calibration_table_meets_its_targets():
    table = fs.datasets.opengradient_calibration(seed=0, scale="small")
    assert table["within"].all(), table[~table["within"]]
    assert table["source"].str.len().gt(0).all()


def test_who_is_paid_today():
    today = fs.datasets.who_is_paid_today(seed=0, scale="small")
    dormant, active = today.iloc[0], today.iloc[1]
    assert dormant["emission_tokens"] == 0 and dormant["operators_paid"] == 0
    assert active["validators_share"] == 1.0 and active["gateways_share"] == 0.0
    assert active["operators_paid"] == 4 and active["hhi"] == pytest.approx(0.25)


def test_funding_pool_effect_on_the_what_if():
    h = fs.datasets.open_inference_network(seed=0, scale="small")
    ev = fs.evaluate(h, {"baseline": h.baseline, "work_only": fs.formulas.Proportional()}, trend_resamples=20)
    fx = fs.datasets.funding_pool_effect(h, ev.scoreboard)
    assert fx.loc["baseline", "security_budget_change"] == pytest.approx(0.0)
    assert fx.loc["work_only", "security_budget_change"] == pytest.approx(-1.0)   # nothing left for stakers
    assert fx.loc["baseline", "staker_yield"] == ev.scoreboard.loc["baseline", "staker_yield"]
    assert fx["funding_pool"].str.startswith("the OPG staking-rewards pool").all()


def test_preset_pays_as_the_contracts_do():
    f = fs.aggregate(fs.datasets.opengradient_2026(seed=0, scale="small", validators="permissionless",
                                                   svip_activation_epoch=0))
    a = fs.presets.OpenGradientStaking()(f)
    stake = f.stake_tokens * (f.active > 0)
    expected = f.emission_tokens[:, None] * stake / stake.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(a.rewards, expected, rtol=1e-12)      # pro rata to voting power, no cap
    assert (a.rewards / f.emission_tokens[:, None]).max() > 0.2       # the largest validator is not capped
    capped = fs.presets.OpenGradientStaking(share_cap=0.2)(f)
    assert (capped.rewards / f.emission_tokens[:, None]).max() <= 0.2 + 1e-12


def test_reports_of_both_networks_start_with_what_their_data_are(dormant):
    from fairshare.report import build_report

    ev = fs.evaluate(dormant, {"baseline": dormant.baseline}, trend_resamples=20)
    lines = build_report(dormant, ev).markdown().splitlines()
    head = "\n".join(lines[:8])
    assert lines[2].startswith("Data: opengradient_2026, synthetic") and "dormant" in lines[2]
    assert "Funding pool: svip pays validator" in head and "who receives the emission today" in head
