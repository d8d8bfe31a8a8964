"""Slow, obviously correct numpy oracles: one per kernel of ``fairshare._kernels.inequality``.

Each oracle takes the same arguments as its kernel and returns the same
shapes. They follow the textbook definitions (all pairs for Gini, the Lorenz
curve's points for shares) with Python loops over rows, and share no code
with the kernels.
"""

import numpy as np

from fairshare._kernels.inequality import ROW_STATS


def _stat(row, which, epsilon):
    mean = row.mean()
    share = row / row.sum()
    positive = row > 0
    if which == ROW_STATS["theil"]:
        ratio = row[positive] / mean
        return np.sum(ratio * np.log(ratio)) / row.size
    if which == ROW_STATS["mld"]:
        return np.mean(np.log(mean / row))
    if which == ROW_STATS["entropy"]:
        return -np.sum(share[positive] * np.log(share[positive]))
    if which == ROW_STATS["hhi"]:
        return np.sum(share**2)
    if epsilon == 0.0:
        return 1.0
    with np.errstate(divide="ignore"):
        if epsilon == 1.0:
            return np.exp(np.mean(np.log(row))) / mean
        return np.mean((row / mean) ** (1.0 - epsilon)) ** (1.0 / (1.0 - epsilon))


def row_stats(x, which, epsilon):
    return np.array([_stat(row, which, epsilon) for row in x])


def gini_sorted_rows(xs, ws, weighted):
    """Weighted mean difference over all ordered pairs, divided by twice the mean."""
    out = []
    for row, w in zip(xs, ws):
        w = w if weighted else np.ones_like(row)
        pairs = np.sum(np.outer(w, w) * np.abs(row[:, None] - row[None, :]))
        out.append(pairs / (2.0 * w.sum() * np.sum(w * row)))
    return np.array(out)


def lorenz_share_sorted_rows(xs, count, from_top):
    """Read the Lorenz curve (or its mirror from the top) at population share count / n."""
    out = []
    for row in xs:
        n = row.size
        ordered = row[::-1] if from_top else row
        curve = np.concatenate([[0.0], np.cumsum(ordered)]) / np.sum(row)
        out.append(np.interp(count / n, np.arange(n + 1) / n, curve))
    return np.array(out)


def nakamoto_sorted_rows(xs, threshold, inclusive):
    """Smallest k whose k largest holders pass the threshold; never more than the positive holders."""
    out = []
    for row in xs:
        total = np.cumsum(row)[-1]
        shares = np.cumsum(row[::-1]) / total
        passed = shares >= threshold if inclusive else shares > threshold
        first = int(np.argmax(passed)) + 1 if passed.any() else row.size
        out.append(min(first, int(np.count_nonzero(row))))
    return np.array(out, dtype=np.int64)


def suite_sorted_rows(xs, epsilon, top_counts, bottom_counts, thresholds, inclusive):
    stats = [row_stats(xs, ROW_STATS[k], epsilon if k == "atkinson_ratio" else 0.0)
             for k in ("theil", "entropy", "hhi", "atkinson_ratio")]
    columns = [xs.sum(axis=1), gini_sorted_rows(xs, xs, False)] + stats
    columns += [lorenz_share_sorted_rows(xs, c, True) for c in top_counts]
    columns += [lorenz_share_sorted_rows(xs, c, False) for c in bottom_counts]
    nakamoto = [nakamoto_sorted_rows(xs, t, inclusive) for t in thresholds]
    return np.column_stack(columns), np.column_stack(nakamoto).astype(np.int64).reshape(len(xs), -1)


def group_sums(x, codes, n_groups):
    return np.stack([x[:, codes == g].sum(axis=1) for g in range(n_groups)], axis=1)


def group_theil(x, codes, n_groups):
    totals = group_sums(x, codes, n_groups)
    theil = np.full(totals.shape, np.nan)
    for g in range(n_groups):
        members = x[:, codes == g]
        for r in range(x.shape[0]):
            if totals[r, g] > 0:
                theil[r, g] = _stat(members[r], ROW_STATS["theil"], 0.0)
    return totals, theil
