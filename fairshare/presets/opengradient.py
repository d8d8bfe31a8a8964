"""OpenGradient's emission as its contracts pay it: the SVIP pool pro rata to validators' voting power.

What the code does: each block's SVIP reward goes to the fee collector and the Cosmos
``x/distribution`` module pays it to validators by voting power (bonded stake), with no cap on
any one validator's share [sources: og-svip-doc, og-svip-module]; the schedule is
:func:`fairshare.economics.svip_emission`. The 33% limit of ``StakedBondVault.sol``
(``MAX_DELEGATION_BPS_PER_VALIDATOR = 3300``, raised to an equal share ``ceil(10000 / n)`` basis
points when few validators are selected) caps how the liquid-staking vault spreads *its own
deposits* over validators [sources: og-staked-bond-vault]; it is not a cap on emission. The
preset therefore pays uncapped by default; ``share_cap`` is a what-if (an emission cap no contract
applies), and :func:`vault_cap` is the vault's delegation limit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .._kernels.waterfill import capped_proportional
from ..formulas import Allocation, Formula
from ._inputs import check_unit

__all__ = ["OpenGradientStaking", "vault_cap"]

BPS = 10_000


def vault_cap(n_validators: int, share_cap: float = 0.33) -> float:
    """Largest share of the vault's deposits one validator may receive: ``max(share_cap, ceil(10000 / n) / 10000)``.

    StakedBondVault's ``capBps = max(equalShareBps, MAX_DELEGATION_BPS_PER_VALIDATOR)``
    with ``equalShareBps = ceil(10000 / numSelected)``: with 2 validators 50%,
    with 3 33.34%, with 4 or more 33%.

    Parameters
    ----------
    n_validators : int
        Number of selected validators; 0 or fewer returns ``share_cap``.
    share_cap : float, default 0.33
        ``MAX_DELEGATION_BPS_PER_VALIDATOR`` as a fraction.
    """
    if n_validators <= 0:
        return share_cap
    return max(share_cap, math.ceil(BPS / n_validators) / BPS)


@dataclass(frozen=True)
class OpenGradientStaking(Formula):
    """Each epoch's emission pro rata to bonded stake (voting power), as ``x/distribution`` pays SVIP.

    By default there is no cap: ``r_i = E s_i / sum s`` over nodes active in the epoch with stake > 0.
    A ``share_cap`` (a what-if; no contract caps emission) gives ``r_i = min(cap * E, lam * s_i)``
    with ``sum r = E`` (water-filling: what a capped node cannot take goes to the others pro rata to
    stake). With ``raise_to_equal_share`` the cap is :func:`vault_cap` of the number of such nodes,
    so the emission is always placed; without it, a cap below ``1 / n`` leaves the rest unallocated.

    Fees are not emission: clients pay inference nodes directly (x402 / PIPE,
    [sources: og-tee-gateway, opg-tokenomics]), so fees never enter this allocation.
    :meth:`income_usd` adds them to the emission's value for a node-income
    view; the economics module counts them as income the same way.

    Parameters
    ----------
    share_cap : float, optional
        Largest share, in [0, 1], of an epoch's emission one node may receive; None (default) for no cap,
        as the contracts pay. Before fairshare 0.2 the default was 0.33, the vault's delegation limit.
    raise_to_equal_share : bool, default True
        Raise the cap to the equal share of the nodes with stake, as the vault does (:func:`vault_cap`).

    Notes
    -----
    Sybil: neutral without a cap (pro rata to stake); rewarded with one (a capped node split into
    identities below the cap keeps more). Stake-only, so work does not enter (monotone trivially).

    Examples
    --------
    >>> import fairshare as fs
    >>> h = fs.datasets.open_inference_network(seed=0, scale="small")
    >>> rule = fs.presets.OpenGradientStaking()
    >>> f = fs.aggregate(h)
    >>> a = rule(f)
    >>> bool(np.allclose(a.rewards.sum(axis=1) + a.unallocated, a.emission))  # every epoch's emission spent
    True
    >>> rule.income_usd(f).shape  # USD: emission at the epoch's price, fees added
    (30, 80)
    """

    share_cap: float | None = None
    raise_to_equal_share: bool = True
    name: ClassVar[str] = "opengradient_staking"
    monotone: ClassVar[bool] = True

    def __post_init__(self):
        if self.share_cap is not None:
            check_unit(self.share_cap, "OpenGradientStaking share_cap")

    def sybil(self):
        return "neutral" if self.share_cap is None else "rewarded"

    def describe(self):
        if self.share_cap is None:
            return "emission pro rata to bonded stake (voting power), uncapped, as x/distribution pays SVIP"
        return f"emission pro rata to bonded stake, at most {self.share_cap:.0%} to one node"

    def caps(self, features) -> np.ndarray:
        """Per epoch, the largest share of the emission one node may receive, ``(E,)``."""
        n = ((features.stake_tokens > 0) & (features.active > 0)).sum(axis=1)
        if self.share_cap is None:
            return np.ones(n.shape)
        if not self.raise_to_equal_share:
            return np.full(n.shape, float(self.share_cap))
        return np.array([vault_cap(int(m), float(self.share_cap)) for m in n])

    def allocate(self, features):
        emission = features.emission_tokens
        stake = np.ascontiguousarray(features.stake_tokens * (features.active > 0), dtype=np.float64)
        caps = np.ascontiguousarray(np.broadcast_to((self.caps(features) * emission)[:, None], stake.shape))
        rewards, left = capped_proportional(stake, caps, np.ascontiguousarray(emission, dtype=np.float64))
        paid = rewards.sum(axis=1) > 0
        return Allocation(rewards, np.where(paid, left, emission), emission)

    def income_usd(self, features) -> np.ndarray:
        """``(E, K)`` USD: emission tokens at the epoch's price plus the fees the node earned."""
        return self.allocate(features).rewards * features.token_price_usd[:, None] + features.fees_usd
