"""Simulator kernels, step 4 of an epoch: settlement, as a short sequence of steps.

Public through :func:`fairshare.simulate`. :func:`settle` runs, for one run and epoch:

1. :func:`.economics.operator_margins`: node economics, operator margins, per-hardware peers;
2. :func:`.sales.vest_and_sell`: vesting, operators' sales for their bills, the token supply;
3. :func:`.price.impact` (``Price.impact`` on): net sales move the next epoch's price;
4. :func:`.summary.summary_row`: the epoch's measures (and the kept per-node state);
5. :func:`.churn.decide` (``Churn.enabled``): exits after losses, entries over the hurdle.
"""

from __future__ import annotations

import numpy as np

from ..._jit import jit
from .churn import decide
from .economics import operator_margins
from .price import impact
from .sales import vest_and_sell
from .state import I_CHURN, I_IMPACT, N_TALLY, OP_LIVE, OP_MARGIN, T_SOLD
from .summary import summary_row

__all__ = ["settle"]


@jit
def settle(t, r, net, st, rec, pay, ops, act):
    """Economics, sales, supply, price impact, the summary row and churn decisions of epoch ``t``, run ``r``.

    ``net`` is a :class:`~.state.Static`, ``st`` a :class:`~.state.State`, ``rec`` a
    :class:`~.state.Record`, ``pay`` the run's :class:`~.state.Payout`; ``act`` lists the active
    nodes (node order). ``ops`` is the run's ``(N_OPS_ROWS, O + 1)`` per-operator scratch (rows
    ``OP_*``), zero on first use; its marker row is left zeroed.
    """
    peer = np.zeros((3, net.hw_count.shape[0]))  # earned, busy, nodes of active nodes per hardware
    tally = np.zeros(N_TALLY)
    operator_margins(t, r, net, st, pay.rewards, pay.stake_part, pay.price, act, ops, peer, tally)
    vest_and_sell(t, r, net, st, pay.unallocated, pay.price, ops, tally)
    if net.ip[I_IMPACT] != 0:
        impact(t, r, net, st.sr, pay.price, tally[T_SOLD])
    summary_row(t, r, net, st, rec, pay, ops, tally)
    if net.ip[I_CHURN] != 0:
        decide(t, r, net, st.so, st.sr, ops[OP_MARGIN], ops[OP_LIVE], peer)
