"""The one place where fairshare talks to a ``dask.distributed`` client.

Engines that can spread independent work (aggregation partitions, simulation
runs, frontier points) take ``client=None``: without a client the work runs
here, in order; with one, :func:`map_ordered` submits one task per item and
gathers the results back in item order, so a reduction over them is the same
whatever the cluster. Anything every task needs (a history, a scenario) is
sent once with :func:`share`.

Work functions must be module-level (picklable) and pure: a task that a worker
runs twice gives the same result.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from ._jit import threads_limited
from .errors import ConfigError

__all__ = ["check_client", "map_ordered", "share", "n_workers", "on_worker", "spans", "fold_ordered"]


def check_client(client) -> None:
    """Raise :class:`~fairshare.errors.ConfigError` unless ``client`` is None or a distributed client."""
    if client is None:
        return
    if not all(hasattr(client, name) for name in ("map", "gather", "scatter", "scheduler_info")):
        raise ConfigError(
            f"client= must be a dask.distributed.Client (got {type(client).__name__}). Create one with "
            "`from dask.distributed import Client; client = Client()` (local) or "
            "`Client('tcp://scheduler:8786')` (a running cluster), or pass client=None.")


def n_workers(client) -> int:
    """Worker processes behind ``client`` (1 without a client)."""
    if client is None:
        return 1
    return max(len(client.scheduler_info().get("workers", {})), 1)


def share(client, value: Any) -> Any:
    """``value`` sent once to every worker (a future), or ``value`` itself without a client."""
    if client is None:
        return value
    return client.scatter(value, broadcast=True, hash=False)


def map_ordered(client, fn: Callable, items: Sequence, *args: Any) -> list:
    """``[fn(item, *args) for item in items]``, run on ``client``'s workers when one is given.

    Results come back in the order of ``items`` (see :func:`fold_ordered`). ``args``
    are passed to every call (use :func:`share` for large ones).
    """
    results: list = []
    fold_ordered(client, fn, items, results.append, *args)
    return results


def fold_ordered(client, fn: Callable, items: Sequence, fold: Callable, *args: Any, ahead: int | None = None) -> None:
    """``fold(fn(item, *args))`` for every item, in item order; on ``client``'s workers when one is given.

    At most ``ahead`` tasks (default: twice the workers) are in flight, and each
    result is folded and dropped as soon as the ones before it are, so neither
    the cluster nor this process holds more than ``ahead`` results at a time.
    Items may be futures (their values are passed). A task's exception is raised
    here with its original type, and the tasks still in flight are cancelled.
    """
    check_client(client)
    if client is None:
        for item in items:
            fold(fn(item, *args))
        return
    from collections import deque

    ahead = max(ahead or 2 * n_workers(client), 1)
    queue, pending = deque(), iter(items)

    def top_up():
        while len(queue) < ahead:
            item = next(pending, _END)
            if item is _END:
                return
            queue.append(client.submit(_one_core, fn, item, *args, pure=False))

    try:
        top_up()
        while queue:
            future = queue.popleft()
            result = future.result()
            future.release()
            top_up()
            fold(result)
    finally:
        for future in queue:
            future.cancel()


_END = object()


def spans(n_items: int, n_blocks: int) -> list[tuple[int, int]]:
    """``(lo, hi)`` of ``min(n_items, n_blocks)`` contiguous blocks of near-equal size covering ``range(n_items)``."""
    k = max(min(n_items, n_blocks), 1)
    edges = [(i * n_items) // k for i in range(k + 1)]
    return [(edges[i], edges[i + 1]) for i in range(k) if edges[i + 1] > edges[i]]


def _one_core(fn: Callable, item: Any, *args: Any):
    """Run one task on a worker with one thread for fairshare's kernels (the worker runs one task per core)."""
    with threads_limited(1):
        return fn(item, *args)


def on_worker() -> bool:
    """True inside a task run by a dask worker.

    A worker runs one task per thread it has, so such a task uses one core:
    kernels and readers called from it do not start thread pools of their own
    (two workers on two cores would otherwise each run two threads per stage).
    """
    try:
        from distributed import get_worker

        get_worker()
    except (ImportError, ValueError):
        return False
    return True
