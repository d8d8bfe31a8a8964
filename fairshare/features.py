"""Aggregation of a history into per (epoch, node) features, and per operator.

:func:`aggregate` makes one pass over the task log, chunk by chunk, in a numba
kernel, then adds what depends only on nodes and epochs (online time, energy,
stake). Every array of a :class:`Features` has shape ``(E, K)``: epochs by
entities, where entities are nodes or (after :meth:`Features.by_operator`)
operators.

Work units (DESIGN.md "Units, time and identity") measure useful compute:

``work = (prefill_weight * input_tokens + output_tokens) * active_params_b / size_reference_params_b``

=========================  =========  ===============================================================
parameter                  default    source (keys of ``docs/sources.md``)
=========================  =========  ===============================================================
``prefill_weight``         0.01829    [sources: gpu-benchmarks-llm]: RTX 4090, llama.cpp, Llama-3-8B Q4_K_M prefills
                                      7,139 tok/s
                                      and decodes 130.6 tok/s, so a prompt token occupies the GPU
                                      130.6 / 7,139 as long as a generated token.
``size_reference_params``  8 B        one decode token of an 8B model is one work unit; per-token
                                      decode cost grows with active parameters (2 FLOPs per parameter
                                      per token; [sources: gpu-benchmarks-llm]: 70B decodes at 19.2 vs 8B at 130.6
                                      tok/s).
``small_task_tokens``      8,192      tokens per request at or below which a row is a small task:
                                      above the Azure conversation trace's p99 request (4,142 prompt +
                                      601 output, [sources: azure-llm-trace-2023]) and far below large jobs (about 100x
                                      a small
                                      task, [sources: azure-llm-trace-2023, syfi-tracelab]).
=========================  =========  ===============================================================

Verification overhead is a cost, not work: busy time includes it, work does
not, and work is also reported by verification mode so a rule can reward
verified work explicitly.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ._distributed import check_client, fold_ordered
from ._jit import num_threads
from ._kernels.aggregate import FIELDS, accumulate_tasks, new_accumulator, node_epoch_terms, plan_parts
from ._kernels.inequality import group_sums
from .data.history import History
from .data.schema import PREFILL_WEIGHT, SIZE_REFERENCE_PARAMS_B, SMALL_TASK_TOKENS
from .data.source import TaskSource, sums_key
from .errors import ConfigError, RangeError

__all__ = ["Features", "aggregate", "network_summary", "sum_by_operator", "PREFILL_WEIGHT", "SIZE_REFERENCE_PARAMS_B",
           "SMALL_TASK_TOKENS"]


#: Per (epoch, entity) quantities, in the order they appear in :meth:`Features.to_frame`.
QUANTITIES = FIELDS + ("online_seconds", "energy_kwh", "stake_tokens", "active")


@dataclass(frozen=True, eq=False)
class Features:
    """Per (epoch, entity) features; every quantity array has shape ``(E, K)``.

    ``level`` is ``"node"`` or ``"operator"``. ``entity_ids`` labels the K
    columns; ``entity_operator`` maps each entity to its operator code (the
    identity at operator level); ``node_count`` is the number of nodes behind
    each entity (1 at node level). ``emission_tokens`` and ``token_price_usd``
    are per epoch, ``(E,)``. ``active`` is 1.0 where at least one of the
    entity's nodes is active, else 0.0.

    Parameters
    ----------
    level : {"node", "operator"}
        What the K columns are.
    epochs : ndarray, shape (E,)
        Epoch numbers of the rows.
    entity_ids : pandas.Index
        Labels of the K columns (node ids, or operator ids at operator level).
    operator_ids : pandas.Index
        Every operator id of the history; ``entity_operator`` holds positions in it.
    entity_operator : ndarray of int64, shape (K,)
        Operator code of each entity.
    node_count : ndarray of int64, shape (K,)
        Number of nodes behind each entity (1 at node level).
    emission_tokens : ndarray, shape (E,)
        Tokens emitted to nodes in each epoch.
    token_price_usd : ndarray, shape (E,)
        Token price in each epoch, USD.
    requests : ndarray, shape (E, K)
        Requests served.
    task_rows : ndarray, shape (E, K)
        Rows of the task log summed into each cell.
    input_tokens, output_tokens : ndarray, shape (E, K)
        Prompt and generated tokens.
    work_units : ndarray, shape (E, K)
        Work units (see the module docstring), all verification modes.
    busy_seconds : ndarray, shape (E, K)
        Time spent serving tasks, verification overhead included, seconds.
    fees_usd : ndarray, shape (E, K)
        Fees paid by clients, USD.
    upstream_cost_usd : ndarray, shape (E, K)
        Cost of upstream (proxied) inference, USD.
    work_vanilla, work_tee, work_zkml : ndarray, shape (E, K)
        Work units of unverified, TEE-verified and ZKML-verified tasks; they add up to ``work_units``.
    small_task_work, large_task_work : ndarray, shape (E, K)
        Work units of rows at or below, and above, ``small_task_tokens`` tokens per request.
    online_seconds : ndarray, shape (E, K)
        Time online, seconds.
    energy_kwh : ndarray, shape (E, K)
        Electricity used: ``(power_w * busy + idle_power_w * (online - busy)) * pue``, in kWh.
    stake_tokens : ndarray, shape (E, K)
        Stake bonded while active (0 in inactive epochs), tokens.
    active : ndarray, shape (E, K)
        1.0 where at least one of the entity's nodes is active (joined and not yet left), else 0.0.
    prefill_weight : float, default PREFILL_WEIGHT
        The work of a prompt token relative to a generated token the work units were computed with.
    size_reference_params_b : float, default SIZE_REFERENCE_PARAMS_B
        Active parameters (billions) of the reference model the work units were computed with.
    small_task_tokens : float, default SMALL_TASK_TOKENS
        Tokens per request at or below which a row counted as a small task.
    input_sha256 : dict of str to str, optional
        SHA-256 of each input file of the history the features came from (its
        ``provenance["input_sha256"]``), by path relative to the history directory;
        None for a history built in memory.
    """

    level: str
    epochs: np.ndarray
    entity_ids: pd.Index
    operator_ids: pd.Index
    entity_operator: np.ndarray
    node_count: np.ndarray
    emission_tokens: np.ndarray
    token_price_usd: np.ndarray
    requests: np.ndarray
    task_rows: np.ndarray
    input_tokens: np.ndarray
    output_tokens: np.ndarray
    work_units: np.ndarray
    busy_seconds: np.ndarray
    fees_usd: np.ndarray
    upstream_cost_usd: np.ndarray
    work_vanilla: np.ndarray
    work_tee: np.ndarray
    work_zkml: np.ndarray
    small_task_work: np.ndarray
    large_task_work: np.ndarray
    online_seconds: np.ndarray
    energy_kwh: np.ndarray
    stake_tokens: np.ndarray
    active: np.ndarray
    prefill_weight: float = PREFILL_WEIGHT
    size_reference_params_b: float = SIZE_REFERENCE_PARAMS_B
    small_task_tokens: float = SMALL_TASK_TOKENS
    input_sha256: dict | None = None

    @property
    def shape(self) -> tuple[int, int]:
        return self.work_units.shape

    def work_by_verification(self) -> dict[str, np.ndarray]:
        """Work units per verification mode, each ``(E, K)``."""
        return {"vanilla": self.work_vanilla, "tee": self.work_tee, "zkml": self.work_zkml}

    def by_operator(self) -> "Features":
        """The same features summed over each operator's nodes (``active``: any node active).

        Columns are the operators that have nodes here, in operator-code order.
        """
        if self.level == "operator":
            return self
        present = np.unique(self.entity_operator)
        summed = {q: sum_by_operator(getattr(self, q), self.entity_operator, len(self.operator_ids), present)
                  for q in QUANTITIES}
        summed["active"] = (summed["active"] > 0).astype(np.float64)
        counts = np.bincount(self.entity_operator, minlength=len(self.operator_ids))[present]
        return replace(self, level="operator", entity_ids=self.operator_ids[present], entity_operator=present,
                       node_count=counts.astype(np.int64), **summed)

    def totals(self) -> pd.Series:
        """Each quantity summed over epochs and entities (``active``: entity-epochs active)."""
        return pd.Series({q: float(getattr(self, q).sum()) for q in QUANTITIES})

    def to_frame(self) -> pd.DataFrame:
        """Long table: one row per (epoch, entity), one column per quantity."""
        e, k = self.shape
        key = "node_id" if self.level == "node" else "operator_id"
        data = {"epoch": np.repeat(self.epochs, k), key: np.tile(np.asarray(self.entity_ids, dtype=object), e)}
        data.update({q: getattr(self, q).ravel() for q in QUANTITIES})
        return pd.DataFrame(data)

    def __repr__(self) -> str:
        e, k = self.shape
        return f"Features(level={self.level!r}, {e} epochs x {k} {self.level}s)"


def sum_by_operator(matrix: np.ndarray, operator: np.ndarray, n_operators: int,
                    present: np.ndarray | None = None) -> np.ndarray:
    """``(E, O)`` column sums of an ``(E, N)`` node matrix by operator code (in node order: exact, repeatable).

    ``present`` selects operator columns (default: all ``n_operators``).

    Parameters
    ----------
    matrix : ndarray, shape (E, N)
        A per (epoch, node) quantity.
    operator : ndarray of int64, shape (N,)
        Operator code of each node, in ``[0, n_operators)``.
    n_operators : int
        Number of operator codes (columns of the full sum).
    present : ndarray of int, optional
        Operator codes to keep, in the order wanted; None keeps all ``n_operators`` columns.
    """
    sums = group_sums(np.ascontiguousarray(matrix, dtype=np.float64), operator, n_operators)
    return sums if present is None else np.ascontiguousarray(sums[:, present])


def aggregate(history: History, *, prefill_weight: float = PREFILL_WEIGHT,
              size_reference_params_b: float = SIZE_REFERENCE_PARAMS_B,
              small_task_tokens: float = SMALL_TASK_TOKENS, client=None) -> Features:
    """Aggregate a history's task log into per (epoch, node) :class:`Features`.

    One pass over the task log, chunk by chunk (a streamed Parquet log or a
    dask DataFrame is never held whole), in a numba kernel; no per-task Python
    objects. Peak memory is the largest chunk plus about twice the ``(E, N)``
    outputs. Every row read is validated, and busy time per (epoch, node) is
    checked against online time, so a log read in place raises its data errors here.

    With a ``dask.distributed`` ``client``, each part of the log (a Parquet file or
    row group, a dask partition, a chunk of an in-memory log) is aggregated on a
    worker into the epochs it covers, and the parts are added here in log order.
    Cells that one part covers alone are bit-identical to the single-machine
    result; a cell split across parts differs only by the order of its additions
    (about 1e-16 relative).

    A log read in place keeps its last sums (per source and parameters, whether
    they were added up here or on a cluster): aggregating it again, as the engines
    and the command line do, does not read it again. Such a log must not change
    while a history reads it.

    Parameters
    ----------
    history : History
    prefill_weight : float
        Work of one prompt token relative to one generated token (>= 0).
    size_reference_params_b : float
        Active parameters (billions) of the model whose decode token is one work unit.
    small_task_tokens : float
        Tokens per request at or below which a row counts as a small task.
    client : dask.distributed.Client, optional
        Aggregate the log's parts on this cluster's workers (see above).

    Examples
    --------
    >>> import fairshare as fs
    >>> h = fs.datasets.open_inference_network(seed=0, scale="small")
    >>> f = fs.aggregate(h)
    >>> f.level, f.shape  # (epochs, nodes)
    ('node', (30, 80))
    >>> f.by_operator().work_units.sum(axis=0).shape  # work per operator
    (45,)
    """
    for name, value, positive in (("prefill_weight", prefill_weight, False),
                                  ("size_reference_params_b", size_reference_params_b, True),
                                  ("small_task_tokens", small_task_tokens, False)):
        is_number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
        if not is_number or not np.isfinite(value) or value < 0 or (positive and value == 0):
            raise ConfigError(f"{name} must be a finite number {'> 0' if positive else '>= 0'}, got {value!r}"
                              f"{' (a ' + type(value).__name__ + ')' if not is_number else ''}.")
    check_client(client)
    n_epochs, n_nodes = history.n_epochs, history.n_nodes
    factor = np.ascontiguousarray(history.model_params_b / float(size_reference_params_b))
    terms = (factor, float(prefill_weight), float(small_task_tokens))
    source = history.tasks_source
    key = sums_key(factor, *terms[1:], n_epochs, n_nodes)
    acc = source.take_sums(key)  # summed as the log was read into memory
    if acc is None and not source.checked_at_build:
        acc = _read_before(source, key)
    if acc is None and client is None:
        acc = new_accumulator(n_epochs, n_nodes)
        if not source.sum_into(acc, *terms):  # (a log read in place, in one pass per piece)
            acc = accumulate_source(source, n_epochs, n_nodes, *terms, whole=True)[1]
    elif acc is None:
        acc = new_accumulator(n_epochs, n_nodes)

        def add(part):
            e0, sums = part
            acc[:, e0:e0 + sums.shape[1]] += sums

        fold_ordered(client, accumulate_source, source.parts_on(client), add, n_epochs, n_nodes, *terms)
    if not source.checked_at_build:
        _remember(source, key, acc)
    sums = dict(zip(FIELDS, acc))
    if not source.checked_at_build:
        history.check_busy(sums["busy_seconds"])
    v = history.node_values
    stake = stake_path(history) if history.stake_updates is not None else v["stake_tokens"][None, :]
    last = np.where(np.isnan(v["left_epoch"]), np.inf, v["left_epoch"])
    energy, active, staked = node_epoch_terms(
        sums["busy_seconds"], history.online_seconds, v["power_w"], v["idle_power_w"], v["pue"],
        v["joined_epoch"].astype(np.float64), last, history.epochs.astype(np.float64), np.ascontiguousarray(stake))
    check_sums(history, {**sums, "energy_kwh": energy, "stake_tokens": staked})
    return Features(
        level="node", epochs=history.epochs, entity_ids=history.node_ids, operator_ids=history.operator_ids,
        entity_operator=history.node_operator, node_count=np.ones(n_nodes, dtype=np.int64),
        emission_tokens=history.emission_tokens, token_price_usd=history.token_price_usd,
        **sums, online_seconds=history.online_seconds, energy_kwh=energy, stake_tokens=staked, active=active,
        prefill_weight=float(prefill_weight), size_reference_params_b=float(size_reference_params_b),
        small_task_tokens=float(small_task_tokens), input_sha256=_input_hashes(history),
    )


#: The input column(s) behind each checked quantity, for overflow messages.
_ORIGIN = {"requests": "tasks.requests", "task_rows": "tasks (row counts)", "input_tokens": "tasks.input_tokens",
           "output_tokens": "tasks.output_tokens", "busy_seconds": "tasks.busy_seconds", "fees_usd": "tasks.fee_usd",
           "upstream_cost_usd": "tasks.upstream_cost_usd", "energy_kwh": "nodes.power_w/idle_power_w/pue",
           "stake_tokens": "nodes.stake_tokens/stake.stake_tokens"}
_WORK_ORIGIN = "tasks.input_tokens/output_tokens"


def check_sums(history: History, quantities: dict[str, np.ndarray]) -> None:
    """Raise :class:`~fairshare.errors.RangeError` where a sum a rule or a measure takes would overflow float64.

    Each ``(E, N)`` quantity must be finite in every (epoch, node) cell and in its total over
    the whole history (so every sum over epochs, nodes or operators is finite too), and so must
    the total emission and its value in USD. Costs one sum per quantity; the rows are located
    only when a check fails. Values this large are never a real quantity: the message names
    the table, the column and the rows, and says to check the column's units.

    Parameters
    ----------
    history : History
        The history the quantities were computed from (for labels and task rows).
    quantities : dict of str to ndarray, shape (E, N)
        Per (epoch, node) quantities by name (the keys of :class:`Features`).
    """
    with np.errstate(over="ignore", invalid="ignore"):
        for name, values in quantities.items():
            if not np.isfinite(values.sum()):
                raise RangeError(_overflow_message(history, name, values))
        emission = history.emission_tokens
        for column, what, per_epoch, units in (
                ("emission_tokens", "the emission", emission, "tokens per epoch"),
                ("token_price_usd", "the emission's value in USD (emission_tokens x token_price_usd)",
                 emission * history.token_price_usd, "USD per token")):
            if not np.isfinite(per_epoch.sum()):
                top = np.argsort(-per_epoch, kind="stable")[:5]
                epochs = ", ".join(f"epoch {history.epochs[e]}: {per_epoch[e]:.3g}" for e in top)
                raise RangeError(f"market.{column}: {what} over the history's {history.n_epochs} epochs overflows "
                                 f"float64 (largest: {epochs}). Check the column's units ({units}) or rescale it.")


def _overflow_message(history: History, name: str, values: np.ndarray) -> str:
    """Where ``values`` (``(E, N)``, quantity ``name``) overflow: cells, and the task or node rows behind them."""
    origin = _ORIGIN.get(name, _WORK_ORIGIN)
    if name == "energy_kwh":
        origin += f" (times online seconds; epoch_seconds={history.epoch_seconds:g})"
    cells = ~np.isfinite(values)
    if cells.any():
        what = f"overflows float64 in {int(cells.sum())} (epoch, node) pair(s)"
    else:  # every cell finite, their total not: name the largest cells
        cells = np.zeros(values.shape, bool)
        cells.flat[np.argsort(-values, axis=None, kind="stable")[:5]] = True
        what = f"its total over the history's {values.size} (epoch, node) pairs overflows float64 (largest cells)"
    e, n = np.nonzero(cells)
    pairs = ", ".join(f"(epoch {history.epochs[i]}, node {history.node_ids[j]!r})" for i, j in zip(e[:5], n[:5]))
    if origin.startswith("tasks"):
        keys = np.unique(e * history.n_nodes + n)
        rows: list[int] = []
        for c in history.tasks_source.chunks():
            rows.extend((c.row0 + np.flatnonzero(np.isin(c.epoch * history.n_nodes + c.node, keys))).tolist())
            if len(rows) > 5:
                break
        where = f"task rows {', '.join(map(str, rows[:5]))}{', ...' if len(rows) > 5 else ''}"
    else:
        nodes = np.unique(n)
        where = f"node rows {', '.join(map(str, nodes[:5]))}{', ...' if nodes.size > 5 else ''}"
    return (f"{origin}: {name}: {what}: {pairs}{', ...' if e.size > 5 else ''} ({where}). Values this large are not "
            "real quantities: check the column's units or rescale it.")


def _input_hashes(history: History) -> dict | None:
    hashes = (history.provenance or {}).get("input_sha256")
    return dict(hashes) if hashes else None


#: The last sums of each log read in place (Parquet, dask), by source: reading such a log
#: again costs a full pass over it, keeping its (F, E, N) sums costs their memory. An entry
#: goes when its source is garbage-collected; callers get copies.
_SUMS_READ: dict[int, tuple] = {}


def _read_before(source: TaskSource, key: tuple) -> np.ndarray | None:
    entry = _SUMS_READ.get(id(source))
    if entry is None or entry[0]() is not source or entry[1] != key:
        return None
    return entry[2].copy()


def _remember(source: TaskSource, key: tuple, acc: np.ndarray) -> None:
    forget = lambda _, at=id(source): _SUMS_READ.pop(at, None)  # noqa: E731
    _SUMS_READ[id(source)] = (weakref.ref(source, forget), key, acc.copy())


def accumulate_source(source: TaskSource, n_epochs: int, n_nodes: int, factor: np.ndarray, prefill_weight: float,
                      small_task_tokens: float, whole: bool = False) -> tuple[int, np.ndarray]:
    """Sum a task source into an accumulator over the epochs it covers: ``(first epoch, (F, epochs, N))``.

    ``whole=True`` allocates all ``n_epochs`` at once (the single-machine pass);
    otherwise the epoch window grows with the chunks read (a part of a log
    partitioned by time stays small). Cells are summed in log order either way.
    """
    lo, acc = 0, new_accumulator(n_epochs if whole else 0, n_nodes)
    threads = num_threads()
    for c in source.chunks():
        if len(c) == 0:
            continue
        if not whole:  # widen the window to this chunk's epochs (an empty window starts at them)
            first, last = int(c.epoch.min()), int(c.epoch.max()) + 1
            lo = first if acc.shape[1] == 0 else lo
            new_lo, new_hi = min(first, lo), max(last, lo + acc.shape[1])
            if new_hi - new_lo != acc.shape[1]:
                grown = new_accumulator(new_hi - new_lo, n_nodes)
                grown[:, lo - new_lo:lo - new_lo + acc.shape[1]] = acc
                lo, acc = new_lo, grown
        epoch = c.epoch if lo == 0 else c.epoch - lo
        accumulate_tasks(acc, epoch, c.node, c.model, c.requests, c.input_tokens, c.output_tokens, c.busy_seconds,
                         c.verification, c.fee_usd, c.upstream_cost_usd, factor, prefill_weight, small_task_tokens,
                         plan_parts(epoch, n_nodes, threads))
    return lo, acc


def stake_path(history: History) -> np.ndarray:
    """``(E, N)`` stake per node: ``nodes.stake_tokens``, then each stake-table value from its epoch on."""
    initial = history.node_values["stake_tokens"]
    path = np.broadcast_to(initial, (history.n_epochs, history.n_nodes)).copy()
    updates = history.stake_updates
    if updates is None:
        return path
    set_at = np.full(path.shape, -1, dtype=np.int64)
    values = np.zeros(path.shape)
    set_at[updates["epoch"], updates["node"]] = updates["epoch"]
    values[updates["epoch"], updates["node"]] = updates["value"]
    latest = np.maximum.accumulate(set_at, axis=0)
    has = latest >= 0
    cols = np.broadcast_to(np.arange(history.n_nodes), path.shape)
    path[has] = values[latest[has], cols[has]]
    return path



def network_summary(history: History, features: Features | None = None) -> pd.DataFrame:
    """One row per node tier (and a total): what the network did before any reward rule.

    Columns: nodes, operators, requests, work share, utilisation (busy over
    online time), energy (kWh) and fees (USD) over the whole history.

    Parameters
    ----------
    history : History
        The network (node tiers and operators).
    features : Features, optional
        Node-level features of ``history``; computed with :func:`aggregate` when None.
    """
    f = aggregate(history) if features is None else features
    if f.level != "node":
        raise ConfigError("network_summary needs node-level features (fs.aggregate(history)).")
    tiers = history.tier_labels
    rows = {}
    for label in list(dict.fromkeys(tiers)) + ["all"]:
        cols = np.ones(tiers.size, bool) if label == "all" else tiers == label
        online = f.online_seconds[:, cols].sum()
        rows[label] = {
            "nodes": int(cols.sum()),
            "operators": int(np.unique(history.node_operator[cols]).size),
            "requests": float(f.requests[:, cols].sum()),
            "work_share": float(f.work_units[:, cols].sum() / max(f.work_units.sum(), np.finfo(float).tiny)),
            "utilisation": float(f.busy_seconds[:, cols].sum() / online) if online > 0 else float("nan"),
            "energy_kwh": float(f.energy_kwh[:, cols].sum()),
            "fees_usd": float(f.fees_usd[:, cols].sum()),
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("tier")
