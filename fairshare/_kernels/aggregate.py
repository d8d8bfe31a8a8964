"""Kernel: one pass over coded task rows into per (epoch, node) sums.

The accumulator has shape ``(E, N, F)`` so the fields one row updates sit
next to each other in memory (one or two cache lines per row, whatever the
order of the log). Rows are added in log order, so sums are identical however
the log is chunked.
"""

from __future__ import annotations

import numpy as np

from .._jit import jit

__all__ = ["FIELDS", "accumulate_tasks"]

#: Field order of the accumulator's last axis.
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


@jit
def accumulate_tasks(acc, epoch, node, model, requests, input_tokens, output_tokens, busy_seconds,
                     verification, fee_usd, upstream_cost_usd, model_factor, prefill_weight,
                     small_task_tokens):
    """Add task rows into ``acc`` (``(E, N, len(FIELDS))`` float64, owned by the caller).

    Work units of a row: ``(prefill_weight * input_tokens + output_tokens) *
    model_factor[model]``. A row is a small task when its tokens per request
    ``(input_tokens + output_tokens) / requests`` are at most
    ``small_task_tokens``.
    """
    for i in range(epoch.shape[0]):
        cell = acc[epoch[i], node[i]]
        work = (prefill_weight * input_tokens[i] + output_tokens[i]) * model_factor[model[i]]
        cell[0] += requests[i]
        cell[1] += 1.0
        cell[2] += input_tokens[i]
        cell[3] += output_tokens[i]
        cell[4] += work
        cell[5] += busy_seconds[i]
        cell[6] += fee_usd[i]
        cell[7] += upstream_cost_usd[i]
        cell[_WORK_BY_MODE + verification[i]] += work
        if input_tokens[i] + output_tokens[i] <= small_task_tokens * requests[i]:
            cell[11] += work
        else:
            cell[12] += work
    return acc


def new_accumulator(n_epochs: int, n_nodes: int) -> np.ndarray:
    """A zeroed accumulator for :func:`accumulate_tasks`."""
    return np.zeros((n_epochs, n_nodes, len(FIELDS)), dtype=np.float64)
