"""Attacks on validator-scored rules (Yuma): weight copying and self- or collusive weighting.

A validator-scored rule pays miners what staked validators' weights say and pays validators
dividends for bonds on the miners they weighted. Two attacks need no fake work:

- **weight copying**: a validator evaluates nothing and sets, each epoch, the consensus it read off
  the chain ``lag`` epochs earlier (subtensor publishes the consensus vector). It saves the cost of
  evaluating miners; Yuma's bonds and (in Yuma3) liquid alpha are meant to make it earn less than an
  honest validator of the same stake [sources: subtensor-epoch].
- **self or collusive weighting**: a validator moves a share of its weight to a miner it runs or
  colludes with. Consensus clipping caps the weight at the stake-weighted median, so below kappa of
  stake the extra weight is clipped away and the validator loses the bonds it would have kept.

Both are replayed exactly through :func:`fairshare.presets.yuma_chain_epoch` (either variant, float or
exact mode) over a sequence of epochs and scored as DESIGN.md's net gain: reward value after the attack,
less its cost, over the value before (the honest counterfactual); above 1 the attack pays.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..presets.yuma_chain import U16_MAX, YUMA_VARIANTS, yuma_chain_epoch

__all__ = ["WeightCopying", "CollusiveWeighting", "ValidatorAttackResult", "VALIDATOR_ATTACKS",
           "score_validator_attacks"]

#: The validator attacks of this module, by scoreboard name (``net_gain_<name>``).
VALIDATOR_ATTACKS = ("weight_copying", "collusive_weighting")


@dataclass(frozen=True)
class ValidatorAttackResult:
    """Net gain of a validator attack over a replayed sequence of epochs.

    Parameters
    ----------
    attack : str
        ``"weight_copying"`` or ``"collusive_weighting"``.
    value_before, value_after : float
        The attacker's summed emission shares (dividends, plus the colluding miner's incentive) in the
        honest counterfactual and under the attack, in epochs' emissions.
    cost_before, cost_after : float
        Costs in the same unit (evaluation cost of an honest validator; the copier pays none).
    per_epoch_before, per_epoch_after : ndarray
        The attacker's share in each epoch.
    """

    attack: str
    value_before: float
    value_after: float
    cost_before: float
    cost_after: float
    per_epoch_before: np.ndarray = field(repr=False)
    per_epoch_after: np.ndarray = field(repr=False)

    @property
    def net_gain(self) -> float:
        """``(value_after - cost_after) / (value_before - cost_before)``; inf when the honest value nets 0."""
        base = self.value_before - self.cost_before
        gain = self.value_after - self.cost_after
        if base <= 0:
            return float("inf") if gain > 0 else 1.0
        return gain / base


def _check_sequence(stake, weights_seq, what):
    s = np.asarray(stake)
    seq = [np.asarray(w) for w in weights_seq]
    if s.ndim != 1 or not seq or any(w.shape != (s.shape[0], seq[0].shape[1]) for w in seq):
        raise ConfigError(f"{what} needs stake of shape (V,) and a non-empty sequence of (V, M) u16 weight "
                          f"matrices; got stake {s.shape} and shapes {[w.shape for w in seq][:3]}.")
    return s, seq


def _run(stake, seq, params):
    bonds, outs = None, []
    for W in seq:
        out = yuma_chain_epoch(stake, W, bonds, **params)
        bonds = out["bonds"]
        outs.append(out)
    return outs


@dataclass(frozen=True)
class WeightCopying:
    """A validator that copies the published consensus of ``lag`` epochs ago instead of evaluating miners.

    Parameters
    ----------
    copier : int
        Row of the copying validator in the stake vector and weight matrices.
    lag : int, default 1
        Epochs between the consensus it reads and the epoch it sets it in (the first ``lag`` epochs it
        copies the first epoch's honest weights of the others: nothing is published yet).
    evaluation_cost : float, default 0
        What evaluating miners costs an honest validator per epoch, as a share of the epoch's emission;
        the copier does not pay it.
    """

    copier: int
    lag: int = 1
    evaluation_cost: float = 0.0

    def __post_init__(self):
        if not (isinstance(self.lag, int) and self.lag >= 1):
            raise ConfigError(f"WeightCopying lag must be a whole number of epochs >= 1, got {self.lag!r}.")
        if not (np.isfinite(self.evaluation_cost) and self.evaluation_cost >= 0):
            raise ConfigError(f"WeightCopying evaluation_cost must be >= 0, got {self.evaluation_cost!r}.")

    def score(self, stake, weights_seq, **params) -> ValidatorAttackResult:
        """Replay the honest sequence and the copying one; the copier's dividends in each.

        Parameters
        ----------
        stake : array_like, shape (V,)
            Validators' stake (base units).
        weights_seq : sequence of array_like, each (V, M)
            u16 weights per epoch with the copier's *honest* row (its own evaluation) in row ``copier``.
        **params
            Passed to :func:`~fairshare.presets.yuma_chain_epoch` (``variant``, ``mode``, ``liquid_alpha``, ...).
        """
        s, seq = _check_sequence(stake, weights_seq, "WeightCopying.score")
        if not 0 <= self.copier < s.shape[0]:
            raise ConfigError(f"WeightCopying copier must be a row in [0, {s.shape[0]}), got {self.copier!r}.")
        honest = _run(s, seq, params)
        copied_seq = []
        for e, W in enumerate(seq):
            W = W.copy()
            others = np.delete(np.arange(s.shape[0]), self.copier)
            if e >= self.lag:
                c = honest[e - self.lag]["consensus"]  # what the chain published
            else:
                c = (s[others, None] * (W[others] / np.maximum(W[others].max(axis=1, keepdims=True), 1))).sum(0)
            top = c.max(initial=0.0)
            W[self.copier] = np.floor(c / top * U16_MAX + 0.5).astype(np.int64) if top > 0 else 0
            copied_seq.append(W)
        copied = _run(s, copied_seq, params)
        before = np.array([o["E_validator"][self.copier] for o in honest])
        after = np.array([o["E_validator"][self.copier] for o in copied])
        return ValidatorAttackResult("weight_copying", float(before.sum()), float(after.sum()),
                                     self.evaluation_cost * len(seq), 0.0, before, after)


@dataclass(frozen=True)
class CollusiveWeighting:
    """A validator that moves ``share`` of its weight to a miner it runs or colludes with.

    Parameters
    ----------
    validator : int
        Row of the validator.
    miner : int
        Column of the colluding miner (its incentive counts for the coalition).
    share : float in (0, 1]
        Part of the validator's weight moved to ``miner`` (the rest keeps its honest proportions).
    """

    validator: int
    miner: int
    share: float = 1.0

    def __post_init__(self):
        if not (np.isfinite(self.share) and 0 < self.share <= 1):
            raise ConfigError(f"CollusiveWeighting share must be in (0, 1], got {self.share!r}.")

    def score(self, stake, weights_seq, **params) -> ValidatorAttackResult:
        """Replay honest and collusive weights; the coalition's dividends plus the miner's incentive.

        Parameters
        ----------
        stake : array_like, shape (V,)
            Validators' stake (base units).
        weights_seq : sequence of array_like, each (V, M)
            Honest u16 weights per epoch.
        **params
            Passed to :func:`~fairshare.presets.yuma_chain_epoch`.
        """
        s, seq = _check_sequence(stake, weights_seq, "CollusiveWeighting.score")
        if not (0 <= self.validator < s.shape[0] and 0 <= self.miner < seq[0].shape[1]):
            raise ConfigError(f"CollusiveWeighting validator {self.validator!r} or miner {self.miner!r} is outside "
                              f"the matrices' {s.shape[0]} rows and {seq[0].shape[1]} columns.")
        honest = _run(s, seq, params)
        rigged = []
        for W in seq:
            W = W.copy()
            row = W[self.validator].astype(np.float64)
            total = row.sum()
            row = row / total * (1 - self.share) if total > 0 else np.zeros_like(row)
            row[self.miner] += self.share
            W[self.validator] = np.floor(row / row.max() * U16_MAX + 0.5).astype(np.int64)
            rigged.append(W)
        after_outs = _run(s, rigged, params)

        def coalition(outs):
            return np.array([o["E_validator"][self.validator] + o["E_server"][self.miner] for o in outs])

        before, after = coalition(honest), coalition(after_outs)
        return ValidatorAttackResult("collusive_weighting", float(before.sum()), float(after.sum()), 0.0, 0.0,
                                     before, after)


def score_validator_attacks(stake, weights_seq, *, validator: int, miner: int, variant=YUMA_VARIANTS,
                            mode: str = "exact", lag: int = 1, share: float = 1.0, evaluation_cost: float = 0.0,
                            **params) -> pd.DataFrame:
    """Both validator attacks on a Yuma setting, one row per attack and variant.

    Replays :class:`WeightCopying` (``validator`` copies the consensus published ``lag`` epochs earlier) and
    :class:`CollusiveWeighting` (``validator`` moves ``share`` of its weight to ``miner``) through
    :func:`~fairshare.presets.yuma_chain_epoch` in each variant.

    Parameters
    ----------
    stake : array_like, shape (V,)
        Validators' stake (base units; whole numbers in exact mode).
    weights_seq : sequence of array_like, each (V, M)
        Honest u16 weights per epoch (row ``validator`` holds its own honest evaluation).
    validator : int
        Row of the attacking validator.
    miner : int
        Column of the miner the validator runs or colludes with.
    variant : str or sequence of str, default both
        ``"original"`` and/or ``"yuma3"``.
    mode : {"exact", "float"}
        As in :func:`~fairshare.presets.yuma_chain_epoch`.
    lag, evaluation_cost : as in :class:`WeightCopying`
    share : as in :class:`CollusiveWeighting`
    **params
        Passed to :func:`~fairshare.presets.yuma_chain_epoch` for every variant (``kappa``, ``bonds_penalty``,
        ``liquid_alpha``, which only Yuma3 uses, ...).

    Returns
    -------
    DataFrame
        Columns ``attack``, ``variant``, ``mode``, ``attacker`` (who, in words), ``value_before``,
        ``value_after`` (the attacker's summed emission shares), ``gross_gain`` (``value_after / value_before``),
        ``cost`` (``cost_after - cost_before`` in the same unit; negative where the attack saves a cost) and
        ``net_gain`` (DESIGN.md's: above 1 the attack pays).

    Examples
    --------
    >>> seq = [[[65535, 0]] * 3] * 4
    >>> t = score_validator_attacks([8, 1, 1], seq, validator=2, miner=1)
    >>> t[["attack", "variant"]].values.tolist()
    [['weight_copying', 'original'], ['collusive_weighting', 'original'], ['weight_copying', 'yuma3'], \
['collusive_weighting', 'yuma3']]
    """
    variants = (variant,) if isinstance(variant, str) else tuple(variant)
    bad = [v for v in variants if v not in YUMA_VARIANTS]
    if not variants or bad:
        raise ConfigError(f"score_validator_attacks variant must be among {YUMA_VARIANTS}, got {variant!r}.")
    attacks = (WeightCopying(validator, lag=lag, evaluation_cost=evaluation_cost),
               CollusiveWeighting(validator, miner, share=share))
    rows = []
    for name in variants:
        for attack in attacks:
            r = attack.score(stake, weights_seq, variant=name, mode=mode, **params)
            who = (f"validator {validator} copying the consensus of {lag} epoch(s) before" if r.attack ==
                   "weight_copying" else f"validator {validator} with {share:.0%} of its weight on miner {miner}")
            gross = r.value_after / r.value_before if r.value_before > 0 else float("inf") if r.value_after > 0 \
                else 1.0
            rows.append(dict(attack=r.attack, variant=name, mode=mode, attacker=who, value_before=r.value_before,
                             value_after=r.value_after, gross_gain=gross, cost=r.cost_after - r.cost_before,
                             net_gain=r.net_gain))
    return pd.DataFrame(rows, columns=["attack", "variant", "mode", "attacker", "value_before", "value_after",
                                       "gross_gain", "cost", "net_gain"])
