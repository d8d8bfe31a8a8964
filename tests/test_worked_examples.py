"""Worked examples, the coverage surface and the ramp: hand-computed cases, both built-in networks, errors."""

import math

import matplotlib
import numpy as np
import pandas as pd
import pytest

import fairshare as fs
from fairshare.errors import ConfigError, FormulaError, RangeError
from fairshare.evaluation import OPERATORS, WorkedOperator, coverage_surface, worked_examples
from fairshare.formulas import (
    STATUS_QUO,
    Capped,
    FeeLinkedCap,
    FloorPlusProportional,
    Linear,
    Proportional,
    ramp,
    ramp_rules,
)

matplotlib.use("Agg")
YEAR = 365.25


def tiny_history(price=0.5, retail_fee=1.0):
    """Two epochs; n0 a home RTX 4090 of a one-node (retail) operator, n1 an H100 fleet.

    Per epoch: n0 busy 8,640 s (10% of the day), 1,000 generated tokens of an 8B model (1,000 work
    units), 10 requests, ``retail_fee`` USD; n1 busy 43,200 s, 9,000 work units, 10 requests, 5 USD.
    Emission 1,000 tokens an epoch at ``price`` USD.
    """
    nodes = pd.DataFrame({
        "node_id": ["n0", "n1"], "operator_id": ["op0", "op1"], "hardware": ["rtx4090", "h100_sxm_x8"],
        "gpu_count": [1, 8], "power_w": [400.0, 6000.0], "idle_power_w": [100.0, 1200.0], "pue": [1.0, 1.0],
        "electricity_usd_per_kwh": [0.25, 0.1], "capex_usd": [1095.75, 182_625.0], "lifetime_days": [1095.75, 1826.25],
        "residual_fraction": [0.0, 0.0], "stake_tokens": [10.0, 30.0], "joined_epoch": [0, 0], "region": ["us", "us"],
    })
    tasks = pd.DataFrame({
        "epoch": [0, 0, 1, 1], "node_id": ["n0", "n1", "n0", "n1"], "model": ["llama-3.1-8b"] * 4,
        "requests": [10, 10, 10, 10], "input_tokens": [0.0] * 4, "output_tokens": [1000.0, 9000.0, 1000.0, 9000.0],
        "busy_seconds": [8640.0, 43200.0, 8640.0, 43200.0], "verification": ["vanilla"] * 4,
        "fee_usd": [retail_fee, 5.0, retail_fee, 5.0],
    })
    market = pd.DataFrame({"epoch": [0, 1], "emission_tokens": [1000.0, 1000.0], "token_price_usd": [price, price]})
    return fs.History.from_frames(nodes, tasks, market)


HOME = WorkedOperator("my 4090", ("rtx4090",), "home", power_w=300.0, idle_power_w=100.0, pue=1.0,
                      electricity_usd_per_kwh=0.2, capex_usd=3652.5, lifetime_days=365.25, residual_fraction=0.0,
                      rent_usd_per_day=1.0, utilisation=0.2, stake_tokens=0.0)


@pytest.fixture(scope="module")
def small_what_if():
    return fs.datasets.open_inference_network(seed=0, scale="small")


@pytest.fixture(scope="module")
def small_og():
    return fs.datasets.opengradient_2026(seed=0, scale="small")


# ------------------------------------------------------------------------------------------- worked examples
def test_worked_example_by_hand():
    h = tiny_history()
    row = worked_examples(h, {"mix": Linear({"work": 0.5, "tasks": 0.5})}, operators=[HOME]).iloc[0]
    # busy 0.2 x 86,400 = 17,280 s = twice n0's, so 2,000 work units and 20 requests an epoch; X_c includes them
    tokens_epoch = 1000 * (0.5 * 2000 / (1000 + 9000 + 2000) + 0.5 * 20 / (10 + 10 + 20))
    energy_epoch = (300 * 17_280 + 100 * (86_400 - 17_280)) / 3.6e6 * 0.2      # 3.36 kWh at $0.20
    cost_epoch = energy_epoch + 3652.5 / 365.25 + 1.0                          # + depreciation $10 + rent $1
    earned_epoch = tokens_epoch * 0.5 + 2.0                                     # fees: twice n0's $1
    per_year = YEAR / 2
    assert row["runs_here"] and row["utilisation_basis"] == "stated"
    assert row["reward_tokens_per_year"] == pytest.approx(2 * tokens_epoch * per_year, rel=1e-12)
    assert row["served_tokens_per_year"] == pytest.approx(2 * 2000 * per_year, rel=1e-12)
    assert row["energy_usd_per_year"] == pytest.approx(2 * energy_epoch * per_year, rel=1e-12)
    assert row["depreciation_usd_per_year"] == pytest.approx(10 * YEAR, rel=1e-12)
    assert row["rent_usd_per_year"] == pytest.approx(YEAR, rel=1e-12)
    assert row["cost_usd_per_year"] == pytest.approx(2 * cost_epoch * per_year, rel=1e-12)
    assert row["coverage"] == pytest.approx(earned_epoch / cost_epoch, rel=1e-12)
    assert row["net_usd_per_year"] == pytest.approx(2 * (earned_epoch - cost_epoch) * per_year, rel=1e-12)


def test_worked_example_defaults_from_peers_and_stated_price():
    h = tiny_history()
    op = WorkedOperator("peer 4090", ("rtx4090",), "home", 300.0, 100.0, 1.0, 0.2, 3652.5, 365.25, 0.0)
    base = worked_examples(h, {"stake": Linear({"stake": 1.0})}, operators=[op]).iloc[0]
    assert base["utilisation"] == pytest.approx(0.1) and "busy share" in base["utilisation_basis"]
    assert base["stake_tokens"] == 10.0  # the peers' median stake
    assert base["reward_tokens_per_year"] == pytest.approx(1000 * 10 / 50 * YEAR, rel=1e-12)  # 10 of 10 + 30 + 10
    priced = worked_examples(h, {"stake": Linear({"stake": 1.0})}, operators=[op], price_usd=2.0)
    assert priced["reward_usd_per_year"].iloc[0] == pytest.approx(4 * base["reward_usd_per_year"], rel=1e-12)
    assert "2" in priced.attrs["price_basis"]
    # a rule that reads the price sees the stated one: a fee-linked cap of k x fees / price
    capped = worked_examples(h, {"fee_cap": FeeLinkedCap(1.0, redistribute=False)}, operators=[op], price_usd=2.0)
    assert capped["reward_tokens_per_year"].iloc[0] == pytest.approx(1.0 * 1.0 / 2.0 * YEAR, rel=1e-12)


def test_worked_examples_on_the_what_if(small_what_if):
    rules = {"status_quo": STATUS_QUO, "work_only": Proportional(), "capped": Capped(0.02)}
    table = worked_examples(small_what_if, rules)
    assert len(table) == len(OPERATORS) * len(rules) and table["runs_here"].all()
    assert table.attrs["network"] == "open_inference_network" and table.attrs["synthetic"] is True
    assert "X_c include" in table.attrs["convention"]
    np.testing.assert_allclose(table["earned_usd_per_year"],
                               table["reward_usd_per_year"] + table["fee_margin_usd_per_year"], rtol=1e-12)
    np.testing.assert_allclose(table["coverage"], table["earned_usd_per_year"] / table["cost_usd_per_year"], rtol=1e-12)
    home, fleet, tee = OPERATORS  # the stated hardware: the archetypes' figures, the deployed gateway's rent
    assert (home.power_w, home.capex_usd, home.electricity_usd_per_kwh) == pytest.approx(((0.65 * 450 + 100) / 0.9,
                                                                                          1699.5, 0.165))
    assert (fleet.power_w, fleet.capex_usd, fleet.pue, fleet.lifetime_days) == pytest.approx((6160.0, 220_000.0, 1.15,
                                                                                              5 * 365.25))
    assert tee.rent_usd_per_day == pytest.approx(0.192 * 24) and tee.capex_usd == 0.0
    gateway = table[table["operator"].str.startswith("TEE gateway")]
    assert (gateway["rent_usd_per_year"] > 0).all() and (gateway["energy_usd_per_year"] == 0).all()
    assert (table["reward_tokens_per_year"] > 0).all()


def test_worked_examples_on_opengradient(small_og):
    table = worked_examples(small_og, {"svip": small_og.baseline})
    by = table.set_index("operator")
    for name in ("home RTX 4090", "H100 fleet (8x H100 SXM, datacenter)"):
        assert not by.loc[name, "runs_here"] and "cannot run here" in by.loc[name, "note"]
        assert by.loc[name, ["reward_tokens_per_year", "coverage", "net_usd_per_year"]].isna().all()
    gateway = by.loc["TEE gateway (rented m5.xlarge enclave)"]
    assert gateway["runs_here"] and gateway["reward_tokens_per_year"] == 0.0  # the SVIP pool is dormant
    assert gateway["net_usd_per_year"] == pytest.approx(-gateway["rent_usd_per_year"])


def test_worked_examples_errors():
    h = tiny_history()
    with pytest.raises(ConfigError, match="not fairshare formulas: bad"):
        worked_examples(h, {"bad": "work"})
    with pytest.raises(ConfigError, match="price_usd must be a finite token price > 0"):
        worked_examples(h, {"w": Proportional()}, price_usd=0)
    with pytest.raises(ConfigError, match="operators must be fairshare.evaluation.WorkedOperator"):
        worked_examples(h, {"w": Proportional()}, operators=["4090"])
    with pytest.raises(ConfigError, match="'x': utilisation must be a finite number > 0 and <= 1"):
        WorkedOperator("x", ("rtx4090",), "home", 1.0, 1.0, 1.0, 0.1, 1.0, 1.0, 0.0, utilisation=1.5)
    with pytest.raises(ConfigError, match="tier must be one of"):
        WorkedOperator("x", ("rtx4090",), "garage", 1.0, 1.0, 1.0, 0.1, 1.0, 1.0, 0.0)


# ------------------------------------------------------------------------------------------- coverage surface
def _by_hand(price, u, scope="all"):
    """Retail (op0, n0) coverage of the work-proportional rule on tiny_history(retail_fee=0.1)."""
    n0 = u * 86_400 / 8_640                       # n0's scale factor
    n1 = u * 86_400 / 43_200 if scope == "all" else 1.0
    tokens = 1000 * 1000 * n0 / (1000 * n0 + 9000 * n1)
    busy = 8_640 * n0
    energy = (400 * busy + 100 * (86_400 - busy)) / 3.6e6 * 0.25
    return (price * tokens + 0.1 * n0) / (energy + 1.0)      # depreciation $1 a day


def test_coverage_surface_by_hand():
    h = tiny_history(retail_fee=0.1)
    prices, utils = [0.001, 0.01], [0.25, 0.5]
    frame = coverage_surface(h, Linear({"work": 1.0}), prices=prices, utilisations=utils)
    assert frame[["price_usd", "utilisation"]].values.tolist() == [[p, u] for p in prices for u in utils]
    expected = [_by_hand(p, u) for p in prices for u in utils]
    np.testing.assert_allclose(frame["retail_median_coverage"], expected, rtol=1e-12)
    assert frame["retail_covering_share"].tolist() == [float(c >= 1) for c in expected]
    assert (frame["retail_operators"] == 1).all()
    # the general path (replayed at every point) gives the same numbers as the Linear one
    general = coverage_surface(h, Proportional(), prices=prices, utilisations=utils)
    np.testing.assert_allclose(general["retail_median_coverage"], expected, rtol=1e-12)
    retail_only = coverage_surface(h, Linear({"work": 1.0}), prices=prices, utilisations=utils, scope="retail")
    np.testing.assert_allclose(retail_only["retail_median_coverage"],
                               [_by_hand(p, u, "retail") for p in prices for u in utils], rtol=1e-12)
    assert "busy share of online time" in frame.attrs["utilisation_meaning"]


def test_coverage_surface_built_in(small_what_if, small_og):
    rules = fs.formulas.reference_rules()
    frame = coverage_surface(small_what_if, rules["status_quo"], prices=[0.05, 0.5], utilisations=[0.1, 0.9])
    assert frame["retail_operators"].gt(0).all() and frame["retail_median_coverage"].notna().all()
    # more price, more coverage at each utilisation
    grid = frame.pivot(index="utilisation", columns="price_usd", values="retail_median_coverage")
    assert (grid[0.5] > grid[0.05]).all()
    capped = coverage_surface(small_what_if, rules["fee_linked_cap"], prices=[0.05, 0.5], utilisations=[0.5])
    assert capped["retail_median_coverage"].notna().all()
    og = coverage_surface(small_og, small_og.baseline, prices=[0.1], utilisations=[0.5])
    assert og["retail_operators"].tolist() == [0] and og["retail_median_coverage"].isna().all()


def test_coverage_surface_errors():
    h = tiny_history()
    with pytest.raises(RangeError, match="utilisations: every value must be a busy share"):
        coverage_surface(h, STATUS_QUO, prices=[0.1], utilisations=[0.0])
    with pytest.raises(RangeError, match="prices: every value must be a token price"):
        coverage_surface(h, STATUS_QUO, prices=[-1.0], utilisations=[0.5])
    with pytest.raises(ConfigError, match="prices is empty"):
        coverage_surface(h, STATUS_QUO, prices=[], utilisations=[0.5])
    with pytest.raises(ConfigError, match="scope must be one of all, retail"):
        coverage_surface(h, STATUS_QUO, prices=[0.1], utilisations=[0.5], scope="home")
    with pytest.raises(ConfigError, match="rule must be a fairshare Formula"):
        coverage_surface(h, {"work": 1.0}, prices=[0.1], utilisations=[0.5])


def test_surface_plot():
    from fairshare import plotting

    h = tiny_history(retail_fee=0.1)
    frame = coverage_surface(h, Linear({"work": 1.0}), prices=[0.001, 0.01], utilisations=[0.25, 0.5])
    ax = plotting.surface(None, frame)
    data = plotting.plotted_data(ax)
    assert len(data) == 4 and (data["level"] == 1.0).all()
    assert ax.collections and ax.get_legend() is not None  # the heat map and the contour's legend
    flat = coverage_surface(h, Linear({"work": 1.0}), prices=[0.001, 0.002], utilisations=[0.25, 0.5])
    ax = plotting.surface(None, flat)
    assert any("No 1 contour: every cell is below 1" in t.get_text() for t in ax.texts)
    with pytest.raises(ConfigError, match="value must be one of"):
        plotting.surface(None, frame, value="gini")
    matplotlib.pyplot.close("all")


# ------------------------------------------------------------------------------------------- ramp
def test_ramp_by_hand():
    schedule = ramp(STATUS_QUO, Linear({"work": 0.7, "fees": 0.3}), 4)
    assert list(schedule.columns) == ["fraction", "stake", "work", "fees", "largest_change"]
    np.testing.assert_allclose(schedule["stake"], [0.5, 0.375, 0.25, 0.125, 0.0], rtol=0, atol=1e-15)
    np.testing.assert_allclose(schedule["work"], [0.5, 0.55, 0.6, 0.65, 0.7], rtol=0, atol=1e-15)
    np.testing.assert_allclose(schedule["fees"], [0.0, 0.075, 0.15, 0.225, 0.3], rtol=0, atol=1e-15)
    np.testing.assert_allclose(schedule["largest_change"], [0.0] + [0.125] * 4, rtol=0, atol=1e-15)
    assert schedule.loc[0, "stake"] == 0.5 and schedule.loc[4, "work"] == 0.7  # endpoints exact
    assert "filecoin-fip-0081" in schedule.attrs["source"]
    rules = ramp_rules(STATUS_QUO, Linear({"work": 0.7, "fees": 0.3}), 4)
    assert rules[0].weights == {"stake": 0.5, "work": 0.5} and rules[-1].weights == {"work": 0.7, "fees": 0.3}
    for rule, (_, row) in zip(rules, schedule.iterrows()):
        assert all(math.isclose(rule.weights.get(c, 0.0), row[c]) for c in ("stake", "work", "fees"))


def test_ramp_accepts_floor_form_and_rules_evaluate(small_what_if):
    rules = ramp_rules(FloorPlusProportional(0.2), STATUS_QUO, 2)
    assert rules[1].weights == pytest.approx({"identity_floor": 0.1, "work": 0.65, "stake": 0.25})
    f = fs.aggregate(small_what_if)
    alloc = rules[1](f)
    np.testing.assert_allclose(alloc.rewards.sum(axis=1) + alloc.unallocated, f.emission_tokens, rtol=1e-12)


def test_ramp_errors():
    with pytest.raises(FormulaError, match="the proposed rule is Capped"):
        ramp(STATUS_QUO, Capped(0.02), 3)
    with pytest.raises(FormulaError, match="the current rule is Proportional"):
        ramp(Proportional(), STATUS_QUO, 3)
    for steps in (0, 1.5, True):
        with pytest.raises(ConfigError, match="steps must be a whole number >= 1"):
            ramp(STATUS_QUO, Linear({"work": 1.0}), steps)


def test_features_of_another_history_are_refused():
    """Worked examples and the surface check features= the way evaluate does (same shape is not enough)."""
    from fairshare.errors import ConfigError

    a = fs.datasets.open_inference_network(seed=0, scale="small")
    b = fs.datasets.open_inference_network(seed=1, scale="small")
    fb = fs.aggregate(b)
    with pytest.raises(ConfigError, match="not aggregated from this history"):
        fs.evaluation.worked_examples(a, {"sq": fs.formulas.STATUS_QUO}, features=fb)
    with pytest.raises(ConfigError, match="not aggregated from this history"):
        fs.evaluation.coverage_surface(a, fs.formulas.STATUS_QUO, prices=[0.1], utilisations=[0.5], features=fb)
