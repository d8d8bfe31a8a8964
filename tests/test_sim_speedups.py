"""The simulator's fast-path shortcuts give the same numbers bit for bit as the plain steps they replace.

* the in-place fill of the market (``waterfill._fill_linear``, on the drawn nodes, writing over the
  weights) equals ``water_fill_linear`` on the gathered weights and caps, exactly;
* the concentration measures of a summary row equal Gini, HHI and Nakamoto of the sorted holdings
  computed one measure at a time, and both operator orders hold the same operators.
"""

from __future__ import annotations

import numpy as np
import pytest

from fairshare._kernels.inequality import gini_sorted_rows, nakamoto_sorted_rows
from fairshare._kernels.sim import state as k
from fairshare._kernels.sim.summary import _concentration
from fairshare._kernels.waterfill import _fill_linear, water_fill_linear


def _weights(rng, n, ties):
    p = rng.lognormal(0.0, 2.0, n)
    cap = rng.lognormal(0.0, 2.0, n)
    if ties:  # many equal ratios: the three-way partition's middle part
        p = np.round(p, 1) + 0.1
        cap = 2.0 * p
        cap[::7] = np.inf
    p[rng.random(n) < 0.2] = 0.0  # not drawn
    return p, cap


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("share", [0.05, 0.5, 0.95, 1.0, 2.0])
def test_in_place_fill_equals_water_fill_linear_bit_for_bit(ties, share):
    rng = np.random.default_rng(int(share * 100) + ties)
    for n in (1, 2, 7, 64, 409):
        p, cap = _weights(rng, n, ties)
        drawn = np.flatnonzero(p > 0.0)
        if drawn.size == 0:
            continue
        total = share * float(np.sum(np.where(np.isfinite(cap), cap, 0.0)[drawn])) + 1e-9
        expected = water_fill_linear(p[drawn], cap[drawn], total)
        x = p.copy()  # the market's x: weights in, units out, for the drawn nodes
        _fill_linear(x, cap, total, drawn.copy(), np.empty(drawn.size), x)
        assert x[drawn].tobytes() == expected.tobytes()
        others = np.setdiff1d(np.arange(n), drawn)
        assert np.array_equal(x[others], p[others])  # nodes not drawn are left alone


def test_in_place_fill_zeroes_the_free_holders_when_no_score_is_left():
    p = np.array([1.0, 2.0, 3.0])
    cap = np.array([0.5, 0.5, 0.5])
    x = p.copy()
    _fill_linear(x, cap, 10.0, np.arange(3), np.empty(3), x)  # every holder saturates, nothing is free
    assert x.tolist() == water_fill_linear(p, cap, 10.0).tolist() == [0.5, 0.5, 0.5]


def test_concentration_of_both_orders_equals_each_measure_alone():
    rng = np.random.default_rng(5)
    n_ops = 300
    ops = np.zeros((k.N_OPS_ROWS, n_ops + 1))
    orders = np.zeros((2, n_ops + 1), dtype=np.int64)
    row = np.full(k.N_MEASURES, -1.0)
    for epoch in range(4):
        ops[k.OP_TOK, :n_ops] = rng.lognormal(0.0, 1.0, n_ops) * (rng.random(n_ops) < 0.9)
        ops[k.OP_STAKE, :n_ops] = rng.lognormal(0.0, 3.0, n_ops)
        ops[k.OP_LIVE, :n_ops] = (rng.random(n_ops) < 0.3 + 0.2 * epoch).astype(float)
        _concentration(orders, ops, row)
        m = orders[0, n_ops]
        assert orders[1, n_ops] == m and set(orders[0, :m]) == set(orders[1, :m])
        assert not ops[k.OP_MARK].any()
        for first, values, order in ((k.M_RGINI, ops[k.OP_TOK], orders[0]), (k.M_SGINI, ops[k.OP_STAKE], orders[1])):
            held = np.where(ops[k.OP_LIVE, order[:m]] > 0.0, values[order[:m]], 0.0)
            assert np.all(np.diff(held) >= 0.0)  # sorted ascending
            total = 0.0
            for v in held:  # in the sorted order, as the row's total
                total += v
            squares = 0.0
            for v in held:
                share = v / total
                squares += share * share
            rows = held.reshape(1, m)
            assert row[first] == gini_sorted_rows(rows, rows, False)[0]
            assert row[first + 1] == squares
            assert row[first + 2] == nakamoto_sorted_rows(rows, 1, 3, False)[0]
