"""Kernel: one pass over coded task rows into per (epoch, node) sums.

The accumulator is field-major, ``(F, E, N)``, so every field comes out as a
contiguous ``(E, N)`` array without a copy. Work is split by *ownership*:
part ``p`` of ``n_parts`` owns a contiguous range of nodes, scans every row
and adds only the rows of its nodes. Each (epoch, node) cell is therefore
summed by one thread in log order, and the result is bit-identical for any
number of parts or threads, and however the log is chunked.
"""

from __future__ import annotations

import numpy as np

from .._jit import jit_parallel, prange

__all__ = ["FIELDS", "accumulate_tasks", "new_accumulator"]

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
                     small_task_tokens, n_parts):
    """Add task rows into ``acc`` (``(len(FIELDS), E, N)`` float64, owned by the caller).

    Work units of a row: ``(prefill_weight * input_tokens + output_tokens) *
    model_factor[model]``. A row is a small task when its tokens per request
    ``(input_tokens + output_tokens) / requests`` are at most
    ``small_task_tokens``. ``n_parts`` only sets the parallelism.
    """
    n_nodes = acc.shape[2]
    for p in prange(n_parts):
        lo = p * n_nodes // n_parts
        hi = (p + 1) * n_nodes // n_parts
        for i in range(epoch.shape[0]):
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


def new_accumulator(n_epochs: int, n_nodes: int) -> np.ndarray:
    """A zeroed accumulator for :func:`accumulate_tasks`."""
    return np.zeros((len(FIELDS), n_epochs, n_nodes), dtype=np.float64)
