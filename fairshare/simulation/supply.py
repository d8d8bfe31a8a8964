"""The token calendar of a simulation: bucket unlocks, the funding pool's emission, sold unlocks.

Public through :func:`fairshare.simulate`. Everything here is the same for every run (no
state feeds back into it), so it is computed once, on a calendar counted in epochs from
the TGE. Bucket unlocks are :meth:`fairshare.economics.Vesting.released` of each bucket's
grant at the TGE (vesting has one implementation). The funding bucket's TGE part
circulates at once; the rest (the pool) is emitted by the schedule and capped at what is
left in the pool.

Accounting identity, at the end of every epoch (checked by the tests)::

    circulating + locked in buckets + locked rewards + pool + unallocated = total supply

where circulating counts every unlock and every released reward, and *unallocated*
counts emission the rule could not place (kept aside, not circulating).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import log

import numpy as np
import pandas as pd

from ..errors import ConfigError
from .config import Supply

__all__ = ["Calendar", "calendar", "vesting_taps"]


@dataclass(frozen=True, eq=False)
class Calendar:
    """Per simulated epoch ``(E,)``: pool emission, bucket unlocks, sold unlocks, pool left and
    tokens still locked in buckets after the epoch; ``unlocks`` ``(E, B)`` by bucket; the
    circulating supply before the first simulated epoch.

    Parameters
    ----------
    emission : ndarray, shape ``(E,)``
        Tokens the pool emits to inference nodes in each simulated epoch (capped at the pool left).
    unlocked : ndarray, shape ``(E,)``
        Bucket tokens unlocked in each epoch, all buckets (the funding bucket's TGE part included).
    unlock_sold : ndarray, shape ``(E,)``
        Unlocked tokens sold in each epoch (each bucket's ``sell_share`` of its unlocks).
    pool_after : ndarray, shape ``(E,)``
        Tokens left in the pool after each epoch's emission.
    bucket_locked_after : ndarray, shape ``(E,)``
        Tokens still locked in buckets after each epoch (the pool not included).
    unlocks : DataFrame, shape ``(E, B)``
        Unlocked tokens per epoch (index ``epoch``, from 0) and bucket (columns: bucket names).
    circulating0 : float
        Tokens unlocked or emitted between the TGE and the first simulated epoch.
    """

    emission: np.ndarray
    unlocked: np.ndarray
    unlock_sold: np.ndarray
    pool_after: np.ndarray
    bucket_locked_after: np.ndarray
    unlocks: pd.DataFrame
    circulating0: float

    def exo(self) -> np.ndarray:
        """``(E, 5)`` columns in the order the kernel reads them."""
        return np.ascontiguousarray(np.column_stack([self.emission, self.unlocked, self.unlock_sold,
                                                     self.pool_after, self.bucket_locked_after]))


def _schedule(supply: Supply, pool: float, length: int, offset: int, epoch_days: float,
              history_emission: np.ndarray | None) -> np.ndarray:
    """Uncapped emission of the pool on calendar epochs ``0..length-1``."""
    tau = np.arange(length, dtype=np.float64)
    s = supply.schedule
    if isinstance(s, str) and s == "linear":
        v = supply.funding_bucket.vesting(epoch_days)
        if v.linear_epochs == 0:
            return np.where(tau == v.cliff_epochs, pool, 0.0)
        return np.where((tau >= v.cliff_epochs) & (tau < v.cliff_epochs + v.linear_epochs), pool / v.linear_epochs, 0.0)
    if isinstance(s, str) and s == "exponential":
        lam = log(2.0) / (supply.half_life_days / epoch_days)
        return pool * (np.exp(-lam * tau) - np.exp(-lam * (tau + 1.0)))
    if isinstance(s, str) and s == "halving":
        h = supply.halving_days / epoch_days
        return pool / (2.0 * h) * 0.5 ** np.floor(tau / h)
    out = np.zeros(length)
    if isinstance(s, str):  # "history": the history's emission on the epochs it covers
        if history_emission is None:
            raise ConfigError("Supply schedule 'history' needs the history's emission for the simulated epochs.")
        out[offset: offset + history_emission.size] = history_emission[: length - offset]
        return out
    values = np.asarray(s, dtype=np.float64)
    sim = length - offset
    if values.ndim == 0:
        values = np.full(sim, float(values))
    if values.shape != (sim,) or not np.all(np.isfinite(values) & (values >= 0)):
        raise ConfigError(f"Supply schedule must be a name ({'linear, exponential, halving, history'}), a number of "
                          f"tokens per epoch >= 0 or {sim} such values (one per simulated epoch); got shape "
                          f"{values.shape}.")
    out[offset:] = values
    return out


def calendar(supply: Supply, epochs: int, offset: int, epoch_days: float,
             history_emission: np.ndarray | None = None) -> Calendar:
    """The calendar of ``epochs`` simulated epochs starting ``offset`` epochs after the TGE.

    Parameters
    ----------
    supply : Supply
        Buckets, funding bucket and emission schedule.
    epochs : int
        Number of simulated epochs E.
    offset : int
        Epochs from the TGE to the first simulated epoch, >= 0.
    epoch_days : float
        Length of an epoch, days (converts vesting months and schedule half-lives).
    history_emission : ndarray, optional
        The history's ``emission_tokens`` from the first simulated epoch on; needed by the
        ``"history"`` schedule only.

    Returns
    -------
    Calendar
    """
    if offset < 0:
        raise ConfigError(f"Supply tge_epoch must not be after the simulation's start; the start is {-offset} "
                          "epochs before it.")
    length = offset + epochs
    total = float(supply.total_tokens)
    released, locked, sold = [], [], []
    pool = 0.0
    for b in supply.buckets:
        amount = b.share * total
        grants = np.zeros(length)
        if b.name == supply.funding:
            grants[0] = amount * b.immediate
            pool = amount * (1.0 - b.immediate)
            out = grants.copy()  # the TGE part circulates at once; the pool is emitted by the schedule
        else:
            grants[0] = amount
            out = b.vesting(epoch_days).released(grants)
        released.append(out)
        locked.append(grants[0] - np.cumsum(out))
        sold.append(out * b.sell_share)
    released, locked, sold = np.array(released), np.array(locked), np.array(sold)
    raw = _schedule(supply, pool, length, offset, epoch_days, history_emission)
    cum = np.cumsum(raw)
    emission = np.clip(np.minimum(cum, pool) - np.minimum(cum - raw, pool), 0.0, None)
    pool_after = pool - np.cumsum(emission)
    sim = slice(offset, length)
    circulating0 = float(released[:, :offset].sum() + emission[:offset].sum())
    unlocks = pd.DataFrame(released[:, sim].T, columns=[b.name for b in supply.buckets],
                           index=pd.RangeIndex(epochs, name="epoch"))
    return Calendar(emission=emission[sim].copy(), unlocked=released[:, sim].sum(axis=0),
                    unlock_sold=sold[:, sim].sum(axis=0), pool_after=pool_after[sim].copy(),
                    bucket_locked_after=locked[:, sim].sum(axis=0), unlocks=unlocks, circulating0=circulating0)


def vesting_taps(vesting) -> np.ndarray:
    """Share of a reward grant released ``a`` epochs after it, ``a = 0..cliff + linear``
    (differences of :meth:`~fairshare.economics.Vesting.unlocked_fraction`).

    Parameters
    ----------
    vesting : Vesting
        Reward vesting in epochs (``cliff_epochs``, ``linear_epochs``, ``immediate``).

    Returns
    -------
    ndarray, shape ``(cliff_epochs + linear_epochs + 1,)``
    """
    ages = np.arange(vesting.cliff_epochs + vesting.linear_epochs + 1)
    return np.ascontiguousarray(np.diff(vesting.unlocked_fraction(ages), prepend=0.0))
