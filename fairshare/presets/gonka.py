"""Gonka-style compute-weighted rewards: a fixed epoch reward split by Proof-of-Compute weight.

Source: gonka-ai/gonka-docs ``docs/host/rewards.md`` [sources: gonka-rewards]: "a fixed amount
of GNK is minted per epoch and distributed proportionally to each Host's Proof of Compute (PoC)
weight"; the base reward decays as ``initial_reward x exp(decay_rate x epochs_since_genesis)``
(323,000 GNK, decay rate -0.000475 per epoch: a halving about every 1,460 epochs); a Host whose
missed-inference rate exceeds 10% (or that fails a confirmation PoC) forfeits the epoch's reward,
which the remaining eligible Hosts share in proportion ("implicit redistribution ... through
proportional reallocation"). Work coins (user fees) are paid per request outside the emission and
so are not part of this rule. Gonka publishes no worked examples; the cases in
:class:`GonkaComputeWeighted`'s docstring are computed by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from ..errors import FormulaError
from ..formulas import Allocation, Formula, proportional
from ._inputs import as_series, check_nonneg, check_unit, node_values

__all__ = ["GonkaComputeWeighted", "gonka_epoch_reward", "GONKA_INITIAL_EPOCH_REWARD", "GONKA_DECAY_RATE"]

#: Base epoch reward in GNK (set by governance; the docs' value) [sources: gonka-rewards].
GONKA_INITIAL_EPOCH_REWARD = 323_000.0
#: Exponential decay per epoch (a halving about every 1,460 epochs, ~4 years of daily epochs).
GONKA_DECAY_RATE = -0.000475


def gonka_epoch_reward(epochs_since_genesis, initial_reward: float = GONKA_INITIAL_EPOCH_REWARD,
                       decay_rate: float = GONKA_DECAY_RATE) -> np.ndarray:
    """Gonka's epoch reward: ``initial_reward x exp(decay_rate x epochs_since_genesis)``.

    Parameters
    ----------
    epochs_since_genesis : array_like of int >= 0
        Epoch indices counted from genesis.
    initial_reward : float, default 323,000
        Reward of epoch 0, tokens.
    decay_rate : float, default -0.000475
        Exponential rate per epoch (<= 0).

    Returns
    -------
    ndarray

    Examples
    --------
    >>> float(gonka_epoch_reward(0))
    323000.0
    >>> round(float(gonka_epoch_reward(1460)))  # about half: the docs' 4-year halving
    161443
    """
    e = np.asarray(epochs_since_genesis, dtype=np.float64)
    if not (np.isfinite(e).all() and (e >= 0).all()):
        raise FormulaError("gonka_epoch_reward needs epochs_since_genesis >= 0.")
    check_nonneg(initial_reward, "gonka_epoch_reward initial_reward")
    if not (np.isfinite(decay_rate) and decay_rate <= 0):
        raise FormulaError(f"gonka_epoch_reward decay_rate must be a finite number <= 0, got {decay_rate!r}.")
    return initial_reward * np.exp(decay_rate * e)


@dataclass(frozen=True, eq=False)
class GonkaComputeWeighted(Formula):
    """Each epoch's emission in proportion to PoC weight x uptime, over hosts not disqualified.

    ``r_i = E w_i / sum_j w_j`` with ``w_i = poc_weight_i x online_i / epoch`` for active nodes whose
    missed-inference rate is at most ``max_missed`` (others get 0, and their share goes to the rest pro
    rata). A Host's PoC weight is the compute it proves in the epoch's PoC sprint (its GPUs' throughput);
    uptime prorates a node that is online for part of the epoch.

    Parameters
    ----------
    poc_weight : Series or None
        node_id -> PoC weight (compute proven, e.g. nonces per sprint); None: 1 for every node (equal
        weight per node-epoch online). Nodes missing from the Series have weight 0.
    missed : Series or DataFrame or None
        Missed-inference rate per node (Series) or epoch x node (DataFrame), in [0, 1]; None: none missed.
    max_missed : float, default 0.10
        Largest missed rate that keeps the epoch's reward (the docs' 10%).
    epoch_seconds : float, default 86400
        Length of the history's epochs (uptime is ``online_seconds / epoch_seconds``, at most 1).

    Notes
    -----
    Hand-computed cases (tests/test_presets.py replays them): three hosts online the whole epoch with
    PoC weights 400, 100 and 500 and an emission of 323,000 receive 129,200, 32,300 and 161,500
    (``323,000 x 0.4 / 0.1 / 0.5``). If the third misses 12% of its inferences (above 10%) it forfeits, and
    the first two share the epoch 4:1: 258,400 and 64,600. If instead the second is online half the
    epoch, its weight is 50 and the split is 400:50:500 of 950: 136,000, 17,000 and 170,000.

    Sybil: on the chain a PoC weight is proven GPU throughput, so keys sharing GPUs prove no more compute.
    Here the weight is an input per node id: with ``poc_weight=None`` every key online weighs 1, so
    splitting is rewarded (and merging penalised); with a Series a new key is missing from it and earns
    nothing until it is given a weight (``"unknown"``). Monotone in uptime; work does not enter.

    Examples
    --------
    >>> import fairshare as fs
    >>> h = fs.datasets.open_inference_network(seed=0, scale="small")
    >>> fs.presets.GonkaComputeWeighted()(fs.aggregate(h)).rewards.shape
    (30, 80)
    """

    poc_weight: object = field(default=None, repr=False)
    missed: object = field(default=None, repr=False)
    max_missed: float = 0.10
    epoch_seconds: float = 86_400.0
    name: ClassVar[str] = "gonka_compute_weighted"
    monotone: ClassVar[bool] = True

    def __post_init__(self):
        check_unit(self.max_missed, "GonkaComputeWeighted max_missed")
        check_nonneg(self.epoch_seconds, "GonkaComputeWeighted epoch_seconds")
        if self.epoch_seconds <= 0:
            raise FormulaError(f"GonkaComputeWeighted epoch_seconds must be > 0, got {self.epoch_seconds!r}.")
        if self.poc_weight is not None:
            object.__setattr__(self, "_weight", as_series(self.poc_weight, "GonkaComputeWeighted poc_weight"))
        if isinstance(self.missed, pd.DataFrame):
            values = self.missed.to_numpy(dtype=np.float64)
            if not (np.isfinite(values).all() and (values >= 0).all() and (values <= 1).all()):
                raise FormulaError("GonkaComputeWeighted missed must hold rates in [0, 1].")
        elif self.missed is not None:
            rates = as_series(self.missed, "GonkaComputeWeighted missed")
            if (rates > 1).any():
                raise FormulaError("GonkaComputeWeighted missed must hold rates in [0, 1].")
            object.__setattr__(self, "_missed", rates)

    def sybil(self):
        return "rewarded" if self.poc_weight is None else "unknown"

    def merging(self):
        # forfeiture is per host: merging a host that missed too much with one that did not can rescue its work,
        # so merging is not always penalised (found by tests/test_formulas.py::test_declared_sybil_and_merge_behaviour)
        return "unknown"

    def describe(self):
        return f"emission by PoC weight x uptime; hosts missing more than {self.max_missed:.0%} forfeit"

    def weights(self, features) -> np.ndarray:
        """``(E, K)`` PoC weight x uptime of eligible nodes."""
        k = features.shape[1]
        base = np.ones(k) if self.poc_weight is None else \
            node_values(self._weight, features.entity_ids, "GonkaComputeWeighted poc_weight")
        uptime = features.online_seconds / float(self.epoch_seconds)
        w = base[None, :] * np.minimum(uptime, 1.0) * (features.active > 0)
        if isinstance(self.missed, pd.DataFrame):
            table = self.missed.reindex(index=features.epochs, columns=features.entity_ids).fillna(0.0)
            w = np.where(table.to_numpy(dtype=np.float64) > self.max_missed, 0.0, w)
        elif self.missed is not None:
            rates = node_values(self._missed, features.entity_ids, "GonkaComputeWeighted missed")
            w = np.where(rates[None, :] > self.max_missed, 0.0, w)
        return w

    def allocate(self, features) -> Allocation:
        return proportional(self.weights(features), features.emission_tokens)
