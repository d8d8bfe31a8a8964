"""Render-style rewards: a work-value share plus availability rewards that decay per node of one wallet.

Sources: rendernetwork/RNPs ``RNP-001`` (burn-mint equilibrium: node
operators' emission pro rata to the value of completed work) and
``RNP-015.md`` "Availability Rewards" (draft: per node ``idletime % * quality
* Centralization Penalty * weight``; rewards decay after 3 nodes of a wallet,
``high_node_penalty(x) = 1`` for ``1 <= x <= 3``, else ``exp(-0.65 (x - 3))``).
The 90% work / 10% availability split is a secondary source's figure
(levex.com, graded L in domain-facts §2.3): a default, not a protocol constant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from ..errors import FormulaError
from ..formulas import Allocation, Formula, Proportional, component, proportional
from ._inputs import as_series, check_component, check_nonneg, check_unit, check_whole, node_values

__all__ = ["RenderAvailability", "wallet_decay"]


def wallet_decay(x, free_nodes: int = 3, decay_rate: float = 0.65) -> np.ndarray:
    """RNP-015 ``high_node_penalty``: 1 up to ``free_nodes``, then ``exp(-decay_rate * (x - free_nodes))``.

    Parameters
    ----------
    x : array_like
        Number of nodes in the wallet (or the node's rank within it).
    free_nodes : int, default 3
        Nodes paid in full before the decay starts.
    decay_rate : float, default 0.65
        Exponential decay per node beyond ``free_nodes``.
    """
    x = np.asarray(x, dtype=np.float64)
    return np.where(x <= free_nodes, 1.0, np.exp(-decay_rate * (x - free_nodes)))


def _ranked_decay(score: np.ndarray, wallet: np.ndarray, free_nodes: int, decay_rate: float) -> np.ndarray:
    """Multiplier of each positive score: the decay of its rank (by score, descending) within its wallet.

    Tied scores in one wallet share the mean decay of their ranks, so the
    result does not depend on node order.
    """
    out = np.zeros(score.size)
    idx = np.flatnonzero(score > 0)
    if idx.size == 0:
        return out
    w, s = wallet[idx], score[idx]
    order = np.lexsort((-s, w))
    w, s = w[order], s[order]
    n = idx.size
    starts = np.flatnonzero(np.r_[True, w[1:] != w[:-1]])
    rank = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n])) + 1
    decay = wallet_decay(rank, free_nodes, decay_rate)
    ties = np.flatnonzero(np.r_[True, (w[1:] != w[:-1]) | (s[1:] != s[:-1])])
    sizes = np.diff(np.r_[ties, n])
    out[idx[order]] = np.repeat(np.add.reduceat(decay, ties) / sizes, sizes)
    return out


@dataclass(frozen=True, eq=False)
class RenderAvailability(Formula):
    """``work_share`` of emission by work value, the rest by availability points with a per-wallet decay.

    ``r_i = E * (w * v_i / sum v + (1 - w) * a_i / sum a)`` where ``v`` is the
    ``work_on`` component (default ``fees``: the value of completed work,
    RNP-001) and ``a_i = idle_i * q_i * d_i``: idle seconds (online minus busy,
    the "idletime %" of RNP-015 times the epoch length), a quality multiplier
    (``quality`` input, default 1) and the wallet decay ``d_i``. A wallet is the
    node's operator. A part whose total is zero in an epoch is unallocated.

    Decay form (``decay``):

    - ``"additional"`` (default): a wallet's nodes are ranked by ``idle * q``
      (descending) and the j-th gets ``wallet_decay(j)``: each *additional*
      node beyond the third earns less (0.52, 0.27, ... of a full node), and a
      wallet's total never falls when it adds a node (bounded at about 4.09
      full nodes). Chosen because the literal reading below pays a 4-node
      wallet less than a 3-node one (2.09 vs 3 node-equivalents), which pushes
      operators to open more wallets: the Sybil move RNP-015 wants to damp.
    - ``"all"``: every node of a wallet with ``x`` available nodes gets
      ``wallet_decay(x)``, RNP-015's code read literally ("the above formula
      applies to all nodes under a given user's wallet address").

    Parameters
    ----------
    work_share : float in [0, 1] (0.9).
    work_on : component paying the work part (``fees``).
    free_nodes, decay_rate : RNP-015's 3 and 0.65.
    decay : ``"additional"`` or ``"all"``.
    quality : Series node_id -> multiplier >= 0 (RNP-015's benchmark, VRAM
        and node-age term, computed by the caller), or None (1 for all). With a
        Series, nodes missing from it earn no availability reward.

    Notes
    -----
    Sybil: availability is per identity (each identity claims its online
    time), so splitting is rewarded with ``"additional"`` decay and unknown
    with ``"all"`` (small wallets gain, large ones lose); neutral when
    ``work_share = 1`` and the work part is split-neutral. Merging identities
    is rewarded too without a ``quality`` input (the merged identity's idle
    time escapes the wallet decay; this assumes busy time within online
    time) and unknown with one (a new node id is missing from ``quality``,
    so it earns no availability until it is given a score).

    Examples
    --------
    >>> import fairshare as fs
    >>> h = fs.datasets.default_network(seed=0, scale="small")
    >>> rule = fs.presets.RenderAvailability(work_share=0.9, decay="additional")
    >>> rule(fs.aggregate(h)).rewards.shape  # (epochs, nodes)
    (30, 80)
    """

    work_share: float = 0.9
    work_on: str = "fees"
    free_nodes: int = 3
    decay_rate: float = 0.65
    decay: str = "additional"
    quality: object = field(default=None, repr=False)
    name: ClassVar[str] = "render_availability"
    monotone: ClassVar[bool] = True

    def __post_init__(self):
        check_unit(self.work_share, "RenderAvailability work_share")
        check_component(self.work_on, "RenderAvailability(work_on=...)")
        check_nonneg(self.decay_rate, "RenderAvailability decay_rate")
        check_whole(self.free_nodes, "RenderAvailability free_nodes", low=0)
        if self.decay not in ("additional", "all"):
            raise FormulaError(f"RenderAvailability decay must be 'additional' or 'all', got {self.decay!r}.")
        if self.quality is not None:
            object.__setattr__(self, "_quality", as_series(self.quality, "RenderAvailability quality"))

    def sybil(self):
        if self.work_share == 1:
            return Proportional(on=self.work_on).sybil()
        if self.decay == "all":
            return "unknown"
        return "rewarded"

    def merging(self):
        if self.work_share == 1:
            return Proportional(on=self.work_on).merging()
        return "rewarded" if self.quality is None and self.work_on != "identity_floor" else "unknown"

    def describe(self):
        return (f"{self.work_share:.0%} of emission by {self.work_on}, the rest by idle availability "
                f"decaying after {self.free_nodes} nodes per wallet")

    def availability_points(self, features) -> np.ndarray:
        """``(E, K)`` availability points ``idle * quality * wallet decay`` of active nodes."""
        idle = np.maximum(features.online_seconds - features.busy_seconds, 0.0) * (features.active > 0)
        if self.quality is not None:
            idle = idle * node_values(self._quality, features.entity_ids, "RenderAvailability quality")[None, :]
        wallet = features.entity_operator
        decay = np.zeros_like(idle)
        for e in range(idle.shape[0]):
            if self.decay == "additional":
                decay[e] = _ranked_decay(idle[e], wallet, int(self.free_nodes), float(self.decay_rate))
            else:
                counts = np.bincount(wallet[idle[e] > 0], minlength=int(wallet.max(initial=-1)) + 1)
                decay[e] = np.where(idle[e] > 0, wallet_decay(counts[wallet], self.free_nodes, self.decay_rate), 0.0)
        return idle * decay

    def allocate(self, features):
        emission = features.emission_tokens
        work = proportional(component(features, self.work_on) * (features.active > 0), emission * self.work_share)
        avail = proportional(self.availability_points(features), emission * (1.0 - self.work_share))
        rewards = work.rewards + avail.rewards
        paid = rewards.sum(axis=1) > 0
        return Allocation(rewards, np.where(paid, work.unallocated + avail.unallocated, emission), emission)
