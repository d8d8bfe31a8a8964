"""Input normalisers of :mod:`fairshare.plotting`: accepted inputs turned into one table shape.

Pure pandas; no Matplotlib here, so the shapes can be tested and reused by
scripts that save plotted numbers.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..formulas.components import COMPONENTS

__all__ = ["weights_frame", "runs_by_epoch"]


def weights_frame(weights) -> pd.DataFrame:
    """Components x candidates table of weights from any accepted input."""
    if isinstance(weights, pd.DataFrame):
        frame = weights
    else:
        w = getattr(weights, "weights", weights)
        if not isinstance(w, (Mapping, pd.Series)):
            raise ConfigError("emission_weights takes a dict or Series of component -> weight, a Linear rule, or "
                              f"a DataFrame (components x candidates), got {type(weights).__name__}.")
        frame = pd.Series(w, dtype=np.float64).to_frame("weight")
    values = frame.to_numpy(dtype=np.float64)
    if frame.empty or not np.isfinite(values).all() or (values < 0).any():
        raise ConfigError("emission_weights: weights must be finite numbers >= 0 (at least one); got "
                          f"{frame.to_dict()}.")
    known = [c for c in COMPONENTS if c in frame.index]
    return frame.loc[known + [c for c in frame.index if c not in COMPONENTS]]


def runs_by_epoch(data, value: str) -> pd.DataFrame:
    """An epoch x run table from tidy rows, a runs x epochs array, or an epoch x run table."""
    if isinstance(data, pd.DataFrame) and {"run", "epoch"} <= set(data.columns):
        if value not in data.columns:
            raise ConfigError(f"fan_chart: no column {value!r} in the tidy table; pass value= one of "
                              f"{', '.join(c for c in map(str, data.columns) if c not in ('run', 'epoch'))}.")
        if data.duplicated(["run", "epoch"]).any():
            raise ConfigError("fan_chart: the tidy table has repeated (run, epoch) rows; give one row per run and "
                              "epoch.")
        return data.pivot(index="epoch", columns="run", values=value)
    if isinstance(data, pd.DataFrame):
        return data
    array = np.asarray(data, dtype=np.float64)
    if array.ndim != 2:
        raise ConfigError(f"fan_chart: an array must be runs x epochs (2-D), got shape {array.shape}.")
    return pd.DataFrame(array.T, index=pd.RangeIndex(array.shape[1], name="epoch"))
