"""Kernels: inequality and concentration measures over the rows of a 2-D array.

Every kernel takes a C-contiguous ``(R, n)`` float64 array (one distribution
per row, validated by :mod:`fairshare.metrics._input`: finite, non-negative,
each row with a positive total), returns new arrays and runs its rows in
parallel. Each ``prange`` iteration writes only its own output row and sums
within a row run in a fixed order, so results do not depend on the thread
count. Kernels whose name says ``sorted`` expect every row sorted ascending
(the caller sorts once with ``np.sort``; one sort serves every sort-based
measure, see :func:`suite_sorted_rows`).

Row totals are sequential sums in storage order. The slow oracles of every
kernel live in ``tests/naive.py``.

Each row kernel is compiled twice from one source (:func:`_row_kernel`): with
``parallel=True``, and serially for small inputs, where waking the thread pool
costs more than the work (milliseconds on a busy machine, against
microseconds). Both variants compute every row with the same code, so the
choice never changes a result.
"""

from __future__ import annotations

import math
import types

import numpy as np

from .._jit import jit, jit_parallel, prange

__all__ = [
    "ROW_STATS",
    "row_stats",
    "gini_sorted_rows",
    "lorenz_share_sorted_rows",
    "nakamoto_sorted_rows",
    "suite_sorted_rows",
    "SUITE_FIXED",
    "group_sums",
    "group_theil",
    "PARALLEL_MIN_ELEMENTS",
]

#: Codes of the measures :func:`row_stats` computes (the ``which`` argument; the
#: order of the results of :func:`_share_moments`).
ROW_STATS = {"theil": 0, "mld": 1, "entropy": 2, "hhi": 3, "atkinson_ratio": 4}

#: Leading columns of the float output of :func:`suite_sorted_rows`.
SUITE_FIXED = ("total", "gini", "theil", "entropy", "hhi", "atkinson_ratio")


# --------------------------------------------------------------------------- row helpers


@jit
def _row_sum(row):
    total = 0.0
    for v in row:
        total += v
    return total


@jit
def _share_moments(row, total, epsilon):
    """Theil T, MLD, entropy, HHI and the Atkinson ratio of ``row`` in one pass, one log per holder.

    With ``r_i = x_i / mean`` and ``l_i = ln r_i`` (zero holders add nothing
    to the sums of logs): ``T = (1/n) sum r_i l_i``; ``MLD = -(1/n) sum l_i``;
    entropy ``-sum s_i ln s_i = (1/n) sum r_i (ln n - l_i)``, each factor
    ``ln n - l_i = -ln s_i`` kept >= 0 where rounding would push it below;
    ``HHI = sum s_i^2``; Atkinson ratio ``ede / mean`` =
    ``((1/n) sum r_i^(1-epsilon))^(1/(1-epsilon))``, ``exp((1/n) sum l_i)`` for
    ``epsilon = 1``, 0 for ``epsilon >= 1`` with a zero holder, 1 for ``epsilon = 0``.
    """
    n = row.shape[0]
    mean = total / n
    log_n = math.log(n)
    power = 1.0 - epsilon
    theil = logs = entropy = squares = powers = 0.0
    has_zero = False
    for v in row:
        s = v / total
        squares += s * s
        if v > 0.0:
            r = v / mean
            lr = math.log(r)
            theil += r * lr
            logs += lr
            entropy += r * max(log_n - lr, 0.0)
            if epsilon == 0.5:  # the common default: sqrt is cheaper than pow
                powers += math.sqrt(r)
            elif epsilon != 1.0 and epsilon != 0.0:
                powers += r ** power
        else:
            has_zero = True
    if epsilon == 0.0:
        ratio = 1.0
    elif epsilon >= 1.0 and has_zero:
        ratio = 0.0
    elif epsilon == 1.0:
        ratio = math.exp(logs / n)
    else:
        ratio = (powers / n) ** (1.0 / power)
    return theil / n, -logs / n, entropy / n, squares, ratio


@jit
def _gini_sorted(xs, ws, weighted):
    """Mean-difference Gini of an ascending row; ``ws`` are weights in the same order.

    Uses D_i = sum_{j<i} w_j (x_i - x_j) = D_{i-1} + W_{<i} (x_i - x_{i-1}), so every
    added term is non-negative and the result keeps full relative precision
    near equality: G = sum_i w_i D_i / (W * sum_i w_i x_i).
    """
    d = 0.0
    pairs = 0.0
    below = 0.0
    weighted_total = 0.0
    previous = xs[0]
    for i in range(xs.shape[0]):
        w = ws[i] if weighted else 1.0
        d += below * (xs[i] - previous)
        pairs += w * d
        below += w
        weighted_total += w * xs[i]
        previous = xs[i]
    return pairs / (below * weighted_total)


@jit
def _lorenz_sum(xs, count, from_top):
    """Sum held by ``count`` holders (real, in [0, n]) of an ascending row.

    The largest holders when ``from_top``, else the smallest; a fractional
    ``count`` takes that fraction of the next holder (linear interpolation
    on the Lorenz curve).
    """
    n = xs.shape[0]
    whole = min(int(count), n)
    acc = 0.0
    for k in range(whole):
        acc += xs[n - 1 - k] if from_top else xs[k]
    frac = count - whole
    if whole < n and frac > 0.0:
        acc += frac * (xs[n - 1 - whole] if from_top else xs[whole])
    return acc


@jit
def _nakamoto_sorted(xs, total, threshold, inclusive):
    """Fewest holders of an ascending row whose share exceeds (reaches) ``threshold``.

    Walks from the largest holder. Reaching the zero holders means every
    positive holder is counted and together they hold everything, so the
    count stops there even if rounding kept the running share below a
    threshold close to 1.
    """
    n = xs.shape[0]
    cum = 0.0
    for k in range(n):
        v = xs[n - 1 - k]
        if v == 0.0:
            return k
        cum += v
        share = cum / total
        if share > threshold or (inclusive and share == threshold):
            return k + 1
    return n


# --------------------------------------------------------------------------- kernels

#: Inputs with fewer elements (or a single row) run the serial variant.
PARALLEL_MIN_ELEMENTS = 1 << 16


def _row_kernel(func):
    """Compile the row loop ``func`` in parallel and serially; call the variant that pays off.

    The serial variant compiles a copy of ``func`` under its own name, so the
    two keep separate entries in numba's on-disk cache (``prange`` runs as
    ``range`` there). Both are reachable as ``.parallel`` and ``.serial``.
    """
    copy = types.FunctionType(func.__code__, func.__globals__, func.__name__ + "_serial",
                              func.__defaults__, func.__closure__)
    copy.__qualname__ = func.__qualname__ + "_serial"
    parallel, serial = jit_parallel(func), jit(copy)

    def run(x, *args):
        big = x.shape[0] > 1 and x.size >= PARALLEL_MIN_ELEMENTS
        return (parallel if big else serial)(x, *args)

    run.__name__, run.__qualname__, run.__doc__ = func.__name__, func.__qualname__, func.__doc__
    run.parallel, run.serial = parallel, serial
    return run


@_row_kernel
def row_stats(x, which, epsilon):
    """Per row of ``x`` (any order): the measure coded ``which`` (see :data:`ROW_STATS`).

    ``epsilon`` is used by ``atkinson_ratio`` only (the ratio of the
    equally-distributed-equivalent to the mean, ``1 - Atkinson``).
    """
    out = np.empty(x.shape[0])
    for r in prange(x.shape[0]):
        out[r] = _share_moments(x[r], _row_sum(x[r]), epsilon)[which]
    return out


@_row_kernel
def gini_sorted_rows(xs, ws, weighted):
    """Gini of each ascending row; ``ws`` (same shape, same order) used when ``weighted``."""
    out = np.empty(xs.shape[0])
    for r in prange(xs.shape[0]):
        out[r] = _gini_sorted(xs[r], ws[r], weighted)
    return out


@_row_kernel
def lorenz_share_sorted_rows(xs, count, from_top):
    """Share of the total held by the top (or bottom) ``count`` holders of each ascending row."""
    out = np.empty(xs.shape[0])
    for r in prange(xs.shape[0]):
        out[r] = _lorenz_sum(xs[r], count, from_top) / _row_sum(xs[r])
    return out


@_row_kernel
def nakamoto_sorted_rows(xs, threshold, inclusive):
    """Nakamoto coefficient of each ascending row (int64)."""
    out = np.empty(xs.shape[0], dtype=np.int64)
    for r in prange(xs.shape[0]):
        out[r] = _nakamoto_sorted(xs[r], _row_sum(xs[r]), threshold, inclusive)
    return out


@_row_kernel
def suite_sorted_rows(xs, epsilon, top_counts, bottom_counts, thresholds, inclusive):
    """Every measure of the suite from ascending rows, one sort shared by all.

    Returns ``(values, nakamoto)``: ``values`` is ``(R, 6 + T + B)`` float64
    with the columns of :data:`SUITE_FIXED`, then the share of the top
    ``top_counts[j]`` holders, then the share of the bottom
    ``bottom_counts[j]`` holders; ``nakamoto`` is ``(R, len(thresholds))``
    int64.
    """
    rows = xs.shape[0]
    n_top = top_counts.shape[0]
    values = np.empty((rows, 6 + n_top + bottom_counts.shape[0]))
    nakamoto = np.empty((rows, thresholds.shape[0]), dtype=np.int64)
    for r in prange(rows):
        row = xs[r]
        total = _row_sum(row)
        values[r, 0] = total
        values[r, 1] = _gini_sorted(row, row, False)
        theil, _, entropy, hhi, ratio = _share_moments(row, total, epsilon)
        values[r, 2] = theil
        values[r, 3] = entropy
        values[r, 4] = hhi
        values[r, 5] = ratio
        for j in range(n_top):
            values[r, 6 + j] = _lorenz_sum(row, top_counts[j], True) / total
        for j in range(bottom_counts.shape[0]):
            values[r, 6 + n_top + j] = _lorenz_sum(row, bottom_counts[j], False) / total
        for j in range(thresholds.shape[0]):
            nakamoto[r, j] = _nakamoto_sorted(row, total, thresholds[j], inclusive)
    return values, nakamoto


@jit
def _group_sum_row(row, codes, out):
    for i in range(row.shape[0]):
        out[codes[i]] += row[i]


@_row_kernel
def group_sums(x, codes, n_groups):
    """``(R, n_groups)`` sums of the columns of ``x`` by group code (int64, 0..n_groups-1)."""
    out = np.zeros((x.shape[0], n_groups))
    for r in prange(x.shape[0]):
        _group_sum_row(x[r], codes, out[r])
    return out


@_row_kernel
def group_theil(x, codes, n_groups):
    """Per row and group: the group's total and its own Theil T.

    Returns ``(totals, theil)``, both ``(R, n_groups)``; a group whose
    holdings are all zero has an undefined Theil index, reported as NaN.
    """
    rows = x.shape[0]
    counts = np.zeros(n_groups)
    for i in range(codes.shape[0]):
        counts[codes[i]] += 1.0
    totals = np.zeros((rows, n_groups))
    theil = np.empty((rows, n_groups))
    for r in prange(rows):
        row = x[r]
        _group_sum_row(row, codes, totals[r])
        acc = np.zeros(n_groups)
        for i in range(row.shape[0]):
            v = row[i]
            if v > 0.0:
                g = codes[i]
                acc[g] += v * math.log(v / (totals[r, g] / counts[g]))
        for g in range(n_groups):
            theil[r, g] = acc[g] / totals[r, g] if totals[r, g] > 0.0 else np.nan
    return totals, theil
