"""Vesting schedules: when earned or allocated tokens become liquid.

Public through :mod:`fairshare.economics` (``fs.economics.Vesting``); the
simulator's allocation buckets use the same class.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError

__all__ = ["Vesting"]


@dataclass(frozen=True)
class Vesting:
    """Cliff-plus-linear vesting, in epochs.

    Of the tokens granted in epoch ``s``: ``immediate`` (a fraction) is liquid in
    epoch ``s``; the rest unlocks in equal parts over the ``linear_epochs``
    epochs ``s + cliff_epochs + 1 .. s + cliff_epochs + linear_epochs`` (all at
    ``s + cliff_epochs`` when ``linear_epochs`` is 0).

    Parameters
    ----------
    cliff_epochs : int, default 0
        Epochs after the grant epoch before the non-immediate part starts unlocking; whole number >= 0.
    linear_epochs : int, default 0
        Epochs over which the non-immediate part unlocks in equal parts after the cliff; whole number >= 0
        (0 unlocks it all at the end of the cliff).
    immediate : float, default 0.0
        Fraction of a grant liquid in the grant epoch, in [0, 1].

    Examples
    --------
    The OPG staking-rewards bucket ([sources: opg-tokenomics]): linear over 96 months,
    no cliff: ``Vesting(linear_epochs=96 * 30)`` with daily epochs. Core
    contributors: 12-month cliff then 36 months linear.
    """

    cliff_epochs: int = 0
    linear_epochs: int = 0
    immediate: float = 0.0

    def __post_init__(self):
        if int(self.cliff_epochs) != self.cliff_epochs or self.cliff_epochs < 0:
            raise ConfigError(f"cliff_epochs must be a whole number >= 0, got {self.cliff_epochs!r}.")
        if int(self.linear_epochs) != self.linear_epochs or self.linear_epochs < 0:
            raise ConfigError(f"linear_epochs must be a whole number >= 0, got {self.linear_epochs!r}.")
        if not 0.0 <= self.immediate <= 1.0:
            raise ConfigError(f"immediate must be a fraction in [0, 1], got {self.immediate!r}.")

    def unlocked_fraction(self, age_epochs) -> np.ndarray:
        """Cumulative fraction of a grant liquid ``age_epochs`` epochs after it (0 = the grant epoch)."""
        age = np.asarray(age_epochs, dtype=np.float64)
        rest = 1.0 - self.immediate
        if self.linear_epochs == 0:
            vested = np.where(age >= self.cliff_epochs, rest, 0.0)
        else:
            vested = rest * np.clip((age - self.cliff_epochs) / self.linear_epochs, 0.0, 1.0)
        return np.where(age >= 0, self.immediate + vested, 0.0)

    def released(self, grants: np.ndarray) -> np.ndarray:
        """Tokens unlocking in each epoch from ``grants`` per epoch, ``(E, ...)`` in and out.

        Tokens whose unlock falls after the last epoch are not in the result
        (they are still locked at the end: ``grants.sum(0) - released.sum(0)``).
        """
        g = np.asarray(grants, dtype=np.float64)
        out = self.immediate * g
        rest = (1.0 - self.immediate) * g
        c, n = self.cliff_epochs, g.shape[0]
        if self.linear_epochs == 0:
            if c < n:
                out[c:] += rest[: n - c]
            return out
        # epoch t releases rest[s] / L for every s with t - c - L <= s <= t - c - 1
        cum = np.concatenate([np.zeros((1,) + g.shape[1:]), np.cumsum(rest, axis=0)])
        t = np.arange(n)
        hi = np.clip(t - c, 0, n)
        lo = np.clip(t - c - self.linear_epochs, 0, n)
        return out + (cum[hi] - cum[lo]) / self.linear_epochs

    def locked(self, grants: np.ndarray) -> np.ndarray:
        """Tokens granted but not yet unlocked at the end of each epoch, ``(E, ...)``."""
        g = np.asarray(grants, dtype=np.float64)
        return np.cumsum(g, axis=0) - np.cumsum(self.released(g), axis=0)
