"""Attacks with keys and capital: splitting a node into keys, merging operators, idle keys, stake timing.

Public through :mod:`fairshare.attacks`; the machinery they share (:class:`~fairshare.attacks.library.Effect`,
:class:`~fairshare.attacks.library.Replay`, the net-gain conventions) is in :mod:`fairshare.attacks.library`.
:func:`split_keys` and :func:`merge_keys` are the one replay of a split or a merge, which the attacks here and
the scoreboard's gross split and merge gains both call.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..features import QUANTITIES, Features
from ..formulas import PER_IDENTITY, component
from .library import NAMES, Attack, Effect, Replay, _values
from .target import Target

__all__ = ["Split", "Merge", "IdleKey", "StakeTiming", "split_keys", "merge_keys"]

@dataclass(frozen=True, eq=False)
class Split(Attack):
    """Every node of the attacker becomes ``k`` keys, each with 1/k of the node's work, fees and stake.

    Per-identity components multiply: each key with work counts in ``identity_floor``, and each
    claims the device's online time in ``availability`` unless capacity proofs are simultaneous
    (then the keys share it). Each extra key costs the identity cost in every epoch it is active.

    Parameters
    ----------
    k : int
        Keys per node, >= 2.
    """

    k: int = 2
    attack: ClassVar[str] = "split"

    def __post_init__(self):
        if isinstance(self.k, bool) or not isinstance(self.k, (int, np.integer)) or self.k < 2:
            raise ConfigError(f"Split k must be a whole number >= 2, got {self.k!r}.")

    @property
    def variant(self) -> str:
        return f"k={self.k}"

    def _multiplied(self, target: Target) -> tuple[str, ...]:
        shared = target.costs.capacity_proofs == "simultaneous"
        return tuple(c for c in PER_IDENTITY if not (shared and c == "availability"))

    def effect(self, target, attackers=None):
        attackers = self.attackers(target) if attackers is None else np.asarray(attackers, dtype=np.int64)
        after = {c: target.quantities[c] * self.k for c in self._multiplied(target)}
        before_v, after_v = _values(target, attackers, after)
        keys = target.by_operator(target.features.active)[:, attackers].sum(axis=0)
        cost = (self.k - 1) * keys * target.costs.identity_cost_usd
        return Effect(self.attack, self.variant, self._ids(target, attackers), before_v, after_v, cost)

    def replay(self, target, attacker):
        f = target.features
        split, owned = split_keys(f, self.k, attacker, share_online=target.costs.capacity_proofs == "simultaneous")
        keys = float(f.active[:, f.entity_operator == attacker].sum())
        return Replay(split, f.entity_operator == attacker, owned, (self.k - 1) * keys * target.costs.identity_cost_usd)


@dataclass(frozen=True, eq=False)
class Merge(Attack):
    """Two operators neighbouring in window work run all their nodes under one key.

    The merged key keeps its members' proven devices and no more (its ``availability`` is the sum
    of theirs, at most one epoch per device) and their summed work, fees and stake; it counts once
    in ``identity_floor``. The identity costs it saves are not counted: they are the same under
    every rule, and the question is whether the rule pays for consolidation.
    """

    attack: ClassVar[str] = "merge"

    def pairs(self, target: Target, attackers: np.ndarray | None = None) -> np.ndarray:
        """``(P, 2)`` operator codes merging: each working operator with the next larger by window work.

        Parameters
        ----------
        target : Target
            The network attacked.
        attackers : int ndarray, optional
            Restrict to pairs whose first member is among these codes.
        """
        work = target.window_work
        codes = np.flatnonzero(work > 0)
        ordered = codes[np.argsort(work[codes], kind="stable")]
        pairs = np.stack([ordered[:-1], ordered[1:]], axis=1) if ordered.size > 1 else np.zeros((0, 2), np.int64)
        if attackers is not None:
            pairs = pairs[np.isin(pairs[:, 0], attackers)]
        return pairs

    def effect(self, target, attackers=None):
        pairs = self.pairs(target, attackers)
        worth = target.worth_usd
        before_v = np.zeros((len(pairs), len(NAMES)))
        after_v = np.zeros_like(before_v)
        for i, name in enumerate(NAMES):
            total = target.totals[name][:, None]
            per_op = target.by_operator(target.quantities[name])
            own = per_op[:, pairs[:, 0]] + per_op[:, pairs[:, 1]]
            merged = (own > 0).astype(np.float64) if name == "identity_floor" else own
            grown = total - own + merged
            with np.errstate(divide="ignore", invalid="ignore"):
                before_v[:, i] = worth @ np.where(total > 0, own / total, 0.0)
                after_v[:, i] = worth @ np.where(grown > 0, merged / grown, 0.0)
        ids = target.features.operator_ids
        return Effect(self.attack, self.variant, [f"{ids[a]}+{ids[b]}" for a, b in pairs], before_v, after_v,
                      np.zeros(len(pairs)))

    def replay(self, target, attacker):
        pair = self.pairs(target, np.array([attacker]))
        if not len(pair):
            raise ConfigError(f"operator code {attacker} has no larger neighbour in window work to merge with.")
        merged, owned = merge_keys(target.features, *pair[0])
        return Replay(merged, np.isin(target.features.entity_operator, pair[0]), owned, 0.0)


class _Outsider(Attack):
    """An attack by someone paid nothing before: one appended key."""

    @abc.abstractmethod
    def column(self, target: Target) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """``(field -> (E,) quantities of the new key, (E,) cost USD)``."""

    def attackers(self, target):
        return np.array([-1])

    def effect(self, target, attackers=None):
        fields, cost = self.column(target)
        f = target.features
        column = {q: fields.get(q, np.zeros(f.shape[0]))[:, None] for q in QUANTITIES}
        one = replace(f, entity_ids=f.entity_ids[:1], entity_operator=f.entity_operator[:1],
                      node_count=f.node_count[:1], **column)
        after = np.zeros((f.shape[0], len(NAMES)))
        for i, name in enumerate(NAMES):
            mine = component(one, name)[:, 0]
            grown = target.totals[name] + mine
            with np.errstate(divide="ignore", invalid="ignore"):
                after[:, i] = target.worth_usd * np.where(grown > 0, mine / grown, 0.0)
        return Effect(self.attack, self.variant, ["outsider"], None, after, cost)

    def replay(self, target, attacker=None):
        fields, cost = self.column(target)
        f = target.features
        e, n = f.shape
        arrays = {q: np.c_[getattr(f, q), fields.get(q, np.zeros(e))] for q in QUANTITIES}
        outsider = f"{self.attack}#outsider"  # a key of a new operator of its own
        grown = replace(f, entity_ids=f.entity_ids.append(pd.Index([outsider], dtype=object)),
                        operator_ids=f.operator_ids.append(pd.Index([outsider], dtype=object)),
                        entity_operator=np.r_[f.entity_operator, len(f.operator_ids)],
                        node_count=np.r_[f.node_count, 1], **arrays)
        owned = np.zeros(n + 1, dtype=bool)
        owned[n] = True
        return Replay(grown, np.zeros(n, dtype=bool), owned, cost)


@dataclass(frozen=True, eq=False)
class IdleKey(_Outsider):
    """A new key that serves one tiny request an epoch (so it counts in ``identity_floor``) and, where
    capacity proofs are sequential, claims a device's whole epoch in ``availability`` from a device
    that answers for other keys too. Costs: the identity cost, and the request's take, gas and
    electricity (at the median working node's busy time per work unit and marginal power)."""

    attack: ClassVar[str] = "idle_key"

    def column(self, target):
        f, c = target.features, target.costs
        e = f.shape[0]
        prompt, generated = c.tiny_request_tokens
        work = f.prefill_weight * prompt + generated  # on the reference model
        ones = np.ones(e)
        fields = {"requests": ones, "task_rows": ones, "input_tokens": ones * prompt, "output_tokens": ones * generated,
                  "work_units": ones * work, "work_vanilla": ones * work, "fees_usd": ones * work * target.fee_per_work,
                  ("small_task_work" if prompt + generated <= f.small_task_tokens else "large_task_work"): ones * work,
                  "active": ones}
        if c.capacity_proofs == "sequential":
            fields["online_seconds"] = ones * float(target.history.epoch_seconds)
        busy = target.busy_per_work[target.busy_per_work > 0]
        seconds = work * (float(np.median(busy)) if busy.size else 0.0)
        watts = target.busy_second_usd[target.busy_per_work > 0]
        energy = seconds * (float(np.median(watts)) if watts.size else 0.0)
        fields["busy_seconds"] = ones * seconds
        cost = ones * (c.identity_cost_usd + c.gas_usd_per_request + c.take_rate * work * target.fee_per_work + energy)
        return fields, cost


@dataclass(frozen=True, eq=False)
class StakeTiming(_Outsider):
    """Capital bonded as stake by a new key for the one epoch where it earns most per dollar.

    Size: ``fake_share`` of the epoch's bonded stake. Cost: the capital's value times the cost of
    capital for one epoch (price risk not counted)."""

    attack: ClassVar[str] = "stake_timing"

    def column(self, target):
        f, c = target.features, target.costs
        bonded = target.totals["stake"]
        stake = c.fake_share * bonded
        days = float(target.history.epoch_seconds) / 86_400.0
        cost = stake * f.token_price_usd * c.cost_of_capital * days / 365.0
        return {"stake_tokens": stake, "active": np.ones(f.shape[0])}, cost




def split_keys(f: Features, k: int, operator: int, share_online: bool = False) -> tuple[Features, np.ndarray]:
    """``f`` with every node of ``operator`` run as ``k`` keys, and a mask of the operator's columns after.

    Each key gets 1/k of the node's work, requests, tokens, fees, busy time, upstream cost and stake; it keeps
    the node's online time (one device answering for every key) unless ``share_online``, and its activity.

    Parameters
    ----------
    f : Features
        Node-level features.
    k : int
        Keys per node (>= 1).
    operator : int
        Operator code.
    share_online : bool, default False
        Divide online time among the keys too (simultaneous capacity proofs).
    """
    n = f.shape[1]
    mine = np.flatnonzero(f.entity_operator == operator)
    copies = np.repeat(mine, k - 1)
    index = np.r_[np.arange(n), copies]
    kept = ("active", "energy_kwh") if share_online else ("active", "energy_kwh", "online_seconds")
    arrays = {}
    for q in QUANTITIES:
        a = np.ascontiguousarray(getattr(f, q)[:, index])  # a new array (C order, as kernels read), changed below
        if q not in kept:
            a[:, mine] *= 1.0 / k
            a[:, n:] *= 1.0 / k
        arrays[q] = a
    labels = f.entity_ids.append(pd.Index([f"{f.entity_ids[i]}#key{j}" for i in mine for j in range(1, k)],
                                          dtype=object))
    split = replace(f, entity_ids=labels, entity_operator=f.entity_operator[index],
                    node_count=np.r_[f.node_count, np.ones(copies.size, dtype=np.int64)], **arrays)
    owned = np.zeros(n + copies.size, dtype=bool)
    owned[mine] = True
    owned[n:] = True
    return split, owned


def merge_keys(f: Features, a: int, b: int) -> tuple[Features, np.ndarray]:
    """``f`` with the nodes of operators ``a`` and ``b`` run as one key (appended; the members zeroed), and its mask.

    The merged key holds the members' summed quantities (its devices' online time included) and counts once.

    Parameters
    ----------
    f : Features
        Node-level features.
    a, b : int
        Operator codes; the merged key belongs to ``a``.
    """
    members = np.isin(f.entity_operator, (a, b))
    e, n = f.shape
    arrays = {}
    for q in QUANTITIES:
        col = getattr(f, q)[:, members].sum(axis=1)
        if q == "active":
            col = np.minimum(col, 1.0)
        full = np.empty((e, n + 1))
        full[:, :n] = np.where(members[None, :], 0.0, getattr(f, q))
        full[:, n] = col
        arrays[q] = full
    merged = replace(f, entity_ids=f.entity_ids.append(pd.Index([f"{f.operator_ids[a]}#merged"], dtype=object)),
                     entity_operator=np.r_[f.entity_operator, a],
                     node_count=np.r_[f.node_count, f.node_count[members].sum()], **arrays)
    owned = np.zeros(n + 1, dtype=bool)
    owned[n] = True
    return merged, owned
