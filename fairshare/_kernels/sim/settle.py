"""Simulator kernels, step 4 of an epoch: economics, sales, supply, price impact, measures, churn decisions.

Public through :func:`fairshare.simulate`. Costs are the per-node rates derived from
``economics.node_costs`` (see :mod:`._simulate_network`); vesting applies the release shares of
``economics.Vesting`` (see :mod:`._simulate_supply`); concentration uses the metrics' own
sorted-row kernels.
"""

from __future__ import annotations

import math

import numpy as np

from ..._jit import jit
from ..inequality import gini_sorted_rows, nakamoto_sorted_rows
from .state import (
    ACTIVE,
    F_BUSY,
    F_FEES,
    F_ONLINE,
    F_STAKE,
    F_UP,
    F_WORK,
    I_CHURN,
    I_IMPACT,
    I_LAG,
    LEFT,
    M_CAPITAL_SHARE,
    M_CIRC,
    M_COMPUTE_SHARE,
    M_DELEG,
    M_EMISSION,
    M_ENTRIES,
    M_EXIT_HAZARD,
    M_EXIT_LOSS,
    M_EXIT_RETIRED,
    M_FAKE_SHARE,
    M_FAKE_WORK,
    M_FAKERS,
    M_FEES,
    M_LOCKED,
    M_LOCKED_REWARD,
    M_OP_SOLD,
    M_OPS,
    M_OPS0,
    M_PAID,
    M_POOL,
    M_PRICE,
    M_RELEASED,
    M_RETAIL_COVER,
    M_RETAIL_MARGIN,
    M_RETAIL_SHARE,
    M_RGINI,
    M_SELL,
    M_SGINI,
    M_STAKE_SHARE,
    M_STAKED,
    M_SURVIVAL,
    M_UNALLOC,
    M_UNALLOC_TOTAL,
    M_UNLOCK_SOLD,
    M_UNLOCKED,
    M_UNSERVED,
    M_WORK,
    M_YIELD,
    NF_CBUSY,
    NF_CIDLE,
    NF_ONLINE,
    NI_HW,
    NI_JOIN,
    NI_OP,
    OI_AVAIL,
    OI_CLASS,
    OI_INITIAL,
    OI_PATIENCE,
    P_BUY,
    P_DECAY,
    P_DEPTH,
    P_EPOCH_S,
    P_EPY,
    P_HURDLE,
    PENDING,
    SI_JOINED,
    SN_ACTIVE,
    SN_DELEG,
    SO_PEND,
    SO_STATUS,
    SO_STREAK,
    SR_CIRC,
    SR_ENTRIES,
    SR_EXIT_HAZARD,
    SR_EXIT_LOSS,
    SR_EXIT_RETIRED,
    SR_LOCKED,
    SR_M,
    SR_RETAIL0,
    SR_SPART,
    SR_STAKE,
    SR_UNALLOC,
    WAITING,
)

_NAKAMOTO_THRESHOLD = 1.0 / 3.0
# The metrics' own sorted-row kernels (serial variants), called on one row at a time.
_gini_rows = gini_sorted_rows.serial
_nakamoto_rows = nakamoto_sorted_rows.serial


@jit
def _settle(t, r, nf, ni, oi, op_start, dep, taps, exo, hw_count, p, ip, sn, si, so, liquid, ring,
            sr, orders, feat, rewards, stake_part, unallocated, own, lost, fake_work, buying, price, summary,
            keep, scratch, act):
    """Economics, sales, supply, price impact, churn decisions and the summary row of epoch ``t``.

    ``scratch`` is ``(6, O + 1)``: per-operator rewards, stake, margin and liveness, a buffer and
    a zeroed marker row (left zeroed) for the concentration measures.
    """
    n = nf.shape[1]
    n_ops = op_start.shape[0] - 1
    emission, unlock, unlock_sell, pool, bucket_locked = exo[t, 0], exo[t, 1], exo[t, 2], exo[t, 3], exo[t, 4]
    peer = np.zeros((3, hw_count.shape[0]))  # earned, busy, nodes of active nodes per hardware
    counts = np.zeros(5)
    op_tok, op_stake, op_margin, op_live = scratch[0], scratch[1], scratch[2], scratch[3]
    v = taps.shape[0]
    slot = t % v
    capital = spart_total = staked = work = fees = released = sold = 0.0
    retail_tok = all_tok = covered = retail_margin = survivors = 0.0
    n_live = 0
    # with rewards liquid at once (one tap) only operators with active nodes have anything to settle:
    # walk the active nodes (grouped by operator); otherwise every operator, for its vesting
    walk = v == 1
    n_walk = act.shape[0] if walk else n_ops
    j = 0
    for step in range(n_walk):
        if walk:
            if j >= act.shape[0]:
                break
            o = ni[NI_OP, act[j]]
        else:
            o = step
        tok = stake = grant = earned = cost = bills = 0.0
        live = False
        for i in range(op_start[o], op_start[o + 1]):
            reward = rewards[i]
            tok += reward
            if sn[r, SN_ACTIVE, i] <= 0.0:
                continue
            j += 1
            live = True
            s = feat[F_STAKE, r, i]
            cut = stake_part[i] * sn[r, SN_DELEG, i] / s if s > 0.0 else 0.0
            capital += cut
            spart_total += stake_part[i]
            stake += s
            busy = feat[F_BUSY, r, i]
            energy = nf[NF_CIDLE, i] * feat[F_ONLINE, r, i] + nf[NF_CBUSY, i] * busy
            age = t - (si[r, SI_JOINED, i] if ip[I_CHURN] != 0 else ni[NI_JOIN, i])
            depreciation = dep[age, i] if 0 <= age < dep.shape[0] else 0.0
            node_earned = (reward - cut) * price + feat[F_FEES, r, i] - feat[F_UP, r, i]
            grant += reward - cut
            earned += node_earned
            cost += energy + depreciation
            bills += energy + feat[F_UP, r, i] - feat[F_FEES, r, i]
            work += feat[F_WORK, r, i]
            fees += feat[F_FEES, r, i]
            h = ni[NI_HW, i]
            peer[0, h] += node_earned
            peer[1, h] += busy
            peer[2, h] += 1.0
        margin = earned - cost
        op_tok[o] = tok
        op_stake[o] = stake
        op_margin[o] = margin
        op_live[o] = 1.0 if live else 0.0
        staked += stake
        # the operator's rewards vest; liquid tokens pay the bills that fees do not
        ring[r, slot, o] = grant
        out = 0.0
        for a in range(v):
            out += taps[a] * ring[r, (t - a) % v, o] if t - a >= 0 else 0.0
        released += out
        liquid[r, o] += out
        if live and bills > 0.0:
            sell = min(bills / price, liquid[r, o])
            liquid[r, o] -= sell
            sold += sell
        k = oi[OI_CLASS, o]
        all_tok += tok
        if k == 0:
            retail_tok += tok
        if live:
            n_live += 1
            counts[k] += 1.0
            if k == 0:
                retail_margin += margin
                if margin >= 0.0:
                    covered += 1.0
                if oi[OI_INITIAL, o] != 0:
                    survivors += 1.0
    if walk:  # operators without active nodes: nothing earned, not live
        for o in range(n_ops):
            if op_live[o] > 0.0 and not _any_active(r, sn, op_start, o):
                op_live[o] = 0.0
                op_tok[o] = 0.0
                op_stake[o] = 0.0
    ring[r, slot, n_ops] = capital  # delegators' rewards vest too
    out = 0.0
    for a in range(v):
        out += taps[a] * ring[r, (t - a) % v, n_ops] if t - a >= 0 else 0.0
    released += out
    paid = emission - unallocated
    sr[r, SR_CIRC] += unlock + released
    sr[r, SR_LOCKED] += paid - released
    sr[r, SR_UNALLOC] += unallocated
    if ip[I_IMPACT] != 0:
        depth = p[P_DEPTH] / (2.0 * price)
        net = sold + unlock_sell - p[P_BUY] / price
        move = 2.0 * math.log1p(abs(net) / depth)
        sr[r, SR_M] = p[P_DECAY] * sr[r, SR_M] - (move if net > 0.0 else -move)
    sr[r, SR_SPART] = spart_total
    sr[r, SR_STAKE] = staked
    # ---------------------------------------------------------------- summary row
    row = summary[r, t]
    _concentration(orders[r, 0], op_tok, op_live, n_live, row, M_RGINI, scratch[4], scratch[5])
    _concentration(orders[r, 1], op_stake, op_live, n_live, row, M_SGINI, scratch[4], scratch[5])
    row[M_RETAIL_SHARE] = retail_tok / all_tok if all_tok > 0.0 else np.nan
    row[M_SURVIVAL] = survivors / sr[r, SR_RETAIL0] if sr[r, SR_RETAIL0] > 0.0 else np.nan
    row[M_OPS] = counts.sum()
    for k in range(5):
        row[M_OPS0 + k] = counts[k]
    row[M_RETAIL_COVER] = covered / counts[0] if counts[0] > 0 else np.nan
    row[M_RETAIL_MARGIN] = retail_margin / counts[0] if counts[0] > 0 else np.nan
    row[M_ENTRIES] = sr[r, SR_ENTRIES]
    row[M_EXIT_LOSS] = sr[r, SR_EXIT_LOSS]
    row[M_EXIT_HAZARD] = sr[r, SR_EXIT_HAZARD]
    row[M_EXIT_RETIRED] = sr[r, SR_EXIT_RETIRED]
    row[M_PRICE] = price
    row[M_EMISSION] = emission
    row[M_PAID] = paid
    row[M_UNALLOC] = unallocated
    row[M_CIRC] = sr[r, SR_CIRC]
    row[M_LOCKED_REWARD] = sr[r, SR_LOCKED]
    row[M_LOCKED] = bucket_locked + sr[r, SR_LOCKED]
    row[M_POOL] = pool
    row[M_UNALLOC_TOTAL] = sr[r, SR_UNALLOC]
    row[M_UNLOCKED] = unlock
    row[M_RELEASED] = released
    row[M_OP_SOLD] = sold
    row[M_UNLOCK_SOLD] = unlock_sell
    row[M_SELL] = sold + unlock_sell
    row[M_STAKED] = staked
    row[M_DELEG] = staked - own
    row[M_YIELD] = spart_total / staked * p[P_EPY] if staked > 0.0 else np.nan
    row[M_STAKE_SHARE] = spart_total / paid if paid > 0.0 else np.nan
    row[M_CAPITAL_SHARE] = capital / paid if paid > 0.0 else np.nan
    row[M_COMPUTE_SHARE] = 1.0 - spart_total / paid if paid > 0.0 else np.nan
    row[M_FAKE_WORK] = fake_work
    row[M_FAKE_SHARE] = fake_work / work if work > 0.0 else np.nan
    row[M_FAKERS] = buying
    row[M_WORK] = work
    row[M_FEES] = fees
    row[M_UNSERVED] = lost / (lost + work - fake_work) if lost + work - fake_work > 0.0 else np.nan
    if keep.shape[2] > 0:
        for i in range(n):
            keep[0, r, t, i] = rewards[i]
            keep[1, r, t, i] = feat[F_STAKE, r, i]
            keep[2, r, t, i] = feat[F_WORK, r, i]
            keep[3, r, t, i] = sn[r, SN_ACTIVE, i]
            keep[4, r, t, i] = feat[F_BUSY, r, i]
    if ip[I_CHURN] != 0:
        _decide(t, r, nf, ni, oi, op_start, dep, p, ip, so, sr, op_margin, op_live, peer)


@jit
def _any_active(r, sn, op_start, o):
    for i in range(op_start[o], op_start[o + 1]):
        if sn[r, SN_ACTIVE, i] > 0.0:
            return True
    return False


@jit
def _decide(t, r, nf, ni, oi, op_start, dep, p, ip, so, sr, op_margin, op_live, peer):
    """Exits after a run of losses; entries of candidates whose expected value beats the hurdle."""
    n_ops = op_start.shape[0] - 1
    for o in range(n_ops):
        status = so[r, SO_STATUS, o]
        if status == ACTIVE and op_live[o] > 0.0:
            so[r, SO_STREAK, o] = so[r, SO_STREAK, o] + 1 if op_margin[o] < 0.0 else 0
            if so[r, SO_STREAK, o] >= oi[OI_PATIENCE, o]:
                so[r, SO_STATUS, o] = LEFT
                sr[r, SR_EXIT_LOSS] += 1.0
        elif status == WAITING and oi[OI_AVAIL, o] <= t:
            earned = 0.0
            cost = 0.0
            known = True
            for i in range(op_start[o], op_start[o + 1]):
                h = ni[NI_HW, i]
                if peer[2, h] <= 0.0:
                    known = False
                    break
                busy = peer[1, h] / peer[2, h]
                earned += peer[0, h] / peer[2, h]
                cost += nf[NF_CIDLE, i] * p[P_EPOCH_S] * nf[NF_ONLINE, i] + nf[NF_CBUSY, i] * busy + dep[0, i]
            if known and earned >= (1.0 + p[P_HURDLE]) * cost and earned > 0.0:
                so[r, SO_STATUS, o] = PENDING
                so[r, SO_PEND, o] = t + ip[I_LAG]


@jit
def _concentration(order, values, live, n_live, row, first, buf, mark):
    """Gini, HHI and Nakamoto (1/3) of ``values`` over live operators into ``row[first:first + 3]``.

    ``order[:L]`` (``L = order[-1]``) keeps the live operators sorted by value from the last
    epoch: operators no longer live are dropped, new ones appended, and an insertion sort
    restores the order in about one pass when it changes little. Gini and Nakamoto come from
    the metrics' sorted-row kernels; HHI is the sum of squared shares (as ``fs.hhi``, which the
    tests compare against). NaN when no live operator holds anything. ``mark`` is all zero on
    entry and on exit.
    """
    n_ops = values.shape[0] - 1
    m = 0
    for j in range(order[n_ops]):
        o = order[j]
        if live[o] > 0.0:
            order[m] = o
            mark[o] = 1.0
            m += 1
    if m < n_live:
        for o in range(n_ops):
            if live[o] > 0.0 and mark[o] == 0.0:
                order[m] = o
                m += 1
    for j in range(m):
        mark[order[j]] = 0.0
    order[n_ops] = m
    for j in range(1, m):
        o = order[j]
        key = values[o]
        q = j - 1
        while q >= 0 and values[order[q]] > key:
            order[q + 1] = order[q]
            q -= 1
        order[q + 1] = o
    total = 0.0
    for j in range(m):
        buf[j] = values[order[j]]
        total += buf[j]
    if m == 0 or total <= 0.0:
        row[first] = np.nan
        row[first + 1] = np.nan
        row[first + 2] = np.nan
        return
    held = buf[:m].reshape((1, m))
    row[first] = _gini_rows(held, held, False)[0]
    squares = 0.0
    for j in range(m):
        share = buf[j] / total
        squares += share * share
    row[first + 1] = squares
    row[first + 2] = _nakamoto_rows(held, _NAKAMOTO_THRESHOLD, False)[0]


@jit
def _price(t, r, price_exo, sr):
    return price_exo[r, t] * math.exp(sr[r, SR_M])
