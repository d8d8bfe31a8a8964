"""Fake demand an operator buys from its own nodes, and claims it inflates: the purchase attacks.

Public through :mod:`fairshare.attacks` (docs/attacks.md). Each attack is node-level field deltas for every
operator at once (:meth:`_Purchase.deltas`, computed once per target); its closed form and its replay of
one attacker both read them (:mod:`fairshare.attacks.library` for the shared machinery).
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..formulas import component
from .costs import DEFAULT_SPLIT_K
from .keys import IdleKey, Merge, Split, StakeTiming
from .library import NAMES, Attack, Effect, Replay, _values, _with
from .target import Target

__all__ = ["TinyRequests", "FakeWork", "SelfPaidFees", "ModelMisreport", "standard_attacks"]


class _Purchase(Attack):
    """Fake demand an operator buys from its own nodes: node-level field deltas, all operators at once."""

    @abc.abstractmethod
    def deltas(self, target: Target) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """``(field -> (E, N) delta, (E, N) cost USD)`` with every operator attacking at once."""

    def cached(self, target: Target) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """:meth:`deltas` of ``target``, computed once per target and attack (replays of many attackers share it)."""
        cache = target.__dict__.setdefault("_purchases", {})
        key = (type(self), self.variant)
        if key not in cache:
            cache[key] = self.deltas(target)
        return cache[key]

    def effect(self, target, attackers=None):
        attackers = self.attackers(target) if attackers is None else np.asarray(attackers, dtype=np.int64)
        deltas, cost = self.cached(target)
        after_f = _with(target.features, deltas)
        after = {c: np.ascontiguousarray(component(after_f, c), dtype=np.float64) for c in NAMES}
        before_v, after_v = _values(target, attackers, after)
        cost_a = target.by_operator(cost).sum(axis=0)[attackers]
        return Effect(self.attack, self.variant, self._ids(target, attackers), before_v, after_v, cost_a)

    def replay(self, target, attacker):
        f = target.features
        mine = f.entity_operator == attacker
        deltas, cost = self.cached(target)
        return Replay(_with(f, deltas, mine), mine, mine, float(cost[:, mine].sum()))


def _size(target: Target, network_total: np.ndarray, unit_seconds: np.ndarray | None) -> np.ndarray:
    """``(E, N)`` units each node buys: ``fake_share`` of the network total per operator, placed on its
    working nodes by idle time, each capped by what its idle time can serve (``unit_seconds`` per unit)."""
    want = target.costs.fake_share * network_total[:, None] * target.placement
    if unit_seconds is None:
        return want
    fits = np.divide(target.idle_seconds, unit_seconds[None, :], out=np.zeros_like(want),
                     where=unit_seconds[None, :] > 0)
    return np.where(unit_seconds[None, :] > 0, np.minimum(want, fits), 0.0)


@dataclass(frozen=True, eq=False)
class TinyRequests(_Purchase):
    """Requests of the smallest size that counts, sent to one's own nodes, against ``tasks``.

    Each costs the protocol's take of its fee (at the network's mean fee per work unit), gas, and
    the marginal electricity of serving it; the fee itself comes back to the node.
    """

    attack: ClassVar[str] = "tiny_requests"

    def deltas(self, target):
        f, c = target.features, target.costs
        prompt, generated = c.tiny_request_tokens
        work_each = (f.prefill_weight * prompt + generated) * target.model_factor  # (N,)
        seconds_each = work_each * target.busy_per_work
        n = _size(target, target.totals["tasks"], seconds_each)
        work = n * work_each[None, :]
        fee = work * target.fee_per_work
        small = float(prompt + generated) <= f.small_task_tokens
        deltas = {"requests": n, "input_tokens": n * prompt, "output_tokens": n * generated, "work_units": work,
                  "work_vanilla": work, "busy_seconds": n * seconds_each[None, :], "fees_usd": fee,
                  ("small_task_work" if small else "large_task_work"): work}
        cost = c.take_rate * fee + c.gas_usd_per_request * n + n * (seconds_each * target.busy_second_usd)[None, :]
        return deltas, cost


@dataclass(frozen=True, eq=False)
class FakeWork(_Purchase):
    """More of one's own traffic, bought from oneself, against the work components.

    The node repeats its own mix of requests, tokens, models and verification modes, so every
    work component it earns on grows alike. Costs: the take of the fee (mean fee per work unit),
    gas per request, the marginal electricity, and the upstream cost a proxy pays its provider.
    """

    attack: ClassVar[str] = "fake_work"

    def deltas(self, target):
        f, c = target.features, target.costs
        units = _size(target, target.totals["work"], target.busy_per_work)
        growth = np.divide(units, f.work_units, out=np.zeros_like(units), where=f.work_units > 0)
        grown = ("requests", "input_tokens", "output_tokens", "work_units", "busy_seconds", "upstream_cost_usd",
                 "work_vanilla", "work_tee", "work_zkml", "small_task_work", "large_task_work")
        deltas = {q: getattr(f, q) * growth for q in grown}
        fee = units * target.fee_per_work
        deltas["fees_usd"] = fee
        cost = (c.take_rate * fee + c.gas_usd_per_request * deltas["requests"] + deltas["upstream_cost_usd"]
                + deltas["busy_seconds"] * target.busy_second_usd[None, :])
        return deltas, cost


@dataclass(frozen=True, eq=False)
class SelfPaidFees(_Purchase):
    """Fees a node pays itself, against ``fees``: one request per node and epoch carrying them.

    The fee comes back to the node: the attack costs the protocol's take and the gas of the request.
    """

    attack: ClassVar[str] = "self_paid_fees"

    def deltas(self, target):
        c = target.costs
        margin = target.totals["fees"]
        basis = np.where(margin > 0, margin, margin.mean() if margin.any() else 0.0)
        fee = _size(target, basis, None)
        one = (fee > 0).astype(np.float64)
        return {"fees_usd": fee, "requests": one}, c.take_rate * fee + c.gas_usd_per_request * one


@dataclass(frozen=True, eq=False)
class ModelMisreport(_Purchase):
    """Unverified work claimed as served by the largest model the network serves.

    Work units scale with active parameters, so a node serving a small model that reports the
    largest multiplies its unverified work; verified work (TEE, ZKML) cannot be misreported. It
    costs nothing (no detection is modelled).
    """

    attack: ClassVar[str] = "model_misreport"

    def deltas(self, target):
        f = target.features
        factor = target.model_factor
        served = factor[f.work_vanilla.sum(axis=0) > 0]
        top = served.max() if served.size else 0.0
        ratio = np.divide(top, factor, out=np.ones_like(factor), where=factor > 0) - 1.0
        extra = f.work_vanilla * ratio[None, :]
        vanilla_share = np.divide(f.work_vanilla, f.work_units, out=np.zeros_like(extra), where=f.work_units > 0)
        deltas = {"work_units": extra, "work_vanilla": extra,
                  "small_task_work": f.small_task_work * vanilla_share * ratio[None, :],
                  "large_task_work": f.large_task_work * vanilla_share * ratio[None, :]}
        return deltas, np.zeros(f.shape)


def standard_attacks(split_k=None) -> list[Attack]:
    """The attack library every rule is scored against (docs/attacks.md), in reading order.

    Parameters
    ----------
    split_k : iterable of int, optional
        Keys per node for the split attack (default: ``AttackCosts().split_k``).
    """

    ks = DEFAULT_SPLIT_K if split_k is None else split_k
    return [*(Split(int(k)) for k in ks), Merge(), TinyRequests(), FakeWork(), SelfPaidFees(), ModelMisreport(),
            IdleKey(), StakeTiming()]
