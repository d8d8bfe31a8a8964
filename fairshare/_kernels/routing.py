"""The router's kernel: drawing nodes for units of demand (its fluid limit is ``waterfill.water_fill``).

Called by :mod:`fairshare.datasets.routing` (the router) and by the simulator's market step.
"""

from __future__ import annotations

from .._jit import jit

__all__ = ["route_units"]


@jit
def _pick(cum, lo, hi, u):
    """First position in ``cum[lo:hi]`` whose cumulative weight exceeds ``u x total``."""
    target = u * cum[hi - 1]
    a, b = lo, hi - 1
    while a < b:
        mid = (a + b) // 2
        if cum[mid] > target:
            b = mid
        else:
            a = mid + 1
    return a


@jit
def _busy(inp, out, ovh, s_pre, s_dec, j, i, m):
    """Busy seconds of unit ``j`` on node ``i`` serving model ``m`` (prefill + decode, times overhead)."""
    return (inp[j] * s_pre[i, m] + out[j] * s_dec[i, m]) * ovh[j]


@jit
def _mixed_weight(cum_cap, cum_stake, lo, pos, r, cap_total, stake_total):
    """Selection weight of position ``pos``: share ``r`` by capacity, the rest by stake."""
    w = r * _weight(cum_cap, lo, pos) / cap_total if cap_total > 0.0 else 0.0
    if r < 1.0:
        w += (1.0 - r) * _weight(cum_stake, lo, pos) / stake_total
    return w


@jit
def _weight(cum, lo, pos):
    return cum[pos] - (cum[pos - 1] if pos > lo else 0.0)


@jit
def route_units(unit_class, unit_model, inp, out, ovh, offsets, nodes, cum_stake, cum_cap, random_share,
                 s_pre, s_dec, room, uniforms, max_tries, node_of, busy_of, start):
    """Route units ``start..`` in order; stop early (returning the next unit) when ``uniforms`` run out.

    A unit draws up to ``max_tries`` nodes from the stake / free-slot mixture; if none has room,
    one more uniform draws among the nodes that have room, in proportion to the same mixture
    weights (exact: the draws are a rejection sampler of that distribution). A unit no node
    can take stays unserved.
    """
    n = unit_class.shape[0]
    k = 0
    n_u = uniforms.shape[0]
    for j in range(start, n):
        if k + 2 * max_tries + 1 > n_u:
            return j
        c = unit_class[j]
        lo = offsets[c]
        hi = offsets[c + 1]
        if hi == lo:
            continue
        m = unit_model[j]
        stake_total = cum_stake[hi - 1]
        cap_total = cum_cap[hi - 1]
        r = random_share[c] if stake_total > 0.0 else 1.0
        for _ in range(max_tries):
            u1 = uniforms[k]
            u2 = uniforms[k + 1]
            k += 2
            pos = _pick(cum_cap, lo, hi, u2) if u1 < r else _pick(cum_stake, lo, hi, u2)
            i = nodes[pos]
            b = _busy(inp, out, ovh, s_pre, s_dec, j, i, m)
            if b <= room[i]:
                node_of[j] = i
                busy_of[j] = b
                room[i] -= b
                break
        if node_of[j] >= 0:
            continue
        u = uniforms[k]
        k += 1
        total = 0.0
        for pos in range(lo, hi):
            i = nodes[pos]
            b = _busy(inp, out, ovh, s_pre, s_dec, j, i, m)
            if b <= room[i]:
                w = _mixed_weight(cum_cap, cum_stake, lo, pos, r, cap_total, stake_total)
                total += w
        if total <= 0.0:
            continue
        target = u * total
        acc = 0.0
        last = -1
        for pos in range(lo, hi):
            i = nodes[pos]
            b = _busy(inp, out, ovh, s_pre, s_dec, j, i, m)
            if b <= room[i]:
                w = _mixed_weight(cum_cap, cum_stake, lo, pos, r, cap_total, stake_total)
                if w <= 0.0:
                    continue
                last = pos
                acc += w
                if acc > target:
                    break
        i = nodes[last]
        b = _busy(inp, out, ovh, s_pre, s_dec, j, i, m)
        node_of[j] = i
        busy_of[j] = b
        room[i] -= b
    return n
