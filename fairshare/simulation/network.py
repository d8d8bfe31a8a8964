"""The static network of a simulation: node slots, operators, costs, entry candidates.

Public through :class:`fairshare.simulation.Scenario`. Node slots are the history's nodes
(plus clones of its operators when asked), ordered so each operator's nodes are
contiguous. Costs come from :mod:`fairshare.economics` (no second implementation):
:func:`cost_rates` runs ``aggregate`` and ``economics.node_costs`` on a probe history of
the same nodes (one fully busy epoch, then idle ones), which gives every node's energy
cost per online and per busy second and its depreciation at every age. Energy and
depreciation are affine in busy time and age, so these rates reproduce the cost model
exactly (to rounding).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._kernels.sim.state import ACTIVE, GONE, NEVER, WAITING
from ..data.history import History
from ..economics.costs import node_costs, operator_classes
from ..errors import ConfigError
from ..features import aggregate
from .config import OPERATOR_CLASSES, Churn

__all__ = ["Network", "build_network", "cost_rates"]


def cost_rates(history: History, depreciation: str, n_ages: int):
    """Per history node: energy USD and kWh per idle-online second and per extra busy second, and
    ``(A, N)`` depreciation USD of an epoch at each age ``0..A-1`` (from ``economics.node_costs``).

    Parameters
    ----------
    history : History
        The nodes (hardware, power, PUE, tariff, capex, life) and epoch length; tasks are not used.
    depreciation : {"straight_line", "declining_balance"}
        Depreciation method of :func:`fairshare.economics.node_costs`.
    n_ages : int
        Number of ages A in the depreciation table (at least 2 are computed).

    Returns
    -------
    idle_usd, busy_usd, idle_kwh, busy_kwh : ndarray, shape ``(N,)``
        Energy cost (USD) and energy (kWh) per online second, and extra per busy second.
    depreciation_usd : ndarray, shape ``(max(A, 2), N)``
        Depreciation of an epoch by node age in epochs (row 0: the epoch the node joins).
    """
    nodes = history.nodes.copy()
    nodes["joined_epoch"] = 0
    nodes["left_epoch"] = pd.array([pd.NA] * len(nodes), dtype="Int64")
    n_epochs = max(int(n_ages), 2)
    market = pd.DataFrame({"epoch": np.arange(n_epochs), "emission_tokens": 0.0, "token_price_usd": 1.0})
    seconds = float(history.epoch_seconds)
    tasks = pd.DataFrame({"epoch": 0, "node_id": nodes["node_id"], "model": history.model_names[0], "requests": 1,
                          "input_tokens": 0.0, "output_tokens": 0.0, "busy_seconds": seconds,
                          "verification": "vanilla", "fee_usd": 0.0})
    probe = History.from_frames(nodes, tasks, market, models=history.models, epoch_seconds=seconds)
    f = aggregate(probe)
    costs = node_costs(probe, f, depreciation)
    idle_usd = costs.energy_usd[1] / seconds
    busy_usd = (costs.energy_usd[0] - costs.energy_usd[1]) / seconds
    idle_kwh = f.energy_kwh[1] / seconds
    busy_kwh = (f.energy_kwh[0] - f.energy_kwh[1]) / seconds
    return idle_usd, busy_usd, idle_kwh, busy_kwh, np.ascontiguousarray(costs.depreciation_usd)


@dataclass(frozen=True, eq=False)
class Network:
    """Node slots and operators of a scenario (arrays in slot order, operators contiguous).

    ``source[i]`` is the history node a slot copies; ``op_status0`` the status at the start
    (waiting candidate, active, gone); ``init_joined`` the relative epoch each node joins
    (``<= 0``: active at the start; ``NEVER``: only when its operator enters);
    ``sched_join`` / ``sched_leave`` the history's own window (the fixed network).

    Epochs are relative to the simulation's start (epoch position ``start`` of the history).
    ``S`` counts node slots, ``O`` operators (history operators first, then clones).

    Parameters
    ----------
    history : History
        The history the network is taken from.
    start : int
        Position of the first simulated epoch in ``history.epochs``.
    node_ids : ndarray of str, shape ``(S,)``
        Slot keys: the history node's id, with ``~k`` appended for the k-th clone.
    source : int ndarray, shape ``(S,)``
        History node index each slot copies.
    operator_ids : ndarray of str, shape ``(O,)``
        Operator keys (``~k`` appended for clones).
    op_start : int ndarray, shape ``(O + 1,)``
        Offsets: operator ``o`` owns slots ``op_start[o]:op_start[o + 1]``.
    op_class : int ndarray, shape ``(O,)``
        Operator class code (position in :data:`~fairshare.simulation.config.OPERATOR_CLASSES`).
    op_status0 : int ndarray, shape ``(O,)``
        Status at the start: ``ACTIVE`` (a node active at the start), ``WAITING`` (joins later in the
        history, or a clone) or ``GONE`` (all its nodes left before the start).
    op_avail : int ndarray, shape ``(O,)``
        First epoch a waiting operator may decide to enter (its recorded join; 0 for clones and
        operators not waiting).
    op_home : bool ndarray, shape ``(O,)``
        True when all the operator's nodes are home-tier (sets the exit hazard).
    node_op : int ndarray, shape ``(S,)``
        Operator index of each slot.
    hw_code : int ndarray, shape ``(S,)``
        Hardware code of each slot (position of its ``hardware`` among the slots' sorted names).
    own_stake : ndarray, shape ``(S,)``
        Stake the history node bonds, tokens.
    capex : ndarray, shape ``(S,)``
        Purchase price, USD.
    life_epochs : int ndarray, shape ``(S,)``
        Hardware life, epochs (lifetime days rounded up to whole epochs).
    init_joined : int ndarray, shape ``(S,)``
        Join epoch of each node of an operator active at the start; ``NEVER`` otherwise or when
        the node left before the start.
    init_retired : int ndarray, shape ``(S,)``
        1 for a node of an active operator that left before the start, else 0.
    sched_join : int ndarray, shape ``(S,)``
        Recorded join epoch.
    sched_leave : int ndarray, shape ``(S,)``
        Recorded last active epoch; ``NEVER`` when the node does not leave.
    rates : tuple of four ndarrays, shape ``(S,)``
        Energy USD per extra busy second, USD per online second, kWh per extra busy second and kWh
        per online second (:func:`cost_rates`, in slot order).
    depreciation : {"straight_line", "declining_balance"}
        Depreciation method.
    _dep_cache : dict, default {}
        Depreciation tables by number of ages, filled by :meth:`depreciation_table`.
    """

    history: History
    start: int
    node_ids: np.ndarray
    source: np.ndarray
    operator_ids: np.ndarray
    op_start: np.ndarray
    op_class: np.ndarray
    op_status0: np.ndarray
    op_avail: np.ndarray
    op_home: np.ndarray
    node_op: np.ndarray
    hw_code: np.ndarray
    own_stake: np.ndarray
    capex: np.ndarray
    life_epochs: np.ndarray
    init_joined: np.ndarray
    init_retired: np.ndarray
    sched_join: np.ndarray
    sched_leave: np.ndarray
    rates: tuple
    depreciation: str
    _dep_cache: dict = field(default_factory=dict, repr=False)

    @property
    def n_nodes(self) -> int:
        return int(self.node_ids.size)

    @property
    def n_operators(self) -> int:
        return int(self.operator_ids.size)

    @property
    def initial_ops(self) -> np.ndarray:
        return self.op_status0 == ACTIVE

    def depreciation_table(self, n_ages: int) -> np.ndarray:
        """``(A, N)`` depreciation by age in slot order (computed once per length)."""
        n_ages = max(int(n_ages), 2)
        if n_ages not in self._dep_cache:
            table = cost_rates(self.history, self.depreciation, n_ages)[4]
            self._dep_cache[n_ages] = np.ascontiguousarray(table[:, self.source])
        return self._dep_cache[n_ages]

    def max_age(self, epochs: int) -> int:
        """Largest node age (epochs) the simulation can reach."""
        start_age = np.where(self.init_joined < NEVER, -np.minimum(self.init_joined, 0), 0)
        sched_age = -np.minimum(self.sched_join, 0)
        return int(max(start_age.max(initial=0), sched_age.max(initial=0)) + epochs + 1)


def build_network(history: History, start: int, churn: Churn, depreciation: str) -> Network:
    """Slots, operators and costs of ``history`` from its epoch position ``start`` (see :class:`Network`).

    Parameters
    ----------
    history : History
        The history to simulate.
    start : int
        Position of the first simulated epoch in ``history.epochs``.
    churn : Churn
        Churn settings; only ``clones`` (copies of every operator not gone, as entry candidates) is used.
    depreciation : {"straight_line", "declining_balance"}
        Depreciation method of the cost rates.

    Returns
    -------
    Network
    """
    epoch0 = int(history.epochs[start])
    v = history.node_values
    joined_rel = v["joined_epoch"].astype(np.int64) - epoch0
    left = v["left_epoch"]
    left_rel = np.where(np.isnan(left), NEVER, np.nan_to_num(left, nan=0.0).astype(np.int64) - epoch0)
    active0 = history.active[start]
    ops = history.node_operator
    n_ops_hist = history.n_operators
    op_active = np.bincount(ops, weights=active0.astype(np.float64), minlength=n_ops_hist) > 0
    first_join = np.full(n_ops_hist, NEVER, dtype=np.int64)
    np.minimum.at(first_join, ops, np.where(left_rel >= 0, joined_rel, NEVER))
    status = np.where(op_active, ACTIVE, np.where((first_join > 0) & (first_join < NEVER), WAITING, GONE))
    labels = operator_classes(history).to_numpy()
    unknown = sorted(set(labels) - set(OPERATOR_CLASSES))
    if unknown:
        raise ConfigError(f"operator classes {unknown} are not simulated; allowed: {', '.join(OPERATOR_CLASSES)}.")
    class_code = np.array([OPERATOR_CLASSES.index(x) for x in labels], dtype=np.int64)

    # slots: the history's operators in code order, then clones of every operator that can take part
    groups = [np.flatnonzero(ops == o) for o in range(n_ops_hist)]
    takes_part = np.flatnonzero(status != GONE)
    copies = [(o, 0) for o in range(n_ops_hist)] + [(o, k) for k in range(1, churn.clones + 1) for o in takes_part]
    source = np.concatenate([groups[o] for o, _ in copies]) if copies else np.zeros(0, np.int64)
    sizes = np.array([groups[o].size for o, _ in copies], dtype=np.int64)
    op_start = np.r_[0, np.cumsum(sizes)].astype(np.int64)
    orig = np.array([o for o, _ in copies], dtype=np.int64)
    clone = np.array([k for _, k in copies], dtype=np.int64)
    node_clone = np.repeat(clone, sizes)
    hist_ids = np.asarray(history.node_ids, dtype=object)
    hist_ops = np.asarray(history.operator_ids, dtype=object)
    suffix = np.array(["" if k == 0 else f"~{k}" for k in node_clone], dtype=object)
    node_ids = hist_ids[source] + suffix
    operator_ids = hist_ops[orig] + np.array(["" if k == 0 else f"~{k}" for k in clone], dtype=object)

    op_status0 = np.where(clone > 0, WAITING, status[orig]).astype(np.int64)
    op_avail = np.where(clone > 0, 0, np.where(status[orig] == WAITING, first_join[orig], 0)).astype(np.int64)
    node_status = np.repeat(op_status0, sizes)
    j = joined_rel[source]
    lr = left_rel[source]
    gone_before = lr < 0
    init_joined = np.where((node_status == ACTIVE) & ~gone_before, j, NEVER).astype(np.int64)
    init_retired = ((node_status == ACTIVE) & gone_before).astype(np.int64)

    epoch_days = history.epoch_seconds / 86_400.0
    life = np.ceil(v["lifetime_days"][source] / epoch_days - 1e-9).astype(np.int64)
    hardware = np.asarray(history.node_hardware, dtype=object)[source]
    hw_code = np.unique(hardware, return_inverse=True)[1]
    tiers = history.tier_labels[source]
    op_home = np.array([bool((tiers[op_start[o]:op_start[o + 1]] == "home").all()) for o in range(orig.size)])
    idle_usd, busy_usd, idle_kwh, busy_kwh, _ = cost_rates(history, depreciation, 2)
    return Network(
        history=history, start=int(start), node_ids=node_ids, source=source.astype(np.int64),
        operator_ids=operator_ids, op_start=op_start, op_class=class_code[orig], op_status0=op_status0,
        op_avail=op_avail, op_home=op_home, node_op=np.repeat(np.arange(orig.size), sizes).astype(np.int64),
        hw_code=hw_code.astype(np.int64), own_stake=v["stake_tokens"][source].astype(np.float64),
        capex=v["capex_usd"][source].astype(np.float64), life_epochs=life, init_joined=init_joined,
        init_retired=init_retired, sched_join=j.astype(np.int64),
        sched_leave=np.where(lr >= NEVER // 2, NEVER, lr).astype(np.int64),
        rates=(busy_usd[source], idle_usd[source], busy_kwh[source], idle_kwh[source]), depreciation=depreciation,
    )
