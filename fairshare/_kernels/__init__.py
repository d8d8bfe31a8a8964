"""Numba kernels: hot loops on contiguous arrays (no pandas, inputs never mutated).

Each public wrapper elsewhere in fairshare calls a kernel here with the same
stem (``aggregate`` -> ``_kernels.aggregate.accumulate_tasks``); every kernel has
a slow numpy oracle in the tests.
"""
