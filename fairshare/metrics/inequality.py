"""Inequality indices of holdings: Gini, Theil T, mean log deviation, Atkinson and its EDE."""

from __future__ import annotations

import math

import numpy as np

from .._kernels.inequality import ROW_STATS, gini_sorted_rows
from ..errors import ConfigError, DataError
from ._input import check_number, fill_doc, finish, measure_rows, prepare_holdings

__all__ = ["gini", "theil", "mld", "atkinson", "ede"]


@fill_doc
def gini(x, corrected=False, weights=None, *, axis=-1, nan_policy="raise"):
    """Gini coefficient (mean-difference form) of non-negative holdings.

    Parameters
    ----------
    %(common)s
    corrected : bool, default False
        Multiply the population form by ``n / (n - 1)`` (``W / (W - 1)`` with
        weights), which reaches 1 when one holder has everything.
    weights : array_like, optional
        Frequency weights (>= 0): one per holder, or the shape of ``x``.

    Returns
    -------
    %(returns)s

    Notes
    -----
    Population form, 0 for equality and at most ``1 - 1/n``:
    ``G = sum_i sum_j |x_i - x_j| / (2 n^2 mu)``; weighted,
    ``G = sum_i sum_j w_i w_j |x_i - x_j| / (2 W^2 mu_w)`` with ``W = sum w`` and
    ``mu_w = sum w x / W``, so integer weights equal repeating holders. Computed
    after one sort in O(n log n) with non-negative terms only. Cowell, F. A.
    (2011), *Measuring Inequality*, 3rd ed., Oxford University Press, ch. 2.

    Examples
    --------
    >>> import fairshare as fs
    >>> fs.gini([1, 1, 1, 1])
    0.0
    >>> fs.gini([0, 0, 0, 8]), fs.gini([0, 0, 0, 8], corrected=True)
    (0.75, 1.0)
    """
    if not isinstance(corrected, (bool, np.bool_)):
        raise ConfigError(f"gini: corrected must be True or False, got {corrected!r}.")
    p = prepare_holdings("gini", x, axis=axis, nan_policy=nan_policy, weights=weights)

    def compute(values, w):
        if w is None:
            xs = np.sort(values, axis=-1)
            g = gini_sorted_rows(xs, xs, False)
            size = np.full(g.shape, float(values.shape[-1]))
        else:
            order = np.argsort(values, axis=-1, kind="stable")
            xs = np.take_along_axis(values, order, axis=-1)
            g = gini_sorted_rows(xs, np.take_along_axis(w, order, axis=-1), True)
            size = w.sum(axis=-1)
        if corrected:
            if (size <= 1.0).any():
                raise DataError(f"gini: corrected=True needs more than one holder (total weight > 1), "
                                f"got {size[size <= 1.0][0]:g}; n / (n - 1) is undefined.")
            g = g * (size / (size - 1.0))
        return g

    return finish(p, p.apply(compute), "gini")


@fill_doc
def theil(x, *, axis=-1, nan_policy="raise"):
    """Theil T index (natural log) of non-negative holdings.

    Parameters
    ----------
    %(common)s

    Returns
    -------
    %(returns)s

    Notes
    -----
    ``T = (1/n) sum_i (x_i / mu) ln(x_i / mu)``, in ``[0, ln n]``. Zero holders
    count in ``n`` and add ``0 ln 0 = 0``. Theil, H. (1967), *Economics and
    Information Theory*, North-Holland; Cowell (2011), *Measuring Inequality*.

    Examples
    --------
    >>> import fairshare as fs
    >>> round(fs.theil([0, 0, 0, 5]), 6)  # ln 4: one holder of four has everything
    1.386294
    """
    p, out = measure_rows("theil", x, ROW_STATS["theil"], axis=axis, nan_policy=nan_policy)
    return finish(p, out, "theil")


@fill_doc
def mld(x, *, axis=-1, nan_policy="raise"):
    """Mean log deviation (Theil L) of positive holdings.

    Parameters
    ----------
    %(common)s

    Returns
    -------
    %(returns)s

    Notes
    -----
    ``L = (1/n) sum_i ln(mu / x_i)``; every holding must be > 0 (a zero holder
    makes it infinite), so zeros raise :class:`~fairshare.errors.RangeError`.
    ``atkinson(x, 1) = 1 - exp(-L)``. Cowell (2011), *Measuring Inequality*.

    Examples
    --------
    >>> import fairshare as fs
    >>> round(fs.mld([1, 4]), 6)
    0.223144
    """
    p, out = measure_rows("mld", x, ROW_STATS["mld"], axis=axis, nan_policy=nan_policy,
                       positive=True, what="the mean log deviation")
    return finish(p, out, "mld")


def _atkinson_ratio(func, x, epsilon, axis, nan_policy):
    """``ede / mean`` of every row (``1 - atkinson``)."""
    epsilon = check_number(func, "epsilon", epsilon, low=0.0)
    return measure_rows(func, x, ROW_STATS["atkinson_ratio"], axis=axis, nan_policy=nan_policy,
                        epsilon=epsilon)


@fill_doc
def atkinson(x, epsilon=0.5, *, axis=-1, nan_policy="raise"):
    """Atkinson index with inequality aversion ``epsilon`` (>= 0).

    Parameters
    ----------
    %(common)s
    epsilon : float, default 0.5
        Inequality aversion; 0 gives 0, 1 the geometric-mean form.

    Returns
    -------
    %(returns)s

    Notes
    -----
    ``A = 1 - ede / mu`` with the equally-distributed-equivalent holding
    ``ede = ((1/n) sum_i x_i^(1-epsilon))^(1/(1-epsilon))`` for ``epsilon != 1``
    and the geometric mean ``exp((1/n) sum_i ln x_i)`` for ``epsilon = 1``
    (see :func:`ede`). For ``epsilon >= 1`` a zero holder gives ``ede = 0`` and
    ``A = 1`` (the limit). Atkinson, A. B. (1970), "On the measurement of
    inequality", *Journal of Economic Theory* 2(3): 244-263.

    Examples
    --------
    >>> import fairshare as fs
    >>> round(fs.atkinson([1, 4], epsilon=1), 6)
    0.2
    """
    p, ratio = _atkinson_ratio("atkinson", x, epsilon, axis, nan_policy)
    return finish(p, 1.0 - ratio, "atkinson")


@fill_doc
def ede(x, epsilon=0.5, *, axis=-1, nan_policy="raise"):
    """Equally-distributed-equivalent holding of Atkinson (1970).

    Parameters
    ----------
    %(common)s
    epsilon : float, default 0.5
        Inequality aversion (>= 0).

    Returns
    -------
    %(returns)s
        In the units of ``x``: the holding that, given to everyone, is valued
        as much as ``x``; ``mean * (1 - atkinson(x, epsilon))``.

    Examples
    --------
    >>> import fairshare as fs
    >>> round(fs.ede([1, 4], epsilon=1), 6)
    2.0
    """
    p, ratio = _atkinson_ratio("ede", x, epsilon, axis, nan_policy)
    # correctly rounded means; ede <= mean <= the largest holding, kept there through rounding
    mean = p.apply(lambda v, w: np.array([math.fsum(row) for row in v]) / v.shape[-1])
    largest = p.apply(lambda v, w: v.max(axis=-1))
    return finish(p, np.minimum(mean * ratio, largest), "ede")
