"""Simulator kernels, step 4e of an epoch: churn decisions (exits after losses, entries over a hurdle).

Public through :func:`fairshare.simulate`; the rules are :class:`fairshare.simulation.Churn`'s.
Joins decided here take effect ``entry_lag`` epochs later, in :func:`.market.begin`.
"""

from __future__ import annotations

from ..._jit import jit
from .state import (
    ACTIVE,
    I_LAG,
    LEFT,
    NF_CBUSY,
    NF_CIDLE,
    NF_ONLINE,
    NI_HW,
    OI_AVAIL,
    OI_PATIENCE,
    P_EPOCH_S,
    P_HURDLE,
    PENDING,
    SO_PEND,
    SO_STATUS,
    SO_STREAK,
    SR_EXIT_LOSS,
    WAITING,
)

__all__ = ["decide"]


@jit
def decide(t, r, net, so, sr, margin, live, peer):
    """Exits after a run of losses; entries of candidates whose expected value beats the hurdle.

    An active live operator's loss streak grows when ``margin[o] < 0`` (else resets); at
    ``patience`` epochs it leaves (``LEFT``, one more ``SR_EXIT_LOSS``). A waiting candidate
    available by ``t`` whose every node's hardware has active peers expects, per node, the peers'
    mean earned value and costs ``c_idle * epoch_s * online + c_busy * (peers' mean busy) +
    dep[0]``; when ``earned >= (1 + hurdle) cost`` and ``earned > 0`` it becomes ``PENDING``, due
    at ``t + lag``. ``peer`` is :func:`.economics.operator_margins`'s per-hardware totals.
    """
    nf, ni, oi, op_start, dep, p, ip = net.nf, net.ni, net.oi, net.op_start, net.dep, net.p, net.ip
    n_ops = op_start.shape[0] - 1
    for o in range(n_ops):
        status = so[r, SO_STATUS, o]
        if status == ACTIVE and live[o] > 0.0:
            so[r, SO_STREAK, o] = so[r, SO_STREAK, o] + 1 if margin[o] < 0.0 else 0
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
