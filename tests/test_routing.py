"""The router of the built-in network: placement rule, capacity, seeding, fluid limit, tier shares."""

import numpy as np
import pytest

from fairshare.datasets.calibration import router_tier_shares
from fairshare.datasets.routing import (
    REPUTATION_TIERS,
    class_mean_busy,
    expected_allocation,
    reputation_score,
    route,
    selection_probability,
    unit_busy_seconds,
    water_fill,
)
from fairshare.errors import ConfigError


def population(n=6, seed=0):
    """Nodes with different stake, speed and reputation; one model, one class."""
    rng = np.random.default_rng(seed)
    speed = rng.uniform(0.5, 4.0, n)  # tokens per second
    sec = (1.0 / speed)[:, None]
    return {"s_pre": sec.copy(), "s_dec": sec.copy(), "stake": rng.uniform(0, 100, n),
            "reputation": rng.uniform(5000, 10000, n), "eligible": np.ones((1, n), bool)}


def units(n, tokens=1.0):
    return (np.zeros(n, np.int64), np.zeros(n, np.int64), np.full(n, tokens), np.full(n, tokens), np.ones(n))


def run(pop, u, room, random_share=(0.3,), seed=1, **kw):
    return route(np.random.default_rng(seed), *u, room, pop["s_pre"], pop["s_dec"], pop["eligible"], pop["stake"],
                 pop["reputation"], random_share, **kw)


def test_reputation_score_follows_the_guide():
    assert reputation_score(1, 1, 1) == pytest.approx(10_000)
    assert reputation_score(0.8, 0.5, 0.2) == pytest.approx(10_000 * (0.4 + 0.175 + 0.03))
    assert list(REPUTATION_TIERS.values()) == [0.0, 4000.0, 7000.0, 9000.0]


def test_every_unit_is_placed_when_room_is_ample_and_busy_follows_the_speeds():
    pop = population()
    u = units(500)
    res = run(pop, u, np.full(6, 1e4))
    assert res.served.all()
    expected = (u[2] * pop["s_pre"][res.node, 0] + u[3] * pop["s_dec"][res.node, 0]) * u[4]
    np.testing.assert_array_equal(res.busy_seconds, expected)
    np.testing.assert_array_equal(res.busy_seconds, unit_busy_seconds(res.node, u[1], u[2], u[3], u[4], pop["s_pre"],
                                                                      pop["s_dec"]))
    used = np.bincount(res.node, weights=res.busy_seconds, minlength=6)
    np.testing.assert_allclose(1e4 - res.room_seconds, used, rtol=0, atol=1e-9)


def test_first_draw_shares_match_the_selection_probability():
    pop = population(n=8, seed=3)
    n = 60_000
    res = run(pop, units(n), np.full(8, 1e12), random_share=(0.3,))
    mean_busy = class_mean_busy(*units(1), pop["s_pre"], pop["s_dec"], 1)
    p = selection_probability(mean_busy, pop["eligible"], pop["stake"], pop["reputation"], [0.3])[0]
    share = np.bincount(res.node, minlength=8) / n
    assert np.all(np.abs(share - p) <= 5 * np.sqrt(p * (1 - p) / n) + 1e-12)


def test_stake_draw_and_capacity_draw_alone():
    pop = population(n=5, seed=4)
    n = 40_000
    mean_busy = class_mean_busy(*units(1), pop["s_pre"], pop["s_dec"], 1)
    for r in (0.0, 1.0):
        p = selection_probability(mean_busy, pop["eligible"], pop["stake"], pop["reputation"], [r])[0]
        share = np.bincount(run(pop, units(n), np.full(5, 1e12), random_share=(r,)).node, minlength=5) / n
        assert np.all(np.abs(share - p) <= 5 * np.sqrt(p * (1 - p) / n) + 1e-12)
    cap = pop["reputation"] / 1e4 / mean_busy[0]
    p1 = selection_probability(mean_busy, pop["eligible"], pop["stake"], pop["reputation"], [1.0])[0]
    np.testing.assert_allclose(p1, cap / cap.sum())
    p0 = selection_probability(mean_busy, pop["eligible"], pop["stake"], pop["reputation"], [0.0])[0]
    w = pop["stake"] * pop["reputation"]
    np.testing.assert_allclose(p0, w / w.sum())


def test_no_stake_falls_back_to_the_capacity_draw():
    pop = dict(population(n=4), stake=np.zeros(4))
    res = run(pop, units(1000), np.full(4, 1e9), random_share=(0.0,))
    assert res.served.all() and np.unique(res.node).size == 4


def test_room_is_never_exceeded_and_spill_fills_every_node():
    pop = population(n=5, seed=5)
    pop["s_pre"][:] = pop["s_dec"][:] = 0.5  # every unit takes 1 s everywhere
    room = np.array([3.0, 10.0, 0.0, 7.0, 20.0])
    res = run(pop, units(40), room.copy(), max_tries=2)
    assert res.served.all()  # 40 units fit exactly in 40 s of room
    used = np.bincount(res.node, weights=res.busy_seconds, minlength=5)
    assert np.all(used <= room) and used[2] == 0
    res = run(pop, units(45), room.copy())
    assert res.served.sum() == 40 and np.all(res.busy_seconds[~res.served] == 0)


def test_ineligible_nodes_and_inactive_nodes_get_nothing():
    pop = population(n=6)
    pop["eligible"][0, [1, 4]] = False
    room = np.full(6, 1e9)
    room[0] = 0.0
    res = run(pop, units(3000), room)
    assert not np.isin(res.node, [0, 1, 4]).any()


def test_units_a_node_cannot_serve_stay_unserved():
    pop = population(n=3)
    pop["s_pre"][:] = np.inf
    res = run(pop, units(10), np.full(3, 1e9))
    assert not res.served.any()


def test_router_is_seeded_and_leaves_inputs_alone():
    pop = population(n=7)
    u = units(2000)
    room = np.full(7, 400.0)
    before = {k: v.copy() for k, v in pop.items()}
    a, b = run(pop, u, room, seed=9), run(pop, u, room, seed=9)
    np.testing.assert_array_equal(a.node, b.node)
    np.testing.assert_array_equal(a.busy_seconds, b.busy_seconds)
    assert not np.array_equal(a.node, run(pop, u, room, seed=10).node)
    np.testing.assert_array_equal(room, np.full(7, 400.0))
    for k in before:
        np.testing.assert_array_equal(before[k], pop[k])


def test_bad_inputs_raise_config_errors_naming_the_argument():
    pop = population(n=3)
    with pytest.raises(ConfigError, match="random_share"):
        run(pop, units(2), np.ones(3), random_share=(0.3, 0.3))
    with pytest.raises(ConfigError, match="stake"):
        run(dict(pop, stake=-np.ones(3)), units(2), np.ones(3))
    with pytest.raises(ConfigError, match="unit_class"):
        u = units(2)
        run(pop, (np.array([0, 1]), *u[1:]), np.ones(3))
    with pytest.raises(ConfigError, match="mean_busy"):
        run(pop, units(2), np.ones(3), mean_busy=np.ones((2, 3)))
    with pytest.raises(ConfigError, match="max_tries"):
        run(pop, units(2), np.ones(3), max_tries=0)


def water_fill_oracle(p, cap, total):
    """Bisection on the level mu of x = min(cap, mu p): slow and obviously right."""
    if total >= cap[p > 0].sum():
        return np.where(p > 0, cap, 0.0)
    lo, hi = 0.0, 1.0
    while np.minimum(cap, hi * p).sum() < total:
        hi *= 2
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if np.minimum(cap, mid * p).sum() < total else (lo, mid)
    return np.minimum(cap, hi * p)


@pytest.mark.parametrize("case", range(40))
def test_water_fill_equals_the_oracle(case):
    rng = np.random.default_rng(case)
    n = int(rng.integers(1, 30))
    p = rng.uniform(0, 1, n) * (rng.random(n) > 0.2)
    cap = rng.uniform(0, 5, n) * (rng.random(n) > 0.1)
    if case % 5 == 0:
        p[:] = 1.0 / n  # all equal
    total = float(rng.uniform(0, 1.2) * cap.sum())
    x = water_fill(p, cap, total)
    np.testing.assert_allclose(x, water_fill_oracle(p, cap, total), rtol=1e-9, atol=1e-9)
    assert np.all(x <= cap + 1e-12) and np.all(x[p == 0] == 0)
    if p.any():
        assert x.sum() == pytest.approx(min(total, cap[p > 0].sum()), rel=1e-9, abs=1e-9)


def test_router_follows_its_fluid_limit_under_saturation():
    pop = population(n=12, seed=7)
    u = units(30_000, tokens=0.25)
    mean_busy = class_mean_busy(*u, pop["s_pre"], pop["s_dec"], 1)
    room = np.full(12, 600.0)
    expected = expected_allocation([u[0].size], mean_busy, room, pop["eligible"], pop["stake"], pop["reputation"],
                                   [0.3])[0]
    res = run(pop, u, room.copy())
    realised = np.bincount(res.node[res.served], weights=res.busy_seconds[res.served], minlength=12)
    np.testing.assert_allclose(realised, expected, rtol=0.05, atol=2.0)


@pytest.fixture(scope="module")
def small_shares():
    return router_tier_shares(seed=0, scale="small")


def test_router_gives_the_documented_tier_shares(small_shares):
    s = small_shares
    # whole large-model jobs never reach home nodes or proxies; the datacenter tier serves most of their tokens
    assert s.loc[("large", "home"), "tokens_realised"] == 0 and s.loc[("large", "proxy"), "tokens_realised"] == 0
    assert s.loc[("large", "datacenter"), "tokens_realised"] > 0.8
    # retail nodes get small fragments: most of the small class's busy time, little of its tokens
    assert s.loc[("small", "home"), "busy_realised"] > 0.5 and s.loc[("small", "home"), "tokens_realised"] < 0.1
    assert s.loc[("proxy", "proxy"), "tokens_realised"] == 1.0
    for cls, tol in (("large", 0.03), ("small", 0.03), ("zkml", 0.08), ("proxy", 1e-12)):
        for col in ("busy", "tokens"):
            diff = (s.loc[cls, f"{col}_realised"] - s.loc[cls, f"{col}_expected"]).abs()
            assert (diff <= tol).all(), (cls, col, diff)


@pytest.mark.slow
def test_router_tier_shares_at_the_default_scale():
    s = router_tier_shares(seed=0, scale="default")
    for cls in ("large", "small", "zkml", "proxy"):
        for col in ("busy", "tokens"):
            assert (s.loc[cls, f"{col}_realised"] - s.loc[cls, f"{col}_expected"]).abs().max() <= 0.025


def test_linear_time_water_fill_equals_the_sorted_one():
    """Random scores over 12 decades, caps with ties, zeros and inf, budgets from starved to flooded."""
    from fairshare._kernels.waterfill import water_fill_linear

    rng = np.random.default_rng(15)
    worst = 0.0
    for case in range(2000):
        n = int(rng.integers(1, 400))
        p = rng.lognormal(0.0, 3.0, n) * (rng.random(n) < 0.8)
        cap = rng.lognormal(0.0, 2.0, n) * (rng.random(n) > 0.05)
        cap[rng.random(n) < 0.1] = np.inf
        if case % 3 == 0:  # ties of ratios
            p, cap = np.round(p), np.round(cap, 1)
        total = float(rng.lognormal(2.0, 2.0) * rng.choice([0.0, 0.01, 1.0, 100.0, 1e6]))
        a, b = water_fill(p, cap, total), water_fill_linear(p, cap, total)
        assert np.array_equal(a == 0, b == 0) and np.array_equal(np.isinf(a), np.isinf(b))
        worst = max(worst, float(np.max(np.abs(a - b), initial=0.0)) / max(float(np.abs(a).max(initial=0.0)), 1e-300))
    assert worst <= 1e-12
