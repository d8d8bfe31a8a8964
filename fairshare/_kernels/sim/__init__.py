"""The simulator's epoch step as numba kernels: market, payout, settlement, the parallel run loop."""
