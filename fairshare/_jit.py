"""The one place where numba options live.

Kernels in :mod:`fairshare._kernels` decorate with :func:`jit` (serial) or
:func:`jit_parallel` (``prange`` loops). Both cache compiled code on disk so a
second process does not compile again, never use ``fastmath`` (governance
numbers must reproduce exactly and inputs may hold NaN or inf before they are
validated), and release the GIL so callers may use threads.

Setting ``NUMBA_DISABLE_JIT=1`` runs every kernel as plain Python, which is how
coverage of kernel code is measured.
"""

from __future__ import annotations

import numba

__all__ = ["jit", "jit_parallel", "prange", "num_threads", "threads_limited", "threads_can_share_kernels"]

_OPTIONS = {"cache": True, "nogil": True, "fastmath": False, "error_model": "numpy"}

prange = numba.prange


def jit(func=None, **overrides):
    """Compile ``func`` serially with fairshare's numba options."""
    options = {**_OPTIONS, **overrides}
    if func is None:
        return lambda f: numba.njit(**options)(f)
    return numba.njit(**options)(func)


def jit_parallel(func=None, **overrides):
    """Compile ``func`` with ``parallel=True``; loops over ``prange`` run on threads.

    Kernels compiled this way must give results independent of the thread
    count: each ``prange`` iteration writes only its own output slot and any
    reduction happens afterwards in a fixed order.
    """
    options = {**_OPTIONS, "parallel": True, **overrides}
    if func is None:
        return lambda f: numba.njit(**options)(f)
    return numba.njit(**options)(func)


def threads_can_share_kernels() -> bool:
    """Whether parallel kernels may be launched from several Python threads at once.

    True under numba's ``tbb`` and ``omp`` threading layers, which are thread-safe; False under
    ``workqueue``, which is not, and before any parallel kernel has run (the layer is chosen then).
    """
    try:
        return numba.threading_layer() in ("tbb", "omp")
    except ValueError:
        return False


def num_threads() -> int:
    """Threads numba's parallel kernels use now (``NUMBA_NUM_THREADS`` or ``numba.set_num_threads``)."""
    return int(numba.get_num_threads())


class threads_limited:
    """Context manager: parallel kernels started inside use at most ``n`` threads (this thread only)."""

    def __init__(self, n: int):
        self.n = int(n)

    def __enter__(self):
        self.before = numba.get_num_threads()
        numba.set_num_threads(max(1, min(self.n, numba.config.NUMBA_NUM_THREADS)))
        return self

    def __exit__(self, *exc):
        numba.set_num_threads(self.before)
        return False
