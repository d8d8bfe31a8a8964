"""The simulator's epoch step as numba kernels: market, payout, settlement, the parallel run loop.

=============  ======================================================================
module         job
=============  ======================================================================
``state``      layout constants of the packed arrays; named tuples of arrays
``market``     membership, delegated capital, the epoch's features (``begin``, ``features``)
``payout``     ``Linear`` rules in-kernel, fake demand (``linear``, ``choose_fakes``, ...)
``economics``  node economics, operator margins (``operator_margins``)
``sales``      vesting, operators' sales, token supply (``vest_and_sell``)
``price``      the epoch's price, price impact of net sales (``epoch_price``, ``impact``)
``summary``    the summary row of measures (``summary_row``)
``churn``      exits after losses, entries over the hurdle (``decide``)
``settle``     settlement of an epoch as a sequence of the steps above (``settle``)
``epoch``      drivers: ``run_fast`` (fast path), ``stage_*`` (general path)
=============  ======================================================================

Every public kernel has a slow oracle in ``tests/naive_sim.py``.
"""
