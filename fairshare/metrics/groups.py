"""Measures across groups: per-entity holdings, the Theil decomposition, the whole suite.

Public through :mod:`fairshare.metrics`. One operator often runs many keys, so
concentration is reported per key and per entity (operator) side by side:
:func:`group_holdings` sums holdings by entity and :func:`summary` measures
both levels with one sort per row (:func:`~fairshare._kernels.inequality.suite_sorted_rows`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._kernels.inequality import ROW_STATS, SUITE_FIXED, group_sums, group_theil, row_stats, suite_sorted_rows
from ..errors import AlignmentError, ConfigError
from ._input import Prepared, effective_from_theil, finish, prepare_holdings

__all__ = ["group_holdings", "theil_decomposition", "TheilDecomposition", "summary", "SUITE_COLUMNS"]

#: Columns of :func:`summary`, in order.
SUITE_COLUMNS = (
    "holders", "total", "gini", "theil", "atkinson_0.5", "hhi", "entropy", "effective_number",
    "nakamoto_1/3", "nakamoto_1/2", "max_share", "top_1pct_share", "top_10pct_share",
    "bottom_40pct_share", "palma",
)
_COUNT_COLUMNS = ("holders", "nakamoto_1/3", "nakamoto_1/2")
#: The Nakamoto thresholds of the suite as exact ``(num, den)``: 1/3 and 1/2.
_SUITE_THRESHOLDS = np.array([[1, 3], [1, 2]], dtype=np.int64)


def _codes(p: Prepared, labels, argument: str):
    """Integer codes (0..G-1, sorted labels) of the group of each holder of ``p``."""
    n = p.values.shape[-1]
    if isinstance(labels, pd.Series) and p.holder_labels is not None:
        if not labels.index.is_unique:
            raise AlignmentError(f"{p.func}: {argument} must map each key once; its index repeats "
                                 f"{labels.index[labels.index.duplicated()].unique()[:3].tolist()}.")
        mapped = labels.reindex(p.holder_labels)
        where = "keys of x"
    else:
        mapped = pd.Series(np.asarray(labels).ravel() if np.ndim(labels) else [labels])
        where = "positions of x"
        if len(mapped) != n:
            raise AlignmentError(f"{p.func}: {argument} must give one label per holder ({n}), got "
                                 f"{len(mapped)}.")
    missing = np.flatnonzero(mapped.isna().to_numpy())
    if missing.size:
        keys = (p.holder_labels[missing[:3]].tolist() if where == "keys of x" else missing[:3].tolist())
        raise AlignmentError(f"{p.func}: {argument} gives no label to {missing.size} {where} "
                             f"(first: {keys}); map every holder to a group.")
    codes, uniques = pd.factorize(mapped, sort=True)
    name = labels.name if isinstance(labels, pd.Series) and labels.name is not None else argument
    return np.ascontiguousarray(codes, dtype=np.int64), pd.Index(uniques, name=name)


def _per_group(p: Prepared, array2d, groups: pd.Index, name):
    """``(R, G)`` results back in the input's layout, one column per group."""
    if p.kind == "frame":
        return pd.DataFrame(array2d, index=p.row_labels, columns=groups)
    if p.kind == "series":
        return pd.Series(array2d[0], index=groups, name=name)
    return array2d.reshape(p.lead_shape + (len(groups),))


def group_holdings(x, entity, *, axis=-1, nan_policy="raise"):
    """Sum holdings by entity (for example keys by operator).

    Parameters
    ----------
    x : array_like, pandas.Series or pandas.DataFrame
        Holdings per key along ``axis`` (keys label a Series' index or a
        DataFrame's columns).
    entity : pandas.Series or array_like
        Entity of each key: a Series indexed by key (aligned on the labels of
        pandas ``x``, every key must be mapped), or labels by position.
    axis : int, default -1
    nan_policy : {"raise", "omit"}, default "raise"
        With ``"omit"``, NaN keys are absent; an entity none of whose keys is
        present in a row is NaN there (absent too).

    Returns
    -------
    numpy.ndarray, pandas.Series or pandas.DataFrame
        Holdings per entity, entities in sorted label order (the columns of
        an array result follow ``numpy.unique(entity)``).

    Examples
    --------
    >>> import pandas as pd, fairshare as fs
    >>> stake = pd.Series([5.0, 3.0, 2.0], index=["k1", "k2", "k3"])
    >>> fs.metrics.group_holdings(stake, pd.Series({"k1": "op_a", "k2": "op_b", "k3": "op_a"})).to_dict()
    {'op_a': 7.0, 'op_b': 3.0}
    """
    return _grouped(prepare_holdings("group_holdings", x, axis=axis, nan_policy=nan_policy), x, entity)


def _grouped(p: Prepared, x, entity):
    """:func:`group_holdings` of the validated ``x`` behind ``p``."""
    codes, groups = _codes(p, entity, "entity")
    if p.rows is None:
        sums = group_sums(p.values, codes, len(groups))
    else:
        nan = np.isnan(p.values)
        sums = group_sums(np.where(nan, 0.0, p.values), codes, len(groups))
        present = group_sums(np.ascontiguousarray(~nan, dtype=np.float64), codes, len(groups)) > 0
        sums[~present] = np.nan
    name = x.name if isinstance(x, pd.Series) else None
    return _per_group(p, sums, groups, name)


@dataclass(frozen=True, eq=False)
class TheilDecomposition:
    """Theil T split into within- and between-group parts: ``total = within + between``.

    ``total``, ``within`` and ``between`` have the shape of a metric result;
    ``population_share`` is per group; ``holding_share`` and ``group_theil``
    are per row and group (``group_theil`` is NaN for a group holding nothing,
    which adds nothing to either part).

    Parameters
    ----------
    total : float, ndarray or pandas.Series
        Theil T of the holdings, computed by :func:`theil`.
    within : float, ndarray or pandas.Series
        Within-group part ``sum_g s_g T_g``.
    between : float, ndarray or pandas.Series
        Between-group part ``sum_g s_g ln(s_g / p_g)``.
    groups : pandas.Index
        The group labels, in the order of the per-group arrays.
    population_share : ndarray, shape (G,)
        Share ``p_g`` of the holders in each group.
    holding_share : ndarray, pandas.Series or pandas.DataFrame
        Share ``s_g`` of the holdings held by each group, per row: ``(..., G)``.
    group_theil : ndarray, pandas.Series or pandas.DataFrame
        Theil T ``T_g`` within each group, per row: ``(..., G)``; NaN for a group holding nothing.
    """

    total: object
    within: object
    between: object
    groups: pd.Index
    population_share: np.ndarray
    holding_share: object
    group_theil: object

    def to_frame(self) -> pd.DataFrame:
        """One row per group (1-D input only): shares, Theil and its two contributions."""
        share = np.asarray(self.holding_share, dtype=float)
        if share.ndim != 1:
            raise ConfigError(f"TheilDecomposition.to_frame: needs the decomposition of one distribution "
                              f"(1-D x), got holding shares of shape {share.shape}; index the rows first.")
        theil_g = np.asarray(self.group_theil, dtype=float)
        pop = self.population_share
        with np.errstate(divide="ignore", invalid="ignore"):
            between = np.where(share > 0, share * np.log(share / pop), 0.0)
        return pd.DataFrame({"population_share": pop, "holding_share": share, "theil": theil_g,
                             "within_contribution": np.where(share > 0, share * theil_g, 0.0),
                             "between_contribution": between}, index=self.groups)


def theil_decomposition(x, groups, *, axis=-1):
    """Decompose Theil T into within-group and between-group inequality.

    Parameters
    ----------
    x : array_like, pandas.Series or pandas.DataFrame
        Non-negative holdings along ``axis``.
    groups : pandas.Series or array_like
        Group of each holder (as ``entity`` in :func:`group_holdings`).
    axis : int, default -1

    Returns
    -------
    TheilDecomposition

    Notes
    -----
    With group holding shares ``s_g``, population shares ``p_g = n_g / n`` and
    group indices ``T_g``: ``T = sum_g s_g T_g + sum_g s_g ln(s_g / p_g)``
    (within, then between; ``s_g ln(s_g / p_g) = s_g ln(mu_g / mu)``).
    ``total`` is computed independently by :func:`theil`; the parts add up to
    it to rounding. Shorrocks, A. F. (1980), "The class of additively
    decomposable inequality measures", *Econometrica* 48(3): 613-625; Cowell
    (2011), *Measuring Inequality*, ch. 4.

    Examples
    --------
    >>> import fairshare as fs
    >>> d = fs.theil_decomposition([1, 1, 4, 4], ["a", "a", "b", "b"])
    >>> d.within, round(d.between, 6) == round(d.total, 6)
    (0.0, True)
    """
    p = prepare_holdings("theil_decomposition", x, axis=axis)
    codes, labels = _codes(p, groups, "groups")
    totals, group_t = group_theil(p.values, codes, len(labels))
    population = np.bincount(codes, minlength=len(labels)) / codes.size
    share = totals / totals.sum(axis=-1, keepdims=True)
    held = share > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        within = np.where(held, share * group_t, 0.0).sum(axis=-1)
        between = np.where(held, share * np.log(share / population), 0.0).sum(axis=-1)
    total = row_stats(p.values, ROW_STATS["theil"], 0.0)
    return TheilDecomposition(
        total=finish(p, total, "theil"), within=finish(p, within, "within"),
        between=finish(p, between, "between"), groups=labels, population_share=population,
        holding_share=_per_group(p, share, labels, "holding_share"),
        group_theil=_per_group(p, group_t, labels, "theil"))


def _suite(values: np.ndarray, weights=None) -> np.ndarray:
    """``(R, len(SUITE_COLUMNS))`` from one ``np.sort`` per row and one kernel call."""
    xs = np.sort(values, axis=-1)
    n = xs.shape[-1]
    tops = np.array([1.0, 0.01 * n, 0.1 * n])
    vals, naka = suite_sorted_rows(xs, 0.5, tops, np.array([0.4 * n]), _SUITE_THRESHOLDS, False)
    col = dict(zip(SUITE_FIXED, vals.T))
    max_share, top1, top10, bottom40 = vals[:, len(SUITE_FIXED):].T
    with np.errstate(divide="ignore"):
        palma = np.maximum(top10 / bottom40, 0.25)
    # the top 1% and 10% hold at least 1% and 10%, the bottom 40% at most 40% (so the Palma ratio is at least
    # 1/4): the rounding of 0.01 n, 0.1 n and 0.4 n (one unit in the last place) must not break these bounds
    top1, top10, bottom40 = np.maximum(top1, 0.01), np.maximum(top10, 0.1), np.minimum(bottom40, 0.4)
    return np.column_stack([
        np.full(len(xs), float(n)), col["total"], col["gini"], col["theil"],
        1.0 - col["atkinson_ratio"], col["hhi"], col["entropy"], effective_from_theil(float(n), col["theil"]),
        naka[:, 0], naka[:, 1], max_share, top1, top10, bottom40, palma])


def _suite_frame(p: Prepared):
    table = p.apply(_suite)
    if p.kind == "series" or (p.kind == "array" and not p.lead_shape):
        return pd.Series(table[0], index=pd.Index(SUITE_COLUMNS, name="metric"), name="value")
    if p.kind == "frame":
        index = p.row_labels
    elif len(p.lead_shape) == 1:
        index = pd.RangeIndex(p.lead_shape[0])
    else:
        index = pd.MultiIndex.from_product([range(k) for k in p.lead_shape])
    frame = pd.DataFrame(table, index=index, columns=pd.Index(SUITE_COLUMNS, name="metric"))
    return frame.astype({c: np.int64 for c in _COUNT_COLUMNS})


def summary(x, entity=None, *, axis=-1, nan_policy="raise"):
    """The whole suite of measures, per key and (with ``entity``) per entity.

    Parameters
    ----------
    x : array_like, pandas.Series or pandas.DataFrame
        Holdings per key along ``axis`` (for example epochs by node keys).
    entity : pandas.Series or array_like, optional
        Entity of each key, as in :func:`group_holdings`.
    axis : int, default -1
    nan_policy : {"raise", "omit"}, default "raise"
        ``"omit"`` drops NaN (absent keys), so each row has its own population.

    Returns
    -------
    pandas.Series or pandas.DataFrame
        Columns :data:`SUITE_COLUMNS`: number of holders, total, Gini
        (population form), Theil T, Atkinson (epsilon 0.5), HHI (0..1),
        entropy (nats), effective number ``exp(entropy)``, Nakamoto
        coefficients (strict, > 1/3 and > 1/2), largest share, top 1% and top
        10% shares, bottom 40% share (Lorenz interpolation) and Palma ratio.
        One distribution gives a Series (by metric); several give a DataFrame
        (one row each). With ``entity`` the key and entity levels sit side by
        side: columns ``key`` and ``entity`` for one distribution, else
        two-level columns ``(level, metric)``.

    Notes
    -----
    Every measure comes from one ``np.sort`` per row and one pass of a
    parallel kernel over the sorted rows; values agree with the individual
    functions (:func:`gini`, :func:`theil`, ...) to rounding.

    Examples
    --------
    >>> import fairshare as fs
    >>> s = fs.metrics.summary([4.0, 1.0, 1.0, 2.0])
    >>> float(s["gini"]), int(s["nakamoto_1/2"])
    (0.3125, 2)
    """
    p = prepare_holdings("summary", x, axis=axis, nan_policy=nan_policy)
    per_key = _suite_frame(p)
    if entity is None:
        return per_key
    grouped = _grouped(p, x, entity)
    per_entity = _suite_frame(prepare_holdings("summary", grouped, nan_policy=nan_policy))
    if isinstance(per_key, pd.Series):
        return pd.concat({"key": per_key, "entity": per_entity}, axis=1)
    per_entity.index = per_key.index
    return pd.concat({"key": per_key, "entity": per_entity}, axis=1, names=["level", "metric"])
