"""The task log as a chunked source of integer-coded arrays.

A history never holds per-task Python objects. Its task log is a
:class:`TaskSource`: something that yields :class:`TaskChunk` objects in a
fixed order. An in-memory table is one chunk (or a few, when it is split for
bounded memory); a Parquet file or partitioned dataset is read row group by
row group. Every chunk is validated and coded by one function,
:func:`encode_tasks`, so the in-memory and streaming paths cannot disagree
(a Parquet piece in the usual layout goes through :mod:`.onepass` first, which
accepts exactly the rows :func:`encode_tasks` accepts and codes them the same).
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np
import pandas as pd

from ..errors import AlignmentError, ConfigError, RangeError, SchemaError
from .schema import VERIFICATION_MODES, table_columns
from .validate import Labels, arrow_frame, check_table, code_labels, is_arrow_table, rows_message

__all__ = ["TaskChunk", "TaskCoder", "TaskSource", "InMemoryTasks", "LeftBehind", "encode_tasks", "sums_key"]

_FLOAT_FIELDS = ("input_tokens", "output_tokens", "busy_seconds", "fee_usd", "upstream_cost_usd")


@dataclass(frozen=True)
class TaskChunk:
    """Integer-coded task rows; every array has the chunk's length.

    ``epoch`` is the 0-based epoch index into the history's epochs, ``node``
    and ``model`` index the history's node and model labels, ``verification``
    indexes :data:`~fairshare.data.schema.VERIFICATION_MODES`. ``row0`` is the
    position of the chunk's first row in the whole log (for error messages).

    Parameters
    ----------
    epoch : int64 ndarray, shape ``(R,)``
        Epoch of each row, 0-based position in the history's epochs (absolute epoch - first epoch).
    node : int64 ndarray, shape ``(R,)``
        Node of each row, position in the history's node ids.
    model : int64 ndarray, shape ``(R,)``
        Model of each row, position in the history's model names.
    requests : int64 ndarray, shape ``(R,)``
        Requests settled in each row (>= 1).
    input_tokens : float64 ndarray, shape ``(R,)``
        Prompt (prefill) tokens of each row.
    output_tokens : float64 ndarray, shape ``(R,)``
        Generated (decode) tokens of each row.
    busy_seconds : float64 ndarray, shape ``(R,)``
        Wall-clock occupancy of the node by each row, seconds (at most the epoch length).
    verification : int64 ndarray, shape ``(R,)``
        Verification mode of each row, position in ``VERIFICATION_MODES``.
    fee_usd : float64 ndarray, shape ``(R,)``
        Fees the client paid for each row, USD.
    upstream_cost_usd : float64 ndarray, shape ``(R,)``
        Cost a proxy node paid a hosted-model provider for each row, USD.
    row0 : int, default 0
        Position of the chunk's first row in the whole log.
    """

    epoch: np.ndarray
    node: np.ndarray
    model: np.ndarray
    requests: np.ndarray
    input_tokens: np.ndarray
    output_tokens: np.ndarray
    busy_seconds: np.ndarray
    verification: np.ndarray
    fee_usd: np.ndarray
    upstream_cost_usd: np.ndarray
    row0: int = 0

    def __len__(self) -> int:
        return int(self.epoch.shape[0])

    def slice(self, start: int, stop: int) -> "TaskChunk":
        """Rows ``start:stop`` of the chunk as a new chunk (views, no copy)."""
        arrays = {k: getattr(self, k)[start:stop] for k in _CHUNK_ARRAYS}
        return TaskChunk(**arrays, row0=self.row0 + start)


_CHUNK_ARRAYS = ("epoch", "node", "model", "requests", "input_tokens", "output_tokens",
                 "busy_seconds", "verification", "fee_usd", "upstream_cost_usd")


@dataclass(frozen=True)
class TaskCoder:
    """What coding a task table needs to know about the rest of the history.

    Parameters
    ----------
    node_ids : Index, shape ``(N,)``
        Node ids of the nodes table, in node-code order.
    model_names : Index
        Model names of the history, in model-code order.
    first_epoch : int
        Absolute index of the history's first epoch (the market table's first).
    n_epochs : int
        Number of epochs in the history; task epochs must lie in ``first_epoch .. first_epoch + n_epochs - 1``.
    joined_epoch : int ndarray, shape ``(N,)``
        First active epoch of each node (absolute, inclusive).
    left_epoch : float ndarray, shape ``(N,)``
        Last active epoch of each node (absolute, inclusive); NaN for a node active to the end.
    epoch_seconds : float
        Length of an epoch, seconds; no row's ``busy_seconds`` may exceed it.
    epoch_origin : Timestamp, optional
        Start of epoch 0 (UTC), needed only when tasks carry a ``timestamp`` column instead of ``epoch``.
    """

    node_ids: pd.Index
    model_names: pd.Index
    first_epoch: int
    n_epochs: int
    joined_epoch: np.ndarray
    left_epoch: np.ndarray  # float, NaN = active to the end
    epoch_seconds: float
    epoch_origin: pd.Timestamp | None = None


def encode_tasks(df: pd.DataFrame, coder: TaskCoder, row0: int = 0, piece: bool = False) -> TaskChunk:
    """Validate one slice of the tasks table and code it against ``coder``.

    Raises the :mod:`fairshare.errors` class that matches the first problem,
    naming rows by their position in the whole log (``row0`` + position).
    ``piece=True`` accepts an empty slice (a row group or partition of a log
    read in place), which checks the columns and types only.

    Parameters
    ----------
    df : DataFrame or pyarrow.Table
        Rows of the tasks table (schema :data:`~fairshare.data.schema.TABLES` ``["tasks"]``), with an
        ``epoch`` or a ``timestamp`` column; a pyarrow table (Parquet as read) is checked on its buffers.
    coder : TaskCoder
        Nodes, models, epochs and active windows to code and check the rows against.
    row0 : int, default 0
        Position of the slice's first row in the whole log.
    piece : bool, default False
        Accept an empty slice.

    Returns
    -------
    TaskChunk
    """
    positions = np.arange(row0, row0 + len(df)) if row0 else None  # messages name rows by position in the log
    if is_arrow_table(df) and "timestamp" in df.column_names:
        df = arrow_frame(df)  # timestamps are parsed by pandas
    df = _epochs_from_timestamps(df, coder, positions)
    values = check_table(df, "tasks", positions=positions, allow_empty=piece)
    for name, spec in table_columns("tasks").items():
        if name not in values and spec.default is not None:
            kind = np.int64 if spec.kind == "int" else np.float64
            values[name] = np.full(len(df), spec.default, dtype=kind)

    epoch = values["epoch"] - coder.first_epoch if coder.first_epoch else values["epoch"]
    if epoch.size and (epoch.min() < 0 or epoch.max() >= coder.n_epochs):  # rows named only when some offend
        outside = (epoch < 0) | (epoch >= coder.n_epochs)
        last = coder.first_epoch + coder.n_epochs - 1
        raise AlignmentError(rows_message(
            "tasks", "epoch", outside, f"have epochs missing from the market table (it covers "
            f"{coder.first_epoch}..{last})", "Extend the market table to those epochs or drop the rows.",
            positions))
    node = code_labels(values["node_id"], coder.node_ids, "tasks", "node_id", "nodes", positions)
    model = code_labels(values["model"], coder.model_names, "tasks", "model", "models", positions)
    verification = _code_verification(values["verification"], positions)

    out_window = _outside_windows(values["epoch"], node, coder)
    if out_window is not None:
        raise RangeError(rows_message(
            "tasks", "epoch", out_window, "fall outside their node's active window "
            "(joined_epoch..left_epoch)", "Check joined_epoch/left_epoch in the nodes table or the task epochs.",
            positions))
    if len(df) and values["busy_seconds"].max() > coder.epoch_seconds:
        over = values["busy_seconds"] > coder.epoch_seconds
        raise RangeError(rows_message(
            "tasks", "busy_seconds", over, f"exceed the epoch length ({coder.epoch_seconds:g} s)",
            "busy_seconds is wall-clock occupancy of one node and cannot exceed the epoch.", positions))
    return TaskChunk(
        epoch=np.ascontiguousarray(epoch, dtype=np.int64), node=node, model=model,
        requests=values["requests"], verification=verification,
        **{k: values[k] for k in _FLOAT_FIELDS}, row0=row0,
    )


def _outside_windows(absolute: np.ndarray, node: np.ndarray, coder: TaskCoder) -> np.ndarray | None:
    """Rows whose epoch lies outside their node's active window, or None when there is none.

    ``absolute`` is known to lie in the market's epochs: a node that joined by the first epoch and
    never left before the last cannot be outside its window, so only the others are looked up.
    """
    first, last = coder.first_epoch, coder.first_epoch + coder.n_epochs - 1
    late = coder.joined_epoch > first
    early_exit = ~np.isnan(coder.left_epoch) & (np.nan_to_num(coder.left_epoch, nan=last) < last)
    if not (late.any() or early_exit.any()):
        return None
    before = absolute < coder.joined_epoch[node] if late.any() else np.zeros(absolute.size, dtype=bool)
    if early_exit.any():
        left = coder.left_epoch[node]
        before |= ~np.isnan(left) & (absolute > np.where(np.isnan(left), 0, left))
    return before if before.any() else None


def _epochs_from_timestamps(df: pd.DataFrame, coder: TaskCoder, positions: np.ndarray) -> pd.DataFrame:
    if "timestamp" not in df.columns:
        return df
    if "epoch" in df.columns:
        raise SchemaError("tasks: both epoch and timestamp columns are present. Keep one of them.")
    if coder.epoch_origin is None:
        raise SchemaError(
            "tasks: a timestamp column needs an explicit epoch origin. Pass epoch_origin= "
            "(and epoch_seconds=) to History.from_frames or History.read."
        )
    ts = pd.to_datetime(df["timestamp"], utc=True, errors="coerce", format="ISO8601")
    bad = ts.isna().to_numpy()
    if bad.any():
        raise SchemaError(rows_message("tasks", "timestamp", bad, "are missing or not parseable as times",
                                       "Use ISO 8601 timestamps.", positions))
    elapsed = (ts - coder.epoch_origin).dt.total_seconds().to_numpy()
    epoch = np.floor(elapsed / coder.epoch_seconds).astype(np.int64)
    return df.drop(columns="timestamp").assign(epoch=epoch)


def _code_verification(labels: Labels, positions: np.ndarray) -> np.ndarray:
    lookup = pd.Index(VERIFICATION_MODES).get_indexer(pd.Index(labels.uniques, dtype=object))
    bad = (lookup < 0)[labels.codes] if (lookup < 0).any() else None
    if bad is not None and bad.any():  # (a Parquet dictionary may hold labels no row uses)
        seen = ", ".join(repr(v) for v in labels.used(bad)[:5])
        raise SchemaError(rows_message("tasks", "verification", bad, f"hold unknown modes ({seen})",
                                       f"Allowed: {', '.join(VERIFICATION_MODES)}.", positions))
    return np.ascontiguousarray(lookup.astype(np.int64)[labels.codes])


class TaskSource(abc.ABC):
    """A task log that yields :class:`TaskChunk` objects in a fixed order.

    A source also splits into :meth:`parts`: smaller sources, in log order, whose
    chunks together are this source's chunks. Parts are picklable, so a worker
    process can read and aggregate one part on its own.
    """

    n_rows: int
    #: True when the whole log was checked as the history was built (a log in memory); a log
    #: read in place is checked by the pass that reads it (:func:`fairshare.aggregate`).
    checked_at_build: bool = False

    @abc.abstractmethod
    def chunks(self) -> Iterator[TaskChunk]:
        """The task log's chunks, in log order."""

    @abc.abstractmethod
    def parts(self) -> list["TaskSource"]:
        """The source's natural pieces (row groups, files, partitions), in log order."""

    def parts_on(self, client) -> list:
        """The parts to hand to ``client``'s workers: sources, or futures of sources already there."""
        return self.parts()

    def sum_into(self, acc: np.ndarray, model_factor: np.ndarray, prefill_weight: float,
                 small_task_tokens: float) -> bool:
        """Add the whole log into ``acc`` (``(F, E, N)``, zero, ``aggregate.FIELDS`` order) in one pass that
        checks, codes and sums each piece as it is read, when the source can; False (``acc`` zero) when it
        cannot, and the caller sums :meth:`chunks`. Raises the data error of the first bad piece."""
        return False

    def take_sums(self, key: tuple) -> np.ndarray | None:
        """The sums the source made as it was built for these parameters (:func:`sums_key`), handed over once
        (the source keeps no copy); None when it has none."""
        return None

    def __len__(self) -> int:
        return self.n_rows


def sums_key(model_factor: np.ndarray, prefill_weight: float, small_task_tokens: float, n_epochs: int,
             n_nodes: int) -> tuple:
    """What per (epoch, node) sums of a log depend on besides the log: work-unit parameters and the shape.

    Parameters
    ----------
    model_factor : ndarray, shape (M,)
        Active parameters of each model over the reference model's.
    prefill_weight, small_task_tokens : float
        Work-unit parameters (:func:`fairshare.aggregate`).
    n_epochs, n_nodes : int
        Shape of the sums.
    """
    return (np.ascontiguousarray(model_factor, dtype=np.float64).tobytes(), float(prefill_weight),
            float(small_task_tokens), int(n_epochs), int(n_nodes))


@dataclass(frozen=True)
class InMemoryTasks(TaskSource):
    """A coded task log held in memory, served in chunks of ``chunk_rows``.

    Parameters
    ----------
    data : TaskChunk
        The whole coded log; its arrays are made read-only (in place) when the source is built.
    chunk_rows : int, default 1048576
        Rows per chunk of :meth:`chunks` and per part of :meth:`parts` (``1 << 20``).
    kept : list, optional
        ``[(key, sums)]``: per (epoch, node) sums made as the log was read (:func:`sums_key`), which the
        first :meth:`take_sums` with that key takes; default none.
    """

    data: TaskChunk
    chunk_rows: int = 1 << 20
    kept: list = field(default_factory=list, repr=False, compare=False)
    n_rows: int = field(init=False)
    checked_at_build = True

    def __post_init__(self):
        object.__setattr__(self, "n_rows", len(self.data))
        for name in _CHUNK_ARRAYS:
            getattr(self.data, name).flags.writeable = False

    def take_sums(self, key: tuple) -> np.ndarray | None:
        if self.kept and self.kept[0][0] == key:
            return self.kept.pop()[1]
        return None

    def __getstate__(self) -> dict:
        return {**self.__dict__, "kept": []}  # a copy sent elsewhere sums its log there if it needs to

    def chunks(self) -> Iterator[TaskChunk]:
        for start in range(0, max(self.n_rows, 1), self.chunk_rows):
            yield self.data.slice(start, min(start + self.chunk_rows, self.n_rows))

    def parts(self) -> list["InMemoryTasks"]:
        """Pieces of about ``chunk_rows`` rows (each holds only its own rows).

        A log sorted by epoch is cut at epoch boundaries, so no (epoch, node)
        cell is split between parts and their sum is exact.
        """
        epoch = self.data.epoch
        cuts = np.arange(0, self.n_rows, self.chunk_rows)
        if self.n_rows and np.all(epoch[1:] >= epoch[:-1]):
            cuts = np.unique(np.searchsorted(epoch, epoch[cuts], side="left"))
        bounds = np.r_[cuts, self.n_rows] if self.n_rows else np.array([0, 0])
        return [InMemoryTasks(self.data.slice(int(a), int(b)), chunk_rows=self.chunk_rows)
                for a, b in zip(bounds[:-1], bounds[1:])]


@dataclass(frozen=True)
class LeftBehind(TaskSource):
    """The task log of a history copy sent without it (:meth:`History.without_tasks`).

    Reading its chunks raises :class:`~fairshare.errors.ConfigError`.

    Parameters
    ----------
    n_rows : int
        Rows of the task log left behind.
    """

    n_rows: int
    checked_at_build = True

    def chunks(self) -> Iterator[TaskChunk]:
        raise ConfigError("this copy of the history was sent without its task log (History.without_tasks); "
                          "aggregate the original, or pass features= to the engine.")

    def parts(self) -> list["LeftBehind"]:
        return [self]
