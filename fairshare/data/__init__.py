"""Data model: schema, validation, the ``History`` container, readers and writers.

===============  ====================================================================
module           job
===============  ====================================================================
``schema``       the tables, their columns, units and checks (``TABLES``)
``validate``     column and row checks that name the table, column and rows
``build``        frames to the validated arrays of a ``History``
``history``      ``History``: a validated network history, immutable
``source``       task logs in memory, read in chunks and encoded
``partitioned``  task logs read in place (Parquet row groups, dask DataFrames)
``io``           reading and writing history directories (CSV, Parquet), atomically
===============  ====================================================================
"""

from .history import DEFAULT_EPOCH_SECONDS, History
from .schema import NODE_TIERS, TABLES, VERIFICATION_MODES

__all__ = ["History", "DEFAULT_EPOCH_SECONDS", "TABLES", "NODE_TIERS", "VERIFICATION_MODES"]
