"""The network an attack is measured on: node-level features, prices, and each operator's means.

Public through :mod:`fairshare.attacks`. A :class:`Target` is built once per history (or
window) and read by every attack: the component quantities of every node, their network
totals, and what a unit of fake work costs each node (its busy time per work unit and the
marginal electricity of a busy second).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import pandas as pd

from ..data.history import History
from ..economics.costs import operator_classes
from ..errors import ConfigError
from ..features import Features, aggregate, sum_by_operator
from ..formulas import COMPONENTS, component
from .costs import AttackCosts

__all__ = ["Target", "attacker_sample"]

_JOULES_PER_KWH = 3.6e6


@dataclass(frozen=True, eq=False)
class Target:
    """A network as attacks see it (see the module docstring).

    Parameters
    ----------
    features : Features
        Node-level features of the window attacked.
    history : History
        The history the features come from (power draw, PUE, tariffs and operator classes).
    costs : AttackCosts
        What attacks cost, and their sizes.
    max_retail_nodes : int, default 3
        Operators with at most this many nodes, all at home, are retail (the attacker classes).
    """

    features: Features
    history: History
    costs: AttackCosts
    max_retail_nodes: int = 3

    def __post_init__(self):
        if self.features.level != "node":
            raise ConfigError("attacks replay node keys: pass node-level features (fs.aggregate(history)), not "
                              "features summed by operator.")
        if not isinstance(self.costs, AttackCosts):
            raise ConfigError(f"costs must be fairshare.attacks.AttackCosts, got {type(self.costs).__name__}.")

    @classmethod
    def build(cls, history: History, costs: AttackCosts | None = None, features: Features | None = None,
              max_retail_nodes: int = 3) -> "Target":
        """The target of ``history`` (aggregated here unless ``features`` are given).

        Parameters
        ----------
        history : History
            The history attacked.
        costs : AttackCosts, optional
            What attacks cost (default: ``AttackCosts()``, identity cost 0).
        features : Features, optional
            ``fs.aggregate(history)`` when already computed.
        max_retail_nodes : int, default 3
            Operators with at most this many nodes, all at home, are retail.
        """
        f = aggregate(history) if features is None else features
        return cls(f, history, AttackCosts() if costs is None else costs, max_retail_nodes)

    # ------------------------------------------------------------------ network quantities
    @property
    def n_operators(self) -> int:
        return len(self.features.operator_ids)

    @cached_property
    def worth_usd(self) -> np.ndarray:
        """``(E,)`` USD value of each epoch's whole emission (emission x price)."""
        return self.features.emission_tokens * self.features.token_price_usd

    @cached_property
    def quantities(self) -> dict[str, np.ndarray]:
        """Component name -> ``(E, N)`` quantity of every node."""
        return {c: np.ascontiguousarray(component(self.features, c), dtype=np.float64) for c in COMPONENTS}

    @cached_property
    def totals(self) -> dict[str, np.ndarray]:
        """Component name -> ``(E,)`` network total."""
        return {c: q.sum(axis=1) for c, q in self.quantities.items()}

    def by_operator(self, matrix: np.ndarray) -> np.ndarray:
        """``(E, O)`` sums of an ``(E, N)`` node matrix over each operator's nodes (every operator code).

        Parameters
        ----------
        matrix : ndarray, shape (E, N)
            A per (epoch, node) quantity.
        """
        f = self.features
        return sum_by_operator(matrix, f.entity_operator, self.n_operators)

    @cached_property
    def working(self) -> np.ndarray:
        """``(E, N)`` bool: nodes with work in the epoch (fake demand is bought only there)."""
        return self.features.work_units > 0

    @cached_property
    def window_work(self) -> np.ndarray:
        """``(O,)`` window work units of every operator."""
        return self.by_operator(self.features.work_units).sum(axis=0)

    @cached_property
    def classes(self) -> np.ndarray:
        """``(O,)`` class of every operator code (``"retail"`` or its main tier)."""
        return operator_classes(self.history, self.max_retail_nodes).reindex(
            self.features.operator_ids).to_numpy(dtype=object)

    # ------------------------------------------------------------------ what a unit of work costs a node
    @cached_property
    def model_factor(self) -> np.ndarray:
        """``(N,)`` work units per weighted token of each node's traffic over the window (0 without work)."""
        f = self.features
        weighted = (f.prefill_weight * f.input_tokens + f.output_tokens).sum(axis=0)
        return np.divide(f.work_units.sum(axis=0), weighted, out=np.zeros(f.shape[1]), where=weighted > 0)

    @cached_property
    def busy_per_work(self) -> np.ndarray:
        """``(N,)`` busy seconds per work unit of each node over the window (0 without work)."""
        f = self.features
        work = f.work_units.sum(axis=0)
        return np.divide(f.busy_seconds.sum(axis=0), work, out=np.zeros(f.shape[1]), where=work > 0)

    @cached_property
    def busy_second_usd(self) -> np.ndarray:
        """``(N,)`` marginal electricity of one busy second above idle, USD."""
        v = self.history.node_values
        watts = np.maximum(v["power_w"] - v["idle_power_w"], 0.0)
        return watts * v["pue"] / _JOULES_PER_KWH * v["electricity_usd_per_kwh"]

    @cached_property
    def idle_seconds(self) -> np.ndarray:
        """``(E, N)`` online time not spent serving tasks: where fake demand fits."""
        f = self.features
        return np.maximum(f.online_seconds - f.busy_seconds, 0.0)

    @cached_property
    def fee_per_work(self) -> float:
        """Mean fee clients paid per work unit over the window, USD (0 without work)."""
        f = self.features
        work = float(f.work_units.sum())
        return float(f.fees_usd.sum()) / work if work > 0 else 0.0

    @cached_property
    def placement(self) -> np.ndarray:
        """``(E, N)`` share of its operator's fake demand each node takes: working nodes by idle time.

        In every epoch an operator's working nodes share its purchase in proportion to their idle
        seconds (equally when none is idle); every other node takes nothing.
        """
        f = self.features
        idle = np.where(self.working, self.idle_seconds, 0.0)
        idle_op = self.by_operator(idle)[:, f.entity_operator]
        count = self.by_operator(self.working.astype(np.float64))[:, f.entity_operator]
        by_idle = np.divide(idle, idle_op, out=np.zeros_like(idle), where=idle_op > 0)
        equal = np.divide(self.working.astype(np.float64), count, out=np.zeros_like(idle), where=count > 0)
        return np.where(idle_op > 0, by_idle, equal)

    def window(self, mask: np.ndarray) -> "Target":
        """The same target over the epochs ``mask`` selects.

        Parameters
        ----------
        mask : bool ndarray, shape (E,)
            Epochs to keep.
        """
        from ..features import QUANTITIES

        f = self.features
        arrays = {q: np.ascontiguousarray(getattr(f, q)[mask]) for q in QUANTITIES}
        sub = replace(f, epochs=f.epochs[mask], emission_tokens=f.emission_tokens[mask],
                      token_price_usd=f.token_price_usd[mask], **arrays)
        return Target(sub, self.history, self.costs, self.max_retail_nodes)


def attacker_sample(target: Target) -> np.ndarray:
    """Operator codes a replayed (non-linear) rule is attacked by: the smallest, median and largest
    working operator of each class by window work (ties in code order), without repeats.

    Parameters
    ----------
    target : Target
        The network attacked.
    """
    work = target.window_work
    picks = []
    for label in pd.unique(target.classes[work > 0]):
        codes = np.flatnonzero((target.classes == label) & (work > 0))
        ordered = codes[np.argsort(work[codes], kind="stable")]
        picks += [ordered[0], ordered[(ordered.size - 1) // 2], ordered[-1]]
    return np.array(sorted(set(int(p) for p in picks)), dtype=np.int64)
