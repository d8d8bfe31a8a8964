"""Simulator kernels, step 4d of an epoch: the summary row of measures (and the kept per-node state).

Public through :func:`fairshare.simulate` (``MEASURES``). Concentration uses the metrics' own
sorted-row kernels (:mod:`fairshare._kernels.inequality`).
"""

from __future__ import annotations

import numpy as np

from ..._jit import jit
from ..inequality import gini_sorted_rows, nakamoto_sorted_rows
from .state import (
    F_BUSY,
    F_STAKE,
    F_WORK,
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
    OP_BUF,
    OP_LIVE,
    OP_MARK,
    OP_STAKE,
    OP_TOK,
    P_EPY,
    SN_ACTIVE,
    SR_CIRC,
    SR_ENTRIES,
    SR_EXIT_HAZARD,
    SR_EXIT_LOSS,
    SR_EXIT_RETIRED,
    SR_LOCKED,
    SR_RETAIL0,
    SR_UNALLOC,
    T_ALL_TOK,
    T_CAPITAL,
    T_COVERED,
    T_FEES,
    T_OPS0,
    T_RELEASED,
    T_RETAIL_MARGIN,
    T_RETAIL_TOK,
    T_SOLD,
    T_SPART,
    T_STAKED,
    T_SURVIVORS,
    T_WORK,
)

__all__ = ["summary_row"]

_NAKAMOTO_NUM, _NAKAMOTO_DEN = 1, 3  # the threshold 1/3, decided exactly
# The metrics' own sorted-row kernels (serial variants), called on one row at a time.
_gini_rows = gini_sorted_rows.serial
_nakamoto_rows = nakamoto_sorted_rows.serial


@jit
def summary_row(t, r, net, st, rec, pay, ops, tally):
    """The measures of run ``r`` in epoch ``t`` into ``summary[r, t]`` (``MEASURES`` order).

    Reads the settled operators (``ops``, :func:`.economics.operator_margins`), the epoch's totals
    (``tally``, also :func:`.sales.vest_and_sell`'s released and sold tokens), the run scalars
    ``sr`` after the supply moved and ``pay``. Shares and ratios are NaN when their denominator is
    not positive: retail share = retail rewards / all rewards; survival = surviving initial
    retail operators / initial retail operators; staking yield = stake-driven rewards / bonded
    stake x epochs per year; stake / capital / compute shares of paid tokens (``emission -
    unallocated``); unserved share = lost / (lost + real work). Reward and stake concentration
    (Gini, HHI, Nakamoto 1/3) are over every operator live in some epoch of the run, those not live
    now at 0 (survivorship-free). With kept state, writes rewards, stake,
    work, activity and busy seconds of every node into ``keep[:, r, t]``.
    """
    sr, sn, feat, keep = st.sr, st.sn, st.feat, rec.keep
    exo, p = net.exo, net.p
    emission, unlock, unlock_sell, pool, bucket_locked = exo[t, 0], exo[t, 1], exo[t, 2], exo[t, 3], exo[t, 4]
    unallocated, own, lost, fake_work, price = pay.unallocated, pay.own, pay.lost, pay.fake_work, pay.price
    row = rec.summary[r, t]
    _concentration(st.orders[r], ops, row)
    retail_tok, all_tok, survivors = tally[T_RETAIL_TOK], tally[T_ALL_TOK], tally[T_SURVIVORS]
    counts = tally[T_OPS0:T_OPS0 + 5]
    capital, spart_total, staked = tally[T_CAPITAL], tally[T_SPART], tally[T_STAKED]
    work, sold, paid = tally[T_WORK], tally[T_SOLD], emission - unallocated
    row[M_RETAIL_SHARE] = retail_tok / all_tok if all_tok > 0.0 else np.nan
    row[M_SURVIVAL] = survivors / sr[r, SR_RETAIL0] if sr[r, SR_RETAIL0] > 0.0 else np.nan
    row[M_OPS] = counts.sum()
    for k in range(5):
        row[M_OPS0 + k] = counts[k]
    row[M_RETAIL_COVER] = tally[T_COVERED] / counts[0] if counts[0] > 0 else np.nan
    row[M_RETAIL_MARGIN] = tally[T_RETAIL_MARGIN] / counts[0] if counts[0] > 0 else np.nan
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
    row[M_RELEASED] = tally[T_RELEASED]
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
    row[M_FAKERS] = pay.buying
    row[M_WORK] = work
    row[M_FEES] = tally[T_FEES]
    row[M_UNSERVED] = lost / (lost + work - fake_work) if lost + work - fake_work > 0.0 else np.nan
    if keep.shape[2] > 0:
        rewards = pay.rewards
        for i in range(rewards.shape[0]):
            keep[0, r, t, i] = rewards[i]
            keep[1, r, t, i] = feat[F_STAKE, r, i]
            keep[2, r, t, i] = feat[F_WORK, r, i]
            keep[3, r, t, i] = sn[r, SN_ACTIVE, i]
            keep[4, r, t, i] = feat[F_BUSY, r, i]


@jit
def _concentration(orders, ops, row):
    """Gini, HHI and Nakamoto (1/3) of the operators' rewards (``ops[OP_TOK]``) into ``row[M_RGINI:M_RGINI + 3]``
    and of their stake (``ops[OP_STAKE]``) into ``row[M_SGINI:M_SGINI + 3]``, over every operator live in some
    epoch of the run so far; an operator not live this epoch (it left, or its nodes did) counts with 0
    (survivorship-free: exits do not make the rest look more equal).

    ``orders[0, :L]`` and ``orders[1, :L]`` (``L = orders[k, -1]``, the same operators) keep those
    operators sorted by rewards and by stake from the last epoch: operators live for the first time
    are appended to both (none is ever dropped), and an insertion sort (:func:`_sort_held`) restores
    each order in about one pass when it changes little. Gini and Nakamoto come from the metrics'
    sorted-row kernels; HHI is the sum of squared shares (as ``fs.hhi``, which the tests compare
    against). The two measures' sums run side by side, each in its own sorted order. NaN when no
    operator holds anything. ``ops[OP_MARK]`` is all zero on entry and on exit.
    """
    live, mark = ops[OP_LIVE], ops[OP_MARK]
    n_ops = live.shape[0] - 1
    by_tok, by_stake = orders[0], orders[1]
    m = by_tok[n_ops]
    for j in range(m):
        mark[by_tok[j]] = 1.0
    for o in range(n_ops):
        if live[o] > 0.0 and mark[o] == 0.0:
            by_tok[m] = o
            by_stake[m] = o
            m += 1
    for j in range(m):
        mark[by_tok[j]] = 0.0
    by_tok[n_ops] = m
    by_stake[n_ops] = m
    tok = _sort_held(by_tok, ops[OP_TOK], live, ops[OP_BUF], m)
    stake = _sort_held(by_stake, ops[OP_STAKE], live, np.empty(m), m)
    tok_total = 0.0
    stake_total = 0.0
    for j in range(m):
        tok_total += tok[j]
        stake_total += stake[j]
    tok_squares = 0.0
    stake_squares = 0.0
    for j in range(m):  # (a share is garbage when its total is not positive, and then not used)
        share = tok[j] / tok_total
        tok_squares += share * share
        share = stake[j] / stake_total
        stake_squares += share * share
    _held_measures(tok, tok_total, tok_squares, row, M_RGINI)
    _held_measures(stake, stake_total, stake_squares, row, M_SGINI)


@jit
def _sort_held(order, values, live, buf, m):
    """Sorts ``order[:m]`` (operators) by what each holds (``values``, 0 when not live), by insertion from its
    last order; returns ``buf[:m]``, the holdings in the new order."""
    for j in range(m):  # the holdings in last epoch's order, then sorted together with the operators
        o = order[j]
        buf[j] = values[o] if live[o] > 0.0 else 0.0
    for j in range(1, m):
        o = order[j]
        key = buf[j]
        q = j - 1
        while q >= 0 and buf[q] > key:
            order[q + 1] = order[q]
            buf[q + 1] = buf[q]
            q -= 1
        order[q + 1] = o
        buf[q + 1] = key
    return buf[:m]


@jit
def _held_measures(held, total, squares, row, first):
    """Gini, HHI (``squares``) and Nakamoto of the ascending holdings ``held`` (summing to ``total``) into
    ``row[first:first + 3]``; NaN when nothing is held."""
    m = held.shape[0]
    if m == 0 or total <= 0.0:
        row[first] = np.nan
        row[first + 1] = np.nan
        row[first + 2] = np.nan
        return
    rows = held.reshape((1, m))
    row[first] = _gini_rows(rows, rows, False)[0]
    row[first + 1] = squares
    row[first + 2] = _nakamoto_rows(rows, _NAKAMOTO_NUM, _NAKAMOTO_DEN, False)[0]
