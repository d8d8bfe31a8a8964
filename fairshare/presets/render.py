"""Render-style rewards: a work-value share plus availability rewards that decay per node of one wallet.

Sources: rendernetwork/RNPs ``RNP-001`` (burn-mint equilibrium: node
operators' emission pro rata to the value of completed work) and
``RNP-015.md`` "Availability Rewards" (draft: per node ``idletime % * quality
* Centralization Penalty * weight``; rewards decay after 3 nodes of a wallet,
``high_node_penalty(x) = 1`` for ``1 <= x <= 3``, else ``exp(-0.65 (x - 3))``).
The 90% work / 10% availability split is a secondary source's figure
(levex.com, graded L in [sources: render-bme]): a default, not a protocol constant.

:class:`RenderComputeRewards` is the Render Compute Network's rule of
``RNP-019.md`` (implemented 2025): availability rewards by uptime and job
rewards by hours worked times the spec Compound Multiplier [sources: render-rnp-019].
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from ..errors import FormulaError
from ..formulas import Allocation, Formula, Proportional, component, proportional
from ._inputs import as_series, check_component, check_nonneg, check_unit, check_whole, node_values

__all__ = ["RenderAvailability", "wallet_decay", "RenderComputeRewards", "spec_multiplier", "rnp019_rewards",
           "RNP019_WEIGHTS", "RNP019_GPU_SCORES"]


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
    >>> h = fs.datasets.open_inference_network(seed=0, scale="small")
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


# ---------------------------------------------------------------------------------------------------------------
# RNP-019: the Render Compute Network's availability and job rewards with spec multipliers

#: RNP-019 Appendix 3: factor -> weight of the Compound Multiplier ``CM = sum_i W_i M_i`` [sources: render-rnp-019].
#: The RNP says they sum to 1.0; they sum to 0.97 (its own Example 1 prints 0.97 and then uses "~1.0").
RNP019_WEIGHTS = {"gpu": 0.36, "vram": 0.26, "network": 0.15, "clock": 0.08, "memory_bandwidth": 0.08, "cpu": 0.04}

#: RNP-019 "GPU Model Scores for Distributed GPU Processing" (the GPU factor's multiplier, RTX 4090 = 1).
RNP019_GPU_SCORES = {
    "RTX 5090": 1.7, "RTX 5090D": 1.65, "RTX 4090": 1.0, "RTX 4090D": 0.95, "RTX 4080": 0.85, "RTX 5080": 1.35,
    "RTX 5070 Ti": 1.1, "RTX 5070": 1.05, "RTX 4070 Ti": 0.75, "RTX 4070": 0.65, "RTX 4060 Ti": 0.55,
    "RTX 4060": 0.5, "RTX 3090 Ti": 0.9, "RTX 3090": 0.85, "RTX 3080 Ti": 0.8, "RTX 3080-12G": 0.75,
    "RTX 3080": 0.7, "RTX 3070 Ti": 0.65, "RTX 3070": 0.6, "RTX 3060 Ti": 0.55, "RTX 3060": 0.5,
    "RTX 3060M": 0.45, "RTX 3050": 0.4,
}

RNP019_EPOCH_HOURS = 168.0  # weekly epochs, aligned with rendering nodes
RNP019_AVAILABILITY_TOKENS = 2.0  # RENDER per node per epoch at 100% uptime
RNP019_JOB_TOKENS = 10.0  # RENDER per epoch for an RTX 4090 (CM = 1) at 100% utilisation


def spec_multiplier(gpu: float = 1.0, vram: float = 1.0, network: float = 1.0, clock: float = 1.0,
                    memory_bandwidth: float = 1.0, cpu: float = 1.0) -> float:
    """RNP-019's Compound Multiplier ``CM = sum_i W_i M_i`` over the six weighted factors (:data:`RNP019_WEIGHTS`).

    ``CM = 0.36 M_gpu + 0.26 M_vram + 0.15 M_network + 0.08 M_clock + 0.08 M_membw + 0.04 M_cpu``.

    Parameters
    ----------
    gpu, vram, network, clock, memory_bandwidth, cpu : float, default 1.0
        Each factor's performance multiplier ``M_i`` from RNP-019 Appendix 2 (1 = the RTX 4090 baseline;
        e.g. ``gpu=RNP019_GPU_SCORES["RTX 5090"]``, ``vram=1.33`` for 32 GB, ``network=4`` for 1600/1200 Mbps).

    Returns
    -------
    float

    Examples
    --------
    >>> round(spec_multiplier(gpu=1.7, vram=1.33, network=4, clock=1.12, memory_bandwidth=1.28, cpu=1.5), 4)
    1.8098
    """
    values = {"gpu": gpu, "vram": vram, "network": network, "clock": clock, "memory_bandwidth": memory_bandwidth,
              "cpu": cpu}
    for what, value in values.items():
        check_nonneg(value, f"spec_multiplier {what}")
    return float(sum(RNP019_WEIGHTS[k] * v for k, v in values.items()))


def rnp019_rewards(multiplier, hours_worked, uptime, *, job_tokens: float = RNP019_JOB_TOKENS,
                   availability_tokens: float = RNP019_AVAILABILITY_TOKENS,
                   epoch_hours: float = RNP019_EPOCH_HOURS) -> tuple[np.ndarray, np.ndarray]:
    """RNP-019 rewards of one epoch: ``(job, availability)`` tokens per node.

    ``job = 10 x CM x hours_worked / 168`` and ``availability = 2 x uptime`` (uptime as a fraction of the
    epoch), in RENDER per weekly epoch [sources: render-rnp-019].

    Parameters
    ----------
    multiplier : array_like
        Each node's Compound Multiplier (:func:`spec_multiplier`).
    hours_worked : array_like
        Hours of jobs in the epoch.
    uptime : array_like
        Fraction of the epoch online, in [0, 1].
    job_tokens, availability_tokens, epoch_hours : float
        The RNP's 10 RENDER, 2 RENDER and 168 hours (the Foundation may raise the rewards up to 3x).

    Returns
    -------
    (ndarray, ndarray)
    """
    cm, hours, up = (np.asarray(x, dtype=np.float64) for x in (multiplier, hours_worked, uptime))
    if not (np.isfinite(cm).all() and (cm >= 0).all() and np.isfinite(hours).all() and (hours >= 0).all()
            and np.isfinite(up).all() and (up >= 0).all() and (up <= 1).all()):
        raise FormulaError("rnp019_rewards needs multipliers and hours worked >= 0 and uptime in [0, 1].")
    return job_tokens * cm * hours / epoch_hours, availability_tokens * up


@dataclass(frozen=True, eq=False)
class RenderComputeRewards(Formula):
    """Render Compute Network (RNP-019): availability by uptime plus job rewards by hours worked x spec multiplier.

    Per node and epoch of ``L`` seconds, in tokens: availability ``2 x online / (168 h)`` (2 RENDER per weekly
    epoch at full uptime, prorated) plus jobs ``10 x CM x busy / (168 h)`` (10 RENDER per weekly epoch for an
    RTX 4090 at full utilisation, scaled by the node's Compound Multiplier ``CM``), as :func:`rnp019_rewards`.
    RNP-019 pays these amounts from a reserved tranche with no cap ("an estimate, not a cap"); fairshare's
    rules split each epoch's emission, so when the amounts exceed the emission they are scaled down pro rata
    (``scale_to_emission=True``, the default; the epoch's emission is the tranche), and what they leave is
    reported unallocated.

    Parameters
    ----------
    multiplier : Series or None
        node_id -> Compound Multiplier (:func:`spec_multiplier`); None: 1 for every node (the baseline).
        Nodes missing from the Series earn no job rewards.
    job_tokens, availability_tokens : float
        RNP-019's 10 and 2 RENDER per weekly epoch (the Foundation may raise both up to 3x).
    scale_to_emission : bool
        Scale the amounts down to the epoch's emission when they exceed it (else: an error).

    Notes
    -----
    Sybil: availability is per identity (splitting a node's uptime across keys is not possible without
    more hardware, but each key claims its own 2 RENDER), so the rule is declared ``"unknown"``; jobs pay
    hours worked, neutral to splits.

    Examples
    --------
    >>> import fairshare as fs
    >>> h = fs.datasets.open_inference_network(seed=0, scale="small")
    >>> fs.presets.RenderComputeRewards()(fs.aggregate(h)).rewards.shape
    (30, 80)
    """

    multiplier: object = field(default=None, repr=False)
    job_tokens: float = RNP019_JOB_TOKENS
    availability_tokens: float = RNP019_AVAILABILITY_TOKENS
    scale_to_emission: bool = True
    name: ClassVar[str] = "render_compute_rnp019"
    monotone: ClassVar[bool] = True

    def __post_init__(self):
        check_nonneg(self.job_tokens, "RenderComputeRewards job_tokens")
        check_nonneg(self.availability_tokens, "RenderComputeRewards availability_tokens")
        if self.multiplier is not None:
            object.__setattr__(self, "_multiplier", as_series(self.multiplier, "RenderComputeRewards multiplier"))

    def sybil(self):
        return "unknown"

    def describe(self):
        return (f"RNP-019: {self.availability_tokens:g} tokens per node-week of uptime plus {self.job_tokens:g} "
                f"x spec multiplier per week of jobs")

    def amounts(self, features) -> np.ndarray:
        """``(E, K)`` RNP-019 amounts before any scaling to the emission."""
        week = RNP019_EPOCH_HOURS * 3600.0
        active = features.active > 0
        cm = np.ones(features.shape[1]) if self.multiplier is None else \
            node_values(self._multiplier, features.entity_ids, "RenderComputeRewards multiplier")
        online = np.minimum(features.online_seconds * active / week, 1.0)
        job, avail = rnp019_rewards(cm[None, :], features.busy_seconds * active / 3600.0, online,
                                    job_tokens=self.job_tokens, availability_tokens=self.availability_tokens)
        return job + avail

    def allocate(self, features):
        emission = features.emission_tokens
        amounts = self.amounts(features)
        totals = amounts.sum(axis=1)
        over = totals > emission
        if over.any() and not self.scale_to_emission:
            raise FormulaError(f"RenderComputeRewards: RNP-019 amounts exceed the emission in {int(over.sum())} "
                               "epoch(s); set scale_to_emission=True to scale them down pro rata.")
        factor = np.where(over, np.divide(emission, totals, out=np.zeros_like(totals), where=totals > 0), 1.0)
        rewards = amounts * factor[:, None]
        return Allocation(rewards, emission - rewards.sum(axis=1), emission)
