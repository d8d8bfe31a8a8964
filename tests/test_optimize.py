"""The emission-weight optimiser: known answers, the default problem, diagnostics and errors."""

import numpy as np
import pandas as pd
import pytest

import fairshare as fs
from fairshare.errors import ConfigError, InfeasibleError, SolverFailedError
from fairshare.optimization import (
    HHI,
    AlphaFair,
    Basis,
    ContributionFloor,
    Coverage,
    EmissionProblem,
    FakeDemandBound,
    Gini,
    LargestShare,
    MaxUnallocated,
    MinWeight,
    NakamotoAtLeast,
    ShareCap,
    SybilBound,
    Theil,
    TopKShare,
    WeightBounds,
)
from fairshare.optimization.constraints import cvar
from tests.test_optimize_strategies import EMISSION, basis_from, diagonal_basis

SOLVER = 1e-6


@pytest.fixture(scope="module")
def small():
    h = fs.datasets.open_inference_network(seed=0, scale="small")
    return h, Basis.from_history(h)


def two_component(seed=0, k=9):
    rng = np.random.default_rng(seed)
    raw = rng.pareto(1.0, (k, 2)) + 0.05
    return basis_from(raw / raw.sum(axis=0) * EMISSION, np.zeros(k))


def solve(basis, objective, constraints=()):
    sol = EmissionProblem(basis, objective, list(constraints) + [MaxUnallocated(0)]).solve()
    assert sol.status == "optimal"
    return sol


def grid_min(basis, measure):
    """Exact minimum over theta = (t, 1 - t) of a piecewise-linear measure: breakpoints where two shares cross."""
    s = basis.shares
    a, b = s[:, 0], s[:, 1]
    d = a - b  # x(t) = b + t d
    ts = [0.0, 1.0]
    for i in range(d.size):
        for j in range(i + 1, d.size):
            if d[i] != d[j]:
                t = (b[j] - b[i]) / (d[i] - d[j])
                if 0 < t < 1:
                    ts.append(t)
    return min(measure(b + t * d) for t in ts)


# ---------------------------------------------------------------- known answers
def test_hhi_two_components_closed_form():
    basis = two_component()
    a, b = basis.shares[:, 0], basis.shares[:, 1]
    t = np.clip(-(b @ (a - b)) / ((a - b) @ (a - b)), 0, 1)
    sol = solve(basis, "hhi")
    assert sol.theta[0] == pytest.approx(t, abs=SOLVER)
    assert HHI().value(basis, sol.theta) == pytest.approx(np.sum((b + t * (a - b)) ** 2), abs=1e-9)


@pytest.mark.parametrize("term,measure", [
    (Gini(), lambda x: float(fs.gini(x))),
    (LargestShare(), lambda x: float(x.max())),
    (TopKShare(k=3), lambda x: float(np.sort(x)[-3:].sum())),
])
def test_piecewise_linear_objectives_reach_the_breakpoint_minimum(term, measure):
    basis = two_component(seed=3)
    sol = solve(basis, term)
    assert term.value(basis, sol.theta) == pytest.approx(grid_min(basis, measure), abs=1e-7)


def test_gini_cutting_planes_match_metrics_gini():
    basis = two_component(seed=5, k=40)
    sol = solve(basis, "gini")
    assert sol.cuts >= 1 and sol.gap <= 1e-9
    assert sol.objective == pytest.approx(float(fs.gini(basis.shares @ sol.theta)), abs=1e-9)
    assert sol.objective == pytest.approx(grid_min(basis, lambda x: float(fs.gini(x))), abs=1e-7)


def test_theil_two_components_against_a_fine_scalar_search():
    from scipy.optimize import minimize_scalar

    basis = two_component(seed=1)
    a, b = basis.shares[:, 0], basis.shares[:, 1]
    best = minimize_scalar(lambda t: float(fs.theil(b + t * (a - b))), bounds=(0, 1), method="bounded",
                           options={"xatol": 1e-12})
    sol = solve(basis, "theil")
    assert Theil().value(basis, sol.theta) == pytest.approx(best.fun, abs=SOLVER)
    assert Theil().value(basis, sol.theta) == pytest.approx(float(fs.theil(basis.shares @ sol.theta)), abs=1e-12)


def test_weighted_proportional_fairness_of_weights():
    # component c pays operator c alone, so alpha-fair weights are the oracle's: theta proportional to w
    basis = diagonal_basis(np.zeros(4))
    w = np.array([1.0, 2.0, 3.0, 4.0])
    sol = solve(basis, AlphaFair(alpha=1.0, weights=tuple(w), who="all"))
    np.testing.assert_allclose(sol.theta, w / w.sum(), atol=SOLVER)
    sol = solve(basis, AlphaFair(alpha=2.0, weights=tuple(w), who="all"))
    np.testing.assert_allclose(sol.theta, np.sqrt(w) / np.sqrt(w).sum(), atol=SOLVER)


def test_composite_objective_is_the_weighted_sum_of_its_terms():
    basis = two_component(seed=2)
    obj = 0.3 * HHI() + 0.7 * Gini()
    sol = solve(basis, obj)
    assert sol.objective == pytest.approx(0.3 * HHI().value(basis, sol.theta) + 0.7 * Gini().value(basis, sol.theta),
                                          abs=1e-9)
    alone = solve(basis, "gini")
    assert Gini().value(basis, alone.theta) <= Gini().value(basis, sol.theta) + 1e-9


def test_coverage_threshold_of_the_diagonal_case_is_exact():
    needs = np.array([100.0, 250.0, 50.0])  # covered iff s E theta_c >= need_c: s* = sum(need) / E = 0.4
    basis = diagonal_basis(needs)
    cons = [Coverage(who="all")]
    with pytest.raises(InfeasibleError) as info:
        fs.optimize(basis, constraints=cons, budget=0.39 * EMISSION, oracle=False)
    err = info.value
    assert err.min_budget_tokens_per_epoch == pytest.approx(0.4 * EMISSION, rel=1e-7)
    assert err.min_price_multiplier == pytest.approx(0.4 / 0.39, rel=1e-7)
    assert err.min_flat_price_usd == pytest.approx(0.4 / 0.39, rel=1e-7)
    assert "They become feasible from a budget of 400 tokens per epoch (1.026x this one)" in str(err)
    res = fs.optimize(basis, constraints=cons, budget=0.4 * EMISSION * (1 + 1e-6), oracle=False)
    np.testing.assert_allclose(res.weights.to_numpy(), needs / needs.sum(), atol=1e-5)
    assert res.full_coverage["rule_budget_tokens_per_epoch"] == pytest.approx(0.4 * EMISSION, rel=1e-7)
    assert res.full_coverage["oracle_budget_tokens_per_epoch"] == pytest.approx(0.4 * EMISSION, rel=1e-9)


def test_cvar_matches_the_tail_mean():
    d = np.array([-3.0, -1.0, 0.5, 2.0, -2.0, 4.0, 1.0, -0.5, 0.0, 3.0])
    assert cvar(d, 0.8) == pytest.approx(np.mean(np.sort(d)[-2:]))
    assert cvar(d, 0.0) == pytest.approx(d.mean())
    assert cvar(d, 0.95) == pytest.approx(d.max())


# ---------------------------------------------------------------- the default problem on the built-in network
#: The constraints the default problem had before attacks were priced (a feasible problem on the small network).
CLASSIC = [Coverage(who="retail", cost="full", mode="hard"), Coverage(who="non_retail", cost="energy", mode="cvar"),
           ContributionFloor(fraction=0.25), SybilBound(identity_cost_usd=5.0), FakeDemandBound()]


def test_default_problem_says_no_rule_is_attack_proof_on_the_built_in_network(small):
    h, _ = small
    with pytest.raises(InfeasibleError, match="no attack pays") as err:
        fs.optimize(h)
    assert "No budget or price makes them feasible" in str(err.value)


def test_classic_problem_on_the_small_network(small):
    h, basis = small
    res = fs.optimize(h, objective="hhi", constraints=CLASSIC, evaluator=fs.evaluate)
    assert isinstance(res.formula, fs.formulas.Linear)
    assert sum(res.formula.weights.values()) == pytest.approx(1.0, abs=1e-12)
    assert (res.constraints["violation"] <= 1e-7).all()
    board = res.scoreboard
    assert list(board.index) == ["status_quo", "optimum"]
    assert board.loc["optimum", "coverage_share_retail"] == 1.0  # hard full-cost coverage of retail
    assert board.loc["optimum", "fake_demand_gain"] <= 1.0 + 1e-7  # fee-linked cap, measured by evaluate
    assert board.loc["optimum", "hhi"] == pytest.approx(res.objective, rel=1e-9)
    assert board.loc["optimum", "hhi"] <= board.loc["status_quo", "hhi"]
    ops = res.operators
    assert board.loc["optimum", "winners_share"] == pytest.approx((ops["change_pct"] > 0).mean())
    assert board.loc["optimum", "largest_loss_pct"] == pytest.approx(-ops["change_pct"].min(), rel=1e-9)
    assert res.provenance["input_hash"] == basis.fingerprint()
    text = res.summary()
    assert text.startswith("Rule: emission split") and "Covering every active operator's full cost" in text


@pytest.mark.parametrize("identity_cost, take", [(0.0, 0.0), (2.0, 0.2)])
def test_no_attack_pays_holds_on_the_scoreboard(small, identity_cost, take):
    """Where no attack may pay, the proposal's best attack, replayed by evaluate, nets at most its cost."""
    from dataclasses import replace

    from fairshare.attacks import AttackCosts
    from fairshare.optimization import NoAttackPays

    h, _ = small
    costs = AttackCosts(identity_cost_usd=identity_cost, take_rate=take)
    budget = 0.002 * float(h.emission_tokens.mean())  # small enough for some rule to be attack-proof
    res = fs.optimize(h, constraints=[NoAttackPays(costs)], budget=budget, objective="hhi", oracle=False)
    scaled = replace(h, emission_tokens=h.emission_tokens * (budget / float(h.emission_tokens.mean())))
    board = fs.evaluate(scaled, {"proposal": res.formula}, attack_costs=costs).scoreboard
    assert board.loc["proposal", "best_attack_net_gain"] <= 1.0 + 1e-6
    at_full = fs.evaluate(h, {"proposal": res.formula}, attack_costs=costs).scoreboard
    assert at_full.loc["proposal", "best_attack_net_gain"] > 1.0  # the full emission is not attack-proof


def test_gini_objective_equals_the_scoreboards_gini(small):
    h, basis = small
    res = fs.optimize(h, objective="gini", constraints=[Coverage(who="retail", cost="energy")], evaluator=fs.evaluate,
                      oracle=False)
    assert res.scoreboard.loc["optimum", "gini"] == pytest.approx(res.objective, abs=1e-9)
    assert res.solver["cut_gap"] <= 1e-9


def test_fee_linked_cap_equals_the_scoreboards_fake_demand_gain(small):
    h, basis = small
    rules = {"sq": fs.formulas.Linear({"stake": 0.5, "work": 0.5}),
             "taskish": fs.formulas.Linear({"tasks": 0.4, "fees": 0.3, "small_task_work": 0.3})}
    board = fs.evaluate(h, rules).scoreboard
    cap = FakeDemandBound()
    for name, rule in rules.items():
        gain = cap.max_gain - cap.slack(basis, basis.theta(rule))[0]
        assert gain == pytest.approx(board.loc[name, "fake_demand_gain"], rel=1e-9)


def test_sybil_bound_holds_and_binds_when_tight(small):
    h, basis = small
    res = fs.optimize(basis, objective="hhi", constraints=[SybilBound(identity_cost_usd=0.5)], oracle=False)
    theta = res.weights.to_numpy()
    pay = (basis.identity_tokens * basis.price_usd[:, None]).mean(axis=0) @ theta
    assert pay <= 0.5 + 1e-7
    row = res.constraints.iloc[0]
    assert row["binding"] and "allowing $1 more per identity per epoch lowers hhi by" in row["reading"]


def test_budget_shadow_price_matches_a_finite_difference(small):
    h, basis = small
    res = fs.optimize(basis, objective="hhi", constraints=[Coverage(who="retail"), SybilBound(identity_cost_usd=1.0)],
                      oracle=False)
    b0 = res.provenance["budget_tokens_per_epoch"]
    step = 1e-3 * b0
    up = fs.optimize(basis, objective="hhi", constraints=[Coverage(who="retail"), SybilBound(identity_cost_usd=1.0)],
                     budget=b0 + step, oracle=False).objective
    down = fs.optimize(basis, objective="hhi", constraints=[Coverage(who="retail"), SybilBound(identity_cost_usd=1.0)],
                       budget=b0 - step, oracle=False).objective
    fd = (up - down) / (2 * step)
    assert res.sensitivities["per_token_per_epoch"] == pytest.approx(fd, rel=1e-2)
    parts = res.constraints["d_objective_per_token_per_epoch"].sum()
    assert parts == pytest.approx(res.sensitivities["per_token_per_epoch"], rel=1e-12)
    cons = [Coverage(who="retail"), SybilBound(identity_cost_usd=1.0)]
    at = fs.optimize(basis, objective="hhi", constraints=cons, price=0.2, oracle=False)
    up = fs.optimize(basis, objective="hhi", constraints=cons, price=0.2005, oracle=False).objective
    down = fs.optimize(basis, objective="hhi", constraints=cons, price=0.1995, oracle=False).objective
    assert at.sensitivities["per_price_cent"] == pytest.approx((up - down) / 0.001 * 0.01, rel=1e-2)


def test_nakamoto_and_share_cap_hold_by_the_metrics(small):
    h, basis = small
    res = fs.optimize(basis, objective="gini", constraints=[NakamotoAtLeast(2, 0.5), ShareCap(0.5)], oracle=False)
    x = basis.shares @ res.weights.to_numpy()
    assert fs.nakamoto_coefficient(x, 0.5) >= 2 and x.max() <= 0.5 + 1e-9


def test_components_restrict_the_rule_and_results_are_deterministic(small):
    h, basis = small
    a = fs.optimize(basis, components=["work", "stake", "fees"], constraints=[ContributionFloor(0.5)], oracle=False)
    b = fs.optimize(basis, components=["work", "stake", "fees"], constraints=[ContributionFloor(0.5)], oracle=False)
    assert set(a.formula.weights) <= {"work", "stake", "fees"}
    np.testing.assert_array_equal(a.weights.to_numpy(), b.weights.to_numpy())


def test_per_epoch_coverage_holds_in_every_active_epoch(small):
    h, basis = small
    who = list(basis.operator_ids[basis.active & (basis.classes == "retail")][:5])
    con = Coverage(who=who, cost="energy", per_epoch=True)
    res = fs.optimize(basis, objective="hhi", constraints=[con], oracle=False)
    assert con.slack(basis, res.weights.to_numpy()).min() >= -1e-7
    assert res.constraints.iloc[0]["rows"] > len(who)


def test_oracle_is_a_lower_bound_and_the_price_of_simplicity_is_reported(small):
    h, basis = small
    res = fs.optimize(basis, objective="hhi", constraints=[Coverage(who="retail")])
    assert res.oracle["objective"] <= res.objective + 1e-12
    assert res.oracle["price_of_simplicity"] == pytest.approx(res.objective / res.oracle["objective"])


# ---------------------------------------------------------------- diagnostics and errors
def test_infeasible_default_problem_gives_budget_and_price(small):
    h, basis = small
    with pytest.raises(InfeasibleError, match=r"They become feasible from a budget of [\d,]+ tokens per epoch"):
        fs.optimize(basis, constraints=[Coverage(who="active")], budget=100.0)
    try:
        fs.optimize(basis, constraints=[Coverage(who="active")], budget=100.0)
    except InfeasibleError as err:
        lo = err.min_budget_tokens_per_epoch
        fs.optimize(basis, constraints=[Coverage(who="active")], budget=lo * 1.001, oracle=False)
        with pytest.raises(InfeasibleError):
            fs.optimize(basis, constraints=[Coverage(who="active")], budget=lo * 0.999, oracle=False)
        flat = err.min_flat_price_usd
        fs.optimize(basis, constraints=[Coverage(who="active")], budget=100.0, price=flat * 1.001, oracle=False)


def test_uncoverable_operators_are_named():
    tokens = np.array([[600.0, 500.0], [400.0, 500.0], [0.0, 0.0]])
    basis = Basis.from_arrays(tokens, components=("work", "stake"), energy_usd=[10.0, 10.0, 5.0],
                              operator_ids=["op-a", "op-b", "op-idle"], emission_tokens=1000.0)
    with pytest.raises(InfeasibleError, match=r"1 operators cannot be covered by any rule in the family \(no allowed "
                                              r"component pays them, e.g. no work\): op-idle") as info:
        fs.optimize(basis, constraints=[Coverage(who="all")], oracle=False)
    assert info.value.uncoverable == ["op-idle"] and "No budget or price makes them feasible" in str(info.value)


def test_conflicting_constraints_are_named():
    basis = two_component()
    cons = [MinWeight(0.6, components=("stake",)), WeightBounds({"stake": (0.0, 0.5)})]
    with pytest.raises(InfeasibleError, match="Dropping any one of these restores feasibility at some budget: at "
                                              "least 60% weight on stake; weight bounds stake in") as info:
        fs.optimize(basis, constraints=cons, oracle=False)
    assert len(info.value.conflicts) == 2


def test_upper_limits_say_when_the_budget_is_too_high(small):
    h, basis = small
    limits = r"Upper limits \(no attack pays, Sybil bound, fee-linked cap\) hold only up to"
    with pytest.raises(InfeasibleError, match=limits):
        fs.optimize(basis, components=["identity_floor"], constraints=[SybilBound(identity_cost_usd=0.01)],
                    oracle=False)


def test_solver_failure_names_the_solver_and_a_fallback(monkeypatch):
    import cvxpy as cp

    def broken(*args, **kwargs):
        raise cp.error.SolverError("numerical trouble")

    problem = EmissionProblem(two_component(), "hhi", [])
    monkeypatch.setattr(problem.problem, "solve", broken)
    with pytest.raises(SolverFailedError, match=r"solver CLARABEL failed on the emission-weight problem: numerical "
                                                r"trouble Retry with solver='SCS'"):
        problem.solve()


def test_configuration_errors_are_typed_and_say_how_to_fix(small):
    h, basis = small
    f = fs.aggregate(h)
    with pytest.raises(ConfigError, match="optimising Features needs their costs"):
        fs.optimize(f)
    with pytest.raises(ConfigError, match="unknown objective 'variance'"):
        fs.optimize(basis, objective="variance")
    with pytest.raises(ConfigError, match="window=99 asks for the last 99 epochs; the history has 30"):
        fs.optimize(h, window=99)
    for window in [(0, 10_000), (20, 10), (-5, 3)]:  # never clipped to the history
        with pytest.raises(ConfigError, match=r"is not within the history's epochs 0\.\.29"):
            fs.optimize(h, window=window)
    with pytest.raises(ConfigError, match="two whole epoch numbers"):
        fs.optimize(h, window=("0", 5))
    with pytest.raises(ConfigError, match="MinWeight components must be a tuple"):
        MinWeight(0.8, "work")  # swapped arguments would otherwise read the string letter by letter
    with pytest.raises(ConfigError, match="Coverage mode must be one of hard, soft, cvar"):
        Coverage(mode="sometimes")
    with pytest.raises(ConfigError, match="components \\['gas'\\] are not in"):
        fs.optimize(basis, components=["gas"])


def test_features_input_with_costs_and_a_window(small):
    h, _ = small
    f = fs.aggregate(h)
    costs = fs.economics.node_costs(h, f)
    classes = fs.economics.operator_classes(h)
    res = fs.optimize(f, costs=costs, classes=classes, constraints=[Coverage(who="retail", cost="energy")],
                      window=(10, 19), oracle=False)
    assert res.provenance["window"] == (10, 19)
    assert isinstance(res.operators, pd.DataFrame) and res.operators["coverage_ratio"].notna().any()


# ---------------------------------------------------------------- presolve
def naive_undominated(rows):
    """Slow oracle: row k is kept unless an earlier-visited row is <= it everywhere (duplicates keep one)."""
    keep = np.ones(rows.shape[0], dtype=bool)
    order = np.lexsort((np.arange(rows.shape[0]), rows.sum(axis=1)))
    for pos, k in enumerate(order):
        for j in order[:pos]:
            if keep[j] and (rows[j] <= rows[k]).all():
                keep[k] = False
                break
    return keep


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dominance_kernel_matches_the_slow_oracle(seed):
    from fairshare._kernels.dominance import undominated

    rng = np.random.default_rng(seed)
    rows = np.round(rng.random((60, 3)), 1)  # coarse values: ties and duplicates
    rows[5] = rows[7]
    keep, complete = undominated(rows, 1000)
    assert complete
    np.testing.assert_array_equal(keep, naive_undominated(rows))
    keep, complete = undominated(rows, 2)  # abandoned: everything kept
    assert not complete and keep.all()


def test_presolve_leaves_the_answer_unchanged(small):
    from fairshare.optimization.solve import problem_spec

    h, basis = small
    spec = problem_spec(basis, constraints=CLASSIC)
    kw = dict(allowed=spec["allowed"], status_quo=spec["status_quo"])
    fast = EmissionProblem(spec["bases"], "gini", spec["constraints"], **kw).solve()
    full = EmissionProblem(spec["bases"], "gini", spec["constraints"], presolve=False, fixed_bounds=False, **kw).solve()
    assert fast.objective == pytest.approx(full.objective, abs=1e-8)
    # the Gini optimum of this problem is not unique (weights on a flat face differ by ~1e-5): compare what is
    hhi_spec = problem_spec(basis, constraints=CLASSIC)
    fast = EmissionProblem(hhi_spec["bases"], "hhi", hhi_spec["constraints"], **kw).solve()
    full = EmissionProblem(hhi_spec["bases"], "hhi", hhi_spec["constraints"], presolve=False, fixed_bounds=False,
                           **kw).solve()
    np.testing.assert_allclose(basis.tokens @ fast.theta, basis.tokens @ full.theta, rtol=1e-5)


@pytest.mark.parametrize("column", ["token_price_usd", "emission_tokens"])
def test_an_emission_worth_nothing_is_a_configuration_error(small, column):
    from dataclasses import replace

    h, _ = small
    with pytest.raises(ConfigError, match="nothing to design"):
        fs.optimize(replace(h, **{column: np.zeros(h.n_epochs)}))
