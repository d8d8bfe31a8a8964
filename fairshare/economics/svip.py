"""OpenGradient's emission as coded: the Sustained Validator Incentive Pool (SVIP).

The one implementation of the schedule; datasets, presets and simulations call it.

A pre-funded pool emits with exponential decay from the balance snapshotted at activation
[sources: og-svip-doc, og-svip-module]::

    rate(t) = R0 exp(-lambda t),   R0 = (ln 2 / half_life) x pool_at_activation,   lambda = ln 2 / half_life

per unit of time since activation, so the tokens of an epoch ``[t0, t1)`` after activation are
``pool x (exp(-lambda t0) - exp(-lambda t1))`` and the whole pool is paid in the limit. The pool
holds 10% of supply, 100M OPG; it is dormant at genesis (``half_life_seconds: "0"``,
``activated: false``) until a governance proposal sets the half-life and activates it. The
recommended mainnet half-life is 15 years (473,364,000 s), the allowed minimum 1 year. The
reward goes to the FeeCollector and ``x/distribution`` pays it to validators by voting power:
it pays validators, not inference nodes.

>>> round(float(svip_emission(1, activation_epoch=0)[0]))
12651
>>> round(float(svip_rate_per_day()))
12652
"""

from __future__ import annotations

from math import log

import numpy as np

from ..errors import ConfigError

__all__ = ["SVIP_POOL_TOKENS", "SVIP_RECOMMENDED_HALF_LIFE_DAYS", "SVIP_MIN_HALF_LIFE_DAYS", "svip_emission",
           "svip_rate_per_day"]

#: Tokens in the pool at activation: 10% of the 1B OPG supply [sources: og-svip-doc].
SVIP_POOL_TOKENS = 100_000_000.0
#: Recommended mainnet half-life: 15 years = 473,364,000 s = 5,478.75 days [sources: og-svip-doc].
SVIP_RECOMMENDED_HALF_LIFE_DAYS = 473_364_000 / 86_400
#: Smallest half-life the module accepts: 1 year (365.25 days) [sources: og-svip-doc].
SVIP_MIN_HALF_LIFE_DAYS = 365.25


def svip_rate_per_day(half_life_days: float = SVIP_RECOMMENDED_HALF_LIFE_DAYS,
                      pool_tokens: float = SVIP_POOL_TOKENS) -> float:
    """Instantaneous emission at activation, tokens per day: ``(ln 2 / half_life) x pool``.

    Parameters
    ----------
    half_life_days : float, default 15 years
        Half-life set by governance, days; >= 1 year.
    pool_tokens : float, default 100M
        Pool balance at activation, tokens; >= 0.
    """
    _check(half_life_days, pool_tokens)
    return log(2.0) / half_life_days * pool_tokens


def svip_emission(n_epochs: int, *, activation_epoch: int | None = None,
                  half_life_days: float = SVIP_RECOMMENDED_HALF_LIFE_DAYS, pool_tokens: float = SVIP_POOL_TOKENS,
                  epoch_seconds: float = 86_400.0) -> np.ndarray:
    """Tokens the SVIP pool pays in each of ``n_epochs`` epochs.

    Parameters
    ----------
    n_epochs : int
        Number of epochs (epoch 0 first); >= 0.
    activation_epoch : int, optional
        First epoch of emission (governance activates the pool at its start); None (default): the pool
        stays dormant and every epoch pays 0, as at genesis.
    half_life_days : float, default 15 years
        Half-life, days; at least :data:`SVIP_MIN_HALF_LIFE_DAYS`.
    pool_tokens : float, default 100M
        Pool balance snapshotted at activation, tokens.
    epoch_seconds : float, default 86400
        Epoch length, seconds.

    Returns
    -------
    ndarray, shape ``(n_epochs,)``
        Tokens per epoch: 0 before activation, ``pool x (exp(-lambda t0) - exp(-lambda t1))`` after.
    """
    _check(half_life_days, pool_tokens)
    if not isinstance(n_epochs, (int, np.integer)) or n_epochs < 0:
        raise ConfigError(f"n_epochs must be an integer >= 0, got {n_epochs!r}.")
    if not (np.isfinite(epoch_seconds) and epoch_seconds > 0):
        raise ConfigError(f"epoch_seconds must be a positive number of seconds, got {epoch_seconds!r}.")
    out = np.zeros(int(n_epochs))
    if activation_epoch is None:
        return out
    if not isinstance(activation_epoch, (int, np.integer)) or isinstance(activation_epoch, bool) \
            or activation_epoch < 0:
        raise ConfigError(f"activation_epoch must be None (dormant) or an epoch >= 0, got {activation_epoch!r}.")
    start = int(activation_epoch)
    if start >= n_epochs:
        return out
    days = epoch_seconds / 86_400.0
    lam = log(2.0) / half_life_days
    t = np.arange(n_epochs - start + 1) * days
    out[start:] = pool_tokens * -np.diff(np.exp(-lam * t))
    return out


def _check(half_life_days: float, pool_tokens: float) -> None:
    if not (isinstance(half_life_days, (int, float, np.integer, np.floating)) and np.isfinite(half_life_days)
            and half_life_days >= SVIP_MIN_HALF_LIFE_DAYS):
        raise ConfigError(f"half_life_days must be at least {SVIP_MIN_HALF_LIFE_DAYS:g} (one year, the module's "
                          f"minimum), got {half_life_days!r}.")
    if not (np.isfinite(pool_tokens) and pool_tokens >= 0):
        raise ConfigError(f"pool_tokens must be a finite number >= 0, got {pool_tokens!r}.")
