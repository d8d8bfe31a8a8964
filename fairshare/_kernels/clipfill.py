"""Kernel: fill a budget with ``r_i = clip(s_i * level, lower_i, upper_i)`` (water-filling).

``clipfill(slopes, lower, upper, budget)`` finds the level ``nu >= 0`` at
which ``sum(clip(s * nu, lower, upper)) == budget`` and returns the allocation.
The total is a nondecreasing, piecewise-linear function of ``nu`` with
breakpoints ``lower_i / s_i`` (holder ``i`` leaves its floor) and
``upper_i / s_i`` (it reaches its cap): one sort of the ``2n`` breakpoints and a
sweep that keeps the constant part and the slope of the total locate the
segment where the budget is met, then the level is solved for exactly. A final
correction step spends the rounding residue on the holders strictly between
their bounds. O(n log n), no iteration to a tolerance.

The level returned is the smallest that gives the allocation: never above the
largest cap key ``upper_i / s_i`` of the holders that can move (``s_i > 0``,
``lower_i < upper_i``; 0 when there is none), where a budget equal to the sum
of the caps is met. Holders pinned at ``lower_i == upper_i`` and floor keys do
not count (the sweep can pass such a key when rounding keeps the running total
an ulp under the budget at the last movable cap).

With every slope 1 this is the water-filling allocation that minimises every
Schur-convex measure under floors, caps and a fixed total; with slopes
``w_i ** (1 / alpha)`` it is the weighted alpha-fair allocation (see
:mod:`fairshare.optimization.oracle`). Holders with slope 0 stay at their floor.
The caller checks ``sum(lower) <= budget <= sum(upper)`` and ``lower <= upper``.
"""

from __future__ import annotations

import numpy as np

from .._jit import jit

__all__ = ["clipfill"]


@jit
def clipfill(slopes, lower, upper, budget):
    """Water-filling allocation; returns ``(allocation (n,), level)``.

    Parameters
    ----------
    slopes, lower, upper : (n,) float64
        ``slopes >= 0``; ``0 <= lower <= upper`` (``upper`` may be ``inf``).
    budget : float
        ``sum(lower) <= budget <= sum(upper)``.
    """
    n = slopes.shape[0]
    keys = np.empty(2 * n)
    const = 0.0
    top = 0.0  # the largest cap key of a holder that can move: every such holder is at its cap from here on
    for i in range(n):
        const += lower[i]
        if slopes[i] > 0.0:
            keys[i] = lower[i] / slopes[i]
            keys[n + i] = upper[i] / slopes[i]
            if lower[i] < upper[i] and keys[n + i] > top:
                top = keys[n + i]
        else:
            keys[i] = np.inf  # never leaves its floor
            keys[n + i] = np.inf
    level = 0.0
    if const < budget:
        order = np.argsort(keys, kind="mergesort")
        slope = 0.0
        level = -1.0
        for j in range(2 * n):
            e = order[j]
            key = keys[e]
            if slope > 0.0 and const + slope * key >= budget:
                level = (budget - const) / slope
                break
            i = e if e < n else e - n
            if slopes[i] <= 0.0:
                continue
            if e < n:  # leaves its floor: its part becomes s_i * nu
                const -= lower[i]
                slope += slopes[i]
            else:  # reaches its cap
                slope -= slopes[i]
                const += upper[i]
        if level < 0.0:  # the budget equals the sum of the caps
            level = 0.0
            for j in range(2 * n):
                if np.isfinite(keys[j]) and keys[j] > level:
                    level = keys[j]
    out = np.empty(n)
    for i in range(n):
        out[i] = min(max(slopes[i] * level, lower[i]), upper[i])
    level = min(level, top)  # the same allocation from ``top`` on: report the smallest level
    # spend the rounding residue on the holders strictly between their bounds
    free = 0.0
    total = 0.0
    for i in range(n):
        total += out[i]
        if lower[i] < out[i] < upper[i]:
            free += slopes[i]
    if free > 0.0 and total != budget:
        step = (budget - total) / free
        for i in range(n):
            if lower[i] < out[i] < upper[i]:
                out[i] = min(max(out[i] + slopes[i] * step, lower[i]), upper[i])
        level += step
    return out, level
