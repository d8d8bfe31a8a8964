"""Numba drivers of the simulator: every epoch of every run (fast path), or one epoch at a time (general path).

Public through :func:`fairshare.simulate`. A run's epoch goes through four steps:

1. ``_begin`` (:mod:`._simulate_market`): membership (joins due, exits, retirements), delegated
   capital; the list of active nodes;
2. ``_features`` (:mod:`._simulate_market`): the epoch's per-node features (``features.QUANTITIES``
   order), from the built-in router's fluid allocation or replayed;
3. the reward rule: in-kernel for ``Linear``-type rules (``_linear``, :mod:`._simulate_payout`), or the
   caller's rule in Python (the general path), with the fake-demand choice;
4. ``_settle`` (:mod:`._simulate_settle`): operator economics, sales, supply, price impact, the
   epoch's summary row and churn decisions.

:func:`run_fast` loops all epochs of every run in one parallel kernel (runs over threads); the
general path calls :func:`stage_begin`, :func:`stage_choose` and :func:`stage_settle` once per epoch
around the rule. Both use the same step functions, so they agree to rounding. Each run is computed
by one thread in a fixed order and runs never read each other's state, so results are bit-identical
for any thread count.

The state arrays are allocated by the simulator (:mod:`._simulate_run`) and updated in place; no
caller array is modified. Layouts (R runs, N nodes, O operators; rows named in
:mod:`._simulate_layout`): ``feat`` ``(17, R, N)``; node state ``sn`` ``(R, 2, N)`` float and ``si``
``(R, 2, N)`` int; operator state ``so`` ``(R, 5, O)``; ``liquid`` ``(R, O)``; vesting ``ring``
``(R, V, O + 1)``; run scalars ``sr`` ``(R, 12)``; ``orders`` ``(R, 2, O + 1)``; ``summary`` ``(R, E, M)``.
"""

from __future__ import annotations

import numpy as np

from ..._jit import jit_parallel, prange
from .market import _begin, _features
from .payout import _choose_fakes, _fake_scale, _fake_variant, _linear, _linear_trial
from .settle import _price, _settle
from .state import F_WORK, I_FAKE, SN_ACTIVE

# ---------------------------------------------------------------- drivers


@jit_parallel
def run_fast(nf, ni, oi, op_start, dep, taps, exo, hw_count, units, unit, mean_busy, w_stake, w_cap, rshare,
             eligible, latency_order, replay, need, price_exo, exit_after, theta, comp_field, p, ip, sn, si, so, liquid,
             ring, sr, orders, feat, summary, keep):
    """Every epoch of every run with a ``Linear``-type rule (``theta`` ``(E, 9)`` per epoch)."""
    n = nf.shape[1]
    n_ops = op_start.shape[0] - 1
    for r in prange(units.shape[0]):
        act_all = np.empty(n, dtype=np.int64)
        act_prev = np.arange(n)  # every entry may hold something before the first epoch
        nodes_buf = np.empty(n, dtype=np.int64)
        x = np.zeros(n)
        room = np.empty(n)
        cap = np.empty(n)
        base = np.empty(n)
        trial = np.empty(n)
        scale = np.zeros(n)
        spart = np.empty(n)
        rewards = np.empty(n)
        scratch = np.zeros((6, n_ops + 1))
        for t in range(units.shape[1]):
            own, count = _begin(t, r, nf, ni, oi, op_start, exit_after, p, ip, sn, si, so, sr, act_all)
            act = act_all[:count]
            price = _price(t, r, price_exo, sr)
            lost = _features(t, r, nf, units, unit, mean_busy, w_stake, w_cap, rshare, eligible, latency_order, replay,
                             need, p, ip, sn, feat, act, act_prev, x, room, cap, nodes_buf)
            act_prev = act.copy()
            emission = exo[t, 0]
            buying = 0
            fake_work = 0.0
            if ip[I_FAKE] != 0 and _fake_scale(r, op_start, p, so, feat, scale) > 0:
                _linear(theta[t], comp_field, feat, r, act, emission, base, spart)
                _linear_trial(theta[t], comp_field, feat, r, act, emission, scale, trial)
                before = 0.0
                for i in act:
                    before += feat[F_WORK, r, i]
                buying = _choose_fakes(r, nf, op_start, price, so, feat, scale, base, trial)
                for i in act:
                    fake_work += feat[F_WORK, r, i]
                fake_work -= before
            unallocated = _linear(theta[t], comp_field, feat, r, act, emission, rewards, spart)
            _settle(t, r, nf, ni, oi, op_start, dep, taps, exo, hw_count, p, ip, sn, si, so, liquid, ring, sr, orders,
                    feat, rewards, spart, unallocated, own, lost, fake_work, buying, price, summary, keep, scratch, act)


@jit_parallel
def stage_begin(t, nf, ni, oi, op_start, exit_after, units, unit, mean_busy, w_stake, w_cap, rshare, eligible,
                latency_order, replay, need, price_exo, p, ip, sn, si, so, sr, feat, fake, scale, own, lost, prices):
    """General path, steps 1-2 of epoch ``t`` for every run (and the fake variant when enabled)."""
    n = nf.shape[1]
    for r in prange(units.shape[0]):
        act_all = np.empty(n, dtype=np.int64)
        x = np.zeros(n)
        room = np.empty(n)
        cap = np.empty(n)
        bonded, count = _begin(t, r, nf, ni, oi, op_start, exit_after, p, ip, sn, si, so, sr, act_all)
        own[r] = bonded
        prices[r] = _price(t, r, price_exo, sr)
        lost[r] = _features(t, r, nf, units, unit, mean_busy, w_stake, w_cap, rshare, eligible, latency_order, replay,
                            need, p, ip, sn, feat, act_all[:count], np.arange(n), x, room, cap,
                            np.empty(n, dtype=np.int64))
        if ip[I_FAKE] != 0:
            _fake_scale(r, op_start, p, so, feat, scale[r])
            _fake_variant(r, nf, scale[r], feat, fake)


@jit_parallel
def stage_choose(nf, op_start, so, feat, scale, base_rewards, fake_rewards, prices, buying, fake_work):
    """General path, step 3: the fake-demand choice of every run (``feat`` becomes the final features)."""
    n = nf.shape[1]
    for r in prange(feat.shape[1]):
        before = 0.0
        for i in range(n):
            before += feat[F_WORK, r, i]
        buying[r] = _choose_fakes(r, nf, op_start, prices[r], so, feat, scale[r], base_rewards[r], fake_rewards[r])
        after = 0.0
        for i in range(n):
            after += feat[F_WORK, r, i]
        fake_work[r] = after - before


@jit_parallel
def stage_settle(t, nf, ni, oi, op_start, dep, taps, exo, hw_count, p, ip, sn, si, so, liquid, ring, sr, orders, feat,
                 rewards, stake_part, unallocated, own, lost, fake_work, buying, prices, summary, keep):
    """General path, step 4 of epoch ``t`` for every run."""
    n_ops = op_start.shape[0] - 1
    n = nf.shape[1]
    for r in prange(feat.shape[1]):
        scratch = np.zeros((6, n_ops + 1))
        act = np.empty(n, dtype=np.int64)
        count = 0
        for i in range(n):
            if sn[r, SN_ACTIVE, i] > 0.0:
                act[count] = i
                count += 1
        _settle(t, r, nf, ni, oi, op_start, dep, taps, exo, hw_count, p, ip, sn, si, so, liquid, ring, sr, orders, feat,
                rewards[r], stake_part[r], unallocated[r], own[r], lost[r], fake_work[r], buying[r], prices[r], summary,
                keep, scratch, act[:count])
