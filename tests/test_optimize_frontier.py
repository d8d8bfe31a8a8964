"""Frontiers on one compiled problem, phased transitions, and worst-case scenarios."""

from dataclasses import replace

import numpy as np
import pytest

import fairshare as fs
from fairshare.errors import ConfigError
from fairshare.optimization import (
    Basis,
    ContributionFloor,
    Coverage,
    EmissionProblem,
    NakamotoAtLeast,
    ShareCap,
    SybilBound,
    transition,
)
from tests.test_optimize_strategies import EMISSION, basis_from


@pytest.fixture(scope="module")
def small():
    h = fs.datasets.open_inference_network(seed=0, scale="small")
    return h, Basis.from_history(h)


RETAIL = [Coverage(who="retail"), Coverage(who="non_retail", cost="energy", mode="cvar", level=0.8),
          ContributionFloor(0.2)]


def test_budget_frontier_equals_fresh_solves(small):
    h, basis = small
    budgets = [200.0, 2_000.0, 20_000.0, 60_000.0]
    fr = fs.frontier(basis, over="budget", values=budgets, constraints=RETAIL)
    assert not fr.rebuilt and fr.table.index.tolist() == budgets
    for b in budgets:
        row = fr.table.loc[b]
        try:
            fresh = fs.optimize(basis, constraints=RETAIL, budget=b, oracle=False).objective
        except fs.errors.InfeasibleError:
            assert row["status"] == "infeasible"
            continue
        assert row["objective"] == pytest.approx(fresh, abs=1e-8)
    assert (fr.table["status"] == "infeasible").any() and (fr.table["status"] != "infeasible").any()
    assert "one compiled problem" in fr.summary()


def test_price_frontier_over_the_cited_range(small):
    h, basis = small
    fr = fs.frontier(basis, over="price", constraints=RETAIL + [SybilBound(identity_cost_usd=2.0)])
    assert fr.table.index[0] == pytest.approx(0.05) and fr.table.index[-1] == pytest.approx(0.50)
    ok = fr.feasible
    assert len(ok) and {"coverage_share_retail", "w_stake", "objective"} <= set(fr.table.columns)
    assert (ok["coverage_share_retail"] == 1.0).all()
    p = ok.index[0]
    fresh = fs.optimize(basis, constraints=RETAIL + [SybilBound(identity_cost_usd=2.0)], price=p, oracle=False)
    assert ok.loc[p, "objective"] == pytest.approx(fresh.objective, abs=1e-8)


def test_electricity_and_depreciation_frontiers_reprice_with_economics(small):
    h, basis = small
    cons = [Coverage(who="active", cost="energy", mode="cvar", level=0.5)]
    fr = fs.frontier(basis, over="electricity_usd_per_kwh", values=[0.06, 0.42], constraints=cons)
    values = dict(h.node_values)
    values["electricity_usd_per_kwh"] = np.full(h.n_nodes, 0.42)
    fresh = fs.optimize(replace(h, node_values=values), constraints=cons, oracle=False)
    assert fr.table.loc[0.42, "objective"] == pytest.approx(fresh.objective, abs=1e-8)
    fr = fs.frontier(basis, over="depreciation_life_years", values=[3.0, 6.0], constraints=[Coverage(who="retail")])
    values = dict(h.node_values)
    values["lifetime_days"] = np.full(h.n_nodes, 6 * 365.0)
    fresh = fs.optimize(replace(h, node_values=values), constraints=[Coverage(who="retail")], oracle=False)
    assert fr.table.loc[6.0, "objective"] == pytest.approx(fresh.objective, abs=1e-8)


def test_nakamoto_and_coverage_level_frontiers(small):
    h, basis = small
    fr = fs.frontier(basis, over="nakamoto", values=[1, 2, 3], objective="hhi", constraints=[])
    objectives = fr.feasible["objective"].to_numpy()
    assert (np.diff(objectives) >= -1e-9).all()  # a stricter target never lowers the optimum
    fr = fs.frontier(basis, over="coverage_level", values=[0.5, 0.9], constraints=RETAIL)
    assert fr.table["objective"].iloc[1] >= fr.table["objective"].iloc[0] - 1e-9
    with pytest.raises(ConfigError, match="needs a Coverage\\(mode='cvar'\\) constraint"):
        fs.frontier(basis, over="coverage_level", values=[0.5], constraints=[Coverage(who="retail")])
    with pytest.raises(ConfigError, match="cannot sweep 'temperature'"):
        fs.frontier(basis, over="temperature", values=[1.0], constraints=[])


def test_rebuilding_per_point_gives_the_same_numbers(small):
    h, basis = small
    values = [5_000.0, 30_000.0]
    one = fs.frontier(basis, over="budget", values=values, constraints=RETAIL)
    many = fs.frontier(basis, over="budget", values=values, constraints=RETAIL, rebuild=True)
    assert many.rebuilt
    np.testing.assert_allclose(one.table["objective"], many.table["objective"], atol=1e-9)


def test_parameter_update_equals_fresh_build():
    rng = np.random.default_rng(4)
    raw = rng.random((8, 3)) + 0.1
    tokens = raw / raw.sum(axis=0) * EMISSION
    basis = basis_from(tokens, tokens.mean(axis=1) * 0.4)
    cons = [Coverage(who="all"), NakamotoAtLeast(2, 0.6)]
    problem = EmissionProblem(basis, "gini", cons, budget_multiplier=1.0)
    problem.solve()
    problem.set(budget_multiplier=1.7, nakamoto=3)
    updated = problem.solve()
    fresh = EmissionProblem(basis, "gini", [Coverage(who="all"), NakamotoAtLeast(3, 0.6)],
                            budget_multiplier=1.7).solve()
    assert updated.objective == pytest.approx(fresh.objective, abs=1e-8)
    np.testing.assert_allclose(updated.theta, fresh.theta, atol=1e-5)


def test_a_presolved_bound_cannot_be_tightened():
    tokens = np.array([[50.0, 10.0], [900.0, 90.0], [50.0, 900.0]])
    basis = basis_from(tokens, np.zeros(3))
    problem = EmissionProblem(basis, "hhi", [ShareCap(0.95)])  # row 0 never reaches 0.95: left out
    problem.set(max_share=0.99)  # looser is fine
    with pytest.raises(ConfigError, match="a stricter max_share needs EmissionProblem\\(..., fixed_bounds=False\\)"):
        problem.set(max_share=0.04)
    loose = EmissionProblem(basis, "hhi", [ShareCap(0.95)], fixed_bounds=False)
    loose.set(max_share=0.6)
    assert loose.solve().status == "optimal"


# ---------------------------------------------------------------- transitions
def test_transition_respects_the_per_epoch_loss_limit(small):
    h, basis = small
    res = fs.optimize(basis, constraints=RETAIL, oracle=False)
    path = res.transition(epochs=60, max_loss_pct=10.0)
    t = path.table
    assert (t["largest_loss_pct"] <= 10.0 + 1e-9).all()
    tokens = [basis.tokens @ basis.theta(r) for r in [res.status_quo] + path.rules]
    for before, after in zip(tokens[:-1], tokens[1:]):
        ok = before > 0
        assert ((before[ok] - after[ok]) / before[ok]).max() <= 0.10 + 1e-9
    if path.reached_at is not None:
        np.testing.assert_allclose(t.iloc[-1][[f"w_{c}" for c in basis.components]].to_numpy(),
                                   res.weights.to_numpy(), atol=1e-12)
    assert "at most 10% loss per operator per epoch" in path.summary()


def test_transition_step_is_the_closed_form():
    tokens = np.array([[800.0, 100.0], [200.0, 900.0]])  # operator 0 loses when moving from work to stake
    basis = basis_from(tokens, np.zeros(2))
    path = transition(basis, {"work": 1.0}, {"stake": 1.0}, epochs=3, max_loss_pct=25.0)
    # r0 = 800 -> target 100: g = 0.25 * 800 / 700
    assert path.table["step"].iloc[0] == pytest.approx(0.25 * 800 / 700)
    assert path.table["largest_loss_pct"].iloc[0] == pytest.approx(25.0)
    with pytest.raises(ConfigError, match="max_loss_pct must be in \\(0, 100\\]"):
        transition(basis, {"work": 1.0}, {"stake": 1.0}, epochs=3, max_loss_pct=0.0)


# ---------------------------------------------------------------- worst case over scenarios
def test_worst_case_over_price_scenarios(small):
    h, basis = small
    scenarios = {"low": {"price_multiplier": 0.5}, "high": {"price_multiplier": 2.0}}
    cons = [Coverage(who="retail"), SybilBound(identity_cost_usd=3.0)]
    robust = fs.optimize(basis, constraints=cons, scenarios=scenarios, oracle=False)
    theta = robust.weights.to_numpy()
    for name, b in robust.scenarios.items():
        assert b <= robust.objective + 1e-12
    for m in (0.5, 1.0, 2.0):
        scaled = basis.scaled(price_multiplier=m)
        for con in cons:
            assert con.slack(scaled, theta).min() >= -1e-7
        single = fs.optimize(scaled, constraints=cons, oracle=False)
        assert single.objective <= robust.objective + 1e-9


def test_worst_case_over_a_demand_scenario(small):
    h, basis = small
    low = fs.History.from_frames(nodes=h.nodes, tasks=h.tasks.iloc[::2].reset_index(drop=True), market=h.market,
                                 models=h.models)
    cons = [Coverage(who="retail", cost="energy"), ContributionFloor(0.2)]
    robust = fs.optimize(h, constraints=cons, scenarios={"low_demand": {"history": low}}, oracle=False)
    assert set(robust.scenarios) == {"history", "low_demand"}
    theta = robust.weights.to_numpy()
    low_basis = Basis.from_history(low)
    for b in (basis, low_basis):
        for con in cons:
            assert con.slack(b, theta).min() >= -1e-7
    assert robust.objective == pytest.approx(max(robust.scenarios.values()))
    assert fs.optimize(low_basis, constraints=cons, oracle=False).objective <= robust.objective + 1e-9


# ---------------------------------------------------------------- swept problems equal fresh builds
def _fresh(h, knob, value, cons, budget):
    """The problem built from scratch with ``knob`` at ``value`` (every derived quantity recomputed)."""
    from fairshare.attacks import AttackCosts
    from fairshare.optimization import NoAttackPays

    values = dict(h.node_values)
    if knob == "electricity_usd_per_kwh":
        values[knob] = np.full(h.n_nodes, value)
    elif knob == "depreciation_life_years":
        values["lifetime_days"] = np.full(h.n_nodes, value * 365.0)
    elif knob in ("identity_cost_usd", "take_rate"):
        cons = [NoAttackPays(AttackCosts(**{**vars(c.attack_costs), knob: value})) if isinstance(c, NoAttackPays)
                else c for c in cons]
    elif knob == "budget":
        budget = value
    return fs.optimize(replace(h, node_values=values), constraints=cons, budget=budget, oracle=False)


@pytest.mark.property
@pytest.mark.parametrize("knob, values", [("electricity_usd_per_kwh", (0.06, 0.2, 0.42)),
                                          ("depreciation_life_years", (3.0, 6.0)),
                                          ("identity_cost_usd", (0.0, 0.7, 3.0)),
                                          ("take_rate", (0.0, 0.3, 0.9)),
                                          ("budget", (40.0, 120.0))])
@pytest.mark.parametrize("mode", ["hard", "cvar", "soft"])
def test_swept_problems_equal_fresh_builds(small, knob, values, mode):
    """Every quantity derived from a swept input (coverage costs, attack costs) is recomputed at each point."""
    from fairshare.attacks import AttackCosts
    from fairshare.optimization import NoAttackPays

    h, _ = small
    cons = [Coverage(who="active", cost="energy", mode=mode, level=0.5),
            NoAttackPays(AttackCosts(identity_cost_usd=1.0, take_rate=0.2))]
    budget = 80.0
    fr = fs.frontier(h, over=knob, values=list(values), constraints=cons, budget=budget)
    for v in values:
        row = fr.table.loc[float(v)]
        try:
            fresh = _fresh(h, knob, v, cons, budget)
        except fs.errors.InfeasibleError:
            assert row["status"] == "infeasible", (knob, v)
            continue
        assert row["status"] != "infeasible", (knob, v)
        assert row["objective"] == pytest.approx(fresh.objective, rel=1e-6, abs=1e-7), (knob, v)  # solver tolerance
        w = fresh.weights.reindex([c.removeprefix("w_") for c in fr.table.columns if c.startswith("w_")])
        np.testing.assert_allclose(row[[c for c in fr.table.columns if c.startswith("w_")]].to_numpy(float),
                                   w.to_numpy(), atol=1e-4, err_msg=f"{knob}={v}")


@pytest.mark.parametrize("values, match", [([0.5], "whole Nakamoto targets"), (["x"], "finite numbers"),
                                           ([float("nan")], "finite numbers")])
def test_frontier_values_are_checked(small, values, match):
    h, basis = small
    with pytest.raises(ConfigError, match=match):
        fs.frontier(basis, over="nakamoto", values=values, constraints=RETAIL, objective="hhi")
