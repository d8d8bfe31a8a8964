"""Task logs that stay where they are: Parquet files and dask DataFrames.

Both read the log piece by piece (a Parquet row group, a dask partition), code
and validate each piece with :func:`~.source.encode_tasks` as it is read, and
split into picklable :meth:`parts` that a worker process can read on its own.
Nothing is read at construction but the Parquet footers (row counts) or the
dask partitions' lengths; the columns and their types are checked then, on an
empty table with the log's schema, so a wrong column fails before any pass.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from .._distributed import on_worker
from .._kernels.aggregate import accumulate_tasks, plan_parts
from ..errors import DataError, SchemaError
from .onepass import FastCoder
from .schema import TASK_LABELS
from .source import TaskChunk, TaskCoder, TaskSource, encode_tasks
from .validate import without_index_columns

__all__ = ["ParquetTasks", "DaskTasks", "FrameTasks", "is_dask_frame"]


@dataclass(frozen=True)
class ParquetTasks(TaskSource):
    """A task log read from Parquet files row group by row group.

    ``paths`` are read in order; memory stays bounded by the largest row group.
    ``pieces`` selects ``(path index, row group, rows)`` triples (default: all, from
    the footers); ``row0`` is the position of the first selected row in the whole log.

    Parameters
    ----------
    paths : tuple of Path
        Parquet files of the log, in log order; made absolute when ``pieces`` is None (workers may run
        elsewhere). Every file must have the same columns.
    coder : TaskCoder
        Nodes, models, epochs and active windows the rows are coded and checked against.
    pieces : tuple of (int, int, int), optional
        ``(path index, row group, rows)`` of the row groups to read, in order; None reads the footers,
        selects every row group and checks the columns (an empty log then raises ``SchemaError``).
    row0 : int, default 0
        Position of the first selected row in the whole log.
    stamps : tuple of (int, int), optional
        ``(size in bytes, modification time in ns)`` of each file when the log was opened (taken when
        ``pieces`` is None); a file that differs when a pass reads it raises
        :class:`~fairshare.errors.DataError`: a log must not change while a history reads it.
    """

    paths: tuple[Path, ...]
    coder: TaskCoder
    pieces: tuple[tuple[int, int, int], ...] | None = None
    row0: int = 0
    stamps: tuple[tuple[int, int], ...] | None = None
    n_rows: int = field(init=False)

    def __post_init__(self):
        import pyarrow.parquet as pq

        whole = self.pieces is None
        if whole:
            object.__setattr__(self, "paths", tuple(Path(p).resolve() for p in self.paths))  # workers may run elsewhere
            pieces, first = [], None
            object.__setattr__(self, "stamps", tuple(_stamp(path) for path in self.paths))
            for i, path in enumerate(self.paths):
                pf = _open(pq, path)
                pieces.extend((i, g, pf.metadata.row_group(g).num_rows) for g in range(pf.metadata.num_row_groups))
                columns = pf.schema_arrow.names
                if first is None:
                    first = (path, columns)
                    encode_tasks(without_index_columns(pf.schema_arrow.empty_table()), self.coder, piece=True)
                elif set(columns) != set(first[1]):
                    raise SchemaError(
                        f"tasks: {path.name} has columns {sorted(columns)} but {first[0].name} has "
                        f"{sorted(first[1])}. Every file of a task log needs the same columns; write the "
                        "missing ones (for example upstream_cost_usd = 0) into every file.")
            object.__setattr__(self, "pieces", tuple(pieces))
        object.__setattr__(self, "n_rows", int(sum(rows for _, _, rows in self.pieces)))
        if whole and self.n_rows == 0:
            raise SchemaError("tasks: the Parquet task log has no rows. A history needs at least one task row.")

    def chunks(self) -> Iterator[TaskChunk]:
        fast = FastCoder(self.coder)
        row0 = self.row0
        for table, rows in self._tables():
            chunk = fast.code(table, row0) if table.num_rows else None
            yield chunk if chunk is not None else encode_tasks(table, self.coder, row0=row0, piece=True)
            row0 += rows

    def sum_into(self, acc: np.ndarray, model_factor: np.ndarray, prefill_weight: float,
                 small_task_tokens: float) -> bool:
        """Add the log into ``acc`` row group by row group, each checked, coded and summed in one pass
        (:class:`~.onepass.FastCoder`) while the next is read; a row group in another layout is coded by
        :func:`~.source.encode_tasks` and summed as :func:`fairshare.aggregate` sums chunks, in log order
        either way. A row group that fails a check raises its data error, naming its rows."""
        fast, row0 = FastCoder(self.coder), self.row0
        terms = (model_factor, float(prefill_weight), float(small_task_tokens))
        nothing = fast.no_arrays()
        for table, rows in self._tables():
            if fast.usable(table.schema) and not any(c.null_count for c in table.columns):
                if fast.run(table, nothing, 0, (acc, *terms)):
                    row0 += rows
                    continue
                encode_tasks(table, self.coder, row0=row0, piece=True)  # raises, naming the rows
                acc[:] = 0.0  # (a row group only the column-by-column route accepts: sum the chunks instead)
                return False
            c = encode_tasks(table, self.coder, row0=row0, piece=True)
            if len(c):
                accumulate_tasks(acc, c.epoch, c.node, c.model, c.requests, c.input_tokens, c.output_tokens,
                                 c.busy_seconds, c.verification, c.fee_usd, c.upstream_cost_usd, *terms,
                                 plan_parts(c.epoch, acc.shape[2], 1))
            row0 += rows
        return True

    def _tables(self) -> Iterator[tuple[Any, int]]:
        """The selected row groups as pyarrow tables with their row counts, in order. Off a cluster worker the
        next row group is read on a second thread while the caller codes this one."""
        opened: dict = {}  # the file being read (a file is opened and checked once per pass)
        if on_worker():
            for i, group, rows in self.pieces:
                yield self._read_group(i, group, False, opened), rows
            return
        with ThreadPoolExecutor(max_workers=1) as reader:
            ahead = None
            try:
                for k, (i, group, rows) in enumerate(self.pieces):
                    table = (ahead or reader.submit(self._read_group, i, group, True, opened)).result()
                    ahead = reader.submit(self._read_group, *self.pieces[k + 1][:2], True, opened) \
                        if k + 1 < len(self.pieces) else None
                    yield table, rows
            finally:
                if ahead is not None:
                    ahead.cancel()

    def _read_group(self, i: int, group: int, threads: bool, opened: dict):
        """Row group ``group`` of file ``i`` as a pyarrow table; ``opened`` holds the file last opened, which is
        checked unchanged since the log was opened when it is opened."""
        import pyarrow.parquet as pq

        if i not in opened:
            opened.clear()
            opened[i] = self._open_checked(i, pq)
        try:
            return without_index_columns(opened[i].read_row_group(group, use_threads=threads))
        except (OSError, ValueError) as err:  # a damaged page: pyarrow's ArrowInvalid is a ValueError
            raise SchemaError(f"tasks: {self.paths[i]}: row group {group} could not be read as Parquet "
                              f"({parquet_error(err)}). Write the file again or remove it.") from None

    def _open_checked(self, i: int, pq):
        try:
            stamp = _stamp(self.paths[i])
        except FileNotFoundError as err:
            raise DataError(f"tasks: {self.paths[i]} is gone or not readable here. A Parquet task log "
                            "must stay in place while a history reads it (on a cluster: readable by "
                            "every worker at this path).") from err
        if self.stamps is not None and stamp != tuple(self.stamps[i]):
            raise DataError(f"tasks: {self.paths[i]} changed after the history was opened (size or "
                            "modification time differ). A Parquet task log must not change while a "
                            "history reads it; read the history again.")
        return _open(pq, self.paths[i])

    def parts(self) -> list["ParquetTasks"]:
        """One part per file, or per row group when the log is a single file."""
        by_file = len({i for i, _, _ in self.pieces}) > 1
        groups: list[list] = []
        for piece in self.pieces:
            if not groups or not by_file or groups[-1][-1][0] != piece[0]:
                groups.append([])
            groups[-1].append(piece)
        starts = np.cumsum([self.row0] + [sum(p[2] for p in g) for g in groups])
        return [ParquetTasks(self.paths, self.coder, tuple(g), int(s), self.stamps) for g, s in zip(groups, starts)]


def _stamp(path: Path) -> tuple[int, int]:
    info = os.stat(path)
    return int(info.st_size), int(info.st_mtime_ns)


def _open(pq, path: Path):
    """``pq.ParquetFile`` of a task-log file, a truncated, corrupt or mislabelled file named in a SchemaError."""
    try:
        return pq.ParquetFile(path, read_dictionary=list(TASK_LABELS))
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as err:  # pyarrow's ArrowInvalid is a ValueError, ArrowIOError an OSError
        raise SchemaError(f"tasks: {path}: could not read as Parquet ({parquet_error(err)}). Write the file again "
                          "or remove it.") from None


def parquet_error(err: Exception) -> str:
    """``"<class>: <message>"`` of a pyarrow read error, on one line (pyarrow's messages may hold newlines).

    Parameters
    ----------
    err : Exception
        The error pyarrow raised.
    """
    return f"{type(err).__name__}: {' '.join(str(err).split())}"


@dataclass(frozen=True)
class DaskTasks(TaskSource):
    """A task log held in a dask DataFrame, read partition by partition.

    Building it counts each partition's rows (a pass over the log on dask's
    current scheduler: the active ``dask.distributed`` client if there is one). Without a client each
    partition is then computed here, one at a time, so memory stays bounded by the largest partition; with one, the
    partitions are computed on the workers and aggregated where they lie
    (:meth:`parts_on`). Errors name rows by their position in the whole log.

    Parameters
    ----------
    frame : dask.dataframe.DataFrame
        The task log (tasks table columns).
    coder : TaskCoder
        Nodes, models, epochs and active windows the rows are coded and checked against.
    lengths : tuple of int, optional
        Rows of each partition; None counts them (and checks the columns on ``frame._meta``; an empty
        log then raises ``SchemaError``).
    row0 : int, default 0
        Position of the frame's first row in the whole log.
    """

    frame: Any
    coder: TaskCoder
    lengths: tuple[int, ...] | None = None
    row0: int = 0
    n_rows: int = field(init=False)

    def __post_init__(self):
        whole = self.lengths is None
        if whole:
            encode_tasks(self.frame._meta, self.coder, piece=True)
            lengths = self.frame.map_partitions(len).compute()  # (a projection may regroup partitions)
            object.__setattr__(self, "lengths", tuple(int(n) for n in lengths))
        object.__setattr__(self, "n_rows", int(sum(self.lengths)))
        if whole and self.n_rows == 0:
            raise SchemaError("tasks: the dask task log has no rows. A history needs at least one task row.")

    def chunks(self) -> Iterator[TaskChunk]:
        starts = np.cumsum([self.row0, *self.lengths])
        for i, rows in enumerate(self.lengths):
            yield FrameTasks(self.frame.get_partition(i).compute(), self.coder, rows, int(starts[i])).chunk()

    def parts(self) -> list["DaskTasks"]:
        """One part per partition."""
        starts = np.cumsum([self.row0, *self.lengths])
        return [DaskTasks(self.frame.get_partition(i), self.coder, (rows,), int(s))
                for i, (rows, s) in enumerate(zip(self.lengths, starts))]

    def parts_on(self, client) -> list:
        """Futures of one :class:`FrameTasks` per partition, computed on ``client``'s workers."""
        partitions = client.compute(self.frame.to_delayed())
        starts = np.cumsum([self.row0, *self.lengths])
        return [client.submit(FrameTasks, part, self.coder, rows, int(s), pure=False)
                for part, rows, s in zip(partitions, self.lengths, starts)]


@dataclass(frozen=True)
class FrameTasks(TaskSource):
    """One partition of a dask task log, as a pandas DataFrame where it was computed.

    Parameters
    ----------
    frame : DataFrame
        The computed partition.
    coder : TaskCoder
        Nodes, models, epochs and active windows the rows are coded and checked against.
    expected_rows : int
        Rows the partition had when the history was built; a different count raises ``DataError``.
    row0 : int, default 0
        Position of the partition's first row in the whole log.
    """

    frame: Any
    coder: TaskCoder
    expected_rows: int
    row0: int = 0
    n_rows: int = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "n_rows", len(self.frame))
        if self.n_rows != self.expected_rows:
            raise DataError(f"tasks: a dask partition returned {self.n_rows} rows, {self.expected_rows} when the "
                            "history was built. A dask task log must not change while a history reads it; "
                            "persist() it or write it to Parquet.")

    def chunk(self) -> TaskChunk:
        return encode_tasks(self.frame, self.coder, row0=self.row0, piece=True)

    def chunks(self) -> Iterator[TaskChunk]:
        yield self.chunk()

    def parts(self) -> list["FrameTasks"]:
        return [self]


def is_dask_frame(value) -> bool:
    """True for a dask DataFrame (checked without importing dask).

    Parameters
    ----------
    value : object
        Anything; true when its type comes from ``dask`` or ``dask_expr`` and it has ``npartitions``.
    """
    return type(value).__module__.split(".")[0] in ("dask", "dask_expr") and hasattr(value, "npartitions")
