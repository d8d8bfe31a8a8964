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
fluid limit and the simulator's market call :func:`water_fill`.
"""

from __future__ import annotations

import numpy as np

from .._jit import jit, jit_parallel, prange

__all__ = ["capped_proportional", "water_fill"]


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
