"""Slow, obviously correct oracles: one per public kernel of :mod:`fairshare._kernels` (``sim`` aside).

Each oracle takes the same arguments as its kernel and returns what the kernel
returns; for a kernel that fills arrays in place it returns, as new arrays, what
the kernel writes (oracles never mutate their inputs). They follow the
definitions in the kernels' docstrings, with Python loops or plain numpy, and
share no code with the kernels: exact sums (:func:`math.fsum`), bisection and
repeated redistribution where the kernels sort and sweep. :data:`ORACLES` maps
``"<module>.<function>"`` (relative to ``fairshare._kernels``) to the oracle;
``tests/test_kernels.py`` compares every pair. The simulator's kernels
(``fairshare._kernels.sim``) have theirs in ``tests/naive_sim.py``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from fairshare._kernels.aggregate import FIELDS
from fairshare._kernels.inequality import ROW_STATS
from fairshare.data.schema import VERIFICATION_MODES

# --------------------------------------------------------------------------- inequality


def _stat(row, which, epsilon):
    share = row / row.sum()
    positive = row > 0
    if which == ROW_STATS["theil"]:
        ratio = share[positive] * row.size  # x / mean, without a mean that may be subnormal
        return np.sum(ratio * np.log(ratio)) / row.size
    if which == ROW_STATS["mld"]:
        return np.mean(-np.log(share * row.size))
    if which == ROW_STATS["entropy"]:
        return -np.sum(share[positive] * np.log(share[positive]))
    if which == ROW_STATS["hhi"]:
        return np.sum(share**2)
    if epsilon == 0.0:
        return 1.0
    with np.errstate(divide="ignore"):
        if epsilon == 1.0:
            return np.exp(np.mean(np.log(share * row.size)))
        return np.mean((share * row.size) ** (1.0 - epsilon)) ** (1.0 / (1.0 - epsilon))


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


def exact_units(values) -> list[int]:
    """Each float64 ``values[i] >= 0`` exactly, as an integer count of ``2**-1074`` (the smallest step)."""
    out = []
    for v in values:
        num, den = float(v).as_integer_ratio()  # den is a power of two, at most 2**1074
        out.append(num << (1074 - den.bit_length() + 1))
    return out


def nakamoto_sorted_rows(xs, num, den, inclusive):
    """Smallest k whose k largest holders pass ``num / den``, in exact integer arithmetic."""
    out = []
    for row in xs:
        units = exact_units(row[::-1])
        total = sum(units)
        top = 0
        for k, u in enumerate(units, start=1):
            top += u
            if top * den > num * total or (inclusive and top * den == num * total):
                out.append(k)
                break
        else:
            out.append(row.size)
    return np.array(out, dtype=np.int64)


def suite_sorted_rows(xs, epsilon, top_counts, bottom_counts, thresholds, inclusive):
    stats = [row_stats(xs, ROW_STATS[k], epsilon if k == "atkinson_ratio" else 0.0)
             for k in ("theil", "entropy", "hhi", "atkinson_ratio")]
    columns = [np.array([math.fsum(row) for row in xs]), gini_sorted_rows(xs, xs, False)] + stats
    columns += [lorenz_share_sorted_rows(xs, c, True) for c in top_counts]
    columns += [lorenz_share_sorted_rows(xs, c, False) for c in bottom_counts]
    nakamoto = [nakamoto_sorted_rows(xs, int(num), int(den), inclusive) for num, den in thresholds]
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


# --------------------------------------------------------------------------- aggregate


def accumulate_tasks(acc, epoch, node, model, requests, input_tokens, output_tokens, busy_seconds,
                     verification, fee_usd, upstream_cost_usd, model_factor, prefill_weight,
                     small_task_tokens, parts):
    """``acc`` plus every task row, added row by row in log order into its (epoch, node) cell.

    A part ``(row start, row stop, node start, node stop)`` adds the rows in its row range
    whose node lies in its node range (a plan from ``plan_parts`` owns each row once).
    """
    out = np.array(acc, dtype=np.float64, copy=True)
    field = {name: k for k, name in enumerate(FIELDS)}
    for i in range(len(epoch)):
        owners = sum(1 for r0, r1, n0, n1 in parts if r0 <= i < r1 and n0 <= node[i] < n1)
        for _ in range(owners):
            work = (prefill_weight * input_tokens[i] + output_tokens[i]) * model_factor[model[i]]
            small = (input_tokens[i] + output_tokens[i]) / requests[i] <= small_task_tokens
            add = {"requests": requests[i], "task_rows": 1.0, "input_tokens": input_tokens[i],
                   "output_tokens": output_tokens[i], "work_units": work, "busy_seconds": busy_seconds[i],
                   "fees_usd": fee_usd[i], "upstream_cost_usd": upstream_cost_usd[i],
                   f"work_{VERIFICATION_MODES[verification[i]]}": work,
                   "small_task_work" if small else "large_task_work": work}
            for name, value in add.items():
                out[field[name], epoch[i], node[i]] += value
    return out


def code_task_rows(epoch, node, node_code, model, model_code, requests, input_tokens, output_tokens, busy_seconds,
                   verification, mode_code, fee_usd, upstream_cost_usd, first_epoch, n_epochs, joined, last,
                   epoch_seconds, at, out, acc, model_factor, prefill_weight, small_task_tokens):
    """``(first failing row or -1, out, acc)``, on copies: each row checked as the tasks table's rules say, then
    written coded at ``at + i`` (when ``out`` has rows) and added to ``acc`` (when it has epochs) as
    ``accumulate_tasks`` adds a row. Storing and summing both: nothing is summed unless every row passes."""
    out = tuple(np.array(a, copy=True) for a in out)
    acc = np.array(acc, dtype=np.float64, copy=True)
    store, add = len(out[0]) > 0, acc.shape[1] > 0
    coded = []
    for i in range(len(epoch)):
        e = int(epoch[i])
        n, m, v = int(node_code[node[i]]), int(model_code[model[i]]), int(mode_code[verification[i]])
        q = int(requests[i]) if len(requests) else 1
        values = [float(input_tokens[i]), float(output_tokens[i]), float(fee_usd[i]),
                  float(upstream_cost_usd[i]) if len(upstream_cost_usd) else 0.0]
        b = float(busy_seconds[i])
        ok = (first_epoch <= e < first_epoch + n_epochs and min(n, m, v) >= 0 and joined[n] <= e <= last[n]
              and 1 <= q <= 2**53 and all(math.isfinite(x) and x >= 0 for x in values)
              and math.isfinite(b) and 0 <= b <= epoch_seconds)
        if not ok:
            return i, out, acc
        row = (e - first_epoch, n, m, q, values[0], values[1], b, v, values[2], values[3])
        if store:
            for array, value in zip(out, row):
                array[at + i] = value
        coded.append(row)
        if add and not store:
            _add(acc, row, model_factor, prefill_weight, small_task_tokens)
    if store and add:
        for row in coded:
            _add(acc, row, model_factor, prefill_weight, small_task_tokens)
    return -1, out, acc


def _add(acc, row, model_factor, prefill_weight, small_task_tokens):
    e, n, m, q, x_in, x_out, b, v, fee, up = row
    work = (prefill_weight * x_in + x_out) * model_factor[m]
    small = x_in + x_out <= small_task_tokens * q
    field = {name: k for k, name in enumerate(FIELDS)}
    add = {"requests": q, "task_rows": 1.0, "input_tokens": x_in, "output_tokens": x_out, "work_units": work,
           "busy_seconds": b, "fees_usd": fee, "upstream_cost_usd": up, f"work_{VERIFICATION_MODES[v]}": work,
           "small_task_work" if small else "large_task_work": work}
    for name, value in add.items():
        acc[field[name], e, n] += value


def is_sorted(epoch):
    """True when no epoch is smaller than the one before it."""
    return all(epoch[i - 1] <= epoch[i] for i in range(1, len(epoch)))


def node_epoch_terms(busy, online, power_w, idle_power_w, pue, joined, last, epochs, stake):
    """Energy (kWh), activity (0/1) and stake while active, per (epoch, node), with numpy broadcasting.

    ``stake`` is ``(E, N)`` or ``(1, N)`` (one stake for every epoch).
    """
    energy = (power_w * busy + idle_power_w * (online - busy)) * pue / 3.6e6
    active = (joined[None, :] <= epochs[:, None]) & (epochs[:, None] <= last[None, :])
    staked = np.where(active, np.broadcast_to(stake, busy.shape), 0.0)
    return energy, active.astype(np.float64), staked


# --------------------------------------------------------------------------- filling a budget


def _smallest_level(total_at, target, hi):
    """Smallest float ``x`` in ``(0, hi]`` with ``total_at(x) >= target`` (bisection, to one ulp).

    ``total_at`` is nondecreasing, ``total_at(0) < target``; ``hi`` is doubled until it reaches.
    """
    lo = 0.0
    while total_at(hi) < target:
        lo, hi = hi, 2.0 * hi
        if not math.isfinite(hi):
            raise ValueError("the target is out of reach")
    while True:
        mid = lo + (hi - lo) / 2.0
        if mid <= lo or mid >= hi:
            return hi
        if total_at(mid) >= target:
            hi = mid
        else:
            lo = mid


def clipfill(slopes, lower, upper, budget):
    """``(allocation, level)``: the smallest level ``nu >= 0`` at which ``sum(clip(s * nu, lower, upper))``
    (summed exactly) reaches ``budget``, found by bisection, and the clipped allocation there.

    The allocation is unique; the level is not where the total is flat around it (every holder
    at a bound): this oracle returns the smallest one.
    """
    def allocation(level):
        return np.minimum(np.maximum(slopes * level, lower), upper)

    def total_at(level):
        return math.fsum(allocation(level))

    level = 0.0 if total_at(0.0) >= budget else _smallest_level(total_at, budget, 1.0)
    return allocation(level), level


def water_fill(p, cap, total):
    """``x_i = min(cap_i, mu p_i)`` with ``sum(x) = min(total, sum of caps of the nodes with p > 0)``.

    Repeated redistribution: fill every uncapped node with ``p > 0`` at the level ``mu`` that spends
    what the capped nodes leave (exact sums), cap every node that level reaches, until none is new.
    """
    x = np.zeros(p.shape[0])
    capped = np.zeros(p.shape[0], dtype=bool)
    while True:
        free = (p > 0) & ~capped
        if not free.any():
            break
        mu = math.fsum([total, *(-cap[capped])]) / math.fsum(p[free])
        reached = free & (mu * p >= cap)
        if not reached.any():
            x[free] = mu * p[free]
            break
        capped |= reached
    x[capped] = cap[capped]
    return x


def capped_proportional(scores, caps, budget):
    """Per row: ``r_i = min(caps_i, lam * scores_i)`` summing to the budget where the caps allow.

    Repeated redistribution as the definition reads: share the budget left by the capped holders
    among the other scored holders in proportion to their scores (exact sums), cap every holder
    that share reaches, until none is new. Unallocated: what every scored holder at its cap leaves,
    the whole budget when no holder has a score, 0 for a budget <= 0.
    """
    rewards = np.zeros(scores.shape)
    unallocated = np.zeros(scores.shape[0])
    for r in range(scores.shape[0]):
        s, u, b = scores[r], caps[r], budget[r]
        scored = s > 0
        if b <= 0:
            continue
        if not scored.any():
            unallocated[r] = b
            continue
        capped = np.zeros(s.shape[0], dtype=bool)
        while True:
            free = scored & ~capped
            left = math.fsum([b, *(-u[capped])])
            if not free.any():
                unallocated[r] = max(left, 0.0)
                break
            lam = left / math.fsum(s[free])
            reached = free & (lam * s >= u)
            if not reached.any():
                rewards[r, free] = lam * s[free]
                break
            capped |= reached
        rewards[r, capped] = u[capped]
    return rewards, unallocated


# --------------------------------------------------------------------------- dominance


def undominated(rows, max_kept):
    """``(keep, complete)``: row ``k`` is dropped when another row ``j`` has ``rows[j] <= rows[k]`` in every
    column, either strictly somewhere or (a duplicate) at an earlier position. More than ``max_kept``
    rows kept: every row is kept and ``complete`` is False."""
    n = rows.shape[0]
    keep = np.ones(n, dtype=bool)
    for k in range(n):
        for j in range(n):
            if j != k and np.all(rows[j] <= rows[k]) and (np.any(rows[j] < rows[k]) or j < k):
                keep[k] = False
                break
    if keep.sum() > max_kept:
        return np.ones(n, dtype=bool), False
    return keep, True


# --------------------------------------------------------------------------- routing


def route_units(unit_class, unit_model, inp, out, ovh, offsets, nodes, cum_stake, cum_cap, random_share,
                s_pre, s_dec, room, uniforms, max_tries, node_of, busy_of, start):
    """``(next unit, node_of, busy_of, room)``: the kernel's return value and the arrays it fills.

    Units ``start..`` in order; a unit starts only while the uniforms left cover its worst case
    (``max_tries`` pairs and one more). Class ``c`` may use the nodes ``nodes[offsets[c]:offsets[c+1]]``
    with cumulative stake and capacity weights. Each try takes ``(u1, u2)``: the capacity draw when
    ``u1 < r`` (``r`` the class's random share, 1 when its nodes hold no stake), else the stake
    draw; either is the inverse CDF at ``u2`` (the first node whose cumulative weight exceeds
    ``u2`` times the total). The unit goes to the drawn node when its busy time
    ``(input s_prefill + output s_decode) overhead`` fits the node's room. After ``max_tries``
    misses one more uniform draws by inverse CDF among the nodes with room, with the mixture
    weights ``r cap_i / cap_total + (1 - r) stake_i / stake_total`` (falling back to the last such
    node with a positive weight when rounding leaves the target uncovered). ``node_of`` must hold
    -1 for the units not yet routed.
    """
    node_of, busy_of, room = node_of.copy(), busy_of.copy(), room.copy()
    used = 0
    for j in range(start, unit_class.shape[0]):
        if uniforms.shape[0] - used < 2 * max_tries + 1:
            return j, node_of, busy_of, room
        c, m = unit_class[j], unit_model[j]
        segment = slice(offsets[c], offsets[c + 1])
        candidates, stake_cdf, cap_cdf = nodes[segment], cum_stake[segment], cum_cap[segment]
        if candidates.shape[0] == 0:
            continue

        def busy(i):
            with np.errstate(invalid="ignore"):  # 0 tokens x inf s/token: NaN, which fits no room
                return (inp[j] * s_pre[i, m] + out[j] * s_dec[i, m]) * ovh[j]

        def place(i):
            node_of[j], busy_of[j] = i, busy(i)
            room[i] -= busy(i)

        r = random_share[c] if stake_cdf[-1] > 0.0 else 1.0
        placed = False
        for _ in range(max_tries):
            u1, u2 = uniforms[used], uniforms[used + 1]
            used += 2
            cdf = cap_cdf if u1 < r else stake_cdf
            pos = min(int(np.searchsorted(cdf, u2 * cdf[-1], side="right")), cdf.shape[0] - 1)
            if busy(candidates[pos]) <= room[candidates[pos]]:
                place(candidates[pos])
                placed = True
                break
        if placed:
            continue
        u = uniforms[used]
        used += 1
        cap_w = np.diff(cap_cdf, prepend=0.0)
        stake_w = np.diff(stake_cdf, prepend=0.0)
        weight = r * cap_w / cap_cdf[-1] if cap_cdf[-1] > 0.0 else np.zeros(cap_w.shape[0])
        if r < 1.0:
            weight = weight + (1.0 - r) * stake_w / stake_cdf[-1]
        roomy = [pos for pos, i in enumerate(candidates) if busy(i) <= room[i]]
        cumulative = np.cumsum(weight[roomy])  # sequential, in node order
        if not roomy or cumulative[-1] <= 0.0:
            continue  # no node can take it
        over = np.flatnonzero(cumulative > u * cumulative[-1])
        pos = roomy[over[0]] if over.size else [q for q in roomy if weight[q] > 0.0][-1]
        place(candidates[pos])
    return unit_class.shape[0], node_of, busy_of, room


ORACLES: dict[str, Callable] = {
    "aggregate.accumulate_tasks": accumulate_tasks,
    "aggregate.is_sorted": is_sorted,
    "aggregate.node_epoch_terms": node_epoch_terms,
    "clipfill.clipfill": clipfill,
    "dominance.undominated": undominated,
    "ingest.code_task_rows": code_task_rows,
    "inequality.row_stats": row_stats,
    "inequality.gini_sorted_rows": gini_sorted_rows,
    "inequality.lorenz_share_sorted_rows": lorenz_share_sorted_rows,
    "inequality.nakamoto_sorted_rows": nakamoto_sorted_rows,
    "inequality.suite_sorted_rows": suite_sorted_rows,
    "inequality.group_sums": group_sums,
    "inequality.group_theil": group_theil,
    "routing.route_units": route_units,
    "waterfill.water_fill": water_fill,
    "waterfill.water_fill_linear": water_fill,
    "waterfill.capped_proportional": capped_proportional,
}
