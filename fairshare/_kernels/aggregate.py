"""Kernel: one pass over coded task rows into per (epoch, node) sums.

The accumulator is field-major, ``(F, E, N)``, so every field comes out as a
contiguous ``(E, N)`` array without a copy. Work is split into parts, each a
range of rows and a range of nodes it owns (:func:`plan_parts`): a chunk
sorted by epoch (as real logs are) is cut into epoch-aligned row ranges; any
other chunk gives every part all rows and a contiguous range of nodes. Either
way each (epoch, node) cell is summed by one part in log order, so the result
is bit-identical for any number of parts or threads, and however the log is
chunked.
"""

from __future__ import annotations

import numpy as np

from .._jit import jit, jit_parallel, prange

__all__ = ["FIELDS", "accumulate_tasks", "new_accumulator", "plan_parts", "node_epoch_terms", "is_sorted"]

#: Field order of the accumulator's first axis.
FIELDS = (
    "requests",
    "task_rows",
    "input_tokens",
    "output_tokens",
    "work_units",
    "busy_seconds",
    "fees_usd",
    "upstream_cost_usd",
    "work_vanilla",
    "work_tee",
    "work_zkml",
    "small_task_work",
    "large_task_work",
)
_WORK_BY_MODE = 8  # work_vanilla + verification code


@jit_parallel
def accumulate_tasks(acc, epoch, node, model, requests, input_tokens, output_tokens, busy_seconds,
                     verification, fee_usd, upstream_cost_usd, model_factor, prefill_weight,
                     small_task_tokens, parts):
    """Add task rows into ``acc`` (``(len(FIELDS), E, N)`` float64, owned by the caller).

    Work units of a row: ``(prefill_weight * input_tokens + output_tokens) *
    model_factor[model]``. A row is a small task when its tokens per request
    ``(input_tokens + output_tokens) / requests`` are at most
    ``small_task_tokens``. ``parts`` is ``(P, 4)`` int64: row start, row stop,
    node start, node stop of each part (see :func:`plan_parts`).
    """
    for p in prange(parts.shape[0]):
        lo, hi = parts[p, 2], parts[p, 3]
        for i in range(parts[p, 0], parts[p, 1]):
            n = node[i]
            if n < lo or n >= hi:
                continue
            e = epoch[i]
            work = (prefill_weight * input_tokens[i] + output_tokens[i]) * model_factor[model[i]]
            acc[0, e, n] += requests[i]
            acc[1, e, n] += 1.0
            acc[2, e, n] += input_tokens[i]
            acc[3, e, n] += output_tokens[i]
            acc[4, e, n] += work
            acc[5, e, n] += busy_seconds[i]
            acc[6, e, n] += fee_usd[i]
            acc[7, e, n] += upstream_cost_usd[i]
            acc[_WORK_BY_MODE + verification[i], e, n] += work
            if input_tokens[i] + output_tokens[i] <= small_task_tokens * requests[i]:
                acc[11, e, n] += work
            else:
                acc[12, e, n] += work
    return acc


def plan_parts(epoch: np.ndarray, n_nodes: int, n_parts: int) -> np.ndarray:
    """``(P, 4)`` row and node ranges that split a chunk among ``n_parts`` threads.

    Sorted epochs: epoch-aligned row ranges over all nodes (no row is read
    twice). Otherwise: all rows, contiguous node ranges.
    """
    n_rows = epoch.shape[0]
    if n_parts <= 1 or n_rows == 0:
        return np.array([[0, n_rows, 0, n_nodes]], dtype=np.int64)
    if is_sorted(epoch):
        cuts = np.searchsorted(epoch, epoch[(np.arange(1, n_parts) * n_rows) // n_parts], side="left")
        bounds = np.unique(np.r_[0, cuts, n_rows])
        return np.array([[a, b, 0, n_nodes] for a, b in zip(bounds[:-1], bounds[1:])], dtype=np.int64)
    nodes = (np.arange(n_parts + 1) * n_nodes) // n_parts
    return np.array([[0, n_rows, a, b] for a, b in zip(nodes[:-1], nodes[1:])], dtype=np.int64)


@jit
def is_sorted(epoch):
    """True when ``epoch`` never decreases (no early exit: the loop vectorises, 2x numpy's compare)."""
    bad = False
    for i in range(1, epoch.shape[0]):
        bad |= epoch[i] < epoch[i - 1]
    return not bad


def new_accumulator(n_epochs: int, n_nodes: int) -> np.ndarray:
    """A zeroed accumulator for :func:`accumulate_tasks`."""
    return np.zeros((len(FIELDS), n_epochs, n_nodes), dtype=np.float64)


@jit_parallel
def node_epoch_terms(busy, online, power_w, idle_power_w, pue, joined, last, epochs, stake):
    """Energy (kWh), activity (0/1) and stake while active, per (epoch, node), in one pass.

    ``energy = (power_w * busy + idle_power_w * (online - busy)) * pue / 3.6e6``.
    A node is active in epoch ``epochs[e]`` when ``joined <= epoch <= last``
    (``last`` is +inf for nodes that never left). ``stake`` is ``(E, N)``, or
    ``(1, N)`` for a stake that never changes.
    """
    n_epochs, n_nodes = busy.shape
    energy = np.empty((n_epochs, n_nodes))
    active = np.empty((n_epochs, n_nodes))
    staked = np.empty((n_epochs, n_nodes))
    rows = stake.shape[0]
    for e in prange(n_epochs):
        s = stake[e] if e < rows else stake[rows - 1]
        for n in range(n_nodes):
            energy[e, n] = (power_w[n] * busy[e, n] + idle_power_w[n] * (online[e, n] - busy[e, n])) * pue[n] / 3.6e6
            on = joined[n] <= epochs[e] and epochs[e] <= last[n]
            active[e, n] = 1.0 if on else 0.0
            staked[e, n] = s[n] if on else 0.0
    return energy, active, staked
