"""Kernels: allocations that fill a budget up to per-holder caps.

``capped_proportional``: ``r_i = min(u_i, lam * s_i)`` with ``sum(r) = B`` where
possible (proportional to scores, excess above a cap redistributed to the
others in proportion to their scores). Holders saturate in the order of
``u_i / s_i``; one sort per row, O(n log n). When every scored holder is
capped below the budget, the rest is unallocated.
"""

from __future__ import annotations

import numpy as np

from .._jit import jit, jit_parallel, prange

__all__ = ["capped_proportional"]


@jit
def _capped_row(scores, caps, budget, out):
    n = scores.shape[0]
    ratio = np.empty(n)
    m = 0
    for i in range(n):
        out[i] = 0.0
        if scores[i] > 0.0:
            ratio[i] = caps[i] / scores[i]
            m += 1
        else:
            ratio[i] = np.inf
    if budget <= 0.0:
        return 0.0
    if m == 0:
        return budget
    order = np.argsort(ratio, kind="mergesort")[:m]  # scored holders, saturating first
    mass = np.empty(m + 1)  # mass[j]: score of holders order[j:], summed afresh (no running subtraction)
    mass[m] = 0.0
    for j in range(m - 1, -1, -1):
        mass[j] = mass[j + 1] + scores[order[j]]
    remaining = budget
    j = 0
    while j < m and remaining >= ratio[order[j]] * mass[j]:  # lam = remaining / mass reaches the cap
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
        unallocated[r] = _capped_row(scores[r], caps[r], budget[r], rewards[r])
    return rewards, unallocated
