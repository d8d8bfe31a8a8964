"""The one-pass route of a Parquet task log: check, code and sum each piece in one kernel pass.

:class:`FastCoder` runs :func:`fairshare._kernels.ingest.code_task_rows` on pieces in the usual layout
and declines any other piece, or one where some row fails a check; its callers (:mod:`.build`,
:mod:`.io`, :mod:`.partitioned`) then code that piece with :func:`~.source.encode_tasks`, whose
errors name the rows. Both routes accept the same rows and code them the same.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._kernels.ingest import code_task_rows
from .schema import TABLES, VERIFICATION_MODES
from .source import _CHUNK_ARRAYS, TaskChunk, TaskCoder

__all__ = ["FastCoder"]

_INT_ARRAYS = ("epoch", "node", "model", "requests", "verification")
_INTEGER_COLUMNS = ("epoch", "requests")
_NO_INTS, _NO_FLOATS = np.zeros(0, dtype=np.int64), np.zeros(0)
_NO_SUMS = np.zeros((0, 0, 0))
_LABEL_COLUMNS = ("node_id", "model", "verification")
_TASK_NAMES = tuple(c.name for c in TABLES["tasks"])
_TASK_REQUIRED = frozenset(c.name for c in TABLES["tasks"] if c.required)


class FastCoder:
    """Checks and codes a Parquet task table in one pass per record batch (:func:`fairshare._kernels.ingest.
    code_task_rows`) when it has the usual layout: no missing value, int64 epochs and requests, int64 or float64
    numbers, dictionary-encoded text (as :func:`~.io.read_history` reads it).

    :meth:`code` returns None for any other table and for a table where some row fails a check: the caller
    then checks it with :func:`~.source.encode_tasks`' column-by-column route, whose errors name every offending row.
    So both routes accept the same tables and code them the same. A coder remembers the codes of the last
    dictionary of each label column (a log's record batches usually share theirs).

    Parameters
    ----------
    coder : TaskCoder
        Nodes, models, epochs and active windows to code and check the rows against.
    """

    def __init__(self, coder: TaskCoder):
        self.coder = coder
        self._last = np.where(np.isnan(coder.left_epoch), np.inf, coder.left_epoch)
        self._joined = np.ascontiguousarray(coder.joined_epoch, dtype=np.int64)
        self._dictionaries: dict[str, tuple] = {}
        self._targets = {"node_id": coder.node_ids, "model": coder.model_names,
                         "verification": pd.Index(VERIFICATION_MODES)}

    def usable(self, schema) -> bool:
        """Whether tables of this pyarrow ``schema`` take the one-pass route (columns, types)."""
        import pyarrow as pa

        names = schema.names
        if len(set(names)) != len(names) or not _TASK_REQUIRED <= set(names) or not set(names) <= set(_TASK_NAMES):
            return False
        for f in schema:
            kind = f.type
            if f.name in _LABEL_COLUMNS:
                ok = pa.types.is_dictionary(kind) and (pa.types.is_string(kind.value_type)
                                                       or pa.types.is_large_string(kind.value_type))
            elif f.name in _INTEGER_COLUMNS:
                ok = kind == pa.int64()
            else:
                ok = kind in (pa.int64(), pa.float64())
            if not ok:
                return False
        return True

    @staticmethod
    def no_arrays() -> tuple:
        """Arrays of length 0 in :class:`TaskChunk` order: :meth:`run` then checks and sums without storing."""
        return tuple(_NO_INTS if k in _INT_ARRAYS else _NO_FLOATS for k in _CHUNK_ARRAYS)

    def new_arrays(self, n_rows: int) -> tuple:
        """Uninitialised arrays for ``n_rows`` coded rows, in :class:`TaskChunk` order."""
        return tuple(np.empty(n_rows, dtype=np.int64 if k in _INT_ARRAYS else np.float64) for k in _CHUNK_ARRAYS)

    def code(self, table, row0: int = 0, out: tuple | None = None, at: int = 0,
             sums: tuple | None = None) -> TaskChunk | None:
        """``table`` (a pyarrow table) checked and coded, or None (see the class docstring).

        ``out`` (arrays of :meth:`new_arrays`) receives the rows at ``at`` onwards (default: new arrays of the
        table's length). ``sums``, when given, is ``(acc, model_factor, prefill_weight, small_task_tokens)``:
        the rows are also added into ``acc`` as :func:`fairshare.aggregate` sums them. After a None, ``out``
        and ``acc`` may hold some of the rows.
        """
        if out is None:
            out, at = self.new_arrays(table.num_rows), 0
        if not self.run(table, out, at, sums):
            return None
        return TaskChunk(*(a[at:at + table.num_rows] for a in out), row0=row0)

    def run(self, table, out: tuple, at: int, sums: tuple | None) -> bool:
        """Check ``table``, write its coded rows into ``out`` at ``at`` (arrays of length 0: not written) and add
        them into ``sums`` (see :meth:`code`); False when the table is not in the usual layout or a row fails
        a check."""
        if not self.usable(table.schema) or any(c.null_count for c in table.columns):
            return False
        acc, factor, prefill, small = sums if sums is not None else (_NO_SUMS, np.zeros(0), 0.0, 0.0)
        c = self.coder
        done = 0
        for batch in table.to_batches():
            cols = dict(zip(batch.schema.names, batch.columns))
            codes = []
            for name in _LABEL_COLUMNS:
                lookup = self._lookup(name, cols[name].dictionary)
                if lookup is None:
                    return False
                codes.append((cols[name].indices.to_numpy(), lookup))
            (node, node_code), (model, model_code), (mode, mode_code) = codes
            requests = cols["requests"].to_numpy() if "requests" in cols else _NO_INTS
            upstream = cols["upstream_cost_usd"].to_numpy() if "upstream_cost_usd" in cols else _NO_FLOATS
            bad = code_task_rows(
                cols["epoch"].to_numpy(), node, node_code, model, model_code, requests,
                cols["input_tokens"].to_numpy(), cols["output_tokens"].to_numpy(), cols["busy_seconds"].to_numpy(),
                mode, mode_code, cols["fee_usd"].to_numpy(), upstream, c.first_epoch, c.n_epochs, self._joined,
                self._last, float(c.epoch_seconds), at + done, out, acc, factor, float(prefill), float(small))
            if bad >= 0:
                return False
            done += batch.num_rows
        return True

    def _lookup(self, name: str, dictionary) -> np.ndarray | None:
        """Code in the history of each label of a column's dictionary (-1 for one it does not have), or None
        when the dictionary holds a missing or repeated label (left to the column-by-column route)."""
        import pyarrow.compute as pc

        last = self._dictionaries.get(name)
        if last is not None and (last[0] is dictionary or last[0].equals(dictionary)):
            return last[1]
        if dictionary.null_count or len(pc.unique(dictionary)) != len(dictionary):
            return None
        labels = np.empty(len(dictionary), dtype=object)
        labels[:] = dictionary.to_pylist()
        lookup = np.ascontiguousarray(self._targets[name].get_indexer(pd.Index(labels, dtype=object)), dtype=np.int64)
        self._dictionaries[name] = (dictionary, lookup)
        return lookup
