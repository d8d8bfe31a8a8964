"""Kernels: fill a budget in proportion to scores, each holder up to its cap (water-filling).

``r_i = min(u_i, lam * s_i)`` with ``sum(r) = B`` where the caps allow it: the
budget is shared in proportion to the scores, and what a capped holder cannot
take goes to the others in proportion to theirs. Holders saturate in the order
of ``u_i / s_i`` (one stable sort of the scored holders per row, O(n log n));
the score still free is summed afresh from the back for each level (no running
subtraction, so weights that span many decades keep their precision). Holders
with score 0 get nothing; a cap of ``inf`` never saturates. When every scored
holder is capped below the budget, the rest is returned as unallocated.

The one implementation of the fill: the ``Capped`` and ``FeeLinkedCap`` rules
and the OpenGradient preset call :func:`capped_proportional`; the router's
fluid limit calls :func:`water_fill`.
:func:`water_fill_linear` finds the same level in expected linear time (partitioning
around pivots instead of sorting); it equals :func:`water_fill` to rounding (tested
within 1e-12 relative on random inputs). The simulator's market calls its core,
:func:`_fill_linear`, in place on the nodes it draws (the same values bit for bit).
"""

from __future__ import annotations

import numpy as np

from .._jit import jit, jit_parallel, prange

__all__ = ["capped_proportional", "water_fill", "water_fill_linear"]


@jit
def _fill_row(scores, caps, budget, out):
    """Fill ``out`` (one row); return the part of ``budget`` no holder could take."""
    n = scores.shape[0]
    m = 0
    for i in range(n):
        out[i] = 0.0
        if scores[i] > 0.0:
            m += 1
    if budget <= 0.0:
        return 0.0
    if m == 0:
        return budget
    scored = np.empty(m, dtype=np.int64)
    ratio = np.empty(m)
    k = 0
    for i in range(n):
        if scores[i] > 0.0:
            scored[k] = i
            ratio[k] = caps[i] / scores[i]
            k += 1
    order = scored[np.argsort(ratio, kind="mergesort")]  # scored holders, saturating first
    mass = np.empty(m + 1)  # mass[j]: score of holders order[j:], summed afresh from the back
    mass[m] = 0.0
    for j in range(m - 1, -1, -1):
        mass[j] = mass[j + 1] + scores[order[j]]
    remaining = budget
    j = 0
    while j < m and remaining >= caps[order[j]] / scores[order[j]] * mass[j]:  # lam reaches the cap
        out[order[j]] = caps[order[j]]
        remaining -= caps[order[j]]
        j += 1
    if j == m:
        return max(remaining, 0.0)
    lam = remaining / mass[j]
    for k in range(j, m):
        out[order[k]] = lam * scores[order[k]]
    return 0.0


@jit_parallel
def capped_proportional(scores, caps, budget):
    """Row-wise capped proportional allocation.

    Parameters
    ----------
    scores, caps : (R, n) float64, >= 0
    budget : (R,) float64, >= 0

    Returns
    -------
    rewards : (R, n) float64
    unallocated : (R,) float64, the part of each budget no holder could take.
    """
    rows = scores.shape[0]
    rewards = np.empty_like(scores)
    unallocated = np.empty(rows)
    for r in prange(rows):
        unallocated[r] = _fill_row(scores[r], caps[r], budget[r], rewards[r])
    return rewards, unallocated


@jit
def water_fill(p, cap, total):
    """Fluid allocation ``x_i = min(cap_i, mu p_i)`` with ``sum(x) = min(total, sum over p_i > 0 of cap_i)``.

    ``p`` and ``cap`` are non-negative ``(N,)`` arrays (nodes with ``p = 0`` get nothing); one row of
    :func:`capped_proportional`, without the unallocated rest.
    """
    x = np.empty(p.shape[0])
    _fill_row(p, cap, total, x)
    return x


@jit
def water_fill_linear(p, cap, total):
    """:func:`water_fill` in expected linear time: the level found by partitioning, not sorting.

    At a trial level ``rho`` (a pivot among the holders' ``cap_i / p_i``), the fill
    ``sum over ratio <= rho of cap_i + rho * sum over ratio > rho of p_i`` is compared with
    ``total``: at most ``total`` and every holder at or below the pivot saturates; above it, every
    holder at or above the pivot stays free. Either way about half of the undecided holders are
    decided (the pivot is the median of the first, middle and last undecided ratio). The
    saturated set, and so the allocation, is the sorted fill's; sums run in another order, so
    the values agree to rounding.

    Parameters
    ----------
    p : (N,) float64, >= 0
        Scores (nodes with ``p = 0`` get nothing).
    cap : (N,) float64, >= 0
        Caps (``inf`` never saturates).
    total : float
        The amount to fill.

    Returns
    -------
    ndarray, shape (N,)
    """
    n = p.shape[0]
    x = np.zeros(n)
    if total <= 0.0:
        return x
    idx = np.empty(n, dtype=np.int64)
    m = 0
    for i in range(n):
        if p[i] > 0.0:
            idx[m] = i
            m += 1
    if m > 0:
        _fill_linear(p, cap, total, idx[:m], np.empty(m), x)
    return x


@jit
def _fill_linear(p, cap, total, idx, ratio, x):
    """:func:`water_fill_linear`'s fill of the holders ``idx`` (each with ``p > 0``), written into ``x[idx]``.

    ``total > 0``. ``idx`` is reordered in place (its initial order decides the partitions, so
    the same holders in the same order give the same values bit for bit); ``ratio`` is
    ``(len(idx),)`` scratch. ``x`` may be ``p`` itself: every read of ``p`` comes before the writes.
    """
    m = idx.shape[0]
    for k in range(m):
        ratio[k] = cap[idx[k]] / p[idx[k]]
    lo, hi = 0, m  # undecided holders: idx[lo:hi]; idx[:lo] saturated, idx[hi:m] free
    capped = 0.0
    free = 0.0
    while lo < hi:
        a, b, c = ratio[lo], ratio[(lo + hi - 1) // 2], ratio[hi - 1]
        rho = max(min(a, b), min(max(a, b), c))  # median of three
        # three-way partition of [lo, hi): < rho, == rho, > rho
        lt, i, gt = lo, lo, hi
        while i < gt:
            if ratio[i] < rho:
                idx[lt], idx[i] = idx[i], idx[lt]
                ratio[lt], ratio[i] = ratio[i], ratio[lt]
                lt += 1
                i += 1
            elif ratio[i] > rho:
                gt -= 1
                idx[gt], idx[i] = idx[i], idx[gt]
                ratio[gt], ratio[i] = ratio[i], ratio[gt]
            else:
                i += 1
        low_caps = 0.0  # caps of [lo, gt) and scores of [gt, hi), each summed in order, side by side
        high_mass = 0.0
        both = min(gt - lo, hi - gt)
        for k in range(both):
            low_caps += cap[idx[lo + k]]
            high_mass += p[idx[gt + k]]
        for k in range(lo + both, gt):
            low_caps += cap[idx[k]]
        for k in range(gt + both, hi):
            high_mass += p[idx[k]]
        if capped + low_caps + rho * (free + high_mass) <= total:  # the level reaches rho: [lo, gt) saturate
            capped += low_caps
            lo = gt
        else:  # the level stays below rho (always when rho is inf): [lt, hi) are free
            for k in range(lt, gt):
                free += p[idx[k]]
            free += high_mass
            hi = lt
    for k in range(lo):
        x[idx[k]] = cap[idx[k]]
    if free <= 0.0:
        for k in range(lo, m):
            x[idx[k]] = 0.0
        return
    lam = (total - capped) / free
    for k in range(lo, m):
        x[idx[k]] = lam * p[idx[k]]
