"""Simulator kernels, step 3 of an epoch: ``Linear``-type rules in-kernel, and the fake-demand choice.

Public through :func:`fairshare.simulate`. :func:`linear` is ``formulas.Linear.allocate`` for one
epoch of one run (the tests check it against the formula, through the general path); the fake-demand
functions are shared by both paths, so a willing operator's choice and its scaled features are
computed the same way whether the rule runs in the kernel or in Python.
"""

from __future__ import annotations

from ..._jit import jit
from .state import (
    F_BUSY,
    F_ENERGY,
    F_FEES,
    F_ONLINE,
    F_STAKE,
    F_UP,
    F_WORK,
    N_FEAT,
    N_TASK,
    NF_CBUSY,
    NF_KBUSY,
    P_FAKE_FRAC,
    SO_FAKE,
)


@jit
def linear(theta, comp_field, feat, r, act, emission, rewards, stake_part):
    """``Linear`` rule in-kernel: ``E sum_c theta_c q_c / Q_c``; returns the unallocated emission.

    ``comp_field[c]`` is the feature row of component ``c`` (-1: identity floor, 1 per node
    with work). ``stake_part`` gets the stake component's part of each node's reward. Only
    the active nodes ``act`` hold features; the others get nothing.
    """
    n = rewards.shape[0]
    for i in range(n):
        rewards[i] = 0.0
        stake_part[i] = 0.0
    unallocated = 0.0
    for c in range(theta.shape[0]):
        w = theta[c]
        if w <= 0.0:
            continue
        f = comp_field[c]
        total = 0.0
        for i in act:
            total += _component(f, feat, r, i)
        if total <= 0.0:
            unallocated += w * emission
            continue
        for i in act:
            q = _component(f, feat, r, i)
            if q > 0.0:
                rewards[i] += w * (q / total)
                if f == F_STAKE:
                    stake_part[i] = w * (q / total) * emission
    for i in act:
        rewards[i] *= emission
    return unallocated


@jit
def _component(f, feat, r, i):
    if f == -1:  # identity floor: 1 for a key with work
        return 1.0 if feat[F_WORK, r, i] > 0.0 else 0.0
    if f == -2:  # fee margin: fees minus the upstream cost passed on, at least 0
        return max(feat[F_FEES, r, i] - feat[F_UP, r, i], 0.0)
    return feat[f, r, i]


@jit
def fake_scale(r, op_start, p, so, feat, scale):
    """Per node, the fake work a willing active operator would add, as a share of its real work
    (``fraction``, within the epoch's free time); 0 elsewhere. Returns the number of such nodes."""
    count = 0
    for o in range(op_start.shape[0] - 1):
        willing = so[r, SO_FAKE, o] != 0
        for i in range(op_start[o], op_start[o + 1]):
            busy = feat[F_BUSY, r, i]
            s = 0.0
            if willing and busy > 0.0:
                s = min(p[P_FAKE_FRAC], max(feat[F_ONLINE, r, i] - busy, 0.0) / busy)
            scale[i] = s
            if s > 0.0:
                count += 1
    return count


@jit
def _scale_node(r, i, s, nf, source, target):
    """``target[:, r, i]``: node ``i`` of ``source`` with its task fields times ``1 + s`` (energy follows busy)."""
    for f in range(N_FEAT):
        target[f, r, i] = source[f, r, i]
    busy = source[F_BUSY, r, i]
    for f in range(N_TASK):
        target[f, r, i] = source[f, r, i] * (1.0 + s)
    target[F_ENERGY, r, i] = source[F_ENERGY, r, i] + nf[NF_KBUSY, i] * (target[F_BUSY, r, i] - busy)


@jit
def fake_variant(r, nf, scale, feat, fake):
    """``fake[:, r, :]``: the features if every willing active operator bought fake demand (general path)."""
    n = nf.shape[1]
    for f in range(N_FEAT):
        for i in range(n):
            fake[f, r, i] = feat[f, r, i]
    for i in range(n):
        if scale[i] > 0.0:
            _scale_node(r, i, scale[i], nf, feat, fake)


@jit
def linear_trial(theta, comp_field, feat, r, act, emission, scale, trial):
    """``linear`` on the fake variant, for the nodes that would buy (``scale > 0``) only (fast path)."""
    for i in act:
        trial[i] = 0.0
    for c in range(theta.shape[0]):
        w = theta[c]
        if w <= 0.0:
            continue
        f = comp_field[c]
        grows = f == -2 or 0 <= f < N_TASK  # task fields grow with 1 + s, and so does the fee margin
        total = 0.0
        for i in act:
            q = _component(f, feat, r, i)
            total += q * (1.0 + scale[i]) if grows else q
        if total <= 0.0:
            continue
        for i in act:
            if scale[i] > 0.0:
                q = _component(f, feat, r, i)
                q = q * (1.0 + scale[i]) if grows else q
                if q > 0.0:
                    trial[i] += w * (q / total)
    for i in act:
        trial[i] *= emission


@jit
def choose_fakes(r, nf, op_start, price, so, feat, scale, base_rewards, fake_rewards):
    """Willing operators whose reward gain beats the extra energy and upstream cost buy fake demand:
    their rows of ``feat`` are scaled. Returns the number of operators buying."""
    buying = 0
    for o in range(op_start.shape[0] - 1):
        if so[r, SO_FAKE, o] == 0:
            continue
        gain = 0.0
        cost = 0.0
        some = False
        for i in range(op_start[o], op_start[o + 1]):
            s = scale[i]
            if s > 0.0:
                some = True
                gain += (fake_rewards[i] - base_rewards[i]) * price
                busy = feat[F_BUSY, r, i]
                up = feat[F_UP, r, i]
                cost += nf[NF_CBUSY, i] * (busy * (1.0 + s) - busy) + (up * (1.0 + s) - up)
        if some and gain > cost and gain > 0.0:
            buying += 1
            for i in range(op_start[o], op_start[o + 1]):
                if scale[i] > 0.0:
                    _scale_node(r, i, scale[i], nf, feat, feat)
    return buying
