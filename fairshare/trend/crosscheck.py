"""Cross-checks of a trend: Newey-West HAC least squares and the rank-based Mann-Kendall test with Sen's slope.

- Newey and West (1987) [sources: newey-west-1987]: least squares with a Bartlett-kernel HAC covariance, lag
  ``floor(4 (n/100)^(2/9))`` (the rule of thumb of Newey and West, 1994), computed by statsmodels
  [sources: statsmodels]; a normal interval.
- Mann (1945), Kendall (1975) [sources: mann-kendall]: ``S = sum_{i<j} sign(y_j - y_i)``, variance
  ``n(n-1)(2n+5)/18`` less the tie term, continuity-corrected z. It assumes independent errors, so with
  positive autocorrelation its p-value is too small; it is a check on the sign, not a second headline.
- Sen (1968) [sources: sen-1968]: the median of all pairwise slopes.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

__all__ = ["newey_west", "mann_kendall", "sen_slope"]


def newey_west(t: np.ndarray, y: np.ndarray, confidence: float = 0.95) -> dict:
    """Least-squares slope with a Newey-West HAC interval.

    Parameters
    ----------
    t, y : numpy.ndarray
        Times and values.
    confidence : float, default 0.95
        Coverage of the normal interval.

    Returns
    -------
    dict
        ``slope``, ``low``, ``high``, ``lags``.
    """
    import statsmodels.api as sm

    n = y.size
    lags = int(math.floor(4 * (n / 100.0) ** (2.0 / 9.0)))
    tc = (t - t.mean()) / max(float(np.ptp(t)), 1e-300)  # scaled for conditioning; slope rescaled below
    fit = sm.OLS(y, np.column_stack([np.ones(n), tc])).fit(cov_type="HAC", cov_kwds={"maxlags": lags})
    scale = max(float(np.ptp(t)), 1e-300)
    slope, se = float(fit.params[1]) / scale, float(fit.bse[1]) / scale
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    return {"slope": slope, "low": slope - z * se, "high": slope + z * se, "lags": lags}


def mann_kendall(y: np.ndarray) -> dict:
    """Mann-Kendall trend test.

    Parameters
    ----------
    y : numpy.ndarray
        Values in time order.

    Returns
    -------
    dict
        ``s``, ``z``, ``p`` (two-sided, assuming independent errors).
    """
    n = y.size
    diff = np.sign(y[None, :] - y[:, None])
    s = float(np.triu(diff, 1).sum())
    _, counts = np.unique(y, return_counts=True)
    var = (n * (n - 1) * (2 * n + 5) - float((counts * (counts - 1) * (2 * counts + 5)).sum())) / 18.0
    if var <= 0:
        return {"s": s, "z": 0.0, "p": 1.0}
    z = (s - math.copysign(1.0, s)) / math.sqrt(var) if s != 0 else 0.0
    return {"s": s, "z": z, "p": 2.0 * (1.0 - NormalDist().cdf(abs(z)))}


def sen_slope(t: np.ndarray, y: np.ndarray) -> float:
    """Sen's slope: the median of the slopes between all pairs of points with distinct times.

    Parameters
    ----------
    t, y : numpy.ndarray
        Times and values.

    Returns
    -------
    float
    """
    i, j = np.triu_indices(y.size, 1)
    dt = t[j] - t[i]
    ok = dt != 0
    return float(np.median((y[j] - y[i])[ok] / dt[ok])) if ok.any() else float("nan")
