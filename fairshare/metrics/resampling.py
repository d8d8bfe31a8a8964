"""Bootstrap percentile intervals for any measure of :mod:`fairshare.metrics`.

Public through :mod:`fairshare.metrics`. Resampled holder indices form a 2-D
``(resample, holder)`` array and the batched measure evaluates every resample
in one call (in blocks of resamples to bound memory).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError
from ._input import check_count, check_number, finish, prepare_holdings

__all__ = ["bootstrap", "BootstrapResult"]

#: Most resampled holdings held in memory at once (rows x resamples x holders).
_BLOCK_ELEMENTS = 1 << 23


@dataclass(frozen=True, eq=False)
class BootstrapResult:
    """A measure, its bootstrap percentile interval and the resampled values.

    ``estimate``, ``low`` and ``high`` have the shape of the measure's result;
    ``resamples`` adds a last axis of length ``n_resamples``.

    Parameters
    ----------
    metric : str
        Name of the measure (its ``__name__``).
    estimate : float, ndarray or pandas.Series
        The measure on the original holdings.
    low, high : float, ndarray or pandas.Series
        Lower and upper ends of the percentile interval.
    confidence : float
        Coverage of the interval, in (0, 1).
    n_resamples : int
        Number of bootstrap resamples.
    seed : int or numpy.random.SeedSequence
        The seed the resampling indices were drawn from.
    resamples : ndarray
        The measure on each resample: the shape of ``estimate`` plus a last axis of length ``n_resamples``.
    method : str, default "percentile"
        The interval method.
    """

    metric: str
    estimate: object
    low: object
    high: object
    confidence: float
    n_resamples: int
    seed: object
    resamples: np.ndarray
    method: str = "percentile"

    def summary(self) -> pd.DataFrame:
        """Estimate and interval, one row per distribution."""
        frame = pd.DataFrame({"estimate": np.atleast_1d(self.estimate),
                              "low": np.atleast_1d(self.low), "high": np.atleast_1d(self.high)},
                             index=getattr(self.estimate, "index", None))
        return frame.assign(confidence=self.confidence, n_resamples=self.n_resamples,
                            method=self.method, metric=self.metric)


def bootstrap(metric, x, *, n_resamples=1000, confidence=0.95, seed, weights=None, axis=-1,
              **metric_kwargs):
    """Percentile bootstrap interval of ``metric(x)``, resampling holders with replacement.

    Parameters
    ----------
    metric : callable
        A batched measure such as :func:`fairshare.gini`: called as
        ``metric(array, axis=-1, **metric_kwargs)`` on a ``(..., b, n)`` array of
        resamples, it must return ``(..., b)``.
    x : array_like, pandas.Series or pandas.DataFrame
        Non-negative holdings along ``axis``; with several distributions, every
        one is resampled with the same holder indices.
    n_resamples : int, default 1000
    confidence : float, default 0.95
        Coverage of the interval, in (0, 1).
    seed : int or numpy.random.SeedSequence
        Required; passed to :func:`numpy.random.default_rng`.
    weights : array_like, optional
        Frequency weights, resampled with their holders and passed to ``metric``.
    axis : int, default -1
    **metric_kwargs
        Passed to ``metric`` (for example ``threshold=1/3``).

    Returns
    -------
    BootstrapResult

    Notes
    -----
    Percentile method (Efron, B. and Tibshirani, R. J. (1993), *An Introduction
    to the Bootstrap*, Chapman & Hall, ch. 13): ``low`` and ``high`` are the
    ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles of the
    resampled values (``numpy.quantile``, linear interpolation). Indices are
    drawn as one ``(n_resamples, n)`` stream from ``default_rng(seed)`` (block
    by block, which gives the same stream), so a seed reproduces the result
    exactly.

    Examples
    --------
    >>> import fairshare as fs
    >>> r = fs.metrics.bootstrap(fs.gini, [1, 2, 3, 4, 10], n_resamples=200, seed=0)
    >>> r.low <= r.estimate <= r.high
    True
    """
    if not callable(metric):
        raise ConfigError(f"bootstrap: metric must be a callable measure such as fs.gini, got {metric!r}.")
    name = getattr(metric, "__name__", repr(metric))
    n_resamples = check_count("bootstrap", "n_resamples", n_resamples, low=1, high=10**9)
    confidence = check_number("bootstrap", "confidence", confidence, low=0.0, high=1.0,
                              low_open=True, high_open=True)
    if seed is None:
        raise ConfigError("bootstrap: seed is required (an int or a SeedSequence) so the interval "
                          "can be reproduced; got None.")
    rng = np.random.default_rng(seed)
    p = prepare_holdings("bootstrap", x, axis=axis, weights=weights)
    values, w = p.values, p.weights
    n = values.shape[-1]

    def evaluate(v, wv):
        kwargs = dict(metric_kwargs) if wv is None else {**metric_kwargs, "weights": wv}
        return np.asarray(metric(v, axis=-1, **kwargs))

    estimate = evaluate(values, w)
    block = max(1, _BLOCK_ELEMENTS // (n * values.shape[0]))
    parts = []
    for start in range(0, n_resamples, block):
        idx = rng.integers(0, n, size=(min(block, n_resamples - start), n))
        try:
            parts.append(evaluate(values[:, idx], None if w is None else w[:, idx]))
        except DataError as exc:
            raise type(exc)(f"bootstrap: {name} is undefined on at least one resample of x "
                            f"(a resample drawing only zero holders has no shares): {exc}") from exc
    resamples = np.concatenate(parts, axis=-1)
    low, high = np.quantile(resamples, [(1 - confidence) / 2, (1 + confidence) / 2], axis=-1)
    return BootstrapResult(
        metric=name, estimate=finish(p, estimate, name), low=finish(p, low, "low"),
        high=finish(p, high, "high"), confidence=confidence, n_resamples=n_resamples, seed=seed,
        resamples=resamples.reshape(p.lead_shape + (n_resamples,)))
