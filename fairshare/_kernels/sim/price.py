"""Simulator kernels: the epoch's token price and the impact of net sales on it.

Public through :func:`fairshare.simulate`; the model is :class:`fairshare.simulation.Price`'s:
``P_t = P_exo_t e^(m_t)``, ``m_(t+1) = a m_t - 2 sign(s) ln(1 + |s| / x)`` with ``x = depth / (2 P_t)``
tokens in the pool and ``s`` the net tokens sold.
"""

from __future__ import annotations

import math

from ..._jit import jit
from .state import P_BUY, P_DECAY, P_DEPTH, SR_M

__all__ = ["epoch_price", "impact"]


@jit
def epoch_price(t, r, price_exo, sr):
    """The price of run ``r`` in epoch ``t``: ``price_exo[r, t] * exp(sr[r, SR_M])`` (USD)."""
    return price_exo[r, t] * math.exp(sr[r, SR_M])


@jit
def impact(t, r, net, sr, price, sold):
    """Move run ``r``'s log price offset ``sr[r, SR_M]`` by the epoch's net sales.

    Net sales ``s = sold + unlock_sold - buy_usd / price`` (tokens; ``unlock_sold`` is ``exo[t, 2]``)
    into a constant-product pool of ``x = depth / (2 price)`` tokens: ``m <- decay m - 2 sign(s)
    ln(1 + |s| / x)``.
    """
    p = net.p
    depth = p[P_DEPTH] / (2.0 * price)
    net_sold = sold + net.exo[t, 2] - p[P_BUY] / price
    move = 2.0 * math.log1p(abs(net_sold) / depth)
    sr[r, SR_M] = p[P_DECAY] * sr[r, SR_M] - (move if net_sold > 0.0 else -move)
