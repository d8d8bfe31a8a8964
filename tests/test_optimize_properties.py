"""Property tests of the optimiser on instances feasible by construction (see test_optimize_strategies).

Small n, capped examples: every example builds and solves a few cvxpy problems.
"""

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import fairshare as fs
from fairshare.errors import InfeasibleError
from fairshare.optimization import ContributionFloor, Coverage, EmissionProblem, NakamotoAtLeast, ShareCap
from fairshare.optimization.objectives import as_objective
from tests.test_optimize_strategies import EMISSION, diagonal_basis, floats, witness_instances

pytestmark = pytest.mark.property
EXAMPLES = settings(max_examples=15, deadline=None)
OBJECTIVES = st.sampled_from(["hhi", "gini", "max_share", "theil"])


def constraints_around(basis, witness, shares):
    """Constraints the witness meets with room: hard coverage (built in), a share cap, a floor, Nakamoto."""
    base = shares / basis.shares[:, 0]
    return [Coverage(who="active", cost="full"),
            Coverage(who="retail", cost="energy", mode="cvar", level=0.5),
            ShareCap(min(1.0, 1.2 * shares.max())),
            ContributionFloor(0.8 * float(base.min()), who="all"),
            NakamotoAtLeast(2, min(1.0, 1.1 * float(np.sort(shares)[-1])))]


def solve(basis, objective, cons, **kw):
    return EmissionProblem(basis, objective, cons, **kw).solve()


@EXAMPLES
@given(witness_instances(), OBJECTIVES)
def test_optimum_meets_the_constraints_and_beats_witness_and_status_quo(instance, objective):
    basis, witness, sq, shares = instance
    cons = constraints_around(basis, witness, shares)
    sol = solve(basis, objective, cons, status_quo=sq)
    assert sol.status in ("optimal", "optimal_inaccurate")
    theta = sol.theta / sol.theta.sum()
    for con in cons:
        assert con.slack(basis, theta, status_quo=sq).min() >= -1e-6, con.describe()
    obj = as_objective(objective)
    assert obj.value(basis, theta) <= obj.value(basis, witness) + 1e-7
    if all(con.slack(basis, sq, status_quo=sq).min() >= 0 for con in cons):
        assert obj.value(basis, theta) <= obj.value(basis, sq) + 1e-7


@EXAMPLES
@given(witness_instances(), st.sampled_from(["hhi", "gini"]), floats(1.0, 3.0), floats(0.6, 1.0))
def test_resolve_after_a_parameter_update_equals_a_fresh_build(instance, objective, budget, cap_scale):
    basis, witness, sq, shares = instance
    cons = constraints_around(basis, witness, shares)
    cap = max(shares.max(), cap_scale * cons[2].cap)
    problem = EmissionProblem(basis, objective, cons, status_quo=sq, fixed_bounds=False)
    problem.solve()
    problem.set(budget_multiplier=budget, max_share=cap)
    updated = problem.solve()
    fresh_cons = cons[:2] + [ShareCap(cap)] + cons[3:]
    fresh = EmissionProblem(basis, objective, fresh_cons, status_quo=sq, budget_multiplier=budget).solve()
    assert updated.status == fresh.status
    assert updated.objective == pytest.approx(fresh.objective, abs=1e-7)


@EXAMPLES
@given(witness_instances(), OBJECTIVES, st.lists(floats(0.0, 0.5), min_size=7, max_size=7))
def test_raising_costs_never_lowers_the_optimum(instance, objective, raise_by):
    basis, witness, sq, shares = instance
    cons = constraints_around(basis, witness, shares)
    low = solve(basis, objective, cons)
    k = basis.n_operators
    factor = 1.0 + np.array(raise_by[:k])
    dearer = basis.with_costs(energy_usd=basis.energy_usd * factor, depreciation_usd=basis.depreciation_usd * factor)
    high = solve(dearer, objective, cons)
    if high.status == "infeasible":
        return  # an infeasible problem's optimum is +inf, never lower
    assert high.objective >= low.objective - 1e-7


@EXAMPLES
@given(st.lists(floats(1.0, 100.0), min_size=2, max_size=6), floats(0.2, 0.95))
def test_infeasible_draws_raise_with_the_exact_numbers(needs, budget_share):
    # component c pays only operator c: coverage holds iff sum(need) <= budget, so s* = sum(need) / E exactly
    needs = np.array(needs) * EMISSION / (np.sum(needs)) * 1.5  # sum(need) = 1.5 E at the schedule
    basis = diagonal_basis(needs)
    budget = budget_share * EMISSION
    s_star = needs.sum() / EMISSION
    with pytest.raises(InfeasibleError) as info:
        fs.optimize(basis, constraints=[Coverage(who="all")], budget=budget, oracle=False)
    err = info.value
    assert err.min_budget_tokens_per_epoch == pytest.approx(s_star * EMISSION, rel=1e-6)
    assert err.min_price_multiplier == pytest.approx(s_star * EMISSION / budget, rel=1e-6)
    assert f"{err.min_budget_tokens_per_epoch:,.0f} tokens per epoch" in str(err)


@EXAMPLES
@given(witness_instances(), floats(2.3, 6.0))
def test_diagnosed_budget_is_the_feasibility_threshold(instance, dearer):
    # costs at least 2.3 x 0.5 = 1.15 times what the witness pays: infeasibility, when it comes, comes by a margin
    basis, witness, sq, shares = instance
    costly = basis.with_costs(energy_usd=basis.energy_usd * dearer, depreciation_usd=basis.depreciation_usd * dearer)
    cons = [Coverage(who="active", cost="full")]
    try:
        fs.optimize(costly, constraints=cons, status_quo={c: 1.0 / len(basis.components) for c in basis.components},
                    oracle=False)
        event("feasible draw")
        return  # still feasible at this price: nothing to diagnose
    except InfeasibleError as err:
        lo = err.min_budget_tokens_per_epoch
    sq_rule = {c: 1.0 / len(basis.components) for c in basis.components}
    fs.optimize(costly, constraints=cons, budget=lo * 1.001, status_quo=sq_rule, oracle=False)
    with pytest.raises(InfeasibleError):
        fs.optimize(costly, constraints=cons, budget=lo * 0.999, status_quo=sq_rule, oracle=False)
