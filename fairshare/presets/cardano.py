"""Cardano-style saturation: stake counts only up to ``1/k`` of the total, with optional pledge influence a0.

Source: the Shelley pool reward (docs.cardano.org "Pledging and rewards";
IOHK, "Design Specification for Delegation and Incentives in Cardano",
Shelley; Brünjes, Kiayias, Koutsoupias, Stouka, "Reward Sharing Schemes for
Stake Pools", EuroS&P 2020)::

    f(s, sigma) = R / (1 + a0) * (sigma' + s' * a0 * (sigma' - s' * (z0 - sigma') / z0) / z0)

with ``z0 = 1/k``, ``sigma' = min(sigma, z0)``, ``s' = min(s, z0)``; ``sigma``
is the pool's relative stake and ``s`` its pledge's. What pools do not earn
(over-saturated stake, the pledge discount) returns to the reserve.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from ..formulas import Allocation, Formula
from ._inputs import as_series, check_nonneg, check_whole, node_values

__all__ = ["CardanoSaturation", "pool_reward"]


def pool_reward(sigma, s, k: int, a0: float, R: float = 1.0) -> np.ndarray:
    """Shelley optimal pool reward ``f(s, sigma)`` (see the module docstring), elementwise.

    Parameters
    ----------
    sigma : array_like
        The pool's stake relative to the total stake.
    s : array_like
        The pool's pledge relative to the total stake (broadcast against ``sigma``).
    k : int
        Target number of pools; saturation is at ``z0 = 1 / k``.
    a0 : float
        Pledge influence (0: the pledge makes no difference).
    R : float, default 1.0
        Rewards available to all pools, in the unit of the result.
    """
    z0 = 1.0 / k
    sig = np.minimum(np.asarray(sigma, dtype=np.float64), z0)
    sp = np.minimum(np.asarray(s, dtype=np.float64), z0)
    return R / (1.0 + a0) * (sig + sp * a0 * (sig - sp * (z0 - sig) / z0) / z0)


@dataclass(frozen=True, eq=False)
class CardanoSaturation(Formula):
    """Each node is a pool; it earns :func:`pool_reward` of the epoch's emission; the rest is unallocated.

    ``sigma_i`` is the node's stake over the stake of all nodes active in the
    epoch; ``s_i`` its pledge over the same total. A pool whose stake is
    below its declared pledge earns nothing in that epoch (Cardano pays no
    rewards when the pledge is not honoured).

    Parameters
    ----------
    k : int >= 1, desired number of pools; saturation ``z0 = 1/k`` (mainnet 500).
    a0 : float >= 0, pledge influence (mainnet 0.3); 0 ignores pledge.
    pledge : Series node_id -> pledged tokens, or None (no pledge). Nodes
        missing from it have no pledge.

    Notes
    -----
    Unallocated = the emission pools do not earn (saturated stake, unpledged
    discount), which Cardano returns to the reserve. Sybil: rewarded with
    ``a0 = 0`` and no pledge input (splitting a saturated pool earns its
    excess back), unknown otherwise (a new identity has no pledge until it
    declares one). Stake-only: work does not enter.

    Examples
    --------
    >>> import fairshare as fs
    >>> h = fs.datasets.open_inference_network(seed=0, scale="small")
    >>> pledges = h.nodes.set_index("node_id")["stake_tokens"] / 2  # Series node_id -> tokens
    >>> rule = fs.presets.CardanoSaturation(k=500, a0=0.3, pledge=pledges)
    >>> a = rule(fs.aggregate(h))
    >>> bool((a.unallocated > 0).all())  # what returns to the reserve
    True
    """

    k: int = 500
    a0: float = 0.0
    pledge: object = field(default=None, repr=False)
    name: ClassVar[str] = "cardano_saturation"
    monotone: ClassVar[bool] = True

    def __post_init__(self):
        check_whole(self.k, "CardanoSaturation k")
        check_nonneg(self.a0, "CardanoSaturation a0")
        if self.pledge is not None:
            object.__setattr__(self, "_pledge", as_series(self.pledge, "CardanoSaturation pledge"))

    def sybil(self):
        return "rewarded" if self.a0 == 0 and self.pledge is None else "unknown"

    def describe(self):
        return f"stake-proportional, saturating at 1/{self.k} of the emission per node (a0 = {self.a0:g})"

    def allocate(self, features):
        stake = np.where(features.active > 0, features.stake_tokens, 0.0)
        total = stake.sum(axis=1, keepdims=True)
        sigma = np.divide(stake, total, out=np.zeros_like(stake), where=total > 0)
        if self.pledge is None:
            pledged = np.zeros(features.shape[1])
        else:
            pledged = node_values(self._pledge, features.entity_ids, "CardanoSaturation pledge").astype(np.float64)
        honoured = stake >= pledged[None, :]
        s = np.divide(np.broadcast_to(pledged, stake.shape), total, out=np.zeros_like(stake), where=total > 0)
        emission = features.emission_tokens
        rewards = pool_reward(sigma, s, int(self.k), float(self.a0)) * emission[:, None] * honoured * (stake > 0)
        paid = rewards.sum(axis=1)
        return Allocation(rewards, np.where(paid > 0, np.maximum(emission - paid, 0.0), emission), emission)
