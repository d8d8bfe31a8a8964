"""Numba kernels: hot loops on contiguous arrays (numpy and numba only, no pandas).

A kernel imports nothing but :mod:`fairshare._jit` and sibling kernels. It reads its inputs without
changing them, except the output and state arrays its docstring names (the aggregation accumulator,
the router's room and assignments, the simulator's packed state). Every public kernel has a slow,
independent oracle in ``tests/naive.py`` or ``tests/naive_sim.py`` and a test comparing the two.

=============  ================================================================
module         kernels
=============  ================================================================
``aggregate``  the task log's (epoch, node) sums, in log order
``inequality`` the metric suite from one sort per row; group sums
``waterfill``  the capped proportional fill (rules and the router)
``clipfill``   the optimiser's water-filling oracle
``dominance``  undominated rows
``routing``    the router's draws of nodes for units of demand
``sim``        the simulator's epoch step
=============  ================================================================
"""
