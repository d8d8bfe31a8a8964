"""Data model: schema, validation, the ``History`` container, readers and writers.

===============  ====================================================================
module           job
===============  ====================================================================
``schema``       the tables, their columns, units and checks (``TABLES``)
``validate``     column and row checks that name the table, column and rows
``build``        frames to the validated arrays of a ``History``
``history``      ``History``: a validated network history, immutable
``metadata``     ``DatasetInfo``: what a history's data are (network, synthetic, baseline, price basis)
``models``       the model registry: open models by their usual names, closed models at 0 work
``source``       task logs in memory, read in chunks and encoded
``partitioned``  task logs read in place (Parquet row groups, dask DataFrames)
``io``           reading and writing history directories (CSV, Parquet), atomically
===============  ====================================================================
"""

from .history import DEFAULT_EPOCH_SECONDS, History
from .metadata import DatasetInfo
from .schema import NODE_ROLES, NODE_TIERS, TABLES, VERIFICATION_MODES

__all__ = ["History", "DatasetInfo", "DEFAULT_EPOCH_SECONDS", "TABLES", "NODE_TIERS", "NODE_ROLES",
           "VERIFICATION_MODES"]
