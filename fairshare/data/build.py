"""Building a validated :class:`~fairshare.data.history.History` from tables.

Table by table checks live in :mod:`.validate`; this module adds the checks
that need more than one table (unique keys, contiguous epochs, active windows,
busy time per node and epoch) and codes everything into arrays.
"""

from __future__ import annotations

import re
from dataclasses import fields
from datetime import date

import numpy as np
import pandas as pd

from .._distributed import fold_ordered
from ..errors import AlignmentError, ConfigError, DataError, RangeError, SchemaError
from .onepass import FastCoder
from .schema import HARDWARE_TIERS, MODEL_ACTIVE_PARAMS_B, NODE_ROLES, NODE_TIERS, POOL_COLUMN, pool_column
from .source import InMemoryTasks, TaskChunk, TaskCoder, TaskSource, encode_tasks
from .validate import Labels, check_contiguous, check_table, check_unique, code_labels, is_arrow_table, rows_message

__all__ = ["build_parts", "normalise_epochs", "build_nodes", "build_market", "build_models", "build_updates",
           "build_pools", "busy_per_epoch_node", "check_busy", "coder_for"]


def normalise_epochs(epoch_seconds, epoch_origin) -> tuple[float, pd.Timestamp | None]:
    """Checked epoch length (seconds) and epoch origin as a UTC timestamp (or None).

    Parameters
    ----------
    epoch_seconds : float
        Epoch length, seconds; finite and > 0.
    epoch_origin : str, datetime, pandas.Timestamp or None
        Start of epoch 0; a naive time is taken as UTC.
    """
    number = isinstance(epoch_seconds, (int, float, np.integer, np.floating)) and not isinstance(
        epoch_seconds, (bool, np.bool_))
    seconds = float(epoch_seconds) if number else float("nan")
    if not (np.isfinite(seconds) and seconds > 0):
        raise ConfigError(f"epoch_seconds must be a positive number of seconds, got {epoch_seconds!r}"
                          f"{'' if number else ' (a ' + type(epoch_seconds).__name__ + ')'}.")
    if epoch_origin is None:
        return seconds, None
    try:  # a date or time; a bare number would be read as nanoseconds since 1970, so it is refused
        origin = pd.Timestamp(epoch_origin) if isinstance(epoch_origin, (str, date, np.datetime64)) else pd.NaT
    except (ValueError, OverflowError):
        origin = pd.NaT
    if origin is pd.NaT:
        raise ConfigError(f"epoch_origin must be a date or time (e.g. '2026-04-21T00:00:00Z'), got {epoch_origin!r}.")
    return seconds, origin.tz_localize("UTC") if origin.tzinfo is None else origin.tz_convert("UTC")


def build_parts(nodes: pd.DataFrame, market: pd.DataFrame, models: pd.DataFrame | None,
                pools: pd.DataFrame | None = None) -> dict:
    """Everything of a history but its task log, stake and uptime: validated and coded.

    Parameters
    ----------
    nodes, market : pandas.DataFrame
        The nodes and market tables (the market may hold ``emission_<pool>_tokens`` columns).
    models : pandas.DataFrame or None
        The models table; None uses the built-in registry.
    pools : pandas.DataFrame or None
        The pools table (``pool``, ``pays``); None: one pool paying inference nodes, the market's
        ``emission_tokens``.
    """
    pool_cols = [c for c in getattr(market, "columns", ()) if isinstance(c, str) and re.match(POOL_COLUMN, c)]
    market_only = market.drop(columns=pool_cols) if pool_cols else market
    parts = {**build_nodes(nodes), **build_market(market_only), **build_models(models)}
    parts.update(build_pools(pools, market, pool_cols, parts))
    return parts


def build_nodes(nodes: pd.DataFrame) -> dict:
    """Validated node arrays: labels, operator codes, tier codes, numeric columns.

    Parameters
    ----------
    nodes : pandas.DataFrame
        The nodes table (a ``tier`` column, or hardware with a known tier).
    """
    cols = check_table(nodes, "nodes")
    check_unique(cols["node_id"], "nodes", "node_id")
    cols = {k: v.values if isinstance(v, Labels) else v for k, v in cols.items()}
    if "left_epoch" not in cols:
        cols["left_epoch"] = np.full(len(nodes), np.nan)
    left = cols["left_epoch"]
    early = ~np.isnan(left) & (left < cols["joined_epoch"])
    if early.any():
        raise RangeError(rows_message("nodes", "left_epoch", early, "are before joined_epoch",
                                      "A node's active window joined_epoch..left_epoch must not be empty."))
    if "tier" in cols:
        tier_labels = cols.pop("tier")
        column = "tier"
    else:
        tier_labels = np.array([HARDWARE_TIERS.get(h, None) for h in cols["hardware"]], dtype=object)
        unknown = np.array([t is None for t in tier_labels])
        if unknown.any():
            seen = ", ".join(repr(v) for v in pd.unique(cols["hardware"][unknown])[:5])
            raise SchemaError(rows_message(
                "nodes", "hardware", unknown, f"name hardware without a known tier ({seen})",
                f"Add a tier column ({', '.join(NODE_TIERS)}) to the nodes table."))
        column = "hardware"
    tier_codes = pd.Index(NODE_TIERS).get_indexer(pd.Index(tier_labels))
    bad = tier_codes < 0
    if bad.any():
        seen = ", ".join(repr(v) for v in pd.unique(tier_labels[bad])[:5])
        raise SchemaError(rows_message("nodes", column, bad, f"hold unknown tiers ({seen})",
                                       f"Allowed tiers: {', '.join(NODE_TIERS)}."))
    role_codes = None
    if "role" in cols:
        role_labels = cols.pop("role")
        role_codes = pd.Index(NODE_ROLES).get_indexer(pd.Index(role_labels))
        bad = role_codes < 0
        if bad.any():
            seen = ", ".join(repr(v) for v in pd.unique(role_labels[bad])[:5])
            raise SchemaError(rows_message("nodes", "role", bad, f"hold unknown roles ({seen})",
                                           f"Allowed roles: {', '.join(NODE_ROLES)}."))
        role_codes = np.ascontiguousarray(role_codes.astype(np.int64))
    node_ids = pd.Index(cols.pop("node_id"), dtype=object, name="node_id")
    operator_labels = cols.pop("operator_id")
    operator_ids = pd.Index(sorted(pd.unique(operator_labels)), dtype=object, name="operator_id")
    return {
        "node_ids": node_ids,
        "operator_ids": operator_ids,
        "node_operator": code_labels(operator_labels, operator_ids, "nodes", "operator_id", "operators"),
        "node_tier": np.ascontiguousarray(tier_codes.astype(np.int64)),
        "node_hardware": cols.pop("hardware"),
        "node_region": cols.pop("region"),
        "node_values": cols,
        "node_role": role_codes,
    }


def build_market(market: pd.DataFrame) -> dict:
    """Market arrays ordered by epoch; epochs must be unique and contiguous.

    Parameters
    ----------
    market : pandas.DataFrame
        The market table: one row per epoch.
    """
    cols = check_table(market, "market")
    check_unique(cols["epoch"], "market", "epoch")
    order = np.argsort(cols["epoch"], kind="stable")
    epochs = cols["epoch"][order]
    check_contiguous(epochs, "market", "epoch")  # from the gaps: no allocation sized by the span
    return {
        "epochs": np.ascontiguousarray(epochs),
        "emission_tokens": np.ascontiguousarray(cols["emission_tokens"][order]),
        "token_price_usd": np.ascontiguousarray(cols["token_price_usd"][order]),
    }


def build_models(models: pd.DataFrame | None) -> dict:
    """Model labels and active parameters; the built-in registry when ``models`` is None.

    Parameters
    ----------
    models : pandas.DataFrame or None
        ``model`` and ``active_params_b``; None uses :data:`~fairshare.data.schema.MODEL_ACTIVE_PARAMS_B`.
    """
    if models is None:
        names = sorted(MODEL_ACTIVE_PARAMS_B)
        params = np.array([MODEL_ACTIVE_PARAMS_B[n] for n in names], dtype=np.float64)
        return {"model_names": pd.Index(names, dtype=object, name="model"), "model_params_b": params,
                "models_given": False}
    cols = check_table(models, "models")
    check_unique(cols["model"], "models", "model")
    names, params = cols["model"].values, cols["active_params_b"]
    return {"model_names": pd.Index(names, dtype=object, name="model"), "model_params_b": params,
            "models_given": True}


def build_pools(pools: pd.DataFrame | None, market: pd.DataFrame, pool_cols: list, parts: dict) -> dict:
    """Emission pools: names, the roles each pays, and tokens per epoch ``(E, P)`` in epoch order.

    Without a pools table and pool columns, the history has one pool, ``inference``, paying
    inference nodes the market's ``emission_tokens`` (what every history had before pools).
    With them, every pool has a market column ``emission_<pool>_tokens`` and a pools row, a
    pool pays either nodes that serve (inference, gateway) or validators, and ``emission_tokens``
    must equal the sum of the pools in every epoch (the rules split that sum).

    Parameters
    ----------
    pools : pandas.DataFrame or None
        The pools table (``pool``, ``pays``).
    market : pandas.DataFrame
        The market table as given (with its pool columns).
    pool_cols : list of str
        The market's ``emission_<pool>_tokens`` columns.
    parts : dict
        The coded nodes and market (``epochs``, ``emission_tokens``).
    """
    if pools is None and not pool_cols:
        return {"pool_names": (), "pool_pays": (), "pool_emission_tokens": None}
    if pools is None:
        raise SchemaError(f"market: pool column(s) {', '.join(pool_cols)} without a pools table. Add a pools "
                          "table (pool, pays) saying which roles each pool pays.")
    cols = check_table(pools, "pools")
    check_unique(cols["pool"], "pools", "pool")
    names = [str(n) for n in cols["pool"].values]
    missing = [n for n in names if pool_column(n) not in pool_cols]
    extra = [c for c in pool_cols if re.match(POOL_COLUMN, c).group(1) not in names]
    if missing or extra:
        raise SchemaError(f"pools: pools {missing} have no market column emission_<pool>_tokens and market columns "
                          f"{extra} have no pools row. Give each pool one market column and one pools row.")
    pays = []
    for i, text in enumerate(cols["pays"].values):
        roles = str(text).split("+")
        unknown = [r for r in roles if r not in NODE_ROLES]
        if unknown or not roles or ("validator" in roles and len(roles) > 1):
            raise SchemaError(f"pools.pays: row {i} ({text!r}) must name roles among {', '.join(NODE_ROLES)} joined "
                              "by '+', and a validator pool pays validators only.")
        pays.append("+".join(r for r in NODE_ROLES if r in roles))
    order = np.argsort(market["epoch"].to_numpy(), kind="stable")
    matrix = np.empty((parts["epochs"].size, len(names)))
    for k, name in enumerate(names):
        column = pool_column(name)
        values = pd.to_numeric(market[column], errors="coerce").to_numpy(dtype=np.float64)
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            raise RangeError(rows_message("market", column, bad, "are missing, infinite or negative",
                                          "Emission per pool is a number of tokens >= 0."))
        matrix[:, k] = values[order]
    total = matrix.sum(axis=1)
    off = ~np.isclose(total, parts["emission_tokens"], rtol=1e-12, atol=1e-9)
    if off.any():
        raise AlignmentError(rows_message("market", "emission_tokens", off[np.argsort(order)],
                                          "differ from the sum of the pool columns",
                                          "emission_tokens is what the rules split: the sum of the pools."))
    return {"pool_names": tuple(names), "pool_pays": tuple(pays),
            "pool_emission_tokens": np.ascontiguousarray(matrix)}


def build_updates(df: pd.DataFrame | None, table: str, value: str, node_ids: pd.Index,
                  epochs: np.ndarray) -> dict | None:
    """Coded (epoch index, node index, value) arrays of a stake or uptime table.

    Parameters
    ----------
    df : pandas.DataFrame or None
        The stake or uptime table; None returns None.
    table : str
        Its name in messages and the schema (``"stake"`` or ``"uptime"``).
    value : str
        Its value column (``"stake_tokens"`` or ``"online_seconds"``).
    node_ids : pandas.Index
        The history's node labels.
    epochs : ndarray, shape (E,)
        The history's epochs; rows outside them raise.
    """
    if df is None:
        return None
    cols = check_table(df, table, allow_empty=True)  # optional: no rows is no update
    epoch, values = cols["epoch"], cols[value]
    node = code_labels(cols["node_id"], node_ids, table, "node_id", "nodes")
    outside = (epoch < epochs[0]) | (epoch > epochs[-1])
    if outside.any():
        raise AlignmentError(rows_message(table, "epoch", outside,
                                          f"are outside the market epochs {epochs[0]}..{epochs[-1]}",
                                          "Drop them or extend the market table."))
    dup = pd.MultiIndex.from_arrays([epoch, node]).duplicated(keep=False)
    if dup.any():
        raise SchemaError(rows_message(table, "epoch", dup, "repeat an (epoch, node_id) pair",
                                       f"Give each node at most one {table} row per epoch."))
    return {"epoch": np.ascontiguousarray(epoch - epochs[0]), "node": node, "value": values}


def coder_for(parts: dict, epoch_seconds: float, epoch_origin) -> TaskCoder:
    """The :class:`TaskCoder` for a history being built from ``parts``.

    Parameters
    ----------
    parts : dict
        What :func:`build_parts` returned.
    epoch_seconds : float
        Epoch length, seconds.
    epoch_origin : pandas.Timestamp or None
        Start of epoch 0, for tasks with timestamps.
    """
    return TaskCoder(
        node_ids=parts["node_ids"], model_names=parts["model_names"],
        first_epoch=int(parts["epochs"][0]), n_epochs=int(parts["epochs"].size),
        joined_epoch=parts["node_values"]["joined_epoch"], left_epoch=parts["node_values"]["left_epoch"],
        epoch_seconds=float(epoch_seconds), epoch_origin=epoch_origin,
    )


#: Rows a task table read from Parquet is checked and coded in at a time (cache-sized pieces).
_PIECE_ROWS = 1 << 20


def encode_frame(tasks: pd.DataFrame, coder: TaskCoder) -> TaskSource:
    """The in-memory task source of a whole tasks table.

    A pyarrow table (a Parquet task log as read) in the usual layout is checked and coded in one pass
    (:class:`~.onepass.FastCoder`). Any other pyarrow table is checked and coded piece by piece, which
    keeps the working arrays small; every check is row by row, so
    the pieces put together are the whole table coded at once. Should a piece fail a check, the whole table
    is checked again, so that the error names the first problem of the whole log with all its rows, as for
    a pandas table.
    """
    if not is_arrow_table(tasks):
        return InMemoryTasks(encode_tasks(tasks, coder, row0=0))
    fast = FastCoder(coder)
    if tasks.num_rows and fast.usable(tasks.schema):
        chunk = fast.code(tasks)
        if chunk is not None:
            return InMemoryTasks(chunk)
    return _encode_pieces(tasks, coder)


def _encode_pieces(tasks, coder: TaskCoder) -> TaskSource:
    import pyarrow as pa

    if tasks.num_rows <= _PIECE_ROWS:
        return InMemoryTasks(encode_tasks(tasks, coder, row0=0))
    names = [f.name for f in fields(TaskChunk) if f.name != "row0"]
    whole, row0 = None, 0
    try:
        for batch in tasks.to_batches(max_chunksize=_PIECE_ROWS):
            piece = encode_tasks(pa.Table.from_batches([batch]), coder, row0=row0, piece=True)
            if whole is None:
                whole = {k: np.empty(tasks.num_rows, dtype=getattr(piece, k).dtype) for k in names}
            for k in names:  # each piece goes into place at once: only the whole log and one piece are held
                np.copyto(whole[k][row0:row0 + len(piece)], getattr(piece, k), casting="no")
            row0 += len(piece)
    except DataError:
        return InMemoryTasks(encode_tasks(tasks, coder, row0=0))  # raises, naming every offending row
    return InMemoryTasks(TaskChunk(**whole, row0=0))


def busy_per_epoch_node(source: TaskSource, n_epochs: int, n_nodes: int, client=None) -> np.ndarray:
    """Busy seconds summed per (epoch, node), part by part in log order (exact and repeatable).

    With a ``dask.distributed`` client each part of the source is summed on a worker.

    Parameters
    ----------
    source : TaskSource
        The task log.
    n_epochs, n_nodes : int
        Shape of the result.
    client : dask.distributed.Client, optional
        Sum each part of the log on this cluster's workers.
    """
    total = np.zeros(n_epochs * n_nodes, dtype=np.float64)
    parts = [source] if client is None else source.parts_on(client)
    fold_ordered(client, _busy_of_part, parts, total.__iadd__, n_epochs, n_nodes)
    return total.reshape(n_epochs, n_nodes)


def _busy_of_part(source: TaskSource, n_epochs: int, n_nodes: int) -> np.ndarray:
    total = np.zeros(n_epochs * n_nodes, dtype=np.float64)
    for chunk in source.chunks():
        total += busy_of_chunk(chunk, n_epochs, n_nodes)
    return total


def busy_of_chunk(chunk: TaskChunk, n_epochs: int, n_nodes: int) -> np.ndarray:
    """Busy seconds of one chunk per (epoch, node), flattened ``(E * N,)``."""
    return np.bincount(chunk.epoch * n_nodes + chunk.node, weights=chunk.busy_seconds, minlength=n_epochs * n_nodes)


def check_busy(busy: np.ndarray, online: np.ndarray, node_ids: pd.Index, epochs: np.ndarray,
               epoch_seconds: float, uptime_given: bool) -> None:
    """Busy time per node and epoch must fit in the epoch and in the node's online time.

    Parameters
    ----------
    busy : ndarray, shape (E, N)
        Busy seconds per epoch and node.
    online : ndarray, shape (E, N)
        Online seconds per epoch and node.
    node_ids : pandas.Index
        Node labels, for the message.
    epochs : ndarray, shape (E,)
        Epoch numbers, for the message.
    epoch_seconds : float
        Epoch length, seconds.
    uptime_given : bool
        Compare with ``online`` (an uptime table was given) instead of the epoch length.
    """
    # without an uptime table the limit is one number: compared as such (no (E, N) array of it)
    limit, what = (online, "its online_seconds (uptime table)") if uptime_given else (
        epoch_seconds, f"the epoch length ({epoch_seconds:g} s)")
    if uptime_given:
        over = busy > limit * (1 + 1e-12)
    elif busy.size and busy.max() > limit * (1 + 1e-12):
        over = busy > limit * (1 + 1e-12)
    else:
        return
    if over.any():
        e, n = np.nonzero(over)
        pairs = ", ".join(f"(epoch {epochs[i]}, node {node_ids[j]!r}: {busy[i, j]:g} s)"
                          for i, j in zip(e[:5], n[:5]))
        raise RangeError(
            f"tasks.busy_seconds: the busy time of {e.size} (epoch, node) pair(s) exceeds {what}: "
            f"{pairs}{', ...' if e.size > 5 else ''}. busy_seconds is wall-clock occupancy: rows of "
            "one node in one epoch must not add up to more than the node was online."
        )
