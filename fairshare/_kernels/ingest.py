"""Kernel: check, code and sum one piece of a task log in one pass (the fast path of reading Parquet).

The tasks table's checks (``data.validate`` and ``data.source.encode_tasks``: types, missing and
infinite values, bounds, epochs in the market's range, known labels, active windows, busy time
per row) decided row by row, with the coded rows written into the whole log's arrays at the
piece's offset and, when asked, added into per (epoch, node) sums in row order (the sums of
:func:`.aggregate.accumulate_tasks`, cell by cell in the same order, so bit-identical). The kernel
only says whether every row passes; a piece where some row does not is checked again by
``encode_tasks``, whose error names every offending row, so both paths accept the same rows and
raise the same errors.
"""

from __future__ import annotations

import numpy as np

from .._jit import jit

__all__ = ["code_task_rows"]

_EXACT = 2**53  # beyond it a whole number is not exact in float64 (``data.validate`` refuses it)
_BUSY = 5  # busy_seconds in ``aggregate.FIELDS``
_WORK_BY_MODE = 8  # work_vanilla in ``aggregate.FIELDS``, then tee, zkml


@jit
def code_task_rows(epoch, node, node_code, model, model_code, requests, input_tokens, output_tokens,
                   busy_seconds, verification, mode_code, fee_usd, upstream_cost_usd, first_epoch, n_epochs,
                   joined, last, epoch_seconds, at, out, acc, model_factor, prefill_weight, small_task_tokens):
    """Check rows, write them coded and add them up; return the first row that fails a check, or -1.

    Inputs are the piece's columns as stored: ``epoch`` and ``requests`` int64; the token, busy-time
    and fee columns int64 or float64; ``node``, ``model``, ``verification`` dictionary indices whose
    codes are ``node_code[node[i]]`` etc. (-1 for a label the history does not have). ``requests``
    or ``upstream_cost_usd`` of length 0 stand for the column's default (1, 0.0).

    A row passes when its epoch lies in ``first_epoch .. first_epoch + n_epochs - 1`` and in its
    node's window ``joined[n] <= epoch <= last[n]`` (``last`` +inf for a node that never left), its
    three labels are known, ``1 <= requests <= 2**53``, every token, busy and fee value is finite
    and >= 0, and ``busy_seconds <= epoch_seconds``.

    Rows that pass go to row ``at + i`` of ``out`` (a tuple of ten arrays in ``TaskChunk`` order:
    epoch relative to ``first_epoch``, node, model, requests (int64), input and output tokens, busy
    seconds (float64), verification (int64), fees, upstream cost (float64); arrays of length 0: not
    written) and are added into ``acc`` (``(F, E, N)`` in ``aggregate.FIELDS`` order, as
    ``accumulate_tasks`` adds them with ``model_factor``, ``prefill_weight`` and
    ``small_task_tokens``; ``E = 0``: not added). Rows after a failing one are neither written nor
    added.
    """
    o_epoch, o_node, o_model, o_requests, o_in, o_out, o_busy, o_mode, o_fee, o_up = out
    has_requests = requests.shape[0] > 0
    has_upstream = upstream_cost_usd.shape[0] > 0
    store = o_epoch.shape[0] > 0
    add = acc.shape[1] > 0
    for i in range(epoch.shape[0]):
        e = epoch[i]
        if e < first_epoch or e - first_epoch >= n_epochs:
            return i
        n = node_code[node[i]]
        m = model_code[model[i]]
        v = mode_code[verification[i]]
        if n < 0 or m < 0 or v < 0:
            return i
        if e < joined[n] or float(e) > last[n]:
            return i
        q = 1
        if has_requests:
            q = requests[i]
            if q < 1 or q > _EXACT:
                return i
        x_in = float(input_tokens[i])
        x_out = float(output_tokens[i])
        b = float(busy_seconds[i])
        fee = float(fee_usd[i])
        up = float(upstream_cost_usd[i]) if has_upstream else 0.0
        # NaN fails every comparison: each check is written so that NaN fails it
        if not (0.0 <= x_in < np.inf and 0.0 <= x_out < np.inf and 0.0 <= fee < np.inf and 0.0 <= up < np.inf):
            return i
        if not (0.0 <= b <= epoch_seconds):
            return i
        rel = e - first_epoch
        if store:
            k = at + i
            o_epoch[k] = rel
            o_node[k] = n
            o_model[k] = m
            o_requests[k] = q
            o_in[k] = x_in
            o_out[k] = x_out
            o_busy[k] = b
            o_mode[k] = v
            o_fee[k] = fee
            o_up[k] = up
        elif add:
            _add_row(acc, rel, n, q, x_in, x_out, b, v, fee, up, model_factor[m], prefill_weight, small_task_tokens)
    if store and add:  # a second pass over the rows just written: one loop doing both thrashes the cache
        for k in range(at, at + epoch.shape[0]):
            _add_row(acc, o_epoch[k], o_node[k], o_requests[k], o_in[k], o_out[k], o_busy[k], o_mode[k], o_fee[k],
                     o_up[k], model_factor[o_model[k]], prefill_weight, small_task_tokens)
    return -1


@jit
def _add_row(acc, e, n, requests, input_tokens, output_tokens, busy_seconds, mode, fee_usd, upstream_cost_usd, factor,
             prefill_weight, small_task_tokens):
    """One row into cell ``(e, n)`` of every field of ``acc``, as ``aggregate.accumulate_tasks`` adds it."""
    work = (prefill_weight * input_tokens + output_tokens) * factor
    acc[0, e, n] += requests
    acc[1, e, n] += 1.0
    acc[2, e, n] += input_tokens
    acc[3, e, n] += output_tokens
    acc[4, e, n] += work
    acc[_BUSY, e, n] += busy_seconds
    acc[6, e, n] += fee_usd
    acc[7, e, n] += upstream_cost_usd
    acc[_WORK_BY_MODE + mode, e, n] += work
    if input_tokens + output_tokens <= small_task_tokens * requests:
        acc[11, e, n] += work
    else:
        acc[12, e, n] += work
