"""Change points and event studies around known dates.

- Change points: penalised least squares segmentation (PELT, Killick, Fearnhead and Eckley, 2012) by
  ``ruptures`` [sources: ruptures] with a cost on the mean and the penalty ``3 sigma^2 log n``, sigma from the
  median absolute first difference. Autocorrelated noise produces spurious changes at short distances, so
  segments are at least ``min_size`` windows long; read them as candidates, not findings.
- Event study (``breaks=[epoch, ...]``): a line per segment, the slope change at each break, and a placebo
  test: the same slope change computed at every other admissible date; the p-value is the share of placebo
  dates with a change at least as large in absolute value (randomisation over break dates).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ConfigError
from .blocks import fit_line

__all__ = ["change_points", "event_study"]


def change_points(t: np.ndarray, y: np.ndarray, *, min_size: int = 4) -> list[float]:
    """Times where the level of ``y`` changes (PELT on the mean).

    Parameters
    ----------
    t, y : numpy.ndarray
        Times and values.
    min_size : int, default 4
        Shortest segment, in points.

    Returns
    -------
    list of float
        The first time of each new segment.
    """
    n = y.size
    if n < 2 * min_size:
        return []
    import ruptures

    sigma = float(np.median(np.abs(np.diff(y)))) / (0.6745 * np.sqrt(2.0))
    if sigma <= 0:
        sigma = float(np.std(y)) or 1.0
    ends = ruptures.Pelt(model="l2", min_size=min_size, jump=1).fit(y.reshape(-1, 1)).predict(
        pen=3.0 * sigma * sigma * np.log(n))
    return [float(t[e]) for e in ends[:-1]]


def _slope_change(t, y, k, min_size):
    if k < min_size or y.size - k < min_size:
        return np.nan
    return fit_line(t[k:], y[k:])[1] - fit_line(t[:k], y[:k])[1]


def event_study(t: np.ndarray, y: np.ndarray, breaks, *, per_year: float, min_size: int = 3) -> pd.DataFrame:
    """Segmented slopes around known dates with a placebo-date test of each slope change.

    Parameters
    ----------
    t, y : numpy.ndarray
        Times (epochs) and values.
    breaks : list of number
        Epochs where a rule changed; each starts a new segment.
    per_year : float
        Factor from slope per unit of ``t`` to slope per year.
    min_size : int, default 3
        Fewest points on each side of a break.

    Returns
    -------
    pandas.DataFrame
        One row per break: ``slope_before_per_year``, ``slope_after_per_year`` (of the segments on either
        side), ``change_per_year``, ``placebo_p``, ``placebo_dates``.
    """
    rows = []
    cuts = sorted(float(b) for b in breaks)
    edges = [-np.inf, *cuts, np.inf]
    for i, b in enumerate(cuts):
        k = int(np.searchsorted(t, b))
        seg_lo = int(np.searchsorted(t, edges[i]))
        seg_hi = int(np.searchsorted(t, edges[i + 2]))
        tt, yy = t[seg_lo:seg_hi], y[seg_lo:seg_hi]
        kk = k - seg_lo
        if kk < min_size or tt.size - kk < min_size:
            raise ConfigError(f"breaks: epoch {b:g} leaves fewer than {min_size} windows on one side; "
                              "move it or drop it.")
        observed = _slope_change(tt, yy, kk, min_size)
        placebo = np.array([_slope_change(tt, yy, j, min_size) for j in range(tt.size) if j != kk])
        placebo = placebo[np.isfinite(placebo)]
        p = (1 + int((np.abs(placebo) >= abs(observed)).sum())) / (1 + placebo.size)
        rows.append({"break_epoch": b, "slope_before_per_year": fit_line(tt[:kk], yy[:kk])[1] * per_year,
                     "slope_after_per_year": fit_line(tt[kk:], yy[kk:])[1] * per_year,
                     "change_per_year": observed * per_year, "placebo_p": p, "placebo_dates": int(placebo.size)})
    return pd.DataFrame(rows).set_index("break_epoch") if rows else pd.DataFrame()
