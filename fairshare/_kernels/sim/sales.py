"""Simulator kernels, step 4b of an epoch: vesting, operators' sales for their bills, and the supply.

Public through :func:`fairshare.simulate`. Vesting applies the release shares of
``economics.Vesting`` (``taps``, see :mod:`fairshare.simulation.supply`).
"""

from __future__ import annotations

from ..._jit import jit
from .state import OP_BILLS, OP_GRANT, OP_LIVE, SR_CIRC, SR_LOCKED, SR_UNALLOC, T_CAPITAL, T_RELEASED, T_SOLD

__all__ = ["vest_and_sell"]


@jit
def vest_and_sell(t, r, net, st, unallocated, price, ops, tally):
    """Rewards vest, operators sell liquid tokens for their bills, and the token supply moves.

    Each settled operator's kept rewards ``ops[OP_GRANT, o]`` enter ``ring[r, t % V, o]``; it
    receives ``sum_a taps[a] ring[r, (t - a) % V, o]`` over ``a <= t`` into ``liquid[r, o]``; a live
    operator with bills ``b > 0`` (USD) then sells ``min(b / price, liquid)`` tokens. With one tap
    only live operators are settled (:func:`.economics.operator_margins` walks those), otherwise every
    operator. Delegators' cut (``tally[T_CAPITAL]``) vests in the last column. Then, with
    ``paid = emission - unallocated`` and ``released`` the tokens released this epoch:
    circulating ``+= unlocked + released``, reward-locked ``+= paid - released``, unallocated
    ``+= unallocated``. Writes ``tally[T_RELEASED]`` and ``tally[T_SOLD]``.
    """
    taps, exo = net.taps, net.exo
    ring, liquid, sr = st.ring, st.liquid, st.sr
    n_ops = net.op_start.shape[0] - 1
    v = taps.shape[0]
    slot = t % v
    walk = v == 1
    released = sold = 0.0
    for o in range(n_ops):
        live = ops[OP_LIVE, o] > 0.0
        if walk and not live:
            continue
        ring[r, slot, o] = ops[OP_GRANT, o]
        out = 0.0
        for a in range(v):
            out += taps[a] * ring[r, (t - a) % v, o] if t - a >= 0 else 0.0
        released += out
        liquid[r, o] += out
        bills = ops[OP_BILLS, o]
        if live and bills > 0.0:
            sell = min(bills / price, liquid[r, o])
            liquid[r, o] -= sell
            sold += sell
    ring[r, slot, n_ops] = tally[T_CAPITAL]  # delegators' rewards vest too
    out = 0.0
    for a in range(v):
        out += taps[a] * ring[r, (t - a) % v, n_ops] if t - a >= 0 else 0.0
    released += out
    paid = exo[t, 0] - unallocated
    sr[r, SR_CIRC] += exo[t, 1] + released
    sr[r, SR_LOCKED] += paid - released
    sr[r, SR_UNALLOC] += unallocated
    tally[T_RELEASED] = released
    tally[T_SOLD] = sold
