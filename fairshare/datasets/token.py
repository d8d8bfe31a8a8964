"""Token side of the built-in network: the emission that funds inference nodes, and the price.

Emission schedules (tokens per epoch; [sources: opg-tokenomics])
--------------------------------------------------------
=================  ===========================================================================
``"staking"``      the OPG staking-rewards pool, 10% of the 1B supply (100M tokens) linear over
                   96 months: 100M / 96 = 1.0417M tokens a month, 34,223 a day (default)
``"staking_svip"`` the same pool under og-evm's ``x/svip`` exponential decay,
                   ``rate(t) = (ln 2 / T) pool e^(-t ln 2 / T)``, with the half-life T = 48 months
                   so that half the pool is emitted in 48 months ([sources: og-svip-doc]); 47,432 tokens on day 0
``"ecosystem"``    the ecosystem bucket, 40% of supply (400M) with 10% unlocked at TGE and the
                   rest linear over 60 months: 6M tokens a month, 197,125 a day
=================  ===========================================================================

A number (tokens per epoch) or an array with one value per epoch gives a custom schedule.
A month is 365.25 / 12 days. Epoch 0 starts at TGE (21 April 2026, [sources: opg-tokenomics]).

Price path (USD per OPG)
------------------------
The log price follows a seeded mean-reverting (Ornstein-Uhlenbeck) path around ln $0.16
(the mid-June 2026 price, [sources: opg-market]). Its stationary standard deviation 0.587 makes $0.05-$0.50
([sources: opg-market]'s range) the central 95% band: ln(0.50 / 0.05) / (2 x 1.96) = 0.587; the band's
geometric centre, $0.158, is the quoted price. Mean reversion has a half-life of 30 days
(assumption: no public source gives a volatility). The path starts at the centre price.
"""

from __future__ import annotations

from math import exp, log, sqrt

import numpy as np

from ..economics.svip import svip_emission
from ..errors import ConfigError

__all__ = ["EMISSION_SCHEDULES", "DAYS_PER_MONTH", "emission_schedule", "price_path", "check_price_parameters",
           "PRICE_USD",
           "PRICE_LOG_SD", "PRICE_HALF_LIFE_DAYS"]

DAYS_PER_MONTH = 365.25 / 12
_SUPPLY = 1_000_000_000.0
#: (pool tokens, months) of the linear schedules ([sources: opg-tokenomics] allocation table).
_LINEAR = {"staking": (0.10 * _SUPPLY, 96.0), "ecosystem": (0.40 * _SUPPLY * 0.90, 60.0)}
_SVIP_HALF_LIFE_MONTHS = 48.0
EMISSION_SCHEDULES: tuple[str, ...] = ("staking", "staking_svip", "ecosystem")

#: Centre of the price path, USD per OPG ([sources: opg-market], mid-June 2026).
PRICE_USD = 0.16
#: Stationary standard deviation of the log price: $0.05-$0.50 as the 95% band ([sources: opg-market]).
PRICE_LOG_SD = log(0.50 / 0.05) / (2 * 1.96)
#: Mean-reversion half-life of the log price, days (assumption).
PRICE_HALF_LIFE_DAYS = 30.0


def emission_schedule(schedule, n_epochs: int, epoch_seconds: float = 86_400.0) -> np.ndarray:
    """Tokens emitted to inference nodes in each of ``n_epochs`` epochs.

    Parameters
    ----------
    schedule : {"staking", "staking_svip", "ecosystem"}, float or array-like
        A named pool schedule (module docstring), a constant number of tokens per epoch, or
        one value per epoch.
    n_epochs : int
        Number of epochs; an array ``schedule`` must have this length.
    epoch_seconds : float
        Length of an epoch, seconds (named schedules are daily rates scaled to it).

    Returns
    -------
    ndarray, shape ``(n_epochs,)``

    Examples
    --------
    >>> round(float(emission_schedule("staking", 1)[0]))
    34223
    """
    days = epoch_seconds / 86_400.0
    if isinstance(schedule, str):
        if schedule in _LINEAR:
            pool, months = _LINEAR[schedule]
            return np.full(n_epochs, pool / (months * DAYS_PER_MONTH) * days)
        if schedule == "staking_svip":
            return svip_emission(int(n_epochs), activation_epoch=0, pool_tokens=_LINEAR["staking"][0],
                                 half_life_days=_SVIP_HALF_LIFE_MONTHS * DAYS_PER_MONTH, epoch_seconds=epoch_seconds)
        raise ConfigError(f"emission: unknown schedule {schedule!r}; allowed: {', '.join(EMISSION_SCHEDULES)}, "
                          "a number of tokens per epoch, or one value per epoch.")
    values = np.asarray(schedule, dtype=np.float64)
    if values.ndim == 0:
        values = np.full(n_epochs, float(values))
    if values.shape != (n_epochs,) or not np.all(np.isfinite(values) & (values >= 0)):
        raise ConfigError(f"emission: need a finite number >= 0 or {n_epochs} such values (one per epoch), "
                          f"got shape {values.shape}.")
    return values


def check_price_parameters(center_usd: float, log_sd: float, half_life_days: float) -> None:
    """Raise :class:`~fairshare.errors.ConfigError` naming a bad price parameter.

    Parameters
    ----------
    center_usd : float
        Centre of the price path, USD per token; must be finite and > 0 (``price_usd``).
    log_sd : float
        Stationary standard deviation of the log price; finite and >= 0 (``price_log_sd``).
    half_life_days : float
        Mean-reversion half-life, days; finite and > 0 (``price_half_life_days``).
    """
    for name, value, zero_ok in (("price_usd", center_usd, False), ("price_log_sd", log_sd, True),
                                 ("price_half_life_days", half_life_days, False)):
        ok = isinstance(value, (int, float, np.integer, np.floating)) and np.isfinite(value)
        if not (ok and (value > 0 or (zero_ok and value == 0))):
            raise ConfigError(f"{name} must be a finite number {'>= 0' if zero_ok else '> 0'}, got {value!r}.")


def price_path(rng: np.random.Generator, n_epochs: int, *, center_usd: float = PRICE_USD,
               log_sd: float = PRICE_LOG_SD, half_life_days: float = PRICE_HALF_LIFE_DAYS,
               start_usd: float | None = None, epoch_seconds: float = 86_400.0) -> np.ndarray:
    """Seeded token price per epoch: exact discretisation of an OU process in log price.

    ``x[t+1] = m + (x[t] - m) a + s sqrt(1 - a^2) z``, ``a = 2^(-dt / half_life)``, ``m = ln center``,
    ``s = log_sd``, ``z`` standard normal, ``x[0] = ln start`` (default: the centre).

    Parameters
    ----------
    rng : numpy.random.Generator
        The price stream.
    n_epochs : int
        Length of the path.
    center_usd : float, default 0.16
        Centre m of the log price (its long-run median), USD per token ([sources: opg-market]).
    log_sd : float, default 0.587
        Stationary standard deviation of the log price ([sources: opg-market]'s $0.05-$0.50 as the 95% band).
    half_life_days : float, default 30
        Mean-reversion half-life, days (assumption).
    start_usd : float, optional
        Price of epoch 0, USD; the centre when None.
    epoch_seconds : float, default 86400
        Length of an epoch, seconds (the step dt).

    Returns
    -------
    ndarray, shape ``(n_epochs,)``
        Token price per epoch, USD.
    """
    check_price_parameters(center_usd, log_sd, half_life_days)
    a = exp(-log(2.0) * (epoch_seconds / 86_400.0) / half_life_days)
    m = log(center_usd)
    x = np.empty(n_epochs)
    x[0] = log(start_usd) if start_usd is not None else m
    z = rng.standard_normal(max(n_epochs - 1, 0))
    step = log_sd * sqrt(1.0 - a * a)
    for t in range(1, n_epochs):  # n_epochs steps: a scalar recursion, not a per-task loop
        x[t] = m + (x[t - 1] - m) * a + step * z[t - 1]
    return np.exp(x)
