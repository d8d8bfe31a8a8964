"""Token supply of a simulation: its settings (buckets, the funding pool, its schedule) and the calendar.

:class:`Supply` and :class:`Bucket` set the allocation buckets, their cliffs and linear vesting, the pool
that funds inference nodes and its emission schedule (defaults and sources: :mod:`fairshare.simulation.config`);
:func:`calendar` turns them into bucket unlocks, the funding pool's emission and sold unlocks.

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

from dataclasses import dataclass, field, replace
from math import log

import numpy as np
import pandas as pd

from ..datasets.token import DAYS_PER_MONTH
from ..economics.costs import Vesting
from ..errors import ConfigError
from .config import SCHEDULES, _choice, _number

__all__ = ["Bucket", "OPG_BUCKETS", "Supply", "Calendar", "calendar", "vesting_taps"]


@dataclass(frozen=True)
class Bucket:
    """One allocation bucket: ``share`` of the supply, unlocked at TGE by ``immediate``, the rest
    linearly over ``linear_months`` after a ``cliff_months`` cliff; ``sell_share`` of every unlock
    is sold (sell pressure). Months are 365.25 / 12 days.

    Parameters
    ----------
    name : str
        The bucket's name (distinct within a :class:`Supply`).
    share : float
        Share of the total supply, in [0, 1].
    immediate : float, default 0.0
        Fraction of the bucket unlocked at TGE, in [0, 1].
    cliff_months : float, default 0.0
        Months after TGE before the linear unlock starts; >= 0.
    linear_months : float, default 0.0
        Months over which the rest unlocks linearly; >= 0 (0 unlocks it all at the cliff).
    sell_share : float, default 0.5
        Fraction of every unlock sold, in [0, 1].
    """

    name: str
    share: float
    immediate: float = 0.0
    cliff_months: float = 0.0
    linear_months: float = 0.0
    sell_share: float = 0.5

    def validate(self) -> "Bucket":
        _number(f"Bucket {self.name!r} share", self.share, 0.0, 1.0)
        _number(f"Bucket {self.name!r} immediate", self.immediate, 0.0, 1.0)
        _number(f"Bucket {self.name!r} cliff_months", self.cliff_months, 0.0)
        _number(f"Bucket {self.name!r} linear_months", self.linear_months, 0.0)
        _number(f"Bucket {self.name!r} sell_share", self.sell_share, 0.0, 1.0)
        return self

    def vesting(self, epoch_days: float) -> Vesting:
        """The bucket's unlock as an :class:`~fairshare.economics.Vesting` in epochs of ``epoch_days``
        (cliff and linear spans rounded to whole epochs)."""
        per = DAYS_PER_MONTH / epoch_days
        return Vesting(cliff_epochs=int(round(self.cliff_months * per)),
                       linear_epochs=int(round(self.linear_months * per)), immediate=float(self.immediate))


#: The OPG allocation table ([sources: opg-tokenomics]): shares, TGE unlocks, cliffs and linear vesting.
OPG_BUCKETS: tuple[Bucket, ...] = (
    Bucket("ecosystem", 0.40, immediate=0.10, linear_months=60.0, sell_share=0.25),
    Bucket("foundation", 0.15, immediate=1.0 / 3.0, linear_months=48.0, sell_share=0.25),
    Bucket("contributors", 0.15, cliff_months=12.0, linear_months=36.0, sell_share=0.5),
    Bucket("investors", 0.10, cliff_months=12.0, linear_months=36.0, sell_share=0.5),
    Bucket("staking", 0.10, linear_months=96.0, sell_share=0.0),
    Bucket("liquidity", 0.06, immediate=1.0, sell_share=0.0),
    Bucket("airdrop", 0.04, immediate=1.0, sell_share=0.5),
)


@dataclass(frozen=True)
class Supply:
    """Token supply: allocation buckets, the pool that funds inference nodes and its schedule.

    ``funding`` names the bucket that pays inference nodes; its TGE part is circulating at
    once and the rest (the *pool*) is emitted by ``schedule``:

    * ``"linear"``: the bucket's own vesting, pool / linear epochs per epoch after its cliff;
    * ``"exponential"``: og-evm ``x/svip`` decay, ``pool (e^(-l t) - e^(-l (t+1)))`` with
      ``l = ln 2 / half_life`` ([sources: og-svip-module]);
    * ``"halving"``: ``pool / (2 H)`` per epoch, halved every ``H = halving_days`` ([sources: subtensor]);
    * ``"history"``: the history's ``emission_tokens`` for the epochs its market table covers and,
      past them, the named schedule ``after`` (without one, simulating past the table is a
      :class:`~fairshare.errors.ConfigError`);
    * a number (tokens per epoch) or one value per simulated epoch.

    Emission stops when the pool is spent. Rewards then vest by ``reward_vesting`` (epochs).
    ``tge_epoch`` is the history epoch of the TGE (default: its first epoch).

    Parameters
    ----------
    total_tokens : float, default 1e9
        Maximum supply, tokens; > 0.
    buckets : tuple of Bucket, default OPG_BUCKETS
        Allocation buckets with distinct names; shares summing to 1.
    funding : str, default "staking"
        Name of the bucket that pays inference nodes.
    schedule : str, float or array_like, default "linear"
        ``"linear"``, ``"exponential"``, ``"halving"``, ``"history"`` (see above), a number of tokens per
        epoch, or one value per simulated epoch.
    half_life_days : float, default 48 months
        Half-life of the ``"exponential"`` schedule, days; > 0.
    halving_days : float, default 4 years
        Halving period of the ``"halving"`` schedule, days; > 0.
    reward_vesting : Vesting, default Vesting(immediate=1.0)
        How rewards vest, in epochs (liquid at once by default).
    tge_epoch : int, optional
        History epoch of the TGE (default: the history's first epoch).
    after : str, optional
        With ``schedule="history"``: the named schedule (``"linear"``, ``"exponential"`` or
        ``"halving"``) of the epochs past the history's market table; None: none (an error).
    """

    total_tokens: float = 1e9
    buckets: tuple[Bucket, ...] = OPG_BUCKETS
    funding: str = "staking"
    schedule: object = "linear"
    half_life_days: float = 48.0 * DAYS_PER_MONTH
    halving_days: float = 4 * 365.25
    reward_vesting: Vesting = field(default_factory=lambda: Vesting(immediate=1.0))
    tge_epoch: int | None = None
    after: str | None = None

    @classmethod
    def for_history(cls, history, *, buckets=None, funding: str | None = None, total_tokens: float | None = None,
                    reward_vesting: Vesting | None = None, after: str | None = None) -> "Supply":
        """The supply of a history: its market table's emission (``schedule="history"``), with the
        history's own buckets and vesting when given.

        Without ``buckets``: one funding bucket (``"rewards"``) holding the table's emission (plus a
        rounding margin), with no unlock selling. With ``buckets``: those buckets, their cliffs,
        vesting and sell shares; the funding bucket (``funding``, default ``"staking"``) pays the
        table's emission. ``total_tokens`` defaults to the least supply whose funding pool (the
        bucket's share less its TGE part) holds the table's emission; a pool that cannot hold it is a
        :class:`~fairshare.errors.ConfigError` when the calendar is built (the emission is never cut).

        Parameters
        ----------
        history : History
            Its ``emission_tokens`` are the schedule.
        buckets : sequence of Bucket, optional
            The history's allocation buckets (shares summing to 1).
        funding : str, optional
            Name of the bucket that pays inference nodes (default ``"staking"`` with ``buckets``).
        total_tokens : float, optional
            Maximum supply, tokens (default above).
        reward_vesting : Vesting, optional
            How rewards vest, in epochs (default: liquid at once).
        after : str, optional
            The named schedule past the market table (``"linear"``, ``"exponential"``, ``"halving"``);
            None: simulating past the table is an error.

        Returns
        -------
        Supply
        """
        emitted = float(np.sum(history.emission_tokens))
        vesting = Vesting(immediate=1.0) if reward_vesting is None else reward_vesting
        if buckets is None:
            if funding is not None:
                raise ConfigError(f"Supply.for_history: funding={funding!r} names a bucket, but no buckets were "
                                  "given; pass buckets=[Bucket(...), ...] as well.")
            total = emitted * (1.0 + 1e-9) + 1.0 if total_tokens is None else total_tokens
            return cls(total_tokens=total, buckets=(Bucket("rewards", 1.0, sell_share=0.0),), funding="rewards",
                       schedule="history", reward_vesting=vesting, after=after).validate()
        buckets = tuple(buckets)
        funding = "staking" if funding is None else funding
        if total_tokens is None:
            fund = next((b for b in buckets if isinstance(b, Bucket) and b.name == funding), None)
            if fund is None:
                raise ConfigError(f"Supply.for_history: funding must name one of the buckets "
                                  f"({', '.join(repr(getattr(b, 'name', b)) for b in buckets)}), got {funding!r}.")
            room = fund.share * (1.0 - fund.immediate)
            if not room > 0:
                raise ConfigError(f"Supply.for_history: the funding bucket {funding!r} keeps nothing after the TGE "
                                  f"(share {fund.share!r}, immediate {fund.immediate!r}), so it cannot pay the "
                                  "history's emission; give it a share and immediate < 1.")
            total_tokens = (emitted * (1.0 + 1e-9) + 1.0) / room
        return cls(total_tokens=total_tokens, buckets=buckets, funding=funding, schedule="history",
                   reward_vesting=vesting, after=after).validate()

    def validate(self) -> "Supply":
        _number("Supply total_tokens", self.total_tokens, 0.0, low_open=True)
        if not self.buckets:
            raise ConfigError("Supply buckets must name at least one bucket (the funding pool), got none.")
        names = [b.validate().name for b in self.buckets]
        if len(set(names)) != len(names):
            raise ConfigError(f"Supply buckets must have distinct names, got {names}.")
        total = sum(b.share for b in self.buckets)
        if abs(total - 1.0) > 1e-9:
            raise ConfigError(f"Supply bucket shares must sum to 1, got {total!r} ({', '.join(names)}).")
        _choice("Supply funding", self.funding, names)
        if isinstance(self.schedule, str):
            _choice("Supply schedule", self.schedule, SCHEDULES)
        if self.after is not None:
            _choice("Supply after", self.after, tuple(x for x in SCHEDULES if x != "history"))
        _number("Supply half_life_days", self.half_life_days, 0.0, low_open=True)
        _number("Supply halving_days", self.halving_days, 0.0, low_open=True)
        if not isinstance(self.reward_vesting, Vesting):
            raise ConfigError(f"Supply reward_vesting must be a fairshare.economics.Vesting, got "
                              f"{type(self.reward_vesting).__name__}.")
        return self

    @property
    def funding_bucket(self) -> Bucket:
        return next(b for b in self.buckets if b.name == self.funding)


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
    if isinstance(s, str):  # "history": the history's emission on the epochs it covers, then `after`
        if history_emission is None:
            raise ConfigError("Supply schedule 'history' needs the history's emission for the simulated epochs.")
        covered = min(history_emission.size, length - offset)
        if covered < length - offset:
            if supply.after is None:
                raise ConfigError(f"Supply schedule 'history': the history's market table covers {covered} of the "
                                  f"{length - offset} simulated epochs; simulate at most {covered} epochs or pass "
                                  f"Supply(schedule='history', after='linear') (or another named schedule).")
            out = _schedule(replace(supply, schedule=supply.after), pool, length, offset, epoch_days, None)
        out[offset: offset + covered] = history_emission[:covered]
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
    if isinstance(supply.schedule, str) and supply.schedule == "history":
        covered = slice(offset, offset + min(history_emission.size, epochs))
        if np.any(emission[covered] < raw[covered] * (1.0 - 1e-12)):  # the table's emission is never cut
            raise ConfigError(f"Supply: the funding bucket {supply.funding!r} holds {pool:,.0f} tokens after its TGE "
                              f"part, less than the {float(cum[covered.stop - 1]):,.0f} the history's market table "
                              "emits by its last simulated epoch (counted from the TGE); raise Supply total_tokens "
                              "or the bucket's share.")
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
