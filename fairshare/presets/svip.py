"""OpenGradient's SVIP emission to validators by voting power, epoch by epoch, from the one SVIP schedule.

The schedule is :func:`fairshare.economics.svip_emission` (the only implementation; this module
calls it); ``x/distribution`` pays each epoch's SVIP tokens to validators pro rata to voting power
(bonded stake), uncapped [sources: og-svip-doc, og-svip-module]. Validators are not inference nodes, so
this is a table of validator payouts beside the history rather than a rule over its nodes; the rule
over nodes that hold stake is :class:`~fairshare.presets.OpenGradientStaking`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..economics.svip import SVIP_POOL_TOKENS, SVIP_RECOMMENDED_HALF_LIFE_DAYS, svip_emission
from ..errors import FormulaError

__all__ = ["svip_validator_rewards"]


def svip_validator_rewards(voting_power, n_epochs: int, *, activation_epoch: int | None = 0,
                           half_life_days: float = SVIP_RECOMMENDED_HALF_LIFE_DAYS,
                           pool_tokens: float = SVIP_POOL_TOKENS, epoch_seconds: float = 86_400.0) -> pd.DataFrame:
    """Tokens each validator receives from SVIP in each epoch: ``svip_emission[e] x vp_i / sum vp``.

    Parameters
    ----------
    voting_power : Series or DataFrame
        Validator -> voting power (bonded stake), or epoch x validator (one row per epoch, ``n_epochs`` rows).
    n_epochs : int
        Number of epochs from activation's reference epoch 0.
    activation_epoch : int or None, default 0
        Epoch governance activates the pool (None: dormant, every epoch pays 0).
    half_life_days, pool_tokens, epoch_seconds : float
        As in :func:`fairshare.economics.svip_emission` (15 years, 100M OPG, one day).

    Returns
    -------
    DataFrame, epoch x validator
        Rows sum to the epoch's SVIP emission (0 where no validator has voting power; then it is not paid).

    Examples
    --------
    >>> out = svip_validator_rewards(pd.Series({"a": 3.0, "b": 1.0}), 1)
    >>> [round(v) for v in out.iloc[0]]  # 12,651 OPG on the first day, 3:1
    [9488, 3163]
    """
    emission = svip_emission(n_epochs, activation_epoch=activation_epoch, half_life_days=half_life_days,
                             pool_tokens=pool_tokens, epoch_seconds=epoch_seconds)
    if isinstance(voting_power, pd.DataFrame):
        if len(voting_power) != n_epochs:
            raise FormulaError(f"svip_validator_rewards voting_power has {len(voting_power)} rows; give one per "
                               f"epoch ({n_epochs}).")
        vp = voting_power.to_numpy(dtype=np.float64)
        columns = voting_power.columns
    elif isinstance(voting_power, pd.Series):
        vp = np.tile(voting_power.to_numpy(dtype=np.float64), (n_epochs, 1))
        columns = voting_power.index
    else:
        raise FormulaError("svip_validator_rewards voting_power must be a Series (validator -> voting power) or an "
                           f"epoch x validator DataFrame, got {type(voting_power).__name__}.")
    if not (np.isfinite(vp).all() and (vp >= 0).all()):
        raise FormulaError("svip_validator_rewards voting_power must be finite and >= 0.")
    totals = vp.sum(axis=1, keepdims=True)
    shares = np.divide(vp, totals, out=np.zeros_like(vp), where=totals > 0)
    return pd.DataFrame(shares * emission[:, None], index=pd.RangeIndex(n_epochs, name="epoch"),
                        columns=pd.Index(columns, name="validator"))
