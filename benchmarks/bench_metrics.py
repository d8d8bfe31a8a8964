"""Benchmark (not a test): the metric suite from one shared sort per row vs numpy, metric by metric.

Usage::

    python benchmarks/bench_metrics.py [--rows 365] [--holders 100000] [--repeats 5]
                                       [--growth-elements 20000000] [--quick] [--json PATH]

``--quick``: 100 rows of the same 100,000 holders, best of 3, 4,000,000 elements per growth step.

Measures, in one run, on a seeded ``rows x holders`` lognormal matrix (sigma 2):

1. ``fs.metrics.summary`` (input checks, one ``np.sort`` per row, one parallel
   kernel pass, DataFrame out) and its core (sort + kernel) against each metric
   of the suite computed by its own vectorised numpy implementation
   (``np.sort``/``np.partition``/``np.cumsum`` along the last axis), timed one by one;
2. elements per second;
3. time growth of the suite per row from n = 10^4 to 10^6 holders, next to n log n.

Every timing is the best of ``--repeats`` runs and excludes JIT compilation:
each kernel runs once on a small matrix before timing starts. Target: the suite
(``fs.metrics.summary``) at least 5x faster than the per-metric numpy implementations together.
"""

from __future__ import annotations

import math
import os
import time

import numba
import numpy as np
from benchkit import Options, Row

import fairshare as fs
from fairshare._kernels.inequality import suite_sorted_rows


def best_time(func, repeats):
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def _lorenz_sum(x, count, from_top):
    """Sum of the top (or bottom) ``count`` holders per row, fractional last holder, via np.partition."""
    n = x.shape[-1]
    whole = int(count)
    frac = count - whole
    if from_top:
        kth = n - whole - 1
        part = np.partition(x, kth, axis=-1) if kth >= 0 else x
        return part[:, n - whole:].sum(axis=-1) + (frac * part[:, kth] if whole < n else 0.0)
    part = np.partition(x, whole, axis=-1) if whole < n else x
    return part[:, :whole].sum(axis=-1) + (frac * part[:, whole] if whole < n else 0.0)


def _nakamoto(x, threshold):
    top_first = np.sort(x, axis=-1)[:, ::-1]
    shares = np.cumsum(top_first, axis=-1) / x.sum(axis=-1, keepdims=True)
    return np.minimum((shares <= threshold).sum(axis=-1) + 1, x.shape[-1])


def _xlogx(r):
    return np.where(r > 0, r * np.log(np.where(r > 0, r, 1.0)), 0.0)


NUMPY_SUITE = {
    "gini": lambda x: ((2 * np.arange(1, x.shape[-1] + 1) - x.shape[-1] - 1) * np.sort(x, axis=-1)).sum(-1)
    / (x.shape[-1] * x.sum(-1)),
    "theil": lambda x: _xlogx(x / x.mean(-1, keepdims=True)).mean(-1),
    "atkinson_0.5": lambda x: 1 - np.sqrt(x / x.mean(-1, keepdims=True)).mean(-1) ** 2,
    "hhi": lambda x: ((x / x.sum(-1, keepdims=True)) ** 2).sum(-1),
    "entropy": lambda x: -_xlogx(x / x.sum(-1, keepdims=True)).sum(-1),
    "nakamoto_1/3": lambda x: _nakamoto(x, 1 / 3),
    "nakamoto_1/2": lambda x: _nakamoto(x, 0.5),
    "max_share": lambda x: x.max(-1) / x.sum(-1),
    "top_1pct_share": lambda x: _lorenz_sum(x, 0.01 * x.shape[-1], True) / x.sum(-1),
    "top_10pct_share": lambda x: _lorenz_sum(x, 0.1 * x.shape[-1], True) / x.sum(-1),
    "bottom_40pct_share": lambda x: _lorenz_sum(x, 0.4 * x.shape[-1], False) / x.sum(-1),
    "palma": lambda x: _lorenz_sum(x, 0.1 * x.shape[-1], True) / _lorenz_sum(x, 0.4 * x.shape[-1], False),
}


def suite_core(x):
    """The shared-sort path without input checks and labels: one np.sort, one kernel call."""
    xs = np.sort(x, axis=-1)
    n = xs.shape[-1]
    return suite_sorted_rows(xs, 0.5, np.array([1.0, 0.01 * n, 0.1 * n]), np.array([0.4 * n]),
                             np.array([[1, 3], [1, 2]]), False)


def matrix(rows, holders, seed=20240101):
    return np.random.default_rng(seed).lognormal(0.0, 2.0, size=(rows, holders))


def options() -> Options:
    cli = Options("metrics", __doc__.split("\n", 1)[0])
    cli.add_sized("--rows", full=365, quick=100, type=int)
    cli.add_sized("--holders", full=100_000, quick=100_000, type=int)
    cli.add_sized("--repeats", full=5, quick=3, type=int)
    cli.add_sized("--growth-elements", full=20_000_000, quick=4_000_000, type=int)
    return cli


def main(argv=None):
    cli = options()
    args = cli.parse(argv)

    warm = matrix(4, 1000, seed=1)
    fs.metrics.summary(warm)
    suite_core(warm)
    for func in NUMPY_SUITE.values():
        func(warm)

    x = matrix(args.rows, args.holders)
    elements = x.size
    print(f"fairshare metric suite benchmark: {args.rows} x {args.holders:,} float64 (lognormal, sigma 2), "
          f"best of {args.repeats}, JIT compile excluded (warm-up first), cpu_count={os.cpu_count()}")

    table = fs.metrics.summary(x)
    worst = max(float(np.max(np.abs(table[name].to_numpy() - func(x)) /
                             np.maximum(np.abs(table[name].to_numpy()), 1e-300)))
                for name, func in NUMPY_SUITE.items())
    print(f"agreement with the numpy implementations: max relative difference {worst:.1e}")

    numpy_times = {name: best_time(lambda f=func: f(x), args.repeats) for name, func in NUMPY_SUITE.items()}
    numpy_total = sum(numpy_times.values())
    summary_time = best_time(lambda: fs.metrics.summary(x), args.repeats)
    core_time = best_time(lambda: suite_core(x), args.repeats)
    sort_time = best_time(lambda: np.sort(x, axis=-1), args.repeats)
    numba.set_num_threads(1)
    core_serial = best_time(lambda: suite_core(x), args.repeats)
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)

    print("\nper-metric numpy implementations (each on its own):")
    for name, seconds in numpy_times.items():
        print(f"  {name:<20s} {seconds:8.3f} s")
    print(f"  {'total':<20s} {numpy_total:8.3f} s   {elements / numpy_total:12,.0f} elements/s")
    print("\nshared sort (suite of the same measures + total + effective number):")
    print(f"  fs.metrics.summary   {summary_time:8.3f} s   {elements / summary_time:12,.0f} elements/s   "
          f"speed-up x{numpy_total / summary_time:.1f}")
    print(f"  np.sort + kernel     {core_time:8.3f} s   {elements / core_time:12,.0f} elements/s   "
          f"speed-up x{numpy_total / core_time:.1f}")
    print(f"  of which np.sort     {sort_time:8.3f} s")
    print(f"  np.sort + kernel, 1 thread {core_serial:8.3f} s   speed-up x{numpy_total / core_serial:.1f} "
          f"(numpy runs on one thread; the kernel uses {numba.config.NUMBA_NUM_THREADS} by default)")

    print(f"\ngrowth with n (time per row; rows x n = {args.growth_elements:,} so fixed per-call costs "
          f"do not blur the per-row cost):")
    base = None
    rows = [Row.check("suite speed-up, fs.metrics.summary vs per-metric numpy", numpy_total / summary_time, "x",
                      ">=", 5, f"summary {summary_time:.3f} s, numpy {numpy_total:.3f} s"),
            Row.info("suite speed-up, np.sort + kernel", numpy_total / core_time, "x"),
            Row.info("suite speed-up, np.sort + kernel on 1 thread", numpy_total / core_serial, "x",
                     "numpy runs on one thread"),
            Row.info("fs.metrics.summary throughput", elements / summary_time / 1e6, "M elements/s"),
            Row.info("largest relative difference to numpy", worst)]
    for n in (10_000, 100_000, 1_000_000):
        y = matrix(args.growth_elements // n, n, seed=n)
        per_row = best_time(lambda: fs.metrics.summary(y), args.repeats) / len(y)
        base = base or (per_row, n * math.log(n))
        print(f"  n = {n:>9,}  {per_row * 1e3:8.3f} ms/row   time x{per_row / base[0]:6.1f}   "
              f"n log n x{n * math.log(n) / base[1]:6.1f}   n x{n / 10_000:4.0f}")
        growth = f"x{per_row / base[0]:.1f} the time at n = 10,000; n log n x{n * math.log(n) / base[1]:.1f}"
        rows.append(Row.info(f"time per row, n = {n:,}", per_row * 1e3, "ms", growth if n > 10_000 else ""))
    cli.save(args, rows, cpu_count=os.cpu_count(), numba_threads=numba.config.NUMBA_NUM_THREADS)


if __name__ == "__main__":
    main()
