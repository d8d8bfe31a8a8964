"""Named measures of one window's holdings, and the metric suite of a panel at key and entity level.

The measures are fairshare's public ones (:mod:`fairshare.metrics`); a panel (layer 1) computes series of any
function of a 1-D array, and this module (layer 2) names them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import metrics as M
from ..errors import ConfigError, DataError

__all__ = ["METRICS", "metric_function", "panel_summary"]


def _nakamoto(x):
    return float(M.nakamoto_coefficient(x, 0.5))


#: Named measures of one window's holdings (a 1-D float array, zeros allowed). ``nakamoto``: strict (> 50%).
METRICS = {
    "gini": lambda x: float(M.gini(x)),
    "theil": lambda x: float(M.theil(x)),
    "hhi": lambda x: float(M.hhi(x)),
    "entropy": lambda x: float(M.entropy(x)),
    "nakamoto": _nakamoto,
    "max_share": lambda x: float(M.top_k_share(x, 1)),
    "top10pct_share": lambda x: float(M.top_share(x, 0.1)),
    "holders": lambda x: float(np.count_nonzero(x)),
}


def metric_function(metric):
    """The function of a named measure (:data:`METRICS`), ``"small_share"`` as is, or ``metric`` when callable.

    Parameters
    ----------
    metric : str or callable
        A key of :data:`METRICS`, ``"small_share"`` or a function of a 1-D array.

    Returns
    -------
    callable or str
    """
    if callable(metric) or metric == "small_share":
        return metric
    if metric not in METRICS:
        raise ConfigError(f"metric={metric!r}; one of {sorted(METRICS) + ['small_share']} or a callable.")
    return METRICS[metric]


def panel_summary(panel) -> pd.DataFrame:
    """The metric suite per window (``fs.metrics.summary``), key and entity level side by side.

    Parameters
    ----------
    panel : fairshare.ledger.Panel

    Returns
    -------
    pandas.DataFrame
        Two-level columns ``(level, metric)``; one row per window with rewards (active population).
    """
    key_panel = panel if panel.labels is None else panel.rebuild_key_level()
    rows = {}
    kb, eb = key_panel._bounds(), panel._bounds()
    for w, start in enumerate(panel.windows["start_epoch"]):
        k = key_panel.amount[kb[w]:kb[w + 1]]
        e = panel.amount[eb[w]:eb[w + 1]]
        if k.sum() <= 0 or e.sum() <= 0:
            continue
        rows[start] = pd.concat({"key": M.summary(k), "entity": M.summary(e)})
    if not rows:
        raise DataError("panel: no window has rewards to measure.")
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("epoch")
