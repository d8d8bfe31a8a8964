"""The per-operator oracle ``fs.allocate`` and its water-filling kernel.

Known answers are published worked examples (cited per test); the kernel is
compared with a slow bisection oracle; property tests check Lorenz dominance
of the water-filling allocation over random feasible allocations.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fairshare as fs
from fairshare._kernels.clipfill import clipfill
from fairshare.errors import ConfigError, InfeasibleError

EXACT = 1e-9
SOLVER = 1e-6


def naive_fill(slopes, lower, upper, budget, iters=200):
    """Slow oracle: bisection on the level of ``sum(clip(s * nu, lower, upper)) == budget``."""
    lo, hi = 0.0, 1.0
    total = lambda nu: np.clip(slopes * nu, lower, upper).sum()  # noqa: E731
    while total(hi) < budget and hi < 1e300:
        hi *= 2.0
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if total(mid) < budget else (lo, mid)
    return np.clip(slopes * hi, lower, upper)


# ---------------------------------------------------------------- published worked examples (exact path)
def test_boyd_vandenberghe_example_5_2_water_filling():
    # Boyd & Vandenberghe, Convex Optimization (2004), example 5.2; cvxpy's
    # examples/communications/water_filling_BVex5.2.py: alpha = (0.8, 1.0, 1.2), one unit of power.
    alpha = np.array([0.8, 1.0, 1.2])
    res = fs.allocate(1.0 + alpha.sum(), alpha)
    np.testing.assert_allclose(np.asarray(res) - alpha, 4 / 3 - alpha, rtol=0, atol=EXACT)
    assert res.level == pytest.approx(4 / 3, abs=EXACT)
    # the same answer maximises sum(log(alpha + x)): proportional fairness of the totals
    prop = fs.allocate(1.0 + alpha.sum(), alpha, objective="proportional")
    np.testing.assert_allclose(np.asarray(prop), np.asarray(res), atol=EXACT)


def test_cover_thomas_water_filling_noise_1_2_3():
    # K. Shum's waterfill.m (after Cover & Thomas, Elements of Information Theory, §9.4):
    # noise powers (1, 2, 3), total power 2 -> powers (1.5, 0.5, 0).
    noise = np.array([1.0, 2.0, 3.0])
    res = fs.allocate(2.0 + noise.sum(), noise)
    np.testing.assert_allclose(np.asarray(res) - noise, [1.5, 0.5, 0.0], atol=EXACT)


@pytest.mark.parametrize("total,noise,expected", [
    (10.0, [1, 4, 6, 3], [5, 2, 0, 3]),
    (5.0, [5, 4, 3, 6], [2 / 3, 5 / 3, 8 / 3, 0]),
])
def test_matlab_waterfill_examples(total, noise, expected):
    # MathWorks Phased Array Toolbox, waterfill reference page, both subcarriers of its example.
    noise = np.asarray(noise, dtype=float)
    res = fs.allocate(total + noise.sum(), noise)
    np.testing.assert_allclose(np.asarray(res) - noise, expected, atol=EXACT)


def test_keshav_max_min_fair_share_with_caps():
    # S. Keshav, An Engineering Approach to Computer Networking (1997), pp. 215-217, example 1:
    # demands 2, 2.6, 4, 5 on a capacity of 10 -> 2, 2.6, 2.7, 2.7.
    res = fs.allocate(10.0, np.zeros(4), objective="max_min", caps=[2.0, 2.6, 4.0, 5.0])
    np.testing.assert_allclose(np.asarray(res), [2.0, 2.6, 2.7, 2.7], atol=EXACT)
    assert res.at_cap.tolist() == [True, True, False, False]


def test_keshav_weighted_max_min():
    # Keshav (1997), example 2: demands 4, 2, 10, 4, weights 2.5, 4, 0.5, 1, capacity 16 -> 4, 2, 6, 4.
    res = fs.allocate(16.0, np.zeros(4), objective="max_min", caps=[4, 2, 10, 4], weights=[2.5, 4, 0.5, 1])
    np.testing.assert_allclose(np.asarray(res), [4.0, 2.0, 6.0, 4.0], atol=EXACT)


def test_water_filling_min_hhi_with_floors_is_max_of_floor_and_level():
    floors = np.array([0.5, 3.0, 1.0, 4.0, 0.0])
    res = fs.allocate(12.0, floors)
    lam = res.level
    np.testing.assert_allclose(np.asarray(res), np.maximum(floors, lam), atol=EXACT)
    # 0.5, 1.0 and 0.0 sit below the level (2 + 3 + 4 + ... = 12 -> lam = (12 - 7) / 3)
    assert lam == pytest.approx(5.0 / 3.0, abs=EXACT)


def test_water_filling_with_caps():
    res = fs.allocate(7.0, np.zeros(3), caps=[1.0, 5.0, 5.0])
    np.testing.assert_allclose(np.asarray(res), [1.0, 3.0, 3.0], atol=EXACT)
    res = fs.allocate(9.0, [0.0, 4.0, 0.0], caps=[2.0, 6.0, 2.5])
    np.testing.assert_allclose(np.asarray(res), [2.0, 4.5, 2.5], atol=EXACT)


def test_weighted_proportional_fairness_is_proportional_to_weights():
    res = fs.allocate(12.0, np.zeros(3), objective="proportional", weights=[1.0, 2.0, 3.0])
    np.testing.assert_allclose(np.asarray(res), [2.0, 4.0, 6.0], atol=EXACT)


@pytest.mark.parametrize("alpha", [0.5, 2.0, 5.0])
def test_alpha_fair_single_resource(alpha):
    # Mo & Walrand (2000): on one resource the weighted alpha-fair shares are proportional to w ** (1 / alpha).
    w = np.array([1.0, 4.0, 9.0])
    res = fs.allocate(12.0, np.zeros(3), objective="alpha_fair", weights=w, alpha=alpha)
    expected = w ** (1 / alpha) / (w ** (1 / alpha)).sum() * 12.0
    np.testing.assert_allclose(np.asarray(res), expected, atol=EXACT)


# ---------------------------------------------------------------- solver paths agree to 1e-6
@pytest.mark.parametrize("objective,kwargs", [
    ("proportional", {"weights": [1.0, 2.0, 3.0]}),
    ("alpha_fair", {"weights": [1.0, 4.0, 9.0], "alpha": 2.0}),
    ("max_min", {"caps": [2.0, 2.6, 4.0, 5.0]}),
    ("hhi", {}),
    ("theil", {}),
])
def test_solver_path_matches_exact_path(objective, kwargs):
    n = len(kwargs.get("weights", kwargs.get("caps", [0, 0, 0])))
    floors = np.linspace(0.0, 1.0, n)
    budget = 10.0
    exact = fs.allocate(budget, floors, objective=objective, **kwargs)
    solved = fs.allocate(budget, floors, objective=objective, method="solver", **kwargs)
    assert exact.method == "exact" and solved.method == "solver"
    np.testing.assert_allclose(np.asarray(solved), np.asarray(exact), atol=SOLVER * budget)


@pytest.mark.parametrize("objective,k", [("max_share", None), ("top_k_share", 2)])
def test_solver_path_reaches_the_exact_objective(objective, k):
    floors = np.array([3.0, 0.5, 0.0, 0.0])
    exact = fs.allocate(8.0, floors, objective=objective, k=k)
    solved = fs.allocate(8.0, floors, objective=objective, k=k, method="solver")
    assert solved.value == pytest.approx(exact.value, abs=SOLVER)


def test_utilitarian_alpha_zero_uses_the_solver():
    res = fs.allocate(6.0, [1.0, 1.0], objective="alpha_fair", alpha=0.0, weights=[1.0, 2.0], caps=[5.0, 3.0])
    assert res.method == "solver"
    np.testing.assert_allclose(np.asarray(res), [3.0, 3.0], atol=SOLVER)
    with pytest.raises(ConfigError, match="no exact path"):
        fs.allocate(6.0, [1.0, 1.0], objective="alpha_fair", alpha=0.0, method="exact")


# ---------------------------------------------------------------- edge cases and errors
def test_edges_one_holder_zero_budget_all_at_floor_and_labels():
    import pandas as pd

    assert np.asarray(fs.allocate(5.0, [2.0])).tolist() == [5.0]
    assert np.asarray(fs.allocate(0.0, np.zeros(3))).tolist() == [0.0, 0.0, 0.0]
    res = fs.allocate(6.0, [1.0, 2.0, 3.0])
    np.testing.assert_allclose(np.asarray(res), [1.0, 2.0, 3.0], atol=EXACT)
    assert res.at_floor.all()
    res = fs.allocate(6.0, [1.0, 2.0], caps=[3.0, 3.0])
    np.testing.assert_allclose(np.asarray(res), [3.0, 3.0], atol=EXACT)
    s = fs.allocate(3.0, pd.Series([0.0, 1.0], index=["op-a", "op-b"])).to_series()
    assert s.index.tolist() == ["op-a", "op-b"] and s.sum() == pytest.approx(3.0)


def test_infeasible_budget_says_by_how_much():
    with pytest.raises(InfeasibleError, match=r"the floors sum to 6, above the budget 4: raise the budget by 2 "
                                              r"to at least 6") as info:
        fs.allocate(4.0, [1.0, 2.0, 3.0])
    assert info.value.min_budget == 6.0 and info.value.shortfall == 2.0
    with pytest.raises(InfeasibleError, match="the caps sum to 3, below the budget 5"):
        fs.allocate(5.0, [0.0, 0.0], caps=[1.0, 2.0])
    with pytest.raises(InfeasibleError, match="holder 1 has cap 0.5 below its floor 1"):
        fs.allocate(5.0, [0.0, 1.0], caps=[9.0, 0.5])


def test_bad_arguments_are_config_errors():
    with pytest.raises(ConfigError, match="floors must be finite and >= 0; entry 1 is -1.0"):
        fs.allocate(1.0, [0.0, -1.0])
    with pytest.raises(ConfigError, match="objective must be one of"):
        fs.allocate(1.0, [0.0], objective="variance")
    with pytest.raises(ConfigError, match="gini takes no weights"):
        fs.allocate(1.0, [0.0, 0.0], objective="gini", weights=[1.0, 2.0])
    with pytest.raises(ConfigError, match="weights has 3 entries; the floors have 2"):
        fs.allocate(1.0, [0.0, 0.0], objective="proportional", weights=[1.0, 2.0, 3.0])


def test_large_range_and_ties_match_the_slow_oracle():
    floors = np.array([0.0, 0.0, 1e-9, 5.0, 5.0, 1e6, 3.0])
    caps = np.array([np.inf, 2.0, 2.0, 5.0, 9.0, 2e6, 3.0])
    slopes = np.array([1.0, 1.0, 1.0, 1.0, 2.0, 0.5, 1.0])
    for budget in (1e6 + 13.0, 1e6 + 100.0, 2e6 + 19.0):
        r, _ = clipfill(slopes, floors, caps, budget)
        np.testing.assert_allclose(r, naive_fill(slopes, floors, caps, budget), rtol=1e-9, atol=1e-6)
        assert r.sum() == pytest.approx(budget, rel=1e-12)


# ---------------------------------------------------------------- properties
@st.composite
def fill_instances(draw, max_n=12):
    n = draw(st.integers(1, max_n))
    floors = np.array(draw(st.lists(st.floats(0, 10), min_size=n, max_size=n)))
    room = np.array(draw(st.lists(st.floats(0.01, 10), min_size=n, max_size=n)))
    capped = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    caps = np.where(capped, floors + room, np.inf)
    top = caps.sum() if np.isfinite(caps).all() else floors.sum() + 50.0
    budget = floors.sum() + draw(st.floats(0, 1)) * (top - floors.sum())
    return floors, caps, float(budget)


@pytest.mark.property
@settings(max_examples=40, deadline=None)
@given(fill_instances(), st.lists(st.floats(0.1, 5), min_size=12, max_size=12))
def test_kernel_matches_the_slow_oracle(instance, raw_slopes):
    floors, caps, budget = instance
    slopes = np.array(raw_slopes[: floors.size])
    r, _ = clipfill(slopes, floors, caps, budget)
    np.testing.assert_allclose(r, naive_fill(slopes, floors, caps, budget), rtol=1e-9, atol=1e-9 * max(budget, 1))
    assert (r >= floors - 1e-12).all() and (r <= caps + 1e-12).all()
    assert r.sum() == pytest.approx(budget, rel=1e-12, abs=1e-12)


@pytest.mark.property
@settings(max_examples=40, deadline=None)
@given(fill_instances(), st.lists(st.floats(0.0, 1.0), min_size=12, max_size=12))
def test_water_filling_is_lorenz_dominant(instance, raw):
    floors, caps, budget = instance
    n = floors.size
    room = np.where(np.isfinite(caps), caps - floors, 50.0)
    direction = room * (0.05 + np.array(raw[:n]))  # any feasible allocation: floors plus a scaled direction
    extra = budget - floors.sum()
    t = extra / direction.sum()
    other = floors + t * direction
    if (other > caps + 1e-12).any():  # the direction overshoots a cap: fall back to filling caps in order
        other = floors.copy()
        left = extra
        for i in range(n):
            take = min(room[i], left)
            other[i] += take
            left -= take
    water = np.asarray(fs.allocate(budget, floors, caps=caps))
    if budget <= 0:
        return
    lw = np.cumsum(np.sort(water)) / budget
    lo = np.cumsum(np.sort(other)) / other.sum()
    assert (lw >= lo - 1e-9).all()  # every bottom-k group holds at least as much under water-filling
    assert fs.hhi(water) <= fs.hhi(other) + 1e-12
