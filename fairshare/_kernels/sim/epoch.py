"""Numba drivers of the simulator: every epoch of every run (fast path), or one epoch at a time (general path).

Public through :func:`fairshare.simulate`. A run's epoch goes through four steps:

1. :func:`.market.begin`: membership (joins due, exits, retirements), delegated capital; the list
   of active nodes; then the epoch's price (:func:`.price.epoch_price`);
2. :func:`.market.features`: the epoch's per-node features (``features.QUANTITIES`` order), from
   the built-in router's fluid allocation or replayed;
3. the reward rule: in-kernel for ``Linear``-type rules (:func:`.payout.linear`), or the caller's
   rule in Python (the general path), with the fake-demand choice (:func:`.payout.choose_fakes`);
4. :func:`.settle.settle`: operator economics, sales, supply, price impact, the epoch's summary
   row and churn decisions.

:func:`run_fast` loops all epochs of every run in one parallel kernel (runs over threads); the
general path calls :func:`stage_begin`, :func:`stage_choose` and :func:`stage_settle` once per epoch
around the rule. Both use the same step functions, so they agree to rounding. Each run is computed
by one thread in a fixed order and runs never read each other's state, so results are bit-identical
for any thread count.

The state arrays are allocated by the simulator (:mod:`fairshare.simulation.run`) and updated in
place; no caller array is modified. They come grouped in named tuples (:mod:`.state`):
:class:`~.state.Static` (network, calendar, parameters), :class:`~.state.Router` (demand placement),
:class:`~.state.Draws` (each run's random inputs), :class:`~.state.State` (each run's state:
``feat`` ``(17, R, N)``; node state ``sn`` ``(R, 2, N)`` float and ``si`` ``(R, 2, N)`` int; operator
state ``so`` ``(R, 5, O)``; ``liquid`` ``(R, O)``; vesting ``ring`` ``(R, V, O + 1)``; run scalars
``sr`` ``(R, 12)``; ``orders`` ``(R, 2, O + 1)``) and :class:`~.state.Record` (``summary``
``(R, E, M)`` and the kept per-node state).
"""

from __future__ import annotations

import numpy as np

from ..._jit import jit_parallel, prange
from .market import begin, features
from .payout import choose_fakes, fake_scale, fake_variant, linear, linear_trial
from .price import epoch_price
from .settle import settle
from .state import F_WORK, I_FAKE, N_OPS_ROWS, SN_ACTIVE, Payout

__all__ = ["run_fast", "stage_begin", "stage_choose", "stage_settle"]


@jit_parallel
def run_fast(net, router, draws, theta, comp_field, st, rec):
    """Every epoch of every run with a ``Linear``-type rule (``theta`` ``(E, 9)`` per epoch).

    ``net``, ``router``, ``draws``, ``st``, ``rec``: :class:`~.state.Static`, :class:`~.state.Router`,
    :class:`~.state.Draws`, :class:`~.state.State`, :class:`~.state.Record`; ``comp_field[c]`` is
    the feature row of rule component ``c``.
    """
    nf, op_start, p, ip = net.nf, net.op_start, net.p, net.ip
    so, feat = st.so, st.feat
    units = draws.units
    n = nf.shape[1]
    n_ops = op_start.shape[0] - 1
    for r in prange(units.shape[0]):
        act_all = np.empty(n, dtype=np.int64)
        act_prev = np.arange(n)  # every entry may hold something before the first epoch
        spare = np.empty(n, dtype=np.int64)  # the active nodes' buffers of this epoch and the last, swapped
        nodes_buf = np.empty(n, dtype=np.int64)
        x = np.zeros(n)
        room = np.empty(n)
        cap = np.empty(n)
        base = np.empty(n)
        trial = np.empty(n)
        scale = np.zeros(n)
        spart = np.empty(n)
        rewards = np.empty(n)
        ops = np.zeros((N_OPS_ROWS, n_ops + 1))
        for t in range(units.shape[1]):
            own, count = begin(t, r, net, draws, st, act_all)
            act = act_all[:count]
            price = epoch_price(t, r, draws.price_exo, st.sr)
            lost = features(t, r, net, router, draws, st, act, act_prev, x, room, cap, nodes_buf)
            act_prev = act
            act_all, spare = spare, act_all
            emission = net.exo[t, 0]
            buying = 0
            fake_work = 0.0
            if ip[I_FAKE] != 0 and fake_scale(r, op_start, p, so, feat, scale) > 0:
                linear(theta[t], comp_field, feat, r, act, emission, base, spart)
                linear_trial(theta[t], comp_field, feat, r, act, emission, scale, trial)
                before = 0.0
                for i in act:
                    before += feat[F_WORK, r, i]
                buying = choose_fakes(r, nf, op_start, price, so, feat, scale, base, trial)
                for i in act:
                    fake_work += feat[F_WORK, r, i]
                fake_work -= before
            unallocated = linear(theta[t], comp_field, feat, r, act, emission, rewards, spart)
            pay = Payout(rewards, spart, unallocated, own, lost, fake_work, buying, price)
            settle(t, r, net, st, rec, pay, ops, act)


@jit_parallel
def stage_begin(t, net, router, draws, st, fake, scale, own, lost, prices):
    """General path, steps 1-2 of epoch ``t`` for every run (and the fake variant when enabled).

    Writes each run's own stake bonded, unserved work and price into ``own``, ``lost``, ``prices``
    ``(R,)``; with fake demand on, the fake scale per node into ``scale`` ``(R, N)`` and the fake
    variant of the features into ``fake`` ``(17, R, N)``.
    """
    nf, op_start, p, ip = net.nf, net.op_start, net.p, net.ip
    n = nf.shape[1]
    for r in prange(draws.units.shape[0]):
        act_all = np.empty(n, dtype=np.int64)
        x = np.zeros(n)
        room = np.empty(n)
        cap = np.empty(n)
        bonded, count = begin(t, r, net, draws, st, act_all)
        own[r] = bonded
        prices[r] = epoch_price(t, r, draws.price_exo, st.sr)
        lost[r] = features(t, r, net, router, draws, st, act_all[:count], np.arange(n), x, room, cap,
                           np.empty(n, dtype=np.int64))
        if ip[I_FAKE] != 0:
            fake_scale(r, op_start, p, st.so, st.feat, scale[r])
            fake_variant(r, nf, scale[r], st.feat, fake)


@jit_parallel
def stage_choose(net, st, scale, base_rewards, fake_rewards, prices, buying, fake_work):
    """General path, step 3: the fake-demand choice of every run (``feat`` becomes the final features).

    ``base_rewards`` and ``fake_rewards`` ``(R, N)`` are the rule's payouts on the features and on
    their fake variant; writes the operators buying and the fake work bought into ``buying`` and
    ``fake_work`` ``(R,)``.
    """
    nf, op_start = net.nf, net.op_start
    so, feat = st.so, st.feat
    n = nf.shape[1]
    for r in prange(feat.shape[1]):
        before = 0.0
        for i in range(n):
            before += feat[F_WORK, r, i]
        buying[r] = choose_fakes(r, nf, op_start, prices[r], so, feat, scale[r], base_rewards[r], fake_rewards[r])
        after = 0.0
        for i in range(n):
            after += feat[F_WORK, r, i]
        fake_work[r] = after - before


@jit_parallel
def stage_settle(t, net, st, rec, rewards, stake_part, unallocated, own, lost, fake_work, buying, prices):
    """General path, step 4 of epoch ``t`` for every run (per-run inputs ``(R, N)`` or ``(R,)``)."""
    n_ops = net.op_start.shape[0] - 1
    n = net.nf.shape[1]
    sn = st.sn
    for r in prange(st.feat.shape[1]):
        ops = np.zeros((N_OPS_ROWS, n_ops + 1))
        act = np.empty(n, dtype=np.int64)
        count = 0
        for i in range(n):
            if sn[r, SN_ACTIVE, i] > 0.0:
                act[count] = i
                count += 1
        pay = Payout(rewards[r], stake_part[r], unallocated[r], own[r], lost[r], fake_work[r], buying[r], prices[r])
        settle(t, r, net, st, rec, pay, ops, act[:count])
