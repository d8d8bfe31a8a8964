"""Concentration conventions of the Edinburgh Decentralisation Index, and Nakamoto coefficients as ranges.

The index's consensus-layer metric set [sources: edi-2023], per window, over the shares ``p_i`` of the
window's population (entities paid in it, plus, under its ``population_windows = 1`` rule, those paid in the
previous or next window, as zeros; :class:`fairshare.ledger.Panel` with ``population="adjacent"``):

================  ==========================================================================================
``gini``          population Gini (zeros count)
``theil``         ``(1/n) sum x_i/mu ln(x_i/mu)`` over the population (zeros contribute 0)
``hhi``           ``sum (100 p_i)^2``, 0 to 10,000
``nakamoto``      fewest entities whose share reaches 50% (``>=``, as the index's code counts)
``entropy``       Shannon entropy in bits
``entropy_pct``   entropy / log2(number of entities with a positive share)
``cr1``, ``cr3``  share of the largest one and three entities
``tau_0.33``      fewest entities reaching 33%; ``tau_0.66`` likewise for 66%
``entities``      entities with a positive share
================  ==========================================================================================

Measures come from :mod:`fairshare.metrics` (exact Nakamoto thresholds), rescaled to the index's units.
The index's documentation says "more than 50%" for the Nakamoto coefficient while its code counts shares
reaching the threshold; the code is followed here.

Nakamoto ranges: where block production is a lottery (each block goes to an entity with probability
proportional to its power), a window's counts are one multinomial draw, and the Nakamoto coefficient of the
underlying power is uncertain. :func:`nakamoto_range` resamples the counts (multinomial with the observed
shares) and reports the range the coefficient takes, as the Edinburgh group's statistical-confidence study of
Nakamoto coefficients does [sources: nc-confidence]. For deterministic payouts (rewards computed from stake
or work, not drawn) the coefficient is exact and has no range.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import metrics as M
from ..errors import ConfigError

__all__ = ["EDI_METRICS", "edi_metrics", "edi_series", "nakamoto_range"]

#: Column names of :func:`edi_metrics`.
EDI_METRICS = ("gini", "theil", "hhi", "nakamoto", "entropy", "entropy_pct", "cr1", "cr3", "tau_0.33",
               "tau_0.66", "entities")


def edi_metrics(x) -> pd.Series:
    """The Edinburgh Decentralisation Index's metric set for one window's holdings.

    Parameters
    ----------
    x : array_like
        Holdings of the window's population (zeros allowed), at least one positive.

    Returns
    -------
    pandas.Series
        Indexed by :data:`EDI_METRICS`.

    Examples
    --------
    >>> import fairshare as fs
    >>> m = fs.trend.edi_metrics([50, 30, 20, 0])      # the zero: an entity active in an adjacent window
    >>> float(m["hhi"]), int(m["nakamoto"]), int(m["entities"]), round(float(m["gini"]), 4)
    (3800.0, 1, 3, 0.4)
    """
    x = np.asarray(x, dtype=np.float64)
    positive = int(np.count_nonzero(x))
    bits = float(M.entropy(x, base=2))
    return pd.Series({
        "gini": float(M.gini(x)), "theil": float(M.theil(x)), "hhi": 10_000.0 * float(M.hhi(x)),
        "nakamoto": int(M.nakamoto_coefficient(x, 0.5, inclusive=True)), "entropy": bits,
        "entropy_pct": bits / np.log2(positive) if positive > 1 else 0.0,
        "cr1": float(M.top_k_share(x, 1)), "cr3": float(M.top_k_share(x, min(3, x.size))),
        "tau_0.33": int(M.nakamoto_coefficient(x, 0.33, inclusive=True)),
        "tau_0.66": int(M.nakamoto_coefficient(x, 0.66, inclusive=True)), "entities": positive,
    })[list(EDI_METRICS)]


def edi_series(panel) -> pd.DataFrame:
    """The metric set for every window of a panel (use ``population="adjacent"`` for the index's rule).

    Parameters
    ----------
    panel : fairshare.ledger.Panel

    Returns
    -------
    pandas.DataFrame
        One row per window (indexed by its first epoch), columns :data:`EDI_METRICS`.
    """
    rows = [edi_metrics(a) if a.sum() > 0 else pd.Series(np.nan, index=list(EDI_METRICS))
            for _, a in panel.vectors()]
    return pd.DataFrame(rows, index=panel.windows["start_epoch"].rename("epoch"))


def nakamoto_range(counts, *, threshold: float = 0.5, confidence: float = 0.95, resamples: int = 1000,
                   seed=0, inclusive: bool = False) -> dict:
    """Nakamoto coefficient of lottery-type counts (blocks won) with the range of its multinomial resamples.

    Parameters
    ----------
    counts : array_like of int
        Blocks (or lottery wins) per entity in one window.
    threshold : float, default 0.5
        Share to exceed (or reach, with ``inclusive``).
    confidence : float, default 0.95
        Central share of the resampled coefficients reported as the range.
    resamples : int, default 1000
    seed : int, default 0
    inclusive : bool, default False
        Count entities reaching the threshold (the index's convention).

    Returns
    -------
    dict
        ``point``, ``low``, ``high``, ``stable`` (share of resamples equal to the point value).
    """
    c = np.asarray(counts)
    if c.ndim != 1 or c.size == 0 or c.dtype.kind not in "iu" or (c < 0).any() or c.sum() == 0:
        raise ConfigError("nakamoto_range: counts must be non-negative integers (blocks per entity), not all zero; "
                          "deterministic payouts have an exact Nakamoto coefficient and no range.")
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(int(c.sum()), c / c.sum(), size=resamples).astype(np.float64)
    point = int(M.nakamoto_coefficient(c.astype(np.float64), threshold, inclusive=inclusive))
    values = np.asarray(M.nakamoto_coefficient(draws, threshold, inclusive=inclusive))
    alpha = 1 - confidence
    low, high = np.quantile(values, [alpha / 2, 1 - alpha / 2], method="inverted_cdf")
    return {"point": point, "low": int(low), "high": int(high), "stable": float((values == point).mean())}
