"""Concentration measures: HHI, entropy, Nakamoto coefficient, top shares, Palma, Lorenz curve.

Public through :mod:`fairshare.metrics` (and the top-level package); shares
are holdings over the row total. Sort-based measures sort each row once with
``np.sort`` and hand the sorted rows to a kernel.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pandas as pd

from .._kernels.inequality import ROW_STATS, lorenz_share_sorted_rows, nakamoto_sorted_rows
from ..errors import ConfigError
from ._input import (
    check_count,
    check_number,
    check_threshold,
    effective_from_theil,
    fill_doc,
    finish,
    holder_counts,
    measure_rows,
    prepare_holdings,
)

__all__ = ["hhi", "entropy", "effective_number", "nakamoto_coefficient", "top_k_share", "top_share",
           "palma", "lorenz_curve", "LorenzCurve"]


@fill_doc
def hhi(x, *, axis=-1, nan_policy="raise"):
    """Herfindahl-Hirschman index: the sum of squared shares, on the 0..1 scale.

    Parameters
    ----------
    %(common)s

    Returns
    -------
    %(returns)s
        In ``[1/n, 1]``; multiply by 10,000 for the antitrust scale (shares in
        percent), on which the U.S. DOJ/FTC 2023 Merger Guidelines state their
        thresholds.

    Notes
    -----
    ``HHI = sum_i s_i^2`` with ``s_i = x_i / sum x``, computed as
    ``(1 + (1/n) sum_i (x_i / mu - 1)^2) / n`` (a compensated sum of squares),
    so it is never below ``1/n``; ``1 / HHI`` is an effective
    number of holders (see :func:`effective_number`). Hirschman, A. O. (1964),
    "The paternity of an index", *American Economic Review* 54(5): 761.

    Examples
    --------
    >>> import fairshare as fs
    >>> round(fs.hhi([8, 6, 3, 3]) * 10_000, 6)  # shares 40%, 30%, 15%, 15%
    2950.0
    """
    p, out = measure_rows("hhi", x, ROW_STATS["hhi"], axis=axis, nan_policy=nan_policy)
    return finish(p, out, "hhi")


@fill_doc
def entropy(x, base=math.e, *, axis=-1, nan_policy="raise"):
    """Shannon entropy of the shares ``x / sum x``.

    Parameters
    ----------
    %(common)s
    base : float, default e
        Logarithm base (2 gives bits); positive and not 1.

    Returns
    -------
    %(returns)s
        In ``[0, log_base n]``.

    Notes
    -----
    ``H = -sum_i s_i log(s_i)`` with ``0 log 0 = 0``, computed as ``ln n - T``
    from :func:`theil`'s compensated sum of non-negative terms, so it never
    exceeds ``ln n`` (n equal holders give ``ln n`` to the last bit); absolute
    error at most ``1e-15 ln n`` (natural log). Shannon, C. E. (1948), "A
    mathematical theory of communication", *Bell System Technical Journal* 27:
    379-423. Theil T equals ``ln n - H`` (natural log).

    Examples
    --------
    >>> import fairshare as fs
    >>> fs.entropy([1, 1, 1, 1], base=2)
    2.0
    """
    base = check_number("entropy", "base", base, low=0.0, low_open=True)
    if base == 1.0:
        raise ConfigError("entropy: base must be a finite number in (0, inf) other than 1, got 1.0.")
    p, out = measure_rows("entropy", x, ROW_STATS["entropy"], axis=axis, nan_policy=nan_policy)
    return finish(p, out if base == math.e else out / math.log(base), "entropy")


@fill_doc
def effective_number(x, *, axis=-1, nan_policy="raise"):
    """Effective number of holders: ``exp(entropy)`` (Hill number of order 1).

    Parameters
    ----------
    %(common)s

    Returns
    -------
    %(returns)s
        In ``[1, n]``: n equal holders give n.

    Notes
    -----
    ``exp(-sum_i s_i ln s_i)``, computed as ``n exp(-T)`` with :func:`theil`'s
    ``T >= 0``, so it never exceeds n. The other common "effective number",
    ``1 / hhi(x)`` (Hill number of order 2; the effective number of parties of
    Laakso and Taagepera 1979), weighs large holders more and is never larger.
    Hill, M. O. (1973), "Diversity and evenness: a unifying notation and its
    consequences", *Ecology* 54(2): 427-432.

    Examples
    --------
    >>> import fairshare as fs
    >>> round(fs.effective_number([5, 5, 0]), 12)
    2.0
    """
    p, theil = measure_rows("effective_number", x, ROW_STATS["theil"], axis=axis,
                            nan_policy=nan_policy)
    return finish(p, effective_from_theil(holder_counts(p), theil), "effective_number")



def _sorted_apply(p, kernel):
    return p.apply(lambda v, w: kernel(np.sort(v, axis=-1)))


@fill_doc
def nakamoto_coefficient(x, threshold=0.5, inclusive=False, *, axis=-1, nan_policy="raise"):
    """Fewest holders whose combined share exceeds ``threshold``.

    Parameters
    ----------
    %(common)s
    threshold : float or fractions.Fraction, default 0.5
        Share strictly between 0 and 1; 1/3 is the usual safety bound of BFT
        consensus. A rational: a ``Fraction`` is used as it is, a float is read
        as the nearest fraction with a denominator at most 1000 (``1 / 3`` is
        exactly one third, ``0.33`` is 33/100).
    inclusive : bool, default False
        Count the fewest holders whose share reaches (>=) the threshold.

    Returns
    -------
    int, numpy.ndarray of int64 or pandas.Series

    Notes
    -----
    Holders are taken largest first. The share of the top k holders is
    compared with the threshold exactly on the given holdings (no float
    rounding decides a tie): 300 equal holders need 151 to pass a strict 1/2
    and 100 to reach an inclusive 1/3. Srinivasan, B. S. and Lee, L. (2017),
    "Quantifying Decentralization" (the strict form, "more than 50%"); the
    Edinburgh Decentralisation Index counts entities reaching the threshold
    (``inclusive=True``).

    Examples
    --------
    >>> import fairshare as fs
    >>> fs.nakamoto_coefficient([1, 2, 3]), fs.nakamoto_coefficient([1, 2, 3], inclusive=True)
    (2, 1)
    """
    threshold = check_threshold("nakamoto_coefficient", "threshold", threshold)
    if not isinstance(inclusive, (bool, np.bool_)):
        raise ConfigError(f"nakamoto_coefficient: inclusive must be True or False, got {inclusive!r}.")
    p = prepare_holdings("nakamoto_coefficient", x, axis=axis, nan_policy=nan_policy)
    num, den = threshold.numerator, threshold.denominator
    out = _sorted_apply(p, lambda xs: nakamoto_sorted_rows(xs, num, den, bool(inclusive)))
    return finish(p, out, "nakamoto_coefficient")


def _lorenz_share(func, x, count_of_n, from_top, axis, nan_policy):
    p = prepare_holdings(func, x, axis=axis, nan_policy=nan_policy)
    return p, _sorted_apply(p, lambda xs: lorenz_share_sorted_rows(
        xs, float(count_of_n(xs.shape[-1])), from_top))


@fill_doc
def top_k_share(x, k, *, axis=-1, nan_policy="raise"):
    """Share of the total held by the ``k`` largest holders (concentration ratio CR_k).

    Parameters
    ----------
    %(common)s
    k : int
        From 1 to the number of holders.

    Returns
    -------
    %(returns)s
        In ``[k/n, 1]``.

    Examples
    --------
    >>> import fairshare as fs
    >>> fs.top_k_share([1, 1, 2, 4], 2)
    0.75
    """
    def count(n):
        return check_count("top_k_share", "k", k, low=1, high=n, what=" (the number of holders)")

    p, out = _lorenz_share("top_k_share", x, count, True, axis, nan_policy)
    return finish(p, out, "top_k_share")


@fill_doc
def top_share(x, fraction, *, axis=-1, nan_policy="raise"):
    """Share held by the top ``fraction`` of holders, interpolated on the Lorenz curve.

    Parameters
    ----------
    %(common)s
    fraction : float
        Population fraction in [0, 1], e.g. 0.01 for the top 1%.

    Returns
    -------
    %(returns)s

    Notes
    -----
    ``1 - L(1 - fraction)`` with ``L`` the piecewise-linear Lorenz curve
    through ``(i/n, sum of the i smallest / total)``: with ``t = fraction * n``,
    the ``floor(t)`` largest holders plus the fraction ``t - floor(t)`` of the
    next one. The top ``fraction`` of holders hold at least ``fraction`` of the
    total; the rounding of ``t`` (one unit in the last place) is not allowed to
    break that bound, so equal holders give ``fraction`` to rounding, never
    less. Unlike :func:`top_k_share`, repeating every holder r times leaves
    it unchanged (replication invariance). Lorenz, M. O. (1905), "Methods of
    measuring the concentration of wealth", *Publications of the American
    Statistical Association* 9(70): 209-219.

    Examples
    --------
    >>> import fairshare as fs
    >>> fs.top_share([1, 1, 2, 4], 0.25), fs.top_share([1, 1, 2, 4], 0.125)
    (0.5, 0.25)
    """
    fraction = check_number("top_share", "fraction", fraction, low=0.0, high=1.0)
    p, out = _lorenz_share("top_share", x, lambda n: fraction * n, True, axis, nan_policy)
    return finish(p, np.maximum(out, fraction), "top_share")


@fill_doc
def palma(x, *, axis=-1, nan_policy="raise"):
    """Palma ratio: share of the top 10% over share of the bottom 40%.

    Parameters
    ----------
    %(common)s

    Returns
    -------
    %(returns)s
        0.25 for equality; ``inf`` when the bottom 40% hold nothing.

    Notes
    -----
    Both shares interpolate on the Lorenz curve (as :func:`top_share`), so the
    ratio is replication invariant and defined for any n. Palma, J. G. (2011),
    "Homogeneous middles vs. heterogeneous tails, and the end of the
    'Inverted-U'", *Development and Change* 42(1): 87-153; Cobham, A. and
    Sumner, A. (2013), "Is it all about the tails? The Palma measure of income
    inequality", CGD Working Paper 343.

    Examples
    --------
    >>> import fairshare as fs
    >>> fs.palma(list(range(1, 11)))
    1.0
    """
    def ratio(xs):
        n = xs.shape[-1]
        top = lorenz_share_sorted_rows(xs, 0.1 * n, True)
        bottom = lorenz_share_sorted_rows(xs, 0.4 * n, False)
        with np.errstate(divide="ignore"):
            return top / bottom

    p = prepare_holdings("palma", x, axis=axis, nan_policy=nan_policy)
    return finish(p, _sorted_apply(p, ratio), "palma")


class LorenzCurve(NamedTuple):
    """Points of a Lorenz curve, from (0, 0) to (1, 1).

    ``population_share`` is ``(n + 1,)``; ``holding_share`` has the leading
    shape of the input plus ``(n + 1,)`` (a Series for Series input, indexed
    by population share; a DataFrame, one row per input row, for DataFrames).

    Parameters
    ----------
    population_share : ndarray, shape (n + 1,)
        Cumulative population shares ``0, 1/n, ..., 1`` of the ``n`` holders.
    holding_share : ndarray, pandas.Series or pandas.DataFrame
        Cumulative holding share of the ``i`` smallest holders, ``(..., n + 1)``, from 0 to exactly 1.
    """

    population_share: np.ndarray
    holding_share: np.ndarray | pd.Series | pd.DataFrame


def lorenz_curve(x, *, axis=-1):
    """Lorenz curve: cumulative population share against cumulative holding share.

    Parameters
    ----------
    x : array_like, pandas.Series or pandas.DataFrame
        Non-negative finite holdings along ``axis``.
    axis : int, default -1
        Axis holding the holders of one distribution.

    Returns
    -------
    LorenzCurve
        ``(population_share, holding_share)``; ``holding_share[..., i]`` is
        the share of the ``i`` smallest holders; the last point is exactly 1.

    Notes
    -----
    Lorenz, M. O. (1905), *Publications of the American Statistical
    Association* 9(70): 209-219. The straight lines between the points are the
    interpolation :func:`top_share` and :func:`palma` use.

    Examples
    --------
    >>> import fairshare as fs
    >>> fs.lorenz_curve([3, 1]).holding_share.tolist()
    [0.0, 0.25, 1.0]
    """
    p = prepare_holdings("lorenz_curve", x, axis=axis)
    n = p.values.shape[-1]
    cum = np.cumsum(np.sort(p.values, axis=-1), axis=-1)
    share = np.concatenate([np.zeros((cum.shape[0], 1)), cum / cum[:, -1:]], axis=-1)
    population = np.arange(n + 1) / n
    if p.kind == "frame":
        return LorenzCurve(population, pd.DataFrame(share, index=p.row_labels, columns=population))
    if p.kind == "series":
        return LorenzCurve(population, pd.Series(share[0], index=pd.Index(population,
                                                                          name="population_share")))
    return LorenzCurve(population, share.reshape(p.lead_shape + (n + 1,)))
