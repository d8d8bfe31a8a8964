"""``History``: validated, integer-coded, frozen task and node data.

A history is what happened on a network: its nodes, the tasks they served
(a chunked source, possibly streamed from disk), the market (emission and
token price per epoch), and optionally model sizes, stake changes and uptime.
Pandas stops at its edge: inside are contiguous arrays plus label indexes, and
the pandas views (:attr:`History.nodes`, :attr:`History.tasks`, ...) rebuild
labelled tables on demand.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ConfigError, RangeError
from . import build
from .metadata import DatasetInfo, baseline_rule
from .partitioned import DaskTasks, is_dask_frame
from .schema import NODE_ROLES, NODE_TIERS, VERIFICATION_MODES, pool_column
from .source import LeftBehind, TaskSource
from .validate import offending

__all__ = ["History", "DEFAULT_EPOCH_SECONDS"]

#: One day, DESIGN.md's default epoch length.
DEFAULT_EPOCH_SECONDS = 86_400.0


@dataclass(frozen=True, eq=False)
class History:
    """Validated network history. Build it with :meth:`from_frames` or :meth:`read`.

    Shapes: ``E`` epochs, ``N`` nodes, ``O`` operators, ``M`` models. Node
    arrays have shape ``(N,)`` in the order of the input nodes table; market
    arrays ``(E,)`` in epoch order; operator and model labels are sorted.

    Parameters
    ----------
    node_ids : pandas.Index
        Node labels, ``(N,)``, in the order of the nodes table.
    operator_ids : pandas.Index
        Operator labels, ``(O,)``, sorted.
    node_operator : ndarray of int64, shape (N,)
        Operator code (position in ``operator_ids``) of each node.
    node_tier : ndarray of int64, shape (N,)
        Tier code (position in :data:`~fairshare.data.NODE_TIERS`) of each node.
    node_hardware, node_region : ndarray, shape (N,)
        Hardware and region label of each node.
    node_values : dict of str to ndarray
        The other node columns, ``(N,)`` each (power, PUE, tariff, capex, lifetime, stake,
        ``joined_epoch``, ``left_epoch`` with NaN for nodes that never left, ...).
    model_names : pandas.Index
        Model labels, ``(M,)``, sorted.
    model_params_b : ndarray, shape (M,)
        Active parameters of each model, billions.
    models_given : bool
        Whether a models table was given (False: the built-in registry).
    epochs : ndarray of int64, shape (E,)
        Epoch numbers, contiguous and ascending.
    emission_tokens, token_price_usd : ndarray, shape (E,)
        Tokens emitted to nodes and token price (USD) in each epoch.
    online_seconds : ndarray, shape (E, N)
        Time each node was online in each epoch, seconds (the whole epoch while active, unless an uptime
        table says otherwise).
    stake_updates : dict or None
        Coded stake table: ``epoch`` (index into ``epochs``), ``node`` (index) and ``value`` (tokens)
        arrays; None without a stake table.
    uptime_given : bool
        Whether an uptime table was given.
    tasks_source : TaskSource
        The task log, in memory or read in place.
    epoch_seconds : float, default DEFAULT_EPOCH_SECONDS
        Epoch length, seconds.
    epoch_origin : pandas.Timestamp, optional
        Start of epoch 0 (UTC), when known.
    provenance : dict, optional
        Where the history came from: the files read and their SHA-256, or the built-in network's
        configuration and seed.
    node_role : ndarray of int64, shape (N,), optional
        Role code (position in :data:`~fairshare.data.schema.NODE_ROLES`) of each node; None when the
        nodes table has no ``role`` column (every node an inference node).
    pool_names, pool_pays : tuple of str
        Emission pools and the roles each pays (``"validator"``, ``"inference+gateway"``, ...); empty when
        the history has no pools table (one implicit pool paying inference nodes ``emission_tokens``).
    pool_emission_tokens : ndarray, shape (E, P), optional
        Tokens each pool emits in each epoch (their sum is ``emission_tokens``); None without pools.
    metadata : DatasetInfo, optional
        What the data are (network, synthetic or real, baseline rule, price basis); None for a user's
        history that did not state it.
    """

    node_ids: pd.Index
    operator_ids: pd.Index
    node_operator: np.ndarray
    node_tier: np.ndarray
    node_hardware: np.ndarray
    node_region: np.ndarray
    node_values: dict
    model_names: pd.Index
    model_params_b: np.ndarray
    models_given: bool
    epochs: np.ndarray
    emission_tokens: np.ndarray
    token_price_usd: np.ndarray
    online_seconds: np.ndarray
    stake_updates: dict | None
    uptime_given: bool
    tasks_source: TaskSource
    epoch_seconds: float = DEFAULT_EPOCH_SECONDS
    epoch_origin: pd.Timestamp | None = None
    provenance: dict = field(default_factory=dict)
    node_role: np.ndarray | None = None
    pool_names: tuple = ()
    pool_pays: tuple = ()
    pool_emission_tokens: np.ndarray | None = None
    metadata: DatasetInfo | None = None

    def __post_init__(self):
        for value in self.__dict__.values():
            _freeze(value)

    # ------------------------------------------------------------------ build
    @classmethod
    def from_frames(cls, nodes: pd.DataFrame, tasks: pd.DataFrame, market: pd.DataFrame, *,
                    models: pd.DataFrame | None = None, stake: pd.DataFrame | None = None,
                    uptime: pd.DataFrame | None = None, epoch_seconds: float = DEFAULT_EPOCH_SECONDS,
                    epoch_origin=None, provenance: dict | None = None, pools: pd.DataFrame | None = None,
                    metadata: DatasetInfo | None = None) -> "History":
        """Validate pandas tables and build a history (the tables are not modified).

        Parameters
        ----------
        nodes, tasks, market : DataFrame
            The required tables; columns and units are in README.md's schema. ``tasks``
            may be a dask DataFrame: it then stays where it is and is read partition by
            partition by every pass over the log (see :meth:`validate`).
        models : DataFrame, optional
            ``model``, ``active_params_b``. Without it, the models fairshare knows
            (:data:`~fairshare.data.schema.MODEL_ACTIVE_PARAMS_B`) are used and any
            other model raises :class:`~fairshare.errors.AlignmentError`.
        stake : DataFrame, optional
            ``epoch``, ``node_id``, ``stake_tokens``: a node's stake from that epoch
            on (until its next row); before its first row, ``nodes.stake_tokens``.
        uptime : DataFrame, optional
            ``epoch``, ``node_id``, ``online_seconds``. Without it a node is online
            for the whole epoch while active; with it, pairs without a row are
            online for the whole epoch while active.
        epoch_seconds : float
            Epoch length; busy time per node and epoch may not exceed it.
        epoch_origin : timestamp, optional
            Start of epoch 0, needed when tasks carry ``timestamp`` instead of ``epoch``.
        provenance : dict, optional
            Where the tables came from (kept as given).
        pools : DataFrame, optional
            ``pool``, ``pays``: the emission pools whose ``emission_<pool>_tokens`` columns the market
            table holds, and the roles each pays (README "Data schema").
        metadata : DatasetInfo, optional
            What the data are (network, synthetic or real, baseline, price basis).
        """
        if metadata is not None and not isinstance(metadata, DatasetInfo):
            raise ConfigError(f"metadata must be a fairshare.data.DatasetInfo, got {type(metadata).__name__}.")
        epoch_seconds, origin = build.normalise_epochs(epoch_seconds, epoch_origin)
        parts = build.build_parts(nodes, market, models, pools)
        coder = build.coder_for(parts, epoch_seconds, origin)
        source = DaskTasks(tasks, coder) if is_dask_frame(tasks) else build.encode_frame(tasks, coder)
        return cls._assemble(parts, source, stake, uptime, epoch_seconds, origin, provenance or {}, metadata)

    @classmethod
    def _assemble(cls, parts, source, stake, uptime, epoch_seconds, origin, provenance,
                  metadata=None, busy=None) -> "History":
        """The history of checked tables (``parts``) and a task ``source``; ``busy`` ``(E, N)``: the log's busy
        seconds per (epoch, node) when already summed (a log in memory), else None."""
        epochs, node_ids = parts["epochs"], parts["node_ids"]
        active = _active_mask(epochs, parts["node_values"])
        online = np.where(active, float(epoch_seconds), 0.0)
        up = build.build_updates(uptime, "uptime", "online_seconds", node_ids, epochs)
        if up is not None:
            over = up["value"] > epoch_seconds
            if over.any():
                raise RangeError(f"uptime.online_seconds: {offending(over)} exceed the epoch length "
                                 f"({epoch_seconds:g} s). Online time is measured within one epoch.")
            idle = (up["value"] > 0) & ~active[up["epoch"], up["node"]]
            if idle.any():
                raise RangeError(f"uptime.online_seconds: {offending(idle)} give online time outside the "
                                 "node's active window. Fix joined_epoch/left_epoch or the uptime rows.")
            online[up["epoch"], up["node"]] = up["value"]
        if source.checked_at_build:  # a log read in place is checked by the pass that reads it
            if busy is None:
                busy = build.busy_per_epoch_node(source, epochs.size, len(node_ids))
            build.check_busy(busy, online, node_ids, epochs, epoch_seconds, up is not None)
        stake_updates = build.build_updates(stake, "stake", "stake_tokens", node_ids, epochs)
        return cls(**parts, online_seconds=online, stake_updates=stake_updates, uptime_given=up is not None,
                   tasks_source=source, epoch_seconds=float(epoch_seconds), epoch_origin=origin,
                   provenance=dict(provenance), metadata=metadata)

    @classmethod
    def read(cls, path, **options) -> "History":
        """Read a history directory written by :meth:`write` (or laid out the same way).

        See :func:`fairshare.data.io.read_history` for the layout and options.
        """
        from .io import read_history

        return read_history(Path(path), **options)

    def write(self, directory, format: str = "parquet", overwrite: bool = False) -> Path:
        """Write the history to ``directory`` (atomically); see :func:`fairshare.data.io.write_history`."""
        from .io import write_history

        return write_history(self, Path(directory), format=format, overwrite=overwrite)

    def validate(self, client=None) -> "History":
        """Read the whole task log once and check it; return the history.

        A log held in memory is checked when the history is built. A log read in
        place (``History.read(..., stream=True)``, a dask DataFrame) is checked by
        every pass that reads it: each row as it is read, busy time per (epoch,
        node) by :func:`fairshare.aggregate`. Call this to check such a log up
        front; with a ``dask.distributed`` client its parts are read on the workers.
        """
        self.check_busy(build.busy_per_epoch_node(self.tasks_source, self.n_epochs, self.n_nodes, client=client))
        return self

    def check_busy(self, busy: np.ndarray) -> None:
        """Raise :class:`~fairshare.errors.RangeError` where ``(E, N)`` busy seconds exceed online time."""
        build.check_busy(busy, self.online_seconds, self.node_ids, self.epochs, self.epoch_seconds, self.uptime_given)

    # ------------------------------------------------------------------ views
    @property
    def n_epochs(self) -> int:
        return int(self.epochs.size)

    @property
    def n_nodes(self) -> int:
        return len(self.node_ids)

    @property
    def n_operators(self) -> int:
        return len(self.operator_ids)

    @property
    def n_tasks(self) -> int:
        """Rows in the task log (a row may be a settled batch of requests)."""
        return len(self.tasks_source)

    @property
    def active(self) -> np.ndarray:
        """``(E, N)`` bool: node within its joined_epoch..left_epoch window."""
        return _active_mask(self.epochs, self.node_values)

    @property
    def tier_labels(self) -> np.ndarray:
        """Tier label of each node, ``(N,)``."""
        return np.asarray(NODE_TIERS, dtype=object)[self.node_tier]

    @property
    def role_labels(self) -> np.ndarray:
        """Role of each node, ``(N,)`` (``"inference"`` for every node of a table without roles)."""
        codes = np.zeros(self.n_nodes, dtype=np.int64) if self.node_role is None else self.node_role
        return np.asarray(NODE_ROLES, dtype=object)[codes]

    @property
    def baseline(self):
        """The rule this network pays with today (``metadata.baseline``), as a reward rule.

        :class:`~fairshare.errors.ConfigError` when the history does not name one (a user's history).
        """
        if self.metadata is None or not self.metadata.baseline:
            raise ConfigError("this history names no baseline rule (metadata.baseline); pass the rule you compare "
                              "against explicitly, or build the history with metadata=DatasetInfo(..., baseline=...).")
        return baseline_rule(self.metadata.baseline)

    @property
    def pools(self) -> pd.DataFrame | None:
        """The pools table (``pool``, ``pays``), or None for a history with the one implicit pool."""
        if not self.pool_names:
            return None
        return pd.DataFrame({"pool": list(self.pool_names), "pays": list(self.pool_pays)})

    @property
    def nodes(self) -> pd.DataFrame:
        """The nodes table as validated (tier filled in from hardware when it was absent)."""
        v = self.node_values
        df = pd.DataFrame({
            "node_id": np.asarray(self.node_ids, dtype=object),
            "operator_id": np.asarray(self.operator_ids, dtype=object)[self.node_operator],
            "hardware": self.node_hardware,
            **{k: v[k] for k in ("gpu_count", "power_w", "idle_power_w", "pue", "electricity_usd_per_kwh",
                                 "capex_usd", "lifetime_days", "residual_fraction", "stake_tokens",
                                 "joined_epoch")},
            "left_epoch": pd.array(np.where(np.isnan(v["left_epoch"]), 0, v["left_epoch"]).astype(np.int64),
                                   dtype="Int64"),
            "region": self.node_region,
            "tier": self.tier_labels,
        })
        df.loc[np.isnan(v["left_epoch"]), "left_epoch"] = pd.NA
        if self.node_role is not None:
            df["role"] = self.role_labels
        if "rent_usd_per_day" in v:
            df["rent_usd_per_day"] = v["rent_usd_per_day"]
        return df

    @property
    def market(self) -> pd.DataFrame:
        df = pd.DataFrame({"epoch": self.epochs, "emission_tokens": self.emission_tokens,
                           "token_price_usd": self.token_price_usd})
        for k, name in enumerate(self.pool_names):
            df[pool_column(name)] = self.pool_emission_tokens[:, k]
        return df

    @property
    def models(self) -> pd.DataFrame:
        return pd.DataFrame({"model": np.asarray(self.model_names, dtype=object),
                             "active_params_b": self.model_params_b})

    @property
    def tasks(self) -> pd.DataFrame:
        """The whole task log as a labelled table (materialised: mind the size).

        A log read in place is checked as it is read, busy time per (epoch, node) included.
        """
        check = not self.tasks_source.checked_at_build
        frames, busy = [], np.zeros(self.n_epochs * self.n_nodes if check else 0)
        for c in self.tasks_source.chunks():
            frames.append(self._chunk_frame(c))
            if check:
                busy += build.busy_of_chunk(c, self.n_epochs, self.n_nodes)
        if check:
            self.check_busy(busy.reshape(self.n_epochs, self.n_nodes))
        return pd.concat(frames, ignore_index=True) if frames else self._chunk_frame(None)

    def without_tasks(self) -> "History":
        """This history with its task log left behind (what the engines send to dask workers).

        Everything but the task rows is kept; reading the tasks of the copy raises
        :class:`~fairshare.errors.ConfigError`.
        """
        return replace(self, tasks_source=LeftBehind(self.n_tasks))

    def _chunk_frame(self, c) -> pd.DataFrame:
        nodes = np.asarray(self.node_ids, dtype=object)
        models = np.asarray(self.model_names, dtype=object)
        modes = np.asarray(VERIFICATION_MODES, dtype=object)
        return pd.DataFrame({
            "epoch": c.epoch + self.epochs[0], "node_id": nodes[c.node], "model": models[c.model],
            "requests": c.requests, "input_tokens": c.input_tokens, "output_tokens": c.output_tokens,
            "busy_seconds": c.busy_seconds, "verification": modes[c.verification], "fee_usd": c.fee_usd,
            "upstream_cost_usd": c.upstream_cost_usd,
        })

    def table(self, name: str) -> pd.DataFrame | None:
        """Any table by name: nodes, tasks, market, models, pools, stake or uptime (None if absent)."""
        if name in ("nodes", "tasks", "market", "models", "pools"):
            return getattr(self, name)
        updates = {"stake": (self.stake_updates, "stake_tokens"), "uptime": (self._uptime_rows(), "online_seconds")}
        data, column = updates[name]
        if data is None:
            return None
        return pd.DataFrame({"epoch": data["epoch"] + self.epochs[0],
                             "node_id": np.asarray(self.node_ids, dtype=object)[data["node"]],
                             column: data["value"]})

    def _uptime_rows(self) -> dict | None:
        if not self.uptime_given:
            return None
        e, n = np.nonzero(self.active)
        return {"epoch": e, "node": n, "value": self.online_seconds[e, n]}

    def equals(self, other: "History") -> bool:
        """True when both histories hold the same data, bit for bit."""
        if not isinstance(other, History):
            return False
        names = ("nodes", "tasks", "market", "models", "pools", "stake", "uptime")
        same = all(_frames_equal(self.table(n), other.table(n)) for n in names)
        return same and self.epoch_seconds == other.epoch_seconds and self.epoch_origin == other.epoch_origin

    def __repr__(self) -> str:
        return (f"History({self.n_nodes} nodes, {self.n_operators} operators, {self.n_tasks} task rows, "
                f"epochs {self.epochs[0]}..{self.epochs[-1]}, epoch_seconds={self.epoch_seconds:g})")


def _active_mask(epochs: np.ndarray, node_values: dict) -> np.ndarray:
    joined = node_values["joined_epoch"]
    left = node_values["left_epoch"]
    last = np.where(np.isnan(left), np.inf, left)
    e = epochs[:, None]
    return (e >= joined[None, :]) & (e <= last[None, :])


def _frames_equal(a: pd.DataFrame | None, b: pd.DataFrame | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    try:
        pd.testing.assert_frame_equal(a, b, check_exact=True, check_dtype=False)
    except AssertionError:
        return False
    return True


def _freeze(value) -> None:
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    elif isinstance(value, dict):
        for v in value.values():
            _freeze(v)
