"""The built-in network: determinism, validity, calibration against cited targets, parts and errors."""

import time
from math import exp, log

import numpy as np
import pandas as pd
import pytest

import fairshare as fs
from fairshare.datasets import archetypes, demand, supply, token
from fairshare.datasets.calibration import (
    calibration_figures,
    calibration_report,
    emission_coverage,
    expected_cost_per_day,
    network_economics,
)
from fairshare.errors import ConfigError
from fairshare.features import PREFILL_WEIGHT

SEEDS = (0, 1, 2)


@pytest.fixture(scope="session")
def small():
    return fs.datasets.open_inference_network(seed=0, scale="small")


@pytest.fixture(scope="session")
def small_features(small):
    return fs.aggregate(small)


@pytest.fixture(scope="session")
def small_report():
    return calibration_report(seeds=SEEDS, scale="small")


def tables(h):
    return {name: h.table(name) for name in ("nodes", "tasks", "market", "models")}


# ------------------------------------------------------------------ determinism
def test_same_seed_gives_bit_identical_tables(small):
    again = fs.datasets.open_inference_network(seed=0, scale="small")
    assert small.equals(again)
    for name, df in tables(small).items():
        pd.testing.assert_frame_equal(df, tables(again)[name], check_exact=True)


def test_different_seeds_differ(small):
    other = fs.datasets.open_inference_network(seed=1, scale="small")
    assert not small.equals(other)
    assert not np.array_equal(small.node_values["capex_usd"], other.node_values["capex_usd"])
    assert not np.array_equal(small.token_price_usd, other.token_price_usd)


def test_components_draw_from_their_own_streams(small):
    """Changing the price process leaves nodes and tasks as they were; changing demand leaves nodes."""
    repriced = fs.datasets.open_inference_network(seed=0, scale="small", price_half_life_days=60.0)
    for name in ("nodes", "tasks"):
        pd.testing.assert_frame_equal(small.table(name), repriced.table(name), check_exact=True)
    assert not np.array_equal(small.token_price_usd, repriced.token_price_usd)
    more_zkml = fs.datasets.open_inference_network(seed=0, scale="small", zkml_per_small_request=2e-5)
    pd.testing.assert_frame_equal(small.nodes, more_zkml.nodes, check_exact=True)
    np.testing.assert_array_equal(small.token_price_usd, more_zkml.token_price_usd)
    other_emission = fs.datasets.open_inference_network(seed=0, scale="small", emission="ecosystem")
    pd.testing.assert_frame_equal(small.tasks, other_emission.tasks, check_exact=True)


def test_small_scale_generates_well_under_two_seconds(small):
    start = time.perf_counter()
    fs.datasets.open_inference_network(seed=5, scale="small")
    assert time.perf_counter() - start < 2.0


# ------------------------------------------------------------------ validity and structure
def test_small_network_is_a_valid_history_within_the_epoch_and_windows(small, small_features):
    f = small_features
    assert small.n_epochs == 30 and small.n_nodes == 80 and small.models_given
    assert np.all(f.busy_seconds <= small.epoch_seconds * (1 + 1e-12))
    assert np.all(f.busy_seconds[f.active == 0] == 0)
    assert small.provenance["seed"] == 0 and small.provenance["generator"].endswith("open_inference_network")
    assert str(small.epoch_origin.date()) == "2026-04-21"


@pytest.mark.parametrize("options", [{"scale": "medium"}, {"scale": "small", "rows": "unit"},
                                     {"scale": "small", "n_nodes": 9, "n_epochs": 3},
                                     {"scale": "small", "n_nodes": 7, "n_epochs": 1},
                                     {"scale": "small", "shares": (0.5, 0.5, 0, 0, 0, 0.1, 0)}])
def test_other_scales_and_options_validate(options):
    h = fs.datasets.open_inference_network(seed=2, **options)
    if "shares" in options:
        assert set(h.nodes.hardware) == {"rtx3090", "rtx4090", "h100_sxm_x8"}
    f = fs.aggregate(h)
    assert np.all(f.busy_seconds <= h.epoch_seconds * (1 + 1e-12))
    assert h.n_epochs == (options.get("n_epochs") or fs.datasets.SCALES[options["scale"]]["n_epochs"])


@pytest.mark.slow
def test_large_scale_is_valid():
    h = fs.datasets.open_inference_network(seed=1, scale="large")
    f = fs.aggregate(h)
    assert h.n_nodes == 3000 and np.all(f.busy_seconds <= h.epoch_seconds * (1 + 1e-12))


@pytest.mark.slow
def test_default_scale_is_valid_and_sized_for_a_year():
    h = fs.datasets.open_inference_network(seed=0)
    assert h.n_epochs == 365 and 1000 <= h.n_nodes <= 3000 and 200 <= h.n_operators <= 1000
    assert 1e5 <= h.n_tasks <= 5e6
    f = fs.aggregate(h)
    assert np.all(f.busy_seconds <= h.epoch_seconds * (1 + 1e-12))


def test_rows_mode_unit_settles_the_same_work(small):
    unit = fs.datasets.open_inference_network(seed=0, scale="small", rows="unit")
    assert unit.n_tasks > small.n_tasks
    a, b = fs.aggregate(small), fs.aggregate(unit)
    np.testing.assert_allclose(a.busy_seconds, b.busy_seconds, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(a.fees_usd, b.fees_usd, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(a.requests, b.requests)


def test_tiers_models_and_verification_follow_the_classes(small):
    nodes, tasks = small.nodes, small.tasks
    tier = dict(zip(nodes.node_id, nodes.tier))
    task_tier = tasks.node_id.map(tier)
    hosted = {m.name for m in demand.MODELS if m.pass_through}
    assert set(tasks.model[task_tier == "proxy"]) <= hosted
    assert not tasks.model[task_tier != "proxy"].isin(hosted).any()
    assert not ((task_tier == "home") & (tasks.model == "llama-3.3-70b")).any()
    mode = dict(demand.CLASS_VERIFICATION, **{"proxy": "tee"})
    by_model = {demand.CLASS_MODEL[c]: mode[c] for c in ("large", "small", "zkml")}
    expected = tasks.model.map(lambda m: by_model.get(m, "tee"))
    assert (tasks.verification == expected).all()
    assert (tasks.requests[tasks.verification == "zkml"] == 1).all()
    assert set(small.models.model) == {m.name for m in demand.MODELS}
    assert set(nodes.hardware) <= set(fs.data.schema.HARDWARE_TIERS)
    assert (nodes.tier == nodes.hardware.map(fs.data.schema.HARDWARE_TIERS)).all()


def test_fees_follow_the_rate_card_and_proxies_pass_them_through(small):
    t = small.tasks
    card = {m.name: (m.fee_input_usd_per_mtok, m.fee_output_usd_per_mtok) for m in demand.MODELS}
    fee = t.input_tokens * t.model.map(lambda m: card[m][0]) + t.output_tokens * t.model.map(lambda m: card[m][1])
    np.testing.assert_allclose(t.fee_usd, fee / 1e6, rtol=1e-12)
    hosted = t.model.isin([m.name for m in demand.MODELS if m.pass_through])
    np.testing.assert_array_equal(t.upstream_cost_usd[hosted], t.fee_usd[hosted])
    assert (t.upstream_cost_usd[~hosted] == 0).all()


def test_busy_time_includes_the_verification_overhead(small):
    t, nodes = small.tasks, small.nodes.set_index("node_id")
    z = t[t.verification == "zkml"].head(50)
    assert len(z)
    for row in z.itertuples():
        arch = archetypes.ARCHETYPES[archetypes.archetype_index(nodes.loc[row.node_id, "hardware"])]
        prefill, decode = arch.speeds["8b"]
        busy = (row.input_tokens / prefill + row.output_tokens / decode) * demand.VERIFICATION_OVERHEAD["zkml"]
        assert row.busy_seconds == pytest.approx(busy, rel=1e-12)


def test_nodes_join_leave_and_late_capital_enters():
    h = fs.datasets.open_inference_network(seed=0, scale="medium")
    nodes = h.nodes
    assert (nodes.joined_epoch > 0).any() and nodes.left_epoch.notna().any()
    entrants = nodes.joined_epoch > 0
    assert nodes.stake_tokens[entrants].sum() > 0
    assert h.provenance["late_capital_factor"] > 0


# ------------------------------------------------------------------ calibration
def test_every_cited_figure_is_within_its_tolerance_over_several_seeds(small_report):
    judged = small_report[small_report.within.notna()]
    failing = judged[judged.within != 1.0]
    assert failing.empty, failing.drop(columns="source").to_string()
    assert len(judged) >= 30
    for figure in ("utilisation", "token share of large jobs", "prompt tokens p50", "output tokens p99",
                   "stake share of top 6% operators", "node mix", "cost per node-day (USD)"):
        assert figure in small_report.index.get_level_values("figure")


def test_report_targets_come_from_the_cited_models(small_report):
    r = small_report
    sizes = demand.RequestSizes()
    assert r.loc[("prompt tokens p50", "single requests"), "target"] == pytest.approx(exp(6.63))
    assert r.loc[("output tokens p90", "single requests"), "target"] == pytest.approx(sizes.quantile("output", 0.9))
    assert r.loc[("token share of large jobs", "local inference"), "target"] == 0.60
    assert r.loc[("utilisation", "datacenter"), ["low", "high"]].tolist() == [0.60, 0.85]
    assert r.loc[("utilisation", "home"), ["low", "high"]].tolist() == [0.05, 0.50]
    assert r.loc[("node mix", "h100_sxm_x8"), "target"] == pytest.approx(0.10)


@pytest.mark.slow
def test_calibration_at_the_default_scale():
    r = calibration_report(seeds=SEEDS, scale="default")
    judged = r[r.within.notna()]
    assert (judged.within == 1.0).all(), judged[judged.within != 1.0].drop(columns="source").to_string()


def test_calibration_figures_measure_the_history_not_the_generator(small):
    fig = calibration_figures(small).set_index(["figure", "group"])
    f = fs.aggregate(small)
    dc = small.tier_labels == "datacenter"
    assert fig.loc[("utilisation", "datacenter"), "value"] == pytest.approx(
        f.busy_seconds[:, dc].sum() / f.online_seconds[:, dc].sum())


# ------------------------------------------------------------------ economics
def test_node_costs_are_energy_times_tariff_plus_straight_line_depreciation(small, small_features):
    costs = fs.economics.node_costs(small, small_features)
    v = small.node_values
    j = 3
    e = int(np.flatnonzero(small.active[:, j])[0])
    energy = small_features.energy_kwh[e, j] * v["electricity_usd_per_kwh"][j]
    dep = v["capex_usd"][j] * (1 - v["residual_fraction"][j]) / v["lifetime_days"][j]
    assert costs.energy_usd[e, j] == pytest.approx(energy)
    assert costs.depreciation_usd[e, j] == pytest.approx(dep)
    assert (costs.depreciation_usd[~small.active] == 0).all()
    idle = expected_cost_per_day(small, np.zeros(small.n_nodes))[j]
    assert idle == pytest.approx(v["idle_power_w"][j] * 24 / 1000 * v["pue"][j] * v["electricity_usd_per_kwh"][j] + dep)


def test_economics_tables(small, small_features):
    econ = network_economics(small, small_features)
    assert "network" in econ.index and "h100_sxm_x8" in econ.index
    assert econ.loc["tee_proxy", "fee_margin_over_cost"] == 0.0
    assert econ.loc["rtx4090", "fee_margin_over_cost"] < 1.0 / 3.0  # retail fragments: under a third
    cov = emission_coverage(small, small_features)
    value = float((small.emission_tokens * small.token_price_usd).mean())
    assert cov["emission_value_usd_per_day"] == pytest.approx(value)
    assert cov["emission_over_cost"] == pytest.approx(value / cov["network_cost_usd_per_day"])
    assert 0 <= cov["share_covered_pro_rata_work"] <= 1


# ------------------------------------------------------------------ parts
def test_archetype_numbers_are_the_cited_ones():
    a = {x.name: x for x in archetypes.ARCHETYPES}
    assert a["rtx4090"].power_w == pytest.approx((0.65 * 450 + 100) / 0.9)
    assert a["h100_sxm_x8"].power_w == pytest.approx(8 * 700 * 1.1)
    assert a["mac_m2_ultra"].idle_power_w == 10.0
    assert a["h100_sxm_x8"].speeds["8b"][1] == pytest.approx(8 * 2462)
    assert archetypes.PREFILL_DECODE_RATIO == PREFILL_WEIGHT
    assert sum(x.share for x in archetypes.ARCHETYPES) == pytest.approx(1.0)
    assert archetypes.TARIFFS_USD_PER_KWH["de_household"] == 0.43
    table = archetypes.archetype_table()
    assert list(table.hardware) == [x.name for x in archetypes.ARCHETYPES]


def test_request_sizes_sums_keep_mean_variance_and_correlation():
    sizes = demand.RequestSizes()
    rng = np.random.default_rng(0)
    p, o = sizes.sample(rng, 400_000, 1)
    assert np.corrcoef(p, o)[0, 1] == pytest.approx(-0.11, abs=0.01)
    assert np.median(p) == pytest.approx(exp(6.63), rel=0.01)
    p, o = sizes.sample(rng, 200_000, 64)
    var_one = (exp(0.99 ** 2) - 1) * exp(2 * 6.63 + 0.99 ** 2)
    assert p.mean() == pytest.approx(64 * sizes.mean_prompt, rel=0.005)
    assert p.var() == pytest.approx(64 * var_one, rel=0.03)
    assert demand.lognormal_log_correlation(0.0, 1.0, 1.0) == 0.0


def test_large_jobs_mean_and_bounds():
    jobs = fs.datasets.traffic.TrafficSpec().large_jobs()
    assert jobs.min_tokens == pytest.approx(100 * demand.RequestSizes().mean_tokens)
    p, o = jobs.sample(np.random.default_rng(1), 2_000_000)
    total = p + o
    assert total.min() >= jobs.min_tokens and total.max() <= jobs.max_tokens * (1 + 1e-12)
    assert total.mean() == pytest.approx(jobs.mean_tokens, rel=0.03)
    a = jobs.alpha
    tail = (total > 2 * jobs.min_tokens).mean()
    c = jobs.max_tokens / jobs.min_tokens
    assert tail == pytest.approx((2 ** -a - c ** -a) / (1 - c ** -a), rel=0.01)


def test_emission_schedules():
    assert token.emission_schedule("staking", 3)[0] == pytest.approx(100e6 / 96 / (365.25 / 12))
    assert token.emission_schedule("ecosystem", 1)[0] == pytest.approx(360e6 / 60 / (365.25 / 12))
    svip = token.emission_schedule("staking_svip", int(48 * 365.25 / 12))
    assert svip.sum() == pytest.approx(50e6, rel=1e-3)
    assert np.all(np.diff(svip) < 0)
    np.testing.assert_array_equal(token.emission_schedule(5.0, 2), [5.0, 5.0])
    with pytest.raises(ConfigError, match="emission"):
        token.emission_schedule([1.0, -1.0], 2)
    with pytest.raises(ConfigError, match="unknown schedule 'mint'"):
        token.emission_schedule("mint", 2)


def test_price_path_is_seeded_and_centred():
    a = token.price_path(np.random.default_rng(3), 20_000)
    b = token.price_path(np.random.default_rng(3), 20_000)
    np.testing.assert_array_equal(a, b)
    assert np.log(a).mean() == pytest.approx(log(0.16), abs=0.06)
    assert np.log(a).std() == pytest.approx(token.PRICE_LOG_SD, rel=0.1)
    assert a[0] == pytest.approx(0.16)
    with pytest.raises(ConfigError, match="price_half_life_days"):
        token.price_path(np.random.default_rng(0), 5, half_life_days=0.0)


def test_supply_helpers():
    np.testing.assert_array_equal(supply.apportion(10, [0.5, 0.3, 0.2]), [5, 3, 2])
    assert supply.apportion(7, [0.01, 0.99], minimum=1).tolist() == [1, 6]
    sizes = supply.rank_size(100, 5)
    assert sizes.sum() == 100 and np.all(np.diff(sizes) <= 0) and sizes[0] == pytest.approx(100 / 2.2833, abs=1)
    assert supply.unlocked_supply_growth(365.25) == pytest.approx(300 / 190)


def test_population_follows_the_mix_and_retail_sizes():
    pop = supply.build_population(np.random.default_rng(0), 400, 365, supply.SupplySpec())
    counts = np.bincount(pop.archetype, minlength=len(archetypes.ARCHETYPES))
    np.testing.assert_array_equal(counts, supply.apportion(400, [a.share for a in archetypes.ARCHETYPES], 1))
    retail = pop.operator_kind == "retail"
    per_op = np.bincount(pop.node_operator, minlength=pop.operator_ids.size)
    assert per_op[retail].max() <= 3 and per_op[~retail].max() > 3
    assert (pop.stake_tokens[pop.archetype == archetypes.archetype_index("tee_proxy")] == 0).all()


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("options,match", [
    ({"scale": "huge"}, "scale must be one of small, medium, default, large, got 'huge'"),
    ({"colour": 1}, "unknown option 'colour'"),
    ({"n_nodes": 3}, "n_nodes must be an integer >= 7 \\(one node of each archetype\\), got 3"),
    ({"shares": (0.5, 0.5, 0, 0, 0, 0, 0.1)}, "at least one of them needs a share > 0"),
    ({"rows": "hourly"}, "rows must be one of epoch, unit, got 'hourly'"),
    ({"large_token_share": 1.2}, "large_token_share must lie in"),
    ({"random_share": (0.3,)}, "random_share must give 4 values"),
    ({"min_reputation_tier": ("good", "fair", "fair", "top")}, "min_reputation_tier must give 4 tiers"),
    ({"emission": "mint"}, "emission: unknown schedule"),
    ({"price_usd": 0.0}, "price_usd must be a finite number > 0"),
    ({"large_alpha": 0.9}, "large_alpha must be > 1"),
    ({"shares": (1.0,)}, "shares must give 7"),
])
def test_bad_options_raise_config_errors(options, match):
    options = dict(options)
    scale = options.pop("scale", "small")
    with pytest.raises(ConfigError, match=match):
        fs.datasets.open_inference_network(seed=0, scale=scale, **options)


def test_bad_seed_raises():
    with pytest.raises(ConfigError, match="seed must be a non-negative integer"):
        fs.datasets.open_inference_network(seed=-1, scale="small")
    with pytest.raises(ConfigError, match="seed"):
        fs.datasets.open_inference_network(seed=1.5, scale="small")


def test_the_old_name_still_builds_the_same_network_with_a_warning(small):
    with pytest.warns(FutureWarning, match=r"default_network was renamed fairshare\.datasets\.open_inference_network"):
        old = fs.datasets.default_network(seed=0, scale="small")
    assert old.equals(small)


def test_the_what_if_network_says_what_it_is(small, tmp_path):
    info = small.metadata
    # a key of the what-if costs its registration gas only: identity cost 0, stated (docs/attacks.md)
    assert info.network == "open_inference_network" and info.synthetic and info.identity_cost_usd == 0.0
    assert "hypothetical" in info.description and "what-if" in info.description
    assert info.baseline == "STAKE_WORK_50_50" and small.baseline is fs.datasets.STAKE_WORK_50_50
    assert "hypothetical" in fs.datasets.open_inference_network.__doc__.lower()
    back = fs.History.read(small.write(tmp_path / "h"))
    assert back.metadata == info and back.baseline is small.baseline
