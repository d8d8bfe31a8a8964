"""AtomOne-style Nakamoto bonus: a share eta of each reward paid equally per validator, the rest by stake.

Sources: atomone-hub/atomone ``docs/architecture/adr-004-nakamoto-bonus.md``
(ADR 004, 19 May 2025: ``r_j = x_j / S * PR + NB / N`` with ``NB = eta * R``,
``PR = R - NB``; eta starts at 3% and moves by +-3 points every 120k blocks,
up when the mean voting power of the top third of validators is at least 3x
that of the bottom third, down otherwise) and its implementation
``x/distribution/keeper/eta.go`` (``AdjustEta``: with fewer than 100
validators the groups are the top and bottom ``n // 3``; with 100 or more,
the top 33 and everyone from rank 67 on; eta is clamped to [0, 1]; nothing
changes with fewer than 3 validators).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from ..formulas import Allocation, Formula
from ._inputs import check_nonneg, check_unit, check_whole
from .livepeer import stake_equal_mix

__all__ = ["AtomOneNakamotoBonus", "adjust_eta"]


def adjust_eta(eta: float, stakes, step: float = 0.03, ratio: float = 3.0) -> float:
    """One AtomOne eta update from the bonded stakes (``AdjustEta`` of ``x/distribution/keeper/eta.go``).

    Validators are sorted by stake; ``high`` is the top third and ``low`` the
    bottom third (``n // 3`` each below 100 validators; the top 33 and ranks
    67 on from 100). eta rises by ``step`` when the low group's mean is zero or
    the high mean is at least ``ratio`` times the low mean, and falls by
    ``step`` otherwise, clamped to [0, 1]. Fewer than 3 validators: unchanged.

    Parameters
    ----------
    eta : float
        The current eta, in [0, 1].
    stakes : array_like
        Bonded stake of each validator (any order).
    step : float, default 0.03
        Change of eta per update.
    ratio : float, default 3.0
        High-to-low mean stake ratio at or above which eta rises.
    """
    s = np.sort(np.asarray(stakes, dtype=np.float64))[::-1]
    n = s.size
    if n < 3:
        return float(eta)
    high, low = (s[: n // 3], s[n - n // 3:]) if n < 100 else (s[:33], s[66:])
    high_mean, low_mean = high.mean(), low.mean()
    up = low_mean == 0 or high_mean >= ratio * low_mean
    return float(min(max(eta + step if up else eta - step, 0.0), 1.0))


def _bonded(features) -> np.ndarray:
    """``(E, K)`` stake of the nodes active in each epoch (0 elsewhere)."""
    return np.where(features.active > 0, features.stake_tokens, 0.0)


@dataclass(frozen=True)
class AtomOneNakamotoBonus(Formula):
    """``r_i = E * ((1 - eta) * x_i / S + eta / N)`` over nodes active with stake > 0.

    The Nakamoto bonus ``eta * E`` is paid equally to the ``N`` eligible nodes,
    the rest pro rata to stake, so reward per unit of stake is higher on small
    nodes and stake is pushed toward them (raising the Nakamoto coefficient).
    With ``adjust_every`` set, eta follows AtomOne's controller
    (:func:`adjust_eta`) at every epoch whose number is a multiple of
    ``adjust_every`` (as the chain updates at block heights multiple of
    120,000), before that epoch is paid; :meth:`eta_path` reports it. Epochs
    with no eligible node leave the emission unallocated.

    Parameters
    ----------
    eta : float in [0, 1], initial bonus share (0.03, ADR 004).
    adjust_every : int >= 1 or None (eta fixed).
    eta_step : float in [0, 1], the controller's step (0.03, ``EtaStep``).
    ratio_threshold : float >= 0, high/low mean stake ratio that raises eta (3).

    Notes
    -----
    Sybil: rewarded for a fixed eta > 0 (ADR 004 §"Sybil attack": splitting
    keeps the proportional part and multiplies the bonus), neutral for
    eta = 0, unknown with the controller on (a split changes the thirds and
    so eta's path).

    Examples
    --------
    >>> import fairshare as fs
    >>> h = fs.datasets.open_inference_network(seed=0, scale="small")
    >>> rule = fs.presets.AtomOneNakamotoBonus(eta=0.03, adjust_every=7)  # weekly on daily epochs
    >>> f = fs.aggregate(h)
    >>> rule(f).rewards.shape, len(rule.eta_path(f))
    ((30, 80), 30)
    """

    eta: float = 0.03
    adjust_every: int | None = None
    eta_step: float = 0.03
    ratio_threshold: float = 3.0
    name: ClassVar[str] = "atomone_nakamoto_bonus"
    monotone: ClassVar[bool] = True

    def __post_init__(self):
        check_unit(self.eta, "AtomOneNakamotoBonus eta")
        check_unit(self.eta_step, "AtomOneNakamotoBonus eta_step")
        check_nonneg(self.ratio_threshold, "AtomOneNakamotoBonus ratio_threshold")
        check_whole(self.adjust_every, "AtomOneNakamotoBonus adjust_every", optional=True)

    def sybil(self):
        if self.adjust_every is not None:
            return "unknown"
        return "rewarded" if self.eta > 0 else "neutral"

    def describe(self):
        mode = f", adjusted every {self.adjust_every} epochs" if self.adjust_every else ""
        return f"{self.eta:.0%} of emission equally per staked node, the rest by stake{mode}"

    def eta_path(self, features) -> pd.Series:
        """eta in force in each epoch."""
        path = self._eta_path(features.epochs, _bonded(features))
        return pd.Series(path, index=pd.Index(features.epochs, name="epoch"), name="eta")

    def _eta_path(self, epochs, stake) -> np.ndarray:
        eta, path = float(self.eta), []
        for e, epoch in enumerate(epochs):
            if self.adjust_every is not None and int(epoch) % int(self.adjust_every) == 0:
                eta = adjust_eta(eta, stake[e][stake[e] > 0], self.eta_step, self.ratio_threshold)
            path.append(eta)
        return np.array(path, dtype=np.float64)

    def allocate(self, features):
        stake = _bonded(features)
        eta = self._eta_path(features.epochs, stake)[:, None]
        emission = features.emission_tokens
        rewards = stake_equal_mix(stake, eta) * emission[:, None]
        return Allocation(rewards, np.where((stake > 0).any(axis=1), 0.0, emission), emission)
