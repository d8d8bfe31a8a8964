"""The cost model: energy, depreciation, instance rent and upstream cost per node, and each entity's P&L.

Definitions in :mod:`fairshare.economics`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..data.history import History
from ..data.schema import NODE_TIERS
from ..errors import AlignmentError, ConfigError
from ..features import Features, sum_by_operator
from .vesting import Vesting

__all__ = ["Costs", "node_costs", "PnL", "pnl", "operator_classes", "Vesting", "DEPRECIATION_METHODS"]

DEPRECIATION_METHODS = ("straight_line", "declining_balance")
_DAY = 86_400.0


@dataclass(frozen=True, eq=False)
class Costs:
    """Per (epoch, entity) costs in USD, ``(E, K)`` each, with the entity labels of the features.

    Parameters
    ----------
    features : Features
        The features the costs belong to; their level (node or operator) and labels are the costs'.
    energy_usd : ndarray, shape (E, K)
        Electricity cost of each entity in each epoch, USD.
    depreciation_usd : ndarray, shape (E, K)
        Depreciation of each entity in each active epoch, USD (0 where inactive).
    depreciation : {"straight_line", "declining_balance"}
        The depreciation method the costs were computed with.
    rent_usd : ndarray, shape (E, K), optional
        Rent of rented instances (e.g. a cloud enclave) in each active epoch, USD; None when no node of
        the history rents (then nothing is added, bit for bit).
    """

    features: Features
    energy_usd: np.ndarray
    depreciation_usd: np.ndarray
    depreciation: str
    rent_usd: np.ndarray | None = None

    @property
    def upstream_usd(self) -> np.ndarray:
        return self.features.upstream_cost_usd

    @property
    def total_usd(self) -> np.ndarray:
        """Energy plus depreciation (plus rent where nodes rent): the cost coverage compares earned value with."""
        total = self.energy_usd + self.depreciation_usd
        return total if self.rent_usd is None else total + self.rent_usd

    @property
    def cash_usd(self) -> np.ndarray:
        """The bills paid in cash each epoch: energy (plus rent where nodes rent)."""
        return self.energy_usd if self.rent_usd is None else self.energy_usd + self.rent_usd

    def by_operator(self) -> "Costs":
        if self.features.level == "operator":
            return self
        f = self.features
        rent = None if self.rent_usd is None else _to_operators(self.rent_usd, f)
        return replace(self, features=f.by_operator(), energy_usd=_to_operators(self.energy_usd, f),
                       depreciation_usd=_to_operators(self.depreciation_usd, f), rent_usd=rent)


def _to_operators(matrix: np.ndarray, f: Features) -> np.ndarray:
    """Sum node columns into the operators present in ``f`` (the column order of ``f.by_operator()``)."""
    return sum_by_operator(matrix, f.entity_operator, len(f.operator_ids), np.unique(f.entity_operator))


def node_costs(history: History, features: Features, depreciation: str = "straight_line") -> Costs:
    """Energy, depreciation and rent of every node in every epoch (node-level features).

    Rent is ``rent_usd_per_day`` (nodes table) times the epoch length in days in every active
    epoch; a history without that column has no rent term (``Costs.rent_usd`` None).

    Parameters
    ----------
    history : History
        Supplies tariffs, capex, lifetimes, residual values and join epochs.
    features : Features
        Node-level features of the same history (``fs.aggregate(history)``).
    depreciation : {"straight_line", "declining_balance"}
    """
    if depreciation not in DEPRECIATION_METHODS:
        raise ConfigError(f"depreciation must be one of {', '.join(DEPRECIATION_METHODS)}, got {depreciation!r}.")
    if features.level != "node" or features.shape != (history.n_epochs, history.n_nodes):
        raise AlignmentError("node_costs needs node-level features of the same history: fs.aggregate(history).")
    v = history.node_values
    energy = features.energy_kwh * v["electricity_usd_per_kwh"]
    epoch_days = history.epoch_seconds / _DAY
    age_start = (history.epochs[:, None] - v["joined_epoch"][None, :]) * epoch_days
    life = v["lifetime_days"][None, :]
    start = np.clip(age_start / life, 0.0, 1.0)
    end = np.clip((age_start + epoch_days) / life, 0.0, 1.0)
    capex, residual = v["capex_usd"][None, :], v["residual_fraction"][None, :]
    if depreciation == "straight_line":
        lost = capex * (1.0 - residual) * (end - start)
    else:
        lost = capex * (residual ** start - residual ** end)
    rent = None
    if "rent_usd_per_day" in v:
        rent = np.where(history.active, v["rent_usd_per_day"][None, :] * epoch_days, 0.0)
    return Costs(features=features, energy_usd=energy, depreciation_usd=np.where(history.active, lost, 0.0),
                 depreciation=depreciation, rent_usd=rent)


def operator_classes(history: History, max_retail_nodes: int = 3,
                     retail_tiers: tuple[str, ...] = ("home",)) -> pd.Series:
    """Class of every operator: ``"retail"`` or the tier most of its nodes run in.

    An operator is retail when it runs at most ``max_retail_nodes`` nodes, all
    in ``retail_tiers`` (DESIGN.md: a few nodes and no datacenter hardware).
    Other operators take the tier of most of their nodes (ties: the later tier
    in ``home, colocation, datacenter, proxy``). Indexed by operator id.

    Parameters
    ----------
    history : History
        The history whose operators are classed (node tiers and node-to-operator map).
    max_retail_nodes : int, default 3
        Most nodes a retail operator runs; >= 1.
    retail_tiers : tuple of str, default ("home",)
        Tiers (among :data:`~fairshare.data.NODE_TIERS`) all of a retail operator's nodes must be in.
    """
    unknown = set(retail_tiers) - set(NODE_TIERS)
    if unknown or max_retail_nodes < 1:
        raise ConfigError(f"retail_tiers must be among {', '.join(NODE_TIERS)} and max_retail_nodes >= 1; got "
                          f"{retail_tiers!r}, {max_retail_nodes!r}.")
    n_ops = history.n_operators
    counts = np.zeros((n_ops, len(NODE_TIERS)), dtype=np.int64)
    np.add.at(counts, (history.node_operator, history.node_tier), 1)
    retail_codes = [NODE_TIERS.index(t) for t in retail_tiers]
    retail = (counts.sum(axis=1) <= max_retail_nodes) & (counts[:, retail_codes].sum(axis=1) == counts.sum(axis=1))
    majority = len(NODE_TIERS) - 1 - np.argmax(counts[:, ::-1], axis=1)
    labels = np.where(retail, "retail", np.asarray(NODE_TIERS, dtype=object)[majority])
    return pd.Series(labels, index=history.operator_ids, name="operator_class")


@dataclass(frozen=True, eq=False)
class PnL:
    """Profit and loss of every entity in every epoch, ``(E, K)`` arrays.

    Built by :func:`pnl`. ``reward_tokens`` are what the rule paid; value in
    USD uses the token price of the epoch earned.

    Parameters
    ----------
    costs : Costs
        Costs of the entities, at the level (node or operator) of ``reward_tokens``.
    reward_tokens : ndarray, shape (E, K)
        Tokens the rule paid each entity in each epoch; finite and >= 0.
    vesting : Vesting, optional
        Unlock schedule of rewards, used by the liquid value (``liquid=True``); None means liquid at once.
    """

    costs: Costs
    reward_tokens: np.ndarray
    vesting: Vesting | None = None

    @property
    def features(self) -> Features:
        return self.costs.features

    @property
    def reward_usd(self) -> np.ndarray:
        return self.reward_tokens * self.features.token_price_usd[:, None]

    def _value_usd(self, tokens: np.ndarray) -> np.ndarray:
        """``tokens`` at each epoch's price + fees - upstream cost."""
        f = self.features
        return tokens * f.token_price_usd[:, None] + f.fees_usd - f.upstream_cost_usd

    @property
    def earned_usd(self) -> np.ndarray:
        """Reward value + fees - upstream cost (DESIGN.md's earned value)."""
        return self._value_usd(self.reward_tokens)

    @property
    def liquid_usd(self) -> np.ndarray:
        """Value of rewards as they unlock (price at unlock) + fees - upstream cost."""
        released = self.reward_tokens if self.vesting is None else self.vesting.released(self.reward_tokens)
        return self._value_usd(released)

    @property
    def margin_usd(self) -> np.ndarray:
        return self.earned_usd - self.costs.total_usd

    def active(self) -> np.ndarray:
        """``(K,)`` bool: entities with work in the window (DESIGN.md's active operators)."""
        return self.features.work_units.sum(axis=0) > 0

    def coverage_ratio(self, per_epoch: bool = False, energy_only: bool = False, liquid: bool = False) -> np.ndarray:
        """Earned (or liquid) value over cost; ``(K,)`` over the window or ``(E, K)`` per epoch.

        A zero cost with positive value gives ``inf``; zero over zero gives NaN.
        """
        value = self.liquid_usd if liquid else self.earned_usd
        cost = self.costs.energy_usd if energy_only else self.costs.total_usd
        if not per_epoch:
            value, cost = value.sum(axis=0), cost.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return value / cost

    def covers(self, margin: float = 0.0, **options) -> np.ndarray:
        """Whether value >= (1 + margin) x cost; same options and shapes as :meth:`coverage_ratio`."""
        if not np.isfinite(margin) or margin <= -1:
            raise ConfigError(f"margin must be a finite number > -1, got {margin!r}.")
        return self.coverage_ratio(**options) >= 1.0 + margin

    def break_even_price_usd(self) -> np.ndarray:
        """``(K,)`` token price at which window rewards + fees - upstream would just pay energy + depreciation.

        ``inf`` where the entity earned no tokens but has uncovered cost; 0 where fees alone suffice.
        """
        f = self.features
        gap = (self.costs.total_usd + f.upstream_cost_usd - f.fees_usd).sum(axis=0)
        tokens = self.reward_tokens.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            price = np.where(gap <= 0, 0.0, gap / tokens)
        return np.where((gap > 0) & (tokens <= 0), np.inf, price)

    def longest_loss_streak(self) -> np.ndarray:
        """``(K,)`` longest run of consecutive active epochs with a negative margin."""
        losing = (self.margin_usd < 0) & (self.features.active > 0)
        streak = np.zeros(losing.shape[1], dtype=np.int64)
        best = np.zeros_like(streak)
        for row in losing:
            streak = np.where(row, streak + 1, 0)
            best = np.maximum(best, streak)
        return best

    def payback_epochs(self, capex_usd: np.ndarray) -> np.ndarray:
        """``(K,)`` epochs to earn back ``capex_usd`` at the window's mean cash margin (before depreciation).

        ``inf`` where the mean cash margin is not positive.
        """
        active_epochs = np.maximum(self.features.active.sum(axis=0), 1.0)
        cash = (self.earned_usd - self.costs.cash_usd).sum(axis=0) / active_epochs
        with np.errstate(divide="ignore"):
            return np.where(cash > 0, capex_usd / cash, np.inf)

    def must_sell(self) -> np.ndarray:
        """``(K,)`` True where fees do not pay the cash bills (energy + upstream), so rewards must be sold."""
        f = self.features
        return (self.costs.cash_usd + f.upstream_cost_usd).sum(axis=0) > f.fees_usd.sum(axis=0)

    def funding_gap_usd(self) -> np.ndarray:
        """``(K,)`` largest running shortfall of liquid value against cash bills (0 when never short).

        With vesting, locked rewards cannot pay bills; this is what the
        operator must finance from elsewhere.
        """
        cash_costs = self.costs.cash_usd
        running = np.cumsum(self.liquid_usd - cash_costs, axis=0)
        return np.maximum(-running.min(axis=0), 0.0)

    def by_operator(self) -> "PnL":
        if self.features.level == "operator":
            return self
        f = self.features
        tokens = _to_operators(self.reward_tokens, f)
        return replace(self, costs=self.costs.by_operator(), reward_tokens=tokens)


def pnl(costs: Costs, reward_tokens, vesting: Vesting | None = None) -> PnL:
    """Profit and loss of rewards ``reward_tokens`` (``(E, K)`` at the level of ``costs``).

    Parameters
    ----------
    costs : Costs
        Costs of the entities (from :func:`node_costs`, or :meth:`Costs.by_operator`).
    reward_tokens : array_like, shape (E, K)
        Tokens paid to each entity in each epoch, at the level of ``costs``; finite and >= 0.
    vesting : Vesting, optional
        Unlock schedule of rewards for the liquid value; None (default) means liquid at once.
    """
    rewards = np.ascontiguousarray(np.asarray(reward_tokens, dtype=np.float64))
    if rewards.shape != costs.energy_usd.shape:
        raise AlignmentError(f"reward_tokens has shape {rewards.shape}; the costs are {costs.energy_usd.shape} "
                             "(epochs x entities at the same level).")
    if not np.isfinite(rewards).all() or (rewards < 0).any():
        raise ConfigError("reward_tokens must be finite and >= 0.")
    return PnL(costs=costs, reward_tokens=rewards, vesting=vesting)
