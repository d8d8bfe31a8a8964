"""Kernel: rows of a non-negative matrix that no other row dominates (a presolve for ``M theta >= 1``).

With ``theta >= 0``, the constraint row ``u_k theta >= 1`` is implied by row
``u_j theta >= 1`` whenever ``u_j <= u_k`` elementwise, so only the rows that
are minimal in that order need to reach the solver. Rows are visited by
increasing sum (a dominating row has a smaller sum, ties broken by position),
each compared with the rows kept so far: O(R K C) for R rows, K kept, C columns.
When more than ``max_kept`` rows survive the pruning is abandoned (it would
cost more than it saves) and the kernel reports it.
"""

from __future__ import annotations

import numpy as np

from .._jit import jit

__all__ = ["undominated"]


@jit
def undominated(rows, max_kept):
    """``(keep (R,) bool, complete)``: rows not dominated by another; ``complete`` False if abandoned.

    Parameters
    ----------
    rows : (R, C) float64, finite
    max_kept : int
    """
    r, c = rows.shape
    sums = np.empty(r)
    for i in range(r):
        acc = 0.0
        for j in range(c):
            acc += rows[i, j]
        sums[i] = acc
    order = np.argsort(sums, kind="mergesort")
    kept = np.empty(min(r, max_kept), dtype=np.int64)
    n = 0
    keep = np.zeros(r, dtype=np.bool_)
    for idx in range(r):
        k = order[idx]
        dominated = False
        for m in range(n):
            j = kept[m]
            below = True
            for col in range(c):
                if rows[j, col] > rows[k, col]:
                    below = False
                    break
            if below:
                dominated = True
                break
        if not dominated:
            if n == max_kept:
                return np.ones(r, dtype=np.bool_), False
            kept[n] = k
            n += 1
            keep[k] = True
    return keep, True
