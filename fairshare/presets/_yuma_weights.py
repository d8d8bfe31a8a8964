"""Validators' weights for :class:`~fairshare.presets.yuma.YumaConsensus`, read from a labelled table.

Long form (columns ``validator``, ``node_id``, ``weight`` and optionally
``epoch``: a validator's weights set at an epoch stay in force until it sets
new ones) or wide form (a static validators x node ids matrix).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import FormulaError

__all__ = ["ValidatorWeights"]


class ValidatorWeights:
    """Validator weights on node labels: a static matrix, or rows set at epochs that persist until reset."""

    def __init__(self, table):
        if not isinstance(table, pd.DataFrame):
            raise FormulaError("YumaConsensus weights must be a DataFrame: long (columns validator, node_id, weight "
                               "and optionally epoch) or wide (validators x node ids); "
                               f"got {type(table).__name__}.")
        if {"validator", "node_id", "weight"} <= set(table.columns):
            keys = ["epoch", "validator", "node_id"] if "epoch" in table.columns else ["validator", "node_id"]
            if table.duplicated(keys).any():
                raise FormulaError(f"YumaConsensus weights: repeated ({', '.join(keys)}) rows; give one weight each.")
            long = table
        else:
            long = table.rename_axis(index="validator", columns="node_id").stack().rename("weight").reset_index()
        values = pd.to_numeric(long["weight"], errors="coerce").to_numpy(dtype=np.float64)
        if not (np.isfinite(values).all() and (values >= 0).all()):
            raise FormulaError("YumaConsensus weights must be finite numbers >= 0.")
        self.dynamic = "epoch" in long.columns
        self.validators = pd.Index(pd.unique(long["validator"]))
        self.nodes = pd.Index(pd.unique(long["node_id"]))
        set_at = long["epoch"].to_numpy(dtype=np.int64) if self.dynamic else np.zeros(len(long), dtype=np.int64)
        keys = pd.MultiIndex.from_arrays([self.validators.get_indexer(long["validator"]), set_at])
        sets = keys.unique().sort_values()
        self.set_validator = sets.get_level_values(0).to_numpy()
        self.set_epoch = sets.get_level_values(1).to_numpy()
        self.rows = np.zeros((len(sets), len(self.nodes)))
        row = sets.get_indexer(keys)
        self.rows[row, self.nodes.get_indexer(long["node_id"])] = values
        # sets are sorted by (validator, epoch): each validator's sets are one run, its latest in force last
        self.starts = np.searchsorted(self.set_validator, np.arange(len(self.validators) + 1))

    def at(self, epoch: int, validators: pd.Index) -> np.ndarray:
        """``(V, L)`` weights in force at ``epoch`` for ``validators`` over :attr:`nodes` (zeros before any set)."""
        out = np.zeros((len(validators), len(self.nodes)))
        mine = validators.get_indexer(self.validators)
        for v in np.flatnonzero(mine >= 0):
            lo, hi = self.starts[v], self.starts[v + 1]
            if self.dynamic:
                hi = lo + np.searchsorted(self.set_epoch[lo:hi], epoch, side="right")
            if hi > lo:
                out[mine[v]] = self.rows[hi - 1]
        return out
