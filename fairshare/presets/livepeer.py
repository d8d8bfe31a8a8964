"""Livepeer-style stake-weighted selection: work and reward follow bonded stake, with an optional random part.

Sources: livepeer/protocol ``BondingManager`` reward (minted tokens of a
round go to active orchestrators pro rata to their active stake,
[sources: livepeer-protocol]) and livepeer/go-livepeer ``server/selection_algorithm.go``
(``ProbabilitySelectionAlgorithm.calculateProbabilities``: a session goes to
an orchestrator with probability ``StakeWeight * stake_i / sum stake +
RandWeight / n + ...``). The forum proposal quoted in [sources: livepeer-protocol] notes
small orchestrators win work only through a "30% random" part.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..formulas import Allocation, Formula
from ._inputs import check_unit, check_whole

__all__ = ["LivepeerStake", "selection_probability"]


def selection_probability(stake: np.ndarray, random_share: float = 0.0) -> np.ndarray:
    """Probability that a job goes to each candidate: ``(1 - r) * s_i / sum s + r / n`` (per row).

    Candidates are the entries with stake > 0 (bonded orchestrators); a row
    with none gives zeros. This is go-livepeer's ``calculateProbabilities``
    with ``StakeWeight = 1 - r``, ``RandWeight = r`` and no price term.

    Parameters
    ----------
    stake : array_like, shape (n,) or (rows, n)
        Stake of each candidate; candidates are the entries > 0.
    random_share : float, default 0.0
        ``r``, in [0, 1]: the part of the probability spread evenly over candidates.
    """
    check_unit(random_share, "random_share")
    return stake_equal_mix(np.atleast_2d(np.asarray(stake, dtype=np.float64)), random_share)


def stake_equal_mix(s: np.ndarray, equal_share) -> np.ndarray:
    """Per row of ``(E, K)`` stake: ``(1 - q) * s_i / sum s + q / n`` over the entries with stake > 0.

    ``equal_share`` ``q`` is a number or an ``(E, 1)`` column (one per row);
    a row with no positive stake gives zeros. Shared by
    :func:`selection_probability` and AtomOne's Nakamoto bonus.
    """
    eligible = s > 0
    n = eligible.sum(axis=1, keepdims=True)
    total = np.where(eligible, s, 0.0).sum(axis=1, keepdims=True)
    by_stake = np.divide(np.where(eligible, s, 0.0), total, out=np.zeros_like(s), where=total > 0)
    uniform = np.divide(eligible.astype(np.float64), n, out=np.zeros_like(s), where=n > 0)
    return (1.0 - equal_share) * by_stake + equal_share * uniform


def _top_k_with_ties(stake: np.ndarray, k: int) -> np.ndarray:
    """Per row: entries with positive stake at or above the k-th largest positive stake (ties all admitted)."""
    positive = np.where(stake > 0, stake, 0.0)
    if k >= stake.shape[1]:
        return stake > 0
    kth = -np.partition(-positive, k - 1, axis=1)[:, k - 1]
    return (stake > 0) & (stake >= kth[:, None])


@dataclass(frozen=True)
class LivepeerStake(Formula):
    """Each epoch's emission by expected stake-weighted selection: ``E * ((1 - r) s_i / S + r / n)``.

    Candidates are the nodes active in the epoch with stake > 0 (bonded
    orchestrators), optionally only the ``active_set_size`` largest by stake
    (Livepeer's active set; nodes tied at the cut-off are all admitted). With
    ``random_share = 0`` this is the protocol's inflation reward, pro rata to
    active stake; with ``r > 0`` a share ``r`` of work is spread uniformly over
    candidates, as in go-livepeer's random selection weight (0.3 in the forum
    proposal). Work done does not enter: selection, and so payment, follow
    stake. Epochs with no candidate leave the emission unallocated.

    Parameters
    ----------
    random_share : float in [0, 1]
    active_set_size : int >= 1 or None (no cut-off)

    Notes
    -----
    Sybil: neutral with ``r = 0`` (pro rata to stake), rewarded with
    ``r > 0`` (each identity draws the uniform part); unknown with an active
    set (splitting can push identities below the cut-off). The price term of
    go-livepeer's selection is left out: the features carry no advertised
    price per node.

    Examples
    --------
    >>> import fairshare as fs
    >>> h = fs.datasets.open_inference_network(seed=0, scale="small")
    >>> rule = fs.presets.LivepeerStake(random_share=0.3, active_set_size=100)
    >>> rule(fs.aggregate(h)).rewards.shape  # (epochs, nodes)
    (30, 80)
    """

    random_share: float = 0.0
    active_set_size: int | None = None
    name: ClassVar[str] = "livepeer_stake"
    monotone: ClassVar[bool] = True

    def __post_init__(self):
        check_unit(self.random_share, "LivepeerStake random_share")
        check_whole(self.active_set_size, "LivepeerStake active_set_size", optional=True)

    def sybil(self):
        if self.active_set_size is not None:
            return "unknown"
        return "rewarded" if self.random_share > 0 else "neutral"

    def describe(self):
        cut = f", top {self.active_set_size} by stake" if self.active_set_size else ""
        return f"emission by stake-weighted selection ({self.random_share:.0%} uniform{cut})"

    def candidates(self, features) -> np.ndarray:
        """``(E, K)`` bool: nodes that can be selected in each epoch."""
        stake = features.stake_tokens * (features.active > 0)
        if self.active_set_size is not None:
            return _top_k_with_ties(stake, int(self.active_set_size))
        return stake > 0

    def allocate(self, features):
        stake = np.where(self.candidates(features), features.stake_tokens, 0.0)
        share = selection_probability(stake, self.random_share)
        emission = features.emission_tokens
        rewards = share * emission[:, None]
        paid = share.sum(axis=1) > 0
        return Allocation(rewards, np.where(paid, 0.0, emission), emission)
